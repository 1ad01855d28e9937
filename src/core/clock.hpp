#pragma once
// Time as an injected dependency.
//
// Protocol state machines and the store take a Clock& instead of calling
// std::chrono directly, so tests drive them with testutil::ManualClock.
// Wall time (`now_ms`) is Unix milliseconds, used in stored records and on the
// wire; monotonic time (`mono`) is for deadlines and latency.
//
// Thread safety: SystemClock is stateless and safe from any thread.

#include <chrono>
#include <cstdint>

namespace agentmesh::core {

using UnixMs = std::int64_t;

class Clock {
 public:
  virtual ~Clock() = default;
  virtual UnixMs now_ms() const = 0;
  virtual std::chrono::steady_clock::time_point mono() const = 0;
};

class SystemClock final : public Clock {
 public:
  UnixMs now_ms() const override {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
  std::chrono::steady_clock::time_point mono() const override { return std::chrono::steady_clock::now(); }
};

}  // namespace agentmesh::core
