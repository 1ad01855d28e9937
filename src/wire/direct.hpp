#pragma once
// Direct-message wire types (proto/direct.proto; docs/wire/direct.md): the
// envelope, the body it encrypts, and the recipient's ack. Pure codecs with
// explicit limits; the cryptography (pair keys, seal/open, ack MACs) is in
// direct/envelope_crypto.hpp, which uses header_bytes() and ack_bytes() below
// as the AEAD associated data.

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "core/result.hpp"

namespace agentmesh::wire::direct {

inline constexpr std::uint32_t kVersion = 1;
inline constexpr std::string_view kProtocol = "/agentmesh/dm/1.0.0";

struct Limits {
  // The payload limit of the receiving daemon (1 MiB by default) plus the
  // envelope, body fields and AEAD overhead.
  std::size_t max_envelope_bytes = 1024 * 1024 + 64 * 1024;
  std::size_t max_field_bytes = 1024;     // content_type, performative, ids, protocol, reason
  std::size_t max_metadata_entries = 64;
  std::size_t max_ack_bytes = 2048;
};

using AgentKey = std::array<std::uint8_t, 32>;
using RequestIdBytes = std::array<std::uint8_t, 16>;

struct Envelope {
  std::uint32_t version = kVersion;
  RequestIdBytes request_id{};
  AgentKey sender{};
  AgentKey recipient{};
  std::string sender_peer;  // PeerId multihash
  std::uint64_t created_ms = 0;
  std::uint64_t expires_ms = 0;
  std::string ciphertext;   // nonce || ct || tag
  friend bool operator==(const Envelope&, const Envelope&) = default;
};

struct Body {
  std::string payload;
  std::string content_type;
  std::string performative;
  std::string conversation_id;
  std::string reply_with;
  std::string in_reply_to;
  std::string protocol;
  std::vector<std::pair<std::string, std::string>> metadata;
  std::optional<std::array<std::uint8_t, 64>> signature;
  friend bool operator==(const Body&, const Body&) = default;
};

enum class Outcome : std::uint32_t { accepted = 1, duplicate = 2, rejected = 3 };

struct Ack {
  std::uint32_t version = kVersion;
  RequestIdBytes request_id{};
  AgentKey sender{};
  AgentKey recipient{};
  Outcome outcome = Outcome::accepted;
  std::uint64_t seq = 0;
  std::string reason;
  std::string mac;  // nonce(24) || tag(16)
  friend bool operator==(const Ack&, const Ack&) = default;
};

std::string encode(const Envelope& envelope);
// bad_protobuf unless every header field is present and well-sized (ids 16
// and 32 bytes, a PeerId multihash under 64 bytes, a ciphertext of at least
// nonce + tag); frame_too_large over limits.max_envelope_bytes. An unknown
// version decodes (the receiver rejects it with its own reason).
Result<Envelope> decode_envelope(std::span<const std::uint8_t> bytes, const Limits& limits = {});

std::string encode(const Body& body);
Result<Body> decode_body(std::span<const std::uint8_t> bytes, const Limits& limits = {});
// What the optional signature covers: "agentmesh/dm/v1/signature" ||
// header_bytes(envelope) || encode(body without its signature).
std::string body_signing_bytes(const Envelope& envelope, const Body& body);

std::string encode(const Ack& ack);
Result<Ack> decode_ack(std::span<const std::uint8_t> bytes, const Limits& limits = {});

// The gossip inbox (docs/wire/direct.md): each agent's inbox topic carries
// envelopes for the agent and acks for the messages it sent.
inline constexpr std::string_view kInboxTopicPrefix = "agentmesh/inbox/1/";
struct InboxItem {
  enum class Kind { envelope, ack };
  Kind kind = Kind::envelope;
  std::string bytes;  // the encoded Envelope or Ack
  friend bool operator==(const InboxItem&, const InboxItem&) = default;
};
// The relay topic: one topic every daemon joins and forwards, carrying the
// same items (envelopes, acks) for recipients that no neighbour's inbox
// topic reaches: the gossip path across any number of hops. Each daemon
// takes what is addressed to agents it hosts (the envelope's recipient, the
// ack's sender) and passes on the rest within rate limits
// (direct/relay_limiter.hpp).
inline constexpr std::string_view kRelayTopic = "agentmesh/relay/1";
std::string encode(const InboxItem& item);
// bad_protobuf unless exactly one of the two is present; frame_too_large over
// limits.max_envelope_bytes (+ framing).
Result<InboxItem> decode_inbox_item(std::span<const std::uint8_t> bytes, const Limits& limits = {});

// Canonical (not protobuf) bytes of the envelope header, the AEAD associated
// data: "agentmesh/dm/v1/header" || version (4 BE) || request_id || sender ||
// recipient || uvarint(len) sender_peer || created_ms (8 BE) || expires_ms (8 BE).
std::string header_bytes(const Envelope& envelope);
// The same for an ack (its MAC's associated data), everything but the mac:
// "agentmesh/dm/v1/ack" || version || request_id || sender || recipient ||
// outcome (4 BE) || seq (8 BE) || uvarint(len) reason.
std::string ack_bytes(const Ack& ack);

}  // namespace agentmesh::wire::direct
