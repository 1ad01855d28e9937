// The task DTOs (docs/api.md, "Tasks"): tasks, their events, and the task
// figures of /v1/diagnostics/tasks.

#include <boost/json/array.hpp>
#include <boost/json/parse.hpp>

#include "api/dto.hpp"
#include "core/utf8.hpp"

namespace agentmesh::api {
namespace json = boost::json;

namespace {

json::array parts_json(const std::vector<tasks::Part>& parts) {
  json::array a;
  for (const auto& p : parts) {
    json::object o;
    o["kind"] = tasks::to_string(p.kind);
    switch (p.kind) {
      case tasks::Part::Kind::text:
        o["text"] = p.text;
        break;
      case tasks::Part::Kind::data: {
        boost::system::error_code ec;
        auto v = json::parse(p.text, ec);
        o["data"] = ec ? json::value(p.text) : std::move(v);  // stored from valid JSON; never fails
        break;
      }
      case tasks::Part::Kind::file:
        o["uri"] = p.uri;
        if (!p.name.empty()) o["name"] = p.name;
        if (p.size) o["size"] = p.size;
        break;
    }
    if (!p.media_type.empty()) o["media_type"] = p.media_type;
    a.push_back(std::move(o));
  }
  return a;
}

json::object message_json(const tasks::StatusMessage& m) {
  json::object o{{"from", m.from.to_string()}, {"parts", parts_json(m.parts)}, {"time_ms", m.time_ms}};
  if (m.percent) o["percent"] = *m.percent;
  return o;
}

}  // namespace

json::object task_json(const tasks::Task& t) {
  json::object o;
  o["task_id"] = t.id.to_string();
  o["context_id"] = t.context_id;
  o["requester"] = t.requester.to_string();
  o["assignee"] = t.assignee.to_string();
  if (!t.capability.empty()) o["capability"] = t.capability;
  o["state"] = tasks::to_string(t.state);
  o["state_sequence"] = t.sequence;
  o["attempt"] = t.attempt;
  o["input"] = parts_json(t.input);
  json::array messages;
  for (const auto& m : t.messages) messages.push_back(message_json(m));
  o["messages"] = std::move(messages);
  if (!t.reason.empty()) o["reason"] = t.reason;
  json::array artifacts;
  for (const auto& a : t.artifacts) {
    artifacts.push_back(
        json::object{{"name", a.name}, {"parts", parts_json(a.parts)}, {"chunks", a.chunks}, {"complete", a.complete}});
  }
  o["artifacts"] = std::move(artifacts);
  o["artifact_bytes"] = t.artifact_bytes;
  o["acceptance_timeout_ms"] = t.acceptance_timeout_ms;
  o["created_ms"] = t.created_ms;
  o["updated_ms"] = t.updated_ms;
  if (t.accept_by_ms) o["accept_by_ms"] = t.accept_by_ms;
  if (t.deadline_ms) o["deadline_ms"] = t.deadline_ms;
  json::object md;
  for (const auto& [k, v] : t.metadata) md[k] = v;
  o["metadata"] = std::move(md);
  return o;
}

json::object task_event_json(const tasks::Event& e) {
  json::object o;
  o["task_id"] = e.task.to_string();
  o["state_sequence"] = e.sequence;
  o["kind"] = tasks::to_string(e.kind);
  o["state"] = tasks::to_string(e.state);
  o["attempt"] = e.attempt;
  o["assignee"] = e.assignee.to_string();
  o["time_ms"] = e.time_ms;
  if (e.message) o["message"] = message_json(*e.message);
  if (!e.chunks.empty()) {
    json::array chunks;
    for (const auto& c : e.chunks) {
      chunks.push_back(
          json::object{{"name", c.name}, {"index", c.index}, {"last", c.last}, {"parts", parts_json(c.parts)}});
    }
    o["artifacts"] = std::move(chunks);
  }
  if (!e.reason.empty()) o["reason"] = e.reason;
  if (e.snapshot) o["task"] = task_json(*e.snapshot);
  return o;
}

json::object task_result_json(const node::TaskResult& r) {
  auto o = task_json(r.task);
  o["duplicate"] = r.duplicate;
  if (r.pending) o["pending"] = true;
  return o;
}

json::object task_stats_json(const node::TaskStats& s) {
  json::object by_state;
  for (const auto& [k, v] : s.by_state) by_state[k] = v;
  return json::object{{"created", s.created},   {"steps", s.steps},         {"applied", s.applied},
                      {"stale", s.stale},       {"early", s.early},         {"refused_actions", s.refused_actions},
                      {"requeued", s.requeued}, {"timed_out", s.timed_out}, {"purged", s.purged},
                      {"open", s.open},         {"timers", s.timers},       {"open_by_state", std::move(by_state)}};
}

}  // namespace agentmesh::api
