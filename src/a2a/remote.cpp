// a2a/remote: the outbound client's card, request and answer codecs.

#include "a2a/remote.hpp"

#include <fmt/format.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <cctype>

#include "a2a/jsonrpc.hpp"
#include "a2a/mapping.hpp"
#include "core/hex.hpp"

namespace agentmesh::a2a {
namespace json = boost::json;

namespace {

std::optional<json::value> parse_bounded(std::string_view body) {
  if (body.size() > kMaxBodyBytes) return std::nullopt;
  json::parse_options opts;
  opts.max_depth = kMaxDepth;
  boost::system::error_code ec;
  auto v = json::parse(body, ec, json::storage_ptr(), opts);
  if (ec) return std::nullopt;
  return v;
}

std::string member_text(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v && v->is_string() ? std::string(std::string_view(v->get_string()).substr(0, kMaxIdBytes)) : std::string();
}

std::optional<tasks::TaskState> remote_state(std::string_view s) {
  using S = tasks::TaskState;
  // v1.0's names, and 0.3's lower-case ones some servers still send.
  static constexpr std::pair<std::string_view, S> kNames[] = {{"TASK_STATE_SUBMITTED", S::submitted},
                                                              {"TASK_STATE_WORKING", S::working},
                                                              {"TASK_STATE_INPUT_REQUIRED", S::input_required},
                                                              {"TASK_STATE_AUTH_REQUIRED", S::auth_required},
                                                              {"TASK_STATE_COMPLETED", S::completed},
                                                              {"TASK_STATE_FAILED", S::failed},
                                                              {"TASK_STATE_CANCELED", S::canceled},
                                                              {"TASK_STATE_REJECTED", S::rejected},
                                                              {"submitted", S::submitted},
                                                              {"working", S::working},
                                                              {"input-required", S::input_required},
                                                              {"auth-required", S::auth_required},
                                                              {"completed", S::completed},
                                                              {"failed", S::failed},
                                                              {"canceled", S::canceled},
                                                              {"rejected", S::rejected}};
  for (const auto& [name, state] : kNames) {
    if (name == s) return state;
  }
  return std::nullopt;
}

// A message's or an artifact's parts; `why` when one cannot be carried.
bool parts_of(const json::value* v, std::vector<tasks::Part>& out, std::string& why) {
  if (!v) return true;
  if (!v->is_array()) {
    why = "parts is not an array";
    return false;
  }
  if (v->get_array().size() > kMaxParts) {
    why = fmt::format("more than {} parts", kMaxParts);
    return false;
  }
  for (const auto& item : v->get_array()) {
    auto p = part_of(item);
    if (auto* e = std::get_if<RpcError>(&p)) {
      why = e->message;
      return false;
    }
    out.push_back(std::move(std::get<tasks::Part>(p)));
  }
  return true;
}

bool status_of(const json::value* v, Update& u, std::string& why) {
  if (!v || !v->is_object()) {
    why = "status is missing";
    return false;
  }
  const auto& o = v->get_object();
  u.state = remote_state(member_text(o, "state"));
  if (!u.state) {
    why = fmt::format("unknown task state \"{}\"", member_text(o, "state"));
    return false;
  }
  if (const auto* m = o.if_contains("message"); m && m->is_object()) {
    return parts_of(m->get_object().if_contains("parts"), u.message, why);
  }
  return true;
}

bool artifact_of(const json::value& v, RemoteArtifact& a, std::string& why) {
  if (!v.is_object()) {
    why = "an artifact is not an object";
    return false;
  }
  const auto& o = v.get_object();
  a.id = member_text(o, "artifactId");
  if (a.id.empty()) a.id = member_text(o, "name");
  if (a.id.empty()) {
    why = "an artifact has no artifactId";
    return false;
  }
  return parts_of(o.if_contains("parts"), a.parts, why);
}

bool bool_of(const json::object& o, std::string_view key, bool fallback) {
  const auto* v = o.if_contains(key);
  return v && v->is_bool() ? v->get_bool() : fallback;
}

std::variant<Update, std::string> task_update(const json::object& o) {
  Update u;
  u.kind = Update::Kind::task;
  u.task_id = member_text(o, "id");
  u.context_id = member_text(o, "contextId");
  std::string why;
  if (u.task_id.empty()) return std::string("a task without an id");
  if (!status_of(o.if_contains("status"), u, why)) return why;
  if (const auto* arts = o.if_contains("artifacts")) {
    if (!arts->is_array() || arts->get_array().size() > kMaxParts) return std::string("artifacts is not a short array");
    for (const auto& item : arts->get_array()) {
      RemoteArtifact a;
      if (!artifact_of(item, a, why)) return why;
      u.artifacts.push_back(std::move(a));
    }
  }
  return u;
}

json::object message_params(const OutboundMessage& m, bool streaming) {
  json::array parts;
  for (const auto& p : m.parts) parts.push_back(part_json(p));
  json::object message{{"messageId", m.message_id}, {"role", "ROLE_USER"}, {"parts", std::move(parts)}};
  if (!m.task_id.empty()) message["taskId"] = m.task_id;
  if (!m.context_id.empty()) message["contextId"] = m.context_id;
  json::object params{{"message", std::move(message)}};
  if (!streaming) params["configuration"] = json::object{{"returnImmediately", true}};
  return params;
}

}  // namespace

std::variant<RemoteCard, std::string> parse_card(std::string_view body) {
  auto v = parse_bounded(body);
  if (!v || !v->is_object()) return std::string("the agent card is not a JSON object");
  const auto& o = v->get_object();
  RemoteCard card;
  card.name = member_text(o, "name");
  if (const auto* caps = o.if_contains("capabilities"); caps && caps->is_object()) {
    card.streaming = bool_of(caps->get_object(), "streaming", false);
  }
  const auto* ifaces = o.if_contains("supportedInterfaces");
  // JSON-RPC first, else HTTP+JSON; of protocol version 1.x (or unstated).
  for (const bool rest : {false, true}) {
    if (!ifaces || !ifaces->is_array()) break;
    for (const auto& item : ifaces->get_array()) {
      if (!item.is_object()) continue;
      const auto& i = item.get_object();
      const auto version = member_text(i, "protocolVersion");
      if (member_text(i, "protocolBinding") != (rest ? "HTTP+JSON" : "JSONRPC") ||
          !(version.empty() || version.starts_with("1."))) {
        continue;
      }
      card.url = member_text(i, "url");
      card.rest = rest;
      while (rest && card.url.ends_with('/')) card.url.pop_back();
      if (!card.url.empty()) return card;
    }
  }
  if (o.contains("preferredTransport") || o.contains("additionalInterfaces")) {
    return std::string("the agent card is A2A 0.3's; the outbound client speaks A2A 1.0");
  }
  return std::string("the agent card lists no JSON-RPC or HTTP+JSON interface of protocol version 1.0");
}

std::variant<Update, std::string> parse_update(const json::value& v) {
  if (!v.is_object()) return std::string("the result is not an object");
  const auto& o = v.get_object();
  std::string why;
  if (const auto* t = o.if_contains("task")) {
    if (!t->is_object()) return std::string("task is not an object");
    return task_update(t->get_object());
  }
  if (const auto* m = o.if_contains("message")) {
    if (!m->is_object()) return std::string("message is not an object");
    Update u;
    u.kind = Update::Kind::message;
    u.task_id = member_text(m->get_object(), "taskId");
    u.context_id = member_text(m->get_object(), "contextId");
    if (!parts_of(m->get_object().if_contains("parts"), u.message, why)) return why;
    return u;
  }
  if (const auto* s = o.if_contains("statusUpdate")) {
    if (!s->is_object()) return std::string("statusUpdate is not an object");
    Update u;
    u.kind = Update::Kind::status;
    u.task_id = member_text(s->get_object(), "taskId");
    u.context_id = member_text(s->get_object(), "contextId");
    if (!status_of(s->get_object().if_contains("status"), u, why)) return why;
    return u;
  }
  if (const auto* a = o.if_contains("artifactUpdate")) {
    if (!a->is_object()) return std::string("artifactUpdate is not an object");
    const auto& ao = a->get_object();
    Update u;
    u.kind = Update::Kind::artifact;
    u.task_id = member_text(ao, "taskId");
    u.context_id = member_text(ao, "contextId");
    RemoteArtifact art;
    const auto* inner = ao.if_contains("artifact");
    if (!inner || !artifact_of(*inner, art, why))
      return why.empty() ? std::string("artifactUpdate has no artifact") : why;
    art.append = bool_of(ao, "append", false);
    art.last = bool_of(ao, "lastChunk", true);
    u.artifacts.push_back(std::move(art));
    return u;
  }
  if (o.contains("id") && o.contains("status")) return task_update(o);
  return std::string("the result is none of task, message, statusUpdate, artifactUpdate");
}

std::variant<Update, RpcFailure, std::string> parse_response(std::string_view body) {
  auto v = parse_bounded(body);
  if (!v || !v->is_object()) return std::string("the answer is not a JSON object");
  const auto& o = v->get_object();
  if (const auto* e = o.if_contains("error")) {
    RpcFailure f;
    if (e->is_object()) {
      const auto* code = e->get_object().if_contains("code");
      if (code && code->is_int64()) f.code = static_cast<int>(code->get_int64());
      f.message = member_text(e->get_object(), "message");
    }
    return f;
  }
  const auto* result = o.if_contains("result");
  if (!result) return std::string("the answer has neither result nor error");
  auto u = parse_update(*result);
  if (auto* why = std::get_if<std::string>(&u)) return std::move(*why);
  return std::move(std::get<Update>(u));
}

std::string send_message_request(std::uint64_t id, const OutboundMessage& m, bool streaming) {
  return json::serialize(json::object{{"jsonrpc", "2.0"},
                                      {"id", id},
                                      {"method", streaming ? "SendStreamingMessage" : "SendMessage"},
                                      {"params", message_params(m, streaming)}});
}

std::string task_request(std::uint64_t id, std::string_view method, std::string_view task_id) {
  return json::serialize(
      json::object{{"jsonrpc", "2.0"}, {"id", id}, {"method", method}, {"params", json::object{{"id", task_id}}}});
}

RemoteCall send_message_call(const RemoteCard& card, std::uint64_t id, const OutboundMessage& m, bool streaming) {
  if (!card.rest) return RemoteCall{false, card.url, send_message_request(id, m, streaming)};
  return RemoteCall{false, card.url + (streaming ? "/message:stream" : "/message:send"),
                    json::serialize(message_params(m, streaming))};
}

RemoteCall task_call(const RemoteCard& card, std::uint64_t id, std::string_view method, std::string_view task_id) {
  if (!card.rest) return RemoteCall{false, card.url, task_request(id, method, task_id)};
  const auto base = card.url + "/tasks/" + core::percent_encode(task_id);
  if (method == "GetTask") return RemoteCall{true, base, ""};
  return RemoteCall{false, base + (method == "CancelTask" ? ":cancel" : ":subscribe"), "{}"};
}

std::variant<Update, RpcFailure, std::string> parse_answer(const RemoteCard& card, std::string_view body) {
  if (!card.rest) return parse_response(body);
  auto v = parse_bounded(body);
  if (!v || !v->is_object()) return std::string("the answer is not a JSON object");
  if (const auto* e = v->get_object().if_contains("error"); e && e->is_object()) {
    RpcFailure f;  // google.rpc.Status: the HTTP status as the code
    const auto* code = e->get_object().if_contains("code");
    if (code && code->is_int64()) f.code = static_cast<int>(code->get_int64());
    f.message = member_text(e->get_object(), "message");
    return f;
  }
  auto u = parse_update(*v);
  if (auto* why = std::get_if<std::string>(&u)) return std::move(*why);
  return std::move(std::get<Update>(u));
}

bool SseParser::feed(std::string_view bytes, std::vector<std::string>& events, std::string& why) {
  for (char c : bytes) {
    if (skip_lf_) {
      skip_lf_ = false;
      if (c == '\n') continue;
    }
    if (c != '\r' && c != '\n') {
      if (line_.size() + data_.size() >= max_event_) {
        why = fmt::format("an event longer than {} bytes", max_event_);
        return false;
      }
      line_.push_back(c);
      continue;
    }
    skip_lf_ = c == '\r';
    if (line_.empty()) {  // a blank line dispatches the event
      if (has_data_) events.push_back(std::move(data_));
      data_.clear();
      has_data_ = false;
      continue;
    }
    const std::string_view line(line_);
    if (line.starts_with("data")) {
      auto value = line.substr(4);
      if (value.empty() || value.front() == ':') {
        if (!value.empty()) value.remove_prefix(1);
        if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
        if (has_data_) data_.push_back('\n');
        data_.append(value);
        has_data_ = true;
      }
    }
    line_.clear();
  }
  return true;
}

}  // namespace agentmesh::a2a
