// api/a2a_methods: the A2A gateway's JSON-RPC methods over the node's tasks
// (api/a2a_gateway.hpp says what each does).

#include <fmt/format.h>

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cstdio>
#include <ctime>

#include "a2a/legacy.hpp"
#include "a2a/mapping.hpp"
#include "api/a2a_call.hpp"
#include "core/awaitable.hpp"
#include "core/error.hpp"
#include "core/hex.hpp"
#include "crypto/crypto.hpp"
#include "node/error.hpp"
#include "store/records.hpp"
#include "tasks/error.hpp"

namespace agentmesh::api {
namespace json = boost::json;
namespace asio = boost::asio;
using a2a::RpcCode;

namespace a2a_call {

json::object fail(const a2a::RpcRequest& r, RpcCode code, std::string message) {
  return a2a::error_envelope(a2a::RpcError{code, std::move(message), r.id});
}

json::object ok(const a2a::RpcRequest& r, json::value result) { return a2a::result_envelope(r.id, std::move(result)); }

json::object fail_with(const a2a::RpcRequest& r, const error_code& ec) {
  using tasks::error;
  if (ec == error::unknown_task || ec == node::error::unknown_push_config) {
    return fail(r, RpcCode::task_not_found, ec == error::unknown_task ? "no such task" : ec.message());
  }
  if (ec == error::task_not_cancelable) return fail(r, RpcCode::task_not_cancelable, ec.message());
  if (ec == error::invalid_transition || ec == error::task_reassigned) {
    return fail(r, RpcCode::unsupported_operation, ec.message());
  }
  if (ec == error::idempotency_conflict) {
    return fail(r, RpcCode::invalid_params, "this messageId was already used with other content");
  }
  if (ec == error::message_too_large || ec == error::artifact_too_large || ec == core::error::out_of_range ||
      ec == node::error::too_many_push_configs) {
    return fail(r, RpcCode::invalid_params, ec.message());
  }
  return fail(r, RpcCode::internal_error, ec.message());
}

std::string caller_id(const node::A2aCaller& c) { return c.token.to_string(); }

std::optional<core::TaskId> task_id_of(const json::object& params, std::string_view key) {
  const auto* v = params.if_contains(key);
  if (!v || !v->is_string()) return std::nullopt;
  auto id = core::TaskId::parse(std::string_view(v->get_string()));
  if (!id) return std::nullopt;
  return *id;
}

}  // namespace a2a_call

namespace {

using a2a_call::caller_id;
using a2a_call::fail;
using a2a_call::fail_with;
using a2a_call::ok;
using a2a_call::task_id_of;

constexpr std::string_view kCallerKey = "a2a.caller";
constexpr std::string_view kMessageKey = "a2a.message_id";
constexpr std::size_t kDefaultPageSize = 50;
constexpr std::size_t kMaxPageSize = 100;
using core::kTuple;

bool belongs_to(const tasks::Task& t, const node::A2aCaller& c) {
  const auto id = caller_id(c);
  return std::any_of(t.metadata.begin(), t.metadata.end(),
                     [&](const auto& kv) { return kv.first == kCallerKey && kv.second == id; });
}

// historyLength: absent -> all; else a non-negative integer.
std::variant<std::optional<std::size_t>, std::string> history_length(const json::object& o) {
  const auto* v = o.if_contains("historyLength");
  if (!v || v->is_null()) return std::optional<std::size_t>{};
  if (v->is_int64() && v->get_int64() >= 0) return std::optional<std::size_t>{static_cast<std::size_t>(v->get_int64())};
  if (v->is_uint64()) return std::optional<std::size_t>{static_cast<std::size_t>(v->get_uint64())};
  return std::string("historyLength must be a non-negative integer");
}

bool interrupted_or_done(tasks::TaskState s) {
  return tasks::terminal(s) || s == tasks::TaskState::input_required || s == tasks::TaskState::auth_required;
}

bool printable_ascii(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return c >= 0x20 && c < 0x7f; });
}

