#pragma once
// pubsub::error: why a message or a control message was refused.

#include <boost/system/error_category.hpp>
#include <boost/system/error_code.hpp>

namespace agentmesh::pubsub {

enum class error {
  // StrictSign: from, seqno, topic, signature or key is missing.
  unsigned_message = 1,
  // The seqno is not exactly 8 bytes.
  bad_seqno,
  // `from` is not a PeerId, or `key` does not match it.
  bad_author,
  // The signature does not verify.
  bad_signature,
  // The message is larger than max_message_bytes.
  message_too_large,
  // The application validator rejected it.
  rejected,
  // Publishing: no peer to send to and the topic is not ours.
  no_peers,
  // An agentmesh payload whose agent binding does not hold (wrong peer,
  // expired, or a bad agent signature).
  bad_binding,
  // A replayed message we have already seen (nothing to do).
  duplicate,
};

const boost::system::error_category& error_category() noexcept;

inline boost::system::error_code make_error_code(error e) noexcept {
  return {static_cast<int>(e), error_category()};
}

}  // namespace agentmesh::pubsub

template <>
struct boost::system::is_error_code_enum<agentmesh::pubsub::error> : std::true_type {};
