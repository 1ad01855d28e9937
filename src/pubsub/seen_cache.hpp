#pragma once
// SeenCache: message ids seen in the last `ttl`, so a message is handled once
// however many peers forward it. Insertion-ordered, so expiry pops from the
// front; memory is bounded by the message rate times the TTL.
//
// Ids are remembered as 64-bit keyed BLAKE2b digests (key random per cache),
// about 56 bytes per entry instead of ~250 for the 44-byte ids themselves: at
// 4,000 messages/s and the 120 s TTL that is 27 MB instead of 120 MB. A false
// "seen" needs a 64-bit collision under a key nobody outside this process
// knows (about n / 2^64 per lookup, n entries), so a peer cannot craft ids
// that suppress someone else's messages.

#include <array>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <deque>
#include <string_view>
#include <unordered_set>

#include "crypto/crypto.hpp"

namespace agentmesh::pubsub {

class SeenCache {
 public:
  using Time = std::chrono::steady_clock::time_point;

  explicit SeenCache(std::chrono::milliseconds ttl) : ttl_(ttl) { crypto::random_bytes(key_); }

  // True when `id` was new (and is now remembered).
  bool add(std::string_view id, Time now) {
    const auto h = digest(id);
    if (!ids_.insert(h).second) return false;
    order_.push_back({now + ttl_, h});
    return true;
  }
  bool contains(std::string_view id) const { return ids_.contains(digest(id)); }
  void expire(Time now) {
    while (!order_.empty() && order_.front().expires <= now) {
      ids_.erase(order_.front().digest);
      order_.pop_front();
    }
  }
  std::size_t size() const { return ids_.size(); }

 private:
  struct Entry {
    Time expires;
    std::uint64_t digest;
  };
  std::uint64_t digest(std::string_view id) const {
    std::array<std::uint8_t, 16> out{};
    crypto::blake2b(out, {reinterpret_cast<const std::uint8_t*>(id.data()), id.size()}, key_);
    std::uint64_t h = 0;
    std::memcpy(&h, out.data(), sizeof h);
    return h;
  }
  std::chrono::milliseconds ttl_;
  std::array<std::uint8_t, 16> key_{};
  // Already uniformly distributed: no second hash.
  struct Identity {
    std::size_t operator()(std::uint64_t h) const noexcept { return static_cast<std::size_t>(h); }
  };
  std::unordered_set<std::uint64_t, Identity> ids_;
  std::deque<Entry> order_;
};

}  // namespace agentmesh::pubsub
