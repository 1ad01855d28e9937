#include "node/conversations.hpp"

#include <algorithm>

#include "direct/error.hpp"
#include "node/error.hpp"
#include "node/spawn.hpp"
#include "node/storage_commit.hpp"

namespace agentmesh::node {

ConversationService::ConversationService(ServiceContext ctx, std::shared_ptr<AgentService> agents)
    : ctx_(std::move(ctx)), agents_(std::move(agents)) {}

void ConversationService::start() {
  std::weak_ptr<ConversationService> weak = weak_from_this();
  ticker_.start(ctx_, "conversation_retention", [weak]() -> std::optional<core::UnixMs> {
    auto self = weak.lock();
    return self ? self->tick() : std::nullopt;
  });
}

void ConversationService::stop() { ticker_.stop(); }

Result<bool> ConversationService::note(store::Store& s, const ConversationConfig& config, const core::AgentId& agent,
                                       bool sent, const core::AgentId& peer, const core::RequestId& id, core::Seq seq,
                                       core::UnixMs now, const MessageContent& content) {
  if (content.conversation_id.empty()) return false;
  store::ConversationMessage m;
  m.agent = agent;
  m.conversation = content.conversation_id;
  m.sent = sent;
  m.peer = peer;
  m.request_id = id;
  m.seq = seq;
  m.time_ms = now;
  m.content = content;
  return s.note_conversation(m, config.limits);
}

Result<void> ConversationService::resolve_reply(store::Store& reader, const core::AgentId& from, SendRequest& req) {
  const auto& ref = req.content.in_reply_to;
  if (ref.empty()) {
    if (req.to.empty()) return direct::error::unknown_recipient;
    return {};
  }
  if (!req.to.empty() && !req.content.conversation_id.empty()) return {};
  std::optional<core::RequestId> as_id;
  if (auto parsed = core::RequestId::parse(ref)) as_id = *parsed;
  auto found = reader.find_received(from, ref, as_id);
  if (!found) return found.error();
  if (!*found) {
    if (req.to.empty()) return error::unknown_reply_target;
    return {};  // a reply to something not tracked: sent as it is
  }
  const auto& m = **found;
  if (req.to.empty()) {
    req.to = m.peer.to_string();
  } else if (req.to != m.peer.to_string()) {
    return {};  // addressed elsewhere: not that conversation's reply
  }
  if (req.content.conversation_id.empty()) req.content.conversation_id = m.conversation;
  return {};
}

Conversation ConversationService::to_conversation(const store::ConversationRecord& r) const {
  Conversation c;
  c.id = r.id;
  c.participants = r.participants;
  c.protocol = r.protocol;
  c.messages = r.messages;
  c.first_ms = r.first_ms;
  c.last_ms = r.last_ms;
  c.expires_ms = r.last_ms + ctx_.config->conversations.idle_timeout_ms;
  c.state = ctx_.now_ms() >= c.expires_ms ? ConversationState::expired : ConversationState::active;
  return c;
}

Result<std::vector<Conversation>> ConversationService::list(const core::AgentId& agent,
                                                            const ConversationListQuery& q) const {
  AGENTMESH_ASSERT_ON_THREAD(*ctx_.thread);
  if (!agents_->find(agent)) return error::unknown_agent;
  store::ConversationQuery sq;
  sq.agent = agent;
  if (q.state) {
    sq.state = *q.state == ConversationState::active ? store::ConversationQuery::State::active
                                                     : store::ConversationQuery::State::expired;
  }
  // Active: the last message came less than the idle timeout ago.
  sq.active_since = ctx_.now_ms() - ctx_.config->conversations.idle_timeout_ms + 1;
  sq.after = q.after;
  sq.limit = q.limit;
  auto rows = ctx_.storage->reader().list_conversations(sq);
  if (!rows) {
    ctx_.storage->note_result(rows.error());
    return rows.error();
  }
  std::vector<Conversation> out;
  out.reserve(rows->size());
  for (const auto& r : *rows) out.push_back(to_conversation(r));
  return out;
}

Result<ConversationView> ConversationService::get(const core::AgentId& agent, const std::string& id,
                                                  std::uint64_t after, std::size_t limit) const {
  AGENTMESH_ASSERT_ON_THREAD(*ctx_.thread);
  if (!agents_->find(agent)) return error::unknown_agent;
  auto& reader = ctx_.storage->reader();
  auto row = reader.get_conversation(agent, id);
  if (!row) {
    ctx_.storage->note_result(row.error());
    return row.error();
  }
  if (!*row) return error::unknown_conversation;
  ConversationView view;
  view.conversation = to_conversation(**row);
  const auto kept = ctx_.config->conversations.limits.max_messages;
  view.first_kept = (*row)->messages > kept ? (*row)->messages - kept + 1 : 1;
  auto messages = reader.list_conversation_messages(agent, id, after, limit);
  if (!messages) {
    ctx_.storage->note_result(messages.error());
    return messages.error();
  }
  for (auto& m : *messages) {
    ConversationEntry e;
    e.index = m.index;
    e.sent = m.sent;
    e.from = m.sent ? agent : m.peer;
    e.to = m.sent ? m.peer : agent;
    e.request_id = m.request_id;
    e.seq = m.seq;
    e.time_ms = m.time_ms;
    e.content = std::move(m.content);
    view.messages.push_back(std::move(e));
  }
  return view;
}

std::optional<core::UnixMs> ConversationService::tick() {
  AGENTMESH_ASSERT_ON_THREAD(*ctx_.thread);
  const auto now = ctx_.now_ms();
  // A view expires once now >= last + idle: those with last < this.
  const auto expired_before = now - ctx_.config->conversations.idle_timeout_ms + 1;
  if (!observed_until_) observed_until_ = expired_before;  // only what ends while this daemon runs
  if (expired_before > *observed_until_) {
    auto ended = ctx_.storage->reader().conversations_idle_between(*observed_until_, expired_before);
    if (ended) {
      for (const auto& [messages, duration_ms] : *ended) {
        ended_messages_.observe(static_cast<double>(messages));
        ended_duration_ms_.observe(static_cast<double>(duration_ms));
      }
      observed_until_ = expired_before;
    } else {
      ctx_.storage->note_result(ended.error());  // tried again at the next tick
    }
  }
  if (now >= next_purge_ms_ && !purging_) {
    purging_ = true;
    next_purge_ms_ = now + std::chrono::milliseconds(kPurgeInterval).count();
    std::weak_ptr<ConversationService> weak = weak_from_this();
    ctx_.spawn("conversation_retention", {}, [weak, now]() -> Task<void> {
      auto self = weak.lock();
      if (!self) co_return;
      auto r = co_await self->purge(now);
      self->purging_ = false;
      if (!r) self->ctx_.log->warn("conversation retention pass failed: {}", r.error().message());
    });
  }
  return next_purge_ms_;  // every pass interval: expiry is observed at that resolution
}

Task<Result<std::size_t>> ConversationService::purge(core::UnixMs now) {
  auto self = shared_from_this();
  const auto& cfg = ctx_.config->conversations;
  // Expired at last + idle; deleted once the retention has passed since.
  const auto idle_before = now - cfg.idle_timeout_ms - cfg.retention_ms + 1;
  WorkFn<std::size_t> work = [idle_before](store::Store& s) { return s.purge_conversations(idle_before); };
  auto r = co_await ctx_.storage->commit<std::size_t>(std::move(work));
  if (r) purged_ += *r;
  co_return r;
}

Result<ConversationStats> ConversationService::stats() const {
  AGENTMESH_ASSERT_ON_THREAD(*ctx_.thread);
  const auto active_since = ctx_.now_ms() - ctx_.config->conversations.idle_timeout_ms + 1;
  auto totals = ctx_.storage->reader().conversation_totals(active_since);
  if (!totals) {
    ctx_.storage->note_result(totals.error());
    return totals.error();
  }
  ConversationStats s;
  s.views = totals->views;
  s.active = totals->active;
  s.created = ctx_.counters->conversations_created.value();
  s.purged = purged_;
  s.ended_messages = ended_messages_.snapshot();
  s.ended_duration_ms = ended_duration_ms_.snapshot();
  if (s.views > 0) {
    s.average_messages = static_cast<double>(totals->messages) / static_cast<double>(s.views);
    s.average_duration_ms = static_cast<double>(totals->duration_ms) / static_cast<double>(s.views);
  }
  return s;
}

}  // namespace agentmesh::node
