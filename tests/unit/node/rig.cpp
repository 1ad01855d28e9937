#include "unit/node/rig.hpp"

#include <spdlog/sinks/null_sink.h>

#include <boost/asio/co_spawn.hpp>

#include "crypto/crypto.hpp"
#include "pubsub/message.hpp"
#include "store/memory_store.hpp"
#include "transport/error.hpp"
#include "wire/advert.hpp"
#include "wire/direct.hpp"

namespace agentmesh::node::test {

FakeMesh::FakeMesh() : self_(core::PeerId::from_ed25519(crypto::SigningKey::generate().public_key())) {
  listen_.push_back(core::Multiaddr::parse("/ip4/127.0.0.1/tcp/4001").value());
}

wire::pubsub::Message FakeMesh::message(const std::string& topic, const std::string& data) const {
  wire::pubsub::Message m;
  m.from = self_.multihash();
  m.data = data;
  m.topic = topic;
  std::string seqno(8, '\0');
  for (int i = 0; i < 8; ++i) seqno[7 - i] = static_cast<char>((seqno_ >> (8 * i)) & 0xff);
  m.seqno = seqno;
  return m;
}

Result<pubsub::PublishResult> FakeMesh::publish(const std::string& topic, std::string data) {
  auto m = message(topic, data);
  ++seqno_;
  published.push_back({topic, data});
  pubsub::PublishResult r;
  r.id = pubsub::message_id(m);
  r.peers = topic_peer_count(topic);
  if (forward) forward(m);
  return r;
}

TopicMeshView FakeMesh::topic(const std::string& topic) const {
  const auto n = topic_peer_count(topic);
  return TopicMeshView{n, 0, n};
}

std::size_t FakeMesh::topic_peer_count(const std::string& topic) const {
  auto it = peers_by_topic.find(topic);
  return it == peers_by_topic.end() ? 0 : it->second;
}

Mesh::Task<Result<pubsub::ReplayResult>> FakeMesh::replay_from(core::PeerId, std::string, std::uint64_t,
                                                               pubsub::Service::ReplayHandler) {
  co_return make_error_code(transport::error::not_connected);
}

Mesh::Task<Result<void>> FakeMesh::dial(core::PeerId, std::vector<core::Multiaddr>) {
  ++dials;
  co_return make_error_code(transport::error::dial_failed);
}

Mesh::Task<Result<std::shared_ptr<transport::Stream>>> FakeMesh::new_stream(core::PeerId, std::string) {
  co_return make_error_code(transport::error::not_connected);
}

Rig::Rig(boost::asio::io_context& io, std::shared_ptr<core::ManualClock> c, std::filesystem::path data_dir,
         std::shared_ptr<spdlog::logger> log)
    : ioc(io), clock(std::move(c)), mesh(std::make_shared<FakeMesh>()) {
  std::filesystem::create_directories(data_dir / "agents");
  if (!log) log = std::make_shared<spdlog::logger>("rig", std::make_shared<spdlog::sinks::null_sink_mt>());
  auto config = std::make_shared<NodeConfig>();
  config->data_dir = data_dir;
  config->direct.retry.jitter = 0;
  auto store = std::make_unique<store::MemoryStore>();
  auto reader = store->open_reader().value();
  ctx.ex = ioc.get_executor();
  ctx.clock = clock;
  ctx.config = config;
  ctx.log = log;
  ctx.storage = std::make_shared<Storage>(ctx.ex, std::move(store), std::move(reader), config->writer);
  ctx.tasks = std::make_shared<core::TaskReporter>(log);
  ctx.counters = std::make_shared<MessageCounters>();
  ctx.thread = std::make_shared<core::ThreadChecker>();
  agents = std::make_shared<AgentService>(ctx);
  inboxes = std::make_shared<InboxService>(ctx, agents);
  directory = std::make_shared<DirectoryService>(ctx, agents, mesh);
  topics = std::make_shared<TopicService>(ctx, agents, inboxes, mesh);
  direct = std::make_shared<DirectService>(ctx, agents, inboxes, directory, mesh);
  tasks = std::make_shared<TaskService>(ctx, agents, inboxes, directory, direct);
  conversations = std::make_shared<ConversationService>(ctx, agents);
  std::string why;
  if (!tasks->load(why)) throw std::runtime_error("tasks: " + why);
  agents->add_observer(inboxes->agent_observer());
  agents->add_observer(directory->agent_observer());
  agents->add_observer(topics->agent_observer());
  agents->add_observer(direct->agent_observer());
  directory->set_on_new_addresses([d = std::weak_ptr(direct)](const core::PeerId& peer) {
    if (auto s = d.lock()) s->on_new_addresses(peer);
  });
}

Rig::~Rig() {
  tasks->stop();
  direct->stop();
  directory->stop();
  inboxes->stop();
  ctx.storage->stop();
  ioc.poll();
}

bool Rig::run_until(const std::function<bool()>& pred) {
  return testutil::eventually([&] {
    ioc.restart();
    ioc.poll();
    return pred();
  });
}

template <class T>
T Rig::await(Task<T> task) {
  std::optional<T> out;
  boost::asio::co_spawn(ioc, std::move(task), [&](std::exception_ptr e, T r) {
    if (e) std::rethrow_exception(e);
    out.emplace(std::move(r));
  });
  if (!run_until([&] { return out.has_value(); })) throw std::runtime_error("a service call did not complete");
  return std::move(*out);
}

template Result<CreatedAgent> Rig::await(Task<Result<CreatedAgent>>);
template Result<SendReceipt> Rig::await(Task<Result<SendReceipt>>);
template Result<InboxPosition> Rig::await(Task<Result<InboxPosition>>);
template Result<PurgeResult> Rig::await(Task<Result<PurgeResult>>);
template Result<void> Rig::await(Task<Result<void>>);
template Result<std::size_t> Rig::await(Task<Result<std::size_t>>);
template Result<direct::DeliveryResult> Rig::await(Task<Result<direct::DeliveryResult>>);
template Result<AgentInfo> Rig::await(Task<Result<AgentInfo>>);
template Result<TaskResult> Rig::await(Task<Result<TaskResult>>);
template Result<CreatedA2aToken> Rig::await(Task<Result<CreatedA2aToken>>);

core::AgentId Rig::create_agent(const std::string& name, std::vector<std::string> capabilities) {
  CreateAgentRequest req;
  req.name = name;
  req.capabilities = std::move(capabilities);
  auto created = await(agents->create(std::move(req)));
  if (!created) throw std::runtime_error("create_agent: " + created.error().message());
  return created->agent.id;
}

void Rig::deliver_from_mesh(const wire::pubsub::Message& m) {
  const auto& topic = *m.topic;
  if (topic == wire::advert::kTopic) {
    if (directory->validate(m) == pubsub::Validation::accept) directory->on_advert(m);
  } else if (topic == wire::direct::kRelayTopic) {
    if (mesh->joined.contains(topic) && direct->validate_relay(m) == pubsub::Validation::accept) {
      direct->on_relay_item(m);
    }
  } else if (topic.starts_with(wire::direct::kInboxTopicPrefix)) {
    if (mesh->joined.contains(topic)) direct->on_inbox_item(m);
  } else if (mesh->joined.contains(topic) && topics->validate(m) == pubsub::Validation::accept) {
    const auto author =
        core::PeerId::from_multihash({reinterpret_cast<const std::uint8_t*>(m.from->data()), m.from->size()}).value();
    topics->on_message(pubsub::message_id(m), m, author);
  }
}

void Rig::link(Rig& a, Rig& b) {
  a.mesh->forward = [&b](const wire::pubsub::Message& m) { b.deliver_from_mesh(m); };
  b.mesh->forward = [&a](const wire::pubsub::Message& m) { a.deliver_from_mesh(m); };
  // Each sees the other subscribed to its inbox topics and the adverts topic.
  for (auto* r : {&a, &b}) {
    auto* other = r == &a ? &b : &a;
    for (const auto& t : other->mesh->joined) r->mesh->peers_by_topic[t] = 1;
    r->mesh->peers_by_topic[std::string(wire::advert::kTopic)] = 1;
  }
}

}  // namespace agentmesh::node::test
