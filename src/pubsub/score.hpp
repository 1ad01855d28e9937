#pragma once
// PeerScore: gossipsub v1.1 peer scoring (spec: pubsub/gossipsub/
// gossipsub-v1.1.md, "The Score Function"), sans-I/O.
//
//   score = TopicCap( sum_t w_t * (w1 P1 + w2 P2 + w3 P3 + w3b P3b + w4 P4) )
//           + w5 P5 + w6 P6 + w7 P7
//
//   P1  time in mesh / quantum, capped          (positive weight)
//   P2  first message deliveries, capped, decays (positive)
//   P3  mesh delivery deficit squared, once active (negative; off by default)
//   P3b sticky deficit when pruned with a deficit (negative; off by default)
//   P4  invalid messages squared, decays         (negative)
//   P5  application score (a callback)
//   P6  surplus of peers on one IP, squared      (negative; loopback exempt)
//   P7  behaviour penalty above threshold, squared, decays (negative): broken
//       IWANT promises, GRAFTs during backoff
//
// Counters decay every refresh() (the heartbeat) and drop to zero below
// decay_to_zero. A disconnected peer's counters are kept for retain_score, so
// reconnecting does not wash a bad score.
//
// Defaults: js-libp2p's global weights and thresholds; for topics (js sets
// none), P1, P2 and P4 on for every topic and P3/P3b off (a mesh-delivery
// threshold punishes honest peers on quiet topics unless tuned per topic).

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>

#include "core/peer_id.hpp"

namespace agentmesh::pubsub {

struct TopicScoreParams {
  double topic_weight = 1.0;
  double time_in_mesh_weight = 0.1;
  std::chrono::milliseconds time_in_mesh_quantum{1000};
  double time_in_mesh_cap = 10.0;
  double first_deliveries_weight = 1.0;
  // Per heartbeat: a first delivery's weight halves in about 7 s, so a peer
  // that has been in the mesh 10 s and first-delivers a message a second or
  // more stays at 10 + 1 and passes accept_px (peer exchange).
  double first_deliveries_decay = 0.9;
  double first_deliveries_cap = 10.0;
  double mesh_deliveries_weight = 0.0;  // P3 off by default
  double mesh_deliveries_decay = 0.5;
  double mesh_deliveries_threshold = 1.0;
  double mesh_deliveries_cap = 10.0;
  std::chrono::milliseconds mesh_deliveries_activation{30'000};
  double mesh_failure_penalty_weight = 0.0;  // P3b off by default
  double mesh_failure_penalty_decay = 0.5;
  double invalid_deliveries_weight = -10.0;
  double invalid_deliveries_decay = 0.5;
};

struct ScoreThresholds {
  double gossip = -10;              // below: no gossip to or from the peer
  double publish = -50;             // below: our messages are not flood-published to it
  double graylist = -80;            // below: its RPCs are ignored
  double accept_px = 10;            // peer exchange accepted from peers at or above
  double opportunistic_graft = 20;  // median mesh score below: graft better peers
};

struct ScoreParams {
  TopicScoreParams topic;           // applied to every topic
  double topic_score_cap = 0;       // 0: no cap
  double app_specific_weight = 10;
  std::function<double(const core::PeerId&)> app_specific;  // P5 (0 when unset)
  double ip_colocation_weight = -5;
  double ip_colocation_threshold = 10;
  double behaviour_penalty_weight = -10;
  double behaviour_penalty_threshold = 0;
  double behaviour_penalty_decay = 0.2;
  double decay_to_zero = 0.1;
  std::chrono::milliseconds retain_score{3'600'000};
  ScoreThresholds thresholds;
};

class PeerScore {
 public:
  using Time = std::chrono::steady_clock::time_point;

  explicit PeerScore(ScoreParams params = {}) : params_(std::move(params)) {}

  // `ip`: the peer's address, for P6 (empty when unknown).
  void add_peer(const core::PeerId& peer, const std::string& ip, Time now);
  void remove_peer(const core::PeerId& peer, Time now);
  void graft(const core::PeerId& peer, const std::string& topic, Time now);
  void prune(const core::PeerId& peer, const std::string& topic, Time now);
  void first_delivery(const core::PeerId& peer, const std::string& topic);
  void invalid_delivery(const core::PeerId& peer, const std::string& topic);
  void penalty(const core::PeerId& peer, double count = 1);
  // Decays the counters and forgets peers disconnected longer than retain_score.
  void refresh(Time now);

  double score(const core::PeerId& peer, Time now) const;
  const ScoreThresholds& thresholds() const { return params_.thresholds; }
  std::size_t tracked() const { return peers_.size(); }

 private:
  struct TopicStats {
    bool in_mesh = false;
    Time grafted_at{};
    double first_deliveries = 0;
    double mesh_deliveries = 0;
    double mesh_failure_penalty = 0;
    double invalid_deliveries = 0;
  };
  struct Stats {
    bool connected = true;
    Time expires{};  // when disconnected
    std::string ip;
    std::map<std::string, TopicStats> topics;
    double behaviour_penalty = 0;
  };
  double decay(double v, double factor) const;

  ScoreParams params_;
  std::unordered_map<core::PeerId, Stats> peers_;
  std::unordered_map<std::string, std::size_t> peers_per_ip_;
};

}  // namespace agentmesh::pubsub
