#include "store/error.hpp"

#include "core/condition.hpp"

#include <string>

namespace agentmesh::store {
namespace {

class Category final : public boost::system::error_category {
 public:
  bool equivalent(int code, const boost::system::error_condition& cond) const noexcept override {
    const auto e = static_cast<error>(code);
    switch (static_cast<core::condition>(core::condition_of(cond))) {
      case core::condition::not_found:
        return e == error::not_found;
      case core::condition::retryable:
        return e == error::queue_full || e == error::stopped || e == error::io;
      case core::condition::store_failure:
        return e == error::io || e == error::corrupt || e == error::schema_too_new;
      case core::condition::invalid_input:
        return e == error::beyond_last;
      default:
        break;
    }
    return boost::system::error_category::equivalent(code, cond);
  }
  const char* name() const noexcept override { return "agentmesh.store"; }
  std::string message(int ev) const override {
    switch (static_cast<error>(ev)) {
      case error::not_found: return "not found";
      case error::conflict: return "already exists";
      case error::beyond_last: return "beyond the last sequence number";
      case error::queue_full: return "store write queue is full";
      case error::stopped: return "store writer has stopped";
      case error::corrupt: return "stored record is corrupt";
      case error::io: return "database failure";
      case error::schema_too_new: return "database schema is newer than this binary";
    }
    return "unknown store error";
  }
};

}  // namespace

const boost::system::error_category& error_category() noexcept {
  static const Category category;
  return category;
}

}  // namespace agentmesh::store
