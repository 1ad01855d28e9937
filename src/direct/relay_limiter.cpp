#include "direct/relay_limiter.hpp"

#include <algorithm>

namespace agentmesh::direct {

RelayLimiter::RelayLimiter(RelayLimits limits) : limits_(limits) {
  total_.tokens = limits_.total_burst;
  total_.at_ms = -1;
}

void RelayLimiter::refill(Bucket& b, double rate, double burst, std::int64_t now_ms) {
  if (b.at_ms < 0) {
    b.at_ms = now_ms;
    return;
  }
  if (now_ms > b.at_ms) {
    b.tokens = std::min(burst, b.tokens + rate * static_cast<double>(now_ms - b.at_ms) / 1000.0);
    b.at_ms = now_ms;
  }
}

// At the limit: forget the buckets that are full again (those authors are
// idle: a new bucket starts full, the same answer), and if none is, the one
// used least recently.
void RelayLimiter::make_room(std::int64_t now_ms) {
  if (buckets_.size() < limits_.max_authors) return;
  std::erase_if(buckets_, [&](const auto& entry) {
    const auto idle_ms = static_cast<double>(std::max<std::int64_t>(0, now_ms - entry.second.at_ms));
    return entry.second.tokens + limits_.author_rate * idle_ms / 1000.0 >= limits_.author_burst;
  });
  if (buckets_.size() < limits_.max_authors) return;
  auto oldest = std::min_element(buckets_.begin(), buckets_.end(),
                                 [](const auto& a, const auto& b) { return a.second.at_ms < b.second.at_ms; });
  buckets_.erase(oldest);
}

RelayLimiter::Verdict RelayLimiter::admit(const core::PeerId& author, std::int64_t now_ms) {
  auto it = buckets_.find(author);
  if (it == buckets_.end()) {
    make_room(now_ms);
    it = buckets_.emplace(author, Bucket{limits_.author_burst, now_ms}).first;
  }
  auto& mine = it->second;
  refill(mine, limits_.author_rate, limits_.author_burst, now_ms);
  refill(total_, limits_.total_rate, limits_.total_burst, now_ms);
  if (mine.tokens < 1) return Verdict::author_limited;
  if (total_.tokens < 1) return Verdict::total_limited;
  mine.tokens -= 1;
  total_.tokens -= 1;
  return Verdict::pass;
}

}  // namespace agentmesh::direct
