#include "node/host_mesh.hpp"

#include <set>

namespace agentmesh::node {

TopicMeshView HostMesh::topic(const std::string& topic) const {
  const auto& router = pubsub_->router();
  return TopicMeshView{router.mesh(topic).size(), router.fanout(topic).size(), router.topic_peers(topic).size()};
}

std::vector<std::string> HostMesh::known_topics() const {
  const auto& router = pubsub_->router();
  std::set<std::string> names;
  for (const auto& t : router.joined()) names.insert(t);
  for (const auto& t : router.peer_topics()) names.insert(t);
  return {names.begin(), names.end()};
}

Mesh::Task<Result<pubsub::ReplayResult>> HostMesh::replay_from(core::PeerId peer, std::string topic,
                                                               std::uint64_t since_ms,
                                                               pubsub::Service::ReplayHandler on_message) {
  auto pubsub = pubsub_;
  co_return co_await pubsub->replay_from(peer, std::move(topic), since_ms, std::move(on_message));
}

Mesh::Task<Result<void>> HostMesh::dial(core::PeerId peer, std::vector<core::Multiaddr> addrs) {
  auto host = host_;
  auto dialed = co_await host->dial_addrs(peer, std::move(addrs));
  if (!dialed) co_return dialed.error();
  co_return Result<void>{};
}

Mesh::Task<Result<std::shared_ptr<transport::Stream>>> HostMesh::new_stream(core::PeerId peer, std::string protocol) {
  auto host = host_;
  std::vector<std::string> protocols{std::move(protocol)};
  co_return co_await host->new_stream(peer, std::move(protocols));
}

}  // namespace agentmesh::node
