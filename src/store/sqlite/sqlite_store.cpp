#include "store/sqlite/sqlite_store.hpp"

#include "store/record_codec.hpp"
#include "store/sqlite/db.hpp"

namespace agentmesh::store {
namespace sqlite {
std::size_t schema_version_count();
}  // namespace sqlite

namespace {

using sqlite::Db;
using sqlite::Query;

// Every statement the backend runs; pointers double as cache keys.
constexpr const char* kBegin = "BEGIN IMMEDIATE";
constexpr const char* kCommit = "COMMIT";
constexpr const char* kRollback = "ROLLBACK";
constexpr const char* kSavepoint = "SAVEPOINT job";
constexpr const char* kRelease = "RELEASE job";
constexpr const char* kRollbackTo = "ROLLBACK TO job";
constexpr const char* kInsertAgent =
    "INSERT INTO agents(id,name,display_name,capabilities,state,token_hash,created_ms) VALUES(?,?,?,?,?,?,?)";
constexpr const char* kInsertCursor = "INSERT INTO inbox_cursors(agent) VALUES(?)";
constexpr const char* kUpdateAgent =
    "UPDATE agents SET name=?2, display_name=?3, capabilities=?4, state=?5, token_hash=?6 WHERE id=?1";
constexpr const char* kDeleteAgent = "DELETE FROM agents WHERE id=?";
constexpr const char* kDeleteCursor = "DELETE FROM inbox_cursors WHERE agent=?";
constexpr const char* kDeleteInbox = "DELETE FROM inbox WHERE agent=?";
constexpr const char* kListAgents =
    "SELECT id,name,display_name,capabilities,state,token_hash,created_ms FROM agents ORDER BY created_ms, name";
constexpr const char* kBumpSeq = "UPDATE inbox_cursors SET last_seq=last_seq+1 WHERE agent=? RETURNING last_seq";
constexpr const char* kInsertInbox =
    "INSERT INTO inbox(agent,seq,sender,request_id,received_ms,content_type,body,performative,conversation_id,"
    "reply_with,in_reply_to,protocol,metadata) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?)";
constexpr const char* kGetCursor = "SELECT last_seq, acked_seq FROM inbox_cursors WHERE agent=?";
constexpr const char* kSetAcked = "UPDATE inbox_cursors SET acked_seq=? WHERE agent=?";
constexpr const char* kReadInbox =
    "SELECT seq,sender,request_id,received_ms,content_type,body,performative,conversation_id,reply_with,"
    "in_reply_to,protocol,metadata FROM inbox WHERE agent=? AND seq>? ORDER BY seq LIMIT ?";
constexpr const char* kPruneInbox =
    "DELETE FROM inbox WHERE rowid IN (SELECT i.rowid FROM inbox i JOIN inbox_cursors c ON i.agent = c.agent "
    "WHERE i.seq <= c.acked_seq AND i.received_ms < ?)";
constexpr const char* kFindDedup =
    "SELECT outcome,recipient,seq,reason,body_digest,expires_ms FROM dedup WHERE sender=? AND request_id=?";
constexpr const char* kPutDedup =
    "INSERT OR REPLACE INTO dedup(sender,request_id,outcome,recipient,seq,reason,body_digest,expires_ms) "
    "VALUES(?,?,?,?,?,?,?,?)";
constexpr const char* kPurgeDedup = "DELETE FROM dedup WHERE expires_ms<=?";
constexpr const char* kAddDeadLetter =
    "INSERT INTO dead_letters(request_id,sender,recipient,created_ms,content_type,body,performative,"
    "conversation_id,reply_with,in_reply_to,protocol,metadata,reason,attempts,time_ms) "
    "VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)";
constexpr const char* kListDeadLetters =
    "SELECT id,request_id,sender,recipient,created_ms,content_type,body,performative,conversation_id,reply_with,"
    "in_reply_to,protocol,metadata,reason,attempts,time_ms FROM dead_letters WHERE id>? ORDER BY id LIMIT ?";
constexpr const char* kGetDeadLetter =
    "SELECT id,request_id,sender,recipient,created_ms,content_type,body,performative,conversation_id,reply_with,"
    "in_reply_to,protocol,metadata,reason,attempts,time_ms FROM dead_letters WHERE id=?";
constexpr const char* kDeleteDeadLetter = "DELETE FROM dead_letters WHERE id=?";
constexpr const char* kPutOutbox =
    "INSERT OR REPLACE INTO outbox(request_id,sender,recipient,created_ms,expires_ms,content_type,body,"
    "performative,conversation_id,reply_with,in_reply_to,protocol,metadata,attempts,next_attempt_ms,last_error,"
    "state,flags,seq,path,digest,keep_until_ms) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)";
constexpr const char* kDeleteOutbox = "DELETE FROM outbox WHERE request_id=?";
constexpr const char* kPutPeer =
    "INSERT INTO peers(peer_id, addrs, last_seen_ms) VALUES(?,?,?) "
    "ON CONFLICT(peer_id) DO UPDATE SET addrs=excluded.addrs, last_seen_ms=excluded.last_seen_ms";
constexpr const char* kTrimPeers =
    "DELETE FROM peers WHERE peer_id NOT IN (SELECT peer_id FROM peers ORDER BY last_seen_ms DESC LIMIT ?)";
constexpr const char* kDeletePeer = "DELETE FROM peers WHERE peer_id=?";
constexpr const char* kListPeers = "SELECT peer_id, addrs, last_seen_ms FROM peers ORDER BY last_seen_ms DESC LIMIT ?";
constexpr const char* kPutBlock = "INSERT INTO blocks(agent, sender, created_ms) VALUES(?,?,?)";
constexpr const char* kDeleteBlock = "DELETE FROM blocks WHERE agent=? AND sender=?";
constexpr const char* kDeleteAgentBlocks = "DELETE FROM blocks WHERE agent=?";
constexpr const char* kListBlocks = "SELECT agent, sender FROM blocks ORDER BY agent, sender";
constexpr const char* kBlockExists = "SELECT 1 FROM blocks WHERE agent=? AND sender=?";
constexpr const char* kPutDirectory =
    "INSERT OR REPLACE INTO directory(agent, advert, last_seen_ms, expires_ms) VALUES(?,?,?,?)";
constexpr const char* kPurgeDirectory = "DELETE FROM directory WHERE expires_ms < ?";
constexpr const char* kListDirectory =
    "SELECT agent, advert, last_seen_ms, expires_ms FROM directory ORDER BY last_seen_ms DESC LIMIT ?";
constexpr const char* kPutSubscription = "INSERT INTO subscriptions(agent, topic, created_ms) VALUES(?,?,?)";
constexpr const char* kAgentExists = "SELECT 1 FROM agents WHERE id=?";
constexpr const char* kDeleteSubscription = "DELETE FROM subscriptions WHERE agent=? AND topic=?";
constexpr const char* kDeleteAgentSubscriptions = "DELETE FROM subscriptions WHERE agent=?";
constexpr const char* kListSubscriptions = "SELECT agent, topic, created_ms FROM subscriptions ORDER BY agent, topic";
#define AGENTMESH_OUTBOX_COLUMNS                                                                         \
  "request_id,sender,recipient,created_ms,expires_ms,content_type,body,performative,conversation_id,"   \
  "reply_with,in_reply_to,protocol,metadata,attempts,next_attempt_ms,last_error,state,flags,seq,path,digest," \
  "keep_until_ms"
constexpr const char* kListOutbox =
    "SELECT " AGENTMESH_OUTBOX_COLUMNS " FROM outbox WHERE state=0 ORDER BY next_attempt_ms LIMIT ?";
constexpr const char* kGetOutbox = "SELECT " AGENTMESH_OUTBOX_COLUMNS " FROM outbox WHERE request_id=?";
#undef AGENTMESH_OUTBOX_COLUMNS
constexpr const char* kFinishOutbox =
    "UPDATE outbox SET state=?,seq=?,path=?,last_error=?,attempts=?,keep_until_ms=?,content_type='',body=x'',"
    "performative='',conversation_id='',reply_with='',in_reply_to='',protocol='',metadata=? WHERE request_id=?";
constexpr const char* kPurgeOutbox = "DELETE FROM outbox WHERE state<>0 AND keep_until_ms<=?";

template <class Id>
Result<Id> id_column(const Query& q, int col) {
  auto r = Id::from_bytes(q.blob(col));
  if (!r) return error::corrupt;
  return *r;
}

// Binds the eight content columns starting at parameter `first`.
void bind_content(Query& q, int first, const MessageContent& c, const std::string& metadata) {
  q.bind_text(first, c.content_type)
      .bind_blob(first + 1, std::string_view(c.body))
      .bind_text(first + 2, c.performative)
      .bind_text(first + 3, c.conversation_id)
      .bind_text(first + 4, c.reply_with)
      .bind_text(first + 5, c.in_reply_to)
      .bind_text(first + 6, c.protocol)
      .bind_blob(first + 7, std::string_view(metadata));
}

// Reads the eight content columns starting at column `first`.
Result<MessageContent> content_columns(const Query& q, int first) {
  MessageContent c;
  c.content_type = q.text(first);
  const auto body = q.blob(first + 1);
  c.body.assign(reinterpret_cast<const char*>(body.data()), body.size());
  c.performative = q.text(first + 2);
  c.conversation_id = q.text(first + 3);
  c.reply_with = q.text(first + 4);
  c.in_reply_to = q.text(first + 5);
  c.protocol = q.text(first + 6);
  auto md = decode_metadata(q.blob(first + 7));
  if (!md) return md.error();
  c.metadata = std::move(*md);
  return c;
}

Result<DeadLetterRecord> dead_letter_row(const Query& q) {
  DeadLetterRecord r;
  r.id = q.int64(0);
  auto rid = id_column<RequestId>(q, 1);
  auto sender = id_column<AgentId>(q, 2);
  auto recipient = id_column<AgentId>(q, 3);
  if (!rid || !sender || !recipient) return error::corrupt;
  r.request_id = *rid;
  r.sender = *sender;
  r.recipient = *recipient;
  r.created_ms = q.int64(4);
  auto c = content_columns(q, 5);
  if (!c) return c.error();
  r.content = std::move(*c);
  r.reason = q.text(13);
  r.attempts = static_cast<std::uint32_t>(q.int64(14));
  r.time_ms = q.int64(15);
  return r;
}

Result<OutboxRecord> outbox_row(const Query& q) {
  OutboxRecord r;
  auto rid = id_column<RequestId>(q, 0);
  auto sender = id_column<AgentId>(q, 1);
  auto recipient = id_column<AgentId>(q, 2);
  if (!rid || !sender || !recipient) return error::corrupt;
  r.request_id = *rid;
  r.sender = *sender;
  r.recipient = *recipient;
  r.created_ms = q.int64(3);
  r.expires_ms = q.int64(4);
  auto c = content_columns(q, 5);
  if (!c) return c.error();
  r.content = std::move(*c);
  r.attempts = static_cast<std::uint32_t>(q.int64(13));
  r.next_attempt_ms = q.int64(14);
  r.last_error = q.text(15);
  const auto state = q.int64(16);
  if (state < 0 || state > static_cast<std::int64_t>(OutboxState::expired)) return error::corrupt;
  r.state = static_cast<OutboxState>(state);
  r.sign = (q.int64(17) & 1) != 0;
  r.keyed = (q.int64(17) & 2) != 0;
  r.seq = Seq{static_cast<std::uint64_t>(q.int64(18))};
  r.path = q.text(19);
  const auto digest = q.blob(20);
  if (!digest.empty()) {
    if (digest.size() != r.digest.size()) return error::corrupt;
    std::copy(digest.begin(), digest.end(), r.digest.begin());
  }
  r.keep_until_ms = q.int64(21);
  return r;
}

class SqliteStore final : public Store {
 public:
  SqliteStore(std::filesystem::path path, Db db) : path_(std::move(path)), db_(std::move(db)) {}

