#pragma once
// Agent adverts (proto/advert.proto; docs/wire/advert.md): what a daemon
// publishes on agentmesh/adverts/1 for each of its agents, signed by the
// agent itself so that any receiver can check it against the AgentId with no
// lookup. Pure codec with limits; sign()/verify() use the canonical bytes:
//   "agentmesh/advert/v1" || version (4 BE) || agent || lp(peer)
//   || uvarint(n) lp(addr)... || uvarint(n) lp(capability)... || lp(display_name)
//   || seq (8 BE) || expires_ms (8 BE) [|| lp(a2a), when not empty]
// (Daemons before the a2a field verify without it, so they drop the adverts
// of agents that publish an A2A profile.)

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "core/multiaddr.hpp"
#include "core/peer_id.hpp"
#include "core/result.hpp"
#include "crypto/crypto.hpp"

namespace agentmesh::wire::advert {

inline constexpr std::uint32_t kVersion = 1;
inline constexpr std::string_view kTopic = "agentmesh/adverts/1";
// Liveness beacons: an empty message, signed by the daemon (StrictSign), every
// beacon interval from every daemon that hosts running agents.
inline constexpr std::string_view kBeaconTopic = "agentmesh/beacons/1";
inline constexpr std::size_t kMaxBytes = 8 * 1024;
inline constexpr std::size_t kMaxAddrs = 16;
inline constexpr std::size_t kMaxCapabilities = 64;
inline constexpr std::size_t kMaxTextBytes = 128;  // a capability, the display name
inline constexpr std::size_t kMaxA2aBytes = 4096;  // the A2A profile

struct Advert {
  explicit Advert(core::PeerId p) : peer(p) {}
  std::uint32_t version = kVersion;
  std::array<std::uint8_t, 32> agent{};
  core::PeerId peer;
  std::vector<core::Multiaddr> addrs;
  std::vector<std::string> capabilities;
  std::string display_name;
  std::uint64_t seq = 0;
  std::uint64_t expires_ms = 0;
  // The agent's A2A profile (a2a/profile.hpp's stored form) when it is
  // published to A2A clients, so any daemon's gateway can list it; empty:
  // not published. Opaque here.
  std::string a2a;
  std::array<std::uint8_t, 64> signature{};
};

std::string encode(const Advert& advert);
// bad_protobuf unless every field is present and within the limits above
// (addresses must parse); frame_too_large over kMaxBytes. The signature is
// not checked here: verify().
Result<Advert> decode(std::span<const std::uint8_t> bytes);

std::string signing_bytes(const Advert& advert);
// Fills advert.agent and advert.signature for `agent_key`.
void sign(Advert& advert, const crypto::SigningKey& agent_key);
bool verify(const Advert& advert);

}  // namespace agentmesh::wire::advert
