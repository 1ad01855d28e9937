#pragma once
// NodeConfig: everything the node needs, with documented defaults. Built once
// by the daemon (flags > environment > TOML > defaults) and validated there.

#include <chrono>
#include <cstdint>
#include <filesystem>

#include "direct/receiver.hpp"
#include "direct/retry.hpp"
#include "registry/liveness.hpp"
#include "store/records.hpp"
#include "store/writer.hpp"
#include "tasks/machine.hpp"
#include "transport/config.hpp"

namespace agentmesh::node {

// Direct messages to and from other daemons (issue 5).
struct DirectConfig {
  static constexpr std::int64_t kDefaultTtlMs = 120'000;
  static constexpr std::int64_t kDefaultStatusRetentionMs = 3'600'000;
  static constexpr std::size_t kDefaultMaxOutbox = 100'000;

  // A message's lifetime when the sender gives no ttl_ms.
  std::int64_t default_ttl_ms = kDefaultTtlMs;
  // How long a finished message's status (GET .../messages/{request_id})
  // is kept; with an idempotency key, idempotency_retention_ms instead.
  std::int64_t status_retention_ms = kDefaultStatusRetentionMs;
  // Pending messages the outbox holds, and their payload bytes (kept in
  // memory for the retries); beyond either, sends fail with outbox_full.
  std::size_t max_outbox = kDefaultMaxOutbox;
  std::size_t max_outbox_bytes = 256u << 20;
  // Attempts started per outbox pass (the rest wait for the next pass).
  std::size_t max_attempts_in_flight = 4096;
  // Envelopes one inbound /agentmesh/dm/1.0.0 stream may have in flight
  // (checked and waiting for their commit); reading pauses beyond.
  std::size_t max_inflight_per_stream = 1024;
  // Longest a `"wait": "ack"` send may wait.
  std::int64_t max_wait_ms = 60'000;
  direct::RetryConfig retry;
  direct::CircuitBreakerConfig breaker;
  // Receiver checks: clock skew, max lifetime (max_ttl_ms), payload limit.
  direct::ReceiverConfig receiver;
};

// Tasks (issue 13; node/tasks.hpp).
struct TaskConfig {
  static constexpr std::int64_t kDefaultAcceptanceTimeoutMs = 30'000;
  static constexpr std::size_t kDefaultMaxOpenTasksPerAgent = 10'000;
  static constexpr std::size_t kDefaultMaxCandidates = 16;
  static constexpr std::int64_t kDefaultRetentionMs = 24LL * 3600 * 1000;

  // When the requester gives no acceptance_timeout_ms.
  std::int64_t acceptance_timeout_ms = kDefaultAcceptanceTimeoutMs;
  // Unfinished tasks one agent may have requested; beyond, too_many_tasks.
  std::size_t max_open_tasks_per_agent = kDefaultMaxOpenTasksPerAgent;
  // Candidates a capability-addressed task is offered to, at most.
  std::size_t max_candidates = kDefaultMaxCandidates;
  // Ended tasks and idempotency records are kept this long, then purged.
  std::int64_t retention_ms = kDefaultRetentionMs;
  tasks::Limits limits;
};

// Conversations (issue 13; node/conversations.hpp).
struct ConversationConfig {
  static constexpr std::int64_t kDefaultIdleTimeoutMs = 24LL * 3600 * 1000;
  static constexpr std::int64_t kDefaultRetentionMs = 7LL * 24 * 3600 * 1000;

  // A conversation with no message for this long is `expired` (a new
  // message makes it active again).
  std::int64_t idle_timeout_ms = kDefaultIdleTimeoutMs;
  // Expired conversations are kept this long, then deleted with their
  // messages.
  std::int64_t retention_ms = kDefaultRetentionMs;
  // Messages kept per conversation view, and views per agent.
  store::ConversationLimits limits;
};

struct NodeConfig {
  static constexpr std::size_t kDefaultMaxPayloadBytes = 1 << 20;
  static constexpr std::int64_t kDefaultIdempotencyRetentionMs = 24LL * 3600 * 1000;
  static constexpr std::size_t kDefaultMaxStreamsPerAgent = 16;
  static constexpr std::int64_t kDefaultMaxTtlMs = 600'000;
  static constexpr std::int64_t kDefaultAckedRetentionMs = 24LL * 3600 * 1000;

  // Where keys and the database live. Must exist, mode 0700 (the daemon
  // creates it).
  std::filesystem::path data_dir;
  // Largest message payload accepted (bytes, after base64 decoding).
  std::size_t max_payload_bytes = kDefaultMaxPayloadBytes;
  // How long an idempotency key is remembered after its first use.
  std::int64_t idempotency_retention_ms = kDefaultIdempotencyRetentionMs;
  // How long an acknowledged message stays readable (GET inbox) before it is
  // pruned. Unacknowledged messages are never pruned.
  std::int64_t acked_retention_ms = kDefaultAckedRetentionMs;
  // Longest message lifetime a sender may ask for (ttl_ms).
  std::int64_t max_ttl_ms = kDefaultMaxTtlMs;
  // Concurrent SSE/WebSocket streams one agent may hold open.
  std::size_t max_streams_per_agent = kDefaultMaxStreamsPerAgent;
  // Direct messages between daemons: the outbox, retries, receiver checks.
  DirectConfig direct;
  // The group-commit writer's queue and batch limits.
  store::WriterConfig writer;
  // The task lifecycle: default timeouts, bounds, retention, size limits.
  TaskConfig tasks;
  ConversationConfig conversations;
  // Presence of remote agents: liveness beacons and the failure detector
  // (registry/liveness.hpp; [presence] in the configuration file).
  registry::LivenessConfig presence;
  // The node-to-node transport: listen and bootstrap addresses, limits.
  transport::TransportConfig transport;
};

}  // namespace agentmesh::node
