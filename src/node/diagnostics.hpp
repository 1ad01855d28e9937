#pragma once
// node/diagnostics: one snapshot of every figure the node's services report,
// as plain structs. The API renders it (GET /v1/diagnostics/*, /metrics) and
// the health monitor judges it (node/health.hpp); nothing here is JSON or
// Prometheus text.
//
// Threading: taken on the node's executor (Node::diagnostics()); the values
// are copies, usable anywhere.

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "core/memory.hpp"
#include "core/metrics.hpp"
#include "node/direct.hpp"
#include "node/directory.hpp"
#include "node/inboxes.hpp"
#include "node/tasks.hpp"
#include "node/topics.hpp"
#include "node/types.hpp"
#include "pubsub/router.hpp"
#include "pubsub/service.hpp"
#include "transport/info.hpp"

namespace agentmesh::node {

struct MessageFigures {
  std::uint64_t accepted = 0;
  std::uint64_t duplicate = 0;
  std::uint64_t rejected = 0;
  std::uint64_t acks = 0;
  std::uint64_t dead_lettered = 0;
};

struct StoreFigures {
  core::QueueStats writer_queue;
  core::Histogram::Snapshot commit_latency_ms;  // begin to fsync'd commit
  core::Histogram::Snapshot batch_sizes;        // jobs per group commit
  core::Histogram::Snapshot dwell_ms;           // a job's wait in the writer's queue
  std::uint64_t commits = 0;
  std::uint64_t commit_failures = 0;
  bool last_commit_failed = false;
  std::uint64_t failures = 0;        // database failures seen by the services
  std::string last_failure;          // its message
  std::uint64_t database_bytes = 0;  // the database file and its WAL
  std::uint64_t wal_writes = 0;      // WAL writes SQLite asked for (this process's databases)
  std::uint64_t wal_write_calls = 0;  // the system calls that carried them
  bool stopped = false;
};

struct PubsubFigures {
  pubsub::RouterCounters router;
  pubsub::ServiceStats service;
  std::vector<TopicView> topics;
  std::vector<std::pair<double, std::string>> scores;  // (score, peer id), ascending
  TopicStats subscribers;
  DirectoryStats adverts;
};

// The daemon process, from /proc/self (Linux).
struct ProcessFigures {
  std::uint64_t resident_bytes = 0;
  std::uint64_t virtual_bytes = 0;
  double cpu_seconds = 0;
  std::uint64_t open_fds = 0;
  std::uint64_t max_fds = 0;
  double start_time_seconds = 0;  // Unix time
  core::AllocatorFigures allocator;  // jemalloc's figures (release builds; zero otherwise)
};
ProcessFigures read_process_figures();

struct Diagnostics {
  std::int64_t uptime_s = 0;
  std::size_t agents = 0;
  MessageFigures messages;
  InboxStats inboxes;
  StoreFigures store;
  DirectStats direct;
  TaskStats tasks;
  // Read from the store: filled in only by NodeHandle::diagnostics(true)
  // (/metrics, /v1/diagnostics/conversations), not for health or other routes.
  ConversationStats conversations;
  transport::TransportDiagnostics transport;
  std::size_t bootstrap_peers = 0;  // configured
  PubsubFigures pubsub;
  std::map<std::string, std::uint64_t> task_exceptions;  // by where
};

}  // namespace agentmesh::node
