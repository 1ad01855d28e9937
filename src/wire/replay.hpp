#pragma once
// /agentmesh/topic-replay/1.0.0 (proto/replay.proto; docs/wire/replay.md):
// how a restarted daemon catches up on topic messages it missed while down,
// for its durable subscriptions.
//
//   requester -> server   lp(ReplayRequest{topic, since_ms, max_messages}), FIN
//   server -> requester   lp(ReplayBatch{received_ms[], rpc}) ... , FIN
//
// Each batch's rpc is a gossipsub RPC holding only `publish` messages, exactly
// as their authors signed them; received_ms[i] is when the server received
// rpc.publish[i]. The requester validates every message as if it had come
// through gossip (StrictSign, attribution), so a server can withhold
// messages but cannot forge or alter them.

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "wire/pubsub.hpp"

namespace agentmesh::wire::replay {

inline constexpr std::string_view kProtocol = "/agentmesh/topic-replay/1.0.0";
// The request is small: a topic and two numbers.
inline constexpr std::size_t kMaxRequestBytes = 1024;

struct Request {
  std::string topic;
  std::uint64_t since_ms = 0;
  std::uint32_t max_messages = 0;
};

struct Batch {
  std::vector<std::uint64_t> received_ms;  // one per rpc.publish entry
  pubsub::Rpc rpc;                         // publish only
};

std::string encode(const Request& request);
// bad_protobuf unless the topic is present, 1..limits.max_topic_bytes long.
Result<Request> decode_request(std::span<const std::uint8_t> bytes, const pubsub::Limits& limits = {});

std::string encode(const Batch& batch);
// bad_protobuf when it does not parse, the RPC breaks `limits`, carries
// anything but publish messages, or received_ms does not pair with them.
Result<Batch> decode_batch(std::span<const std::uint8_t> bytes, const pubsub::Limits& limits = {});

}  // namespace agentmesh::wire::replay
