// node/topics: publishing as an agent, live subscribers and their queues,
// durable subscriptions, and what the mesh delivers.

#include "node/topics.hpp"

#include <limits>

#include "core/bytes.hpp"
#include "core/hex.hpp"
#include "crypto/crypto.hpp"
#include "node/error.hpp"
#include "node/spawn.hpp"
#include "node/storage_commit.hpp"
#include "wire/agent_message.hpp"

namespace agentmesh::node {

namespace {

// An agent's binding to this daemon is valid this long and renewed when less
// than a quarter of it is left.
constexpr std::uint64_t kBindingLifetimeMs = 24ULL * 3600 * 1000;
constexpr std::size_t kMaxPeerNames = 4096;

using core::bytes_of;

}  // namespace

TopicService::TopicService(ServiceContext ctx, std::shared_ptr<AgentService> agents,
                           std::shared_ptr<InboxService> inboxes, std::shared_ptr<Mesh> mesh)
    : ctx_(std::move(ctx)), agents_(std::move(agents)), inboxes_(std::move(inboxes)), mesh_(std::move(mesh)) {}

Result<void> TopicService::load(std::string& why) {
  auto subscriptions = ctx_.storage->reader().list_subscriptions();
  if (!subscriptions) {
    why = "cannot read subscriptions: " + subscriptions.error().message();
    return subscriptions.error();
  }
  for (const auto& s : *subscriptions) {
    durable_[s.topic].emplace(s.agent, s.created_ms);
    catch_up_[s.topic];
  }
  return {};
}

AgentService::Observer TopicService::agent_observer() {
  std::weak_ptr<TopicService> weak = weak_from_this();
  AgentService::Observer o;
  o.deleted = [weak](const store::AgentRecord& a) {
    auto self = weak.lock();
    if (!self) return;
    for (auto it = self->durable_.begin(); it != self->durable_.end();) {  // the store dropped them
      it->second.erase(a.id);
      const auto topic = it->first;
      it = it->second.empty() ? self->durable_.erase(it) : std::next(it);
      self->maybe_leave(topic);
    }
  };
  return o;
}

void TopicService::start() {
  for (const auto& [topic, agents] : durable_) mesh_->join(topic);
}

Result<std::string> TopicService::binding(const core::AgentId& agent, std::uint64_t now_ms) {
  auto it = bindings_.find(agent);
  if (it != bindings_.end() && it->second.first > now_ms + kBindingLifetimeMs / 4) return it->second.second;
  const auto* key = agents_->signing_key(agent);
  if (!key) return make_error_code(boost::system::errc::no_such_file_or_directory);
  const auto expires = now_ms + kBindingLifetimeMs;
  auto b = pubsub::Attribution::bind(*key, mesh_->self(), expires);
  bindings_[agent] = {expires, b.signature};
  return b.signature;
}

Result<TopicPublishResult> TopicService::publish(const core::AgentId& agent, const std::string& topic,
                                                 std::string content_type, std::string body) {
  AGENTMESH_ASSERT_ON_THREAD(*ctx_.thread);
  if (!agents_->find(agent)) return error::unknown_agent;
  const auto now_ms = static_cast<std::uint64_t>(ctx_.now_ms());
  auto sig = binding(agent, now_ms);
  if (!sig) return sig.error();
  const auto self = mesh_->self();
  wire::agent_message::Payload payload;
  std::copy(agent.bytes().begin(), agent.bytes().end(), payload.agent.begin());
  payload.content_type = content_type;
  payload.body = body;
  payload.binding.peer = self.multihash();
  payload.binding.expires_ms = bindings_[agent].first;
  payload.binding.signature = *sig;
  auto published = mesh_->publish(topic, wire::agent_message::encode(payload));
  if (!published) return published.error();
  ++published_;
  TopicEvent local;
  local.topic = topic;
  local.message_id = published->id;
  local.from_peer = peer_name(self);
  local.from_agent = agent.to_string();
  local.content_type = std::move(content_type);
  local.body = std::move(body);
  local.received_ms = ctx_.now_ms();
  deliver(std::move(local));
  return TopicPublishResult{published->id, published->peers};
}

void TopicService::deliver(TopicEvent event) {
  deliver_durable(event);
  auto it = live_.find(event.topic);
  if (it == live_.end()) return;
  const auto& subs = it->second;
  for (std::size_t i = 0; i < subs.size(); ++i) {
    // The last subscriber gets the event itself, the others copies.
    if (i + 1 == subs.size()) {
      enqueue(*subs[i], std::move(event));
    } else {
      enqueue(*subs[i], event);
    }
  }
}

void TopicService::enqueue(TopicSubscriber& sub, TopicEvent event) {
  if (sub.queue.size() >= sub.capacity) {
    ++sub.dropped;
    ++sub.dropped_total;
  } else {
    sub.queue.push_back(std::move(event));
  }
  switch (sub.pressure.check(sub.queue.size(), sub.capacity, ctx_.clock->mono())) {
    case core::PressureGate::Level::info:
      ctx_.log->info("a subscriber of topic {} is slow: its queue is over half full ({} of {})", sub.topic,
                     sub.queue.size(), sub.capacity);
      break;
    case core::PressureGate::Level::warn:
      ctx_.log->warn("a subscriber of topic {} is slow: its queue is over 80% full ({} of {}, {} dropped)", sub.topic,
                     sub.queue.size(), sub.capacity, sub.dropped_total);
      break;
    case core::PressureGate::Level::none:
      break;
  }
  if (sub.wake) sub.wake();
}

Result<std::shared_ptr<TopicSubscriber>> TopicService::subscribe(const std::string& topic, std::function<void()> wake) {
  AGENTMESH_ASSERT_ON_THREAD(*ctx_.thread);
  if (live_count_ >= kMaxLiveSubscribers) return error::too_many_streams;
  auto sub = std::make_shared<TopicSubscriber>();
  sub->topic = topic;
  sub->wake = std::move(wake);
  auto& subs = live_[topic];
  if (subs.empty() && !durable_.contains(topic)) mesh_->join(topic);
  subs.push_back(sub);
  ++live_count_;
  return sub;
}

void TopicService::unsubscribe(const std::shared_ptr<TopicSubscriber>& sub) {
  AGENTMESH_ASSERT_ON_THREAD(*ctx_.thread);
  auto it = live_.find(sub->topic);
  if (it == live_.end()) return;
  const auto before = it->second.size();
  std::erase(it->second, sub);
  live_count_ -= before - it->second.size();
  if (it->second.empty()) {
    live_.erase(it);
    maybe_leave(sub->topic);
  }
}

Task<Result<void>> TopicService::subscribe_durable(core::AgentId agent, std::string topic) {
  AGENTMESH_ASSERT_ON_THREAD(*ctx_.thread);
  auto self = shared_from_this();
  if (!agents_->find(agent)) co_return error::unknown_agent;
  const auto created_ms = ctx_.now_ms();
  WorkFn<void> put = [agent, topic, created_ms](store::Store& s) {
    return s.put_subscription(agent, topic, created_ms);
  };
  auto done = co_await ctx_.storage->commit<void>(std::move(put));
  if (!done) co_return done.error();
  const bool first = durable_[topic].empty() && !live_.contains(topic);
  durable_[topic].emplace(agent, created_ms);
  if (first) mesh_->join(topic);
  co_return Result<void>{};
}

Task<Result<void>> TopicService::unsubscribe_durable(core::AgentId agent, std::string topic) {
  AGENTMESH_ASSERT_ON_THREAD(*ctx_.thread);
  auto self = shared_from_this();
  WorkFn<void> del = [agent, topic](store::Store& s) { return s.delete_subscription(agent, topic); };
  auto done = co_await ctx_.storage->commit<void>(std::move(del));
  if (!done) co_return done.error();
  if (auto it = durable_.find(topic); it != durable_.end()) {
    it->second.erase(agent);
    if (it->second.empty()) durable_.erase(it);
  }
  maybe_leave(topic);
  co_return Result<void>{};
}

std::vector<std::string> TopicService::durable_topics(const core::AgentId& agent) const {
  std::vector<std::string> out;
  for (const auto& [topic, agents] : durable_) {
    if (agents.contains(agent)) out.push_back(topic);
  }
  return out;
}

void TopicService::maybe_leave(const std::string& topic) {
  if (stopping_ || durable_.contains(topic) || live_.contains(topic)) return;
  mesh_->leave(topic);
}

std::vector<TopicView> TopicService::topics() const {
  AGENTMESH_ASSERT_ON_THREAD(*ctx_.thread);
  std::set<std::string> names;
  for (const auto& t : mesh_->known_topics()) names.insert(t);
  for (const auto& [t, subs] : live_) names.insert(t);
  for (const auto& [t, agents] : durable_) names.insert(t);
  std::vector<TopicView> out;
  for (const auto& t : names) {
    TopicView v;
    v.topic = t;
    if (auto it = live_.find(t); it != live_.end()) v.local_subscribers = it->second.size();
    const auto m = mesh_->topic(t);
    v.mesh = m.mesh;
    v.fanout = m.fanout;
    v.peers = m.peers;
    out.push_back(std::move(v));
  }
  return out;
}

pubsub::Validation TopicService::validate(const wire::pubsub::Message& m) {
  if (!m.data) return pubsub::Validation::accept;
  auto payload = wire::agent_message::decode(bytes_of(*m.data));
  if (!payload) return pubsub::Validation::accept;  // raw data from a plain libp2p node
  if (!m.from) return pubsub::Validation::reject;
  auto author = core::PeerId::from_multihash(bytes_of(*m.from));
  if (!author) return pubsub::Validation::reject;
  auto agent = attribution_.check(*payload, *author, static_cast<std::uint64_t>(ctx_.now_ms()));
  return agent ? pubsub::Validation::accept : pubsub::Validation::reject;
}

void TopicService::on_message(const pubsub::MessageId& id, const wire::pubsub::Message& m, const core::PeerId& author) {
  AGENTMESH_ASSERT_ON_THREAD(*ctx_.thread);
  mesh_->retain(m);  // for peers that restart and ask
  deliver(event_of(id, m, author));
}

TopicEvent TopicService::event_of(const std::string& id, const wire::pubsub::Message& m, const core::PeerId& author) {
  TopicEvent e;
  e.topic = *m.topic;
  e.message_id = id;
  e.from_peer = peer_name(author);
  e.received_ms = ctx_.now_ms();
  const std::string_view data = m.data ? std::string_view(*m.data) : std::string_view();
  auto payload = wire::agent_message::decode(bytes_of(data));
  if (payload) {
    // The validator checked the binding (cached: no second verification).
    if (auto agent = attribution_.check(*payload, author, static_cast<std::uint64_t>(e.received_ms))) {
      e.from_agent = agent->to_string();
    }
    e.content_type = payload->content_type;
    e.body = std::move(payload->body);
  } else {
    e.content_type = "application/octet-stream";
    e.body = data;
  }
  return e;
}

const std::string& TopicService::peer_name(const core::PeerId& peer) {
  if (auto it = peer_names_.find(peer); it != peer_names_.end()) return it->second;
  if (peer_names_.size() >= kMaxPeerNames) peer_names_.clear();
  return peer_names_.emplace(peer, peer.to_string()).first->second;
}

TopicStats TopicService::stats() const {
  TopicStats s;
  for (const auto& [t, subs] : live_) {
    for (const auto& sub : subs) {
      s.subscriber_depth += sub->queue.size();
      s.subscriber_dropped += sub->dropped_total;
      ++s.subscribers;
    }
  }
  s.verifications = attribution_.verifications();
  s.binding_cache_hits = attribution_.cache_hits();
  s.published = published_;
  return s;
}

}  // namespace agentmesh::node