// "2026-12-03T06:20:06Z" or with .mmm: Unix ms; nullopt when malformed.
std::optional<core::UnixMs> parse_timestamp(std::string_view s) {
  int y, mo, d, h, mi, sec, ms = 0, n = 0;
  const std::string text(s);
  if (std::sscanf(text.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &sec, &n) != 6) return std::nullopt;
  std::string_view rest = s.substr(static_cast<std::size_t>(n));
  if (rest.starts_with(".")) {
    int digits = 0;
    for (rest.remove_prefix(1); !rest.empty() && rest[0] >= '0' && rest[0] <= '9'; rest.remove_prefix(1)) {
      if (digits++ < 3) ms = ms * 10 + (rest[0] - '0');
    }
    for (; digits < 3; ++digits) ms *= 10;
  }
  if (rest != "Z") return std::nullopt;
  std::tm tm{};
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = sec;
  const auto t = timegm(&tm);
  if (t < 0) return std::nullopt;
  return static_cast<core::UnixMs>(t) * 1000 + ms;
}

// A 0.3 call's params as 1.0's (a2a/legacy.hpp), in place; the error
// envelope when they are malformed.
std::optional<json::object> params_to_v1(a2a::RpcRequest& r) {
  auto params = a2a::params_from_v03(r.method, r.params);
  if (auto* e = std::get_if<a2a::RpcError>(&params)) return fail(r, e->code, std::move(e->message));
  r.params = std::move(std::get<json::object>(params));
  return std::nullopt;
}

}  // namespace

asio::awaitable<json::object> A2aGateway::dispatch(Call& call) {
  if (!call.req.legacy) co_return co_await run_method(call);
  if (auto e = params_to_v1(call.req)) co_return std::move(*e);
  auto answer = co_await run_method(call);
  if (auto* result = answer.if_contains("result")) *result = a2a::result_to_v03(call.req.method, *result);
  co_return answer;
}

asio::awaitable<json::object> A2aGateway::run_method(Call& call) {
  const auto& r = call.req;
  switch (r.method) {
    case a2a::Method::send_message:
      co_return co_await send_message(call);
    case a2a::Method::get_task:
      co_return co_await get_task(call);
    case a2a::Method::list_tasks:
      co_return co_await list_tasks(call);
    case a2a::Method::cancel_task:
      co_return co_await cancel_task(call);
    case a2a::Method::send_streaming_message:
    case a2a::Method::subscribe_to_task:
      co_return fail(r, RpcCode::invalid_request, "a streaming method cannot be part of a batch");
    case a2a::Method::create_push_config:
      co_return co_await create_push_config(call);
    case a2a::Method::get_push_config:
      co_return co_await get_push_config(call);
    case a2a::Method::list_push_configs:
      co_return co_await list_push_configs(call);
    case a2a::Method::delete_push_config:
      co_return co_await delete_push_config(call);
    case a2a::Method::get_extended_card:
      co_return fail(r, RpcCode::extended_card_not_configured, "no extended card: the public card is the whole card");
  }
  co_return fail(r, RpcCode::method_not_found, "unknown method");
}

void A2aGateway::forget_gateway_if_gone(const error_code& ec) {
  if (ec == node::error::unknown_agent) gateway_.reset();  // deleted: made again on the next call
}

asio::awaitable<Result<core::AgentId>> A2aGateway::gateway_agent() {
  if (gateway_) co_return *gateway_;
  std::string name(kGatewayAgent);
  auto found = co_await node_.resolve_agent(name);
  if (!found && found.error() == node::error::unknown_agent) {
    node::CreateAgentRequest req;
    req.name = std::string(kGatewayAgent);
    req.display_name = "A2A gateway (requester of A2A callers' tasks)";
    auto created = co_await node_.create_agent(std::move(req));
    if (created) {
      log_->info("created the agent {} ({}) for A2A callers' tasks", kGatewayAgent, created->agent.id);
      gateway_ = created->agent.id;
      co_return *gateway_;
    }
    found = co_await node_.resolve_agent(name);  // created meanwhile by another call
  }
  if (!found) co_return found.error();
  gateway_ = *found;
  co_return *gateway_;
}

