// node/tasks: the task service's transactions (node/tasks_detail.hpp).

#include <algorithm>
#include <array>

#include "crypto/crypto.hpp"
#include "direct/delivery.hpp"
#include "node/conversations.hpp"
#include "node/inboxes.hpp"
#include "node/tasks.hpp"
#include "node/tasks_detail.hpp"
#include "store/error.hpp"
#include "tasks/codec.hpp"

namespace agentmesh::node::tasks_detail {

namespace {

// The request id of the message carrying step `e` of `task` to `agent` (of
// its inbox event, for a local party): the step's time (so steps share index
// pages with the messages of their time: crypto::request_id_at), then 80 bits
// of a hash of the task, the sequence and the agent. The same step to the same
// agent always has the same id, so the receiver's dedup catches a repeat.
core::RequestId step_id(const core::TaskId& task, const tasks::Event& e, const core::AgentId& agent) {
  std::string input = "agentmesh/task-step/v1";
  input.append(reinterpret_cast<const char*>(task.span().data()), task.span().size());
  for (int i = 0; i < 8; ++i) input.push_back(static_cast<char>((e.sequence >> (8 * i)) & 0xff));
  input.append(reinterpret_cast<const char*>(agent.span().data()), agent.span().size());
  std::array<std::uint8_t, 16> hash{};
  crypto::blake2b(hash, crypto::as_bytes(input));
  return crypto::request_id_at(static_cast<std::uint64_t>(e.time_ms), std::span(hash).first<10>());
}

store::TaskRecord record_of(const tasks::Task& t, bool home) {
  store::TaskRecord r;
  r.id = t.id;
  r.requester = t.requester;
  r.assignee = t.assignee;
  r.home = home;
  r.context_id = t.context_id;
  r.state = static_cast<std::uint8_t>(t.state);
  r.terminal = tasks::terminal(t.state);
  r.sequence = t.sequence;
  r.updated_ms = t.updated_ms;
  r.body = tasks::encode(home ? t : tasks::for_replica(t));
  return r;
}

// The step as other daemons and the event log see it (no candidate list).
tasks::Event shareable(tasks::Event e) {
  if (e.snapshot) e.snapshot = tasks::for_replica(std::move(*e.snapshot));
  return e;
}

Result<core::Seq> append_event(store::Store& s, const StepEnv& env, const tasks::Task& t, const tasks::Event& e,
                               const std::string& body, const core::AgentId& party, StepOutcome& out) {
  store::InboxRecord rec;
  rec.agent = party;
  rec.sender = party == t.requester ? t.assignee : t.requester;
  rec.request_id = step_id(t.id, e, party);
  rec.received_ms = env.now;
  rec.content.content_type = std::string(kTaskEventContentType);
  rec.content.body = body;
  rec.content.performative = std::string(tasks::to_string(e.kind));
  rec.content.conversation_id = t.context_id;
  rec.content.protocol = std::string(tasks::kProtocol);
  auto seq = s.append_inbox(rec);
  if (!seq) return seq;
  auto noted = ConversationService::note(s, env.conversations, party, false, rec.sender, rec.request_id, *seq, env.now,
                                         rec.content);
  if (!noted) return noted.error();
  out.conversations_created += *noted ? 1 : 0;
  return seq;
}

}  // namespace

Result<void> commit_step(store::Store& s, const StepEnv& env, const LocalAgents& local,
                         const std::optional<tasks::Task>& before, const tasks::Task& after, const tasks::Event& e,
                         bool home, const std::optional<core::AgentId>& only, StepOutcome& out) {
  if (auto r = s.put_task(record_of(after, home)); !r) return r.error();
  const auto shared = shareable(e);
  const auto body = tasks::encode(shared);
  store::TaskEventRecord log{after.id, e.sequence, body};
  if (auto r = s.put_task_event(log); !r) return r.error();
  // The parties this step concerns: the requester, the assignee, and the
  // one it was withdrawn from.
  std::vector<core::AgentId> parties = {after.requester, after.assignee};
  if (before && before->assignee != after.assignee) parties.push_back(before->assignee);
  std::sort(parties.begin(), parties.end());
  parties.erase(std::unique(parties.begin(), parties.end()), parties.end());
  for (const auto& p : parties) {
    if (only && p != *only) continue;
    if (local.contains(p)) {
      auto seq = append_event(s, env, after, e, body, p, out);
      if (!seq) {
        if (seq.error() == store::error::not_found) continue;  // the agent was deleted
        return seq.error();
      }
      out.appended.emplace_back(p, *seq);
      out.parties.push_back(p);
    } else if (home) {
      MessageContent content;
      content.content_type = std::string(tasks::kContentType);
      content.protocol = std::string(tasks::kProtocol);
      content.conversation_id = after.context_id;
      content.body = tasks::encode_message(shared);
      // The step must fit what the other daemon accepts, or it could never
      // arrive: refuse it whole (nothing of it is committed).
      if (content.body.size() > env.max_wire_bytes) return tasks::error::artifact_too_large;
      store::OutboxRecord rec;
      rec.request_id = step_id(after.id, e, p);
      rec.sender = after.requester;
      rec.recipient = p;
      rec.created_ms = env.now;
      rec.expires_ms = env.now + env.message_ttl_ms;
      rec.content = std::move(content);
      rec.next_attempt_ms = env.now;
      rec.digest = direct::content_digest(p, rec.content);
      rec.keep_until_ms = rec.expires_ms;
      if (auto r = s.put_outbox(rec); !r) return r.error();
      out.outbox.push_back(std::move(rec));
    }
  }
  out.task = after;
  out.event = e;
  out.home = home;
  return {};
}

namespace {

Result<std::optional<std::pair<tasks::Task, bool>>> load(store::Store& s, const core::TaskId& id) {
  auto row = s.get_task(id);
  if (!row) return row.error();
  if (!*row) return std::optional<std::pair<tasks::Task, bool>>{};
  auto t = tasks::decode_task((*row)->body);
  if (!t) return store::error::corrupt;
  return std::optional<std::pair<tasks::Task, bool>>{std::pair{std::move(*t), (*row)->home}};
}

Result<core::Seq> seq_for(const StepOutcome& out, const core::AgentId& agent) {
  for (const auto& [a, seq] : out.appended) {
    if (a == agent) return seq;
  }
  return core::Seq{0};
}

// A step from the home to this daemon's copy.
Result<core::Seq> apply_event(store::Store& s, const StepEnv& env, const LocalAgents& local,
                              const store::InboxRecord& rec, const tasks::Event& e, StepOutcome& out) {
  auto found = load(s, e.task);
  if (!found) return found.error();
  std::optional<tasks::Task> copy;
  if (*found) {
    if ((*found)->second) return tasks::error::malformed_transition;  // the home sends, it does not receive steps
    copy = std::move((*found)->first);
  }
  const auto* requester = e.snapshot ? &e.snapshot->requester : copy ? &copy->requester : nullptr;
  if (!requester) return tasks::error::out_of_order;  // nothing to start from: the offer comes first
  if (rec.sender != *requester || (copy && copy->requester != rec.sender)) return tasks::error::malformed_transition;
  // The recipient must be a party: the step's assignee, or the one it was
  // withdrawn from (this copy's assignee).
  if (rec.agent != e.assignee && !(copy && copy->assignee == rec.agent)) return tasks::error::malformed_transition;
  switch (tasks::fold(copy, e)) {
    case tasks::Fold::early:
      return tasks::error::out_of_order;
    case tasks::Fold::stale: {
      // Already applied from this step's message to another local party:
      // this recipient still gets its own inbox event (the message's dedup
      // row makes it once).
      out.stale = true;
      out.task = *copy;
      auto logged = s.list_task_events(e.task, e.sequence - 1, 1);
      if (!logged) return logged.error();
      if (logged->empty() || logged->front().sequence != e.sequence || !local.contains(rec.agent)) {
        return core::Seq{0};
      }
      auto seq = append_event(s, env, *copy, e, logged->front().body, rec.agent, out);
      if (!seq) return seq.error();
      out.appended.emplace_back(rec.agent, *seq);
      out.parties.push_back(rec.agent);
      return *seq;
    }
    case tasks::Fold::apply:
      break;
  }
  tasks::Task after = copy ? *copy : *e.snapshot;
  tasks::apply(after, e, env.limits);
  if (auto r = commit_step(s, env, local, copy, after, e, false, rec.agent, out); !r) return r.error();
  return seq_for(out, rec.agent);
}

// An action from an assignee's daemon to a task whose home is here.
Result<core::Seq> apply_command(store::Store& s, const StepEnv& env, const LocalAgents& local,
                                const store::InboxRecord& rec, const tasks::Command& c, StepOutcome& out) {
  if (c.actor != rec.sender) return tasks::error::malformed_transition;
  auto found = load(s, c.task);
  if (!found) return found.error();
  if (!*found || !(*found)->second || (*found)->first.requester != rec.agent) return tasks::error::unknown_task;
  const auto& t = (*found)->first;
  auto e = tasks::decide(t, c, env.now, env.limits);
  if (!e) return e.error();
  auto after = t;
  tasks::apply(after, *e, env.limits);
  if (auto r = commit_step(s, env, local, t, after, *e, true, std::nullopt, out); !r) return r.error();
  return seq_for(out, rec.agent);
}

}  // namespace

Result<core::Seq> apply_message(store::Store& s, const StepEnv& env, const LocalAgents& local, store::InboxRecord& rec,
                                StepOutcome& out) {
  out = StepOutcome{};  // the job may run twice
  auto m = tasks::decode_message(rec.content.body);
  if (!m) return m.error();
  if (const auto* e = std::get_if<tasks::Event>(&*m)) return apply_event(s, env, local, rec, *e, out);
  return apply_command(s, env, local, rec, std::get<tasks::Command>(*m), out);
}

}  // namespace agentmesh::node::tasks_detail

