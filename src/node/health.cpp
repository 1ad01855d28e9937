// node/health: the health monitor's samples and judgements.

#include "node/health.hpp"

#include <fmt/format.h>

namespace agentmesh::node {

namespace {

// The observations between two snapshots of the same histogram.
core::Histogram::Snapshot delta(const core::Histogram::Snapshot& now, const core::Histogram::Snapshot& then) {
  if (then.cumulative.size() != now.cumulative.size()) return now;
  core::Histogram::Snapshot d = now;
  for (std::size_t i = 0; i < d.cumulative.size(); ++i) d.cumulative[i] -= then.cumulative[i];
  d.count -= then.count;
  d.sum -= then.sum;
  return d;
}

std::uint64_t minus(std::uint64_t a, std::uint64_t b) { return a > b ? a - b : 0; }

std::uint64_t total(const std::map<std::string, std::uint64_t>& m) {
  std::uint64_t n = 0;
  for (const auto& [k, v] : m) n += v;
  return n;
}

ComponentHealth ok(std::string name, std::string reason) {
  return ComponentHealth{std::move(name), HealthStatus::ok, std::move(reason)};
}

}  // namespace

std::string_view to_string(HealthStatus s) noexcept {
  switch (s) {
    case HealthStatus::ok:
      return "ok";
    case HealthStatus::degraded:
      return "degraded";
    case HealthStatus::unhealthy:
      return "unhealthy";
  }
  return "unhealthy";
}

HealthMonitor::Sample HealthMonitor::sample_of(core::UnixMs now, const Diagnostics& d) {
  Sample s;
  s.at = now;
  s.commit_latency_ms = d.store.commit_latency_ms;
  s.writer_dropped = d.store.writer_queue.dropped;
  s.gossip_dropped = d.pubsub.service.rpcs_dropped;
  s.subscriber_dropped = d.pubsub.subscribers.subscriber_dropped;
  s.dead_lettered = d.messages.dead_lettered;
  s.task_exceptions = total(d.task_exceptions);
  return s;
}

void HealthMonitor::sample(core::UnixMs now, const Diagnostics& d) {
  if (!samples_.empty() && now - samples_.back().at < kSampleIntervalMs) return;
  samples_.push_back(sample_of(now, d));
  const auto keep = std::max(config_.drops_window_ms, config_.dead_letter_window_ms) + kSampleIntervalMs;
  while (!samples_.empty() && now - samples_.front().at > keep) samples_.pop_front();
}

const HealthMonitor::Sample* HealthMonitor::since(core::UnixMs now, std::int64_t window) const {
  for (const auto& s : samples_) {
    if (now - s.at <= window) return &s;
  }
  return nullptr;
}

HealthReport HealthMonitor::evaluate(core::UnixMs now, const Diagnostics& d, bool draining) const {
  HealthReport r;
  r.components.push_back(store(now, d));
  r.components.push_back(transport(d));
  r.components.push_back(outbox(now, d));
  r.components.push_back(queues(now, d));
  r.components.push_back(dead_letters(now, d));
  r.components.push_back(tasks(now, d));
  r.components.push_back(ok("agents", fmt::format("{} local agents", d.agents)));
  if (draining) {
    r.components.push_back(ComponentHealth{"api", HealthStatus::unhealthy, "draining: the daemon is shutting down"});
  }
  for (const auto& c : r.components) r.status = std::max(r.status, c.status);
  return r;
}

ComponentHealth HealthMonitor::store(core::UnixMs now, const Diagnostics& d) const {
  const auto& s = d.store;
  if (s.stopped) return {"store", HealthStatus::unhealthy, "stopped"};
  if (s.last_commit_failed) {
    return {"store", HealthStatus::unhealthy,
            s.last_failure.empty() ? "the last commit failed" : "the last commit failed: " + s.last_failure};
  }
  const auto& q = s.writer_queue;
  if (q.capacity > 0 && q.depth * 5 > q.capacity * 4) {
    return {"store", HealthStatus::degraded, fmt::format("write queue {}% full", q.depth * 100 / q.capacity)};
  }
  const auto* then = since(now, config_.drops_window_ms);
  const auto recent = then ? delta(s.commit_latency_ms, then->commit_latency_ms) : s.commit_latency_ms;
  const auto p99 = recent.quantile(0.99);
  if (recent.count > 0 && p99 > config_.commit_p99_degraded_ms) {
    return {"store", HealthStatus::degraded,
            fmt::format("commits are slow: p99 {} ms over the last minute (the disk is saturated?)", p99)};
  }
  return ok("store", fmt::format("{} commits, p99 {} ms recently", s.commits, p99));
}

ComponentHealth HealthMonitor::transport(const Diagnostics& d) const {
  const auto peers = d.transport.connections_inbound + d.transport.connections_outbound;
  if (peers == 0 && d.bootstrap_peers > 0) {
    return {
        "transport", HealthStatus::degraded,
        fmt::format("no peer connected, with {} bootstrap peers configured: cut off from the mesh", d.bootstrap_peers)};
  }
  return ok("transport", fmt::format("{} peers connected", peers));
}

ComponentHealth HealthMonitor::outbox(core::UnixMs now, const Diagnostics& d) const {
  const auto& o = d.direct;
  if ((o.capacity > 0 && o.pending * 5 > o.capacity * 4) ||
      (o.capacity_bytes > 0 && o.bytes * 5 > o.capacity_bytes * 4)) {
    return {"outbox", HealthStatus::degraded,
            fmt::format("over 80% full: {} of {} messages, {} of {} bytes", o.pending, o.capacity, o.bytes,
                        o.capacity_bytes)};
  }
  if (o.oldest_pending_ms && now - *o.oldest_pending_ms > config_.outbox_age_degraded_ms) {
    return {"outbox", HealthStatus::degraded,
            fmt::format("{} messages pending, the oldest for {} s: recipients unreachable?", o.pending,
                        (now - *o.oldest_pending_ms) / 1000)};
  }
  return ok("outbox", fmt::format("{} messages pending", o.pending));
}

ComponentHealth HealthMonitor::queues(core::UnixMs now, const Diagnostics& d) const {
  const auto* then = since(now, config_.drops_window_ms);
  if (!then) return ok("queues", "no drops");
  const auto writer = minus(d.store.writer_queue.dropped, then->writer_dropped);
  const auto gossip = minus(d.pubsub.service.rpcs_dropped, then->gossip_dropped);
  const auto subscribers = minus(d.pubsub.subscribers.subscriber_dropped, then->subscriber_dropped);
  if (writer + gossip + subscribers == 0) return ok("queues", "no drops in the last minute");
  return {"queues", HealthStatus::degraded,
          fmt::format("dropped in the last minute: {} store writes, {} gossip RPCs to slow peers, {} events to slow "
                      "topic subscribers",
                      writer, gossip, subscribers)};
}

ComponentHealth HealthMonitor::dead_letters(core::UnixMs now, const Diagnostics& d) const {
  const auto* then = since(now, config_.dead_letter_window_ms);
  const auto recent = then ? minus(d.messages.dead_lettered, then->dead_lettered) : 0;
  if (recent == 0) return ok("dead_letters", "none in the last 5 minutes");
  return {"dead_letters", HealthStatus::degraded,
          fmt::format("{} messages dead-lettered in the last 5 minutes (GET /v1/deadletters)", recent)};
}

ComponentHealth HealthMonitor::tasks(core::UnixMs now, const Diagnostics& d) const {
  const auto* then = since(now, config_.dead_letter_window_ms);
  const auto all = total(d.task_exceptions);
  const auto recent = then ? minus(all, then->task_exceptions) : all;
  if (recent == 0) return ok("tasks", fmt::format("{} exceptions since start", all));
  return {"tasks", HealthStatus::degraded,
          fmt::format("{} coroutines ended by an exception recently (see the log)", recent)};
}

}  // namespace agentmesh::node
