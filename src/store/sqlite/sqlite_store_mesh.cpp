// The SQLite backend: the outbox, peers, block lists, the directory and
// durable subscriptions.

#include "store/record_codec.hpp"
#include "store/sqlite/sqlite_store_impl.hpp"

namespace agentmesh::store::sqlite {

Result<void> SqliteStore::put_outbox(const OutboxRecord& r) {
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

Result<std::optional<OutboxRecord>> SqliteStore::get_outbox(const RequestId& request_id) {
  auto q = query(kGetOutbox);
  q.bind_blob(1, request_id.span());
  const int rc = q.step();
  if (rc == SQLITE_DONE) return std::optional<OutboxRecord>{};
  if (rc != SQLITE_ROW) return sqlite::map_error(rc);
  auto r = outbox_row(q);
  if (!r) return r.error();
  return std::optional<OutboxRecord>{std::move(*r)};
}

Result<void> SqliteStore::finish_outbox(const OutboxRecord& r) {
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

Result<void> SqliteStore::delete_outbox(const RequestId& request_id) {
  auto q = query(kDeleteOutbox);
  q.bind_blob(1, request_id.span());
  if (auto r = q.exec(); !r) return r;
  if (db_.changes() == 0) return error::not_found;
  return {};
}

Result<std::vector<OutboxRecord>> SqliteStore::list_outbox(std::size_t limit) {
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

Result<std::size_t> SqliteStore::purge_outbox(UnixMs now) {
  auto q = query(kPurgeOutbox);
  q.bind(1, now);
  if (auto r = q.exec(); !r) return r.error();
  return static_cast<std::size_t>(db_.changes());
}

Result<void> SqliteStore::put_peer(const PeerRecord& r, std::size_t keep) {
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

Result<void> SqliteStore::delete_peer(const std::string& peer_id) {
  auto q = query(kDeletePeer);
  q.bind_text(1, peer_id);
  return q.exec();
}

Result<std::vector<PeerRecord>> SqliteStore::list_peers(std::size_t limit) {
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

Result<void> SqliteStore::put_block(const AgentId& agent, const AgentId& sender, UnixMs created_ms) {
  auto exists = query(kAgentExists);
  exists.bind_blob(1, agent.span());
  if (const int rc = exists.step(); rc != SQLITE_ROW)
    return rc == SQLITE_DONE ? error::not_found : sqlite::map_error(rc);
  auto dup = query(kBlockExists);
  dup.bind_blob(1, agent.span()).bind_blob(2, sender.span());
  if (const int rc = dup.step(); rc != SQLITE_DONE) return rc == SQLITE_ROW ? error::conflict : sqlite::map_error(rc);
  auto q = query(kPutBlock);
  q.bind_blob(1, agent.span()).bind_blob(2, sender.span()).bind(3, created_ms);
  return q.exec();
}

Result<void> SqliteStore::delete_block(const AgentId& agent, const AgentId& sender) {
  auto q = query(kDeleteBlock);
  q.bind_blob(1, agent.span()).bind_blob(2, sender.span());
  if (auto r = q.exec(); !r) return r;
  if (db_.changes() == 0) return error::not_found;
  return {};
}

Result<std::vector<std::pair<AgentId, AgentId>>> SqliteStore::list_blocks() {
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

Result<void> SqliteStore::put_directory(const DirectoryRecord& r) {
  auto q = query(kPutDirectory);
  q.bind_blob(1, r.agent.span()).bind_blob(2, std::string_view(r.advert)).bind(3, r.last_seen_ms).bind(4, r.expires_ms);
  return q.exec();
}

Result<std::size_t> SqliteStore::purge_directory(UnixMs expired_before) {
  auto q = query(kPurgeDirectory);
  q.bind(1, expired_before);
  if (auto r = q.exec(); !r) return r.error();
  return static_cast<std::size_t>(db_.changes());
}

Result<std::vector<DirectoryRecord>> SqliteStore::list_directory(std::size_t limit) {
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

Result<void> SqliteStore::put_subscription(const AgentId& agent, const std::string& topic, UnixMs created_ms) {
  auto exists = query(kAgentExists);
  exists.bind_blob(1, agent.span());
  const int rc = exists.step();
  if (rc == SQLITE_DONE) return error::not_found;
  if (rc != SQLITE_ROW) return sqlite::map_error(rc);
  auto q = query(kPutSubscription);
  q.bind_blob(1, agent.span()).bind_text(2, topic).bind(3, created_ms);
  return q.exec();
}

Result<void> SqliteStore::delete_subscription(const AgentId& agent, const std::string& topic) {
  auto q = query(kDeleteSubscription);
  q.bind_blob(1, agent.span()).bind_text(2, topic);
  if (auto r = q.exec(); !r) return r;
  if (db_.changes() == 0) return error::not_found;
  return {};
}

Result<void> SqliteStore::put_a2a_token(const A2aTokenRecord& r) {
  if (!r.remote) {
    auto exists = query(kAgentExists);
    exists.bind_blob(1, r.agent.span());
    const int rc = exists.step();
    if (rc == SQLITE_DONE) return error::not_found;
    if (rc != SQLITE_ROW) return sqlite::map_error(rc);
  }
  auto q = query(kPutA2aToken);
  q.bind_blob(1, r.id.span())
      .bind_blob(2, r.agent.span())
      .bind_text(3, r.label)
      .bind_blob(4, r.token_hash)
      .bind(5, r.created_ms)
      .bind(6, r.expires_ms);
  return q.exec();
}

Result<void> SqliteStore::delete_a2a_token(const core::TokenId& id) {
  auto q = query(kDeleteA2aToken);
  q.bind_blob(1, id.span());
  if (auto r = q.exec(); !r) return r;
  if (db_.changes() == 0) return error::not_found;
  return {};
}

Result<std::vector<A2aTokenRecord>> SqliteStore::list_a2a_tokens() {
  auto q = query(kListA2aTokens);
  std::vector<A2aTokenRecord> out;
  int rc;
  while ((rc = q.step()) == SQLITE_ROW) {
    A2aTokenRecord r;
    auto id = id_column<core::TokenId>(q, 0);
    auto agent = id_column<AgentId>(q, 1);
    const auto hash = q.blob(3);
    if (!id || !agent || hash.size() != r.token_hash.size()) return error::corrupt;
    r.id = *id;
    r.agent = *agent;
    r.label = q.text(2);
    std::copy(hash.begin(), hash.end(), r.token_hash.begin());
    r.created_ms = q.int64(4);
    r.expires_ms = q.int64(5);
    out.push_back(std::move(r));
  }
  if (rc != SQLITE_DONE) return sqlite::map_error(rc);
  return out;
}

Result<void> SqliteStore::put_a2a_push_config(const A2aPushConfigRecord& r) {
  auto q = query(kPutA2aPushConfig);
  q.bind_blob(1, r.task.span())
      .bind_text(2, r.id)
      .bind_blob(3, r.agent.span())
      .bind_blob(4, r.caller.span())
      .bind_text(5, r.url)
      .bind_text(6, r.token)
      .bind_text(7, r.scheme)
      .bind_text(8, r.credentials)
      .bind(9, static_cast<std::int64_t>(r.legacy ? 1 : 0))
      .bind(10, static_cast<std::int64_t>(r.delivered))
      .bind(11, r.created_ms);
  return q.exec();
}

Result<void> SqliteStore::delete_a2a_push_config(const core::TaskId& task, const std::string& id) {
  auto q = query(kDeleteA2aPushConfig);
  q.bind_blob(1, task.span()).bind_text(2, id);
  if (auto r = q.exec(); !r) return r;
  if (db_.changes() == 0) return error::not_found;
  return {};
}

Result<std::vector<A2aPushConfigRecord>> SqliteStore::list_a2a_push_configs() {
  auto q = query(kListA2aPushConfigs);
  std::vector<A2aPushConfigRecord> out;
  int rc;
  while ((rc = q.step()) == SQLITE_ROW) {
    A2aPushConfigRecord r;
    auto task = id_column<core::TaskId>(q, 0);
    auto agent = id_column<AgentId>(q, 2);
    auto caller = id_column<core::TokenId>(q, 3);
    if (!task || !agent || !caller) return error::corrupt;
    r.task = *task;
    r.id = q.text(1);
    r.agent = *agent;
    r.caller = *caller;
    r.url = q.text(4);
    r.token = q.text(5);
    r.scheme = q.text(6);
    r.credentials = q.text(7);
    r.legacy = q.int64(8) != 0;
    r.delivered = static_cast<std::uint64_t>(q.int64(9));
    r.created_ms = q.int64(10);
    out.push_back(std::move(r));
  }
  if (rc != SQLITE_DONE) return sqlite::map_error(rc);
  return out;
}

Result<std::vector<Subscription>> SqliteStore::list_subscriptions() {
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

}  // namespace agentmesh::store::sqlite
