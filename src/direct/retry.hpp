#pragma once
// direct/retry: the outbox's retry schedule and the per-peer circuit breaker
// (issue 5, "Paths and the outbox"). Both are sans-I/O with injected time, so
// tests drive them with a manual clock.
//
// Retry: attempt n (1 = the first retry) waits
//   min(cap, initial * multiplier^(n-1)) * (1 + jitter * (2u - 1)),  u in [0, 1)
// so concurrent senders spread out; each attempt has its own timeout.
//
// Circuit breaker, per peer, for the direct path only (the gossip inbox path
// stays available): closed -> after `failure_threshold` consecutive failures
// open for `open_for` -> then half-open, allowing exactly one probe -> the
// probe's success closes it, its failure opens it again.

#include <chrono>
#include <cstdint>

namespace agentmesh::direct {

struct RetryConfig {
  std::chrono::milliseconds initial{250};
  std::chrono::milliseconds cap{60'000};
  double multiplier = 2.0;
  double jitter = 0.2;                             // +-20%
  std::chrono::milliseconds attempt_timeout{5'000};
  // How long the direct path may take to get its stream (dial, handshake,
  // negotiation) before the attempt moves on to the gossip path. A daemon
  // behind NAT never answers a dial (the TCP connect would wait its full
  // 10 s timeout); the dial goes on, and later messages use the connection
  // if it does come up.
  std::chrono::milliseconds connect_timeout{3'000};
};

// `unit_random` in [0, 1) (the caller's RNG). REQUIRES: attempt >= 1.
std::chrono::milliseconds retry_delay(const RetryConfig& config, std::uint32_t attempt, double unit_random);

struct CircuitBreakerConfig {
  std::uint32_t failure_threshold = 5;
  std::chrono::milliseconds open_for{30'000};
};

class CircuitBreaker {
 public:
  using Time = std::chrono::steady_clock::time_point;
  using Config = CircuitBreakerConfig;
  enum class State { closed, open, half_open };

  explicit CircuitBreaker(Config config = {}) : config_(config) {}

  // May a direct attempt start now? In half-open, true once (the probe) until
  // its outcome is reported.
  bool allow(Time now);
  void on_success();
  void on_failure(Time now);
  State state(Time now) const;
  std::uint32_t consecutive_failures() const { return failures_; }

 private:
  Config config_;
  std::uint32_t failures_ = 0;
  bool open_ = false;
  Time opened_at_{};
  bool probe_in_flight_ = false;
};

}  // namespace agentmesh::direct
