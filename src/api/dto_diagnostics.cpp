// The API's response bodies for health and GET /v1/diagnostics/*.

#include "api/dto.hpp"
#include "api/dto_util.hpp"

namespace agentmesh::api {
namespace json = boost::json;

json::object health_json(const node::HealthReport& r, std::string_view version, std::int64_t uptime_s) {
  json::object components;
  for (const auto& c : r.components) {
    json::object comp;
    comp["status"] = node::to_string(c.status);
    comp["ok"] = c.status == node::HealthStatus::ok;
    comp["detail"] = c.reason;
    components[c.name] = std::move(comp);
  }
  json::object o;
  o["status"] = node::to_string(r.status);
  o["version"] = version;
  o["uptime_s"] = uptime_s;
  o["components"] = std::move(components);
  return o;
}

namespace {

// One direction of a queue; `names` are the direction's own words for its
// queued bytes, what went in and what came out.
struct FlowNames {
  const char* queued;
  const char* added;
  const char* removed;
  const char* add_rate;
  const char* remove_rate;
};

json::object flow_json(const transport::QueueFlow& f, std::chrono::steady_clock::time_point at, const FlowNames& n) {
  json::object o;
  o[n.queued] = f.queued_bytes;
  o[n.added] = f.added_bytes;
  o[n.removed] = f.removed_bytes;
  o[n.add_rate] = f.add_rate.per_second(at);
  o[n.remove_rate] = f.remove_rate.per_second(at);
  o["dwell_p50_ms"] = f.dwell.quantile(0.5);
  o["dwell_p99_ms"] = f.dwell.quantile(0.99);
  return o;
}

json::array transport_queues_json(const std::vector<transport::PeerQueues>& queues) {
  static constexpr FlowNames kOut{"queued_bytes", "enqueued_bytes_total", "sent_bytes_total", "enqueue_bytes_per_s",
                                  "drain_bytes_per_s"};
  static constexpr FlowNames kIn{"buffered_bytes", "received_bytes_total", "read_bytes_total", "receive_bytes_per_s",
                                 "read_bytes_per_s"};
  json::array peers;
  for (const auto& q : queues) {
    json::object traffic;
    for (const auto& f : q.traffic) {
      auto out = flow_json(f.stats.out, q.at, kOut);
      out["queued_frames"] = f.stats.queued_frames;
      json::object t;
      t["out"] = std::move(out);
      t["in"] = flow_json(f.stats.in, q.at, kIn);
      t["app_queued"] = f.app_queued;
      t["dropped_total"] = f.dropped;
      traffic[transport::to_string(f.traffic)] = std::move(t);
    }
    const auto& p = q.pacing;
    json::object pacing;
    pacing["write_budget_bytes"] = p.write_budget;
    pacing["unsent_limit_bytes"] = p.unsent_limit;
    pacing["drain_bytes_per_s"] = p.drain_rate;
    pacing["bulk_bytes_per_s"] = p.bulk_rate;
    pacing["queue_delay_ms"] = p.queue_delay_ms;
    pacing["bulk_window_bytes"] = p.bulk_window;
    pacing["in_flight_bytes"] = p.in_flight;
    pacing["bulk_throttled_total"] = p.bulk_throttled;
    peers.push_back(
        json::object{{"peer_id", q.peer.to_string()}, {"pacing", std::move(pacing)}, {"traffic", std::move(traffic)}});
  }
  return peers;
}

// Circuit relay v2: our reservations and circuits, and the hop service's.
json::object circuit_relay_json(const transport::RelayStatus& r) {
  json::array held;
  for (const auto& h : r.reservations) {
    json::array addrs;
    for (const auto& a : h.addrs) addrs.emplace_back(a.to_string());
    held.push_back(json::object{{"relay", h.relay.to_string()}, {"expires_ms", h.expires_ms}, {"addrs", addrs}});
  }
  json::object o;
  o["reservations"] = std::move(held);
  o["reserve_total"] = count_map(r.reserve_results);
  o["dials_total"] = count_map(r.dials);
  o["accepted_total"] = r.circuits_accepted;
  o["refused_total"] = count_map(r.circuits_refused);
  json::object punch;
  punch["results_total"] = count_map(r.hole_punches);
  punch["attempts_total"] = r.hole_punch_attempts;
  punch["last_upgrade_ms"] = r.last_upgrade_ms ? json::value(*r.last_upgrade_ms) : json::value(nullptr);
  punch["served_total"] = count_map(r.hole_punches_served);
  o["hole_punch"] = std::move(punch);
  json::object service;
  service["enabled"] = r.service;
  service["reservations"] = r.service_reservations;
  service["circuits"] = r.service_circuits;
  service["requests_total"] = count_map(r.service_requests);
  service["circuits_closed_total"] = count_map(r.service_circuits_closed);
  service["bytes_total"] = r.service_bytes;
  o["service"] = std::move(service);
  return o;
}

}  // namespace

json::object transport_diagnostics_json(const transport::TransportDiagnostics& d) {
  json::object connections;
  connections["inbound"] = d.connections_inbound;
  connections["outbound"] = d.connections_outbound;
  connections["handshakes_in_progress"] = d.handshakes_in_progress;
  connections["accepted_total"] = d.accepted;
  connections["dialed_total"] = d.dialed;
  connections["refused_at_limit_total"] = d.refused_at_limit;
  connections["duplicates_closed_total"] = d.duplicate_connections_closed;
  connections["closed_total"] = count_map(d.connections_closed);
  json::object handshakes;
  handshakes["ok_total"] = d.handshakes_ok;
  handshakes["failed_total"] = count_map(d.handshakes_failed);
  json::object streams;
  streams["open"] = d.streams_open;
  streams["opened_inbound_total"] = d.streams_opened_in;
  streams["opened_outbound_total"] = d.streams_opened_out;
  streams["refused_total"] = d.streams_refused;
  streams["window_stalls_total"] = d.window_stalls;
  json::object protocols;
  protocols["identify_ok_total"] = d.identify_ok;
  protocols["identify_failed_total"] = d.identify_failed;
  protocols["peer_records_valid_total"] = d.peer_records_valid;
  protocols["peer_records_invalid_total"] = d.peer_records_invalid;
  protocols["px_dials_total"] = d.px_dials;
  protocols["pings_ok_total"] = d.pings_ok;
  protocols["pings_failed_total"] = d.pings_failed;
  json::object o;
  o["connections"] = std::move(connections);
  o["handshakes"] = std::move(handshakes);
  o["dial_failures_total"] = count_map(d.dial_failures);
  o["frames_rejected_total"] = count_map(d.frames_rejected);
  o["streams"] = std::move(streams);
  o["bytes"] = json::object{{"in_total", d.bytes_in}, {"out_total", d.bytes_out}};
  o["protocols"] = std::move(protocols);
  o["queues"] = transport_queues_json(d.queues);
  o["autonat"] = reachability_json(d.autonat, true);
  o["circuit_relay"] = circuit_relay_json(d.relay);
  return o;
}

namespace {

json::object pubsub_control_json(const pubsub::RouterCounters& c) {
  json::object control;
  control["ihave_sent_total"] = c.ihave_sent;
  control["ihave_received_total"] = c.ihave_received;
  control["iwant_sent_total"] = c.iwant_sent;
  control["iwant_received_total"] = c.iwant_received;
  control["graft_sent_total"] = c.graft_sent;
  control["graft_received_total"] = c.graft_received;
  control["prune_sent_total"] = c.prune_sent;
  control["prune_received_total"] = c.prune_received;
  control["ihave_over_limit_total"] = c.ihave_over_limit;
  control["iwant_over_cap_total"] = c.iwant_over_cap;
  control["broken_promises_total"] = c.broken_promises;
  control["graft_in_backoff_total"] = c.graft_in_backoff;
  control["graylisted_rpcs_total"] = c.graylisted_rpcs;
  control["pruned_for_score_total"] = c.pruned_for_score;
  control["px_sent_total"] = c.px_sent;
  control["px_received_total"] = c.px_received;
  control["px_ignored_total"] = c.px_ignored;
  return control;
}

json::object pubsub_replay_json(const pubsub::ServiceStats& s) {
  json::object replay;
  replay["served_total"] = s.replays_served;
  replay["requested_total"] = s.replays_requested;
  replay["messages_sent_total"] = s.replay_messages_sent;
  replay["messages_received_total"] = s.replay_messages_received;
  replay["invalid_total"] = s.replay_invalid;
  replay["retained_messages"] = s.retained;
  replay["retained_bytes"] = s.retained_bytes;
  return replay;
}

// Peer scores, lowest and highest first (at most 10 each).
json::object scores_json(const std::vector<std::pair<double, std::string>>& scores) {
  json::array lowest, highest;
  for (std::size_t i = 0; i < scores.size() && i < 10; ++i) {
    lowest.push_back(json::object{{"peer_id", scores[i].second}, {"score", scores[i].first}});
    const auto& e = scores[scores.size() - 1 - i];
    highest.push_back(json::object{{"peer_id", e.second}, {"score", e.first}});
  }
  return json::object{{"lowest", std::move(lowest)}, {"highest", std::move(highest)}};
}

}  // namespace

json::object pubsub_diagnostics_json(const node::PubsubFigures& p) {
  const auto& c = p.router;
  const auto& s = p.service;
  json::object messages;
  messages["published_total"] = c.published;
  messages["agents_published_total"] = p.subscribers.published;
  messages["delivered_total"] = c.delivered;
  messages["duplicate_total"] = c.duplicates;
  messages["invalid_total"] = c.invalid;
  messages["ignored_total"] = c.ignored;
  messages["forwarded_total"] = c.forwarded;
  json::object queues;
  queues["outbound_depth"] = s.queued;
  queues["outbound_max_depth"] = s.max_queued;
  queues["outbound_dropped_total"] = s.rpcs_dropped;
  queues["outbound_expired_total"] = s.rpcs_expired;
  queues["subscriber_depth"] = p.subscribers.subscriber_depth;
  queues["subscriber_dropped_total"] = p.subscribers.subscriber_dropped;
  json::array topics;
  for (const auto& t : p.topics) topics.push_back(topic_view_json(t));
  json::object out;
  out["peers"] = s.peers;
  out["subscribers"] = p.subscribers.subscribers;
  out["messages"] = std::move(messages);
  out["control"] = pubsub_control_json(c);
  out["rpcs"] = json::object{{"in_total", s.rpcs_in}, {"out_total", s.rpcs_out}, {"invalid_total", s.rpcs_invalid}};
  out["queues"] = std::move(queues);
  out["topics"] = std::move(topics);
  out["replay"] = pubsub_replay_json(s);
  out["adverts"] =
      json::object{{"directory_agents", p.adverts.agents},   {"published_total", p.adverts.published},
                   {"received_total", p.adverts.received},   {"refused_full_total", p.adverts.refused_full},
                   {"catch_ups_total", p.adverts.catch_ups}, {"caught_up_total", p.adverts.caught_up_adverts}};
  const auto& l = p.adverts.liveness;
  out["presence"] = json::object{{"beacons_published_total", p.adverts.beacons_published},
                                 {"beacons_received_total", p.adverts.beacons_received},
                                 {"daemons_tracked", l.tracked},
                                 {"daemons_suspect", l.suspect},
                                 {"daemons_offline", l.offline},
                                 {"became_suspect_total", l.became_suspect},
                                 {"became_offline_total", l.became_offline}};
  out["scores"] = scores_json(p.scores);
  out["attribution"] = json::object{{"verifications_total", p.subscribers.verifications},
                                    {"cache_hits_total", p.subscribers.binding_cache_hits}};
  return out;
}

namespace {

std::string_view breaker_state(direct::CircuitBreaker::State s) {
  switch (s) {
    case direct::CircuitBreaker::State::closed:
      return "closed";
    case direct::CircuitBreaker::State::open:
      return "open";
    case direct::CircuitBreaker::State::half_open:
      return "half_open";
  }
  return "closed";
}

json::object sent_json(const direct::SenderStats& st) {
  json::object sent;
  sent["attempts_direct"] = st.attempts_direct;
  sent["attempts_gossip"] = st.attempts_gossip;
  sent["attempts_relay"] = st.attempts_relay;
  sent["attempt_failures"] = st.attempt_failures;
  json::object failures;
  for (const auto& [reason, n] : st.failures_by_reason) failures[direct::to_string(reason)] = n;
  sent["failures_by_reason"] = std::move(failures);
  sent["accepted"] = st.accepted;
  sent["rejected"] = st.rejected;
  sent["expired"] = st.expired;
  sent["acks_received"] = st.acks_received;
  sent["acks_invalid"] = st.acks_invalid;
  sent["acks_late"] = st.acks_late;
  sent["confirming_attempts"] = st.confirming_attempts;
  return sent;
}

json::object received_json(const node::ReceiverStats& st) {
  json::object received;
  received["direct"] = st.received_direct;
  received["gossip"] = st.received_gossip;
  received["gossip_relay"] = st.received_relay;
  received["accepted"] = st.accepted;
  received["duplicate"] = st.duplicate;
  received["malformed_frames"] = st.malformed_frames;
  received["streams_reset"] = st.streams_reset;
  json::object rejected;
  for (const auto& [reason, n] : st.rejected_by_reason) rejected[direct::reason_code(reason)] = n;
  received["rejected"] = std::move(rejected);
  return received;
}

}  // namespace

json::object direct_diagnostics_json(const node::DirectStats& d) {
  json::object outbox;
  outbox["pending"] = d.pending;
  outbox["in_flight"] = d.in_flight;
  outbox["capacity"] = d.capacity;
  outbox["bytes"] = d.bytes;
  outbox["capacity_bytes"] = d.capacity_bytes;
  outbox["refused_full"] = d.refused_full;
  outbox["queued_total"] = d.sent.queued;
  if (d.oldest_pending_ms) outbox["oldest_created_ms"] = *d.oldest_pending_ms;
  json::array breakers;
  for (const auto& b : d.breakers) {
    breakers.push_back(json::object{{"peer", b.peer.to_string()},
                                    {"state", breaker_state(b.state)},
                                    {"consecutive_failures", b.consecutive_failures}});
  }
  json::object o;
  o["outbox"] = std::move(outbox);
  o["sent"] = sent_json(d.sent);
  o["received"] = received_json(d.received);
  json::object relay;
  relay["published"] = d.relay.published;
  relay["forwarded"] = d.relay.forwarded;
  relay["for_local"] = d.relay.for_local;
  relay["dropped_rate"] = d.relay.dropped_rate;
  relay["dropped_invalid"] = d.relay.dropped_invalid;
  relay["dropped_expired"] = d.relay.dropped_expired;
  relay["send_limited"] = d.relay.send_limited;
  relay["authors"] = d.relay.authors;
  o["relay"] = std::move(relay);
  o["breakers"] = std::move(breakers);
  o["streams"] = d.streams;
  o["pair_keys"] = json::object{{"cached", d.pair_keys}, {"hits", d.pair_key_hits}, {"misses", d.pair_key_misses}};
  return o;
}

}  // namespace agentmesh::api
