#pragma once
// node/direct: direct messages: the send path (loopback to a local agent, or
// the outbox to an agent on another daemon), the outbox driver, and the
// receive path for envelopes from other daemons (issue 5; docs/security.md,
// "Direct messages"; docs/wire/direct.md).
//
// Sending to another daemon: send() commits the message to the outbox, then
// the AckTracker (direct/ack_tracker.hpp, the sans-I/O state machine) decides
// each attempt and this service performs it: it seals the envelope under the
// cached pair key and writes it on the /agentmesh/dm/1.0.0 stream to the
// hosting daemon (one stream per peer, envelopes pipelined, acks on the same
// stream), or publishes it on the recipient's inbox topic
// agentmesh/inbox/1/<agent>. A verified ack finishes the message: its
// outcome row, and a dead letter when it did not arrive.
//
// No neighbour on the recipient's inbox topic (the recipient's daemon is
// reachable only across other daemons, as behind NAT): the envelope goes on
// the relay topic agentmesh/relay/1, which every daemon joins and forwards
// within rate limits, and the ack comes back the same way (path
// gossip_relay; node/direct_relay.cpp).
//
// Receiving: an envelope (on a dm stream, the inbox topic of an agent hosted
// here, or the relay topic) passes direct::check_envelope (size, version, clock window,
// authentication), then the recipient's policy (state, block list), dedup and
// the inbox commit in one transaction (InboxService::deliver), then the ack,
// MAC'd under the reverse pair key, goes back the way the envelope came.
//
// Threading: the node's executor (checked in debug builds).

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "direct/ack_tracker.hpp"
#include "direct/envelope_crypto.hpp"
#include "direct/relay_limiter.hpp"
#include "node/agents.hpp"
#include "node/context.hpp"
#include "node/directory.hpp"
#include "node/inboxes.hpp"
#include "node/mesh.hpp"
#include "node/ticker.hpp"
#include "node/types.hpp"

namespace agentmesh::transport {
class Stream;
}

namespace agentmesh::node {

// The receiving side's counters.
struct ReceiverStats {
  std::uint64_t received_direct = 0;
  std::uint64_t received_gossip = 0;
  std::uint64_t received_relay = 0;
  std::uint64_t accepted = 0;
  std::uint64_t duplicate = 0;
  std::uint64_t malformed_frames = 0;
  std::uint64_t streams_reset = 0;
  std::uint64_t refused_by_service = 0;  // refused by a routed protocol's service (a task action)
  std::map<direct::error, std::uint64_t> rejected_by_reason;
};

// The relay topic as this daemon sees it: what it published, what it took
// for its own agents, what it passed on, and what it dropped.
struct RelayStats {
  std::uint64_t published = 0;        // our envelopes and acks
  std::uint64_t forwarded = 0;        // other daemons' items accepted for forwarding
  std::uint64_t for_local = 0;        // envelopes for agents hosted here, and acks for their messages
  std::uint64_t dropped_rate = 0;     // over an author's or the total rate: not forwarded
  std::uint64_t dropped_invalid = 0;  // undecodable, or an envelope its author did not seal
  std::uint64_t dropped_expired = 0;  // an envelope past its expiry
  std::uint64_t send_limited = 0;     // our own attempts held back by our own author budget
  std::size_t authors = 0;            // authors with a rate bucket
};

// GET /v1/diagnostics/direct and /metrics.
struct DirectStats {
  direct::SenderStats sent;
  ReceiverStats received;
  RelayStats relay;
  std::size_t pending = 0;  // messages in the outbox
  std::size_t in_flight = 0;
  std::size_t bytes = 0;
  std::size_t capacity = 0;
  std::size_t capacity_bytes = 0;
  std::uint64_t refused_full = 0;
  std::optional<core::UnixMs> oldest_pending_ms;  // when the oldest pending message was sent
  std::vector<direct::BreakerView> breakers;
  std::size_t streams = 0;  // outbound dm streams
  std::size_t pair_keys = 0;
  std::uint64_t pair_key_hits = 0;
  std::uint64_t pair_key_misses = 0;
};

class DirectService : public std::enable_shared_from_this<DirectService> {
 public:
  DirectService(ServiceContext ctx, std::shared_ptr<AgentService> agents, std::shared_ptr<InboxService> inboxes,
                std::shared_ptr<DirectoryService> directory, std::shared_ptr<Mesh> mesh);

