// Routes: tasks (issue 13): creating, listing, reading, the parties'
// actions, and the task event streams.

#include <boost/json/array.hpp>
#include <limits>

#include "api/a2a_outbound.hpp"
#include "api/dto.hpp"
#include "api/error.hpp"
#include "api/requests.hpp"
#include "api/routes/handlers.hpp"

namespace agentmesh::api::routes {
namespace json = boost::json;

namespace {

constexpr std::string_view kBadTaskId = "a task id is 32 hex characters";

Result<core::TaskId> task_id(const RouteContext& c) {
  auto id = core::TaskId::parse(c.params.at(1));
  if (!id) return error::invalid_field;
  return *id;
}

template <tasks::Action A>
Task act(RouteContext& c) {
  auto id = task_id(c);
  if (!id) co_return error_response(id.error(), kBadTaskId);
  auto req = parse_task_action(c.req.body, A, c.config().json, c.why);
  if (!req) co_return c.error(req.error());
  auto result = co_await c.node().act_on_task(c.agent, *id, std::move(*req));
  if (!result) co_return error_response(result.error());
  // 202 while the home's daemon has not answered; 200 once the step is taken.
  co_return json_response(result->pending ? 202 : 200, task_result_json(*result));
}

Task open_task_stream(RouteContext& c, std::optional<core::TaskId> task) {
  core::Seq after;
  if (task) {
    // The task must be visible before a stream slot is taken.
    auto t = co_await c.node().task(c.agent, *task);
    if (!t) co_return error_response(t.error());
  } else {
    auto ref = c.agent.to_string();
    auto agent = co_await c.node().agent(std::move(ref));
    if (!agent) co_return error_response(agent.error());
    after = agent->inbox.acked;
  }
  auto resumed = resume_point(c, after);
  if (!resumed) co_return c.error(resumed.error());
  after = *resumed;
  auto signal = std::make_shared<StreamSignal>();
  std::function<void()> wake = [signal] { signal->wake(); };  // named: no temporaries in a co_await operand
  auto token = co_await c.node().open_task_stream(c.agent, task, std::move(wake));
  if (!token) co_return error_response(token.error());
  StreamRequest s;
  s.source = task ? StreamRequest::Source::task : StreamRequest::Source::tasks;
  s.framing = StreamRequest::Framing::sse;
  s.agent = c.agent;
  s.after = after;
  if (task) s.task = *task;
  s.signal = signal;
  s.lease = std::shared_ptr<void>(
      nullptr, [node = c.node(), agent = c.agent, token = *token](void*) { node.close_task_stream(agent, token); });
  Response r;
  r.stream = std::move(s);
  co_return r;
}

}  // namespace

Task create_task(RouteContext& c) {
  auto req = parse_create_task(c.req.body, c.config().json, c.why);
  if (!req) co_return c.error(req.error());
  if (req->to.starts_with("a2a:")) {
    if (!c.config().outbound) co_return error_response(error::invalid_field, "this daemon has no outbound A2A client");
    auto ready = co_await c.config().outbound->prepare(*req, c.why);
    if (!ready) {
      co_return c.why.empty() ? error_response(ready.error()) : error_response(error::invalid_field, c.why);
    }
  }
  auto result = co_await c.node().create_task(c.agent, std::move(*req));
  if (!result) co_return error_response(result.error());
  co_return json_response(result->duplicate ? 200 : 202, task_result_json(*result));
}

Task list_tasks(RouteContext& c) {
  node::TaskListQuery q;
  if (auto it = c.query.find("role"); it != c.query.end()) {
    if (it->second == "requester") {
      q.role = store::TaskQuery::Role::requester;
    } else if (it->second == "assignee") {
      q.role = store::TaskQuery::Role::assignee;
    } else if (it->second != "any") {
      co_return error_response(error::invalid_field, "role is requester, assignee or any");
    }
  }
  if (auto it = c.query.find("state"); it != c.query.end()) {
    auto st = tasks::parse_task_state(it->second);
    if (!st) co_return error_response(error::invalid_field, "state is one of the task states (docs/api.md)");
    q.state = *st;
  }
  if (auto it = c.query.find("context_id"); it != c.query.end()) {
    if (it->second.empty() || it->second.size() > 256) {
      co_return error_response(error::invalid_field, "context_id is 1-256 bytes");
    }
    q.context_id = it->second;
  }
  if (auto it = c.query.find("after"); it != c.query.end()) {
    auto id = core::TaskId::parse(it->second);
    if (!id) co_return error_response(error::invalid_field, "after is a task id (32 hex characters)");
    q.after = *id;
  }
  auto limit = c.query_uint("limit", kDefaultPageSize, kMaxPageSize);
  if (!limit) co_return c.error(limit.error());
  q.limit = *limit == 0 ? kDefaultPageSize : *limit;
  auto list = co_await c.node().tasks(c.agent, q);
  if (!list) co_return error_response(list.error());
  json::array arr;
  std::string next;
  for (const auto& t : *list) {
    arr.push_back(task_json(t));
    next = t.id.to_string();
  }
  json::object o{{"tasks", std::move(arr)}};
  if (list->size() == q.limit) o["next_after"] = next;
  co_return json_response(200, o);
}

Task get_task(RouteContext& c) {
  auto id = task_id(c);
  if (!id) co_return error_response(id.error(), kBadTaskId);
  auto t = co_await c.node().task(c.agent, *id);
  if (!t) co_return error_response(t.error());
  co_return json_response(200, task_json(*t));
}

Task accept_task(RouteContext& c) { co_return co_await act<tasks::Action::accept>(c); }
Task reject_task(RouteContext& c) { co_return co_await act<tasks::Action::reject>(c); }
Task task_progress(RouteContext& c) { co_return co_await act<tasks::Action::progress>(c); }
Task task_input_required(RouteContext& c) { co_return co_await act<tasks::Action::input_required>(c); }
Task complete_task(RouteContext& c) { co_return co_await act<tasks::Action::complete>(c); }
Task fail_task(RouteContext& c) { co_return co_await act<tasks::Action::fail>(c); }
Task cancel_task(RouteContext& c) { co_return co_await act<tasks::Action::cancel>(c); }
Task answer_task(RouteContext& c) { co_return co_await act<tasks::Action::input>(c); }

Task task_events(RouteContext& c) {
  auto id = task_id(c);
  if (!id) co_return error_response(id.error(), kBadTaskId);
  co_return co_await open_task_stream(c, *id);
}

Task all_task_events(RouteContext& c) { co_return co_await open_task_stream(c, std::nullopt); }

}  // namespace agentmesh::api::routes
