#include "direct/ack_tracker.hpp"

#include <fmt/format.h>

namespace agentmesh::direct {

namespace {

double unit_random(std::mt19937_64& rng) { return std::uniform_real_distribution<double>(0.0, 1.0)(rng); }

}  // namespace

AckTracker::AckTracker(AckTrackerConfig config, RouteFn route, std::uint64_t seed)
    : config_(config), route_(std::move(route)), outbox_(config.retry), rng_(seed) {}

bool AckTracker::add(store::OutboxRecord record) {
  if (!outbox_.add(std::move(record))) return false;
  ++stats_.queued;
  return true;
}

CircuitBreaker& AckTracker::breaker(const core::PeerId& peer) {
  return breakers_.try_emplace(peer, config_.breaker).first->second;
}

AckTracker::Actions AckTracker::tick(UnixMs now) {
  Actions out;
  // Deadlines first: a timed-out attempt moves to its next path or frees its
  // slot for the due messages below.
  while (!deadlines_.empty() && deadlines_.begin()->first <= now) {
    const auto id = deadlines_.begin()->second;
    deadlines_.erase(deadlines_.begin());
    PathFailure timeout{Failure::timeout, {}};
    if (auto it = attempts_.find(id); it != attempts_.end()) {
      it->second.deadline.reset();
      if (!it->second.sent) {
        timeout.detail = fmt::format("not connected within {} ms", config_.retry.connect_timeout.count());
      }
    }
    auto more = failed(id, std::move(timeout), now);
    out.insert(out.end(), std::make_move_iterator(more.begin()), std::make_move_iterator(more.end()));
  }
  for (auto& rec : outbox_.take_expired(now)) {
    Action a{Action::Kind::finish, rec.request_id, std::nullopt, std::move(rec), {}};
    a.outcome.state = MessageState::expired;
    a.outcome.reason = a.record.last_error.empty() ? std::string("expired") : a.record.last_error;
    ++stats_.expired;
    out.push_back(std::move(a));
  }
  const auto running = outbox_.in_flight_count();
  const auto room = config_.max_in_flight > running ? config_.max_in_flight - running : 0;
  for (const auto& id : outbox_.start_due(now, room)) begin(id, now, out);
  return out;
}

std::optional<core::UnixMs> AckTracker::next_wakeup() const {
  // With every attempt slot taken, due messages wait for a slot (an attempt
  // that ends), not for the time.
  auto at = outbox_.in_flight_count() < config_.max_in_flight ? outbox_.next_wakeup() : outbox_.next_expiry();
  if (!deadlines_.empty() && (!at || deadlines_.begin()->first < *at)) at = deadlines_.begin()->first;
  return at;
}

// A new attempt of a due message (in flight already): the direct path when the
// hint allows it, the peer is known and its breaker lets it through; else the
// gossip path when allowed; else the attempt fails at once.
void AckTracker::begin(const core::RequestId& id, UnixMs now, Actions& out) {
  const auto* rec = outbox_.find(id);
  if (!rec) return;
  if (outbox_.confirming(id)) ++stats_.confirming_attempts;
  Attempt a;
  a.hint = parse_path_hint(rec->path).value_or(PathHint::any);
  a.gossip_allowed = a.hint != PathHint::direct;
  const auto route = route_(rec->recipient);
  if (a.hint != PathHint::gossip && route.peer) {
    if (breaker(*route.peer).allow(breaker_time(now))) {
      a.stage = Path::direct;
      a.peer = route.peer;
      a.deadline = now + config_.retry.connect_timeout.count();
      deadlines_.emplace(*a.deadline, id);
      ++stats_.attempts_direct;
      attempts_[id] = std::move(a);
      out.push_back(Action{Action::Kind::send_direct, id, route.peer, {}, {}});
      return;
    }
    a.error.direct = PathFailure{Failure::circuit_open, {}};
  } else if (a.hint == PathHint::direct) {
    a.error.direct = PathFailure{route.in_directory ? Failure::no_route : Failure::recipient_not_in_directory, {}};
  }
  auto& slot = attempts_[id];
  slot = std::move(a);
  to_gossip_or_fail(id, slot, now, out);
}

void AckTracker::to_gossip_or_fail(const core::RequestId& id, Attempt& a, UnixMs now, Actions& out) {
  if (!a.gossip_allowed) {
    fail_attempt(id, a, now, out);
    return;
  }
  a.stage = Path::gossip;
  a.peer.reset();
  a.sent = false;
  ++stats_.attempts_gossip;
  out.push_back(Action{Action::Kind::send_gossip, id, std::nullopt, {}, {}});
}

void AckTracker::clear_deadline(const core::RequestId& id, Attempt& a) {
  if (a.deadline) deadlines_.erase({*a.deadline, id});
  a.deadline.reset();
}

void AckTracker::sent(const core::RequestId& id, UnixMs now, bool relayed) {
  auto it = attempts_.find(id);
  if (it == attempts_.end()) return;  // finished meanwhile (a late ack)
  clear_deadline(id, it->second);
  it->second.sent = true;
  if (relayed && it->second.stage == Path::gossip) {
    it->second.stage = Path::gossip_relay;
    ++stats_.attempts_relay;
  }
  it->second.deadline = now + config_.retry.attempt_timeout.count();
  deadlines_.emplace(*it->second.deadline, id);
}

AckTracker::Actions AckTracker::failed(const core::RequestId& id, PathFailure failure, UnixMs now) {
  Actions out;
  auto it = attempts_.find(id);
  if (it == attempts_.end()) return out;
  auto& a = it->second;
  clear_deadline(id, a);
  // Out and unanswered, the envelope may have been committed; a refusal
  // (the recipient's daemon could not check it) says it was not.
  if (a.sent && failure.kind != Failure::refused) a.may_have_landed = true;
  if (a.stage == Path::direct) {
    if (a.peer) breaker(*a.peer).on_failure(breaker_time(now));
    a.error.direct = std::move(failure);
    to_gossip_or_fail(id, a, now, out);
  } else {
    a.error.gossip = std::move(failure);
    fail_attempt(id, a, now, out);
  }
  return out;
}

// The attempt is over without an ack: counted by its first failure, the
// message rescheduled after its backoff, the row to persist returned (its
// path column keeps the sender's hint while queued).
void AckTracker::fail_attempt(const core::RequestId& id, Attempt& a, UnixMs now, Actions& out) {
  ++stats_.attempt_failures;
  if (auto primary = a.error.primary()) ++stats_.failures_by_reason[*primary];
  const auto hint = a.hint;
  const auto may_have_landed = a.may_have_landed;
  auto why = a.error.describe();
  attempts_.erase(id);
  const auto* rec = outbox_.fail(id, std::move(why), now, unit_random(rng_), may_have_landed);
  if (!rec) return;
  Action persist{Action::Kind::persist, id, std::nullopt, *rec, {}};
  persist.record.path = hint == PathHint::any ? std::string() : std::string(to_string(hint));
  out.push_back(std::move(persist));
}

void AckTracker::finish(const core::RequestId& id, Action::Outcome outcome, Actions& out) {
  if (auto it = attempts_.find(id); it != attempts_.end()) {
    clear_deadline(id, it->second);
    attempts_.erase(it);
  }
  auto done = outbox_.finish(id);
  if (!done) return;
  switch (outcome.state) {
    case MessageState::accepted:
      ++stats_.accepted;
      break;
    case MessageState::rejected:
      ++stats_.rejected;
      break;
    case MessageState::expired:
      ++stats_.expired;
      break;
    case MessageState::queued:
    case MessageState::sending:
      break;
  }
  Action a{Action::Kind::finish, id, std::nullopt, std::move(*done), std::move(outcome)};
  out.push_back(std::move(a));
}

AckTracker::Actions AckTracker::on_ack(const wire::direct::Ack& ack, bool verified, Path via, UnixMs now) {
  Actions out;
  ++stats_.acks_received;
  const auto id = core::RequestId::from_array(ack.request_id);
  const auto* rec = outbox_.find(id);
  if (!rec || rec->sender != core::AgentId::from_array(ack.sender) ||
      rec->recipient != core::AgentId::from_array(ack.recipient)) {
    ++stats_.acks_invalid;  // not ours, or already finished (a repeated ack)
    return out;
  }
  auto attempt = attempts_.find(id);
  if (!verified) {
    ++stats_.acks_invalid;
    // On our own dm stream, the hosting daemon answers unauthenticated when
    // it could not check the envelope (expired, clock skew, ...): end the
    // attempt with its reason instead of waiting out the deadline. It
    // decides nothing about the message.
    if (via == Path::direct && attempt != attempts_.end() && attempt->second.stage == Path::direct &&
        attempt->second.sent && ack.outcome == wire::direct::Outcome::rejected) {
      return failed(id, PathFailure{Failure::refused, ack.reason}, now);
    }
    return out;
  }
  Action::Outcome outcome;
  if (attempt != attempts_.end()) {
    outcome.path = attempt->second.stage;
    if (attempt->second.stage == Path::direct && attempt->second.peer) breaker(*attempt->second.peer).on_success();
  } else {
    ++stats_.acks_late;  // its attempt timed out; the outcome stands
    outcome.path = via;
  }
  switch (ack.outcome) {
    case wire::direct::Outcome::accepted:
    case wire::direct::Outcome::duplicate:
      outcome.state = MessageState::accepted;
      outcome.seq = core::Seq{ack.seq};
      break;
    case wire::direct::Outcome::rejected:
      outcome.state = parse_reason_code(ack.reason) == error::expired ? MessageState::expired : MessageState::rejected;
      outcome.reason = ack.reason;
      break;
  }
  finish(id, std::move(outcome), out);
  return out;
}

void AckTracker::on_undecodable_ack() {
  ++stats_.acks_received;
  ++stats_.acks_invalid;
}

AckTracker::Reconnected AckTracker::peer_connected(const core::PeerId& peer, UnixMs now) {
  breakers_.erase(peer);
  const auto routed_here = [&](const store::OutboxRecord& r) { return route_(r.recipient).peer == peer; };
  Reconnected out;
  // Marks the entries in flight woken first: an attempt ended below is due again at once.
  out.woken = outbox_.wake(now, routed_here);
  std::vector<core::RequestId> superseded;
  for (const auto& [id, a] : attempts_) {
    if (a.stage == Path::direct || !a.sent || a.hint == PathHint::gossip || outbox_.confirming(id)) continue;
    if (const auto* rec = outbox_.find(id); rec && routed_here(*rec)) superseded.push_back(id);
  }
  for (const auto& id : superseded) {
    auto more = failed(id, PathFailure{Failure::superseded, {}}, now);
    out.actions.insert(out.actions.end(), std::make_move_iterator(more.begin()), std::make_move_iterator(more.end()));
  }
  out.woken += superseded.size();
  return out;
}

std::size_t AckTracker::new_addresses(const core::PeerId& peer, UnixMs now) {
  auto it = breakers_.find(peer);
  if (it == breakers_.end() || it->second.consecutive_failures() == 0) return 0;
  breakers_.erase(it);
  return outbox_.wake(now, [&](const store::OutboxRecord& r) { return route_(r.recipient).peer == peer; });
}

std::size_t AckTracker::recipient_reachable(const core::AgentId& recipient, UnixMs now) {
  return outbox_.wake(now, [&](const store::OutboxRecord& r) { return r.recipient == recipient; });
}

std::size_t AckTracker::mesh_reachable(UnixMs now) {
  return outbox_.wake(now, [](const store::OutboxRecord&) { return true; });
}

AckTracker::Actions AckTracker::channel_closed(const core::PeerId& peer, UnixMs now) {
  std::vector<core::RequestId> waiting;
  for (const auto& [id, a] : attempts_) {
    if (a.stage == Path::direct && a.peer == peer && a.sent) waiting.push_back(id);
  }
  Actions out;
  for (const auto& id : waiting) {
    auto more = failed(id, PathFailure{Failure::stream_closed, {}}, now);
    out.insert(out.end(), std::make_move_iterator(more.begin()), std::make_move_iterator(more.end()));
  }
  return out;
}

AckTracker::Actions AckTracker::reject(const core::RequestId& id, error reason) {
  Actions out;
  Action::Outcome outcome;
  outcome.state = MessageState::rejected;
  outcome.reason = std::string(reason_code(reason));
  finish(id, std::move(outcome), out);
  return out;
}

bool AckTracker::forget(const core::RequestId& id) {
  if (auto it = attempts_.find(id); it != attempts_.end()) {
    clear_deadline(id, it->second);
    attempts_.erase(it);
  }
  return outbox_.finish(id).has_value();
}

std::optional<Path> AckTracker::stage(const core::RequestId& id) const {
  auto it = attempts_.find(id);
  if (it == attempts_.end()) return std::nullopt;
  return it->second.stage;
}

std::vector<BreakerView> AckTracker::breakers(UnixMs now) const {
  std::vector<BreakerView> out;
  for (const auto& [peer, b] : breakers_) out.push_back({peer, b.state(breaker_time(now)), b.consecutive_failures()});
  return out;
}

}  // namespace agentmesh::direct
