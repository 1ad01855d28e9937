#pragma once
// node/host_mesh: the Mesh (node/mesh.hpp) over the real transport: a
// transport::Host and the gossipsub pubsub::Service running on it. Internal
// to the node module: the node creates it and routes what arrives.
//
// Threading: the node's executor.

#include <memory>

#include "node/mesh.hpp"
#include "pubsub/service.hpp"
#include "transport/host.hpp"

namespace agentmesh::node {

class HostMesh final : public Mesh {
 public:
  HostMesh(std::shared_ptr<transport::Host> host, std::shared_ptr<pubsub::Service> pubsub)
      : host_(std::move(host)), pubsub_(std::move(pubsub)) {}

  core::PeerId self() const override { return host_->peer_id(); }
  std::vector<core::Multiaddr> listen_addrs() const override { return host_->advertised_addrs(); }
  void join(const std::string& topic) override { pubsub_->join(topic); }
  void leave(const std::string& topic) override { pubsub_->leave(topic); }
  Result<pubsub::PublishResult> publish(const std::string& topic, std::string data) override {
    return pubsub_->publish(topic, std::move(data));
  }
  TopicMeshView topic(const std::string& topic) const override;
  std::size_t topic_peer_count(const std::string& topic) const override {
    return pubsub_->router().topic_peers(topic).size();
  }
  std::vector<std::string> known_topics() const override;
  void retain(const wire::pubsub::Message& message) override { pubsub_->retain(message); }
  Task<Result<pubsub::ReplayResult>> replay_from(core::PeerId peer, std::string topic, std::uint64_t since_ms,
                                                 pubsub::Service::ReplayHandler on_message) override;
  Task<Result<void>> dial(core::PeerId peer, std::vector<core::Multiaddr> addrs) override;
  Task<Result<std::shared_ptr<transport::Stream>>> new_stream(core::PeerId peer, std::string protocol) override;

 private:
  std::shared_ptr<transport::Host> host_;
  std::shared_ptr<pubsub::Service> pubsub_;
};

}  // namespace agentmesh::node
