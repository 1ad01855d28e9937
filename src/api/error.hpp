#pragma once
// api::error: request-level failures detected by the HTTP layer itself.
// Domain failures keep their own categories and are mapped in error_table.

#include <boost/system/error_category.hpp>
#include <boost/system/error_code.hpp>

namespace agentmesh::api {

enum class error {
  // The body is not valid JSON (syntax, nesting deeper than the limit, invalid UTF-8).
  malformed_json = 1,
  // A field has the wrong type or an invalid value.
  invalid_field,
  // A field the route does not know.
  unknown_field,
  // A required field is absent.
  missing_field,
  // The request body exceeds the limit.
  body_too_large,
  // The request headers exceed the limit.
  headers_too_large,
  // POST/PATCH without Content-Type: application/json.
  unsupported_media_type,
  // No or wrong bearer token.
  unauthorized,
  // The token is valid but may not do this.
  forbidden,
  // No route for this path.
  no_route,
  // The path exists but not with this method.
  method_not_allowed,
  // Syntactically broken HTTP.
  bad_request,
  // Too many concurrent connections.
  too_many_connections,
  // POST /v1/peers: the dial or the handshake failed (the message says why).
  dial_failed,
  // No connection to (or memory of) that peer.
  unknown_peer,
  // The client's address sent requests faster than the listener allows.
  rate_limited,
  // The Host header names neither this listener's address nor localhost
  // (a DNS-rebinding page would send its own host name).
  host_not_allowed,
  // A console session's state-changing request without its CSRF token, or
  // from another origin.
  csrf_failed,
  // POST /ui/session: the one-time login code is unknown, used or expired.
  invalid_login_code,
  // No outbound A2A credential has that name.
  unknown_credential,
};

const boost::system::error_category& error_category() noexcept;

inline boost::system::error_code make_error_code(error e) noexcept {
  return {static_cast<int>(e), error_category()};
}

}  // namespace agentmesh::api

template <>
struct boost::system::is_error_code_enum<agentmesh::api::error> : std::true_type {};
