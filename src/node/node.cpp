// node: opening a node (data directory, keys, database, services), wiring the
// network to the services, diagnostics and health, and stopping.

#include "node/node.hpp"

#include <algorithm>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unordered_set>

#include "core/condition.hpp"
#include "core/fs.hpp"
#include "core/memory.hpp"
#include "crypto/key_file.hpp"
#include "node/a2a_push.hpp"
#include "node/a2a_tokens.hpp"
#include "node/agents.hpp"
#include "node/conversations.hpp"
#include "node/direct.hpp"
#include "node/directory.hpp"
#include "node/error.hpp"
#include "node/host_mesh.hpp"
#include "node/inboxes.hpp"
#include "node/peers.hpp"
#include "node/tasks.hpp"
#include "node/ticker.hpp"
#include "node/topics.hpp"
#include "pubsub/service.hpp"
#include "store/sqlite/sqlite_store.hpp"
#include "transport/host.hpp"
#include "wire/advert.hpp"
#include "wire/direct.hpp"

namespace agentmesh::node {

namespace {

// Pubsub's per-peer RPC queue sits in front of the transport's gossip queue:
// its depth and drops belong to the same row of /v1/diagnostics/transport.
void add_gossip_queues(std::vector<transport::PeerQueues>& queues, const std::vector<pubsub::LinkStats>& links) {
  for (const auto& link : links) {
    auto q = std::find_if(queues.begin(), queues.end(), [&](const auto& e) { return e.peer == link.peer; });
    if (q == queues.end()) continue;  // gone from the transport already
    auto t = std::find_if(q->traffic.begin(), q->traffic.end(),
                          [](const auto& f) { return f.traffic == transport::Traffic::gossip; });
    if (t == q->traffic.end()) {
      transport::TrafficFigures f;
      f.traffic = transport::Traffic::gossip;
      t = q->traffic.insert(std::find_if(q->traffic.begin(), q->traffic.end(),
                                         [](const auto& e) { return e.traffic > transport::Traffic::gossip; }),
                            f);
    }
    t->app_queued = link.queued;
    t->dropped = link.dropped;
  }
}

}  // namespace
namespace {

class Category final : public boost::system::error_category {
 public:
  bool equivalent(int code, const boost::system::error_condition& cond) const noexcept override {
    const auto e = static_cast<error>(code);
    switch (static_cast<core::condition>(core::condition_of(cond))) {
      case core::condition::not_found:
        return e == error::unknown_agent || e == error::unknown_dead_letter || e == error::unknown_message ||
               e == error::unknown_conversation || e == error::unknown_reply_target || e == error::unknown_token ||
               e == error::unknown_push_config;
      case core::condition::invalid_input:
        return e == error::invalid_capability || e == error::invalid_agent_field;
      case core::condition::retryable:
        return e == error::shutting_down || e == error::too_many_streams || e == error::outbox_full;
      default:
        break;
    }
    return boost::system::error_category::equivalent(code, cond);
  }
  const char* name() const noexcept override { return "agentmesh.node"; }
  std::string message(int ev) const override {
    switch (static_cast<error>(ev)) {
      case error::unknown_agent:
        return "no local agent has that id or name";
      case error::name_taken:
        return "a local agent already has that name";
      case error::invalid_capability:
        return "capabilities are 1-64 characters of [a-z0-9._:/-], at most 64 of them";
      case error::invalid_agent_field:
        return "display_name must be valid UTF-8 of at most 128 bytes";
      case error::unknown_dead_letter:
        return "no dead letter has that id";
      case error::shutting_down:
        return "the daemon is shutting down";
      case error::too_many_streams:
        return "the agent has too many open streams";
      case error::unknown_message:
        return "no message with that request id was sent by this agent";
      case error::outbox_full:
        return "the outbox is full; retry later";
      case error::unknown_conversation:
        return "the agent has no conversation with that id";
      case error::unknown_reply_target:
        return "in_reply_to matches no message this agent received in a kept conversation; give \"to\"";
      case error::unknown_token:
        return "the agent has no A2A token with that id";
      case error::too_many_tokens:
        return "the agent has the maximum number of A2A tokens (256); revoke some first";
      case error::unknown_push_config:
        return "the task has no push notification config with that id";
      case error::too_many_push_configs:
        return "the task has the maximum number of push notification configs (10), or the node has (10000)";
      case error::outcome_unknown:
        return "the outbox commit failed after the message was sent: it may have been delivered (once); "
               "nothing resends it";
    }
    return "unknown node error";
  }
};

// The database files: the database, its WAL and its shared-memory index.
constexpr const char* kDatabaseFiles[] = {"agentmesh.db", "agentmesh.db-wal", "agentmesh.db-shm"};

// The data directory and its agents/ directory exist and are private; the
// database files are 0600 (tightened, with a warning, when an earlier version
// or a permissive umask left them readable); the node key is loaded or made.
Result<crypto::SigningKey> prepare_data_dir(const std::filesystem::path& dir, spdlog::logger& log, std::string& why) {
  const auto perm_error = make_error_code(boost::system::errc::permission_denied);
  for (const auto& d : {dir, dir / "agents"}) {
    if (auto r = core::ensure_private_dir(d); !r) {
      why = fmt::format("cannot create data directory {}: {}", d.string(), r.error().message());
      return r.error();
    }
    if (auto msg = core::check_dir_private(d); !msg.empty()) {
      why = msg;
      return perm_error;
    }
  }
  for (const char* name : kDatabaseFiles) {
    auto tightened = core::make_file_private(dir / name);
    if (!tightened) {
      why = fmt::format("cannot restrict the mode of {}: {}", (dir / name).string(), tightened.error().message());
      return tightened.error();
    }
    if (*tightened) {
      log.warn("{} was mode {:o}, readable by others; changed to 0600", (dir / name).string(), **tightened);
    }
  }
  const auto node_key_path = dir / "node.key";
  if (std::filesystem::exists(node_key_path)) {
    if (auto msg = core::check_file_private(node_key_path); !msg.empty()) {
      why = msg;
      return perm_error;
    }
  }
  auto key = crypto::load_or_create_key(node_key_path);
  if (!key) why = fmt::format("cannot load node key {}: {}", node_key_path.string(), key.error().message());
  return key;
}

std::uint64_t file_size_or_zero(const std::filesystem::path& p) {
  std::error_code ec;
  const auto n = std::filesystem::file_size(p, ec);
  return ec ? 0 : n;
}

}  // namespace

const boost::system::error_category& error_category() noexcept {
  static const Category category;
  return category;
}

Node::Node(std::unique_ptr<ServiceContext> ctx)
    : ctx_(std::move(ctx)), config_(ctx_->config), started_(std::chrono::steady_clock::now()) {}

Node::~Node() { stop(); }

Result<std::shared_ptr<Node>> Node::open(Executor ex, NodeConfig config, std::shared_ptr<spdlog::logger> log,
                                         std::string& why, std::shared_ptr<const core::Clock> clock) {
  const auto dir = config.data_dir;
  auto node_key = prepare_data_dir(dir, *log, why);
  if (!node_key) return node_key.error();
  auto store = store::open_sqlite_store(dir / "agentmesh.db");
  if (!store) {
    why = fmt::format("cannot open database {}: {}", (dir / "agentmesh.db").string(), store.error().message());
    return store.error();
  }
  auto reader = (*store)->open_reader();
  if (!reader) {
    why = fmt::format("cannot open database reader: {}", reader.error().message());
    return reader.error();
  }
  auto ctx = std::make_unique<ServiceContext>();
  ctx->ex = ex;
  ctx->clock = clock ? std::move(clock) : std::make_shared<core::SystemClock>();
  ctx->config = std::make_shared<const NodeConfig>(std::move(config));
  ctx->log = log;
  ctx->storage = std::make_shared<Storage>(ex, std::move(*store), std::move(*reader), ctx->config->writer);
  ctx->tasks = std::make_shared<core::TaskReporter>(log);
  ctx->counters = std::make_shared<MessageCounters>();
  ctx->thread = std::make_shared<core::ThreadChecker>();
  std::shared_ptr<Node> node(new Node(std::move(ctx)));
  if (auto r = node->open_services(why, std::move(*node_key)); !r) return r.error();
  node->ctx_->log->info("node ready: {} agents, data dir {}", node->agents_->size(), dir.string());
  return node;
}

namespace {

// The daemons named (with /p2p/) in --bootstrap are trusted for peer exchange,
// as gossipsub v1.1 advises for bootstrappers: an application-specific score
// of 1 (weight 10) lifts them to accept_px from the first heartbeat. Without
// it a daemon pruned by a busy bootstrap peer seconds after it joined ignores
// the peers offered with the prune (the new connection has no score yet) and
// keeps that one connection as its only path.
pubsub::ServiceConfig pubsub_config(const NodeConfig& config) {
  pubsub::ServiceConfig out;
  std::unordered_set<core::PeerId> bootstrappers;
  for (const auto& addr : config.transport.bootstrap) {
    if (auto peer = addr.peer_id()) bootstrappers.insert(*peer);
  }
  if (!bootstrappers.empty()) {
    out.gossip.score.app_specific = [trusted = std::move(bootstrappers)](const core::PeerId& peer) {
      return trusted.contains(peer) ? 1.0 : 0.0;
    };
  }
  return out;
}

}  // namespace

Result<void> Node::open_services(std::string& why, crypto::SigningKey node_key) {
  const auto& c = *ctx_;
  host_ = transport::Host::create(c.ex, std::move(node_key), c.config->transport, c.log->clone("p2p"), c.tasks);
  pubsub_ = pubsub::Service::create(c.ex, *host_, host_->identity(), pubsub_config(*c.config), c.log->clone("pubsub"));
  mesh_ = std::make_shared<HostMesh>(host_, pubsub_);
  agents_ = std::make_shared<AgentService>(c);
  inboxes_ = std::make_shared<InboxService>(c, agents_);
  directory_ = std::make_shared<DirectoryService>(c, agents_, mesh_);
  topics_ = std::make_shared<TopicService>(c, agents_, inboxes_, mesh_);
  direct_ = std::make_shared<DirectService>(c, agents_, inboxes_, directory_, mesh_);
  tasks_ = std::make_shared<TaskService>(c, agents_, inboxes_, directory_, direct_);
  conversations_ = std::make_shared<ConversationService>(c, agents_);
  a2a_tokens_ = std::make_shared<A2aTokenService>(c, agents_);
  a2a_push_ = std::make_shared<A2aPushService>(c);
  peers_ = std::make_shared<PeerService>(c, host_);
  for (auto r : {agents_->load(why), inboxes_->load(why), topics_->load(why), directory_->load(why), direct_->load(why),
                 tasks_->load(why), a2a_tokens_->load(why), a2a_push_->load(why),
                 peers_->load(why)}) {
    if (!r) return r;
  }
  agents_->add_observer(a2a_tokens_->agent_observer());
  agents_->add_observer(inboxes_->agent_observer());
  agents_->add_observer(directory_->agent_observer());
  agents_->add_observer(topics_->agent_observer());
  agents_->add_observer(direct_->agent_observer());
  directory_->set_on_change([peers = std::weak_ptr(peers_)] {
    if (auto p = peers.lock()) p->mesh_changed();
  });
  directory_->set_on_new_addresses([direct = std::weak_ptr(direct_)](const core::PeerId& peer) {
    if (auto d = direct.lock()) d->on_new_addresses(peer);
  });
  wire_network();
  return {};
}

// What the network delivers goes to the service that owns it: adverts to the
// directory, inbox topics and the relay topic to the direct service, every other topic to the
// topic service; connections and dm streams to the direct service.
void Node::wire_network() {
  namespace wd = wire::direct;
  auto& router = pubsub_->router();
  router.set_validator([topics = std::weak_ptr(topics_), directory = std::weak_ptr(directory_),
                        direct = std::weak_ptr(direct_)](const core::PeerId&, const wire::pubsub::Message& m) {
    if (*m.topic == wire::advert::kTopic) {
      auto d = directory.lock();
      return d ? d->validate(m) : pubsub::Validation::ignore;
    }
    // The relay topic: every daemon forwards it, within rate limits.
    if (*m.topic == wd::kRelayTopic) {
      auto d = direct.lock();
      return d ? d->validate_relay(m) : pubsub::Validation::ignore;
    }
    if (*m.topic == wire::advert::kBeaconTopic) return DirectoryService::validate_beacon(m);
    // Inbox topics carry sealed envelopes and MAC'd acks: relays cannot
    // check them; the recipient (and the sender, for acks) does.
    if (m.topic->starts_with(wd::kInboxTopicPrefix)) return pubsub::Validation::accept;
    auto t = topics.lock();
    return t ? t->validate(m) : pubsub::Validation::accept;
  });
  router.set_deliver([weak = weak_from_this()](const pubsub::MessageId& id, const wire::pubsub::Message& m,
                                               const core::PeerId&, const core::PeerId& author) {
    auto self = weak.lock();
    if (!self || self->stopped_) return;
    if (*m.topic == wire::advert::kTopic) {
      self->mesh_->retain(m);  // served to daemons that join or return (DirectoryService::catch_up_from)
      self->directory_->on_advert(m);
    } else if (*m.topic == wire::advert::kBeaconTopic) {
      self->directory_->on_beacon(author);
    } else if (*m.topic == wd::kRelayTopic) {
      self->direct_->on_relay_item(m);
    } else if (m.topic->starts_with(wd::kInboxTopicPrefix)) {
      self->direct_->on_inbox_item(m);
    } else {
      self->topics_->on_message(id, m, author);
    }
  });
  router.set_on_subscribe([weak = weak_from_this()](const core::PeerId& peer, const std::string& topic) {
    auto self = weak.lock();
    if (!self || self->stopped_) return;
    if (topic == wire::advert::kTopic) {
      self->directory_->wake();               // a new peer learns our agents at once, not within a minute
      self->directory_->catch_up_from(peer);  // and we learn what it knows
    } else if (topic == wire::advert::kBeaconTopic) {
      self->directory_->beacon_soon();  // a returning daemon shows online as soon as it is connected
    } else if (topic == wd::kRelayTopic) {
      self->direct_->on_relay_route();
    } else if (topic.starts_with(wd::kInboxTopicPrefix)) {
      if (auto agent = core::AgentId::parse(std::string_view(topic).substr(wd::kInboxTopicPrefix.size()))) {
        self->direct_->on_inbox_route(*agent);
      }
    } else {
      self->topics_->on_peer_subscribed(peer, topic);
    }
  });
  host_->set_handler(std::string(wd::kProtocol),
                     [direct = std::weak_ptr(direct_)](std::shared_ptr<transport::Stream> s) -> Task<void> {
                       if (auto d = direct.lock()) co_await d->serve_stream(std::move(s));
                     });
  transport::Host::Observer observer;
  observer.connected = [direct = std::weak_ptr(direct_)](const transport::PeerInfo& info) {
    if (auto d = direct.lock()) d->on_peer_connected(info.peer);
  };
  observer.disconnected = [direct = std::weak_ptr(direct_),
                           directory = std::weak_ptr(directory_)](const core::PeerId& peer) {
    if (auto d = direct.lock()) d->on_peer_disconnected(peer);
    if (auto d = directory.lock()) d->on_peer_disconnected(peer);
  };
  // A relay reservation came or went: adverts carry the new addresses soon.
  observer.addresses_changed = [directory = std::weak_ptr(directory_)]() {
    if (auto d = directory.lock()) d->wake();
  };
  host_->add_observer(std::move(observer));
}

Result<void> Node::start_network(std::string& why) {
  if (auto r = host_->listen(why); !r) return r;
  pubsub_->start();  // before the first peer connects
  directory_->start();
  topics_->start();
  direct_->start();
  tasks_->start();
  conversations_->start();
  inboxes_->start();
  peers_->start();
  host_->start();
  std::weak_ptr<Node> weak = weak_from_this();
  health_ticker_.start(*ctx_, "health_sampler", [weak]() -> std::optional<core::UnixMs> {
    auto self = weak.lock();
    if (!self || self->stopped_) return std::nullopt;
    self->sample_health();
    // The RSS a burst left behind (core/memory.hpp). The reader's page cache is
    // lost at the writer's next commit anyway.
    self->ctx_->storage->reader().release_memory();
    core::release_free_memory();
    return self->ctx_->now_ms() + HealthMonitor::kSampleIntervalMs;
  });
  return {};
}

void Node::prepare_stop() {
  topics_->prepare_stop();
  direct_->prepare_stop();
  directory_->stop();
}

void Node::stop() {
  if (stopped_) return;
  stopped_ = true;
  health_ticker_.stop();
  if (tasks_) tasks_->stop();
  if (conversations_) conversations_->stop();
  if (direct_) direct_->stop();
  if (directory_) directory_->stop();
  if (inboxes_) inboxes_->stop();
  if (pubsub_) pubsub_->stop();
  if (peers_) peers_->stop();
  if (host_) host_->stop();
  ctx_->storage->stop();
}

Node::Executor Node::executor() const { return ctx_->ex; }

bool Node::on_node_thread() const { return ctx_->thread->on_bound_thread(); }

const std::shared_ptr<core::TaskReporter>& Node::task_reporter() const { return ctx_->tasks; }

void Node::sample_health() { health_.sample(ctx_->now_ms(), diagnostics()); }

HealthReport Node::health(bool draining) const { return health_.evaluate(ctx_->now_ms(), diagnostics(), draining); }

Diagnostics Node::diagnostics() const {
  Diagnostics d;
  d.uptime_s = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - started_).count();
  d.agents = agents_->size();
  const auto& m = *ctx_->counters;
  d.messages = {m.accepted.value(), m.duplicate.value(), m.rejected.value(), m.acks.value(), m.dead_lettered.value()};
  d.inboxes = inboxes_->stats();
  const auto& storage = *ctx_->storage;
  const auto& w = storage.writer();
  d.store.writer_queue = w.queue_stats();
  d.store.commit_latency_ms = w.commit_latency_ms().snapshot();
  d.store.batch_sizes = w.batch_sizes().snapshot();
  d.store.dwell_ms = w.dwell_ms().snapshot();
  d.store.commits = w.commits();
  d.store.commit_failures = w.commit_failures();
  d.store.last_commit_failed = w.last_commit_failed();
  d.store.failures = storage.failures();
  d.store.last_failure = storage.last_failure() ? storage.last_failure().message() : std::string();
  d.store.stopped = stopped_;
  for (const char* name : kDatabaseFiles) d.store.database_bytes += file_size_or_zero(config_->data_dir / name);
  const auto wal = store::sqlite_wal_writes();
  d.store.wal_writes = wal.writes;
  d.store.wal_write_calls = wal.calls;
  d.direct = direct_->stats();
  d.tasks = tasks_->stats();
  d.transport = peers_->diagnostics();
  d.bootstrap_peers = config_->transport.bootstrap.size();
  const auto& router = pubsub_->router();
  d.pubsub.router = router.counters();
  d.pubsub.service = pubsub_->stats();
  add_gossip_queues(d.transport.queues, d.pubsub.service.links);
  d.pubsub.topics = topics_->topics();
  const auto now = std::chrono::steady_clock::now();
  for (const auto& p : router.peers()) d.pubsub.scores.emplace_back(router.score(p, now), p.to_string());
  std::sort(d.pubsub.scores.begin(), d.pubsub.scores.end());
  d.pubsub.subscribers = topics_->stats();
  d.pubsub.adverts = directory_->stats();
  d.task_exceptions = ctx_->tasks->counts();
  return d;
}

}  // namespace agentmesh::node
