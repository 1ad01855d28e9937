#include "direct/error.hpp"

#include <string>

namespace agentmesh::direct {

namespace {

class Category final : public boost::system::error_category {
 public:
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
  }
  return "unknown";
}

const boost::system::error_category& error_category() noexcept {
  static const Category category;
  return category;
}

}  // namespace agentmesh::direct