  Result<std::unique_ptr<Store>> open_reader() override {
    auto db = Db::open(path_.string());
    if (!db) return db.error();
    return std::unique_ptr<Store>(new SqliteStore(path_, std::move(*db)));
  }

  // Transaction control runs once or twice per job: cached statements, not
  // sqlite3_exec (which would parse the SQL every time).
  Result<void> begin() override { return query(kBegin).exec(); }
  Result<void> commit() override { return query(kCommit).exec(); }
  void rollback() override { (void)query(kRollback).exec(); }
  Result<void> savepoint() override { return query(kSavepoint).exec(); }
  Result<void> release_savepoint() override { return query(kRelease).exec(); }
  void rollback_to_savepoint() override {
    (void)query(kRollbackTo).exec();
    (void)query(kRelease).exec();
  }

  Result<void> insert_agent(const AgentRecord& a) override {
    const auto caps = encode_string_list(a.capabilities);
    {
      auto q = query(kInsertAgent);
      q.bind_blob(1, a.id.span())
          .bind_text(2, a.name)
          .bind_text(3, a.display_name)
          .bind_blob(4, std::string_view(caps))
          .bind(5, static_cast<std::int64_t>(a.state))
          .bind_blob(6, a.token_hash)
          .bind(7, a.created_ms);
      if (auto r = q.exec(); !r) return r;
    }
    auto q = query(kInsertCursor);
    q.bind_blob(1, a.id.span());
    return q.exec();
  }

