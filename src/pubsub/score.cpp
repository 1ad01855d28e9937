#include "pubsub/score.hpp"

#include <algorithm>

namespace agentmesh::pubsub {

namespace {
bool loopback(const std::string& ip) { return ip.rfind("127.", 0) == 0 || ip == "::1"; }
}  // namespace

void PeerScore::add_peer(const core::PeerId& peer, const std::string& ip, Time) {
  auto& s = peers_[peer];  // a returning peer keeps its retained counters
  s.connected = true;
  s.ip = ip;
  if (!ip.empty() && !loopback(ip)) ++peers_per_ip_[ip];
}

void PeerScore::remove_peer(const core::PeerId& peer, Time now) {
  auto it = peers_.find(peer);
  if (it == peers_.end() || !it->second.connected) return;
  auto& s = it->second;
  if (!s.ip.empty() && !loopback(s.ip)) {
    if (auto ip = peers_per_ip_.find(s.ip); ip != peers_per_ip_.end() && --ip->second == 0) peers_per_ip_.erase(ip);
  }
  for (auto& [topic, t] : s.topics) {
    if (t.in_mesh) prune(peer, topic, now);
  }
  // Nothing to remember: forget it at once.
  bool interesting = s.behaviour_penalty > 0;
  for (const auto& [topic, t] : s.topics) {
    interesting = interesting || t.invalid_deliveries > 0 || t.mesh_failure_penalty > 0 || t.first_deliveries > 0;
  }
  if (!interesting) {
    peers_.erase(it);
    return;
  }
  s.connected = false;
  s.expires = now + params_.retain_score;
}

void PeerScore::graft(const core::PeerId& peer, const std::string& topic, Time now) {
  auto& t = peers_[peer].topics[topic];
  t.in_mesh = true;
  t.grafted_at = now;
  t.mesh_deliveries = 0;
}

void PeerScore::prune(const core::PeerId& peer, const std::string& topic, Time now) {
  auto it = peers_.find(peer);
  if (it == peers_.end()) return;
  auto tt = it->second.topics.find(topic);
  if (tt == it->second.topics.end() || !tt->second.in_mesh) return;
  auto& t = tt->second;
  const auto& p = params_.topic;
  if (p.mesh_failure_penalty_weight != 0 && now - t.grafted_at >= p.mesh_deliveries_activation &&
      t.mesh_deliveries < p.mesh_deliveries_threshold) {
    const double deficit = p.mesh_deliveries_threshold - t.mesh_deliveries;
    t.mesh_failure_penalty += deficit * deficit;
  }
  t.in_mesh = false;
}

void PeerScore::first_delivery(const core::PeerId& peer, const std::string& topic) {
  auto it = peers_.find(peer);
  if (it == peers_.end()) return;
  auto& t = it->second.topics[topic];
  const auto& p = params_.topic;
  t.first_deliveries = std::min(t.first_deliveries + 1, p.first_deliveries_cap);
  if (t.in_mesh) t.mesh_deliveries = std::min(t.mesh_deliveries + 1, p.mesh_deliveries_cap);
}

void PeerScore::invalid_delivery(const core::PeerId& peer, const std::string& topic) {
  auto it = peers_.find(peer);
  if (it == peers_.end()) return;
  it->second.topics[topic].invalid_deliveries += 1;
}

void PeerScore::penalty(const core::PeerId& peer, double count) {
  auto it = peers_.find(peer);
  if (it == peers_.end()) return;
  it->second.behaviour_penalty += count;
}

double PeerScore::decay(double v, double factor) const {
  v *= factor;
  return v < params_.decay_to_zero ? 0 : v;
}

void PeerScore::refresh(Time now) {
  const auto& p = params_.topic;
  for (auto it = peers_.begin(); it != peers_.end();) {
    auto& s = it->second;
    if (!s.connected && now >= s.expires) {
      it = peers_.erase(it);
      continue;
    }
    for (auto& [topic, t] : s.topics) {
      t.first_deliveries = decay(t.first_deliveries, p.first_deliveries_decay);
      t.mesh_deliveries = decay(t.mesh_deliveries, p.mesh_deliveries_decay);
      t.mesh_failure_penalty = decay(t.mesh_failure_penalty, p.mesh_failure_penalty_decay);
      t.invalid_deliveries = decay(t.invalid_deliveries, p.invalid_deliveries_decay);
    }
    s.behaviour_penalty = decay(s.behaviour_penalty, params_.behaviour_penalty_decay);
    ++it;
  }
}

double PeerScore::score(const core::PeerId& peer, Time now) const {
  auto it = peers_.find(peer);
  if (it == peers_.end()) return 0;
  const auto& s = it->second;
  const auto& p = params_.topic;
  double topics = 0;
  for (const auto& [topic, t] : s.topics) {
    double ts = 0;
    if (t.in_mesh) {
      const double quanta = std::chrono::duration<double>(now - t.grafted_at).count() /
                            std::chrono::duration<double>(p.time_in_mesh_quantum).count();
      ts += p.time_in_mesh_weight * std::min(quanta, p.time_in_mesh_cap);
      if (p.mesh_deliveries_weight != 0 && now - t.grafted_at >= p.mesh_deliveries_activation &&
          t.mesh_deliveries < p.mesh_deliveries_threshold) {
        const double deficit = p.mesh_deliveries_threshold - t.mesh_deliveries;
        ts += p.mesh_deliveries_weight * deficit * deficit;
      }
    }
    ts += p.first_deliveries_weight * t.first_deliveries;
    ts += p.mesh_failure_penalty_weight * t.mesh_failure_penalty;
    ts += p.invalid_deliveries_weight * t.invalid_deliveries * t.invalid_deliveries;
    topics += p.topic_weight * ts;
  }
  if (params_.topic_score_cap > 0) topics = std::min(topics, params_.topic_score_cap);
  double total = topics;
  if (params_.app_specific) total += params_.app_specific_weight * params_.app_specific(peer);
  if (!s.ip.empty() && !loopback(s.ip)) {
    if (auto ip = peers_per_ip_.find(s.ip); ip != peers_per_ip_.end()) {
      const double surplus = static_cast<double>(ip->second) - params_.ip_colocation_threshold;
      if (surplus > 0) total += params_.ip_colocation_weight * surplus * surplus;
    }
  }
  if (s.behaviour_penalty > params_.behaviour_penalty_threshold) {
    const double excess = s.behaviour_penalty - params_.behaviour_penalty_threshold;
    total += params_.behaviour_penalty_weight * excess * excess;
  }
  return total;
}

}  // namespace agentmesh::pubsub
