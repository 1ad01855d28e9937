#include "store/memory_store.hpp"

#include <algorithm>
#include <tuple>

namespace agentmesh::store {

using Lock = std::lock_guard<std::recursive_mutex>;

MemoryStore::MemoryStore() : MemoryStore(std::make_shared<Shared>()) {}
MemoryStore::MemoryStore(std::shared_ptr<Shared> shared) : shared_(std::move(shared)) {}

Result<std::unique_ptr<Store>> MemoryStore::open_reader() { return std::unique_ptr<Store>(new MemoryStore(shared_)); }

Result<void> MemoryStore::insert_agent(const AgentRecord& agent) {
  Lock lock(shared_->mu);
  auto& d = shared_->data;
  if (d.agents.contains(agent.id)) return error::conflict;
  for (const auto& [id, a] : d.agents) {
    if (a.name == agent.name) return error::conflict;
  }
  d.agents.emplace(agent.id, agent);
  d.cursors[agent.id] = InboxCursor{};
  return {};
}

Result<void> MemoryStore::update_agent(const AgentRecord& agent) {
  Lock lock(shared_->mu);
  auto& d = shared_->data;
  auto it = d.agents.find(agent.id);
  if (it == d.agents.end()) return error::not_found;
  for (const auto& [id, a] : d.agents) {
    if (id != agent.id && a.name == agent.name) return error::conflict;
  }
  it->second = agent;
  return {};
}

Result<void> MemoryStore::delete_agent(const AgentId& id) {
  Lock lock(shared_->mu);
  auto& d = shared_->data;
  if (d.agents.erase(id) == 0) return error::not_found;
  d.cursors.erase(id);
  std::erase_if(d.inbox, [&](const auto& kv) { return kv.first.first == id; });
  std::erase_if(d.subscriptions, [&](const auto& s) { return s.first.first == id; });
  std::erase_if(d.blocks, [&](const auto& b) { return b.first == id; });
  std::erase_if(d.a2a_tokens, [&](const auto& t) { return t.agent == id; });
  std::erase_if(d.conversations, [&](const auto& c) { return c.first.first == id; });
  std::erase_if(d.conversation_messages, [&](const auto& c) { return c.first.first == id; });
  return {};
}

Result<std::vector<AgentRecord>> MemoryStore::list_agents() {
  Lock lock(shared_->mu);
  std::vector<AgentRecord> out;
  for (const auto& [id, a] : shared_->data.agents) out.push_back(a);
  return out;
}

Result<Seq> MemoryStore::append_inbox(InboxRecord& record) {
  Lock lock(shared_->mu);
  auto& d = shared_->data;
  auto it = d.cursors.find(record.agent);
  if (it == d.cursors.end()) return error::not_found;
  record.seq = Seq{it->second.last.value + 1};
  it->second.last = record.seq;
  d.inbox.emplace(std::pair{record.agent, record.seq.value}, record);
  return record.seq;
}

Result<InboxCursor> MemoryStore::ack_inbox(const AgentId& agent, Seq up_to) {
  Lock lock(shared_->mu);
  auto it = shared_->data.cursors.find(agent);
  if (it == shared_->data.cursors.end()) return error::not_found;
  if (up_to > it->second.last) return error::beyond_last;
  if (up_to > it->second.acked) it->second.acked = up_to;
  return it->second;
}

Result<InboxCursor> MemoryStore::inbox_cursor(const AgentId& agent) {
  Lock lock(shared_->mu);
  auto it = shared_->data.cursors.find(agent);
  if (it == shared_->data.cursors.end()) return error::not_found;
  return it->second;
}

Result<std::vector<InboxRecord>> MemoryStore::read_inbox(const AgentId& agent, Seq after, std::size_t limit) {
  Lock lock(shared_->mu);
  auto& d = shared_->data;
  if (!d.cursors.contains(agent)) return error::not_found;
  std::vector<InboxRecord> out;
  for (auto it = d.inbox.upper_bound({agent, after.value}); it != d.inbox.end() && out.size() < limit; ++it) {
    if (it->first.first != agent) break;
    out.push_back(it->second);
  }
  return out;
}

Result<std::size_t> MemoryStore::prune_acked_inbox(UnixMs received_before) {
  Lock lock(shared_->mu);
  auto& d = shared_->data;
  return std::erase_if(d.inbox, [&](const auto& kv) {
    const auto cursor = d.cursors.find(kv.first.first);
    return cursor != d.cursors.end() && kv.second.seq <= cursor->second.acked &&
           kv.second.received_ms < received_before;
  });
}

Result<std::optional<DedupRecord>> MemoryStore::find_dedup(const AgentId& sender, const RequestId& request_id) {
  Lock lock(shared_->mu);
  auto it = shared_->data.dedup.find({sender, request_id});
  if (it == shared_->data.dedup.end()) return std::optional<DedupRecord>{};
  return std::optional<DedupRecord>{it->second};
}

Result<void> MemoryStore::put_dedup(const DedupRecord& record) {
  Lock lock(shared_->mu);
  shared_->data.dedup[{record.sender, record.request_id}] = record;
  return {};
}

Result<std::size_t> MemoryStore::purge_dedup(UnixMs now) {
  Lock lock(shared_->mu);
  return std::erase_if(shared_->data.dedup, [&](const auto& kv) { return kv.second.expires_ms <= now; });
}

Result<std::int64_t> MemoryStore::add_dead_letter(DeadLetterRecord& record) {
  Lock lock(shared_->mu);
  auto& d = shared_->data;
  record.id = d.next_dead_letter_id++;
  d.dead_letters.emplace(record.id, record);
  return record.id;
}

Result<std::vector<DeadLetterRecord>> MemoryStore::list_dead_letters(std::int64_t after_id, std::size_t limit) {
  Lock lock(shared_->mu);
  std::vector<DeadLetterRecord> out;
  auto& dl = shared_->data.dead_letters;
  for (auto it = dl.upper_bound(after_id); it != dl.end() && out.size() < limit; ++it) out.push_back(it->second);
  return out;
}

Result<std::optional<DeadLetterRecord>> MemoryStore::get_dead_letter(std::int64_t id) {
  Lock lock(shared_->mu);
  auto it = shared_->data.dead_letters.find(id);
  if (it == shared_->data.dead_letters.end()) return std::optional<DeadLetterRecord>{};
  return std::optional<DeadLetterRecord>{it->second};
}

Result<void> MemoryStore::delete_dead_letter(std::int64_t id) {
  Lock lock(shared_->mu);
  if (shared_->data.dead_letters.erase(id) == 0) return error::not_found;
  return {};
}

Result<void> MemoryStore::put_outbox(const OutboxRecord& record) {
  Lock lock(shared_->mu);
  shared_->data.outbox[record.request_id] = record;
  return {};
}

Result<void> MemoryStore::delete_outbox(const RequestId& request_id) {
  Lock lock(shared_->mu);
  if (shared_->data.outbox.erase(request_id) == 0) return error::not_found;
  return {};
}

Result<std::optional<OutboxRecord>> MemoryStore::get_outbox(const RequestId& request_id) {
  Lock lock(shared_->mu);
  auto it = shared_->data.outbox.find(request_id);
  if (it == shared_->data.outbox.end()) return std::optional<OutboxRecord>{};
  return std::optional<OutboxRecord>{it->second};
}

Result<void> MemoryStore::finish_outbox(const OutboxRecord& record) {
  Lock lock(shared_->mu);
  auto [it, inserted] = shared_->data.outbox.try_emplace(record.request_id, record);
  auto& row = it->second;
  row.state = record.state;
  row.seq = record.seq;
  row.path = record.path;
  row.last_error = record.last_error;
  row.attempts = record.attempts;
  row.keep_until_ms = record.keep_until_ms;
  row.content = {};
  return {};
}

Result<std::vector<OutboxRecord>> MemoryStore::list_outbox(std::size_t limit) {
  Lock lock(shared_->mu);
  std::vector<OutboxRecord> out;
  for (const auto& [id, r] : shared_->data.outbox) {
    if (r.state == OutboxState::queued) out.push_back(r);
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const OutboxRecord& a, const OutboxRecord& b) { return a.next_attempt_ms < b.next_attempt_ms; });
  if (out.size() > limit) out.resize(limit);
  return out;
}

