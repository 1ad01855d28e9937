#pragma once
// AutoNAT v1 (/libp2p/autonat/1.0.0; docs/wire/autonat.md): a peer asks
// another to dial it back at its addresses, to learn whether it is reachable
// from outside. One lp(protobuf) request (DIAL), one response
// (DIAL_RESPONSE) on a fresh stream.
//
// decode() bounds the message (kMaxMessage) and the address list
// (kMaxAddrs); addresses that do not parse are dropped (a peer's bad address
// is not fatal); a response status outside the spec's values is
// E_INTERNAL_ERROR.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include "core/multiaddr.hpp"
#include "core/result.hpp"

namespace agentmesh::wire::autonat {

inline constexpr std::string_view kProtocolId = "/libp2p/autonat/1.0.0";
inline constexpr std::size_t kMaxMessage = 4 * 1024;
inline constexpr std::size_t kMaxAddrs = 32;
inline constexpr std::size_t kMaxStatusText = 256;

enum class Status : std::uint32_t { ok = 0, dial_error = 100, dial_refused = 101, bad_request = 200, internal = 300 };

// DIAL: dial me back. `peer` is the requester's PeerId multihash (the
// server checks it names the connection's peer).
struct Dial {
  std::string peer;
  std::vector<core::Multiaddr> addrs;
  friend bool operator==(const Dial&, const Dial&) = default;
};

// DIAL_RESPONSE.
struct DialResponse {
  Status status = Status::internal;
  std::string text;
  std::optional<core::Multiaddr> addr;  // the address that answered, on ok
  friend bool operator==(const DialResponse&, const DialResponse&) = default;
};

using Message = std::variant<Dial, DialResponse>;

std::string encode(const Message& message);
// frame_too_large over kMaxMessage; bad_protobuf when it does not parse, has
// no type, lacks the part its type needs, or exceeds kMaxAddrs /
// kMaxStatusText.
Result<Message> decode(std::span<const std::uint8_t> bytes);

std::string_view to_string(Status status) noexcept;

}  // namespace agentmesh::wire::autonat
