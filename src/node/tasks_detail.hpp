#pragma once
// node/tasks_detail: the transactions of the task service (node/tasks.hpp),
// run as store writer jobs: what one step commits, and how a task message
// from another daemon is applied. Internal to node/.
//
// Threading: everything here runs on the store writer thread and reads only
// what it is given (no service state).

#include <optional>
#include <unordered_set>
#include <utility>
#include <vector>

#include "core/result.hpp"
#include "node/node_config.hpp"
#include "store/store.hpp"
#include "tasks/machine.hpp"

namespace agentmesh::node::tasks_detail {

using LocalAgents = std::unordered_set<core::AgentId>;

// What a job needs from the service, copied when it is made.
struct StepEnv {
  core::UnixMs now = 0;
  tasks::Limits limits;
  std::int64_t retention_ms = 0;
  std::int64_t message_ttl_ms = 0;   // lifetime of the task messages to other daemons
  std::size_t max_wire_bytes = 0;    // largest task message another daemon accepts (its payload limit)
  ConversationConfig conversations;  // task events are messages of the task's context (its conversation)
};

// What a committed job leaves for the service to do on its thread.
struct StepOutcome {
  tasks::Task task;                   // as it stands after the job
  std::optional<tasks::Event> event;  // the step taken, if any
  bool home = false;
  bool duplicate = false;                                     // an idempotent repeat: nothing changed
  bool stale = false;                                         // a step from the home already applied
  std::vector<std::pair<core::AgentId, core::Seq>> appended;  // task events put in local inboxes
  std::vector<store::OutboxRecord> outbox;                    // task messages to other daemons
  std::vector<core::AgentId> parties;                         // local parties to wake
  std::uint64_t conversations_created = 0;                    // views the events started (node/conversations.hpp)
};

// Commits step `e` (taking `before`, none for a new task, to `after`): the
// task's row, the step in its log, a task event in the inbox of the local
// parties (`only`: just that one), and at the home an outbox row to each
// remote party (the assignee, and an assignee the step withdrew the task
// from).
Result<void> commit_step(store::Store& s, const StepEnv& env, const LocalAgents& local,
                         const std::optional<tasks::Task>& before, const tasks::Task& after, const tasks::Event& e,
                         bool home, const std::optional<core::AgentId>& only, StepOutcome& out);

// Applies a task message (`rec`: its inbox record as received, sender
// authenticated) inside the receiving transaction: an event from the home to
// this daemon's copy, or a command to a task whose home is here. Returns the
// inbox seq of the event it appended for the recipient, or Seq{0}.
// Refusals: tasks::error (malformed_transition, unknown_task, the machine's);
// out_of_order for an early event.
Result<core::Seq> apply_message(store::Store& s, const StepEnv& env, const LocalAgents& local, store::InboxRecord& rec,
                                StepOutcome& out);

}  // namespace agentmesh::node::tasks_detail
