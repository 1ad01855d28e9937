#pragma once
// node: the composition root. A Node owns every service of one daemon (the
// store writer and reader, the local agent registry, the send path, watchers
// for live streams, metrics) and exposes domain operations to the API.
//
// Threading: all Node state belongs to the node's executor (the network
// io_context thread). Every public method REQUIRES being called on it. Writes
// go to the store's writer thread as jobs; their completions are posted back
// to the executor, so a coroutine awaiting a write resumes on the node thread
// after the transaction has committed (fsync'd). See docs/threading.md.
//
// Ownership: create with Node::open(); the daemon holds the shared_ptr and
// hands the API a NodeHandle (weak reference). stop() flushes the writer.
//
// Durability: every awaitable that returns success has committed to SQLite
// with synchronous=FULL before it resumes its caller.

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/json/object.hpp>
#include <filesystem>
#include <functional>
#include <map>
#include <set>
#include <memory>
#include <optional>
#include <spdlog/logger.h>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/clock.hpp"
#include "core/metrics.hpp"
#include "core/result.hpp"
#include "node/node_config.hpp"
#include "node/requests.hpp"
#include "registry/directory.hpp"
#include "registry/local_agents.hpp"
#include "store/records.hpp"
#include "store/writer.hpp"
#include "transport/info.hpp"

namespace agentmesh::transport {
class Host;
class Stream;
}
namespace agentmesh::crypto {
class SigningKey;
}
namespace agentmesh::pubsub {
class Service;
class Attribution;
}
namespace agentmesh::wire::pubsub {
struct Message;
}

namespace agentmesh::node {

template <class T>
using Task = boost::asio::awaitable<T>;

struct DirectState;

// Where a local agent's key file lives (0600, written atomically).
std::filesystem::path agent_key_path(const std::filesystem::path& data_dir, const core::AgentId& id);
struct AttemptResult;

// A unit of work for the store writer (runs inside a transaction).
template <class T>
using WorkFn = std::function<Result<T>(store::Store&)>;

struct NodeCounters {
  core::Counter messages_accepted;
  core::Counter messages_duplicate;
  core::Counter messages_rejected;
  core::Counter acks;
  core::Counter dead_lettered;
  core::Counter store_failures;
};

struct ComponentHealth {
  std::string name;
  bool ok = true;
  std::string detail;
};

class Node : public std::enable_shared_from_this<Node> {
 public:
  using Executor = boost::asio::any_io_executor;

  // Opens (creating when absent) the data directory: checks permissions,
  // loads or creates the node key, opens and migrates the database, loads the
  // local agents and checks their key files. Errors come with a message for
  // the operator in `why`.
  static Result<std::shared_ptr<Node>> open(Executor ex, NodeConfig config, std::shared_ptr<spdlog::logger> log,
                                            std::string& why);
  ~Node();

  Executor executor() const { return ex_; }
  const NodeConfig& config() const { return config_; }

  // --- agents ---
  Task<Result<CreatedAgent>> create_agent(CreateAgentRequest req);
  Result<AgentView> agent(std::string_view ref) const;  // id or name; unknown_agent
  std::vector<AgentView> agents() const;
  Task<Result<AgentView>> update_agent(core::AgentId id, UpdateAgentRequest req);
  // Deletes the agent; its unacked messages become dead letters (reason
  // agent_deleted). Returns how many.
  Task<Result<std::size_t>> delete_agent(core::AgentId id);
  // The agent whose token this is, if any (hash lookup; see docs/security.md).
  std::optional<core::AgentId> agent_for_token(std::string_view token) const;

  // --- messages ---
  Task<Result<SendReceipt>> send(core::AgentId from, SendRequest req);
  Result<std::vector<store::InboxRecord>> read_inbox(const core::AgentId& agent, core::Seq after,
                                                     std::size_t limit);
  Task<Result<store::InboxCursor>> ack(core::AgentId agent, core::Seq up_to);
  // The cached cursor of a local agent (last appended, acked).
  std::optional<store::InboxCursor> cursor(const core::AgentId& agent) const;

