// Node: the local send path (loopback; remote recipients go to
// direct_send.cpp), inboxes (read, ack, cursors), dead letters, and the
// watchers and stream accounting of live streams.

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <fmt/format.h>

#include "core/error.hpp"
#include "core/utf8.hpp"
#include "crypto/crypto.hpp"
#include "crypto/key_file.hpp"
#include "direct/delivery.hpp"
#include "direct/error.hpp"
#include "node/commit.hpp"
#include "node/direct_state.hpp"
#include "node/error.hpp"
#include "node/node.hpp"

namespace agentmesh::node {

Task<Result<SendReceipt>> Node::send(core::AgentId from, SendRequest req) {
  const auto* sender = agents_.find(from);
  if (!sender) co_return error::unknown_agent;
  if (sender->state == store::AgentState::stopped) co_return direct::error::sender_stopped;
  if (req.content.body.size() > config_.max_payload_bytes) co_return direct::error::payload_too_large;
  if (req.ttl_ms && (*req.ttl_ms <= 0 || *req.ttl_ms > config_.max_ttl_ms)) co_return core::error::out_of_range;
  req.wait_ms = std::clamp<std::int64_t>(req.wait_ms, 0, config_.direct.max_wait_ms);
  const auto* recipient = agents_.resolve(req.to);
  if (!recipient) {
    // Not hosted here: an agent id goes through the outbox to its daemon
    // (found in the directory, or reached through its gossip inbox).
    auto remote = core::AgentId::parse(req.to);
    if (!remote) {
      counters_.messages_rejected.inc();
      co_return direct::error::unknown_recipient;
    }
    co_return co_await send_remote(from, *remote, std::move(req));
  }
  if (recipient->state != store::AgentState::running) {
    counters_.messages_rejected.inc();
    co_return direct::error::recipient_unavailable;
  }
  if (blocks_.contains({recipient->id, from})) {
    counters_.messages_rejected.inc();
    co_return direct::error::blocked;
  }
  const auto now = clock_.now_ms();
  direct::Delivery d;
  d.record.agent = recipient->id;
  d.record.sender = from;
  d.record.request_id =
      req.idempotency_key ? direct::request_id_for_key(from, *req.idempotency_key) : crypto::random_request_id();
  d.record.received_ms = now;
  d.record.content = std::move(req.content);
  if (req.idempotency_key) {  // the digest is only compared by dedup
    d.digest = direct::content_digest(recipient->id, d.record.content);
    d.dedup_expires_ms = now + config_.idempotency_retention_ms;
  }
  SendReceipt receipt;
  receipt.request_id = d.record.request_id;
  receipt.recipient = recipient->id;
  receipt.created_ms = now;
  // Loopback is final at the answer: no outbox row (writing one cost a
  // quarter of the local send rate), so GET .../messages/{request_id} does
  // not know it (docs/api.md).
  WorkFn<direct::DeliveryResult> deliver = [d = std::move(d)](store::Store& s) mutable {
    return direct::deliver(s, d);
  };
  auto delivered = co_await commit<direct::DeliveryResult>(std::move(deliver));
  if (!delivered) {
    counters_.messages_rejected.inc();
    if (delivered.error() == store::error::not_found) co_return direct::error::unknown_recipient;  // deleted meanwhile
    co_return delivered.error();
  }
  receipt.seq = delivered->seq;
  receipt.duplicate = delivered->duplicate;
  if (delivered->duplicate) {
    counters_.messages_duplicate.inc();
  } else {
    counters_.messages_accepted.inc();
    note_appended(receipt.recipient, receipt.seq);
  }
  co_return receipt;
}

void Node::note_appended(const core::AgentId& agent, core::Seq seq) {
  auto it = cursors_.find(agent);
  if (it == cursors_.end()) return;
  if (seq > it->second.last) it->second.last = seq;
  notify(agent);
}

void Node::notify(const core::AgentId& agent) {
  auto it = watchers_.find(agent);
  if (it == watchers_.end()) return;
  // Copy: a waker may unwatch itself.
  std::vector<std::function<void()>> wakers;
  for (const auto& [token, w] : it->second.wakers) wakers.push_back(w);
  for (auto& w : wakers) w();
}

Result<std::vector<store::InboxRecord>> Node::read_inbox(const core::AgentId& agent, core::Seq after,
                                                         std::size_t limit) {
  if (!agents_.find(agent)) return error::unknown_agent;
  auto r = reader_->read_inbox(agent, after, limit);
  if (!r && r.error() == store::error::not_found) return error::unknown_agent;
  return r;
}

Task<Result<store::InboxCursor>> Node::ack(core::AgentId agent, core::Seq up_to) {
  auto it = cursors_.find(agent);
  if (it == cursors_.end()) co_return error::unknown_agent;
  if (up_to > it->second.last) co_return store::error::beyond_last;
  if (up_to <= it->second.acked) co_return it->second;
  WorkFn<store::InboxCursor> ack_up_to = [agent, up_to](store::Store& s) { return s.ack_inbox(agent, up_to); };
  auto acked = co_await commit<store::InboxCursor>(std::move(ack_up_to));
  if (!acked) {
    if (acked.error() == store::error::not_found) co_return error::unknown_agent;
    co_return acked.error();
  }
  counters_.acks.inc();
  it = cursors_.find(agent);
  if (it == cursors_.end()) co_return error::unknown_agent;
  if (acked->acked > it->second.acked) it->second.acked = acked->acked;
  co_return it->second;
}

std::optional<store::InboxCursor> Node::cursor(const core::AgentId& agent) const {
  auto it = cursors_.find(agent);
  if (it == cursors_.end()) return std::nullopt;
  return it->second;
}

Result<std::vector<store::DeadLetterRecord>> Node::dead_letters(std::int64_t after_id, std::size_t limit) {
  return reader_->list_dead_letters(after_id, limit);
}

Task<Result<SendReceipt>> Node::retry_dead_letter(std::int64_t id) {
  auto found = reader_->get_dead_letter(id);
  if (!found) co_return found.error();
  if (!*found) co_return error::unknown_dead_letter;
  const auto dl = std::move(**found);
  const auto* recipient = agents_.find(dl.recipient);
  if (!recipient && agents_.find(dl.sender)) co_return co_await requeue_dead_letter(id, dl);
  if (!recipient) co_return direct::error::unknown_recipient;
  if (recipient->state != store::AgentState::running) co_return direct::error::recipient_unavailable;
  direct::Delivery d;
  d.record.agent = dl.recipient;
  d.record.sender = dl.sender;
  d.record.request_id = dl.request_id;
  d.record.received_ms = clock_.now_ms();
  d.record.content = dl.content;
  WorkFn<direct::DeliveryResult> redeliver = [d = std::move(d), id](store::Store& s) mutable -> Result<direct::DeliveryResult> {
        auto still = s.get_dead_letter(id);
        if (!still) return still.error();
        if (!*still) return error::unknown_dead_letter;  // retried or deleted concurrently
        auto r = direct::deliver(s, d);
        if (!r) return r;
        if (auto del = s.delete_dead_letter(id); !del) return del.error();
        return r;
      };
  auto delivered = co_await commit<direct::DeliveryResult>(std::move(redeliver));
  if (!delivered) {
    if (delivered.error() == store::error::not_found) co_return direct::error::unknown_recipient;
    co_return delivered.error();
  }
  counters_.messages_accepted.inc();
  note_appended(dl.recipient, delivered->seq);
  SendReceipt receipt;
  receipt.request_id = dl.request_id;
  receipt.recipient = dl.recipient;
  receipt.seq = delivered->seq;
  co_return receipt;
}

Task<Result<void>> Node::delete_dead_letter(std::int64_t id) {
  WorkFn<void> remove = [id](store::Store& s) { return s.delete_dead_letter(id); };
  auto r = co_await commit<void>(std::move(remove));
  if (!r && r.error() == store::error::not_found) co_return error::unknown_dead_letter;
  co_return r;
}

std::uint64_t Node::watch(const core::AgentId& agent, std::function<void()> wake) {
  const auto token = next_watch_token_++;
  watchers_[agent].wakers.emplace(token, std::move(wake));
  return token;
}

void Node::unwatch(const core::AgentId& agent, std::uint64_t token) {
  auto it = watchers_.find(agent);
  if (it == watchers_.end()) return;
  it->second.wakers.erase(token);
  if (it->second.wakers.empty() && it->second.streams == 0) watchers_.erase(it);
}

Result<void> Node::open_stream(const core::AgentId& agent) {
  auto& w = watchers_[agent];
  if (w.streams >= config_.max_streams_per_agent) return error::too_many_streams;
  ++w.streams;
  ++total_streams_;
  return {};
}

void Node::close_stream(const core::AgentId& agent) {
  auto it = watchers_.find(agent);
  if (it == watchers_.end() || it->second.streams == 0) return;
  --it->second.streams;
  --total_streams_;
  if (it->second.wakers.empty() && it->second.streams == 0) watchers_.erase(it);
}

}  // namespace agentmesh::node