  Result<void> update_agent(const AgentRecord& a) override {
    const auto caps = encode_string_list(a.capabilities);
    auto q = query(kUpdateAgent);
    q.bind_blob(1, a.id.span())
        .bind_text(2, a.name)
        .bind_text(3, a.display_name)
        .bind_blob(4, std::string_view(caps))
        .bind(5, static_cast<std::int64_t>(a.state))
        .bind_blob(6, a.token_hash);
    if (auto r = q.exec(); !r) return r;
    if (db_.changes() == 0) return error::not_found;
    return {};
  }

  Result<void> delete_agent(const AgentId& id) override {
    {
      auto q = query(kDeleteAgent);
      q.bind_blob(1, id.span());
      if (auto r = q.exec(); !r) return r;
      if (db_.changes() == 0) return error::not_found;
    }
    for (const char* sql : {kDeleteCursor, kDeleteInbox, kDeleteAgentSubscriptions, kDeleteAgentBlocks}) {
      auto q = query(sql);
      q.bind_blob(1, id.span());
      if (auto r = q.exec(); !r) return r;
    }
    return {};
  }

  Result<std::vector<AgentRecord>> list_agents() override {
    auto q = query(kListAgents);
    std::vector<AgentRecord> out;
    int rc;
    while ((rc = q.step()) == SQLITE_ROW) {
      AgentRecord a;
      auto id = id_column<AgentId>(q, 0);
      if (!id) return id.error();
      a.id = *id;
      a.name = q.text(1);
      a.display_name = q.text(2);
      auto caps = decode_string_list(q.blob(3));
      if (!caps) return caps.error();
      a.capabilities = std::move(*caps);
      const auto state = q.int64(4);
      if (state < 0 || state > 2) return error::corrupt;
      a.state = static_cast<AgentState>(state);
      const auto hash = q.blob(5);
      if (hash.size() != a.token_hash.size()) return error::corrupt;
      std::copy(hash.begin(), hash.end(), a.token_hash.begin());
      a.created_ms = q.int64(6);
      out.push_back(std::move(a));
    }
    if (rc != SQLITE_DONE) return sqlite::map_error(rc);
    return out;
  }

