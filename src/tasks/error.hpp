#pragma once
// tasks::error: why a task operation was refused. Stable: the API exposes
// each as an error code (api/error_table.cpp), and a daemon that refuses an
// action sent by another daemon names it in the direct message's ack
// (reason_code(), parse_reason_code()), so the acting agent's daemon answers
// its caller with the same code.
//
// Conditions: the refusals (task_reassigned, invalid_transition,
// task_not_cancelable, not_participant) are core::condition::
// refused_by_recipient, so a refused action from another daemon is final for
// its message; out_of_order is retryable (the transition comes back later,
// after the ones before it); unknown_task is not_found; the limits are
// retryable when they are counts and invalid_input when they are sizes.

#include <boost/system/error_category.hpp>
#include <boost/system/error_code.hpp>
#include <optional>
#include <string_view>

namespace agentmesh::tasks {

enum class error {
  // No task with that id is visible to this agent.
  unknown_task = 1,
  // The action is not allowed from the task's current state (or would leave
  // a terminal state).
  invalid_transition,
  // The acting agent was the assignee of an earlier attempt: the task was
  // withdrawn from it and offered to another agent.
  task_reassigned,
  // The task has ended (completed, failed, canceled, rejected).
  task_not_cancelable,
  // The agent is not the party that may take this action (only the assignee
  // accepts, reports progress, completes; only the requester cancels or
  // answers a request for input).
  not_participant,
  // The same request id was used earlier with a different action or payload.
  idempotency_conflict,
  // No agent can take the task: the named one is unknown, or no agent offers
  // the capability.
  no_candidate,
  // The agent has the maximum number of unfinished tasks.
  too_many_tasks,
  // An artifact chunk, or all of a task's artifacts, exceed their limit.
  artifact_too_large,
  // A status message, an input or a reason exceeds its limit.
  message_too_large,
  // A task message from another daemon that is not well formed, or whose
  // sender is not the party it claims to act as.
  malformed_transition,
  // A transition from another daemon whose predecessors have not arrived:
  // not applied, not acked; the sender's outbox sends it again.
  out_of_order,
};

const boost::system::error_category& error_category() noexcept;

inline boost::system::error_code make_error_code(error e) noexcept { return {static_cast<int>(e), error_category()}; }

// The stable text of each code ("task_reassigned"...), and back; nullopt for
// a text this version does not know.
std::string_view reason_code(error e) noexcept;
std::optional<error> parse_reason_code(std::string_view code) noexcept;

}  // namespace agentmesh::tasks

template <>
struct boost::system::is_error_code_enum<agentmesh::tasks::error> : std::true_type {};