// The gateway agent's inbox gets every step of its tasks, which it reads
// from the task store instead: acked at most once a second, so acked entries
// are pruned after the retention and the inbox never grows without bound.
asio::awaitable<void> A2aGateway::ack_gateway_inbox(core::AgentId gateway) {
  const auto now = std::chrono::steady_clock::now();
  if (now - last_ack_ < std::chrono::seconds(1)) co_return;
  last_ack_ = now;
  const core::Seq start{0};
  auto page = co_await node_.read_inbox(gateway, start, 1);
  if (!page || page->position.last.value <= page->position.acked.value) co_return;
  auto acked = co_await node_.ack(gateway, page->position.last);
  if (!acked) log_->warn("acking the {} inbox: {}", kGatewayAgent, acked.error().message());
}

asio::awaitable<std::optional<tasks::Task>> A2aGateway::callers_task(const Call& call, const core::TaskId& id) {
  auto gateway = co_await gateway_agent();
  if (!gateway) co_return std::nullopt;
  auto t = co_await node_.task(*gateway, id);
  if (!t) forget_gateway_if_gone(t.error());
  if (!t || !belongs_to(*t, call.caller)) co_return std::nullopt;
  co_return std::move(*t);
}

asio::awaitable<Result<tasks::Task>> A2aGateway::wait_for(core::AgentId gateway, tasks::Task task) {
  if (interrupted_or_done(task.state) || stats_.waiting >= config_.max_waiting) co_return task;
  struct Wait {
    explicit Wait(const asio::any_io_executor& ex) : timer(ex) {}
    asio::steady_timer timer;
    bool woken = false;
  };
  auto ex = co_await asio::this_coro::executor;
  auto w = std::make_shared<Wait>(ex);
  std::function<void()> wake = [w] {
    w->woken = true;
    w->timer.cancel();
  };
  auto token = co_await node_.watch_task(gateway, task.id, std::move(wake));
  if (!token) co_return token.error();
  ++stats_.waiting;
  const auto deadline = std::chrono::steady_clock::now() + config_.max_blocking;
  Result<tasks::Task> out = task;
  for (;;) {
    auto now = co_await node_.task(gateway, task.id);  // a step may have come before the watch
    if (!now) {
      out = now.error();
      break;
    }
    out = *now;
    if (interrupted_or_done(now->state) || draining_ || std::chrono::steady_clock::now() >= deadline) break;
    if (!w->woken) {
      w->timer.expires_at(deadline);
      co_await w->timer.async_wait(kTuple);
    }
    w->woken = false;
  }
  --stats_.waiting;
  node_.unwatch_task(gateway, *token);
  co_return out;
}

