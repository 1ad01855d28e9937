#pragma once
// The values the node's services take and return. Plain structs with no Asio
// and no store records, so the API maps them to JSON (and its fuzzer uses
// them) without the node's machinery, and the storage schema can change
// without changing the API.

#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "a2a/profile.hpp"
#include "core/ids.hpp"
#include "core/metrics.hpp"
#include "core/multiaddr.hpp"
#include "core/peer_id.hpp"
#include "core/pressure.hpp"
#include "direct/states.hpp"
#include "store/records.hpp"
#include "tasks/types.hpp"
#include "transport/info.hpp"

namespace agentmesh::node {

// The content of a message: payload, media type, the FIPA-ACL fields and
// metadata (a domain value shared with direct/ and the store).
using MessageContent = store::MessageContent;

enum class AgentState { running, draining, stopped };
std::string_view to_string(AgentState s) noexcept;
std::optional<AgentState> parse_agent_state(std::string_view s) noexcept;

// An agent's inbox position: the last seq appended and the last acked.
struct InboxPosition {
  core::Seq last;
  core::Seq acked;
  std::uint64_t unacked() const { return last.value - acked.value; }
};

// A local agent (GET /v1/agents/{id}).
struct AgentInfo {
  core::AgentId id;
  std::string name;
  std::string display_name;
  std::vector<std::string> capabilities;
  AgentState state = AgentState::running;
  std::int64_t created_ms = 0;
  InboxPosition inbox;
  std::size_t streams = 0;          // open SSE/WebSocket streams
  std::optional<a2a::Profile> a2a;  // its A2A profile, once set
};

struct CreateAgentRequest {
  std::string name;
  std::vector<std::string> capabilities;
  std::string display_name;  // defaults to the name
};

struct CreatedAgent {
  AgentInfo agent;
  std::string token;  // shown once; only its hash is stored
};

// An A2A caller's token (node/a2a_tokens.hpp).
struct A2aTokenInfo {
  core::TokenId id = core::TokenId::from_array({});
  core::AgentId agent;
  std::string label;
  std::int64_t created_ms = 0;
  std::int64_t expires_ms = 0;  // 0: never
  bool expired = false;
};

struct CreatedA2aToken {
  A2aTokenInfo info;
  std::string token;  // shown once
};

// Who calls, once a token checks out.
struct A2aCaller {
  core::TokenId token = core::TokenId::from_array({});
  core::AgentId agent;  // the agent it may call
  std::string label;
};

struct UpdateAgentRequest {
  std::optional<std::vector<std::string>> capabilities;
  std::optional<AgentState> state;
  std::optional<std::string> display_name;
  std::optional<a2a::Profile> a2a;  // replaces the whole profile (a2a::validate)
};

struct SendRequest {
  std::string to;  // agent id or local name
  MessageContent content;
  std::optional<std::int64_t> ttl_ms;
  std::optional<std::string> idempotency_key;
  bool sign = false;                              // carry the optional Ed25519 signature (remote only)
  direct::PathHint path = direct::PathHint::any;  // remote only
  // Wait for the recipient's ack (or another final outcome) this long; 0:
  // answer once the message is queued.
  std::int64_t wait_ms = 0;
};

// A send's receipt, and GET /v1/agents/{id}/messages/{request_id}.
struct SendReceipt {
  core::RequestId request_id;
  core::AgentId recipient;
  core::Seq seq;           // accepted: the recipient's inbox seq
  bool duplicate = false;  // an identical earlier send (same idempotency key)
  direct::MessageState state = direct::MessageState::accepted;
  // loopback, or the path of the attempt that decided; none before that.
  std::optional<direct::Path> path = direct::Path::loopback;
  std::uint32_t attempts = 1;
  // rejected, expired: why; queued and sending: the last attempt's error.
  std::string reason;
  std::int64_t created_ms = 0;
  std::int64_t expires_ms = 0;

