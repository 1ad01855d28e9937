#include "registry/local_agents.hpp"

#include <algorithm>

namespace agentmesh::registry {

void LocalAgents::put(const AgentRecord& agent) {
  if (auto it = by_id_.find(agent.id); it != by_id_.end()) unindex(it->second);
  by_id_.insert_or_assign(agent.id, agent);
  by_name_.insert_or_assign(agent.name, agent.id);
  by_token_.insert_or_assign(agent.token_hash, agent.id);
  for (const auto& cap : agent.capabilities) by_capability_[cap].insert(agent.id);
}

void LocalAgents::remove(const core::AgentId& id) {
  auto it = by_id_.find(id);
  if (it == by_id_.end()) return;
  unindex(it->second);
  by_id_.erase(it);
}

void LocalAgents::unindex(const AgentRecord& agent) {
  by_name_.erase(agent.name);
  by_token_.erase(agent.token_hash);
  for (const auto& cap : agent.capabilities) {
    auto it = by_capability_.find(cap);
    if (it == by_capability_.end()) continue;
    it->second.erase(agent.id);
    if (it->second.empty()) by_capability_.erase(it);
  }
}

const AgentRecord* LocalAgents::find(const core::AgentId& id) const {
  auto it = by_id_.find(id);
  return it == by_id_.end() ? nullptr : &it->second;
}

const AgentRecord* LocalAgents::find_by_name(std::string_view name) const {
  auto it = by_name_.find(std::string(name));
  return it == by_name_.end() ? nullptr : find(it->second);
}

const AgentRecord* LocalAgents::resolve(std::string_view ref) const {
  if (auto id = core::AgentId::parse(ref)) return find(*id);
  return find_by_name(ref);
}

const AgentRecord* LocalAgents::find_by_token_hash(const Digest& hash) const {
  auto it = by_token_.find(hash);
  return it == by_token_.end() ? nullptr : find(it->second);
}

std::vector<core::AgentId> LocalAgents::with_capability(std::string_view capability) const {
  auto it = by_capability_.find(std::string(capability));
  if (it == by_capability_.end()) return {};
  return {it->second.begin(), it->second.end()};
}

std::vector<const AgentRecord*> LocalAgents::all() const {
  std::vector<const AgentRecord*> out;
  out.reserve(by_id_.size());
  for (const auto& [id, a] : by_id_) out.push_back(&a);
  std::sort(out.begin(), out.end(), [](const AgentRecord* a, const AgentRecord* b) {
    return std::tie(a->created_ms, a->name) < std::tie(b->created_ms, b->name);
  });
  return out;
}

}  // namespace agentmesh::registry
