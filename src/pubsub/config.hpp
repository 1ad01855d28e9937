#pragma once
// GossipConfig: gossipsub v1.1 parameters. Defaults are the spec's
// "reasonable defaults", which are also js-libp2p's.

#include <chrono>
#include <cstddef>
#include <cstdint>

#include "pubsub/score.hpp"

namespace agentmesh::pubsub {

using std::chrono::milliseconds;

struct GossipConfig {
  // Mesh degree: target, low and high water marks.
  std::size_t d = 6;
  std::size_t d_low = 4;
  std::size_t d_high = 12;
  // Peers to gossip to (IHAVE) per topic per heartbeat, at least.
  std::size_t d_lazy = 6;
  // Peers kept by score when the mesh is pruned from above D_high.
  std::size_t d_score = 4;
  // Outbound peers the mesh must keep (D_out < D_low, D_out <= D/2).
  std::size_t d_out = 2;
  milliseconds heartbeat{1000};
  // A fanout topic is forgotten this long after our last publish on it.
  milliseconds fanout_ttl{60'000};
  // Message cache: windows kept, and windows gossiped in IHAVE.
  std::size_t mcache_len = 5;
  std::size_t mcache_gossip = 3;
  // Message ids are remembered this long (duplicates are dropped).
  milliseconds seen_ttl{120'000};
  // Fraction of eligible peers gossiped to (when more than d_lazy).
  double gossip_factor = 0.25;
  // Backoff after a PRUNE (and after we leave a topic).
  milliseconds prune_backoff{60'000};
  milliseconds unsubscribe_backoff{10'000};
  // A GRAFT this soon after our PRUNE is flooding (extra penalty).
  milliseconds graft_flood_threshold{10'000};
  // Per peer per heartbeat: IHAVE messages accepted, and message ids asked for.
  std::size_t max_ihave_messages = 10;
  std::size_t max_ihave_length = 5000;
  // How often one peer may ask (IWANT) for the same message.
  std::size_t max_iwant_retransmissions = 3;
  // An IWANT we sent must be answered within this, or the peer broke a promise.
  milliseconds iwant_followup{3000};
  // Publish to every topic peer (above the publish threshold), not only the mesh.
  bool flood_publish = true;
  // Opportunistic grafting: every this many heartbeats, graft this many.
  std::size_t opportunistic_graft_ticks = 60;
  std::size_t opportunistic_graft_peers = 2;
  // Messages larger than this are rejected.
  // (a 1 MiB agent payload plus its envelope and binding fits)
  std::size_t max_message_bytes = 1024 * 1024 + 64 * 1024;
  // Peer exchange: a PRUNE we send to a peer that is not negative lists up to
  // prune_peers other peers of the topic (with their signed peer records when
  // we have them); PX we receive is acted on only from peers scoring at least
  // score.thresholds.accept_px.
  bool do_px = true;
  std::size_t prune_peers = 16;
  // Peer scoring (weights, decay, thresholds).
  ScoreParams score;
};

}  // namespace agentmesh::pubsub
