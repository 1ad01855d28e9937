#include "pubsub/score.hpp"

#include <gtest/gtest.h>

#include "crypto/crypto.hpp"

namespace agentmesh::pubsub {
namespace {

using namespace std::chrono_literals;
using Time = PeerScore::Time;

core::PeerId peer() { return core::PeerId::from_ed25519(crypto::SigningKey::generate().public_key()); }

TEST(PeerScoreTest, InvalidMessagesCostQuadraticallyAndDecay) {
  PeerScore s;
  const auto p = peer();
  const Time t0{};
  s.add_peer(p, "", t0);
  EXPECT_EQ(s.score(p, t0), 0);
  s.invalid_delivery(p, "t");
  EXPECT_DOUBLE_EQ(s.score(p, t0), -10);  // -10 * 1^2
  s.invalid_delivery(p, "t");
  EXPECT_DOUBLE_EQ(s.score(p, t0), -40);  // -10 * 2^2
  s.refresh(t0 + 1s);                     // decay 0.5: 1 invalid left
  EXPECT_DOUBLE_EQ(s.score(p, t0), -10);
  for (int i = 0; i < 10; ++i) s.refresh(t0 + 1s);
  EXPECT_EQ(s.score(p, t0), 0);  // below decay_to_zero: gone
}

TEST(PeerScoreTest, FirstDeliveriesAndTimeInMeshRaiseTheScore) {
  PeerScore s;
  const auto p = peer();
  const Time t0{};
  s.add_peer(p, "", t0);
  s.graft(p, "t", t0);
  EXPECT_NEAR(s.score(p, t0 + 5s), 0.5, 1e-9);    // 0.1 per second in mesh
  EXPECT_NEAR(s.score(p, t0 + 100s), 1.0, 1e-9);  // capped at 10 quanta
  for (int i = 0; i < 20; ++i) s.first_delivery(p, "t");
  EXPECT_NEAR(s.score(p, t0 + 100s), 11.0, 1e-9);  // first deliveries capped at 10
  s.prune(p, "t", t0 + 100s);
  EXPECT_NEAR(s.score(p, t0 + 100s), 10.0, 1e-9);
}

TEST(PeerScoreTest, BehaviourPenaltyAndRetentionAfterDisconnect) {
  PeerScore s;
  const auto p = peer();
  const Time t0{};
  s.add_peer(p, "", t0);
  s.penalty(p, 2);
  EXPECT_DOUBLE_EQ(s.score(p, t0), -40);  // -10 * 2^2
  s.remove_peer(p, t0);
  s.add_peer(p, "", t0 + 1s);  // reconnecting does not wash the score
  EXPECT_DOUBLE_EQ(s.score(p, t0 + 1s), -40);
  s.remove_peer(p, t0 + 1s);
  s.refresh(t0 + 2h);  // retained for an hour only
  EXPECT_EQ(s.tracked(), 0u);
  // A peer with nothing to remember is forgotten at once.
  const auto q = peer();
  s.add_peer(q, "", t0);
  s.remove_peer(q, t0);
  EXPECT_EQ(s.tracked(), 0u);
}

TEST(PeerScoreTest, IpColocationPenalisesPeersBeyondTheThresholdExceptLoopback) {
  PeerScore s;
  const Time t0{};
  std::vector<core::PeerId> same_ip;
  for (int i = 0; i < 12; ++i) {
    same_ip.push_back(peer());
    s.add_peer(same_ip.back(), "192.0.2.9", t0);
  }
  EXPECT_DOUBLE_EQ(s.score(same_ip[0], t0), -5 * 2 * 2);  // 12 on one IP, threshold 10
  const auto other = peer();
  s.add_peer(other, "192.0.2.10", t0);
  EXPECT_EQ(s.score(other, t0), 0);
  for (int i = 0; i < 12; ++i) s.add_peer(peer(), "127.0.0.1", t0);
  const auto local = peer();
  s.add_peer(local, "127.0.0.1", t0);
  EXPECT_EQ(s.score(local, t0), 0);  // loopback test beds are exempt
}

TEST(PeerScoreTest, MeshDeliveryDeficitWhenEnabled) {
  ScoreParams params;
  params.topic.mesh_deliveries_weight = -1;
  params.topic.mesh_deliveries_threshold = 2;
  params.topic.mesh_deliveries_activation = 5s;
  params.topic.time_in_mesh_weight = 0;
  PeerScore s(params);
  const auto p = peer();
  const Time t0{};
  s.add_peer(p, "", t0);
  s.graft(p, "t", t0);
  EXPECT_EQ(s.score(p, t0 + 4s), 0);               // not active yet
  EXPECT_DOUBLE_EQ(s.score(p, t0 + 6s), -4);       // deficit 2, squared
  s.first_delivery(p, "t");                        // counts as a mesh delivery too
  EXPECT_DOUBLE_EQ(s.score(p, t0 + 6s), 1 - 1);    // P2 +1, P3 deficit 1 -> -1
}

}  // namespace
}  // namespace agentmesh::pubsub
