// NodeHandle: each operation runs on the node's executor (inline when the
// caller is there already) and reaches one service.

#include "node/node_handle.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "node/a2a_push.hpp"
#include "node/a2a_tokens.hpp"
#include "node/agents.hpp"
#include "node/conversations.hpp"
#include "node/diagnostics.hpp"
#include "node/direct.hpp"
#include "node/directory.hpp"
#include "node/error.hpp"
#include "node/inboxes.hpp"
#include "node/node.hpp"
#include "node/peers.hpp"
#include "node/tasks.hpp"
#include "node/topics.hpp"

namespace agentmesh::node {

// `op(Node&)` returns a Task<R>. Off the node's thread the operation is
// spawned there; its result travels back in an optional (co_spawn's
// completion needs a default-constructible value, which a Result is not).
//
// The public methods are plain functions returning run()'s awaitable: their
// lambdas are never temporaries inside a co_await operand, which GCC 12
// relocates bytewise (docs/threading.md).
template <class R, class Op>
NodeHandle::Task<R> NodeHandle::run(Op op) const {
  auto node = node_.lock();
  if (!node) co_return R(make_error_code(error::shutting_down));
  if (node->on_node_thread()) co_return co_await op(*node);
  auto remote = [node, op]() mutable -> Task<std::optional<R>> { co_return co_await op(*node); };
  auto out = co_await boost::asio::co_spawn(node->executor(), std::move(remote), boost::asio::use_awaitable);
  co_return std::move(*out);
}

// A synchronous operation: `fn(Node&)` returns the R itself (no coroutine of
// its own on the common path, where the caller is on the node's thread).
template <class R, class Fn>
NodeHandle::Task<R> NodeHandle::run_sync(Fn fn) const {
  auto node = node_.lock();
  if (!node) co_return R(make_error_code(error::shutting_down));
  if (node->on_node_thread()) co_return fn(*node);
  auto remote = [node, fn]() mutable -> Task<std::optional<R>> { co_return fn(*node); };
  auto out = co_await boost::asio::co_spawn(node->executor(), std::move(remote), boost::asio::use_awaitable);
  co_return std::move(*out);
}

Task<Result<CreatedAgent>> NodeHandle::create_agent(CreateAgentRequest req) const {
  return run<Result<CreatedAgent>>(
      [req = std::move(req)](Node& n) mutable { return n.agents().create(std::move(req)); });
}

Task<Result<AgentInfo>> NodeHandle::agent(std::string ref) const {
  return run_sync<Result<AgentInfo>>([ref = std::move(ref)](Node& n) -> Result<AgentInfo> {
    auto info = n.agents().info(ref);
    if (info) n.inboxes().describe(*info);
    return info;
  });
}

Task<Result<std::vector<AgentInfo>>> NodeHandle::agents() const {
  return run_sync<Result<std::vector<AgentInfo>>>([](Node& n) -> Result<std::vector<AgentInfo>> {
    auto list = n.agents().list();
    for (auto& a : list) n.inboxes().describe(a);
    return list;
  });
}

Task<Result<AgentInfo>> NodeHandle::update_agent(core::AgentId id, UpdateAgentRequest req) const {
  return run<Result<AgentInfo>>([id, req = std::move(req)](Node& n) mutable -> Task<Result<AgentInfo>> {
    auto& agents = n.agents();
    auto info = co_await agents.update(id, std::move(req));
    if (info) n.inboxes().describe(*info);
    co_return info;
  });
}

Task<Result<std::size_t>> NodeHandle::delete_agent(core::AgentId id) const {
  return run<Result<std::size_t>>([id](Node& n) { return n.agents().remove(id); });
}

Task<Result<std::optional<core::AgentId>>> NodeHandle::agent_for_token(std::string token) const {
  return run_sync<Result<std::optional<core::AgentId>>>(
      [token = std::move(token)](Node& n) -> Result<std::optional<core::AgentId>> {
        return n.agents().for_token(token);
      });
}

Task<Result<CreatedA2aToken>> NodeHandle::create_a2a_token(core::AgentId agent, std::string label,
                                                           std::int64_t ttl_ms) const {
  return run<Result<CreatedA2aToken>>([agent, label = std::move(label), ttl_ms](Node& n) mutable {
    // An agent of another daemon that publishes itself to A2A clients: its
    // callers reach it through this daemon's gateway (over the mesh).
    const bool remote = !n.agents().find(agent) && n.directory().published(agent);
    return n.a2a_tokens().create(agent, std::move(label), ttl_ms, remote);
  });
}

Task<Result<core::AgentId>> NodeHandle::a2a_agent(std::string ref) const {
  return run_sync<Result<core::AgentId>>([ref = std::move(ref)](Node& n) -> Result<core::AgentId> {
    if (const auto* a = n.agents().resolve(ref)) return a->id;
    auto id = core::AgentId::parse(ref);
    if (id && n.directory().published(*id)) return *id;
    return make_error_code(error::unknown_agent);
  });
}

Task<Result<std::vector<A2aTokenInfo>>> NodeHandle::a2a_tokens(core::AgentId agent) const {
  return run_sync<Result<std::vector<A2aTokenInfo>>>(
      [agent](Node& n) -> Result<std::vector<A2aTokenInfo>> { return n.a2a_tokens().list(agent); });
}

Task<Result<void>> NodeHandle::revoke_a2a_token(core::AgentId agent, core::TokenId id) const {
  return run<Result<void>>([agent, id](Node& n) { return n.a2a_tokens().revoke(agent, id); });
}

Task<Result<std::optional<A2aCaller>>> NodeHandle::a2a_caller(std::string token) const {
  return run_sync<Result<std::optional<A2aCaller>>>(
      [token = std::move(token)](Node& n) -> Result<std::optional<A2aCaller>> {
        return n.a2a_tokens().authenticate(token);
      });
}

Task<Result<store::A2aPushConfigRecord>> NodeHandle::put_a2a_push_config(store::A2aPushConfigRecord rec) const {
  return run<Result<store::A2aPushConfigRecord>>(
      [rec = std::move(rec)](Node& n) mutable { return n.a2a_push().put(std::move(rec)); });
}

Task<Result<std::vector<store::A2aPushConfigRecord>>> NodeHandle::a2a_push_configs(
    std::optional<core::TaskId> task) const {
  return run_sync<Result<std::vector<store::A2aPushConfigRecord>>>(
      [task](Node& n) -> Result<std::vector<store::A2aPushConfigRecord>> { return n.a2a_push().list(task); });
}

Task<Result<void>> NodeHandle::remove_a2a_push_config(core::TaskId task, std::string id) const {
  return run<Result<void>>([task, id = std::move(id)](Node& n) { return n.a2a_push().remove(task, id); });
}

Task<Result<void>> NodeHandle::advance_a2a_push_config(core::TaskId task, std::string id,
                                                       std::uint64_t delivered) const {
  return run<Result<void>>(
      [task, id = std::move(id), delivered](Node& n) { return n.a2a_push().advance(task, id, delivered); });
}

Task<Result<core::AgentId>> NodeHandle::resolve_agent(std::string ref) const {
  return run_sync<Result<core::AgentId>>([ref = std::move(ref)](Node& n) -> Result<core::AgentId> {
    const auto* a = n.agents().resolve(ref);
    if (!a) return make_error_code(error::unknown_agent);
    return a->id;
  });
}

Task<Result<SendReceipt>> NodeHandle::send(core::AgentId from, SendRequest req) const {
  return run<Result<SendReceipt>>(
      [from, req = std::move(req)](Node& n) mutable { return n.direct().send(from, std::move(req)); });
}

Task<Result<SendReceipt>> NodeHandle::message_status(core::AgentId sender, core::RequestId id) const {
  return run_sync<Result<SendReceipt>>(
      [sender, id](Node& n) -> Result<SendReceipt> { return n.direct().status(sender, id); });
}

Task<Result<InboxPage>> NodeHandle::read_inbox(core::AgentId agent, core::Seq after, std::size_t limit) const {
  return run_sync<Result<InboxPage>>([agent, after, limit](Node& n) -> Result<InboxPage> {
    auto messages = n.inboxes().read(agent, after, limit);
    if (!messages) return messages.error();
    InboxPage page;
    page.messages = std::move(*messages);
    page.position = n.inboxes().position(agent).value_or(InboxPosition{});
    return page;
  });
}

Task<Result<InboxPosition>> NodeHandle::ack(core::AgentId agent, core::Seq up_to) const {
  return run<Result<InboxPosition>>([agent, up_to](Node& n) { return n.inboxes().ack(agent, up_to); });
}

Task<Result<std::vector<core::AgentId>>> NodeHandle::blocked(core::AgentId agent) const {
  return run_sync<Result<std::vector<core::AgentId>>>(
      [agent](Node& n) -> Result<std::vector<core::AgentId>> { return n.inboxes().blocked(agent); });
}

Task<Result<void>> NodeHandle::block(core::AgentId agent, core::AgentId sender) const {
  return run<Result<void>>([agent, sender](Node& n) { return n.inboxes().block(agent, sender); });
}

Task<Result<void>> NodeHandle::unblock(core::AgentId agent, core::AgentId sender) const {
  return run<Result<void>>([agent, sender](Node& n) { return n.inboxes().unblock(agent, sender); });
}

Task<Result<std::uint64_t>> NodeHandle::open_inbox_stream(core::AgentId agent, std::function<void()> wake) const {
  return run_sync<Result<std::uint64_t>>([agent, wake = std::move(wake)](Node& n) mutable -> Result<std::uint64_t> {
    auto& inboxes = n.inboxes();
    if (auto slot = inboxes.open_stream(agent); !slot) return slot.error();
    return inboxes.watch(agent, std::move(wake));
  });
}

void NodeHandle::close_inbox_stream(core::AgentId agent, std::uint64_t token) const {
  auto node = node_.lock();
  if (!node) return;
  auto close = [node, agent, token] {
    node->inboxes().unwatch(agent, token);
    node->inboxes().close_stream(agent);
  };
  if (node->on_node_thread()) {
    close();
  } else {
    boost::asio::post(node->executor(), close);
  }
}

Task<Result<std::vector<DeadLetter>>> NodeHandle::dead_letters(std::int64_t after_id, std::size_t limit) const {
  return run_sync<Result<std::vector<DeadLetter>>>([after_id, limit](Node& n) -> Result<std::vector<DeadLetter>> {
    return n.inboxes().dead_letters(after_id, limit);
  });
}

Task<Result<DeadLetter>> NodeHandle::dead_letter(std::int64_t id) const {
  return run_sync<Result<DeadLetter>>([id](Node& n) -> Result<DeadLetter> { return n.inboxes().dead_letter(id); });
}

Task<Result<SendReceipt>> NodeHandle::retry_dead_letter(std::int64_t id) const {
  return run<Result<SendReceipt>>([id](Node& n) { return n.direct().retry_dead_letter(id); });
}

Task<Result<void>> NodeHandle::delete_dead_letter(std::int64_t id) const {
  return run<Result<void>>([id](Node& n) { return n.inboxes().delete_dead_letter(id); });
}

Task<Result<TopicPublishResult>> NodeHandle::publish(core::AgentId agent, std::string topic, std::string content_type,
                                                     std::string body) const {
  return run_sync<Result<TopicPublishResult>>([agent, topic = std::move(topic), content_type = std::move(content_type),
                                               body = std::move(body)](Node& n) mutable -> Result<TopicPublishResult> {
    return n.topics().publish(agent, topic, std::move(content_type), std::move(body));
  });
}

Task<Result<std::vector<TopicView>>> NodeHandle::topics() const {
  return run_sync<Result<std::vector<TopicView>>>(
      [](Node& n) -> Result<std::vector<TopicView>> { return n.topics().topics(); });
}

Task<Result<std::shared_ptr<TopicSubscriber>>> NodeHandle::subscribe_topic(std::string topic,
                                                                           std::function<void()> wake) const {
  return run_sync<Result<std::shared_ptr<TopicSubscriber>>>(
      [topic = std::move(topic), wake = std::move(wake)](Node& n) mutable -> Result<std::shared_ptr<TopicSubscriber>> {
        return n.topics().subscribe(topic, std::move(wake));
      });
}

void NodeHandle::unsubscribe_topic(std::shared_ptr<TopicSubscriber> sub) const {
  auto node = node_.lock();
  if (!node) return;
  auto close = [node, sub = std::move(sub)] { node->topics().unsubscribe(sub); };
  if (node->on_node_thread()) {
    close();
  } else {
    boost::asio::post(node->executor(), std::move(close));
  }
}

Task<Result<std::vector<std::string>>> NodeHandle::subscriptions(core::AgentId agent) const {
  return run_sync<Result<std::vector<std::string>>>(
      [agent](Node& n) -> Result<std::vector<std::string>> { return n.topics().durable_topics(agent); });
}

Task<Result<void>> NodeHandle::subscribe_durable(core::AgentId agent, std::string topic) const {
  return run<Result<void>>(
      [agent, topic = std::move(topic)](Node& n) { return n.topics().subscribe_durable(agent, topic); });
}

Task<Result<void>> NodeHandle::unsubscribe_durable(core::AgentId agent, std::string topic) const {
  return run<Result<void>>(
      [agent, topic = std::move(topic)](Node& n) { return n.topics().unsubscribe_durable(agent, topic); });
}

Task<Result<std::vector<DirectoryView>>> NodeHandle::directory(std::string capability, bool online_only) const {
  return run_sync<Result<std::vector<DirectoryView>>>(
      [capability = std::move(capability), online_only](Node& n) -> Result<std::vector<DirectoryView>> {
        return n.directory().search(capability, online_only);
      });
}

Task<Result<DirectoryView>> NodeHandle::directory_entry(core::AgentId agent) const {
  return run_sync<Result<DirectoryView>>([agent](Node& n) -> Result<DirectoryView> {
    auto v = n.directory().entry(agent);
    if (!v) return make_error_code(error::unknown_agent);
    return std::move(*v);
  });
}

Task<Result<NodeInfo>> NodeHandle::node_info() const {
  return run_sync<Result<NodeInfo>>([](Node& n) -> Result<NodeInfo> { return n.peers().info(); });
}

Task<Result<std::vector<transport::PeerInfo>>> NodeHandle::peers() const {
  return run_sync<Result<std::vector<transport::PeerInfo>>>(
      [](Node& n) -> Result<std::vector<transport::PeerInfo>> { return n.peers().list(); });
}

Task<Result<std::uint64_t>> NodeHandle::watch_mesh(std::function<void()> wake) const {
  return run_sync<Result<std::uint64_t>>(
      [wake = std::move(wake)](Node& n) mutable -> Result<std::uint64_t> { return n.peers().watch(std::move(wake)); });
}

void NodeHandle::unwatch_mesh(std::uint64_t token) const {
  auto node = node_.lock();
  if (!node) return;
  auto close = [node, token] { node->peers().unwatch(token); };
  if (node->on_node_thread()) {
    close();
  } else {
    boost::asio::post(node->executor(), std::move(close));
  }
}

Task<Result<std::uint64_t>> NodeHandle::mesh_changes() const {
  return run_sync<Result<std::uint64_t>>([](Node& n) -> Result<std::uint64_t> { return n.peers().changes(); });
}

Task<Result<core::PeerId>> NodeHandle::connect(core::Multiaddr addr) const {
  return run<Result<core::PeerId>>(
      [addr = std::move(addr)](Node& n) mutable { return n.peers().connect(std::move(addr)); });
}

Task<Result<void>> NodeHandle::disconnect(core::PeerId peer) const {
  return run_sync<Result<void>>([peer](Node& n) -> Result<void> { return n.peers().disconnect(peer); });
}

Task<Result<Diagnostics>> NodeHandle::diagnostics(bool with_conversations) const {
  return run_sync<Result<Diagnostics>>([with_conversations](Node& n) -> Result<Diagnostics> {
    auto d = n.diagnostics();
    if (!with_conversations) return d;
    if (auto c = n.conversations().stats()) d.conversations = *c;  // a failing store shows in d.store
    return d;
  });
}

Task<Result<HealthReport>> NodeHandle::health(bool draining) const {
  return run_sync<Result<HealthReport>>([draining](Node& n) -> Result<HealthReport> { return n.health(draining); });
}

}  // namespace agentmesh::node