  // Loads the outbox's pending messages; each is resent at once (the
  // recipient's dedup answers for one that arrived before a crash).
  Result<void> load(std::string& why);
  // Joins and leaves agents' inbox topics as they come and go.
  AgentService::Observer agent_observer();
  // Joins the local agents' inbox topics and starts the outbox's ticker.
  void start();
  // Inbox topics are no longer left (see TopicService::prepare_stop).
  void prepare_stop() { stopping_ = true; }
  void stop();

  // Sends a message from local agent `from`.
  //
  // To a local agent (by name or id: the loopback path): the receipt comes
  // after the message is committed to the recipient's inbox, and is final
  // (state accepted, with its seq; `duplicate` for an idempotent resend).
  //
  // To an agent id hosted elsewhere: the message is committed to the outbox,
  // then the receipt says queued (202); with req.wait_ms > 0 it comes when
  // the message is final (accepted, rejected, expired) or the wait is over
  // (then queued or sending). GET .../messages/{request_id} follows it.
  //
  // Errors (nothing is stored): unknown_agent (no such sender), agent_stopped,
  // payload_too_large, out_of_range (ttl_ms), unknown_recipient (not local,
  // and not an id the mesh knows), recipient_unavailable and blocked (a local
  // recipient), idempotency_conflict, outbox_full, the store's (queue_full,
  // stopped, io).
  //
  // `known_recipient`: the caller knows the recipient exists (a task's home,
  // named by the task copy): no advert or route is needed now, only a key to
  // seal to; the outbox keeps trying until a path appears (the home's daemon
  // restarting before this daemon ever saw its agent's advert).
  Task<Result<SendReceipt>> send(core::AgentId from, SendRequest req, bool known_recipient = false);
  // Where a message `sender` sent to another daemon stands. unknown_message.
  Result<SendReceipt> status(const core::AgentId& sender, const core::RequestId& id) const;
  // Sends a dead letter again: into a local inbox, or back into the outbox
  // with its request id (the recipient's dedup catches a copy that did
  // arrive). unknown_dead_letter, unknown_recipient, recipient_unavailable,
  // outbox_full, idempotency_conflict (already pending).
  Task<Result<SendReceipt>> retry_dead_letter(std::int64_t id);

  // Starts due attempts, ends timed-out ones, expires messages, and purges
  // finished rows past their retention. The next due time.
  std::optional<core::UnixMs> tick();

  // --- from the mesh ---
  // An inbound /agentmesh/dm/1.0.0 stream.
  Task<void> serve_stream(std::shared_ptr<transport::Stream> stream);
  // A message on the inbox topic of an agent hosted here (an envelope, or an
  // ack for one of ours).
  void on_inbox_item(const wire::pubsub::Message& m);
  void on_peer_connected(const core::PeerId& peer);
  void on_peer_disconnected(const core::PeerId& peer);
  // An advert showed `peer` at an address it did not have before.
  void on_new_addresses(const core::PeerId& peer);
  // A peer subscribed to `agent`'s inbox topic: a route to it appeared.
  void on_inbox_route(const core::AgentId& agent);
  // The relay topic (node/direct_relay.cpp): whether an item may be
  // delivered and forwarded (the pubsub validator), an item that passed, and
  // a peer that subscribed to it.
  pubsub::Validation validate_relay(const wire::pubsub::Message& m);
  void on_relay_item(const wire::pubsub::Message& m);
  void on_relay_route();

  // --- for services that ride the direct path (node/tasks.hpp) ---
  // Messages from other daemons whose protocol is `protocol` go to
  // `receiver`, which commits them itself (direct::deliver with an apply
  // hook) instead of the plain inbox append. Its refusals are acked with
  // their reason code; a refused message of a routed protocol is not a dead
  // letter on the sending side (the sending service has its answer).
  using ProtocolReceiver = std::function<Task<Result<direct::DeliveryResult>>(direct::Delivery)>;
  void route_protocol(std::string protocol, ProtocolReceiver receiver);
  // An outbox row for a message from local agent `from` to `to` on another
  // daemon, for a service that commits it in its own transaction and then
  // calls track(). `id`: the message's request id.
  store::OutboxRecord outbox_record(const core::AgentId& from, const core::AgentId& to, MessageContent content,
                                    const core::RequestId& id, std::int64_t ttl_ms) const;
  // Starts sending a committed outbox row.
  void track(store::OutboxRecord rec);
  // Whether `to` can be sent to from `from` (its key, and a route or an advert).
  bool reachable(const core::AgentId& from, const core::AgentId& to) { return known_remote(from, to); }

