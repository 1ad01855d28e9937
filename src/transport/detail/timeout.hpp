#pragma once
// with_timeout(op, d): runs `op`, cancelling it after `d` (error::timeout).
// Cancellation reaches every socket and timer operation inside `op`. Private
// to transport/; the operators header is heavy, so few files include this.

#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>
#include <variant>

#include "core/result.hpp"
#include "transport/error.hpp"

namespace agentmesh::transport::detail {

template <class T>
boost::asio::awaitable<Result<T>> with_timeout(boost::asio::awaitable<Result<T>> op, std::chrono::milliseconds d) {
  using namespace boost::asio::experimental::awaitable_operators;
  boost::asio::steady_timer timer(co_await boost::asio::this_coro::executor, d);
  auto wait = timer.async_wait(boost::asio::use_awaitable);
  auto either = std::move(op) || std::move(wait);
  auto r = co_await std::move(either);
  if (r.index() == 0) co_return std::move(std::get<0>(r));
  co_return make_error_code(error::timeout);
}

}  // namespace agentmesh::transport::detail
