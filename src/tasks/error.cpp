#include "tasks/error.hpp"

#include <string>

#include "core/condition.hpp"

namespace agentmesh::tasks {

namespace {

constexpr error kAll[] = {error::unknown_task,        error::invalid_transition,   error::task_reassigned,
                          error::task_not_cancelable, error::not_participant,      error::idempotency_conflict,
                          error::no_candidate,        error::too_many_tasks,       error::artifact_too_large,
                          error::message_too_large,   error::malformed_transition, error::out_of_order};

class Category final : public boost::system::error_category {
 public:
  bool equivalent(int code, const boost::system::error_condition& cond) const noexcept override {
    const auto e = static_cast<error>(code);
    switch (static_cast<core::condition>(core::condition_of(cond))) {
      case core::condition::refused_by_recipient:
        return e == error::unknown_task || e == error::invalid_transition || e == error::task_reassigned ||
               e == error::task_not_cancelable || e == error::not_participant || e == error::idempotency_conflict ||
               e == error::artifact_too_large || e == error::message_too_large || e == error::malformed_transition;
      case core::condition::peer_misbehaved:
        return e == error::malformed_transition;
      case core::condition::retryable:
        return e == error::out_of_order || e == error::too_many_tasks;
      case core::condition::not_found:
        return e == error::unknown_task || e == error::no_candidate;
      case core::condition::invalid_input:
        return e == error::artifact_too_large || e == error::message_too_large;
      default:
        break;
    }
    return boost::system::error_category::equivalent(code, cond);
  }
  const char* name() const noexcept override { return "agentmesh.tasks"; }
  std::string message(int ev) const override {
    switch (static_cast<error>(ev)) {
      case error::unknown_task:
        return "no task with that id is visible to this agent";
      case error::invalid_transition:
        return "the action is not allowed in the task's current state";
      case error::task_reassigned:
        return "the task was withdrawn from this agent and offered to another";
      case error::task_not_cancelable:
        return "the task has ended and cannot be canceled";
      case error::not_participant:
        return "this agent may not take that action on the task";
      case error::idempotency_conflict:
        return "the request id was used before with a different action or payload";
      case error::no_candidate:
        return "no agent can take the task";
      case error::too_many_tasks:
        return "the agent has the maximum number of unfinished tasks";
      case error::artifact_too_large:
        return "the artifact exceeds its size limit";
      case error::message_too_large:
        return "the message exceeds its size limit";
      case error::malformed_transition:
        return "the task message is malformed or not from the party it names";
      case error::out_of_order:
        return "an earlier transition of the task has not arrived yet";
    }
    return "unknown task error";
  }
};

}  // namespace

const boost::system::error_category& error_category() noexcept {
  static const Category category;
  return category;
}

std::string_view reason_code(error e) noexcept {
  switch (e) {
    case error::unknown_task:
      return "unknown_task";
    case error::invalid_transition:
      return "invalid_transition";
    case error::task_reassigned:
      return "task_reassigned";
    case error::task_not_cancelable:
      return "task_not_cancelable";
    case error::not_participant:
      return "not_participant";
    case error::idempotency_conflict:
      return "idempotency_conflict";
    case error::no_candidate:
      return "no_candidate";
    case error::too_many_tasks:
      return "too_many_tasks";
    case error::artifact_too_large:
      return "artifact_too_large";
    case error::message_too_large:
      return "message_too_large";
    case error::malformed_transition:
      return "malformed_transition";
    case error::out_of_order:
      return "out_of_order";
  }
  return "unknown";
}

std::optional<error> parse_reason_code(std::string_view code) noexcept {
  for (auto e : kAll) {
    if (reason_code(e) == code) return e;
  }
  return std::nullopt;
}

}  // namespace agentmesh::tasks
