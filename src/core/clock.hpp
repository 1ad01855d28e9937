#pragma once
// Time as an injected dependency.
//
// Every service and protocol state machine reads time through a Clock& (or is
// fed `now` by its caller) instead of calling std::chrono directly, so tests
// drive them with a ManualClock: no sleeps, and timing that is exact.
//
// Two scales:
//   now_ms()  wall time, Unix milliseconds: stored records, the wire, expiry
//             times that must survive a restart;
//   mono()    monotonic time: deadlines, rate limits, latency.
// ManualClock moves both together.
//
// Thread safety: SystemClock is stateless; ManualClock's reads and writes are
// atomic, so a test thread may advance it while a service reads it.

#include <atomic>
#include <chrono>
#include <cstdint>

namespace agentmesh::core {

using UnixMs = std::int64_t;

class Clock {
 public:
  using MonoTime = std::chrono::steady_clock::time_point;
  virtual ~Clock() = default;
  virtual UnixMs now_ms() const = 0;
  virtual MonoTime mono() const = 0;
};

class SystemClock final : public Clock {
 public:
  UnixMs now_ms() const override {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
  MonoTime mono() const override { return std::chrono::steady_clock::now(); }
};

// A clock that moves only when told to. Starts at `start_ms` wall time and an
// arbitrary monotonic origin (one hour after the steady clock's epoch, so
// subtracting small durations never underflows).
class ManualClock final : public Clock {
 public:
  static constexpr UnixMs kDefaultStartMs = 1'767'225'600'000;  // 2026-01-01T00:00:00Z

  explicit ManualClock(UnixMs start_ms = kDefaultStartMs) : wall_ms_(start_ms) {}

  UnixMs now_ms() const override { return wall_ms_.load(std::memory_order_acquire); }
  MonoTime mono() const override {
    return MonoTime(std::chrono::hours(1) + std::chrono::milliseconds(mono_ms_.load(std::memory_order_acquire)));
  }

  // Moves both scales forward. REQUIRES: d >= 0.
  void advance(std::chrono::milliseconds d) {
    wall_ms_.fetch_add(d.count(), std::memory_order_acq_rel);
    mono_ms_.fetch_add(d.count(), std::memory_order_acq_rel);
  }
  // Sets wall time only (a clock step: NTP, a VM resumed); monotonic time
  // does not move.
  void set_wall_ms(UnixMs ms) { wall_ms_.store(ms, std::memory_order_release); }

 private:
  std::atomic<UnixMs> wall_ms_;
  std::atomic<std::int64_t> mono_ms_{0};
};

}  // namespace agentmesh::core
