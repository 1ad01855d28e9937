#pragma once
// Domain records kept by the store. Plain values; the backends map them to
// rows (SQLite) or keep them as they are (memory).

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/clock.hpp"
#include "core/ids.hpp"

namespace agentmesh::store {

using core::AgentId;
using core::RequestId;
using core::Seq;
using core::UnixMs;
using Digest = std::array<std::uint8_t, 32>;
using Metadata = std::vector<std::pair<std::string, std::string>>;

enum class AgentState : std::uint8_t {
  running = 0,   // sends and receives
  draining = 1,  // may read and ack its inbox; receives no new messages
  stopped = 2,   // may read and ack; neither sends nor receives
};

struct AgentRecord {
  AgentId id;
  std::string name;
  std::string display_name;
  std::vector<std::string> capabilities;
  AgentState state = AgentState::running;
  Digest token_hash{};  // SHA-256 of the agent's API token; the token itself is never stored
  UnixMs created_ms = 0;
  std::string a2a;  // the agent's A2A profile (a2a/profile.hpp, its stored form); empty: never set
};

// The FIPA-ACL style fields and the payload of one message. Used by the
// inbox, the outbox and dead letters alike.
struct MessageContent {
  std::string content_type;
  std::string body;  // raw bytes
  std::string performative;
  std::string conversation_id;
  std::string reply_with;
  std::string in_reply_to;
  std::string protocol;
  Metadata metadata;

  friend bool operator==(const MessageContent&, const MessageContent&) = default;
};

struct InboxRecord {
  AgentId agent;  // the recipient
  Seq seq;        // assigned by append_inbox
  AgentId sender;
  RequestId request_id;
  UnixMs received_ms = 0;
  MessageContent content;
};

struct InboxCursor {
  Seq last;   // highest sequence number appended
  Seq acked;  // everything <= acked has been acknowledged
};

enum class Outcome : std::uint8_t { accepted = 0, rejected = 1 };

// What happened to (sender, request_id); replayed to duplicates.
struct DedupRecord {
  AgentId sender;
  RequestId request_id;
  Outcome outcome = Outcome::accepted;
  AgentId recipient;
  Seq seq;             // when accepted
  std::string reason;  // when rejected
  Digest body_digest{};
  UnixMs expires_ms = 0;
};

struct DeadLetterRecord {
  std::int64_t id = 0;  // assigned by add_dead_letter
  RequestId request_id;
  AgentId sender;
  AgentId recipient;
  UnixMs created_ms = 0;  // when the message was first sent
  MessageContent content;
  std::string reason;
  std::uint32_t attempts = 0;
  UnixMs time_ms = 0;  // when it became a dead letter
};

// Where a message sent to another daemon stands. The outbox keeps one row
// per message: pending rows (queued) are what the sender still retries;
// finished rows (accepted, rejected, expired) answer GET
// /v1/agents/{id}/messages/{request_id} and idempotent resends until
// keep_until_ms, with their content cleared.
enum class OutboxState : std::uint8_t {
  queued = 0,    // waiting for an attempt or its ack (in flight: "sending", in memory only)
  accepted = 1,  // the recipient committed it (seq set)
  rejected = 2,  // the recipient refused it (reason); also a dead letter
  expired = 3,   // no ack before expires_ms; a dead letter with the last error
};

struct OutboxRecord {
  RequestId request_id;
  AgentId sender;
  AgentId recipient;
  UnixMs created_ms = 0;
  UnixMs expires_ms = 0;
  MessageContent content;
  std::uint32_t attempts = 0;
  UnixMs next_attempt_ms = 0;
  std::string last_error;  // the last attempt's failure, or the rejection reason
  OutboxState state = OutboxState::queued;
  bool sign = false;         // carry the optional Ed25519 signature
  bool keyed = false;        // sent with an idempotency key (status kept as long as the key)
  Seq seq;                   // accepted: the recipient's inbox seq
  std::string path;          // the path of the last attempt: loopback, direct, gossip
  Digest digest{};           // direct::content_digest, for idempotent resends
  UnixMs keep_until_ms = 0;  // finished rows are purged after this
};

// A remote peer remembered for reconnecting (the transport's peer store).
// Ids and addresses are kept in their text forms; the transport validates
// them again when it loads them.
// An A2A caller's credential for one published agent (node/a2a_tokens.hpp):
// only the token's hash is stored.
struct A2aTokenRecord {
  core::TokenId id = core::TokenId::from_array({});
  AgentId agent;  // the agent its bearer may call
  std::string label;
  Digest token_hash{};  // SHA-256 of the token
  UnixMs created_ms = 0;
  UnixMs expires_ms = 0;  // 0: never
  // For put only (not stored): the agent is hosted on another daemon, so no
  // local agent has its id (else put refuses the token: not_found).
  bool remote = false;

