#include "registry/directory.hpp"

#include <algorithm>

namespace agentmesh::registry {

Directory::Upsert Directory::upsert(DirectoryEntry entry) {
  auto it = entries_.find(entry.agent);
  if (it != entries_.end()) {
    if (entry.seq <= it->second.seq) return Upsert::stale;
    unindex(it->second);
    it->second = std::move(entry);
    index(it->second);
    return Upsert::updated;
  }
  if (entries_.size() >= config_.max_entries) {
    ++refused_full_;
    return Upsert::full;
  }
  const auto agent = entry.agent;
  auto [pos, inserted] = entries_.emplace(agent, std::move(entry));
  index(pos->second);
  return Upsert::added;
}

const DirectoryEntry* Directory::find(const core::AgentId& agent) const {
  auto it = entries_.find(agent);
  return it == entries_.end() ? nullptr : &it->second;
}

bool Directory::is_stale(const core::AgentId& agent, std::uint64_t seq) const {
  auto it = entries_.find(agent);
  return it != entries_.end() && seq <= it->second.seq;
}

std::vector<const DirectoryEntry*> Directory::with_capability(const std::string& capability) const {
  std::vector<const DirectoryEntry*> out;
  auto it = by_capability_.find(capability);
  if (it == by_capability_.end()) return out;
  for (const auto& agent : it->second) out.push_back(&entries_.at(agent));
  return out;
}

std::vector<const DirectoryEntry*> Directory::all() const {
  std::vector<const DirectoryEntry*> out;
  out.reserve(entries_.size());
  for (const auto& [agent, e] : entries_) out.push_back(&e);
  return out;
}

std::size_t Directory::expire(std::int64_t now_ms) {
  std::size_t removed = 0;
  const auto keep = config_.keep_offline.count();
  for (auto it = entries_.begin(); it != entries_.end();) {
    if (it->second.expires_ms + keep <= now_ms) {
      unindex(it->second);
      it = entries_.erase(it);
      ++removed;
    } else {
      ++it;
    }
  }
  return removed;
}

void Directory::index(const DirectoryEntry& e) {
  for (const auto& c : e.capabilities) by_capability_[c].insert(e.agent);
}

void Directory::unindex(const DirectoryEntry& e) {
  for (const auto& c : e.capabilities) {
    auto it = by_capability_.find(c);
    if (it == by_capability_.end()) continue;
    it->second.erase(e.agent);
    if (it->second.empty()) by_capability_.erase(it);
  }
}

}  // namespace agentmesh::registry
