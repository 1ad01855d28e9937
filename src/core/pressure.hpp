#pragma once
// PressureGate: when a bounded queue should say it is filling up. Above half
// full it reports `info`, above 80% `warn`, at most once per `interval` per
// queue (docs/architecture.md, Observability). Plain value; the caller logs.

#include <chrono>
#include <cstddef>

namespace agentmesh::core {

class PressureGate {
 public:
  enum class Level { none, info, warn };
  using Time = std::chrono::steady_clock::time_point;

  explicit PressureGate(std::chrono::milliseconds interval = std::chrono::seconds(30)) : interval_(interval) {}

  Level check(std::size_t depth, std::size_t capacity, Time now) {
    if (capacity == 0) return Level::none;
    const double fill = static_cast<double>(depth) / static_cast<double>(capacity);
    const Level level = fill > 0.8 ? Level::warn : fill > 0.5 ? Level::info : Level::none;
    if (level == Level::none) return level;
    if (said_ && now - last_ < interval_) return Level::none;
    said_ = true;
    last_ = now;
    return level;
  }

 private:
  std::chrono::milliseconds interval_;
  bool said_ = false;
  Time last_{};
};

}  // namespace agentmesh::core
