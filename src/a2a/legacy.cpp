// a2a/legacy: A2A 0.3's shapes to and from 1.0's (a2a/legacy.hpp).

#include "a2a/legacy.hpp"

#include <fmt/format.h>

#include <boost/json/array.hpp>
#include <string_view>

namespace agentmesh::a2a {
namespace json = boost::json;

namespace {

RpcError malformed_v03(std::string message) { return RpcError{RpcCode::invalid_params, std::move(message), nullptr}; }

// Copies `key` from `from` to `to` under `as` when present.
void copy_member(const json::object& from, std::string_view key, json::object& to, std::string_view as) {
  if (const auto* v = from.if_contains(key)) to[as] = *v;
}

std::variant<json::object, RpcError> part_from_v03(const json::value& v) {
  if (!v.is_object()) return malformed_v03("a message part must be an object");
  const auto& p = v.get_object();
  const auto* kind = p.if_contains("kind");
  if (!kind || !kind->is_string()) return malformed_v03("a 0.3 part needs \"kind\": text, data or file");
  json::object out;
  if (kind->get_string() == "text") {
    copy_member(p, "text", out, "text");
  } else if (kind->get_string() == "data") {
    copy_member(p, "data", out, "data");
  } else if (kind->get_string() == "file") {
    const auto* f = p.if_contains("file");
    if (!f || !f->is_object()) return malformed_v03("a 0.3 file part needs \"file\": {uri or bytes}");
    const auto& file = f->get_object();
    copy_member(file, "uri", out, "url");
    copy_member(file, "bytes", out, "raw");
    copy_member(file, "name", out, "filename");
    copy_member(file, "mimeType", out, "mediaType");
  } else {
    return malformed_v03(fmt::format("unknown part kind \"{}\"", std::string_view(kind->get_string()).substr(0, 32)));
  }
  if (out.empty()) {
    return malformed_v03(fmt::format("a 0.3 {} part without its content", std::string_view(kind->get_string())));
  }
  return out;
}

std::variant<json::object, RpcError> message_from_v03(const json::value& v) {
  if (!v.is_object()) return malformed_v03("params.message must be an object");
  const auto& m = v.get_object();
  json::object out;
  for (const auto* key : {"messageId", "contextId", "taskId", "metadata"}) copy_member(m, key, out, key);
  if (const auto* role = m.if_contains("role")) {
    out["role"] = role->is_string() && role->get_string() == "user" ? json::value("ROLE_USER") : *role;
  }
  if (const auto* parts = m.if_contains("parts")) {
    if (!parts->is_array()) return malformed_v03("message.parts must be an array");
    json::array ps;
    for (const auto& p : parts->get_array()) {
      auto converted = part_from_v03(p);
      if (auto* e = std::get_if<RpcError>(&converted)) return std::move(*e);
      ps.push_back(std::move(std::get<json::object>(converted)));
    }
    out["parts"] = std::move(ps);
  }
  return out;
}

json::object part_to_v03(const json::object& p) {
  if (const auto* t = p.if_contains("text")) return json::object{{"kind", "text"}, {"text", *t}};
  if (const auto* d = p.if_contains("data")) return json::object{{"kind", "data"}, {"data", *d}};
  json::object file;
  copy_member(p, "url", file, "uri");
  copy_member(p, "filename", file, "name");
  copy_member(p, "mediaType", file, "mimeType");
  return json::object{{"kind", "file"}, {"file", std::move(file)}};
}

// Each object of the array `v` (if it is one) through `f`; other items are skipped.
template <class F>
json::array map_objects(const json::value* v, F f) {
  json::array out;
  if (v && v->is_array()) {
    for (const auto& item : v->get_array()) {
      if (item.is_object()) out.push_back(f(item.get_object()));
    }
  }
  return out;
}

json::array parts_to_v03(const json::value* parts) { return map_objects(parts, part_to_v03); }

json::object message_to_v03(const json::object& m) {
  json::object out{{"kind", "message"}};
  for (const auto* key : {"messageId", "taskId", "contextId", "metadata"}) copy_member(m, key, out, key);
  const auto* role = m.if_contains("role");
  out["role"] = role && role->is_string() && role->get_string() == "ROLE_USER" ? "user" : "agent";
  out["parts"] = parts_to_v03(m.if_contains("parts"));
  return out;
}

// TASK_STATE_INPUT_REQUIRED -> input-required; whether a stream ends there.
std::string state_to_v03(std::string_view s, bool* final = nullptr) {
  constexpr std::string_view kPrefix = "TASK_STATE_";
  if (s.starts_with(kPrefix)) s.remove_prefix(kPrefix.size());
  std::string out;
  for (char c : s) out.push_back(c == '_' ? '-' : static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c));
  if (out == "unspecified" || out.empty()) out = "unknown";
  if (final) *final = out != "submitted" && out != "working" && out != "unknown";
  return out;
}

json::object status_to_v03(const json::value& v, bool* final = nullptr) {
  json::object out;
  if (!v.is_object()) return out;
  const auto& s = v.get_object();
  const auto* state = s.if_contains("state");
  out["state"] = state_to_v03(state && state->is_string() ? std::string_view(state->get_string()) : "", final);
  if (const auto* m = s.if_contains("message"); m && m->is_object()) out["message"] = message_to_v03(m->get_object());
  copy_member(s, "timestamp", out, "timestamp");
  return out;
}

json::object artifact_to_v03(const json::object& a) {
  json::object out;
  for (const auto* key : {"artifactId", "name", "description", "metadata"}) copy_member(a, key, out, key);
  out["parts"] = parts_to_v03(a.if_contains("parts"));
  return out;
}

json::object task_to_v03(const json::object& t) {
  json::object out{{"kind", "task"}};
  for (const auto* key : {"id", "contextId", "metadata"}) copy_member(t, key, out, key);
  out["status"] = status_to_v03(t.contains("status") ? t.at("status") : json::value());
  if (const auto* h = t.if_contains("history"); h && h->is_array()) out["history"] = map_objects(h, message_to_v03);
  if (const auto* as = t.if_contains("artifacts"); as && as->is_array()) {
    out["artifacts"] = map_objects(as, artifact_to_v03);
  }
  return out;
}

// 0.3's PushNotificationConfig {id, url, token, authentication: {schemes,
// credentials}} as 1.0's TaskPushNotificationConfig members (no taskId).
std::variant<json::object, RpcError> push_from_v03(const json::value& v) {
  if (!v.is_object()) return malformed_v03("pushNotificationConfig must be an object");
  const auto& c = v.get_object();
  json::object out;
  for (const auto* key : {"id", "url", "token"}) copy_member(c, key, out, key);
  if (const auto* a = c.if_contains("authentication"); a && !a->is_null()) {
    if (!a->is_object()) return malformed_v03("authentication must be an object");
    const auto* schemes = a->get_object().if_contains("schemes");
    if (!schemes || !schemes->is_array() || schemes->get_array().empty()) {
      return malformed_v03("authentication.schemes must list a scheme");
    }
    json::object auth{{"scheme", schemes->get_array().front()}};
    copy_member(a->get_object(), "credentials", auth, "credentials");
    out["authentication"] = std::move(auth);
  }
  return out;
}

json::object push_to_v03(const json::object& c) {
  json::object conf;
  for (const auto* key : {"id", "url", "token"}) copy_member(c, key, conf, key);
  if (const auto* a = c.if_contains("authentication"); a && a->is_object()) {
    json::object auth{{"schemes", json::array{a->get_object().contains("scheme") ? a->at("scheme") : ""}}};
    copy_member(a->get_object(), "credentials", auth, "credentials");
    conf["authentication"] = std::move(auth);
  }
  json::object out{{"pushNotificationConfig", std::move(conf)}};
  copy_member(c, "taskId", out, "taskId");
  return out;
}

// The push config methods' 0.3 params: set {taskId, pushNotificationConfig};
// get, list and delete {id: the task, pushNotificationConfigId}.
std::variant<json::object, RpcError> push_params_from_v03(Method m, const json::object& params) {
  json::object out;
  if (m == Method::create_push_config) {
    const auto* c = params.if_contains("pushNotificationConfig");
    if (!c) return malformed_v03("params.pushNotificationConfig is required");
    auto conf = push_from_v03(*c);
    if (auto* e = std::get_if<RpcError>(&conf)) return std::move(*e);
    out = std::move(std::get<json::object>(conf));
    copy_member(params, "taskId", out, "taskId");
    return out;
  }
  copy_member(params, "id", out, "taskId");
  copy_member(params, "pushNotificationConfigId", out, "id");
  return out;
}

}  // namespace

