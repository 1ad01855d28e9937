#pragma once
// a2a/mapping: agentmesh's task model in A2A v1.0's JSON (ProtoJSON:
// camelCase members, SCREAMING_SNAKE_CASE enums, RFC 3339 timestamps with
// milliseconds), and an A2A Message's parts as task parts.
//
//   tasks::TaskState    <-> TaskState (TASK_STATE_SUBMITTED ... TASK_STATE_REJECTED)
//   Part text           <-> Part {"text", "mediaType"?}
//   Part data (JSON)    <-> Part {"data": <any JSON>, "mediaType"?}
//   Part file (by URI)  <-> Part {"url", "filename"?, "mediaType"?}
//   A2A Part {"raw"}     -> refused (content_type_not_supported): tasks carry
//                          files by reference only
//   the task's input     -> history[0] (ROLE_USER); its status messages and
//                          answers follow, by their sender's role
//   artifacts           <-> Artifact {"artifactId" = "name" = the artifact's name, "parts"}
//
// Threading: none (pure functions).

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "a2a/jsonrpc.hpp"
#include "tasks/types.hpp"

namespace agentmesh::a2a {

inline constexpr std::size_t kMaxParts = 64;
inline constexpr std::size_t kMaxIdBytes = 256;  // messageId, contextId

std::string_view state_name(tasks::TaskState s) noexcept;
// RFC 3339 UTC with milliseconds: 2026-12-03T06:20:06.123Z.
std::string timestamp(core::UnixMs ms);

boost::json::object part_json(const tasks::Part& p);
// An A2A Part as a task part; `raw` (inline bytes) is content_type_not_supported.
std::variant<tasks::Part, RpcError> part_of(const boost::json::value& v);

// `history_length`: the last N messages of the history; nullopt: all.
boost::json::object task_json(const tasks::Task& t, std::optional<std::size_t> history_length = std::nullopt);

// A task's step as the StreamResponse objects of a stream (the `result` of
// each JSON-RPC envelope): an artifactUpdate per artifact chunk, then a
// statusUpdate with the state after the step (its message, or the reason a
// task ended). `requester` decides a message's role.
std::vector<boost::json::object> stream_responses(const tasks::Event& e, std::string_view context_id,
                                                  const core::AgentId& requester);
// Whether a stream of the task ends after this state: terminal, or waiting
// for the client (input or auth required).
bool stream_ends(tasks::TaskState s) noexcept;

// An A2A Message sent by a client (SendMessage's `message`).
struct InboundMessage {
  std::string message_id;  // required: the idempotency key
  std::string context_id;  // optional
  std::string task_id;     // optional: answers that task
  std::vector<tasks::Part> parts;
  tasks::Metadata metadata;  // string values only; others are kept as their JSON text
};
std::variant<InboundMessage, RpcError> message_of(const boost::json::value& v);

}  // namespace agentmesh::a2a
