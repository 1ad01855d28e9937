#pragma once
// node/health: is the daemon doing its job? GET /v1/health reports `ok`,
// `degraded` or `unhealthy` overall (the worst component) and per component,
// each with a reason a person can act on.
//
//   store        unhealthy: stopped, or the last commit failed;
//                degraded: the write queue over 80% full, or commits slow
//                (p99 over the last minute above commit_p99_degraded)
//   transport    degraded: no peer connected while bootstrap peers are
//                configured (the daemon is cut off from the mesh)
//   outbox       degraded: over 80% full (messages or bytes), or its oldest
//                message waiting longer than outbox_age_degraded
//   queues       degraded: a bounded queue dropped something in the last
//                minute (the store writer, peers' gossip queues, live topic
//                subscribers)
//   dead_letters degraded: messages dead-lettered in the last 5 minutes
//   tasks        degraded: a coroutine ended by an exception in the last
//                5 minutes (a bug: see the log)
//   agents       informational
//
// "In the last minute" needs history: the monitor keeps a sample of the
// cumulative counters every kSampleInterval (tick()), sans-I/O with injected
// time, and compares the current figures against the sample from the start
// of the window.
//
// Threading: the node's executor.

#include <deque>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.hpp"
#include "node/diagnostics.hpp"

namespace agentmesh::node {

enum class HealthStatus { ok, degraded, unhealthy };
std::string_view to_string(HealthStatus s) noexcept;

struct ComponentHealth {
  std::string name;
  HealthStatus status = HealthStatus::ok;
  std::string reason;  // why, or what is fine
};

struct HealthReport {
  HealthStatus status = HealthStatus::ok;
  std::vector<ComponentHealth> components;
};

struct HealthConfig {
  double commit_p99_degraded_ms = 500;
  std::int64_t outbox_age_degraded_ms = 5 * 60'000;
  std::int64_t drops_window_ms = 60'000;
  std::int64_t dead_letter_window_ms = 5 * 60'000;
};

class HealthMonitor {
 public:
  static constexpr std::int64_t kSampleIntervalMs = 10'000;

  explicit HealthMonitor(HealthConfig config = {}) : config_(config) {}

  // Keeps a sample of `d`'s cumulative counters (at most one per interval).
  void sample(core::UnixMs now, const Diagnostics& d);
  // Judges `d` (the current figures) against the samples.
  HealthReport evaluate(core::UnixMs now, const Diagnostics& d, bool draining) const;

 private:
  struct Sample {
    core::UnixMs at = 0;
    core::Histogram::Snapshot commit_latency_ms;
    std::uint64_t writer_dropped = 0;
    std::uint64_t gossip_dropped = 0;
    std::uint64_t subscriber_dropped = 0;
    std::uint64_t dead_lettered = 0;
    std::uint64_t task_exceptions = 0;
  };
  static Sample sample_of(core::UnixMs now, const Diagnostics& d);
  // The oldest sample no older than `window` (the current figures if none).
  const Sample* since(core::UnixMs now, std::int64_t window) const;

  ComponentHealth store(core::UnixMs now, const Diagnostics& d) const;
  ComponentHealth transport(const Diagnostics& d) const;
  ComponentHealth outbox(core::UnixMs now, const Diagnostics& d) const;
  ComponentHealth queues(core::UnixMs now, const Diagnostics& d) const;
  ComponentHealth dead_letters(core::UnixMs now, const Diagnostics& d) const;
  ComponentHealth tasks(core::UnixMs now, const Diagnostics& d) const;

  HealthConfig config_;
  std::deque<Sample> samples_;  // oldest first, at most a window's worth
};

}  // namespace agentmesh::node
