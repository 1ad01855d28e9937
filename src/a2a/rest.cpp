// a2a/rest: the HTTP+JSON binding's requests and errors (a2a/rest.hpp).

#include "a2a/rest.hpp"

#include <fmt/format.h>

#include <boost/json/array.hpp>
#include <boost/json/parse.hpp>
#include <charconv>
#include <optional>

namespace agentmesh::a2a {
namespace json = boost::json;

namespace {

RestError refuse(int status, RpcCode code, std::string message) { return RestError{status, code, std::move(message)}; }

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Percent-decoding; in a query '+' is a space. nullopt: a broken escape.
std::optional<std::string> unescape(std::string_view s, bool query) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%') {
      if (i + 2 >= s.size()) return std::nullopt;
      const int hi = hex_digit(s[i + 1]), lo = hex_digit(s[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else {
      out.push_back(query && s[i] == '+' ? ' ' : s[i]);
    }
  }
  return out;
}

// A query value as the JSON the method expects.
json::value query_value(std::string_view name, std::string value) {
  if (name == "pageSize" || name == "historyLength") {
    std::int64_t n = 0;
    const auto* end = value.data() + value.size();
    if (auto [p, ec] = std::from_chars(value.data(), end, n); ec == std::errc() && p == end && !value.empty()) {
      return n;
    }
  }
  if (name == "includeArtifacts") {
    if (value == "true") return true;
    if (value == "false") return false;
  }
  return json::string(value);
}

std::variant<json::object, RestError> decode_query(std::string_view query) {
  json::object out;
  if (query.size() > kMaxQueryBytes) {
    return refuse(400, RpcCode::invalid_params, fmt::format("the query is longer than {} bytes", kMaxQueryBytes));
  }
  while (!query.empty()) {
    const auto amp = query.find('&');
    const auto pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (pair.empty()) continue;
    const auto eq = pair.find('=');
    auto name = unescape(pair.substr(0, eq), true);
    auto value = unescape(eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1), true);
    if (!name || !value) return refuse(400, RpcCode::invalid_params, "a query parameter has a broken %-escape");
    if (out.contains(*name)) {
      return refuse(400, RpcCode::invalid_params,
                    fmt::format("query parameter \"{}\" given twice", name->substr(0, 64)));
    }
    auto v = query_value(*name, std::move(*value));
    out.emplace(*name, std::move(v));
  }
  return out;
}

std::variant<json::object, RestError> decode_body(std::string_view body) {
  if (body.empty()) return json::object{};
  if (body.size() > kMaxBodyBytes) {
    return refuse(413, RpcCode::invalid_request, fmt::format("the body is larger than {} bytes", kMaxBodyBytes));
  }
  json::parse_options opts;
  opts.max_depth = kMaxDepth;
  boost::system::error_code ec;
  auto v = json::parse(body, ec, json::storage_ptr(), opts);
  if (ec) return refuse(400, RpcCode::parse_error, fmt::format("the body is not JSON: {}", ec.message()));
  if (!v.is_object()) return refuse(400, RpcCode::invalid_request, "the body must be a JSON object");
  return std::move(v.get_object());
}

// The method a path and HTTP method name; `id`/`config` are set from the path.
struct Route {
  Method method;
  std::string_view http;  // the HTTP method it takes
};

std::variant<Route, RestError> route(std::string_view http, std::string_view path, std::string& id,
                                     std::string& config) {
  auto only = [&](Method m, std::string_view want) -> std::variant<Route, RestError> {
    if (http != want) {
      return refuse(405, RpcCode::method_not_found, fmt::format("{} takes {}, not {}", path.substr(0, 64), want, http));
    }
    return Route{m, want};
  };
  if (path == "/message:send") return only(Method::send_message, "POST");
  if (path == "/message:stream") return only(Method::send_streaming_message, "POST");
  if (path == "/extendedAgentCard") return only(Method::get_extended_card, "GET");
  if (path == "/tasks") return only(Method::list_tasks, "GET");
  constexpr std::string_view kTasks = "/tasks/";
  if (!path.starts_with(kTasks)) {
    return refuse(404, RpcCode::method_not_found, fmt::format("no A2A method at {}", path.substr(0, 128)));
  }
  auto rest = path.substr(kTasks.size());
  const auto slash = rest.find('/');
  auto head = rest.substr(0, slash);
  const auto tail = slash == std::string_view::npos ? std::string_view() : rest.substr(slash);
  std::string_view verb;
  if (tail.empty()) {
    if (head.ends_with(":cancel")) {
      verb = "cancel";
    } else if (head.ends_with(":subscribe")) {
      verb = "subscribe";
    }
    if (!verb.empty()) head.remove_suffix(verb.size() + 1);
  }
  auto decoded = unescape(head, false);
  if (!decoded || decoded->empty()) return refuse(404, RpcCode::method_not_found, "the path names no task");
  id = std::move(*decoded);
  if (tail.empty()) {
    if (verb == "cancel") return only(Method::cancel_task, "POST");
    if (verb == "subscribe") return only(Method::subscribe_to_task, "POST");
    return only(Method::get_task, "GET");
  }
  constexpr std::string_view kConfigs = "/pushNotificationConfigs";
  if (tail == kConfigs) {
    if (http == "POST") return Route{Method::create_push_config, "POST"};
    return only(Method::list_push_configs, "GET");
  }
  if (tail.starts_with(kConfigs) && tail.size() > kConfigs.size() + 1 && tail[kConfigs.size()] == '/' &&
      tail.find('/', kConfigs.size() + 1) == std::string_view::npos) {
    auto c = unescape(tail.substr(kConfigs.size() + 1), false);
    if (!c) return refuse(404, RpcCode::method_not_found, "the path names no push notification config");
    config = std::move(*c);
    if (http == "DELETE") return Route{Method::delete_push_config, "DELETE"};
    return only(Method::get_push_config, "GET");
  }
  return refuse(404, RpcCode::method_not_found, fmt::format("no A2A method at {}", path.substr(0, 128)));
}

// google.rpc.Code names: by the A2A error where the table gives one, else by
// the HTTP status.
std::string_view status_name(int status, RpcCode code) {
  switch (code) {
    case RpcCode::task_not_found:
      return "NOT_FOUND";
    case RpcCode::task_not_cancelable:
    case RpcCode::push_notification_not_supported:
    case RpcCode::unsupported_operation:
    case RpcCode::extended_card_not_configured:
    case RpcCode::extension_support_required:
    case RpcCode::version_not_supported:
      return "FAILED_PRECONDITION";
    case RpcCode::content_type_not_supported:
      return "INVALID_ARGUMENT";
    default:
      break;
  }
  switch (status) {
    case 400:
    case 413:
    case 415:
      return "INVALID_ARGUMENT";
    case 401:
      return "UNAUTHENTICATED";
    case 403:
      return "PERMISSION_DENIED";
    case 404:
      return "NOT_FOUND";
    case 405:
      return "UNIMPLEMENTED";
    case 429:
      return "RESOURCE_EXHAUSTED";
    case 503:
      return "UNAVAILABLE";
    default:
      return "INTERNAL";
  }
}

// ErrorInfo's reason: the error's name in UPPER_SNAKE_CASE without "Error".
std::string_view reason_of(RpcCode code) {
  switch (code) {
    case RpcCode::task_not_found:
      return "TASK_NOT_FOUND";
    case RpcCode::task_not_cancelable:
      return "TASK_NOT_CANCELABLE";
    case RpcCode::push_notification_not_supported:
      return "PUSH_NOTIFICATION_NOT_SUPPORTED";
    case RpcCode::unsupported_operation:
      return "UNSUPPORTED_OPERATION";
    case RpcCode::content_type_not_supported:
      return "CONTENT_TYPE_NOT_SUPPORTED";
    case RpcCode::invalid_agent_response:
      return "INVALID_AGENT_RESPONSE";
    case RpcCode::extended_card_not_configured:
      return "EXTENDED_AGENT_CARD_NOT_CONFIGURED";
    case RpcCode::extension_support_required:
      return "EXTENSION_SUPPORT_REQUIRED";
    case RpcCode::version_not_supported:
      return "VERSION_NOT_SUPPORTED";
    case RpcCode::invalid_params:
      return "INVALID_PARAMS";
    default:
      return "";
  }
}

}  // namespace

