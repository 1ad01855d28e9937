#pragma once
// crypto: the only module that includes sodium.h (and OpenSSL, used for the
// Noise transport cipher only). Everything else uses these value types and
// functions.
//
//   SigningKey   an Ed25519 key pair (seed held in memory locked against
//                swapping where the OS allows, wiped on destruction).
//   verify()     Ed25519 detached signature check (RFC 8032).
//   seal/open    XChaCha20-Poly1305 (IETF) with a random 24-byte nonce
//                prepended to the ciphertext: nonce || ct || tag(16).
//   x25519       Ed25519 -> X25519 key conversion and scalar multiplication
//                (for per-pair keys in the direct-message layer).
//   hashes       SHA-256, HMAC-SHA-256 and BLAKE2b (generic hash, keyed or not).
//   chacha20poly1305_*  ChaCha20-Poly1305 (IETF) with a 64-bit counter nonce
//                (4 zero bytes || LE64), the Noise ChaChaPoly cipher.
//   X25519KeyPair  ephemeral/static Diffie-Hellman keys (Noise).
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
// HMAC-SHA-256 over the concatenation of the parts (any key length).
Digest32 hmac_sha256(std::span<const std::uint8_t> key, std::span<const std::uint8_t> part1,
                     std::span<const std::uint8_t> part2 = {});

// ChaCha20-Poly1305 (IETF, RFC 8439) with the 12-byte nonce 00000000 || LE64(n).
// encrypt writes plaintext.size() + kAeadTagSize bytes to `out` (which may
// alias the plaintext). decrypt writes ciphertext.size() - kAeadTagSize bytes
// and returns false on authentication failure (or a ciphertext shorter than a
// tag; `out` is then zeroed); `out` may alias the ciphertext. Frames under
// 2 KiB go through libsodium, larger ones through OpenSSL (crypto.cpp says why).
void chacha20poly1305_encrypt(const SymmetricKey& key, std::uint64_t nonce, std::span<const std::uint8_t> ad,
                              std::span<const std::uint8_t> plaintext, std::uint8_t* out);
bool chacha20poly1305_decrypt(const SymmetricKey& key, std::uint64_t nonce, std::span<const std::uint8_t> ad,
                              std::span<const std::uint8_t> ciphertext, std::uint8_t* out);
// libsodium's implementation of the same cipher: the small-frame path, and
// the reference for the test that the two agree and for the benchmark.
void chacha20poly1305_encrypt_libsodium(const SymmetricKey& key, std::uint64_t nonce,
                                        std::span<const std::uint8_t> ad, std::span<const std::uint8_t> plaintext,
                                        std::uint8_t* out);

// An X25519 key pair. The secret is wiped on destruction.
struct X25519KeyPair {
  SymmetricKey secret{};
  PublicKey public_key{};

  static X25519KeyPair generate();
  // From a fixed secret scalar (test vectors).
  static X25519KeyPair from_secret(const SymmetricKey& secret);
  X25519KeyPair() = default;
  X25519KeyPair(const X25519KeyPair&) = default;
  X25519KeyPair& operator=(const X25519KeyPair&) = default;
  ~X25519KeyPair();
};

// Overwrites memory in a way the compiler will not optimise away.
void wipe(std::span<std::uint8_t> bytes);
// BLAKE2b with an output of out.size() bytes (16..64), optionally keyed.
void blake2b(std::span<std::uint8_t> out, std::span<const std::uint8_t> data,
             std::span<const std::uint8_t> key = {});
// SipHash-2-4 under a 16-byte key: a fast keyed 64-bit PRF for hash tables
// whose keys an attacker chooses (ids of gossiped messages).
using ShortHashKey = std::array<std::uint8_t, 16>;
std::uint64_t siphash24(std::span<const std::uint8_t> data, const ShortHashKey& key);

void random_bytes(std::span<std::uint8_t> out);
// A request id of time `unix_ms` (48 bits, big-endian) followed by the 10
// bytes of `rest`. Ids of close times
// sort together, so the store's indexes keyed by request id (the sender's
// outbox, the receiver's dedup) take a batch of them into one or two b-tree
// pages instead of one page each. The time is no secret: the envelope's
// header carries it in clear.
core::RequestId request_id_at(std::uint64_t unix_ms, std::span<const std::uint8_t, 10> rest);
// A new request id: now, then 10 random bytes.
core::RequestId new_request_id();
// 32 random bytes as 64 lowercase hex characters (API tokens).
std::string random_token_hex();

// Constant-time comparison of two equal-length byte strings; false when the
// lengths differ (the length itself is not secret).
bool equal_constant_time(std::string_view a, std::string_view b);

inline std::span<const std::uint8_t> as_bytes(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

}  // namespace agentmesh::crypto
