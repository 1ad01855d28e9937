// Node: receiving direct messages from other daemons (issue 5, "Receiver"):
// the /agentmesh/dm/1.0.0 stream and the gossip inbox topics, the checks in
// order (direct/receiver.hpp), dedup + policy + commit in one transaction
// (direct/delivery.hpp), then the ack. Also /v1/diagnostics/direct.

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/array.hpp>
#include <fmt/format.h>

#include "direct/delivery.hpp"
#include "direct/error.hpp"
#include "direct/receiver.hpp"
#include "node/direct_state.hpp"
#include "node/commit.hpp"
#include "node/node.hpp"
#include "pubsub/service.hpp"
#include "store/error.hpp"
#include "transport/connection.hpp"
#include "transport/host.hpp"
#include "wire/direct.hpp"
#include "wire/pubsub.hpp"

namespace agentmesh::node {

namespace asio = boost::asio;
namespace wd = wire::direct;

namespace {

constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);
// Acks queued on one inbound stream before the stream counts as stuck.
constexpr std::size_t kMaxAckQueue = 4 * 1024 * 1024;

std::span<const std::uint8_t> bytes_of(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

bool is_direct_error(const error_code& ec) { return ec.category() == direct::error_category(); }

}  // namespace

Task<std::optional<std::string>> Node::receive_envelope(std::string bytes, core::PeerId from, bool from_gossip) {
  auto self = shared_from_this();
  auto& d = *direct_;
  (from_gossip ? d.stats.received_gossip : d.stats.received_direct)++;
  const auto now = clock_.now_ms();
  auto cfg = config_.direct.receiver;
  cfg.max_payload_bytes = config_.max_payload_bytes;
  cfg.max_lifetime = std::chrono::milliseconds(config_.max_ttl_ms);
  direct::HostedKey hosted = [this](const core::AgentId& a) -> const crypto::SigningKey* {
    return agents_.find(a) ? agent_key(a) : nullptr;
  };
  auto checked = direct::check_envelope(bytes_of(bytes), static_cast<std::uint64_t>(now), cfg, hosted, d.keys);
  if (!checked) {
    if (!is_direct_error(checked.error())) {
      ++d.stats.malformed_frames;
      co_return std::nullopt;  // not an envelope at all
    }
    const auto reason = std::string(direct::reason_code(static_cast<direct::error>(checked.error().value())));
    ++d.stats.rejected_by_reason[reason];
    counters_.messages_rejected.inc();
    log_->debug("direct message from {} refused before authentication: {}", from.to_string(), reason);
    // Unauthenticated: the sender learns why its attempt failed but cannot
    // take it as the recipient's word (see on_ack). Only on a stream: on the
    // gossip inbox anyone could have sent the envelope.
    if (from_gossip) co_return std::string();
    auto env = wd::decode_envelope(bytes_of(bytes), cfg.limits);
    if (!env) co_return std::string();
    wd::Ack ack;
    ack.request_id = env->request_id;
    ack.sender = env->sender;
    ack.recipient = env->recipient;
    ack.outcome = wd::Outcome::rejected;
    ack.reason = reason;
    ack.mac.assign(crypto::kAeadNonceSize + crypto::kAeadTagSize, '\0');
    co_return wd::encode(ack);
  }
  const auto& env = checked->envelope;
  const auto sender = core::AgentId::from_array(env.sender);
  const auto recipient = core::AgentId::from_array(env.recipient);
  const auto* agent = agents_.find(recipient);
  const auto* key = agent_key(recipient);
  if (!agent || !key) co_return std::string();  // deleted meanwhile: the sender retries, then expires
  auto pair = d.keys.get(*key, sender);
  if (!pair) co_return std::string();  // check_envelope derived it already

  direct::Delivery delivery;
  delivery.record.agent = recipient;
  delivery.record.sender = sender;
  delivery.record.request_id = core::RequestId::from_array(env.request_id);
  delivery.record.received_ms = now;
  auto& c = delivery.record.content;
  auto& b = checked->body;
  c.body = std::move(b.payload);
  c.content_type = std::move(b.content_type);
  c.performative = std::move(b.performative);
  c.conversation_id = std::move(b.conversation_id);
  c.reply_with = std::move(b.reply_with);
  c.in_reply_to = std::move(b.in_reply_to);
  c.protocol = std::move(b.protocol);
  c.metadata = std::move(b.metadata);
  if (b.signature) c.metadata.emplace_back("agentmesh.signed", "true");
  delivery.digest = direct::content_digest(recipient, c);
  // Kept at least the longest lifetime plus the skew: any replay of this
  // envelope either finds the row or fails the clock window.
  delivery.dedup_expires_ms = now + config_.max_ttl_ms + cfg.max_skew.count();
  if (agent->state != store::AgentState::running) delivery.refuse = make_error_code(direct::error::recipient_unavailable);
  if (blocks_.contains({recipient, sender})) delivery.refuse = make_error_code(direct::error::blocked);

  WorkFn<direct::DeliveryResult> work = [delivery = std::move(delivery)](store::Store& s) mutable {
    return direct::deliver(s, delivery);
  };
  auto delivered = co_await commit<direct::DeliveryResult>(std::move(work));
  wd::Ack ack;
  ack.request_id = env.request_id;
  ack.sender = env.sender;
  ack.recipient = env.recipient;
  if (delivered) {
    ack.outcome = delivered->duplicate ? wd::Outcome::duplicate : wd::Outcome::accepted;
    ack.seq = delivered->seq.value;
    if (delivered->duplicate) {
      ++d.stats.received_duplicate;
      counters_.messages_duplicate.inc();
    } else {
      ++d.stats.received_accepted;
      counters_.messages_accepted.inc();
      note_appended(recipient, delivered->seq);
    }
  } else if (is_direct_error(delivered.error())) {  // policy or idempotency: the recipient's decision
    const auto reason = std::string(direct::reason_code(static_cast<direct::error>(delivered.error().value())));
    ++d.stats.rejected_by_reason[reason];
    counters_.messages_rejected.inc();
    ack.outcome = wd::Outcome::rejected;
    ack.reason = reason;
  } else {
    // Not committed (queue full, I/O, the agent deleted meanwhile): no ack,
    // so the sender tries again.
    log_->warn("direct message for {} not stored: {}", recipient.to_string(), delivered.error().message());
    co_return std::string();
  }
  direct::mac_ack(ack, pair->send);
  co_return wd::encode(ack);
}

Task<void> Node::serve_dm(std::shared_ptr<transport::Stream> stream) {
  auto self = shared_from_this();
  auto& d = *direct_;
  auto writer = std::make_shared<transport::LpWriteQueue>(stream, kMaxAckQueue);
  transport::LpReader reader(*stream);
  const auto peer = stream->peer();
  // Envelopes checked and waiting for their commit; reading pauses at the
  // limit so one peer cannot queue unbounded work.
  struct Flow {
    explicit Flow(asio::any_io_executor ex) : signal(ex, asio::steady_timer::time_point::max()) {}
    std::size_t in_flight = 0;
    bool broken = false;
    asio::steady_timer signal;
  };
  auto flow = std::make_shared<Flow>(ex_);
  const auto limit = config_.direct.max_inflight_per_stream;
  wd::Limits limits;
  limits.max_envelope_bytes = config_.max_payload_bytes + 64 * 1024;
  while (!flow->broken && !stopped_) {
    while (flow->in_flight >= limit && !flow->broken) co_await flow->signal.async_wait(kTuple);
    auto msg = co_await reader.read(limits.max_envelope_bytes);
    if (!msg) {
      if (!reader.eof()) {  // oversized or malformed framing, or a reset
        ++d.stats.malformed_frames;
        ++d.stats.streams_reset;
        stream->reset();
        co_return;
      }
      break;
    }
    ++flow->in_flight;
    std::weak_ptr<Node> weak = weak_from_this();
    asio::co_spawn(
        ex_,
        [weak, flow, writer, stream, peer, bytes = std::move(*msg)]() mutable -> Task<void> {
          auto self = weak.lock();
          if (!self) co_return;
          auto ack = co_await self->receive_envelope(std::move(bytes), peer, false);
          --flow->in_flight;
          flow->signal.cancel();
          if (!ack) {  // not an envelope: the peer misbehaves; end the stream
            flow->broken = true;
            ++self->direct_->stats.streams_reset;
            stream->reset();
            co_return;
          }
          if (ack->empty() || flow->broken) co_return;
          if (!writer->push(*ack)) {
            flow->broken = true;
            ++self->direct_->stats.streams_reset;
            stream->reset();
          }
        },
        asio::detached);
  }
  while (flow->in_flight > 0 && !flow->broken) co_await flow->signal.async_wait(kTuple);
  // Half-close once the queued acks are out, so the sender reads them before EOF.
  co_await writer->flushed();
  (void)stream->close_write();
}

void Node::on_inbox_item(const wire::pubsub::Message& m) {
  if (!m.data || !m.topic || !m.from) return;
  const auto& topic = *m.topic;
  auto agent = core::AgentId::parse(std::string_view(topic).substr(wd::kInboxTopicPrefix.size()));
  if (!agent || !agents_.find(*agent)) return;
  wd::Limits limits;
  limits.max_envelope_bytes = config_.max_payload_bytes + 64 * 1024;
  auto item = wd::decode_inbox_item(bytes_of(*m.data), limits);
  if (!item) {
    ++direct_->stats.malformed_frames;
    return;
  }
  if (item->kind == wd::InboxItem::Kind::ack) {
    on_ack(item->bytes, true);
    return;
  }
  auto author = core::PeerId::from_multihash(bytes_of(*m.from));
  if (!author) return;
  std::weak_ptr<Node> weak = weak_from_this();
  asio::co_spawn(
      ex_,
      [weak, bytes = std::move(item->bytes), peer = *author]() mutable -> Task<void> {
        auto self = weak.lock();
        if (!self) co_return;
        auto env = wd::decode_envelope(bytes_of(bytes));
        auto ack = co_await self->receive_envelope(std::move(bytes), peer, true);
        if (!ack || ack->empty() || !env || self->stopped_) co_return;
        // Authenticated acks go back on the sender's inbox topic.
        const auto sender = core::AgentId::from_array(env->sender);
        wd::InboxItem reply{wd::InboxItem::Kind::ack, std::move(*ack)};
        (void)self->pubsub_->publish(std::string(wd::kInboxTopicPrefix) + sender.to_string(), wd::encode(reply));
      },
      asio::detached);
}

boost::json::object Node::direct_diagnostics() const {
  const auto& d = *direct_;
  const auto& st = d.stats;
  boost::json::object o;
  boost::json::object outbox;
  outbox["pending"] = d.outbox.size();
  outbox["in_flight"] = d.outbox.in_flight_count();
  outbox["capacity"] = config_.direct.max_outbox;
  outbox["bytes"] = d.outbox.bytes();
  outbox["capacity_bytes"] = config_.direct.max_outbox_bytes;
  outbox["refused_full"] = st.refused_full;
  outbox["queued_total"] = st.queued;
  o["outbox"] = std::move(outbox);
  boost::json::object sent;
  sent["attempts_direct"] = st.attempts_direct;
  sent["attempts_gossip"] = st.attempts_gossip;
  sent["attempt_failures"] = st.attempt_failures;
  boost::json::object failures;
  for (const auto& [reason, n] : st.failures_by_reason) failures[reason] = n;
  sent["failures_by_reason"] = std::move(failures);
  sent["accepted"] = st.accepted;
  sent["rejected"] = st.rejected;
  sent["expired"] = st.expired;
  sent["acks_received"] = st.acks_received;
  sent["acks_invalid"] = st.acks_invalid;
  sent["acks_late"] = st.acks_late;
  o["sent"] = std::move(sent);
  boost::json::object received;
  received["direct"] = st.received_direct;
  received["gossip"] = st.received_gossip;
  received["accepted"] = st.received_accepted;
  received["duplicate"] = st.received_duplicate;
  received["malformed_frames"] = st.malformed_frames;
  received["streams_reset"] = st.streams_reset;
  boost::json::object rejected;
  for (const auto& [reason, n] : st.rejected_by_reason) rejected[reason] = n;
  received["rejected"] = std::move(rejected);
  o["received"] = std::move(received);
  boost::json::array breakers;
  const auto now = std::chrono::steady_clock::now();
  for (const auto& [peer, b] : d.breakers) {
    boost::json::object e;
    e["peer"] = peer.to_string();
    const auto state = b.state(now);
    e["state"] = state == direct::CircuitBreaker::State::closed ? "closed"
                 : state == direct::CircuitBreaker::State::open ? "open"
                                                                : "half_open";
    e["consecutive_failures"] = b.consecutive_failures();
    breakers.push_back(std::move(e));
  }
  o["breakers"] = std::move(breakers);
  o["streams"] = d.channels.size();
  boost::json::object keys;
  keys["cached"] = d.keys.size();
  keys["hits"] = d.keys.hits();
  keys["misses"] = d.keys.misses();
  o["pair_keys"] = std::move(keys);
  return o;
}

}  // namespace agentmesh::node
