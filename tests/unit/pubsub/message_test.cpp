#include "pubsub/message.hpp"

#include <gtest/gtest.h>

#include <random>
#include <set>

#include "pubsub/error.hpp"
#include "pubsub/message_cache.hpp"
#include "pubsub/replay_buffer.hpp"
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
  const auto encoded = wire::pubsub::encode_shared(m1);
  cache.put("a", "agents/test", encoded);
  cache.shift();
  cache.put("b", "agents/test", encoded);
  EXPECT_EQ(cache.gossip_ids("agents/test"), (std::vector<std::string>{"b", "a"}));
  cache.shift();
  EXPECT_EQ(cache.gossip_ids("agents/test"), (std::vector<std::string>{"b"}));  // "a" is 2 windows old
  ASSERT_NE(cache.get("a"), nullptr);                                       // but still served
  EXPECT_EQ(**cache.get("a"), wire::pubsub::encode_message(m1));
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

// The flat digest set against std::set, with many values sharing a home
// slot (low bits), wrapping around the end of the table, a zero (stored as 1,
// as documented), and growth.
TEST(PubsubCacheTest, DigestSetMatchesAModelThroughCollisionsDeletionsAndGrowth) {
  DigestSet set;
  std::set<std::uint64_t> model;
  std::mt19937_64 rng(7);
  auto value = [&] {
    const std::uint64_t home = rng() % 4 == 0 ? 1023 : rng() % 8;  // crowd a few slots, and the last one
    return (rng() % 64) << 10 | home;
  };
  for (int step = 0; step < 20000; ++step) {
    const auto v = step == 10 ? 0 : value();
    const auto modelled = v == 0 ? 1 : v;
    if (rng() % 3 == 0) {
      set.erase(v);
      model.erase(modelled);
    } else {
      EXPECT_EQ(set.insert(v), model.insert(modelled).second) << v;
    }
    if (step % 97 == 0) {
      for (std::uint64_t probe = 0; probe < 64; ++probe) {
        const auto p = probe << 10 | (probe % 8);
        ASSERT_EQ(set.contains(p), model.contains(p == 0 ? 1 : p)) << step << " " << p;
      }
    }
    ASSERT_EQ(set.size(), model.size());
  }
  for (const auto v : model) EXPECT_TRUE(set.contains(v));
  // Growth keeps everything.
  for (std::uint64_t i = 1; i <= 5000; ++i) set.insert(i * 0x9e3779b97f4a7c15ULL);
  for (std::uint64_t i = 1; i <= 5000; ++i) EXPECT_TRUE(set.contains(i * 0x9e3779b97f4a7c15ULL));
  for (const auto v : model) EXPECT_TRUE(set.contains(v));
}

TEST(ReplayBufferTest, KeepsByTopicAgeAndByteBudget) {
  auto msg = [](const std::string& topic, char c) {
    wire::pubsub::Message m;
    m.topic = topic;
    m.data = std::string(100, c);
    return m;
  };
  ReplayBuffer probe;
  probe.put(msg("a", 'x'), 0);
  const auto per_message = probe.bytes();  // what one such message is accounted as
  EXPECT_GT(per_message, 100u);
  ReplayConfig config;
  config.retention_ms = 10'000;
  config.max_bytes = 10 * per_message;  // room for ten
  config.max_per_request = 4;
  ReplayBuffer buf(config);
  for (int i = 0; i < 6; ++i) buf.put(msg(i % 2 ? "a" : "b", static_cast<char>('0' + i)), 1000 + i);
  auto a = buf.since("a", 0, 0);
  ASSERT_EQ(a.size(), 3u);  // 1, 3, 5, oldest first
  EXPECT_EQ(a[0].message->data->front(), '1');
  EXPECT_EQ(a[2].received_ms, 1005u);
  EXPECT_EQ(buf.since("a", 1002, 0).size(), 2u);
  EXPECT_EQ(buf.since("a", 0, 1).size(), 1u);
  for (int i = 6; i < 12; ++i) buf.put(msg("b", 'x'), 1000 + i);
  EXPECT_EQ(buf.since("b", 0, 0).size(), 4u);  // capped by max_per_request
  EXPECT_EQ(buf.size(), 10u);                  // the byte budget pushed the two oldest out
  EXPECT_EQ(buf.evicted(), 2u);
  EXPECT_LE(buf.bytes(), config.max_bytes);
  buf.expire(1005 + 10'001);  // everything up to 1005 is older than the retention
  EXPECT_TRUE(buf.since("a", 0, 0).empty());
  EXPECT_EQ(buf.size(), 6u);
}

}  // namespace
}  // namespace agentmesh::pubsub