  Result<Seq> append_inbox(InboxRecord& r) override {
    {
      auto q = query(kBumpSeq);
      q.bind_blob(1, r.agent.span());
      const int rc = q.step();
      if (rc == SQLITE_DONE) return error::not_found;
      if (rc != SQLITE_ROW) return sqlite::map_error(rc);
      r.seq = Seq{static_cast<std::uint64_t>(q.int64(0))};
      if (auto done = q.exec(); !done) return done.error();
    }
    const auto md = encode_metadata(r.content.metadata);
    auto q = query(kInsertInbox);
    q.bind_blob(1, r.agent.span())
        .bind(2, static_cast<std::int64_t>(r.seq.value))
        .bind_blob(3, r.sender.span())
        .bind_blob(4, r.request_id.span())
        .bind(5, r.received_ms);
    bind_content(q, 6, r.content, md);
    if (auto e = q.exec(); !e) return e.error();
    return r.seq;
  }

  Result<InboxCursor> ack_inbox(const AgentId& agent, Seq up_to) override {
    auto cur = inbox_cursor(agent);
    if (!cur) return cur;
    if (up_to > cur->last) return error::beyond_last;
    if (up_to <= cur->acked) return cur;
    auto q = query(kSetAcked);
    q.bind(1, static_cast<std::int64_t>(up_to.value)).bind_blob(2, agent.span());
    if (auto r = q.exec(); !r) return r.error();
    cur->acked = up_to;
    return cur;
  }

