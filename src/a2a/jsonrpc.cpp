// a2a/jsonrpc: decoding JSON-RPC requests and writing their envelopes.

#include "a2a/jsonrpc.hpp"

#include <fmt/format.h>

#include <array>
#include <boost/json/parse.hpp>
#include <utility>

namespace agentmesh::a2a {
namespace json = boost::json;

namespace {

struct MethodName {
  Method method;
  std::string_view v1;
  std::string_view v03;
};

constexpr std::array<MethodName, 11> kMethods = {{
    {Method::send_message, "SendMessage", "message/send"},
    {Method::send_streaming_message, "SendStreamingMessage", "message/stream"},
    {Method::get_task, "GetTask", "tasks/get"},
    {Method::list_tasks, "ListTasks", ""},
    {Method::cancel_task, "CancelTask", "tasks/cancel"},
    {Method::subscribe_to_task, "SubscribeToTask", "tasks/resubscribe"},
    {Method::create_push_config, "CreateTaskPushNotificationConfig", "tasks/pushNotificationConfig/set"},
    {Method::get_push_config, "GetTaskPushNotificationConfig", "tasks/pushNotificationConfig/get"},
    {Method::list_push_configs, "ListTaskPushNotificationConfigs", "tasks/pushNotificationConfig/list"},
    {Method::delete_push_config, "DeleteTaskPushNotificationConfig", "tasks/pushNotificationConfig/delete"},
    {Method::get_extended_card, "GetExtendedAgentCard", "agent/getAuthenticatedExtendedCard"},
}};

RpcError error(RpcCode code, std::string message, json::value id = nullptr) {
  return RpcError{code, std::move(message), std::move(id)};
}

bool valid_id(const json::value& id) { return id.is_string() || id.is_int64() || id.is_uint64() || id.is_null(); }

RpcItem decode_one(const json::value& v, const VersionRule& rule) {
  if (!v.is_object()) return error(RpcCode::invalid_request, "a request must be a JSON object");
  const auto& o = v.get_object();
  json::value id = nullptr;
  const auto* pid = o.if_contains("id");
  if (pid) {
    if (!valid_id(*pid)) return error(RpcCode::invalid_request, "\"id\" must be a string, an integer or null");
    id = *pid;
  }
  for (const auto& kv : o) {
    const auto k = std::string_view(kv.key());
    if (k != "jsonrpc" && k != "id" && k != "method" && k != "params") {
      return error(RpcCode::invalid_request, fmt::format("unknown member \"{}\"", k), id);
    }
  }
  const auto* version = o.if_contains("jsonrpc");
  if (!version || !version->is_string() || version->get_string() != "2.0") {
    return error(RpcCode::invalid_request, "\"jsonrpc\" must be \"2.0\"", id);
  }
  const auto* method = o.if_contains("method");
  if (!method || !method->is_string()) return error(RpcCode::invalid_request, "\"method\" must be a string", id);
  RpcRequest req;
  req.id = id;
  req.notification = pid == nullptr;
  const std::string_view name = method->get_string();
  bool found = false;
  for (const auto& m : kMethods) {
    if (name == m.v1) {
      req.method = m.method;
      found = true;
    } else if (rule.legacy_names && !m.v03.empty() && name == m.v03) {
      req.method = m.method;
      req.legacy = true;
      found = true;
    }
  }
  if (!found) {
    return error(RpcCode::method_not_found, fmt::format("method \"{}\" not found", name.substr(0, 64)), id);
  }
  if (const auto* params = o.if_contains("params")) {
    if (!params->is_object()) return error(RpcCode::invalid_params, "\"params\" must be an object", id);
    req.params = params->get_object();
  }
  return req;
}

}  // namespace

std::string_view name_of(RpcCode c) noexcept {
  switch (c) {
    case RpcCode::parse_error:
      return "JSONParseError";
    case RpcCode::invalid_request:
      return "InvalidRequestError";
    case RpcCode::method_not_found:
      return "MethodNotFoundError";
    case RpcCode::invalid_params:
      return "InvalidParamsError";
    case RpcCode::internal_error:
      return "InternalError";
    case RpcCode::task_not_found:
      return "TaskNotFoundError";
    case RpcCode::task_not_cancelable:
      return "TaskNotCancelableError";
    case RpcCode::push_notification_not_supported:
      return "PushNotificationNotSupportedError";
    case RpcCode::unsupported_operation:
      return "UnsupportedOperationError";
    case RpcCode::content_type_not_supported:
      return "ContentTypeNotSupportedError";
    case RpcCode::invalid_agent_response:
      return "InvalidAgentResponseError";
    case RpcCode::extended_card_not_configured:
      return "ExtendedAgentCardNotConfiguredError";
    case RpcCode::extension_support_required:
      return "ExtensionSupportRequiredError";
    case RpcCode::version_not_supported:
      return "VersionNotSupportedError";
  }
  return "InternalError";
}

std::string_view name_of(Method m) noexcept {
  for (const auto& n : kMethods) {
    if (n.method == m) return n.v1;
  }
  return "";
}

std::variant<VersionRule, RpcError> check_version(std::string_view header) {
  if (header.empty() || header == "0.3" || header == "0.3.0") return VersionRule{true};
  if (header == "1.0" || header == "1" || header == "1.0.0") return VersionRule{false};
  return error(
      RpcCode::version_not_supported,
      fmt::format("A2A version \"{}\" is not supported: 1.0 (and 0.3's method names) only", header.substr(0, 32)));
}

std::variant<RpcBody, RpcError> decode_body(std::string_view body, const VersionRule& rule) {
  if (body.size() > kMaxBodyBytes) {
    return error(RpcCode::invalid_request, fmt::format("the body is larger than {} bytes", kMaxBodyBytes));
  }
  json::parse_options opts;
  opts.max_depth = kMaxDepth;
  boost::system::error_code ec;
  auto v = json::parse(body, ec, json::storage_ptr(), opts);
  if (ec) return error(RpcCode::parse_error, fmt::format("not JSON: {}", ec.message()));
  RpcBody out;
  if (v.is_array()) {
    const auto& a = v.get_array();
    if (a.empty()) return error(RpcCode::invalid_request, "an empty batch");
    if (a.size() > kMaxBatch) {
      return error(RpcCode::invalid_request, fmt::format("a batch of more than {} requests", kMaxBatch));
    }
    out.batch = true;
    for (const auto& item : a) out.items.push_back(decode_one(item, rule));
    return out;
  }
  out.items.push_back(decode_one(v, rule));
  return out;
}

json::object result_envelope(const json::value& id, json::value result) {
  return json::object{{"jsonrpc", "2.0"}, {"id", id}, {"result", std::move(result)}};
}

json::object error_envelope(const RpcError& e) {
  return json::object{{"jsonrpc", "2.0"},
                      {"id", e.id},
                      {"error", json::object{{"code", static_cast<int>(e.code)}, {"message", e.message}}}};
}

}  // namespace agentmesh::a2a
