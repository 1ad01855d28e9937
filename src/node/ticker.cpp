#include "node/ticker.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>

#include "node/spawn.hpp"

namespace agentmesh::node {

struct Ticker::State {
  explicit State(const boost::asio::any_io_executor& ex) : timer(ex) {}
  boost::asio::steady_timer timer;
  TickFn tick;
  bool stopped = false;
  bool woken = false;
};

void Ticker::start(const ServiceContext& ctx, std::string_view where, TickFn tick) {
  if (state_) return;
  state_ = std::make_shared<State>(ctx.ex);
  state_->tick = std::move(tick);
  auto clock = ctx.clock;
  ctx.spawn(where, {}, [state = state_, clock]() -> Task<void> {
    while (!state->stopped) {
      state->woken = false;
      const auto next = state->tick();
      if (state->stopped) break;
      if (state->woken) continue;  // woken while ticking: tick again at once
      if (next) {
        // At least 1 ms: a time already due is retried on the next millisecond,
        // never in a busy loop.
        const auto wait = std::max<core::UnixMs>(1, *next - clock->now_ms());
        state->timer.expires_after(std::chrono::milliseconds(wait));
      } else {
        state->timer.expires_at(boost::asio::steady_timer::time_point::max());
      }
      co_await state->timer.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
    }
  });
}

void Ticker::wake() {
  if (!state_) return;
  state_->woken = true;
  state_->timer.cancel();
}

void Ticker::stop() {
  if (!state_) return;
  state_->stopped = true;
  state_->timer.cancel();
}

}  // namespace agentmesh::node
