#pragma once
// node/peers: this node on the peer-to-peer network: its identity and
// addresses, whether it can be dialed from outside (AutoNAT), relaying for
// others (circuit relay v2, opt-in), the peers it is
// connected to, connecting and disconnecting, and
// the peer store (addresses learned from identify, kept in SQLite and
// redialed at start: the 64 most recently seen), and watchers of the mesh as
// a console draws it (GET /v1/peers/events): changes() counts every peer
// connected or disconnected and every change the node reports through
// mesh_changed() (the directory's agents); each watcher's wake is called on
// each, so a watcher reads the count and re-reads what it shows.
//
// Errors: connect() gives the transport's (dial_failed, dial_timeout,
// dial_self, unsupported_address, connection_limit, peer_id_mismatch, ...);
// disconnect() not_connected.
//
// Threading: the node's executor (checked in debug builds).

#include <functional>
#include <map>
#include <memory>
#include <vector>

#include "node/context.hpp"
#include "node/types.hpp"
#include "transport/autonat.hpp"
#include "transport/host.hpp"
#include "transport/info.hpp"
#include "transport/relay_service.hpp"

namespace agentmesh::node {

class PeerService : public std::enable_shared_from_this<PeerService> {
 public:
  PeerService(ServiceContext ctx, std::shared_ptr<transport::Host> host);

  // Hands the remembered peers to the host (it redials them once started).
  Result<void> load(std::string& why);
  // Persists what identify teaches and forgets what disconnect() drops.
  void start();

  // AutoNAT (transport/autonat.hpp) and the relay service
  // (transport/relay_service.hpp, when --relay-service) stop with the node.
  void stop();
  NodeInfo info() const;
  std::vector<transport::PeerInfo> list() const;
  // Dials (or finds) the peer; it stays wanted (redialed) until disconnect().
  Task<Result<core::PeerId>> connect(core::Multiaddr addr);
  // Closes the connection and forgets the peer (also in the peer store).
  Result<void> disconnect(const core::PeerId& peer);
  transport::TransportDiagnostics diagnostics() const;
  std::size_t connected() const;

  // Mesh watchers: at most kMaxMeshWatchers (more: too_many_streams).
  static constexpr std::size_t kMaxMeshWatchers = 64;
  Result<std::uint64_t> watch(std::function<void()> wake);
  void unwatch(std::uint64_t token);
  void mesh_changed();
  std::uint64_t changes() const { return changes_; }

 private:
  ServiceContext ctx_;
  std::shared_ptr<transport::Host> host_;
  std::shared_ptr<transport::AutoNat> autonat_;
  std::shared_ptr<transport::RelayService> relay_;  // null unless the service is enabled
  std::map<std::uint64_t, std::function<void()>> watchers_;
  std::uint64_t next_watcher_ = 1;
  std::uint64_t changes_ = 0;
};

}  // namespace agentmesh::node
