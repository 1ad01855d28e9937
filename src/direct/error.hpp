#pragma once
// direct::error: why a message was not accepted. Stable: the API exposes each
// as an error code string (api/error_table.cpp) and later issues put them in
// signed acks.

#include <boost/system/error_category.hpp>
#include <boost/system/error_code.hpp>

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
};

const boost::system::error_category& error_category() noexcept;

inline boost::system::error_code make_error_code(error e) noexcept {
  return {static_cast<int>(e), error_category()};
}

}  // namespace agentmesh::direct

template <>
struct boost::system::is_error_code_enum<agentmesh::direct::error> : std::true_type {};
