#pragma once
// crypto: the only module that includes sodium.h. Everything else uses these
// value types and functions.
//
//   SigningKey   an Ed25519 key pair (seed held in memory locked against
//                swapping where the OS allows, wiped on destruction).
//   verify()     Ed25519 detached signature check (RFC 8032).
//   seal/open    XChaCha20-Poly1305 (IETF) with a random 24-byte nonce
//                prepended to the ciphertext: nonce || ct || tag(16).
//   x25519       Ed25519 -> X25519 key conversion and scalar multiplication
//                (for per-pair keys in the direct-message layer).
//   hashes       SHA-256 and BLAKE2b (generic hash, keyed or not).
//   random       CSPRNG bytes, request ids, tokens.
//
// Thread safety: every function is safe to call from any thread once
// crypto::init() has returned; factories call init() themselves.

#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/ids.hpp"
#include "core/result.hpp"

namespace agentmesh::crypto {

using Bytes = std::vector<std::uint8_t>;
using PublicKey = std::array<std::uint8_t, 32>;
using Signature = std::array<std::uint8_t, 64>;
using SymmetricKey = std::array<std::uint8_t, 32>;
using Digest32 = std::array<std::uint8_t, 32>;

constexpr std::size_t kSeedSize = 32;
constexpr std::size_t kAeadNonceSize = 24;
constexpr std::size_t kAeadTagSize = 16;

// Initialises libsodium once; safe to call repeatedly and concurrently.
Result<void> init();

// An Ed25519 key pair. Move-only; the secret part is wiped on destruction.
class SigningKey {
 public:
  static SigningKey generate();
  // Deterministic key from a 32-byte seed (RFC 8032 "secret key").
  static Result<SigningKey> from_seed(std::span<const std::uint8_t> seed);

  SigningKey(SigningKey&&) noexcept;
  SigningKey& operator=(SigningKey&&) noexcept;
  ~SigningKey();

  const PublicKey& public_key() const { return public_key_; }
  core::AgentId agent_id() const { return core::AgentId::from_array(public_key_); }
  Signature sign(std::span<const std::uint8_t> message) const;
  // The 32-byte seed, for writing the key file. Handle with care.
  std::span<const std::uint8_t> seed() const;
  // The X25519 secret scalar derived from this key (for key agreement).
  SymmetricKey to_x25519_secret() const;

 private:
  struct Secret;
  explicit SigningKey(std::unique_ptr<Secret> secret);
  std::unique_ptr<Secret> secret_;
  PublicKey public_key_{};
};

// Ed25519 signature check. Rejects non-canonical encodings (libsodium 1.0.18).
bool verify(const PublicKey& key, std::span<const std::uint8_t> message, const Signature& sig);

// Converts an Ed25519 public key (e.g. an AgentId) to its X25519 form.
Result<PublicKey> ed25519_to_x25519(const PublicKey& ed_public);
// X25519(secret, public). Fails with invalid_key for low-order points.
Result<SymmetricKey> x25519(const SymmetricKey& secret, const PublicKey& public_key);

// XChaCha20-Poly1305 with a random nonce: returns nonce || ciphertext || tag.
Bytes seal(const SymmetricKey& key, std::span<const std::uint8_t> plaintext,
           std::span<const std::uint8_t> associated_data);
// Opens the output of seal(). decrypt_failed on any tampering.
Result<Bytes> open(const SymmetricKey& key, std::span<const std::uint8_t> sealed,
                   std::span<const std::uint8_t> associated_data);

Digest32 sha256(std::span<const std::uint8_t> data);
// BLAKE2b with an output of out.size() bytes (16..64), optionally keyed.
void blake2b(std::span<std::uint8_t> out, std::span<const std::uint8_t> data,
             std::span<const std::uint8_t> key = {});

void random_bytes(std::span<std::uint8_t> out);
core::RequestId random_request_id();
// 32 random bytes as 64 lowercase hex characters (API tokens).
std::string random_token_hex();

// Constant-time comparison of two equal-length byte strings; false when the
// lengths differ (the length itself is not secret).
bool equal_constant_time(std::string_view a, std::string_view b);

inline std::span<const std::uint8_t> as_bytes(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

}  // namespace agentmesh::crypto
