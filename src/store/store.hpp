#pragma once
// store: durable state behind a narrow interface of domain operations.
//
// Two backends implement it: SqliteStore (store/sqlite/, the only code that
// touches sqlite3) and MemoryStore (unit tests). Nothing above this layer sees
// SQL.
//
// Threading: a Store handle is used by one thread at a time. The daemon opens
// one handle for the group-commit Writer (store/writer.hpp), which runs every
// write, and one more with open_reader() for reads on the network thread.
// Readers see committed data only.
//
// Transactions: begin/commit/rollback frame a group commit; savepoints isolate
// one job inside it, so a failing job rolls back alone. Every write method
// REQUIRES an open transaction; read methods work with or without one.
//
// Errors: store::error values (not_found, conflict, beyond_last, io, ...).

#include <memory>
#include <optional>
#include <vector>

#include "core/result.hpp"
#include "store/error.hpp"
#include "store/records.hpp"

namespace agentmesh::store {

class Store {
 public:
  virtual ~Store() = default;

  // A second handle on the same database, for another thread.
  virtual Result<std::unique_ptr<Store>> open_reader() = 0;

  // Gives back the memory this handle caches and can rebuild (SQLite's page
  // cache), for when the daemon is idle after a burst. Never fails.
  virtual void release_memory() {}

  // --- transactions (writer thread) ---
  virtual Result<void> begin() = 0;
  virtual Result<void> commit() = 0;
  virtual void rollback() = 0;
  virtual Result<void> savepoint() = 0;
  virtual Result<void> release_savepoint() = 0;
  virtual void rollback_to_savepoint() = 0;

  // --- agents ---
  // conflict when the id or the name exists. Creates the agent's inbox cursor.
  virtual Result<void> insert_agent(const AgentRecord& agent) = 0;
  // Replaces name, display name, capabilities, state. not_found, conflict.
  virtual Result<void> update_agent(const AgentRecord& agent) = 0;
  // Removes the agent, its cursor, its inbox rows, subscriptions, block list,
  // A2A tokens and conversation views. not_found.
  virtual Result<void> delete_agent(const AgentId& id) = 0;
  virtual Result<std::vector<AgentRecord>> list_agents() = 0;

  // --- inbox ---
  // Assigns record.seq = cursor.last + 1 and appends. not_found for an
  // unknown agent.
  virtual Result<Seq> append_inbox(InboxRecord& record) = 0;
  // Moves the acked cursor to up_to (never backwards). beyond_last when
  // up_to > last; not_found for an unknown agent. Returns the new cursor.
  virtual Result<InboxCursor> ack_inbox(const AgentId& agent, Seq up_to) = 0;
  virtual Result<InboxCursor> inbox_cursor(const AgentId& agent) = 0;
  // Entries with seq > after, in order, at most `limit`.
  virtual Result<std::vector<InboxRecord>> read_inbox(const AgentId& agent, Seq after, std::size_t limit) = 0;
  // Deletes acknowledged entries (seq <= the agent's acked cursor) received
  // before `received_before`; returns how many. Unacked entries are never pruned.
  virtual Result<std::size_t> prune_acked_inbox(UnixMs received_before) = 0;

  // --- dedup (sender, request_id) -> outcome ---
  virtual Result<std::optional<DedupRecord>> find_dedup(const AgentId& sender, const RequestId& request_id) = 0;
  virtual Result<void> put_dedup(const DedupRecord& record) = 0;
  // Deletes entries with expires_ms <= now; returns how many.
  virtual Result<std::size_t> purge_dedup(UnixMs now) = 0;

  // --- dead letters ---
  // Assigns record.id.
  virtual Result<std::int64_t> add_dead_letter(DeadLetterRecord& record) = 0;
  virtual Result<std::vector<DeadLetterRecord>> list_dead_letters(std::int64_t after_id, std::size_t limit) = 0;
  virtual Result<std::optional<DeadLetterRecord>> get_dead_letter(std::int64_t id) = 0;
  // not_found when absent.
  virtual Result<void> delete_dead_letter(std::int64_t id) = 0;

  // --- outbox (messages sent to other daemons, and their outcome) ---
  // Inserts or replaces by request_id.
  virtual Result<void> put_outbox(const OutboxRecord& record) = 0;
  virtual Result<std::optional<OutboxRecord>> get_outbox(const RequestId& request_id) = 0;
  // Records a message's outcome in its row: state, seq, path, last_error,
  // attempts, keep_until_ms from `record`, content cleared. Inserts the row
  // (content cleared) when it is absent.
  virtual Result<void> finish_outbox(const OutboxRecord& record) = 0;
  // not_found when absent.
  virtual Result<void> delete_outbox(const RequestId& request_id) = 0;
  // Pending (queued) rows only, the earliest next attempt first.
  virtual Result<std::vector<OutboxRecord>> list_outbox(std::size_t limit) = 0;
  // Deletes finished rows whose keep_until_ms <= now; returns how many.
  virtual Result<std::size_t> purge_outbox(UnixMs now) = 0;

  // --- peers (addresses learned from identify, for reconnecting) ---
  // Inserts or replaces by peer_id, then keeps only the `keep` most recently
  // seen peers.
  virtual Result<void> put_peer(const PeerRecord& record, std::size_t keep) = 0;
  // Removing an unknown peer is not an error.
  virtual Result<void> delete_peer(const std::string& peer_id) = 0;
  // Most recently seen first, at most `limit`.
  virtual Result<std::vector<PeerRecord>> list_peers(std::size_t limit) = 0;

