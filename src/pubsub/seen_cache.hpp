#pragma once
// SeenCache: message ids seen in the last `ttl`, so a message is handled once
// however many peers forward it. Insertion-ordered, so expiry pops from the
// front; memory is bounded by the message rate times the TTL.

#include <chrono>
#include <deque>
#include <string>
#include <unordered_set>

namespace agentmesh::pubsub {

class SeenCache {
 public:
  using Time = std::chrono::steady_clock::time_point;

  explicit SeenCache(std::chrono::milliseconds ttl) : ttl_(ttl) {}

  // True when `id` was new (and is now remembered).
  bool add(const std::string& id, Time now) {
    if (!ids_.insert(id).second) return false;
    order_.push_back({now + ttl_, id});
    return true;
  }
  bool contains(const std::string& id) const { return ids_.contains(id); }
  void expire(Time now) {
    while (!order_.empty() && order_.front().expires <= now) {
      ids_.erase(order_.front().id);
      order_.pop_front();
    }
  }
  std::size_t size() const { return ids_.size(); }

 private:
  struct Entry {
    Time expires;
    std::string id;
  };
  std::chrono::milliseconds ttl_;
  std::unordered_set<std::string> ids_;
  std::deque<Entry> order_;
};

}  // namespace agentmesh::pubsub
