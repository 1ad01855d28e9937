#pragma once
// node/ticker: the one timer loop behind a service's tick().
//
// A service keeps its timing logic sans-I/O: tick() does what is due at the
// clock's current time and returns when it next has something to do. The
// Ticker calls it on the node's executor, then sleeps until that time (or
// until wake() asks for an early call). Unit tests do not start tickers: they
// advance a ManualClock and call tick() themselves.
//
// Threading: the node's executor. Ownership: the service holds the Ticker;
// the loop holds only shared state and the tick function (which should
// capture the service weakly), so a stopped or destroyed service ends it.

#include <functional>
#include <memory>
#include <optional>

#include "node/context.hpp"

namespace agentmesh::node {

class Ticker {
 public:
  // Returns the next time (Unix ms) to be called, if any.
  using TickFn = std::function<std::optional<core::UnixMs>()>;

  Ticker() = default;
  ~Ticker() { stop(); }
  Ticker(const Ticker&) = delete;
  Ticker& operator=(const Ticker&) = delete;

  // Starts the loop: the first tick at once. `where` names it in logs and
  // metrics (a string literal). Idempotent.
  void start(const ServiceContext& ctx, std::string_view where, TickFn tick);
  // Ticks again at once (something became due: a new message, a new peer).
  void wake();
  void stop();

 private:
  struct State;
  std::shared_ptr<State> state_;
};

}  // namespace agentmesh::node
