#pragma once
// node/directory: who is on the mesh, what they can do, and whether they are
// online (issue 5, "Directory"; docs/wire/advert.md).
//
// Adverts: every running local agent's advert (capabilities, display name,
// this daemon's addresses) is signed by the agent and published on
// agentmesh/adverts/1 every kAdvertInterval, and soon after a change or a new
// subscriber (never more than once per kAdvertMinGap). An agent that is
// deleted or stops running is withdrawn at once: a signed advert whose expiry
// equals its seq, so other directories show it offline now rather than when
// its advert expires.
//
// Presence: an entry is online until its advert's expiry (three intervals:
// two adverts can be lost), unless the failure detector (registry/liveness)
// says its daemon is gone: every daemon hosting running agents publishes a
// beacon on agentmesh/beacons/1 every beacon interval (1 s), and a daemon
// silent for 4 intervals (or whose connection to us closed) is `suspect`,
// for 12 intervals `offline`. Offline entries stay for keep_offline (1 h),
// then tick() drops them, here and in SQLite.
//
// Other daemons' adverts pass validate() (the agent's signature, the
// publishing daemon is the advert's host, not expired, newer than what we
// have) before on_advert() records them, in memory and in SQLite (loaded at
// start).
//
// Threading: the node's executor (checked in debug builds).

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "node/agents.hpp"
#include "node/context.hpp"
#include "node/mesh.hpp"
#include "node/ticker.hpp"
#include "node/types.hpp"
#include "pubsub/router.hpp"
#include "registry/directory.hpp"
#include "registry/liveness.hpp"
#include "wire/advert.hpp"

