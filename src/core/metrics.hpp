#pragma once
// Lock-free metric primitives shared by every layer: counters, gauges,
// fixed-bucket histograms and the statistics every bounded queue reports.
//
// node/metrics.hpp renders them as Prometheus text and JSON. They are updated
// from any thread (relaxed atomics); a reader may see a histogram's count and
// buckets a few increments apart, which is fine for monitoring.

#include <atomic>
#include <cstdint>
#include <initializer_list>
#include <vector>

namespace agentmesh::core {

class Counter {
 public:
  void inc(std::uint64_t n = 1) { v_.fetch_add(n, std::memory_order_relaxed); }
  std::uint64_t value() const { return v_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::uint64_t> v_{0};
};

class Gauge {
 public:
  void set(std::int64_t v) { v_.store(v, std::memory_order_relaxed); }
  void add(std::int64_t d) { v_.fetch_add(d, std::memory_order_relaxed); }
  std::int64_t value() const { return v_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::int64_t> v_{0};
};

// Histogram with fixed upper bounds (Prometheus "le" buckets) plus +Inf.
class Histogram {
 public:
  explicit Histogram(std::initializer_list<double> bounds) : bounds_(bounds), buckets_(bounds.size() + 1) {}

  void observe(double v) {
    std::size_t i = 0;
    while (i < bounds_.size() && v > bounds_[i]) ++i;
    buckets_[i].fetch_add(1, std::memory_order_relaxed);
    count_.fetch_add(1, std::memory_order_relaxed);
    // sum kept in micro-units to stay integral and lock-free
    sum_micro_.fetch_add(static_cast<std::uint64_t>(v * 1e6), std::memory_order_relaxed);
  }

  struct Snapshot {
    std::vector<double> bounds;
    std::vector<std::uint64_t> cumulative;  // size bounds+1, last = count
    double sum = 0;
    std::uint64_t count = 0;
    // Upper bound of the bucket holding quantile q (0..1); the largest finite bound for +Inf.
    double quantile(double q) const;
  };
  Snapshot snapshot() const;

 private:
  std::vector<double> bounds_;
  std::vector<std::atomic<std::uint64_t>> buckets_;
  std::atomic<std::uint64_t> count_{0};
  std::atomic<std::uint64_t> sum_micro_{0};
};

// Every bounded queue reports these (docs/architecture.md, Observability).
struct QueueStats {
  std::uint64_t capacity = 0;
  std::uint64_t depth = 0;
  std::uint64_t max_depth = 0;
  std::uint64_t enqueued = 0;
  std::uint64_t dropped = 0;
  double dwell_p50_ms = 0;
  double dwell_p99_ms = 0;
};

}  // namespace agentmesh::core
