#pragma once
// ReplayBuffer: the topic messages this daemon received (or published)
// recently, kept so that a peer that restarts can ask for what it missed
// (/agentmesh/topic-replay/1.0.0, wire/replay.hpp). Sans-I/O; owned by the
// pubsub Service on the network executor.
//
// Bounded by age (`retention`) and by total bytes (`max_bytes`, oldest out
// first, across topics). Memory only: a server that restarts too forgets, and
// a daemon down for longer than the retention misses what is older (the
// durable subscription docs in docs/api.md say so).

#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "wire/pubsub.hpp"

namespace agentmesh::pubsub {

struct ReplayConfig {
  static constexpr std::uint64_t kDefaultRetentionMs = 10 * 60 * 1000;
  // Accounted as the message's fields plus its allocations (see put()), so
  // this is close to the memory it takes.
  static constexpr std::size_t kDefaultMaxBytes = 8 * 1024 * 1024;
  static constexpr std::uint32_t kDefaultMaxPerRequest = 10'000;
  std::uint64_t retention_ms = kDefaultRetentionMs;  // how far back a peer can catch up
  std::size_t max_bytes = kDefaultMaxBytes;          // all topics together
  std::uint32_t max_per_request = kDefaultMaxPerRequest;
};

class ReplayBuffer {
 public:
  struct Entry {
    std::uint64_t received_ms = 0;
    std::shared_ptr<const wire::pubsub::Message> message;
    std::size_t bytes = 0;
  };

  explicit ReplayBuffer(ReplayConfig config = {}) : config_(config) {}

  // REQUIRES: message.topic is set.
  void put(const wire::pubsub::Message& message, std::uint64_t now_ms);
  // Messages of `topic` received at or after since_ms, oldest first, at most
  // `max` (and config.max_per_request).
  std::vector<Entry> since(const std::string& topic, std::uint64_t since_ms, std::uint32_t max) const;
  void expire(std::uint64_t now_ms);

  std::size_t size() const { return entries_.size(); }
  std::size_t bytes() const { return bytes_; }
  std::uint64_t evicted() const { return evicted_; }  // pushed out by the byte budget
  const ReplayConfig& config() const { return config_; }

 private:
  void pop_front();

  ReplayConfig config_;
  std::deque<Entry> entries_;  // in arrival order
  std::size_t bytes_ = 0;
  std::uint64_t evicted_ = 0;
};

}  // namespace agentmesh::pubsub
