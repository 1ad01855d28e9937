#pragma once
// node: the composition root of one daemon. A Node owns the services and
// what they share, wires them together, and routes what the network delivers
// to them:
//
//   AgentService      local agents, keys, tokens          node/agents.hpp
//   InboxService      inboxes, streams, blocks, dead letters  node/inboxes.hpp
//   DirectService     direct messages: send, outbox, receive  node/direct.hpp
//   TopicService      topics, live and durable subscribers    node/topics.hpp
//   DirectoryService  adverts, the directory, presence        node/directory.hpp
//   PeerService       node info, peers, the peer store        node/peers.hpp
//   TaskService       tasks: lifecycle, timers, task messages  node/tasks.hpp
//   ConversationService  conversation views, retention   node/conversations.hpp
//   HealthMonitor     health from the services' figures       node/health.hpp
//
// The API reaches the node only through NodeHandle (node/node_handle.hpp),
// which exposes the services' operations and runs them on the node's
// executor; it never sees the transport host or the store.
//
// Threading: all node state belongs to the node's executor (the network
// io_context thread); every service checks it in debug builds. Writes go to
// the store's writer thread and resume on the executor after their commit
// (docs/threading.md).
//
// Ownership: create with Node::open(); the daemon holds the shared_ptr and
// hands the API a NodeHandle (weak). stop() stops the services, the network
// and the writer (which commits what is queued).

#include <spdlog/logger.h>

#include <boost/asio/any_io_executor.hpp>
#include <chrono>
#include <memory>
#include <string>

#include "core/clock.hpp"
#include "core/result.hpp"
#include "node/diagnostics.hpp"
#include "node/health.hpp"
#include "node/node_config.hpp"
#include "node/ticker.hpp"

namespace agentmesh::transport {
class Host;
}
namespace agentmesh::pubsub {
class Service;
}
namespace agentmesh::crypto {
class SigningKey;
}

namespace agentmesh::node {

class AgentService;
class InboxService;
class DirectService;
class TopicService;
class DirectoryService;
class PeerService;
class TaskService;
class ConversationService;
class A2aTokenService;
class A2aPushService;
class Mesh;
struct ServiceContext;

class Node : public std::enable_shared_from_this<Node> {
 public:
  using Executor = boost::asio::any_io_executor;

  // Opens (creating when absent) the data directory: checks permissions,
  // loads or creates the node key, opens and migrates the database, loads
  // every service's state. Errors come with a message for the operator in
  // `why`. `clock`: the system clock unless a test injects one.
  static Result<std::shared_ptr<Node>> open(Executor ex, NodeConfig config, std::shared_ptr<spdlog::logger> log,
                                            std::string& why, std::shared_ptr<const core::Clock> clock = nullptr);
  ~Node();

  // Binds the listen addresses and starts the network and the services'
  // loops: gossip, adverts, the outbox, retention. On failure `why` names
  // the address.
  Result<void> start_network(std::string& why);
  // The daemon is stopping: topics are no longer left as their subscribers
  // go (leaving sends PRUNE with a backoff, which would keep a quickly
  // restarted daemon out of its neighbours' meshes) and adverts stop.
  void prepare_stop();
  // Stops the services and the network, finishes queued writes (they
  // commit) and joins the writer thread. Idempotent.
  void stop();

  Executor executor() const;
  const NodeConfig& config() const { return *config_; }
  // Whether the caller runs on the node's thread (binds it on first use).
  bool on_node_thread() const;

  AgentService& agents() { return *agents_; }
  InboxService& inboxes() { return *inboxes_; }
  DirectService& direct() { return *direct_; }
  TopicService& topics() { return *topics_; }
  DirectoryService& directory() { return *directory_; }
  PeerService& peers() { return *peers_; }
  TaskService& tasks() { return *tasks_; }
  ConversationService& conversations() { return *conversations_; }
  A2aTokenService& a2a_tokens() { return *a2a_tokens_; }
  A2aPushService& a2a_push() { return *a2a_push_; }
  const AgentService& agents() const { return *agents_; }
  const InboxService& inboxes() const { return *inboxes_; }

  // Every service's figures, now.
  Diagnostics diagnostics() const;
  // The health report (`draining`: the API is shutting down).
  HealthReport health(bool draining) const;
  // Exceptions that ended spawned coroutines, for components that spawn
  // their own (the API's sessions).
  const std::shared_ptr<core::TaskReporter>& task_reporter() const;

 private:
  explicit Node(std::unique_ptr<ServiceContext> ctx);
  Result<void> open_services(std::string& why, crypto::SigningKey node_key);
  void wire_network();
  void sample_health();

  std::unique_ptr<ServiceContext> ctx_;
  std::shared_ptr<const NodeConfig> config_;
  std::shared_ptr<transport::Host> host_;
  std::shared_ptr<pubsub::Service> pubsub_;
  std::shared_ptr<Mesh> mesh_;
  std::shared_ptr<AgentService> agents_;
  std::shared_ptr<InboxService> inboxes_;
  std::shared_ptr<DirectoryService> directory_;
  std::shared_ptr<TopicService> topics_;
  std::shared_ptr<DirectService> direct_;
  std::shared_ptr<PeerService> peers_;
  std::shared_ptr<TaskService> tasks_;
  std::shared_ptr<ConversationService> conversations_;
  std::shared_ptr<A2aTokenService> a2a_tokens_;
  std::shared_ptr<A2aPushService> a2a_push_;
  mutable HealthMonitor health_;
  Ticker health_ticker_;  // samples the figures for the health monitor
  std::chrono::steady_clock::time_point started_;
  bool stopped_ = false;
};

}  // namespace agentmesh::node
