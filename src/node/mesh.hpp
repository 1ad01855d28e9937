#pragma once
// node/mesh: the peer-to-peer network as the node's services use it: the
// seam between them and transport/ + pubsub/. The node wires the real one
// (HostMesh: a transport::Host and a gossipsub pubsub::Service); unit tests
// of the services substitute an in-memory one, so the services' logic runs
// with a manual clock and no sockets.
//
// Only the outbound direction is here. What arrives (topic messages, new
// subscribers, connections, inbound streams) the node routes to the
// services' entry points (on_advert, on_inbox_item, on_topic_message, ...),
// which tests call directly.
//
// Threading: the node's executor.

#include <boost/asio/awaitable.hpp>
#include <memory>
#include <string>
#include <vector>

#include "core/multiaddr.hpp"
#include "core/peer_id.hpp"
#include "core/result.hpp"
#include "pubsub/service.hpp"

namespace agentmesh::transport {
class Stream;
}

namespace agentmesh::node {

// One topic as the gossip router sees it.
struct TopicMeshView {
  std::size_t mesh = 0;    // peers in our mesh for it
  std::size_t fanout = 0;  // fanout peers (publishing without joining)
  std::size_t peers = 0;   // peers subscribed to it
};

class Mesh {
 public:
  template <class T>
  using Task = boost::asio::awaitable<T>;

  virtual ~Mesh() = default;

  // This daemon's peer id, and the addresses it can be dialed at (without
  // the final /p2p): its listen addresses, then its circuit addresses
  // through the relays it holds a reservation on.
  virtual core::PeerId self() const = 0;
  virtual std::vector<core::Multiaddr> listen_addrs() const = 0;

  // --- gossipsub ---
  virtual void join(const std::string& topic) = 0;
  virtual void leave(const std::string& topic) = 0;
  // Signs `data` with the node key and publishes it (to `peers` of them).
  virtual Result<pubsub::PublishResult> publish(const std::string& topic, std::string data) = 0;
  virtual TopicMeshView topic(const std::string& topic) const = 0;
  // How many peers are subscribed to `topic` (cheaper than topic()).
  virtual std::size_t topic_peer_count(const std::string& topic) const = 0;
  // Topics joined here or announced by a peer.
  virtual std::vector<std::string> known_topics() const = 0;
  // Keeps a delivered message for peers that restart and ask (topic replay).
  virtual void retain(const wire::pubsub::Message& message) = 0;
  // Asks `peer` for what it received on `topic` since `since_ms`.
  virtual Task<Result<pubsub::ReplayResult>> replay_from(core::PeerId peer, std::string topic, std::uint64_t since_ms,
                                                         pubsub::Service::ReplayHandler on_message) = 0;

  // --- streams ---
  // Connects to `peer` (at `addrs` when not connected) without keeping it
  // wanted.
  virtual Task<Result<void>> dial(core::PeerId peer, std::vector<core::Multiaddr> addrs) = 0;
  // A new stream to a connected peer, negotiated to `protocol`.
  virtual Task<Result<std::shared_ptr<transport::Stream>>> new_stream(core::PeerId peer, std::string protocol) = 0;
};

}  // namespace agentmesh::node