// SendMessage's and SendStreamingMessage's common part: the task created
// (or answered), or the error envelope.
asio::awaitable<std::variant<tasks::Task, json::object>> A2aGateway::submit(Call& call, Submit& how) {
  const auto& r = call.req;
  const auto& p = r.params;
  const auto* message = p.if_contains("message");
  if (!message) co_return fail(r, RpcCode::invalid_params, "params.message is required");
  auto parsed = a2a::message_of(*message);
  if (auto* e = std::get_if<a2a::RpcError>(&parsed)) {
    e->id = r.id;
    co_return a2a::error_envelope(*e);
  }
  auto& m = std::get<a2a::InboundMessage>(parsed);
  if (const auto* c = p.if_contains("configuration")) {
    if (!c->is_object()) co_return fail(r, RpcCode::invalid_params, "params.configuration must be an object");
    const auto& co = c->get_object();
    if (const auto* push = co.if_contains("taskPushNotificationConfig"); push && !push->is_null()) {
      if (!push->is_object())
        co_return fail(r, RpcCode::invalid_params, "taskPushNotificationConfig must be an object");
      auto checked = co_await checked_push(call, push->get_object());
      if (auto* e = std::get_if<json::object>(&checked)) co_return std::move(*e);
      how.push = std::move(std::get<a2a::PushConfig>(checked));
    }
    if (const auto* ri = co.if_contains("returnImmediately")) {
      if (!ri->is_bool()) co_return fail(r, RpcCode::invalid_params, "returnImmediately must be true or false");
      how.immediately = ri->get_bool();
    }
    auto h = history_length(co);
    if (auto* why = std::get_if<std::string>(&h)) co_return fail(r, RpcCode::invalid_params, *why);
    how.history = std::get<std::optional<std::size_t>>(h);
  }
  if (!m.context_id.empty() && !printable_ascii(m.context_id)) {
    co_return fail(r, RpcCode::invalid_params, "message.contextId must be printable ASCII");
  }
  auto gateway = co_await gateway_agent();
  if (!gateway) co_return fail_with(r, gateway.error());
  // The idempotency key: the caller and a digest of its messageId (any length, any characters).
  const auto digest = crypto::sha256(crypto::as_bytes(m.message_id));
  const std::string key =
      fmt::format("a2a:{}:{}", caller_id(call.caller), core::to_hex(std::span<const std::uint8_t>(digest.data(), 16)));
  Result<node::TaskResult> result = tasks::error::unknown_task;
  std::uint64_t push_cursor = 0;  // a new task's webhook gets every step
  if (!m.task_id.empty()) {
    auto id = core::TaskId::parse(m.task_id);
    if (!id) co_return fail(r, RpcCode::task_not_found, "no such task");
    auto mine = co_await callers_task(call, *id);
    if (!mine) co_return fail(r, RpcCode::task_not_found, "no such task");
    push_cursor = mine->sequence;  // an answered task's: the steps from the answer on
    node::TaskActionRequest act;
    act.action = tasks::Action::input;
    act.parts = std::move(m.parts);
    act.request_id = key;
    result = co_await node_.act_on_task(*gateway, *id, std::move(act));
  } else {
    node::CreateTaskRequest create;
    create.to = call.agent.id.to_string();
    create.input = std::move(m.parts);
    create.context_id = m.context_id;
    create.idempotency_key = key;
    create.metadata = std::move(m.metadata);
    std::erase_if(create.metadata, [](const auto& kv) { return kv.first.starts_with("a2a."); });
    create.metadata.emplace_back(std::string(kCallerKey), caller_id(call.caller));
    create.metadata.emplace_back(std::string(kMessageKey), m.message_id);
    auto retry = create;
    result = co_await node_.create_task(*gateway, std::move(create));
    if (!result && result.error() == node::error::unknown_agent) {
      // The gateway agent was deleted: make it again, once.
      forget_gateway_if_gone(result.error());
      gateway = co_await gateway_agent();
      if (!gateway) co_return fail_with(r, gateway.error());
      result = co_await node_.create_task(*gateway, std::move(retry));
    }
    if (result && !result->duplicate) ++stats_.tasks_created;
  }
  if (!result) {
    forget_gateway_if_gone(result.error());
    co_return fail_with(r, result.error());
  }
  co_await ack_gateway_inbox(*gateway);
  if (how.push) {
    auto registered = co_await register_push(call, result->task, std::move(*how.push), push_cursor);
    if (registered.contains("error")) co_return registered;
  }
  co_return std::move(result->task);
}

asio::awaitable<json::object> A2aGateway::send_message(Call& call) {
  Submit how;
  auto submitted = co_await submit(call, how);
  if (auto* e = std::get_if<json::object>(&submitted)) co_return std::move(*e);
  auto& task = std::get<tasks::Task>(submitted);
  if (how.immediately) co_return ok(call.req, json::object{{"task", a2a::task_json(task, how.history)}});
  auto gateway = co_await gateway_agent();
  if (!gateway) co_return fail_with(call.req, gateway.error());
  auto done = co_await wait_for(*gateway, std::move(task));
  if (!done) co_return fail_with(call.req, done.error());
  co_return ok(call.req, json::object{{"task", a2a::task_json(*done, how.history)}});
}

