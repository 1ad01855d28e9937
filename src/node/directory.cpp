// Node: agent adverts and the directory (issue 5, "Directory"). Each running
// local agent's advert is signed by the agent, published by this daemon on
// agentmesh/adverts/1 every kAdvertInterval and soon after a change; adverts
// from other daemons are checked by the topic validator (agent signature, the
// publishing daemon is the advert's host, not expired, newer than what we
// have) and recorded in the in-memory directory.

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "node/commit.hpp"
#include "node/node.hpp"
#include "pubsub/service.hpp"
#include "transport/host.hpp"
#include "wire/advert.hpp"

namespace agentmesh::node {

namespace asio = boost::asio;

namespace {
constexpr std::chrono::seconds kAdvertInterval{60};
// An advert is valid for three intervals: two can be lost before the agent
// shows offline.
constexpr std::int64_t kAdvertLifetimeMs = 3 * 60'000;
// Republishing on a change or a new peer waits at least this long after the
// last round, so bursts of changes cost one round.
constexpr std::chrono::milliseconds kAdvertMinGap{1000};

std::span<const std::uint8_t> data_of(const wire::pubsub::Message& m) {
  return {reinterpret_cast<const std::uint8_t*>(m.data->data()), m.data->size()};
}
}  // namespace

void Node::start_adverts() {
  pubsub_->join(std::string(wire::advert::kTopic));
  advert_timer_ = std::make_shared<asio::steady_timer>(ex_);
  advert_timer_->expires_after(kAdvertMinGap);
  asio::co_spawn(ex_, advert_loop(), asio::detached);
}

void Node::wake_adverts() {
  if (advert_timer_) advert_timer_->cancel();
}

Task<void> Node::advert_loop() {
  std::weak_ptr<Node> weak = weak_from_this();
  auto timer = advert_timer_;
  for (;;) {
    auto [ec] = co_await timer->async_wait(asio::as_tuple(asio::use_awaitable));
    auto self = weak.lock();
    if (!self || self->stopped_ || self->stopping_) co_return;
    const auto now = std::chrono::steady_clock::now();
    if (ec && now - self->last_advert_ < kAdvertMinGap) {  // woken early, too soon after the last round
      timer->expires_at(self->last_advert_ + kAdvertMinGap);
      continue;
    }
    self->last_advert_ = now;
    self->publish_adverts();
    const auto now_ms = self->clock_.now_ms();
    if (self->directory_.expire(now_ms) > 0) {
      const auto cutoff = now_ms - registry::DirectoryConfig{}.keep_offline.count();
      self->store_directory_work([cutoff](store::Store& s) { return s.purge_directory(cutoff); });
    }
    timer->expires_after(kAdvertInterval);
  }
}

void Node::publish_adverts() {
  const auto now = static_cast<std::uint64_t>(clock_.now_ms());
  std::vector<core::Multiaddr> addrs;
  for (const auto& a : host_->listen_addrs()) {
    if (addrs.size() >= wire::advert::kMaxAddrs) break;
    addrs.push_back(a);
  }
  for (const auto* a : agents_.all()) {
    if (a->state != store::AgentState::running) continue;
    const auto* key = agent_key(a->id);  // cached after the first read of its key file
    if (!key) {
      log_->warn("advert for agent {}: cannot read its key file", a->name);
      continue;
    }
    wire::advert::Advert advert(host_->peer_id());
    advert.addrs = addrs;
    for (const auto& c : a->capabilities) {
      if (advert.capabilities.size() >= wire::advert::kMaxCapabilities) break;
      if (!c.empty() && c.size() <= wire::advert::kMaxTextBytes) advert.capabilities.push_back(c);
    }
    advert.display_name = a->display_name.substr(0, wire::advert::kMaxTextBytes);
    advert.seq = now;
    advert.expires_ms = now + kAdvertLifetimeMs;
    wire::advert::sign(advert, *key);
    if (auto r = pubsub_->publish(std::string(wire::advert::kTopic), wire::advert::encode(advert)); r) {
      ++adverts_published_;
    }
  }
}

void Node::withdraw_advert(const core::AgentId& agent) {
  const auto* key = agent_key(agent);
  if (!key || !pubsub_ || stopped_) return;
  const auto now = static_cast<std::uint64_t>(clock_.now_ms());
  wire::advert::Advert advert(host_->peer_id());
  advert.seq = now;
  advert.expires_ms = now;  // expiry == seq: withdrawn
  wire::advert::sign(advert, *key);
  if (auto r = pubsub_->publish(std::string(wire::advert::kTopic), wire::advert::encode(advert)); r) {
    ++adverts_published_;
  }
}

int Node::validate_advert(const wire::pubsub::Message& m) const {
  if (!m.data) return static_cast<int>(pubsub::Validation::reject);
  auto advert = wire::advert::decode(data_of(m));
  if (!advert || !wire::advert::verify(*advert)) return static_cast<int>(pubsub::Validation::reject);
  // The daemon that publishes an advert must be the one it names.
  auto author = core::PeerId::from_multihash({reinterpret_cast<const std::uint8_t*>(m.from->data()), m.from->size()});
  if (!author || *author != advert->peer) return static_cast<int>(pubsub::Validation::reject);
  // Expired or not newer than what we have: not forwarded, not held against
  // the sender. A withdrawal (expiry == seq) is expired by design; it counts
  // while it is no older than an advert's lifetime.
  const auto now = clock_.now_ms();
  const bool withdrawal = advert->expires_ms == advert->seq &&
                          static_cast<std::int64_t>(advert->seq) + kAdvertLifetimeMs > now;
  if ((!withdrawal && static_cast<std::int64_t>(advert->expires_ms) <= now) ||
      directory_.is_stale(core::AgentId::from_array(advert->agent), advert->seq)) {
    return static_cast<int>(pubsub::Validation::ignore);
  }
  return static_cast<int>(pubsub::Validation::accept);
}

void Node::on_advert(const wire::pubsub::Message& m) {
  auto advert = wire::advert::decode(data_of(m));
  if (!advert) return;  // the validator accepted it: cannot happen
  ++adverts_received_;
  registry::DirectoryEntry e(advert->peer);
  e.agent = core::AgentId::from_array(advert->agent);
  e.addrs = std::move(advert->addrs);
  e.capabilities = std::move(advert->capabilities);
  e.display_name = std::move(advert->display_name);
  e.seq = advert->seq;
  e.expires_ms = static_cast<std::int64_t>(advert->expires_ms);
  e.last_seen_ms = clock_.now_ms();
  if (agents_.find(e.agent)) return;  // one of ours, hosted here (an old advert coming back)
  store::DirectoryRecord row;
  row.agent = e.agent;
  row.advert = *m.data;
  row.last_seen_ms = e.last_seen_ms;
  row.expires_ms = e.expires_ms;
  const auto outcome = directory_.upsert(std::move(e));  // a full directory counts the refusal itself
  if (outcome == registry::Directory::Upsert::added || outcome == registry::Directory::Upsert::updated) {
    store_directory_work([row = std::move(row)](store::Store& s) -> Result<std::size_t> {
      if (auto r = s.put_directory(row); !r) return r.error();
      return std::size_t{1};
    });
  }
}

void Node::load_directory(const std::vector<store::DirectoryRecord>& rows) {
  std::size_t loaded = 0;
  for (const auto& row : rows) {
    auto advert = wire::advert::decode(
        {reinterpret_cast<const std::uint8_t*>(row.advert.data()), row.advert.size()});
    if (!advert) continue;  // checked when it arrived; a row we cannot read is skipped
    registry::DirectoryEntry e(advert->peer);
    e.agent = row.agent;
    e.addrs = std::move(advert->addrs);
    e.capabilities = std::move(advert->capabilities);
    e.display_name = std::move(advert->display_name);
    e.seq = advert->seq;
    e.expires_ms = row.expires_ms;
    e.last_seen_ms = row.last_seen_ms;
    if (directory_.upsert(std::move(e)) == registry::Directory::Upsert::added) ++loaded;
  }
  if (loaded > 0) log_->info("directory: {} agents loaded", loaded);
}

void Node::store_directory_work(WorkFn<std::size_t> work) {
  std::weak_ptr<Node> weak = weak_from_this();
  auto task = [weak, work = std::move(work)]() mutable -> Task<void> {
    auto self = weak.lock();
    if (!self || self->stopped_) co_return;
    auto r = co_await self->commit<std::size_t>(std::move(work));
    if (!r) self->log_->warn("directory: store write failed: {}", r.error().message());
  };
  asio::co_spawn(ex_, std::move(task), asio::detached);
}

namespace {
DirectoryView view_of(const registry::DirectoryEntry& e, std::int64_t now_ms) {
  DirectoryView v;
  v.agent_id = e.agent.to_string();
  v.peer_id = e.peer.to_string();
  for (const auto& a : e.addrs) v.addrs.push_back(a.with_peer_id(e.peer).to_string());
  v.capabilities = e.capabilities;
  v.display_name = e.display_name;
  v.seq = e.seq;
  v.expires_ms = e.expires_ms;
  v.last_seen_ms = e.last_seen_ms;
  v.online = registry::Directory::online(e, now_ms);
  return v;
}
}  // namespace

DirectoryView Node::local_view(const store::AgentRecord& a) const {
  DirectoryView v;
  v.agent_id = a.id.to_string();
  v.peer_id = host_->peer_id().to_string();
  for (const auto& addr : host_->listen_addrs()) v.addrs.push_back(addr.with_peer_id(host_->peer_id()).to_string());
  v.capabilities = a.capabilities;
  v.display_name = a.display_name;
  v.last_seen_ms = clock_.now_ms();
  v.online = a.state == store::AgentState::running;
  v.local = true;
  return v;
}

std::vector<DirectoryView> Node::directory(const std::string& capability, bool online_only) const {
  const auto now = clock_.now_ms();
  std::vector<DirectoryView> out;
  for (const auto* a : agents_.all()) {
    if (!capability.empty() &&
        std::find(a->capabilities.begin(), a->capabilities.end(), capability) == a->capabilities.end()) {
      continue;
    }
    auto v = local_view(*a);
    if (!online_only || v.online) out.push_back(std::move(v));
  }
  const auto remote = capability.empty() ? directory_.all() : directory_.with_capability(capability);
  for (const auto* e : remote) {
    auto v = view_of(*e, now);
    if (!online_only || v.online) out.push_back(std::move(v));
  }
  std::sort(out.begin(), out.end(), [](const auto& x, const auto& y) { return x.agent_id < y.agent_id; });
  return out;
}

std::optional<DirectoryView> Node::directory_entry(const core::AgentId& agent) const {
  if (const auto* a = agents_.find(agent)) return local_view(*a);
  if (const auto* e = directory_.find(agent)) return view_of(*e, clock_.now_ms());
  return std::nullopt;
}

}  // namespace agentmesh::node
