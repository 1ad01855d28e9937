#include "pubsub/error.hpp"

#include "core/condition.hpp"

#include <string>

namespace agentmesh::pubsub {
namespace {

class Category final : public boost::system::error_category {
 public:
  bool equivalent(int code, const boost::system::error_condition& cond) const noexcept override {
    const auto e = static_cast<error>(code);
    switch (static_cast<core::condition>(core::condition_of(cond))) {
      case core::condition::peer_misbehaved:
        return e == error::unsigned_message || e == error::bad_seqno || e == error::bad_author || e == error::bad_signature || e == error::message_too_large || e == error::bad_binding;
      case core::condition::retryable:
        return e == error::no_peers;
      default:
        break;
    }
    return boost::system::error_category::equivalent(code, cond);
  }
  const char* name() const noexcept override { return "agentmesh.pubsub"; }
  std::string message(int ev) const override {
    switch (static_cast<error>(ev)) {
      case error::unsigned_message: return "message lacks from, seqno, topic, signature or key";
      case error::bad_seqno: return "seqno is not 8 bytes";
      case error::bad_author: return "from is not a peer id, or key does not match it";
      case error::bad_signature: return "message signature does not verify";
      case error::message_too_large: return "message too large";
      case error::rejected: return "rejected by the validator";
      case error::no_peers: return "no peers subscribed to the topic";
      case error::bad_binding: return "agent binding does not hold for this publisher";
      case error::duplicate: return "message already seen";
    }
    return "unknown pubsub error";
  }
};

}  // namespace

const boost::system::error_category& error_category() noexcept {
  static const Category category;
  return category;
}

}  // namespace agentmesh::pubsub
