#include "wire/noise.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <fstream>
#include <sstream>

#include "core/hex.hpp"
#include "wire/error.hpp"

namespace agentmesh::wire::noise {
namespace {

std::span<const std::uint8_t> b(const std::string& s) { return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()}; }
std::string hex(const std::string& s) { return core::to_hex(b(s)); }
std::string unhex(std::string_view h) {
  auto v = core::from_hex(h).value();
  return {v.begin(), v.end()};
}
crypto::SymmetricKey key32(std::string_view h) {
  crypto::SymmetricKey k{};
  core::from_hex_into(h, k).value();
  return k;
}

// Vectors computed by node:crypto (tests/vectors/noise_xx.mjs), not by us.
class NoiseVectorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::ifstream in(std::string(AGENTMESH_VECTORS_DIR) + "/noise_xx.json");
    ASSERT_TRUE(in) << "missing tests/vectors/noise_xx.json";
    std::stringstream ss;
    ss << in.rdbuf();
    v_ = boost::json::parse(ss.str()).as_object();
  }
  std::string str(std::string_view a, std::string_view k = {}) const {
    const auto& x = k.empty() ? v_.at(a) : v_.at(a).at(k);
    return std::string(x.as_string());
  }
  crypto::SigningKey identity(std::string_view who) const {
    return crypto::SigningKey::from_seed(b(unhex(str(who, "identity_seed")))).value();
  }
  std::unique_ptr<Handshake> make(Handshake::Role role, const crypto::SigningKey& id, std::string_view who,
                                   std::optional<core::PeerId> expected = std::nullopt) const {
    return std::make_unique<Handshake>(role, id, crypto::X25519KeyPair::from_secret(key32(str(who, "static_secret"))),
                                       crypto::X25519KeyPair::from_secret(key32(str(who, "ephemeral_secret"))),
                                       expected);
  }
  boost::json::object v_;
};

TEST_F(NoiseVectorTest, HandshakeMessagesMatchTheIndependentImplementation) {
  auto id_i = identity("initiator");
  auto id_r = identity("responder");
  auto init = make(Handshake::Role::initiator, id_i, "initiator");
  auto resp = make(Handshake::Role::responder, id_r, "responder");

  auto m1 = init->write_message().value();
  EXPECT_EQ(hex(m1), str("msg1"));
  ASSERT_TRUE(resp->read_message(b(m1)));
  auto m2 = resp->write_message().value();
  EXPECT_EQ(hex(m2), str("msg2"));
  ASSERT_TRUE(init->read_message(b(m2)));
  auto m3 = init->write_message().value();
  EXPECT_EQ(hex(m3), str("msg3"));
  ASSERT_TRUE(resp->read_message(b(m3)));

  ASSERT_TRUE(init->done() && resp->done());
  EXPECT_EQ(init->remote_peer()->to_string(), core::PeerId::from_ed25519(id_r.public_key()).to_string());
  EXPECT_EQ(resp->remote_peer()->to_string(), "12D3KooWK99VoVxNE7XzyBwXEzW7xhK7Gpv85r9F3V3fyKSUKPH5");
  EXPECT_EQ(core::to_hex(init->handshake_hash()), str("handshake_hash"));
  EXPECT_EQ(init->handshake_hash(), resp->handshake_hash());

  auto ki = init->split();
  auto kr = resp->split();
  for (const auto& t : v_.at("transport").as_array()) {
    const auto& o = t.as_object();
    auto pt = unhex(o.at("plaintext").as_string());
    auto& sender = o.at("from").as_string() == "initiator" ? ki.send : kr.send;
    auto& receiver = o.at("from").as_string() == "initiator" ? kr.recv : ki.recv;
    std::string frame;
    ASSERT_TRUE(sender.seal(b(pt), frame));
    ASSERT_EQ(frame.size(), 2 + pt.size() + 16);
    EXPECT_EQ(hex(frame.substr(2)), std::string(o.at("ciphertext").as_string()));
    std::string opened;
    ASSERT_TRUE(receiver.open(b(frame.substr(2)), opened));
    EXPECT_EQ(opened, pt);
  }
}

TEST_F(NoiseVectorTest, ABadIdentitySignatureIsRejected) {
  auto id_i = identity("initiator");
  auto init = make(Handshake::Role::initiator, id_i, "initiator");
  ASSERT_TRUE(init->write_message());
  auto r = init->read_message(b(unhex(str("msg2_bad_signature"))));
  EXPECT_EQ(r.error(), error::bad_identity_signature);
  EXPECT_FALSE(init->remote_peer());
  EXPECT_FALSE(init->write_message());  // unusable after a failure
}

