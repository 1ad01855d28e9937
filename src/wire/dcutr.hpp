#pragma once
// DCUtR, Direct Connection Upgrade through Relay (docs/wire/dcutr.md): two
// peers joined by a relayed connection exchange the addresses they are seen
// at (CONNECT, each way), time a simultaneous TCP open (SYNC) and dial each
// other. Each message is lp(protobuf) on one `/libp2p/dcutr` stream, reused
// for every attempt.
//
// decode() bounds the message (kMaxMessage) and the address list
// (kMaxAddrs); addresses that do not parse are dropped.

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "core/multiaddr.hpp"
#include "core/result.hpp"

namespace agentmesh::wire::dcutr {

inline constexpr std::string_view kProtocol = "/libp2p/dcutr";
inline constexpr std::size_t kMaxMessage = 4 * 1024;
inline constexpr std::size_t kMaxAddrs = 32;

struct HolePunch {
  enum class Type { connect = 100, sync = 300 };
  Type type = Type::connect;
  std::vector<core::Multiaddr> addrs;  // ObsAddrs
  friend bool operator==(const HolePunch&, const HolePunch&) = default;
};

std::string encode(const HolePunch& message);
// frame_too_large over kMaxMessage; bad_protobuf when it does not parse, has
// no type (or one outside CONNECT and SYNC), or lists over kMaxAddrs.
Result<HolePunch> decode(std::span<const std::uint8_t> bytes);

}  // namespace agentmesh::wire::dcutr
