#pragma once
// The values the node's operations take and return: plain structs with no
// Asio, so the API's JSON mapping (and its fuzzer) can use them without the
// node's coroutine machinery.

#include <optional>
#include <string>
#include <vector>

#include "core/multiaddr.hpp"
#include "core/peer_id.hpp"
#include <string_view>
#include <vector>

#include "core/ids.hpp"
#include "store/records.hpp"

namespace agentmesh::node {

struct AgentView {
  store::AgentRecord record;
  store::InboxCursor cursor;
  std::size_t streams = 0;
};

struct CreateAgentRequest {
  std::string name;
  std::vector<std::string> capabilities;
  std::string display_name;  // defaults to the name
};

struct CreatedAgent {
  AgentView agent;
  std::string token;  // shown once; only its hash is stored
};

struct UpdateAgentRequest {
  std::optional<std::vector<std::string>> capabilities;
  std::optional<store::AgentState> state;
  std::optional<std::string> display_name;
};

struct SendRequest {
  std::string to;  // agent id or local name
  store::MessageContent content;
  std::optional<std::int64_t> ttl_ms;
  std::optional<std::string> idempotency_key;
};

struct SendReceipt {
  core::RequestId request_id;
  core::AgentId recipient;
  core::Seq seq;
  bool duplicate = false;    // an identical earlier send (same idempotency key)
  std::string_view path = "loopback";
};

// GET /v1/node.
struct NodeInfo {
  explicit NodeInfo(core::PeerId p) : peer(p) {}
  core::PeerId peer;
  std::vector<core::Multiaddr> listen_addrs;  // with /p2p/<peer>
  std::string agent_version;
  std::vector<std::string> protocols;
};

}  // namespace agentmesh::node
