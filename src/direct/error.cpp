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
    }
    return "unknown direct-message error";
  }
};

}  // namespace

const boost::system::error_category& error_category() noexcept {
  static const Category category;
  return category;
}

}  // namespace agentmesh::direct
