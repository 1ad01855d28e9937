#include "pubsub/message.hpp"

#include <gtest/gtest.h>

#include "pubsub/error.hpp"
#include "pubsub/message_cache.hpp"
#include "pubsub/seen_cache.hpp"

namespace agentmesh::pubsub {
namespace {

wire::pubsub::Message signed_message(const crypto::SigningKey& key, std::uint64_t seqno, std::string data = "hi") {
  wire::pubsub::Message m;
  m.topic = "agents/test";
  m.data = std::move(data);
  sign(m, key, seqno);
  return m;
}

TEST(PubsubMessageTest, SignVerifyAndTheJsMessageId) {
  auto key = crypto::SigningKey::generate();
  auto m = signed_message(key, 0x0102030405060708ULL);
  auto author = verify(m);
  ASSERT_TRUE(author) << author.error().message();
  EXPECT_EQ(*author, core::PeerId::from_ed25519(key.public_key()));
  EXPECT_EQ(*m.seqno, std::string("\x01\x02\x03\x04\x05\x06\x07\x08", 8));
  const auto id = message_id(m);
  EXPECT_EQ(id.size(), 44u);  // PublicKey protobuf (36) || seqno (8), js-libp2p's default
  EXPECT_EQ(id, author->public_key_protobuf() + *m.seqno);
  // An empty payload is still signed as present.
  EXPECT_TRUE(verify(signed_message(key, 1, "")));
}

TEST(PubsubMessageTest, StrictSignRejections) {
  auto key = crypto::SigningKey::generate();
  auto other = crypto::SigningKey::generate();
  auto m = signed_message(key, 1);
  auto tampered = m;
  tampered.data = "ho";
  EXPECT_EQ(verify(tampered).error(), error::bad_signature);
  auto short_seqno = m;
  short_seqno.seqno = std::string(7, '\0');
  EXPECT_EQ(verify(short_seqno).error(), error::bad_seqno);
  auto no_key = m;
  no_key.key.reset();
  EXPECT_EQ(verify(no_key).error(), error::unsigned_message);
  auto wrong_key = m;
  wrong_key.key = core::PeerId::from_ed25519(other.public_key()).public_key_protobuf();
  EXPECT_EQ(verify(wrong_key).error(), error::bad_author);
  auto retopic = m;
  retopic.topic = "other";
  EXPECT_EQ(verify(retopic).error(), error::bad_signature);
}

TEST(PubsubCacheTest, MessageCacheWindowsGossipAndRetransmissionCap) {
  auto key = crypto::SigningKey::generate();
  MessageCache cache(3, 2);
  auto m1 = signed_message(key, 1);
  cache.put("a", m1);
  cache.shift();
  cache.put("b", m1);
  EXPECT_EQ(cache.gossip_ids("agents/test"), (std::vector<std::string>{"b", "a"}));
  cache.shift();
  EXPECT_EQ(cache.gossip_ids("agents/test"), (std::vector<std::string>{"b"}));  // "a" is 2 windows old
  ASSERT_NE(cache.get("a"), nullptr);                                       // but still served
  const auto peer = core::PeerId::from_ed25519(key.public_key());
  for (int i = 0; i < 3; ++i) EXPECT_NE(cache.get_for_peer("b", peer, 3), nullptr);
  EXPECT_EQ(cache.get_for_peer("b", peer, 3), nullptr);
  cache.shift();
  EXPECT_EQ(cache.get("a"), nullptr);  // three shifts: gone
  EXPECT_EQ(cache.size(), 1u);
}

TEST(PubsubCacheTest, SeenCacheExpires) {
  SeenCache seen(std::chrono::seconds(120));
  const SeenCache::Time t0{};
  EXPECT_TRUE(seen.add("x", t0));
  EXPECT_FALSE(seen.add("x", t0 + std::chrono::seconds(1)));
  seen.expire(t0 + std::chrono::seconds(119));
  EXPECT_TRUE(seen.contains("x"));
  seen.expire(t0 + std::chrono::seconds(120));
  EXPECT_FALSE(seen.contains("x"));
  EXPECT_EQ(seen.size(), 0u);
}

}  // namespace
}  // namespace agentmesh::pubsub
