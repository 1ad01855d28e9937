// node/tasks: creating tasks, parties' actions, reads and streams' wakers.
// The transactions themselves (one step, a message from another daemon) are
// in node/tasks_steps.cpp; timers and retention in node/tasks_timers.cpp.

#include "node/tasks.hpp"

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "core/error.hpp"
#include "crypto/crypto.hpp"
#include "direct/error.hpp"
#include "node/direct.hpp"
#include "node/directory.hpp"
#include "node/error.hpp"
#include "node/inboxes.hpp"
#include "node/spawn.hpp"
#include "node/storage_commit.hpp"
#include "tasks/codec.hpp"
#include "tasks/fingerprint.hpp"

namespace agentmesh::node {

namespace asio = boost::asio;
using tasks_detail::LocalAgents;
using tasks_detail::StepOutcome;

namespace {

constexpr std::int64_t kMaxTimeoutMs = 24LL * 3600 * 1000;
constexpr std::int64_t kMaxDeadlineMs = 30LL * 24 * 3600 * 1000;
constexpr std::size_t kMaxContextBytes = 256;
constexpr std::size_t kMaxRequestIdBytes = 256;
constexpr std::size_t kMaxMetadata = 64;

std::string random_hex16() {
  core::TaskId::Bytes b{};
  crypto::random_bytes(b);
  return core::TaskId::from_array(b).to_string();
}

bool visible(const tasks::Task& t, const core::AgentId& agent) {
  return t.requester == agent || t.assignee == agent ||
         std::find(t.former.begin(), t.former.end(), agent) != t.former.end();
}

Result<void> check_request_id(const std::optional<std::string>& id) {
  if (id && (id->empty() || id->size() > kMaxRequestIdBytes)) return core::error::out_of_range;
  return {};
}

}  // namespace

TaskService::TaskService(ServiceContext ctx, std::shared_ptr<AgentService> agents,
                         std::shared_ptr<InboxService> inboxes, std::shared_ptr<DirectoryService> directory,
                         std::shared_ptr<DirectService> direct)
    : ctx_(std::move(ctx)),
      config_(ctx_.config->tasks),
      agents_(std::move(agents)),
      inboxes_(std::move(inboxes)),
      directory_(std::move(directory)),
      direct_(std::move(direct)) {
  next_purge_ms_ = ctx_.now_ms() + 60'000;
}

Result<void> TaskService::load(std::string& why) {
  auto open = ctx_.storage->reader().list_open_tasks();
  if (!open) {
    why = "cannot read tasks: " + open.error().message();
    return open.error();
  }
  for (const auto& row : *open) {
    auto t = tasks::decode_task(row.body);
    if (!t) {
      why = "a stored task does not decode: " + row.id.to_string();
      return store::error::corrupt;
    }
    open_[row.id] = {row.requester, t->state};
    if (row.home) {
      ++open_by_requester_[row.requester];
      schedule(*t);
    }
  }
  std::weak_ptr<TaskService> weak = weak_from_this();
  direct_->route_protocol(std::string(tasks::kProtocol),
                          [weak](direct::Delivery d) -> Task<Result<direct::DeliveryResult>> {
                            auto self = weak.lock();
                            if (!self) co_return node::error::shutting_down;
                            co_return co_await self->receive(std::move(d));
                          });
  return {};
}

void TaskService::start() {
  std::weak_ptr<TaskService> weak = weak_from_this();
  ticker_.start(ctx_, "tasks", [weak]() -> std::optional<core::UnixMs> {
    auto self = weak.lock();
    return self ? self->tick() : std::nullopt;
  });
}

void TaskService::stop() { ticker_.stop(); }

LocalAgents TaskService::local_agents() const {
  LocalAgents local;
  for (const auto* a : agents_->all()) local.insert(a->id);
  return local;
}

std::vector<core::AgentId> TaskService::candidates(const core::AgentId& requester, const std::string& capability) {
  struct Candidate {
    core::AgentId id;
    int presence;  // 0 online, 1 suspect (its daemon has gone quiet), 2 offline
    bool local;
    core::UnixMs last;
  };
  std::vector<Candidate> found;
  for (const auto& v : directory_->search(capability, false)) {
    auto id = core::AgentId::parse(v.agent_id);
    if (!id || *id == requester) continue;
    if (v.local) {
      const auto* a = agents_->find(*id);
      if (!a || a->state != store::AgentState::running) continue;
    } else if (!direct_->reachable(requester, *id)) {
      continue;
    }
    auto it = last_offered_.find(*id);
    const int presence = v.local ? (v.online ? 0 : 2) : (v.presence == "online" ? 0 : v.presence == "suspect" ? 1 : 2);
    found.push_back({*id, presence, v.local, it == last_offered_.end() ? 0 : it->second});
  }
  std::stable_sort(found.begin(), found.end(), [](const Candidate& a, const Candidate& b) {
    if (a.presence != b.presence) return a.presence < b.presence;
    if (a.local != b.local) return a.local;
    return a.last < b.last;
  });
  std::vector<core::AgentId> out;
  for (const auto& c : found) {
    if (out.size() == config_.max_candidates) break;
    out.push_back(c.id);
  }
  return out;
}

Task<Result<TaskResult>> TaskService::create(core::AgentId requester, CreateTaskRequest req) {
  AGENTMESH_ASSERT_ON_THREAD(*ctx_.thread);
  auto self = shared_from_this();
  const auto* agent = agents_->find(requester);
  if (!agent) co_return error::unknown_agent;
  if (agent->state == store::AgentState::stopped) co_return direct::error::sender_stopped;
  if (req.to.empty() == req.capability.empty()) co_return core::error::out_of_range;
  const auto timeout = req.acceptance_timeout_ms.value_or(config_.acceptance_timeout_ms);
  if (timeout < 1 || timeout > kMaxTimeoutMs) co_return core::error::out_of_range;
  if (req.deadline_ms && (*req.deadline_ms < 1 || *req.deadline_ms > kMaxDeadlineMs))
    co_return core::error::out_of_range;
  if (req.context_id.size() > kMaxContextBytes || req.metadata.size() > kMaxMetadata)
    co_return core::error::out_of_range;
  if (auto ok = check_request_id(req.idempotency_key); !ok) co_return ok.error();
  if (tasks::size_of(req.input) > config_.limits.max_input_bytes) co_return tasks::error::message_too_large;

  const std::string target = req.to.empty() ? "capability:" + req.capability : "agent:" + req.to;
  tasks::CreateTerms terms{target, &req.input, timeout, req.deadline_ms.value_or(0), req.context_id, &req.metadata};
  const auto digest = tasks::fingerprint(terms);
  // A repeated key answers from its record before anything else is checked
  // (the candidates may have changed since).
  if (req.idempotency_key) {
    auto prior = ctx_.storage->reader().get_task_request(requester, *req.idempotency_key);
    if (!prior) co_return prior.error();
    if (*prior) {
      if ((*prior)->digest != digest) co_return tasks::error::idempotency_conflict;
      auto t = get(requester, (*prior)->task);
      if (!t) co_return t.error();
      co_return TaskResult{std::move(*t), true, false};
    }
  }
  std::vector<core::AgentId> candidates;
  if (!req.to.empty()) {
    if (const auto* local = agents_->resolve(req.to)) {
      candidates.push_back(local->id);
    } else if (auto id = core::AgentId::parse(req.to); id && direct_->reachable(requester, *id)) {
      candidates.push_back(*id);
    }
  } else {
    candidates = this->candidates(requester, req.capability);
  }
  if (candidates.empty()) co_return tasks::error::no_candidate;
  if (open_by_requester_[requester] >= config_.max_open_tasks_per_agent) co_return tasks::error::too_many_tasks;

  tasks::NewTask n;
  core::TaskId::Bytes idb{};
  crypto::random_bytes(idb);
  n.id = core::TaskId::from_array(idb);
  n.context_id = req.context_id.empty() ? "ctx-" + random_hex16() : req.context_id;
  n.requester = requester;
  n.candidates = std::move(candidates);
  n.capability = req.capability;
  n.input = std::move(req.input);
  n.acceptance_timeout_ms = timeout;
  const auto now = ctx_.now_ms();
  n.deadline_ms = req.deadline_ms ? now + *req.deadline_ms : 0;
  n.metadata = std::move(req.metadata);
  auto created = tasks::create(n, now, config_.limits);
  if (!created) co_return created.error();

  WorkFn<StepOutcome> work = [e = std::move(*created), key = req.idempotency_key, digest, requester,
                              local = local_agents(), env = step_env()](store::Store& s) -> Result<StepOutcome> {
    StepOutcome out;
    if (key) {
      auto prior = s.get_task_request(requester, *key);
      if (!prior) return prior.error();
      if (*prior) {  // a concurrent create with the same key committed first
        if ((*prior)->digest != digest) return tasks::error::idempotency_conflict;
        auto row = s.get_task((*prior)->task);
        if (!row) return row.error();
        if (!*row) return tasks::error::unknown_task;
        auto t = tasks::decode_task((*row)->body);
        if (!t) return store::error::corrupt;
        out.task = std::move(*t);
        out.duplicate = true;
        return out;
      }
    }
    tasks::Task after = *e.snapshot;
    if (auto r = tasks_detail::commit_step(s, env, local, std::nullopt, after, e, true, std::nullopt, out); !r) {
      return r.error();
    }
    if (key) {
      store::TaskRequestRecord rec{requester, *key, digest, after.id, e.sequence, env.now + env.retention_ms};
      if (auto r = s.put_task_request(rec); !r) return r.error();
    }
    return out;
  };
  auto done = co_await ctx_.storage->commit<StepOutcome>(std::move(work));
  if (!done) co_return done.error();
  after_commit(*done);
  if (!done->duplicate) ++stats_.created;
  co_return TaskResult{std::move(done->task), done->duplicate, false};
}

Task<Result<TaskResult>> TaskService::act(core::AgentId actor, core::TaskId id, TaskActionRequest req) {
  AGENTMESH_ASSERT_ON_THREAD(*ctx_.thread);
  auto self = shared_from_this();
  if (!agents_->find(actor)) co_return error::unknown_agent;
  if (auto ok = check_request_id(req.request_id); !ok) co_return ok.error();
  auto row = ctx_.storage->reader().get_task(id);
  if (!row) co_return row.error();
  if (!*row) co_return tasks::error::unknown_task;
  auto copy = tasks::decode_task((*row)->body);
  if (!copy) co_return store::error::corrupt;
  if (!visible(*copy, actor)) co_return tasks::error::unknown_task;
  tasks::Command cmd;
  cmd.task = id;
  cmd.action = req.action;
  cmd.actor = actor;
  cmd.attempt = copy->attempt;
  cmd.parts = std::move(req.parts);
  cmd.percent = req.percent;
  cmd.chunks = std::move(req.chunks);
  cmd.reason = std::move(req.reason);
  // A repeated request id answers from its record, before any check (the
  // task has moved on since the first answer).
  if (req.request_id) {
    auto prior = ctx_.storage->reader().get_task_request(actor, *req.request_id);
    if (!prior) co_return prior.error();
    if (*prior) {
      if ((*prior)->digest != tasks::fingerprint(cmd) || (*prior)->task != id) {
        co_return tasks::error::idempotency_conflict;
      }
      co_return TaskResult{tasks::for_replica(std::move(*copy)), true, false};
    }
  }
  if ((*row)->home) co_return co_await act_at_home(actor, std::move(cmd), std::move(req.request_id));
  co_return co_await act_remote(actor, std::move(*copy), std::move(cmd), std::move(req));
}

Task<Result<TaskResult>> TaskService::act_at_home(core::AgentId actor, tasks::Command cmd,
                                                  std::optional<std::string> request_id) {
  auto self = shared_from_this();
  const auto digest = tasks::fingerprint(cmd);
  WorkFn<StepOutcome> work = [cmd, request_id, digest, actor, local = local_agents(),
                              env = step_env()](store::Store& s) -> Result<StepOutcome> {
    StepOutcome out;
    auto row = s.get_task(cmd.task);
    if (!row) return row.error();
    if (!*row) return tasks::error::unknown_task;
    auto t = tasks::decode_task((*row)->body);
    if (!t) return store::error::corrupt;
    if (request_id) {
      auto prior = s.get_task_request(actor, *request_id);
      if (!prior) return prior.error();
      if (*prior) {
        if ((*prior)->digest != digest || (*prior)->task != cmd.task) return tasks::error::idempotency_conflict;
        out.task = std::move(*t);
        out.duplicate = true;
        return out;
      }
    }
    // Canceling a canceled task answers as the first cancel did.
    if (cmd.action == tasks::Action::cancel && t->state == tasks::TaskState::canceled && actor == t->requester) {
      out.task = std::move(*t);
      out.duplicate = true;
      return out;
    }
    auto e = tasks::decide(*t, cmd, env.now, env.limits);
    if (!e) return e.error();
    auto after = *t;
    tasks::apply(after, *e, env.limits);
    if (auto r = tasks_detail::commit_step(s, env, local, *t, after, *e, true, std::nullopt, out); !r) return r.error();
    if (request_id) {
      store::TaskRequestRecord rec{actor, *request_id, digest, after.id, e->sequence, env.now + env.retention_ms};
      if (auto r = s.put_task_request(rec); !r) return r.error();
    }
    return out;
  };
  auto done = co_await ctx_.storage->commit<StepOutcome>(std::move(work));
  if (!done) {
    if (done.error().category() == tasks::error_category()) ++stats_.refused_actions;
    co_return done.error();
  }
  after_commit(*done);
  co_return TaskResult{std::move(done->task), done->duplicate, false};
}

Task<Result<TaskResult>> TaskService::act_remote(core::AgentId actor, tasks::Task copy, tasks::Command cmd,
                                                 TaskActionRequest req) {
  auto self = shared_from_this();
  std::optional<std::string> key;
  if (req.request_id) key = "task/" + cmd.task.to_string() + "/" + *req.request_id;
  // The copy answers what it can without a round trip: a withdrawn
  // assignee, an ended task, a wrong party, an oversized payload. Not for a
  // request id already sent (answered pending before): the copy may have
  // moved on because of it, and the outbox answers the repeat.
  const bool resent = key && direct_->status(actor, direct::request_id_for_key(actor, *key)).has_value();
  if (auto e = tasks::decide(copy, cmd, ctx_.now_ms(), config_.limits); !e && !resent) {
    ++stats_.refused_actions;
    co_return e.error();
  }
  SendRequest send;
  send.to = copy.requester.to_string();
  send.content.content_type = std::string(tasks::kContentType);
  send.content.protocol = std::string(tasks::kProtocol);
  send.content.conversation_id = copy.context_id;
  send.content.body = tasks::encode_message(cmd);
  if (send.content.body.size() > ctx_.config->max_payload_bytes) co_return tasks::error::artifact_too_large;
  send.idempotency_key = key;
  send.ttl_ms = ctx_.config->max_ttl_ms;
  send.wait_ms = std::max<std::int64_t>(req.wait_ms, 1);
  const auto seen = copy.sequence;
  auto direct = direct_;
  auto receipt = co_await direct->send(actor, std::move(send), true);  // the copy names its home
  if (!receipt) {
    if (receipt.error() == direct::error::idempotency_conflict) co_return tasks::error::idempotency_conflict;
    co_return receipt.error();
  }
  using direct::MessageState;
  if (receipt->state == MessageState::rejected) {
    ++stats_.refused_actions;
    if (auto code = tasks::parse_reason_code(receipt->reason)) co_return *code;
    co_return direct::parse_reason_code(receipt->reason);
  }
  if (receipt->state == MessageState::expired) co_return direct::error::expired;
  const bool pending = receipt->state != MessageState::accepted;
  if (!pending && req.request_id) {
    // Remembered here too, so a repeat is answered without a round trip
    // (the home's dedup answers one that comes before this commit).
    store::TaskRequestRecord rec{
        actor, *req.request_id, tasks::fingerprint(cmd), cmd.task, 0, ctx_.now_ms() + config_.retention_ms};
    WorkFn<void> remember = [rec](store::Store& s) { return s.put_task_request(rec); };
    auto stored = co_await ctx_.storage->commit<void>(std::move(remember));
    if (!stored) ctx_.log->warn("task {}: request id not stored: {}", cmd.task.to_string(), stored.error().message());
  }
  if (!pending) {
    // The home committed the step and, in the same transaction, its
    // message back to this copy: wait a little for it to land.
    auto timer = std::make_shared<asio::steady_timer>(ctx_.ex);
    timer->expires_after(std::chrono::milliseconds(std::clamp<std::int64_t>(req.wait_ms, 1, 2'000)));
    const auto token = watch(actor, cmd.task, [timer] { timer->cancel(); });
    for (;;) {
      auto now = get(actor, cmd.task);
      if (now && now->sequence > seen) break;
      auto [ec] = co_await timer->async_wait(asio::as_tuple(asio::use_awaitable));
      if (!ec) break;  // the wait is over
      timer->expires_at(timer->expiry());
    }
    unwatch(actor, token);
  }
  auto now = get(actor, cmd.task);
  if (!now) co_return now.error();
  co_return TaskResult{std::move(*now), receipt->duplicate, pending};
}

Result<tasks::Task> TaskService::get(const core::AgentId& agent, const core::TaskId& id) const {
  auto row = ctx_.storage->reader().get_task(id);
  if (!row) return row.error();
  if (!*row) return tasks::error::unknown_task;
  auto t = tasks::decode_task((*row)->body);
  if (!t) return store::error::corrupt;
  if (!visible(*t, agent)) return tasks::error::unknown_task;
  return tasks::for_replica(std::move(*t));
}

Result<std::vector<tasks::Task>> TaskService::list(const core::AgentId& agent, const TaskListQuery& q) const {
  store::TaskQuery sq;
  sq.agent = agent;
  sq.role = q.role;
  if (q.state) sq.state = static_cast<std::uint8_t>(*q.state);
  sq.context_id = q.context_id;
  sq.after = q.after;
  sq.limit = q.limit;
  auto rows = ctx_.storage->reader().list_tasks(sq);
  if (!rows) return rows.error();
  std::vector<tasks::Task> out;
  for (const auto& r : *rows) {
    auto t = tasks::decode_task(r.body);
    if (!t) return store::error::corrupt;
    out.push_back(tasks::for_replica(std::move(*t)));
  }
  return out;
}

Result<std::vector<tasks::Event>> TaskService::events(const core::AgentId& agent, const core::TaskId& id,
                                                      std::uint64_t after, std::size_t limit) const {
  if (auto t = get(agent, id); !t) return t.error();
  auto rows = ctx_.storage->reader().list_task_events(id, after, limit);
  if (!rows) return rows.error();
  std::vector<tasks::Event> out;
  for (const auto& r : *rows) {
    auto e = tasks::decode_event(r.body);
    if (!e) return store::error::corrupt;
    out.push_back(std::move(*e));
  }
  return out;
}

std::uint64_t TaskService::watch(const core::AgentId& agent, std::optional<core::TaskId> task,
                                 std::function<void()> wake) {
  const auto token = next_watch_++;
  watchers_[agent].emplace(token, Watcher{task, std::move(wake)});
  return token;
}

void TaskService::unwatch(const core::AgentId& agent, std::uint64_t token) {
  auto it = watchers_.find(agent);
  if (it == watchers_.end()) return;
  it->second.erase(token);
  if (it->second.empty()) watchers_.erase(it);
}

void TaskService::notify(const core::AgentId& agent, const std::optional<core::TaskId>& task) {
  auto it = watchers_.find(agent);
  if (it == watchers_.end()) return;
  std::vector<std::function<void()>> wakers;  // a waker may unwatch
  for (const auto& [token, w] : it->second) {
    if (!w.task || !task || *w.task == *task) wakers.push_back(w.wake);
  }
  for (auto& wake : wakers) wake();
}

tasks_detail::StepEnv TaskService::step_env() const {
  tasks_detail::StepEnv env;
  env.now = ctx_.now_ms();
  env.limits = config_.limits;
  env.retention_ms = config_.retention_ms;
  env.message_ttl_ms = ctx_.config->max_ttl_ms;
  env.max_wire_bytes = ctx_.config->max_payload_bytes;
  env.conversations = ctx_.config->conversations;
  return env;
}

void TaskService::after_commit(const StepOutcome& out) {
  for (const auto& [agent, seq] : out.appended) inboxes_->appended(agent, seq);
  ctx_.counters->conversations_created.inc(out.conversations_created);
  for (const auto& rec : out.outbox) direct_->track(rec);
  if (!out.event) return;
  const auto& t = out.task;
  const auto& e = *out.event;
  if (out.home) {
    ++stats_.steps;
    if (e.kind == tasks::EventKind::offered) ++stats_.requeued;
    if (e.kind == tasks::EventKind::created || e.kind == tasks::EventKind::offered) {
      last_offered_[e.assignee] = e.time_ms;
    }
  } else {
    ++stats_.applied;
  }
  const bool was_open = open_.contains(t.id);
  if (tasks::terminal(t.state)) {
    if (was_open && out.home) {
      auto& n = open_by_requester_[t.requester];
      if (n > 0) --n;
      if (n == 0) open_by_requester_.erase(t.requester);
    }
    open_.erase(t.id);
    timers_.erase(t.id);
  } else {
    if (!was_open && out.home) ++open_by_requester_[t.requester];
    open_[t.id] = {t.requester, t.state};
    if (out.home) schedule(t);
  }
  for (const auto& agent : out.parties) notify(agent, t.id);
}

TaskStats TaskService::stats() const {
  auto s = stats_;
  s.open = open_.size();
  s.timers = timers_.size();
  for (const auto& [id, v] : open_) ++s.by_state[std::string(tasks::to_string(v.second))];
  return s;
}

}  // namespace agentmesh::node
