#include "api/rate_history.hpp"

#include <gtest/gtest.h>

namespace agentmesh::api {
namespace {

constexpr core::UnixMs kStart = core::ManualClock::kDefaultStartMs;

TEST(RateHistoryTest, EachPointIsTheIncreaseOverItsInterval) {
  RateHistory h;
  h.add(kStart, {100, 10, 0});
  EXPECT_TRUE(h.points().empty()) << "one sample is no interval";
  h.add(kStart + 5'000, {150, 10, 5});
  h.add(kStart + 7'000, {150, 30, 5});
  ASSERT_EQ(h.points().size(), 2u);
  const auto& a = h.points()[0];
  EXPECT_EQ(a.at, kStart + 5'000);
  EXPECT_DOUBLE_EQ(a.accepted, 10.0);
  EXPECT_DOUBLE_EQ(a.delivered, 0.0);
  EXPECT_DOUBLE_EQ(a.published, 1.0);
  const auto& b = h.points()[1];
  EXPECT_DOUBLE_EQ(b.accepted, 0.0);
  EXPECT_DOUBLE_EQ(b.delivered, 10.0);
}

TEST(RateHistoryTest, ACounterThatWentDownChartsZeroNotANegativeRate) {
  RateHistory h;
  h.add(kStart, {100, 100, 100});
  h.add(kStart + 1'000, {40, 101, 100});
  ASSERT_EQ(h.points().size(), 1u);
  EXPECT_DOUBLE_EQ(h.points()[0].accepted, 0.0);
  EXPECT_DOUBLE_EQ(h.points()[0].delivered, 1.0);
  h.add(kStart + 2'000, {42, 101, 100});  // counts again from the lower value
  EXPECT_DOUBLE_EQ(h.points()[1].accepted, 2.0);
}

TEST(RateHistoryTest, KeepsFifteenMinutesAndNoMore) {
  RateHistory h;
  const std::int64_t step = RateHistory::kIntervalMs;
  for (std::uint64_t i = 0; i <= 20 * 60'000 / step; ++i)
    h.add(kStart + static_cast<std::int64_t>(i) * step, {i, i, i});
  const auto now = kStart + 20 * 60'000;
  ASSERT_EQ(h.points().size(), RateHistory::kMaxPoints);
  EXPECT_EQ(h.points().back().at, now);
  EXPECT_GE(h.points().front().at, now - RateHistory::kWindowMs);
  // A sample after a long pause: the points older than the window go.
  h.add(now + 10 * 60'000, {1'000, 1'000, 1'000});
  EXPECT_GE(h.points().front().at, now + 10 * 60'000 - RateHistory::kWindowMs);
  EXPECT_LT(h.points().size(), RateHistory::kMaxPoints);
}

TEST(RateHistoryTest, AClockThatWentBackStartsOver) {
  RateHistory h;
  h.add(kStart, {0, 0, 0});
  h.add(kStart + 5'000, {5, 0, 0});
  h.add(kStart + 1'000, {6, 0, 0});
  EXPECT_TRUE(h.points().empty());
  h.add(kStart + 2'000, {8, 0, 0});
  ASSERT_EQ(h.points().size(), 1u);
  EXPECT_DOUBLE_EQ(h.points()[0].accepted, 2.0);
}

TEST(RateHistoryTest, TotalsComeFromTheNodeAndTheListener) {
  node::Diagnostics d;
  d.messages.accepted = 7;
  d.pubsub.subscribers.published = 3;
  d.pubsub.router.published = 50;  // with the daemon's adverts and beacons: not charted
  ApiStats stats;
  stats.sse_events = 4;
  stats.ws_messages = 5;
  const auto t = rate_totals(d, stats);
  EXPECT_EQ(t.accepted, 7u);
  EXPECT_EQ(t.delivered, 9u);
  EXPECT_EQ(t.published, 3u);
}

}  // namespace
}  // namespace agentmesh::api
