// Router::heartbeat: promises, mesh and fanout maintenance, gossip, and the
// cache shifts. See router.hpp.

#include <algorithm>

#include "pubsub/router.hpp"

namespace agentmesh::pubsub {

void Router::heartbeat(Time now) {
  ++heartbeats_;
  score_.refresh(now);
  for (auto& [peer, state] : peers_) {
    state.ihaves_this_heartbeat = 0;
    state.ids_asked_this_heartbeat = 0;
  }
  check_promises(now);
  for (const auto& topic : joined_) maintain_mesh(topic, now);
  maintain_fanout(now);
  emit_gossip(now);
  mcache_.shift();
  seen_.expire(now);
  // Backoffs expire one heartbeat late (slack for clock skew, as js does).
  for (auto it = backoff_.begin(); it != backoff_.end();) {
    it = now >= it->second + config_.heartbeat ? backoff_.erase(it) : std::next(it);
  }
  flush();
}

void Router::check_promises(Time now) {
  for (auto it = promises_.begin(); it != promises_.end();) {
    auto& waiting = it->second;
    for (auto p = waiting.begin(); p != waiting.end();) {
      if (now >= p->second) {
        ++counters_.broken_promises;
        score_.penalty(p->first);  // P7
        p = waiting.erase(p);
      } else {
        ++p;
      }
    }
    it = waiting.empty() ? promises_.erase(it) : std::next(it);
  }
}

void Router::maintain_mesh(const std::string& topic, Time now) {
  auto& mesh = mesh_[topic];
  auto outbound = [&](const core::PeerId& p) {
    auto s = peers_.find(p);
    return s != peers_.end() && s->second.outbound;
  };
  // Negative peers leave the mesh. (Peers that left the topic are gone
  // already: handle_subscription.)
  for (const auto& p : std::vector<core::PeerId>(mesh.begin(), mesh.end())) {
    if (score_.score(p, now) < 0) {
      ++counters_.pruned_for_score;
      mesh_remove(topic, p, now);
      send_prune(p, topic, config_.prune_backoff, now, false);
    }
  }
  if (mesh.size() < config_.d_low) {
    for (const auto& p : candidates(topic, mesh, now, 0)) {
      if (mesh.size() >= config_.d) break;
      mesh_add(topic, p, now);
      send_graft(p, topic);
    }
  } else if (mesh.size() > config_.d_high) {
    // Keep D: the D_score best by score, then random ones, at least D_out
    // outbound; prune the rest.
    std::vector<core::PeerId> members(mesh.begin(), mesh.end());
    shuffle(members);  // random order among equal scores
    std::stable_sort(members.begin(), members.end(), [&](const core::PeerId& a, const core::PeerId& b) {
      return score_.score(a, now) > score_.score(b, now);
    });
    std::shuffle(members.begin() + static_cast<std::ptrdiff_t>(config_.d_score), members.end(), rng_);
    std::vector<core::PeerId> keep(members.begin(), members.begin() + static_cast<std::ptrdiff_t>(config_.d));
    std::size_t out_kept = static_cast<std::size_t>(std::count_if(keep.begin(), keep.end(), outbound));
    for (std::size_t i = config_.d; i < members.size() && out_kept < config_.d_out; ++i) {
      if (!outbound(members[i])) continue;
      // Replace the last non-outbound kept peer that is not one of the D_score best.
      for (std::size_t k = keep.size(); k-- > config_.d_score;) {
        if (!outbound(keep[k])) {
          keep[k] = members[i];
          ++out_kept;
          break;
        }
      }
    }
    const std::set<core::PeerId> kept(keep.begin(), keep.end());
    for (const auto& p : members) {
      if (kept.contains(p)) continue;
      mesh_remove(topic, p, now);
      send_prune(p, topic, config_.prune_backoff, now, true);
    }
  }
  // Enough peers but too few outbound: graft outbound ones.
  const auto out_count = static_cast<std::size_t>(std::count_if(mesh.begin(), mesh.end(), outbound));
  if (mesh.size() >= config_.d_low && out_count < config_.d_out) {
    std::size_t need = config_.d_out - out_count;
    for (const auto& p : candidates(topic, mesh, now, 0, true)) {
      if (need == 0) break;
      mesh_add(topic, p, now);
      send_graft(p, topic);
      --need;
    }
  }
  if (config_.opportunistic_graft_ticks > 0 && heartbeats_ % config_.opportunistic_graft_ticks == 0) {
    opportunistic_graft(topic, now);
  }
}

// When the mesh's median score is below the threshold, graft a few peers
// that score above the median (v1.1: recovers from a mesh of poor peers).
void Router::opportunistic_graft(const std::string& topic, Time now) {
  auto& mesh = mesh_[topic];
  if (mesh.size() < 2) return;
  std::vector<double> scores;
  for (const auto& p : mesh) scores.push_back(score_.score(p, now));
  std::sort(scores.begin(), scores.end());
  const double median = scores[scores.size() / 2];
  if (median >= score_.thresholds().opportunistic_graft) return;
  std::size_t grafted = 0;
  for (const auto& p : candidates(topic, mesh, now, median)) {
    if (grafted >= config_.opportunistic_graft_peers) break;
    if (score_.score(p, now) <= median) continue;
    mesh_add(topic, p, now);
    send_graft(p, topic);
    ++grafted;
  }
}

void Router::maintain_fanout(Time now) {
  for (auto it = fanout_last_publish_.begin(); it != fanout_last_publish_.end();) {
    if (now - it->second > config_.fanout_ttl) {
      fanout_.erase(it->first);
      it = fanout_last_publish_.erase(it);
    } else {
      ++it;
    }
  }
  const double publish_threshold = score_.thresholds().publish;
  for (auto& [topic, fan] : fanout_) {
    auto t = topics_.find(topic);
    for (auto p = fan.begin(); p != fan.end();) {
      const bool keep = t != topics_.end() && t->second.contains(*p) && score_.score(*p, now) >= publish_threshold;
      p = keep ? std::next(p) : fan.erase(p);
    }
    if (fan.size() < config_.d) {
      for (const auto& p : candidates(topic, fan, now, publish_threshold)) {
        if (fan.size() >= config_.d) break;
        fan.insert(p);
      }
    }
  }
}

void Router::emit_gossip(Time now) {
  auto gossip_topic = [&](const std::string& topic, const std::set<core::PeerId>& exclude) {
    const auto ids = ihave_ids(topic);
    if (ids.empty()) return;
    const double gossip_threshold = score_.thresholds().gossip;
    auto eligible = candidates(topic, exclude, now, gossip_threshold);
    // Backoff does not stop gossip: add peers in backoff that are not excluded,
    // and draw from all of them (appended after the shuffled others, the same
    // peers in backoff would be cut off at every heartbeat).
    if (auto t = topics_.find(topic); t != topics_.end()) {
      for (const auto& p : t->second) {
        if (!exclude.contains(p) && in_backoff(topic, p, now) && score_.score(p, now) >= gossip_threshold) {
          eligible.push_back(p);
        }
      }
    }
    shuffle(eligible);
    const auto target = std::max(config_.d_lazy, static_cast<std::size_t>(config_.gossip_factor *
                                                                           static_cast<double>(eligible.size())));
    if (eligible.size() > target) eligible.erase(eligible.begin() + static_cast<std::ptrdiff_t>(target), eligible.end());
    for (const auto& p : eligible) {
      out(p).control.ihave.push_back({topic, ids});
      ++counters_.ihave_sent;
    }
  };
  for (const auto& [topic, mesh] : mesh_) {
    if (joined_.contains(topic)) gossip_topic(topic, mesh);
  }
  for (const auto& [topic, fan] : fanout_) gossip_topic(topic, fan);
}

}  // namespace agentmesh::pubsub
