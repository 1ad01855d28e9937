#include "api/error.hpp"

#include <string>

#include "core/condition.hpp"

namespace agentmesh::api {
namespace {

class Category final : public boost::system::error_category {
 public:
  bool equivalent(int code, const boost::system::error_condition& cond) const noexcept override {
    const auto e = static_cast<error>(code);
    switch (static_cast<core::condition>(core::condition_of(cond))) {
      case core::condition::retryable:
        return e == error::too_many_connections || e == error::dial_failed || e == error::rate_limited;
      case core::condition::invalid_input:
        return e == error::malformed_json || e == error::invalid_field || e == error::unknown_field ||
               e == error::missing_field || e == error::body_too_large || e == error::headers_too_large ||
               e == error::unsupported_media_type || e == error::bad_request;
      case core::condition::not_found:
        return e == error::unknown_peer || e == error::no_route || e == error::unknown_credential;
      default:
        break;
    }
    return boost::system::error_category::equivalent(code, cond);
  }
  const char* name() const noexcept override { return "agentmesh.api"; }
  std::string message(int ev) const override {
    switch (static_cast<error>(ev)) {
      case error::malformed_json:
        return "the body is not valid JSON";
      case error::invalid_field:
        return "a field has the wrong type or value";
      case error::unknown_field:
        return "unknown field";
      case error::missing_field:
        return "a required field is missing";
      case error::body_too_large:
        return "the request body is too large";
      case error::headers_too_large:
        return "the request headers are too large";
      case error::unsupported_media_type:
        return "the body must be sent with Content-Type: application/json";
      case error::unauthorized:
        return "missing or invalid bearer token";
      case error::forbidden:
        return "this token may not do that";
      case error::no_route:
        return "no such route";
      case error::method_not_allowed:
        return "method not allowed on this route";
      case error::bad_request:
        return "malformed HTTP request";
      case error::too_many_connections:
        return "too many connections";
      case error::rate_limited:
        return "too many requests from this address; slow down";
      case error::dial_failed:
        return "dial failed";
      case error::unknown_peer:
        return "unknown peer";
      case error::host_not_allowed:
        return "the Host header must name this listener's loopback address or localhost";
      case error::csrf_failed:
        return "a console request that changes state needs its session's X-CSRF-Token from the same origin";
      case error::invalid_login_code:
        return "the login code is unknown, already used or expired: run `agentmesh ui` for a new link";
      case error::unknown_credential:
        return "no A2A credential has that name (agentmesh a2a credential list)";
    }
    return "unknown api error";
  }
};

}  // namespace

const boost::system::error_category& error_category() noexcept {
  static const Category category;
  return category;
}

}  // namespace agentmesh::api
