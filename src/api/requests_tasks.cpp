// The local API's task request bodies (docs/api.md, "Tasks"): JSON ->
// node::CreateTaskRequest and node::TaskActionRequest.

#include <fmt/format.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <limits>

#include "api/error.hpp"
#include "api/request_fields.hpp"
#include "api/requests.hpp"

namespace agentmesh::api {
namespace json = boost::json;
using namespace request_detail;

namespace {

constexpr std::size_t kMaxParts = 64;
constexpr std::size_t kMaxChunks = 64;
constexpr std::size_t kMaxNameBytes = 256;
constexpr std::size_t kMaxUriBytes = 2048;

// A2A-style parts: {"kind":"text","text"}, {"kind":"data","data"} (any JSON
// value), {"kind":"file","uri","name"?,"media_type","size"?}.
Result<std::vector<tasks::Part>> parts_field(const json::value* v, std::string_view key, std::string& why) {
  std::vector<tasks::Part> out;
  if (!v) return out;
  auto bad = [&](std::string_view what) {
    why = fmt::format("field \"{}\" {}", key, what);
    return error_code(error::invalid_field);
  };
  if (!v->is_array()) return bad("must be an array of parts");
  if (v->get_array().size() > kMaxParts) return bad(fmt::format("must have at most {} parts", kMaxParts));
  for (const auto& item : v->get_array()) {
    if (!item.is_object()) return bad("must be an array of objects");
    Fields f(item.get_object(), why);
    if (auto r = f.only({"kind", "text", "data", "uri", "name", "media_type", "size"}); !r) return r.error();
    auto kind = f.required_string("kind", 8);
    if (!kind) return kind.error();
    tasks::Part p;
    auto media = f.string("media_type", 256);
    if (!media) return media.error();
    if (*media) p.media_type = std::move(**media);
    if (*kind == "text") {
      auto text = f.required_string("text", std::numeric_limits<std::size_t>::max());
      if (!text) return text.error();
      p.kind = tasks::Part::Kind::text;
      p.text = std::move(*text);
      if (item.get_object().size() > (p.media_type.empty() ? 2u : 3u))
        return bad("text parts take kind, text, media_type");
    } else if (*kind == "data") {
      const auto* data = f.get("data");
      if (!data) return bad("data parts need \"data\"");
      p.kind = tasks::Part::Kind::data;
      p.text = json::serialize(*data);
      if (p.media_type.empty()) p.media_type = "application/json";
      if (item.get_object().size() > (item.get_object().contains("media_type") ? 3u : 2u)) {
        return bad("data parts take kind, data, media_type");
      }
    } else if (*kind == "file") {
      auto uri = f.required_string("uri", kMaxUriBytes);
      auto name = f.string("name", kMaxNameBytes);
      auto size = f.unsigned_int("size");
      if (!uri) return uri.error();
      if (!name) return name.error();
      if (!size) return size.error();
      if (uri->empty()) return bad("file parts need a non-empty uri");
      if (p.media_type.empty()) return bad("file parts need a media_type");
      if (f.get("text") || f.get("data")) return bad("file parts take kind, uri, name, media_type, size");
      p.kind = tasks::Part::Kind::file;
      p.uri = std::move(*uri);
      if (*name) p.name = std::move(**name);
      p.size = size->value_or(0);
    } else {
      return bad("kind must be \"text\", \"data\" or \"file\"");
    }
    out.push_back(std::move(p));
  }
  return out;
}

Result<std::optional<std::int64_t>> millis(Fields& f, std::string_view key, std::uint64_t max) {
  auto v = f.unsigned_int(key);
  if (!v) return v.error();
  if (!*v) return std::optional<std::int64_t>{};
  if (**v == 0 || **v > max) return f.bad(key, fmt::format("must be 1-{} milliseconds", max));
  return std::optional<std::int64_t>{static_cast<std::int64_t>(**v)};
}

}  // namespace

Result<node::CreateTaskRequest> parse_create_task(std::string_view body, const JsonLimits& limits, std::string& why) {
  auto o = parse_object(body, limits, why);
  if (!o) return o.error();
  Fields f(*o, why);
  if (auto r = f.only({"to", "capability", "input", "acceptance_timeout_ms", "deadline_ms", "context_id",
                       "idempotency_key", "metadata", "credential"});
      !r) {
    return r.error();
  }
  node::CreateTaskRequest req;
  // An agent (id or name), or "a2a:" and an A2A agent card's URL.
  auto to = f.string("to", 2048);
  auto capability = f.string("capability", 128);
  if (!to) return to.error();
  if (!capability) return capability.error();
  if (to->has_value() == capability->has_value()) {
    why = "give exactly one of \"to\" (an agent) and \"capability\"";
    return error::invalid_field;
  }
  if (*to) req.to = std::move(**to);
  if (*capability) req.capability = std::move(**capability);
  if ((*to && req.to.empty()) || (*capability && req.capability.empty())) {
    return f.bad(*to ? "to" : "capability", "must not be empty");
  }
  const bool outbound = req.to.starts_with("a2a:");
  if (!outbound && req.to.size() > 128) return f.bad("to", "an agent's id or name has at most 128 characters");
  auto credential = f.string("credential", 64);
  if (!credential) return credential.error();
  if (*credential && !outbound) return f.bad("credential", "is for tasks to A2A agents (\"to\": \"a2a:URL\")");
  if (!f.get("input")) {
    why = "field \"input\" is required";
    return error::missing_field;
  }
  auto input = parts_field(f.get("input"), "input", why);
  if (!input) return input.error();
  if (input->empty()) return f.bad("input", "must have at least one part");
  req.input = std::move(*input);
  auto timeout = millis(f, "acceptance_timeout_ms", 24ull * 3600 * 1000);
  auto deadline = millis(f, "deadline_ms", 30ull * 24 * 3600 * 1000);
  if (!timeout) return timeout.error();
  if (!deadline) return deadline.error();
  req.acceptance_timeout_ms = *timeout;
  req.deadline_ms = *deadline;
  auto context = f.string("context_id", 256);
  if (!context) return context.error();
  if (*context) {
    if ((*context)->empty() || !printable_ascii(**context)) return f.bad("context_id", "must be printable ASCII");
    req.context_id = std::move(**context);
  }
  auto key = f.string("idempotency_key", 256);
  if (!key) return key.error();
  if (*key) {
    if ((*key)->empty()) return f.bad("idempotency_key", "must not be empty");
    req.idempotency_key = std::move(**key);
  }
  auto md = f.metadata("metadata");
  if (!md) return md.error();
  req.metadata = std::move(*md);
  for (const auto& [k, v] : req.metadata) {
    if (k.starts_with("a2a.")) return f.bad("metadata", "keys beginning with \"a2a.\" are the daemon's");
  }
  // The outbound client's reference (api/a2a_outbound.hpp): checked by the route.
  if (*credential) req.metadata.emplace_back("a2a.credential", std::move(**credential));
  return req;
}

Result<node::TaskActionRequest> parse_task_action(std::string_view body, tasks::Action action, const JsonLimits& limits,
                                                  std::string& why) {
  json::object empty;
  if (!body.empty()) {
    auto o = parse_object(body, limits, why);
    if (!o) return o.error();
    empty = std::move(*o);
  }
  Fields f(empty, why);
  using tasks::Action;
  const bool parts = action != Action::accept && action != Action::cancel;
  const bool chunks = action == Action::progress || action == Action::complete;
  const bool percent = action == Action::progress;
  const bool reason = action == Action::reject || action == Action::fail || action == Action::cancel;
  for (const auto& kv : empty) {
    const std::string_view k = kv.key();
    const bool known = k == "request_id" || k == "timeout_ms" || (k == "parts" && parts) ||
                       (k == "artifacts" && chunks) || (k == "percent" && percent) || (k == "reason" && reason);
    if (!known) {
      why = fmt::format("unknown field \"{}\" for {}", k, tasks::to_string(action));
      return error::unknown_field;
    }
  }
  node::TaskActionRequest req;
  req.action = action;
  auto rid = f.string("request_id", 256);
  if (!rid) return rid.error();
  if (*rid) {
    if ((*rid)->empty()) return f.bad("request_id", "must not be empty");
    req.request_id = std::move(**rid);
  }
  auto p = parts_field(f.get("parts"), "parts", why);
  if (!p) return p.error();
  req.parts = std::move(*p);
  if (action == Action::input && req.parts.empty()) {
    why = "field \"parts\" is required (the answer)";
    return error::missing_field;
  }
  auto pct = f.unsigned_int("percent");
  if (!pct) return pct.error();
  if (*pct) {
    if (**pct > 100) return f.bad("percent", "must be 0-100");
    req.percent = static_cast<std::uint8_t>(**pct);
  }
  if (const auto* a = f.get("artifacts")) {
    if (!a->is_array() || a->get_array().size() > kMaxChunks) {
      return f.bad("artifacts", fmt::format("must be an array of at most {} chunks", kMaxChunks));
    }
    for (const auto& item : a->get_array()) {
      if (!item.is_object()) return f.bad("artifacts", "must be an array of objects");
      Fields c(item.get_object(), why);
      if (auto r = c.only({"name", "index", "last", "parts"}); !r) return r.error();
      tasks::ArtifactChunk chunk;
      auto name = c.required_string("name", kMaxNameBytes);
      auto index = c.unsigned_int("index");
      auto last = c.boolean("last");
      if (!name) return name.error();
      if (!index) return index.error();
      if (!last) return last.error();
      if (name->empty()) return c.bad("name", "must not be empty");
      if (index->value_or(0) > std::numeric_limits<std::uint32_t>::max()) return c.bad("index", "is too large");
      auto cp = parts_field(c.get("parts"), "parts", why);
      if (!cp) return cp.error();
      if (cp->empty()) return c.bad("parts", "must have at least one part");
      chunk.name = std::move(*name);
      chunk.index = static_cast<std::uint32_t>(index->value_or(0));
      chunk.last = last->value_or(false);
      chunk.parts = std::move(*cp);
      req.chunks.push_back(std::move(chunk));
    }
  }
  auto r = f.string("reason", 1024);
  if (!r) return r.error();
  if (*r) req.reason = std::move(**r);
  auto timeout = f.unsigned_int("timeout_ms");
  if (!timeout) return timeout.error();
  if (*timeout) {
    if (**timeout == 0 || **timeout > kMaxWaitMs) return f.bad("timeout_ms", fmt::format("must be 1-{}", kMaxWaitMs));
    req.wait_ms = static_cast<std::int64_t>(**timeout);
  }
  return req;
}

}  // namespace agentmesh::api
