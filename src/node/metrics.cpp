// Node::render_metrics: the node's and the store's part of GET /metrics.

#include "node/node.hpp"
#include <fmt/format.h>

#include "node/prometheus.hpp"

namespace agentmesh::node {

void Node::render_metrics(std::string& out) const {
  prom::counter(out, "agentmesh_messages_accepted_total", "messages committed to a recipient inbox",
                counters_.messages_accepted.value());
  prom::counter(out, "agentmesh_messages_duplicate_total", "sends answered from the dedup table",
                counters_.messages_duplicate.value());
  prom::counter(out, "agentmesh_messages_rejected_total", "sends that were not accepted",
                counters_.messages_rejected.value());
  prom::counter(out, "agentmesh_inbox_acks_total", "inbox acknowledgements committed", counters_.acks.value());
  prom::counter(out, "agentmesh_dead_letters_total", "messages moved to dead letters", counters_.dead_lettered.value());
  prom::counter(out, "agentmesh_store_failures_total", "store operations that failed", counters_.store_failures.value());
  prom::gauge(out, "agentmesh_agents", "local agents", static_cast<double>(agents_.size()));

  prom::header(out, "agentmesh_inbox_depth", "gauge", "unacknowledged messages per local agent");
  std::uint64_t total_depth = 0;
  for (const auto* a : agents_.all()) {
    const auto it = cursors_.find(a->id);
    const auto depth = it == cursors_.end() ? 0 : it->second.last.value - it->second.acked.value;
    total_depth += depth;
    prom::sample(out, "agentmesh_inbox_depth", fmt::format("agent=\"{}\"", a->name), static_cast<double>(depth));
  }
  prom::gauge(out, "agentmesh_inbox_depth_total", "unacknowledged messages, all agents",
              static_cast<double>(total_depth));
  prom::gauge(out, "agentmesh_stream_clients", "open SSE and WebSocket streams", static_cast<double>(total_streams_));

  prom::histogram(out, "agentmesh_store_commit_latency_ms", "group commit latency (begin to fsync'd commit)",
                  writer_->commit_latency_ms());
  prom::histogram(out, "agentmesh_store_commit_batch_size", "jobs per group commit", writer_->batch_sizes());
  prom::counter(out, "agentmesh_store_commits_total", "group commits", writer_->commits());
  prom::counter(out, "agentmesh_store_commit_failures_total", "group commits that failed", writer_->commit_failures());
  prom::queues(out, {{"store_writer", writer_->queue_stats()}});
  render_transport_metrics(out);
}

}  // namespace agentmesh::node
