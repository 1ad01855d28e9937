#include "tasks/codec.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <initializer_list>

#include "tasks/error.hpp"

namespace agentmesh::tasks {

namespace json = boost::json;

namespace {

// --- encoding ---

json::value id_json(const auto& id) { return json::value(id.to_string()); }

json::array parts_json(const std::vector<Part>& parts) {
  json::array a;
  for (const auto& p : parts) {
    json::object o;
    o["k"] = to_string(p.kind);
    if (!p.text.empty()) o["t"] = p.text;
    if (!p.media_type.empty()) o["m"] = p.media_type;
    if (!p.uri.empty()) o["u"] = p.uri;
    if (!p.name.empty()) o["n"] = p.name;
    if (p.size) o["s"] = p.size;
    a.push_back(std::move(o));
  }
  return a;
}

json::object message_json(const StatusMessage& m) {
  json::object o{{"from", id_json(m.from)}, {"parts", parts_json(m.parts)}, {"time", m.time_ms}};
  if (m.percent) o["percent"] = *m.percent;
  return o;
}

json::array chunks_json(const std::vector<ArtifactChunk>& chunks) {
  json::array a;
  for (const auto& c : chunks) {
    a.push_back(json::object{{"name", c.name}, {"index", c.index}, {"last", c.last}, {"parts", parts_json(c.parts)}});
  }
  return a;
}

json::array metadata_json(const Metadata& md) {
  json::array a;
  for (const auto& [k, v] : md) a.push_back(json::array{json::value(k), json::value(v)});
  return a;
}

json::object task_json(const Task& t) {
  json::array candidates;
  for (const auto& c : t.candidates) candidates.push_back(id_json(c));
  json::array former;
  for (const auto& c : t.former) former.push_back(id_json(c));
  json::array messages;
  for (const auto& m : t.messages) messages.push_back(message_json(m));
  json::array artifacts;
  for (const auto& a : t.artifacts) {
    artifacts.push_back(
        json::object{{"name", a.name}, {"parts", parts_json(a.parts)}, {"chunks", a.chunks}, {"complete", a.complete}});
  }
  return json::object{{"id", id_json(t.id)},
                      {"context", t.context_id},
                      {"requester", id_json(t.requester)},
                      {"assignee", id_json(t.assignee)},
                      {"capability", t.capability},
                      {"candidates", std::move(candidates)},
                      {"former", std::move(former)},
                      {"attempt", t.attempt},
                      {"state", to_string(t.state)},
                      {"sequence", t.sequence},
                      {"input", parts_json(t.input)},
                      {"messages", std::move(messages)},
                      {"reason", t.reason},
                      {"artifacts", std::move(artifacts)},
                      {"artifact_bytes", t.artifact_bytes},
                      {"acceptance_timeout", t.acceptance_timeout_ms},
                      {"created", t.created_ms},
                      {"updated", t.updated_ms},
                      {"accept_by", t.accept_by_ms},
                      {"deadline", t.deadline_ms},
                      {"metadata", metadata_json(t.metadata)}};
}

json::object event_json(const Event& e) {
  json::object o{{"task", id_json(e.task)},   {"sequence", e.sequence},
                 {"kind", to_string(e.kind)}, {"state", to_string(e.state)},
                 {"attempt", e.attempt},      {"assignee", id_json(e.assignee)},
                 {"time", e.time_ms}};
  if (e.message) o["message"] = message_json(*e.message);
  if (!e.chunks.empty()) o["chunks"] = chunks_json(e.chunks);
  if (!e.reason.empty()) o["reason"] = e.reason;
  if (e.snapshot) o["snapshot"] = task_json(*e.snapshot);
  return o;
}

json::object command_json(const Command& c) {
  json::object o{{"task", id_json(c.task)},
                 {"action", to_string(c.action)},
                 {"actor", id_json(c.actor)},
                 {"attempt", c.attempt},
                 {"parts", parts_json(c.parts)}};
  if (c.percent) o["percent"] = *c.percent;
  if (!c.chunks.empty()) o["chunks"] = chunks_json(c.chunks);
  if (!c.reason.empty()) o["reason"] = c.reason;
  return o;
}

// --- decoding: every helper fails with malformed_transition ---

constexpr error kBad = error::malformed_transition;

Result<void> only(const json::object& o, std::initializer_list<std::string_view> allowed) {
  for (const auto& kv : o) {
    bool ok = false;
    for (auto a : allowed) ok = ok || kv.key() == a;
    if (!ok) return kBad;
  }
  return {};
}

Result<const json::value*> member(const json::object& o, std::string_view key, bool required = true) {
  auto it = o.find(key);
  if (it == o.end()) {
    if (required) return kBad;
    return static_cast<const json::value*>(nullptr);
  }
  return &it->value();
}

Result<std::string> str(const json::object& o, std::string_view key, bool required = true) {
  auto v = member(o, key, required);
  if (!v) return v.error();
  if (!*v) return std::string();
  if (!(*v)->is_string()) return kBad;
  return std::string((*v)->get_string());
}

Result<std::uint64_t> uint(const json::object& o, std::string_view key, bool required = true) {
  auto v = member(o, key, required);
  if (!v) return v.error();
  if (!*v) return std::uint64_t{0};
  if ((*v)->is_uint64()) return (*v)->get_uint64();
  if ((*v)->is_int64() && (*v)->get_int64() >= 0) return static_cast<std::uint64_t>((*v)->get_int64());
  return kBad;
}

Result<std::int64_t> int64(const json::object& o, std::string_view key) {
  auto v = member(o, key);
  if (!v) return v.error();
  if ((*v)->is_int64()) return (*v)->get_int64();
  if ((*v)->is_uint64() && (*v)->get_uint64() <= static_cast<std::uint64_t>(INT64_MAX)) {
    return static_cast<std::int64_t>((*v)->get_uint64());
  }
  return kBad;
}

Result<bool> boolean(const json::object& o, std::string_view key) {
  auto v = member(o, key);
  if (!v || !(*v)->is_bool()) return Result<bool>(boost::system::in_place_error, make_error_code(kBad));
  return (*v)->get_bool();
}

Result<std::uint32_t> uint32(const json::object& o, std::string_view key, bool required = true) {
  auto v = uint(o, key, required);
  if (!v) return v.error();
  if (*v > UINT32_MAX) return kBad;
  return static_cast<std::uint32_t>(*v);
}

template <class Id>
Result<Id> id(const json::object& o, std::string_view key) {
  auto s = str(o, key);
  if (!s) return s.error();
  auto parsed = Id::parse(*s);
  if (!parsed) return kBad;
  return *parsed;
}

Result<const json::object*> obj(const json::value& v) {
  if (!v.is_object()) return kBad;
  return &v.get_object();
}

Result<const json::array*> arr(const json::object& o, std::string_view key, bool required = true) {
  static const json::array kEmpty;
  auto v = member(o, key, required);
  if (!v) return v.error();
  if (!*v) return &kEmpty;
  if (!(*v)->is_array()) return kBad;
  return &(*v)->get_array();
}

Result<std::optional<std::uint8_t>> percent(const json::object& o) {
  auto v = member(o, "percent", false);
  if (!v) return v.error();
  if (!*v) return std::optional<std::uint8_t>{};
  auto p = uint(o, "percent");
  if (!p || *p > 100) return kBad;
  return std::optional<std::uint8_t>(static_cast<std::uint8_t>(*p));
}

Result<std::vector<Part>> parts_of(const json::object& o, std::string_view key) {
  auto a = arr(o, key, false);
  if (!a) return a.error();
  std::vector<Part> out;
  for (const auto& v : **a) {
    auto po = obj(v);
    if (!po) return po.error();
    const auto& p = **po;
    if (auto ok = only(p, {"k", "t", "m", "u", "n", "s"}); !ok) return ok.error();
    Part part;
    auto kind = str(p, "k");
    if (!kind) return kind.error();
    if (*kind == "text")
      part.kind = Part::Kind::text;
    else if (*kind == "data")
      part.kind = Part::Kind::data;
    else if (*kind == "file")
      part.kind = Part::Kind::file;
    else
      return kBad;
    auto t = str(p, "t", false);
    auto m = str(p, "m", false);
    auto u = str(p, "u", false);
    auto n = str(p, "n", false);
    auto s = uint(p, "s", false);
    if (!t || !m || !u || !n || !s) return kBad;
    part.text = std::move(*t);
    part.media_type = std::move(*m);
    part.uri = std::move(*u);
    part.name = std::move(*n);
    part.size = *s;
    out.push_back(std::move(part));
  }
  return out;
}

Result<StatusMessage> message_of(const json::value& v) {
  auto o = obj(v);
  if (!o) return o.error();
  if (auto ok = only(**o, {"from", "parts", "time", "percent"}); !ok) return ok.error();
  StatusMessage m;
  auto from = id<AgentId>(**o, "from");
  auto parts = parts_of(**o, "parts");
  auto time = int64(**o, "time");
  auto pct = percent(**o);
  if (!from || !parts || !time || !pct) return kBad;
  m.from = *from;
  m.parts = std::move(*parts);
  m.time_ms = *time;
  m.percent = *pct;
  return m;
}

Result<std::vector<ArtifactChunk>> chunks_of(const json::object& o) {
  auto a = arr(o, "chunks", false);
  if (!a) return a.error();
  std::vector<ArtifactChunk> out;
  for (const auto& v : **a) {
    auto co = obj(v);
    if (!co) return co.error();
    if (auto ok = only(**co, {"name", "index", "last", "parts"}); !ok) return ok.error();
    ArtifactChunk c;
    auto name = str(**co, "name");
    auto index = uint32(**co, "index");
    auto last = boolean(**co, "last");
    auto parts = parts_of(**co, "parts");
    if (!name || !index || !last || !parts) return kBad;
    c.name = std::move(*name);
    c.index = *index;
    c.last = *last;
    c.parts = std::move(*parts);
    out.push_back(std::move(c));
  }
  return out;
}

Result<Metadata> metadata_of(const json::object& o) {
  auto a = arr(o, "metadata", false);
  if (!a) return a.error();
  Metadata md;
  for (const auto& v : **a) {
    if (!v.is_array() || v.get_array().size() != 2) return kBad;
    const auto& kv = v.get_array();
    if (!kv[0].is_string() || !kv[1].is_string()) return kBad;
    md.emplace_back(std::string(kv[0].get_string()), std::string(kv[1].get_string()));
  }
  return md;
}

Result<Task> task_of(const json::value& v) {
  auto po = obj(v);
  if (!po) return po.error();
  const auto& o = **po;
  if (auto ok = only(o, {"id",        "context",   "requester",      "assignee",           "capability", "candidates",
                         "former",    "attempt",   "state",          "sequence",           "input",      "messages",
                         "reason",    "artifacts", "artifact_bytes", "acceptance_timeout", "created",    "updated",
                         "accept_by", "deadline",  "metadata"});
      !ok) {
    return ok.error();
  }
  Task t;
  auto tid = id<TaskId>(o, "id");
  auto requester = id<AgentId>(o, "requester");
  auto assignee = id<AgentId>(o, "assignee");
  auto context = str(o, "context");
  auto capability = str(o, "capability");
  auto attempt = uint32(o, "attempt");
  auto state = str(o, "state");
  auto sequence = uint(o, "sequence");
  auto input = parts_of(o, "input");
  auto reason = str(o, "reason");
  auto bytes = uint(o, "artifact_bytes");
  auto timeout = int64(o, "acceptance_timeout");
  auto created = int64(o, "created");
  auto updated = int64(o, "updated");
  auto accept_by = int64(o, "accept_by");
  auto deadline = int64(o, "deadline");
  auto md = metadata_of(o);
  if (!tid || !requester || !assignee || !context || !capability || !attempt || !state || !sequence || !input ||
      !reason || !bytes || !timeout || !created || !updated || !accept_by || !deadline || !md) {
    return kBad;
  }
  auto st = parse_task_state(*state);
  if (!st) return kBad;
  t.id = *tid;
  t.requester = *requester;
  t.assignee = *assignee;
  t.context_id = std::move(*context);
  t.capability = std::move(*capability);
  t.attempt = *attempt;
  t.state = *st;
  t.sequence = *sequence;
  t.input = std::move(*input);
  t.reason = std::move(*reason);
  t.artifact_bytes = *bytes;
  t.acceptance_timeout_ms = *timeout;
  t.created_ms = *created;
  t.updated_ms = *updated;
  t.accept_by_ms = *accept_by;
  t.deadline_ms = *deadline;
  t.metadata = std::move(*md);
  auto candidates = arr(o, "candidates");
  auto former = arr(o, "former");
  auto messages = arr(o, "messages");
  auto artifacts = arr(o, "artifacts");
  if (!candidates || !former || !messages || !artifacts) return kBad;
  for (auto [list, out] : {std::pair{*candidates, &t.candidates}, std::pair{*former, &t.former}}) {
    for (const auto& c : *list) {
      if (!c.is_string()) return kBad;
      auto a = AgentId::parse(c.get_string());
      if (!a) return kBad;
      out->push_back(*a);
    }
  }
  for (const auto& m : **messages) {
    auto msg = message_of(m);
    if (!msg) return msg.error();
    t.messages.push_back(std::move(*msg));
  }
  for (const auto& a : **artifacts) {
    auto ao = obj(a);
    if (!ao) return ao.error();
    if (auto ok = only(**ao, {"name", "parts", "chunks", "complete"}); !ok) return ok.error();
    auto name = str(**ao, "name");
    auto parts = parts_of(**ao, "parts");
    auto chunks = uint32(**ao, "chunks");
    auto complete = boolean(**ao, "complete");
    if (!name || !parts || !chunks || !complete) return kBad;
    t.artifacts.push_back(Artifact{std::move(*name), std::move(*parts), *chunks, *complete});
  }
  return t;
}

Result<Event> event_of(const json::value& v) {
  auto po = obj(v);
  if (!po) return po.error();
  const auto& o = **po;
  if (auto ok = only(o, {"task", "sequence", "kind", "state", "attempt", "assignee", "time", "message", "chunks",
                         "reason", "snapshot"});
      !ok) {
    return ok.error();
  }
  Event e;
  auto task = id<TaskId>(o, "task");
  auto sequence = uint(o, "sequence");
  auto kind = str(o, "kind");
  auto state = str(o, "state");
  auto attempt = uint32(o, "attempt");
  auto assignee = id<AgentId>(o, "assignee");
  auto time = int64(o, "time");
  auto chunks = chunks_of(o);
  auto reason = str(o, "reason", false);
  if (!task || !sequence || !kind || !state || !attempt || !assignee || !time || !chunks || !reason) return kBad;
  auto k = parse_event_kind(*kind);
  auto st = parse_task_state(*state);
  if (!k || !st || *sequence == 0) return kBad;
  e.task = *task;
  e.sequence = *sequence;
  e.kind = *k;
  e.state = *st;
  e.attempt = *attempt;
  e.assignee = *assignee;
  e.time_ms = *time;
  e.chunks = std::move(*chunks);
  e.reason = std::move(*reason);
  if (auto it = o.find("message"); it != o.end()) {
    auto m = message_of(it->value());
    if (!m) return m.error();
    e.message = std::move(*m);
  }
  if (auto it = o.find("snapshot"); it != o.end()) {
    auto t = task_of(it->value());
    if (!t) return t.error();
    // A snapshot is the task after this event: the same task and sequence.
    if (t->id != e.task || t->sequence != e.sequence || t->state != e.state) return kBad;
    e.snapshot = std::move(*t);
  }
  return e;
}

Result<Command> command_of(const json::value& v) {
  auto po = obj(v);
  if (!po) return po.error();
  const auto& o = **po;
  if (auto ok = only(o, {"task", "action", "actor", "attempt", "parts", "percent", "chunks", "reason"}); !ok) {
    return ok.error();
  }
  Command c;
  auto task = id<TaskId>(o, "task");
  auto action = str(o, "action");
  auto actor = id<AgentId>(o, "actor");
  auto attempt = uint32(o, "attempt");
  auto parts = parts_of(o, "parts");
  auto pct = percent(o);
  auto chunks = chunks_of(o);
  auto reason = str(o, "reason", false);
  if (!task || !action || !actor || !attempt || !parts || !pct || !chunks || !reason) return kBad;
  auto a = parse_action(*action);
  if (!a) return kBad;
  c.task = *task;
  c.action = *a;
  c.actor = *actor;
  c.attempt = *attempt;
  c.parts = std::move(*parts);
  c.percent = *pct;
  c.chunks = std::move(*chunks);
  c.reason = std::move(*reason);
  return c;
}

Result<json::value> parse(std::string_view bytes) {
  if (bytes.size() > kMaxBytes) return kBad;
  json::parse_options opts;
  opts.max_depth = kMaxDepth;
  boost::system::error_code ec;
  auto v = json::parse(bytes, ec, {}, opts);
  if (ec) return kBad;
  return v;
}

}  // namespace

std::string encode(const Task& t) { return json::serialize(task_json(t)); }

Result<Task> decode_task(std::string_view bytes) {
  auto v = parse(bytes);
  if (!v) return v.error();
  return task_of(*v);
}

std::string encode(const Event& e) { return json::serialize(event_json(e)); }

Result<Event> decode_event(std::string_view bytes) {
  auto v = parse(bytes);
  if (!v) return v.error();
  return event_of(*v);
}

std::string encode_message(const Message& m) {
  json::object o{{"v", 1}};
  if (const auto* e = std::get_if<Event>(&m)) {
    o["event"] = event_json(*e);
  } else {
    o["command"] = command_json(std::get<Command>(m));
  }
  return json::serialize(o);
}

Result<Message> decode_message(std::string_view bytes) {
  auto v = parse(bytes);
  if (!v) return v.error();
  auto po = obj(*v);
  if (!po) return po.error();
  const auto& o = **po;
  auto version = uint(o, "v");
  if (!version || *version != 1 || o.size() != 2) return kBad;
  if (auto it = o.find("event"); it != o.end()) {
    auto e = event_of(it->value());
    if (!e) return e.error();
    return Message(std::move(*e));
  }
  if (auto it = o.find("command"); it != o.end()) {
    auto c = command_of(it->value());
    if (!c) return c.error();
    return Message(std::move(*c));
  }
  return kBad;
}

}  // namespace agentmesh::tasks
