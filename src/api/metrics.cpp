// GET /metrics, family by family.

#include "api/metrics.hpp"

#include <fmt/format.h>

#include <map>
#include <optional>
#include <tuple>

#include "api/prometheus.hpp"

namespace agentmesh::api {

namespace {

// Histograms kept in milliseconds are exposed in seconds.
constexpr double kMsToSeconds = 1e-3;

void by_label(std::string& out, std::string_view name, std::string_view type, std::string_view help,
              std::string_view label, const std::map<std::string, std::uint64_t>& values) {
  prom::header(out, name, type, help);
  for (const auto& [k, v] : values) prom::sample(out, name, fmt::format("{}=\"{}\"", label, k), static_cast<double>(v));
}

void render_messages(std::string& out, const node::Diagnostics& d) {
  const auto& m = d.messages;
  prom::counter(out, "agentmesh_messages_accepted_total", "messages committed to a recipient inbox", m.accepted);
  prom::counter(out, "agentmesh_messages_duplicate_total", "sends answered from the dedup table", m.duplicate);
  prom::counter(out, "agentmesh_messages_rejected_total", "sends and receptions that were refused", m.rejected);
  prom::counter(out, "agentmesh_inbox_acks_total", "inbox acknowledgements committed", m.acks);
  prom::counter(out, "agentmesh_dead_letters_total", "messages moved to dead letters", m.dead_lettered);
  prom::gauge(out, "agentmesh_agents", "local agents", static_cast<double>(d.agents));
  prom::header(out, "agentmesh_inbox_depth", "gauge", "unacknowledged messages per local agent");
  std::uint64_t all = 0;
  for (const auto& a : d.inboxes.agents) {
    all += a.position.unacked();
    prom::sample(out, "agentmesh_inbox_depth", fmt::format("agent=\"{}\"", a.name),
                 static_cast<double>(a.position.unacked()));
  }
  prom::gauge(out, "agentmesh_inbox_unacked_messages", "unacknowledged messages, all local agents",
              static_cast<double>(all));
  prom::gauge(out, "agentmesh_stream_clients", "open SSE and WebSocket streams",
              static_cast<double>(d.inboxes.streams));
}

void render_conversations(std::string& out, const node::ConversationStats& c) {
  prom::header(out, "agentmesh_conversations", "gauge",
               "conversation views kept (one per local participant), by state");
  prom::sample(out, "agentmesh_conversations", "state=\"active\"", static_cast<double>(c.active));
  prom::sample(out, "agentmesh_conversations", "state=\"expired\"", static_cast<double>(c.views - c.active));
  prom::counter(out, "agentmesh_conversations_created_total", "conversation views started", c.created);
  prom::counter(out, "agentmesh_conversations_purged_total", "expired conversation views deleted", c.purged);
  prom::histogram(out, "agentmesh_conversation_messages", "messages of the conversation views that expired",
                  c.ended_messages);
  prom::histogram(out, "agentmesh_conversation_duration_seconds",
                  "first to last message of the conversation views that expired", c.ended_duration_ms, kMsToSeconds);
}

void render_store(std::string& out, const node::StoreFigures& s) {
  prom::counter(out, "agentmesh_store_failures_total", "store operations that failed (I/O, corruption)", s.failures);
  prom::histogram(out, "agentmesh_store_commit_latency_seconds", "group commit latency (begin to fsync'd commit)",
                  s.commit_latency_ms, kMsToSeconds);
  prom::histogram(out, "agentmesh_store_commit_batch_size", "jobs per group commit", s.batch_sizes);
  prom::counter(out, "agentmesh_store_commits_total", "group commits", s.commits);
  prom::counter(out, "agentmesh_store_commit_failures_total", "group commits that failed", s.commit_failures);
  prom::gauge(out, "agentmesh_store_database_bytes", "size of the database file and its write-ahead log",
              static_cast<double>(s.database_bytes));
  prom::counter(out, "agentmesh_store_wal_writes_total", "writes to the write-ahead log asked for by SQLite",
                s.wal_writes);
  prom::counter(out, "agentmesh_store_wal_write_calls_total", "system calls that carried the write-ahead log's writes",
                s.wal_write_calls);
}

// Every bounded queue: capacity, depth, max depth, enqueued, dropped, and the
// store writer's dwell time as a histogram.
void render_queues(std::string& out, const node::Diagnostics& d) {
  const auto& w = d.store.writer_queue;
  const auto& ps = d.pubsub.service;
  struct Row {
    std::string_view queue;
    std::optional<double> capacity, depth, max_depth, enqueued, dropped;
  };
  const Row rows[] = {
      {"store_writer", double(w.capacity), double(w.depth), double(w.max_depth), double(w.enqueued), double(w.dropped)},
      {"pubsub_outbound", std::nullopt, double(ps.queued), double(ps.max_queued), std::nullopt,
       double(ps.rpcs_dropped)},
      {"topic_subscribers", std::nullopt, double(d.pubsub.subscribers.subscriber_depth), std::nullopt, std::nullopt,
       double(d.pubsub.subscribers.subscriber_dropped)},
      {"outbox", double(d.direct.capacity), double(d.direct.pending), std::nullopt, double(d.direct.sent.queued),
       double(d.direct.refused_full)},
  };
  using Field = std::optional<double> Row::*;
  const std::tuple<const char*, const char*, Field> families[] = {
      {"agentmesh_queue_capacity", "gauge", &Row::capacity},
      {"agentmesh_queue_depth", "gauge", &Row::depth},
      {"agentmesh_queue_max_depth", "gauge", &Row::max_depth},
      {"agentmesh_queue_enqueued_total", "counter", &Row::enqueued},
      {"agentmesh_queue_dropped_total", "counter", &Row::dropped},
  };
  for (const auto& [name, type, field] : families) {
    prom::header(out, name, type, "bounded queue statistics");
    for (const auto& r : rows) {
      if (r.*field) prom::sample(out, name, fmt::format("queue=\"{}\"", r.queue), *(r.*field));
    }
  }
  prom::header(out, "agentmesh_queue_dwell_seconds", "histogram", "time a job waited in the queue");
  prom::histogram_samples(out, "agentmesh_queue_dwell_seconds", "queue=\"store_writer\"", d.store.dwell_ms,
                          kMsToSeconds);
}

void render_http(std::string& out, const ApiStats& s) {
  prom::header(out, "agentmesh_http_requests_total", "counter", "HTTP requests by route and status");
  for (const auto& [key, count] : s.requests) {
    prom::sample(out, "agentmesh_http_requests_total", fmt::format("route=\"{}\",status=\"{}\"", key.first, key.second),
                 static_cast<double>(count));
  }
  prom::gauge(out, "agentmesh_http_connections", "open HTTP connections", static_cast<double>(s.connections_open));
  prom::counter(out, "agentmesh_http_connections_total", "accepted HTTP connections", s.connections_total);
  prom::counter(out, "agentmesh_http_connections_rejected_total", "connections refused over the limit",
                s.connections_rejected);
  prom::counter(out, "agentmesh_http_bad_requests_total", "unparseable or over-limit HTTP requests", s.bad_requests);
  prom::counter(out, "agentmesh_http_header_timeouts_total",
                "connections closed because a request header was not finished in time", s.header_timeouts);
  prom::counter(out, "agentmesh_sse_events_total", "SSE message events sent", s.sse_events);
  prom::counter(out, "agentmesh_ws_messages_total", "WebSocket messages sent", s.ws_messages);
}

void render_process(std::string& out, const node::ProcessFigures& p,
                    const std::map<std::string, std::uint64_t>& tasks) {
  prom::gauge(out, "process_resident_memory_bytes", "resident memory size", static_cast<double>(p.resident_bytes));
  prom::gauge(out, "process_virtual_memory_bytes", "virtual memory size", static_cast<double>(p.virtual_bytes));
  prom::header(out, "process_cpu_seconds_total", "counter", "user and system CPU time spent");
  prom::sample(out, "process_cpu_seconds_total", {}, p.cpu_seconds);
  prom::gauge(out, "process_open_fds", "open file descriptors", static_cast<double>(p.open_fds));
  prom::gauge(out, "process_max_fds", "the limit on open file descriptors", static_cast<double>(p.max_fds));
  prom::gauge(out, "process_start_time_seconds", "start time of the process since the Unix epoch",
              p.start_time_seconds);
  if (p.allocator.available) {  // jemalloc (release builds)
    prom::gauge(out, "agentmesh_allocator_allocated_bytes", "memory in use by the program",
                static_cast<double>(p.allocator.allocated_bytes));
    prom::gauge(out, "agentmesh_allocator_free_bytes", "free pages the allocator keeps resident",
                static_cast<double>(p.allocator.free_bytes));
    prom::counter(out, "agentmesh_allocator_trimmed_bytes_total", "free pages returned to the system",
                  p.allocator.trimmed_bytes_total);
  }
  by_label(out, "agentmesh_task_exceptions_total", "counter",
           "spawned coroutines ended by an exception (a bug: see the log), by where", "where", tasks);
}

}  // namespace

void render_transport_metrics(std::string& out, const transport::TransportDiagnostics& d);
void render_pubsub_metrics(std::string& out, const node::PubsubFigures& p);
void render_direct_metrics(std::string& out, const node::DirectStats& d);

// The A2A listener and gateway, when running.
void render_a2a(std::string& out, const A2aFigures& a) {
  const auto& l = a.listener;
  const auto& g = a.gateway;
  prom::gauge(out, "agentmesh_a2a_connections", "open connections to the A2A gateway",
              static_cast<double>(l.connections_open));
  prom::counter(out, "agentmesh_a2a_connections_total", "accepted A2A gateway connections", l.connections_total);
  prom::header(out, "agentmesh_a2a_refused_total", "counter", "A2A gateway connections and requests refused, by why");
  const std::pair<const char*, std::uint64_t> refused[] = {
      {"connections", l.connections_rejected},
      {"connections_per_address", l.connections_rejected_per_address},
      {"rate", l.rate_limited},
      {"header_timeout", l.header_timeouts},
      {"bad_request", l.bad_requests},
      {"tls_handshake", l.tls_handshake_failures},
      {"unauthenticated", g.unauthenticated}};
  for (const auto& [reason, n] : refused) {
    prom::sample(out, "agentmesh_a2a_refused_total", fmt::format("reason=\"{}\"", reason), static_cast<double>(n));
  }
  prom::counter(out, "agentmesh_a2a_calls_total", "method calls to the A2A gateway (either binding)", g.calls);
  prom::counter(out, "agentmesh_a2a_rest_calls_total", "of those, through the HTTP+JSON binding", g.rest_calls);
  prom::counter(out, "agentmesh_a2a_v03_calls_total", "of those, by A2A 0.3 method names", g.v03_calls);
  prom::counter(out, "agentmesh_a2a_errors_total", "A2A gateway calls answered with an error", g.errors);
  prom::counter(out, "agentmesh_a2a_tasks_created_total", "tasks created by A2A SendMessage", g.tasks_created);
  prom::gauge(out, "agentmesh_a2a_waiting_calls", "blocking SendMessage calls waiting", static_cast<double>(g.waiting));
  prom::counter(out, "agentmesh_a2a_cards_served_total", "Agent Cards served", g.cards_served);
  prom::counter(out, "agentmesh_a2a_push_configs_created_total", "push notification configs made or replaced",
                g.push_configs_created);
  prom::counter(out, "agentmesh_a2a_webhooks_refused_total", "push configs refused for their webhook's address",
                g.webhooks_refused);
  prom::gauge(out, "agentmesh_a2a_push_deliverers", "push notification deliverers running",
              static_cast<double>(g.push_active));
  prom::counter(out, "agentmesh_a2a_push_delivered_total", "push notifications answered 2xx", g.push_delivered);
  prom::counter(out, "agentmesh_a2a_push_failures_total", "push notification POSTs that failed", g.push_failures);
  prom::counter(out, "agentmesh_a2a_push_abandoned_total", "push configs given up with steps undelivered",
                g.push_abandoned);
}

std::string render_metrics(const node::Diagnostics& d, const ApiStats& http, const node::ProcessFigures& process,
                           const std::optional<A2aFigures>& a2a) {
  std::string out;
  out.reserve(16 * 1024);
  render_messages(out, d);
  render_conversations(out, d.conversations);
  render_store(out, d.store);
  render_queues(out, d);
  render_transport_metrics(out, d.transport);
  render_pubsub_metrics(out, d.pubsub);
  render_direct_metrics(out, d.direct);
  render_http(out, http);
  if (a2a) render_a2a(out, *a2a);
  render_process(out, process, d.task_exceptions);
  return out;
}

}  // namespace agentmesh::api
