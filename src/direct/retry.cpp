#include "direct/retry.hpp"

#include <algorithm>
#include <cmath>

namespace agentmesh::direct {

std::chrono::milliseconds retry_delay(const RetryConfig& config, std::uint32_t attempt, double unit_random) {
  const double base = std::min(static_cast<double>(config.cap.count()),
                               static_cast<double>(config.initial.count()) *
                                   std::pow(config.multiplier, static_cast<double>(std::max<std::uint32_t>(attempt, 1) - 1)));
  const double u = std::clamp(unit_random, 0.0, 1.0);
  const double jittered = base * (1.0 + config.jitter * (2.0 * u - 1.0));
  return std::chrono::milliseconds(static_cast<std::int64_t>(std::max(0.0, jittered)));
}

CircuitBreaker::State CircuitBreaker::state(Time now) const {
  if (!open_) return State::closed;
  if (now - opened_at_ >= config_.open_for) return State::half_open;
  return State::open;
}

bool CircuitBreaker::allow(Time now) {
  switch (state(now)) {
    case State::closed:
      return true;
    case State::open:
      return false;
    case State::half_open:
      if (probe_in_flight_) return false;
      probe_in_flight_ = true;
      return true;
  }
  return false;
}

void CircuitBreaker::on_success() {
  failures_ = 0;
  open_ = false;
  probe_in_flight_ = false;
}

void CircuitBreaker::on_failure(Time now) {
  ++failures_;
  if (probe_in_flight_ || failures_ >= config_.failure_threshold) {
    open_ = true;
    opened_at_ = now;
  }
  probe_in_flight_ = false;
}

}  // namespace agentmesh::direct
