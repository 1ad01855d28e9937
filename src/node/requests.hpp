#pragma once
// The values the node's operations take and return: plain structs with no
// Asio, so the API's JSON mapping (and its fuzzer) can use them without the
// node's coroutine machinery.

#include <deque>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/multiaddr.hpp"
#include "core/pressure.hpp"
#include "core/peer_id.hpp"
#include <string_view>
#include <vector>

#include "core/ids.hpp"
#include "store/records.hpp"

namespace agentmesh::node {

struct AgentView {
  store::AgentRecord record;
  store::InboxCursor cursor;
  std::size_t streams = 0;
};

struct CreateAgentRequest {
  std::string name;
  std::vector<std::string> capabilities;
  std::string display_name;  // defaults to the name
};

struct CreatedAgent {
  AgentView agent;
  std::string token;  // shown once; only its hash is stored
};

struct UpdateAgentRequest {
  std::optional<std::vector<std::string>> capabilities;
  std::optional<store::AgentState> state;
  std::optional<std::string> display_name;
};

// How a message to an agent on another daemon travels (docs/api.md).
enum class PathHint { any, direct, gossip };

struct SendRequest {
  std::string to;  // agent id or local name
  store::MessageContent content;
  std::optional<std::int64_t> ttl_ms;
  std::optional<std::string> idempotency_key;
  bool sign = false;               // carry the optional Ed25519 signature (remote only)
  PathHint path = PathHint::any;   // remote only
  // Wait for the recipient's ack (or a final outcome) this long; 0: answer
  // once the message is queued.
  std::int64_t wait_ms = 0;
};

// A send's receipt, and GET /v1/agents/{id}/messages/{request_id}.
struct SendReceipt {
  core::RequestId request_id;
  core::AgentId recipient;
  core::Seq seq;             // accepted: the recipient's inbox seq
  bool duplicate = false;    // an identical earlier send (same idempotency key)
  std::string state = "accepted";  // queued, sending, accepted, rejected, expired
  std::string path = "loopback";   // loopback, direct, gossip (the last attempt's); empty before any
  std::uint32_t attempts = 1;
  std::string reason;        // rejected/expired: why; queued: the last attempt's error
  std::int64_t created_ms = 0;
  std::int64_t expires_ms = 0;
};

// GET /v1/node.
struct NodeInfo {
  explicit NodeInfo(core::PeerId p) : peer(p) {}
  core::PeerId peer;
  std::vector<core::Multiaddr> listen_addrs;  // with /p2p/<peer>
  std::string agent_version;
  std::vector<std::string> protocols;
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

// A live subscriber: a bounded queue the node fills and the stream drains.
// On overflow the newest event is dropped and counted; the stream reports
// the gap to its client.
struct TopicSubscriber {
  static constexpr std::size_t kDefaultCapacity = 1024;
  std::string topic;
  std::size_t capacity = kDefaultCapacity;
  std::deque<TopicEvent> queue;
  std::uint64_t dropped = 0;          // not yet reported to the client
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
  bool local = false;
};

// GET /v1/topics.
struct TopicView {
  std::string topic;
  std::size_t local_subscribers = 0;
  std::size_t mesh = 0;
  std::size_t fanout = 0;
  std::size_t peers = 0;
};

}  // namespace agentmesh::node