  // --- the agent directory (remote adverts) ---
  // Inserts or replaces the agent's row.
  virtual Result<void> put_directory(const DirectoryRecord& record) = 0;
  // Deletes rows whose advert expired before `expired_before`; returns how many.
  virtual Result<std::size_t> purge_directory(UnixMs expired_before) = 0;
  // The most recently seen first.
  virtual Result<std::vector<DirectoryRecord>> list_directory(std::size_t limit) = 0;

  // --- block lists: the senders an agent refuses ---
  // not_found for an unknown agent; conflict when already blocked.
  virtual Result<void> put_block(const AgentId& agent, const AgentId& sender, UnixMs created_ms) = 0;
  // not_found when absent.
  virtual Result<void> delete_block(const AgentId& agent, const AgentId& sender) = 0;
  // (agent, sender) pairs, ordered.
  virtual Result<std::vector<std::pair<AgentId, AgentId>>> list_blocks() = 0;

  // --- durable topic subscriptions (agent, topic) ---
  // conflict when it exists; not_found for an unknown agent.
  virtual Result<void> put_subscription(const AgentId& agent, const std::string& topic, UnixMs created_ms) = 0;
  // not_found when absent.
  virtual Result<void> delete_subscription(const AgentId& agent, const std::string& topic) = 0;
  // Ordered by agent, then topic.
  virtual Result<std::vector<Subscription>> list_subscriptions() = 0;

  // --- A2A caller tokens (node/a2a_tokens.hpp) ---
  // not_found for an unknown agent; conflict when the id or hash exists.
  virtual Result<void> put_a2a_token(const A2aTokenRecord& record) = 0;
  // not_found when absent.
  virtual Result<void> delete_a2a_token(const core::TokenId& id) = 0;
  // Ordered by creation.
  virtual Result<std::vector<A2aTokenRecord>> list_a2a_tokens() = 0;

  // --- A2A push notification configs (node/a2a_push.hpp) ---
  // Inserts or replaces by (task, id).
  virtual Result<void> put_a2a_push_config(const A2aPushConfigRecord& record) = 0;
  // not_found when absent.
  virtual Result<void> delete_a2a_push_config(const core::TaskId& task, const std::string& id) = 0;
  // Ordered by task, then creation.
  virtual Result<std::vector<A2aPushConfigRecord>> list_a2a_push_configs() = 0;

  // --- tasks (tasks/; node/tasks.hpp) ---
  // Inserts or replaces by id.
  virtual Result<void> put_task(const TaskRecord& record) = 0;
  virtual Result<std::optional<TaskRecord>> get_task(const core::TaskId& id) = 0;
  // The tasks matching `q`, by id.
  virtual Result<std::vector<TaskRecord>> list_tasks(const TaskQuery& q) = 0;
  // Tasks that have not ended (for their timers and the per-agent bound).
  virtual Result<std::vector<TaskRecord>> list_open_tasks() = 0;
  // Appends a step to a task's log; conflict when that sequence exists.
  virtual Result<void> put_task_event(const TaskEventRecord& record) = 0;
  // Steps with sequence > after, in order, at most `limit`.
  virtual Result<std::vector<TaskEventRecord>> list_task_events(const core::TaskId& task, std::uint64_t after,
                                                                std::size_t limit) = 0;
  // Deletes ended tasks last changed before `ended_before`, with their logs
  // and push configs; returns how many tasks.
  virtual Result<std::size_t> purge_tasks(UnixMs ended_before) = 0;
  virtual Result<std::optional<TaskRequestRecord>> get_task_request(const AgentId& agent,
                                                                    const std::string& request_id) = 0;
  // Inserts or replaces by (agent, request_id).
  virtual Result<void> put_task_request(const TaskRequestRecord& record) = 0;
  // Deletes records with expires_ms <= now; returns how many.
  virtual Result<std::size_t> purge_task_requests(UnixMs now) = 0;

  // --- conversations: per local participant (node/conversations.hpp) ---
  // Adds `m` to its agent's view of m.conversation (creating the view) and
  // assigns m.index. Keeps the newest limits.max_messages messages of a view
  // and limits.max_per_agent views per agent (the least recently active
  // goes). Returns true when the view was created.
  virtual Result<bool> note_conversation(ConversationMessage& m, const ConversationLimits& limits) = 0;
  virtual Result<std::optional<ConversationRecord>> get_conversation(const AgentId& agent, const std::string& id) = 0;
  virtual Result<std::vector<ConversationRecord>> list_conversations(const ConversationQuery& q) = 0;
  // Messages of a view with index > after, in order, at most `limit`.
  virtual Result<std::vector<ConversationMessage>> list_conversation_messages(const AgentId& agent,
                                                                              const std::string& id,
                                                                              std::uint64_t after,
                                                                              std::size_t limit) = 0;
  // The latest message `agent` received whose reply_with is `ref`, or whose
  // request id is `id` when given.
  virtual Result<std::optional<ConversationMessage>> find_received(const AgentId& agent, const std::string& ref,
                                                                   const std::optional<RequestId>& id) = 0;
  // Deletes views whose last activity is before `idle_before`, with their
  // messages; returns how many views.
  virtual Result<std::size_t> purge_conversations(UnixMs idle_before) = 0;
  virtual Result<ConversationTotals> conversation_totals(UnixMs active_since) = 0;
  // Views whose last activity is in [from, to): (message count, last - first
  // in ms) of each, for the figures of conversations that went idle.
  virtual Result<std::vector<std::pair<std::uint64_t, std::int64_t>>> conversations_idle_between(UnixMs from,
                                                                                                 UnixMs to) = 0;
};

}  // namespace agentmesh::store
