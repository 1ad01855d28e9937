#include "direct/error.hpp"

#include "core/condition.hpp"

#include <string>

namespace agentmesh::direct {

namespace {

class Category final : public boost::system::error_category {
 public:
  bool equivalent(int code, const boost::system::error_condition& cond) const noexcept override {
    const auto e = static_cast<error>(code);
    switch (static_cast<core::condition>(core::condition_of(cond))) {
      case core::condition::refused_by_recipient:
        return e == error::idempotency_conflict || e == error::unknown_recipient || e == error::recipient_unavailable || e == error::payload_too_large || e == error::unsupported_version || e == error::clock_skew || e == error::expired || e == error::lifetime_too_long || e == error::not_authenticated || e == error::bad_signature || e == error::blocked ||
               e == error::unrecognized_reason;
      case core::condition::peer_misbehaved:
        return e == error::not_authenticated || e == error::bad_signature;
      case core::condition::retryable:
        return e == error::recipient_unavailable;
      case core::condition::not_found:
        return e == error::unknown_recipient;
      case core::condition::invalid_input:
        return e == error::payload_too_large;
      default:
        break;
    }
    return boost::system::error_category::equivalent(code, cond);
  }
  const char* name() const noexcept override { return "agentmesh.direct"; }
  std::string message(int ev) const override {
    switch (static_cast<error>(ev)) {
      case error::idempotency_conflict: return "the idempotency key was used before with different content";
      case error::unknown_recipient: return "no agent with that id or name is known";
      case error::recipient_unavailable: return "the recipient is not accepting messages (draining or stopped)";
      case error::sender_stopped: return "the sending agent is stopped";
      case error::payload_too_large: return "the payload exceeds the size limit";
      case error::unsupported_version: return "the envelope version is not supported";
      case error::clock_skew: return "the envelope was created too far in the future";
      case error::expired: return "the envelope has expired";
      case error::lifetime_too_long: return "the envelope's lifetime exceeds the maximum";
      case error::not_authenticated: return "the envelope does not authenticate for this sender and recipient";
      case error::bad_signature: return "the message signature does not verify";
      case error::blocked: return "the recipient blocks this sender";
      case error::sender_deleted: return "the sending agent was deleted before the message was delivered";
      case error::invalid_recipient: return "the recipient id is not a valid public key";
      case error::unrecognized_reason: return "the recipient's daemon refused the message for a reason this version does not know";
    }
    return "unknown direct-message error";
  }
};

}  // namespace

std::string_view reason_code(error e) noexcept {
  switch (e) {
    case error::idempotency_conflict: return "idempotency_conflict";
    case error::unknown_recipient: return "unknown_recipient";
    case error::recipient_unavailable: return "recipient_unavailable";
    case error::sender_stopped: return "agent_stopped";
    case error::payload_too_large: return "payload_too_large";
    case error::unsupported_version: return "unsupported_version";
    case error::clock_skew: return "clock_skew";
    case error::expired: return "expired";
    case error::lifetime_too_long: return "lifetime_too_long";
    case error::not_authenticated: return "not_authenticated";
    case error::bad_signature: return "bad_signature";
    case error::blocked: return "blocked";
    case error::sender_deleted: return "sender_deleted";
    case error::invalid_recipient: return "invalid_recipient";
    case error::unrecognized_reason: return "unrecognized_reason";
  }
  return "unknown";
}

const boost::system::error_category& error_category() noexcept {
  static const Category category;
  return category;
}

}  // namespace agentmesh::direct
