#include "core/condition.hpp"

#include <string>

namespace agentmesh::core {
namespace {

class ConditionCategory final : public boost::system::error_category {
 public:
  const char* name() const noexcept override { return "agentmesh.condition"; }
  std::string message(int ev) const override {
    switch (static_cast<condition>(ev)) {
      case condition::retryable:
        return "may succeed if retried later";
      case condition::peer_misbehaved:
        return "a peer broke a protocol rule";
      case condition::invalid_input:
        return "invalid input";
      case condition::not_found:
        return "not found";
      case condition::store_failure:
        return "the database failed";
      case condition::refused_by_recipient:
        return "refused by the recipient";
    }
    return "unknown condition";
  }
};

}  // namespace

const boost::system::error_category& condition_category() noexcept {
  static const ConditionCategory category;
  return category;
}

}  // namespace agentmesh::core
