#pragma once
// NodeHandle: the API's one door into a node. It exposes the services'
// operations, and nothing else: not the transport host, not the store.
//
// Each operation runs on the node's executor: called there (the daemon runs
// the API on the node's io_context), it runs inline; called from another
// thread's coroutine, it is spawned onto the node's executor and the caller
// resumes on its own with the result. Once the node is gone every operation
// fails with shutting_down.
//
// Streams: `wake` callbacks (inbox watchers, topic subscribers, mesh watchers) are called
// on the node's thread; a caller on another thread must hand them over to
// its own executor. close_*() may be called from destructors: they run
// inline on the node's thread, else they are posted to it.
//
// Errors are the services' (see each service's header); the handle adds only
// node::error::shutting_down.

#include <boost/asio/awaitable.hpp>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/ids.hpp"
#include "core/multiaddr.hpp"
#include "core/peer_id.hpp"
#include "core/result.hpp"
#include "node/health.hpp"
#include "node/types.hpp"
#include "transport/info.hpp"

namespace agentmesh::node {

class Node;
struct Diagnostics;

// A page of an inbox and where the inbox stands.
struct InboxPage {
  std::vector<InboxMessage> messages;
  InboxPosition position;
};

class NodeHandle {
 public:
  template <class T>
  using Task = boost::asio::awaitable<T>;

  NodeHandle() = default;
  explicit NodeHandle(std::weak_ptr<Node> node) : node_(std::move(node)) {}

  // --- agents (node/agents.hpp) ---
  Task<Result<CreatedAgent>> create_agent(CreateAgentRequest req) const;
  // By id or name, with its inbox figures.
  Task<Result<AgentInfo>> agent(std::string ref) const;
  Task<Result<std::vector<AgentInfo>>> agents() const;
  Task<Result<AgentInfo>> update_agent(core::AgentId id, UpdateAgentRequest req) const;
  Task<Result<std::size_t>> delete_agent(core::AgentId id) const;
  Task<Result<std::optional<core::AgentId>>> agent_for_token(std::string token) const;

  // --- A2A caller tokens (node/a2a_tokens.hpp) ---
  // A local agent (by id or name), or an agent of another daemon (by id)
  // whose advert publishes it to A2A clients; unknown_agent otherwise.
  Task<Result<core::AgentId>> a2a_agent(std::string ref) const;
  Task<Result<CreatedA2aToken>> create_a2a_token(core::AgentId agent, std::string label, std::int64_t ttl_ms) const;
  Task<Result<std::vector<A2aTokenInfo>>> a2a_tokens(core::AgentId agent) const;
  Task<Result<void>> revoke_a2a_token(core::AgentId agent, core::TokenId id) const;
  // nullopt: unknown, revoked or expired.
  Task<Result<std::optional<A2aCaller>>> a2a_caller(std::string token) const;

  // --- A2A push notification configs (node/a2a_push.hpp) ---
  Task<Result<store::A2aPushConfigRecord>> put_a2a_push_config(store::A2aPushConfigRecord rec) const;
  // A task's configs, or all of them when `task` is empty.
  Task<Result<std::vector<store::A2aPushConfigRecord>>> a2a_push_configs(std::optional<core::TaskId> task) const;
  Task<Result<void>> remove_a2a_push_config(core::TaskId task, std::string id) const;
  Task<Result<void>> advance_a2a_push_config(core::TaskId task, std::string id, std::uint64_t delivered) const;
  // Just the id of a local agent named by id or name (unknown_agent): what
  // every agent-scoped request resolves first.
  Task<Result<core::AgentId>> resolve_agent(std::string ref) const;

  // --- messages (node/direct.hpp) and inboxes (node/inboxes.hpp) ---
  Task<Result<SendReceipt>> send(core::AgentId from, SendRequest req) const;
  Task<Result<SendReceipt>> message_status(core::AgentId sender, core::RequestId id) const;
  Task<Result<InboxPage>> read_inbox(core::AgentId agent, core::Seq after, std::size_t limit) const;
  Task<Result<InboxPosition>> ack(core::AgentId agent, core::Seq up_to) const;
  Task<Result<std::vector<core::AgentId>>> blocked(core::AgentId agent) const;
  Task<Result<void>> block(core::AgentId agent, core::AgentId sender) const;
  Task<Result<void>> unblock(core::AgentId agent, core::AgentId sender) const;

