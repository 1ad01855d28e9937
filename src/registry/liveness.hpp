#pragma once
// registry/liveness: is a daemon that hosts agents we know still there? A
// failure detector over the daemons' liveness beacons (agentmesh/beacons/1,
// one small signed message per beacon interval from every daemon that hosts
// running agents; docs/wire/advert.md), with the loss of our direct
// connection to it as an early hint. Sans-I/O: the caller passes the time.
//
// Per daemon: the mean interval between the beacons we hear (a moving
// average, so a daemon that beacons slower, or a path that delays, raises its
// own thresholds), and the time of the last one. A daemon is
//   online   while the silence is below suspect_after (at least
//            kSuspectIntervals mean intervals);
//   suspect  after that, or at once when our connection to it closed and no
//            beacon came since;
//   offline  after offline_after of silence (at least kOfflineIntervals mean
//            intervals).
// One beacon (or advert) makes it online again. A daemon never heard from is
// `unknown`: the directory then goes by its advert's expiry alone (daemons
// from before beacons, entries loaded at start).
//
// Bounded: at most max_tracked daemons (the least recently heard is dropped
// beyond that); forget() drops daemons offline for longer than keep_offline.

#include <chrono>
#include <cstdint>
#include <unordered_map>

#include "core/peer_id.hpp"

namespace agentmesh::registry {

enum class Presence { unknown, online, suspect, offline };
const char* presence_name(Presence p);

struct LivenessConfig {
  std::chrono::milliseconds beacon_interval{1'000};
  std::chrono::milliseconds suspect_after{4'000};
  std::chrono::milliseconds offline_after{12'000};
  std::chrono::milliseconds keep_offline{3'600'000};
  std::size_t max_tracked = 100'000;
};

struct LivenessStats {
  std::size_t tracked = 0;
  std::size_t suspect = 0;
  std::size_t offline = 0;
  std::uint64_t heard = 0;
  std::uint64_t became_suspect = 0;  // transitions, counted when presence(), stats() or tick() first sees them
  std::uint64_t became_offline = 0;
};

class Liveness {
 public:
  static constexpr double kSuspectIntervals = 4.0;
  static constexpr double kOfflineIntervals = 12.0;

  explicit Liveness(LivenessConfig config = {}) : config_(config) {}

  // A beacon or an advert from `peer` arrived at `now_ms`.
  void heard(const core::PeerId& peer, std::int64_t now_ms);
  // Our direct connection to `peer` closed.
  void disconnected(const core::PeerId& peer, std::int64_t now_ms);
  Presence presence(const core::PeerId& peer, std::int64_t now_ms) const;
  // Counts transitions and drops daemons offline for longer than keep_offline.
  void tick(std::int64_t now_ms);
  LivenessStats stats(std::int64_t now_ms) const;
  const LivenessConfig& config() const { return config_; }

 private:
  struct Peer {
    std::int64_t last_heard_ms = 0;
    double mean_interval_ms = 0;
    std::int64_t disconnected_ms = -1;  // -1: connected, or heard since
    // The last presence observed. Observing (presence(), stats(), tick()) is
    // what counts a transition, so a reader never sees a daemon offline while
    // became_offline has not counted it yet.
    mutable Presence reported = Presence::online;
  };
  Presence judge(const Peer& p, std::int64_t now_ms) const;
  Presence observe(const Peer& p, std::int64_t now_ms) const;
  void evict_one();

  LivenessConfig config_;
  std::unordered_map<core::PeerId, Peer> peers_;
  std::uint64_t heard_ = 0;
  mutable std::uint64_t became_suspect_ = 0;
  mutable std::uint64_t became_offline_ = 0;
};

}  // namespace agentmesh::registry
