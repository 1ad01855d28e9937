#include "direct/outbox.hpp"

#include <gtest/gtest.h>

#include "crypto/crypto.hpp"

namespace agentmesh::direct {
namespace {

store::OutboxRecord message(core::UnixMs next, core::UnixMs expires) {
  store::OutboxRecord r;
  r.request_id = crypto::new_request_id();
  r.next_attempt_ms = next;
  r.expires_ms = expires;
  return r;
}

RetryConfig no_jitter() {
  RetryConfig c;
  c.jitter = 0;
  return c;
}

TEST(OutboxTest, StartsDueEntriesEarliestFirstAndCountsAttempts) {
  Outbox box(no_jitter());
  auto late = message(200, 10'000);
  auto early = message(100, 10'000);
  box.add(late);
  box.add(early);
  EXPECT_TRUE(box.start_due(99, 10).empty());
  EXPECT_EQ(box.next_wakeup(), 100);
  auto started = box.start_due(300, 10);
  ASSERT_EQ(started.size(), 2u);
  EXPECT_EQ(started[0], early.request_id);
  EXPECT_EQ(box.find(early.request_id)->attempts, 1u);
  EXPECT_EQ(box.in_flight_count(), 2u);
  EXPECT_FALSE(box.next_wakeup());  // nothing waits while both are in flight
  EXPECT_TRUE(box.start_due(300, 10).empty());
}

TEST(OutboxTest, FailureSchedulesTheRetryWithBackoff) {
  Outbox box(no_jitter());
  auto m = message(0, 100'000);
  box.add(m);
  ASSERT_EQ(box.start_due(0, 1).size(), 1u);
  const auto* rec = box.fail(m.request_id, "timeout", 1'000, 0.5);
  ASSERT_TRUE(rec);
  EXPECT_EQ(rec->last_error, "timeout");
  EXPECT_EQ(rec->next_attempt_ms, 1'000 + 250);  // the first retry waits `initial`
  EXPECT_FALSE(box.in_flight(m.request_id));
  ASSERT_EQ(box.start_due(1'250, 1).size(), 1u);
  rec = box.fail(m.request_id, "no_route", 2'000, 0.5);
  EXPECT_EQ(rec->next_attempt_ms, 2'000 + 500);  // doubled
  EXPECT_EQ(rec->attempts, 2u);
}

TEST(OutboxTest, WakeMakesWaitingEntriesDueAtOnce) {
  Outbox box(no_jitter());
  auto a = message(50'000, 100'000);
  auto b = message(50'000, 100'000);
  box.add(a);
  box.add(b);
  EXPECT_EQ(box.wake(10, [&](const store::OutboxRecord& r) { return r.request_id == a.request_id; }), 1u);
  auto started = box.start_due(10, 10);
  ASSERT_EQ(started.size(), 1u);
  EXPECT_EQ(started[0], a.request_id);
}

// Woken while its attempt is in flight (the peer came back while the
// attempt waited out a path the outage broke): when that attempt fails, the
// next one is due at once, not after the backoff; only once per wake.
TEST(OutboxTest, AnEntryWokenInFlightRetriesAtOnceWhenItsAttemptFails) {
  Outbox box(no_jitter());
  auto m = message(0, 1'000'000);
  box.add(m);
  for (core::UnixMs t : {0, 10'000, 20'000, 30'000}) {  // four failures: the next retry would wait 2 s
    ASSERT_EQ(box.start_due(t, 1).size(), 1u);
    box.fail(m.request_id, "timeout", t + 5'000, 0.5);
  }
  ASSERT_EQ(box.start_due(40'000, 1).size(), 1u);
  EXPECT_EQ(box.wake(41'000, [](const store::OutboxRecord&) { return true; }), 0u);  // none waiting
  auto* rec = box.fail(m.request_id, "timeout", 45'000, 0.5);
  EXPECT_EQ(rec->next_attempt_ms, 45'000);
  ASSERT_EQ(box.start_due(45'000, 1).size(), 1u);
  rec = box.fail(m.request_id, "timeout", 50'000, 0.5);
  EXPECT_EQ(rec->next_attempt_ms, 50'000 + 8'000);  // the backoff again: 250 ms doubled five times
  // A wake that does not match leaves it alone.
  ASSERT_EQ(box.start_due(58'000, 1).size(), 1u);
  box.wake(59'000, [](const store::OutboxRecord&) { return false; });
  rec = box.fail(m.request_id, "timeout", 60'000, 0.5);
  EXPECT_EQ(rec->next_attempt_ms, 60'000 + 16'000);
}

TEST(OutboxTest, ExpiresOnlyWaitingEntries) {
  Outbox box(no_jitter());
  auto waiting = message(0, 1'000);
  auto flying = message(0, 1'000);
  box.add(waiting);
  box.add(flying);
  ASSERT_EQ(box.start_due(0, 10).size(), 2u);
  box.fail(waiting.request_id, "timeout", 500, 0);
  EXPECT_EQ(box.next_wakeup(), 750);  // the retry, before the expiry at 1000
  auto expired = box.take_expired(1'000);
  ASSERT_EQ(expired.size(), 1u);  // the in-flight one waits for its attempt's outcome
  EXPECT_EQ(expired[0].request_id, waiting.request_id);
  EXPECT_EQ(expired[0].last_error, "timeout");
  EXPECT_TRUE(box.start_due(2'000, 10).empty());
  // Its attempt fails after expiry: it is taken on the next pass, never started again.
  box.fail(flying.request_id, "timeout", 2'000, 0);
  EXPECT_TRUE(box.start_due(5'000, 10).empty());
  EXPECT_EQ(box.take_expired(5'000).size(), 1u);
  EXPECT_EQ(box.size(), 0u);
}

// An entry whose attempt went out unanswered may have landed: at its expiry
// it gets one confirming attempt instead of expiring; when that fails too,
// it expires. A reloaded entry that had attempts counts as one.
TEST(OutboxTest, AnEntryThatMayHaveLandedGetsOneConfirmingAttemptAtItsExpiry) {
  Outbox box(no_jitter());
  auto m = message(0, 1'000);
  box.add(m);
  ASSERT_EQ(box.start_due(0, 1).size(), 1u);
  box.fail(m.request_id, "timeout", 900, 0, true);
  EXPECT_FALSE(box.confirming(m.request_id));
  EXPECT_TRUE(box.take_expired(1'000).empty());
  EXPECT_TRUE(box.confirming(m.request_id));
  EXPECT_EQ(box.next_wakeup(), 1'000);
  ASSERT_EQ(box.start_due(1'000, 1).size(), 1u);  // past its expiry: the confirming attempt
  EXPECT_EQ(box.find(m.request_id)->attempts, 2u);
  EXPECT_TRUE(box.take_expired(6'000).empty());  // in flight
  box.fail(m.request_id, "timeout", 6'000, 0, true);
  EXPECT_TRUE(box.start_due(10'000, 1).empty());  // one confirming attempt only
  auto expired = box.take_expired(6'000);
  ASSERT_EQ(expired.size(), 1u);
  EXPECT_EQ(expired[0].last_error, "timeout");
  EXPECT_EQ(box.size(), 0u);

  auto reloaded = message(0, 1'000);
  reloaded.attempts = 3;
  box.add(reloaded);
  EXPECT_TRUE(box.take_expired(1'000).empty());
  EXPECT_TRUE(box.confirming(reloaded.request_id));
  auto fresh = message(0, 1'000);  // never tried: nothing can have landed
  box.add(fresh);
  ASSERT_EQ(box.take_expired(1'000).size(), 1u);
}

TEST(OutboxTest, FinishRemovesAndAddRefusesToReplaceAnAttemptInFlight) {
  Outbox box(no_jitter());
  auto m = message(0, 1'000);
  box.add(m);
  ASSERT_EQ(box.start_due(0, 1).size(), 1u);
  EXPECT_FALSE(box.add(m));
  EXPECT_EQ(box.bytes(), 0u);
  auto big = message(0, 1'000);
  big.content.body = std::string(100, 'x');
  box.add(big);
  EXPECT_EQ(box.bytes(), 100u);
  box.add(big);  // replaced, not counted twice
  EXPECT_EQ(box.bytes(), 100u);
  EXPECT_EQ(box.take_expired(1'000).size(), 1u);
  EXPECT_EQ(box.bytes(), 0u);
  auto done = box.finish(m.request_id);
  ASSERT_TRUE(done);
  EXPECT_EQ(done->request_id, m.request_id);
  EXPECT_EQ(box.size(), 0u);
  EXPECT_EQ(box.in_flight_count(), 0u);
  EXPECT_FALSE(box.finish(m.request_id));
  EXPECT_FALSE(box.fail(m.request_id, "x", 0, 0));
}

}  // namespace
}  // namespace agentmesh::direct