namespace agentmesh::node {

struct DirectoryStats {
  std::size_t agents = 0;  // remote agents known
  std::uint64_t published = 0;
  std::uint64_t received = 0;
  std::uint64_t refused_full = 0;
  std::uint64_t beacons_published = 0;
  std::uint64_t beacons_received = 0;
  std::uint64_t catch_ups = 0;          // replays of the adverts topic asked for
  std::uint64_t caught_up_adverts = 0;  // new adverts they brought
  registry::LivenessStats liveness;     // the daemons hosting them
};

class DirectoryService : public std::enable_shared_from_this<DirectoryService> {
 public:
  static constexpr std::chrono::seconds kAdvertInterval{60};
  // Three intervals: two adverts can be lost before the agent shows offline.
  static constexpr std::int64_t kAdvertLifetimeMs = 3 * 60'000;
  // A round (every agent's advert) for a new peer waits at least this long
  // after the last round, so a burst of new peers costs one round. An agent
  // created or changed is advertised alone at once, unless its own last
  // advert is younger than this (then when it is this old).
  static constexpr std::chrono::milliseconds kAdvertMinGap{1000};
  static constexpr std::size_t kMaxCatchUps = 3;
  static constexpr std::chrono::milliseconds kCatchUpGap{30'000};

  DirectoryService(ServiceContext ctx, std::shared_ptr<AgentService> agents, std::shared_ptr<Mesh> mesh,
                   registry::DirectoryConfig config = {});

  // Loads the adverts kept in SQLite.
  Result<void> load(std::string& why);
  // Adverts on create/update, withdrawals on delete and stop.
  AgentService::Observer agent_observer();
  // Joins the adverts topic; the first round follows within kAdvertMinGap.
  void start();
  void stop();
  // Publish soon: something changed, or a peer joined the adverts topic.
  void wake();
  // Called when what search() answers may have changed: a local agent
  // created, changed or deleted, a remote advert added or updated, entries
  // expired (node/peers.hpp: the mesh watchers).
  void set_on_change(std::function<void()> on_change) { on_change_ = std::move(on_change); }
  // Called with an advert's daemon when the advert lists an address of it
  // that the agent's previous advert did not (a relay circuit after a
  // reservation, a new listener): the direct path may reach it now.
  void set_on_new_addresses(std::function<void(const core::PeerId&)> f) { on_new_addresses_ = std::move(f); }
  // `peer` joined the adverts topic (a new or restored connection): ask it
  // for the adverts it received in the last advert interval (topic replay,
  // /agentmesh/topic-replay/1.0.0), so a joining or healed daemon sees every
  // live agent within a few round trips, not at the next republish. At most
  // kMaxCatchUps at a time, each peer at most once per kCatchUpGap.
  void catch_up_from(const core::PeerId& peer);
  // Publishes a round when due, expires presence; the next due time.
  std::optional<core::UnixMs> tick();

  // --- the adverts topic ---
  pubsub::Validation validate(const wire::pubsub::Message& m) const;
  void on_advert(const wire::pubsub::Message& m);

  // --- presence: the beacons topic and connections ---
  static pubsub::Validation validate_beacon(const wire::pubsub::Message& m);
  void on_beacon(const core::PeerId& author);
  void on_peer_disconnected(const core::PeerId& peer);
  // The next beacon now (a peer joined the beacons topic).
  void beacon_soon();

  // --- queries ---
  // Local agents and remote ones, ordered by id. `capability` empty: all.
  std::vector<DirectoryView> search(const std::string& capability, bool online_only) const;
  std::optional<DirectoryView> entry(const core::AgentId& agent) const;
  // A remote agent's entry (its hosting daemon and addresses), if known.
  const registry::DirectoryEntry* find(const core::AgentId& agent) const { return directory_.find(agent); }
  // A remote agent whose advert carries an enabled A2A profile.
  bool published(const core::AgentId& agent) const;
  DirectoryStats stats() const;

 private:
  void publish_round();
  // The adverts of agents created or changed whose last advert is old
  // enough; the time the next one is due, if any wait.
  std::optional<core::UnixMs> publish_announced(core::UnixMs now);
  void announce(const core::AgentId& agent);
  std::vector<core::Multiaddr> advert_addrs() const;
  // Signs and publishes `a`'s advert (a running agent with a readable key).
  void publish_agent(const store::AgentRecord& a, const std::vector<core::Multiaddr>& addrs, std::uint64_t now);
  void publish_beacon();
  registry::Presence presence_of(const registry::DirectoryEntry& e, std::int64_t now_ms) const;
  DirectoryView remote_view(const registry::DirectoryEntry& e, std::int64_t now_ms) const;
  // The enabled, valid A2A profile an entry's advert carries: decoded once
  // per advert (by the advert's seq and the profile's size), not per view.
  const std::optional<a2a::Profile>& profile_of(const registry::DirectoryEntry& e) const;
  void withdraw(const core::AgentId& agent);
  void publish(const wire::advert::Advert& advert);
  DirectoryView local_view(const store::AgentRecord& a) const;
  void persist(WorkFn<std::size_t> work);
  void changed() {
    if (on_change_) on_change_();
  }

  ServiceContext ctx_;
  std::shared_ptr<AgentService> agents_;
  std::shared_ptr<Mesh> mesh_;
  registry::Directory directory_;
  registry::Liveness liveness_;
  Ticker ticker_;
  std::function<void()> on_change_;
  std::function<void(const core::PeerId&)> on_new_addresses_;
  core::UnixMs last_round_ms_ = 0;
  core::UnixMs next_round_ms_ = 0;
  core::UnixMs next_beacon_ms_ = 0;
  bool wanted_ = false;
  bool stopped_ = false;
  // Agents created or changed, waiting for their advert; when each local
  // agent's last advert went (entries leave with the agent).
  std::vector<core::AgentId> announce_;
  std::unordered_map<core::AgentId, core::UnixMs> advertised_ms_;
  std::uint64_t published_ = 0;
  std::uint64_t received_ = 0;
  std::uint64_t beacons_published_ = 0;
  std::uint64_t beacons_received_ = 0;
  std::size_t catch_ups_running_ = 0;
  std::unordered_map<core::PeerId, core::UnixMs> caught_up_from_;  // when each peer was last asked
  std::uint64_t catch_ups_ = 0;
  std::uint64_t caught_up_adverts_ = 0;
  struct DecodedProfile {
    std::uint64_t seq = 0;
    std::size_t size = 0;
    std::optional<a2a::Profile> profile;
  };
  // Of remote agents whose advert carries a profile; emptied when it holds
  // more than the directory's entries (removed agents leave theirs behind).
  mutable std::unordered_map<core::AgentId, DecodedProfile> profiles_;
};

}  // namespace agentmesh::node
