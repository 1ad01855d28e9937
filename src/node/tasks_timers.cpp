// node/tasks: the task service's timers (acceptance and step timeouts,
// deadlines: tasks::next_due and tasks::due) and the retention purge, run by
// the service's ticker on the network thread.

#include <algorithm>

#include "node/spawn.hpp"
#include "node/storage_commit.hpp"
#include "node/tasks.hpp"
#include "node/tasks_detail.hpp"
#include "store/error.hpp"
#include "tasks/codec.hpp"

namespace agentmesh::node {

using tasks_detail::StepOutcome;

void TaskService::schedule(const tasks::Task& t) {
  auto at = tasks::next_due(t);
  if (!at) {
    timers_.erase(t.id);
    return;
  }
  auto& slot = timers_[t.id];
  const bool sooner = slot == 0 || *at < slot;
  slot = *at;
  if (sooner) ticker_.wake();
}

std::optional<core::UnixMs> TaskService::tick() {
  const auto now = ctx_.now_ms();
  std::optional<core::UnixMs> next;
  std::vector<core::TaskId> due;
  for (const auto& [id, at] : timers_) {
    if (firing_.contains(id)) continue;
    if (at <= now) {
      due.push_back(id);
    } else {
      next = next ? std::min(*next, at) : at;
    }
  }
  for (const auto& id : due) fire(id);
  if (now >= next_purge_ms_) {
    next_purge_ms_ = now + 60'000;
    WorkFn<std::size_t> purge = [now, retention = config_.retention_ms](store::Store& s) -> Result<std::size_t> {
      auto tasks = s.purge_tasks(now - retention);
      if (!tasks) return tasks.error();
      if (auto r = s.purge_task_requests(now); !r) return r.error();
      return *tasks;
    };
    std::weak_ptr<TaskService> weak = weak_from_this();
    ctx_.spawn("task_retention", {}, [weak, purge = std::move(purge)]() mutable -> Task<void> {
      auto self = weak.lock();
      if (!self) co_return;
      auto n = co_await self->ctx_.storage->commit<std::size_t>(std::move(purge));
      if (n) self->stats_.purged += *n;
    });
  }
  next = next ? std::min(*next, next_purge_ms_) : next_purge_ms_;
  return next;
}

void TaskService::fire(core::TaskId id) {
  firing_.insert(id);
  std::weak_ptr<TaskService> weak = weak_from_this();
  ctx_.spawn("task_timer", id.to_string(), [weak, id]() -> Task<void> {
    auto self = weak.lock();
    if (!self) co_return;
    WorkFn<StepOutcome> work = [id, local = self->local_agents(),
                                env = self->step_env()](store::Store& s) -> Result<StepOutcome> {
      StepOutcome out;
      auto row = s.get_task(id);
      if (!row) return row.error();
      if (!*row || !(*row)->home) return out;
      auto t = tasks::decode_task((*row)->body);
      if (!t) return store::error::corrupt;
      auto e = tasks::due(*t, env.now, env.limits);
      if (!e) {
        out.task = std::move(*t);
        return out;
      }
      auto after = *t;
      tasks::apply(after, *e, env.limits);
      if (auto r = tasks_detail::commit_step(s, env, local, *t, after, *e, true, std::nullopt, out); !r) {
        return r.error();
      }
      return out;
    };
    auto done = co_await self->ctx_.storage->commit<StepOutcome>(std::move(work));
    self->firing_.erase(id);
    if (!done) {
      self->ctx_.log->warn("task {}: timer step not stored: {}", id.to_string(), done.error().message());
      self->ticker_.wake();
      co_return;
    }
    if (done->event && done->event->state == tasks::TaskState::failed) ++self->stats_.timed_out;
    if (!done->event) {
      if (done->task.sequence > 0) {
        self->schedule(done->task);
      } else {
        self->timers_.erase(id);
      }
      co_return;
    }
    self->after_commit(*done);
  });
}

}  // namespace agentmesh::node
