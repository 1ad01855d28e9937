#pragma once
// a2a/jsonrpc: the JSON-RPC 2.0 binding of A2A v1.0: decoding a request body
// (a single request or a batch) and the response and error envelopes.
//
// Decoding is strict and bounded: at most kMaxBodyBytes, nesting at most
// kMaxDepth, batches of at most kMaxBatch requests. A body that is not JSON
// is a parse error (-32700); a request without "jsonrpc": "2.0", with a
// method that is not a string, an id that is neither a string, an integer
// nor null, or params that are not an object is an invalid request (-32600);
// an unknown method is -32601. Method names are A2A v1.0's; the v0.3 names
// (message/send, tasks/get, ...) are accepted as aliases when the client
// sent no A2A-Version header or version 0.3, and marked `legacy`.
//
// Threading: none (pure functions).

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace agentmesh::a2a {

inline constexpr std::size_t kMaxBodyBytes = 1u << 20;
inline constexpr std::size_t kMaxDepth = 32;
inline constexpr std::size_t kMaxBatch = 16;

// JSON-RPC's and A2A's error codes (A2A v1.0, "JSON-RPC error codes").
enum class RpcCode : int {
  parse_error = -32700,
  invalid_request = -32600,
  method_not_found = -32601,
  invalid_params = -32602,
  internal_error = -32603,
  task_not_found = -32001,
  task_not_cancelable = -32002,
  push_notification_not_supported = -32003,
  unsupported_operation = -32004,
  content_type_not_supported = -32005,
  invalid_agent_response = -32006,
  extended_card_not_configured = -32007,
  extension_support_required = -32008,
  version_not_supported = -32009,
};
// The A2A error's name ("TaskNotFoundError", ...), or JSON-RPC's.
std::string_view name_of(RpcCode c) noexcept;

enum class Method {
  send_message,
  send_streaming_message,
  get_task,
  list_tasks,
  cancel_task,
  subscribe_to_task,
  create_push_config,
  get_push_config,
  list_push_configs,
  delete_push_config,
  get_extended_card,
};
// The v1.0 name.
std::string_view name_of(Method m) noexcept;

struct RpcRequest {
  boost::json::value id;      // string, integer or null
  bool notification = false;  // no "id": answered with nothing
  Method method = Method::send_message;
  bool legacy = false;  // called by its v0.3 name
  boost::json::object params;
};

struct RpcError {
  RpcCode code = RpcCode::internal_error;
  std::string message;
  boost::json::value id;  // the request's, or null when it could not be read
};

// One item of a body: a request, or why it is not one.
using RpcItem = std::variant<RpcRequest, RpcError>;

struct RpcBody {
  bool batch = false;
  std::vector<RpcItem> items;
};

// Which protocol versions a request may speak, from its A2A-Version header
// (absent: ""). An unsupported version is an error to answer with -32009.
struct VersionRule {
  bool legacy_names = false;  // the v0.3 method names are served
};
std::variant<VersionRule, RpcError> check_version(std::string_view header);

// A body that cannot be read at all (not JSON, too large or deep, an empty or
// oversized batch) is one RpcError.
std::variant<RpcBody, RpcError> decode_body(std::string_view body, const VersionRule& rule);

boost::json::object result_envelope(const boost::json::value& id, boost::json::value result);
boost::json::object error_envelope(const RpcError& e);

}  // namespace agentmesh::a2a
