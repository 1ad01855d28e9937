// Node's topic operations: publishing as an agent, local live subscribers,
// and what the pubsub service delivers.

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/json/array.hpp>
#include <fmt/format.h>
#include <limits>
#include <set>

#include "core/hex.hpp"
#include "node/error.hpp"
#include "node/node.hpp"
#include "pubsub/attribution.hpp"
#include "pubsub/service.hpp"
#include "transport/host.hpp"
#include "wire/agent_message.hpp"

namespace agentmesh::node {

namespace {
// An agent's binding to this daemon is valid this long and renewed when less
// than a quarter of it is left.
constexpr std::uint64_t kBindingLifetimeMs = 24ULL * 3600 * 1000;
constexpr std::size_t kMaxTopicSubscribers = 1024;
}  // namespace

Result<std::string> Node::agent_binding(const core::AgentId& agent, std::uint64_t now_ms) {
  auto it = bindings_.find(agent);
  if (it != bindings_.end() && it->second.first > now_ms + kBindingLifetimeMs / 4) return it->second.second;
  const auto* key = agent_key(agent);
  if (!key) return make_error_code(boost::system::errc::no_such_file_or_directory);
  const auto expires = now_ms + kBindingLifetimeMs;
  auto binding = pubsub::Attribution::bind(*key, host_->peer_id(), expires);
  bindings_[agent] = {expires, binding.signature};
  return binding.signature;
}

Result<TopicPublishResult> Node::publish_topic(const core::AgentId& agent, const std::string& topic,
                                               std::string content_type, std::string body) {
  if (!agents_.find(agent)) return error::unknown_agent;
  const auto now_ms = static_cast<std::uint64_t>(clock_.now_ms());
  auto sig = agent_binding(agent, now_ms);
  if (!sig) return sig.error();
  wire::agent_message::Payload payload;
  std::copy(agent.bytes().begin(), agent.bytes().end(), payload.agent.begin());
  payload.content_type = content_type;
  payload.body = body;
  payload.binding.peer = host_->peer_id().multihash();
  payload.binding.expires_ms = bindings_[agent].first;
  payload.binding.signature = *sig;
  auto published = pubsub_->publish(topic, wire::agent_message::encode(payload));
  if (!published) return published.error();
  TopicEvent local;
  local.topic = topic;
  local.message_id = published->id;
  local.from_peer = peer_name(host_->peer_id());
  local.from_agent = agent.to_string();
  local.content_type = std::move(content_type);
  local.body = std::move(body);
  local.received_ms = clock_.now_ms();
  deliver_topic(std::move(local));
  return TopicPublishResult{published->id, published->peers};
}

void Node::deliver_topic(TopicEvent event) {
  deliver_durable(event);
  auto it = topic_subscribers_.find(event.topic);
  if (it == topic_subscribers_.end()) return;
  const auto& subs = it->second;
  for (std::size_t i = 0; i < subs.size(); ++i) {
    const auto& sub = subs[i];
    if (sub->queue.size() >= sub->capacity) {
      ++sub->dropped;
      ++sub->dropped_total;
    } else if (i + 1 == subs.size()) {
      sub->queue.push_back(std::move(event));
    } else {
      sub->queue.push_back(event);
    }
    switch (sub->pressure.check(sub->queue.size(), sub->capacity, std::chrono::steady_clock::now())) {
      case core::PressureGate::Level::info:
        log_->info("a subscriber of topic {} is slow: its queue is over half full ({} of {})", sub->topic,
                   sub->queue.size(), sub->capacity);
        break;
      case core::PressureGate::Level::warn:
        log_->warn("a subscriber of topic {} is slow: its queue is over 80% full ({} of {}, {} dropped)", sub->topic,
                   sub->queue.size(), sub->capacity, sub->dropped_total);
        break;
      case core::PressureGate::Level::none:
        break;
    }
    if (sub->wake) sub->wake();
  }
}

Result<std::shared_ptr<TopicSubscriber>> Node::subscribe_topic(const std::string& topic, std::function<void()> wake) {
  std::size_t total = 0;
  for (const auto& [t, subs] : topic_subscribers_) total += subs.size();
  if (total >= kMaxTopicSubscribers) return error::too_many_streams;
  auto sub = std::make_shared<TopicSubscriber>();
  sub->topic = topic;
  sub->wake = std::move(wake);
  auto& subs = topic_subscribers_[topic];
  if (subs.empty() && !durable_.contains(topic)) pubsub_->join(topic);
  subs.push_back(sub);
  return sub;
}

void Node::unsubscribe_topic(const std::shared_ptr<TopicSubscriber>& sub) {
  auto it = topic_subscribers_.find(sub->topic);
  if (it == topic_subscribers_.end()) return;
  std::erase(it->second, sub);
  if (it->second.empty()) {
    topic_subscribers_.erase(it);
    maybe_leave(sub->topic);
  }
}

std::vector<TopicView> Node::topics() const {
  std::vector<TopicView> out;
  const auto& router = pubsub_->router();
  std::set<std::string> names;
  for (const auto& t : router.joined()) names.insert(t);
  for (const auto& t : router.peer_topics()) names.insert(t);
  for (const auto& [t, subs] : topic_subscribers_) names.insert(t);
  for (const auto& [t, agents] : durable_) names.insert(t);
  for (const auto& t : names) {
    TopicView v;
    v.topic = t;
    if (auto it = topic_subscribers_.find(t); it != topic_subscribers_.end()) v.local_subscribers = it->second.size();
    v.mesh = router.mesh(t).size();
    v.fanout = router.fanout(t).size();
    v.peers = router.topic_peers(t).size();
    out.push_back(std::move(v));
  }
  return out;
}

boost::json::object Node::pubsub_diagnostics() const {
  const auto& c = pubsub_->router().counters();
  const auto s = pubsub_->stats();
  boost::json::object messages;
  messages["published_total"] = c.published;
  messages["delivered_total"] = c.delivered;
  messages["duplicate_total"] = c.duplicates;
  messages["invalid_total"] = c.invalid;
  messages["ignored_total"] = c.ignored;
  messages["forwarded_total"] = c.forwarded;
  boost::json::object control;
  control["ihave_sent_total"] = c.ihave_sent;
  control["ihave_received_total"] = c.ihave_received;
  control["iwant_sent_total"] = c.iwant_sent;
  control["iwant_received_total"] = c.iwant_received;
  control["graft_sent_total"] = c.graft_sent;
  control["graft_received_total"] = c.graft_received;
  control["prune_sent_total"] = c.prune_sent;
  control["prune_received_total"] = c.prune_received;
  control["ihave_over_limit_total"] = c.ihave_over_limit;
  control["iwant_over_cap_total"] = c.iwant_over_cap;
  control["broken_promises_total"] = c.broken_promises;
  control["graft_in_backoff_total"] = c.graft_in_backoff;
  control["graylisted_rpcs_total"] = c.graylisted_rpcs;
  control["pruned_for_score_total"] = c.pruned_for_score;
  control["px_sent_total"] = c.px_sent;
  control["px_received_total"] = c.px_received;
  control["px_ignored_total"] = c.px_ignored;
  boost::json::object rpcs;
  rpcs["in_total"] = s.rpcs_in;
  rpcs["out_total"] = s.rpcs_out;
  rpcs["invalid_total"] = s.rpcs_invalid;
  boost::json::object queues;
  queues["outbound_depth"] = s.queued;
  queues["outbound_max_depth"] = s.max_queued;
  queues["outbound_dropped_total"] = s.rpcs_dropped;
  std::uint64_t sub_depth = 0, sub_dropped = 0;
  std::size_t subscribers = 0;
  for (const auto& [t, subs] : topic_subscribers_) {
    for (const auto& sub : subs) {
      sub_depth += sub->queue.size();
      sub_dropped += sub->dropped_total;
      ++subscribers;
    }
  }
  queues["subscriber_depth"] = sub_depth;
  queues["subscriber_dropped_total"] = sub_dropped;
  boost::json::array topics;
  for (const auto& t : this->topics()) {
    boost::json::object o;
    o["topic"] = t.topic;
    o["mesh"] = t.mesh;
    o["fanout"] = t.fanout;
    o["peers"] = t.peers;
    o["local_subscribers"] = t.local_subscribers;
    topics.push_back(std::move(o));
  }
  boost::json::object out;
  out["peers"] = s.peers;
  out["subscribers"] = subscribers;
  out["messages"] = std::move(messages);
  out["control"] = std::move(control);
  out["rpcs"] = std::move(rpcs);
  out["queues"] = std::move(queues);
  out["topics"] = std::move(topics);
  boost::json::object replay;
  replay["served_total"] = s.replays_served;
  replay["requested_total"] = s.replays_requested;
  replay["messages_sent_total"] = s.replay_messages_sent;
  replay["messages_received_total"] = s.replay_messages_received;
  replay["invalid_total"] = s.replay_invalid;
  replay["retained_messages"] = s.retained;
  replay["retained_bytes"] = s.retained_bytes;
  out["replay"] = std::move(replay);
  boost::json::object adverts;
  adverts["directory_agents"] = directory_.size();
  adverts["published_total"] = adverts_published_;
  adverts["received_total"] = adverts_received_;
  adverts["refused_full_total"] = directory_.refused_full();
  out["adverts"] = std::move(adverts);
  // Peer scores, lowest and highest first (at most 10 each).
  std::vector<std::pair<double, std::string>> scores;
  const auto t = std::chrono::steady_clock::now();
  for (const auto& p : pubsub_->router().peers()) scores.emplace_back(pubsub_->router().score(p, t), p.to_string());
  std::sort(scores.begin(), scores.end());
  boost::json::array lowest, highest;
  for (std::size_t i = 0; i < scores.size() && i < 10; ++i) {
    lowest.push_back(boost::json::object{{"peer_id", scores[i].second}, {"score", scores[i].first}});
  }
  for (std::size_t i = 0; i < scores.size() && i < 10; ++i) {
    const auto& e = scores[scores.size() - 1 - i];
    highest.push_back(boost::json::object{{"peer_id", e.second}, {"score", e.first}});
  }
  out["scores"] = boost::json::object{{"lowest", std::move(lowest)}, {"highest", std::move(highest)}};
  out["attribution"] = boost::json::object{{"verifications_total", attribution_->verifications()},
                                           {"cache_hits_total", attribution_->cache_hits()}};
  return out;
}

}  // namespace agentmesh::node

