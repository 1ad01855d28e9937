#pragma once
// Exponential backoff with jitter, as a value (no clock, no I/O): the
// connection manager asks it for the next delay after each failure and
// resets it after a success. Used for reconnecting to wanted peers and for
// holding off addresses that keep failing.

#include <algorithm>
#include <chrono>
#include <cstdint>

namespace agentmesh::transport {

class Backoff {
 public:
  using ms = std::chrono::milliseconds;

  Backoff(ms base, ms max, double jitter = 0.2) : base_(base), max_(max), jitter_(jitter) {}

  // The delay before the next attempt: base * 2^failures, capped at max,
  // then scaled by a factor in [1 - jitter, 1 + jitter] drawn from `unit`
  // (a uniform number in [0, 1)). Counts one more failure.
  ms next(double unit) {
    const auto shift = std::min<std::uint32_t>(failures_, 30);
    const double raw = std::min(static_cast<double>(base_.count()) * static_cast<double>(1ULL << shift),
                                static_cast<double>(max_.count()));
    ++failures_;
    const double factor = 1.0 - jitter_ + 2.0 * jitter_ * std::clamp(unit, 0.0, 1.0);
    return ms(static_cast<std::int64_t>(raw * factor));
  }
  void reset() { failures_ = 0; }
  std::uint32_t failures() const { return failures_; }

 private:
  ms base_;
  ms max_;
  double jitter_;
  std::uint32_t failures_ = 0;
};

}  // namespace agentmesh::transport
