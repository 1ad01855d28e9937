// a2a/mapping: tasks in A2A's JSON, and A2A messages as task parts.

#include "a2a/mapping.hpp"

#include <fmt/format.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <ctime>

#include "core/utf8.hpp"

namespace agentmesh::a2a {
namespace json = boost::json;

namespace {

RpcError invalid(std::string message) { return RpcError{RpcCode::invalid_params, std::move(message), nullptr}; }

json::object message_json(std::string id, std::string_view role, const std::vector<tasks::Part>& parts,
                          const tasks::Task& t) {
  json::array ps;
  for (const auto& p : parts) ps.push_back(part_json(p));
  return json::object{{"messageId", std::move(id)},
                      {"role", role},
                      {"parts", std::move(ps)},
                      {"taskId", t.id.to_string()},
                      {"contextId", t.context_id}};
}

// The status's message: the latest status message, else the reason of a
// task that ended without one.
std::optional<json::object> status_message(const tasks::Task& t) {
  if (!t.messages.empty() && t.messages.back().from != t.requester) {
    return message_json(fmt::format("{}:{}", t.id.to_string(), t.messages.size()), "ROLE_AGENT",
                        t.messages.back().parts, t);
  }
  if (!t.reason.empty() && tasks::terminal(t.state)) {
    tasks::Part reason;
    reason.text = t.reason;
    return message_json(fmt::format("{}:reason", t.id.to_string()), "ROLE_AGENT", {reason}, t);
  }
  return std::nullopt;
}

std::variant<tasks::Part, RpcError> decode_part(const json::value& v) {
  if (!v.is_object()) return invalid("message.parts[] must be objects");
  const auto& o = v.get_object();
  tasks::Part p;
  const auto string_member = [&](std::string_view key, std::string& out) -> bool {
    const auto* m = o.if_contains(key);
    if (!m) return true;
    if (!m->is_string()) return false;
    out = std::string(m->get_string());
    return true;
  };
  if (!string_member("mediaType", p.media_type)) return invalid("part.mediaType must be a string");
  int kinds = 0;
  for (const auto& kv : o) {
    const auto k = std::string_view(kv.key());
    if (k == "text" || k == "data" || k == "url" || k == "raw") {
      ++kinds;
    } else if (k != "mediaType" && k != "filename" && k != "metadata") {
      return invalid(fmt::format("part member \"{}\" is not known", k.substr(0, 64)));
    }
  }
  if (kinds != 1) return invalid("a part has exactly one of text, data, url or raw");
  if (o.contains("raw")) {
    return RpcError{RpcCode::content_type_not_supported,
                    "inline file bytes (raw) are not supported: pass the file by url", nullptr};
  }
  if (const auto* text = o.if_contains("text")) {
    if (!text->is_string()) return invalid("part.text must be a string");
    p.kind = tasks::Part::Kind::text;
    p.text = std::string(text->get_string());
  } else if (const auto* data = o.if_contains("data")) {
    p.kind = tasks::Part::Kind::data;
    p.text = json::serialize(*data);
  } else {
    p.kind = tasks::Part::Kind::file;
    if (!string_member("url", p.uri) || p.uri.empty()) return invalid("part.url must be a non-empty string");
    if (!string_member("filename", p.name)) return invalid("part.filename must be a string");
  }
  if (!core::is_valid_utf8(p.text) || !core::is_valid_utf8(p.uri) || !core::is_valid_utf8(p.name)) {
    return invalid("a part's text must be UTF-8");
  }
  return p;
}

bool id_member(const json::object& o, std::string_view key, std::string& out, bool required, std::string& why) {
  const auto* v = o.if_contains(key);
  if (!v) {
    if (required) why = fmt::format("message.{} is required", key);
    return !required;
  }
  if (!v->is_string() || v->get_string().empty() || v->get_string().size() > kMaxIdBytes) {
    why = fmt::format("message.{} must be a string of 1-{} bytes", key, kMaxIdBytes);
    return false;
  }
  out = std::string(v->get_string());
  if (!core::is_valid_utf8(out)) {
    why = fmt::format("message.{} must be UTF-8", key);
    return false;
  }
  return true;
}

}  // namespace

std::string_view state_name(tasks::TaskState s) noexcept {
  switch (s) {
    case tasks::TaskState::submitted:
      return "TASK_STATE_SUBMITTED";
    case tasks::TaskState::working:
      return "TASK_STATE_WORKING";
    case tasks::TaskState::input_required:
      return "TASK_STATE_INPUT_REQUIRED";
    case tasks::TaskState::auth_required:
      return "TASK_STATE_AUTH_REQUIRED";
    case tasks::TaskState::completed:
      return "TASK_STATE_COMPLETED";
    case tasks::TaskState::failed:
      return "TASK_STATE_FAILED";
    case tasks::TaskState::canceled:
      return "TASK_STATE_CANCELED";
    case tasks::TaskState::rejected:
      return "TASK_STATE_REJECTED";
  }
  return "TASK_STATE_UNSPECIFIED";
}

std::string timestamp(core::UnixMs ms) {
  const std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                     tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms % 1000));
}

json::object part_json(const tasks::Part& p) {
  json::object o;
  switch (p.kind) {
    case tasks::Part::Kind::text:
      o["text"] = p.text;
      break;
    case tasks::Part::Kind::data: {
      boost::system::error_code ec;
      auto v = json::parse(p.text, ec);
      o["data"] = ec ? json::value(p.text) : std::move(v);  // stored parts are JSON; never drop one
      break;
    }
    case tasks::Part::Kind::file:
      o["url"] = p.uri;
      if (!p.name.empty()) o["filename"] = p.name;
      break;
  }
  if (!p.media_type.empty()) o["mediaType"] = p.media_type;
  return o;
}

