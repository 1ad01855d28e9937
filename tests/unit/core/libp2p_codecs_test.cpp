// varint, base58/base32, PeerId and multiaddr: spec vectors and round trips.
#include <gtest/gtest.h>

#include "core/base58.hpp"
#include "core/error.hpp"
#include "core/hex.hpp"
#include "core/multiaddr.hpp"
#include "core/peer_id.hpp"
#include "core/varint.hpp"
#include "crypto/crypto.hpp"

namespace agentmesh::core {
namespace {

std::span<const std::uint8_t> b(const std::string& s) { return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()}; }
std::string unhex(std::string_view h) {
  auto v = from_hex(h).value();
  return {v.begin(), v.end()};
}

TEST(VarintTest, SpecExamplesRoundTrip) {
  // multiformats/unsigned-varint examples.
  const std::pair<std::uint64_t, std::string> cases[] = {
      {1, "01"}, {127, "7f"}, {128, "8001"}, {255, "ff01"}, {300, "ac02"}, {16384, "808001"}};
  for (const auto& [value, hex] : cases) {
    std::string enc;
    append_uvarint(enc, value);
    EXPECT_EQ(to_hex(b(enc)), hex);
    auto dec = read_uvarint(b(enc));
    ASSERT_TRUE(dec);
    EXPECT_EQ(dec->value, value);
    EXPECT_EQ(dec->size, enc.size());
  }
}

TEST(VarintTest, RejectsNonMinimalTruncatedAndTooLong) {
  EXPECT_EQ(read_uvarint(b(unhex("8000"))).error(), error::invalid_varint);
  EXPECT_EQ(read_uvarint(b(unhex("80"))).error(), error::invalid_varint);
  EXPECT_EQ(read_uvarint(b(unhex("ffffffffffffffffff01"))).error(), error::invalid_varint);  // 10 bytes
  EXPECT_EQ(read_uvarint({}).error(), error::invalid_varint);
}

TEST(LpFrameTest, ChecksTheLengthBeforeReading) {
  std::string frame;
  append_lp(frame, "/multistream/1.0.0\n");
  EXPECT_EQ(to_hex(b(frame)).substr(0, 2), "13");
  auto r = read_lp(b(frame), 1024);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->size, frame.size());
  EXPECT_EQ(read_lp(b(frame), 5).error(), error::out_of_range);                   // over the limit
  EXPECT_EQ(read_lp(b(frame.substr(0, 5)), 1024).error(), error::out_of_range);   // incomplete
}

TEST(Base58Test, KnownVectorsAndLeadingZeros) {
  EXPECT_EQ(base58_encode("Hello World!"), "2NEpo7TZRRrLZSi2U");
  EXPECT_EQ(base58_encode(std::string("\0\0\x01", 3)), "112");
  EXPECT_EQ(base58_decode("112").value(), std::string("\0\0\x01", 3));
  EXPECT_EQ(base58_decode("2NEpo7TZRRrLZSi2U").value(), "Hello World!");
  EXPECT_FALSE(base58_decode("0OIl"));  // not in the alphabet
}

TEST(Base32Test, Rfc4648LowercaseNoPadding) {
  EXPECT_EQ(base32_encode("foobar"), "mzxw6ytboi");
  EXPECT_EQ(base32_decode("mzxw6ytboi").value(), "foobar");
  EXPECT_EQ(base32_decode("my").value(), "f");
  EXPECT_FALSE(base32_decode("MZXW"));  // uppercase is another multibase
  EXPECT_FALSE(base32_decode("mz"));    // non-zero trailing bits
}

TEST(PeerIdTest, SpecVectorSeed01) {
  std::array<std::uint8_t, 32> seed;
  seed.fill(0x01);
  const auto key = crypto::SigningKey::from_seed(seed).value();
  const auto id = PeerId::from_ed25519(key.public_key());
  EXPECT_EQ(id.to_string(), "12D3KooWK99VoVxNE7XzyBwXEzW7xhK7Gpv85r9F3V3fyKSUKPH5");
  EXPECT_EQ(id.multihash().size(), 38u);
  EXPECT_EQ(to_hex(b(id.public_key_protobuf())).substr(0, 8), "08011220");
  // Both text forms parse back to the same id.
  EXPECT_EQ(PeerId::parse(id.to_string()).value(), id);
  EXPECT_EQ(id.to_cid().front(), 'b');
  EXPECT_EQ(PeerId::parse(id.to_cid()).value(), id);
  EXPECT_EQ(PeerId::from_multihash(b(id.multihash())).value(), id);
  EXPECT_EQ(PeerId::from_public_key_protobuf(b(id.public_key_protobuf())).value(), id);
}

TEST(PeerIdTest, RejectsOtherKeyTypesClearly) {
  // An RSA-style id: sha2-256 multihash ("Qm...").
  EXPECT_EQ(PeerId::parse("QmYyQSo1c1Ym7orWxLYvCrM2EmxFTANf8wXmmE7DWjhx5N").error(), error::unsupported_key_type);
  // A secp256k1 PublicKey protobuf (Type = 2) inlined with the identity hash.
  std::string pb = unhex("0802122102") + std::string(32, '\x11');
  std::string mh = std::string(1, '\0');
  append_uvarint(mh, pb.size());
  mh += pb;
  EXPECT_EQ(PeerId::from_multihash(b(mh)).error(), error::unsupported_key_type);
  EXPECT_FALSE(PeerId::parse(""));
  EXPECT_FALSE(PeerId::parse("12D3KooW"));
  EXPECT_FALSE(PeerId::from_multihash(b(unhex("0024"))));
}

