#pragma once
// The agentmesh payload of a pubsub message (proto/agent_message.proto): who
// published it (an agent), what it is, and the agent's signed binding to the
// daemon that published it. Messages from other libp2p nodes carry arbitrary
// bytes; decode() fails on those and the caller treats them as raw data.

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "core/result.hpp"

namespace agentmesh::wire::agent_message {

inline constexpr std::uint32_t kVersion = 1;
inline constexpr std::string_view kBindingPrefix = "agentmesh-agent-binding/1:";

struct Binding {
  std::string peer;              // PeerId multihash bytes
  std::uint64_t expires_ms = 0;
  std::string signature;         // 64 bytes
};

struct Payload {
  std::array<std::uint8_t, 32> agent{};  // Ed25519 public key
  std::string content_type;
  std::string body;
  Binding binding;
};

std::string encode(const Payload& payload);
// bad_protobuf unless it is a version-1 agentmesh payload with every field.
Result<Payload> decode(std::span<const std::uint8_t> bytes);
// The bytes the agent signs: kBindingPrefix || peer || expires_ms (8 bytes BE).
std::string binding_bytes(const std::string& peer, std::uint64_t expires_ms);

}  // namespace agentmesh::wire::agent_message
