// Numbered schema migrations. Each entry upgrades user_version N-1 -> N and
// runs in its own transaction. Never edit a migration that has shipped; add
// the next one.

#include <array>
#include <string>

#include "store/error.hpp"
#include "store/sqlite/db.hpp"

namespace agentmesh::store::sqlite {
namespace {

constexpr std::array<const char*, 12> kMigrations = {
    // 1: the foundation schema.
    R"sql(
CREATE TABLE agents(
  id BLOB PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  display_name TEXT NOT NULL,
  capabilities BLOB NOT NULL,
  state INTEGER NOT NULL,
  token_hash BLOB NOT NULL,
  created_ms INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE inbox_cursors(
  agent BLOB PRIMARY KEY,
  last_seq INTEGER NOT NULL DEFAULT 0,
  acked_seq INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;

CREATE TABLE inbox(
  agent BLOB NOT NULL,
  seq INTEGER NOT NULL,
  sender BLOB NOT NULL,
  request_id BLOB NOT NULL,
  received_ms INTEGER NOT NULL,
  content_type TEXT NOT NULL,
  body BLOB NOT NULL,
  performative TEXT NOT NULL,
  conversation_id TEXT NOT NULL,
  reply_with TEXT NOT NULL,
  in_reply_to TEXT NOT NULL,
  protocol TEXT NOT NULL,
  metadata BLOB NOT NULL,
  UNIQUE(agent, seq)
);

CREATE TABLE dedup(
  sender BLOB NOT NULL,
  request_id BLOB NOT NULL,
  outcome INTEGER NOT NULL,
  recipient BLOB NOT NULL,
  seq INTEGER NOT NULL,
  reason TEXT NOT NULL,
  body_digest BLOB NOT NULL,
  expires_ms INTEGER NOT NULL,
  PRIMARY KEY(sender, request_id)
) WITHOUT ROWID;
CREATE INDEX dedup_expires ON dedup(expires_ms);

CREATE TABLE dead_letters(
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  request_id BLOB NOT NULL,
  sender BLOB NOT NULL,
  recipient BLOB NOT NULL,
  created_ms INTEGER NOT NULL,
  content_type TEXT NOT NULL,
  body BLOB NOT NULL,
  performative TEXT NOT NULL,
  conversation_id TEXT NOT NULL,
  reply_with TEXT NOT NULL,
  in_reply_to TEXT NOT NULL,
  protocol TEXT NOT NULL,
  metadata BLOB NOT NULL,
  reason TEXT NOT NULL,
  attempts INTEGER NOT NULL,
  time_ms INTEGER NOT NULL
);

CREATE TABLE outbox(
  request_id BLOB PRIMARY KEY,
  sender BLOB NOT NULL,
  recipient BLOB NOT NULL,
  created_ms INTEGER NOT NULL,
  expires_ms INTEGER NOT NULL,
  content_type TEXT NOT NULL,
  body BLOB NOT NULL,
  performative TEXT NOT NULL,
  conversation_id TEXT NOT NULL,
  reply_with TEXT NOT NULL,
  in_reply_to TEXT NOT NULL,
  protocol TEXT NOT NULL,
  metadata BLOB NOT NULL,
  attempts INTEGER NOT NULL,
  next_attempt_ms INTEGER NOT NULL,
  last_error TEXT NOT NULL
);
CREATE INDEX outbox_next ON outbox(next_attempt_ms);
)sql",
    // 2: the peer store (addresses learned from identify).
    R"sql(
CREATE TABLE peers(
  peer_id TEXT PRIMARY KEY,
  addrs TEXT NOT NULL,
  last_seen_ms INTEGER NOT NULL
);
CREATE INDEX peers_seen ON peers(last_seen_ms);
)sql",
    // 3: durable topic subscriptions; they go with their agent.
    R"sql(
CREATE TABLE subscriptions(
  agent BLOB NOT NULL REFERENCES agents(id) ON DELETE CASCADE,
  topic TEXT NOT NULL,
  PRIMARY KEY(agent, topic)
);
)sql",
    // 4: when each subscription was made (topic replay after a restart
    // delivers nothing older to it).
    R"sql(
ALTER TABLE subscriptions ADD COLUMN created_ms INTEGER NOT NULL DEFAULT 0;
)sql",
    // 5: the agent directory (remote agents' signed adverts, as received).
    R"sql(
CREATE TABLE directory(
  agent BLOB PRIMARY KEY,
  advert BLOB NOT NULL,
  last_seen_ms INTEGER NOT NULL,
  expires_ms INTEGER NOT NULL
);
CREATE INDEX directory_expires ON directory(expires_ms);
)sql",
    // 6: per-agent block lists (senders whose messages the agent refuses).
    R"sql(
