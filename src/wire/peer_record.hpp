#pragma once
// Signed peer records (proto/peer_record.proto; docs/wire/identify.md): a
// libp2p signed envelope whose payload is the signer's PeerRecord (its PeerId,
// a sequence number and its addresses). Identify carries the sender's own
// record; gossipsub peer exchange forwards records so the receiver can dial
// peers it has never seen, trusting the addresses only because their owner
// signed them.
//
// Signature (Ed25519 by the record's peer) over
//   lp("libp2p-peer-record") || lp(payload_type = 03 01) || lp(payload)
// where lp(x) = uvarint(len(x)) || x. Only Ed25519 keys are accepted.

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "core/multiaddr.hpp"
#include "core/peer_id.hpp"
#include "core/result.hpp"
#include "crypto/crypto.hpp"

namespace agentmesh::wire::peer_record {

inline constexpr std::string_view kDomain = "libp2p-peer-record";
inline constexpr std::string_view kPayloadType = "\x03\x01";
inline constexpr std::size_t kMaxBytes = 4096;
inline constexpr std::size_t kMaxAddrs = 32;

struct PeerRecord {
  explicit PeerRecord(core::PeerId p) : peer(p) {}
  core::PeerId peer;
  std::uint64_t seq = 0;
  std::vector<core::Multiaddr> addrs;  // without /p2p
};

// A libp2p signed envelope (RFC 0002) of `payload` by `key`: the signature is
// over lp(domain) || lp(payload_type) || lp(payload). Peer records and relay
// reservation vouchers (wire/circuit.hpp) use it with their own domains.
std::string seal_envelope(const crypto::SigningKey& key, std::string_view domain, std::string_view payload_type,
                          std::string_view payload);
struct Opened {
  core::PeerId signer;
  std::string payload;
};
// Checks size (kMaxBytes), payload type, the Ed25519 key and the signature
// under `domain`. bad_protobuf or bad_identity_signature otherwise.
Result<Opened> open_envelope(std::span<const std::uint8_t> envelope, std::string_view domain,
                             std::string_view payload_type);

// The signed envelope of `key`'s record (seq, addrs), ready for identify.
std::string seal(const crypto::SigningKey& key, std::uint64_t seq, const std::vector<core::Multiaddr>& addrs);
// Checks the envelope (size, payload type, Ed25519 key, signature, the
// record's PeerId equals the signer's) and returns the record. bad_protobuf
// or bad_identity_signature otherwise; addresses that do not parse fail it.
Result<PeerRecord> open(std::span<const std::uint8_t> envelope);

}  // namespace agentmesh::wire::peer_record
