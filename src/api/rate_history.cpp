// api/rate_history: the console's rate charts, kept by the daemon.

#include "api/rate_history.hpp"

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace agentmesh::api {
namespace {

double per_second(std::uint64_t before, std::uint64_t after, std::int64_t ms) {
  if (after < before) return 0;
  return static_cast<double>(after - before) * 1000.0 / static_cast<double>(ms);
}

}  // namespace

void RateHistory::add(core::UnixMs now, const RateTotals& totals) {
  if (last_ && now > last_->at) {
    const auto ms = now - last_->at;
    const auto& b = last_->totals;
    points_.push_back({now, per_second(b.accepted, totals.accepted, ms), per_second(b.delivered, totals.delivered, ms),
                       per_second(b.published, totals.published, ms)});
  }
  // A clock that went back starts over from this sample (no point spans it).
  if (last_ && now < last_->at) points_.clear();
  last_ = Sample{now, totals};
  while (!points_.empty() && (points_.size() > kMaxPoints || points_.front().at < now - kWindowMs)) {
    points_.pop_front();
  }
}

RateTotals rate_totals(const node::Diagnostics& d, const ApiStats& stats) {
  return RateTotals{d.messages.accepted, stats.sse_events + stats.ws_messages, d.pubsub.subscribers.published};
}

boost::asio::awaitable<void> sample_rates(node::NodeHandle node, const ApiStats& stats,
                                          std::weak_ptr<RateHistory> history, std::shared_ptr<core::Clock> clock) {
  boost::asio::steady_timer timer(co_await boost::asio::this_coro::executor);
  for (;;) {
    auto d = co_await node.diagnostics();
    auto h = history.lock();
    if (!h) co_return;
    if (d) h->add(clock->now_ms(), rate_totals(*d, stats));
    h.reset();
    timer.expires_after(std::chrono::milliseconds(RateHistory::kIntervalMs));
    co_await timer.async_wait(boost::asio::use_awaitable);
  }
}

}  // namespace agentmesh::api