  // The status of a message `sender` sent (unknown_message when none):
  // queued, sending, accepted, rejected, expired.
  Result<SendReceipt> message_status(const core::AgentId& sender, const core::RequestId& id) const;

  // --- dead letters ---
  Result<std::vector<store::DeadLetterRecord>> dead_letters(std::int64_t after_id, std::size_t limit);
  Task<Result<SendReceipt>> retry_dead_letter(std::int64_t id);
  Task<Result<void>> delete_dead_letter(std::int64_t id);

  // --- live streams ---
  // Registers `wake`, called on the node thread whenever the agent's inbox
  // grows or the agent is deleted. Returns a token for unwatch().
  std::uint64_t watch(const core::AgentId& agent, std::function<void()> wake);
  void unwatch(const core::AgentId& agent, std::uint64_t token);
  // Stream accounting against max_streams_per_agent (too_many_streams).
  Result<void> open_stream(const core::AgentId& agent);
  void close_stream(const core::AgentId& agent);
  std::size_t stream_count() const { return total_streams_; }

  // --- network (transport/host.hpp) ---
  // Binds the listen addresses and starts the host: accepting, bootstrap
  // and remembered peers. On failure `why` names the address.
  Result<void> start_network(std::string& why);
  NodeInfo node_info() const;
  std::vector<transport::PeerInfo> peers() const;
  // Dials (or finds) the peer; it stays wanted (redialed) until disconnect().
  Task<Result<core::PeerId>> connect(core::Multiaddr addr);
  // Closes the connection and forgets the peer (also in the peer store).
  Result<void> disconnect(const core::PeerId& peer);
  transport::TransportDiagnostics transport_diagnostics() const;
  transport::Host& host() { return *host_; }

  // --- topics (pubsub/service.hpp) ---
  // Publishes as a local agent: the payload carries the agent's binding to
  // this daemon (docs/security.md). Local subscribers see it too.
  Result<TopicPublishResult> publish_topic(const core::AgentId& agent, const std::string& topic,
                                           std::string content_type, std::string body);
  // A live subscriber; the topic is joined while it has subscribers.
  // too_many_streams when the daemon-wide limit is reached.
  Result<std::shared_ptr<TopicSubscriber>> subscribe_topic(const std::string& topic, std::function<void()> wake);
  void unsubscribe_topic(const std::shared_ptr<TopicSubscriber>& sub);
  std::vector<TopicView> topics() const;
  // Durable subscriptions: the topic's messages go into the agent's inbox,
  // exactly once (dedup on the message id), and survive restarts.
  // name_taken-like conflict: store::error::conflict when it exists.
  Task<Result<void>> subscribe_durable(core::AgentId agent, std::string topic);
  Task<Result<void>> unsubscribe_durable(core::AgentId agent, std::string topic);
  std::vector<std::string> durable_topics(const core::AgentId& agent) const;
  // Block lists: messages from a blocked sender are refused (direct::error::blocked)
  // and its topic messages skip the agent's durable subscriptions.
  // store::error::conflict when already blocked, not_found when not blocked.
  Task<Result<void>> block(core::AgentId agent, core::AgentId sender);
  Task<Result<void>> unblock(core::AgentId agent, core::AgentId sender);
  std::vector<core::AgentId> blocked_senders(const core::AgentId& agent) const;
  // The agent directory (adverts on agentmesh/adverts/1, plus our own agents).
  // `capability` empty: every agent.
  std::vector<DirectoryView> directory(const std::string& capability, bool online_only) const;
  std::optional<DirectoryView> directory_entry(const core::AgentId& agent) const;
  // GET /v1/diagnostics/pubsub.
  boost::json::object pubsub_diagnostics() const;
  // GET /v1/diagnostics/direct: the outbox, attempts, acks, rejections by
  // reason, circuit breakers.
  boost::json::object direct_diagnostics() const;

  // --- observability ---
  std::vector<ComponentHealth> health() const;
  void render_metrics(std::string& out) const;  // Prometheus text
  const NodeCounters& counters() const { return counters_; }
  core::QueueStats writer_queue() const { return writer_->queue_stats(); }