CREATE TABLE blocks(
  agent BLOB NOT NULL REFERENCES agents(id) ON DELETE CASCADE,
  sender BLOB NOT NULL,
  created_ms INTEGER NOT NULL,
  PRIMARY KEY(agent, sender)
);
)sql",
    // 7: the outbox keeps each message's outcome (state, seq, path) after it
    // finishes, for status queries and idempotent resends, until keep_until_ms.
    R"sql(
ALTER TABLE outbox ADD COLUMN state INTEGER NOT NULL DEFAULT 0;
ALTER TABLE outbox ADD COLUMN flags INTEGER NOT NULL DEFAULT 0;
ALTER TABLE outbox ADD COLUMN seq INTEGER NOT NULL DEFAULT 0;
ALTER TABLE outbox ADD COLUMN path TEXT NOT NULL DEFAULT '';
ALTER TABLE outbox ADD COLUMN digest BLOB NOT NULL DEFAULT x'';
ALTER TABLE outbox ADD COLUMN keep_until_ms INTEGER NOT NULL DEFAULT 0;
DROP INDEX outbox_next;
CREATE INDEX outbox_pending ON outbox(state, next_attempt_ms);
CREATE INDEX outbox_keep ON outbox(keep_until_ms) WHERE state <> 0;
)sql",
    // 8: tasks, their event logs, and the idempotency records of task actions.
    R"sql(
CREATE TABLE tasks(
  id BLOB PRIMARY KEY,
  requester BLOB NOT NULL,
  assignee BLOB NOT NULL,
  home INTEGER NOT NULL,
  context_id TEXT NOT NULL,
  state INTEGER NOT NULL,
  terminal INTEGER NOT NULL,
  sequence INTEGER NOT NULL,
  updated_ms INTEGER NOT NULL,
  body BLOB NOT NULL
) WITHOUT ROWID;
CREATE INDEX tasks_requester ON tasks(requester, id);
CREATE INDEX tasks_assignee ON tasks(assignee, id);
CREATE INDEX tasks_open ON tasks(terminal, updated_ms);

CREATE TABLE task_events(
  task BLOB NOT NULL,
  sequence INTEGER NOT NULL,
  body BLOB NOT NULL,
  PRIMARY KEY(task, sequence)
) WITHOUT ROWID;

CREATE TABLE task_requests(
  agent BLOB NOT NULL,
  request_id TEXT NOT NULL,
  digest BLOB NOT NULL,
  task BLOB NOT NULL,
  sequence INTEGER NOT NULL,
  expires_ms INTEGER NOT NULL,
  PRIMARY KEY(agent, request_id)
) WITHOUT ROWID;
CREATE INDEX task_requests_expires ON task_requests(expires_ms);
)sql",
    // 9: conversations, one view per local participant, and the messages
    // each view keeps.
    R"sql(
CREATE TABLE conversations(
  agent BLOB NOT NULL,
  id TEXT NOT NULL,
  protocol TEXT NOT NULL,
  messages INTEGER NOT NULL,
  first_ms INTEGER NOT NULL,
  last_ms INTEGER NOT NULL,
  PRIMARY KEY(agent, id)
) WITHOUT ROWID;
CREATE INDEX conversations_last ON conversations(last_ms);
CREATE INDEX conversations_agent_last ON conversations(agent, last_ms);

CREATE TABLE conversation_participants(
  agent BLOB NOT NULL,
  conversation TEXT NOT NULL,
  participant BLOB NOT NULL,
  PRIMARY KEY(agent, conversation, participant)
) WITHOUT ROWID;

