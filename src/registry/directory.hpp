#pragma once
// registry/directory: the agents this daemon knows on the mesh, from the
// signed adverts on agentmesh/adverts/1 (the node checks the signatures
// before they get here). Sans-I/O, on the node executor.
//
// Lookup by agent id is O(1) (a hash map); a capability index maps each
// capability to its agents. An entry is online while its advert has not
// expired; expired entries stay (offline, with their last-seen time) for
// `keep_offline`, then disappear. Bounded: beyond max_entries new agents are
// refused (counted), known ones still update.

#include <chrono>
#include <cstdint>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "core/ids.hpp"
#include "core/multiaddr.hpp"
#include "core/peer_id.hpp"

namespace agentmesh::registry {

struct DirectoryEntry {
  explicit DirectoryEntry(core::PeerId p) : peer(p) {}
  core::AgentId agent;
  core::PeerId peer;                    // the hosting daemon
  std::vector<core::Multiaddr> addrs;   // the daemon's addresses
  std::vector<std::string> capabilities;
  std::string display_name;
  std::string a2a;                      // the A2A profile's stored form, when published
  std::uint64_t seq = 0;
  std::int64_t expires_ms = 0;
  std::int64_t last_seen_ms = 0;        // when the newest advert arrived
};

struct DirectoryConfig {
  std::size_t max_entries = 100'000;
  std::chrono::milliseconds keep_offline{3'600'000};
};

class Directory {
 public:
  enum class Upsert { added, updated, stale, full };

  explicit Directory(DirectoryConfig config = {}) : config_(config) {}

  // stale when seq is not newer than the known advert's.
  Upsert upsert(DirectoryEntry entry);
  const DirectoryEntry* find(const core::AgentId& agent) const;
  // Newer-than check for the topic validator (no insertion).
  bool is_stale(const core::AgentId& agent, std::uint64_t seq) const;
  std::vector<const DirectoryEntry*> with_capability(const std::string& capability) const;
  std::vector<const DirectoryEntry*> all() const;
  static bool online(const DirectoryEntry& e, std::int64_t now_ms) { return now_ms < e.expires_ms; }
  // Drops entries offline for longer than keep_offline; returns how many.
  std::size_t expire(std::int64_t now_ms);

  std::size_t size() const { return entries_.size(); }
  std::uint64_t refused_full() const { return refused_full_; }

 private:
  void index(const DirectoryEntry& e);
  void unindex(const DirectoryEntry& e);

  DirectoryConfig config_;
  std::unordered_map<core::AgentId, DirectoryEntry> entries_;
  std::unordered_map<std::string, std::unordered_set<core::AgentId>> by_capability_;
  std::uint64_t refused_full_ = 0;
};

}  // namespace agentmesh::registry