std::variant<RestCall, RestError> decode_rest(std::string_view http_method, std::string_view path,
                                              std::string_view query, std::string_view body) {
  std::string id, config;
  auto r = route(http_method, path, id, config);
  if (auto* e = std::get_if<RestError>(&r)) return std::move(*e);
  const auto& to = std::get<Route>(r);
  RestCall call;
  call.method = to.method;
  if (to.http == "GET" || to.http == "DELETE") {
    if (!body.empty()) return refuse(400, RpcCode::invalid_request, fmt::format("{} takes no body", to.http));
    auto q = decode_query(query);
    if (auto* e = std::get_if<RestError>(&q)) return std::move(*e);
    call.params = std::move(std::get<json::object>(q));
  } else {
    auto b = decode_body(body);
    if (auto* e = std::get_if<RestError>(&b)) return std::move(*e);
    call.params = std::move(std::get<json::object>(b));
  }
  switch (call.method) {
    case Method::create_push_config:
    case Method::list_push_configs:
      call.params["taskId"] = id;
      break;
    case Method::get_push_config:
    case Method::delete_push_config:
      call.params["taskId"] = id;
      call.params["id"] = config;
      break;
    default:
      if (!id.empty()) call.params["id"] = id;
  }
  return call;
}

int rest_status(RpcCode code) noexcept {
  switch (code) {
    case RpcCode::task_not_found:
    case RpcCode::method_not_found:
      return 404;
    case RpcCode::internal_error:
    case RpcCode::invalid_agent_response:
      return 500;
    default:
      return 400;
  }
}

json::object error_body(int status, RpcCode code, std::string_view message) {
  json::object e{{"code", status}, {"status", status_name(status, code)}, {"message", message}};
  if (const auto reason = reason_of(code); !reason.empty()) {
    e["details"] = json::array{json::object{{"@type", "type.googleapis.com/google.rpc.ErrorInfo"},
                                            {"reason", reason},
                                            {"domain", "a2a-protocol.org"}}};
  }
  return json::object{{"error", std::move(e)}};
}

}  // namespace agentmesh::a2a