namespace agentmesh::node {

TopicEvent Node::topic_event(const std::string& id, const wire::pubsub::Message& m, const core::PeerId& author) {
  TopicEvent e;
  e.topic = *m.topic;
  e.message_id = id;
  e.from_peer = peer_name(author);
  e.received_ms = clock_.now_ms();
  const std::string_view data = m.data ? std::string_view(*m.data) : std::string_view();
  auto payload = wire::agent_message::decode({reinterpret_cast<const std::uint8_t*>(data.data()), data.size()});
  if (payload) {
    // The validator checked the binding (cached: no second verification).
    if (auto agent = attribution_->check(*payload, author, static_cast<std::uint64_t>(e.received_ms))) {
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

const std::string& Node::peer_name(const core::PeerId& peer) {
  constexpr std::size_t kMaxPeerNames = 4096;
  if (auto it = peer_names_.find(peer); it != peer_names_.end()) return it->second;
  if (peer_names_.size() >= kMaxPeerNames) peer_names_.clear();
  return peer_names_.emplace(peer, peer.to_string()).first->second;
}

// After a restart, each durable topic asks up to kCatchUpPeers of the peers
// that announce it for the messages they retained since the earliest of its
// subscriptions; those go to the durable subscribers only (live streams were
// not connected then), deduplicated like gossip deliveries.
void Node::maybe_catch_up(const core::PeerId& peer, const std::string& topic) {
  constexpr std::size_t kCatchUpPeers = 3;
  auto it = catch_up_.find(topic);
  if (it == catch_up_.end() || it->second.size() >= kCatchUpPeers || !it->second.insert(peer).second) return;
  auto d = durable_.find(topic);
  if (d == durable_.end() || d->second.empty()) return;
  std::int64_t since = std::numeric_limits<std::int64_t>::max();
  for (const auto& [agent, created] : d->second) since = std::min(since, created);
  std::weak_ptr<Node> weak = weak_from_this();
  auto handler = [weak](const pubsub::MessageId& id, const wire::pubsub::Message& m, const core::PeerId& author,
                        std::uint64_t received_ms) {
    auto self = weak.lock();
    if (!self) return;
    self->deliver_durable(self->topic_event(id, m, author), static_cast<std::int64_t>(received_ms));
  };
  auto task = [weak, peer, topic, since, handler]() -> Task<void> {
    auto self = weak.lock();
    if (!self) co_return;
    auto svc = self->pubsub_;
    self.reset();
    auto r = co_await svc->replay_from(peer, topic, static_cast<std::uint64_t>(std::max<std::int64_t>(since, 0)),
                                       handler);
    self = weak.lock();
    if (!self) co_return;
    if (!r) {
      self->log_->info("topic {}: catching up from {} failed: {}", topic, peer.to_string(), r.error().message());
      co_return;
    }
    self->log_->info("topic {}: caught up from {}: {} new, {} already seen, {} invalid", topic, peer.to_string(),
                     r->accepted, r->duplicates, r->invalid);
  };
  boost::asio::co_spawn(ex_, task, boost::asio::detached);
}

}  // namespace agentmesh::node