TEST_F(NoiseVectorTest, ADifferentPeerThanTheOneDialedIsRejected) {
  auto id_i = identity("initiator");
  auto other = crypto::SigningKey::generate();
  auto init = make(Handshake::Role::initiator, id_i, "initiator", core::PeerId::from_ed25519(other.public_key()));
  ASSERT_TRUE(init->write_message());
  EXPECT_EQ(init->read_message(b(unhex(str("msg2")))).error(), error::peer_id_mismatch);
}

TEST_F(NoiseVectorTest, ATamperedMessageFailsAuthentication) {
  auto id_i = identity("initiator");
  auto init = make(Handshake::Role::initiator, id_i, "initiator");
  ASSERT_TRUE(init->write_message());
  auto m2 = unhex(str("msg2"));
  m2[40] ^= 1;  // inside the encrypted static key
  EXPECT_EQ(init->read_message(b(m2)).error(), error::bad_noise_message);
  auto short_m2 = unhex(str("msg2")).substr(0, 60);
  auto init2 = make(Handshake::Role::initiator, id_i, "initiator");
  ASSERT_TRUE(init2->write_message());
  EXPECT_EQ(init2->read_message(b(short_m2)).error(), error::bad_noise_message);
}

TEST(NoiseTest, RandomKeysHandshakeAndChunkedTransport) {
  auto a = crypto::SigningKey::generate();
  auto c = crypto::SigningKey::generate();
  Handshake init(Handshake::Role::initiator, a, core::PeerId::from_ed25519(c.public_key()));
  Handshake resp(Handshake::Role::responder, c);
  EXPECT_FALSE(resp.our_turn());
  EXPECT_FALSE(resp.write_message());  // out of turn
  ASSERT_TRUE(resp.read_message(b(init.write_message().value())));
  ASSERT_TRUE(init.read_message(b(resp.write_message().value())));
  ASSERT_TRUE(resp.read_message(b(init.write_message().value())));
  ASSERT_EQ(*resp.remote_peer(), core::PeerId::from_ed25519(a.public_key()));

  auto ki = init.split();
  auto kr = resp.split();
  std::string big(200'000, 'x');
  for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>(i * 7);
  std::string wire;
  ASSERT_TRUE(ki.send.seal(b(big), wire));
  // 200000 bytes = 3 full frames of 65519 + one of 3443.
  std::string opened;
  std::size_t pos = 0, frames = 0;
  while (pos < wire.size()) {
    const std::size_t len = (static_cast<std::uint8_t>(wire[pos]) << 8) | static_cast<std::uint8_t>(wire[pos + 1]);
    ASSERT_LE(len, kMaxMessage);
    ASSERT_TRUE(kr.recv.open(b(wire.substr(pos + 2, len)), opened));
    pos += 2 + len;
    ++frames;
  }
  EXPECT_EQ(frames, 4u);
  EXPECT_EQ(opened, big);
  // A replayed frame fails: the receiver's nonce moved on.
  std::string again;
  EXPECT_EQ(kr.recv.open(b(wire.substr(2, kMaxMessage)), again).error(), error::decrypt_failed);
}

TEST(NoiseTest, NonceExhaustionRefusesToEncryptOrDecrypt) {
  TransportCipher c(crypto::SymmetricKey{});
  c.set_nonce_for_test(std::numeric_limits<std::uint64_t>::max() - 2);
  std::string out;
  ASSERT_TRUE(c.seal(b("x"), out));
  EXPECT_EQ(c.seal(b("y"), out).error(), error::nonce_exhausted);
  TransportCipher r(crypto::SymmetricKey{});
  r.set_nonce_for_test(std::numeric_limits<std::uint64_t>::max() - 1);
  std::string plain;
  EXPECT_EQ(r.open(b(out.substr(2)), plain).error(), error::nonce_exhausted);
}

TEST(NoiseTest, ALowOrderEphemeralKeyFailsTheHandshake) {
  auto c = crypto::SigningKey::generate();
  Handshake resp(Handshake::Role::responder, c);
  ASSERT_TRUE(resp.read_message(b(std::string(32, '\0'))));
  EXPECT_EQ(resp.write_message().error(), error::bad_dh_key);
}

TEST(NoiseTest, PayloadCodecRoundTripsAndRejectsGarbage) {
  HandshakePayload p;
  p.identity_key = "k";
  p.identity_sig = "s";
  p.stream_muxers = {"/yamux/1.0.0"};
  auto d = decode_payload(b(encode_payload(p))).value();
  EXPECT_EQ(d.identity_key, "k");
  EXPECT_EQ(d.stream_muxers, std::vector<std::string>{"/yamux/1.0.0"});
  EXPECT_EQ(decode_payload(b(std::string("\x0a\x05" "ab", 4))).error(), error::bad_protobuf);
  EXPECT_EQ(decode_payload(b(std::string(kMaxPayload + 1, '\0'))).error(), error::bad_protobuf);
}

}  // namespace
}  // namespace agentmesh::wire::noise