Result<std::size_t> MemoryStore::purge_outbox(UnixMs now) {
  Lock lock(shared_->mu);
  return static_cast<std::size_t>(std::erase_if(shared_->data.outbox, [now](const auto& kv) {
    return kv.second.state != OutboxState::queued && kv.second.keep_until_ms <= now;
  }));
}

namespace {
std::vector<PeerRecord> by_recency(const std::map<std::string, PeerRecord>& peers) {
  std::vector<PeerRecord> out;
  for (const auto& [id, r] : peers) out.push_back(r);
  std::stable_sort(out.begin(), out.end(),
                   [](const PeerRecord& a, const PeerRecord& b) { return a.last_seen_ms > b.last_seen_ms; });
  return out;
}
}  // namespace

Result<void> MemoryStore::put_peer(const PeerRecord& record, std::size_t keep) {
  Lock lock(shared_->mu);
  shared_->data.peers[record.peer_id] = record;
  auto ordered = by_recency(shared_->data.peers);
  for (std::size_t i = keep; i < ordered.size(); ++i) shared_->data.peers.erase(ordered[i].peer_id);
  return {};
}

Result<void> MemoryStore::delete_peer(const std::string& peer_id) {
  Lock lock(shared_->mu);
  shared_->data.peers.erase(peer_id);
  return {};
}

