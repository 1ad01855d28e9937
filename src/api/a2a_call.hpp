#pragma once
// api/a2a_call: one JSON-RPC call of the A2A gateway, shared by its two
// files (api/a2a_gateway.cpp, api/a2a_methods.cpp). Internal to api/.

#include <string>

#include "a2a/jsonrpc.hpp"
#include "api/a2a_gateway.hpp"
#include "node/types.hpp"

namespace agentmesh::api {

struct A2aGateway::Call {
  node::A2aCaller caller;
  node::AgentInfo agent;  // the published agent called
  a2a::RpcRequest req;
  std::string remote;  // the client's address
};

}  // namespace agentmesh::api
