#pragma once
// Service: the gossipsub Router driven by the transport. It registers
// /meshsub/1.1.0 and /meshsub/1.0.0 with the Host (so identify lists them,
// which js-libp2p waits for before opening its pubsub stream), adds every
// connected peer to the router at once (so the peer's first RPC is never
// dropped), opens one outbound meshsub stream per peer for everything we
// write, reads the peer's inbound streams, and runs the heartbeat.
//
// Outbound queues: one per peer, bounded (max_queued_rpcs and
// max_queued_bytes); when full the newest RPC is dropped and counted (in
// total and per peer), the publisher is never slowed. Messages that waited
// longer than max_message_wait are dropped too (counted as dropped, and as
// expired): on a slow link fresh gossip goes before stale; control and
// subscriptions are never dropped that way (an RPC carrying both is queued
// as two). A peer behind a slow
// link thus loses gossip (repaired by IHAVE/IWANT where it can be), while the
// transport sends its direct messages and acks ahead of the gossip that is
// already queued (transport/traffic.hpp).
// A peer whose meshsub stream cannot be opened (it does not speak gossipsub)
// is removed from the router.
//
// Topic replay (/agentmesh/topic-replay/1.0.0, wire/replay.hpp): the service
// retains the messages of its topics for a while (ReplayBuffer; the node calls
// retain() for what it delivers) and serves them to peers that ask; a
// restarted daemon asks its peers with replay_from() so its durable
// subscriptions miss nothing published while it was down.
//
// Threading: the node's executor, like the Host.

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <deque>
#include <functional>
#include <memory>
#include <spdlog/logger.h>
#include <string>
#include <unordered_map>

#include "core/metrics.hpp"
#include "crypto/crypto.hpp"
#include "pubsub/replay_buffer.hpp"
#include "pubsub/router.hpp"
#include "transport/host.hpp"
#include "wire/pubsub.hpp"

namespace agentmesh::pubsub {

using transport::Task;

struct ServiceConfig {
  GossipConfig gossip;
  wire::pubsub::Limits limits;
  // RPCs queued per peer before new ones are dropped.
  std::size_t max_queued_rpcs = 4096;
  // Encoded bytes queued per peer before new RPCs are dropped (one RPC is
  // always taken into an empty queue): at 1 Mbit/s, 8 s of gossip.
  std::size_t max_queued_bytes = 1024 * 1024;
  // Queued messages not sent by then are dropped.
  std::chrono::milliseconds max_message_wait{5'000};
  ReplayConfig replay;
  // A replay request that has not finished by then is abandoned.
  std::chrono::milliseconds replay_timeout{10'000};
};

// What one replay_from() brought.
struct ReplayResult {
  std::size_t received = 0;    // messages the server sent
  std::size_t accepted = 0;    // new and valid: handed to the handler
  std::size_t duplicates = 0;  // already seen here
  std::size_t invalid = 0;     // bad signature, another topic, rejected by the validator
};

struct PublishResult {
  MessageId id;
  std::size_t peers = 0;
};

// One peer's outbound queue.
struct LinkStats {
  core::PeerId peer;
  std::size_t queued = 0;  // RPCs
  std::size_t queued_bytes = 0;
  std::uint64_t dropped = 0;  // RPCs dropped: the queue was full, or they expired
};

struct ServiceStats {
  std::uint64_t rpcs_in = 0;
  std::uint64_t rpcs_out = 0;
  std::uint64_t rpcs_invalid = 0;     // undecodable or over a limit (the stream is reset)
  std::uint64_t rpcs_dropped = 0;     // outbound queue full, or expired in it
  std::uint64_t rpcs_expired = 0;     // of those: messages past max_message_wait
  std::size_t queued = 0;             // RPCs waiting in all outbound queues now
  std::size_t max_queued = 0;         // the deepest one queue has been
  std::size_t peers = 0;              // peers with an outbound meshsub stream
  std::uint64_t replays_served = 0;             // replay requests answered
  std::uint64_t replays_requested = 0;          // replay requests we made
  std::uint64_t replay_messages_sent = 0;
  std::uint64_t replay_messages_received = 0;
  std::uint64_t replay_invalid = 0;             // malformed requests or batches (stream reset)
  std::size_t retained = 0;                     // messages in the replay buffer
  std::size_t retained_bytes = 0;
  std::vector<LinkStats> links;  // unordered
};

class Service : public std::enable_shared_from_this<Service> {
 public:
  using Executor = boost::asio::any_io_executor;

  // REQUIRES: `host` and `key` (the node's identity) outlive the service.
  static std::shared_ptr<Service> create(Executor ex, transport::Host& host, const crypto::SigningKey& key,
                                         ServiceConfig config, std::shared_ptr<spdlog::logger> log);

  // Registers the protocol handlers and the peer observer; starts the
  // heartbeat. Call before Host::start() so the first peers are seen.
  void start();
  void stop();

  void join(const std::string& topic);
  void leave(const std::string& topic);
  // Signs `data` on `topic` with the node's key and publishes it.
  Result<PublishResult> publish(const std::string& topic, std::string data);

  // Keeps a message of one of our topics for replay to peers.
  void retain(const wire::pubsub::Message& message);
  // Called for each new, valid replayed message (author = its PeerId).
  using ReplayHandler = std::function<void(const MessageId&, const wire::pubsub::Message&, const core::PeerId& author,
                                           std::uint64_t received_ms)>;
  // Asks `peer` for the messages of `topic` it received since `since_ms`
  // (Unix ms). Each is checked like a gossiped message (seen cache first,
  // StrictSign, the validator) and, if new, marked seen and passed to
  // `on_message`; replayed messages are never forwarded to other peers.
  Task<Result<ReplayResult>> replay_from(core::PeerId peer, std::string topic, std::uint64_t since_ms,
                                         ReplayHandler on_message);

  Router& router() { return router_; }
  const Router& router() const { return router_; }
  ServiceStats stats() const;

 private:
  struct Link;
  Service(Executor ex, transport::Host& host, const crypto::SigningKey& key, ServiceConfig config,
          std::shared_ptr<spdlog::logger> log);
  void enqueue(const core::PeerId& peer, wire::pubsub::Rpc rpc);
  // Drops the link's queued messages past max_message_wait.
  void drop_expired(Link& link);
  Task<void> open_outbound(core::PeerId peer, std::shared_ptr<Link> link);
  Task<void> write_loop(core::PeerId peer, std::shared_ptr<Link> link);
  Task<void> read_inbound(std::shared_ptr<transport::Stream> stream);
  Task<void> heartbeat_loop();
  Task<void> serve_replay(std::shared_ptr<transport::Stream> stream);
  void peer_connected(const transport::PeerInfo& info);
  void peer_gone(const core::PeerId& peer);
  static Router::Time now() { return std::chrono::steady_clock::now(); }

  Executor ex_;
  transport::Host& host_;
  const crypto::SigningKey& key_;
  ServiceConfig config_;
  std::shared_ptr<spdlog::logger> log_;
  Router router_;
  ReplayBuffer replay_;
  std::unordered_map<core::PeerId, std::shared_ptr<Link>> links_;
  boost::asio::steady_timer heartbeat_timer_;
  std::uint64_t next_seqno_;
  bool stopped_ = false;
  ServiceStats stats_;
};

}  // namespace agentmesh::pubsub
