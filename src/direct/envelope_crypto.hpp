#pragma once
// direct/envelope_crypto: the cryptography of direct messages
// (docs/security.md, "Direct messages: the construction").
//
// Pair keys. For agents A and B, both sides compute the same X25519 secret
//   s = X25519(x25519_secret(A), x25519_public(B)) = X25519(x25519_secret(B), x25519_public(A))
// from their Ed25519 keys (libsodium's conversion; B's X25519 key comes from
// its AgentId, so no key lookup is needed), then one key per direction:
//   k(A->B) = BLAKE2b-256(key = s, "agentmesh/dm/v1/pair-key" || A || B)
// A seals to B with k(A->B); B acks with k(B->A). Computing s costs one X25519
// (about 120 µs here), so PairKeyCache keeps the keys per (local, remote).
//
// Envelope: XChaCha20-Poly1305 with a random 24-byte nonce over the encoded
// Body, the canonical header bytes (wire::direct::header_bytes) as associated
// data: a relay or any third party can neither read the body nor change the
// header without detection, and only A (or B, who holds the same secret) can
// produce a body that opens under k(A->B).
//
// Acks: the same AEAD over an empty plaintext with k(B->A) and the ack's
// canonical bytes as associated data (a MAC): only B (or A) can make one, so
// a third daemon cannot forge "accepted".
//
// The optional signature (Body.signature): Ed25519 by A over
// wire::direct::body_signing_bytes(); B can show the body, the header and the
// signature to anyone, who checks it against A's AgentId.
//
// Thread safety: the functions are pure; PairKeyCache is not thread-safe
// (one per executor).

#include <cstdint>
#include <list>
#include <optional>
#include <unordered_map>
#include <utility>

#include "core/ids.hpp"
#include "core/result.hpp"
#include "crypto/crypto.hpp"
#include "wire/direct.hpp"

namespace agentmesh::direct {

// Sending to remote: seal with `send`, verify its ack with `receive`.
// Receiving from remote: open with `receive`, MAC our ack with `send`.
struct PairKeys {
  crypto::SymmetricKey send{};     // k(local -> remote)
  crypto::SymmetricKey receive{};  // k(remote -> local)
};

// Both directions for (local, remote). invalid_key for a remote key that is
// not a valid Ed25519 point or gives a low-order X25519 result.
Result<PairKeys> derive_pair_keys(const crypto::SigningKey& local, const core::AgentId& remote);

// Seals `body` into `envelope.ciphertext` (every other envelope field must be
// set). With `signer` (the sender's key), the body carries the optional
// signature first.
void seal(wire::direct::Envelope& envelope, const wire::direct::Body& body, const crypto::SymmetricKey& send_key,
          const crypto::SigningKey* signer = nullptr);
// Opens an envelope with the receive key of (recipient, sender). decrypt_failed
// when the ciphertext or the header was altered or the key is not the pair's;
// bad_signature when a signature is present and does not verify.
Result<wire::direct::Body> open(const wire::direct::Envelope& envelope, const crypto::SymmetricKey& receive_key,
                                const wire::direct::Limits& limits = {});

// Fills ack.mac (the ack's other fields set) with the recipient's send key
// towards the sender.
void mac_ack(wire::direct::Ack& ack, const crypto::SymmetricKey& key);
// Checks ack.mac with the sender's receive key from the recipient.
bool verify_ack(const wire::direct::Ack& ack, const crypto::SymmetricKey& key);

// Pair keys by (local agent, remote agent), least recently used evicted
// beyond `capacity`. Misses cost one X25519 (derive_pair_keys).
class PairKeyCache {
 public:
  explicit PairKeyCache(std::size_t capacity = 4096) : capacity_(capacity) {}
  Result<PairKeys> get(const crypto::SigningKey& local, const core::AgentId& remote);
  std::size_t size() const { return map_.size(); }
  std::uint64_t misses() const { return misses_; }
  std::uint64_t hits() const { return hits_; }

 private:
  using Key = std::pair<core::AgentId, core::AgentId>;
  struct KeyHash {
    std::size_t operator()(const Key& k) const noexcept {
      return std::hash<core::AgentId>{}(k.first) ^ (std::hash<core::AgentId>{}(k.second) * 31);
    }
  };
  std::size_t capacity_;
  std::list<std::pair<Key, PairKeys>> lru_;  // front: most recent
  std::unordered_map<Key, std::list<std::pair<Key, PairKeys>>::iterator, KeyHash> map_;
  std::uint64_t misses_ = 0;
  std::uint64_t hits_ = 0;
};

}  // namespace agentmesh::direct