std::variant<json::object, RpcError> params_from_v03(Method m, const json::object& params) {
  switch (m) {
    case Method::create_push_config:
    case Method::get_push_config:
    case Method::list_push_configs:
    case Method::delete_push_config:
      return push_params_from_v03(m, params);
    case Method::send_message:
    case Method::send_streaming_message:
      break;
    default:
      return params;
  }
  json::object out;
  if (const auto* message = params.if_contains("message")) {
    auto converted = message_from_v03(*message);
    if (auto* e = std::get_if<RpcError>(&converted)) return std::move(*e);
    out["message"] = std::move(std::get<json::object>(converted));
  }
  copy_member(params, "metadata", out, "metadata");
  if (const auto* c = params.if_contains("configuration")) {
    if (!c->is_object()) return malformed_v03("params.configuration must be an object");
    const auto& co = c->get_object();
    json::object conf;
    if (const auto* b = co.if_contains("blocking")) {
      if (!b->is_bool()) return malformed_v03("configuration.blocking must be true or false");
      conf["returnImmediately"] = !b->get_bool();
    }
    copy_member(co, "historyLength", conf, "historyLength");
    if (const auto* push = co.if_contains("pushNotificationConfig"); push && !push->is_null()) {
      auto converted = push_from_v03(*push);
      if (auto* e = std::get_if<RpcError>(&converted)) return std::move(*e);
      conf["taskPushNotificationConfig"] = std::move(std::get<json::object>(converted));
    }
    out["configuration"] = std::move(conf);
  }
  return out;
}

