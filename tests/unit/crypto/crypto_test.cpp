#include "crypto/crypto.hpp"

#include <gtest/gtest.h>
#include <chrono>
#include <fstream>
#include <set>
#include <sys/stat.h>

#include "core/hex.hpp"
#include "crypto/error.hpp"
#include "crypto/key_file.hpp"
#include "testutil/testutil.hpp"

namespace agentmesh::crypto {
namespace {

std::vector<std::uint8_t> hex(std::string_view s) { return core::from_hex(s).value(); }

struct Rfc8032Vector {
  const char* secret;
  const char* public_key;
  const char* message;
  const char* signature;
};

// RFC 8032 section 7.1, TEST 1, TEST 2 and TEST 3.
const Rfc8032Vector kVectors[] = {
    {"9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
     "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", "",
     "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24"
     "655141438e7a100b"},
    {"4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
     "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c", "72",
     "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aee"
     "b00d291612bb0c00"},
    {"c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
     "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025", "af82",
     "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28d"
     "c027beceea1ec40a"},
};

TEST(Ed25519Test, Rfc8032Vectors) {
  for (const auto& v : kVectors) {
    auto key = SigningKey::from_seed(hex(v.secret));
    ASSERT_TRUE(key);
    EXPECT_EQ(core::to_hex(key->public_key()), v.public_key);
    EXPECT_EQ(key->agent_id().to_string(), v.public_key);
    const auto msg = hex(v.message);
    const auto sig = key->sign(msg);
    EXPECT_EQ(core::to_hex(sig), v.signature);
    EXPECT_TRUE(verify(key->public_key(), msg, sig));
  }
}

TEST(Ed25519Test, RejectsTamperedMessageOrSignature) {
  auto key = SigningKey::generate();
  const auto msg = as_bytes("agentmesh");
  auto sig = key.sign(msg);
  EXPECT_TRUE(verify(key.public_key(), msg, sig));
  EXPECT_FALSE(verify(key.public_key(), as_bytes("agentmesH"), sig));
  sig[0] ^= 1;
  EXPECT_FALSE(verify(key.public_key(), msg, sig));
  EXPECT_FALSE(verify(SigningKey::generate().public_key(), msg, key.sign(msg)));
}

TEST(Ed25519Test, SeedMustBe32Bytes) {
  std::vector<std::uint8_t> seed(31, 1);
  EXPECT_EQ(SigningKey::from_seed(seed).error(), error::invalid_key);
}

TEST(X25519Test, ConvertedKeysAgreeInBothDirections) {
  auto a = SigningKey::generate();
  auto b = SigningKey::generate();
  auto ab = x25519(a.to_x25519_secret(), ed25519_to_x25519(b.public_key()).value());
  auto ba = x25519(b.to_x25519_secret(), ed25519_to_x25519(a.public_key()).value());
  ASSERT_TRUE(ab && ba);
  EXPECT_EQ(*ab, *ba);
}

TEST(X25519Test, RejectsLowOrderPoint) {
  PublicKey zero{};
  auto a = SigningKey::generate();
  EXPECT_EQ(x25519(a.to_x25519_secret(), zero).error(), error::invalid_key);
}

TEST(AeadTest, SealOpenRoundTripAndTamperDetection) {
  SymmetricKey key{};
  random_bytes(key);
  const auto ad = as_bytes("header");
  auto sealed = seal(key, as_bytes("secret payload"), ad);
  EXPECT_EQ(sealed.size(), kAeadNonceSize + 14 + kAeadTagSize);
  auto opened = open(key, sealed, ad);
  ASSERT_TRUE(opened);
  EXPECT_EQ(std::string(opened->begin(), opened->end()), "secret payload");

  auto flipped = sealed;
  flipped[kAeadNonceSize + 3] ^= 0x40;
  EXPECT_EQ(open(key, flipped, ad).error(), error::decrypt_failed);
  EXPECT_EQ(open(key, sealed, as_bytes("other header")).error(), error::decrypt_failed);
  SymmetricKey other{};
  random_bytes(other);
  EXPECT_FALSE(open(other, sealed, ad));
  EXPECT_FALSE(open(key, std::span(sealed).first(10), ad));
  // Random nonces: sealing twice never repeats a ciphertext.
  EXPECT_NE(seal(key, as_bytes("x"), ad), seal(key, as_bytes("x"), ad));
}

TEST(HashTest, Sha256KnownAnswer) {
  EXPECT_EQ(core::to_hex(sha256(as_bytes("abc"))),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(HashTest, Blake2bKnownAnswer) {
  // RFC 7693 appendix A: BLAKE2b-512("abc").
  std::array<std::uint8_t, 64> out{};
  blake2b(out, as_bytes("abc"));
  EXPECT_EQ(core::to_hex(out),
            "ba80a53f981c4d0d6a2797b69f12f6e94c212f14685ac4b74b12bb6fdbffa2d17d87c5392aab792dc252d5de4533cc9518d38aa8db"
            "f1925ab92386edd4009923");
}

TEST(TokenTest, RandomTokensAreHexAndDistinct) {
  const auto a = random_token_hex();
  EXPECT_EQ(a.size(), 64u);
  EXPECT_TRUE(core::from_hex(a));
  EXPECT_NE(a, random_token_hex());
  EXPECT_TRUE(equal_constant_time(a, a));
  EXPECT_FALSE(equal_constant_time(a, random_token_hex()));
  EXPECT_FALSE(equal_constant_time(a, a.substr(1)));
}

// A request id begins with the millisecond it was made (so ids sort by time
// and share index pages), and the rest is random: ids made in the same
// millisecond differ, and so do their hashes (taken from the random end).
TEST(RequestIdTest, BeginWithTheirTimeAndDifferInTheRest) {
  const auto now_ms = [] {
    return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                          std::chrono::system_clock::now().time_since_epoch())
                                          .count());
  };
  const auto time_of = [](const core::RequestId& id) {
    std::uint64_t ms = 0;
    for (int i = 0; i < 6; ++i) ms = (ms << 8) | id.bytes()[i];
    return ms;
  };
  const auto before = now_ms();
  std::vector<core::RequestId> ids;
  for (int i = 0; i < 1000; ++i) ids.push_back(new_request_id());
  const auto after = now_ms();
  std::set<core::RequestId> distinct(ids.begin(), ids.end());
  std::set<std::size_t> hashes;
  for (const auto& id : ids) hashes.insert(std::hash<core::RequestId>{}(id));
  EXPECT_EQ(distinct.size(), ids.size());
  EXPECT_EQ(hashes.size(), ids.size());
  const std::array<std::uint8_t, 10> rest{0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8, 0xa9};
  EXPECT_EQ(request_id_at(0x010203040506, rest).to_string(), "010203040506a0a1a2a3a4a5a6a7a8a9");
  for (std::size_t i = 0; i < ids.size(); ++i) {
    EXPECT_GE(time_of(ids[i]), before);
    EXPECT_LE(time_of(ids[i]), after);
    if (i > 0) EXPECT_GE(time_of(ids[i]), time_of(ids[i - 1]));
  }
}

TEST(KeyFileTest, WritesPrivateFileAndLoadsTheSameKey) {
  testutil::TempDir dir;
  const auto path = dir.path() / "k.key";
  auto key = load_or_create_key(path);
  ASSERT_TRUE(key);
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto again = load_or_create_key(path);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->public_key(), key->public_key());
  // No temp files left behind by the atomic write.
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir.path()), {}), 1);
}

