#include "pubsub/replay_buffer.hpp"

#include <algorithm>

namespace agentmesh::pubsub {

void ReplayBuffer::put(const wire::pubsub::Message& message, std::uint64_t now_ms) {
  Entry e;
  e.received_ms = now_ms;
  e.message = std::make_shared<const wire::pubsub::Message>(message);
  // The strings' bytes, plus the Message object, its heap strings and the
  // shared_ptr control block, plus this entry in the deque.
  const auto field = [](const std::optional<std::string>& f) { return f ? f->capacity() + 1 : 0; };
  e.bytes = field(message.data) + field(message.topic) + field(message.from) + field(message.seqno) +
            field(message.signature) + field(message.key) + sizeof(wire::pubsub::Message) + 64 + sizeof(Entry);
  if (e.bytes > config_.max_bytes) return;
  bytes_ += e.bytes;
  entries_.push_back(std::move(e));
  while (bytes_ > config_.max_bytes) {
    pop_front();
    ++evicted_;
  }
}

std::vector<ReplayBuffer::Entry> ReplayBuffer::since(const std::string& topic, std::uint64_t since_ms,
                                                     std::uint32_t max) const {
  const std::size_t limit = std::min<std::size_t>(max == 0 ? config_.max_per_request : max, config_.max_per_request);
  std::vector<Entry> out;
  for (const auto& e : entries_) {
    if (out.size() >= limit) break;
    if (e.received_ms >= since_ms && *e.message->topic == topic) out.push_back(e);
  }
  return out;
}

void ReplayBuffer::expire(std::uint64_t now_ms) {
  while (!entries_.empty() && entries_.front().received_ms + config_.retention_ms < now_ms) pop_front();
}

void ReplayBuffer::pop_front() {
  bytes_ -= entries_.front().bytes;
  entries_.pop_front();
}

}  // namespace agentmesh::pubsub
