#include "pubsub/error.hpp"

#include <string>

namespace agentmesh::pubsub {
namespace {

class Category final : public boost::system::error_category {
 public:
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
