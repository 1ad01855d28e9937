#pragma once
// tasks/types: the values of the task lifecycle (A2A v1.0's task model).
//
// A task is a request from a requester agent to an assignee: a named agent,
// or the first of an ordered list of candidates that offer a capability. Its
// state changes in steps; each step is an Event with the next
// state_sequence. The requester's daemon is the task's home: it decides
// every step (tasks/machine.hpp) and sends each to the assignee's daemon,
// whose copy applies them in sequence order (tasks/replica.hpp). Both copies
// are therefore the same task at the same sequence.
//
// Plain values: no I/O, no Asio, no store types beyond the metadata pairs.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/clock.hpp"
#include "core/ids.hpp"

namespace agentmesh::tasks {

using core::AgentId;
using core::TaskId;
using core::UnixMs;
using Metadata = std::vector<std::pair<std::string, std::string>>;

// A2A v1.0's states. The last four are terminal: nothing leaves them.
enum class TaskState : std::uint8_t {
  submitted = 0,       // offered to the assignee, not yet accepted
  working = 1,         // accepted; progress may follow
  input_required = 2,  // the assignee waits for the requester's answer
  auth_required = 3,   // the assignee waits for authorization (A2A); treated as input_required
  completed = 4,
  failed = 5,
  canceled = 6,
  rejected = 7,
};
std::string_view to_string(TaskState s) noexcept;
std::optional<TaskState> parse_task_state(std::string_view s) noexcept;
bool terminal(TaskState s) noexcept;

// One part of a message or an artifact (A2A's Part): text, a JSON value
// (kept as its serialized text), or a file by reference.
struct Part {
  enum class Kind : std::uint8_t { text = 0, data = 1, file = 2 };
  Kind kind = Kind::text;
  std::string text;        // text: the text; data: the JSON value's text
  std::string media_type;  // optional for text and data; a file's type
  std::string uri;         // file: where it is
  std::string name;        // file: its name (optional)
  std::uint64_t size = 0;  // file: its size in bytes, as the sender states it

  friend bool operator==(const Part&, const Part&) = default;
};
std::string_view to_string(Part::Kind k) noexcept;
// The bytes a list of parts counts against the size limits (text, data, uri
// and name lengths; a file's own size is not carried, so not counted).
std::size_t size_of(const std::vector<Part>& parts) noexcept;

// A message from a party: a status update from the assignee, or the
// requester's answer to input_required.
struct StatusMessage {
  AgentId from;
  std::vector<Part> parts;
  std::optional<std::uint8_t> percent;  // progress, 0..100
  UnixMs time_ms = 0;

  friend bool operator==(const StatusMessage&, const StatusMessage&) = default;
};

// A piece of a named artifact. Chunks of one artifact are numbered from 0
// and appended in order; `last` closes the artifact.
struct ArtifactChunk {
  std::string name;
  std::uint32_t index = 0;
  bool last = false;
  std::vector<Part> parts;

  friend bool operator==(const ArtifactChunk&, const ArtifactChunk&) = default;
};

// An artifact as its chunks built it.
struct Artifact {
  std::string name;
  std::vector<Part> parts;  // every chunk's parts, in order
  std::uint32_t chunks = 0;
  bool complete = false;  // its last chunk arrived

  friend bool operator==(const Artifact&, const Artifact&) = default;
};

struct Task {
  TaskId id = TaskId::from_array({});
  std::string context_id;  // its conversation
  AgentId requester = AgentId::from_array({});
  AgentId assignee = AgentId::from_array({});  // the current attempt's
  std::string capability;                      // when capability-addressed
  // Candidates not yet offered the task, in order (kept by the home only).
  std::vector<AgentId> candidates;
  // Earlier assignees the task was withdrawn from (their late actions get
  // task_reassigned), in order.
  std::vector<AgentId> former;
  std::uint32_t attempt = 1;  // 1 for the first assignee, +1 per reassignment
  TaskState state = TaskState::submitted;
  std::uint64_t sequence = 0;  // rises by one with every event
  std::vector<Part> input;
  std::vector<StatusMessage> messages;  // status messages and answers, in order
  std::string reason;                   // failed, rejected, canceled: why
  std::vector<Artifact> artifacts;
  std::uint64_t artifact_bytes = 0;
  std::int64_t acceptance_timeout_ms = 0;
  UnixMs created_ms = 0;
  UnixMs updated_ms = 0;
  UnixMs accept_by_ms = 0;  // submitted: withdrawn after this (0 once accepted)
  UnixMs deadline_ms = 0;   // failed with deadline_exceeded after this (0: none)
  Metadata metadata;

  friend bool operator==(const Task&, const Task&) = default;
};

// What one step did. The kind names the action; the state is the task's
// after the step.
enum class EventKind : std::uint8_t {
  created = 0,         // submitted to the first assignee
  offered = 1,         // withdrawn from the assignee, offered to the next
  accepted = 2,        // -> working
  progress = 3,        // working: a status message and/or artifact chunks
  input_required = 4,  // -> input_required
  input = 5,           // the requester's answer: -> working
  completed = 6,
  failed = 7,
  canceled = 8,
  rejected = 9,
};
std::string_view to_string(EventKind k) noexcept;
std::optional<EventKind> parse_event_kind(std::string_view s) noexcept;

struct Event {
  TaskId task = TaskId::from_array({});
  std::uint64_t sequence = 0;
  EventKind kind = EventKind::created;
  TaskState state = TaskState::submitted;
  std::uint32_t attempt = 1;
  AgentId assignee = AgentId::from_array({});
  UnixMs time_ms = 0;
  std::optional<StatusMessage> message;
  std::vector<ArtifactChunk> chunks;
  std::string reason;
  // created and offered: the whole task after this step, so a daemon that
  // has not seen the task (the new assignee's) starts from it.
  std::optional<Task> snapshot;

  friend bool operator==(const Event&, const Event&) = default;
};

// What a party asks of a task.
enum class Action : std::uint8_t {
  accept = 0,          // assignee
  reject = 1,          // assignee: the next candidate, or rejected
  progress = 2,        // assignee
  input_required = 3,  // assignee
  complete = 4,        // assignee
  fail = 5,            // assignee
  cancel = 6,          // requester
  input = 7,           // requester: answers input_required
};
std::string_view to_string(Action a) noexcept;
std::optional<Action> parse_action(std::string_view s) noexcept;
// Whether the assignee (else the requester) takes the action.
bool by_assignee(Action a) noexcept;

struct Command {
  TaskId task = TaskId::from_array({});
  Action action = Action::accept;
  AgentId actor = AgentId::from_array({});
  std::uint32_t attempt = 0;  // the assignee's: the attempt it holds (0: requester)
  std::vector<Part> parts;    // the status message or the answer
  std::optional<std::uint8_t> percent;
  std::vector<ArtifactChunk> chunks;
  std::string reason;

  friend bool operator==(const Command&, const Command&) = default;
};

}  // namespace agentmesh::tasks
