#pragma once
// MemoryStore: the in-memory Store backend for unit tests and simulations.
//
// Same semantics as SqliteStore, including transactions: begin() snapshots the
// data (rollback restores it) and holds the database lock until commit or
// rollback, so handles made by open_reader() never see uncommitted writes.
// Snapshots make begin() O(size): fine for tests, not for production data.
//
// Fault injection: fail_next_commits(n) makes the next n commits fail with
// store::error::io and roll back, for crash/recovery tests of the callers;
// before_transactions(hook) pauses the writer between transactions.

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>

#include "store/store.hpp"

namespace agentmesh::store {

class MemoryStore final : public Store {
 public:
  MemoryStore();

  Result<std::unique_ptr<Store>> open_reader() override;

  Result<void> begin() override;
  Result<void> commit() override;
  void rollback() override;
  Result<void> savepoint() override;
  Result<void> release_savepoint() override;
  void rollback_to_savepoint() override;

  Result<void> insert_agent(const AgentRecord& agent) override;
  Result<void> update_agent(const AgentRecord& agent) override;
  Result<void> delete_agent(const AgentId& id) override;
  Result<std::vector<AgentRecord>> list_agents() override;

  Result<Seq> append_inbox(InboxRecord& record) override;
  Result<InboxCursor> ack_inbox(const AgentId& agent, Seq up_to) override;
  Result<InboxCursor> inbox_cursor(const AgentId& agent) override;
  Result<std::vector<InboxRecord>> read_inbox(const AgentId& agent, Seq after, std::size_t limit) override;
  Result<std::size_t> prune_acked_inbox(UnixMs received_before) override;

  Result<std::optional<DedupRecord>> find_dedup(const AgentId& sender, const RequestId& request_id) override;
  Result<void> put_dedup(const DedupRecord& record) override;
  Result<std::size_t> purge_dedup(UnixMs now) override;

  Result<std::int64_t> add_dead_letter(DeadLetterRecord& record) override;
  Result<std::vector<DeadLetterRecord>> list_dead_letters(std::int64_t after_id, std::size_t limit) override;
  Result<std::optional<DeadLetterRecord>> get_dead_letter(std::int64_t id) override;
  Result<void> delete_dead_letter(std::int64_t id) override;

  Result<void> put_outbox(const OutboxRecord& record) override;
  Result<std::optional<OutboxRecord>> get_outbox(const RequestId& request_id) override;
  Result<void> finish_outbox(const OutboxRecord& record) override;
  Result<void> delete_outbox(const RequestId& request_id) override;
  Result<std::vector<OutboxRecord>> list_outbox(std::size_t limit) override;
  Result<std::size_t> purge_outbox(UnixMs now) override;
  Result<void> put_peer(const PeerRecord& record, std::size_t keep) override;
  Result<void> delete_peer(const std::string& peer_id) override;
  Result<std::vector<PeerRecord>> list_peers(std::size_t limit) override;
  Result<void> put_subscription(const AgentId& agent, const std::string& topic, UnixMs created_ms) override;
  Result<void> delete_subscription(const AgentId& agent, const std::string& topic) override;
  Result<std::vector<Subscription>> list_subscriptions() override;
  Result<void> put_a2a_token(const A2aTokenRecord& record) override;
  Result<void> delete_a2a_token(const core::TokenId& id) override;
  Result<std::vector<A2aTokenRecord>> list_a2a_tokens() override;
  Result<void> put_a2a_push_config(const A2aPushConfigRecord& record) override;
  Result<void> delete_a2a_push_config(const core::TaskId& task, const std::string& id) override;
  Result<std::vector<A2aPushConfigRecord>> list_a2a_push_configs() override;
  Result<void> put_block(const AgentId& agent, const AgentId& sender, UnixMs created_ms) override;
  Result<void> delete_block(const AgentId& agent, const AgentId& sender) override;
  Result<std::vector<std::pair<AgentId, AgentId>>> list_blocks() override;
  Result<void> put_directory(const DirectoryRecord& record) override;
  Result<std::size_t> purge_directory(UnixMs expired_before) override;
  Result<std::vector<DirectoryRecord>> list_directory(std::size_t limit) override;

