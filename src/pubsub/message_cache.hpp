#pragma once
// MessageCache (mcache): the messages of the last `windows` heartbeats, for
// answering IWANT, and their ids per topic for IHAVE gossip over the last
// `gossip_windows`. shift() at every heartbeat drops the oldest window. Each
// entry counts how often each peer asked for it (IWANT retransmission cap).
// Messages are kept encoded: an IWANT answer shares the bytes the fan-out
// already wrote.

#include <deque>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/peer_id.hpp"
#include "wire/pubsub.hpp"

namespace agentmesh::pubsub {

class MessageCache {
 public:
  MessageCache(std::size_t windows, std::size_t gossip_windows);

  // Adds a message of `topic` (ignored when the id is already cached).
  void put(const std::string& id, const std::string& topic, wire::pubsub::EncodedMessage message);
  const wire::pubsub::EncodedMessage* get(const std::string& id) const;
  // The message for an IWANT from `peer`, unless that peer already asked for
  // it `max_transmissions` times (then nullptr).
  const wire::pubsub::EncodedMessage* get_for_peer(const std::string& id, const core::PeerId& peer,
                                            std::size_t max_transmissions);
  // Ids of `topic` in the last gossip windows, newest first; with `after`,
  // only those put after serial() returned `after`.
  std::vector<std::string> gossip_ids(const std::string& topic, std::uint64_t after = 0) const;
  // Counts the messages put so far.
  std::uint64_t serial() const { return serial_; }
  void shift();
  std::size_t size() const { return entries_.size(); }

 private:
  struct Entry {
    std::string topic;
    wire::pubsub::EncodedMessage message;
    std::uint64_t serial = 0;  // serial() after it was put
    // Peers that asked for it with IWANT, and how often (few, if any: a
    // vector, which costs nothing until the first IWANT).
    std::vector<std::pair<core::PeerId, std::size_t>> transmissions;
  };
  using Entries = std::unordered_map<std::string, Entry>;
  std::size_t gossip_windows_;
  std::uint64_t serial_ = 0;
  // Each window points at its entries (elements of an unordered_map keep
  // their address): the id and topic are stored once.
  std::deque<std::vector<const Entries::value_type*>> windows_;  // front = newest
  Entries entries_;
};

}  // namespace agentmesh::pubsub
