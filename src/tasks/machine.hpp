#pragma once
// tasks/machine: the task lifecycle as a sans-I/O state machine.
//
// The requester's daemon (the task's home) decides every step: create()
// makes the first event, decide() checks a party's Command against the
// state machine and makes the next event, due() makes the events that time
// causes (the acceptance timeout, the deadline). apply() folds an event into
// a task; the home and the assignee's daemon fold the same events in the
// same order (fold() says whether an event from the home is next, stale or
// early), so both hold the same task at the same sequence. Nothing here
// reads a clock or touches I/O: callers pass `now`, and tests drive it with
// a ManualClock.
//
// The state machine (A2A v1.0 states):
//
//   submitted --accept--> working --complete--> completed
//   submitted --reject--> (next candidate: submitted) | rejected
//   submitted --acceptance timeout--> (next candidate or a new attempt:
//                                      submitted) | failed(not_accepted)
//   working --progress--> working      working --input_required--> input_required
//   input_required --input--> working  working|input_required --fail--> failed
//   any non-terminal --cancel--> canceled
//   any non-terminal --deadline--> failed(deadline_exceeded)
//
// Who acts: only the current assignee accepts, rejects, reports progress,
// asks for input, completes or fails; only the requester cancels or answers.
// An earlier assignee (its attempt withdrawn) gets task_reassigned; anyone
// else not_participant. Nothing leaves a terminal state: cancel there is
// task_not_cancelable, anything else invalid_transition.
//
// Capability-addressed tasks move to the next candidate on a timeout or a
// reject; a named assignee is offered the task again, up to max_attempts,
// then the task fails with not_accepted (a reject by a named assignee is
// final: rejected).
//
// Threading: none (pure functions over values).

#include <optional>

#include "core/result.hpp"
#include "tasks/error.hpp"
#include "tasks/types.hpp"

namespace agentmesh::tasks {

// Failure reasons the machine itself writes.
inline constexpr std::string_view kNotAccepted = "not_accepted";
inline constexpr std::string_view kDeadlineExceeded = "deadline_exceeded";

struct Limits {
  static constexpr std::size_t kDefaultMaxArtifactBytes = 16u << 20;
  static constexpr std::size_t kDefaultMaxChunkBytes = 1u << 20;
  static constexpr std::size_t kDefaultMaxMessageBytes = 64u << 10;
  static constexpr std::size_t kDefaultMaxInputBytes = 1u << 20;
  static constexpr std::size_t kDefaultMaxReasonBytes = 1024;
  static constexpr std::size_t kDefaultMaxChunksPerEvent = 64;
  static constexpr std::size_t kDefaultMaxArtifacts = 256;
  static constexpr std::size_t kDefaultMaxMessagesKept = 64;
  static constexpr std::uint32_t kDefaultMaxAttempts = 3;

  // All of a task's artifact chunks together; one chunk's parts.
  std::size_t max_artifact_bytes = kDefaultMaxArtifactBytes;
  std::size_t max_chunk_bytes = kDefaultMaxChunkBytes;
  // One status message or answer; the task's input; a reason.
  std::size_t max_message_bytes = kDefaultMaxMessageBytes;
  std::size_t max_input_bytes = kDefaultMaxInputBytes;
  std::size_t max_reason_bytes = kDefaultMaxReasonBytes;
  std::size_t max_chunks_per_event = kDefaultMaxChunksPerEvent;
  std::size_t max_artifacts = kDefaultMaxArtifacts;
  // Status messages kept with the task (the oldest go first; every one is
  // still an event in the task's event log).
  std::size_t max_messages_kept = kDefaultMaxMessagesKept;
  // Offers to a named assignee before the task fails with not_accepted.
  std::uint32_t max_attempts = kDefaultMaxAttempts;
};

struct NewTask {
  TaskId id = TaskId::from_array({});
  std::string context_id;
  AgentId requester = AgentId::from_array({});
  // REQUIRES: not empty. The first is offered the task; a capability-addressed
  // task moves down the list.
  std::vector<AgentId> candidates;
  std::string capability;  // empty: a named assignee
  std::vector<Part> input;
  std::int64_t acceptance_timeout_ms = 30'000;
  UnixMs deadline_ms = 0;  // 0: none
  Metadata metadata;
};

// The `created` event (its snapshot is the new task). message_too_large for
// an input over the limit.
Result<Event> create(const NewTask& n, UnixMs now, const Limits& limits);

// The event for `c` on `t`, or why it is refused (the errors above, and
// message_too_large / artifact_too_large / invalid_transition for chunks out
// of order or added to a closed artifact). `t` is unchanged.
Result<Event> decide(const Task& t, const Command& c, UnixMs now, const Limits& limits);

// The event time causes at `now`, if any: the deadline passed (failed), or
// the acceptance timeout (offered again, or failed with not_accepted).
std::optional<Event> due(const Task& t, UnixMs now, const Limits& limits);
// When due() next has something to do; nullopt for none (terminal, or no
// timers).
std::optional<UnixMs> next_due(const Task& t);

// Folds `e` into `t`. REQUIRES: e.sequence == t.sequence + 1, or e carries a
// snapshot (then `t` becomes it).
void apply(Task& t, const Event& e, const Limits& limits);

// How an event from the home relates to this daemon's copy.
enum class Fold {
  apply,  // the next one (or a snapshot that moves the copy forward)
  stale,  // already applied: ignore and count
  early,  // predecessors missing: refuse for now (the sender retries)
};
Fold fold(const std::optional<Task>& local, const Event& e) noexcept;

// The copy of `t` another daemon receives: without the home's candidate list.
Task for_replica(Task t);

}  // namespace agentmesh::tasks