json::value result_to_v03(Method m, const json::value& result) {
  if (!result.is_object()) return result;
  const auto& o = result.get_object();
  switch (m) {
    case Method::send_message:
      if (const auto* t = o.if_contains("task"); t && t->is_object()) return task_to_v03(t->get_object());
      if (const auto* msg = o.if_contains("message"); msg && msg->is_object()) return message_to_v03(msg->get_object());
      return result;
    case Method::get_task:
    case Method::cancel_task:
      return task_to_v03(o);
    case Method::create_push_config:
    case Method::get_push_config:
      return push_to_v03(o);
    case Method::list_push_configs:
      return map_objects(o.if_contains("configs"), push_to_v03);
    case Method::delete_push_config:
      return nullptr;
    default:
      return result;
  }
}

json::object stream_item_to_v03(const json::object& item) {
  if (const auto* t = item.if_contains("task"); t && t->is_object()) return task_to_v03(t->get_object());
  if (const auto* u = item.if_contains("statusUpdate"); u && u->is_object()) {
    const auto& s = u->get_object();
    json::object out{{"kind", "status-update"}};
    copy_member(s, "taskId", out, "taskId");
    copy_member(s, "contextId", out, "contextId");
    bool final = false;
    out["status"] = status_to_v03(s.contains("status") ? s.at("status") : json::value(), &final);
    out["final"] = final;
    return out;
  }
  if (const auto* a = item.if_contains("artifactUpdate"); a && a->is_object()) {
    const auto& s = a->get_object();
    json::object out{{"kind", "artifact-update"}};
    for (const auto* key : {"taskId", "contextId", "append", "lastChunk"}) copy_member(s, key, out, key);
    if (const auto* art = s.if_contains("artifact"); art && art->is_object()) {
      out["artifact"] = artifact_to_v03(art->get_object());
    }
    return out;
  }
  return item;
}

}  // namespace agentmesh::a2a
