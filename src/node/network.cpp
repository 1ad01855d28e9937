// Node's network operations: thin delegation to transport::Host, plus the
// transport part of /metrics.

#include <fmt/format.h>

#include "node/node.hpp"
#include "node/prometheus.hpp"
#include "pubsub/service.hpp"
#include <tuple>
#include "transport/host.hpp"

namespace agentmesh::node {

Result<void> Node::start_network(std::string& why) {
  if (auto r = host_->listen(why); !r) return r;
  pubsub_->start();  // before the first peer connects
  start_adverts();
  for (const auto& [topic, agents] : durable_) pubsub_->join(topic);
  if (auto r = start_direct(); !r) {
    why = "cannot load the outbox: " + r.error().message();
    return r;
  }
  host_->start();
  return {};
}

NodeInfo Node::node_info() const {
  NodeInfo info(host_->peer_id());
  for (const auto& a : host_->listen_addrs()) info.listen_addrs.push_back(a.with_peer_id(host_->peer_id()));
  info.agent_version = host_->agent_version();
  info.protocols = host_->protocols();
  return info;
}

std::vector<transport::PeerInfo> Node::peers() const { return host_->peers(); }

Task<Result<core::PeerId>> Node::connect(core::Multiaddr addr) {
  auto host = host_;
  co_return co_await host->connect(std::move(addr));
}

Result<void> Node::disconnect(const core::PeerId& peer) { return host_->disconnect(peer); }

transport::TransportDiagnostics Node::transport_diagnostics() const { return host_->diagnostics(); }

void Node::render_transport_metrics(std::string& out) const {
  const auto d = host_->diagnostics();
  prom::header(out, "agentmesh_p2p_connections", "gauge", "open peer connections by direction");
  prom::sample(out, "agentmesh_p2p_connections", "direction=\"inbound\"", static_cast<double>(d.connections_inbound));
  prom::sample(out, "agentmesh_p2p_connections", "direction=\"outbound\"",
               static_cast<double>(d.connections_outbound));
  prom::gauge(out, "agentmesh_p2p_handshakes_in_progress", "connection upgrades under way",
              static_cast<double>(d.handshakes_in_progress));
  prom::counter(out, "agentmesh_p2p_handshakes_ok_total", "completed connection upgrades", d.handshakes_ok);
  auto by_reason = [&](std::string_view name, std::string_view help, const std::map<std::string, std::uint64_t>& m) {
    prom::header(out, name, "counter", help);
    for (const auto& [reason, n] : m) {
      prom::sample(out, name, fmt::format("reason=\"{}\"", reason), static_cast<double>(n));
    }
  };
  by_reason("agentmesh_p2p_handshakes_failed_total", "failed connection upgrades by reason", d.handshakes_failed);
  by_reason("agentmesh_p2p_dial_failures_total", "failed dials by reason", d.dial_failures);
  by_reason("agentmesh_p2p_frames_rejected_total", "malformed or abusive input from peers by reason",
            d.frames_rejected);
  by_reason("agentmesh_p2p_connections_closed_total", "closed connections by reason", d.connections_closed);
  prom::counter(out, "agentmesh_p2p_accepted_total", "inbound TCP connections accepted", d.accepted);
  prom::counter(out, "agentmesh_p2p_dialed_total", "outbound TCP connections established", d.dialed);
  prom::counter(out, "agentmesh_p2p_refused_at_limit_total", "inbound connections closed at the connection limit",
                d.refused_at_limit);
  prom::header(out, "agentmesh_p2p_streams_opened_total", "counter", "yamux streams opened by direction");
  prom::sample(out, "agentmesh_p2p_streams_opened_total", "direction=\"inbound\"",
               static_cast<double>(d.streams_opened_in));
  prom::sample(out, "agentmesh_p2p_streams_opened_total", "direction=\"outbound\"",
               static_cast<double>(d.streams_opened_out));
  prom::gauge(out, "agentmesh_p2p_streams_open", "open yamux streams", static_cast<double>(d.streams_open));
  prom::counter(out, "agentmesh_p2p_streams_refused_total", "inbound streams refused over the limit",
                d.streams_refused);
  prom::counter(out, "agentmesh_p2p_window_stalls_total", "writes that waited for the peer's window",
                d.window_stalls);
  prom::header(out, "agentmesh_p2p_bytes_total", "counter", "bytes on peer connections (ciphertext)");
  prom::sample(out, "agentmesh_p2p_bytes_total", "direction=\"in\"", static_cast<double>(d.bytes_in));
  prom::sample(out, "agentmesh_p2p_bytes_total", "direction=\"out\"", static_cast<double>(d.bytes_out));
  prom::counter(out, "agentmesh_p2p_identify_ok_total", "identify exchanges completed", d.identify_ok);
  prom::counter(out, "agentmesh_p2p_identify_failed_total", "identify exchanges failed", d.identify_failed);
  prom::counter(out, "agentmesh_p2p_pings_ok_total", "/ipfs/ping round trips", d.pings_ok);
  prom::counter(out, "agentmesh_p2p_pings_failed_total", "/ipfs/ping failures", d.pings_failed);

  const auto& c = pubsub_->router().counters();
  const auto s = pubsub_->stats();
  prom::counter(out, "agentmesh_pubsub_published_total", "messages published by local agents", c.published);
  prom::counter(out, "agentmesh_pubsub_delivered_total", "accepted messages on joined topics", c.delivered);
  prom::counter(out, "agentmesh_pubsub_duplicate_total", "messages seen before", c.duplicates);
  prom::counter(out, "agentmesh_pubsub_invalid_total", "messages failing signature, size or validation", c.invalid);
  prom::counter(out, "agentmesh_pubsub_ignored_total", "messages the validator ignored", c.ignored);
  prom::header(out, "agentmesh_pubsub_control_total", "counter", "gossipsub control messages");
  for (const auto& [kind, dir, n] : std::initializer_list<std::tuple<const char*, const char*, std::uint64_t>>{
           {"ihave", "sent", c.ihave_sent}, {"ihave", "received", c.ihave_received}, {"iwant", "sent", c.iwant_sent},
           {"iwant", "received", c.iwant_received}, {"graft", "sent", c.graft_sent},
           {"graft", "received", c.graft_received}, {"prune", "sent", c.prune_sent},
           {"prune", "received", c.prune_received}}) {
    prom::sample(out, "agentmesh_pubsub_control_total", fmt::format("kind=\"{}\",direction=\"{}\"", kind, dir),
                 static_cast<double>(n));
  }
  prom::gauge(out, "agentmesh_pubsub_outbound_queue_depth", "RPCs queued to peers", static_cast<double>(s.queued));
  prom::counter(out, "agentmesh_pubsub_outbound_dropped_total", "RPCs dropped: a peer's queue was full",
                s.rpcs_dropped);
}

}  // namespace agentmesh::node