namespace agentmesh::node {

Task<Result<direct::DeliveryResult>> TaskService::receive(direct::Delivery d) {
  AGENTMESH_ASSERT_ON_THREAD(*ctx_.thread);
  auto self = shared_from_this();
  auto outcome = std::make_shared<tasks_detail::StepOutcome>();
  d.apply = [outcome, local = local_agents(), env = step_env()](store::Store& s,
                                                                store::InboxRecord& rec) -> Result<core::Seq> {
    return tasks_detail::apply_message(s, env, local, rec, *outcome);
  };
  WorkFn<direct::DeliveryResult> work = [d = std::move(d)](store::Store& s) mutable { return direct::deliver(s, d); };
  auto delivered = co_await ctx_.storage->commit<direct::DeliveryResult>(std::move(work));
  if (!delivered) {
    const auto& ec = delivered.error();
    if (ec == tasks::error::out_of_order) {
      ++stats_.early;
    } else if (ec.category() == tasks::error_category() && ec != tasks::error::malformed_transition) {
      ++stats_.refused_actions;
    }
    co_return ec;
  }
  if (delivered->duplicate) {
    ctx_.counters->duplicate.inc();
    co_return delivered;
  }
  ctx_.counters->accepted.inc();
  if (outcome->stale) ++stats_.stale;
  if (outcome->stale || !outcome->event) {
    for (const auto& [agent, seq] : outcome->appended) inboxes_->appended(agent, seq);
    const auto task = outcome->stale ? std::optional<core::TaskId>(outcome->task.id) : std::nullopt;
    for (const auto& agent : outcome->parties) notify(agent, task);
    ctx_.counters->conversations_created.inc(outcome->conversations_created);
    co_return delivered;
  }
  after_commit(*outcome);
  co_return delivered;
}

}  // namespace agentmesh::node