  friend bool operator==(const A2aTokenRecord&, const A2aTokenRecord&) = default;
};

// An A2A caller's push notification config for one task (api/a2a_push.hpp):
// where the gateway POSTs the task's steps, and how far it got.
struct A2aPushConfigRecord {
  core::TaskId task;
  std::string id;                                        // the config's id within the task
  AgentId agent;                                         // the published agent the task is for
  core::TokenId caller = core::TokenId::from_array({});  // the token of the caller that made it
  std::string url;
  std::string token;   // sent as X-A2A-Notification-Token
  std::string scheme;  // Authorization: <scheme> <credentials>; empty: none
  std::string credentials;
  bool legacy = false;          // made through A2A 0.3: notifications are 0.3 Task objects
  std::uint64_t delivered = 0;  // the task log's sequence delivered up to
  UnixMs created_ms = 0;

  friend bool operator==(const A2aPushConfigRecord&, const A2aPushConfigRecord&) = default;
};

// A durable topic subscription: the topic's messages go into the agent's inbox.
struct Subscription {
  AgentId agent;
  std::string topic;
  UnixMs created_ms = 0;  // 0 for subscriptions made before migration 4
};

// A remote agent's advert as received (the signed AgentAdvert bytes; checked
// when it arrived), for the directory to survive restarts.
struct DirectoryRecord {
  AgentId agent;
  std::string advert;
  UnixMs last_seen_ms = 0;
  UnixMs expires_ms = 0;
};

// A task as this daemon keeps it (tasks/): the columns the lists filter on,
// and the whole task encoded by tasks/codec in `body`.
struct TaskRecord {
  core::TaskId id = core::TaskId::from_array({});
  AgentId requester;
  AgentId assignee;   // the current attempt's
  bool home = false;  // this daemon decides its steps (the requester is hosted here)
  std::string context_id;
  std::uint8_t state = 0;  // tasks::TaskState
  bool terminal = false;
  std::uint64_t sequence = 0;
  UnixMs updated_ms = 0;
  std::string body;
};

// One step of a task (its event log, read by the task event streams).
struct TaskEventRecord {
  core::TaskId task = core::TaskId::from_array({});
  std::uint64_t sequence = 0;
  std::string body;  // tasks::encode(Event)
};

// Which tasks a list wants.
struct TaskQuery {
  AgentId agent;
  enum class Role : std::uint8_t { any = 0, requester = 1, assignee = 2 } role = Role::any;
  std::optional<std::uint8_t> state;
  std::string context_id;             // empty: any
  std::optional<core::TaskId> after;  // ids greater than this
  std::size_t limit = 100;
};

// A task action's or creation's idempotency record: (agent, request id) ->
// the fingerprint of what was asked and the task it made or changed.
struct TaskRequestRecord {
  AgentId agent;
  std::string request_id;
  Digest digest{};
  core::TaskId task = core::TaskId::from_array({});
  std::uint64_t sequence = 0;  // the step it made
  UnixMs expires_ms = 0;
};

// One agent's view of a conversation (messages that carry a conversation_id,
// sent or received by that agent). Kept per local participant.
struct ConversationRecord {
  AgentId agent;  // the local participant whose view this is
  std::string id;
  std::vector<AgentId> participants;  // everyone seen in it, the agent included, ordered
  std::string protocol;               // the first protocol a message of it named
  std::uint64_t messages = 0;         // every message noted, also those no longer kept
  UnixMs first_ms = 0;
  UnixMs last_ms = 0;
};

// A message as a conversation keeps it: its place in the agent's view
// (index, from 1), which way it went, and its content.
struct ConversationMessage {
  AgentId agent;
  std::string conversation;
  std::uint64_t index = 0;  // assigned by note_conversation
  bool sent = false;        // sent by `agent`; otherwise received by it
  AgentId peer;             // the recipient of a sent message, the sender of a received one
  RequestId request_id;
  Seq seq;  // received: the inbox sequence number
  UnixMs time_ms = 0;
  MessageContent content;
};

// Bounds of conversation views (node/conversations.hpp).
struct ConversationLimits {
  std::size_t max_messages = 1000;    // kept per conversation view; older ones are dropped
  std::size_t max_per_agent = 10000;  // views per agent; the least recently active goes
};

// Which conversations a list wants, ordered by id.
struct ConversationQuery {
  AgentId agent;
  enum class State : std::uint8_t { any = 0, active = 1, expired = 2 } state = State::any;
  UnixMs active_since = 0;  // last activity at or after this: active
  std::string after;        // ids greater than this
  std::size_t limit = 100;
};

// Figures over every conversation view kept.
struct ConversationTotals {
  std::uint64_t views = 0;
  std::uint64_t active = 0;
  std::uint64_t messages = 0;    // sum of message counts
  std::int64_t duration_ms = 0;  // sum of (last - first)
};

struct PeerRecord {
  std::string peer_id;             // base58btc
  std::vector<std::string> addrs;  // multiaddr text, without /p2p
  UnixMs last_seen_ms = 0;
};

}  // namespace agentmesh::store
