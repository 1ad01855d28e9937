#pragma once
// Circuit relay v2 (docs/wire/circuit.md): the hop protocol a client speaks
// to a relay (RESERVE a slot, CONNECT to a peer that holds one, STATUS
// answers) and the stop protocol the relay speaks to the reserved peer
// (CONNECT from a peer, STATUS answer). Each message is lp(protobuf) on its
// own stream; after a CONNECT is answered OK the stream carries the relayed
// connection's bytes.
//
// decode_*() bound the message (kMaxMessage) and the address lists
// (kMaxAddrs); addresses that do not parse are dropped; a status outside the
// spec's values reads as unused. Vouchers are signed envelopes (domain
// "libp2p-relay-rsvp", payload type 03 02) checked by open_voucher().

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/multiaddr.hpp"
#include "core/peer_id.hpp"
#include "core/result.hpp"
#include "crypto/crypto.hpp"

namespace agentmesh::wire::circuit {

inline constexpr std::string_view kHopProtocol = "/libp2p/circuit/relay/0.2.0/hop";
inline constexpr std::string_view kStopProtocol = "/libp2p/circuit/relay/0.2.0/stop";
inline constexpr std::string_view kVoucherDomain = "libp2p-relay-rsvp";
inline constexpr std::string_view kVoucherPayloadType = "\x03\x02";
inline constexpr std::size_t kMaxMessage = 4 * 1024;
inline constexpr std::size_t kMaxAddrs = 32;

enum class Status : std::uint32_t {
  unused = 0,
  ok = 100,
  reservation_refused = 200,
  resource_limit_exceeded = 201,
  permission_denied = 202,
  connection_failed = 203,
  no_reservation = 204,
  malformed_message = 400,
  unexpected_message = 401,
};

struct Peer {
  std::string id;  // PeerId multihash
  std::vector<core::Multiaddr> addrs;
  friend bool operator==(const Peer&, const Peer&) = default;
};

struct Reservation {
  std::uint64_t expire = 0;  // Unix seconds
  std::vector<core::Multiaddr> addrs;
  std::string voucher;  // signed envelope; empty when absent
  friend bool operator==(const Reservation&, const Reservation&) = default;
};

// Absent fields mean no limit.
struct Limit {
  std::optional<std::uint32_t> duration_s;
  std::optional<std::uint64_t> data_bytes;  // in each direction
  friend bool operator==(const Limit&, const Limit&) = default;
};

struct HopMessage {
  enum class Type { reserve = 0, connect = 1, status = 2 };
  Type type = Type::status;
  std::optional<Peer> peer;
  std::optional<Reservation> reservation;
  std::optional<Limit> limit;
  std::optional<Status> status;
  friend bool operator==(const HopMessage&, const HopMessage&) = default;
};

struct StopMessage {
  enum class Type { connect = 0, status = 1 };
  Type type = Type::status;
  std::optional<Peer> peer;
  std::optional<Limit> limit;
  std::optional<Status> status;
  friend bool operator==(const StopMessage&, const StopMessage&) = default;
};

std::string encode(const HopMessage& message);
std::string encode(const StopMessage& message);
// frame_too_large over kMaxMessage; bad_protobuf when it does not parse, has
// no type, a CONNECT has no peer, or a list exceeds kMaxAddrs.
Result<HopMessage> decode_hop(std::span<const std::uint8_t> bytes);
Result<StopMessage> decode_stop(std::span<const std::uint8_t> bytes);

struct Voucher {
  core::PeerId relay;
  core::PeerId peer;
  std::uint64_t expiration = 0;  // Unix seconds
};
// The relay signs the voucher with its identity key.
std::string seal_voucher(const crypto::SigningKey& relay_key, const core::PeerId& peer, std::uint64_t expiration);
// Checks the envelope and that the relay signed it. bad_protobuf,
// bad_identity_signature.
Result<Voucher> open_voucher(std::span<const std::uint8_t> envelope);

std::string_view to_string(Status status) noexcept;

}  // namespace agentmesh::wire::circuit