  Result<void> put_task(const TaskRecord& r) override;
  Result<std::optional<TaskRecord>> get_task(const core::TaskId& id) override;
  Result<std::vector<TaskRecord>> list_tasks(const TaskQuery& q) override;
  Result<std::vector<TaskRecord>> list_open_tasks() override;
  Result<void> put_task_event(const TaskEventRecord& r) override;
  Result<std::vector<TaskEventRecord>> list_task_events(const core::TaskId& task, std::uint64_t after,
                                                        std::size_t limit) override;
  Result<std::size_t> purge_tasks(UnixMs ended_before) override;
  Result<std::optional<TaskRequestRecord>> get_task_request(const AgentId& agent,
                                                            const std::string& request_id) override;
  Result<void> put_task_request(const TaskRequestRecord& r) override;
  Result<std::size_t> purge_task_requests(UnixMs now) override;
  Result<bool> note_conversation(ConversationMessage& m, const ConversationLimits& limits) override;
  Result<std::optional<ConversationRecord>> get_conversation(const AgentId& agent, const std::string& id) override;
  Result<std::vector<ConversationRecord>> list_conversations(const ConversationQuery& q) override;
  Result<std::vector<ConversationMessage>> list_conversation_messages(const AgentId& agent, const std::string& id,
                                                                      std::uint64_t after, std::size_t limit) override;
  Result<std::optional<ConversationMessage>> find_received(const AgentId& agent, const std::string& ref,
                                                           const std::optional<RequestId>& id) override;
  Result<std::size_t> purge_conversations(UnixMs idle_before) override;
  Result<ConversationTotals> conversation_totals(UnixMs active_since) override;
  Result<std::vector<std::pair<std::uint64_t, std::int64_t>>> conversations_idle_between(UnixMs from,
                                                                                         UnixMs to) override;

  void fail_next_commits(int n);
  // Runs `hook` on the writing thread as each transaction begins, before it
  // takes the lock (readers are not blocked): a test pauses the writer
  // between transactions with it. Empty: none.
  void before_transactions(std::function<void()> hook);

 private:
  struct Data {
    std::map<AgentId, AgentRecord> agents;
    std::map<AgentId, InboxCursor> cursors;
    std::map<std::pair<AgentId, std::uint64_t>, InboxRecord> inbox;
    std::map<std::pair<AgentId, RequestId>, DedupRecord> dedup;
    std::map<std::int64_t, DeadLetterRecord> dead_letters;
    std::int64_t next_dead_letter_id = 1;
    std::map<RequestId, OutboxRecord> outbox;
    std::map<std::string, PeerRecord> peers;
    std::map<std::pair<AgentId, std::string>, UnixMs> subscriptions;  // -> created_ms
    std::map<AgentId, DirectoryRecord> directory;
    std::set<std::pair<AgentId, AgentId>> blocks;  // (agent, sender)
    std::vector<A2aTokenRecord> a2a_tokens;        // in creation order
    std::map<std::pair<core::TaskId, std::string>, A2aPushConfigRecord> a2a_push_configs;
    std::map<core::TaskId, TaskRecord> tasks;
    std::map<std::pair<core::TaskId, std::uint64_t>, TaskEventRecord> task_events;
    std::map<std::pair<AgentId, std::string>, TaskRequestRecord> task_requests;
    // (agent, conversation) -> the view, and its kept messages by index.
    std::map<std::pair<AgentId, std::string>, ConversationRecord> conversations;
    std::map<std::pair<AgentId, std::string>, std::map<std::uint64_t, ConversationMessage>> conversation_messages;
  };
  struct Shared {
    std::recursive_mutex mu;
    Data data;
    int fail_commits = 0;
    std::function<void()> before_transaction;
  };
  explicit MemoryStore(std::shared_ptr<Shared> shared);

  std::shared_ptr<Shared> shared_;
  std::unique_lock<std::recursive_mutex> txn_lock_;  // held between begin and commit/rollback
  std::vector<Data> snapshots_;                      // [0] = begin, then one per savepoint
};

}  // namespace agentmesh::store