Result<std::vector<PeerRecord>> MemoryStore::list_peers(std::size_t limit) {
  Lock lock(shared_->mu);
  auto out = by_recency(shared_->data.peers);
  if (out.size() > limit) out.resize(limit);
  return out;
}

Result<void> MemoryStore::put_subscription(const AgentId& agent, const std::string& topic, UnixMs created_ms) {
  Lock lock(shared_->mu);
  if (!shared_->data.agents.contains(agent)) return error::not_found;
  if (!shared_->data.subscriptions.emplace(std::pair{agent, topic}, created_ms).second) return error::conflict;
  return {};
}

Result<void> MemoryStore::delete_subscription(const AgentId& agent, const std::string& topic) {
  Lock lock(shared_->mu);
  if (shared_->data.subscriptions.erase({agent, topic}) == 0) return error::not_found;
  return {};
}

Result<std::vector<Subscription>> MemoryStore::list_subscriptions() {
  Lock lock(shared_->mu);
  std::vector<Subscription> out;
  for (const auto& [key, created] : shared_->data.subscriptions) out.push_back({key.first, key.second, created});
  return out;
}

Result<void> MemoryStore::put_a2a_token(const A2aTokenRecord& record) {
  Lock lock(shared_->mu);
  auto& d = shared_->data;
  if (!record.remote && !d.agents.contains(record.agent)) return error::not_found;
  for (const auto& t : d.a2a_tokens) {
    if (t.id == record.id || t.token_hash == record.token_hash) return error::conflict;
  }
  d.a2a_tokens.push_back(record);
  d.a2a_tokens.back().remote = false;
  return {};
}

Result<void> MemoryStore::delete_a2a_token(const core::TokenId& id) {
  Lock lock(shared_->mu);
  if (std::erase_if(shared_->data.a2a_tokens, [&](const auto& t) { return t.id == id; }) == 0) {
    return error::not_found;
  }
  return {};
}

Result<std::vector<A2aTokenRecord>> MemoryStore::list_a2a_tokens() {
  Lock lock(shared_->mu);
  auto out = shared_->data.a2a_tokens;
  std::sort(out.begin(), out.end(),
            [](const auto& a, const auto& b) { return std::pair(a.created_ms, a.id) < std::pair(b.created_ms, b.id); });
  return out;
}

Result<void> MemoryStore::put_a2a_push_config(const A2aPushConfigRecord& record) {
  Lock lock(shared_->mu);
  shared_->data.a2a_push_configs[{record.task, record.id}] = record;
  return {};
}

