#include "crypto/crypto.hpp"

#include <cstring>
#include <mutex>
#include <sodium.h>
#include <stdexcept>

#include "core/hex.hpp"
#include "crypto/error.hpp"

namespace agentmesh::crypto {
namespace {

class Category final : public boost::system::error_category {
 public:
  const char* name() const noexcept override { return "agentmesh.crypto"; }
  std::string message(int ev) const override {
    switch (static_cast<error>(ev)) {
      case error::init_failed: return "libsodium initialisation failed";
      case error::invalid_key: return "invalid key";
      case error::bad_signature: return "signature does not verify";
      case error::decrypt_failed: return "authenticated decryption failed";
      case error::bad_key_file: return "malformed key file";
    }
    return "unknown crypto error";
  }
};

void ensure_init() {
  if (!init()) throw std::runtime_error("libsodium initialisation failed");
}

}  // namespace

const boost::system::error_category& error_category() noexcept {
  static const Category category;
  return category;
}

Result<void> init() {
  static const int rc = sodium_init();  // thread-safe static init; sodium_init is idempotent
  if (rc < 0) return error::init_failed;
  return {};
}

// The expanded secret key (seed || pk, libsodium's layout) in guarded memory.
struct SigningKey::Secret {
  std::array<std::uint8_t, crypto_sign_SECRETKEYBYTES> sk{};
  Secret() { sodium_mlock(sk.data(), sk.size()); }
  ~Secret() { sodium_munlock(sk.data(), sk.size()); }  // munlock also zeroes
};

SigningKey::SigningKey(std::unique_ptr<Secret> secret) : secret_(std::move(secret)) {
  std::memcpy(public_key_.data(), secret_->sk.data() + 32, 32);
}
SigningKey::SigningKey(SigningKey&&) noexcept = default;
SigningKey& SigningKey::operator=(SigningKey&&) noexcept = default;
SigningKey::~SigningKey() = default;

SigningKey SigningKey::generate() {
  std::array<std::uint8_t, kSeedSize> seed{};
  random_bytes(seed);
  auto key = from_seed(seed);
  sodium_memzero(seed.data(), seed.size());
  return std::move(key).value();
}

Result<SigningKey> SigningKey::from_seed(std::span<const std::uint8_t> seed) {
  ensure_init();
  if (seed.size() != kSeedSize) return error::invalid_key;
  auto secret = std::make_unique<Secret>();
  PublicKey pk{};
  crypto_sign_seed_keypair(pk.data(), secret->sk.data(), seed.data());
  return SigningKey(std::move(secret));
}

std::span<const std::uint8_t> SigningKey::seed() const { return {secret_->sk.data(), kSeedSize}; }

Signature SigningKey::sign(std::span<const std::uint8_t> message) const {
  Signature sig{};
  crypto_sign_detached(sig.data(), nullptr, message.data(), message.size(), secret_->sk.data());
  return sig;
}

SymmetricKey SigningKey::to_x25519_secret() const {
  SymmetricKey out{};
  crypto_sign_ed25519_sk_to_curve25519(out.data(), secret_->sk.data());
  return out;
}

bool verify(const PublicKey& key, std::span<const std::uint8_t> message, const Signature& sig) {
  ensure_init();
  return crypto_sign_verify_detached(sig.data(), message.data(), message.size(), key.data()) == 0;
}

Result<PublicKey> ed25519_to_x25519(const PublicKey& ed_public) {
  ensure_init();
  PublicKey out{};
  if (crypto_sign_ed25519_pk_to_curve25519(out.data(), ed_public.data()) != 0) return error::invalid_key;
  return out;
}

Result<SymmetricKey> x25519(const SymmetricKey& secret, const PublicKey& public_key) {
  ensure_init();
  SymmetricKey out{};
  if (crypto_scalarmult_curve25519(out.data(), secret.data(), public_key.data()) != 0) return error::invalid_key;
  return out;
}

Bytes seal(const SymmetricKey& key, std::span<const std::uint8_t> plaintext,
           std::span<const std::uint8_t> associated_data) {
  ensure_init();
  Bytes out(kAeadNonceSize + plaintext.size() + kAeadTagSize);
  randombytes_buf(out.data(), kAeadNonceSize);
  unsigned long long clen = 0;
  crypto_aead_xchacha20poly1305_ietf_encrypt(out.data() + kAeadNonceSize, &clen, plaintext.data(), plaintext.size(),
                                             associated_data.data(), associated_data.size(), nullptr, out.data(),
                                             key.data());
  out.resize(kAeadNonceSize + clen);
  return out;
}

Result<Bytes> open(const SymmetricKey& key, std::span<const std::uint8_t> sealed,
                   std::span<const std::uint8_t> associated_data) {
  ensure_init();
  if (sealed.size() < kAeadNonceSize + kAeadTagSize) return error::decrypt_failed;
  Bytes out(sealed.size() - kAeadNonceSize - kAeadTagSize);
  unsigned long long mlen = 0;
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(out.data(), &mlen, nullptr, sealed.data() + kAeadNonceSize,
                                                 sealed.size() - kAeadNonceSize, associated_data.data(),
                                                 associated_data.size(), sealed.data(), key.data()) != 0) {
    return error::decrypt_failed;
  }
  out.resize(mlen);
  return out;
}

