#include "store/sqlite/sqlite_store.hpp"

#include "store/record_codec.hpp"
#include "store/sqlite/sqlite_store_impl.hpp"

namespace agentmesh::store {
namespace sqlite {
std::size_t schema_version_count();

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

Result<std::unique_ptr<Store>> SqliteStore::open_reader() {
  auto db = Db::open(path_.string());
  if (!db) return db.error();
  return std::unique_ptr<Store>(new sqlite::SqliteStore(path_, std::move(*db)));
}

void SqliteStore::rollback_to_savepoint() {
  (void)query(kRollbackTo).exec();
  (void)query(kRelease).exec();
}

Result<void> SqliteStore::insert_agent(const AgentRecord& a) {
  const auto caps = encode_string_list(a.capabilities);
  {
    auto q = query(kInsertAgent);
    q.bind_blob(1, a.id.span())
        .bind_text(2, a.name)
        .bind_text(3, a.display_name)
        .bind_blob(4, std::string_view(caps))
        .bind(5, static_cast<std::int64_t>(a.state))
        .bind_blob(6, a.token_hash)
        .bind(7, a.created_ms)
        .bind_blob(8, std::string_view(a.a2a));
    if (auto r = q.exec(); !r) return r;
  }
  auto q = query(kInsertCursor);
  q.bind_blob(1, a.id.span());
  return q.exec();
}

Result<void> SqliteStore::update_agent(const AgentRecord& a) {
  const auto caps = encode_string_list(a.capabilities);
  auto q = query(kUpdateAgent);
  q.bind_blob(1, a.id.span())
      .bind_text(2, a.name)
      .bind_text(3, a.display_name)
      .bind_blob(4, std::string_view(caps))
      .bind(5, static_cast<std::int64_t>(a.state))
      .bind_blob(6, a.token_hash)
      .bind_blob(7, std::string_view(a.a2a));
  if (auto r = q.exec(); !r) return r;
  if (db_.changes() == 0) return error::not_found;
  return {};
}

Result<void> SqliteStore::delete_agent(const AgentId& id) {
  {
    auto q = query(kDeleteAgent);
    q.bind_blob(1, id.span());
    if (auto r = q.exec(); !r) return r;
    if (db_.changes() == 0) return error::not_found;
  }
  for (const char* sql : {kDeleteCursor, kDeleteInbox, kDeleteAgentSubscriptions, kDeleteAgentBlocks,
                          kDeleteAgentA2aTokens, kDeleteAgentConversationMessages, kDeleteAgentParticipants,
                          kDeleteAgentConversations, kDeleteAgentConversationCount}) {
    auto q = query(sql);
    q.bind_blob(1, id.span());
    if (auto r = q.exec(); !r) return r;
  }
  return {};
}

Result<std::vector<AgentRecord>> SqliteStore::list_agents() {
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
    const auto profile = q.blob(7);
    a.a2a.assign(profile.begin(), profile.end());
    out.push_back(std::move(a));
  }
  if (rc != SQLITE_DONE) return sqlite::map_error(rc);
  return out;
}

Result<Seq> SqliteStore::append_inbox(InboxRecord& r) {
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

Result<InboxCursor> SqliteStore::ack_inbox(const AgentId& agent, Seq up_to) {
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

Result<InboxCursor> SqliteStore::inbox_cursor(const AgentId& agent) {
  auto q = query(kGetCursor);
  q.bind_blob(1, agent.span());
  const int rc = q.step();
  if (rc == SQLITE_DONE) return error::not_found;
  if (rc != SQLITE_ROW) return sqlite::map_error(rc);
  return InboxCursor{Seq{static_cast<std::uint64_t>(q.int64(0))}, Seq{static_cast<std::uint64_t>(q.int64(1))}};
}

Result<std::vector<InboxRecord>> SqliteStore::read_inbox(const AgentId& agent, Seq after, std::size_t limit) {
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

Result<std::size_t> SqliteStore::prune_acked_inbox(UnixMs received_before) {
  auto q = query(kPruneInbox);
  q.bind(1, received_before);
  if (auto r = q.exec(); !r) return r.error();
  return static_cast<std::size_t>(db_.changes());
}

Result<std::optional<DedupRecord>> SqliteStore::find_dedup(const AgentId& sender, const RequestId& request_id) {
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

Result<void> SqliteStore::put_dedup(const DedupRecord& d) {
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

Result<std::size_t> SqliteStore::purge_dedup(UnixMs now) {
  auto q = query(kPurgeDedup);
  q.bind(1, now);
  if (auto r = q.exec(); !r) return r.error();
  return static_cast<std::size_t>(db_.changes());
}

Result<std::int64_t> SqliteStore::add_dead_letter(DeadLetterRecord& r) {
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

Result<std::vector<DeadLetterRecord>> SqliteStore::list_dead_letters(std::int64_t after_id, std::size_t limit) {
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

Result<std::optional<DeadLetterRecord>> SqliteStore::get_dead_letter(std::int64_t id) {
  auto q = query(kGetDeadLetter);
  q.bind(1, id);
  const int rc = q.step();
  if (rc == SQLITE_DONE) return std::optional<DeadLetterRecord>{};
  if (rc != SQLITE_ROW) return sqlite::map_error(rc);
  auto r = dead_letter_row(q);
  if (!r) return r.error();
  return std::optional<DeadLetterRecord>{std::move(*r)};
}

Result<void> SqliteStore::delete_dead_letter(std::int64_t id) {
  auto q = query(kDeleteDeadLetter);
  q.bind(1, id);
  if (auto r = q.exec(); !r) return r;
  if (db_.changes() == 0) return error::not_found;
  return {};
}

}  // namespace sqlite

Result<std::unique_ptr<Store>> open_sqlite_store(const std::filesystem::path& path) {
  auto db = sqlite::Db::open(path.string());
  if (!db) return db.error();
  if (auto r = sqlite::migrate(*db); !r) return r.error();
  return std::unique_ptr<Store>(new sqlite::SqliteStore(path, std::move(*db)));
}

std::size_t sqlite_schema_version() { return sqlite::schema_version_count(); }

}  // namespace agentmesh::store