  // The daemon is stopping: topics are no longer left as their subscribers
  // go (leaving sends PRUNE with a backoff, which would keep a quickly
  // restarted daemon out of its neighbours' meshes). Connections just close.
  void prepare_stop() { stopping_ = true; }
  // Stops accepting writes, finishes queued ones (they commit) and joins the
  // writer thread. Idempotent. Completions already posted still run.
  void stop();

 private:
  Node(Executor ex, NodeConfig config, std::shared_ptr<spdlog::logger> log);

  // Runs `work` as a writer job and resumes the caller on the node executor
  // after the commit. Fails with queue_full / stopped without running it.
  template <class T>
  Task<Result<T>> commit(WorkFn<T> work);

  Result<store::AgentRecord> validated_agent_fields(store::AgentRecord rec) const;
  AgentView view(const store::AgentRecord& agent) const;
  void notify(const core::AgentId& agent);
  void note_appended(const core::AgentId& agent, core::Seq seq);
  // Every minute: expire dedup rows and prune acked inbox rows past retention.
  void schedule_dedup_purge();
  // Persists peer addresses learned from identify; forgets removed peers.
  void watch_peers();
  void render_transport_metrics(std::string& out) const;
  void render_direct_metrics(std::string& out) const;
  // To the durable subscriptions of the topic, then each live subscriber's
  // queue (the last one gets `event` itself, the others copies).
  void deliver_topic(TopicEvent event);
  // `replayed_received_ms`: set for a message caught up through topic replay
  // (when the serving peer received it); agents that subscribed later skip it.
  void deliver_durable(const TopicEvent& event, std::optional<std::int64_t> replayed_received_ms = std::nullopt);
  // id: the pubsub MessageId.
  TopicEvent topic_event(const std::string& id, const wire::pubsub::Message& m, const core::PeerId& author);
  // The base58 text of a peer id, cached (every topic event names its peer).
  const std::string& peer_name(const core::PeerId& peer);
  // A peer subscribed to `topic`: ask it for what we missed while down.
  void maybe_catch_up(const core::PeerId& peer, const std::string& topic);
  // Adverts: publish ours every kAdvertInterval and soon after a change or a
  // new peer on the adverts topic; check and record others'.
  void start_adverts();
  void wake_adverts();
  Task<void> advert_loop();
  void publish_adverts();
  // Publishes a signed withdrawal (an advert whose expiry is its seq) for an
  // agent that was deleted or stopped running, so other directories show it
  // offline at once.
  void withdraw_advert(const core::AgentId& agent);
  int validate_advert(const wire::pubsub::Message& m) const;  // pubsub::Validation as int
  void on_advert(const wire::pubsub::Message& m);
  DirectoryView local_view(const store::AgentRecord& a) const;
  // The directory in SQLite: loaded at open, written as adverts arrive,
  // purged with the in-memory directory.
  void load_directory(const std::vector<store::DirectoryRecord>& rows);
  void store_directory_work(WorkFn<std::size_t> work);
  // Leaves a topic nobody here needs any more (no live or durable subscriber).
  void maybe_leave(const std::string& topic);
  Result<std::string> agent_binding(const core::AgentId& agent, std::uint64_t now_ms);
  // A local agent's signing key (cached after the first read of its key file).
  const crypto::SigningKey* agent_key(const core::AgentId& agent);