json::object task_json(const tasks::Task& t, std::optional<std::size_t> history_length) {
  json::object status{{"state", state_name(t.state)}, {"timestamp", timestamp(t.updated_ms)}};
  if (auto m = status_message(t)) status["message"] = std::move(*m);
  json::array history;
  history.push_back(message_json(fmt::format("{}:0", t.id.to_string()), "ROLE_USER", t.input, t));
  for (std::size_t i = 0; i < t.messages.size(); ++i) {
    const auto& m = t.messages[i];
    history.push_back(message_json(fmt::format("{}:{}", t.id.to_string(), i + 1),
                                   m.from == t.requester ? "ROLE_USER" : "ROLE_AGENT", m.parts, t));
  }
  if (history_length && *history_length < history.size()) {
    history.erase(history.begin(), history.end() - static_cast<std::ptrdiff_t>(*history_length));
  }
  json::array artifacts;
  for (const auto& a : t.artifacts) {
    json::array ps;
    for (const auto& p : a.parts) ps.push_back(part_json(p));
    artifacts.push_back(json::object{{"artifactId", a.name}, {"name", a.name}, {"parts", std::move(ps)}});
  }
  json::object o{{"id", t.id.to_string()}, {"contextId", t.context_id}, {"status", std::move(status)}};
  if (!artifacts.empty()) o["artifacts"] = std::move(artifacts);
  if (!history.empty()) o["history"] = std::move(history);
  if (!t.metadata.empty()) {
    json::object md;
    for (const auto& [k, v] : t.metadata) md[k] = v;
    o["metadata"] = std::move(md);
  }
  return o;
}

bool stream_ends(tasks::TaskState s) noexcept {
  return tasks::terminal(s) || s == tasks::TaskState::input_required || s == tasks::TaskState::auth_required;
}

std::vector<json::object> stream_responses(const tasks::Event& e, std::string_view context_id,
                                           const core::AgentId& requester) {
  std::vector<json::object> out;
  const auto task = e.task.to_string();
  for (const auto& c : e.chunks) {
    json::array ps;
    for (const auto& p : c.parts) ps.push_back(part_json(p));
    out.push_back(json::object{
        {"artifactUpdate",
         json::object{{"taskId", task},
                      {"contextId", context_id},
                      {"artifact", json::object{{"artifactId", c.name}, {"name", c.name}, {"parts", std::move(ps)}}},
                      {"append", c.index > 0},
                      {"lastChunk", c.last}}}});
  }
  json::object status{{"state", state_name(e.state)}, {"timestamp", timestamp(e.time_ms)}};
  std::vector<tasks::Part> parts;
  std::string_view role = "ROLE_AGENT";
  if (e.message) {
    parts = e.message->parts;
    if (e.message->from == requester) role = "ROLE_USER";
  } else if (!e.reason.empty() && tasks::terminal(e.state)) {
    tasks::Part reason;
    reason.text = e.reason;
    parts.push_back(std::move(reason));
  }
  if (!parts.empty()) {
    json::array ps;
    for (const auto& p : parts) ps.push_back(part_json(p));
    status["message"] = json::object{{"messageId", fmt::format("{}:s{}", task, e.sequence)},
                                     {"role", role},
                                     {"parts", std::move(ps)},
                                     {"taskId", task},
                                     {"contextId", context_id}};
  }
  out.push_back(json::object{
      {"statusUpdate", json::object{{"taskId", task}, {"contextId", context_id}, {"status", std::move(status)}}}});
  return out;
}

std::variant<InboundMessage, RpcError> message_of(const json::value& v) {
  if (!v.is_object()) return invalid("message must be an object");
  const auto& o = v.get_object();
  InboundMessage m;
  std::string why;
  if (!id_member(o, "messageId", m.message_id, true, why) || !id_member(o, "contextId", m.context_id, false, why) ||
      !id_member(o, "taskId", m.task_id, false, why)) {
    return invalid(why);
  }
  const auto* role = o.if_contains("role");
  if (role && (!role->is_string() || (role->get_string() != "ROLE_USER" && role->get_string() != "user"))) {
    return invalid("message.role must be ROLE_USER");
  }
  const auto* parts = o.if_contains("parts");
  if (!parts || !parts->is_array() || parts->get_array().empty()) {
    return invalid("message.parts must be a non-empty array");
  }
  if (parts->get_array().size() > kMaxParts) return invalid(fmt::format("message.parts has more than {}", kMaxParts));
  for (const auto& item : parts->get_array()) {
    auto p = decode_part(item);
    if (auto* e = std::get_if<RpcError>(&p)) return std::move(*e);
    m.parts.push_back(std::move(std::get<tasks::Part>(p)));
  }
  if (const auto* md = o.if_contains("metadata")) {
    if (!md->is_object()) return invalid("message.metadata must be an object");
    for (const auto& kv : md->get_object()) {
      m.metadata.emplace_back(std::string(kv.key()), kv.value().is_string() ? std::string(kv.value().get_string())
                                                                            : json::serialize(kv.value()));
    }
  }
  return m;
}

std::variant<tasks::Part, RpcError> part_of(const json::value& v) { return decode_part(v); }

}  // namespace agentmesh::a2a
