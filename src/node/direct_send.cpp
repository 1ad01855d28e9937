// node/direct: the send path. Loopback to a local agent commits straight to
// its inbox; anything else is committed to the outbox and driven by the ack
// tracker (node/direct_driver.cpp). Also message status and dead-letter
// retries.

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "core/error.hpp"
#include "direct/delivery.hpp"
#include "direct/error.hpp"
#include "node/conversations.hpp"
#include "node/direct.hpp"
#include "node/error.hpp"
#include "node/storage_commit.hpp"
#include "wire/direct.hpp"

namespace agentmesh::node {

namespace asio = boost::asio;

struct DirectService::Waiter {
  explicit Waiter(const asio::any_io_executor& ex) : timer(ex) {}
  asio::steady_timer timer;  // cancelled when the message finishes
};

SendReceipt receipt_of(const store::OutboxRecord& r, bool in_flight) {
  SendReceipt out;
  out.request_id = r.request_id;
  out.recipient = r.recipient;
  out.seq = r.seq;
  switch (r.state) {
    case store::OutboxState::queued:
      out.state = in_flight ? direct::MessageState::sending : direct::MessageState::queued;
      break;
    case store::OutboxState::accepted:
      out.state = direct::MessageState::accepted;
      break;
    case store::OutboxState::rejected:
      out.state = direct::MessageState::rejected;
      break;
    case store::OutboxState::expired:
      out.state = direct::MessageState::expired;
      break;
  }
  // While queued the path column holds the sender's hint, not a path taken.
  out.path = r.state == store::OutboxState::queued ? std::nullopt : direct::parse_path(r.path);
  out.attempts = r.attempts;
  out.reason = r.last_error;
  out.created_ms = r.created_ms;
  out.expires_ms = r.expires_ms;
  return out;
}

Task<Result<SendReceipt>> DirectService::send(core::AgentId from, SendRequest req, bool known_recipient) {
  AGENTMESH_ASSERT_ON_THREAD(*ctx_.thread);
  const auto& config = *ctx_.config;
  const auto* sender = agents_->find(from);
  if (!sender) co_return error::unknown_agent;
  if (sender->state == store::AgentState::stopped) co_return direct::error::sender_stopped;
  if (req.content.body.size() > config.max_payload_bytes) co_return direct::error::payload_too_large;
  if (req.ttl_ms && (*req.ttl_ms <= 0 || *req.ttl_ms > config.max_ttl_ms)) co_return core::error::out_of_range;
  req.wait_ms = std::clamp<std::int64_t>(req.wait_ms, 0, config.direct.max_wait_ms);
  // A reply may leave the recipient and the conversation to its in_reply_to.
  if (auto r = ConversationService::resolve_reply(ctx_.storage->reader(), from, req); !r) {
    ctx_.storage->note_result(r.error());
    co_return r.error();
  }
  if (const auto* recipient = agents_->resolve(req.to)) {
    co_return co_await send_local(from, recipient->id, recipient->state, std::move(req));
  }
  // Not hosted here: an agent id goes through the outbox to its daemon
  // (found in the directory, or reached through its gossip inbox).
  auto remote = core::AgentId::parse(req.to);
  if (!remote) {
    ctx_.counters->rejected.inc();
    co_return direct::error::unknown_recipient;
  }
  co_return co_await send_remote(from, *remote, std::move(req), known_recipient);
}

// Loopback is final at the answer: no outbox row (writing one cost a quarter
// of the local send rate), so status() does not know it (docs/api.md).
Task<Result<SendReceipt>> DirectService::send_local(core::AgentId from, core::AgentId to, store::AgentState state,
                                                    SendRequest req) {
  auto self = shared_from_this();
  if (state != store::AgentState::running) {
    ctx_.counters->rejected.inc();
    co_return direct::error::recipient_unavailable;
  }
  if (inboxes_->blocks(to, from)) {
    ctx_.counters->rejected.inc();
    co_return direct::error::blocked;
  }
  const auto now = ctx_.now_ms();
  direct::Delivery d;
  d.record.agent = to;
  d.record.sender = from;
  d.record.request_id =
      req.idempotency_key ? direct::request_id_for_key(from, *req.idempotency_key) : crypto::new_request_id();
  d.record.received_ms = now;
  d.record.content = std::move(req.content);
  if (req.idempotency_key) {  // the digest is only compared by dedup
    d.digest = direct::content_digest(to, d.record.content);
    d.dedup_expires_ms = now + ctx_.config->idempotency_retention_ms;
  }
  SendReceipt receipt;
  receipt.request_id = d.record.request_id;
  receipt.recipient = to;
  receipt.created_ms = now;
  auto inboxes = inboxes_;
  auto delivered = co_await inboxes->deliver(std::move(d), true);
  if (!delivered) {
    ctx_.counters->rejected.inc();
    if (delivered.error() == error::unknown_agent) co_return direct::error::unknown_recipient;  // deleted meanwhile
    co_return delivered.error();
  }
  receipt.seq = delivered->seq;
  receipt.duplicate = delivered->duplicate;
  co_return receipt;
}

// Only agents the mesh knows: in the directory (online, or offline for up to
// an hour), or reachable through a neighbour on their inbox topic, with a key
// that can be sealed to. Any other id gets unknown_recipient at once rather
// than a dead letter later.
bool DirectService::known_remote(const core::AgentId& from, const core::AgentId& to) {
  if (!sealable(from, to)) return false;
  if (directory_->find(to)) return true;
  return mesh_->topic_peer_count(std::string(wire::direct::kInboxTopicPrefix) + to.to_string()) > 0;
}

// A key to seal to: the sender's signing key and the pair key with `to`.
bool DirectService::sealable(const core::AgentId& from, const core::AgentId& to) {
  const auto* key = agents_->signing_key(from);
  return key && keys_.get(*key, to);
}

bool DirectService::outbox_full(std::size_t more_bytes) const {
  return tracker_.size() >= ctx_.config->direct.max_outbox ||
         tracker_.bytes() + more_bytes > ctx_.config->direct.max_outbox_bytes;
}

Task<Result<SendReceipt>> DirectService::send_remote(core::AgentId from, core::AgentId to, SendRequest req,
                                                     bool known_recipient) {
  auto self = shared_from_this();
  if (!(known_recipient ? sealable(from, to) : known_remote(from, to))) {
    ctx_.counters->rejected.inc();
    co_return direct::error::unknown_recipient;
  }
  if (outbox_full(req.content.body.size())) {
    ++refused_full_;
    co_return error::outbox_full;
  }
  const auto now = ctx_.now_ms();
  store::OutboxRecord rec;
  rec.request_id =
      req.idempotency_key ? direct::request_id_for_key(from, *req.idempotency_key) : crypto::new_request_id();
  rec.sender = from;
  rec.recipient = to;
  rec.created_ms = now;
  rec.expires_ms = now + req.ttl_ms.value_or(ctx_.config->direct.default_ttl_ms);
  rec.content = std::move(req.content);
  rec.next_attempt_ms = now;
  rec.sign = req.sign;
  rec.path = req.path == direct::PathHint::any ? std::string() : std::string(direct::to_string(req.path));
  rec.digest = direct::content_digest(to, rec.content);
  rec.keyed = req.idempotency_key.has_value();
  rec.keep_until_ms = rec.expires_ms;  // pending rows are never purged; set again when it finishes

  // An idempotent resend finds the first send's row in the same transaction.
  // A new message goes into the sender's conversation view with its row.
  auto created = std::make_shared<bool>(false);
  WorkFn<std::optional<store::OutboxRecord>> queue =
      [rec, created, config = ctx_.config](store::Store& s) -> Result<std::optional<store::OutboxRecord>> {
    *created = false;
    if (rec.keyed) {
      auto prior = s.get_outbox(rec.request_id);
      if (!prior) return prior.error();
      if (*prior) {
        if ((*prior)->digest != rec.digest) return direct::error::idempotency_conflict;
        return std::move(*prior);
      }
    }
    if (auto r = s.put_outbox(rec); !r) return r.error();
    auto noted = ConversationService::note(s, config->conversations, rec.sender, true, rec.recipient, rec.request_id,
                                           core::Seq{0}, rec.created_ms, rec.content);
    if (!noted) return noted.error();
    *created = *noted;
    return std::optional<store::OutboxRecord>{};
  };
  // A message without a key is handed to the tracker as soon as its job is
  // in the writer's queue, so the envelope is sealed and sent while the row
  // commits (one commit off the "wait": "ack" path). The answer still comes
  // after the commit, and the outcome rows, written by later jobs, commit
  // after it. A keyed send commits first: its job may find an earlier row.
  const auto id = rec.request_id;
  std::function<void()> on_queued;
  auto sent_early = std::make_shared<bool>(false);
  if (!rec.keyed) {
    on_queued = [this, self, copy = rec, sent_early]() mutable {
      *sent_early = tracker_.add(std::move(copy));
      ticker_.wake();
    };
  }
  auto queued = co_await ctx_.storage->commit<std::optional<store::OutboxRecord>>(std::move(queue),
                                                                                  std::move(on_queued));
  if (!queued) {
    // The envelope may have left: the recipient may have it. No row means no
    // resend and no status; say so rather than a plain store error.
    if (*sent_early) {
      tracker_.forget(id);  // nobody waits on it: its id was never answered
      co_return error::outcome_unknown;
    }
    co_return queued.error();
  }
  if (*created) ctx_.counters->conversations_created.inc();
  if (*sent_early) {
    if (req.wait_ms > 0) co_return co_await wait_receipt(from, id, req.wait_ms);
    auto now_state = status(from, id);  // sending, or already final
    if (now_state) co_return *now_state;
    co_return receipt_of(rec, false);
  }
  if (*queued) {
    const auto* live = tracker_.find(rec.request_id);
    auto receipt = receipt_of(live ? *live : **queued, tracker_.in_flight(rec.request_id));
    receipt.duplicate = true;
    if (req.wait_ms > 0 && !receipt.final()) {
      receipt = co_await wait_receipt(from, rec.request_id, req.wait_ms);
      receipt.duplicate = true;
    }
    co_return receipt;
  }
  auto receipt = receipt_of(rec, false);
  tracker_.add(std::move(rec));
  ticker_.wake();
  if (req.wait_ms > 0) co_return co_await wait_receipt(from, id, req.wait_ms);
  co_return receipt;
}

void DirectService::wake_waiters(const core::RequestId& id) {
  if (auto it = waiters_.find(id); it != waiters_.end()) {
    for (auto& w : it->second) w->timer.cancel();
  }
}

void DirectService::wake_all_waiters() {
  for (auto& [id, ws] : waiters_) {
    for (auto& w : ws) w->timer.cancel();
  }
}

Task<SendReceipt> DirectService::wait_receipt(core::AgentId from, core::RequestId id, std::int64_t wait_ms) {
  auto self = shared_from_this();
  if (tracker_.find(id)) {
    auto waiter = std::make_shared<Waiter>(ctx_.ex);
    waiter->timer.expires_after(std::chrono::milliseconds(wait_ms));
    waiters_[id].push_back(waiter);
    co_await waiter->timer.async_wait(asio::as_tuple(asio::use_awaitable));
    if (auto it = waiters_.find(id); it != waiters_.end()) {
      std::erase(it->second, waiter);
      if (it->second.empty()) waiters_.erase(it);
    }
  }
  auto found = status(from, id);
  if (found) co_return *found;
  SendReceipt unknown;  // purged meanwhile: cannot happen within a wait, but never invent a state
  unknown.request_id = id;
  unknown.state = direct::MessageState::queued;
  unknown.path.reset();
  co_return unknown;
}

Result<SendReceipt> DirectService::status(const core::AgentId& sender, const core::RequestId& id) const {
  AGENTMESH_ASSERT_ON_THREAD(*ctx_.thread);
  if (const auto* live = tracker_.find(id); live && live->sender == sender) {
    return receipt_of(*live, tracker_.in_flight(id));
  }
  if (auto it = finishing_.find(id); it != finishing_.end() && it->second.sender == sender) {
    return receipt_of(it->second, false);
  }
  auto row = ctx_.storage->reader().get_outbox(id);
  if (!row) return row.error();
  if (!*row || (*row)->sender != sender) return error::unknown_message;
  return receipt_of(**row, false);
}

Task<Result<SendReceipt>> DirectService::retry_dead_letter(std::int64_t id) {
  AGENTMESH_ASSERT_ON_THREAD(*ctx_.thread);
  auto self = shared_from_this();
  auto found = ctx_.storage->reader().get_dead_letter(id);
  if (!found) co_return found.error();
  if (!*found) co_return error::unknown_dead_letter;
  auto dl = std::move(**found);
  if (!agents_->find(dl.recipient) && agents_->find(dl.sender)) co_return co_await requeue(id, std::move(dl));
  auto inboxes = inboxes_;
  co_return co_await inboxes->redeliver(id);
}

Task<Result<SendReceipt>> DirectService::requeue(std::int64_t id, store::DeadLetterRecord dl) {
  auto self = shared_from_this();
  if (outbox_full(dl.content.body.size())) co_return error::outbox_full;
  if (tracker_.find(dl.request_id)) co_return direct::error::idempotency_conflict;  // already pending
  if (!known_remote(dl.sender, dl.recipient)) co_return direct::error::unknown_recipient;
  const auto now = ctx_.now_ms();
  store::OutboxRecord rec;
  rec.request_id = dl.request_id;
  rec.sender = dl.sender;
  rec.recipient = dl.recipient;
  rec.created_ms = now;
  rec.expires_ms = now + ctx_.config->direct.default_ttl_ms;
  rec.content = std::move(dl.content);
  rec.next_attempt_ms = now;
  rec.digest = direct::content_digest(rec.recipient, rec.content);
  rec.keep_until_ms = rec.expires_ms;
  WorkFn<void> work = [rec, id](store::Store& s) -> Result<void> {
    auto still = s.get_dead_letter(id);
    if (!still) return still.error();
    if (!*still) return error::unknown_dead_letter;  // retried or deleted concurrently
    if (auto r = s.delete_dead_letter(id); !r) return r.error();
    return s.put_outbox(rec);
  };
  auto done = co_await ctx_.storage->commit<void>(std::move(work));
  if (!done) co_return done.error();
  auto receipt = receipt_of(rec, false);
  tracker_.add(std::move(rec));
  ticker_.wake();
  co_return receipt;
}

}  // namespace agentmesh::node

namespace agentmesh::node {

void DirectService::route_protocol(std::string protocol, ProtocolReceiver receiver) {
  routes_.insert_or_assign(std::move(protocol), std::move(receiver));
}

store::OutboxRecord DirectService::outbox_record(const core::AgentId& from, const core::AgentId& to,
                                                 MessageContent content, const core::RequestId& id,
                                                 std::int64_t ttl_ms) const {
  const auto now = ctx_.now_ms();
  store::OutboxRecord rec;
  rec.request_id = id;
  rec.sender = from;
  rec.recipient = to;
  rec.created_ms = now;
  rec.expires_ms = now + ttl_ms;
  rec.content = std::move(content);
  rec.next_attempt_ms = now;
  rec.digest = direct::content_digest(to, rec.content);
  rec.keep_until_ms = rec.expires_ms;
  return rec;
}

void DirectService::track(store::OutboxRecord rec) {
  AGENTMESH_ASSERT_ON_THREAD(*ctx_.thread);
  if (tracker_.find(rec.request_id)) return;
  tracker_.add(std::move(rec));
  ticker_.wake();
}

}  // namespace agentmesh::node
