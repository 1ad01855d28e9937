#pragma once
// direct/ack_tracker: the sending side of direct messages to agents on other
// daemons, as one sans-I/O state machine. It owns the Outbox (due times,
// retries with backoff, expiry), the attempts in progress with their ack
// deadlines, and a circuit breaker per peer. The node's direct service feeds
// it the time and what happened on the network, and performs the Actions it
// returns; tests drive it with a manual clock and no sockets.
//
// One attempt of one message:
//
//   due ─> direct path allowed (hint), the recipient's daemon known (RouteFn)
//   │      and its breaker closed?
//   │        yes ─> Action send_direct(peer) ─ the envelope goes on that
//   │               peer's dm stream once it is open (within
//   │               connect_timeout, else a timeout); sent() starts the ack
//   │               deadline
//   │               failed() / deadline passed ─┐
//   │        no ────────────────────────────────┤ (the reason is kept)
//   │                                           v
//   │      gossip allowed (hint)? ─> Action send_gossip ─ published on the
//   │               recipient's inbox topic, or, when no neighbour carries
//   │               it, on the mesh-wide relay topic (stage gossip_relay);
//   │               sent() starts the deadline
//   │               failed() / deadline passed ─┐
//   │                                           v
//   │      the attempt failed: Action persist (the next attempt after
//   │      retry_delay(attempts), its error in last_error)
//   │
//   a verified ack, at any time ─> Action finish: accepted (with the
//       recipient's seq), rejected or expired (the recipient's reason)
//   expiry while no attempt runs ─> Action finish: expired, unless an
//       earlier attempt may have landed (its envelope went out and no ack
//       came): then one confirming attempt first, which the recipient's
//       daemon answers with the message's original outcome or `expired`;
//       when it fails too, Action finish: expired
//
// An unverified ack proves nothing: it only ends the current attempt early
// when it is a rejection that came on our own dm stream (the recipient's
// daemon could not check the envelope; its reason becomes the failure). A
// verified ack after the attempt timed out still finishes the message (a late
// ack; the outcome stands).
//
// Time is wall time in Unix milliseconds throughout (the outbox's due and
// expiry times are persisted in it).
//
// Threading: none; one instance per node executor.

#include <functional>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <unordered_map>
#include <vector>

#include "core/peer_id.hpp"
#include "direct/outbox.hpp"
#include "direct/retry.hpp"
#include "direct/states.hpp"
#include "wire/direct.hpp"

namespace agentmesh::direct {

struct AckTrackerConfig {
  static constexpr std::size_t kDefaultMaxInFlight = 4096;
  // Backoff between attempts, and the ack deadline of each path.
  RetryConfig retry;
  // Per-peer circuit breaker of the direct path.
  CircuitBreakerConfig breaker;
  // Attempts running at once; more due messages wait for the next tick.
  std::size_t max_in_flight = kDefaultMaxInFlight;
};

// Where the recipient's daemon is, as the directory knows it.
struct Route {
  // The hosting daemon, when it is another daemon we know.
  std::optional<core::PeerId> peer;
  // The recipient is in the directory (hosted by `peer`, or by this daemon).
  bool in_directory = false;
};
using RouteFn = std::function<Route(const core::AgentId& recipient)>;

struct Action {
  enum class Kind {
    // Seal the message and write it on the dm stream to `peer`; then call
    // sent() or failed().
    send_direct,
    // Seal it and publish it on the recipient's inbox topic (or the relay
    // topic); then call sent() or failed().
    send_gossip,
    // The message is done: record `outcome` (its row, and a dead letter
    // unless accepted) and wake whoever waits for it.
    finish,
    // An attempt failed: store `record` (attempts, next attempt, last error).
    persist,
  };
  struct Outcome {
    MessageState state = MessageState::accepted;
    std::optional<Path> path;  // the path the deciding ack came on
    core::Seq seq;             // accepted: the recipient's inbox seq
    std::string reason;        // rejected, expired: why
  };

  Kind kind;
  core::RequestId id;
  std::optional<core::PeerId> peer;  // send_direct
  store::OutboxRecord record;        // finish (content kept, for the dead letter), persist
  Outcome outcome;                   // finish
};

// Counters of the sending side (GET /v1/diagnostics/direct, /metrics).
struct SenderStats {
  std::uint64_t queued = 0;
  std::uint64_t attempts_direct = 0;
  std::uint64_t attempts_gossip = 0;
  std::uint64_t attempts_relay = 0;  // of attempts_gossip: published on the relay topic
  std::uint64_t attempt_failures = 0;
  std::map<Failure, std::uint64_t> failures_by_reason;  // by the attempt's primary failure
  std::uint64_t accepted = 0;
  std::uint64_t rejected = 0;
  std::uint64_t expired = 0;
  std::uint64_t acks_received = 0;
  std::uint64_t acks_invalid = 0;  // undecodable, unauthenticated, or for no message of ours
  std::uint64_t acks_late = 0;     // verified, after its attempt had ended
  std::uint64_t confirming_attempts = 0;  // made at expiry, for a message that may have landed
};

struct BreakerView {
  core::PeerId peer;
  CircuitBreaker::State state;
  std::uint32_t consecutive_failures;
};

class AckTracker {
 public:
  using UnixMs = core::UnixMs;
  using Actions = std::vector<Action>;

  // `route` is asked when an attempt starts and when a peer connects.
  // `seed` seeds the jitter of the retry schedule.
  AckTracker(AckTrackerConfig config, RouteFn route, std::uint64_t seed);