namespace agentmesh::node {

Task<Result<TaskResult>> NodeHandle::create_task(core::AgentId requester, CreateTaskRequest req) const {
  return run<Result<TaskResult>>(
      [requester, req = std::move(req)](Node& n) mutable { return n.tasks().create(requester, std::move(req)); });
}

Task<Result<TaskResult>> NodeHandle::act_on_task(core::AgentId actor, core::TaskId id, TaskActionRequest req) const {
  return run<Result<TaskResult>>(
      [actor, id, req = std::move(req)](Node& n) mutable { return n.tasks().act(actor, id, std::move(req)); });
}

Task<Result<tasks::Task>> NodeHandle::task(core::AgentId agent, core::TaskId id) const {
  return run_sync<Result<tasks::Task>>([agent, id](Node& n) { return n.tasks().get(agent, id); });
}

Task<Result<std::vector<Conversation>>> NodeHandle::conversations(core::AgentId agent, ConversationListQuery q) const {
  return run_sync<Result<std::vector<Conversation>>>(
      [agent, q = std::move(q)](Node& n) { return n.conversations().list(agent, q); });
}

Task<Result<ConversationView>> NodeHandle::conversation(core::AgentId agent, std::string id, std::uint64_t after,
                                                        std::size_t limit) const {
  return run_sync<Result<ConversationView>>(
      [agent, id = std::move(id), after, limit](Node& n) { return n.conversations().get(agent, id, after, limit); });
}

Task<Result<std::vector<tasks::Task>>> NodeHandle::tasks(core::AgentId agent, TaskListQuery q) const {
  return run_sync<Result<std::vector<tasks::Task>>>([agent, q](Node& n) { return n.tasks().list(agent, q); });
}

Task<Result<std::vector<tasks::Event>>> NodeHandle::task_events(core::AgentId agent, core::TaskId id,
                                                                std::uint64_t after, std::size_t limit) const {
  return run_sync<Result<std::vector<tasks::Event>>>(
      [agent, id, after, limit](Node& n) { return n.tasks().events(agent, id, after, limit); });
}

Task<Result<std::uint64_t>> NodeHandle::open_task_stream(core::AgentId agent, std::optional<core::TaskId> task,
                                                         std::function<void()> wake) const {
  return run_sync<Result<std::uint64_t>>(
      [agent, task, wake = std::move(wake)](Node& n) mutable -> Result<std::uint64_t> {
        if (auto slot = n.inboxes().open_stream(agent); !slot) return slot.error();
        return n.tasks().watch(agent, task, std::move(wake));
      });
}

Task<Result<std::uint64_t>> NodeHandle::watch_task(core::AgentId agent, core::TaskId task,
                                                   std::function<void()> wake) const {
  return run_sync<Result<std::uint64_t>>(
      [agent, task, wake = std::move(wake)](Node& n) mutable -> Result<std::uint64_t> {
        return n.tasks().watch(agent, task, std::move(wake));
      });
}

void NodeHandle::unwatch_task(core::AgentId agent, std::uint64_t token) const {
  auto node = node_.lock();
  if (!node) return;
  auto unwatch = [node, agent, token] { node->tasks().unwatch(agent, token); };
  if (node->on_node_thread()) {
    unwatch();
  } else {
    boost::asio::post(node->executor(), unwatch);
  }
}

void NodeHandle::close_task_stream(core::AgentId agent, std::uint64_t token) const {
  auto node = node_.lock();
  if (!node) return;
  auto close = [node, agent, token] {
    node->tasks().unwatch(agent, token);
    node->inboxes().close_stream(agent);
  };
  if (node->on_node_thread()) {
    close();
  } else {
    boost::asio::post(node->executor(), close);
  }
}

}  // namespace agentmesh::node
