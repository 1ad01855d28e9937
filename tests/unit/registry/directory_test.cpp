#include "registry/directory.hpp"

#include <gtest/gtest.h>

#include "crypto/crypto.hpp"

namespace agentmesh::registry {
namespace {

DirectoryEntry entry(const core::AgentId& agent, std::uint64_t seq, std::vector<std::string> caps,
                     std::int64_t expires_ms = 10'000) {
  DirectoryEntry e(core::PeerId::from_ed25519(crypto::SigningKey::generate().public_key()));
  e.agent = agent;
  e.seq = seq;
  e.capabilities = std::move(caps);
  e.expires_ms = expires_ms;
  e.last_seen_ms = 1;
  return e;
}

TEST(DirectoryTest, NewerAdvertsReplaceOlderAndTheCapabilityIndexFollows) {
  Directory d;
  const auto a = crypto::SigningKey::generate().agent_id();
  const auto b = crypto::SigningKey::generate().agent_id();
  EXPECT_EQ(d.upsert(entry(a, 5, {"x", "y"})), Directory::Upsert::added);
  EXPECT_EQ(d.upsert(entry(b, 1, {"y"})), Directory::Upsert::added);
  EXPECT_EQ(d.with_capability("y").size(), 2u);
  EXPECT_EQ(d.upsert(entry(a, 5, {"z"})), Directory::Upsert::stale);
  EXPECT_EQ(d.upsert(entry(a, 4, {"z"})), Directory::Upsert::stale);
  EXPECT_TRUE(d.is_stale(a, 5));
  EXPECT_FALSE(d.is_stale(a, 6));
  EXPECT_EQ(d.upsert(entry(a, 6, {"z"})), Directory::Upsert::updated);
  EXPECT_TRUE(d.with_capability("x").empty());
  EXPECT_EQ(d.with_capability("y").size(), 1u);
  ASSERT_EQ(d.with_capability("z").size(), 1u);
  EXPECT_EQ(d.with_capability("z")[0]->agent, a);
  ASSERT_NE(d.find(a), nullptr);
  EXPECT_EQ(d.find(a)->seq, 6u);
  EXPECT_EQ(d.all().size(), 2u);
}

TEST(DirectoryTest, ExpiredEntriesGoOfflineThenDisappear) {
  DirectoryConfig config;
  config.keep_offline = std::chrono::milliseconds(1000);
  Directory d(config);
  const auto a = crypto::SigningKey::generate().agent_id();
  ASSERT_EQ(d.upsert(entry(a, 1, {"x"}, 10'000)), Directory::Upsert::added);
  EXPECT_TRUE(Directory::online(*d.find(a), 9'999));
  EXPECT_FALSE(Directory::online(*d.find(a), 10'000));
  EXPECT_EQ(d.expire(10'999), 0u);  // offline, kept
  EXPECT_NE(d.find(a), nullptr);
  EXPECT_EQ(d.expire(11'000), 1u);
  EXPECT_EQ(d.find(a), nullptr);
  EXPECT_TRUE(d.with_capability("x").empty());
}

TEST(DirectoryTest, BoundedNewAgentsAreRefusedKnownOnesStillUpdate) {
  DirectoryConfig config;
  config.max_entries = 1;
  Directory d(config);
  const auto a = crypto::SigningKey::generate().agent_id();
  const auto b = crypto::SigningKey::generate().agent_id();
  EXPECT_EQ(d.upsert(entry(a, 1, {})), Directory::Upsert::added);
  EXPECT_EQ(d.upsert(entry(b, 1, {})), Directory::Upsert::full);
  EXPECT_EQ(d.refused_full(), 1u);
  EXPECT_EQ(d.upsert(entry(a, 2, {})), Directory::Upsert::updated);
}

}  // namespace
}  // namespace agentmesh::registry
