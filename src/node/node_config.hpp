#pragma once
// NodeConfig: everything the node needs, with documented defaults. Built once
// by the daemon (flags > environment > TOML > defaults) and validated there.

#include <chrono>
#include <cstdint>
#include <filesystem>

#include "store/writer.hpp"
#include "transport/config.hpp"

namespace agentmesh::node {

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
  // The group-commit writer's queue and batch limits.
  store::WriterConfig writer;
  // The node-to-node transport: listen and bootstrap addresses, limits.
  transport::TransportConfig transport;
};

}  // namespace agentmesh::node