CREATE TABLE conversation_messages(
  agent BLOB NOT NULL,
  conversation TEXT NOT NULL,
  idx INTEGER NOT NULL,
  sent INTEGER NOT NULL,
  peer BLOB NOT NULL,
  request_id BLOB NOT NULL,
  seq INTEGER NOT NULL,
  time_ms INTEGER NOT NULL,
  content_type TEXT NOT NULL,
  body BLOB NOT NULL,
  performative TEXT NOT NULL,
  conversation_id TEXT NOT NULL,
  reply_with TEXT NOT NULL,
  in_reply_to TEXT NOT NULL,
  protocol TEXT NOT NULL,
  metadata BLOB NOT NULL,
  PRIMARY KEY(agent, conversation, idx)
);
CREATE INDEX conversation_messages_reply ON conversation_messages(agent, reply_with)
  WHERE sent = 0 AND reply_with != '';
CREATE INDEX conversation_messages_request ON conversation_messages(agent, request_id) WHERE sent = 0;
)sql",
    // 10: an agent's A2A profile (a2a/profile.hpp; empty: never set) and
    // the tokens of its A2A callers (node/a2a_tokens.hpp).
    R"sql(
ALTER TABLE agents ADD COLUMN a2a BLOB NOT NULL DEFAULT x'';
CREATE TABLE a2a_tokens(
  id BLOB PRIMARY KEY,
  agent BLOB NOT NULL,
  label TEXT NOT NULL,
  token_hash BLOB NOT NULL UNIQUE,
  created_ms INTEGER NOT NULL,
  expires_ms INTEGER NOT NULL
) WITHOUT ROWID;
)sql",
    // 11: A2A callers' push notification configs (node/a2a_push.hpp).
    R"sql(
CREATE TABLE a2a_push_configs(
  task BLOB NOT NULL,
  id TEXT NOT NULL,
  agent BLOB NOT NULL,
  caller BLOB NOT NULL,
  url TEXT NOT NULL,
  token TEXT NOT NULL,
  scheme TEXT NOT NULL,
  credentials TEXT NOT NULL,
  legacy INTEGER NOT NULL,
  delivered INTEGER NOT NULL,
  created_ms INTEGER NOT NULL,
  PRIMARY KEY(task, id)
) WITHOUT ROWID;
)sql",
    // 12: fewer pages written per task step and per conversation message.
    // tasks, task_events and conversations become rowid tables: rows land
    // in insertion order, so the rows of the tasks and conversations in
    // flight share pages (a task's row, about 1 KB, also fits its page
    // instead of spilling to an overflow page), and the random-keyed
    // b-trees hold only keys. The open/ended index is split in two partial
    // indexes, so a step of an open task (put_task updates only the columns
    // that changed) writes no index page at all. Conversations are indexed
    // by the minute of their last message (last_minute = last_ms / 60000),
    // which a message moves at most once a minute, not by last_ms itself;
    // their kept messages are keyed by the view's rowid (`view`), so the
    // messages of the conversations in flight also share pages; each agent's
    // number of views is kept (conversation_counts) instead of counted on
    // every new view.
    R"sql(
CREATE TABLE tasks_v12(
  id BLOB NOT NULL PRIMARY KEY,
  requester BLOB NOT NULL,
  assignee BLOB NOT NULL,
  home INTEGER NOT NULL,
  context_id TEXT NOT NULL,
  state INTEGER NOT NULL,
  terminal INTEGER NOT NULL,
  sequence INTEGER NOT NULL,
  updated_ms INTEGER NOT NULL,
  body BLOB NOT NULL
);
INSERT INTO tasks_v12 SELECT id, requester, assignee, home, context_id, state, terminal, sequence, updated_ms, body
  FROM tasks ORDER BY updated_ms;
DROP TABLE tasks;
ALTER TABLE tasks_v12 RENAME TO tasks;
CREATE INDEX tasks_requester ON tasks(requester, id);
CREATE INDEX tasks_assignee ON tasks(assignee, id);
CREATE INDEX tasks_open ON tasks(id) WHERE terminal = 0;
CREATE INDEX tasks_ended ON tasks(updated_ms) WHERE terminal = 1;