  Result<InboxCursor> inbox_cursor(const AgentId& agent) override {
    auto q = query(kGetCursor);
    q.bind_blob(1, agent.span());
    const int rc = q.step();
    if (rc == SQLITE_DONE) return error::not_found;
    if (rc != SQLITE_ROW) return sqlite::map_error(rc);
    return InboxCursor{Seq{static_cast<std::uint64_t>(q.int64(0))}, Seq{static_cast<std::uint64_t>(q.int64(1))}};
  }

  Result<std::vector<InboxRecord>> read_inbox(const AgentId& agent, Seq after, std::size_t limit) override {
    if (auto cur = inbox_cursor(agent); !cur) return cur.error();
    auto q = query(kReadInbox);
    q.bind_blob(1, agent.span())
        .bind(2, static_cast<std::int64_t>(after.value))
        .bind(3, static_cast<std::int64_t>(limit));
    std::vector<InboxRecord> out;
    int rc;
    while ((rc = q.step()) == SQLITE_ROW) {
      InboxRecord r;
      r.agent = agent;
      r.seq = Seq{static_cast<std::uint64_t>(q.int64(0))};
      auto sender = id_column<AgentId>(q, 1);
      auto rid = id_column<RequestId>(q, 2);
      if (!sender || !rid) return error::corrupt;
      r.sender = *sender;
      r.request_id = *rid;
      r.received_ms = q.int64(3);
      auto c = content_columns(q, 4);
      if (!c) return c.error();
      r.content = std::move(*c);
      out.push_back(std::move(r));
    }
    if (rc != SQLITE_DONE) return sqlite::map_error(rc);
    return out;
  }

  Result<std::size_t> prune_acked_inbox(UnixMs received_before) override {
    auto q = query(kPruneInbox);
    q.bind(1, received_before);
    if (auto r = q.exec(); !r) return r.error();
    return static_cast<std::size_t>(db_.changes());
  }

  Result<std::optional<DedupRecord>> find_dedup(const AgentId& sender, const RequestId& request_id) override {
    auto q = query(kFindDedup);
    q.bind_blob(1, sender.span()).bind_blob(2, request_id.span());
    const int rc = q.step();
    if (rc == SQLITE_DONE) return std::optional<DedupRecord>{};
    if (rc != SQLITE_ROW) return sqlite::map_error(rc);
    DedupRecord d;
    d.sender = sender;
    d.request_id = request_id;
    const auto outcome = q.int64(0);
    if (outcome < 0 || outcome > 1) return error::corrupt;
    d.outcome = static_cast<Outcome>(outcome);
    auto recipient = id_column<AgentId>(q, 1);
    if (!recipient) return recipient.error();
    d.recipient = *recipient;
    d.seq = Seq{static_cast<std::uint64_t>(q.int64(2))};
    d.reason = q.text(3);
    const auto digest = q.blob(4);
    if (digest.size() != d.body_digest.size()) return error::corrupt;
    std::copy(digest.begin(), digest.end(), d.body_digest.begin());
    d.expires_ms = q.int64(5);
    return std::optional<DedupRecord>{std::move(d)};
  }

  Result<void> put_dedup(const DedupRecord& d) override {
    auto q = query(kPutDedup);
    q.bind_blob(1, d.sender.span())
        .bind_blob(2, d.request_id.span())
        .bind(3, static_cast<std::int64_t>(d.outcome))
        .bind_blob(4, d.recipient.span())
        .bind(5, static_cast<std::int64_t>(d.seq.value))
        .bind_text(6, d.reason)
        .bind_blob(7, d.body_digest)
        .bind(8, d.expires_ms);
    return q.exec();
  }