// SendStreamingMessage and SubscribeToTask: an SSE stream of StreamResponse
// objects (in JSON-RPC envelopes for that binding), the task first, then its
// steps, until it ends or waits for the client. Errors before the stream are
// returned as their envelope.
asio::awaitable<std::variant<Response, json::object>> A2aGateway::stream(Call& call) {
  if (call.req.legacy) {
    if (auto e = params_to_v1(call.req)) co_return std::move(*e);
  }
  const auto& r = call.req;
  tasks::Task task;
  std::optional<std::size_t> history;
  if (r.method == a2a::Method::send_streaming_message) {
    Submit how;
    auto submitted = co_await submit(call, how);
    if (auto* e = std::get_if<json::object>(&submitted)) co_return std::move(*e);
    task = std::move(std::get<tasks::Task>(submitted));
    history = how.history;
  } else {
    auto id = task_id_of(r.params, "id");
    if (!id) co_return fail(r, RpcCode::task_not_found, "params.id names no task");
    auto mine = co_await callers_task(call, *id);
    if (!mine) co_return fail(r, RpcCode::task_not_found, "no such task");
    if (a2a::stream_ends(mine->state)) {
      co_return fail(r, RpcCode::unsupported_operation,
                     fmt::format("the task is {}: there is nothing to subscribe to", a2a::state_name(mine->state)));
    }
    task = std::move(*mine);
  }
  auto gateway = co_await gateway_agent();
  if (!gateway) co_return fail_with(r, gateway.error());
  auto custom = std::make_shared<CustomTaskStream>();
  auto item = [rest = call.rest, legacy = r.legacy, id = r.id](json::object o) {
    if (rest) return o;
    return a2a::result_envelope(id, legacy ? a2a::stream_item_to_v03(o) : std::move(o));
  };
  custom->preface.push_back(item(json::object{{"task", a2a::task_json(task, history)}}));
  custom->ended = a2a::stream_ends(task.state);
  custom->render = [item, context = task.context_id, requester = task.requester](const tasks::Event& e) {
    std::vector<json::object> out;
    for (auto& o : a2a::stream_responses(e, context, requester)) out.push_back(item(std::move(o)));
    return out;
  };
  custom->ends = [](const tasks::Event& e) { return a2a::stream_ends(e.state); };
  auto signal = std::make_shared<StreamSignal>();
  std::function<void()> wake = [signal] { signal->wake(); };
  auto token = co_await node_.watch_task(*gateway, task.id, std::move(wake));
  if (!token) co_return fail_with(r, token.error());
  StreamRequest s;
  s.source = StreamRequest::Source::task;
  s.framing = StreamRequest::Framing::sse;
  s.agent = *gateway;
  s.task = task.id;
  s.after = core::Seq{task.sequence};
  s.signal = signal;
  s.custom = std::move(custom);
  s.lease = std::shared_ptr<void>(
      nullptr, [node = node_, agent = *gateway, token = *token](void*) { node.unwatch_task(agent, token); });
  Response resp;
  resp.stream = std::move(s);
  co_return resp;
}

asio::awaitable<json::object> A2aGateway::get_task(Call& call) {
  const auto& r = call.req;
  auto id = task_id_of(r.params, "id");
  if (!id) co_return fail(r, RpcCode::task_not_found, "params.id names no task");
  auto h = history_length(r.params);
  if (auto* why = std::get_if<std::string>(&h)) co_return fail(r, RpcCode::invalid_params, *why);
  auto t = co_await callers_task(call, *id);
  if (!t) co_return fail(r, RpcCode::task_not_found, "no such task");
  co_return ok(r, a2a::task_json(*t, std::get<std::optional<std::size_t>>(h)));
}

