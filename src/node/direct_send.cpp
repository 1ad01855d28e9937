// Node: sending direct messages to agents on other daemons (issue 5). The
// outbox (direct/outbox.hpp) decides when each message is attempted; this
// file runs the attempts on the two network paths and records outcomes.
//
//   send_remote   commit the outbox row, then (optionally) wait for the ack
//   outbox_loop   start due attempts, expire what is past its lifetime
//   attempt       direct stream to the hosting peer (per-peer circuit
//                 breaker), else the recipient's gossip inbox topic
//   on_ack        verify (reverse pair key) and finish the message
//
// See docs/security.md ("Direct messages") and docs/wire/direct.md.

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <fmt/format.h>

#include "crypto/key_file.hpp"
#include "direct/delivery.hpp"
#include "direct/error.hpp"
#include "node/direct_state.hpp"
#include "node/error.hpp"
#include "node/commit.hpp"
#include "node/node.hpp"
#include "pubsub/service.hpp"
#include "transport/connection.hpp"
#include "transport/host.hpp"
#include "wire/direct.hpp"

namespace agentmesh::node {

namespace asio = boost::asio;
namespace wd = wire::direct;

namespace {

constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);
// Bytes queued on one dm stream before it counts as stuck and is reset.
constexpr std::size_t kMaxStreamQueue = 8 * 1024 * 1024;

std::string_view state_name(store::OutboxState s) {
  switch (s) {
    case store::OutboxState::queued: return "queued";
    case store::OutboxState::accepted: return "accepted";
    case store::OutboxState::rejected: return "rejected";
    case store::OutboxState::expired: return "expired";
  }
  return "queued";
}

std::string_view hint_name(PathHint h) {
  switch (h) {
    case PathHint::direct: return "direct";
    case PathHint::gossip: return "gossip";
    case PathHint::any: break;
  }
  return "";
}

template <std::size_t N>
std::array<std::uint8_t, N> array_of(std::span<const std::uint8_t> s) {
  std::array<std::uint8_t, N> out{};
  std::copy_n(s.begin(), N, out.begin());
  return out;
}

std::span<const std::uint8_t> bytes_of(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

SendReceipt receipt_of(const store::OutboxRecord& r, bool in_flight) {
  SendReceipt out;
  out.request_id = r.request_id;
  out.recipient = r.recipient;
  out.seq = r.seq;
  out.state = in_flight ? "sending" : std::string(state_name(r.state));
  // While queued the path column holds the sender's hint, not a path taken.
  out.path = r.state == store::OutboxState::queued ? "" : r.path;
  out.attempts = r.attempts;
  out.reason = r.last_error;
  out.created_ms = r.created_ms;
  out.expires_ms = r.expires_ms;
  return out;
}

}  // namespace

const crypto::SigningKey* Node::agent_key(const core::AgentId& agent) {
  auto it = direct_->agent_keys.find(agent);
  if (it != direct_->agent_keys.end()) return &it->second;
  auto key = crypto::load_key(agent_key_path(config_.data_dir, agent));
  if (!key) return nullptr;
  return &direct_->agent_keys.emplace(agent, std::move(*key)).first->second;
}

Result<void> Node::start_direct() {
  auto pending = reader_->list_outbox(config_.direct.max_outbox);
  if (!pending) return pending.error();
  const auto now = clock_.now_ms();
  for (auto& rec : *pending) {
    rec.next_attempt_ms = now;  // resend at once: the peer may have committed it already (dedup answers)
    direct_->outbox.add(std::move(rec));
  }
  std::weak_ptr<Node> weak = weak_from_this();
  host_->set_handler(std::string(wd::kProtocol), [weak](std::shared_ptr<transport::Stream> s) -> Task<void> {
    if (auto self = weak.lock()) co_await self->serve_dm(std::move(s));
  });
  transport::Host::Observer observer;
  observer.connected = [weak](const transport::PeerInfo& info) {
    auto self = weak.lock();
    if (!self || self->stopped_) return;
    // A fresh connection: retry what waits for an agent there at once.
    const auto peer = info.peer;
    self->direct_->breakers.erase(peer);
    const auto n = self->direct_->outbox.wake(self->clock_.now_ms(), [&](const store::OutboxRecord& r) {
      const auto* e = self->directory_.find(r.recipient);
      return e && e->peer == peer;
    });
    if (n > 0) self->wake_outbox();
  };
  observer.disconnected = [weak](const core::PeerId& peer) {
    auto self = weak.lock();
    if (!self) return;
    auto it = self->direct_->channels.find(peer);
    if (it == self->direct_->channels.end()) return;
    auto ch = it->second;
    self->direct_->channels.erase(it);
    ch->closed = true;
    if (ch->stream) ch->stream->reset();
  };
  host_->add_observer(std::move(observer));
  for (const auto* a : agents_.all()) join_inbox(a->id);
  if (!direct_->outbox.size()) return {};
  log_->info("outbox: {} messages to resend", direct_->outbox.size());
  wake_outbox();
  return {};
}

void Node::join_inbox(const core::AgentId& agent) {
  if (pubsub_) pubsub_->join(std::string(wd::kInboxTopicPrefix) + agent.to_string());
}

void Node::leave_inbox(const core::AgentId& agent) {
  if (pubsub_ && !stopping_ && !stopped_) pubsub_->leave(std::string(wd::kInboxTopicPrefix) + agent.to_string());
}

// Only agents the mesh knows: in the directory (online, or offline for up to
// an hour), or reachable through a neighbour on their inbox topic, with a key
// that can be sealed to. Any other id gets unknown_recipient at once rather
// than a dead letter later.
bool Node::known_remote(const core::AgentId& from, const core::AgentId& to) {
  const auto* key = agent_key(from);
  if (!key || !direct_->keys.get(*key, to)) return false;
  if (directory_.find(to)) return true;
  return pubsub_ && !pubsub_->router().topic_peers(std::string(wd::kInboxTopicPrefix) + to.to_string()).empty();
}

Task<Result<SendReceipt>> Node::send_remote(core::AgentId from, core::AgentId to, SendRequest req) {
  auto& d = *direct_;
  if (!known_remote(from, to)) {
    counters_.messages_rejected.inc();
    co_return direct::error::unknown_recipient;
  }
  if (d.outbox.size() >= config_.direct.max_outbox ||
      d.outbox.bytes() + req.content.body.size() > config_.direct.max_outbox_bytes) {
    ++d.stats.refused_full;
    co_return error::outbox_full;
  }
  const auto now = clock_.now_ms();
  store::OutboxRecord rec;
  rec.request_id =
      req.idempotency_key ? direct::request_id_for_key(from, *req.idempotency_key) : crypto::random_request_id();
  rec.sender = from;
  rec.recipient = to;
  rec.created_ms = now;
  rec.expires_ms = now + req.ttl_ms.value_or(config_.direct.default_ttl_ms);
  rec.content = std::move(req.content);
  rec.next_attempt_ms = now;
  rec.sign = req.sign;
  rec.path = hint_name(req.path);
  rec.digest = direct::content_digest(to, rec.content);
  rec.keyed = req.idempotency_key.has_value();
  rec.keep_until_ms = rec.expires_ms;  // pending rows are never purged; set again when it finishes

  // An idempotent resend finds the first send's row in the same transaction.
  struct Queued {
    std::optional<store::OutboxRecord> existing;
  };
  const bool keyed = req.idempotency_key.has_value();
  WorkFn<Queued> queue = [rec, keyed](store::Store& s) -> Result<Queued> {
    if (keyed) {
      auto prior = s.get_outbox(rec.request_id);
      if (!prior) return prior.error();
      if (*prior) {
        if ((*prior)->digest != rec.digest) return direct::error::idempotency_conflict;
        return Queued{std::move(*prior)};
      }
    }
    if (auto r = s.put_outbox(rec); !r) return r.error();
    return Queued{};
  };
  auto queued = co_await commit<Queued>(std::move(queue));
  if (!queued) co_return queued.error();
  if (queued->existing) {
    const auto* live = d.outbox.find(rec.request_id);
    auto receipt = receipt_of(live ? *live : *queued->existing, d.outbox.in_flight(rec.request_id));
    receipt.duplicate = true;
    if (req.wait_ms > 0 && (receipt.state == "queued" || receipt.state == "sending")) {
      receipt = co_await wait_receipt(from, rec.request_id, req.wait_ms);
      receipt.duplicate = true;
    }
    co_return receipt;
  }
  ++d.stats.queued;
  const auto id = rec.request_id;
  d.outbox.add(rec);
  wake_outbox();
  if (req.wait_ms > 0) co_return co_await wait_receipt(from, id, req.wait_ms);
  co_return receipt_of(rec, false);
}

Task<Result<SendReceipt>> Node::requeue_dead_letter(std::int64_t id, store::DeadLetterRecord dl) {
  if (direct_->outbox.size() >= config_.direct.max_outbox ||
      direct_->outbox.bytes() + dl.content.body.size() > config_.direct.max_outbox_bytes) {
    co_return error::outbox_full;
  }
  if (direct_->outbox.find(dl.request_id)) co_return direct::error::idempotency_conflict;  // already pending
  if (!known_remote(dl.sender, dl.recipient)) co_return direct::error::unknown_recipient;
  const auto now = clock_.now_ms();
  store::OutboxRecord rec;
  rec.request_id = dl.request_id;
  rec.sender = dl.sender;
  rec.recipient = dl.recipient;
  rec.created_ms = now;
  rec.expires_ms = now + config_.direct.default_ttl_ms;
  rec.content = std::move(dl.content);
  rec.next_attempt_ms = now;
  rec.digest = direct::content_digest(rec.recipient, rec.content);
  rec.keep_until_ms = rec.expires_ms;
  WorkFn<void> requeue = [rec, id](store::Store& s) -> Result<void> {
    auto still = s.get_dead_letter(id);
    if (!still) return still.error();
    if (!*still) return error::unknown_dead_letter;  // retried or deleted concurrently
    if (auto r = s.delete_dead_letter(id); !r) return r.error();
    return s.put_outbox(rec);
  };
  auto done = co_await commit<void>(std::move(requeue));
  if (!done) co_return done.error();
  direct_->outbox.add(rec);
  wake_outbox();
  co_return receipt_of(rec, false);
}

Task<SendReceipt> Node::wait_receipt(core::AgentId from, core::RequestId id, std::int64_t wait_ms) {
  auto self = shared_from_this();
  if (direct_->outbox.find(id)) {
    auto timer = std::make_shared<asio::steady_timer>(ex_, std::chrono::milliseconds(wait_ms));
    direct_->receipt_waiters[id].push_back(timer);
    co_await timer->async_wait(kTuple);
    auto it = direct_->receipt_waiters.find(id);
    if (it != direct_->receipt_waiters.end()) {
      std::erase(it->second, timer);
      if (it->second.empty()) direct_->receipt_waiters.erase(it);
    }
  }
  auto status = message_status(from, id);
  if (status) co_return *status;
  SendReceipt unknown;  // purged meanwhile: cannot happen within a wait, but never invent a state
  unknown.request_id = id;
  unknown.state = "queued";
  co_return unknown;
}

Result<SendReceipt> Node::message_status(const core::AgentId& sender, const core::RequestId& id) const {
  if (const auto* live = direct_->outbox.find(id); live && live->sender == sender) {
    return receipt_of(*live, direct_->outbox.in_flight(id));
  }
  if (auto it = direct_->finishing.find(id); it != direct_->finishing.end() && it->second.sender == sender) {
    return receipt_of(it->second, false);
  }
  auto row = reader_->get_outbox(id);
  if (!row) return row.error();
  if (!*row || (*row)->sender != sender) return error::unknown_message;
  return receipt_of(**row, false);
}

void Node::wake_outbox() {
  if (!direct_) return;
  if (!direct_->loop_running) {
    direct_->loop_running = true;
    std::weak_ptr<Node> weak = weak_from_this();
    asio::co_spawn(
        ex_,
        [weak]() -> Task<void> {
          if (auto self = weak.lock()) co_await self->outbox_loop();
        },
        asio::detached);
    return;
  }
  direct_->wake.cancel();
}

Task<void> Node::outbox_loop() {
  auto& d = *direct_;
  while (!stopped_) {
    const auto now = clock_.now_ms();
    expire_outbox(now);
    const auto room = config_.direct.max_attempts_in_flight > d.outbox.in_flight_count()
                          ? config_.direct.max_attempts_in_flight - d.outbox.in_flight_count()
                          : 0;
    for (const auto& id : d.outbox.start_due(now, room)) {
      std::weak_ptr<Node> weak = weak_from_this();
      asio::co_spawn(
          ex_,
          [weak, id]() -> Task<void> {
            if (auto self = weak.lock()) co_await self->attempt(id);
          },
          asio::detached);
    }
    const auto next = d.outbox.next_wakeup();
    if (next && *next <= clock_.now_ms() && d.outbox.in_flight_count() < config_.direct.max_attempts_in_flight) {
      continue;  // more is due than one pass started
    }
    if (next) {
      d.wake.expires_after(std::chrono::milliseconds(std::max<std::int64_t>(1, *next - clock_.now_ms())));
    } else {
      d.wake.expires_at(asio::steady_timer::time_point::max());
    }
    co_await d.wake.async_wait(kTuple);
  }
  d.loop_running = false;
}

void Node::expire_outbox(std::int64_t now) {
  for (auto& rec : direct_->outbox.take_expired(now)) {
    auto reason = rec.last_error.empty() ? std::string("expired") : rec.last_error;
    ++direct_->stats.expired;
    complete_outbox(std::move(rec), store::OutboxState::expired, std::move(reason), core::Seq{});
  }
}

Task<void> Node::attempt(core::RequestId id) {
  auto& d = *direct_;
  const auto* live = d.outbox.find(id);
  if (!live) co_return;
  const auto rec = *live;  // a copy: the entry may change while we wait
  const auto* key = agent_key(rec.sender);
  if (!key || !agents_.find(rec.sender)) {
    auto done = d.outbox.finish(id);
    if (done) complete_outbox(std::move(*done), store::OutboxState::rejected, "sender_deleted", core::Seq{});
    co_return;
  }
  auto pair = d.keys.get(*key, rec.recipient);
  if (!pair) {  // not a valid Ed25519 key: no one can ever open it
    auto done = d.outbox.finish(id);
    if (done) complete_outbox(std::move(*done), store::OutboxState::rejected, "invalid_recipient", core::Seq{});
    co_return;
  }
  wd::Envelope env;
  env.request_id = array_of<16>(rec.request_id.span());
  env.sender = array_of<32>(rec.sender.span());
  env.recipient = array_of<32>(rec.recipient.span());
  env.sender_peer = host_->peer_id().multihash();
  env.created_ms = static_cast<std::uint64_t>(rec.created_ms);
  env.expires_ms = static_cast<std::uint64_t>(rec.expires_ms);
  wd::Body body;
  body.payload = rec.content.body;
  body.content_type = rec.content.content_type;
  body.performative = rec.content.performative;
  body.conversation_id = rec.content.conversation_id;
  body.reply_with = rec.content.reply_with;
  body.in_reply_to = rec.content.in_reply_to;
  body.protocol = rec.content.protocol;
  body.metadata = rec.content.metadata;
  direct::seal(env, body, pair->send, rec.sign ? key : nullptr);
  const auto encoded = wd::encode(env);

  std::string error;
  std::string path;
  AttemptResult result;
  const auto* entry = directory_.find(rec.recipient);
  const bool try_direct = rec.path != "gossip" && entry && entry->peer != host_->peer_id();
  if (try_direct) {
    const auto peer = entry->peer;
    auto addrs = entry->addrs;
    auto& breaker = d.breakers.try_emplace(peer, config_.direct.breaker).first->second;
    if (breaker.allow(std::chrono::steady_clock::now())) {
      ++d.stats.attempts_direct;
      path = "direct";
      result = co_await attempt_direct(id, peer, std::move(addrs), encoded);
      auto& b = d.breakers.try_emplace(peer, config_.direct.breaker).first->second;  // may have been reset
      if (result.ack) {
        b.on_success();
      } else {
        b.on_failure(std::chrono::steady_clock::now());
        error = result.error;
      }
    } else {
      error = "circuit_open";
    }
  } else if (rec.path == "direct") {
    error = entry ? "no_route" : "recipient_not_in_directory";
  }
  if (!result.ack && rec.path != "direct") {
    ++d.stats.attempts_gossip;
    path = "gossip";
    result = co_await attempt_gossip(id, rec.recipient, encoded);
    if (!result.ack) error = error.empty() ? result.error : error + "; gossip: " + result.error;
  }
  if (stopped_) co_return;
  if (result.ack) {
    auto a = wd::decode_ack(bytes_of(*result.ack));  // verified by on_ack before it completed us
    auto done = d.outbox.finish(id);
    if (!a || !done) co_return;
    done->path = path;
    switch (a->outcome) {
      case wd::Outcome::accepted:
      case wd::Outcome::duplicate:
        ++d.stats.accepted;
        complete_outbox(std::move(*done), store::OutboxState::accepted, "", core::Seq{a->seq});
        break;
      case wd::Outcome::rejected:
        ++d.stats.rejected;
        complete_outbox(std::move(*done),
                        a->reason == "expired" ? store::OutboxState::expired : store::OutboxState::rejected,
                        a->reason, core::Seq{});
        break;
    }
    co_return;
  }
  ++d.stats.attempt_failures;
  ++d.stats.failures_by_reason[error.substr(0, error.find(';'))];
  const auto* failed = d.outbox.fail(id, error, clock_.now_ms(), d.unit_random());
  if (!failed) co_return;
  auto row = *failed;
  row.path = rec.path;  // keep the hint in the row while queued
  WorkFn<void> persist = [row](store::Store& s) -> Result<void> {
    auto still = s.get_outbox(row.request_id);  // finished meanwhile (a late ack): keep the outcome
    if (!still) return still.error();
    if (!*still || (*still)->state != store::OutboxState::queued) return {};
    return s.put_outbox(row);
  };
  asio::co_spawn(ex_, commit<void>(std::move(persist)), asio::detached);
  wake_outbox();
}

Task<AttemptResult> Node::await_ack(core::RequestId id) {
  auto waiter = std::make_shared<AckWaiter>(ex_);
  waiter->timer.expires_after(config_.direct.retry.attempt_timeout);
  direct_->pending[id] = waiter;
  co_await waiter->timer.async_wait(kTuple);
  if (auto it = direct_->pending.find(id); it != direct_->pending.end() && it->second == waiter) {
    direct_->pending.erase(it);
  }
  AttemptResult out;
  out.ack = std::move(waiter->ack);
  if (!out.ack) out.error = waiter->error.empty() ? "timeout" : waiter->error;
  co_return out;
}

Task<AttemptResult> Node::attempt_direct(core::RequestId id, core::PeerId peer, std::vector<core::Multiaddr> addrs,
                                         std::string envelope) {
  auto self = shared_from_this();
  auto& d = *direct_;
  auto fail = [](std::string why) {
    AttemptResult r;
    r.error = std::move(why);
    return r;
  };
  std::shared_ptr<DmChannel> ch;
  if (auto it = d.channels.find(peer); it != d.channels.end() && !it->second->closed) {
    ch = it->second;
    if (!ch->ready) {
      co_await ch->opened.async_wait(kTuple);
      if (!ch->ready) co_return fail(ch->open_error);
    }
  } else {
    ch = std::make_shared<DmChannel>(ex_);
    d.channels[peer] = ch;
    auto host = host_;
    auto dialed = co_await host->dial_addrs(peer, std::move(addrs));
    Result<std::shared_ptr<transport::Stream>> stream = dialed ? Result<std::shared_ptr<transport::Stream>>(nullptr)
                                                               : Result<std::shared_ptr<transport::Stream>>(dialed.error());
    if (dialed) {
      std::vector<std::string> protocols{std::string(wd::kProtocol)};
      stream = co_await host->new_stream(peer, std::move(protocols));
      if (!stream) ch->open_error = "stream_failed: " + stream.error().message();
    } else {
      ch->open_error = "dial_failed: " + dialed.error().message();
    }
    if (!stream) {
      ch->closed = true;
      ch->opened.cancel();
      if (auto it = d.channels.find(peer); it != d.channels.end() && it->second == ch) d.channels.erase(it);
      co_return fail(ch->open_error);
    }
    ch->stream = *stream;
    ch->writer = std::make_shared<transport::LpWriteQueue>(ch->stream, kMaxStreamQueue);
    ch->ready = true;
    ch->opened.cancel();
    // The ack reader: every ack on this stream goes to on_ack; when the
    // stream ends, the attempts still waiting on it fail at once.
    std::weak_ptr<Node> weak = weak_from_this();
    asio::co_spawn(
        ex_,
        [weak, ch, peer]() -> Task<void> {
          transport::LpReader reader(*ch->stream);
          for (;;) {
            auto msg = co_await reader.read(wd::Limits{}.max_ack_bytes);
            auto self = weak.lock();
            if (!self) co_return;
            if (!msg) break;
            self->on_ack(*msg, false);
          }
          auto self = weak.lock();
          ch->closed = true;
          ch->stream->reset();
          if (!self) co_return;
          if (auto it = self->direct_->channels.find(peer); it != self->direct_->channels.end() && it->second == ch) {
            self->direct_->channels.erase(it);
          }
          for (const auto& rid : ch->sent) {
            if (auto it = self->direct_->pending.find(rid); it != self->direct_->pending.end()) {
              it->second->error = "stream_closed";
              it->second->timer.cancel();
            }
          }
        },
        asio::detached);
  }
  if (!ch->writer->push(envelope)) {
    ch->closed = true;
    ch->stream->reset();
    co_return fail("stream_closed");
  }
  ch->sent.insert(id);
  auto result = co_await await_ack(id);
  ch->sent.erase(id);
  co_return result;
}

Task<AttemptResult> Node::attempt_gossip(core::RequestId id, core::AgentId to, std::string envelope) {
  auto self = shared_from_this();
  wd::InboxItem item{wd::InboxItem::Kind::envelope, std::move(envelope)};
  auto published = pubsub_->publish(std::string(wd::kInboxTopicPrefix) + to.to_string(), wd::encode(item));
  if (!published || published->peers == 0) {
    AttemptResult r;
    r.error = "no_route";  // no peer subscribes to the recipient's inbox topic
    co_return r;
  }
  co_return co_await await_ack(id);
}

void Node::on_ack(std::string_view bytes, bool from_gossip) {
  auto& d = *direct_;
  ++d.stats.acks_received;
  auto ack = wd::decode_ack(bytes_of(bytes));
  if (!ack) {
    ++d.stats.acks_invalid;
    return;
  }
  const auto id = core::RequestId::from_array(ack->request_id);
  const auto* rec = d.outbox.find(id);
  const auto sender = core::AgentId::from_array(ack->sender);
  const auto recipient = core::AgentId::from_array(ack->recipient);
  if (!rec || rec->sender != sender || rec->recipient != recipient) {
    ++d.stats.acks_invalid;  // not ours (or already finished: a repeated ack)
    return;
  }
  const auto* key = agent_key(sender);
  auto pair = key ? d.keys.get(*key, recipient) : Result<direct::PairKeys>(direct::error::not_authenticated);
  const bool verified = pair && direct::verify_ack(*ack, pair->receive);
  auto pending = d.pending.find(id);
  if (!verified) {
    ++d.stats.acks_invalid;
    // On a dm stream the hosting daemon answers unauthenticated when it could
    // not check the envelope (expired, clock skew, ...): end the attempt with
    // its reason instead of waiting out the timeout. It decides nothing.
    if (!from_gossip && pending != d.pending.end() && ack->outcome == wd::Outcome::rejected) {
      pending->second->error = ack->reason;
      pending->second->timer.cancel();
    }
    return;
  }
  if (pending != d.pending.end()) {
    pending->second->ack = std::string(bytes);
    pending->second->timer.cancel();
    return;
  }
  if (d.outbox.in_flight(id)) return;  // an attempt on the other path is running; it gets its own ack
  // A verified ack after its attempt timed out: the outcome stands.
  ++d.stats.acks_late;
  auto done = d.outbox.finish(id);
  if (!done) return;
  done->path = from_gossip ? "gossip" : "direct";
  if (ack->outcome == wd::Outcome::rejected) {
    ++d.stats.rejected;
    complete_outbox(std::move(*done), store::OutboxState::rejected, ack->reason, core::Seq{});
  } else {
    ++d.stats.accepted;
    complete_outbox(std::move(*done), store::OutboxState::accepted, "", core::Seq{ack->seq});
  }
}

// Records the outcome: the status row (content cleared) and, for a message
// that did not arrive, a dead letter, in one transaction. Senders waiting for
// an accepted message are woken at once (the outcome is durable at the
// recipient); for the others, once the dead letter is committed.
void Node::complete_outbox(store::OutboxRecord rec, store::OutboxState state, std::string reason, core::Seq seq) {
  const auto now = clock_.now_ms();
  rec.state = state;
  rec.seq = seq;
  rec.last_error = reason;
  // Long enough to answer status queries, and for a keyed message as long
  // as its idempotency key is remembered (a resend must not send it again).
  rec.keep_until_ms = now + (rec.keyed ? std::max(config_.direct.status_retention_ms, config_.idempotency_retention_ms)
                                       : config_.direct.status_retention_ms);
  std::optional<store::DeadLetterRecord> dead;
  if (state != store::OutboxState::accepted) {
    store::DeadLetterRecord dl;
    dl.request_id = rec.request_id;
    dl.sender = rec.sender;
    dl.recipient = rec.recipient;
    dl.created_ms = rec.created_ms;
    dl.content = rec.content;
    dl.reason = reason;
    dl.attempts = rec.attempts;
    dl.time_ms = now;
    dead = std::move(dl);
    counters_.dead_lettered.inc();
  }
  rec.content = {};
  const auto id = rec.request_id;
  direct_->finishing[id] = rec;
  auto wake_waiters = [](DirectState& d, const core::RequestId& id) {
    if (auto it = d.receipt_waiters.find(id); it != d.receipt_waiters.end()) {
      for (auto& t : it->second) t->cancel();
    }
  };
  const bool accepted = state == store::OutboxState::accepted;
  if (accepted) wake_waiters(*direct_, id);
  WorkFn<void> work = [rec = std::move(rec), dead = std::move(dead)](store::Store& s) mutable -> Result<void> {
    if (auto r = s.finish_outbox(rec); !r) return r.error();
    if (dead) {
      if (auto r = s.add_dead_letter(*dead); !r) return r.error();
    }
    return {};
  };
  std::weak_ptr<Node> weak = weak_from_this();
  asio::co_spawn(
      ex_,
      [weak, id, accepted, wake_waiters, work = std::move(work)]() mutable -> Task<void> {
        auto self = weak.lock();
        if (!self) co_return;
        auto r = co_await self->commit<void>(std::move(work));
        if (!r) self->log_->warn("outbox: the outcome of {} was not stored: {}", id.to_string(), r.error().message());
        self->direct_->finishing.erase(id);
        if (!accepted) wake_waiters(*self->direct_, id);
      },
      asio::detached);
}

}  // namespace agentmesh::node