  DirectStats stats() const;

 private:
  struct Channel;
  struct Flow;

  // sending (node/direct_send.cpp)
  bool known_remote(const core::AgentId& from, const core::AgentId& to);
  bool sealable(const core::AgentId& from, const core::AgentId& to);
  Task<Result<SendReceipt>> send_local(core::AgentId from, core::AgentId to, store::AgentState state, SendRequest req);
  Task<Result<SendReceipt>> send_remote(core::AgentId from, core::AgentId to, SendRequest req, bool known_recipient);
  Task<Result<SendReceipt>> requeue(std::int64_t id, store::DeadLetterRecord dl);
  Task<SendReceipt> wait_receipt(core::AgentId from, core::RequestId id, std::int64_t wait_ms);
  bool outbox_full(std::size_t more_bytes) const;

  // the outbox driver (node/direct_driver.cpp)
  void execute(direct::AckTracker::Actions actions);
  std::optional<std::string> seal(const core::RequestId& id);
  void send_direct(const core::RequestId& id, const core::PeerId& peer);
  void send_gossip(const core::RequestId& id);
  void push(const std::shared_ptr<Channel>& ch, const core::RequestId& id, const std::string& envelope);
  Task<void> open_channel(core::PeerId peer, std::vector<core::Multiaddr> addrs, std::shared_ptr<Channel> ch);
  Task<void> read_acks(core::PeerId peer, std::shared_ptr<Channel> ch);
  void on_ack(std::string_view bytes, direct::Path via);
  void finish(direct::Action action);
  // Accepted outcomes wait up to kOutcomeDelay (or until kOutcomeBatch are
  // queued) and are committed as one job (node/direct_driver.cpp).
  void queue_outcome(store::OutboxRecord rec);
  void flush_outcomes();
  // Wakes the `"wait": "ack"` callers of `id` (all of them: every id).
  void wake_waiters(const core::RequestId& id);
  void wake_all_waiters();
  void persist(store::OutboxRecord row);
  void purge_finished(core::UnixMs now);

  // receiving (node/direct_receive.cpp); `via`: direct, gossip or gossip_relay
  Task<std::optional<std::string>> receive(std::string bytes, core::PeerId from, direct::Path via);
  // the relay topic (node/direct_relay.cpp): publishes an item; false when
  // our own budget or the mesh refused it
  bool publish_relay(const wire::direct::InboxItem& item);
  void count_rejection(direct::error reason);

  void join_inbox(const core::AgentId& agent);
  void leave_inbox(const core::AgentId& agent);

  ServiceContext ctx_;
  std::shared_ptr<AgentService> agents_;
  std::shared_ptr<InboxService> inboxes_;
  std::shared_ptr<DirectoryService> directory_;
  std::shared_ptr<Mesh> mesh_;
  direct::AckTracker tracker_;
  direct::PairKeyCache keys_;
  std::unordered_map<core::PeerId, std::shared_ptr<Channel>> channels_;
  // Finished messages whose outcome row is still being committed: status
  // queries and waiting senders see the outcome at once (the recipient's ack
  // is already durable on its side; a crash before our commit resends and
  // gets the same outcome back as a duplicate).
  std::unordered_map<core::RequestId, store::OutboxRecord> finishing_;
  // Accepted outcomes not yet submitted (all in finishing_ too), and whether
  // a flush is scheduled.
  std::vector<store::OutboxRecord> outcomes_;
  bool outcome_flush_scheduled_ = false;
  // `"wait": "ack"` callers, woken when their message finishes.
  struct Waiter;
  std::unordered_map<core::RequestId, std::vector<std::shared_ptr<Waiter>>> waiters_;
  ReceiverStats received_;
  direct::RelayLimiter relay_limiter_;
  RelayStats relay_;
  std::map<std::string, ProtocolReceiver, std::less<>> routes_;
  std::uint64_t refused_full_ = 0;
  core::UnixMs next_purge_ms_ = 0;
  Ticker ticker_;
  bool stopping_ = false;
  bool stopped_ = false;
};

// A receipt from an outbox row (`in_flight`: an attempt is running).
SendReceipt receipt_of(const store::OutboxRecord& r, bool in_flight);

}  // namespace agentmesh::node
