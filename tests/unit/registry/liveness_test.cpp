#include "registry/liveness.hpp"

#include <gtest/gtest.h>

#include "crypto/crypto.hpp"

namespace agentmesh::registry {
namespace {

core::PeerId new_peer() { return core::PeerId::from_ed25519(crypto::SigningKey::generate().public_key()); }

// Beacons every second from t=0 to t=last (inclusive).
void beacons(Liveness& l, const core::PeerId& p, std::int64_t from, std::int64_t last, std::int64_t every = 1000) {
  for (std::int64_t t = from; t <= last; t += every) l.heard(p, t);
}

TEST(LivenessTest, UnknownUntilHeard) {
  Liveness l;
  EXPECT_EQ(l.presence(new_peer(), 0), Presence::unknown);
}

TEST(LivenessTest, SilenceMakesADaemonSuspectThenOffline) {
  Liveness l;
  auto p = new_peer();
  beacons(l, p, 0, 10'000);
  EXPECT_EQ(l.presence(p, 10'500), Presence::online);
  EXPECT_EQ(l.presence(p, 13'900), Presence::online);
  EXPECT_EQ(l.presence(p, 14'000), Presence::suspect);  // 4 s of silence: within the 5 s the issue allows
  EXPECT_EQ(l.presence(p, 21'900), Presence::suspect);
  EXPECT_EQ(l.presence(p, 22'000), Presence::offline);  // 12 s: within 15 s
  l.heard(p, 30'000);
  EXPECT_EQ(l.presence(p, 30'000), Presence::online);  // one beacon brings it back
}

TEST(LivenessTest, ALostConnectionIsSuspectAtOnceUntilTheNextBeacon) {
  Liveness l;
  auto p = new_peer();
  beacons(l, p, 0, 5'000);
  l.disconnected(p, 5'100);
  EXPECT_EQ(l.presence(p, 5'100), Presence::suspect);
  l.heard(p, 5'900);  // still beaconing through another path
  EXPECT_EQ(l.presence(p, 5'900), Presence::online);
}

TEST(LivenessTest, ThresholdsFollowASlowerBeaconInterval) {
  Liveness l;
  auto p = new_peer();
  beacons(l, p, 0, 120'000, 3000);  // a daemon configured to beacon every 3 s
  // The mean interval has moved towards 3 s: 4 intervals are ~12 s, not 4.
  EXPECT_EQ(l.presence(p, 120'000 + 6'000), Presence::online);
  EXPECT_EQ(l.presence(p, 120'000 + 13'000), Presence::suspect);
  EXPECT_EQ(l.presence(p, 120'000 + 37'000), Presence::offline);
}

TEST(LivenessTest, AnAbsenceDoesNotStretchTheThresholds) {
  Liveness l;
  auto p = new_peer();
  beacons(l, p, 0, 10'000);
  beacons(l, p, 100'000, 110'000);  // back after 90 s away
  EXPECT_EQ(l.presence(p, 114'000), Presence::suspect);
}

TEST(LivenessTest, TickCountsTransitionsAndForgetsLongOfflineDaemons) {
  LivenessConfig c;
  c.keep_offline = std::chrono::milliseconds(60'000);
  Liveness l(c);
  auto p = new_peer();
  auto q = new_peer();
  beacons(l, p, 0, 2'000);
  beacons(l, q, 0, 100'000);
  l.tick(7'000);
  l.tick(15'000);
  auto s = l.stats(15'000);
  EXPECT_EQ(s.tracked, 2u);
  EXPECT_EQ(s.offline, 1u);
  EXPECT_EQ(s.became_suspect, 1u);
  EXPECT_EQ(s.became_offline, 1u);
  l.tick(100'000);  // p offline for 98 s > keep_offline
  EXPECT_EQ(l.stats(100'000).tracked, 1u);
  EXPECT_EQ(l.presence(p, 100'000), Presence::unknown);
}

// Whoever reads a daemon as offline (the directory, diagnostics) also finds
// the transition counted, without waiting for the next tick.
TEST(LivenessTest, AReaderThatSeesOfflineSeesItCounted) {
  Liveness l;
  auto p = new_peer();
  beacons(l, p, 0, 2'000);
  EXPECT_EQ(l.presence(p, 20'000), Presence::offline);
  EXPECT_EQ(l.stats(20'000).became_offline, 1u);
  EXPECT_EQ(l.stats(20'000).became_suspect, 0u);  // went straight from online to offline as observed
  l.tick(21'000);
  EXPECT_EQ(l.stats(21'000).became_offline, 1u);  // counted once
  beacons(l, p, 22'000, 22'000);
  EXPECT_EQ(l.presence(p, 22'000), Presence::online);
  EXPECT_EQ(l.presence(p, 40'000), Presence::offline);
  EXPECT_EQ(l.stats(40'000).became_offline, 2u);
}

TEST(LivenessTest, TrackingIsBounded) {
  LivenessConfig c;
  c.max_tracked = 3;
  Liveness l(c);
  auto first = new_peer();
  l.heard(first, 0);
  for (int i = 1; i <= 3; ++i) l.heard(new_peer(), i);
  EXPECT_EQ(l.stats(10).tracked, 3u);
  EXPECT_EQ(l.presence(first, 10), Presence::unknown);  // the least recently heard went
}

}  // namespace
}  // namespace agentmesh::registry
