#include "direct/envelope_crypto.hpp"

#include "crypto/error.hpp"

namespace agentmesh::direct {
namespace {

constexpr std::string_view kPairKeyDomain = "agentmesh/dm/v1/pair-key";

std::span<const std::uint8_t> bytes_of(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

crypto::SymmetricKey direction_key(const crypto::SymmetricKey& shared, const core::AgentId& from,
                                   const core::AgentId& to) {
  std::string data(kPairKeyDomain);
  data.append(reinterpret_cast<const char*>(from.bytes().data()), from.bytes().size());
  data.append(reinterpret_cast<const char*>(to.bytes().data()), to.bytes().size());
  crypto::SymmetricKey out{};
  crypto::blake2b(out, bytes_of(data), shared);
  return out;
}

}  // namespace

Result<PairKeys> derive_pair_keys(const crypto::SigningKey& local, const core::AgentId& remote) {
  crypto::PublicKey remote_ed{};
  std::copy(remote.bytes().begin(), remote.bytes().end(), remote_ed.begin());
  auto remote_x = crypto::ed25519_to_x25519(remote_ed);
  if (!remote_x) return remote_x.error();
  auto secret = local.to_x25519_secret();
  auto shared = crypto::x25519(secret, *remote_x);
  crypto::wipe(secret);
  if (!shared) return shared.error();
  const auto self = local.agent_id();
  PairKeys keys;
  keys.send = direction_key(*shared, self, remote);
  keys.receive = direction_key(*shared, remote, self);
  crypto::wipe(*shared);
  return keys;
}

void seal(wire::direct::Envelope& envelope, const wire::direct::Body& body, const crypto::SymmetricKey& send_key,
          const crypto::SigningKey* signer) {
  const auto ad = wire::direct::header_bytes(envelope);
  std::string plaintext;
  if (signer) {
    auto signed_body = body;
    const auto sig = signer->sign(bytes_of(wire::direct::body_signing_bytes(envelope, body)));
    signed_body.signature.emplace();
    std::copy(sig.begin(), sig.end(), signed_body.signature->begin());
    plaintext = wire::direct::encode(signed_body);
  } else {
    plaintext = wire::direct::encode(body);
  }
  const auto sealed = crypto::seal(send_key, bytes_of(plaintext), bytes_of(ad));
  envelope.ciphertext.assign(reinterpret_cast<const char*>(sealed.data()), sealed.size());
}

Result<wire::direct::Body> open(const wire::direct::Envelope& envelope, const crypto::SymmetricKey& receive_key,
                                const wire::direct::Limits& limits) {
  const auto ad = wire::direct::header_bytes(envelope);
  auto plaintext = crypto::open(receive_key, bytes_of(envelope.ciphertext), bytes_of(ad));
  if (!plaintext) return plaintext.error();
  auto body = wire::direct::decode_body(*plaintext, limits);
  if (!body) return body.error();
  if (body->signature) {
    crypto::PublicKey sender{};
    std::copy(envelope.sender.begin(), envelope.sender.end(), sender.begin());
    crypto::Signature sig{};
    std::copy(body->signature->begin(), body->signature->end(), sig.begin());
    if (!crypto::verify(sender, bytes_of(wire::direct::body_signing_bytes(envelope, *body)), sig)) {
      return make_error_code(crypto::error::bad_signature);
    }
  }
  return body;
}

void mac_ack(wire::direct::Ack& ack, const crypto::SymmetricKey& key) {
  const auto ad = wire::direct::ack_bytes(ack);
  const auto sealed = crypto::seal(key, {}, bytes_of(ad));
  ack.mac.assign(reinterpret_cast<const char*>(sealed.data()), sealed.size());
}

bool verify_ack(const wire::direct::Ack& ack, const crypto::SymmetricKey& key) {
  const auto ad = wire::direct::ack_bytes(ack);
  auto opened = crypto::open(key, bytes_of(ack.mac), bytes_of(ad));
  return opened && opened->empty();
}

Result<PairKeys> PairKeyCache::get(const crypto::SigningKey& local, const core::AgentId& remote) {
  const Key key{local.agent_id(), remote};
  if (auto it = map_.find(key); it != map_.end()) {
    ++hits_;
    lru_.splice(lru_.begin(), lru_, it->second);
    return it->second->second;
  }
  ++misses_;
  auto keys = derive_pair_keys(local, remote);
  if (!keys) return keys.error();
  lru_.emplace_front(key, *keys);
  map_[key] = lru_.begin();
  while (map_.size() > capacity_) {
    map_.erase(lru_.back().first);
    lru_.pop_back();
  }
  return *keys;
}

}  // namespace agentmesh::direct
