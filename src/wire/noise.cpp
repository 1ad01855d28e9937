#include "wire/noise.hpp"

#include <algorithm>
#include <limits>

#include "noise_payload.pb.h"
#include "wire/error.hpp"

namespace agentmesh::wire::noise {
namespace {

std::span<const std::uint8_t> bytes_of(std::string_view s) { return crypto::as_bytes(s); }

constexpr std::uint64_t kMaxNonce = std::numeric_limits<std::uint64_t>::max();

// HKDF as Noise uses it: two outputs from HMAC-SHA-256.
std::pair<crypto::Digest32, crypto::Digest32> hkdf(const crypto::Digest32& ck, std::span<const std::uint8_t> ikm) {
  auto temp = crypto::hmac_sha256(ck, ikm);
  const std::uint8_t one = 1;
  auto o1 = crypto::hmac_sha256(temp, {&one, 1});
  const std::uint8_t two = 2;
  auto o2 = crypto::hmac_sha256(temp, o1, {&two, 1});
  crypto::wipe(temp);
  return {o1, o2};
}

}  // namespace

std::string encode_payload(const HandshakePayload& payload) {
  pb::NoiseHandshakePayload msg;
  msg.set_identity_key(payload.identity_key);
  msg.set_identity_sig(payload.identity_sig);
  if (payload.has_extensions || !payload.stream_muxers.empty()) {
    auto* ext = msg.mutable_extensions();
    for (const auto& m : payload.stream_muxers) ext->add_stream_muxers(m);
  }
  return msg.SerializeAsString();
}

Result<HandshakePayload> decode_payload(std::span<const std::uint8_t> bytes) {
  if (bytes.size() > kMaxPayload) return error::bad_protobuf;
  pb::NoiseHandshakePayload msg;
  if (!msg.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) return error::bad_protobuf;
  HandshakePayload out;
  out.identity_key = msg.identity_key();
  out.identity_sig = msg.identity_sig();
  if (msg.has_extensions()) {
    out.has_extensions = true;
    for (const auto& m : msg.extensions().stream_muxers()) out.stream_muxers.push_back(m);
  }
  return out;
}

// --- TransportCipher ---

std::size_t TransportCipher::sealed_size(std::size_t n) {
  const std::size_t frames = (n + kMaxPlaintext - 1) / kMaxPlaintext;
  return n + frames * (2 + crypto::kAeadTagSize);
}

Result<void> TransportCipher::seal(std::span<const std::uint8_t> plaintext, std::string& out) {
  const std::size_t at = out.size();
  out.resize(at + sealed_size(plaintext.size()));
  auto r = seal_into(plaintext, reinterpret_cast<std::uint8_t*>(out.data() + at));
  if (!r) out.resize(at);
  return r;
}

Result<void> TransportCipher::seal_into(std::span<const std::uint8_t> plaintext, std::uint8_t* p) {
  const std::size_t frames = (plaintext.size() + kMaxPlaintext - 1) / kMaxPlaintext;
  if (frames > kMaxNonce - 1 - nonce_) return error::nonce_exhausted;
  while (!plaintext.empty()) {
    const std::size_t n = std::min(plaintext.size(), kMaxPlaintext);
    const std::size_t ct = n + crypto::kAeadTagSize;
    p[0] = static_cast<std::uint8_t>(ct >> 8);
    p[1] = static_cast<std::uint8_t>(ct & 0xff);
    crypto::chacha20poly1305_encrypt(key_, nonce_++, {}, plaintext.first(n), p + 2);
    plaintext = plaintext.subspan(n);
    p += 2 + ct;
  }
  return {};
}

Result<void> TransportCipher::open(std::span<const std::uint8_t> frame, std::string& out) {
  if (nonce_ >= kMaxNonce - 1) return error::nonce_exhausted;
  if (frame.size() < crypto::kAeadTagSize || frame.size() > kMaxMessage) return error::decrypt_failed;
  const std::size_t at = out.size();
  out.resize(at + frame.size() - crypto::kAeadTagSize);
  if (!crypto::chacha20poly1305_decrypt(key_, nonce_, {}, frame, reinterpret_cast<std::uint8_t*>(out.data() + at))) {
    out.resize(at);
    return error::decrypt_failed;
  }
  ++nonce_;
  return {};
}

Result<void> TransportCipher::open_in_place(std::span<std::uint8_t> frame) {
  if (nonce_ >= kMaxNonce - 1) return error::nonce_exhausted;
  if (frame.size() < crypto::kAeadTagSize || frame.size() > kMaxMessage) return error::decrypt_failed;
  if (!crypto::chacha20poly1305_decrypt(key_, nonce_, {}, frame, frame.data())) return error::decrypt_failed;
  ++nonce_;
  return {};
}

// --- Handshake ---

Handshake::Handshake(Role role, const crypto::SigningKey& identity, crypto::X25519KeyPair static_key,
                     crypto::X25519KeyPair ephemeral, std::optional<core::PeerId> expected_remote)
    : role_(role),
      identity_(identity),
      s_(static_key),
      e_(ephemeral),
      expected_remote_(std::move(expected_remote)) {
  static_assert(kProtocolName.size() == 32, "a 32-byte protocol name is used as h directly");
  std::copy(kProtocolName.begin(), kProtocolName.end(), h_.begin());
  ck_ = h_;
  mix_hash({});  // the empty prologue
}

Handshake::Handshake(Role role, const crypto::SigningKey& identity, std::optional<core::PeerId> expected_remote)
    : Handshake(role, identity, crypto::X25519KeyPair::generate(), crypto::X25519KeyPair::generate(),
                std::move(expected_remote)) {}

Handshake::~Handshake() {
  crypto::wipe(k_);
  crypto::wipe(ck_);
}

bool Handshake::our_turn() const {
  // initiator writes msgs 1 and 3 (steps 0 and 2), responder msg 2 (step 1).
  return role_ == Role::initiator ? (step_ == 0 || step_ == 2) : step_ == 1;
}

void Handshake::mix_hash(std::span<const std::uint8_t> data) {
  std::string buf(h_.begin(), h_.end());
  buf.append(reinterpret_cast<const char*>(data.data()), data.size());
  h_ = crypto::sha256(bytes_of(buf));
}

Result<void> Handshake::mix_key_dh(const crypto::SymmetricKey& secret, const crypto::PublicKey& remote) {
  auto shared = crypto::x25519(secret, remote);
  if (!shared) return error::bad_dh_key;
  auto [ck, k] = hkdf(ck_, *shared);
  crypto::wipe(*shared);
  ck_ = ck;
  k_ = k;
  crypto::wipe(ck);
  crypto::wipe(k);
  has_key_ = true;
  n_ = 0;
  return {};
}

void Handshake::encrypt_and_hash(std::span<const std::uint8_t> plaintext, std::string& out) {
  const std::size_t at = out.size();
  if (!has_key_) {
    out.append(reinterpret_cast<const char*>(plaintext.data()), plaintext.size());
  } else {
    out.resize(at + plaintext.size() + crypto::kAeadTagSize);
    crypto::chacha20poly1305_encrypt(k_, n_++, h_, plaintext, reinterpret_cast<std::uint8_t*>(out.data() + at));
  }
  mix_hash(bytes_of(std::string_view(out).substr(at)));
}

Result<std::string> Handshake::decrypt_and_hash(std::span<const std::uint8_t> ciphertext) {
  std::string plain;
  if (!has_key_) {
    plain.assign(reinterpret_cast<const char*>(ciphertext.data()), ciphertext.size());
  } else {
    if (ciphertext.size() < crypto::kAeadTagSize) return error::bad_noise_message;
    plain.resize(ciphertext.size() - crypto::kAeadTagSize);
    if (!crypto::chacha20poly1305_decrypt(k_, n_, h_, ciphertext, reinterpret_cast<std::uint8_t*>(plain.data()))) {
      return error::bad_noise_message;
    }
    ++n_;
  }
  mix_hash(ciphertext);
  return plain;
}

std::string Handshake::signed_payload() const {
  std::string to_sign(kSignaturePrefix);
  to_sign.append(s_.public_key.begin(), s_.public_key.end());
  const auto sig = identity_.sign(bytes_of(to_sign));
  HandshakePayload payload;
  payload.identity_key = core::PeerId::from_ed25519(identity_.public_key()).public_key_protobuf();
  payload.identity_sig.assign(sig.begin(), sig.end());
  return encode_payload(payload);
}

Result<void> Handshake::verify_payload(std::span<const std::uint8_t> bytes) {
  auto payload = decode_payload(bytes);
  if (!payload) return payload.error();
  auto peer = core::PeerId::from_public_key_protobuf(bytes_of(payload->identity_key));
  if (!peer) return error::bad_handshake_payload;
  if (payload->identity_sig.size() != 64) return error::bad_identity_signature;
  std::string signed_bytes(kSignaturePrefix);
  signed_bytes.append(rs_.begin(), rs_.end());
  crypto::Signature sig{};
  std::copy(payload->identity_sig.begin(), payload->identity_sig.end(), sig.begin());
  if (!crypto::verify(peer->public_key(), bytes_of(signed_bytes), sig)) return error::bad_identity_signature;
  if (expected_remote_ && *expected_remote_ != *peer) return error::peer_id_mismatch;
  remote_peer_ = *peer;
  remote_payload_ = std::move(*payload);
  return {};
}

Result<std::string> Handshake::write_message() {
  if (failed_ || done() || !our_turn()) return error::bad_noise_message;
  std::string out;
  if (step_ == 0) {  // -> e
    out.append(e_.public_key.begin(), e_.public_key.end());
    mix_hash(e_.public_key);
    encrypt_and_hash({}, out);
  } else if (step_ == 1) {  // <- e, ee, s, es
    out.append(e_.public_key.begin(), e_.public_key.end());
    mix_hash(e_.public_key);
    if (auto r = mix_key_dh(e_.secret, re_); !r) return failed_ = true, r.error();
    encrypt_and_hash(s_.public_key, out);
    if (auto r = mix_key_dh(s_.secret, re_); !r) return failed_ = true, r.error();
    encrypt_and_hash(bytes_of(signed_payload()), out);
  } else {  // -> s, se
    encrypt_and_hash(s_.public_key, out);
    if (auto r = mix_key_dh(s_.secret, re_); !r) return failed_ = true, r.error();
    encrypt_and_hash(bytes_of(signed_payload()), out);
  }
  ++step_;
  return out;
}

Result<void> Handshake::read_message(std::span<const std::uint8_t> message) {
  auto fail = [this](error_code ec) -> Result<void> {
    failed_ = true;
    return ec;
  };
  if (failed_ || done() || our_turn()) return fail(error::bad_noise_message);
  if (message.size() > kMaxMessage) return fail(error::bad_noise_message);
  constexpr std::size_t kKey = 32;
  constexpr std::size_t kEncKey = kKey + crypto::kAeadTagSize;
  if (step_ == 0) {  // responder reads -> e
    if (message.size() < kKey) return fail(error::bad_noise_message);
    std::copy_n(message.begin(), kKey, re_.begin());
    mix_hash(re_);
    if (auto r = decrypt_and_hash(message.subspan(kKey)); !r) return fail(r.error());
  } else if (step_ == 1) {  // initiator reads <- e, ee, s, es
    if (message.size() < kKey + kEncKey + crypto::kAeadTagSize) return fail(error::bad_noise_message);
    std::copy_n(message.begin(), kKey, re_.begin());
    mix_hash(re_);
    if (auto r = mix_key_dh(e_.secret, re_); !r) return fail(r.error());
    auto rs = decrypt_and_hash(message.subspan(kKey, kEncKey));
    if (!rs) return fail(rs.error());
    std::copy(rs->begin(), rs->end(), rs_.begin());
    if (auto r = mix_key_dh(e_.secret, rs_); !r) return fail(r.error());
    auto payload = decrypt_and_hash(message.subspan(kKey + kEncKey));
    if (!payload) return fail(payload.error());
    if (auto r = verify_payload(bytes_of(*payload)); !r) return fail(r.error());
  } else {  // responder reads -> s, se
    if (message.size() < kEncKey + crypto::kAeadTagSize) return fail(error::bad_noise_message);
    auto rs = decrypt_and_hash(message.first(kEncKey));
    if (!rs) return fail(rs.error());
    std::copy(rs->begin(), rs->end(), rs_.begin());
    if (auto r = mix_key_dh(e_.secret, rs_); !r) return fail(r.error());
    auto payload = decrypt_and_hash(message.subspan(kEncKey));
    if (!payload) return fail(payload.error());
    if (auto r = verify_payload(bytes_of(*payload)); !r) return fail(r.error());
  }
  ++step_;
  return {};
}

TransportKeys Handshake::split() const {
  auto [k1, k2] = hkdf(ck_, {});
  TransportKeys keys;
  keys.send = TransportCipher(role_ == Role::initiator ? k1 : k2);
  keys.recv = TransportCipher(role_ == Role::initiator ? k2 : k1);
  crypto::wipe(k1);
  crypto::wipe(k2);
  return keys;
}

}  // namespace agentmesh::wire::noise
