// Node::render_metrics: the node's and the store's part of GET /metrics.

#include "node/node.hpp"
#include <fmt/format.h>

#include "node/direct_state.hpp"
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
  render_direct_metrics(out);
}

void Node::render_direct_metrics(std::string& out) const {
  const auto& d = *direct_;
  const auto& st = d.stats;
  prom::gauge(out, "agentmesh_outbox_pending", "messages waiting for a remote ack", static_cast<double>(d.outbox.size()));
  prom::gauge(out, "agentmesh_outbox_capacity", "most pending messages the outbox holds",
              static_cast<double>(config_.direct.max_outbox));
  prom::counter(out, "agentmesh_outbox_refused_total", "sends refused because the outbox was full", st.refused_full);
  prom::header(out, "agentmesh_direct_attempts_total", "counter", "delivery attempts to other daemons, by path");
  prom::sample(out, "agentmesh_direct_attempts_total", "path=\"direct\"", static_cast<double>(st.attempts_direct));
  prom::sample(out, "agentmesh_direct_attempts_total", "path=\"gossip\"", static_cast<double>(st.attempts_gossip));
  prom::header(out, "agentmesh_direct_attempt_failures_total", "counter", "failed delivery attempts, by reason");
  for (const auto& [reason, n] : st.failures_by_reason) {
    prom::sample(out, "agentmesh_direct_attempt_failures_total", fmt::format("reason=\"{}\"", reason),
                 static_cast<double>(n));
  }
  prom::header(out, "agentmesh_direct_outcomes_total", "counter", "sent messages finished, by outcome");
  prom::sample(out, "agentmesh_direct_outcomes_total", "outcome=\"accepted\"", static_cast<double>(st.accepted));
  prom::sample(out, "agentmesh_direct_outcomes_total", "outcome=\"rejected\"", static_cast<double>(st.rejected));
  prom::sample(out, "agentmesh_direct_outcomes_total", "outcome=\"expired\"", static_cast<double>(st.expired));
  prom::counter(out, "agentmesh_direct_acks_invalid_total", "acks that did not verify or matched no message",
                st.acks_invalid);
  prom::header(out, "agentmesh_direct_received_total", "counter", "envelopes received from other daemons, by path");
  prom::sample(out, "agentmesh_direct_received_total", "path=\"direct\"", static_cast<double>(st.received_direct));
  prom::sample(out, "agentmesh_direct_received_total", "path=\"gossip\"", static_cast<double>(st.received_gossip));
  prom::counter(out, "agentmesh_direct_received_duplicate_total", "envelopes answered from the dedup table",
                st.received_duplicate);
  prom::counter(out, "agentmesh_direct_malformed_total", "frames on dm streams or inbox topics that did not decode",
                st.malformed_frames);
  prom::header(out, "agentmesh_direct_rejected_total", "counter", "envelopes refused by this daemon, by reason");
  for (const auto& [reason, n] : st.rejected_by_reason) {
    prom::sample(out, "agentmesh_direct_rejected_total", fmt::format("reason=\"{}\"", reason),
                 static_cast<double>(n));
  }
  std::size_t open = 0;
  const auto now = std::chrono::steady_clock::now();
  for (const auto& [peer, b] : d.breakers) open += b.state(now) != direct::CircuitBreaker::State::closed ? 1 : 0;
  prom::gauge(out, "agentmesh_direct_breakers_open", "peers whose circuit breaker is open or half-open",
              static_cast<double>(open));
}

}  // namespace agentmesh::node
