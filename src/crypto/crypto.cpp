#include "crypto/crypto.hpp"

#include "core/condition.hpp"

#include <chrono>
#include <cstring>
#include <mutex>
#include <openssl/evp.h>
#include <sodium.h>
#include <stdexcept>

#include "core/hex.hpp"
#include "crypto/error.hpp"

namespace agentmesh::crypto {
namespace {

class Category final : public boost::system::error_category {
 public:
  bool equivalent(int code, const boost::system::error_condition& cond) const noexcept override {
    const auto e = static_cast<error>(code);
    switch (static_cast<core::condition>(core::condition_of(cond))) {
      case core::condition::peer_misbehaved:
        return e == error::bad_signature || e == error::decrypt_failed;
      case core::condition::invalid_input:
        return e == error::invalid_key;
      default:
        break;
    }
    return boost::system::error_category::equivalent(code, cond);
  }
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

// The IETF ChaCha20-Poly1305 of the Noise transport: OpenSSL's EVP for large
// frames (its AVX-512/AVX2 code is about 2x libsodium 1.0.18's per byte on
// this machine, docs/benchmarks.md), libsodium below kEvpMinBytes, where
// EVP's per-call setup dominates (a 512-byte frame: 0.47 us with libsodium,
// 0.87 us with EVP). Both compute the same RFC 8439 construction; a test
// checks them against each other. One EVP context per thread, re-keyed per
// call, with the cipher fetched once (an implicit fetch per call costs
// another 0.4 us).
namespace {
constexpr std::size_t kEvpMinBytes = 2048;
struct EvpContext {
  EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
  ~EvpContext() { EVP_CIPHER_CTX_free(ctx); }
};
EVP_CIPHER_CTX* evp_context() {
  thread_local EvpContext c;
  if (c.ctx == nullptr) throw std::bad_alloc();
  return c.ctx;
}
const EVP_CIPHER* evp_cipher() {
  static EVP_CIPHER* cipher = EVP_CIPHER_fetch(nullptr, "ChaCha20-Poly1305", nullptr);  // never freed
  if (cipher == nullptr) throw std::runtime_error("OpenSSL has no ChaCha20-Poly1305");
  return cipher;
}
}  // namespace

void chacha20poly1305_encrypt(const SymmetricKey& key, std::uint64_t nonce, std::span<const std::uint8_t> ad,
                              std::span<const std::uint8_t> plaintext, std::uint8_t* out) {
  if (plaintext.size() < kEvpMinBytes) {
    chacha20poly1305_encrypt_libsodium(key, nonce, ad, plaintext, out);
    return;
  }
  const auto npub = ietf_nonce(nonce);
  auto* ctx = evp_context();
  int len = 0;
  bool ok = EVP_EncryptInit_ex(ctx, evp_cipher(), nullptr, key.data(), npub.data()) == 1;
  if (ok && !ad.empty()) ok = EVP_EncryptUpdate(ctx, nullptr, &len, ad.data(), static_cast<int>(ad.size())) == 1;
  if (ok) ok = EVP_EncryptUpdate(ctx, out, &len, plaintext.data(), static_cast<int>(plaintext.size())) == 1;
  if (ok) ok = EVP_EncryptFinal_ex(ctx, out + plaintext.size(), &len) == 1;
  if (ok) {
    ok = EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, static_cast<int>(kAeadTagSize), out + plaintext.size()) == 1;
  }
  if (!ok) throw std::runtime_error("ChaCha20-Poly1305 encryption failed");
}

bool chacha20poly1305_decrypt(const SymmetricKey& key, std::uint64_t nonce, std::span<const std::uint8_t> ad,
                              std::span<const std::uint8_t> ciphertext, std::uint8_t* out) {
  if (ciphertext.size() < kAeadTagSize) return false;
  const auto npub = ietf_nonce(nonce);
  const std::size_t n = ciphertext.size() - kAeadTagSize;
  std::array<std::uint8_t, kAeadTagSize> tag{};
  std::memcpy(tag.data(), ciphertext.data() + n, kAeadTagSize);  // `out` may overwrite the ciphertext
  if (n < kEvpMinBytes) {
    ensure_init();
    // In place is allowed (out == ciphertext).
    if (crypto_aead_chacha20poly1305_ietf_decrypt_detached(out, nullptr, ciphertext.data(), n, tag.data(), ad.data(),
                                                           ad.size(), npub.data(), key.data()) == 0) {
      return true;
    }
    sodium_memzero(out, n);  // like the EVP path: `out` holds nothing of the input after a failure
    return false;
  }
  auto* ctx = evp_context();
  int len = 0;
  bool ok = EVP_DecryptInit_ex(ctx, evp_cipher(), nullptr, key.data(), npub.data()) == 1;
  if (ok && !ad.empty()) ok = EVP_DecryptUpdate(ctx, nullptr, &len, ad.data(), static_cast<int>(ad.size())) == 1;
  if (ok) ok = EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, static_cast<int>(kAeadTagSize), tag.data()) == 1;
  if (ok) ok = EVP_DecryptUpdate(ctx, out, &len, ciphertext.data(), static_cast<int>(n)) == 1;
  if (ok) ok = EVP_DecryptFinal_ex(ctx, out + n, &len) == 1;
  if (!ok) {
    sodium_memzero(out, n);  // never leave unauthenticated plaintext behind
    return false;
  }
  return true;
}

void chacha20poly1305_encrypt_libsodium(const SymmetricKey& key, std::uint64_t nonce,
                                        std::span<const std::uint8_t> ad, std::span<const std::uint8_t> plaintext,
                                        std::uint8_t* out) {
  ensure_init();
  const auto npub = ietf_nonce(nonce);
  unsigned long long clen = 0;
  crypto_aead_chacha20poly1305_ietf_encrypt(out, &clen, plaintext.data(), plaintext.size(), ad.data(), ad.size(),
                                            nullptr, npub.data(), key.data());
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

std::uint64_t siphash24(std::span<const std::uint8_t> data, const ShortHashKey& key) {
  static_assert(crypto_shorthash_siphash24_BYTES == 8 && crypto_shorthash_siphash24_KEYBYTES == 16);
  ensure_init();
  std::array<std::uint8_t, 8> out{};
  crypto_shorthash_siphash24(out.data(), data.data(), data.size(), key.data());
  std::uint64_t h = 0;
  std::memcpy(&h, out.data(), sizeof h);
  return h;
}

void random_bytes(std::span<std::uint8_t> out) {
  ensure_init();
  if (out.empty()) return;
  randombytes_buf(out.data(), out.size());
}

core::RequestId request_id_at(std::uint64_t unix_ms, std::span<const std::uint8_t, 10> rest) {
  core::RequestId::Bytes b{};
  for (std::size_t i = 0; i < 6; ++i) b[i] = static_cast<std::uint8_t>(unix_ms >> (8 * (5 - i)));
  std::memcpy(b.data() + 6, rest.data(), rest.size());
  return core::RequestId::from_array(b);
}

core::RequestId new_request_id() {
  std::array<std::uint8_t, 10> rest{};
  random_bytes(rest);
  const auto now = std::chrono::system_clock::now().time_since_epoch();
  return request_id_at(static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(now).count()),
                       rest);
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