Result<void> MemoryStore::delete_a2a_push_config(const core::TaskId& task, const std::string& id) {
  Lock lock(shared_->mu);
  if (shared_->data.a2a_push_configs.erase({task, id}) == 0) return error::not_found;
  return {};
}

Result<std::vector<A2aPushConfigRecord>> MemoryStore::list_a2a_push_configs() {
  Lock lock(shared_->mu);
  std::vector<A2aPushConfigRecord> out;
  for (const auto& [key, r] : shared_->data.a2a_push_configs) out.push_back(r);
  std::stable_sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
    return std::tie(a.task, a.created_ms, a.id) < std::tie(b.task, b.created_ms, b.id);
  });
  return out;
}

Result<void> MemoryStore::put_block(const AgentId& agent, const AgentId& sender, UnixMs) {
  Lock lock(shared_->mu);
  if (!shared_->data.agents.contains(agent)) return error::not_found;
  if (!shared_->data.blocks.insert({agent, sender}).second) return error::conflict;
  return {};
}

Result<void> MemoryStore::delete_block(const AgentId& agent, const AgentId& sender) {
  Lock lock(shared_->mu);
  if (shared_->data.blocks.erase({agent, sender}) == 0) return error::not_found;
  return {};
}

Result<std::vector<std::pair<AgentId, AgentId>>> MemoryStore::list_blocks() {
  Lock lock(shared_->mu);
  return std::vector<std::pair<AgentId, AgentId>>(shared_->data.blocks.begin(), shared_->data.blocks.end());
}

Result<void> MemoryStore::put_directory(const DirectoryRecord& record) {
  Lock lock(shared_->mu);
  shared_->data.directory[record.agent] = record;
  return {};
}

Result<std::size_t> MemoryStore::purge_directory(UnixMs expired_before) {
  Lock lock(shared_->mu);
  return std::erase_if(shared_->data.directory, [&](const auto& kv) { return kv.second.expires_ms < expired_before; });
}

Result<std::vector<DirectoryRecord>> MemoryStore::list_directory(std::size_t limit) {
  Lock lock(shared_->mu);
  std::vector<DirectoryRecord> out;
  for (const auto& [agent, r] : shared_->data.directory) out.push_back(r);
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.last_seen_ms > b.last_seen_ms; });
  if (out.size() > limit) out.resize(limit);
  return out;
}

}  // namespace agentmesh::store

