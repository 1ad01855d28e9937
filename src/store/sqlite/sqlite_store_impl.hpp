#pragma once
// The SQLite Store backend's class and statements, shared by its two
// translation units (sqlite_store.cpp: transactions, agents, inboxes, dedup,
// dead letters; sqlite_store_mesh.cpp: the outbox, peers, block lists, the
// directory, subscriptions). Internal to store/sqlite/.

#include <filesystem>

#include "store/sqlite/db.hpp"
#include "store/store.hpp"

namespace agentmesh::store::sqlite {

// Every statement the backend runs; pointers double as cache keys.
inline constexpr const char* kBegin = "BEGIN IMMEDIATE";
inline constexpr const char* kCommit = "COMMIT";
inline constexpr const char* kRollback = "ROLLBACK";
inline constexpr const char* kSavepoint = "SAVEPOINT job";
inline constexpr const char* kRelease = "RELEASE job";
inline constexpr const char* kRollbackTo = "ROLLBACK TO job";
inline constexpr const char* kInsertAgent =
    "INSERT INTO agents(id,name,display_name,capabilities,state,token_hash,created_ms,a2a) VALUES(?,?,?,?,?,?,?,?)";
inline constexpr const char* kInsertCursor = "INSERT INTO inbox_cursors(agent) VALUES(?)";
inline constexpr const char* kUpdateAgent =
    "UPDATE agents SET name=?2, display_name=?3, capabilities=?4, state=?5, token_hash=?6, a2a=?7 WHERE id=?1";
inline constexpr const char* kDeleteAgent = "DELETE FROM agents WHERE id=?";
inline constexpr const char* kDeleteCursor = "DELETE FROM inbox_cursors WHERE agent=?";
inline constexpr const char* kDeleteInbox = "DELETE FROM inbox WHERE agent=?";
inline constexpr const char* kListAgents =
    "SELECT id,name,display_name,capabilities,state,token_hash,created_ms,a2a FROM agents ORDER BY created_ms, name";
inline constexpr const char* kBumpSeq = "UPDATE inbox_cursors SET last_seq=last_seq+1 WHERE agent=? RETURNING last_seq";
inline constexpr const char* kInsertInbox =
    "INSERT INTO inbox(agent,seq,sender,request_id,received_ms,content_type,body,performative,conversation_id,"
    "reply_with,in_reply_to,protocol,metadata) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?)";
inline constexpr const char* kGetCursor = "SELECT last_seq, acked_seq FROM inbox_cursors WHERE agent=?";
inline constexpr const char* kSetAcked = "UPDATE inbox_cursors SET acked_seq=? WHERE agent=?";
inline constexpr const char* kReadInbox =
    "SELECT seq,sender,request_id,received_ms,content_type,body,performative,conversation_id,reply_with,"
    "in_reply_to,protocol,metadata FROM inbox WHERE agent=? AND seq>? ORDER BY seq LIMIT ?";
inline constexpr const char* kPruneInbox =
    "DELETE FROM inbox WHERE rowid IN (SELECT i.rowid FROM inbox i JOIN inbox_cursors c ON i.agent = c.agent "
    "WHERE i.seq <= c.acked_seq AND i.received_ms < ?)";
inline constexpr const char* kFindDedup =
    "SELECT outcome,recipient,seq,reason,body_digest,expires_ms FROM dedup WHERE sender=? AND request_id=?";
inline constexpr const char* kPutDedup =
    "INSERT OR REPLACE INTO dedup(sender,request_id,outcome,recipient,seq,reason,body_digest,expires_ms) "
    "VALUES(?,?,?,?,?,?,?,?)";
inline constexpr const char* kPurgeDedup = "DELETE FROM dedup WHERE expires_ms<=?";
inline constexpr const char* kAddDeadLetter =
    "INSERT INTO dead_letters(request_id,sender,recipient,created_ms,content_type,body,performative,"
    "conversation_id,reply_with,in_reply_to,protocol,metadata,reason,attempts,time_ms) "
    "VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)";
inline constexpr const char* kListDeadLetters =
    "SELECT id,request_id,sender,recipient,created_ms,content_type,body,performative,conversation_id,reply_with,"
    "in_reply_to,protocol,metadata,reason,attempts,time_ms FROM dead_letters WHERE id>? ORDER BY id LIMIT ?";
inline constexpr const char* kGetDeadLetter =
    "SELECT id,request_id,sender,recipient,created_ms,content_type,body,performative,conversation_id,reply_with,"
    "in_reply_to,protocol,metadata,reason,attempts,time_ms FROM dead_letters WHERE id=?";
inline constexpr const char* kDeleteDeadLetter = "DELETE FROM dead_letters WHERE id=?";
inline constexpr const char* kPutOutbox =
    "INSERT OR REPLACE INTO outbox(request_id,sender,recipient,created_ms,expires_ms,content_type,body,"
    "performative,conversation_id,reply_with,in_reply_to,protocol,metadata,attempts,next_attempt_ms,last_error,"
    "state,flags,seq,path,digest,keep_until_ms) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)";
inline constexpr const char* kDeleteOutbox = "DELETE FROM outbox WHERE request_id=?";
inline constexpr const char* kPutPeer =
    "INSERT INTO peers(peer_id, addrs, last_seen_ms) VALUES(?,?,?) "
    "ON CONFLICT(peer_id) DO UPDATE SET addrs=excluded.addrs, last_seen_ms=excluded.last_seen_ms";
inline constexpr const char* kTrimPeers =
    "DELETE FROM peers WHERE peer_id NOT IN (SELECT peer_id FROM peers ORDER BY last_seen_ms DESC LIMIT ?)";
inline constexpr const char* kDeletePeer = "DELETE FROM peers WHERE peer_id=?";
inline constexpr const char* kListPeers =
    "SELECT peer_id, addrs, last_seen_ms FROM peers ORDER BY last_seen_ms DESC LIMIT ?";
inline constexpr const char* kPutBlock = "INSERT INTO blocks(agent, sender, created_ms) VALUES(?,?,?)";
inline constexpr const char* kDeleteBlock = "DELETE FROM blocks WHERE agent=? AND sender=?";
inline constexpr const char* kDeleteAgentBlocks = "DELETE FROM blocks WHERE agent=?";
inline constexpr const char* kDeleteAgentConversations = "DELETE FROM conversations WHERE agent=?";
inline constexpr const char* kDeleteAgentParticipants = "DELETE FROM conversation_participants WHERE agent=?";
inline constexpr const char* kDeleteAgentConversationCount = "DELETE FROM conversation_counts WHERE agent=?";
// Before kDeleteAgentConversations: a view's messages are keyed by its rowid.
inline constexpr const char* kDeleteAgentConversationMessages =
    "DELETE FROM conversation_messages WHERE view IN (SELECT rowid FROM conversations WHERE agent=?)";
inline constexpr const char* kListBlocks = "SELECT agent, sender FROM blocks ORDER BY agent, sender";
inline constexpr const char* kBlockExists = "SELECT 1 FROM blocks WHERE agent=? AND sender=?";
inline constexpr const char* kPutDirectory =
    "INSERT OR REPLACE INTO directory(agent, advert, last_seen_ms, expires_ms) VALUES(?,?,?,?)";
inline constexpr const char* kPurgeDirectory = "DELETE FROM directory WHERE expires_ms < ?";
inline constexpr const char* kListDirectory =
    "SELECT agent, advert, last_seen_ms, expires_ms FROM directory ORDER BY last_seen_ms DESC LIMIT ?";
inline constexpr const char* kPutA2aToken =
    "INSERT INTO a2a_tokens(id,agent,label,token_hash,created_ms,expires_ms) VALUES(?,?,?,?,?,?)";
inline constexpr const char* kDeleteA2aToken = "DELETE FROM a2a_tokens WHERE id=?";
inline constexpr const char* kDeleteAgentA2aTokens = "DELETE FROM a2a_tokens WHERE agent=?";
inline constexpr const char* kListA2aTokens =
    "SELECT id,agent,label,token_hash,created_ms,expires_ms FROM a2a_tokens ORDER BY created_ms, id";
inline constexpr const char* kPutA2aPushConfig =
    "INSERT OR REPLACE INTO a2a_push_configs(task,id,agent,caller,url,token,scheme,credentials,legacy,delivered,"
    "created_ms) VALUES(?,?,?,?,?,?,?,?,?,?,?)";
inline constexpr const char* kDeleteA2aPushConfig = "DELETE FROM a2a_push_configs WHERE task=? AND id=?";
inline constexpr const char* kListA2aPushConfigs =
    "SELECT task,id,agent,caller,url,token,scheme,credentials,legacy,delivered,created_ms FROM a2a_push_configs "
    "ORDER BY task, created_ms, id";
inline constexpr const char* kPutSubscription = "INSERT INTO subscriptions(agent, topic, created_ms) VALUES(?,?,?)";
inline constexpr const char* kAgentExists = "SELECT 1 FROM agents WHERE id=?";
inline constexpr const char* kDeleteSubscription = "DELETE FROM subscriptions WHERE agent=? AND topic=?";
inline constexpr const char* kDeleteAgentSubscriptions = "DELETE FROM subscriptions WHERE agent=?";
inline constexpr const char* kListSubscriptions =
    "SELECT agent, topic, created_ms FROM subscriptions ORDER BY agent, topic";
#define AGENTMESH_OUTBOX_COLUMNS                                                                              \
  "request_id,sender,recipient,created_ms,expires_ms,content_type,body,performative,conversation_id,"         \
  "reply_with,in_reply_to,protocol,metadata,attempts,next_attempt_ms,last_error,state,flags,seq,path,digest," \
  "keep_until_ms"
inline constexpr const char* kListOutbox =
    "SELECT " AGENTMESH_OUTBOX_COLUMNS " FROM outbox WHERE state=0 ORDER BY next_attempt_ms LIMIT ?";
inline constexpr const char* kGetOutbox = "SELECT " AGENTMESH_OUTBOX_COLUMNS " FROM outbox WHERE request_id=?";
#undef AGENTMESH_OUTBOX_COLUMNS
inline constexpr const char* kFinishOutbox =
    "UPDATE outbox SET state=?,seq=?,path=?,last_error=?,attempts=?,keep_until_ms=?,content_type='',body=x'',"
    "performative='',conversation_id='',reply_with='',in_reply_to='',protocol='',metadata=? WHERE request_id=?";
inline constexpr const char* kPurgeOutbox = "DELETE FROM outbox WHERE state<>0 AND keep_until_ms<=?";

template <class Id>
Result<Id> id_column(const Query& q, int col) {
  auto r = Id::from_bytes(q.blob(col));
  if (!r) return error::corrupt;
  return *r;
}

// Binds the eight content columns starting at parameter `first`.
void bind_content(Query& q, int first, const MessageContent& c, const std::string& metadata);
// Reads the eight content columns starting at column `first`.
Result<MessageContent> content_columns(const Query& q, int first);
Result<DeadLetterRecord> dead_letter_row(const Query& q);
Result<OutboxRecord> outbox_row(const Query& q);

class SqliteStore final : public Store {
 public:
  SqliteStore(std::filesystem::path path, Db db) : path_(std::move(path)), db_(std::move(db)) {}
  Result<std::unique_ptr<Store>> open_reader() override;
  void release_memory() override { db_.release_memory(); }
  // Transaction control runs once or twice per job: cached statements, not
  // sqlite3_exec (which would parse the SQL every time).
  Result<void> begin() override { return query(kBegin).exec(); }
  Result<void> commit() override { return query(kCommit).exec(); }
  void rollback() override { (void)query(kRollback).exec(); }
  Result<void> savepoint() override { return query(kSavepoint).exec(); }
  Result<void> release_savepoint() override { return query(kRelease).exec(); }
  void rollback_to_savepoint() override;
  Result<void> insert_agent(const AgentRecord& a) override;
  Result<void> update_agent(const AgentRecord& a) override;
  Result<void> delete_agent(const AgentId& id) override;
  Result<std::vector<AgentRecord>> list_agents() override;
  Result<Seq> append_inbox(InboxRecord& r) override;
  Result<InboxCursor> ack_inbox(const AgentId& agent, Seq up_to) override;
  Result<InboxCursor> inbox_cursor(const AgentId& agent) override;
  Result<std::vector<InboxRecord>> read_inbox(const AgentId& agent, Seq after, std::size_t limit) override;
  Result<std::size_t> prune_acked_inbox(UnixMs received_before) override;
  Result<std::optional<DedupRecord>> find_dedup(const AgentId& sender, const RequestId& request_id) override;
  Result<void> put_dedup(const DedupRecord& d) override;
  Result<std::size_t> purge_dedup(UnixMs now) override;
  Result<std::int64_t> add_dead_letter(DeadLetterRecord& r) override;
  Result<std::vector<DeadLetterRecord>> list_dead_letters(std::int64_t after_id, std::size_t limit) override;
  Result<std::optional<DeadLetterRecord>> get_dead_letter(std::int64_t id) override;
  Result<void> delete_dead_letter(std::int64_t id) override;
  Result<void> put_outbox(const OutboxRecord& r) override;
  Result<std::optional<OutboxRecord>> get_outbox(const RequestId& request_id) override;
  Result<void> finish_outbox(const OutboxRecord& r) override;
  Result<void> delete_outbox(const RequestId& request_id) override;
  Result<std::vector<OutboxRecord>> list_outbox(std::size_t limit) override;
  Result<std::size_t> purge_outbox(UnixMs now) override;
  // Addresses are stored newline-separated (multiaddr text has no newline).
  Result<void> put_peer(const PeerRecord& r, std::size_t keep) override;
  Result<void> delete_peer(const std::string& peer_id) override;
  Result<std::vector<PeerRecord>> list_peers(std::size_t limit) override;
  Result<void> put_block(const AgentId& agent, const AgentId& sender, UnixMs created_ms) override;
  Result<void> delete_block(const AgentId& agent, const AgentId& sender) override;
  Result<std::vector<std::pair<AgentId, AgentId>>> list_blocks() override;
  Result<void> put_directory(const DirectoryRecord& r) override;
  Result<std::size_t> purge_directory(UnixMs expired_before) override;
  Result<std::vector<DirectoryRecord>> list_directory(std::size_t limit) override;
  Result<void> put_subscription(const AgentId& agent, const std::string& topic, UnixMs created_ms) override;
  Result<void> delete_subscription(const AgentId& agent, const std::string& topic) override;
  Result<std::vector<Subscription>> list_subscriptions() override;
  Result<void> put_a2a_token(const A2aTokenRecord& record) override;
  Result<void> delete_a2a_token(const core::TokenId& id) override;
  Result<std::vector<A2aTokenRecord>> list_a2a_tokens() override;
  Result<void> put_a2a_push_config(const A2aPushConfigRecord& record) override;
  Result<void> delete_a2a_push_config(const core::TaskId& task, const std::string& id) override;
  Result<std::vector<A2aPushConfigRecord>> list_a2a_push_configs() override;
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

 private:
  Result<void> drop_conversation(const AgentId& agent, const std::string& id);
  Result<std::vector<AgentId>> participants(const AgentId& agent, const std::string& id);

  Query query(const char* sql) { return db_.query(sql); }

  std::filesystem::path path_;
  Db db_;
};

}  // namespace agentmesh::store::sqlite
