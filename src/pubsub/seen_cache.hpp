#pragma once
// SeenCache: message ids seen in the last `ttl`, so a message is handled once
// however many peers forward it. Insertion-ordered, so expiry pops from the
// front; memory is bounded by the message rate times the TTL.
//
// Ids are remembered as 64-bit keyed SipHash-2-4 digests (key random per
// cache) in a DigestSet, with a 16-byte expiry entry each: about 30 bytes per
// id instead of ~250 for the 44-byte ids themselves (at 4,000 messages/s and
// the 120 s TTL, about 15 MB instead of 120 MB). A false "seen" needs a 64-bit collision under a key nobody outside
// this process knows (about n / 2^64 per lookup, n entries), so a peer cannot
// craft ids that suppress someone else's messages. SipHash is a PRF made for
// this; it costs a fifth of a keyed BLAKE2b on these short ids, and every
// copy of every message is looked up.

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <deque>
#include <string_view>
#include <vector>

#include "crypto/crypto.hpp"

namespace agentmesh::pubsub {

// A set of 64-bit digests in one flat array: open addressing, linear
// probing, deletion by backward shift, 0 marking an empty slot. Lookups touch
// one or two cache lines instead of a bucket and a node (a seen cache holds
// the rate times 120 s: 720,000 ids at 6,000 messages/s), and an entry costs
// 8 to 16 bytes instead of about 40. It grows (doubling, at 3/4 full) and
// does not shrink: its size follows the peak rate.
class DigestSet {
 public:
  // False when `h` was present already.
  bool insert(std::uint64_t h) {
    h = h == 0 ? 1 : h;
    if ((size_ + 1) * 4 > slots_.size() * 3) grow();
    auto i = find_slot(h);
    if (slots_[i] == h) return false;
    slots_[i] = h;
    ++size_;
    return true;
  }
  bool contains(std::uint64_t h) const {
    if (slots_.empty()) return false;
    h = h == 0 ? 1 : h;
    return slots_[find_slot(h)] == h;
  }
  void erase(std::uint64_t h) {
    if (slots_.empty()) return;
    h = h == 0 ? 1 : h;
    auto i = find_slot(h);
    if (slots_[i] != h) return;
    const auto mask = slots_.size() - 1;
    // Move back each following entry whose probe path crosses the hole.
    for (auto j = (i + 1) & mask; slots_[j] != 0; j = (j + 1) & mask) {
      const auto home = slots_[j] & mask;
      const bool stays = i <= j ? (i < home && home <= j) : (i < home || home <= j);
      if (stays) continue;
      slots_[i] = slots_[j];
      i = j;
    }
    slots_[i] = 0;
    --size_;
  }
  std::size_t size() const { return size_; }

 private:
  // The slot holding `h`, or the empty slot where it would go.
  std::size_t find_slot(std::uint64_t h) const {
    const auto mask = slots_.size() - 1;
    auto i = static_cast<std::size_t>(h) & mask;
    while (slots_[i] != 0 && slots_[i] != h) i = (i + 1) & mask;
    return i;
  }
  void grow() {
    std::vector<std::uint64_t> old(std::max<std::size_t>(slots_.size() * 2, 1024), 0);
    old.swap(slots_);
    size_ = 0;
    for (const auto h : old) {
      if (h != 0) slots_[find_slot(h)] = h, ++size_;
    }
  }
  std::vector<std::uint64_t> slots_;  // size: 0 or a power of two
  std::size_t size_ = 0;
};

class SeenCache {
 public:
  using Time = std::chrono::steady_clock::time_point;

  explicit SeenCache(std::chrono::milliseconds ttl) : ttl_(ttl) { crypto::random_bytes(key_); }

  // True when `id` was new (and is now remembered).
  bool add(std::string_view id, Time now) {
    const auto h = digest(id);
    if (!ids_.insert(h)) return false;
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
    return crypto::siphash24({reinterpret_cast<const std::uint8_t*>(id.data()), id.size()}, key_);
  }
  std::chrono::milliseconds ttl_;
  crypto::ShortHashKey key_{};
  DigestSet ids_;  // the digests are uniformly distributed: their low bits index it
  std::deque<Entry> order_;
};

}  // namespace agentmesh::pubsub
