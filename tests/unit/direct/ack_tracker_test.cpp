#include "direct/ack_tracker.hpp"

#include <gtest/gtest.h>

#include <algorithm>

#include "core/clock.hpp"
#include "crypto/crypto.hpp"

namespace agentmesh::direct {
namespace {

using Kind = Action::Kind;

const core::PeerId kPeer = core::PeerId::from_ed25519(crypto::SigningKey::generate().public_key());

// A tracker driven by a manual clock; the route of every recipient is
// whatever `route` says.
class AckTrackerTest : public ::testing::Test {
 protected:
  AckTrackerTest()
      : tracker_(
            config(), [this](const core::AgentId&) { return route_; }, 1) {}

  static AckTrackerConfig config() {
    AckTrackerConfig c;
    c.retry.jitter = 0;  // exact times
    c.retry.initial = std::chrono::milliseconds(250);
    c.retry.attempt_timeout = std::chrono::milliseconds(5'000);
    c.breaker.failure_threshold = 2;
    c.breaker.open_for = std::chrono::milliseconds(30'000);
    return c;
  }
  core::UnixMs now() const { return clock_.now_ms(); }
  void advance(std::int64_t ms) { clock_.advance(std::chrono::milliseconds(ms)); }

  store::OutboxRecord add(std::string hint = {}, std::int64_t ttl_ms = 120'000) {
    store::OutboxRecord r;
    r.request_id = crypto::new_request_id();
    r.sender = sender_;
    r.recipient = recipient_;
    r.created_ms = now();
    r.expires_ms = now() + ttl_ms;
    r.next_attempt_ms = now();
    r.path = std::move(hint);
    r.content.body = "hello";
    EXPECT_TRUE(tracker_.add(r));
    return r;
  }
  wire::direct::Ack ack(const store::OutboxRecord& r, wire::direct::Outcome outcome, std::uint64_t seq = 0,
                        std::string reason = {}) const {
    wire::direct::Ack a;
    std::copy_n(r.request_id.span().begin(), 16, a.request_id.begin());
    std::copy_n(r.sender.span().begin(), 32, a.sender.begin());
    std::copy_n(r.recipient.span().begin(), 32, a.recipient.begin());
    a.outcome = outcome;
    a.seq = seq;
    a.reason = std::move(reason);
    return a;
  }
  // One attempt of `m` whose direct and gossip envelopes both go out and
  // get no ack; returns with the clock at the gossip path's ack deadline.
  void send_both_paths_unanswered(const store::OutboxRecord& m) {
    ASSERT_EQ(tracker_.tick(now())[0].kind, Kind::send_direct);
    tracker_.sent(m.request_id, now());
    advance(5'000);
    ASSERT_EQ(tracker_.tick(now())[0].kind, Kind::send_gossip);
    tracker_.sent(m.request_id, now());
    advance(5'000);
  }
  // The running attempt of `id` is on the direct path: its dial fails, and
  // the gossip path's envelope goes out.
  void dial_fails_then_gossip_sent(const core::RequestId& id) {
    const auto actions = tracker_.failed(id, PathFailure{Failure::dial_failed, "timed out"}, now());
    ASSERT_EQ(actions.size(), 1u);
    ASSERT_EQ(actions[0].kind, Kind::send_gossip);
    tracker_.sent(id, now());
  }
  // The actions finish the message as accepted with the recipient's `seq`.
  static void expect_accepted(const AckTracker::Actions& actions, std::uint64_t seq) {
    const auto done = find(actions, Kind::finish);
    ASSERT_TRUE(done);
    EXPECT_EQ(done->outcome.state, MessageState::accepted);
    EXPECT_EQ(done->outcome.seq.value, seq);
  }
  // A copy: the actions are often a temporary.
  static std::optional<Action> find(const AckTracker::Actions& actions, Kind kind) {
    for (const auto& a : actions) {
      if (a.kind == kind) return a;
    }
    return std::nullopt;
  }

  core::ManualClock clock_;
  Route route_{kPeer, true};
  core::AgentId sender_ = crypto::SigningKey::generate().agent_id();
  core::AgentId recipient_ = crypto::SigningKey::generate().agent_id();
  AckTracker tracker_;
};

TEST_F(AckTrackerTest, DirectAttemptThenVerifiedAckFinishesAccepted) {
  auto m = add();
  auto actions = tracker_.tick(now());
  ASSERT_EQ(actions.size(), 1u);
  EXPECT_EQ(actions[0].kind, Kind::send_direct);
  EXPECT_EQ(actions[0].peer, kPeer);
  EXPECT_EQ(tracker_.stage(m.request_id), Path::direct);
  tracker_.sent(m.request_id, now());
  EXPECT_EQ(tracker_.next_wakeup(), now() + 5'000);  // the ack deadline
  advance(40);
  actions = tracker_.on_ack(ack(m, wire::direct::Outcome::accepted, 7), true, Path::direct, now());
  const auto done = find(actions, Kind::finish);
  ASSERT_TRUE(done);
  EXPECT_EQ(done->outcome.state, MessageState::accepted);
  EXPECT_EQ(done->outcome.seq.value, 7u);
  EXPECT_EQ(done->outcome.path, Path::direct);
  EXPECT_EQ(done->record.content.body, "hello");  // kept for a dead letter (none here)
  EXPECT_EQ(tracker_.size(), 0u);
  EXPECT_FALSE(tracker_.next_wakeup());
  EXPECT_EQ(tracker_.stats().accepted, 1u);
}

TEST_F(AckTrackerTest, TimeoutFallsBackToGossipThenFailsWithBackoff) {
  auto m = add();
  ASSERT_EQ(tracker_.tick(now())[0].kind, Kind::send_direct);
  tracker_.sent(m.request_id, now());
  advance(4'999);
  EXPECT_TRUE(tracker_.tick(now()).empty());  // the deadline is exact
  advance(1);
  auto actions = tracker_.tick(now());
  ASSERT_EQ(actions.size(), 1u);
  EXPECT_EQ(actions[0].kind, Kind::send_gossip);
  tracker_.sent(m.request_id, now());
  advance(5'000);
  actions = tracker_.tick(now());
  const auto persist = find(actions, Kind::persist);
  ASSERT_TRUE(persist);
  EXPECT_EQ(persist->record.last_error, "timeout; gossip: timeout");
  EXPECT_EQ(persist->record.next_attempt_ms, now() + 250);  // the first retry's backoff
  EXPECT_EQ(persist->record.attempts, 1u);
  EXPECT_EQ(tracker_.stats().failures_by_reason.at(Failure::timeout), 1u);
  advance(249);
  EXPECT_TRUE(tracker_.tick(now()).empty());
  advance(1);
  EXPECT_EQ(tracker_.tick(now())[0].kind, Kind::send_direct);  // the second attempt
  EXPECT_EQ(tracker_.find(m.request_id)->attempts, 2u);
}

// A peer that never answers the dial (behind NAT): the attempt does not wait
// out the TCP connect; after connect_timeout it takes the gossip path.
TEST_F(AckTrackerTest, ADirectPathThatCannotConnectInTimeMovesToGossip) {
  auto m = add();
  ASSERT_EQ(tracker_.tick(now())[0].kind, Kind::send_direct);
  EXPECT_EQ(tracker_.next_wakeup(), now() + 3'000);
  advance(2'999);
  EXPECT_TRUE(tracker_.tick(now()).empty());
  advance(1);
  auto actions = tracker_.tick(now());
  ASSERT_EQ(actions.size(), 1u);
  EXPECT_EQ(actions[0].kind, Kind::send_gossip);
  EXPECT_EQ(tracker_.stage(m.request_id), Path::gossip);
  tracker_.sent(m.request_id, now());
  EXPECT_EQ(tracker_.next_wakeup(), now() + 5'000);  // the gossip path's ack deadline
  advance(5'000);
  const auto persist = find(tracker_.tick(now()), Kind::persist);
  ASSERT_TRUE(persist);
  EXPECT_EQ(persist->record.last_error, "timeout: not connected within 3000 ms; gossip: timeout");
}

TEST_F(AckTrackerTest, ExpiryWhileWaitingFinishesExpiredWithTheLastError) {
  auto m = add({}, 10'000);
  ASSERT_EQ(tracker_.tick(now())[0].kind, Kind::send_direct);
  (void)tracker_.failed(m.request_id, PathFailure{Failure::dial_failed, "connection refused"}, now());
  auto failed = tracker_.failed(m.request_id, PathFailure{Failure::no_route, {}}, now());
  ASSERT_TRUE(find(failed, Kind::persist));
  EXPECT_EQ(find(failed, Kind::persist)->record.last_error, "dial_failed: connection refused; gossip: no_route");
  advance(10'000);
  auto actions = tracker_.tick(now());
  const auto done = find(actions, Kind::finish);
  ASSERT_TRUE(done);
  EXPECT_EQ(done->outcome.state, MessageState::expired);
  EXPECT_EQ(done->outcome.reason, "dial_failed: connection refused; gossip: no_route");
  EXPECT_EQ(tracker_.stats().expired, 1u);
}

TEST_F(AckTrackerTest, AnInFlightAttemptIsNotExpiredUntilItEnds) {
  auto m = add({}, 1'000);
  ASSERT_EQ(tracker_.tick(now())[0].kind, Kind::send_direct);
  tracker_.sent(m.request_id, now());
  advance(1'000);
  EXPECT_FALSE(find(tracker_.tick(now()), Kind::finish));  // the ack may be on its way
  auto late = tracker_.on_ack(ack(m, wire::direct::Outcome::accepted, 3), true, Path::direct, now());
  ASSERT_TRUE(find(late, Kind::finish));
  EXPECT_EQ(find(late, Kind::finish)->outcome.state, MessageState::accepted);
}

// An attempt that went out and timed out may have been committed with its
// ack lost: at the expiry one confirming attempt asks again, and the
// recipient's answer (here: a duplicate of what it committed) decides.
TEST_F(AckTrackerTest, AtExpiryAMessageThatMayHaveLandedIsConfirmedOnce) {
  auto m = add({}, 10'000);
  send_both_paths_unanswered(m);
  // The attempt timed out as the message expired: the confirming attempt starts at once.
  auto actions = tracker_.tick(now());
  EXPECT_TRUE(find(actions, Kind::persist));
  EXPECT_FALSE(find(actions, Kind::finish));
  ASSERT_TRUE(find(actions, Kind::send_direct));
  EXPECT_EQ(tracker_.stats().confirming_attempts, 1u);
  tracker_.sent(m.request_id, now());
  advance(30);
  expect_accepted(tracker_.on_ack(ack(m, wire::direct::Outcome::duplicate, 9), true, Path::direct, now()), 9);
  EXPECT_EQ(tracker_.stats().expired, 0u);

  // A confirming attempt that gets no answer: expired, with its error.
  auto lost = add({}, 10'000);
  ASSERT_EQ(tracker_.tick(now())[0].kind, Kind::send_direct);
  tracker_.sent(lost.request_id, now());
  advance(10'000);
  (void)tracker_.channel_closed(kPeer, now());  // direct failed after sending; gossip comes next
  tracker_.sent(lost.request_id, now());
  advance(5'000);
  ASSERT_TRUE(find(tracker_.tick(now()), Kind::send_direct));  // the confirming attempt
  EXPECT_EQ(tracker_.stats().confirming_attempts, 2u);
  (void)tracker_.failed(lost.request_id, PathFailure{Failure::dial_failed, "connection refused"}, now());
  (void)tracker_.failed(lost.request_id, PathFailure{Failure::no_route, {}}, now());
  const auto gone = find(tracker_.tick(now()), Kind::finish);
  ASSERT_TRUE(gone);
  EXPECT_EQ(gone->outcome.state, MessageState::expired);
  EXPECT_EQ(gone->outcome.reason, "dial_failed: connection refused; gossip: no_route");
  EXPECT_EQ(tracker_.size(), 0u);
}

TEST_F(AckTrackerTest, UnverifiedAcksDecideNothing) {
  auto m = add();
  ASSERT_EQ(tracker_.tick(now())[0].kind, Kind::send_direct);
  tracker_.sent(m.request_id, now());
  // A forged "accepted" (no valid MAC) on the gossip inbox: ignored, counted.
  EXPECT_TRUE(tracker_.on_ack(ack(m, wire::direct::Outcome::accepted, 1), false, Path::gossip, now()).empty());
  EXPECT_EQ(tracker_.stats().acks_invalid, 1u);
  EXPECT_TRUE(tracker_.in_flight(m.request_id));
  // The hosting daemon's unauthenticated rejection on our own stream ends the
  // direct path early with its reason; the message goes on.
  auto actions =
      tracker_.on_ack(ack(m, wire::direct::Outcome::rejected, 0, "clock_skew"), false, Path::direct, now());
  ASSERT_TRUE(find(actions, Kind::send_gossip));
  tracker_.sent(m.request_id, now());
  advance(5'000);
  auto persist = find(tracker_.tick(now()), Kind::persist);
  ASSERT_TRUE(persist);
  EXPECT_EQ(persist->record.last_error, "clock_skew; gossip: timeout");
}

TEST_F(AckTrackerTest, VerifiedRejectionsFinishAsRejectedOrExpired) {
  auto blocked = add();
  auto expired = add();
  for (auto& a : tracker_.tick(now())) tracker_.sent(a.id, now());
  auto r1 = tracker_.on_ack(ack(blocked, wire::direct::Outcome::rejected, 0, "blocked"), true, Path::direct, now());
  ASSERT_TRUE(find(r1, Kind::finish));
  EXPECT_EQ(find(r1, Kind::finish)->outcome.state, MessageState::rejected);
  EXPECT_EQ(find(r1, Kind::finish)->outcome.reason, "blocked");
  auto r2 = tracker_.on_ack(ack(expired, wire::direct::Outcome::rejected, 0, "expired"), true, Path::gossip, now());
  EXPECT_EQ(find(r2, Kind::finish)->outcome.state, MessageState::expired);
  // A repeated ack finds nothing.
  EXPECT_TRUE(
      tracker_.on_ack(ack(blocked, wire::direct::Outcome::rejected, 0, "blocked"), true, Path::direct, now()).empty());
}

TEST_F(AckTrackerTest, ALateAckAfterTheAttemptTimedOutStillFinishes) {
  auto m = add();
  send_both_paths_unanswered(m);
  ASSERT_TRUE(find(tracker_.tick(now()), Kind::persist));  // waiting for its retry now
  auto actions = tracker_.on_ack(ack(m, wire::direct::Outcome::duplicate, 9), true, Path::gossip, now());
  const auto done = find(actions, Kind::finish);
  ASSERT_TRUE(done);
  EXPECT_EQ(done->outcome.seq.value, 9u);
  EXPECT_EQ(done->outcome.path, Path::gossip);
  EXPECT_EQ(tracker_.stats().acks_late, 1u);
  EXPECT_FALSE(tracker_.next_wakeup());
}

TEST_F(AckTrackerTest, PathHintsAndRoutes) {
  auto gossip_only = add("gossip");
  auto actions = tracker_.tick(now());
  ASSERT_EQ(actions.size(), 1u);
  EXPECT_EQ(actions[0].kind, Kind::send_gossip);
  EXPECT_EQ(actions[0].id, gossip_only.request_id);
  // Direct only, and the recipient unknown to the directory: fails at once.
  route_ = Route{};
  auto direct_only = add("direct");
  auto persist = find(tracker_.tick(now()), Kind::persist);
  ASSERT_TRUE(persist);
  EXPECT_EQ(persist->record.last_error, "recipient_not_in_directory");
  EXPECT_EQ(persist->record.path, "direct");  // the hint stays in the row
  // Known, but hosted by this daemon (no other peer): no route.
  route_ = Route{std::nullopt, true};
  advance(250);
  persist = find(tracker_.tick(now()), Kind::persist);
  ASSERT_TRUE(persist);
  EXPECT_EQ(persist->record.last_error, "no_route");
  (void)direct_only;
}

TEST_F(AckTrackerTest, TheBreakerOpensAfterFailuresAndAConnectionResetsIt) {
  auto m = add();
  for (int i = 0; i < 2; ++i) {  // failure_threshold = 2
    auto actions = tracker_.tick(now());
    ASSERT_EQ(actions[0].kind, Kind::send_direct) << i;
    (void)tracker_.failed(m.request_id, PathFailure{Failure::dial_failed, "refused"}, now());
    auto persist = tracker_.failed(m.request_id, PathFailure{Failure::no_route, {}}, now());
    ASSERT_TRUE(find(persist, Kind::persist));
    clock_.advance(std::chrono::milliseconds(find(persist, Kind::persist)->record.next_attempt_ms - now()));
  }
  auto actions = tracker_.tick(now());
  ASSERT_EQ(actions.size(), 1u);
  EXPECT_EQ(actions[0].kind, Kind::send_gossip);  // the breaker is open: straight to gossip
  ASSERT_EQ(tracker_.breakers(now()).size(), 1u);
  EXPECT_EQ(tracker_.breakers(now())[0].state, CircuitBreaker::State::open);
  auto persist = tracker_.failed(m.request_id, PathFailure{Failure::no_route, {}}, now());
  EXPECT_EQ(find(persist, Kind::persist)->record.last_error, "circuit_open; gossip: no_route");
  // A fresh connection to the peer: the breaker goes and the message is due now.
  EXPECT_EQ(tracker_.peer_connected(kPeer, now()).woken, 1u);
  EXPECT_TRUE(tracker_.breakers(now()).empty());
  EXPECT_EQ(tracker_.tick(now())[0].kind, Kind::send_direct);
}

TEST_F(AckTrackerTest, AConnectionToTheRecipientsDaemonEndsItsGossipAttemptAndRetriesDirectAtOnce) {
  // m: the dial failed, its gossip envelope is out and waits for its ack.
  auto m = add();
  ASSERT_EQ(tracker_.tick(now())[0].kind, Kind::send_direct);
  ASSERT_NO_FATAL_FAILURE(dial_fails_then_gossip_sent(m.request_id));
  // g: gossip only, by its sender's hint, out the same way.
  auto g = add("gossip");
  auto actions = tracker_.tick(now());
  ASSERT_EQ(actions.size(), 1u);
  ASSERT_EQ(actions[0].kind, Kind::send_gossip);
  tracker_.sent(g.request_id, now());
  advance(1'000);

  // Another daemon connecting ends nothing.
  const auto other = core::PeerId::from_ed25519(crypto::SigningKey::generate().public_key());
  auto r = tracker_.peer_connected(other, now());
  EXPECT_EQ(r.woken, 0u);
  EXPECT_TRUE(r.actions.empty());
  EXPECT_EQ(tracker_.stage(m.request_id), Path::gossip);

  // The recipient's daemon connects: m's attempt ends now, 4 s before its ack
  // deadline, and the next one is due at once; g keeps its gossip attempt.
  r = tracker_.peer_connected(kPeer, now());
  EXPECT_EQ(r.woken, 1u);
  ASSERT_EQ(r.actions.size(), 1u);
  EXPECT_EQ(r.actions[0].kind, Kind::persist);
  EXPECT_EQ(r.actions[0].id, m.request_id);
  EXPECT_EQ(r.actions[0].record.next_attempt_ms, now());
  EXPECT_EQ(r.actions[0].record.last_error, "dial_failed: timed out; gossip: superseded");
  EXPECT_EQ(tracker_.stage(g.request_id), Path::gossip);
  actions = tracker_.tick(now());
  ASSERT_EQ(actions.size(), 1u);
  EXPECT_EQ(actions[0].kind, Kind::send_direct);
  EXPECT_EQ(actions[0].id, m.request_id);
  EXPECT_EQ(tracker_.find(m.request_id)->attempts, 2u);
  tracker_.sent(m.request_id, now());

  // The gossip copy's ack may still come first: it decides (the receiver
  // committed that copy), and the direct copy's `duplicate` is then no news.
  advance(20);
  expect_accepted(tracker_.on_ack(ack(m, wire::direct::Outcome::accepted, 4), true, Path::gossip, now()), 4);
  EXPECT_TRUE(tracker_.on_ack(ack(m, wire::direct::Outcome::duplicate, 4), true, Path::direct, now()).empty());
  EXPECT_EQ(tracker_.stats().accepted, 1u);
}

TEST_F(AckTrackerTest, AConnectionDoesNotEndAConfirmingAttempt) {
  auto m = add({}, 10'000);
  send_both_paths_unanswered(m);  // expired meanwhile, and may have landed
  ASSERT_TRUE(find(tracker_.tick(now()), Kind::send_direct));  // the confirming attempt
  ASSERT_EQ(tracker_.stats().confirming_attempts, 1u);
  ASSERT_NO_FATAL_FAILURE(dial_fails_then_gossip_sent(m.request_id));
  // Ended early, it would be the message's last attempt: it keeps its ack deadline.
  const auto r = tracker_.peer_connected(kPeer, now());
  EXPECT_TRUE(r.actions.empty());
  EXPECT_EQ(tracker_.stage(m.request_id), Path::gossip);
  advance(20);
  expect_accepted(tracker_.on_ack(ack(m, wire::direct::Outcome::duplicate, 2), true, Path::gossip, now()), 2);
}

TEST_F(AckTrackerTest, AClosedStreamFailsTheAttemptsWaitingOnIt) {
  auto a = add();
  auto b = add();
  for (auto& act : tracker_.tick(now())) {
    if (act.id == a.request_id) tracker_.sent(act.id, now());  // b is still being opened
  }
  auto actions = tracker_.channel_closed(kPeer, now());
  ASSERT_EQ(actions.size(), 1u);
  EXPECT_EQ(actions[0].kind, Kind::send_gossip);
  EXPECT_EQ(actions[0].id, a.request_id);
  EXPECT_EQ(tracker_.stage(b.request_id), Path::direct);
}

TEST_F(AckTrackerTest, AttemptsInFlightAreBounded) {
  AckTrackerConfig c = config();
  c.max_in_flight = 2;
  AckTracker small(
      c, [this](const core::AgentId&) { return route_; }, 1);
  std::vector<core::RequestId> ids;
  for (int i = 0; i < 3; ++i) {
    store::OutboxRecord r;
    r.request_id = crypto::new_request_id();
    r.sender = sender_;
    r.recipient = recipient_;
    r.expires_ms = now() + 60'000;
    r.next_attempt_ms = now();
    small.add(r);
    ids.push_back(r.request_id);
  }
  auto started = small.tick(now());
  ASSERT_EQ(started.size(), 2u);
  // A slot, not the due time, frees the third: the next wakeup is the
  // running attempts' connect deadline.
  EXPECT_EQ(small.next_wakeup(), now() + 3'000);
  // Finishing one of the two attempts in flight frees a slot for the third.
  auto finish = small.reject(started[0].id, error::sender_deleted);
  ASSERT_TRUE(find(finish, Kind::finish));
  EXPECT_EQ(find(finish, Kind::finish)->outcome.reason, "sender_deleted");
  auto third = small.tick(now());
  ASSERT_EQ(third.size(), 1u);
  EXPECT_NE(third[0].id, started[0].id);
  EXPECT_NE(third[0].id, started[1].id);
  EXPECT_NE(std::find(ids.begin(), ids.end(), third[0].id), ids.end());
}

TEST_F(AckTrackerTest, ARouteAppearingWakesItsMessages) {
  auto m = add("gossip");
  ASSERT_EQ(tracker_.tick(now())[0].kind, Kind::send_gossip);
  auto persist = tracker_.failed(m.request_id, PathFailure{Failure::no_route, {}}, now());
  ASSERT_TRUE(find(persist, Kind::persist));
  EXPECT_GT(tracker_.find(m.request_id)->next_attempt_ms, now());
  EXPECT_EQ(tracker_.recipient_reachable(recipient_, now()), 1u);
  EXPECT_EQ(tracker_.tick(now())[0].kind, Kind::send_gossip);
}

// A gossip attempt that went out on the relay topic (no neighbour carries the
// recipient's inbox) reports the relay as its path, and the first relay
// subscriber wakes every waiting message.
TEST_F(AckTrackerTest, AGossipAttemptOnTheRelayTopicReportsTheRelayPath) {
  auto m = add("gossip");
  ASSERT_EQ(tracker_.tick(now())[0].kind, Kind::send_gossip);
  auto persist = tracker_.failed(m.request_id, PathFailure{Failure::no_route, {}}, now());
  ASSERT_TRUE(find(persist, Kind::persist));
  EXPECT_EQ(tracker_.mesh_reachable(now()), 1u);
  ASSERT_EQ(tracker_.tick(now())[0].kind, Kind::send_gossip);
  tracker_.sent(m.request_id, now(), true);
  EXPECT_EQ(tracker_.stage(m.request_id), Path::gossip_relay);
  EXPECT_EQ(tracker_.stats().attempts_gossip, 2u);
  EXPECT_EQ(tracker_.stats().attempts_relay, 1u);
  advance(300);
  auto actions = tracker_.on_ack(ack(m, wire::direct::Outcome::accepted, 4), true, Path::gossip_relay, now());
  const auto done = find(actions, Kind::finish);
  ASSERT_TRUE(done);
  EXPECT_EQ(done->outcome.path, Path::gossip_relay);
  EXPECT_EQ(to_string(*done->outcome.path), "gossip_relay");
  EXPECT_EQ(parse_path("gossip_relay"), Path::gossip_relay);
}

}  // namespace
}  // namespace agentmesh::direct
