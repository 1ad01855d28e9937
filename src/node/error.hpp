#pragma once
// node::error: failures of node-level operations that are not a lower
// layer's (those keep their own categories: store::error, direct::error...).

#include <boost/system/error_category.hpp>
#include <boost/system/error_code.hpp>

namespace agentmesh::node {

enum class error {
  // No local agent has that id or name.
  unknown_agent = 1,
  // A local agent already has that name.
  name_taken,
  // A capability is empty, too long, or uses characters outside [a-z0-9._:/-].
  invalid_capability,
  // Too many capabilities, or a display name that is too long or not UTF-8.
  invalid_agent_field,
  // No dead letter has that id.
  unknown_dead_letter,
  // The node is stopping; retry against the restarted daemon.
  shutting_down,
  // The agent already has the maximum number of open streams.
  too_many_streams,
  // No message with that request id was sent by this agent (or its status
  // was purged after the retention period).
  unknown_message,
  // The outbox holds its maximum of pending messages; retry later.
  outbox_full,
  // The agent has no conversation with that id (or it was pruned).
  unknown_conversation,
  // A reply names no recipient and its in_reply_to matches no message the
  // agent received in a conversation it still keeps.
  unknown_reply_target,
  // The agent has no A2A token with that id (or it was revoked).
  unknown_token,
  // The agent has the maximum number of A2A tokens; revoke some first.
  too_many_tokens,
  // The task has no A2A push notification config with that id.
  unknown_push_config,
  // The task (or the node) has the maximum number of A2A push notification configs.
  too_many_push_configs,
  // The outbox commit failed after the message had been sent (a message
  // without an idempotency key leaves while its row commits): it may have
  // been delivered, once; nothing resends it.
  outcome_unknown,
};

const boost::system::error_category& error_category() noexcept;

inline boost::system::error_code make_error_code(error e) noexcept { return {static_cast<int>(e), error_category()}; }

}  // namespace agentmesh::node

template <>
struct boost::system::is_error_code_enum<agentmesh::node::error> : std::true_type {};