  // --- inbox streams ---
  // Counts a stream against the agent's limit (too_many_streams) and
  // watches its inbox: `wake` is called when it grows or the agent goes.
  // Returns the watch token for close_inbox_stream().
  Task<Result<std::uint64_t>> open_inbox_stream(core::AgentId agent, std::function<void()> wake) const;
  void close_inbox_stream(core::AgentId agent, std::uint64_t token) const;

  // --- dead letters ---
  Task<Result<std::vector<DeadLetter>>> dead_letters(std::int64_t after_id, std::size_t limit) const;
  Task<Result<DeadLetter>> dead_letter(std::int64_t id) const;
  Task<Result<SendReceipt>> retry_dead_letter(std::int64_t id) const;
  Task<Result<void>> delete_dead_letter(std::int64_t id) const;

  // --- topics (node/topics.hpp) ---
  Task<Result<TopicPublishResult>> publish(core::AgentId agent, std::string topic, std::string content_type,
                                           std::string body) const;
  Task<Result<std::vector<TopicView>>> topics() const;
  // A live subscriber; its queue is drained on the node's thread.
  Task<Result<std::shared_ptr<TopicSubscriber>>> subscribe_topic(std::string topic, std::function<void()> wake) const;
  void unsubscribe_topic(std::shared_ptr<TopicSubscriber> sub) const;
  Task<Result<std::vector<std::string>>> subscriptions(core::AgentId agent) const;
  Task<Result<void>> subscribe_durable(core::AgentId agent, std::string topic) const;
  Task<Result<void>> unsubscribe_durable(core::AgentId agent, std::string topic) const;

  // --- the directory (node/directory.hpp) ---
  Task<Result<std::vector<DirectoryView>>> directory(std::string capability, bool online_only) const;
  Task<Result<DirectoryView>> directory_entry(core::AgentId agent) const;

  // --- this node and its peers (node/peers.hpp) ---
  Task<Result<NodeInfo>> node_info() const;
  Task<Result<std::vector<transport::PeerInfo>>> peers() const;
  // A mesh watcher (GET /v1/peers/events): `wake` on every peer or directory
  // change; mesh_changes() is their count so far.
  Task<Result<std::uint64_t>> watch_mesh(std::function<void()> wake) const;
  void unwatch_mesh(std::uint64_t token) const;
  Task<Result<std::uint64_t>> mesh_changes() const;
  Task<Result<core::PeerId>> connect(core::Multiaddr addr) const;
  Task<Result<void>> disconnect(core::PeerId peer) const;

  // --- observability ---
  // with_conversations: also the conversation figures (read from the store;
  // only /metrics and /v1/diagnostics/conversations need them).
  Task<Result<Diagnostics>> diagnostics(bool with_conversations = false) const;
  Task<Result<HealthReport>> health(bool draining) const;

  // --- tasks (node/tasks.hpp) ---
  Task<Result<TaskResult>> create_task(core::AgentId requester, CreateTaskRequest req) const;
  Task<Result<TaskResult>> act_on_task(core::AgentId actor, core::TaskId id, TaskActionRequest req) const;
  Task<Result<tasks::Task>> task(core::AgentId agent, core::TaskId id) const;
  Task<Result<std::vector<tasks::Task>>> tasks(core::AgentId agent, TaskListQuery q) const;
  Task<Result<std::vector<tasks::Event>>> task_events(core::AgentId agent, core::TaskId id, std::uint64_t after,
                                                      std::size_t limit) const;
  // Counts a stream against the agent's limit (too_many_streams) and wakes
  // it when a task the agent is a party to takes a step (with `task`: only
  // that one). A token for close_task_stream().
  Task<Result<std::uint64_t>> open_task_stream(core::AgentId agent, std::optional<core::TaskId> task,
                                               std::function<void()> wake) const;
  void close_task_stream(core::AgentId agent, std::uint64_t token) const;
  // The same wake without a stream slot, for the daemon's own consumers
  // (the A2A gateway's blocking calls), which bound their watches themselves.
  Task<Result<std::uint64_t>> watch_task(core::AgentId agent, core::TaskId task, std::function<void()> wake) const;
  void unwatch_task(core::AgentId agent, std::uint64_t token) const;

  // --- conversations (node/conversations.hpp) ---
  Task<Result<std::vector<Conversation>>> conversations(core::AgentId agent, ConversationListQuery q) const;
  Task<Result<ConversationView>> conversation(core::AgentId agent, std::string id, std::uint64_t after,
                                              std::size_t limit) const;

 private:
  template <class R, class Op>
  Task<R> run(Op op) const;
  template <class R, class Fn>
  Task<R> run_sync(Fn fn) const;

  std::weak_ptr<Node> node_;
};

}  // namespace agentmesh::node