TEST(KeyFileTest, RejectsMalformedFile) {
  testutil::TempDir dir;
  const auto path = dir.path() / "bad.key";
  std::ofstream(path) << "not a key\n";
  EXPECT_EQ(load_key(path).error(), error::bad_key_file);
}

}  // namespace
}  // namespace agentmesh::crypto

namespace agentmesh::crypto {
namespace {

// The transport cipher (libsodium below 2 KiB, OpenSSL EVP from there)
// against libsodium's implementation of the same construction, at the sizes
// Noise uses, on both sides of the switch.
TEST(TransportAeadTest, OpenSslAndLibsodiumAgree) {
  for (std::size_t size : {0u, 1u, 16u, 1000u, 2047u, 2048u, 5000u, 65519u}) {
    SymmetricKey key{};
    random_bytes(key);
    std::vector<std::uint8_t> pt(size);
    random_bytes(pt);
    std::vector<std::uint8_t> ad(size % 40);
    random_bytes(ad);
    const std::uint64_t nonce = 0x0102030405060708ULL + size;
    std::vector<std::uint8_t> a(size + kAeadTagSize), b(size + kAeadTagSize);
    chacha20poly1305_encrypt(key, nonce, ad, pt, a.data());
    chacha20poly1305_encrypt_libsodium(key, nonce, ad, pt, b.data());
    EXPECT_EQ(a, b) << size;
    std::vector<std::uint8_t> back(size);
    ASSERT_TRUE(chacha20poly1305_decrypt(key, nonce, ad, a, back.data()));
    EXPECT_EQ(back, pt);
    // In place.
    ASSERT_TRUE(chacha20poly1305_decrypt(key, nonce, ad, a, a.data()));
    EXPECT_TRUE(std::equal(pt.begin(), pt.end(), a.begin()));
  }
}

// The SipHash-2-4 paper's test vector (appendix A): key 00..0f, message 00..0e.
TEST(ShortHashTest, SipHash24MatchesThePaper) {
  ShortHashKey key{};
  for (std::size_t i = 0; i < key.size(); ++i) key[i] = static_cast<std::uint8_t>(i);
  std::array<std::uint8_t, 15> message{};
  for (std::size_t i = 0; i < message.size(); ++i) message[i] = static_cast<std::uint8_t>(i);
  EXPECT_EQ(siphash24(message, key), 0xa129ca6149be45e5ULL);
  key[0] ^= 1;
  EXPECT_NE(siphash24(message, key), 0xa129ca6149be45e5ULL);
}

TEST(TransportAeadTest, TamperingWrongNonceOrAdFail) {
  SymmetricKey key{};
  random_bytes(key);
  for (std::size_t size : {100u, 3000u}) {  // both implementations
    std::vector<std::uint8_t> pt(size, 7), ct(size + kAeadTagSize), out(size, 0xee);
    const std::vector<std::uint8_t> ad{1, 2, 3};
    chacha20poly1305_encrypt(key, 5, ad, pt, ct.data());
    EXPECT_FALSE(chacha20poly1305_decrypt(key, 6, ad, ct, out.data()));
    EXPECT_FALSE(chacha20poly1305_decrypt(key, 5, {}, ct, out.data()));
    ct[50] ^= 1;
    EXPECT_FALSE(chacha20poly1305_decrypt(key, 5, ad, ct, out.data()));
    EXPECT_EQ(out, std::vector<std::uint8_t>(size, 0));  // no unauthenticated plaintext left behind
    EXPECT_FALSE(chacha20poly1305_decrypt(key, 5, ad, std::span<const std::uint8_t>(ct.data(), 15), out.data()));
  }
}

}  // namespace
}  // namespace agentmesh::crypto