  // --- the outbox ---
  // A new message, or one reloaded at start (due at next_attempt_ms; its
  // path column holds the sender's PathHint). False when the id is in flight.
  bool add(store::OutboxRecord record);
  const store::OutboxRecord* find(const core::RequestId& id) const { return outbox_.find(id); }
  // Whether an attempt of this message is running.
  bool in_flight(const core::RequestId& id) const { return outbox_.in_flight(id); }
  std::size_t size() const { return outbox_.size(); }
  std::size_t bytes() const { return outbox_.bytes(); }
  std::size_t in_flight_count() const { return outbox_.in_flight_count(); }
  // When the oldest message still in the outbox was created.
  std::optional<UnixMs> oldest_created() const { return outbox_.oldest_created(); }

  // --- time ---
  // Attempts whose ack deadline passed, messages past expiry, and new
  // attempts for due messages (at most max_in_flight running).
  Actions tick(UnixMs now);
  // When tick() next has something to do, if anything waits.
  std::optional<UnixMs> next_wakeup() const;

  // --- what happened ---
  // The current path's envelope is out: its ack deadline starts. `relayed`:
  // a gossip attempt went out on the relay topic (its stage becomes
  // gossip_relay, the path an ack then reports).
  void sent(const core::RequestId& id, UnixMs now, bool relayed = false);
  // The current path failed (before or after sending): the next path, or
  // the attempt fails.
  Actions failed(const core::RequestId& id, PathFailure failure, UnixMs now);
  // An ack arrived: `verified` when its MAC checked under the pair key.
  // `via`: where it came: a dm stream (direct), our inbox topic (gossip) or
  // the relay topic (gossip_relay).
  Actions on_ack(const wire::direct::Ack& ack, bool verified, Path via, UnixMs now);
  // An ack that did not decode.
  void on_undecodable_ack();
  // A connection to `peer` came up: its breaker resets and messages routed
  // to it become due now. An attempt of such a message that is out on the
  // gossip path (its direct path was down) ends at once as `superseded` and
  // the next one starts on the direct path at the next tick, instead of
  // waiting out its ack deadline; not a confirming attempt (the message's
  // last) nor one whose hint is gossip. A gossip ack that still comes is a
  // late ack (the receiver's dedup answers the direct copy `duplicate`).
  struct Reconnected {
    std::size_t woken = 0;  // messages due now, ended attempts included
    Actions actions;        // persist, for each ended attempt
  };
  Reconnected peer_connected(const core::PeerId& peer, UnixMs now);
  // The recipient's daemon `peer` advertised an address its earlier advert
  // did not have (a relay circuit, a new listener): when the direct path to
  // it has failed since its last success, its breaker resets and the
  // messages routed to it become due now, so the next attempt dials the new
  // address instead of waiting out an open breaker. Returns how many woke.
  std::size_t new_addresses(const core::PeerId& peer, UnixMs now);
  // A route to `recipient` appeared (a subscriber of its inbox topic).
  std::size_t recipient_reachable(const core::AgentId& recipient, UnixMs now);
  // A route to every recipient appeared (the first subscriber of the relay
  // topic: this daemon joined the mesh): every waiting message is due now.
  std::size_t mesh_reachable(UnixMs now);
  // The dm stream to `peer` ended: attempts waiting on it fail (stream_closed).
  Actions channel_closed(const core::PeerId& peer, UnixMs now);
  // A decision of this daemon (the sender was deleted, the recipient id
  // cannot be sealed to): the message finishes as rejected with `reason`.
  Actions reject(const core::RequestId& id, error reason);
  // Drops a message with no outcome: its outbox row never committed (the
  // message was sent while the commit ran, and the commit failed). A later
  // ack for it counts as acks_invalid. False when it is not here.
  bool forget(const core::RequestId& id);

  // The path the running attempt of `id` is on (none when not running).
  std::optional<Path> stage(const core::RequestId& id) const;

  const SenderStats& stats() const { return stats_; }
  std::vector<BreakerView> breakers(UnixMs now) const;

 private:
  struct Attempt {
    Path stage = Path::direct;
    std::optional<core::PeerId> peer;  // stage direct
    std::optional<UnixMs> deadline;    // the connect deadline (direct, until sent), then the ack deadline
    bool sent = false;                 // the current path's envelope is out
    bool gossip_allowed = true;
    bool may_have_landed = false;  // a path's envelope went out and failed unanswered
    PathHint hint = PathHint::any;
    AttemptError error;
  };

  void begin(const core::RequestId& id, UnixMs now, Actions& out);
  void to_gossip_or_fail(const core::RequestId& id, Attempt& a, UnixMs now, Actions& out);
  void fail_attempt(const core::RequestId& id, Attempt& a, UnixMs now, Actions& out);
  void finish(const core::RequestId& id, Action::Outcome outcome, Actions& out);
  void clear_deadline(const core::RequestId& id, Attempt& a);
  CircuitBreaker& breaker(const core::PeerId& peer);
  static CircuitBreaker::Time breaker_time(UnixMs now) { return CircuitBreaker::Time(std::chrono::milliseconds(now)); }

  AckTrackerConfig config_;
  RouteFn route_;
  Outbox outbox_;
  std::unordered_map<core::RequestId, Attempt> attempts_;
  std::set<std::pair<UnixMs, core::RequestId>> deadlines_;
  std::unordered_map<core::PeerId, CircuitBreaker> breakers_;
  std::mt19937_64 rng_;
  SenderStats stats_;
};

}  // namespace agentmesh::direct