// --- tasks ---
namespace agentmesh::store {

Result<void> MemoryStore::put_task(const TaskRecord& r) {
  Lock lock(shared_->mu);
  shared_->data.tasks.insert_or_assign(r.id, r);
  return {};
}

Result<std::optional<TaskRecord>> MemoryStore::get_task(const core::TaskId& id) {
  Lock lock(shared_->mu);
  auto it = shared_->data.tasks.find(id);
  if (it == shared_->data.tasks.end()) return std::optional<TaskRecord>{};
  return std::optional<TaskRecord>{it->second};
}

Result<std::vector<TaskRecord>> MemoryStore::list_tasks(const TaskQuery& q) {
  Lock lock(shared_->mu);
  std::vector<TaskRecord> out;
  const auto& tasks = shared_->data.tasks;
  for (auto it = q.after ? tasks.upper_bound(*q.after) : tasks.begin(); it != tasks.end() && out.size() < q.limit;
       ++it) {
    const auto& t = it->second;
    const bool as_requester = q.role != TaskQuery::Role::assignee && t.requester == q.agent;
    const bool as_assignee = q.role != TaskQuery::Role::requester && t.assignee == q.agent;
    if (!as_requester && !as_assignee) continue;
    if (q.state && t.state != *q.state) continue;
    if (!q.context_id.empty() && t.context_id != q.context_id) continue;
    out.push_back(t);
  }
  return out;
}

Result<std::vector<TaskRecord>> MemoryStore::list_open_tasks() {
  Lock lock(shared_->mu);
  std::vector<TaskRecord> out;
  for (const auto& [id, t] : shared_->data.tasks) {
    if (!t.terminal) out.push_back(t);
  }
  return out;
}

Result<void> MemoryStore::put_task_event(const TaskEventRecord& r) {
  Lock lock(shared_->mu);
  if (!shared_->data.task_events.emplace(std::pair{r.task, r.sequence}, r).second) return error::conflict;
  return {};
}

Result<std::vector<TaskEventRecord>> MemoryStore::list_task_events(const core::TaskId& task, std::uint64_t after,
                                                                   std::size_t limit) {
  Lock lock(shared_->mu);
  std::vector<TaskEventRecord> out;
  const auto& events = shared_->data.task_events;
  for (auto it = events.upper_bound({task, after}); it != events.end() && it->first.first == task && out.size() < limit;
       ++it) {
    out.push_back(it->second);
  }
  return out;
}

Result<std::size_t> MemoryStore::purge_tasks(UnixMs ended_before) {
  Lock lock(shared_->mu);
  std::size_t n = 0;
  auto& d = shared_->data;
  for (auto it = d.tasks.begin(); it != d.tasks.end();) {
    if (it->second.terminal && it->second.updated_ms < ended_before) {
      const auto id = it->first;
      std::erase_if(d.task_events, [&](const auto& e) { return e.first.first == id; });
      std::erase_if(d.a2a_push_configs, [&](const auto& c) { return c.first.first == id; });
      it = d.tasks.erase(it);
      ++n;
    } else {
      ++it;
    }
  }
  return n;
}

Result<std::optional<TaskRequestRecord>> MemoryStore::get_task_request(const AgentId& agent,
                                                                       const std::string& request_id) {
  Lock lock(shared_->mu);
  auto it = shared_->data.task_requests.find({agent, request_id});
  if (it == shared_->data.task_requests.end()) return std::optional<TaskRequestRecord>{};
  return std::optional<TaskRequestRecord>{it->second};
}

Result<void> MemoryStore::put_task_request(const TaskRequestRecord& r) {
  Lock lock(shared_->mu);
  shared_->data.task_requests.insert_or_assign({r.agent, r.request_id}, r);
  return {};
}

Result<std::size_t> MemoryStore::purge_task_requests(UnixMs now) {
  Lock lock(shared_->mu);
  return std::erase_if(shared_->data.task_requests, [&](const auto& e) { return e.second.expires_ms <= now; });
}

Result<bool> MemoryStore::note_conversation(ConversationMessage& m, const ConversationLimits& limits) {
  Lock lock(shared_->mu);
  auto& d = shared_->data;
  const auto key = std::pair{m.agent, m.conversation};
  auto it = d.conversations.find(key);
  const bool created = it == d.conversations.end();
  if (created) {
    ConversationRecord r;
    r.agent = m.agent;
    r.id = m.conversation;
    r.protocol = m.content.protocol;
    r.first_ms = r.last_ms = m.time_ms;
    it = d.conversations.emplace(key, std::move(r)).first;
    std::size_t views = 0;
    for (const auto& [k, v] : d.conversations) views += k.first == m.agent ? 1 : 0;
    for (; views > limits.max_per_agent; --views) {
      const ConversationRecord* oldest = nullptr;
      for (const auto& [k, v] : d.conversations) {
        if (k.first != m.agent || k.second == m.conversation) continue;
        if (!oldest || v.last_ms < oldest->last_ms) oldest = &v;
      }
      if (!oldest) break;
      const auto victim = std::pair{oldest->agent, oldest->id};
      d.conversation_messages.erase(victim);
      d.conversations.erase(victim);
    }
  } else {
    it->second.last_ms = std::max(it->second.last_ms, m.time_ms);
    if (it->second.protocol.empty()) it->second.protocol = m.content.protocol;
  }
  auto& r = it->second;
  m.index = ++r.messages;
  for (const auto& who : {m.agent, m.peer}) {
    if (std::find(r.participants.begin(), r.participants.end(), who) == r.participants.end()) {
      r.participants.insert(std::upper_bound(r.participants.begin(), r.participants.end(), who), who);
    }
  }
  auto& kept = d.conversation_messages[key];
  kept.emplace(m.index, m);
  while (kept.size() > limits.max_messages) kept.erase(kept.begin());
  return created;
}

Result<std::optional<ConversationRecord>> MemoryStore::get_conversation(const AgentId& agent, const std::string& id) {
  Lock lock(shared_->mu);
  auto it = shared_->data.conversations.find(std::pair{agent, id});
  if (it == shared_->data.conversations.end()) return std::optional<ConversationRecord>{};
  return std::optional<ConversationRecord>{it->second};
}

Result<std::vector<ConversationRecord>> MemoryStore::list_conversations(const ConversationQuery& q) {
  Lock lock(shared_->mu);
  std::vector<ConversationRecord> out;
  for (auto it = shared_->data.conversations.upper_bound(std::pair{q.agent, q.after});
       it != shared_->data.conversations.end() && it->first.first == q.agent && out.size() < q.limit; ++it) {
    const bool active = it->second.last_ms >= q.active_since;
    if (q.state == ConversationQuery::State::active && !active) continue;
    if (q.state == ConversationQuery::State::expired && active) continue;
    out.push_back(it->second);
  }
  return out;
}

Result<std::vector<ConversationMessage>> MemoryStore::list_conversation_messages(const AgentId& agent,
                                                                                 const std::string& id,
                                                                                 std::uint64_t after,
                                                                                 std::size_t limit) {
  Lock lock(shared_->mu);
  std::vector<ConversationMessage> out;
  auto it = shared_->data.conversation_messages.find(std::pair{agent, id});
  if (it == shared_->data.conversation_messages.end()) return out;
  for (auto m = it->second.upper_bound(after); m != it->second.end() && out.size() < limit; ++m) {
    out.push_back(m->second);
  }
  return out;
}

Result<std::optional<ConversationMessage>> MemoryStore::find_received(const AgentId& agent, const std::string& ref,
                                                                      const std::optional<RequestId>& id) {
  Lock lock(shared_->mu);
  const ConversationMessage* by_ref = nullptr;
  const ConversationMessage* by_id = nullptr;
  for (const auto& [key, kept] : shared_->data.conversation_messages) {
    if (key.first != agent) continue;
    for (const auto& [index, m] : kept) {
      if (m.sent) continue;
      if (!ref.empty() && m.content.reply_with == ref && (!by_ref || m.time_ms >= by_ref->time_ms)) by_ref = &m;
      if (id && m.request_id == *id && (!by_id || m.time_ms >= by_id->time_ms)) by_id = &m;
    }
  }
  const auto* found = by_ref ? by_ref : by_id;
  if (!found) return std::optional<ConversationMessage>{};
  return std::optional<ConversationMessage>{*found};
}

Result<std::size_t> MemoryStore::purge_conversations(UnixMs idle_before) {
  Lock lock(shared_->mu);
  auto& d = shared_->data;
  std::size_t n = 0;
  for (auto it = d.conversations.begin(); it != d.conversations.end();) {
    if (it->second.last_ms < idle_before) {
      d.conversation_messages.erase(it->first);
      it = d.conversations.erase(it);
      ++n;
    } else {
      ++it;
    }
  }
  return n;
}

Result<std::vector<std::pair<std::uint64_t, std::int64_t>>> MemoryStore::conversations_idle_between(UnixMs from,
                                                                                                    UnixMs to) {
  Lock lock(shared_->mu);
  std::vector<std::pair<std::uint64_t, std::int64_t>> out;
  for (const auto& [key, r] : shared_->data.conversations) {
    if (r.last_ms >= from && r.last_ms < to) out.emplace_back(r.messages, r.last_ms - r.first_ms);
  }
  return out;
}

Result<ConversationTotals> MemoryStore::conversation_totals(UnixMs active_since) {
  Lock lock(shared_->mu);
  ConversationTotals t;
  for (const auto& [key, r] : shared_->data.conversations) {
    ++t.views;
    t.active += r.last_ms >= active_since ? 1 : 0;
    t.messages += r.messages;
    t.duration_ms += r.last_ms - r.first_ms;
  }
  return t;
}

}  // namespace agentmesh::store
