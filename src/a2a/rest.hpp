#pragma once
// a2a/rest: the HTTP+JSON binding of A2A v1.0 (the specification's section
// 11): a request's method, path, query and body as one of the methods of
// a2a/jsonrpc.hpp with its params, and errors as google.rpc.Status JSON.
//
// Paths, relative to an agent's interface URL (`.../agents/{name}/a2a`):
//
//   POST   /message:send                  SendMessage (body: SendMessageRequest)
//   POST   /message:stream                SendStreamingMessage (SSE answer)
//   GET    /tasks                         ListTasks (query: contextId, status, pageSize,
//                                         pageToken, historyLength, statusTimestampAfter,
//                                         includeArtifacts)
//   GET    /tasks/{id}                    GetTask (query: historyLength)
//   POST   /tasks/{id}:cancel             CancelTask
//   POST   /tasks/{id}:subscribe          SubscribeToTask (SSE answer)
//   POST|GET /tasks/{id}/pushNotificationConfigs, GET|DELETE .../{configId}
//                                         the push notification config methods
//   GET    /extendedAgentCard             GetExtendedAgentCard
//
// Query values are percent-decoded ('+' is a space); pageSize and
// historyLength that are decimal integers become numbers, includeArtifacts
// "true"/"false" a boolean, anything else stays a string for the method to
// refuse. A name given twice is refused. Bodies are bounded like JSON-RPC's
// (kMaxBodyBytes, kMaxDepth) and must be a JSON object; an empty body is {}.
// The id in the path becomes params.id (for the push config methods,
// params.taskId and params.id).
//
// Errors: an unknown path is 404, a known path with another HTTP method 405,
// a body that is not JSON or not an object 400 (parse error / invalid
// request). Each RpcCode has the HTTP status of the specification's table
// (rest_status()); error_body() gives
//   {"error": {"code": <HTTP status>, "status": "NOT_FOUND", "message": ...,
//              "details": [{"@type": "type.googleapis.com/google.rpc.ErrorInfo",
//                           "reason": "TASK_NOT_FOUND", "domain": "a2a-protocol.org"}]}}
// with the ErrorInfo for A2A's own errors and for invalid params
// (reason INVALID_PARAMS).
//
// Threading: none (pure functions).

#include <boost/json/object.hpp>
#include <string>
#include <string_view>
#include <variant>

#include "a2a/jsonrpc.hpp"

namespace agentmesh::a2a {

inline constexpr std::size_t kMaxQueryBytes = 4096;

struct RestCall {
  Method method = Method::send_message;
  boost::json::object params;
};

struct RestError {
  int status = 400;  // the HTTP status
  RpcCode code = RpcCode::invalid_request;
  std::string message;
};

// `path`: the part after the interface URL ("/tasks/abc:cancel"), without
// the query; `query`: the part after '?', or "".
std::variant<RestCall, RestError> decode_rest(std::string_view http_method, std::string_view path,
                                              std::string_view query, std::string_view body);

// The HTTP status of an A2A or JSON-RPC error in this binding.
int rest_status(RpcCode code) noexcept;

// The google.rpc.Status JSON of an error answered with `status`.
boost::json::object error_body(int status, RpcCode code, std::string_view message);

}  // namespace agentmesh::a2a
