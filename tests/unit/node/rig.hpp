#pragma once
// A daemon's services without sockets: the memory store behind the real
// group-commit writer, a ManualClock, and an in-memory mesh that records
// what is published and can hand it to another rig (two "daemons" in one
// test). Service unit tests drive tick() themselves after moving the clock;
// no loop, timer or sleep decides anything.

#include <spdlog/logger.h>

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "core/clock.hpp"
#include "node/agents.hpp"
#include "node/context.hpp"
#include "node/conversations.hpp"
#include "node/direct.hpp"
#include "node/directory.hpp"
#include "node/inboxes.hpp"
#include "node/mesh.hpp"
#include "node/tasks.hpp"
#include "node/topics.hpp"
#include "testutil/testutil.hpp"
#include "wire/pubsub.hpp"

namespace agentmesh::node::test {

// The mesh as a recorder. publish() keeps every message and, when `forward`
// is set, hands it on (as a gossipsub message authored by this mesh's peer);
// topic_peer_count() answers what `peers_by_topic` says (0 by default: no
// route); dialing always fails (there is no network).
class FakeMesh final : public Mesh {
 public:
  struct Published {
    std::string topic;
    std::string data;
  };

  FakeMesh();

  core::PeerId self() const override { return self_; }
  std::vector<core::Multiaddr> listen_addrs() const override { return listen_; }
  void set_listen_addrs(std::vector<core::Multiaddr> addrs) { listen_ = std::move(addrs); }
  void join(const std::string& topic) override { joined.insert(topic); }
  void leave(const std::string& topic) override { joined.erase(topic); }
  Result<pubsub::PublishResult> publish(const std::string& topic, std::string data) override;
  TopicMeshView topic(const std::string& topic) const override;
  std::size_t topic_peer_count(const std::string& topic) const override;
  std::vector<std::string> known_topics() const override { return {joined.begin(), joined.end()}; }
  void retain(const wire::pubsub::Message&) override {}
  Task<Result<pubsub::ReplayResult>> replay_from(core::PeerId, std::string, std::uint64_t,
                                                 pubsub::Service::ReplayHandler) override;
  Task<Result<void>> dial(core::PeerId, std::vector<core::Multiaddr>) override;
  Task<Result<std::shared_ptr<transport::Stream>>> new_stream(core::PeerId, std::string) override;

  // A gossipsub message on `topic` authored by this mesh's peer.
  wire::pubsub::Message message(const std::string& topic, const std::string& data) const;

  std::set<std::string> joined;
  std::map<std::string, std::size_t> peers_by_topic;
  std::vector<Published> published;
  std::function<void(const wire::pubsub::Message&)> forward;
  std::uint64_t dials = 0;

 private:
  core::PeerId self_;
  std::vector<core::Multiaddr> listen_;
  std::uint64_t seqno_ = 1;
};

// One daemon's services over a FakeMesh.
struct Rig {
  Rig(boost::asio::io_context& ioc, std::shared_ptr<core::ManualClock> clock, std::filesystem::path data_dir,
      std::shared_ptr<spdlog::logger> log = nullptr);
  ~Rig();

  // Runs ready handlers until `pred` holds (store commits complete on the
  // writer thread); false after 10 s of real time.
  bool run_until(const std::function<bool()>& pred);
  // Runs a service coroutine to completion and returns its result.
  template <class T>
  T await(Task<T> task);

  // Creates a local agent; its id.
  core::AgentId create_agent(const std::string& name, std::vector<std::string> capabilities = {});
  // Delivers what each rig publishes to the other's services (adverts to the
  // directory, inbox items to the direct service, other topics to topics),
  // and makes each see a subscriber on the other's inbox topics.
  static void link(Rig& a, Rig& b);
  void deliver_from_mesh(const wire::pubsub::Message& m);

  boost::asio::io_context& ioc;
  std::shared_ptr<core::ManualClock> clock;
  std::shared_ptr<FakeMesh> mesh;
  ServiceContext ctx;
  std::shared_ptr<AgentService> agents;
  std::shared_ptr<InboxService> inboxes;
  std::shared_ptr<DirectoryService> directory;
  std::shared_ptr<TopicService> topics;
  std::shared_ptr<DirectService> direct;
  std::shared_ptr<TaskService> tasks;
  std::shared_ptr<ConversationService> conversations;
};

}  // namespace agentmesh::node::test
