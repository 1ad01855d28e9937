#include "direct/relay_limiter.hpp"

#include <gtest/gtest.h>

#include "crypto/crypto.hpp"

namespace agentmesh::direct {
namespace {

core::PeerId peer() { return core::PeerId::from_ed25519(crypto::SigningKey::generate().public_key()); }

int admitted(RelayLimiter& l, const core::PeerId& p, int n, std::int64_t now) {
  int ok = 0;
  for (int i = 0; i < n; ++i) ok += l.admit(p, now) == RelayLimiter::Verdict::pass;
  return ok;
}

TEST(RelayLimiterTest, EachAuthorGetsItsBurstThenItsRate) {
  RelayLimiter l(RelayLimits{.author_rate = 10, .author_burst = 20, .total_rate = 1'000, .total_burst = 1'000});
  const auto a = peer();
  const auto b = peer();
  EXPECT_EQ(admitted(l, a, 25, 1'000), 20);
  EXPECT_EQ(l.admit(a, 1'000), RelayLimiter::Verdict::author_limited);
  EXPECT_EQ(admitted(l, b, 5, 1'000), 5);  // another author is not held back by a
  EXPECT_EQ(admitted(l, a, 5, 1'099), 0);  // 0.99 of a token
  EXPECT_EQ(admitted(l, a, 5, 1'100), 1);
  EXPECT_EQ(admitted(l, a, 100, 3'100), 20);  // refilled to the burst, not beyond
  EXPECT_EQ(admitted(l, a, 1, 2'000), 0);     // a clock stepping back refills nothing
}

TEST(RelayLimiterTest, AllAuthorsTogetherAreHeldToTheTotal) {
  RelayLimiter l(RelayLimits{.author_rate = 100, .author_burst = 10, .total_rate = 10, .total_burst = 25});
  int ok = 0;
  for (int i = 0; i < 5; ++i) ok += admitted(l, peer(), 10, 0);
  EXPECT_EQ(ok, 25);
  EXPECT_EQ(l.admit(peer(), 0), RelayLimiter::Verdict::total_limited);
  EXPECT_EQ(admitted(l, peer(), 10, 1'000), 10);  // a second: 10 more
}

TEST(RelayLimiterTest, MemoryIsBoundedByMaxAuthors) {
  RelayLimiter l(RelayLimits{.author_rate = 1, .author_burst = 5, .total_rate = 1e9, .total_burst = 1e9,
                             .max_authors = 8});
  const auto busy = peer();
  EXPECT_EQ(admitted(l, busy, 5, 0), 5);  // empty: cannot be forgotten for a fresh full bucket
  for (int i = 0; i < 100; ++i) (void)l.admit(peer(), 1 + i);
  EXPECT_LE(l.authors(), 8u);
  // The busy author was the least recently used: forgotten (a fresh bucket).
  EXPECT_EQ(admitted(l, busy, 5, 101), 5);
  // Idle authors that
  // refilled go first while any exist, so a flood of new ids cannot reset a
  // recently used empty bucket while refilled ones remain.
  RelayLimiter m(RelayLimits{.author_rate = 1, .author_burst = 5, .total_rate = 1e9, .total_burst = 1e9,
                             .max_authors = 3});
  const auto x = peer();
  const auto idle = peer();
  EXPECT_EQ(admitted(m, idle, 1, 0), 1);
  EXPECT_EQ(admitted(m, x, 5, 10'000), 5);  // x: empty at 10 s; idle: refilled by then
  (void)m.admit(peer(), 10'000);           // 3 authors
  (void)m.admit(peer(), 10'000);           // at the limit: idle goes, not x
  EXPECT_EQ(m.authors(), 3u);
  EXPECT_EQ(m.admit(x, 10'000), RelayLimiter::Verdict::author_limited);
}

}  // namespace
}  // namespace agentmesh::direct
