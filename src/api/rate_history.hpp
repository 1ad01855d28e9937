#pragma once
// api/rate_history: the rates the web console charts, kept by the daemon for
// the last 15 minutes so that a console opened now shows what came before it
// (GET /v1/diagnostics/rates): messages accepted into inboxes, events
// delivered to live streams (SSE and WebSocket), messages published on
// topics, each per second.
//
// RateHistory is sans-I/O: add() takes the cumulative counters at a time;
// each point is their increase since the previous add() over the time
// between. A counter that went down gives 0 for that interval (counters only
// grow; this keeps a bad sample from charting a negative rate). At most
// kMaxPoints points are kept, none older than kWindowMs.
// sample_rates() feeds it from the node and the listener every kIntervalMs.
//
// Threading: the API's executor (in the daemon, the one thread it runs).

#include <boost/asio/awaitable.hpp>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>

#include "api/http_types.hpp"
#include "core/clock.hpp"
#include "node/diagnostics.hpp"
#include "node/node_handle.hpp"

namespace agentmesh::api {

struct RateTotals {
  std::uint64_t accepted = 0;
  std::uint64_t delivered = 0;
  std::uint64_t published = 0;
};

struct RatePoint {
  core::UnixMs at = 0;  // the end of the interval
  double accepted = 0;  // per second, over the interval
  double delivered = 0;
  double published = 0;
};

class RateHistory {
 public:
  static constexpr std::int64_t kIntervalMs = 5'000;
  static constexpr std::int64_t kWindowMs = 15 * 60'000;
  static constexpr std::size_t kMaxPoints = kWindowMs / kIntervalMs;

  void add(core::UnixMs now, const RateTotals& totals);
  const std::deque<RatePoint>& points() const { return points_; }

 private:
  struct Sample {
    core::UnixMs at = 0;
    RateTotals totals;
  };
  std::optional<Sample> last_;
  std::deque<RatePoint> points_;
};

// The counters charted: the node's accepted messages and its agents' topic
// messages (not the daemon's own adverts and beacons), the listener's SSE
// events and WebSocket messages sent.
RateTotals rate_totals(const node::Diagnostics& d, const ApiStats& stats);

// Adds a sample at once and then every kIntervalMs (wall time from `clock`)
// until `history` is gone. `stats`: the local API listener's, which must
// outlive the loop (the daemon's Server does: both end with its io_context).
boost::asio::awaitable<void> sample_rates(node::NodeHandle node, const ApiStats& stats,
                                          std::weak_ptr<RateHistory> history, std::shared_ptr<core::Clock> clock);

}  // namespace agentmesh::api