  bool final() const {
    return state == direct::MessageState::accepted || state == direct::MessageState::rejected ||
           state == direct::MessageState::expired;
  }
};

// A message in an agent's inbox.
struct InboxMessage {
  core::Seq seq;
  core::RequestId request_id;
  core::AgentId from;
  core::AgentId to;
  std::int64_t received_ms = 0;
  MessageContent content;
};

// A message that could not be delivered (GET /v1/deadletters).
struct DeadLetter {
  std::int64_t id = 0;
  core::RequestId request_id;
  core::AgentId from;
  core::AgentId to;
  std::int64_t created_ms = 0;
  std::string reason;
  std::uint32_t attempts = 0;
  std::int64_t time_ms = 0;
  MessageContent content;
};

// GET /v1/node.
struct NodeInfo {
  explicit NodeInfo(core::PeerId p) : peer(p) {}
  core::PeerId peer;
  std::vector<core::Multiaddr> listen_addrs;  // with /p2p/<peer>
  std::vector<core::Multiaddr> relay_addrs;   // circuit addresses through our relays, with /p2p/<peer>
  std::string agent_version;
  std::vector<std::string> protocols;
  transport::AutoNatStatus reachability;
};

// A topic message as local subscribers see it (GET /v1/topics/{t}/events).
struct TopicEvent {
  std::string topic;
  std::string message_id;                 // raw bytes (hex in JSON)
  std::string from_peer;                  // base58 PeerId of the publishing daemon
  std::optional<std::string> from_agent;  // hex AgentId when the binding holds; none for raw libp2p data
  std::string content_type;
  std::string body;
  std::int64_t received_ms = 0;
};

// A live subscriber: a bounded queue the topic service fills and the stream
// drains. On overflow the newest event is dropped and counted; the stream
// reports the gap to its client.
struct TopicSubscriber {
  static constexpr std::size_t kDefaultCapacity = 1024;
  std::string topic;
  std::size_t capacity = kDefaultCapacity;
  std::deque<TopicEvent> queue;
  std::uint64_t dropped = 0;  // not yet reported to the client
  std::uint64_t dropped_total = 0;
  std::function<void()> wake;
  core::PressureGate pressure;  // INFO/WARN as the queue fills
};

struct TopicPublishResult {
  std::string message_id;
  std::size_t peers = 0;
};

// GET /v1/directory: an agent on the mesh (or hosted here: `local`).
struct DirectoryView {
  std::string agent_id;
  std::string peer_id;
  std::vector<std::string> addrs;  // the hosting daemon's, with /p2p
  std::vector<std::string> capabilities;
  std::string display_name;
  std::uint64_t seq = 0;
  std::int64_t expires_ms = 0;
  std::int64_t last_seen_ms = 0;
  bool online = false;
  // "online", "suspect" (its daemon has gone quiet or our connection to it
  // closed: still listed online) or "offline".
  std::string presence;
  bool local = false;
  // Its A2A profile, when the agent publishes itself to A2A clients.
  std::optional<a2a::Profile> a2a;
};

// GET /v1/topics.
struct TopicView {
  std::string topic;
  std::size_t local_subscribers = 0;
  std::size_t mesh = 0;
  std::size_t fanout = 0;
  std::size_t peers = 0;
};

// --- tasks (node/tasks.hpp) ---

// The content type of a task event in an inbox (its body: the event,
// tasks/codec's JSON).
inline constexpr std::string_view kTaskEventContentType = "application/vnd.agentmesh.task-event+json";

struct CreateTaskRequest {
  std::string to;          // an agent id or local name; or empty with a capability
  std::string capability;  // "any agent with capability C"
  std::vector<tasks::Part> input;
  std::optional<std::int64_t> acceptance_timeout_ms;
  std::optional<std::int64_t> deadline_ms;  // from now; none: no deadline
  std::string context_id;                   // empty: a new conversation
  std::optional<std::string> idempotency_key;
  tasks::Metadata metadata;
};

struct TaskActionRequest {
  tasks::Action action = tasks::Action::accept;
  std::vector<tasks::Part> parts;
  std::optional<std::uint8_t> percent;
  std::vector<tasks::ArtifactChunk> chunks;
  std::string reason;
  std::optional<std::string> request_id;
  // An action on a task whose home is on another daemon waits this long for
  // the home's answer (then answers pending).
  std::int64_t wait_ms = 10'000;
};

struct TaskResult {
  tasks::Task task;
  bool duplicate = false;  // the request id was seen: the first result's task, as it is now
  // The action went to the home's daemon and its answer has not come yet
  // (the outbox keeps sending it); `task` is this daemon's copy.
  bool pending = false;
};

// A conversation as one local agent sees it: the messages carrying its
// conversation_id that the agent sent or received (node/conversations.hpp).
enum class ConversationState { active, expired };
std::string_view to_string(ConversationState s) noexcept;
std::optional<ConversationState> parse_conversation_state(std::string_view s) noexcept;

struct Conversation {
  std::string id;
  std::vector<core::AgentId> participants;  // the agent included
  std::string protocol;
  std::uint64_t messages = 0;  // every message so far, also those no longer kept
  std::int64_t first_ms = 0;
  std::int64_t last_ms = 0;
  ConversationState state = ConversationState::active;
  std::int64_t expires_ms = 0;  // when it expires unless another message comes
};

struct ConversationEntry {
  std::uint64_t index = 0;  // its place in the conversation, from 1
  bool sent = false;        // sent by the agent; otherwise received
  core::AgentId from;
  core::AgentId to;
  core::RequestId request_id;
  core::Seq seq;  // received: the agent's inbox seq
  std::int64_t time_ms = 0;
  MessageContent content;
};

// GET /v1/agents/{id}/conversations/{cid}: the record and a page of messages.
struct ConversationView {
  Conversation conversation;
  std::vector<ConversationEntry> messages;
  std::uint64_t first_kept = 0;  // the oldest message index still kept (older ones were dropped)
};

struct ConversationListQuery {
  std::optional<ConversationState> state;
  std::string after;  // ids greater than this
  std::size_t limit = 100;
};

// GET /v1/diagnostics/conversations and /metrics.
struct ConversationStats {
  std::uint64_t views = 0;  // conversation views kept (one per local participant)
  std::uint64_t active = 0;
  std::uint64_t created = 0;       // views started since the daemon started
  std::uint64_t purged = 0;        // expired views deleted since the daemon started
  double average_messages = 0;     // over the views kept
  double average_duration_ms = 0;  // first to last message, over the views kept
  // Views that went idle (expired) since the daemon started: their lengths
  // (messages) and durations (first to last message).
  core::Histogram::Snapshot ended_messages;
  core::Histogram::Snapshot ended_duration_ms;
};

struct TaskListQuery {
  store::TaskQuery::Role role = store::TaskQuery::Role::any;
  std::optional<tasks::TaskState> state;
  std::string context_id;
  std::optional<core::TaskId> after;
  std::size_t limit = 100;
};

}  // namespace agentmesh::node
