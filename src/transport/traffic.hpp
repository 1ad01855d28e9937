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

 private:
  static constexpr std::size_t kSeconds = 10;
  static std::int64_t second_of(std::chrono::steady_clock::time_point t);
  std::array<std::uint64_t, kSeconds> bytes_{};
  std::array<std::int64_t, kSeconds> second_{};
};

// One direction of one class's queue: what waits now, what went in and out
// (bytes, and per second), and how long it waited.
struct QueueFlow {
  using TimePoint = std::chrono::steady_clock::time_point;
  std::size_t queued_bytes = 0;
  std::uint64_t added_bytes = 0;    // out: queued to send; in: received
  std::uint64_t removed_bytes = 0;  // out: handed to the socket; in: read by the stream's owner
  RateWindow add_rate;
  RateWindow remove_rate;
  DwellHistogram dwell;

  void add(TimePoint now, std::size_t n);
  void remove(TimePoint now, std::size_t n);
  void discard(std::size_t n) { queued_bytes -= n; }  // dropped unsent or unread (a reset)
};

// One traffic class on one connection.
struct TrafficStats {
  QueueFlow out;  // frames queued in the session; dwell: queued to handed to the socket
  QueueFlow in;   // data received, not read yet; dwell: arrival of the oldest unread byte to the read that empties it
  std::size_t queued_frames = 0;  // out
  std::uint64_t sent_frames = 0;  // out

  bool used() const { return out.added_bytes != 0 || in.added_bytes != 0; }
};

using TrafficTable = std::array<TrafficStats, kTrafficClasses>;

// A connection's pacing (Connection::pace): what one write takes from the
// session, what the kernel may hold unsent (TCP_NOTSENT_LOWAT), the drain
// rate both follow, and the rate bulk traffic may take.
struct Pacing {
  std::size_t write_budget = 0;
  int unsent_limit = 0;
  double drain_rate = 0;             // bytes/s
  double bulk_rate = 0;              // bytes/s; 0: no limit
  double queue_delay_ms = 0;         // round trip above its minimum, at the last measurement
  std::size_t bulk_window = 0;       // bytes the path may hold before bulk data waits; 0: not measured
  std::size_t in_flight = 0;         // bytes the kernel holds: unsent and unacknowledged
  std::uint64_t bulk_throttled = 0;  // measurements that cut the bulk rate
};

}  // namespace agentmesh::transport