  // --- direct messages between daemons (node/direct_send.cpp, node/direct_receive.cpp) ---
  // Loads the outbox, registers /agentmesh/dm/1.0.0, joins the agents' inbox
  // topics and starts the outbox loop.
  Result<void> start_direct();
  bool known_remote(const core::AgentId& from, const core::AgentId& to);
  Task<Result<SendReceipt>> send_remote(core::AgentId from, core::AgentId to, SendRequest req);
  // A dead letter to a remote agent goes back into the outbox with its
  // request id (the recipient's dedup catches a copy that did arrive).
  Task<Result<SendReceipt>> requeue_dead_letter(std::int64_t id, store::DeadLetterRecord dl);
  Task<SendReceipt> wait_receipt(core::AgentId from, core::RequestId id, std::int64_t wait_ms);
  void wake_outbox();
  Task<void> outbox_loop();
  void expire_outbox(std::int64_t now);
  Task<void> attempt(core::RequestId id);
  // One attempt on one path: the verified ack, or why not.
  Task<AttemptResult> attempt_direct(core::RequestId id, core::PeerId peer, std::vector<core::Multiaddr> addrs,
                                      std::string envelope);
  Task<AttemptResult> attempt_gossip(core::RequestId id, core::AgentId to, std::string envelope);
  Task<AttemptResult> await_ack(core::RequestId id);
  // An ack arrived (on a dm stream or the gossip inbox): completes the attempt
  // waiting for it, or finishes a waiting message whose late ack this is.
  void on_ack(std::string_view bytes, bool from_gossip);
  void complete_outbox(store::OutboxRecord rec, store::OutboxState state, std::string reason, core::Seq seq);
  // Receiving: the checks, dedup, policy and commit of one envelope; returns
  // the encoded ack to send back (authenticated when the envelope was), or
  // nothing for a frame that is not an envelope.
  Task<std::optional<std::string>> receive_envelope(std::string bytes, core::PeerId from, bool from_gossip);
  Task<void> serve_dm(std::shared_ptr<transport::Stream> stream);
  void on_inbox_item(const wire::pubsub::Message& m);
  void join_inbox(const core::AgentId& agent);
  void leave_inbox(const core::AgentId& agent);

  Executor ex_;
  NodeConfig config_;
  std::shared_ptr<spdlog::logger> log_;
  core::SystemClock clock_;
  std::chrono::steady_clock::time_point started_;

  std::unique_ptr<store::Writer> writer_;
  std::shared_ptr<transport::Host> host_;
  std::shared_ptr<pubsub::Service> pubsub_;
  std::unique_ptr<pubsub::Attribution> attribution_;
  std::unordered_map<core::AgentId, std::pair<std::uint64_t, std::string>> bindings_;  // agent -> (expires, signature)
  std::unordered_map<core::PeerId, std::string> peer_names_;  // peer_name(); emptied beyond kMaxPeerNames
  std::map<std::string, std::vector<std::shared_ptr<TopicSubscriber>>> topic_subscribers_;
  std::map<std::string, std::map<core::AgentId, std::int64_t>> durable_;  // topic -> agent -> subscribed at (ms)
  // Topic replay after a restart: the durable topics loaded at start, and the
  // peers asked so far for each (at most kCatchUpPeers).
  std::map<std::string, std::set<core::PeerId>> catch_up_;
  registry::Directory directory_;
  std::set<std::pair<core::AgentId, core::AgentId>> blocks_;  // (agent, blocked sender)
  std::shared_ptr<boost::asio::steady_timer> advert_timer_;
  std::chrono::steady_clock::time_point last_advert_{};
  std::uint64_t adverts_published_ = 0;
  std::uint64_t adverts_received_ = 0;
  std::unique_ptr<DirectState> direct_;  // node/direct_state.hpp
  std::unique_ptr<store::Store> reader_;
  registry::LocalAgents agents_;
  std::unordered_map<core::AgentId, store::InboxCursor> cursors_;

  struct Watchers {
    std::map<std::uint64_t, std::function<void()>> wakers;
    std::size_t streams = 0;
  };
  std::unordered_map<core::AgentId, Watchers> watchers_;
  std::uint64_t next_watch_token_ = 1;
  std::size_t total_streams_ = 0;

  NodeCounters counters_;
  error_code last_store_error_;
  bool stopped_ = false;
  bool stopping_ = false;
  boost::asio::steady_timer purge_timer_;
};

// The API's way to reach the node: a weak reference that fails with
// shutting_down once the node is gone. REQUIRES: used on the node's executor
// (the API runs on the same io_context; see docs/threading.md).
class NodeHandle {
 public:
  explicit NodeHandle(std::weak_ptr<Node> node) : node_(std::move(node)) {}
  std::shared_ptr<Node> lock() const { return node_.lock(); }

 private:
  std::weak_ptr<Node> node_;
};

}  // namespace agentmesh::node
