#pragma once
// direct/relay_limiter: how much of the mesh-wide relay topic one daemon
// passes on (docs/wire/direct.md, "The relay topic"). Every daemon forwards
// every item of that topic, so one daemon that floods it would load the whole
// mesh: each authoring daemon gets a token bucket, and all authors together
// another. An item over either is ignored (neither delivered nor forwarded,
// the author not penalised: its sender retries with backoff). Senders check
// their own bucket before publishing, so a relay does not drop what a
// well-behaved sender sends.
//
// Sans-I/O: time is passed in (milliseconds, any monotonic-enough clock; a
// clock that steps back refills nothing). Memory is bounded by max_authors:
// at the limit, buckets that have refilled are forgotten first, then the
// least recently used.
//
// Threading: none; one instance per node executor.

#include <cstddef>
#include <cstdint>
#include <unordered_map>

#include "core/peer_id.hpp"

namespace agentmesh::direct {

struct RelayLimits {
  double author_rate = 100;     // items per second per authoring daemon
  double author_burst = 500;
  double total_rate = 2'000;    // items per second from all authors
  double total_burst = 4'000;
  std::size_t max_authors = 4'096;
};

class RelayLimiter {
 public:
  enum class Verdict { pass, author_limited, total_limited };

  explicit RelayLimiter(RelayLimits limits = {});

  // Takes one token from `author`'s bucket and the total one, or none when
  // either is empty.
  Verdict admit(const core::PeerId& author, std::int64_t now_ms);
  std::size_t authors() const { return buckets_.size(); }
  const RelayLimits& limits() const { return limits_; }

 private:
  struct Bucket {
    double tokens = 0;
    std::int64_t at_ms = 0;
  };
  static void refill(Bucket& b, double rate, double burst, std::int64_t now_ms);
  void make_room(std::int64_t now_ms);

  RelayLimits limits_;
  Bucket total_;
  std::unordered_map<core::PeerId, Bucket> buckets_;
};

}  // namespace agentmesh::direct
