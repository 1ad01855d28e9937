#include "tasks/machine.hpp"

#include <algorithm>

namespace agentmesh::tasks {

namespace {

Event next_event(const Task& t, EventKind kind, TaskState state, UnixMs now) {
  Event e;
  e.task = t.id;
  e.sequence = t.sequence + 1;
  e.kind = kind;
  e.state = state;
  e.attempt = t.attempt;
  e.assignee = t.assignee;
  e.time_ms = now;
  return e;
}

// The task withdrawn from its assignee and offered to `next` (attempt + 1).
Event offer(const Task& t, const AgentId& next, bool pop_candidate, UnixMs now) {
  auto e = next_event(t, EventKind::offered, TaskState::submitted, now);
  e.attempt = t.attempt + 1;
  e.assignee = next;
  Task after = t;
  after.sequence = e.sequence;
  after.attempt = e.attempt;
  after.assignee = next;
  after.updated_ms = now;
  after.accept_by_ms = now + t.acceptance_timeout_ms;
  if (pop_candidate) after.candidates.erase(after.candidates.begin());
  if (t.assignee != next && std::find(t.former.begin(), t.former.end(), t.assignee) == t.former.end()) {
    after.former.push_back(t.assignee);
  }
  e.snapshot = std::move(after);
  return e;
}

Event end(const Task& t, EventKind kind, TaskState state, std::string reason, UnixMs now) {
  auto e = next_event(t, kind, state, now);
  e.reason = std::move(reason);
  return e;
}

Result<void> check_chunks(const Task& t, const std::vector<ArtifactChunk>& chunks, const Limits& limits) {
  if (chunks.size() > limits.max_chunks_per_event) return error::artifact_too_large;
  std::uint64_t total = t.artifact_bytes;
  // The next index per artifact name, as this event would leave it.
  std::vector<std::pair<std::string, std::uint32_t>> next;
  std::vector<std::string> closed;
  for (const auto& a : t.artifacts) {
    next.emplace_back(a.name, a.chunks);
    if (a.complete) closed.push_back(a.name);
  }
  std::size_t names = t.artifacts.size();
  for (const auto& c : chunks) {
    if (c.name.empty() || c.name.size() > 256) return error::invalid_transition;
    if (std::find(closed.begin(), closed.end(), c.name) != closed.end()) return error::invalid_transition;
    auto it = std::find_if(next.begin(), next.end(), [&](const auto& p) { return p.first == c.name; });
    const std::uint32_t expected = it == next.end() ? 0 : it->second;
    if (c.index != expected) return error::invalid_transition;
    const auto bytes = size_of(c.parts);
    if (bytes > limits.max_chunk_bytes) return error::artifact_too_large;
    total += bytes;
    if (total > limits.max_artifact_bytes) return error::artifact_too_large;
    if (it == next.end()) {
      if (++names > limits.max_artifacts) return error::artifact_too_large;
      next.emplace_back(c.name, 1);
    } else {
      ++it->second;
    }
    if (c.last) closed.push_back(c.name);
  }
  return {};
}

Result<void> check_message(const Command& c, const Limits& limits) {
  if (size_of(c.parts) > limits.max_message_bytes) return error::message_too_large;
  if (c.reason.size() > limits.max_reason_bytes) return error::message_too_large;
  if (c.percent && *c.percent > 100) return error::invalid_transition;
  return {};
}

std::optional<StatusMessage> message_of(const Command& c, UnixMs now) {
  if (c.parts.empty() && !c.percent) return std::nullopt;
  StatusMessage m;
  m.from = c.actor;
  m.parts = c.parts;
  m.percent = c.percent;
  m.time_ms = now;
  return m;
}

}  // namespace

Result<Event> create(const NewTask& n, UnixMs now, const Limits& limits) {
  if (size_of(n.input) > limits.max_input_bytes) return error::message_too_large;
  if (n.candidates.empty()) return error::no_candidate;
  Task t;
  t.id = n.id;
  t.context_id = n.context_id;
  t.requester = n.requester;
  t.assignee = n.candidates.front();
  t.capability = n.capability;
  t.candidates.assign(n.candidates.begin() + 1, n.candidates.end());
  t.attempt = 1;
  t.state = TaskState::submitted;
  t.sequence = 1;
  t.input = n.input;
  t.acceptance_timeout_ms = n.acceptance_timeout_ms;
  t.created_ms = now;
  t.updated_ms = now;
  t.accept_by_ms = n.acceptance_timeout_ms > 0 ? now + n.acceptance_timeout_ms : 0;
  t.deadline_ms = n.deadline_ms;
  t.metadata = n.metadata;
  Event e;
  e.task = t.id;
  e.sequence = 1;
  e.kind = EventKind::created;
  e.state = TaskState::submitted;
  e.attempt = 1;
  e.assignee = t.assignee;
  e.time_ms = now;
  e.snapshot = std::move(t);
  return e;
}

Result<Event> decide(const Task& t, const Command& c, UnixMs now, const Limits& limits) {
  if (by_assignee(c.action)) {
    if (c.actor != t.assignee) {
      const bool withdrawn = std::find(t.former.begin(), t.former.end(), c.actor) != t.former.end();
      return withdrawn ? error::task_reassigned : error::not_participant;
    }
  } else if (c.actor != t.requester) {
    return error::not_participant;
  }
  if (terminal(t.state)) return c.action == Action::cancel ? error::task_not_cancelable : error::invalid_transition;
  if (auto ok = check_message(c, limits); !ok) return ok.error();
  const bool waiting = t.state == TaskState::input_required || t.state == TaskState::auth_required;
  auto with_message = [&](Event e) {
    e.message = message_of(c, now);
    return e;
  };
  switch (c.action) {
    case Action::accept:
      if (t.state != TaskState::submitted) return error::invalid_transition;
      return with_message(next_event(t, EventKind::accepted, TaskState::working, now));
    case Action::reject:
      if (t.state != TaskState::submitted) return error::invalid_transition;
      if (!t.capability.empty() && !t.candidates.empty()) return offer(t, t.candidates.front(), true, now);
      return with_message(end(t, EventKind::rejected, TaskState::rejected, c.reason, now));
    case Action::progress: {
      if (t.state != TaskState::working) return error::invalid_transition;
      if (c.parts.empty() && !c.percent && c.chunks.empty()) return error::invalid_transition;
      if (auto ok = check_chunks(t, c.chunks, limits); !ok) return ok.error();
      auto e = with_message(next_event(t, EventKind::progress, TaskState::working, now));
      e.chunks = c.chunks;
      return e;
    }
    case Action::input_required:
      if (t.state != TaskState::working) return error::invalid_transition;
      return with_message(next_event(t, EventKind::input_required, TaskState::input_required, now));
    case Action::complete: {
      if (t.state != TaskState::working) return error::invalid_transition;
      if (auto ok = check_chunks(t, c.chunks, limits); !ok) return ok.error();
      auto e = with_message(next_event(t, EventKind::completed, TaskState::completed, now));
      e.chunks = c.chunks;
      return e;
    }
    case Action::fail:
      if (t.state != TaskState::working && !waiting) return error::invalid_transition;
      return with_message(end(t, EventKind::failed, TaskState::failed, c.reason.empty() ? "failed" : c.reason, now));
    case Action::cancel:
      return with_message(end(t, EventKind::canceled, TaskState::canceled, c.reason, now));
    case Action::input:
      if (!waiting) return error::invalid_transition;
      if (c.parts.empty()) return error::invalid_transition;
      return with_message(next_event(t, EventKind::input, TaskState::working, now));
  }
  return error::invalid_transition;
}

std::optional<Event> due(const Task& t, UnixMs now, const Limits& limits) {
  if (terminal(t.state)) return std::nullopt;
  if (t.deadline_ms > 0 && now >= t.deadline_ms) {
    return end(t, EventKind::failed, TaskState::failed, std::string(kDeadlineExceeded), now);
  }
  if (t.state != TaskState::submitted || t.accept_by_ms == 0 || now < t.accept_by_ms) return std::nullopt;
  if (!t.capability.empty()) {
    if (!t.candidates.empty()) return offer(t, t.candidates.front(), true, now);
  } else if (t.attempt < limits.max_attempts) {
    return offer(t, t.assignee, false, now);
  }
  return end(t, EventKind::failed, TaskState::failed, std::string(kNotAccepted), now);
}

std::optional<UnixMs> next_due(const Task& t) {
  if (terminal(t.state)) return std::nullopt;
  std::optional<UnixMs> at;
  if (t.deadline_ms > 0) at = t.deadline_ms;
  if (t.state == TaskState::submitted && t.accept_by_ms > 0) at = at ? std::min(*at, t.accept_by_ms) : t.accept_by_ms;
  return at;
}

void apply(Task& t, const Event& e, const Limits& limits) {
  if (e.snapshot) {
    t = *e.snapshot;
    return;
  }
  t.sequence = e.sequence;
  t.state = e.state;
  t.attempt = e.attempt;
  t.assignee = e.assignee;
  t.updated_ms = e.time_ms;
  if (e.kind == EventKind::accepted || terminal(e.state)) t.accept_by_ms = 0;
  if (!e.reason.empty()) t.reason = e.reason;
  if (e.message) {
    t.messages.push_back(*e.message);
    if (t.messages.size() > limits.max_messages_kept) {
      t.messages.erase(t.messages.begin(),
                       t.messages.begin() + static_cast<std::ptrdiff_t>(t.messages.size() - limits.max_messages_kept));
    }
  }
  for (const auto& c : e.chunks) {
    auto it = std::find_if(t.artifacts.begin(), t.artifacts.end(), [&](const Artifact& a) { return a.name == c.name; });
    if (it == t.artifacts.end()) {
      t.artifacts.push_back(Artifact{c.name, {}, 0, false});
      it = std::prev(t.artifacts.end());
    }
    it->parts.insert(it->parts.end(), c.parts.begin(), c.parts.end());
    ++it->chunks;
    it->complete = it->complete || c.last;
    t.artifact_bytes += size_of(c.parts);
  }
}

Fold fold(const std::optional<Task>& local, const Event& e) noexcept {
  if (!local) return e.snapshot ? Fold::apply : Fold::early;
  if (e.sequence <= local->sequence) return Fold::stale;
  if (e.sequence == local->sequence + 1 || e.snapshot) return Fold::apply;
  return Fold::early;
}

Task for_replica(Task t) {
  t.candidates.clear();
  return t;
}

}  // namespace agentmesh::tasks
