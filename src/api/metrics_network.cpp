// GET /metrics: the transport, gossipsub and direct-message families.

#include <fmt/format.h>

#include <initializer_list>
#include <tuple>

#include "api/metrics.hpp"
#include "api/prometheus.hpp"

namespace agentmesh::api {

namespace {

void by_reason(std::string& out, std::string_view name, std::string_view help,
               const std::map<std::string, std::uint64_t>& m) {
  prom::header(out, name, "counter", help);
  for (const auto& [reason, n] : m)
    prom::sample(out, name, fmt::format("reason=\"{}\"", reason), static_cast<double>(n));
}

// One metric with a sample per value of `label`.
void by_label(std::string& out, std::string_view name, std::string_view type, std::string_view help,
              std::string_view label, std::initializer_list<std::pair<std::string_view, double>> samples) {
  prom::header(out, name, type, help);
  for (const auto& [value, n] : samples) prom::sample(out, name, fmt::format("{}=\"{}\"", label, value), n);
}

void two_way(std::string& out, std::string_view name, std::string_view type, std::string_view help,
             std::string_view label, std::pair<std::string_view, double> a, std::pair<std::string_view, double> b) {
  by_label(out, name, type, help, label, {a, b});
}

}  // namespace

namespace {

core::Histogram::Snapshot dwell_snapshot(const transport::DwellHistogram& h) {
  core::Histogram::Snapshot s;
  s.bounds.assign(h.kBoundsMs.begin(), h.kBoundsMs.end());
  std::uint64_t seen = 0;
  for (const auto c : h.counts) s.cumulative.push_back(seen += c);
  s.sum = h.sum_ms;
  s.count = h.count;
  return s;
}

// Per peer and traffic class (transport/traffic.hpp): one series per
// connected peer, so as many as the connection limit allows.
void render_queue_metrics(std::string& out, const std::vector<transport::PeerQueues>& queues) {
  struct Series {
    std::string_view name, type, help;
    double (*value)(const transport::TrafficFigures&);
    std::string_view extra;  // more labels
  };
  static constexpr Series kSeries[] = {
      {"agentmesh_p2p_queue_bytes", "gauge", "bytes waiting per peer and traffic class (out: to send, in: to read)",
       [](const transport::TrafficFigures& f) { return double(f.stats.out.queued_bytes); }, ",direction=\"out\""},
      {"agentmesh_p2p_queue_bytes", "", "", [](const transport::TrafficFigures& f) { return double(f.stats.in.queued_bytes); },
       ",direction=\"in\""},
      {"agentmesh_p2p_queue_sent_bytes_total", "counter", "bytes handed to the socket per peer and traffic class",
       [](const transport::TrafficFigures& f) { return double(f.stats.out.removed_bytes); }, ""},
      {"agentmesh_p2p_queue_received_bytes_total", "counter", "bytes received per peer and traffic class",
       [](const transport::TrafficFigures& f) { return double(f.stats.in.added_bytes); }, ""},
      {"agentmesh_p2p_queue_app_queued", "gauge", "items the layer above queues per peer (gossip: RPCs)",
       [](const transport::TrafficFigures& f) { return double(f.app_queued); }, ""},
      {"agentmesh_p2p_queue_dropped_total", "counter", "items dropped per peer (gossip: RPCs, control: ping answers)",
       [](const transport::TrafficFigures& f) { return double(f.dropped); }, ""},
  };
  for (const auto& s : kSeries) {
    if (!s.type.empty()) prom::header(out, s.name, s.type, s.help);
    for (const auto& q : queues) {
      const auto peer = q.peer.to_string();
      for (const auto& f : q.traffic) {
        prom::sample(out, s.name, fmt::format("peer=\"{}\",traffic=\"{}\"{}", peer, transport::to_string(f.traffic), s.extra),
                     s.value(f));
      }
    }
  }
  // Waits by traffic class over all peers (per peer: the JSON's quantiles).
  std::array<transport::DwellHistogram, transport::kTrafficClasses> out_dwell, in_dwell;
  for (const auto& q : queues) {
    for (const auto& f : q.traffic) {
      out_dwell[static_cast<std::size_t>(f.traffic)].merge(f.stats.out.dwell);
      in_dwell[static_cast<std::size_t>(f.traffic)].merge(f.stats.in.dwell);
    }
  }
  constexpr std::string_view kDwell = "agentmesh_p2p_queue_dwell_seconds";
  prom::header(out, kDwell, "histogram", "wait per traffic class (out: queued to the socket, in: received to read)");
  for (std::size_t i = 0; i < transport::kTrafficClasses; ++i) {
    const auto traffic = transport::to_string(static_cast<transport::Traffic>(i));
    for (const auto& [direction, h] : {std::pair{"out", &out_dwell[i]}, std::pair{"in", &in_dwell[i]}}) {
      if (h->count == 0) continue;
      prom::histogram_samples(out, kDwell, fmt::format("traffic=\"{}\",direction=\"{}\"", traffic, direction),
                              dwell_snapshot(*h), 1e-3);
    }
  }
}

}  // namespace

namespace {

void counted(std::string& out, std::string_view name, std::string_view help, std::string_view label,
             const std::map<std::string, std::uint64_t>& counts) {
  prom::header(out, name, "counter", help);
  for (const auto& [value, n] : counts) {
    prom::sample(out, name, fmt::format("{}=\"{}\"", label, value), static_cast<double>(n));
  }
}

void render_autonat_metrics(std::string& out, const transport::AutoNatStatus& a) {
  using transport::Reachability;
  auto is = [&](Reachability r) { return a.state == r ? 1.0 : 0.0; };
  by_label(out, "agentmesh_reachability", "gauge",
           "whether peers can dial this daemon (AutoNAT): 1 for the current state", "state",
           {{"unknown", is(Reachability::unknown)},
            {"public", is(Reachability::reachable)},
            {"private", is(Reachability::unreachable)}});
  counted(out, "agentmesh_autonat_answers_total", "answers to our AutoNAT checks, by status", "status", a.answers);
  by_label(out, "agentmesh_autonat_served_total", "counter", "AutoNAT requests this daemon answered, by result",
           "result", {{"dialed_back", double(a.dialed_back)}, {"dial_back_failed", double(a.dial_back_failed)}});
  counted(out, "agentmesh_autonat_refused_total", "AutoNAT requests refused, by reason", "reason", a.refused);
}

void render_circuit_metrics(std::string& out, const transport::RelayStatus& r) {
  two_way(out, "agentmesh_circuit_reservations", "gauge",
          "circuit relay reservations: held (ours, on relays) and served (our relay service's)", "side",
          {"held", double(r.reservations.size())}, {"served", double(r.service_reservations)});
  counted(out, "agentmesh_circuit_reserve_total", "our reservation requests, by answer", "result", r.reserve_results);
  counted(out, "agentmesh_circuit_dials_total", "dials through a relay, by outcome", "result", r.dials);
  prom::counter(out, "agentmesh_circuit_accepted_total", "circuits relays brought to us (stop protocol)",
                r.circuits_accepted);
  counted(out, "agentmesh_circuit_refused_total", "circuits we refused, by reason", "reason", r.circuits_refused);
  counted(out, "agentmesh_hole_punch_total", "direct-connection upgrades (DCUtR) we started, by outcome", "result",
          r.hole_punches);
  prom::counter(out, "agentmesh_hole_punch_attempts_total", "simultaneous-open attempts (DCUtR SYNCs sent)",
                r.hole_punch_attempts);
  counted(out, "agentmesh_hole_punch_served_total", "direct-connection upgrades peers started with us, by outcome",
          "result", r.hole_punches_served);
  prom::gauge(out, "agentmesh_circuit_service_circuits", "circuits our relay service carries now",
              double(r.service_circuits));
  counted(out, "agentmesh_circuit_service_requests_total", "hop requests our relay service answered, by status",
          "status", r.service_requests);
  counted(out, "agentmesh_circuit_service_closed_total", "circuits our relay service ended, by reason", "reason",
          r.service_circuits_closed);
  prom::counter(out, "agentmesh_circuit_service_bytes_total", "bytes our relay service carried, both directions",
                r.service_bytes);
}

}  // namespace

void render_transport_metrics(std::string& out, const transport::TransportDiagnostics& d) {
  render_autonat_metrics(out, d.autonat);
  render_circuit_metrics(out, d.relay);
  two_way(out, "agentmesh_p2p_connections", "gauge", "open peer connections by direction", "direction",
          {"inbound", double(d.connections_inbound)}, {"outbound", double(d.connections_outbound)});
  prom::gauge(out, "agentmesh_p2p_handshakes_in_progress", "connection upgrades under way",
              static_cast<double>(d.handshakes_in_progress));
  prom::counter(out, "agentmesh_p2p_handshakes_ok_total", "completed connection upgrades", d.handshakes_ok);
  by_reason(out, "agentmesh_p2p_handshakes_failed_total", "failed connection upgrades by reason", d.handshakes_failed);
  by_reason(out, "agentmesh_p2p_dial_failures_total", "failed dials by reason", d.dial_failures);
  by_reason(out, "agentmesh_p2p_frames_rejected_total", "malformed or abusive input from peers by reason",
            d.frames_rejected);
  by_reason(out, "agentmesh_p2p_connections_closed_total", "closed connections by reason", d.connections_closed);
  prom::counter(out, "agentmesh_p2p_accepted_total", "inbound TCP connections accepted", d.accepted);
  prom::counter(out, "agentmesh_p2p_dialed_total", "outbound TCP connections established", d.dialed);
  prom::counter(out, "agentmesh_p2p_refused_at_limit_total", "inbound connections closed at the connection limit",
                d.refused_at_limit);
  two_way(out, "agentmesh_p2p_streams_opened_total", "counter", "yamux streams opened by direction", "direction",
          {"inbound", double(d.streams_opened_in)}, {"outbound", double(d.streams_opened_out)});
  prom::gauge(out, "agentmesh_p2p_streams_open", "open yamux streams", static_cast<double>(d.streams_open));
  prom::counter(out, "agentmesh_p2p_streams_refused_total", "inbound streams refused over the limit",
                d.streams_refused);
  prom::counter(out, "agentmesh_p2p_window_stalls_total", "writes that waited for the peer's window", d.window_stalls);
  two_way(out, "agentmesh_p2p_bytes_total", "counter", "bytes on peer connections (ciphertext)", "direction",
          {"in", double(d.bytes_in)}, {"out", double(d.bytes_out)});
  prom::counter(out, "agentmesh_p2p_identify_ok_total", "identify exchanges completed", d.identify_ok);
  prom::counter(out, "agentmesh_p2p_identify_failed_total", "identify exchanges failed", d.identify_failed);
  prom::counter(out, "agentmesh_p2p_pings_ok_total", "/ipfs/ping round trips", d.pings_ok);
  prom::counter(out, "agentmesh_p2p_pings_failed_total", "/ipfs/ping failures", d.pings_failed);
  render_queue_metrics(out, d.queues);
}

void render_pubsub_metrics(std::string& out, const node::PubsubFigures& p) {
  const auto& c = p.router;
  prom::counter(out, "agentmesh_pubsub_published_total",
                "messages this daemon published: its agents', its directory adverts and beacons, relay items",
                c.published);
  prom::counter(out, "agentmesh_topic_messages_published_total", "messages local agents published on topics",
                p.subscribers.published);
  prom::counter(out, "agentmesh_pubsub_delivered_total", "accepted messages on joined topics", c.delivered);
  prom::counter(out, "agentmesh_pubsub_duplicate_total", "messages seen before", c.duplicates);
  prom::counter(out, "agentmesh_pubsub_invalid_total", "messages failing signature, size or validation", c.invalid);
  prom::counter(out, "agentmesh_pubsub_ignored_total", "messages the validator ignored", c.ignored);
  prom::header(out, "agentmesh_pubsub_control_total", "counter", "gossipsub control messages");
  for (const auto& [kind, dir, n] : std::initializer_list<std::tuple<const char*, const char*, std::uint64_t>>{
           {"ihave", "sent", c.ihave_sent},
           {"ihave", "received", c.ihave_received},
           {"iwant", "sent", c.iwant_sent},
           {"iwant", "received", c.iwant_received},
           {"graft", "sent", c.graft_sent},
           {"graft", "received", c.graft_received},
           {"prune", "sent", c.prune_sent},
           {"prune", "received", c.prune_received}}) {
    prom::sample(out, "agentmesh_pubsub_control_total", fmt::format("kind=\"{}\",direction=\"{}\"", kind, dir),
                 static_cast<double>(n));
  }
  prom::gauge(out, "agentmesh_pubsub_outbound_queue_depth", "RPCs queued to peers",
              static_cast<double>(p.service.queued));
  prom::counter(out, "agentmesh_pubsub_outbound_dropped_total",
                "RPCs dropped: a peer's queue was full, or they waited there too long", p.service.rpcs_dropped);
  prom::counter(out, "agentmesh_pubsub_outbound_expired_total",
                "of the dropped RPCs: messages that waited longer than the maximum wait", p.service.rpcs_expired);
  const auto& a = p.adverts;
  two_way(out, "agentmesh_presence_beacons_total", "counter", "liveness beacons", "direction",
          {"published", double(a.beacons_published)}, {"received", double(a.beacons_received)});
  prom::header(out, "agentmesh_presence_daemons", "gauge", "daemons hosting known agents, by presence");
  const auto online = a.liveness.tracked - a.liveness.suspect - a.liveness.offline;
  for (const auto& [state, n] : std::initializer_list<std::pair<const char*, std::size_t>>{
           {"online", online}, {"suspect", a.liveness.suspect}, {"offline", a.liveness.offline}}) {
    prom::sample(out, "agentmesh_presence_daemons", fmt::format("state=\"{}\"", state), static_cast<double>(n));
  }
  two_way(out, "agentmesh_presence_transitions_total", "counter", "daemons that became suspect or offline", "to",
          {"suspect", double(a.liveness.became_suspect)}, {"offline", double(a.liveness.became_offline)});
}

void render_direct_metrics(std::string& out, const node::DirectStats& d) {
  const auto& st = d.sent;
  prom::gauge(out, "agentmesh_outbox_pending", "messages waiting for a remote ack", static_cast<double>(d.pending));
  prom::gauge(out, "agentmesh_outbox_capacity", "most pending messages the outbox holds",
              static_cast<double>(d.capacity));
  prom::gauge(out, "agentmesh_outbox_bytes", "payload bytes of the pending messages", static_cast<double>(d.bytes));
  prom::counter(out, "agentmesh_outbox_refused_total", "sends refused because the outbox was full", d.refused_full);
  by_label(out, "agentmesh_direct_attempts_total", "counter", "delivery attempts to other daemons, by path", "path",
           {{"direct", double(st.attempts_direct)},
            {"gossip", double(st.attempts_gossip - st.attempts_relay)},
            {"gossip_relay", double(st.attempts_relay)}});
  prom::header(out, "agentmesh_direct_attempt_failures_total", "counter", "failed delivery attempts, by reason");
  for (const auto& [reason, n] : st.failures_by_reason) {
    prom::sample(out, "agentmesh_direct_attempt_failures_total",
                 fmt::format("reason=\"{}\"", direct::to_string(reason)), static_cast<double>(n));
  }
  prom::header(out, "agentmesh_direct_outcomes_total", "counter", "sent messages finished, by outcome");
  prom::sample(out, "agentmesh_direct_outcomes_total", "outcome=\"accepted\"", static_cast<double>(st.accepted));
  prom::sample(out, "agentmesh_direct_outcomes_total", "outcome=\"rejected\"", static_cast<double>(st.rejected));
  prom::sample(out, "agentmesh_direct_outcomes_total", "outcome=\"expired\"", static_cast<double>(st.expired));
  prom::counter(out, "agentmesh_direct_acks_invalid_total", "acks that did not verify or matched no message",
                st.acks_invalid);
  prom::counter(out, "agentmesh_direct_confirming_attempts_total",
                "attempts at expiry for messages an unanswered attempt may have delivered", st.confirming_attempts);
  by_label(out, "agentmesh_direct_received_total", "counter", "envelopes received from other daemons, by path", "path",
           {{"direct", double(d.received.received_direct)},
            {"gossip", double(d.received.received_gossip)},
            {"gossip_relay", double(d.received.received_relay)}});
  const auto& r = d.relay;
  by_label(out, "agentmesh_relay_items_total", "counter",
           "relay topic items: published by us, forwarded for others, addressed to us", "kind",
           {{"published", double(r.published)}, {"forwarded", double(r.forwarded)}, {"for_local", double(r.for_local)}});
  by_label(out, "agentmesh_relay_dropped_total", "counter", "relay topic items not forwarded, by reason", "reason",
           {{"rate", double(r.dropped_rate)},
            {"invalid", double(r.dropped_invalid)},
            {"expired", double(r.dropped_expired)},
            {"own_budget", double(r.send_limited)}});
  prom::gauge(out, "agentmesh_relay_authors", "authors with a relay rate bucket", static_cast<double>(r.authors));
  prom::counter(out, "agentmesh_direct_received_duplicate_total", "envelopes answered from the dedup table",
                d.received.duplicate);
  prom::counter(out, "agentmesh_direct_malformed_total", "frames on dm streams or inbox topics that did not decode",
                d.received.malformed_frames);
  prom::header(out, "agentmesh_direct_rejected_total", "counter", "envelopes refused by this daemon, by reason");
  for (const auto& [reason, n] : d.received.rejected_by_reason) {
    prom::sample(out, "agentmesh_direct_rejected_total", fmt::format("reason=\"{}\"", direct::reason_code(reason)),
                 static_cast<double>(n));
  }
  std::size_t open = 0;
  for (const auto& b : d.breakers) open += b.state != direct::CircuitBreaker::State::closed ? 1 : 0;
  prom::gauge(out, "agentmesh_direct_breakers_open", "peers whose circuit breaker is open or half-open",
              static_cast<double>(open));
}

}  // namespace agentmesh::api
