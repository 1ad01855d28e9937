#pragma once
// The identify message (/ipfs/id/1.0.0 and /ipfs/id/push/1.0.0): what a peer
// says about itself. Wire format: docs/wire/identify.md. The side being
// identified writes one lp(protobuf) and closes its write side.
//
// decode() bounds the message (kMaxMessage, the js limit) and every repeated
// field, keeps only well-formed listen addresses (a peer's bad address is
// dropped, not fatal), and requires publicKey to be an Ed25519 PublicKey
// protobuf; the caller checks it names the connection's peer.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/multiaddr.hpp"
#include "core/peer_id.hpp"
#include "core/result.hpp"

namespace agentmesh::wire::identify {

inline constexpr std::string_view kProtocolId = "/ipfs/id/1.0.0";
inline constexpr std::string_view kPushProtocolId = "/ipfs/id/push/1.0.0";
inline constexpr std::string_view kProtocolVersion = "ipfs/0.1.0";
inline constexpr std::size_t kMaxMessage = 8 * 1024;
inline constexpr std::size_t kMaxAddrs = 64;
inline constexpr std::size_t kMaxProtocols = 128;

struct Info {
  explicit Info(core::PeerId p) : peer(p) {}

  core::PeerId peer;                       // from publicKey
  std::string protocol_version;
  std::string agent_version;
  std::vector<core::Multiaddr> listen_addrs;
  std::optional<core::Multiaddr> observed_addr;
  std::vector<std::string> protocols;
  // The sender's signed peer record (wire/peer_record.hpp), unchecked here.
  std::optional<std::string> signed_peer_record;
};

std::string encode(const Info& info);
// bad_protobuf (does not parse, too large, too many entries) or bad_identify
// (no publicKey, or not an Ed25519 key).
Result<Info> decode(std::span<const std::uint8_t> bytes);

}  // namespace agentmesh::wire::identify
