// The SQLite backend: tasks, their event logs and the idempotency records of
// task actions (migration 8).

#include "store/sqlite/sqlite_store_impl.hpp"

namespace agentmesh::store::sqlite {

namespace {

// A step of a task rewrites its row: the columns of an index are set only
// when they change (SQLite rewrites an index entry whenever its column is
// assigned, even to the same value), so an open task's step writes the
// row's page and nothing else. ?1 id, ?2 requester, ?3 assignee, ?4 home,
// ?5 context, ?6 state, ?7 terminal, ?8 sequence, ?9 updated_ms, ?10 body.
constexpr const char* kPutTask =
    "INSERT INTO tasks(id, requester, assignee, home, context_id, state, terminal, sequence, updated_ms, body) "
    "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) ON CONFLICT(id) DO UPDATE SET home = excluded.home, "
    "context_id = excluded.context_id, state = excluded.state, sequence = excluded.sequence, "
    "updated_ms = excluded.updated_ms, body = excluded.body";
constexpr const char* kPutTaskParties =
    "UPDATE tasks SET requester = ?2, assignee = ?3 WHERE id = ?1 AND (requester != ?2 OR assignee != ?3)";
constexpr const char* kPutTaskTerminal = "UPDATE tasks SET terminal = ?2 WHERE id = ?1 AND terminal != ?2";
constexpr const char* kGetTask =
    "SELECT id, requester, assignee, home, context_id, state, terminal, sequence, updated_ms, body FROM tasks "
    "WHERE id = ?1";
// ?1 agent, ?2 role (0 any, 1 requester, 2 assignee), ?3 state (-1 any),
// ?4 context ('' any), ?5 after id (x'' for the start), ?6 limit.
constexpr const char* kListTasks =
    "SELECT id, requester, assignee, home, context_id, state, terminal, sequence, updated_ms, body FROM tasks "
    "WHERE ((?2 IN (0, 1) AND requester = ?1) OR (?2 IN (0, 2) AND assignee = ?1)) "
    "AND (?3 < 0 OR state = ?3) AND (?4 = '' OR context_id = ?4) AND id > ?5 ORDER BY id LIMIT ?6";
constexpr const char* kListOpenTasks =
    "SELECT id, requester, assignee, home, context_id, state, terminal, sequence, updated_ms, body FROM tasks "
    "WHERE terminal = 0";
constexpr const char* kPutTaskEvent = "INSERT INTO task_events(task, sequence, body) VALUES(?1, ?2, ?3)";
constexpr const char* kListTaskEvents =
    "SELECT task, sequence, body FROM task_events WHERE task = ?1 AND sequence > ?2 ORDER BY sequence LIMIT ?3";
constexpr const char* kPurgeTaskEvents =
    "DELETE FROM task_events WHERE task IN (SELECT id FROM tasks WHERE terminal = 1 AND updated_ms < ?1)";
constexpr const char* kPurgeTaskPushConfigs =
    "DELETE FROM a2a_push_configs WHERE task IN (SELECT id FROM tasks WHERE terminal = 1 AND updated_ms < ?1)";
constexpr const char* kPurgeTasks = "DELETE FROM tasks WHERE terminal = 1 AND updated_ms < ?1";
constexpr const char* kGetTaskRequest =
    "SELECT agent, request_id, digest, task, sequence, expires_ms FROM task_requests "
    "WHERE agent = ?1 AND request_id = ?2";
constexpr const char* kPutTaskRequest =
    "INSERT OR REPLACE INTO task_requests(agent, request_id, digest, task, sequence, expires_ms) "
    "VALUES(?1, ?2, ?3, ?4, ?5, ?6)";
constexpr const char* kPurgeTaskRequests = "DELETE FROM task_requests WHERE expires_ms <= ?1";

Result<TaskRecord> task_row(const Query& q) {
  auto id = id_column<core::TaskId>(q, 0);
  auto requester = id_column<AgentId>(q, 1);
  auto assignee = id_column<AgentId>(q, 2);
  if (!id || !requester || !assignee) return error::corrupt;
  TaskRecord r;
  r.id = *id;
  r.requester = *requester;
  r.assignee = *assignee;
  r.home = q.int64(3) != 0;
  r.context_id = q.text(4);
  r.state = static_cast<std::uint8_t>(q.int64(5));
  r.terminal = q.int64(6) != 0;
  r.sequence = static_cast<std::uint64_t>(q.int64(7));
  r.updated_ms = q.int64(8);
  const auto body = q.blob(9);
  r.body.assign(reinterpret_cast<const char*>(body.data()), body.size());
  return r;
}

Result<std::vector<TaskRecord>> task_rows(Query& q) {
  std::vector<TaskRecord> out;
  int rc;
  while ((rc = q.step()) == SQLITE_ROW) {
    auto r = task_row(q);
    if (!r) return r.error();
    out.push_back(std::move(*r));
  }
  if (rc != SQLITE_DONE) return sqlite::map_error(rc);
  return out;
}

}  // namespace

Result<void> SqliteStore::put_task(const TaskRecord& r) {
  auto q = query(kPutTask);
  q.bind_blob(1, r.id.span())
      .bind_blob(2, r.requester.span())
      .bind_blob(3, r.assignee.span())
      .bind(4, std::int64_t{r.home ? 1 : 0})
      .bind_text(5, r.context_id)
      .bind(6, std::int64_t{r.state})
      .bind(7, std::int64_t{r.terminal ? 1 : 0})
      .bind(8, static_cast<std::int64_t>(r.sequence))
      .bind(9, r.updated_ms)
      .bind_blob(10, std::string_view(r.body));
  if (auto done = q.exec(); !done) return done;
  auto parties = query(kPutTaskParties);
  parties.bind_blob(1, r.id.span()).bind_blob(2, r.requester.span()).bind_blob(3, r.assignee.span());
  if (auto done = parties.exec(); !done) return done;
  auto terminal = query(kPutTaskTerminal);
  terminal.bind_blob(1, r.id.span()).bind(2, std::int64_t{r.terminal ? 1 : 0});
  return terminal.exec();
}

Result<std::optional<TaskRecord>> SqliteStore::get_task(const core::TaskId& id) {
  auto q = query(kGetTask);
  q.bind_blob(1, id.span());
  const int rc = q.step();
  if (rc == SQLITE_DONE) return std::optional<TaskRecord>{};
  if (rc != SQLITE_ROW) return sqlite::map_error(rc);
  auto r = task_row(q);
  if (!r) return r.error();
  return std::optional<TaskRecord>{std::move(*r)};
}

Result<std::vector<TaskRecord>> SqliteStore::list_tasks(const TaskQuery& tq) {
  auto q = query(kListTasks);
  const auto after = tq.after ? tq.after->span() : std::span<const std::uint8_t>();
  q.bind_blob(1, tq.agent.span())
      .bind(2, static_cast<std::int64_t>(tq.role))
      .bind(3, tq.state ? std::int64_t{*tq.state} : std::int64_t{-1})
      .bind_text(4, tq.context_id)
      .bind_blob(5, after)
      .bind(6, static_cast<std::int64_t>(tq.limit));
  return task_rows(q);
}

Result<std::vector<TaskRecord>> SqliteStore::list_open_tasks() {
  auto q = query(kListOpenTasks);
  return task_rows(q);
}

Result<void> SqliteStore::put_task_event(const TaskEventRecord& r) {
  auto q = query(kPutTaskEvent);
  q.bind_blob(1, r.task.span()).bind(2, static_cast<std::int64_t>(r.sequence)).bind_blob(3, std::string_view(r.body));
  return q.exec();
}

Result<std::vector<TaskEventRecord>> SqliteStore::list_task_events(const core::TaskId& task, std::uint64_t after,
                                                                   std::size_t limit) {
  auto q = query(kListTaskEvents);
  q.bind_blob(1, task.span()).bind(2, static_cast<std::int64_t>(after)).bind(3, static_cast<std::int64_t>(limit));
  std::vector<TaskEventRecord> out;
  int rc;
  while ((rc = q.step()) == SQLITE_ROW) {
    TaskEventRecord r;
    r.task = task;
    r.sequence = static_cast<std::uint64_t>(q.int64(1));
    const auto body = q.blob(2);
    r.body.assign(reinterpret_cast<const char*>(body.data()), body.size());
    out.push_back(std::move(r));
  }
  if (rc != SQLITE_DONE) return sqlite::map_error(rc);
  return out;
}

Result<std::size_t> SqliteStore::purge_tasks(UnixMs ended_before) {
  auto events = query(kPurgeTaskEvents);
  events.bind(1, ended_before);
  if (auto r = events.exec(); !r) return r.error();
  auto push = query(kPurgeTaskPushConfigs);
  push.bind(1, ended_before);
  if (auto r = push.exec(); !r) return r.error();
  auto q = query(kPurgeTasks);
  q.bind(1, ended_before);
  if (auto r = q.exec(); !r) return r.error();
  return static_cast<std::size_t>(db_.changes());
}

Result<std::optional<TaskRequestRecord>> SqliteStore::get_task_request(const AgentId& agent,
                                                                       const std::string& request_id) {
  auto q = query(kGetTaskRequest);
  q.bind_blob(1, agent.span()).bind_text(2, request_id);
  const int rc = q.step();
  if (rc == SQLITE_DONE) return std::optional<TaskRequestRecord>{};
  if (rc != SQLITE_ROW) return sqlite::map_error(rc);
  TaskRequestRecord r;
  r.agent = agent;
  r.request_id = request_id;
  const auto digest = q.blob(2);
  auto task = id_column<core::TaskId>(q, 3);
  if (digest.size() != r.digest.size() || !task) return error::corrupt;
  std::copy(digest.begin(), digest.end(), r.digest.begin());
  r.task = *task;
  r.sequence = static_cast<std::uint64_t>(q.int64(4));
  r.expires_ms = q.int64(5);
  return std::optional<TaskRequestRecord>{std::move(r)};
}

Result<void> SqliteStore::put_task_request(const TaskRequestRecord& r) {
  auto q = query(kPutTaskRequest);
  q.bind_blob(1, r.agent.span())
      .bind_text(2, r.request_id)
      .bind_blob(3, std::span<const std::uint8_t>(r.digest))
      .bind_blob(4, r.task.span())
      .bind(5, static_cast<std::int64_t>(r.sequence))
      .bind(6, r.expires_ms);
  return q.exec();
}

Result<std::size_t> SqliteStore::purge_task_requests(UnixMs now) {
  auto q = query(kPurgeTaskRequests);
  q.bind(1, now);
  if (auto r = q.exec(); !r) return r.error();
  return static_cast<std::size_t>(db_.changes());
}

}  // namespace agentmesh::store::sqlite
