#pragma once
// direct/outbox: the sender's transaction table for messages to agents on
// other daemons (issue 5, "Paths and the outbox"). Sans-I/O: the node feeds
// it the time and drives the attempts; tests use a manual clock.
//
// Each entry is a persisted store::OutboxRecord (the node commits it before
// the API answers) plus in-memory attempt state:
//
//   add() ──> waiting ──start_due()──> in flight ──succeed()/reject()──> gone
//               ^                          │
//               └──────── fail() ──────────┘  (next attempt after retry_delay)
//
// An entry whose expires_ms has passed and that is not in flight is returned
// once by take_expired() (the node moves it to dead letters). An in-flight
// attempt always ends through fail() or a final outcome first, so an ack that
// is on its way when the message expires is still taken.
//
// An entry that may have landed (an attempt's envelope went out and no answer
// came, or it was reloaded after attempts) is not expired at once: at its
// expiry it becomes due for one confirming attempt, which the recipient's
// daemon answers with the original outcome when it committed the message
// (direct/receiver.hpp), else with `expired`. When that attempt fails too,
// the next take_expired() returns it. So `expired` means "not delivered"
// whenever the recipient's daemon can be reached at the expiry.
//
// wake() makes waiting entries due at once (a peer reconnected: retry on the
// fresh connection instead of sitting out the backoff). An entry whose attempt
// is in flight then (say, waiting out its ack timeout on a path the outage
// broke) gets its next attempt at once when this one fails, not after the
// backoff its earlier failures earned (up to the cap, a minute).
//
// Thread safety: none; one instance per node executor.

#include <map>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "direct/retry.hpp"
#include "store/records.hpp"

namespace agentmesh::direct {

class Outbox {
 public:
  using UnixMs = core::UnixMs;

  explicit Outbox(RetryConfig retry = {}) : retry_(retry) {}

  // A new or reloaded message; due at record.next_attempt_ms. Replaces an
  // entry with the same request id unless that one is in flight (false then).
  bool add(store::OutboxRecord record);
  // Marks at most `limit` due waiting entries (next_attempt_ms <= now, not
  // expired) in flight, counting the attempt; the earliest first.
  std::vector<core::RequestId> start_due(UnixMs now, std::size_t limit);
  // The attempt failed with `why`: schedules the next one after
  // retry_delay(attempts) (`unit_random` in [0, 1)). `may_have_landed`: its
  // envelope went out unanswered (see above). Returns the record to persist,
  // or null for an unknown id.
  const store::OutboxRecord* fail(const core::RequestId& id, std::string why, UnixMs now, double unit_random,
                                  bool may_have_landed = false);
  // A final outcome (accepted, rejected, or expired by the recipient):
  // removes the entry and returns its record.
  std::optional<store::OutboxRecord> finish(const core::RequestId& id);
  // Waiting entries past their expiry, removed; those that may have landed
  // and had no confirming attempt yet become due for it instead.
  std::vector<store::OutboxRecord> take_expired(UnixMs now);
  // Whether the entry's current or next attempt is its confirming one.
  bool confirming(const core::RequestId& id) const;
  // Every waiting entry for which `pred` holds becomes due at `now` (the
  // count); one in flight retries at once if its attempt fails.
  template <class Pred>
  std::size_t wake(UnixMs now, Pred pred) {
    std::size_t n = 0;
    for (auto& [id, e] : entries_) {
      if ((!e.in_flight && e.record.next_attempt_ms <= now) || !pred(e.record)) continue;
      if (e.in_flight) {
        e.woken = true;
        continue;
      }
      reschedule(e, now);
      ++n;
    }
    return n;
  }

  const store::OutboxRecord* find(const core::RequestId& id) const;
  bool in_flight(const core::RequestId& id) const;
  // The earliest time something becomes due or expires, if anything waits.
  std::optional<UnixMs> next_wakeup() const;
  // The earliest expiry of a waiting entry.
  std::optional<UnixMs> next_expiry() const;
  // When the oldest entry (waiting or in flight) was created.
  std::optional<UnixMs> oldest_created() const;
  std::size_t size() const { return entries_.size(); }
  // Payload bytes held (the bodies of every entry), for the outbox's byte bound.
  std::size_t bytes() const { return bytes_; }
  std::size_t in_flight_count() const { return in_flight_; }
  const RetryConfig& retry() const { return retry_; }

 private:
  struct Entry {
    store::OutboxRecord record;
    bool in_flight = false;
    bool may_have_landed = false;
    bool confirming = false;  // expired; due for (or running) its confirming attempt
    bool woken = false;       // woken while in flight: a failure retries at once
  };
  void reschedule(Entry& e, UnixMs at);
  void unindex(const Entry& e);

  RetryConfig retry_;
  std::unordered_map<core::RequestId, Entry> entries_;
  // Waiting entries only (a confirming one is in due_ alone).
  std::set<std::pair<UnixMs, core::RequestId>> due_;
  std::set<std::pair<UnixMs, core::RequestId>> expiry_;
  // Every entry, by creation time.
  std::set<std::pair<UnixMs, core::RequestId>> created_;
  std::size_t in_flight_ = 0;
  std::size_t bytes_ = 0;
};

}  // namespace agentmesh::direct
