#pragma once
// The local API's request bodies: JSON -> the node's request types. Pure
// functions with no I/O and no Beast, unit-tested directly and fuzzed
// (fuzz/api_request_fuzz.cpp).
//
// Parsing is strict: the body must be one JSON object within the nesting
// limit, valid UTF-8 (Boost.JSON rejects invalid sequences), with only the
// route's fields, each of the right type and within its size limit. Failures
// return an api::error (or the domain's) and put a sentence naming the field
// into `why`.
//
// Message bodies: requests give `body` (a UTF-8 string) or `body_base64`.

#include <boost/json/object.hpp>
#include <string>
#include <string_view>

#include "core/multiaddr.hpp"
#include "core/result.hpp"
#include "node/node_config.hpp"
#include "node/types.hpp"

namespace agentmesh::api {

struct JsonLimits {
  static constexpr std::size_t kDefaultMaxDepth = 32;
  // Deepest nesting accepted (objects and arrays).
  std::size_t max_depth = kDefaultMaxDepth;
  // Largest decoded payload (node::NodeConfig::max_payload_bytes).
  std::size_t max_payload_bytes = node::NodeConfig::kDefaultMaxPayloadBytes;
};

Result<boost::json::object> parse_object(std::string_view body, const JsonLimits& limits, std::string& why);

Result<node::CreateAgentRequest> parse_create_agent(std::string_view body, const JsonLimits& limits, std::string& why);
Result<node::UpdateAgentRequest> parse_update_agent(std::string_view body, const JsonLimits& limits, std::string& why);
Result<node::SendRequest> parse_send(std::string_view body, const JsonLimits& limits, std::string& why);
// {"up_to": N} for POST .../inbox/ack
Result<core::Seq> parse_ack(std::string_view body, const JsonLimits& limits, std::string& why);
// POST /ui/session {"code"}: the web console's one-time login code (at most 256 bytes).
Result<std::string> parse_login(std::string_view body, const JsonLimits& limits, std::string& why);
// {"ack": N} sent by WebSocket clients
Result<core::Seq> parse_ws_ack(std::string_view text, const JsonLimits& limits, std::string& why);

// POST /v1/topics/{topic}/messages: {body | body_base64, content_type?, as?}.
struct TopicPublishRequest {
  std::string body;
  std::string content_type;
  std::string as;  // agent id or name; required with the admin token
};
Result<TopicPublishRequest> parse_topic_publish(std::string_view body, const JsonLimits& limits, std::string& why);
// {"topic": T} for POST /v1/agents/{id}/subscriptions.
Result<std::string> parse_subscription(std::string_view body, const JsonLimits& limits, std::string& why);
// POST /v1/agents/{id}/blocks: {"sender": "<agent id>"}.
Result<core::AgentId> parse_block(std::string_view body, const JsonLimits& limits, std::string& why);

// POST /v1/agents/{id}/a2a/tokens: {"label"?, "expires_in_s"?}.
struct A2aTokenRequest {
  std::string label;
  std::int64_t ttl_ms = 0;  // 0: never expires
};
Result<A2aTokenRequest> parse_a2a_token(std::string_view body, const JsonLimits& limits, std::string& why);
// POST /v1/a2a/credentials: {"name", "bearer"}.
struct A2aCredentialRequest {
  std::string name;
  std::string bearer;
};
Result<A2aCredentialRequest> parse_a2a_credential(std::string_view body, const JsonLimits& limits, std::string& why);
// {"addr": MULTIADDR} for POST /v1/peers.
Result<core::Multiaddr> parse_connect(std::string_view body, const JsonLimits& limits, std::string& why);

// Topic names: 1-256 bytes of UTF-8 without control characters, not under
// the reserved prefix.
bool valid_topic(std::string_view topic);

// POST /v1/agents/{id}/tasks.
Result<node::CreateTaskRequest> parse_create_task(std::string_view body, const JsonLimits& limits, std::string& why);
// POST /v1/agents/{id}/tasks/{tid}/{action}: request_id, parts, percent,
// artifacts (chunks), reason, timeout_ms; which of them the action takes.
Result<node::TaskActionRequest> parse_task_action(std::string_view body, tasks::Action action, const JsonLimits& limits,
                                                  std::string& why);
// Topics the daemons use themselves (agent adverts, the gossip inboxes): not
// valid in the API, left out of GET /v1/topics unless ?internal=true.
inline constexpr std::string_view kReservedTopicPrefix = "agentmesh/";

}  // namespace agentmesh::api
