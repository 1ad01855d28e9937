#pragma once
// direct/receiver: the checks a daemon makes on an envelope from another
// daemon, before it commits anything (issue 5, "Receiver"). Sans-I/O: the
// caller supplies the time, the hosted-agent lookup and the pair-key cache.
//
// In order, each failure a direct::error (its reason_code() is what the ack
// and the metrics carry):
//   1. size: the encoded envelope within limits       -> payload_too_large
//   2. version == 1                                   -> unsupported_version
//   3. clock window: created <= now + max_skew        -> clock_skew
//                    now < expires + max_skew         -> expired
//                    expires - created <= max_lifetime -> lifetime_too_long
//   4. the recipient is hosted here                   -> unknown_recipient
//   5. authentication: the body opens under the pair key of (recipient,
//      sender)                                        -> not_authenticated
//      and its signature, if any, verifies            -> bad_signature
//   6. the payload within max_payload_bytes           -> payload_too_large
// Deduplication on (sender, request_id), the block list and the inbox commit
// come next, in one store transaction (direct::deliver).
//
// An envelope past its expiry by less than max_skew passes with `expired`
// set: its sender's confirming attempt (direct/ack_tracker.hpp). The caller
// must not commit it: it answers a duplicate of a message it committed with
// the original outcome, anything else with `expired` (Delivery::refuse).
// The dedup rows outlive that window (node/direct_receive.cpp).

#include <chrono>
#include <cstdint>
#include <functional>

#include "core/ids.hpp"
#include "core/result.hpp"
#include "crypto/crypto.hpp"
#include "direct/envelope_crypto.hpp"
#include "wire/direct.hpp"

namespace agentmesh::direct {

struct ReceiverConfig {
  static constexpr std::size_t kDefaultMaxPayloadBytes = 1024 * 1024;
  std::size_t max_payload_bytes = kDefaultMaxPayloadBytes;
  std::chrono::milliseconds max_skew{30'000};
  std::chrono::milliseconds max_lifetime{600'000};
  wire::direct::Limits limits;
};

struct Received {
  wire::direct::Envelope envelope;
  wire::direct::Body body;
  bool expired = false;  // past expires_ms, within max_skew: confirm only
};

// The signing key of a locally hosted agent, or null.
using HostedKey = std::function<const crypto::SigningKey*(const core::AgentId&)>;

Result<Received> check_envelope(std::span<const std::uint8_t> encoded, std::uint64_t now_ms,
                                const ReceiverConfig& config, const HostedKey& hosted, PairKeyCache& keys);

}  // namespace agentmesh::direct
