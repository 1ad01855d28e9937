#pragma once
// transport::error: connection, stream and dial failures. Malformed bytes from
// a peer keep their wire::error code; these are the transport's own outcomes.

#include <boost/system/error_category.hpp>
#include <boost/system/error_code.hpp>

namespace agentmesh::transport {

enum class error {
  // yamux: the peer broke the protocol (bad stream id, SYN reuse, window
  // overflow); the session sends GoAway(protocol_error) and closes.
  protocol_violation = 1,
  // yamux: the peer sent more data than the window we granted.
  window_exceeded,
  // The stream was reset (by either side).
  stream_reset,
  // The stream or connection is closed for writing.
  stream_closed,
  // Too many open or unacknowledged streams on this connection.
  too_many_streams,
  // The peer sent GoAway, or we are shutting the session down.
  going_away,
  // The connection is gone.
  connection_closed,
  // A dial did not complete within the dial timeout.
  dial_timeout,
  // Connecting, the handshake or negotiation failed (see the log for why).
  dial_failed,
  // A connection limit (inbound or outbound) is reached.
  connection_limit,
  // The address names this node.
  dial_self,
  // The address has no TCP port or an unsupported protocol.
  unsupported_address,
  // No connection to that peer.
  not_connected,
  // The peer supports none of the protocols proposed for a stream.
  protocol_unsupported,
  // A read or handshake step timed out.
  timeout,
  // A protocol message is larger than its limit.
  message_too_large,
  // Circuit relay: the target holds no reservation on that relay.
  relay_no_reservation,
  // Circuit relay: the relay refused (a reservation or circuit limit, or
  // permission denied).
  relay_refused,
  // Circuit relay: the relay could not reach the target, or answered
  // something other than the protocol allows.
  relay_failed,
};

const boost::system::error_category& error_category() noexcept;

inline boost::system::error_code make_error_code(error e) noexcept {
  return {static_cast<int>(e), error_category()};
}

}  // namespace agentmesh::transport

template <>
struct boost::system::is_error_code_enum<agentmesh::transport::error> : std::true_type {};
