#pragma once
// direct::error: why a message was not accepted. Stable: the API exposes each
// as an error code string (api/error_table.cpp) and authenticated acks carry
// them as reason codes (reason_code(), parse_reason_code() in states.hpp).

#include <boost/system/error_category.hpp>
#include <boost/system/error_code.hpp>
#include <string_view>

namespace agentmesh::direct {

enum class error {
  // The same (sender, idempotency key / request id) was used with different content.
  idempotency_conflict = 1,
  // The recipient is neither hosted here nor known on the mesh.
  unknown_recipient,
  // The recipient is draining or stopped and receives no new messages.
  recipient_unavailable,
  // The sending agent is stopped.
  sender_stopped,
  // The payload exceeds the configured limit.
  payload_too_large,
  // Receiving an envelope from another daemon (issue 5's receiver checks):
  // a version this daemon does not speak.
  unsupported_version,
  // created_ms is further in the future than the allowed clock skew.
  clock_skew,
  // now is at or past expires_ms.
  expired,
  // expires_ms - created_ms is longer than the maximum lifetime.
  lifetime_too_long,
  // The envelope does not open under the pair key (tampered, or not from the
  // claimed sender, or not for this recipient).
  not_authenticated,
  // The body carries a signature that does not verify.
  bad_signature,
  // The recipient blocks the sender.
  blocked,
  // The sending agent was deleted before its message was delivered.
  sender_deleted,
  // The recipient id is not a valid Ed25519 public key: nothing can be
  // sealed to it, so no daemon could ever accept the message.
  invalid_recipient,
  // The recipient's daemon gave a reason code this version does not know
  // (a newer daemon). Keep last: parse_reason_code() scans up to it.
  unrecognized_reason,
};

// The stable code of each error (acks, metrics labels, the API's "error").
std::string_view reason_code(error e) noexcept;

const boost::system::error_category& error_category() noexcept;

inline boost::system::error_code make_error_code(error e) noexcept {
  return {static_cast<int>(e), error_category()};
}

}  // namespace agentmesh::direct

template <>
struct boost::system::is_error_code_enum<agentmesh::direct::error> : std::true_type {};
