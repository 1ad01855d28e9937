#pragma once
// Noise XX for libp2p (/noise): Noise_XX_25519_ChaChaPoly_SHA256 with the
// libp2p handshake payload, as a sans-I/O state machine. Wire format and the
// byte-level construction: docs/wire/noise.md.
//
//   -> e                      msg1 = e(32) || empty payload
//   <- e, ee, s, es           msg2 = e(32) || enc(s)(48) || enc(payload)
//   -> s, se                  msg3 = enc(s)(48) || enc(payload)
//
// The payload binds the X25519 static key to the node's Ed25519 identity:
// identity_key is the PublicKey protobuf, identity_sig an Ed25519 signature
// over "noise-libp2p-static-key:" || static public key. The receiver checks
// it, derives the remote PeerId and, when one was expected (dialing
// /p2p/<id>), rejects any other.
//
// Messages handled here exclude the 2-byte big-endian length prefix that
// frames every Noise message on the wire; the caller reads and writes it.
// After the handshake, split() gives one TransportCipher per direction.
// Each transport frame carries at most kMaxPlaintext bytes; seal() chunks.
//
// Thread safety: plain objects, used by one connection at a time.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/peer_id.hpp"
#include "core/result.hpp"
#include "crypto/crypto.hpp"

namespace agentmesh::wire::noise {

inline constexpr std::string_view kProtocolId = "/noise";
inline constexpr std::string_view kProtocolName = "Noise_XX_25519_ChaChaPoly_SHA256";
inline constexpr std::string_view kSignaturePrefix = "noise-libp2p-static-key:";
// The largest Noise message (and transport frame), after the length prefix.
inline constexpr std::size_t kMaxMessage = 65535;
inline constexpr std::size_t kMaxPlaintext = kMaxMessage - crypto::kAeadTagSize;  // 65519
// The largest handshake payload we accept (js sends well under 1 KiB).
inline constexpr std::size_t kMaxPayload = 8 * 1024;

// The decoded handshake payload (NoiseHandshakePayload).
struct HandshakePayload {
  std::string identity_key;                 // PublicKey protobuf
  std::string identity_sig;                 // 64 bytes for Ed25519
  std::vector<std::string> stream_muxers;   // NoiseExtensions.stream_muxers
  bool has_extensions = false;
};

std::string encode_payload(const HandshakePayload& payload);
// bad_protobuf when it does not parse or exceeds kMaxPayload.
Result<HandshakePayload> decode_payload(std::span<const std::uint8_t> bytes);

// One direction of the transport phase: key + 64-bit counter nonce.
class TransportCipher {
 public:
  TransportCipher() = default;
  explicit TransportCipher(const crypto::SymmetricKey& key) : key_(key) {}
  ~TransportCipher() { crypto::wipe(key_); }
  TransportCipher(const TransportCipher&) = default;
  TransportCipher& operator=(const TransportCipher&) = default;

  // Appends lp16(ciphertext) frames for `plaintext` to `out`, chunked at
  // kMaxPlaintext. An empty plaintext produces no frame. nonce_exhausted
  // when the counter would reach 2^64-1 (then nothing is appended).
  Result<void> seal(std::span<const std::uint8_t> plaintext, std::string& out);
  // Bytes seal() produces for `n` plaintext bytes (frames and tags included).
  static std::size_t sealed_size(std::size_t n);
  // seal() into `out`, which has room for sealed_size(plaintext.size()).
  Result<void> seal_into(std::span<const std::uint8_t> plaintext, std::uint8_t* out);
  // Decrypts one frame body (without its length prefix) and appends the
  // plaintext to `out`. decrypt_failed on tampering; nonce_exhausted.
  Result<void> open(std::span<const std::uint8_t> frame, std::string& out);
  // The same, decrypting in place: the plaintext is the first
  // frame.size() - 16 bytes of `frame`.
  Result<void> open_in_place(std::span<std::uint8_t> frame);

  std::uint64_t nonce() const { return nonce_; }
  // Tests: start the counter elsewhere (nonce exhaustion).
  void set_nonce_for_test(std::uint64_t n) { nonce_ = n; }

 private:
  crypto::SymmetricKey key_{};
  std::uint64_t nonce_ = 0;
};

struct TransportKeys {
  TransportCipher send;
  TransportCipher recv;
};

class Handshake {
 public:
  enum class Role { initiator, responder };

  // `identity` signs the static key; it must outlive the handshake. The
  // static and ephemeral X25519 keys are injectable for test vectors;
  // production passes fresh ones. `expected_remote` is the PeerId we
  // dialed, if the address named one.
  Handshake(Role role, const crypto::SigningKey& identity, crypto::X25519KeyPair static_key,
            crypto::X25519KeyPair ephemeral, std::optional<core::PeerId> expected_remote = std::nullopt);
  // With fresh random static and ephemeral keys.
  Handshake(Role role, const crypto::SigningKey& identity, std::optional<core::PeerId> expected_remote = std::nullopt);
  ~Handshake();
  Handshake(const Handshake&) = delete;
  Handshake& operator=(const Handshake&) = delete;

  // True when the next step is write_message() (otherwise read_message()).
  bool our_turn() const;
  bool done() const { return step_ == 3; }

  // The next handshake message (without its length prefix).
  // bad_noise_message when it is not our turn.
  Result<std::string> write_message();
  // A received handshake message (without its length prefix). Errors:
  // bad_noise_message (size, authentication, out of turn), bad_dh_key,
  // bad_protobuf, bad_handshake_payload, bad_identity_signature,
  // peer_id_mismatch. After an error the handshake is unusable.
  Result<void> read_message(std::span<const std::uint8_t> message);

  // Set once the remote's payload has been verified (after msg2 for the
  // initiator, msg3 for the responder).
  const std::optional<core::PeerId>& remote_peer() const { return remote_peer_; }
  const std::optional<HandshakePayload>& remote_payload() const { return remote_payload_; }
  // The handshake hash (channel binding), valid once done().
  const crypto::Digest32& handshake_hash() const { return h_; }

  // The transport ciphers (initiator sends with k1, responder with k2).
  // REQUIRES: done().
  TransportKeys split() const;

 private:
  void mix_hash(std::span<const std::uint8_t> data);
  Result<void> mix_key_dh(const crypto::SymmetricKey& secret, const crypto::PublicKey& remote);
  void encrypt_and_hash(std::span<const std::uint8_t> plaintext, std::string& out);
  Result<std::string> decrypt_and_hash(std::span<const std::uint8_t> ciphertext);
  std::string signed_payload() const;
  Result<void> verify_payload(std::span<const std::uint8_t> bytes);

  Role role_;
  const crypto::SigningKey& identity_;
  crypto::X25519KeyPair s_;
  crypto::X25519KeyPair e_;
  std::optional<core::PeerId> expected_remote_;

  crypto::Digest32 h_{};
  crypto::Digest32 ck_{};
  crypto::SymmetricKey k_{};
  bool has_key_ = false;
  std::uint64_t n_ = 0;
  crypto::PublicKey re_{};
  crypto::PublicKey rs_{};
  int step_ = 0;  // messages completed (0..3)
  bool failed_ = false;

  std::optional<core::PeerId> remote_peer_;
  std::optional<HandshakePayload> remote_payload_;
};

}  // namespace agentmesh::wire::noise
