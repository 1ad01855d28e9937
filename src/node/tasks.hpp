#pragma once
// node/tasks: the task lifecycle on a daemon (issue 13): creating tasks,
// parties' actions, timers, the event log and its streams, and the task
// messages between daemons.
//
// The requester's daemon is a task's home: it decides every step with the
// sans-I/O machine (tasks/machine.hpp) and commits, in one transaction, the
// task's record, the step in its event log, a `task` event in the inbox of
// each local party, the caller's idempotency record, and an outbox row for
// each party hosted elsewhere (the step as a task message; tasks/codec.hpp).
// So a step is durable everywhere it must go or nowhere, and the outbox's
// retries and the receiver's dedup carry it exactly once.
//
// The assignee's daemon keeps a copy. It folds the home's steps in sequence
// order (an early one is not acked, so the home sends it again; a stale one
// is acked and counted) in the same transaction as the message's dedup row.
// An assignee acting on a task whose home is elsewhere has its daemon check
// the action against the copy, then send it to the home as a task message;
// the home decides it and answers in the message's ack (accepted, or refused
// with the task error, which the caller gets as it would at the home).
//
// Timers (tick()): the home fires acceptance timeouts (requeue or
// not_accepted) and deadlines (deadline_exceeded) at next_due().
//
// Errors: tasks::error (unknown_task, invalid_transition, task_reassigned,
// task_not_cancelable, not_participant, idempotency_conflict, no_candidate,
// too_many_tasks, artifact_too_large, message_too_large), node::error::
// unknown_agent, direct::error::sender_stopped, the direct path's and the
// store's (queue_full, stopped, io).
//
// Threading: the node's executor (checked in debug builds).

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "direct/delivery.hpp"
#include "node/agents.hpp"
#include "node/context.hpp"
#include "node/tasks_detail.hpp"
#include "node/ticker.hpp"
#include "node/types.hpp"
#include "tasks/machine.hpp"

namespace agentmesh::node {

class InboxService;
class DirectoryService;
class DirectService;

struct TaskStats {
  std::uint64_t created = 0;
  std::uint64_t steps = 0;            // events decided here (home)
  std::uint64_t applied = 0;          // events from other daemons folded into copies
  std::uint64_t stale = 0;            // events from other daemons already applied
  std::uint64_t early = 0;            // events from other daemons refused until their predecessors come
  std::uint64_t refused_actions = 0;  // actions refused by the machine (here or from other daemons)
  std::uint64_t requeued = 0;         // offered to another attempt after a timeout or reject
  std::uint64_t timed_out = 0;        // failed with not_accepted or deadline_exceeded
  std::uint64_t purged = 0;
  std::size_t open = 0;  // unfinished tasks this daemon holds
  std::size_t timers = 0;
  std::map<std::string, std::size_t> by_state;  // tasks this daemon holds, by state (from the open set)
};

class TaskService : public std::enable_shared_from_this<TaskService> {
 public:
  TaskService(ServiceContext ctx, std::shared_ptr<AgentService> agents, std::shared_ptr<InboxService> inboxes,
              std::shared_ptr<DirectoryService> directory, std::shared_ptr<DirectService> direct);

  // Loads the unfinished tasks (their timers, the per-agent counts) and
  // routes task messages from the direct path here.
  Result<void> load(std::string& why);
  void start();
  void stop();

  // A task from local agent `requester`; answers once it is durable here.
  Task<Result<TaskResult>> create(core::AgentId requester, CreateTaskRequest req);
  // A party's action.
  Task<Result<TaskResult>> act(core::AgentId actor, core::TaskId id, TaskActionRequest req);
  // The task, when `agent` is its requester, its assignee or an earlier one.
  Result<tasks::Task> get(const core::AgentId& agent, const core::TaskId& id) const;
  Result<std::vector<tasks::Task>> list(const core::AgentId& agent, const TaskListQuery& q) const;
  // A task's steps after `after` (its event log), for `agent` as in get().
  Result<std::vector<tasks::Event>> events(const core::AgentId& agent, const core::TaskId& id, std::uint64_t after,
                                           std::size_t limit) const;

  // Live streams: `wake` runs (on the node thread) when a task `agent` is a
  // party to takes a step (with `task`: only that task's steps, so a
  // requester's streams of many tasks are not all woken by each step). A
  // token for unwatch().
  std::uint64_t watch(const core::AgentId& agent, std::optional<core::TaskId> task, std::function<void()> wake);
  void unwatch(const core::AgentId& agent, std::uint64_t token);

  // Fires due timers and purges ended tasks past retention. The next due time.
  std::optional<core::UnixMs> tick();

  TaskStats stats() const;

 private:
  // The home's part: decide-and-commit of one step, inside a transaction.
  Task<Result<TaskResult>> act_at_home(core::AgentId actor, tasks::Command cmd, std::optional<std::string> request_id);
  Task<Result<TaskResult>> act_remote(core::AgentId actor, tasks::Task copy, tasks::Command cmd, TaskActionRequest req);
  Task<Result<direct::DeliveryResult>> receive(direct::Delivery d);
  void after_commit(const tasks_detail::StepOutcome& out);
  tasks_detail::LocalAgents local_agents() const;
  tasks_detail::StepEnv step_env() const;
  void fire(core::TaskId id);
  std::vector<core::AgentId> candidates(const core::AgentId& requester, const std::string& capability);
  void schedule(const tasks::Task& t);
  // Wakes the watchers of `agent`'s tasks, and of `task` (every one of the
  // agent's when it is not known).
  void notify(const core::AgentId& agent, const std::optional<core::TaskId>& task);

  ServiceContext ctx_;
  const TaskConfig& config_;
  std::shared_ptr<AgentService> agents_;
  std::shared_ptr<InboxService> inboxes_;
  std::shared_ptr<DirectoryService> directory_;
  std::shared_ptr<DirectService> direct_;
  // Home tasks with a timer: id -> when due.
  std::unordered_map<core::TaskId, core::UnixMs> timers_;
  std::unordered_set<core::TaskId> firing_;
  // Unfinished tasks per requester (the bound), and all unfinished tasks here.
  std::unordered_map<core::AgentId, std::size_t> open_by_requester_;
  std::unordered_map<core::TaskId, std::pair<core::AgentId, tasks::TaskState>> open_;
  // When each agent was last offered a task (candidate order).
  std::unordered_map<core::AgentId, core::UnixMs> last_offered_;
  struct Watcher {
    std::optional<core::TaskId> task;  // none: all of the agent's tasks
    std::function<void()> wake;
  };
  std::unordered_map<core::AgentId, std::map<std::uint64_t, Watcher>> watchers_;
  std::uint64_t next_watch_ = 1;
  core::UnixMs next_purge_ms_ = 0;
  TaskStats stats_;
  Ticker ticker_;
};

}  // namespace agentmesh::node
