// node/topics: durable subscriptions: a topic's messages into subscribed
// agents' inboxes, exactly once, and catching up after a restart.

#include "core/hex.hpp"
#include "crypto/crypto.hpp"
#include "node/spawn.hpp"
#include "node/topics.hpp"

namespace agentmesh::node {

// Each durable subscriber gets the message in its inbox once: the request id
// is derived from the message id and the subscribing agent (the dedup table is
// keyed by sender and request id, and every subscriber of this daemon shares
// the sender), and the dedup row outlives gossip's seen cache, so a message
// seen again (IWANT, a second path, a restart) is not delivered twice.
void TopicService::deliver_durable(const TopicEvent& e, std::optional<std::int64_t> replayed_received_ms) {
  auto it = durable_.find(e.topic);
  if (it == durable_.end()) return;
  core::AgentId sender;
  if (e.from_agent) {
    if (auto a = core::AgentId::parse(*e.from_agent)) sender = *a;
  } else if (auto peer = core::PeerId::parse(e.from_peer)) {
    sender = core::AgentId::from_array(peer->public_key());  // a plain libp2p publisher: its peer key
  }
  const auto rid_input = std::string("agentmesh/topic/v2") + e.message_id;
  const auto now = ctx_.now_ms();
  for (const auto& [agent, subscribed_ms] : it->second) {
    if (replayed_received_ms && *replayed_received_ms < subscribed_ms) continue;  // from before it subscribed
    if (inboxes_->blocks(agent, sender)) continue;
    core::RequestId::Bytes rid{};
    const auto& subscriber = agent.bytes();
    crypto::blake2b(rid, crypto::as_bytes(rid_input + std::string(subscriber.begin(), subscriber.end())));
    direct::Delivery d;
    d.record.agent = agent;
    d.record.sender = sender;
    d.record.request_id = core::RequestId::from_array(rid);
    d.record.received_ms = now;
    d.record.content.content_type = e.content_type;
    d.record.content.body = e.body;
    d.record.content.performative = "inform";
    d.record.content.protocol = "agentmesh/topic";
    d.record.content.metadata = {
        {"topic", e.topic}, {"message_id", core::to_hex(crypto::as_bytes(e.message_id))}, {"from_peer", e.from_peer}};
    d.digest = direct::content_digest(agent, d.record.content);
    d.dedup_expires_ms = now + ctx_.config->idempotency_retention_ms;
    std::weak_ptr<TopicService> weak = weak_from_this();
    ctx_.spawn("topic_delivery", e.topic, [weak, agent, d = std::move(d)]() mutable -> Task<void> {
      auto self = weak.lock();
      if (!self) co_return;
      auto inboxes = self->inboxes_;
      auto delivered = co_await inboxes->deliver(std::move(d));
      if (!delivered) {
        self->ctx_.counters->rejected.inc();
        self->ctx_.log->warn("topic message not stored for agent {}: {}", agent, delivered.error().message());
      }
    });
  }
}

// After a restart, each durable topic asks up to kCatchUpPeers of the peers
// that announce it for the messages they retained since the earliest of its
// subscriptions; those go to the durable subscribers only (live streams were
// not connected then), deduplicated like gossip deliveries.
void TopicService::on_peer_subscribed(const core::PeerId& peer, const std::string& topic) {
  AGENTMESH_ASSERT_ON_THREAD(*ctx_.thread);
  auto it = catch_up_.find(topic);
  if (it == catch_up_.end() || it->second.size() >= kCatchUpPeers || !it->second.insert(peer).second) return;
  auto d = durable_.find(topic);
  if (d == durable_.end() || d->second.empty()) return;
  std::int64_t since = std::numeric_limits<std::int64_t>::max();
  for (const auto& [agent, created] : d->second) since = std::min(since, created);
  std::weak_ptr<TopicService> weak = weak_from_this();
  auto handler = [weak](const pubsub::MessageId& id, const wire::pubsub::Message& m, const core::PeerId& author,
                        std::uint64_t received_ms) {
    auto self = weak.lock();
    if (!self) return;
    self->deliver_durable(self->event_of(id, m, author), static_cast<std::int64_t>(received_ms));
  };
  ctx_.spawn("topic_catch_up", topic, [weak, peer, topic, since, handler]() -> Task<void> {
    auto self = weak.lock();
    if (!self) co_return;
    auto mesh = self->mesh_;
    auto log = self->ctx_.log;
    self.reset();
    auto r =
        co_await mesh->replay_from(peer, topic, static_cast<std::uint64_t>(std::max<std::int64_t>(since, 0)), handler);
    if (!r) {
      log->info("topic {}: catching up from {} failed: {}", topic, peer.to_string(), r.error().message());
      co_return;
    }
    log->info("topic {}: caught up from {}: {} new, {} already seen, {} invalid", topic, peer.to_string(), r->accepted,
              r->duplicates, r->invalid);
  });
}

}  // namespace agentmesh::node