CREATE TABLE task_events_v12(
  task BLOB NOT NULL,
  sequence INTEGER NOT NULL,
  body BLOB NOT NULL,
  PRIMARY KEY(task, sequence)
);
INSERT INTO task_events_v12 SELECT task, sequence, body FROM task_events;
DROP TABLE task_events;
ALTER TABLE task_events_v12 RENAME TO task_events;

CREATE TABLE conversations_v12(
  agent BLOB NOT NULL,
  id TEXT NOT NULL,
  protocol TEXT NOT NULL,
  messages INTEGER NOT NULL,
  first_ms INTEGER NOT NULL,
  last_ms INTEGER NOT NULL,
  last_minute INTEGER NOT NULL,
  PRIMARY KEY(agent, id)
);
INSERT INTO conversations_v12 SELECT agent, id, protocol, messages, first_ms, last_ms, last_ms / 60000
  FROM conversations ORDER BY first_ms;
DROP TABLE conversations;
ALTER TABLE conversations_v12 RENAME TO conversations;
CREATE INDEX conversations_last ON conversations(last_minute);
CREATE INDEX conversations_agent_last ON conversations(agent, last_minute);
CREATE TABLE conversation_counts(
  agent BLOB PRIMARY KEY,
  views INTEGER NOT NULL
) WITHOUT ROWID;
INSERT INTO conversation_counts SELECT agent, count(*) FROM conversations GROUP BY agent;

CREATE TABLE conversation_messages_v12(
  view INTEGER NOT NULL,
  idx INTEGER NOT NULL,
  agent BLOB NOT NULL,
  conversation TEXT NOT NULL,
  sent INTEGER NOT NULL,
  peer BLOB NOT NULL,
  request_id BLOB NOT NULL,
  seq INTEGER NOT NULL,
  time_ms INTEGER NOT NULL,
  content_type TEXT NOT NULL,
  body BLOB NOT NULL,
  performative TEXT NOT NULL,
  conversation_id TEXT NOT NULL,
  reply_with TEXT NOT NULL,
  in_reply_to TEXT NOT NULL,
  protocol TEXT NOT NULL,
  metadata BLOB NOT NULL
);
INSERT INTO conversation_messages_v12 SELECT c.rowid, m.idx, m.agent, m.conversation, m.sent, m.peer, m.request_id,
  m.seq, m.time_ms, m.content_type, m.body, m.performative, m.conversation_id, m.reply_with, m.in_reply_to,
  m.protocol, m.metadata
  FROM conversation_messages m JOIN conversations c ON c.agent = m.agent AND c.id = m.conversation
  ORDER BY c.rowid, m.idx;
DROP TABLE conversation_messages;
ALTER TABLE conversation_messages_v12 RENAME TO conversation_messages;
CREATE UNIQUE INDEX conversation_messages_view ON conversation_messages(view, idx);
CREATE INDEX conversation_messages_reply ON conversation_messages(agent, reply_with)
  WHERE sent = 0 AND reply_with != '';
CREATE INDEX conversation_messages_request ON conversation_messages(agent, request_id) WHERE sent = 0;
)sql",
};

}  // namespace

Result<void> migrate(Db& db) {
  std::int64_t version = 0;
  {
    Query q = db.query("PRAGMA user_version");
    const int rc = q.step();
    if (rc != SQLITE_ROW) return map_error(rc);
    version = q.int64(0);
  }
  if (version > static_cast<std::int64_t>(kMigrations.size())) return error::schema_too_new;
  for (auto v = version; v < static_cast<std::int64_t>(kMigrations.size()); ++v) {
    if (auto r = db.exec("BEGIN IMMEDIATE"); !r) return r.error();
    auto r = db.exec(kMigrations[static_cast<std::size_t>(v)]);
    if (r) {
      const std::string set = "PRAGMA user_version=" + std::to_string(v + 1);
      r = db.exec(set.c_str());
    }
    if (r) r = db.exec("COMMIT");
    if (!r) {
      (void)db.exec("ROLLBACK");
      return r.error();
    }
  }
  return {};
}

std::size_t schema_version_count() { return kMigrations.size(); }

}  // namespace agentmesh::store::sqlite
