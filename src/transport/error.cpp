#include "transport/error.hpp"

#include "core/condition.hpp"

#include <string>

namespace agentmesh::transport {
namespace {

class Category final : public boost::system::error_category {
 public:
  bool equivalent(int code, const boost::system::error_condition& cond) const noexcept override {
    const auto e = static_cast<error>(code);
    switch (static_cast<core::condition>(core::condition_of(cond))) {
      case core::condition::peer_misbehaved:
        return e == error::protocol_violation || e == error::window_exceeded || e == error::too_many_streams || e == error::message_too_large;
      case core::condition::retryable:
        return e == error::stream_reset || e == error::stream_closed || e == error::going_away || e == error::connection_closed || e == error::dial_timeout || e == error::dial_failed || e == error::connection_limit || e == error::not_connected || e == error::timeout || e == error::relay_no_reservation || e == error::relay_refused || e == error::relay_failed;
      case core::condition::invalid_input:
        return e == error::dial_self || e == error::unsupported_address;
      default:
        break;
    }
    return boost::system::error_category::equivalent(code, cond);
  }
  const char* name() const noexcept override { return "agentmesh.transport"; }
  std::string message(int ev) const override {
    switch (static_cast<error>(ev)) {
      case error::protocol_violation: return "peer violated the yamux protocol";
      case error::window_exceeded: return "peer exceeded the stream receive window";
      case error::stream_reset: return "stream reset";
      case error::stream_closed: return "stream closed";
      case error::too_many_streams: return "too many streams on this connection";
      case error::going_away: return "session is going away";
      case error::connection_closed: return "connection closed";
      case error::dial_timeout: return "dial timed out";
      case error::dial_failed: return "dial failed";
      case error::connection_limit: return "connection limit reached";
      case error::dial_self: return "address belongs to this node";
      case error::unsupported_address: return "unsupported address (need /ip4|ip6|dns*/.../tcp/PORT)";
      case error::not_connected: return "not connected to that peer";
      case error::protocol_unsupported: return "peer does not support the protocol";
      case error::timeout: return "timed out";
      case error::message_too_large: return "message exceeds its size limit";
      case error::relay_no_reservation: return "the target holds no reservation on the relay";
      case error::relay_refused: return "the relay refused (limit reached or permission denied)";
      case error::relay_failed: return "the relay could not connect to the target";
    }
    return "unknown transport error";
  }
};

}  // namespace

const boost::system::error_category& error_category() noexcept {
  static const Category category;
  return category;
}

}  // namespace agentmesh::transport
