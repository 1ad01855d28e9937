// The SQLite backend: conversation views and the messages they keep
// (migration 9).

#include "store/record_codec.hpp"
#include "store/sqlite/sqlite_store_impl.hpp"

namespace agentmesh::store::sqlite {

namespace {

constexpr const char* kGetConversation =
    "SELECT agent, id, protocol, messages, first_ms, last_ms FROM conversations WHERE agent = ?1 AND id = ?2";
// last_minute (last_ms / 60000) is what the indexes hold: a message sets it
// only when the minute changes, as SQLite rewrites an index entry whenever
// its column is assigned (migration 12).
constexpr const char* kInsertConversation =
    "INSERT INTO conversations(agent, id, protocol, messages, first_ms, last_ms, last_minute) "
    "VALUES(?1, ?2, ?3, 1, ?4, ?4, ?4 / 60000)";
// A message in an existing view: one seek counts it and returns what the
// rest of the step needs (the new count, the rowid, the stored minute).
constexpr const char* kTouchConversation =
    "UPDATE conversations SET messages = messages + 1, last_ms = max(last_ms, ?3), "
    "protocol = CASE WHEN protocol = '' THEN ?4 ELSE protocol END WHERE agent = ?1 AND id = ?2 "
    "RETURNING messages, rowid, last_minute";
constexpr const char* kTouchLastMinute = "UPDATE conversations SET last_minute = ?2 / 60000 WHERE rowid = ?1";
// An agent's number of views, kept rather than counted (migration 12).
constexpr const char* kCountNewView =
    "INSERT INTO conversation_counts(agent, views) VALUES(?1, 1) "
    "ON CONFLICT(agent) DO UPDATE SET views = views + 1 RETURNING views";
constexpr const char* kCountDroppedView = "UPDATE conversation_counts SET views = views - 1 WHERE agent = ?1";
constexpr const char* kLeastRecent =
    "SELECT id FROM conversations WHERE agent = ?1 AND id != ?2 ORDER BY last_minute, last_ms, id LIMIT 1";
constexpr const char* kAddParticipant =
    "INSERT OR IGNORE INTO conversation_participants(agent, conversation, participant) VALUES(?1, ?2, ?3)";
constexpr const char* kParticipants =
    "SELECT participant FROM conversation_participants WHERE agent = ?1 AND conversation = ?2 ORDER BY participant";
constexpr const char* kInsertMessage =
    "INSERT INTO conversation_messages(agent, conversation, idx, sent, peer, request_id, seq, time_ms, content_type, "
    "body, performative, conversation_id, reply_with, in_reply_to, protocol, metadata, view) "
    "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)";
constexpr const char* kTrimMessages = "DELETE FROM conversation_messages WHERE view = ?1 AND idx <= ?2";
#define AGENTMESH_VIEW "(SELECT rowid FROM conversations WHERE agent = ?1 AND id = ?2)"
#define AGENTMESH_MESSAGE_COLUMNS                                                                             \
  "SELECT agent, conversation, idx, sent, peer, request_id, seq, time_ms, content_type, body, performative, " \
  "conversation_id, reply_with, in_reply_to, protocol, metadata FROM conversation_messages "
constexpr const char* kListMessages =
    AGENTMESH_MESSAGE_COLUMNS "WHERE view = " AGENTMESH_VIEW " AND idx > ?3 ORDER BY idx LIMIT ?4";
constexpr const char* kFindByReplyWith = AGENTMESH_MESSAGE_COLUMNS
    "WHERE agent = ?1 AND sent = 0 AND reply_with = ?2 AND reply_with != '' ORDER BY time_ms DESC LIMIT 1";
constexpr const char* kFindByRequest =
    AGENTMESH_MESSAGE_COLUMNS "WHERE agent = ?1 AND sent = 0 AND request_id = ?2 ORDER BY time_ms DESC LIMIT 1";
#undef AGENTMESH_MESSAGE_COLUMNS
// ?1 agent, ?2 state (0 any, 1 active, 2 expired), ?3 active_since, ?4 after, ?5 limit.
constexpr const char* kListConversations =
    "SELECT agent, id, protocol, messages, first_ms, last_ms FROM conversations WHERE agent = ?1 "
    "AND (?2 = 0 OR (?2 = 1 AND last_ms >= ?3) OR (?2 = 2 AND last_ms < ?3)) AND id > ?4 ORDER BY id LIMIT ?5";
constexpr const char* kIdleConversations =
    "SELECT agent, id FROM conversations WHERE last_minute <= ?1 / 60000 AND last_ms < ?1";
constexpr const char* kDeleteConversation = "DELETE FROM conversations WHERE agent = ?1 AND id = ?2";
constexpr const char* kDeleteParticipants =
    "DELETE FROM conversation_participants WHERE agent = ?1 AND conversation = ?2";
constexpr const char* kDeleteMessages = "DELETE FROM conversation_messages WHERE view = " AGENTMESH_VIEW;
#undef AGENTMESH_VIEW
constexpr const char* kIdleBetween =
    "SELECT messages, last_ms - first_ms FROM conversations "
    "WHERE last_minute BETWEEN ?1 / 60000 AND ?2 / 60000 AND last_ms >= ?1 AND last_ms < ?2";
constexpr const char* kTotals =
    "SELECT count(*), coalesce(sum(last_ms >= ?1), 0), coalesce(sum(messages), 0), "
    "coalesce(sum(last_ms - first_ms), 0) FROM conversations";

// Result<bool> from an error: explicit, as bool would also take an error code.
Result<bool> failed(error_code ec) { return Result<bool>(boost::system::in_place_error, ec); }

Result<ConversationRecord> conversation_row(const Query& q) {
  auto agent = id_column<AgentId>(q, 0);
  if (!agent) return error::corrupt;
  ConversationRecord r;
  r.agent = *agent;
  r.id = q.text(1);
  r.protocol = q.text(2);
  r.messages = static_cast<std::uint64_t>(q.int64(3));
  r.first_ms = q.int64(4);
  r.last_ms = q.int64(5);
  return r;
}

Result<ConversationMessage> message_row(const Query& q) {
  auto agent = id_column<AgentId>(q, 0);
  auto peer = id_column<AgentId>(q, 4);
  auto request = id_column<RequestId>(q, 5);
  if (!agent || !peer || !request) return error::corrupt;
  auto content = content_columns(q, 8);
  if (!content) return content.error();
  ConversationMessage m;
  m.agent = *agent;
  m.conversation = q.text(1);
  m.index = static_cast<std::uint64_t>(q.int64(2));
  m.sent = q.int64(3) != 0;
  m.peer = *peer;
  m.request_id = *request;
  m.seq = Seq{static_cast<std::uint64_t>(q.int64(6))};
  m.time_ms = q.int64(7);
  m.content = std::move(*content);
  return m;
}

Result<std::optional<ConversationMessage>> one_message(Query& q) {
  const int rc = q.step();
  if (rc == SQLITE_DONE) return std::optional<ConversationMessage>{};
  if (rc != SQLITE_ROW) return sqlite::map_error(rc);
  auto m = message_row(q);
  if (!m) return m.error();
  return std::optional<ConversationMessage>{std::move(*m)};
}

}  // namespace

Result<std::vector<AgentId>> SqliteStore::participants(const AgentId& agent, const std::string& id) {
  auto q = query(kParticipants);
  q.bind_blob(1, agent.span()).bind_text(2, id);
  std::vector<AgentId> out;
  int rc;
  while ((rc = q.step()) == SQLITE_ROW) {
    auto p = id_column<AgentId>(q, 0);
    if (!p) return p.error();
    out.push_back(*p);
  }
  if (rc != SQLITE_DONE) return sqlite::map_error(rc);
  return out;
}

Result<void> SqliteStore::drop_conversation(const AgentId& agent, const std::string& id) {
  for (const char* sql : {kDeleteMessages, kDeleteParticipants, kDeleteConversation}) {
    auto q = query(sql);
    q.bind_blob(1, agent.span()).bind_text(2, id);
    if (auto r = q.exec(); !r) return r.error();
  }
  if (db_.changes() == 0) return {};  // there was no such view
  auto count = query(kCountDroppedView);
  count.bind_blob(1, agent.span());
  return count.exec();
}

Result<bool> SqliteStore::note_conversation(ConversationMessage& m, const ConversationLimits& limits) {
  std::optional<std::uint64_t> messages;  // the view's count with this message, if it existed
  std::int64_t view = 0;                  // its rowid
  {
    auto q = query(kTouchConversation);
    q.bind_blob(1, m.agent.span()).bind_text(2, m.conversation).bind(3, m.time_ms).bind_text(4, m.content.protocol);
    int rc = q.step();
    if (rc == SQLITE_ROW) {
      messages = static_cast<std::uint64_t>(q.int64(0));
      view = q.int64(1);
      const bool new_minute = q.int64(2) < m.time_ms / 60000;
      rc = q.step();
      if (rc == SQLITE_DONE && new_minute) {
        auto minute = query(kTouchLastMinute);
        minute.bind(1, view).bind(2, m.time_ms);
        if (auto r = minute.exec(); !r) return failed(r.error());
      }
    }
    if (rc != SQLITE_DONE) return failed(sqlite::map_error(rc));
  }
  const bool created = !messages;
  if (created) {
    auto q = query(kInsertConversation);
    q.bind_blob(1, m.agent.span()).bind_text(2, m.conversation).bind_text(3, m.content.protocol).bind(4, m.time_ms);
    if (auto r = q.exec(); !r) return failed(r.error());
    view = db_.last_insert_rowid();
    m.index = 1;
    // Over the per-agent bound: the least recently active view goes.
    std::size_t views = 0;
    {
      auto count = query(kCountNewView);
      count.bind_blob(1, m.agent.span());
      const int rc = count.step();
      if (rc != SQLITE_ROW) return failed(sqlite::map_error(rc));
      views = static_cast<std::size_t>(count.int64(0));
      if (const int done = count.step(); done != SQLITE_DONE) return failed(sqlite::map_error(done));
    }
    for (auto n = views; n > limits.max_per_agent; --n) {
      auto oldest = query(kLeastRecent);
      oldest.bind_blob(1, m.agent.span()).bind_text(2, m.conversation);
      if (oldest.step() != SQLITE_ROW) break;
      const auto victim = oldest.text(0);
      if (auto r = drop_conversation(m.agent, victim); !r) return failed(r.error());
    }
  } else {
    m.index = *messages;
  }
  for (const auto* who : {&m.agent, &m.peer}) {
    auto q = query(kAddParticipant);
    q.bind_blob(1, m.agent.span()).bind_text(2, m.conversation).bind_blob(3, who->span());
    if (auto r = q.exec(); !r) return failed(r.error());
  }
  const auto md = encode_metadata(m.content.metadata);
  auto ins = query(kInsertMessage);
  ins.bind_blob(1, m.agent.span())
      .bind_text(2, m.conversation)
      .bind(3, static_cast<std::int64_t>(m.index))
      .bind(4, std::int64_t{m.sent ? 1 : 0})
      .bind_blob(5, m.peer.span())
      .bind_blob(6, m.request_id.span())
      .bind(7, static_cast<std::int64_t>(m.seq.value))
      .bind(8, m.time_ms);
  bind_content(ins, 9, m.content, md);
  ins.bind(17, view);
  if (auto r = ins.exec(); !r) return failed(r.error());
  if (m.index > limits.max_messages) {
    auto trim = query(kTrimMessages);
    trim.bind(1, view).bind(2, static_cast<std::int64_t>(m.index - limits.max_messages));
    if (auto r = trim.exec(); !r) return failed(r.error());
  }
  return created;
}

Result<std::optional<ConversationRecord>> SqliteStore::get_conversation(const AgentId& agent, const std::string& id) {
  auto q = query(kGetConversation);
  q.bind_blob(1, agent.span()).bind_text(2, id);
  const int rc = q.step();
  if (rc == SQLITE_DONE) return std::optional<ConversationRecord>{};
  if (rc != SQLITE_ROW) return sqlite::map_error(rc);
  auto r = conversation_row(q);
  if (!r) return r.error();
  auto who = participants(agent, id);
  if (!who) return who.error();
  r->participants = std::move(*who);
  return std::optional<ConversationRecord>{std::move(*r)};
}

Result<std::vector<ConversationRecord>> SqliteStore::list_conversations(const ConversationQuery& cq) {
  std::vector<ConversationRecord> out;
  {
    auto q = query(kListConversations);
    q.bind_blob(1, cq.agent.span())
        .bind(2, static_cast<std::int64_t>(cq.state))
        .bind(3, cq.active_since)
        .bind_text(4, cq.after)
        .bind(5, static_cast<std::int64_t>(cq.limit));
    int rc;
    while ((rc = q.step()) == SQLITE_ROW) {
      auto r = conversation_row(q);
      if (!r) return r.error();
      out.push_back(std::move(*r));
    }
    if (rc != SQLITE_DONE) return sqlite::map_error(rc);
  }
  for (auto& r : out) {
    auto who = participants(r.agent, r.id);
    if (!who) return who.error();
    r.participants = std::move(*who);
  }
  return out;
}

Result<std::vector<ConversationMessage>> SqliteStore::list_conversation_messages(const AgentId& agent,
                                                                                 const std::string& id,
                                                                                 std::uint64_t after,
                                                                                 std::size_t limit) {
  auto q = query(kListMessages);
  q.bind_blob(1, agent.span())
      .bind_text(2, id)
      .bind(3, static_cast<std::int64_t>(after))
      .bind(4, static_cast<std::int64_t>(limit));
  std::vector<ConversationMessage> out;
  int rc;
  while ((rc = q.step()) == SQLITE_ROW) {
    auto m = message_row(q);
    if (!m) return m.error();
    out.push_back(std::move(*m));
  }
  if (rc != SQLITE_DONE) return sqlite::map_error(rc);
  return out;
}

Result<std::optional<ConversationMessage>> SqliteStore::find_received(const AgentId& agent, const std::string& ref,
                                                                      const std::optional<RequestId>& id) {
  {
    auto q = query(kFindByReplyWith);
    q.bind_blob(1, agent.span()).bind_text(2, ref);
    auto found = one_message(q);
    if (!found || *found || !id) return found;
  }
  auto q = query(kFindByRequest);
  q.bind_blob(1, agent.span()).bind_blob(2, id->span());
  return one_message(q);
}

Result<std::size_t> SqliteStore::purge_conversations(UnixMs idle_before) {
  std::vector<std::pair<AgentId, std::string>> idle;
  {
    auto q = query(kIdleConversations);
    q.bind(1, idle_before);
    int rc;
    while ((rc = q.step()) == SQLITE_ROW) {
      auto agent = id_column<AgentId>(q, 0);
      if (!agent) return agent.error();
      idle.emplace_back(*agent, q.text(1));
    }
    if (rc != SQLITE_DONE) return sqlite::map_error(rc);
  }
  for (const auto& [agent, id] : idle) {
    if (auto r = drop_conversation(agent, id); !r) return r.error();
  }
  return idle.size();
}

Result<ConversationTotals> SqliteStore::conversation_totals(UnixMs active_since) {
  auto q = query(kTotals);
  q.bind(1, active_since);
  const int rc = q.step();
  if (rc != SQLITE_ROW) return sqlite::map_error(rc);
  ConversationTotals t;
  t.views = static_cast<std::uint64_t>(q.int64(0));
  t.active = static_cast<std::uint64_t>(q.int64(1));
  t.messages = static_cast<std::uint64_t>(q.int64(2));
  t.duration_ms = q.int64(3);
  return t;
}

Result<std::vector<std::pair<std::uint64_t, std::int64_t>>> SqliteStore::conversations_idle_between(UnixMs from,
                                                                                                    UnixMs to) {
  auto q = query(kIdleBetween);
  q.bind(1, from).bind(2, to);
  std::vector<std::pair<std::uint64_t, std::int64_t>> out;
  int rc;
  while ((rc = q.step()) == SQLITE_ROW) out.emplace_back(static_cast<std::uint64_t>(q.int64(0)), q.int64(1));
  if (rc != SQLITE_DONE) return sqlite::map_error(rc);
  return out;
}

}  // namespace agentmesh::store::sqlite
