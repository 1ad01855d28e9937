#pragma once
// The node's direct-message state (node/direct_send.cpp,
// node/direct_receive.cpp). Internal to the node module: the outbox table,
// the pair-key cache, per-peer circuit breakers and dm streams, attempts
// waiting for acks, and the counters behind /v1/diagnostics/direct.
//
// Threading: the node's executor, like all Node state.

#include <boost/asio/steady_timer.hpp>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/peer_id.hpp"
#include "crypto/crypto.hpp"
#include "direct/envelope_crypto.hpp"
#include "direct/outbox.hpp"
#include "direct/retry.hpp"
#include "transport/stream_io.hpp"

namespace agentmesh::node {

// An outbound /agentmesh/dm/1.0.0 stream to one peer: envelopes go out
// through `writer`, acks come back on the same stream (read by one loop).
struct DmChannel {
  explicit DmChannel(boost::asio::any_io_executor ex) : opened(ex, boost::asio::steady_timer::time_point::max()) {}
  std::shared_ptr<transport::Stream> stream;
  std::shared_ptr<transport::LpWriteQueue> writer;
  boost::asio::steady_timer opened;  // cancelled once the stream is open (or failed)
  bool ready = false;
  bool closed = false;
  std::string open_error;
  std::set<core::RequestId> sent;  // attempts waiting on this stream
};

// How one attempt on one path ended: the verified ack's bytes, or a stable
// reason (timeout, stream_closed, no_route, circuit_open, dial_failed, or the
// recipient daemon's unauthenticated reason such as expired).
struct AttemptResult {
  std::optional<std::string> ack;
  std::string error;
};

// One attempt waiting for its ack (at most one per request id).
struct AckWaiter {
  explicit AckWaiter(boost::asio::any_io_executor ex) : timer(ex) {}
  boost::asio::steady_timer timer;  // the attempt timeout; cancelled by the outcome
  std::optional<std::string> ack;   // the verified ack's bytes
  std::string error;                // why the attempt failed early
};

struct DirectStats {
  std::uint64_t queued = 0;
  std::uint64_t refused_full = 0;
  std::uint64_t attempts_direct = 0;
  std::uint64_t attempts_gossip = 0;
  std::uint64_t attempt_failures = 0;
  std::uint64_t accepted = 0;
  std::uint64_t rejected = 0;
  std::uint64_t expired = 0;
  std::uint64_t acks_received = 0;
  std::uint64_t acks_invalid = 0;   // undecodable, unauthenticated or for no message of ours
  std::uint64_t acks_late = 0;      // a verified ack after its attempt timed out
  std::uint64_t received_direct = 0;
  std::uint64_t received_gossip = 0;
  std::uint64_t received_accepted = 0;
  std::uint64_t received_duplicate = 0;
  std::uint64_t malformed_frames = 0;
  std::uint64_t streams_reset = 0;
  std::map<std::string, std::uint64_t> rejected_by_reason;  // receiver side
  std::map<std::string, std::uint64_t> failures_by_reason;  // sender side, per attempt
};

struct DirectState {
  DirectState(boost::asio::any_io_executor ex, const direct::RetryConfig& retry)
      : outbox(retry), wake(ex, boost::asio::steady_timer::time_point::max()), rng(std::random_device{}()) {}
  direct::Outbox outbox;
  direct::PairKeyCache keys;
  std::unordered_map<core::AgentId, crypto::SigningKey> agent_keys;
  std::unordered_map<core::PeerId, direct::CircuitBreaker> breakers;
  std::unordered_map<core::PeerId, std::shared_ptr<DmChannel>> channels;
  std::unordered_map<core::RequestId, std::shared_ptr<AckWaiter>> pending;
  // Finished messages whose outcome row is still being committed: status
  // queries and waiting senders see the outcome at once (the recipient's ack
  // is already durable on its side; a crash before our commit resends and
  // gets the same outcome back as a duplicate).
  std::unordered_map<core::RequestId, store::OutboxRecord> finishing;
  // `"wait": "ack"` callers, woken when their message finishes.
  std::unordered_map<core::RequestId, std::vector<std::shared_ptr<boost::asio::steady_timer>>> receipt_waiters;
  boost::asio::steady_timer wake;  // the outbox loop sleeps on it
  std::mt19937_64 rng;
  DirectStats stats;
  bool loop_running = false;

  double unit_random() { return std::uniform_real_distribution<double>(0.0, 1.0)(rng); }
};

}  // namespace agentmesh::node
