#include "direct/receiver.hpp"

#include "crypto/error.hpp"
#include "direct/error.hpp"
#include "wire/error.hpp"

namespace agentmesh::direct {

Result<Received> check_envelope(std::span<const std::uint8_t> encoded, std::uint64_t now_ms,
                                const ReceiverConfig& config, const HostedKey& hosted, PairKeyCache& keys) {
  auto envelope = wire::direct::decode_envelope(encoded, config.limits);
  if (!envelope) {
    if (envelope.error() == make_error_code(wire::error::frame_too_large)) return error::payload_too_large;
    return envelope.error();
  }
  const auto& e = *envelope;
  if (e.version != wire::direct::kVersion) return error::unsupported_version;
  const auto skew = static_cast<std::uint64_t>(config.max_skew.count());
  const auto lifetime = static_cast<std::uint64_t>(config.max_lifetime.count());
  if (e.created_ms > now_ms + skew) return error::clock_skew;
  if (now_ms >= e.expires_ms + skew) return error::expired;
  if (e.expires_ms < e.created_ms || e.expires_ms - e.created_ms > lifetime) return error::lifetime_too_long;
  const auto recipient = core::AgentId::from_array(e.recipient);
  const auto* key = hosted ? hosted(recipient) : nullptr;
  if (!key) return error::unknown_recipient;
  auto pair = keys.get(*key, core::AgentId::from_array(e.sender));
  if (!pair) return error::not_authenticated;  // the sender's key is not a usable point
  auto body = open(e, pair->receive, config.limits);
  if (!body) {
    if (body.error() == make_error_code(crypto::error::bad_signature)) return error::bad_signature;
    return error::not_authenticated;
  }
  if (body->payload.size() > config.max_payload_bytes) return error::payload_too_large;
  const bool expired = now_ms >= e.expires_ms;
  return Received{std::move(*envelope), std::move(*body), expired};
}

}  // namespace agentmesh::direct