Digest32 sha256(std::span<const std::uint8_t> data) {
  ensure_init();
  Digest32 out{};
  crypto_hash_sha256(out.data(), data.data(), data.size());
  return out;
}

Digest32 hmac_sha256(std::span<const std::uint8_t> key, std::span<const std::uint8_t> part1,
                     std::span<const std::uint8_t> part2) {
  ensure_init();
  crypto_auth_hmacsha256_state st;
  crypto_auth_hmacsha256_init(&st, key.data(), key.size());
  crypto_auth_hmacsha256_update(&st, part1.data(), part1.size());
  if (!part2.empty()) crypto_auth_hmacsha256_update(&st, part2.data(), part2.size());
  Digest32 out{};
  crypto_auth_hmacsha256_final(&st, out.data());
  sodium_memzero(&st, sizeof st);
  return out;
}

namespace {
std::array<std::uint8_t, 12> ietf_nonce(std::uint64_t n) {
  std::array<std::uint8_t, 12> nonce{};
  for (int i = 0; i < 8; ++i) nonce[4 + i] = static_cast<std::uint8_t>(n >> (8 * i));
  return nonce;
}
}  // namespace

void chacha20poly1305_encrypt(const SymmetricKey& key, std::uint64_t nonce, std::span<const std::uint8_t> ad,
                              std::span<const std::uint8_t> plaintext, std::uint8_t* out) {
  ensure_init();
  const auto npub = ietf_nonce(nonce);
  unsigned long long clen = 0;
  crypto_aead_chacha20poly1305_ietf_encrypt(out, &clen, plaintext.data(), plaintext.size(), ad.data(), ad.size(),
                                            nullptr, npub.data(), key.data());
}

bool chacha20poly1305_decrypt(const SymmetricKey& key, std::uint64_t nonce, std::span<const std::uint8_t> ad,
                              std::span<const std::uint8_t> ciphertext, std::uint8_t* out) {
  ensure_init();
  if (ciphertext.size() < kAeadTagSize) return false;
  const auto npub = ietf_nonce(nonce);
  unsigned long long mlen = 0;
  return crypto_aead_chacha20poly1305_ietf_decrypt(out, &mlen, nullptr, ciphertext.data(), ciphertext.size(),
                                                   ad.data(), ad.size(), npub.data(), key.data()) == 0;
}

X25519KeyPair X25519KeyPair::generate() {
  SymmetricKey secret{};
  random_bytes(secret);
  auto kp = from_secret(secret);
  sodium_memzero(secret.data(), secret.size());
  return kp;
}

X25519KeyPair X25519KeyPair::from_secret(const SymmetricKey& secret) {
  ensure_init();
  X25519KeyPair kp;
  kp.secret = secret;
  crypto_scalarmult_curve25519_base(kp.public_key.data(), kp.secret.data());
  return kp;
}

X25519KeyPair::~X25519KeyPair() { sodium_memzero(secret.data(), secret.size()); }

void wipe(std::span<std::uint8_t> bytes) {
  if (!bytes.empty()) sodium_memzero(bytes.data(), bytes.size());
}

void blake2b(std::span<std::uint8_t> out, std::span<const std::uint8_t> data, std::span<const std::uint8_t> key) {
  ensure_init();
  if (out.size() < crypto_generichash_BYTES_MIN || out.size() > crypto_generichash_BYTES_MAX ||
      key.size() > crypto_generichash_KEYBYTES_MAX) {
    throw std::invalid_argument("blake2b: output or key size out of range");
  }
  crypto_generichash(out.data(), out.size(), data.data(), data.size(), key.empty() ? nullptr : key.data(),
                     key.size());
}

void random_bytes(std::span<std::uint8_t> out) {
  ensure_init();
  randombytes_buf(out.data(), out.size());
}

core::RequestId random_request_id() {
  core::RequestId::Bytes b{};
  random_bytes(b);
  return core::RequestId::from_array(b);
}

std::string random_token_hex() {
  std::array<std::uint8_t, 32> b{};
  random_bytes(b);
  auto hex = core::to_hex(b);
  sodium_memzero(b.data(), b.size());
  return hex;
}

bool equal_constant_time(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  if (a.empty()) return true;
  return sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace agentmesh::crypto