  Result<std::size_t> purge_dedup(UnixMs now) override {
    auto q = query(kPurgeDedup);
    q.bind(1, now);
    if (auto r = q.exec(); !r) return r.error();
    return static_cast<std::size_t>(db_.changes());
  }

  Result<std::int64_t> add_dead_letter(DeadLetterRecord& r) override {
    const auto md = encode_metadata(r.content.metadata);
    auto q = query(kAddDeadLetter);
    q.bind_blob(1, r.request_id.span())
        .bind_blob(2, r.sender.span())
        .bind_blob(3, r.recipient.span())
        .bind(4, r.created_ms);
    bind_content(q, 5, r.content, md);
    q.bind_text(13, r.reason).bind(14, r.attempts).bind(15, r.time_ms);
    if (auto e = q.exec(); !e) return e.error();
    r.id = db_.last_insert_rowid();
    return r.id;
  }

  Result<std::vector<DeadLetterRecord>> list_dead_letters(std::int64_t after_id, std::size_t limit) override {
    auto q = query(kListDeadLetters);
    q.bind(1, after_id).bind(2, static_cast<std::int64_t>(limit));
    std::vector<DeadLetterRecord> out;
    int rc;
    while ((rc = q.step()) == SQLITE_ROW) {
      auto r = dead_letter_row(q);
      if (!r) return r.error();
      out.push_back(std::move(*r));
    }
    if (rc != SQLITE_DONE) return sqlite::map_error(rc);
    return out;
  }

  Result<std::optional<DeadLetterRecord>> get_dead_letter(std::int64_t id) override {
    auto q = query(kGetDeadLetter);
    q.bind(1, id);
    const int rc = q.step();
    if (rc == SQLITE_DONE) return std::optional<DeadLetterRecord>{};
    if (rc != SQLITE_ROW) return sqlite::map_error(rc);
    auto r = dead_letter_row(q);
    if (!r) return r.error();
    return std::optional<DeadLetterRecord>{std::move(*r)};
  }

  Result<void> delete_dead_letter(std::int64_t id) override {
    auto q = query(kDeleteDeadLetter);
    q.bind(1, id);
    if (auto r = q.exec(); !r) return r;
    if (db_.changes() == 0) return error::not_found;
    return {};
  }

  Result<void> put_outbox(const OutboxRecord& r) override {
    const auto md = encode_metadata(r.content.metadata);
    auto q = query(kPutOutbox);
    q.bind_blob(1, r.request_id.span())
        .bind_blob(2, r.sender.span())
        .bind_blob(3, r.recipient.span())
        .bind(4, r.created_ms)
        .bind(5, r.expires_ms);
    bind_content(q, 6, r.content, md);
    q.bind(14, r.attempts).bind(15, r.next_attempt_ms).bind_text(16, r.last_error);
    q.bind(17, static_cast<std::int64_t>(r.state))
        .bind(18, std::int64_t{(r.sign ? 1 : 0) | (r.keyed ? 2 : 0)})
        .bind(19, static_cast<std::int64_t>(r.seq.value))
        .bind_text(20, r.path)
        .bind_blob(21, std::span<const std::uint8_t>(r.digest))
        .bind(22, r.keep_until_ms);
    return q.exec();
  }

  Result<std::optional<OutboxRecord>> get_outbox(const RequestId& request_id) override {
    auto q = query(kGetOutbox);
    q.bind_blob(1, request_id.span());
    const int rc = q.step();
    if (rc == SQLITE_DONE) return std::optional<OutboxRecord>{};
    if (rc != SQLITE_ROW) return sqlite::map_error(rc);
    auto r = outbox_row(q);
    if (!r) return r.error();
    return std::optional<OutboxRecord>{std::move(*r)};
  }

