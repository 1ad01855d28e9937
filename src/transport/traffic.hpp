#pragma once
// Traffic classes: what a yamux stream carries, for the session's output
// scheduling and for the per-peer, per-protocol queue figures of
// GET /v1/diagnostics/transport and /metrics (issue 16, scenario 5).
//
//   control  yamux's own frames (window updates, pings, stream open, accept,
//            reset, GoAway), identify and /ipfs/ping
//   direct   /agentmesh/dm: direct messages and their acks
//   gossip   /meshsub: gossipsub RPCs
//   replay   /agentmesh/topic-replay: catch-up batches
//   other    anything else, and a stream whose protocol is not chosen yet
//
// gossip and replay are bulk: their data waits while other streams have data
// queued (docs/architecture.md, "Transport: output scheduling").
//
// Plain values, no Asio: light to include.

#include <array>
#include <chrono>
#include <cstdint>
#include <string_view>

namespace agentmesh::transport {

enum class Traffic : std::uint8_t { control, direct, gossip, replay, other };
inline constexpr std::size_t kTrafficClasses = 5;

constexpr bool is_bulk(Traffic t) { return t == Traffic::gossip || t == Traffic::replay; }
std::string_view to_string(Traffic t);
// The class of a stream negotiated for `protocol` (by its prefix).
Traffic traffic_of(std::string_view protocol);

// Waits in milliseconds, in fixed buckets; quantiles are a bucket's upper
// bound. Not thread-safe (one connection's executor).
struct DwellHistogram {
  static constexpr std::array<double, 14> kBoundsMs{1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 30000};
  std::array<std::uint64_t, kBoundsMs.size() + 1> counts{};
  std::uint64_t count = 0;
  double sum_ms = 0;

  void observe(std::chrono::steady_clock::duration d);
  // The upper bound of the bucket holding quantile q (0..1); 0 when empty;
  // the largest bound for waits beyond it.
  double quantile(double q) const;
  void merge(const DwellHistogram& other);
};

// Bytes per second over the last ten whole seconds.
class RateWindow {
 public:
  void add(std::chrono::steady_clock::time_point now, std::uint64_t n);
  double per_second(std::chrono::steady_clock::time_point now) const;
  void merge(const RateWindow& other);

 private:
  static constexpr std::size_t kSeconds = 10;
  static std::int64_t second_of(std::chrono::steady_clock::time_point t);
  std::array<std::uint64_t, kSeconds> bytes_{};
  std::array<std::int64_t, kSeconds> second_{};
};

// One traffic class on one connection (or, summed, on one peer).
struct TrafficStats {
  // Outbound: frames queued in the session, not yet handed to the socket.
  std::size_t out_queued_bytes = 0;
  std::size_t out_queued_frames = 0;
  std::uint64_t out_enqueued_bytes = 0;
  std::uint64_t out_sent_bytes = 0;
  std::uint64_t out_sent_frames = 0;
  RateWindow out_enqueue_rate;
  RateWindow out_drain_rate;
  DwellHistogram out_dwell;  // enqueue to hand-over to the socket
  // Inbound: data received and not yet read by the stream's owner.
  std::size_t in_buffered_bytes = 0;
  std::uint64_t in_bytes = 0;
  std::uint64_t in_read_bytes = 0;
  RateWindow in_rate;
  RateWindow in_read_rate;
  DwellHistogram in_dwell;  // arrival of the oldest unread byte to the read that empties the buffer

  void merge(const TrafficStats& other);
};

using TrafficTable = std::array<TrafficStats, kTrafficClasses>;

}  // namespace agentmesh::transport
