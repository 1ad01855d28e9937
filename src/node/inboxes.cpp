// node/inboxes: delivery into inboxes, reads, acks, live-stream accounting,
// block lists, dead letters and retention.

#include "node/inboxes.hpp"

#include "direct/error.hpp"
#include "node/conversations.hpp"
#include "node/error.hpp"
#include "node/spawn.hpp"
#include "node/storage_commit.hpp"
#include "store/error.hpp"

namespace agentmesh::node {

namespace {

InboxMessage message_of(store::InboxRecord r) {
  InboxMessage m;
  m.seq = r.seq;
  m.request_id = r.request_id;
  m.from = r.sender;
  m.to = r.agent;
  m.received_ms = r.received_ms;
  m.content = std::move(r.content);
  return m;
}

InboxPosition position_of(const store::InboxCursor& c) { return InboxPosition{c.last, c.acked}; }

}  // namespace

DeadLetter dead_letter_of(store::DeadLetterRecord r) {
  DeadLetter d;
  d.id = r.id;
  d.request_id = r.request_id;
  d.from = r.sender;
  d.to = r.recipient;
  d.created_ms = r.created_ms;
  d.reason = std::move(r.reason);
  d.attempts = r.attempts;
  d.time_ms = r.time_ms;
  d.content = std::move(r.content);
  return d;
}

InboxService::InboxService(ServiceContext ctx, std::shared_ptr<AgentService> agents)
    : ctx_(std::move(ctx)), agents_(std::move(agents)) {
  next_purge_ms_ = ctx_.now_ms() + std::chrono::milliseconds(kPurgeInterval).count();
}

Result<void> InboxService::load(std::string& why) {
  auto& reader = ctx_.storage->reader();
  for (const auto* a : agents_->all()) {
    auto cursor = reader.inbox_cursor(a->id);
    if (!cursor) {
      why = "cannot read inbox cursor: " + cursor.error().message();
      return cursor.error();
    }
    positions_[a->id] = position_of(*cursor);
  }
  auto blocks = reader.list_blocks();
  if (!blocks) {
    why = "cannot read block lists: " + blocks.error().message();
    return blocks.error();
  }
  blocks_.insert(blocks->begin(), blocks->end());
  return {};
}

AgentService::Observer InboxService::agent_observer() {
  std::weak_ptr<InboxService> weak = weak_from_this();
  AgentService::Observer o;
  o.created = [weak](const store::AgentRecord& a) {
    if (auto self = weak.lock()) self->positions_[a.id] = InboxPosition{};
  };
  o.deleted = [weak](const store::AgentRecord& a) {
    auto self = weak.lock();
    if (!self) return;
    self->positions_.erase(a.id);
    // The store dropped its block list with it.
    std::erase_if(self->blocks_, [&](const auto& b) { return b.first == a.id; });
    self->notify(a.id);  // open streams see the agent gone and close
  };
  return o;
}

void InboxService::start() {
  std::weak_ptr<InboxService> weak = weak_from_this();
  ticker_.start(ctx_, "inbox_retention", [weak]() -> std::optional<core::UnixMs> {
    auto self = weak.lock();
    return self ? self->tick() : std::nullopt;
  });
}

void InboxService::stop() { ticker_.stop(); }

namespace {

// direct::deliver, and the message in its conversation views (the
// recipient's, and the sender's when `sender_local`) when it was appended.
// `created` counts the views it started (set, not added to: a job may run
// twice).
Result<direct::DeliveryResult> deliver_noted(store::Store& s, direct::Delivery& d, const ConversationConfig& config,
                                             bool sender_local, std::uint64_t& created) {
  created = 0;
  auto r = direct::deliver(s, d);
  if (!r || r->duplicate) return r;
  const auto& rec = d.record;
  auto in = ConversationService::note(s, config, rec.agent, false, rec.sender, rec.request_id, r->seq, rec.received_ms,
                                      rec.content);
  if (!in) return in.error();
  created += *in ? 1 : 0;
  if (sender_local) {
    auto out = ConversationService::note(s, config, rec.sender, true, rec.agent, rec.request_id, core::Seq{0},
                                         rec.received_ms, rec.content);
    if (!out) return out.error();
    created += *out ? 1 : 0;
  }
  return r;
}

}  // namespace

Task<Result<direct::DeliveryResult>> InboxService::deliver(direct::Delivery d, bool sender_local) {
  AGENTMESH_ASSERT_ON_THREAD(*ctx_.thread);
  auto self = shared_from_this();
  const auto recipient = d.record.agent;
  auto created = std::make_shared<std::uint64_t>(0);
  WorkFn<direct::DeliveryResult> work = [d = std::move(d), config = ctx_.config, sender_local,
                                         created](store::Store& s) mutable {
    return deliver_noted(s, d, config->conversations, sender_local, *created);
  };
  auto delivered = co_await ctx_.storage->commit<direct::DeliveryResult>(std::move(work));
  if (!delivered) {
    if (delivered.error() == store::error::not_found) co_return error::unknown_agent;  // deleted meanwhile
    co_return delivered.error();
  }
  if (delivered->duplicate) {
    ctx_.counters->duplicate.inc();
  } else {
    ctx_.counters->accepted.inc();
    ctx_.counters->conversations_created.inc(*created);
    note_appended(recipient, delivered->seq);
  }
  co_return delivered;
}

void InboxService::note_appended(const core::AgentId& agent, core::Seq seq) {
  auto it = positions_.find(agent);
  if (it == positions_.end()) return;
  if (seq > it->second.last) it->second.last = seq;
  notify(agent);
}

void InboxService::notify(const core::AgentId& agent) {
  auto it = watchers_.find(agent);
  if (it == watchers_.end()) return;
  // Copied: a waker may unwatch itself.
  std::vector<std::function<void()>> wakers;
  for (const auto& [token, w] : it->second.wakers) wakers.push_back(w);
  for (auto& w : wakers) w();
}

Result<std::vector<InboxMessage>> InboxService::read(const core::AgentId& agent, core::Seq after,
                                                     std::size_t limit) const {
  AGENTMESH_ASSERT_ON_THREAD(*ctx_.thread);
  if (!positions_.contains(agent)) return error::unknown_agent;
  auto rows = ctx_.storage->reader().read_inbox(agent, after, limit);
  if (!rows) {
    ctx_.storage->note_result(rows.error());
    if (rows.error() == store::error::not_found) return error::unknown_agent;
    return rows.error();
  }
  std::vector<InboxMessage> out;
  out.reserve(rows->size());
  for (auto& r : *rows) out.push_back(message_of(std::move(r)));
  return out;
}

Task<Result<InboxPosition>> InboxService::ack(core::AgentId agent, core::Seq up_to) {
  AGENTMESH_ASSERT_ON_THREAD(*ctx_.thread);
  auto self = shared_from_this();
  auto it = positions_.find(agent);
  if (it == positions_.end()) co_return error::unknown_agent;
  if (up_to > it->second.last) co_return store::error::beyond_last;
  if (up_to <= it->second.acked) co_return it->second;
  WorkFn<store::InboxCursor> work = [agent, up_to](store::Store& s) { return s.ack_inbox(agent, up_to); };
  auto acked = co_await ctx_.storage->commit<store::InboxCursor>(std::move(work));
  if (!acked) {
    if (acked.error() == store::error::not_found) co_return error::unknown_agent;
    co_return acked.error();
  }
  ctx_.counters->acks.inc();
  it = positions_.find(agent);
  if (it == positions_.end()) co_return error::unknown_agent;
  if (acked->acked > it->second.acked) it->second.acked = acked->acked;
  co_return it->second;
}

std::optional<InboxPosition> InboxService::position(const core::AgentId& agent) const {
  auto it = positions_.find(agent);
  if (it == positions_.end()) return std::nullopt;
  return it->second;
}

void InboxService::describe(AgentInfo& info) const {
  if (auto p = position(info.id)) info.inbox = *p;
  if (auto it = watchers_.find(info.id); it != watchers_.end()) info.streams = it->second.streams;
}

std::uint64_t InboxService::watch(const core::AgentId& agent, std::function<void()> wake) {
  AGENTMESH_ASSERT_ON_THREAD(*ctx_.thread);
  const auto token = next_watch_token_++;
  watchers_[agent].wakers.emplace(token, std::move(wake));
  return token;
}

void InboxService::unwatch(const core::AgentId& agent, std::uint64_t token) {
  AGENTMESH_ASSERT_ON_THREAD(*ctx_.thread);
  auto it = watchers_.find(agent);
  if (it == watchers_.end()) return;
  it->second.wakers.erase(token);
  if (it->second.wakers.empty() && it->second.streams == 0) watchers_.erase(it);
}

Result<void> InboxService::open_stream(const core::AgentId& agent) {
  AGENTMESH_ASSERT_ON_THREAD(*ctx_.thread);
  auto& w = watchers_[agent];
  if (w.streams >= ctx_.config->max_streams_per_agent) return error::too_many_streams;
  ++w.streams;
  ++total_streams_;
  return {};
}

void InboxService::close_stream(const core::AgentId& agent) {
  AGENTMESH_ASSERT_ON_THREAD(*ctx_.thread);
  auto it = watchers_.find(agent);
  if (it == watchers_.end() || it->second.streams == 0) return;
  --it->second.streams;
  --total_streams_;
  if (it->second.wakers.empty() && it->second.streams == 0) watchers_.erase(it);
}

Task<Result<void>> InboxService::block(core::AgentId agent, core::AgentId sender) {
  AGENTMESH_ASSERT_ON_THREAD(*ctx_.thread);
  auto self = shared_from_this();
  if (!agents_->find(agent)) co_return error::unknown_agent;
  const auto now = ctx_.now_ms();
  WorkFn<void> work = [agent, sender, now](store::Store& s) { return s.put_block(agent, sender, now); };
  auto done = co_await ctx_.storage->commit<void>(std::move(work));
  if (!done) co_return done.error();
  blocks_.insert({agent, sender});
  co_return Result<void>{};
}

Task<Result<void>> InboxService::unblock(core::AgentId agent, core::AgentId sender) {
  AGENTMESH_ASSERT_ON_THREAD(*ctx_.thread);
  auto self = shared_from_this();
  WorkFn<void> work = [agent, sender](store::Store& s) { return s.delete_block(agent, sender); };
  auto done = co_await ctx_.storage->commit<void>(std::move(work));
  if (!done) co_return done.error();
  blocks_.erase({agent, sender});
  co_return Result<void>{};
}

std::vector<core::AgentId> InboxService::blocked(const core::AgentId& agent) const {
  std::vector<core::AgentId> out;
  for (auto it = blocks_.lower_bound({agent, core::AgentId{}}); it != blocks_.end() && it->first == agent; ++it) {
    out.push_back(it->second);
  }
  return out;
}

bool InboxService::blocks(const core::AgentId& agent, const core::AgentId& sender) const {
  return blocks_.contains({agent, sender});
}

Result<std::vector<DeadLetter>> InboxService::dead_letters(std::int64_t after_id, std::size_t limit) const {
  AGENTMESH_ASSERT_ON_THREAD(*ctx_.thread);
  auto rows = ctx_.storage->reader().list_dead_letters(after_id, limit);
  if (!rows) return rows.error();
  std::vector<DeadLetter> out;
  for (auto& r : *rows) out.push_back(dead_letter_of(std::move(r)));
  return out;
}

Result<DeadLetter> InboxService::dead_letter(std::int64_t id) const {
  AGENTMESH_ASSERT_ON_THREAD(*ctx_.thread);
  auto row = ctx_.storage->reader().get_dead_letter(id);
  if (!row) return row.error();
  if (!*row) return error::unknown_dead_letter;
  return dead_letter_of(std::move(**row));
}

Task<Result<void>> InboxService::delete_dead_letter(std::int64_t id) {
  AGENTMESH_ASSERT_ON_THREAD(*ctx_.thread);
  auto self = shared_from_this();
  WorkFn<void> work = [id](store::Store& s) { return s.delete_dead_letter(id); };
  auto r = co_await ctx_.storage->commit<void>(std::move(work));
  if (!r && r.error() == store::error::not_found) co_return error::unknown_dead_letter;
  co_return r;
}

Task<Result<SendReceipt>> InboxService::redeliver(std::int64_t id) {
  AGENTMESH_ASSERT_ON_THREAD(*ctx_.thread);
  auto self = shared_from_this();
  auto found = ctx_.storage->reader().get_dead_letter(id);
  if (!found) co_return found.error();
  if (!*found) co_return error::unknown_dead_letter;
  const auto dl = std::move(**found);
  const auto* recipient = agents_->find(dl.recipient);
  if (!recipient) co_return direct::error::unknown_recipient;
  if (recipient->state != store::AgentState::running) co_return direct::error::recipient_unavailable;
  direct::Delivery d;
  d.record.agent = dl.recipient;
  d.record.sender = dl.sender;
  d.record.request_id = dl.request_id;
  d.record.received_ms = ctx_.now_ms();
  d.record.content = dl.content;
  // A local sender's view noted the message when it was first sent.
  auto created = std::make_shared<std::uint64_t>(0);
  WorkFn<direct::DeliveryResult> work = [d = std::move(d), id, config = ctx_.config,
                                         created](store::Store& s) mutable -> Result<direct::DeliveryResult> {
    auto still = s.get_dead_letter(id);
    if (!still) return still.error();
    if (!*still) return error::unknown_dead_letter;  // retried or deleted concurrently
    auto r = deliver_noted(s, d, config->conversations, false, *created);
    if (!r) return r;
    if (auto del = s.delete_dead_letter(id); !del) return del.error();
    return r;
  };
  auto delivered = co_await ctx_.storage->commit<direct::DeliveryResult>(std::move(work));
  if (!delivered) {
    if (delivered.error() == store::error::not_found) co_return direct::error::unknown_recipient;
    co_return delivered.error();
  }
  ctx_.counters->accepted.inc();
  ctx_.counters->conversations_created.inc(*created);
  note_appended(dl.recipient, delivered->seq);
  SendReceipt receipt;
  receipt.request_id = dl.request_id;
  receipt.recipient = dl.recipient;
  receipt.seq = delivered->seq;
  co_return receipt;
}

std::optional<core::UnixMs> InboxService::tick() {
  AGENTMESH_ASSERT_ON_THREAD(*ctx_.thread);
  const auto now = ctx_.now_ms();
  if (now >= next_purge_ms_ && !purging_) {
    purging_ = true;
    next_purge_ms_ = now + std::chrono::milliseconds(kPurgeInterval).count();
    std::weak_ptr<InboxService> weak = weak_from_this();
    ctx_.spawn("inbox_retention", {}, [weak, now]() -> Task<void> {
      auto self = weak.lock();
      if (!self) co_return;
      auto r = co_await self->purge(now);
      self->purging_ = false;
      // A failed pass (a full queue, a failing disk) is retried at the next
      // interval; the rows stay until then.
      if (!r) self->ctx_.log->warn("retention pass failed: {}", r.error().message());
    });
  }
  return next_purge_ms_;
}

Task<Result<PurgeResult>> InboxService::purge(core::UnixMs now) {
  auto self = shared_from_this();
  const auto acked_before = now - ctx_.config->acked_retention_ms;
  WorkFn<PurgeResult> work = [now, acked_before](store::Store& s) -> Result<PurgeResult> {
    PurgeResult out;
    auto dedup = s.purge_dedup(now);
    if (!dedup) return dedup.error();
    out.dedup = *dedup;
    auto acked = s.prune_acked_inbox(acked_before);
    if (!acked) return acked.error();
    out.acked = *acked;
    return out;
  };
  auto r = co_await ctx_.storage->commit<PurgeResult>(std::move(work));
  if (r) {
    purged_dedup_ += r->dedup;
    purged_acked_ += r->acked;
  }
  co_return r;
}

InboxStats InboxService::stats() const {
  InboxStats s;
  for (const auto* a : agents_->all()) {
    InboxStats::Agent e;
    e.name = a->name;
    if (auto p = position(a->id)) e.position = *p;
    s.agents.push_back(std::move(e));
  }
  s.streams = total_streams_;
  s.purged_dedup = purged_dedup_;
  s.purged_acked = purged_acked_;
  return s;
}

}  // namespace agentmesh::node