  Result<void> finish_outbox(const OutboxRecord& r) override {
    static const std::string kNoMetadata = encode_metadata({});
    auto q = query(kFinishOutbox);
    q.bind(1, static_cast<std::int64_t>(r.state))
        .bind(2, static_cast<std::int64_t>(r.seq.value))
        .bind_text(3, r.path)
        .bind_text(4, r.last_error)
        .bind(5, static_cast<std::int64_t>(r.attempts))
        .bind(6, r.keep_until_ms)
        .bind_blob(7, std::string_view(kNoMetadata))
        .bind_blob(8, r.request_id.span());
    if (auto res = q.exec(); !res) return res;
    if (db_.changes() > 0) return {};
    OutboxRecord cleared = r;
    cleared.content = {};
    return put_outbox(cleared);
  }

  Result<void> delete_outbox(const RequestId& request_id) override {
    auto q = query(kDeleteOutbox);
    q.bind_blob(1, request_id.span());
    if (auto r = q.exec(); !r) return r;
    if (db_.changes() == 0) return error::not_found;
    return {};
  }

  Result<std::vector<OutboxRecord>> list_outbox(std::size_t limit) override {
    auto q = query(kListOutbox);
    q.bind(1, static_cast<std::int64_t>(limit));
    std::vector<OutboxRecord> out;
    int rc;
    while ((rc = q.step()) == SQLITE_ROW) {
      auto r = outbox_row(q);
      if (!r) return r.error();
      out.push_back(std::move(*r));
    }
    if (rc != SQLITE_DONE) return sqlite::map_error(rc);
    return out;
  }

  Result<std::size_t> purge_outbox(UnixMs now) override {
    auto q = query(kPurgeOutbox);
    q.bind(1, now);
    if (auto r = q.exec(); !r) return r.error();
    return static_cast<std::size_t>(db_.changes());
  }

  // Addresses are stored newline-separated (multiaddr text has no newline).
  Result<void> put_peer(const PeerRecord& r, std::size_t keep) override {
    std::string addrs;
    for (const auto& a : r.addrs) {
      if (!addrs.empty()) addrs.push_back('\n');
      addrs += a;
    }
    auto q = query(kPutPeer);
    q.bind_text(1, r.peer_id).bind_text(2, addrs).bind(3, r.last_seen_ms);
    if (auto e = q.exec(); !e) return e;
    auto t = query(kTrimPeers);
    t.bind(1, static_cast<std::int64_t>(keep));
    return t.exec();
  }

  Result<void> delete_peer(const std::string& peer_id) override {
    auto q = query(kDeletePeer);
    q.bind_text(1, peer_id);
    return q.exec();
  }

  Result<std::vector<PeerRecord>> list_peers(std::size_t limit) override {
    auto q = query(kListPeers);
    q.bind(1, static_cast<std::int64_t>(limit));
    std::vector<PeerRecord> out;
    int rc;
    while ((rc = q.step()) == SQLITE_ROW) {
      PeerRecord r;
      r.peer_id = q.text(0);
      const auto addrs = q.text(1);
      std::size_t start = 0;
      while (start < addrs.size()) {
        auto end = addrs.find('\n', start);
        if (end == std::string::npos) end = addrs.size();
        if (end > start) r.addrs.push_back(addrs.substr(start, end - start));
        start = end + 1;
      }
      r.last_seen_ms = q.int64(2);
      out.push_back(std::move(r));
    }
    if (rc != SQLITE_DONE) return sqlite::map_error(rc);
    return out;
  }

  Result<void> put_block(const AgentId& agent, const AgentId& sender, UnixMs created_ms) override {
    auto exists = query(kAgentExists);
    exists.bind_blob(1, agent.span());
    if (const int rc = exists.step(); rc != SQLITE_ROW) return rc == SQLITE_DONE ? error::not_found : sqlite::map_error(rc);
    auto dup = query(kBlockExists);
    dup.bind_blob(1, agent.span()).bind_blob(2, sender.span());
    if (const int rc = dup.step(); rc != SQLITE_DONE) return rc == SQLITE_ROW ? error::conflict : sqlite::map_error(rc);
    auto q = query(kPutBlock);
    q.bind_blob(1, agent.span()).bind_blob(2, sender.span()).bind(3, created_ms);
    return q.exec();
  }

