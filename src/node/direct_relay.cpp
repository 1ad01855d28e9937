// The relay topic (wire/direct.hpp, kRelayTopic): direct messages and their
// acks across daemons that are not neighbours, carried hop by hop by every
// daemon's gossipsub router. This file decides what a daemon passes on
// (validate_relay), takes what is addressed to its own agents
// (on_relay_item), and publishes its own items within its budget.

#include "core/bytes.hpp"
#include "node/direct.hpp"
#include "node/spawn.hpp"
#include "wire/direct.hpp"

namespace agentmesh::node {

namespace wd = wire::direct;
using core::bytes_of;

namespace {

// The envelope limit of this daemon: its payload limit plus the envelope.
wd::Limits relay_limits(const NodeConfig& config) {
  wd::Limits limits;
  limits.max_envelope_bytes = config.max_payload_bytes + 64 * 1024;
  return limits;
}

}  // namespace

bool DirectService::publish_relay(const wd::InboxItem& item) {
  // Our own items count against our bucket as they will at every relay: a
  // sender over its budget waits for its retry rather than having its first
  // hop drop the item.
  if (relay_limiter_.admit(mesh_->self(), ctx_.now_ms()) != direct::RelayLimiter::Verdict::pass) {
    ++relay_.send_limited;
    return false;
  }
  const std::string topic(wd::kRelayTopic);
  if (mesh_->topic_peer_count(topic) == 0) return false;  // connected to no daemon at all
  auto published = mesh_->publish(topic, wd::encode(item));
  if (!published || published->peers == 0) return false;
  ++relay_.published;
  return true;
}

// Reject (the forwarding peer's score drops) what no honest daemon sends:
// bytes that are not an item, an envelope sealed by another daemon than the
// one that signed the gossip message (a replay under a new author, to get
// past that author's budget). Ignore (drop quietly) what is merely late or
// over a rate.
pubsub::Validation DirectService::validate_relay(const wire::pubsub::Message& m) {
  AGENTMESH_ASSERT_ON_THREAD(*ctx_.thread);
  if (!m.data || !m.from) return pubsub::Validation::reject;
  auto author = core::PeerId::from_multihash(bytes_of(*m.from));
  const auto limits = relay_limits(*ctx_.config);
  auto item = wd::decode_inbox_item(bytes_of(*m.data), limits);
  if (!author || !item) {
    ++relay_.dropped_invalid;
    return pubsub::Validation::reject;
  }
  const auto now = ctx_.now_ms();
  if (item->kind == wd::InboxItem::Kind::envelope) {
    auto env = wd::decode_envelope(bytes_of(item->bytes), limits);
    if (!env || env->sender_peer != *m.from) {
      ++relay_.dropped_invalid;
      return pubsub::Validation::reject;
    }
    const auto skew = ctx_.config->direct.receiver.max_skew.count();
    if (static_cast<std::int64_t>(env->expires_ms) + skew < now) {
      ++relay_.dropped_expired;
      return pubsub::Validation::ignore;
    }
  } else if (!wd::decode_ack(bytes_of(item->bytes), limits)) {
    ++relay_.dropped_invalid;
    return pubsub::Validation::reject;
  }
  if (relay_limiter_.admit(*author, now) != direct::RelayLimiter::Verdict::pass) {
    ++relay_.dropped_rate;
    return pubsub::Validation::ignore;
  }
  ++relay_.forwarded;
  return pubsub::Validation::accept;
}

// An item that passed validate_relay (and is being forwarded): an envelope
// for an agent hosted here goes through the usual receive path, its ack back
// across the mesh; an ack for one of our agents' messages goes to the
// tracker. Everything else was only passing through.
void DirectService::on_relay_item(const wire::pubsub::Message& m) {
  AGENTMESH_ASSERT_ON_THREAD(*ctx_.thread);
  if (!m.data || !m.from || stopped_) return;
  const auto limits = relay_limits(*ctx_.config);
  auto item = wd::decode_inbox_item(bytes_of(*m.data), limits);
  if (!item) return;
  if (item->kind == wd::InboxItem::Kind::ack) {
    auto ack = wd::decode_ack(bytes_of(item->bytes), limits);
    if (!ack || !agents_->find(core::AgentId::from_array(ack->sender))) return;
    ++relay_.for_local;
    on_ack(item->bytes, direct::Path::gossip_relay);
    return;
  }
  auto env = wd::decode_envelope(bytes_of(item->bytes), limits);
  if (!env || !agents_->find(core::AgentId::from_array(env->recipient))) return;
  auto author = core::PeerId::from_multihash(bytes_of(*m.from));
  if (!author) return;
  ++relay_.for_local;
  std::weak_ptr<DirectService> weak = weak_from_this();
  ctx_.spawn("relay_item", author->to_string(),
             [weak, bytes = std::move(item->bytes), peer = *author]() mutable -> Task<void> {
               auto self = weak.lock();
               if (!self) co_return;
               auto ack = co_await self->receive(std::move(bytes), peer, direct::Path::gossip_relay);
               if (!ack || ack->empty() || self->stopped_) co_return;
               (void)self->publish_relay(wd::InboxItem{wd::InboxItem::Kind::ack, std::move(*ack)});
             });
}

void DirectService::on_relay_route() {
  AGENTMESH_ASSERT_ON_THREAD(*ctx_.thread);
  if (stopped_) return;
  // The first daemon carrying the relay topic: every recipient may be
  // reachable now; what waits for a retry is tried at once.
  if (mesh_->topic_peer_count(std::string(wd::kRelayTopic)) != 1) return;
  if (tracker_.mesh_reachable(ctx_.now_ms()) > 0) ticker_.wake();
}

}  // namespace agentmesh::node
