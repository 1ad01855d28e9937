// api/a2a_outbound: the runner of one outbound task (a2a_outbound.hpp).

#include <fmt/format.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/json.hpp>

#include "a2a/card.hpp"
#include "a2a/jsonrpc.hpp"
#include "a2a/mapping.hpp"
#include "api/a2a_outbound.hpp"
#include "core/awaitable.hpp"
#include "node/error.hpp"
#include "tasks/error.hpp"

namespace agentmesh::api {
namespace asio = boost::asio;
namespace json = boost::json;
using core::kTuple;

struct A2aOutbound::CallOutcome {
  WebhookOutcome http;
  std::optional<a2a::RpcFailure> rpc;  // the JSON-RPC error answered
  std::string bad;                     // why the answer is not A2A
  bool learned = false;                // the call told the remote task's id
  // Answered: a whole 2xx answer, A2A, not an error.
  bool answered() const { return http.ok() && http.error.empty() && !rpc && bad.empty(); }
  // An HTTP error status that is not the binding's own error answer.
  bool http_failed() const { return http.status != 0 && !http.ok() && !rpc; }
};

struct A2aOutbound::Job {
  core::TaskId id = core::TaskId::from_array({});
  core::AgentId agent = core::AgentId::from_array({});
  std::string url;
  std::string credential;
  std::string remote_task;
  std::string remote_context;
  a2a::RemoteCard card;
  tasks::Task local;
  std::optional<tasks::TaskState> remote_state;
  std::string last_status;       // the last status message applied, serialized
  std::string last_key;          // the last remote status (state and message), serialized
  core::UnixMs answered_ms = 0;  // the time of the requester's answer last sent (its identity)
  std::chrono::milliseconds poll_delay{0};
  int follow_failures = 0;  // in a row
  bool subscribe = true;    // SubscribeToTask works (when the card streams)
  std::shared_ptr<asio::steady_timer> wake;
  bool changed = false;  // the local task took a step since the last look
  bool ended = false;    // the local task is terminal (or gone)
  bool cancel_sent = false;
  bool checking = false;  // a cancel check is under way
};

namespace {

std::string meta(const tasks::Task& t, std::string_view key) {
  for (const auto& [k, v] : t.metadata) {
    if (k == key) return v;
  }
  return {};
}

tasks::Part text_part(std::string text) {
  tasks::Part p;
  p.kind = tasks::Part::Kind::text;
  p.text = std::move(text);
  return p;
}

std::string parts_text(const std::vector<tasks::Part>& parts) {
  std::string out;
  for (const auto& p : parts) {
    if (p.kind != tasks::Part::Kind::text) continue;
    if (!out.empty()) out += ' ';
    out += p.text;
  }
  return out.substr(0, 1024);
}

// The remote task's ids, from the progress step that recorded them (among
// the task's first steps: the log keeps them all, the task only its last
// messages).
void recover_remote(const std::vector<tasks::Event>& events, std::string& task, std::string& context) {
  for (const auto& e : events) {
    if (!e.message) continue;
    for (const auto& p : e.message->parts) {
      if (p.kind != tasks::Part::Kind::data || p.media_type != kRemoteMediaType) continue;
      boost::system::error_code ec;
      auto v = json::parse(p.text, ec);
      if (ec || !v.is_object()) continue;
      if (const auto* id = v.get_object().if_contains("taskId"); id && id->is_string()) {
        task = std::string(id->get_string());
      }
      if (const auto* ctx = v.get_object().if_contains("contextId"); ctx && ctx->is_string()) {
        context = std::string(ctx->get_string());
      }
      return;
    }
  }
}

// The requester's answer not yet sent to the remote task, if the last
// message is one.
const tasks::StatusMessage* pending_answer(const tasks::Task& t, core::UnixMs answered_ms) {
  if (t.state != tasks::TaskState::working || t.messages.empty()) return nullptr;
  const auto& last = t.messages.back();
  if (last.from != t.requester || last.time_ms == answered_ms) return nullptr;
  return &last;
}

std::uint32_t chunks_of(const tasks::Task& t, const std::string& name, bool& complete) {
  for (const auto& a : t.artifacts) {
    if (a.name == name) {
      complete = a.complete;
      return a.chunks;
    }
  }
  complete = false;
  return 0;
}

}  // namespace

asio::awaitable<void> A2aOutbound::run(core::AgentId agent, core::TaskId id) {
  auto self = shared_from_this();
  auto job = std::make_shared<Job>();
  job->id = id;
  job->agent = agent;
  job->wake = std::make_shared<asio::steady_timer>(ex_);
  // Every step of the task wakes the runner; a cancel is forwarded at once,
  // even while the runner waits on the remote agent's stream.
  std::function<void()> wake = [this, weak = std::weak_ptr<Job>(job)] {
    auto j = weak.lock();
    if (!j) return;
    j->changed = true;
    j->wake->cancel();
    if (j->remote_task.empty() || j->cancel_sent || j->checking) return;
    j->checking = true;
    asio::co_spawn(ex_, check_cancel(j), [log = log_](const std::exception_ptr& e) {
      if (e) log->error("an outbound A2A cancel check ended by an exception");
    });
  };
  auto token = co_await node_.watch_task(job->agent, id, std::move(wake));
  if (token) {
    co_await drive(*job);
    node_.unwatch_task(job->agent, *token);
    auto now = co_await node_.task(job->agent, id);
    if (now && now->state == tasks::TaskState::canceled) co_await forward_cancel(*job);
  }
  running_.erase(id);
}

asio::awaitable<void> A2aOutbound::check_cancel(std::shared_ptr<Job> job) {
  auto self = shared_from_this();
  auto t = co_await node_.task(job->agent, job->id);
  job->checking = false;
  if (t && t->state == tasks::TaskState::canceled) co_await forward_cancel(*job);
}

asio::awaitable<void> A2aOutbound::drive(Job& job) {
  auto t = co_await node_.task(job.agent, job.id);
  if (!t) co_return;
  job.local = std::move(*t);
  job.url = meta(job.local, kUrlKey);
  job.credential = meta(job.local, kCredentialKey);
  if (job.local.state == tasks::TaskState::submitted) {
    node::TaskActionRequest req;
    const auto requester_id = job.local.requester.to_string();
    auto requester = co_await node_.agent(requester_id);
    if (job.url.empty() || !requester) {
      req.action = tasks::Action::reject;
      req.reason = job.url.empty() ? "not a task for an A2A agent: give \"to\": \"a2a:<agent card URL>\""
                                   : "the A2A client serves only the agents of its own daemon";
      (void)co_await act(job, std::move(req));
      co_return;
    }
    req.action = tasks::Action::accept;
    if (!co_await act(job, std::move(req))) co_return;
  }
  if (job.local.sequence > 2) {  // past the acceptance: this task may have a remote one
    auto first = co_await node_.task_events(job.agent, job.id, 0, 16);
    if (first) recover_remote(*first, job.remote_task, job.remote_context);
  }
  auto remote = co_await card(job.url);
  if (auto* why = std::get_if<std::string>(&remote)) {
    co_await fail(job, *why);
    co_return;
  }
  job.card = std::get<a2a::RemoteCard>(remote);
  while (!stopped_) {
    if (job.changed) {
      job.changed = false;
      auto now = co_await node_.task(job.agent, job.id);
      if (!now) co_return;
      job.local = std::move(*now);
    }
    if (tasks::terminal(job.local.state)) co_return;  // a cancel is forwarded by run()
    if (job.remote_state && tasks::terminal(*job.remote_state)) co_return;
    bool going = true;
    if (job.remote_task.empty()) {
      auto message_id = job.id.to_string();
      going = co_await send(job, std::move(message_id), job.local.input);
    } else if (job.local.state != tasks::TaskState::working) {
      co_await wait(job, std::chrono::hours(1));  // input required: for the requester's answer or cancel
    } else if (const auto* answer = pending_answer(job.local, job.answered_ms);
               answer && job.remote_state && !tasks::terminal(*job.remote_state) &&
               *job.remote_state != tasks::TaskState::working && *job.remote_state != tasks::TaskState::submitted) {
      // The requester answered and the remote task waits for it (after a
      // restart: once a look at it said so; the message id is the answer's).
      job.answered_ms = answer->time_ms;
      auto message_id = fmt::format("{}.{}", job.id.to_string(), answer->time_ms);
      auto parts = answer->parts;
      going = co_await send(job, std::move(message_id), std::move(parts));
    } else {
      going = co_await follow(job);
    }
    if (!going) co_return;
  }
}

// One message to the remote agent, sent again while its outcome is unknown.
asio::awaitable<bool> A2aOutbound::send(Job& job, std::string message_id, std::vector<tasks::Part> parts) {
  a2a::OutboundMessage m{message_id, job.remote_task, job.remote_context, std::move(parts)};
  auto backoff = config_.retry_initial;
  for (int attempt = 1;; ++attempt) {
    auto request = a2a::send_message_call(job.card, next_rpc_id_++, m, job.card.streaming);
    auto out = co_await call(job, std::move(request), job.card.streaming);
    if (job.ended) co_return false;
    if (out.answered() || out.learned) co_return true;  // applied by call(); a dropped stream is followed
    if (!out.http.sent) {
      auto reason = fmt::format("calling the A2A agent at {}: {}", job.card.url, out.http.error);
      co_await fail(job, std::move(reason));
      co_return false;
    }
    if (out.http_failed()) {
      auto reason = fmt::format("the A2A agent at {} answered HTTP status {}", job.card.url, out.http.status);
      co_await fail(job, std::move(reason));
      co_return false;
    }
    if (out.rpc) {
      auto reason = fmt::format("the A2A agent at {} refused the message: {} ({})", job.card.url, out.rpc->message,
                                out.rpc->code);
      co_await fail(job, std::move(reason));
      co_return false;
    }
    if (!out.bad.empty()) {
      auto reason = fmt::format("the A2A agent at {} answered something that is not A2A: {}", job.card.url, out.bad);
      co_await fail(job, std::move(reason));
      co_return false;
    }
    // Sent, then no (whole) answer: the remote may or may not have the message.
    ++stats_.outcome_unknown;
    if (attempt >= config_.unknown_attempts) {
      auto reason = fmt::format("outcome_unknown: message {} to {} got no answer in {} attempts (last: {})", message_id,
                                job.card.url, attempt, out.http.error);
      co_await fail(job, std::move(reason));
      co_return false;
    }
    node::TaskActionRequest note;
    note.action = tasks::Action::progress;
    note.parts.push_back(text_part(fmt::format(
        "outcome_unknown: message {} was sent to {} but no answer came ({}); sending it again with the same "
        "messageId",
        message_id, job.card.url, out.http.error)));
    if (!co_await act(job, std::move(note))) co_return false;
    co_await wait(job, backoff);
    backoff = std::min(backoff * 2, config_.poll_max * 6);
    if (job.ended) co_return false;
  }
}

// The remote task's news: a stream (SubscribeToTask) or a GetTask poll.
asio::awaitable<bool> A2aOutbound::follow(Job& job) {
  const auto before = job.remote_state;
  const auto status_before = job.last_status;
  const auto chunks_before = job.local.artifacts;
  const bool stream = job.card.streaming && job.subscribe;
  auto request = a2a::task_call(job.card, next_rpc_id_++, stream ? "SubscribeToTask" : "GetTask", job.remote_task);
  auto out = co_await call(job, std::move(request), stream);
  if (job.ended) co_return false;
  if (out.rpc && stream) {
    job.subscribe = false;  // e.g. UnsupportedOperationError: poll instead
    co_return true;
  }
  if (out.rpc) {
    auto reason = fmt::format("the A2A agent at {} answered GetTask of task {}: {} ({})", job.card.url, job.remote_task,
                              out.rpc->message, out.rpc->code);
    co_await fail(job, std::move(reason));
    co_return false;
  }
  if (!out.answered() && ++job.follow_failures >= config_.unknown_attempts) {
    const auto why = !out.bad.empty()  ? out.bad
                     : out.http.ok()   ? out.http.error
                     : out.http.status ? fmt::format("HTTP status {}", out.http.status)
                                       : out.http.error;
    auto reason = fmt::format("following task {} at {} failed {} times in a row (last: {})", job.remote_task,
                              job.card.url, job.follow_failures, why);
    co_await fail(job, std::move(reason));
    co_return false;
  }
  if (out.answered()) job.follow_failures = 0;
  const bool news =
      job.remote_state != before || job.last_status != status_before || job.local.artifacts != chunks_before;
  if (stream && out.answered()) co_return true;  // the stream ended: look again
  job.poll_delay =
      news ? config_.poll_initial : std::min(std::max(job.poll_delay * 2, config_.poll_initial), config_.poll_max);
  co_await wait(job, out.answered() ? job.poll_delay : config_.retry_initial * job.follow_failures);
  co_return !job.ended;
}

asio::awaitable<void> A2aOutbound::wait(Job& job, std::chrono::milliseconds d) {
  if (job.changed) co_return;
  job.wake->expires_after(d);
  co_await job.wake->async_wait(kTuple);
}

asio::awaitable<A2aOutbound::CallOutcome> A2aOutbound::call(Job& job, a2a::RemoteCall request, bool stream) {
  CallOutcome out;
  ++stats_.calls;
  HttpRequest req;
  req.method = request.get ? "GET" : "POST";
  req.url = std::move(request.url);
  req.body = std::move(request.body);
  req.accept = stream ? "text/event-stream" : "application/json";
  req.headers.emplace_back("A2A-Version", std::string(a2a::kProtocolVersion));
  if (!job.credential.empty()) {
    auto c = credentials_->find(job.credential);
    if (!c) {
      out.http.error = fmt::format("the A2A credential \"{}\" was removed", job.credential);
      co_return out;
    }
    req.headers.emplace_back("Authorization", "Bearer " + c->secret);
  }
  a2a::SseParser sse(a2a::kMaxBodyBytes);
  BodySink sink;
  if (stream) {
    sink = [&](std::string_view bytes) -> asio::awaitable<bool> {
      std::vector<std::string> events;
      std::string why;
      if (!sse.feed(bytes, events, why)) {
        out.bad = why;
        co_return false;
      }
      for (const auto& e : events) {
        auto r = a2a::parse_answer(job.card, e);
        if (auto* f = std::get_if<a2a::RpcFailure>(&r)) {
          out.rpc = *f;
          co_return false;
        }
        if (auto* bad = std::get_if<std::string>(&r)) {
          out.bad = *bad;
          co_return false;
        }
        const bool knew = !job.remote_task.empty();
        const bool going = co_await apply(job, std::get<a2a::Update>(r));
        if (!knew && !job.remote_task.empty()) out.learned = true;
        if (!going) co_return false;
      }
      co_return true;
    };
  }
  out.http = co_await http_request(config_.http, std::move(req), std::move(sink));
  // HTTP+JSON answers its errors with a status and a google.rpc.Status body.
  const bool rest_error = job.card.rest && out.http.status >= 400 && out.http.error.empty() &&
                          out.http.content_type.find("json") != std::string::npos;
  if ((!out.http.ok() && !rest_error) || !out.http.error.empty() ||
      out.http.content_type.starts_with("text/event-stream")) {
    co_return out;
  }
  auto r = a2a::parse_answer(job.card, out.http.body);
  if (auto* f = std::get_if<a2a::RpcFailure>(&r)) {
    out.rpc = *f;
  } else if (auto* bad = std::get_if<std::string>(&r)) {
    out.bad = *bad;
  } else {
    const bool knew = !job.remote_task.empty();
    (void)co_await apply(job, std::get<a2a::Update>(r));
    if (!knew && !job.remote_task.empty()) out.learned = true;
  }
  co_return out;
}

// What the remote agent said, as steps of the local task. False: stop
// reading (the local task ended, or the remote one did).
asio::awaitable<bool> A2aOutbound::apply(Job& job, const a2a::Update& u) {
  if (job.ended) co_return false;
  if (!u.task_id.empty() && job.remote_task.empty()) {
    job.remote_task = u.task_id;
    job.remote_context = u.context_id;
    node::TaskActionRequest note;
    note.action = tasks::Action::progress;
    note.parts.push_back(text_part(fmt::format("A2A task {} at {}", u.task_id, job.card.url)));
    tasks::Part ids;
    ids.kind = tasks::Part::Kind::data;
    ids.media_type = std::string(kRemoteMediaType);
    ids.text = json::serialize(json::object{{"taskId", u.task_id}, {"contextId", u.context_id}, {"url", job.url}});
    note.parts.push_back(std::move(ids));
    if (!co_await act(job, std::move(note))) co_return false;
  }
  node::TaskActionRequest req;
  req.action = tasks::Action::progress;
  if (u.kind == a2a::Update::Kind::message && u.task_id.empty()) {
    // A direct answer: no remote task; the message is the result.
    req.action = tasks::Action::complete;
    req.chunks.push_back(tasks::ArtifactChunk{"response", 0, true, u.message});
    job.remote_state = tasks::TaskState::completed;
    (void)co_await act(job, std::move(req));
    if (job.local.state == tasks::TaskState::completed) ++stats_.completed;
    co_return false;
  }
  for (const auto& a : u.artifacts) {
    bool complete = false;
    auto n = chunks_of(job.local, a.id, complete);
    if (complete || (u.kind == a2a::Update::Kind::task && n > 0)) continue;  // snapshots repeat artifacts
    n += static_cast<std::uint32_t>(
        std::count_if(req.chunks.begin(), req.chunks.end(), [&](const auto& c) { return c.name == a.id; }));
    req.chunks.push_back(tasks::ArtifactChunk{a.id, n, u.kind == a2a::Update::Kind::task || a.last, a.parts});
  }
  const auto key =
      fmt::format("{}|{}|{}", u.state ? a2a::state_name(*u.state) : "", u.message.size(), parts_text(u.message));
  // A Task (a stream's first event, a poll) repeats the status it had: only
  // its artifacts can be news. (After an answer, the snapshot still says
  // input-required: the remote agent has not taken the answer yet.)
  if (u.kind == a2a::Update::Kind::task && key == job.last_key) {
    if (req.chunks.empty()) co_return true;
    co_return co_await act(job, std::move(req));
  }
  if (u.state) job.last_key = key;
  const bool new_status = !u.message.empty() && key != job.last_status;
  if (new_status) job.last_status = key;
  const auto state = u.state.value_or(tasks::TaskState::working);
  if (u.state) job.remote_state = state;
  switch (state) {
    case tasks::TaskState::submitted:
    case tasks::TaskState::working:
      if (new_status) req.parts = u.message;
      if (req.parts.empty() && req.chunks.empty()) co_return true;
      co_return co_await act(job, std::move(req));
    case tasks::TaskState::completed:
      req.action = tasks::Action::complete;
      if (new_status) req.parts = u.message;
      (void)co_await act(job, std::move(req));
      if (job.local.state == tasks::TaskState::completed) ++stats_.completed;
      co_return false;
    default:
      break;
  }
  if (!req.chunks.empty() && !co_await act(job, req)) co_return false;
  req.chunks.clear();
  if (state == tasks::TaskState::input_required || state == tasks::TaskState::auth_required) {
    // Already asked, or answered by the requester and the answer not sent yet.
    if (job.local.state != tasks::TaskState::working || pending_answer(job.local, job.answered_ms)) co_return true;
    req.action = tasks::Action::input_required;
    req.parts = u.message;
    if (req.parts.empty()) {
      req.parts.push_back(text_part(state == tasks::TaskState::auth_required ? "the A2A agent asks for authorization"
                                                                             : "the A2A agent asks for input"));
    }
    co_return co_await act(job, std::move(req));
  }
  const auto text = parts_text(u.message);
  auto reason = fmt::format("the A2A agent's task {} ended {}{}{}", job.remote_task, tasks::to_string(state),
                            text.empty() ? "" : ": ", text);
  co_await fail(job, std::move(reason));
  co_return false;
}

asio::awaitable<bool> A2aOutbound::act(Job& job, node::TaskActionRequest req) {
  auto r = co_await node_.act_on_task(job.agent, job.id, std::move(req));
  if (r) {
    job.local = std::move(r->task);
    job.ended = tasks::terminal(job.local.state);
    co_return !job.ended;
  }
  auto now = co_await node_.task(job.agent, job.id);
  if (!now || tasks::terminal(now->state)) {  // canceled, timed out or purged meanwhile
    if (now) job.local = std::move(*now);
    job.ended = true;
    co_return false;
  }
  job.local = std::move(*now);
  auto reason = fmt::format("recording the A2A agent's answer in the task: {}", r.error().message());
  co_await fail(job, std::move(reason));
  co_return false;
}

asio::awaitable<void> A2aOutbound::fail(Job& job, std::string reason) {
  if (job.ended) co_return;
  job.ended = true;
  ++stats_.failed;
  log_->info("outbound A2A task {} failed: {}", job.id, reason);
  node::TaskActionRequest req;
  req.action = tasks::Action::fail;
  req.reason = std::move(reason);
  if (req.reason.size() > 1024) req.reason.resize(1024);
  if (job.local.state == tasks::TaskState::submitted) req.action = tasks::Action::reject;
  auto r = co_await node_.act_on_task(job.agent, job.id, std::move(req));
  if (r) job.local = std::move(r->task);
}

asio::awaitable<void> A2aOutbound::forward_cancel(Job& job) {
  if (job.cancel_sent || job.remote_task.empty() || job.card.url.empty() ||
      (job.remote_state && tasks::terminal(*job.remote_state))) {
    co_return;
  }
  job.cancel_sent = true;
  job.ended = true;  // the answer is not applied: the local task is canceled already
  ++stats_.cancels_forwarded;
  auto request = a2a::task_call(job.card, next_rpc_id_++, "CancelTask", job.remote_task);
  auto out = co_await call(job, std::move(request), false);
  if (!out.answered()) {
    log_->info("forwarding the cancel of task {} to {}: {}", job.id, job.card.url,
               out.rpc            ? out.rpc->message
               : !out.bad.empty() ? out.bad
                                  : out.http.error);
  }
}

}  // namespace agentmesh::api
