#pragma once
// api/a2a_call: one call of the A2A gateway (JSON-RPC or HTTP+JSON), shared by its two
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
  bool rest = false;   // the HTTP+JSON binding: results and stream items without JSON-RPC's envelope
};

}  // namespace agentmesh::api
