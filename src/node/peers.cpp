// node/peers: node info, peers, connect/disconnect and the peer store.

#include "node/peers.hpp"

#include "node/error.hpp"
#include "node/storage_commit.hpp"

namespace agentmesh::node {

PeerService::PeerService(ServiceContext ctx, std::shared_ptr<transport::Host> host)
    : ctx_(std::move(ctx)),
      host_(std::move(host)),
      autonat_(std::make_shared<transport::AutoNat>(host_, ctx_.config->transport.autonat, ctx_.log)) {
  if (ctx_.config->transport.relay_service.enabled) {
    relay_ = transport::RelayService::create(host_, ctx_.config->transport.relay_service, ctx_.log);
  }
}

void PeerService::stop() {
  autonat_->stop();
  if (relay_) relay_->stop();
}

Result<void> PeerService::load(std::string& why) {
  auto remembered = ctx_.storage->reader().list_peers(ctx_.config->transport.max_remembered_peers);
  if (!remembered) {
    why = "cannot read the peer store: " + remembered.error().message();
    return remembered.error();
  }
  for (const auto& rec : *remembered) {
    auto peer = core::PeerId::parse(rec.peer_id);
    if (!peer) continue;  // written by us; skip anything unreadable
    std::vector<core::Multiaddr> addrs;
    for (const auto& a : rec.addrs) {
      if (auto ma = core::Multiaddr::parse(a)) addrs.push_back(std::move(*ma));
    }
    host_->remember(*peer, std::move(addrs));
  }
  return {};
}

void PeerService::start() {
  autonat_->start();
  if (relay_) relay_->start();
  std::weak_ptr<PeerService> weak = weak_from_this();
  transport::Host::Observer observer;
  observer.identified = [weak](const wire::identify::Info& info, std::optional<core::Multiaddr> dialed) {
    auto self = weak.lock();
    if (!self) return;
    store::PeerRecord rec;
    rec.peer_id = info.peer.to_string();
    if (dialed) rec.addrs.push_back(dialed->without_peer_id().to_string());
    for (const auto& a : info.listen_addrs) {
      const auto text = a.without_peer_id().to_string();
      if (std::find(rec.addrs.begin(), rec.addrs.end(), text) == rec.addrs.end()) rec.addrs.push_back(text);
    }
    if (rec.addrs.empty()) return;  // nothing to redial
    rec.last_seen_ms = self->ctx_.now_ms();
    const auto keep = self->ctx_.config->transport.max_remembered_peers;
    // The peer store is a cache: nobody waits for the commit.
    self->ctx_.storage->submit_detached([rec, keep](store::Store& s) { return s.put_peer(rec, keep); });
  };
  observer.connected = [weak](const transport::PeerInfo&) {
    if (auto self = weak.lock()) self->mesh_changed();
  };
  observer.disconnected = [weak](const core::PeerId&) {
    if (auto self = weak.lock()) self->mesh_changed();
  };
  observer.forgotten = [weak](const core::PeerId& peer) {
    auto self = weak.lock();
    if (!self) return;
    self->ctx_.storage->submit_detached([id = peer.to_string()](store::Store& s) { return s.delete_peer(id); });
  };
  host_->add_observer(std::move(observer));
}

NodeInfo PeerService::info() const {
  AGENTMESH_ASSERT_ON_THREAD(*ctx_.thread);
  NodeInfo info(host_->peer_id());
  for (const auto& a : host_->listen_addrs()) info.listen_addrs.push_back(a.with_peer_id(host_->peer_id()));
  for (const auto& a : host_->relay_addrs()) info.relay_addrs.push_back(a.with_peer_id(host_->peer_id()));
  info.agent_version = host_->agent_version();
  info.protocols = host_->protocols();
  info.reachability = autonat_->status();
  return info;
}

std::vector<transport::PeerInfo> PeerService::list() const {
  AGENTMESH_ASSERT_ON_THREAD(*ctx_.thread);
  return host_->peers();
}

Task<Result<core::PeerId>> PeerService::connect(core::Multiaddr addr) {
  AGENTMESH_ASSERT_ON_THREAD(*ctx_.thread);
  auto host = host_;
  co_return co_await host->connect(std::move(addr));
}

Result<void> PeerService::disconnect(const core::PeerId& peer) {
  AGENTMESH_ASSERT_ON_THREAD(*ctx_.thread);
  return host_->disconnect(peer);
}

transport::TransportDiagnostics PeerService::diagnostics() const {
  auto d = host_->diagnostics();
  d.autonat = autonat_->status();
  if (relay_) relay_->fill(d.relay);
  return d;
}

std::size_t PeerService::connected() const {
  const auto d = host_->diagnostics();
  return d.connections_inbound + d.connections_outbound;
}

Result<std::uint64_t> PeerService::watch(std::function<void()> wake) {
  AGENTMESH_ASSERT_ON_THREAD(*ctx_.thread);
  if (watchers_.size() >= kMaxMeshWatchers) return error::too_many_streams;
  const auto token = next_watcher_++;
  watchers_.emplace(token, std::move(wake));
  return token;
}

void PeerService::unwatch(std::uint64_t token) {
  AGENTMESH_ASSERT_ON_THREAD(*ctx_.thread);
  watchers_.erase(token);
}

void PeerService::mesh_changed() {
  AGENTMESH_ASSERT_ON_THREAD(*ctx_.thread);
  ++changes_;
  // A wake only cancels a timer (api/stream_session.cpp): none changes the map.
  for (const auto& [token, wake] : watchers_) wake();
}

}  // namespace agentmesh::node