asio::awaitable<json::object> A2aGateway::list_tasks(Call& call) {
  const auto& r = call.req;
  const auto& p = r.params;
  node::TaskListQuery q;
  q.role = store::TaskQuery::Role::requester;
  q.limit = 1000;
  if (const auto* c = p.if_contains("contextId")) {
    if (!c->is_string()) co_return fail(r, RpcCode::invalid_params, "contextId must be a string");
    q.context_id = std::string(c->get_string());
  }
  std::optional<tasks::TaskState> state;
  if (const auto* s = p.if_contains("status")) {
    if (!s->is_string()) co_return fail(r, RpcCode::invalid_params, "status must be a TaskState name");
    for (auto st : {tasks::TaskState::submitted, tasks::TaskState::working, tasks::TaskState::input_required,
                    tasks::TaskState::auth_required, tasks::TaskState::completed, tasks::TaskState::failed,
                    tasks::TaskState::canceled, tasks::TaskState::rejected}) {
      if (a2a::state_name(st) == s->get_string()) state = st;
    }
    if (!state && s->get_string() != "TASK_STATE_UNSPECIFIED") {
      co_return fail(r, RpcCode::invalid_params, "status must be a TaskState name");
    }
  }
  q.state = state;
  std::size_t page = kDefaultPageSize;
  if (const auto* ps = p.if_contains("pageSize")) {
    if (!ps->is_int64() || ps->get_int64() < 1 || ps->get_int64() > static_cast<std::int64_t>(kMaxPageSize)) {
      co_return fail(r, RpcCode::invalid_params, fmt::format("pageSize must be 1-{}", kMaxPageSize));
    }
    page = static_cast<std::size_t>(ps->get_int64());
  }
  std::optional<core::TaskId> after;
  if (const auto* pt = p.if_contains("pageToken"); pt && !(pt->is_string() && pt->get_string().empty())) {
    after = task_id_of(p, "pageToken");
    if (!after) co_return fail(r, RpcCode::invalid_params, "pageToken is not one this gateway gave");
  }
  std::optional<core::UnixMs> since;
  if (const auto* ts = p.if_contains("statusTimestampAfter")) {
    if (ts->is_string()) since = parse_timestamp(ts->get_string());
    if (!since) co_return fail(r, RpcCode::invalid_params, "statusTimestampAfter must be an RFC 3339 UTC time");
  }
  auto h = history_length(p);
  if (auto* why = std::get_if<std::string>(&h)) co_return fail(r, RpcCode::invalid_params, *why);
  bool artifacts = false;
  if (const auto* ia = p.if_contains("includeArtifacts")) {
    if (!ia->is_bool()) co_return fail(r, RpcCode::invalid_params, "includeArtifacts must be true or false");
    artifacts = ia->get_bool();
  }
  auto gateway = co_await gateway_agent();
  if (!gateway) co_return fail_with(r, gateway.error());
  // Every task of this caller that matches, by id; then the page after the token.
  std::vector<tasks::Task> mine;
  for (;;) {
    auto batch = co_await node_.tasks(*gateway, q);
    if (!batch) {
      forget_gateway_if_gone(batch.error());
      co_return fail_with(r, batch.error());
    }
    for (auto& t : *batch) {
      if (belongs_to(t, call.caller) && (!since || t.updated_ms > *since)) mine.push_back(std::move(t));
    }
    if (batch->size() < q.limit) break;
    q.after = batch->back().id;
  }
  const std::size_t total = mine.size();
  auto begin = mine.begin();
  if (after) {
    begin = std::find_if(mine.begin(), mine.end(), [&](const auto& t) { return *after < t.id; });
  }
  json::array out;
  std::optional<core::TaskId> last;
  for (auto it = begin; it != mine.end() && out.size() < page; ++it) {
    auto o = a2a::task_json(*it, std::get<std::optional<std::size_t>>(h));
    if (!artifacts) o.erase("artifacts");
    out.push_back(std::move(o));
    last = it->id;
  }
  const bool more = last && std::any_of(begin, mine.end(), [&](const auto& t) { return *last < t.id; });
  const auto returned = out.size();
  json::object result{{"tasks", std::move(out)},
                      {"nextPageToken", more ? last->to_string() : std::string()},
                      {"pageSize", returned},
                      {"totalSize", total}};
  co_return ok(r, std::move(result));
}

asio::awaitable<json::object> A2aGateway::cancel_task(Call& call) {
  const auto& r = call.req;
  auto id = task_id_of(r.params, "id");
  if (!id) co_return fail(r, RpcCode::task_not_found, "no such task");
  auto mine = co_await callers_task(call, *id);
  if (!mine) co_return fail(r, RpcCode::task_not_found, "no such task");
  auto gateway = co_await gateway_agent();
  if (!gateway) co_return fail_with(r, gateway.error());
  node::TaskActionRequest act;
  act.action = tasks::Action::cancel;
  auto result = co_await node_.act_on_task(*gateway, *id, std::move(act));
  if (!result) co_return fail_with(r, result.error());
  co_return ok(r, a2a::task_json(result->task));
}

}  // namespace agentmesh::api
