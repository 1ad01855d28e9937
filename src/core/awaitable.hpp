#pragma once
// core::kTuple: the completion token for `auto [ec, ...] = co_await
// op(kTuple);`, which returns errors as values instead of throwing them.

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace agentmesh::core {

inline constexpr auto kTuple = boost::asio::as_tuple(boost::asio::use_awaitable);

}  // namespace agentmesh::core
