// node/direct: receiving envelopes from other daemons (issue 5, "Receiver"):
// the /agentmesh/dm/1.0.0 stream and the gossip inbox topics, the checks in
// order (direct/receiver.hpp), then policy, dedup and the inbox commit in
// one transaction (InboxService::deliver), then the ack.

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "core/awaitable.hpp"
#include "core/bytes.hpp"
#include "core/condition.hpp"
#include "direct/delivery.hpp"
#include "direct/error.hpp"
#include "direct/receiver.hpp"
#include "node/direct.hpp"
#include "node/spawn.hpp"
#include "tasks/error.hpp"
#include "transport/connection.hpp"
#include "transport/stream_io.hpp"
#include "wire/direct.hpp"

namespace agentmesh::node {

namespace asio = boost::asio;
namespace wd = wire::direct;

namespace {

// Acks queued on one inbound stream before the stream counts as stuck.
constexpr std::size_t kMaxAckQueue = 4 * 1024 * 1024;

using core::bytes_of;

direct::error direct_error_of(const error_code& ec) { return static_cast<direct::error>(ec.value()); }

// An ack for an envelope this daemon could not authenticate: it names the
// reason, with an empty MAC (the sender cannot take it as the recipient's
// word; see AckTracker::on_ack).
std::string unauthenticated_rejection(const wd::Envelope& env, direct::error reason) {
  wd::Ack ack;
  ack.request_id = env.request_id;
  ack.sender = env.sender;
  ack.recipient = env.recipient;
  ack.outcome = wd::Outcome::rejected;
  ack.reason = std::string(direct::reason_code(reason));
  ack.mac.assign(crypto::kAeadNonceSize + crypto::kAeadTagSize, '\0');
  return wd::encode(ack);
}

direct::Delivery delivery_of(direct::Received received, core::UnixMs now) {
  const auto& env = received.envelope;
  direct::Delivery d;
  d.record.agent = core::AgentId::from_array(env.recipient);
  d.record.sender = core::AgentId::from_array(env.sender);
  d.record.request_id = core::RequestId::from_array(env.request_id);
  d.record.received_ms = now;
  auto& c = d.record.content;
  auto& b = received.body;
  c.body = std::move(b.payload);
  c.content_type = std::move(b.content_type);
  c.performative = std::move(b.performative);
  c.conversation_id = std::move(b.conversation_id);
  c.reply_with = std::move(b.reply_with);
  c.in_reply_to = std::move(b.in_reply_to);
  c.protocol = std::move(b.protocol);
  c.metadata = std::move(b.metadata);
  if (b.signature) c.metadata.emplace_back("agentmesh.signed", "true");
  d.digest = direct::content_digest(d.record.agent, c);
  return d;
}

}  // namespace

void DirectService::count_rejection(direct::error reason) {
  ++received_.rejected_by_reason[reason];
  ctx_.counters->rejected.inc();
}

// Checks, policy, dedup and commit of one envelope. Returns the encoded ack
// to send back (authenticated when the envelope was), an empty string for no
// ack (the sender retries), or nothing for a frame that is not an envelope.
Task<std::optional<std::string>> DirectService::receive(std::string bytes, core::PeerId from, direct::Path via) {
  auto self = shared_from_this();
  const bool from_gossip = via != direct::Path::direct;
  (via == direct::Path::gossip_relay ? received_.received_relay
   : from_gossip                     ? received_.received_gossip
                                     : received_.received_direct)++;
  const auto now = ctx_.now_ms();
  const auto& config = *ctx_.config;
  auto cfg = config.direct.receiver;
  cfg.max_payload_bytes = config.max_payload_bytes;
  cfg.max_lifetime = std::chrono::milliseconds(config.max_ttl_ms);
  direct::HostedKey hosted = [this](const core::AgentId& a) { return agents_->signing_key(a); };
  auto checked = direct::check_envelope(bytes_of(bytes), static_cast<std::uint64_t>(now), cfg, hosted, keys_);
  if (!checked) {
    if (checked.error() != core::condition::refused_by_recipient) {
      ++received_.malformed_frames;
      co_return std::nullopt;  // not an envelope at all
    }
    const auto reason = direct_error_of(checked.error());
    count_rejection(reason);
    ctx_.log->debug("direct message from {} refused before authentication: {}", from.to_string(),
                    direct::reason_code(reason));
    // Only on a stream: on the gossip inbox anyone could have sent it.
    if (from_gossip) co_return std::string();
    auto env = wd::decode_envelope(bytes_of(bytes), cfg.limits);
    if (!env) co_return std::string();
    co_return unauthenticated_rejection(*env, reason);
  }
  const auto env = checked->envelope;
  const bool expired = checked->expired;
  const auto recipient = core::AgentId::from_array(env.recipient);
  const auto sender = core::AgentId::from_array(env.sender);
  const auto* agent = agents_->find(recipient);
  const auto* key = agents_->signing_key(recipient);
  if (!agent || !key) co_return std::string();  // deleted meanwhile: the sender retries, then expires
  auto pair = keys_.get(*key, sender);
  if (!pair) co_return std::string();  // check_envelope derived it already
  auto delivery = delivery_of(std::move(*checked), now);
  // Kept the longest lifetime plus twice the skew: any replay of this
  // envelope, a confirming attempt after its expiry included, either finds
  // the row or fails the clock window (created <= now + skew, so the row
  // lives until expires + skew at least).
  delivery.dedup_expires_ms = now + config.max_ttl_ms + 2 * cfg.max_skew.count();
  if (agent->state != store::AgentState::running)
    delivery.refuse = make_error_code(direct::error::recipient_unavailable);
  if (inboxes_->blocks(recipient, sender)) delivery.refuse = make_error_code(direct::error::blocked);
  // A confirming attempt: the original outcome of a message committed
  // earlier, never a first commit.
  if (expired) delivery.refuse = make_error_code(direct::error::expired);
  const auto send_key = pair->send;
  Result<direct::DeliveryResult> delivered = direct::error::unrecognized_reason;
  if (auto route = routes_.find(delivery.record.content.protocol); route != routes_.end()) {
    auto receiver = route->second;
    delivered = co_await receiver(std::move(delivery));
  } else {
    auto inboxes = inboxes_;
    delivered = co_await inboxes->deliver(std::move(delivery));
  }
  wd::Ack ack;
  ack.request_id = env.request_id;
  ack.sender = env.sender;
  ack.recipient = env.recipient;
  if (delivered) {
    ack.outcome = delivered->duplicate ? wd::Outcome::duplicate : wd::Outcome::accepted;
    ack.seq = delivered->seq.value;
    ++(delivered->duplicate ? received_.duplicate : received_.accepted);
  } else if (delivered.error().category() == tasks::error_category() &&
             delivered.error() == core::condition::refused_by_recipient) {  // a routed service's refusal
    ++received_.refused_by_service;
    ctx_.counters->rejected.inc();
    ack.outcome = wd::Outcome::rejected;
    ack.reason = std::string(tasks::reason_code(static_cast<tasks::error>(delivered.error().value())));
  } else if (delivered.error() == core::condition::refused_by_recipient) {  // policy or idempotency
    const auto reason = direct_error_of(delivered.error());
    count_rejection(reason);
    ack.outcome = wd::Outcome::rejected;
    ack.reason = std::string(direct::reason_code(reason));
  } else {
    // Not committed (queue full, I/O, the agent deleted meanwhile, a task
    // step whose predecessors have not arrived): no ack, so the sender
    // tries again.
    if (delivered.error() == tasks::error::out_of_order) co_return std::string();
    ctx_.log->warn("direct message for {} not stored: {}", recipient.to_string(), delivered.error().message());
    co_return std::string();
  }
  direct::mac_ack(ack, send_key);
  co_return wd::encode(ack);
}

// Envelopes checked and waiting for their commit on one inbound stream;
// reading pauses at the limit so one peer cannot queue unbounded work.
struct DirectService::Flow {
  explicit Flow(const asio::any_io_executor& ex) : signal(ex, asio::steady_timer::time_point::max()) {}
  std::size_t in_flight = 0;
  bool broken = false;
  asio::steady_timer signal;
};

Task<void> DirectService::serve_stream(std::shared_ptr<transport::Stream> stream) {
  auto keep_alive = shared_from_this();  // this service lives as long as the stream is served
  auto writer = std::make_shared<transport::LpWriteQueue>(stream, kMaxAckQueue);
  transport::LpReader reader(*stream);
  const auto peer = stream->peer();
  auto flow = std::make_shared<Flow>(ctx_.ex);
  const auto limit = ctx_.config->direct.max_inflight_per_stream;
  wd::Limits limits;
  limits.max_envelope_bytes = ctx_.config->max_payload_bytes + 64 * 1024;
  using core::kTuple;
  while (!flow->broken && !stopped_) {
    while (flow->in_flight >= limit && !flow->broken) co_await flow->signal.async_wait(kTuple);
    auto msg = co_await reader.read(limits.max_envelope_bytes);
    if (!msg) {
      if (!reader.eof()) {  // oversized or malformed framing, or a reset
        ++received_.malformed_frames;
        ++received_.streams_reset;
        stream->reset();
        co_return;
      }
      break;
    }
    ++flow->in_flight;
    std::weak_ptr<DirectService> weak = weak_from_this();
    ctx_.spawn("dm_receive", peer.to_string(),
               [weak, flow, writer, stream, peer, bytes = std::move(*msg)]() mutable -> Task<void> {
                 auto self = weak.lock();
                 if (!self) co_return;
                 auto ack = co_await self->receive(std::move(bytes), peer, direct::Path::direct);
                 --flow->in_flight;
                 flow->signal.cancel();
                 if (!ack) {  // not an envelope: the peer misbehaves; end the stream
                   flow->broken = true;
                   ++self->received_.streams_reset;
                   stream->reset();
                   co_return;
                 }
                 if (ack->empty() || flow->broken) co_return;
                 if (!writer->push(*ack)) {
                   flow->broken = true;
                   ++self->received_.streams_reset;
                   stream->reset();
                 }
               });
  }
  while (flow->in_flight > 0 && !flow->broken) co_await flow->signal.async_wait(kTuple);
  // Half-close once the queued acks are out, so the sender reads them before EOF.
  co_await writer->flushed();
  (void)stream->close_write();
}

void DirectService::on_inbox_item(const wire::pubsub::Message& m) {
  AGENTMESH_ASSERT_ON_THREAD(*ctx_.thread);
  if (!m.data || !m.topic || !m.from) return;
  const auto& topic = *m.topic;
  auto agent = core::AgentId::parse(std::string_view(topic).substr(wd::kInboxTopicPrefix.size()));
  if (!agent || !agents_->find(*agent)) return;
  wd::Limits limits;
  limits.max_envelope_bytes = ctx_.config->max_payload_bytes + 64 * 1024;
  auto item = wd::decode_inbox_item(bytes_of(*m.data), limits);
  if (!item) {
    ++received_.malformed_frames;
    return;
  }
  if (item->kind == wd::InboxItem::Kind::ack) {
    on_ack(item->bytes, direct::Path::gossip);
    return;
  }
  auto author = core::PeerId::from_multihash(bytes_of(*m.from));
  if (!author) return;
  std::weak_ptr<DirectService> weak = weak_from_this();
  ctx_.spawn("inbox_item", author->to_string(),
             [weak, bytes = std::move(item->bytes), peer = *author]() mutable -> Task<void> {
               auto self = weak.lock();
               if (!self) co_return;
               auto env = wd::decode_envelope(bytes_of(bytes));
               auto ack = co_await self->receive(std::move(bytes), peer, direct::Path::gossip);
               if (!ack || ack->empty() || !env || self->stopped_) co_return;
               // Authenticated acks go back on the sender's inbox topic, or
               // across the mesh when no neighbour carries it.
               const auto sender = core::AgentId::from_array(env->sender);
               const auto ack_topic = std::string(wd::kInboxTopicPrefix) + sender.to_string();
               wd::InboxItem reply{wd::InboxItem::Kind::ack, std::move(*ack)};
               if (self->mesh_->topic_peer_count(ack_topic) > 0) {
                 (void)self->mesh_->publish(ack_topic, wd::encode(reply));
               } else {
                 (void)self->publish_relay(reply);
               }
             });
}

}  // namespace agentmesh::node
