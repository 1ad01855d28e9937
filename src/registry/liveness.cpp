#include "registry/liveness.hpp"

#include <algorithm>

namespace agentmesh::registry {

const char* presence_name(Presence p) {
  switch (p) {
    case Presence::online:
      return "online";
    case Presence::suspect:
      return "suspect";
    case Presence::offline:
      return "offline";
    case Presence::unknown:
      break;
  }
  return "unknown";
}

void Liveness::heard(const core::PeerId& peer, std::int64_t now_ms) {
  ++heard_;
  auto it = peers_.find(peer);
  if (it == peers_.end()) {
    if (peers_.size() >= config_.max_tracked) evict_one();
    Peer p;
    p.last_heard_ms = now_ms;
    p.mean_interval_ms = static_cast<double>(config_.beacon_interval.count());
    peers_.emplace(peer, p);
    return;
  }
  auto& p = it->second;
  const auto gap = static_cast<double>(std::max<std::int64_t>(now_ms - p.last_heard_ms, 0));
  // A gap longer than the offline threshold is an absence, not an interval.
  if (gap < static_cast<double>(config_.offline_after.count())) {
    p.mean_interval_ms = 0.9 * p.mean_interval_ms + 0.1 * std::max(gap, 1.0);
  }
  p.last_heard_ms = std::max(p.last_heard_ms, now_ms);
  p.disconnected_ms = -1;
  p.reported = Presence::online;
}

void Liveness::disconnected(const core::PeerId& peer, std::int64_t now_ms) {
  auto it = peers_.find(peer);
  if (it != peers_.end()) it->second.disconnected_ms = now_ms;
}

Presence Liveness::judge(const Peer& p, std::int64_t now_ms) const {
  const auto silence = static_cast<double>(now_ms - p.last_heard_ms);
  const double offline =
      std::max(static_cast<double>(config_.offline_after.count()), kOfflineIntervals * p.mean_interval_ms);
  if (silence >= offline) return Presence::offline;
  const double suspect =
      std::max(static_cast<double>(config_.suspect_after.count()), kSuspectIntervals * p.mean_interval_ms);
  if (silence >= suspect || p.disconnected_ms >= 0) return Presence::suspect;
  return Presence::online;
}

Presence Liveness::observe(const Peer& p, std::int64_t now_ms) const {
  const auto now = judge(p, now_ms);
  if (now != p.reported) {
    if (now == Presence::suspect) ++became_suspect_;
    if (now == Presence::offline) ++became_offline_;
    p.reported = now;
  }
  return now;
}

Presence Liveness::presence(const core::PeerId& peer, std::int64_t now_ms) const {
  auto it = peers_.find(peer);
  return it == peers_.end() ? Presence::unknown : observe(it->second, now_ms);
}

void Liveness::tick(std::int64_t now_ms) {
  for (auto it = peers_.begin(); it != peers_.end();) {
    const auto& p = it->second;
    const auto now = observe(p, now_ms);
    if (now == Presence::offline && now_ms - p.last_heard_ms > config_.keep_offline.count()) {
      it = peers_.erase(it);
    } else {
      ++it;
    }
  }
}

LivenessStats Liveness::stats(std::int64_t now_ms) const {
  LivenessStats s;
  s.tracked = peers_.size();
  for (const auto& [peer, p] : peers_) {
    const auto now = observe(p, now_ms);
    if (now == Presence::suspect) ++s.suspect;
    if (now == Presence::offline) ++s.offline;
  }
  s.heard = heard_;
  s.became_suspect = became_suspect_;
  s.became_offline = became_offline_;
  return s;
}

void Liveness::evict_one() {
  auto oldest = peers_.begin();
  for (auto it = peers_.begin(); it != peers_.end(); ++it) {
    if (it->second.last_heard_ms < oldest->second.last_heard_ms) oldest = it;
  }
  if (oldest != peers_.end()) peers_.erase(oldest);
}

}  // namespace agentmesh::registry
