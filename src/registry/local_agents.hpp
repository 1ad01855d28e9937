#pragma once
// LocalAgents: the in-memory index of the agents this daemon hosts.
//
// O(1) lookup by agent id, by name, and by the SHA-256 of an agent's API
// token; a capability index (capability -> agent ids) for local capability
// queries. The durable copy lives in the store; the node loads it at start and
// applies every committed change here.
//
// Threading: owned by the node's network thread; not thread-safe.

#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "store/records.hpp"

namespace agentmesh::registry {

using store::AgentRecord;
using store::Digest;

struct DigestHash {
  std::size_t operator()(const Digest& d) const noexcept {
    std::size_t h;
    std::memcpy(&h, d.data(), sizeof h);
    return h;
  }
};

class LocalAgents {
 public:
  // Adds or replaces the agent with this id.
  void put(const AgentRecord& agent);
  void remove(const core::AgentId& id);

  const AgentRecord* find(const core::AgentId& id) const;
  const AgentRecord* find_by_name(std::string_view name) const;
  // `ref` is a 64-hex agent id or a local name.
  const AgentRecord* resolve(std::string_view ref) const;
  const AgentRecord* find_by_token_hash(const Digest& hash) const;

  // Agents with the capability, in no particular order.
  std::vector<core::AgentId> with_capability(std::string_view capability) const;
  // All agents, ordered by creation time then name.
  std::vector<const AgentRecord*> all() const;
  std::size_t size() const { return by_id_.size(); }

 private:
  void unindex(const AgentRecord& agent);

  std::unordered_map<core::AgentId, AgentRecord> by_id_;
  std::unordered_map<std::string, core::AgentId> by_name_;
  std::unordered_map<Digest, core::AgentId, DigestHash> by_token_;
  std::unordered_map<std::string, std::unordered_set<core::AgentId>> by_capability_;
};

}  // namespace agentmesh::registry
