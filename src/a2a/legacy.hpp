#pragma once
// a2a/legacy: A2A 0.3's JSON-RPC shapes, served as aliases of 1.0's methods
// (message/send, message/stream, tasks/get, tasks/cancel, tasks/resubscribe,
// tasks/pushNotificationConfig/*) for clients that send no A2A-Version header
// or 0.3. The gateway translates the params to 1.0 before a method runs and
// its result back to 0.3 after:
//
//   Part {"kind": "text", "text"}                 <-> {"text"}
//   Part {"kind": "data", "data"}                 <-> {"data"}
//   Part {"kind": "file", "file": {"uri", "name", "mimeType"}} <-> {"url", "filename", "mediaType"}
//   Part {"kind": "file", "file": {"bytes"}}       -> {"raw"} (refused as in 1.0: -32005)
//   Message role "user" / "agent"                 <-> ROLE_USER / ROLE_AGENT, and "kind": "message"
//   configuration.blocking false                   -> returnImmediately true (absent: blocking,
//                                                    as in 1.0)
//   PushNotificationConfig {id, url, token, authentication: {schemes: [s], credentials}}
//                                                 <-> TaskPushNotificationConfig's {id, url, token,
//                                                    authentication: {scheme: s, credentials}}
//   configuration.pushNotificationConfig           -> configuration.taskPushNotificationConfig
//   tasks/pushNotificationConfig/set {taskId, pushNotificationConfig} -> {taskId, id, url, ...}
//   .../get, .../delete {id, pushNotificationConfigId} -> {taskId, id}; .../list {id} -> {taskId}
//   set's and get's result {taskId, pushNotificationConfig}; list's an array of them; delete's null
//   TaskState "submitted", "input-required", ...  <-  TASK_STATE_SUBMITTED, TASK_STATE_INPUT_REQUIRED, ...
//   Task "kind": "task"; message/send's result is the Task itself (1.0: {"task"})
//   stream items: the Task; {"kind": "status-update", ..., "final"} (final when the task ends or
//                 waits for the client); {"kind": "artifact-update", ...}
//
// Threading: none (pure functions).

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <variant>

#include "a2a/jsonrpc.hpp"

namespace agentmesh::a2a {

// A 0.3 call's params as the 1.0 method's; a malformed part or message is
// invalid params (-32602).
std::variant<boost::json::object, RpcError> params_from_v03(Method m, const boost::json::object& params);

// A 1.0 method's result (the `result` member of its envelope) in 0.3's shape.
boost::json::value result_to_v03(Method m, const boost::json::value& result);

// One StreamResponse of a 1.0 stream ({"task"}, {"statusUpdate"},
// {"artifactUpdate"}) as 0.3's stream item.
boost::json::object stream_item_to_v03(const boost::json::object& item);

}  // namespace agentmesh::a2a
