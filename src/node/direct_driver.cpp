// node/direct: the outbox driver. The ack tracker (direct/ack_tracker.hpp)
// decides; this file performs its actions: seal, write on a peer's dm stream
// or publish on the inbox topic, record outcomes, persist failed attempts.
// Also the outbound dm streams (one per peer, opened on first use, acks read
// back on the same stream) and the service's lifecycle.

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "core/bytes.hpp"
#include "crypto/crypto.hpp"
#include "direct/error.hpp"
#include "node/direct.hpp"
#include "node/spawn.hpp"
#include "node/storage_commit.hpp"
#include "transport/connection.hpp"
#include "transport/stream_io.hpp"
#include "wire/direct.hpp"

namespace agentmesh::node {

namespace asio = boost::asio;
namespace wd = wire::direct;

namespace {

// Bytes queued on one dm stream before it counts as stuck and is reset.
constexpr std::size_t kMaxStreamQueue = 8 * 1024 * 1024;
// Finished rows past their retention are purged this often.
constexpr core::UnixMs kPurgeIntervalMs = 60'000;
// Accepted outcomes are committed together (queue_outcome()): after this
// long, or once this many wait.
constexpr auto kOutcomeDelay = std::chrono::milliseconds(10);
constexpr std::size_t kOutcomeBatch = 256;

template <std::size_t N>
std::array<std::uint8_t, N> array_of(std::span<const std::uint8_t> s) {
  std::array<std::uint8_t, N> out{};
  std::copy_n(s.begin(), N, out.begin());
  return out;
}

using core::bytes_of;

std::string inbox_topic(const core::AgentId& agent) { return std::string(wd::kInboxTopicPrefix) + agent.to_string(); }

}  // namespace

// An outbound /agentmesh/dm/1.0.0 stream to one peer: envelopes go out
// through `writer`, acks come back on the same stream (read_acks()).
struct DirectService::Channel {
  std::shared_ptr<transport::Stream> stream;
  std::shared_ptr<transport::LpWriteQueue> writer;
  bool ready = false;
  bool closed = false;
  // Envelopes of attempts that started while the stream was being opened.
  std::vector<std::pair<core::RequestId, std::string>> waiting;
};

DirectService::DirectService(ServiceContext ctx, std::shared_ptr<AgentService> agents,
                             std::shared_ptr<InboxService> inboxes, std::shared_ptr<DirectoryService> directory,
                             std::shared_ptr<Mesh> mesh)
    : ctx_(std::move(ctx)),
      agents_(std::move(agents)),
      inboxes_(std::move(inboxes)),
      directory_(std::move(directory)),
      mesh_(std::move(mesh)),
      tracker_(
          direct::AckTrackerConfig{ctx_.config->direct.retry, ctx_.config->direct.breaker,
                                   ctx_.config->direct.max_attempts_in_flight},
          [dir = directory_, self = mesh_->self()](const core::AgentId& recipient) {
            direct::Route route;
            if (const auto* e = dir->find(recipient)) {
              route.in_directory = true;
              if (e->peer != self) route.peer = e->peer;
            }
            return route;
          },
          std::random_device{}()) {
  next_purge_ms_ = ctx_.now_ms() + kPurgeIntervalMs;
}

Result<void> DirectService::load(std::string& why) {
  auto pending = ctx_.storage->reader().list_outbox(ctx_.config->direct.max_outbox);
  if (!pending) {
    why = "cannot load the outbox: " + pending.error().message();
    return pending.error();
  }
  const auto now = ctx_.now_ms();
  for (auto& rec : *pending) {
    rec.next_attempt_ms = now;  // resend at once: the peer may have committed it already (dedup answers)
    tracker_.add(std::move(rec));
  }
  if (tracker_.size() > 0) ctx_.log->info("outbox: {} messages to resend", tracker_.size());
  return {};
}

AgentService::Observer DirectService::agent_observer() {
  std::weak_ptr<DirectService> weak = weak_from_this();
  AgentService::Observer o;
  o.created = [weak](const store::AgentRecord& a) {
    if (auto self = weak.lock()) self->join_inbox(a.id);
  };
  o.deleted = [weak](const store::AgentRecord& a) {
    if (auto self = weak.lock()) self->leave_inbox(a.id);
  };
  return o;
}

void DirectService::join_inbox(const core::AgentId& agent) { mesh_->join(inbox_topic(agent)); }

void DirectService::leave_inbox(const core::AgentId& agent) {
  if (!stopping_ && !stopped_) mesh_->leave(inbox_topic(agent));
}

void DirectService::start() {
  AGENTMESH_ASSERT_ON_THREAD(*ctx_.thread);
  for (const auto* a : agents_->all()) join_inbox(a->id);
  mesh_->join(std::string(wd::kRelayTopic));
  std::weak_ptr<DirectService> weak = weak_from_this();
  ticker_.start(ctx_, "outbox", [weak]() -> std::optional<core::UnixMs> {
    auto self = weak.lock();
    return self ? self->tick() : std::nullopt;
  });
}

void DirectService::stop() {
  stopped_ = true;
  flush_outcomes();
  ticker_.stop();
  wake_all_waiters();
  for (auto& [peer, ch] : channels_) {
    ch->closed = true;
    if (ch->stream) ch->stream->reset();
  }
  channels_.clear();
}

std::optional<core::UnixMs> DirectService::tick() {
  AGENTMESH_ASSERT_ON_THREAD(*ctx_.thread);
  if (stopped_) return std::nullopt;
  const auto now = ctx_.now_ms();
  execute(tracker_.tick(now));
  if (now >= next_purge_ms_) {
    next_purge_ms_ = now + kPurgeIntervalMs;
    purge_finished(now);
  }
  auto next = tracker_.next_wakeup();
  return next ? std::min(*next, next_purge_ms_) : next_purge_ms_;
}

void DirectService::execute(direct::AckTracker::Actions actions) {
  bool slot_freed = false;
  for (auto& a : actions) {
    switch (a.kind) {
      case direct::Action::Kind::send_direct:
        send_direct(a.id, *a.peer);
        break;
      case direct::Action::Kind::send_gossip:
        send_gossip(a.id);
        break;
      case direct::Action::Kind::finish:
        finish(std::move(a));
        slot_freed = true;
        break;
      case direct::Action::Kind::persist:
        persist(std::move(a.record));
        slot_freed = true;
        break;
    }
  }
  if (slot_freed) ticker_.wake();  // due messages may have waited for a slot
}

// The envelope for the running attempt of `id`, or nothing when the message
// cannot be sent at all (then it is finished as rejected).
std::optional<std::string> DirectService::seal(const core::RequestId& id) {
  const auto* rec = tracker_.find(id);
  if (!rec) return std::nullopt;
  const auto* key = agents_->signing_key(rec->sender);
  if (!key) {
    execute(tracker_.reject(id, direct::error::sender_deleted));
    return std::nullopt;
  }
  auto pair = keys_.get(*key, rec->recipient);
  if (!pair) {  // not a valid Ed25519 key: no one can ever open it
    execute(tracker_.reject(id, direct::error::invalid_recipient));
    return std::nullopt;
  }
  wd::Envelope env;
  env.request_id = array_of<16>(rec->request_id.span());
  env.sender = array_of<32>(rec->sender.span());
  env.recipient = array_of<32>(rec->recipient.span());
  env.sender_peer = mesh_->self().multihash();
  env.created_ms = static_cast<std::uint64_t>(rec->created_ms);
  env.expires_ms = static_cast<std::uint64_t>(rec->expires_ms);
  wd::Body body;
  const auto& c = rec->content;
  body.payload = c.body;
  body.content_type = c.content_type;
  body.performative = c.performative;
  body.conversation_id = c.conversation_id;
  body.reply_with = c.reply_with;
  body.in_reply_to = c.in_reply_to;
  body.protocol = c.protocol;
  body.metadata = c.metadata;
  direct::seal(env, body, pair->send, rec->sign ? key : nullptr);
  return wd::encode(env);
}

void DirectService::send_gossip(const core::RequestId& id) {
  auto envelope = seal(id);
  if (!envelope) return;
  const auto* rec = tracker_.find(id);
  wd::InboxItem item{wd::InboxItem::Kind::envelope, std::move(*envelope)};
  const auto topic = inbox_topic(rec->recipient);
  if (mesh_->topic_peer_count(topic) > 0) {
    auto published = mesh_->publish(topic, wd::encode(item));
    if (published && published->peers > 0) {
      tracker_.sent(id, ctx_.now_ms());
      return;
    }
  }
  // No neighbour carries the recipient's inbox: across the mesh, hop by hop.
  if (publish_relay(item)) {
    tracker_.sent(id, ctx_.now_ms(), true);
    return;
  }
  execute(tracker_.failed(id, direct::PathFailure{direct::Failure::no_route, {}}, ctx_.now_ms()));
}

void DirectService::send_direct(const core::RequestId& id, const core::PeerId& peer) {
  auto envelope = seal(id);
  if (!envelope) return;
  auto& slot = channels_[peer];
  if (!slot || slot->closed) {
    slot = std::make_shared<Channel>();
    // Dialed at the addresses the recipient's advert gives for its daemon.
    std::vector<core::Multiaddr> addrs;
    if (const auto* e = directory_->find(tracker_.find(id)->recipient)) addrs = e->addrs;
    std::weak_ptr<DirectService> weak = weak_from_this();
    ctx_.spawn("dm_open", peer.to_string(), [weak, peer, addrs = std::move(addrs), ch = slot]() -> Task<void> {
      if (auto self = weak.lock()) co_await self->open_channel(peer, addrs, ch);
    });
  }
  if (!slot->ready) {
    slot->waiting.emplace_back(id, std::move(*envelope));
    return;
  }
  push(slot, id, *envelope);
}

void DirectService::push(const std::shared_ptr<Channel>& ch, const core::RequestId& id, const std::string& envelope) {
  if (ch->closed || !ch->writer->push(envelope)) {
    ch->closed = true;
    if (ch->stream) ch->stream->reset();
    execute(tracker_.failed(id, direct::PathFailure{direct::Failure::stream_closed, {}}, ctx_.now_ms()));
    return;
  }
  tracker_.sent(id, ctx_.now_ms());
}

Task<void> DirectService::open_channel(core::PeerId peer, std::vector<core::Multiaddr> addrs,
                                       std::shared_ptr<Channel> ch) {
  auto mesh = mesh_;
  auto dialed = co_await mesh->dial(peer, std::move(addrs));
  std::optional<direct::PathFailure> failure;
  Result<std::shared_ptr<transport::Stream>> stream = std::shared_ptr<transport::Stream>();
  if (!dialed) {
    failure = direct::PathFailure{direct::Failure::dial_failed, dialed.error().message()};
  } else {
    std::string protocol(wd::kProtocol);
    stream = co_await mesh->new_stream(peer, std::move(protocol));
    if (!stream) failure = direct::PathFailure{direct::Failure::stream_failed, stream.error().message()};
  }
  if (stopped_) co_return;
  auto waiting = std::move(ch->waiting);
  ch->waiting.clear();
  if (failure || ch->closed) {
    ch->closed = true;
    if (auto it = channels_.find(peer); it != channels_.end() && it->second == ch) channels_.erase(it);
    if (stream && *stream) (*stream)->reset();
    const auto f = failure.value_or(direct::PathFailure{direct::Failure::stream_closed, {}});
    for (const auto& [id, envelope] : waiting) {
      if (tracker_.stage(id) == direct::Path::direct) execute(tracker_.failed(id, f, ctx_.now_ms()));
    }
    co_return;
  }
  ch->stream = *stream;
  ch->writer = std::make_shared<transport::LpWriteQueue>(ch->stream, kMaxStreamQueue);
  ch->ready = true;
  std::weak_ptr<DirectService> weak = weak_from_this();
  ctx_.spawn("dm_acks", peer.to_string(), [weak, peer, ch]() -> Task<void> {
    if (auto self = weak.lock()) co_await self->read_acks(peer, ch);
  });
  for (const auto& [id, envelope] : waiting) {
    if (tracker_.stage(id) == direct::Path::direct) push(ch, id, envelope);  // not finished meanwhile
  }
}

// Every ack on the stream goes to on_ack; when the stream ends, the attempts
// still waiting on it fail at once.
Task<void> DirectService::read_acks(core::PeerId peer, std::shared_ptr<Channel> ch) {
  transport::LpReader reader(*ch->stream);
  for (;;) {
    auto msg = co_await reader.read(wd::Limits{}.max_ack_bytes);
    if (!msg || stopped_) break;
    on_ack(*msg, direct::Path::direct);
  }
  ch->closed = true;
  ch->stream->reset();
  if (stopped_) co_return;
  if (auto it = channels_.find(peer); it != channels_.end() && it->second == ch) channels_.erase(it);
  execute(tracker_.channel_closed(peer, ctx_.now_ms()));
}

void DirectService::on_ack(std::string_view bytes, direct::Path via) {
  auto ack = wd::decode_ack(bytes_of(bytes));
  if (!ack) {
    tracker_.on_undecodable_ack();
    return;
  }
  // Verified under the reverse-direction pair key of the message it names.
  bool verified = false;
  const auto id = core::RequestId::from_array(ack->request_id);
  if (const auto* rec = tracker_.find(id)) {
    if (const auto* key = agents_->signing_key(rec->sender)) {
      auto pair = keys_.get(*key, core::AgentId::from_array(ack->recipient));
      verified = pair && rec->recipient == core::AgentId::from_array(ack->recipient) &&
                 direct::verify_ack(*ack, pair->receive);
    }
  }
  execute(tracker_.on_ack(*ack, verified, via, ctx_.now_ms()));
}

// Records the outcome: the status row (content cleared) and, for a message
// that did not arrive, a dead letter, in one transaction. Senders waiting for
// an accepted message are woken at once (the outcome is durable at the
// recipient); the others once the dead letter is committed.
void DirectService::finish(direct::Action action) {
  const auto now = ctx_.now_ms();
  auto rec = std::move(action.record);
  const auto& outcome = action.outcome;
  const bool accepted = outcome.state == direct::MessageState::accepted;
  rec.state = accepted                                         ? store::OutboxState::accepted
              : outcome.state == direct::MessageState::expired ? store::OutboxState::expired
                                                               : store::OutboxState::rejected;
  rec.seq = outcome.seq;
  rec.last_error = outcome.reason;
  if (outcome.path) rec.path = std::string(direct::to_string(*outcome.path));
  const auto& config = *ctx_.config;
  // Long enough to answer status queries, and for a keyed message as long as
  // its idempotency key is remembered (a resend must not send it again).
  rec.keep_until_ms = now + (rec.keyed ? std::max(config.direct.status_retention_ms, config.idempotency_retention_ms)
                                       : config.direct.status_retention_ms);
  std::optional<store::DeadLetterRecord> dead;
  // A routed protocol's refusal is its service's answer (a refused task
  // action), not a message that failed to arrive; expiry still is.
  const bool answered = outcome.state == direct::MessageState::rejected && routes_.contains(rec.content.protocol);
  if (!accepted && !answered) {
    store::DeadLetterRecord dl;
    dl.request_id = rec.request_id;
    dl.sender = rec.sender;
    dl.recipient = rec.recipient;
    dl.created_ms = rec.created_ms;
    dl.content = rec.content;
    dl.reason = rec.last_error;
    dl.attempts = rec.attempts;
    dl.time_ms = now;
    dead = std::move(dl);
    ctx_.counters->dead_lettered.inc();
  }
  rec.content = {};
  const auto id = rec.request_id;
  finishing_[id] = rec;
  if (accepted) {
    wake_waiters(id);
    queue_outcome(std::move(rec));
    return;
  }
  WorkFn<void> work = [rec = std::move(rec), dead = std::move(dead)](store::Store& s) mutable -> Result<void> {
    if (auto r = s.finish_outbox(rec); !r) return r.error();
    if (dead) {
      if (auto r = s.add_dead_letter(*dead); !r) return r.error();
    }
    return {};
  };
  std::weak_ptr<DirectService> weak = weak_from_this();
  ctx_.spawn("outbox_outcome", id.to_string(), [weak, id, accepted, work = std::move(work)]() mutable -> Task<void> {
    auto self = weak.lock();
    if (!self) co_return;
    auto r = co_await self->ctx_.storage->commit<void>(std::move(work));
    if (!r) self->ctx_.log->warn("outbox: the outcome of {} was not stored: {}", id.to_string(), r.error().message());
    self->finishing_.erase(id);
    if (!accepted) self->wake_waiters(id);
  });
}

// An accepted message's outcome row only answers status queries after the
// process restarts (finishing_ answers until then), and the recipient's
// commit is what makes the message safe: a crash before this row is stored
// resends the message and gets the same outcome back as a duplicate. So
// accepted outcomes are committed together, one job per kOutcomeDelay,
// instead of one job each: under load every outcome job had been a second
// job per message in the writer's queue, ahead of the next messages' outbox
// commits (bench/dm_bench.cpp's breakdown).
void DirectService::queue_outcome(store::OutboxRecord rec) {
  outcomes_.push_back(std::move(rec));
  if (outcomes_.size() >= kOutcomeBatch) {
    flush_outcomes();
    return;
  }
  if (outcome_flush_scheduled_) return;
  outcome_flush_scheduled_ = true;
  std::weak_ptr<DirectService> weak = weak_from_this();
  ctx_.spawn("outbox_outcome", "batch", [weak, ex = ctx_.ex]() -> Task<void> {
    asio::steady_timer timer(ex, kOutcomeDelay);
    co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
    auto self = weak.lock();
    if (!self) co_return;
    self->outcome_flush_scheduled_ = false;
    if (!self->stopped_) self->flush_outcomes();
  });
}

void DirectService::flush_outcomes() {
  if (outcomes_.empty()) return;
  auto batch = std::make_shared<const std::vector<store::OutboxRecord>>(std::move(outcomes_));
  outcomes_.clear();
  WorkFn<void> work = [batch](store::Store& s) -> Result<void> {
    for (const auto& rec : *batch) {
      if (auto r = s.finish_outbox(rec); !r) return r.error();
    }
    return {};
  };
  if (stopped_) {  // the writer still commits what is queued when the node stops
    ctx_.storage->submit_detached(std::move(work));
    return;
  }
  std::weak_ptr<DirectService> weak = weak_from_this();
  ctx_.spawn("outbox_outcome", "batch", [weak, batch, work = std::move(work)]() mutable -> Task<void> {
    auto self = weak.lock();
    if (!self) co_return;
    auto r = co_await self->ctx_.storage->commit<void>(std::move(work));
    if (!r) self->ctx_.log->warn("outbox: {} outcomes were not stored: {}", batch->size(), r.error().message());
    for (const auto& rec : *batch) self->finishing_.erase(rec.request_id);
  });
}

// A failed attempt's row: attempts, next attempt and last error, unless the
// message finished meanwhile (a late ack: its outcome stays).
void DirectService::persist(store::OutboxRecord row) {
  WorkFn<void> work = [row = std::move(row)](store::Store& s) -> Result<void> {
    auto still = s.get_outbox(row.request_id);
    if (!still) return still.error();
    if (!*still || (*still)->state != store::OutboxState::queued) return {};
    return s.put_outbox(row);
  };
  ctx_.storage->submit_detached(std::move(work));
}

void DirectService::purge_finished(core::UnixMs now) {
  ctx_.storage->submit_detached([now](store::Store& s) -> Result<void> {
    auto r = s.purge_outbox(now);
    if (!r) return r.error();
    return {};
  });
}

void DirectService::on_peer_connected(const core::PeerId& peer) {
  AGENTMESH_ASSERT_ON_THREAD(*ctx_.thread);
  if (stopped_) return;
  // A fresh connection: retry what waits for an agent there at once.
  auto reconnected = tracker_.peer_connected(peer, ctx_.now_ms());
  execute(std::move(reconnected.actions));
  if (reconnected.woken > 0) ticker_.wake();
}

void DirectService::on_peer_disconnected(const core::PeerId& peer) {
  AGENTMESH_ASSERT_ON_THREAD(*ctx_.thread);
  auto it = channels_.find(peer);
  if (it == channels_.end()) return;
  auto ch = it->second;
  channels_.erase(it);
  ch->closed = true;
  if (ch->stream) ch->stream->reset();  // its ack reader ends and fails the waiting attempts
}

void DirectService::on_new_addresses(const core::PeerId& peer) {
  AGENTMESH_ASSERT_ON_THREAD(*ctx_.thread);
  if (stopped_) return;
  // The failures that opened its breaker were at the old addresses: try the new one now.
  if (tracker_.new_addresses(peer, ctx_.now_ms()) > 0) ticker_.wake();
}

void DirectService::on_inbox_route(const core::AgentId& agent) {
  AGENTMESH_ASSERT_ON_THREAD(*ctx_.thread);
  if (stopped_) return;
  // A route to that agent's inbox appeared: retry what waits for it now.
  if (tracker_.recipient_reachable(agent, ctx_.now_ms()) > 0) ticker_.wake();
}

DirectStats DirectService::stats() const {
  DirectStats s;
  s.sent = tracker_.stats();
  s.received = received_;
  s.relay = relay_;
  s.relay.authors = relay_limiter_.authors();
  s.pending = tracker_.size();
  s.in_flight = tracker_.in_flight_count();
  s.bytes = tracker_.bytes();
  s.capacity = ctx_.config->direct.max_outbox;
  s.capacity_bytes = ctx_.config->direct.max_outbox_bytes;
  s.refused_full = refused_full_;
  s.oldest_pending_ms = tracker_.oldest_created();
  s.breakers = tracker_.breakers(ctx_.now_ms());
  s.streams = channels_.size();
  s.pair_keys = keys_.size();
  s.pair_key_hits = keys_.hits();
  s.pair_key_misses = keys_.misses();
  return s;
}

}  // namespace agentmesh::node
