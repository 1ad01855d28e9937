#include "node/node.hpp"

#include "pubsub/attribution.hpp"
#include "pubsub/service.hpp"
#include "transport/host.hpp"
#include "wire/advert.hpp"
#include "wire/agent_message.hpp"

#include <boost/asio/async_result.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <fmt/format.h>

#include "core/error.hpp"
#include "core/fs.hpp"
#include "core/hex.hpp"
#include "core/utf8.hpp"
#include "crypto/crypto.hpp"
#include "crypto/key_file.hpp"
#include "direct/delivery.hpp"
#include "direct/error.hpp"
#include "node/commit.hpp"
#include "node/direct_state.hpp"
#include "node/error.hpp"
#include "store/sqlite/sqlite_store.hpp"
#include "wire/direct.hpp"

namespace agentmesh::node {
namespace {

namespace asio = boost::asio;

class Category final : public boost::system::error_category {
 public:
  const char* name() const noexcept override { return "agentmesh.node"; }
  std::string message(int ev) const override {
    switch (static_cast<error>(ev)) {
      case error::unknown_agent: return "no local agent has that id or name";
      case error::name_taken: return "a local agent already has that name";
      case error::invalid_capability:
        return "capabilities are 1-64 characters of [a-z0-9._:/-], at most 64 of them";
      case error::invalid_agent_field: return "display_name must be valid UTF-8 of at most 128 bytes";
      case error::unknown_dead_letter: return "no dead letter has that id";
      case error::shutting_down: return "the daemon is shutting down";
      case error::too_many_streams: return "the agent has too many open streams";
      case error::unknown_message: return "no message with that request id was sent by this agent";
      case error::outbox_full: return "the outbox is full; retry later";
    }
    return "unknown node error";
  }
};

constexpr auto kPurgeInterval = std::chrono::seconds(60);

}  // namespace

std::filesystem::path agent_key_path(const std::filesystem::path& data_dir, const core::AgentId& id) {
  return data_dir / "agents" / (id.to_string() + ".key");
}

const boost::system::error_category& error_category() noexcept {
  static const Category category;
  return category;
}

Node::Node(Executor ex, NodeConfig config, std::shared_ptr<spdlog::logger> log)
    : ex_(std::move(ex)),
      config_(std::move(config)),
      log_(std::move(log)),
      started_(std::chrono::steady_clock::now()),
      purge_timer_(ex_) {}

Node::~Node() { stop(); }

Result<std::shared_ptr<Node>> Node::open(Executor ex, NodeConfig config, std::shared_ptr<spdlog::logger> log,
                                         std::string& why) {
  const auto dir = config.data_dir;  // a copy: `config` is moved into the node below
  auto fail = [&](std::string msg, error_code ec) -> Result<std::shared_ptr<Node>> {
    why = std::move(msg);
    return ec;
  };
  const auto perm_error = make_error_code(boost::system::errc::permission_denied);
  if (auto r = core::ensure_private_dir(dir); !r) {
    return fail(fmt::format("cannot create data directory {}: {}", dir.string(), r.error().message()), r.error());
  }
  if (auto msg = core::check_dir_not_writable_by_others(dir); !msg.empty()) return fail(msg, perm_error);
  if (auto r = core::ensure_private_dir(dir / "agents"); !r) {
    return fail(fmt::format("cannot create {}: {}", (dir / "agents").string(), r.error().message()), r.error());
  }
  if (auto msg = core::check_dir_not_writable_by_others(dir / "agents"); !msg.empty()) return fail(msg, perm_error);

  const auto node_key_path = dir / "node.key";
  if (std::filesystem::exists(node_key_path)) {
    if (auto msg = core::check_file_private(node_key_path); !msg.empty()) return fail(msg, perm_error);
  }
  auto node_key = crypto::load_or_create_key(node_key_path);
  if (!node_key) {
    return fail(fmt::format("cannot load node key {}: {}", node_key_path.string(), node_key.error().message()),
                node_key.error());
  }

  auto store = store::open_sqlite_store(dir / "agentmesh.db");
  if (!store) {
    return fail(fmt::format("cannot open database {}: {}", (dir / "agentmesh.db").string(), store.error().message()),
                store.error());
  }
  auto reader = (*store)->open_reader();
  if (!reader) return fail(fmt::format("cannot open database reader: {}", reader.error().message()), reader.error());

  std::shared_ptr<Node> node(new Node(std::move(ex), std::move(config), std::move(log)));
  node->reader_ = std::move(*reader);
  auto agents = node->reader_->list_agents();
  if (!agents) return fail(fmt::format("cannot read agents: {}", agents.error().message()), agents.error());
  for (const auto& a : *agents) {
    const auto key_path = agent_key_path(dir, a.id);
    if (!std::filesystem::exists(key_path)) {
      return fail(fmt::format("key file of agent {} ({}) is missing: {}", a.name, a.id, key_path.string()),
                  make_error_code(boost::system::errc::no_such_file_or_directory));
    }
    if (auto msg = core::check_file_private(key_path); !msg.empty()) return fail(msg, perm_error);
    auto cursor = node->reader_->inbox_cursor(a.id);
    if (!cursor) return fail(fmt::format("cannot read inbox cursor: {}", cursor.error().message()), cursor.error());
    node->agents_.put(a);
    node->cursors_[a.id] = *cursor;
  }
  auto subscriptions = node->reader_->list_subscriptions();
  if (!subscriptions) {
    return fail(fmt::format("cannot read subscriptions: {}", subscriptions.error().message()), subscriptions.error());
  }
  for (const auto& s : *subscriptions) {
    node->durable_[s.topic].emplace(s.agent, s.created_ms);
    node->catch_up_[s.topic];
  }
  auto blocks = node->reader_->list_blocks();
  if (!blocks) return fail(fmt::format("cannot read block lists: {}", blocks.error().message()), blocks.error());
  node->blocks_.insert(blocks->begin(), blocks->end());
  auto directory_rows = node->reader_->list_directory(registry::DirectoryConfig{}.max_entries);
  if (!directory_rows) {
    return fail(fmt::format("cannot read the directory: {}", directory_rows.error().message()), directory_rows.error());
  }
  node->load_directory(*directory_rows);
  node->writer_ = std::make_unique<store::Writer>(std::move(*store), node->config_.writer);
  node->host_ = transport::Host::create(node->ex_, std::move(*node_key), node->config_.transport,
                                        node->log_->clone("p2p"));
  auto remembered = node->reader_->list_peers(node->config_.transport.max_remembered_peers);
  if (!remembered) return fail(fmt::format("cannot read the peer store: {}", remembered.error().message()),
                               remembered.error());
  for (const auto& rec : *remembered) {
    auto peer = core::PeerId::parse(rec.peer_id);
    if (!peer) continue;  // written by us; skip anything unreadable
    std::vector<core::Multiaddr> addrs;
    for (const auto& a : rec.addrs) {
      if (auto ma = core::Multiaddr::parse(a)) addrs.push_back(std::move(*ma));
    }
    node->host_->remember(*peer, std::move(addrs));
  }
  node->watch_peers();
  node->direct_ = std::make_unique<DirectState>(node->ex_, node->config_.direct.retry);
  node->attribution_ = std::make_unique<pubsub::Attribution>();
  node->pubsub_ = pubsub::Service::create(node->ex_, *node->host_, node->host_->identity(), {},
                                          node->log_->clone("pubsub"));
  std::weak_ptr<Node> weak = node;
  // Agentmesh payloads must carry a binding that holds; other libp2p nodes'
  // messages (arbitrary bytes) are accepted as raw data.
  node->pubsub_->router().set_validator([weak](const core::PeerId&, const wire::pubsub::Message& m) {
    auto self = weak.lock();
    if (self && *m.topic == wire::advert::kTopic) return static_cast<pubsub::Validation>(self->validate_advert(m));
    // Inbox topics carry sealed envelopes and MAC'd acks: relays cannot
    // check them; the recipient (and the sender, for acks) does.
    if (m.topic->starts_with(wire::direct::kInboxTopicPrefix)) return pubsub::Validation::accept;
    if (!self || !m.data) return pubsub::Validation::accept;
    auto payload = wire::agent_message::decode(
        {reinterpret_cast<const std::uint8_t*>(m.data->data()), m.data->size()});
    if (!payload) return pubsub::Validation::accept;
    auto author = core::PeerId::from_multihash({reinterpret_cast<const std::uint8_t*>(m.from->data()), m.from->size()});
    if (!author) return pubsub::Validation::reject;
    auto agent = self->attribution_->check(*payload, *author, static_cast<std::uint64_t>(self->clock_.now_ms()));
    return agent ? pubsub::Validation::accept : pubsub::Validation::reject;
  });
  node->pubsub_->router().set_deliver([weak](const pubsub::MessageId& id, const wire::pubsub::Message& m,
                                             const core::PeerId&, const core::PeerId& author) {
    auto self = weak.lock();
    if (!self) return;
    if (*m.topic == wire::advert::kTopic) {
      self->on_advert(m);
      return;
    }
    if (m.topic->starts_with(wire::direct::kInboxTopicPrefix)) {
      self->on_inbox_item(m);
      return;
    }
    self->pubsub_->retain(m);  // for peers that restart and ask
    self->deliver_topic(self->topic_event(id, m, author));
  });
  node->pubsub_->router().set_on_subscribe([weak](const core::PeerId& peer, const std::string& topic) {
    auto self = weak.lock();
    if (!self) return;
    if (topic == wire::advert::kTopic) {
      self->wake_adverts();  // a new peer learns our agents at once, not within a minute
      return;
    }
    if (topic.starts_with(wire::direct::kInboxTopicPrefix)) {
      // A route to that agent's inbox appeared: retry what waits for it now.
      auto agent = core::AgentId::parse(std::string_view(topic).substr(wire::direct::kInboxTopicPrefix.size()));
      if (!agent) return;
      const auto n = self->direct_->outbox.wake(self->clock_.now_ms(),
                                                [&](const store::OutboxRecord& r) { return r.recipient == *agent; });
      if (n > 0) self->wake_outbox();
      return;
    }
    self->maybe_catch_up(peer, topic);
  });
  node->schedule_dedup_purge();
  node->log_->info("node ready: {} agents, data dir {}", node->agents_.size(), dir.string());
  return node;
}

void Node::watch_peers() {
  std::weak_ptr<Node> weak = weak_from_this();
  transport::Host::Observer observer;
  observer.identified = [weak](const wire::identify::Info& info, std::optional<core::Multiaddr> dialed) {
    auto self = weak.lock();
    if (!self || self->stopped_) return;
    store::PeerRecord rec;
    rec.peer_id = info.peer.to_string();
    if (dialed) rec.addrs.push_back(dialed->without_peer_id().to_string());
    for (const auto& a : info.listen_addrs) {
      const auto text = a.without_peer_id().to_string();
      if (std::find(rec.addrs.begin(), rec.addrs.end(), text) == rec.addrs.end()) rec.addrs.push_back(text);
    }
    if (rec.addrs.empty()) return;  // nothing to redial
    rec.last_seen_ms = self->clock_.now_ms();
    const auto keep = self->config_.transport.max_remembered_peers;
    auto work = [rec, keep](store::Store& s) -> Result<void> { return s.put_peer(rec, keep); };
    asio::co_spawn(self->ex_, self->commit<void>(std::move(work)), asio::detached);
  };
  observer.forgotten = [weak](const core::PeerId& peer) {
    auto self = weak.lock();
    if (!self || self->stopped_) return;
    auto work = [id = peer.to_string()](store::Store& s) -> Result<void> { return s.delete_peer(id); };
    asio::co_spawn(self->ex_, self->commit<void>(std::move(work)), asio::detached);
  };
  host_->add_observer(std::move(observer));
}

void Node::stop() {
  if (stopped_) return;
  stopped_ = true;
  purge_timer_.cancel();
  if (direct_) {
    direct_->wake.cancel();
    for (auto& [id, w] : direct_->pending) w->timer.cancel();
    for (auto& [id, ws] : direct_->receipt_waiters) {
      for (auto& t : ws) t->cancel();
    }
    for (auto& [peer, ch] : direct_->channels) {
      ch->closed = true;
      ch->opened.cancel();
    }
  }
  if (pubsub_) pubsub_->stop();
  if (host_) host_->stop();
  if (writer_) writer_->stop();
}


Task<Result<void>> Node::subscribe_durable(core::AgentId agent, std::string topic) {
  if (!agents_.find(agent)) co_return error::unknown_agent;
  const auto created_ms = clock_.now_ms();
  WorkFn<std::size_t> put = [agent, topic, created_ms](store::Store& s) -> Result<std::size_t> {
    if (auto r = s.put_subscription(agent, topic, created_ms); !r) return r.error();
    return std::size_t{1};
  };
  auto done = co_await commit<std::size_t>(std::move(put));
  if (!done) co_return done.error();
  const bool first = durable_[topic].empty() && !topic_subscribers_.contains(topic);
  durable_[topic].emplace(agent, created_ms);
  if (first && pubsub_) pubsub_->join(topic);
  co_return Result<void>{};
}

Task<Result<void>> Node::unsubscribe_durable(core::AgentId agent, std::string topic) {
  WorkFn<std::size_t> del = [agent, topic](store::Store& s) -> Result<std::size_t> {
    if (auto r = s.delete_subscription(agent, topic); !r) return r.error();
    return std::size_t{1};
  };
  auto done = co_await commit<std::size_t>(std::move(del));
  if (!done) co_return done.error();
  if (auto it = durable_.find(topic); it != durable_.end()) {
    it->second.erase(agent);
    if (it->second.empty()) durable_.erase(it);
  }
  maybe_leave(topic);
  co_return Result<void>{};
}

Task<Result<void>> Node::block(core::AgentId agent, core::AgentId sender) {
  if (!agents_.find(agent)) co_return error::unknown_agent;
  const auto now = clock_.now_ms();
  WorkFn<std::size_t> put = [agent, sender, now](store::Store& s) -> Result<std::size_t> {
    if (auto r = s.put_block(agent, sender, now); !r) return r.error();
    return std::size_t{1};
  };
  auto done = co_await commit<std::size_t>(std::move(put));
  if (!done) co_return done.error();
  blocks_.insert({agent, sender});
  co_return Result<void>{};
}

Task<Result<void>> Node::unblock(core::AgentId agent, core::AgentId sender) {
  WorkFn<std::size_t> del = [agent, sender](store::Store& s) -> Result<std::size_t> {
    if (auto r = s.delete_block(agent, sender); !r) return r.error();
    return std::size_t{1};
  };
  auto done = co_await commit<std::size_t>(std::move(del));
  if (!done) co_return done.error();
  blocks_.erase({agent, sender});
  co_return Result<void>{};
}

std::vector<core::AgentId> Node::blocked_senders(const core::AgentId& agent) const {
  std::vector<core::AgentId> out;
  for (auto it = blocks_.lower_bound({agent, core::AgentId{}}); it != blocks_.end() && it->first == agent; ++it) {
    out.push_back(it->second);
  }
  return out;
}

std::vector<std::string> Node::durable_topics(const core::AgentId& agent) const {
  std::vector<std::string> out;
  for (const auto& [topic, agents] : durable_) {
    if (agents.contains(agent)) out.push_back(topic);
  }
  return out;
}

void Node::maybe_leave(const std::string& topic) {
  if (stopped_ || stopping_ || !pubsub_ || durable_.contains(topic) || topic_subscribers_.contains(topic)) return;
  pubsub_->leave(topic);
}

// Each durable subscriber gets the message in its inbox once: the request id
// is derived from the message id, and the dedup row outlives gossip's seen
// cache, so a message seen again (IWANT, a second path, a restart) is not
// delivered twice.
void Node::deliver_durable(const TopicEvent& e, std::optional<std::int64_t> replayed_received_ms) {
  auto it = durable_.find(e.topic);
  if (it == durable_.end() || stopped_) return;
  core::AgentId sender;
  if (e.from_agent) {
    if (auto a = core::AgentId::parse(*e.from_agent)) sender = *a;
  } else if (auto peer = core::PeerId::parse(e.from_peer)) {
    sender = core::AgentId::from_array(peer->public_key());  // a plain libp2p publisher: its peer key
  }
  core::RequestId::Bytes rid{};
  crypto::blake2b(rid, crypto::as_bytes(std::string("agentmesh/topic/v1") + e.message_id));
  const auto now = clock_.now_ms();
  for (const auto& [agent, subscribed_ms] : it->second) {
    if (replayed_received_ms && *replayed_received_ms < subscribed_ms) continue;  // from before it subscribed
    if (blocks_.contains({agent, sender})) continue;
    direct::Delivery d;
    d.record.agent = agent;
    d.record.sender = sender;
    d.record.request_id = core::RequestId::from_array(rid);
    d.record.received_ms = now;
    d.record.content.content_type = e.content_type;
    d.record.content.body = e.body;
    d.record.content.performative = "inform";
    d.record.content.protocol = "agentmesh/topic";
    d.record.content.metadata = {
        {"topic", e.topic},
        {"message_id", core::to_hex(crypto::as_bytes(e.message_id))},
        {"from_peer", e.from_peer}};
    d.digest = direct::content_digest(agent, d.record.content);
    d.dedup_expires_ms = now + config_.idempotency_retention_ms;
    std::weak_ptr<Node> weak = weak_from_this();
    auto task = [weak, agent, d = std::move(d)]() mutable -> Task<void> {
      auto self = weak.lock();
      if (!self) co_return;
      WorkFn<direct::DeliveryResult> work = [d = std::move(d)](store::Store& s) mutable {
        return direct::deliver(s, d);
      };
      auto delivered = co_await self->commit<direct::DeliveryResult>(std::move(work));
      if (!delivered) {
        self->counters_.messages_rejected.inc();
        self->log_->warn("topic message not stored for agent {}: {}", agent, delivered.error().message());
        co_return;
      }
      if (delivered->duplicate) {
        self->counters_.messages_duplicate.inc();
      } else {
        self->counters_.messages_accepted.inc();
        self->note_appended(agent, delivered->seq);
      }
    };
    asio::co_spawn(ex_, std::move(task), asio::detached);
  }
}

void Node::schedule_dedup_purge() {
  purge_timer_.expires_after(kPurgeInterval);
  purge_timer_.async_wait([weak = weak_from_this()](const boost::system::error_code& ec) {
    auto self = weak.lock();
    if (ec || !self || self->stopped_) return;
    const auto now = self->clock_.now_ms();
    const auto acked_cutoff = now - self->config_.acked_retention_ms;
    store::Job job;
    job.work = [now, acked_cutoff](store::Store& s) -> error_code {
      auto dedup = s.purge_dedup(now);
      if (!dedup) return dedup.error();
      auto statuses = s.purge_outbox(now);
      if (!statuses) return statuses.error();
      auto inbox = s.prune_acked_inbox(acked_cutoff);
      return inbox ? error_code{} : inbox.error();
    };
    (void)self->writer_->submit(std::move(job));  // a full queue skips one purge; the next one catches up
    self->schedule_dedup_purge();
  });
}

std::vector<ComponentHealth> Node::health() const {
  std::vector<ComponentHealth> out;
  const auto q = writer_->queue_stats();
  ComponentHealth store{"store", true, "ok"};
  if (stopped_) {
    store = {"store", false, "stopped"};
  } else if (writer_->last_commit_failed()) {
    store = {"store", false,
             fmt::format("the last commit failed{}", last_store_error_ ? ": " + last_store_error_.message() : "")};
  } else if (q.depth * 5 > q.capacity * 4) {
    store = {"store", false, fmt::format("write queue {}% full", q.depth * 100 / std::max<std::uint64_t>(1, q.capacity))};
  }
  out.push_back(std::move(store));
  out.push_back({"agents", true, fmt::format("{} local agents", agents_.size())});
  return out;
}

}  // namespace agentmesh::node
