// node/directory: adverts published and received, presence, and the
// directory's queries.

#include "node/directory.hpp"

#include <algorithm>

#include "node/spawn.hpp"
#include "node/storage_commit.hpp"

namespace agentmesh::node {

namespace {

std::span<const std::uint8_t> data_of(const std::string& s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

registry::DirectoryEntry entry_of(wire::advert::Advert advert) {
  registry::DirectoryEntry e(advert.peer);
  e.agent = core::AgentId::from_array(advert.agent);
  e.addrs = std::move(advert.addrs);
  e.capabilities = std::move(advert.capabilities);
  e.display_name = std::move(advert.display_name);
  e.a2a = std::move(advert.a2a);
  e.seq = advert.seq;
  e.expires_ms = static_cast<std::int64_t>(advert.expires_ms);
  return e;
}

// A published profile as an advert carries it: whole when it fits, else
// without its skills; empty when the agent is not published.
std::string advert_profile(const std::string& stored) {
  if (stored.empty()) return {};
  auto p = a2a::decode(stored);
  if (!p || !p->enabled) return {};
  if (stored.size() <= wire::advert::kMaxA2aBytes) return stored;
  p->skills.clear();
  auto small = a2a::encode(*p);
  return small.size() <= wire::advert::kMaxA2aBytes ? small : std::string();
}

// A remote agent's published profile, when its advert carries a valid one.
std::optional<a2a::Profile> published_profile(const std::string& bytes) {
  if (bytes.empty()) return std::nullopt;
  auto p = a2a::decode(bytes);
  std::string why;
  if (!p || !p->enabled || !a2a::validate(*p, why)) return std::nullopt;
  return std::move(*p);
}

}  // namespace

DirectoryService::DirectoryService(ServiceContext ctx, std::shared_ptr<AgentService> agents, std::shared_ptr<Mesh> mesh,
                                   registry::DirectoryConfig config)
    : ctx_(std::move(ctx)),
      agents_(std::move(agents)),
      mesh_(std::move(mesh)),
      directory_(config),
      liveness_(ctx_.config->presence) {}

registry::Presence DirectoryService::presence_of(const registry::DirectoryEntry& e, std::int64_t now_ms) const {
  if (!registry::Directory::online(e, now_ms)) return registry::Presence::offline;  // expired or withdrawn
  const auto p = liveness_.presence(e.peer, now_ms);
  return p == registry::Presence::unknown ? registry::Presence::online : p;  // unknown: by the advert alone
}

bool DirectoryService::published(const core::AgentId& agent) const {
  const auto* e = directory_.find(agent);
  return e && profile_of(*e).has_value();
}

const std::optional<a2a::Profile>& DirectoryService::profile_of(const registry::DirectoryEntry& e) const {
  static const std::optional<a2a::Profile> none;
  if (e.a2a.empty()) return none;
  auto it = profiles_.find(e.agent);
  if (it == profiles_.end()) {
    if (profiles_.size() >= directory_.size()) profiles_.clear();
    it = profiles_.emplace(e.agent, DecodedProfile{}).first;
  } else if (it->second.seq == e.seq && it->second.size == e.a2a.size()) {
    return it->second.profile;
  }
  it->second = DecodedProfile{e.seq, e.a2a.size(), published_profile(e.a2a)};
  return it->second.profile;
}

DirectoryView DirectoryService::remote_view(const registry::DirectoryEntry& e, std::int64_t now_ms) const {
  DirectoryView v;
  v.agent_id = e.agent.to_string();
  v.peer_id = e.peer.to_string();
  for (const auto& a : e.addrs) v.addrs.push_back(a.with_peer_id(e.peer).to_string());
  v.capabilities = e.capabilities;
  v.display_name = e.display_name;
  v.a2a = profile_of(e);
  v.seq = e.seq;
  v.expires_ms = e.expires_ms;
  v.last_seen_ms = e.last_seen_ms;
  const auto p = presence_of(e, now_ms);
  v.online = p != registry::Presence::offline;
  v.presence = registry::presence_name(p);
  return v;
}

Result<void> DirectoryService::load(std::string& why) {
  auto rows = ctx_.storage->reader().list_directory(registry::DirectoryConfig{}.max_entries);
  if (!rows) {
    why = "cannot read the directory: " + rows.error().message();
    return rows.error();
  }
  std::size_t loaded = 0;
  for (const auto& row : *rows) {
    auto advert = wire::advert::decode(data_of(row.advert));
    if (!advert) continue;  // checked when it arrived; a row we cannot read is skipped
    auto e = entry_of(std::move(*advert));
    e.expires_ms = row.expires_ms;
    e.last_seen_ms = row.last_seen_ms;
    if (directory_.upsert(std::move(e)) == registry::Directory::Upsert::added) ++loaded;
  }
  if (loaded > 0) ctx_.log->info("directory: {} agents loaded", loaded);
  return {};
}

AgentService::Observer DirectoryService::agent_observer() {
  std::weak_ptr<DirectoryService> weak = weak_from_this();
  AgentService::Observer o;
  o.created = [weak](const store::AgentRecord& a) {
    auto self = weak.lock();
    if (!self) return;
    self->announce(a.id);
    self->changed();
  };
  o.updated = [weak](const store::AgentRecord& before, const store::AgentRecord& after) {
    auto self = weak.lock();
    if (!self) return;
    // Others see it offline now, not when its advert expires.
    if (before.state == store::AgentState::running && after.state != store::AgentState::running) {
      self->withdraw(after.id);
    }
    self->announce(after.id);
    self->changed();
  };
  o.deleted = [weak](const store::AgentRecord& a) {
    auto self = weak.lock();
    if (!self) return;
    self->withdraw(a.id);  // while its key is still cached
    self->advertised_ms_.erase(a.id);
    self->changed();
  };
  return o;
}

void DirectoryService::start() {
  AGENTMESH_ASSERT_ON_THREAD(*ctx_.thread);
  mesh_->join(std::string(wire::advert::kTopic));
  mesh_->join(std::string(wire::advert::kBeaconTopic));
  next_beacon_ms_ = ctx_.now_ms() + ctx_.config->presence.beacon_interval.count();
  // The first round follows soon, once the first peers are connected.
  next_round_ms_ = ctx_.now_ms() + kAdvertMinGap.count();
  std::weak_ptr<DirectoryService> weak = weak_from_this();
  ticker_.start(ctx_, "advert_loop", [weak]() -> std::optional<core::UnixMs> {
    auto self = weak.lock();
    return self ? self->tick() : std::nullopt;
  });
}

void DirectoryService::stop() {
  stopped_ = true;
  ticker_.stop();
}

void DirectoryService::wake() {
  wanted_ = true;
  ticker_.wake();
}

void DirectoryService::announce(const core::AgentId& agent) {
  if (std::find(announce_.begin(), announce_.end(), agent) == announce_.end()) announce_.push_back(agent);
  ticker_.wake();
}

std::optional<core::UnixMs> DirectoryService::tick() {
  AGENTMESH_ASSERT_ON_THREAD(*ctx_.thread);
  const auto now = ctx_.now_ms();
  const auto earliest = last_round_ms_ + kAdvertMinGap.count();
  if ((wanted_ || now >= next_round_ms_) && now >= earliest) {
    wanted_ = false;
    last_round_ms_ = now;
    next_round_ms_ = now + std::chrono::milliseconds(kAdvertInterval).count();
    if (!stopped_) publish_round();
  }
  const auto announced = publish_announced(now);
  if (now >= next_beacon_ms_) {
    next_beacon_ms_ = now + ctx_.config->presence.beacon_interval.count();
    if (!stopped_) publish_beacon();
  }
  liveness_.tick(now);
  if (directory_.expire(now) > 0) {
    changed();
    const auto cutoff = now - registry::DirectoryConfig{}.keep_offline.count();
    persist([cutoff](store::Store& s) { return s.purge_directory(cutoff); });
  }
  return std::min({wanted_ ? std::max(earliest, now) : next_round_ms_, next_beacon_ms_,
                   announced.value_or(next_beacon_ms_)});
}

std::optional<core::UnixMs> DirectoryService::publish_announced(core::UnixMs now) {
  if (announce_.empty() || stopped_) return std::nullopt;
  std::optional<core::UnixMs> next;
  std::vector<core::Multiaddr> addrs;
  std::erase_if(announce_, [&](const core::AgentId& id) {
    const auto* a = agents_->find(id);
    if (!a) return true;  // deleted meanwhile
    if (auto last = advertised_ms_.find(id); last != advertised_ms_.end()) {
      const auto due = last->second + kAdvertMinGap.count();
      if (now < due) {
        next = std::min(next.value_or(due), due);
        return false;
      }
    }
    if (addrs.empty()) addrs = advert_addrs();
    publish_agent(*a, addrs, static_cast<std::uint64_t>(now));
    return true;
  });
  return next;
}

// Only daemons that host running agents beacon: presence is about agents.
void DirectoryService::publish_beacon() {
  const auto all = agents_->all();
  if (std::none_of(all.begin(), all.end(), [](const auto* a) { return a->state == store::AgentState::running; })) {
    return;
  }
  if (auto r = mesh_->publish(std::string(wire::advert::kBeaconTopic), std::string()); r) ++beacons_published_;
}

pubsub::Validation DirectoryService::validate_beacon(const wire::pubsub::Message& m) {
  // Signed by its daemon (StrictSign, checked by the router); nothing else in it.
  if (!m.from || (m.data && !m.data->empty())) return pubsub::Validation::reject;
  return pubsub::Validation::accept;
}

void DirectoryService::on_beacon(const core::PeerId& author) {
  AGENTMESH_ASSERT_ON_THREAD(*ctx_.thread);
  ++beacons_received_;
  liveness_.heard(author, ctx_.now_ms());
}

void DirectoryService::catch_up_from(const core::PeerId& peer) {
  AGENTMESH_ASSERT_ON_THREAD(*ctx_.thread);
  if (stopped_ || catch_ups_running_ >= kMaxCatchUps) return;
  const auto now = ctx_.now_ms();
  auto& last = caught_up_from_[peer];
  if (last != 0 && now - last < kCatchUpGap.count()) return;
  last = now;
  if (caught_up_from_.size() > 4096) {  // bounded: forget the peers asked longest ago
    std::erase_if(caught_up_from_, [&](const auto& kv) { return now - kv.second >= kCatchUpGap.count(); });
  }
  ++catch_ups_running_;
  ++catch_ups_;
  const auto since =
      std::max<std::int64_t>(now - std::chrono::milliseconds(kAdvertInterval).count() - kAdvertMinGap.count() * 5, 0);
  std::weak_ptr<DirectoryService> weak = weak_from_this();
  // Replayed messages passed the router's checks and this service's
  // validate() (signature, host binding, expiry, newer than ours).
  auto handler = [weak](const pubsub::MessageId&, const wire::pubsub::Message& m, const core::PeerId&, std::uint64_t) {
    if (auto self = weak.lock()) {
      ++self->caught_up_adverts_;
      self->on_advert(m);
    }
  };
  ctx_.spawn("directory_catch_up", peer.to_string(), [weak, peer, since, handler]() -> Task<void> {
    auto self = weak.lock();
    if (!self) co_return;
    auto mesh = self->mesh_;
    self.reset();
    auto r =
        co_await mesh->replay_from(peer, std::string(wire::advert::kTopic), static_cast<std::uint64_t>(since), handler);
    self = weak.lock();
    if (!self) co_return;
    --self->catch_ups_running_;
    if (!r) self->ctx_.log->debug("directory: catching up from {} failed: {}", peer.to_string(), r.error().message());
  });
}

void DirectoryService::beacon_soon() {
  next_beacon_ms_ = ctx_.now_ms();
  ticker_.wake();
}

void DirectoryService::on_peer_disconnected(const core::PeerId& peer) {
  AGENTMESH_ASSERT_ON_THREAD(*ctx_.thread);
  liveness_.disconnected(peer, ctx_.now_ms());
}

void DirectoryService::publish(const wire::advert::Advert& advert) {
  if (auto r = mesh_->publish(std::string(wire::advert::kTopic), wire::advert::encode(advert)); r) ++published_;
}

std::vector<core::Multiaddr> DirectoryService::advert_addrs() const {
  // Circuit addresses first: a daemon behind NAT with many interfaces must
  // not lose the only addresses others can reach it at to the advert's limit
  // (the dialer tries direct ones first whatever the order).
  std::vector<core::Multiaddr> addrs;
  auto all = mesh_->listen_addrs();
  std::stable_partition(all.begin(), all.end(), [](const core::Multiaddr& a) {
    const auto& parts = a.components();
    return std::any_of(parts.begin(), parts.end(),
                       [](const auto& c) { return c.protocol == core::MultiaddrProtocol::p2p_circuit; });
  });
  for (auto& a : all) {
    if (addrs.size() >= wire::advert::kMaxAddrs) break;
    addrs.push_back(std::move(a));
  }
  return addrs;
}

void DirectoryService::publish_round() {
  const auto now = static_cast<std::uint64_t>(ctx_.now_ms());
  const auto addrs = advert_addrs();
  for (const auto* a : agents_->all()) publish_agent(*a, addrs, now);
}

void DirectoryService::publish_agent(const store::AgentRecord& a, const std::vector<core::Multiaddr>& addrs,
                                     std::uint64_t now) {
  if (a.state != store::AgentState::running) return;
  const auto* key = agents_->signing_key(a.id);  // cached after the first read of its key file
  if (!key) {
    ctx_.log->warn("advert for agent {}: cannot read its key file", a.name);
    return;
  }
  wire::advert::Advert advert(mesh_->self());
  advert.addrs = addrs;
  for (const auto& c : a.capabilities) {
    if (advert.capabilities.size() >= wire::advert::kMaxCapabilities) break;
    if (!c.empty() && c.size() <= wire::advert::kMaxTextBytes) advert.capabilities.push_back(c);
  }
  advert.display_name = a.display_name.substr(0, wire::advert::kMaxTextBytes);
  advert.a2a = advert_profile(a.a2a);
  advert.seq = now;
  advert.expires_ms = now + kAdvertLifetimeMs;
  wire::advert::sign(advert, *key);
  publish(advert);
  advertised_ms_[a.id] = static_cast<core::UnixMs>(now);
}

void DirectoryService::withdraw(const core::AgentId& agent) {
  if (stopped_) return;
  const auto* key = agents_->signing_key(agent);
  if (!key) return;
  const auto now = static_cast<std::uint64_t>(ctx_.now_ms());
  wire::advert::Advert advert(mesh_->self());
  advert.seq = now;
  advert.expires_ms = now;  // expiry == seq: withdrawn
  wire::advert::sign(advert, *key);
  publish(advert);
  advertised_ms_[agent] = static_cast<core::UnixMs>(now);  // an advert after it must be newer
}

pubsub::Validation DirectoryService::validate(const wire::pubsub::Message& m) const {
  if (!m.data || !m.from) return pubsub::Validation::reject;
  auto advert = wire::advert::decode(data_of(*m.data));
  if (!advert || !wire::advert::verify(*advert)) return pubsub::Validation::reject;
  // The daemon that publishes an advert must be the one it names.
  auto author = core::PeerId::from_multihash(data_of(*m.from));
  if (!author || *author != advert->peer) return pubsub::Validation::reject;
  // Expired or not newer than what we have: not forwarded, not held against
  // the sender. A withdrawal (expiry == seq) is expired by design; it counts
  // while it is no older than an advert's lifetime.
  const auto now = ctx_.now_ms();
  const bool withdrawal =
      advert->expires_ms == advert->seq && static_cast<std::int64_t>(advert->seq) + kAdvertLifetimeMs > now;
  if ((!withdrawal && static_cast<std::int64_t>(advert->expires_ms) <= now) ||
      directory_.is_stale(core::AgentId::from_array(advert->agent), advert->seq)) {
    return pubsub::Validation::ignore;
  }
  return pubsub::Validation::accept;
}

void DirectoryService::on_advert(const wire::pubsub::Message& m) {
  AGENTMESH_ASSERT_ON_THREAD(*ctx_.thread);
  if (!m.data) return;
  auto advert = wire::advert::decode(data_of(*m.data));
  if (!advert) return;  // the validator accepted it: cannot happen
  ++received_;
  auto e = entry_of(std::move(*advert));
  e.last_seen_ms = ctx_.now_ms();
  if (agents_->find(e.agent)) return;
  // An advert is signed by its agent, and its publisher is its host (validate()).
  if (e.expires_ms != static_cast<std::int64_t>(e.seq))
    liveness_.heard(e.peer, e.last_seen_ms);  // one of ours, hosted here (an old advert coming back)
  store::DirectoryRecord row;
  row.agent = e.agent;
  row.advert = *m.data;
  row.last_seen_ms = e.last_seen_ms;
  row.expires_ms = e.expires_ms;
  bool new_address = false;
  if (const auto* before = directory_.find(e.agent); before && before->peer == e.peer) {
    new_address = std::any_of(e.addrs.begin(), e.addrs.end(), [&](const core::Multiaddr& a) {
      return std::find(before->addrs.begin(), before->addrs.end(), a) == before->addrs.end();
    });
  }
  const auto peer = e.peer;
  const auto outcome = directory_.upsert(std::move(e));  // a full directory counts the refusal itself
  if (outcome == registry::Directory::Upsert::added || outcome == registry::Directory::Upsert::updated) {
    changed();
    if (new_address && on_new_addresses_) on_new_addresses_(peer);
    persist([row = std::move(row)](store::Store& s) -> Result<std::size_t> {
      if (auto r = s.put_directory(row); !r) return r.error();
      return std::size_t{1};
    });
  }
}

// The directory's rows are a cache of signed adverts: written as they come,
// nobody waits for the commit.
void DirectoryService::persist(WorkFn<std::size_t> work) {
  std::weak_ptr<DirectoryService> weak = weak_from_this();
  ctx_.spawn("directory_store", {}, [weak, work = std::move(work)]() mutable -> Task<void> {
    auto self = weak.lock();
    if (!self) co_return;
    auto r = co_await self->ctx_.storage->commit<std::size_t>(std::move(work));
    if (!r) self->ctx_.log->warn("directory: store write failed: {}", r.error().message());
  });
}

DirectoryView DirectoryService::local_view(const store::AgentRecord& a) const {
  DirectoryView v;
  v.agent_id = a.id.to_string();
  const auto self = mesh_->self();
  v.peer_id = self.to_string();
  for (const auto& addr : mesh_->listen_addrs()) v.addrs.push_back(addr.with_peer_id(self).to_string());
  v.capabilities = a.capabilities;
  v.display_name = a.display_name;
  v.a2a = published_profile(a.a2a);
  v.last_seen_ms = ctx_.now_ms();
  v.online = a.state == store::AgentState::running;
  v.presence = v.online ? "online" : "offline";
  v.local = true;
  return v;
}

std::vector<DirectoryView> DirectoryService::search(const std::string& capability, bool online_only) const {
  AGENTMESH_ASSERT_ON_THREAD(*ctx_.thread);
  const auto now = ctx_.now_ms();
  std::vector<DirectoryView> out;
  for (const auto* a : agents_->all()) {
    if (!capability.empty() &&
        std::find(a->capabilities.begin(), a->capabilities.end(), capability) == a->capabilities.end()) {
      continue;
    }
    auto v = local_view(*a);
    if (!online_only || v.online) out.push_back(std::move(v));
  }
  const auto remote = capability.empty() ? directory_.all() : directory_.with_capability(capability);
  for (const auto* e : remote) {
    auto v = remote_view(*e, now);
    if (!online_only || v.online) out.push_back(std::move(v));
  }
  std::sort(out.begin(), out.end(), [](const auto& x, const auto& y) { return x.agent_id < y.agent_id; });
  return out;
}

std::optional<DirectoryView> DirectoryService::entry(const core::AgentId& agent) const {
  AGENTMESH_ASSERT_ON_THREAD(*ctx_.thread);
  if (const auto* a = agents_->find(agent)) return local_view(*a);
  if (const auto* e = directory_.find(agent)) return remote_view(*e, ctx_.now_ms());
  return std::nullopt;
}

DirectoryStats DirectoryService::stats() const {
  DirectoryStats s;
  s.agents = directory_.size();
  s.published = published_;
  s.received = received_;
  s.refused_full = directory_.refused_full();
  s.beacons_published = beacons_published_;
  s.beacons_received = beacons_received_;
  s.catch_ups = catch_ups_;
  s.caught_up_adverts = caught_up_adverts_;
  s.liveness = liveness_.stats(ctx_.now_ms());
  return s;
}

}  // namespace agentmesh::node
