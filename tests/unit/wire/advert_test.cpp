#include "wire/advert.hpp"

#include <gtest/gtest.h>

#include "wire/error.hpp"

namespace agentmesh::wire::advert {
namespace {

std::span<const std::uint8_t> bytes(const std::string& s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

Advert sample(const crypto::SigningKey& agent) {
  Advert a(core::PeerId::from_ed25519(crypto::SigningKey::generate().public_key()));
  a.addrs = {core::Multiaddr::parse("/ip4/127.0.0.1/tcp/7782").value()};
  a.capabilities = {"translate", "summarize"};
  a.display_name = "Alice";
  a.seq = 1795000000000;
  a.expires_ms = 1795000180000;
  sign(a, agent);
  return a;
}

TEST(AdvertTest, SignedAdvertsRoundTripAndVerify) {
  auto key = crypto::SigningKey::generate();
  const auto a = sample(key);
  EXPECT_TRUE(verify(a));
  auto back = decode(bytes(encode(a)));
  ASSERT_TRUE(back);
  EXPECT_TRUE(verify(*back));
  EXPECT_EQ(back->peer, a.peer);
  EXPECT_EQ(back->capabilities, a.capabilities);
  EXPECT_EQ(back->addrs.at(0).to_string(), "/ip4/127.0.0.1/tcp/7782");
  EXPECT_EQ(back->seq, a.seq);
  EXPECT_EQ(core::AgentId::from_array(back->agent), key.agent_id());
}

TEST(AdvertTest, AnyChangedFieldOrAnotherSignerFailsVerification) {
  auto key = crypto::SigningKey::generate();
  const auto a = sample(key);
  auto check = [&](auto mutate) {
    auto b = a;
    mutate(b);
    return verify(b);
  };
  EXPECT_FALSE(check([](Advert& b) { b.capabilities.push_back("admin"); }));
  EXPECT_FALSE(check([](Advert& b) { b.display_name = "Mallory"; }));
  EXPECT_FALSE(check([](Advert& b) { b.seq += 1; }));
  EXPECT_FALSE(check([](Advert& b) { b.expires_ms += 1; }));
  EXPECT_FALSE(
      check([](Advert& b) { b.peer = core::PeerId::from_ed25519(crypto::SigningKey::generate().public_key()); }));
  EXPECT_FALSE(check([](Advert& b) { b.addrs.clear(); }));
  auto other = crypto::SigningKey::generate();
  EXPECT_FALSE(check([&](Advert& b) {
    const auto& pk = other.public_key();
    std::copy(pk.begin(), pk.end(), b.agent.begin());  // claims another agent, keeps the signature
  }));
}

TEST(AdvertTest, TheA2aProfileTravelsSignedAndBounded) {
  auto key = crypto::SigningKey::generate();
  auto a = sample(key);
  const auto plain = signing_bytes(a);
  a.a2a = R"({"enabled":true,"description":"Far away.","skills":[]})";
  EXPECT_NE(signing_bytes(a), plain);                // covered by the signature
  EXPECT_TRUE(signing_bytes(a).starts_with(plain));  // and without it, the bytes older daemons sign
  sign(a, key);
  auto back = decode(bytes(encode(a)));
  ASSERT_TRUE(back);
  EXPECT_EQ(back->a2a, a.a2a);
  EXPECT_TRUE(verify(*back));
  auto tampered = *back;
  tampered.a2a = R"({"enabled":true,"description":"Mallory.","skills":[]})";
  EXPECT_FALSE(verify(tampered));
  tampered.a2a.clear();  // stripped by a forwarder
  EXPECT_FALSE(verify(tampered));
  a.a2a.assign(kMaxA2aBytes + 1, 'x');
  sign(a, key);
  EXPECT_FALSE(decode(bytes(encode(a))));
}

TEST(AdvertTest, MalformedAndOversizedAdvertsAreRejected) {
  auto key = crypto::SigningKey::generate();
  auto a = sample(key);
  for (int i = 0; i < 65; ++i) a.capabilities.push_back("c" + std::to_string(i));
  EXPECT_EQ(decode(bytes(encode(a))).error(), error::bad_protobuf);
  a = sample(key);
  a.display_name = std::string(129, 'x');
  EXPECT_EQ(decode(bytes(encode(a))).error(), error::bad_protobuf);
  a = sample(key);
  a.capabilities.push_back("");
  EXPECT_EQ(decode(bytes(encode(a))).error(), error::bad_protobuf);
  EXPECT_EQ(decode(bytes(std::string(kMaxBytes + 1, '\x0a'))).error(), error::frame_too_large);
  EXPECT_EQ(decode(bytes("\xff\xff")).error(), error::bad_protobuf);
}

}  // namespace
}  // namespace agentmesh::wire::advert
