#pragma once
// node/topics: publish/subscribe for agents on gossipsub topics.
//
// Publishing: an agent publishes through its daemon; the payload carries the
// agent's binding to this daemon (signed by the agent, renewed daily), so
// subscribers anywhere learn which agent spoke (docs/security.md).
//
// Live subscribers (SSE/WebSocket streams) each get a bounded queue
// (TopicSubscriber): when it is full the newest event is dropped and counted,
// the stream reports the gap, and the queue's pressure is logged (INFO above
// half full, WARN above 80%, at most once per 30 s per queue).
//
// Durable subscriptions put a topic's messages into an agent's inbox,
// exactly once (the request id is derived from the message id; the inbox's
// dedup outlives gossip's seen cache) and survive restarts: after a restart,
// each durable topic asks up to kCatchUpPeers peers that announce it for what
// they received while we were down (topic replay), for the durable
// subscribers only.
//
// A topic is joined while it has a live or durable subscriber, and left when
// it has neither (except while the daemon stops: leaving would send PRUNEs
// that keep a quickly restarted daemon out of its neighbours' meshes).
//
// Errors: node::error::unknown_agent, too_many_streams; store::error::
// conflict (already subscribed), not_found (not subscribed); the mesh's
// publish errors; the store's.
//
// Threading: the node's executor (checked in debug builds).

#include <map>
#include <memory>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "node/agents.hpp"
#include "node/context.hpp"
#include "node/inboxes.hpp"
#include "node/mesh.hpp"
#include "node/types.hpp"
#include "pubsub/attribution.hpp"
#include "pubsub/router.hpp"

namespace agentmesh::node {

struct TopicStats {
  std::size_t subscribers = 0;           // live subscribers, all topics
  std::uint64_t subscriber_depth = 0;    // events queued for them
  std::uint64_t subscriber_dropped = 0;  // events dropped on full queues
  std::uint64_t verifications = 0;       // agent bindings verified
  std::uint64_t binding_cache_hits = 0;
  std::uint64_t published = 0;  // messages local agents published (not the daemon's own adverts and beacons)
};

class TopicService : public std::enable_shared_from_this<TopicService> {
 public:
  static constexpr std::size_t kMaxLiveSubscribers = 1024;
  static constexpr std::size_t kCatchUpPeers = 3;

  TopicService(ServiceContext ctx, std::shared_ptr<AgentService> agents, std::shared_ptr<InboxService> inboxes,
               std::shared_ptr<Mesh> mesh);

  // Loads the durable subscriptions (and marks their topics for catch-up).
  Result<void> load(std::string& why);
  // Drops a deleted agent's durable subscriptions (the store dropped them).
  AgentService::Observer agent_observer();
  // Joins every durably subscribed topic.
  void start();
  // Topics are no longer left as their subscribers go (see above).
  void prepare_stop() { stopping_ = true; }

  // Publishes as `agent`; local subscribers see it too. unknown_agent.
  Result<TopicPublishResult> publish(const core::AgentId& agent, const std::string& topic, std::string content_type,
                                     std::string body);
  // A live subscriber; `wake` is called when its queue grows.
  // too_many_streams at kMaxLiveSubscribers.
  Result<std::shared_ptr<TopicSubscriber>> subscribe(const std::string& topic, std::function<void()> wake);
  void unsubscribe(const std::shared_ptr<TopicSubscriber>& sub);

  Task<Result<void>> subscribe_durable(core::AgentId agent, std::string topic);
  Task<Result<void>> unsubscribe_durable(core::AgentId agent, std::string topic);
  std::vector<std::string> durable_topics(const core::AgentId& agent) const;
  std::vector<TopicView> topics() const;

  // --- from the mesh ---
  // Agent payloads must carry a binding that holds; other libp2p nodes'
  // messages (arbitrary bytes) are accepted as raw data.
  pubsub::Validation validate(const wire::pubsub::Message& m);
  // A new, valid message on a joined topic (the pubsub message id, the
  // publishing daemon).
  void on_message(const pubsub::MessageId& id, const wire::pubsub::Message& m, const core::PeerId& author);
  // A peer announced `topic`: catch up from it when we owe it.
  void on_peer_subscribed(const core::PeerId& peer, const std::string& topic);

  TopicStats stats() const;

 private:
  Result<std::string> binding(const core::AgentId& agent, std::uint64_t now_ms);
  TopicEvent event_of(const std::string& id, const wire::pubsub::Message& m, const core::PeerId& author);
  const std::string& peer_name(const core::PeerId& peer);
  // To the durable subscriptions, then each live subscriber's queue.
  void deliver(TopicEvent event);
  // `replayed_received_ms`: set for a message caught up through topic replay
  // (when the serving peer received it); agents that subscribed later skip it.
  void deliver_durable(const TopicEvent& event, std::optional<std::int64_t> replayed_received_ms = std::nullopt);
  void enqueue(TopicSubscriber& sub, TopicEvent event);
  void maybe_leave(const std::string& topic);

  ServiceContext ctx_;
  std::shared_ptr<AgentService> agents_;
  std::shared_ptr<InboxService> inboxes_;
  std::shared_ptr<Mesh> mesh_;
  pubsub::Attribution attribution_;
  std::uint64_t published_ = 0;
  std::unordered_map<core::AgentId, std::pair<std::uint64_t, std::string>> bindings_;  // agent -> (expires, signature)
  std::unordered_map<core::PeerId, std::string> peer_names_;                           // emptied beyond a bound
  std::map<std::string, std::vector<std::shared_ptr<TopicSubscriber>>> live_;
  std::size_t live_count_ = 0;
  std::map<std::string, std::map<core::AgentId, std::int64_t>> durable_;  // topic -> agent -> subscribed at (ms)
  // Topic replay after a restart: the durable topics loaded at start, and
  // the peers asked so far for each (at most kCatchUpPeers).
  std::map<std::string, std::set<core::PeerId>> catch_up_;
  bool stopping_ = false;
};

}  // namespace agentmesh::node
