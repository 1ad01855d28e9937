#include "pubsub/message_cache.hpp"

#include <algorithm>

namespace agentmesh::pubsub {

MessageCache::MessageCache(std::size_t windows, std::size_t gossip_windows)
    : gossip_windows_(gossip_windows), windows_(std::max<std::size_t>(windows, 1)) {}

void MessageCache::put(const std::string& id, const std::string& topic, wire::pubsub::EncodedMessage message) {
  auto [it, added] = entries_.try_emplace(id, Entry{topic, std::move(message), serial_ + 1, {}});
  if (!added) return;
  ++serial_;
  windows_.front().push_back(&*it);
}

const wire::pubsub::EncodedMessage* MessageCache::get(const std::string& id) const {
  auto it = entries_.find(id);
  return it == entries_.end() ? nullptr : &it->second.message;
}

const wire::pubsub::EncodedMessage* MessageCache::get_for_peer(const std::string& id, const core::PeerId& peer,
                                                               std::size_t max_transmissions) {
  auto it = entries_.find(id);
  if (it == entries_.end()) return nullptr;
  auto& asked = it->second.transmissions;
  auto entry = std::find_if(asked.begin(), asked.end(), [&](const auto& e) { return e.first == peer; });
  if (entry == asked.end()) entry = asked.insert(asked.end(), {peer, 0});
  auto& count = entry->second;
  if (count >= max_transmissions) return nullptr;
  ++count;
  return &it->second.message;
}

std::vector<std::string> MessageCache::gossip_ids(const std::string& topic, std::uint64_t after) const {
  std::vector<std::string> out;
  for (std::size_t w = 0; w < gossip_windows_ && w < windows_.size(); ++w) {
    for (const auto* entry : windows_[w]) {
      if (entry->second.topic == topic && entry->second.serial > after) out.push_back(entry->first);
    }
  }
  return out;
}

void MessageCache::shift() {
  for (const auto* entry : windows_.back()) entries_.erase(entries_.find(entry->first));
  windows_.pop_back();
  windows_.emplace_front();
}

}  // namespace agentmesh::pubsub