  Result<void> delete_block(const AgentId& agent, const AgentId& sender) override {
    auto q = query(kDeleteBlock);
    q.bind_blob(1, agent.span()).bind_blob(2, sender.span());
    if (auto r = q.exec(); !r) return r;
    if (db_.changes() == 0) return error::not_found;
    return {};
  }

  Result<std::vector<std::pair<AgentId, AgentId>>> list_blocks() override {
    auto q = query(kListBlocks);
    std::vector<std::pair<AgentId, AgentId>> out;
    int rc;
    while ((rc = q.step()) == SQLITE_ROW) {
      auto agent = id_column<AgentId>(q, 0);
      auto sender = id_column<AgentId>(q, 1);
      if (!agent || !sender) return error::corrupt;
      out.emplace_back(*agent, *sender);
    }
    if (rc != SQLITE_DONE) return sqlite::map_error(rc);
    return out;
  }

  Result<void> put_directory(const DirectoryRecord& r) override {
    auto q = query(kPutDirectory);
    q.bind_blob(1, r.agent.span())
        .bind_blob(2, std::string_view(r.advert))
        .bind(3, r.last_seen_ms)
        .bind(4, r.expires_ms);
    return q.exec();
  }

  Result<std::size_t> purge_directory(UnixMs expired_before) override {
    auto q = query(kPurgeDirectory);
    q.bind(1, expired_before);
    if (auto r = q.exec(); !r) return r.error();
    return static_cast<std::size_t>(db_.changes());
  }

  Result<std::vector<DirectoryRecord>> list_directory(std::size_t limit) override {
    auto q = query(kListDirectory);
    q.bind(1, static_cast<std::int64_t>(limit));
    std::vector<DirectoryRecord> out;
    int rc;
    while ((rc = q.step()) == SQLITE_ROW) {
      auto agent = id_column<AgentId>(q, 0);
      if (!agent) return error::corrupt;
      DirectoryRecord r;
      r.agent = *agent;
      const auto blob = q.blob(1);
      r.advert.assign(reinterpret_cast<const char*>(blob.data()), blob.size());
      r.last_seen_ms = q.int64(2);
      r.expires_ms = q.int64(3);
      out.push_back(std::move(r));
    }
    if (rc != SQLITE_DONE) return sqlite::map_error(rc);
    return out;
  }

  Result<void> put_subscription(const AgentId& agent, const std::string& topic, UnixMs created_ms) override {
    auto exists = query(kAgentExists);
    exists.bind_blob(1, agent.span());
    const int rc = exists.step();
    if (rc == SQLITE_DONE) return error::not_found;
    if (rc != SQLITE_ROW) return sqlite::map_error(rc);
    auto q = query(kPutSubscription);
    q.bind_blob(1, agent.span()).bind_text(2, topic).bind(3, created_ms);
    return q.exec();
  }

  Result<void> delete_subscription(const AgentId& agent, const std::string& topic) override {
    auto q = query(kDeleteSubscription);
    q.bind_blob(1, agent.span()).bind_text(2, topic);
    if (auto r = q.exec(); !r) return r;
    if (db_.changes() == 0) return error::not_found;
    return {};
  }

  Result<std::vector<Subscription>> list_subscriptions() override {
    auto q = query(kListSubscriptions);
    std::vector<Subscription> out;
    int rc;
    while ((rc = q.step()) == SQLITE_ROW) {
      auto agent = id_column<AgentId>(q, 0);
      if (!agent) return error::corrupt;
      out.push_back({*agent, q.text(1), q.int64(2)});
    }
    if (rc != SQLITE_DONE) return sqlite::map_error(rc);
    return out;
  }

 private:
  Query query(const char* sql) { return db_.query(sql); }

  std::filesystem::path path_;
  Db db_;
};

}  // namespace

Result<std::unique_ptr<Store>> open_sqlite_store(const std::filesystem::path& path) {
  auto db = sqlite::Db::open(path.string());
  if (!db) return db.error();
  if (auto r = sqlite::migrate(*db); !r) return r.error();
  return std::unique_ptr<Store>(new SqliteStore(path, std::move(*db)));
}

std::size_t sqlite_schema_version() { return sqlite::schema_version_count(); }

}  // namespace agentmesh::store
