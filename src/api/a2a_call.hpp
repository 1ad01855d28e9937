#pragma once
// api/a2a_call: one call of the A2A gateway (JSON-RPC or HTTP+JSON), shared by its two
// files (api/a2a_gateway.cpp, api/a2a_methods.cpp). Internal to api/.

#include <boost/json/object.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "a2a/jsonrpc.hpp"
#include "api/a2a_gateway.hpp"
#include "node/types.hpp"

namespace agentmesh::api {

struct A2aGateway::Call {
  node::A2aCaller caller;
  node::AgentInfo agent;  // the published agent called
  a2a::RpcRequest req;
  std::string remote;  // the client's address
  bool rest = false;   // the HTTP+JSON binding: results and stream items without JSON-RPC's envelope
};

// The methods' answers (defined in api/a2a_methods.cpp).
namespace a2a_call {

boost::json::object fail(const a2a::RpcRequest& r, a2a::RpcCode code, std::string message);
boost::json::object ok(const a2a::RpcRequest& r, boost::json::value result);
// The node's and the task service's errors as JSON-RPC errors.
boost::json::object fail_with(const a2a::RpcRequest& r, const error_code& ec);
// How a task's metadata names its caller (a2a.caller).
std::string caller_id(const node::A2aCaller& c);
// A task id as A2A gives it: 32 hex characters.
std::optional<core::TaskId> task_id_of(const boost::json::object& params, std::string_view key);

}  // namespace a2a_call

}  // namespace agentmesh::api