TEST(MultiaddrTest, TextAndBinaryRoundTrip) {
  // The multiaddr spec's example: /ip4/127.0.0.1/tcp/40001 = 04 7f000001 06 9c41.
  auto a = Multiaddr::parse("/ip4/127.0.0.1/tcp/40001");
  ASSERT_TRUE(a);
  EXPECT_EQ(to_hex(b(a->to_bytes())), "047f000001069c41");
  EXPECT_EQ(Multiaddr::from_bytes(b(a->to_bytes())).value(), *a);
  EXPECT_EQ(a->tcp_port(), 40001);
  EXPECT_FALSE(a->peer_id());

  const std::string full = "/ip4/127.0.0.1/tcp/4001/p2p/12D3KooWK99VoVxNE7XzyBwXEzW7xhK7Gpv85r9F3V3fyKSUKPH5";
  auto f = Multiaddr::parse(full);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->to_string(), full);
  EXPECT_EQ(f->peer_id()->to_string(), "12D3KooWK99VoVxNE7XzyBwXEzW7xhK7Gpv85r9F3V3fyKSUKPH5");
  EXPECT_EQ(to_hex(b(f->to_bytes())).substr(16, 4), "a503");  // p2p code 0x01a5
  EXPECT_EQ(Multiaddr::from_bytes(b(f->to_bytes()))->to_string(), full);
  EXPECT_EQ(f->without_peer_id().to_string(), "/ip4/127.0.0.1/tcp/4001");
  EXPECT_EQ(a->with_peer_id(*f->peer_id()).to_string(), "/ip4/127.0.0.1/tcp/40001/p2p/" + f->peer_id()->to_string());
  // The old /ipfs/ name parses and prints as /p2p/.
  EXPECT_EQ(Multiaddr::parse("/ipfs/12D3KooWK99VoVxNE7XzyBwXEzW7xhK7Gpv85r9F3V3fyKSUKPH5")->to_string().substr(0, 5),
            "/p2p/");

  for (const std::string text : {"/ip6/::1/tcp/0", "/dns4/example.test/tcp/443", "/dns6/h/tcp/1", "/dns/h"}) {
    auto m = Multiaddr::parse(text);
    ASSERT_TRUE(m) << text;
    EXPECT_EQ(m->to_string(), text);
    EXPECT_EQ(Multiaddr::from_bytes(b(m->to_bytes()))->to_string(), text);
  }
}

TEST(MultiaddrTest, CircuitAddressesNameTheirTargetLast) {
  const std::string relay = "12D3KooWK99VoVxNE7XzyBwXEzW7xhK7Gpv85r9F3V3fyKSUKPH5";
  const std::string target = PeerId::from_ed25519(crypto::SigningKey::generate().public_key()).to_string();
  const std::string text = "/ip4/127.0.0.1/tcp/4001/p2p/" + relay + "/p2p-circuit/p2p/" + target;
  auto c = Multiaddr::parse(text);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->to_string(), text);
  EXPECT_EQ(c->components().size(), 5u);
  EXPECT_EQ(c->peer_id()->to_string(), target);
  // p2p-circuit is code 0x0122 with no value: a2 02, right after the relay's id.
  const auto hex = to_hex(b(c->to_bytes()));
  EXPECT_NE(hex.find("a202a503"), std::string::npos) << hex;
  EXPECT_EQ(Multiaddr::from_bytes(b(c->to_bytes()))->to_string(), text);
  EXPECT_EQ(c->without_peer_id().to_string(), "/ip4/127.0.0.1/tcp/4001/p2p/" + relay + "/p2p-circuit");
  EXPECT_EQ(c->without_peer_id().peer_id()->to_string(), relay);
  EXPECT_FALSE(Multiaddr::parse("/ip4/1.2.3.4/p2p-circuit/"));
  EXPECT_FALSE(Multiaddr::parse("/p2p-circuit/x"));
}

TEST(MultiaddrTest, RejectsMalformedAddresses) {
  for (const std::string bad : {"", "/", "ip4/1.2.3.4", "/ip4/1.2.3.4/", "/ip4/1.2.3", "/ip4/1.2.3.4/tcp",
                                "/ip4/1.2.3.4/tcp/65536", "/ip4/1.2.3.4/tcp/-1", "/ip4/1.2.3.4/tcp/80x",
                                "/udp/1", "/ip6/1.2.3.4", "/dns4/a b", "/p2p/notapeer", "//"}) {
    EXPECT_FALSE(Multiaddr::parse(bad)) << bad;
  }
  EXPECT_FALSE(Multiaddr::from_bytes(b(unhex("047f0000"))));    // truncated ip4
  EXPECT_FALSE(Multiaddr::from_bytes(b(unhex("0691"))));        // unknown code
  EXPECT_FALSE(Multiaddr::from_bytes(b(unhex("3605616263"))));  // dns4 length beyond the end
  EXPECT_FALSE(Multiaddr::from_bytes({}));
  // Text whose binary form would exceed the limit (found by the fuzzer).
  std::string long_text;
  for (int i = 0; i < 5; ++i) long_text += "/dns4/" + std::string(250, 'g');
  EXPECT_FALSE(Multiaddr::parse(long_text));
}

}  // namespace
}  // namespace agentmesh::core
