#pragma once
// tasks/codec: the task values as bytes, for the store (a task's record and
// its event log) and for the wire between daemons (docs/wire/tasks.md).
//
// Between daemons a task message is a direct message (protocol
// kProtocol, content type kContentType) whose payload is one JSON object:
//   {"v":1,"event":{...}}    the home's step, to the assignee's daemon
//   {"v":1,"command":{...}}  an assignee's action, to the home
// The direct-message path authenticates the sender agent; the receiver also
// checks that it is the party the message speaks for (tasks/service).
//
// Decoding is strict and bounded: at most kMaxBytes of input, nesting at
// most kMaxDepth, every id and enum checked, unknown members refused (a
// newer sender's member this version does not know would otherwise be lost
// without a word). Errors: malformed_transition.
//
// Threading: none (pure functions).

#include <string>
#include <string_view>
#include <variant>

#include "core/result.hpp"
#include "tasks/types.hpp"

namespace agentmesh::tasks {

inline constexpr std::string_view kProtocol = "agentmesh.task/1";
inline constexpr std::string_view kContentType = "application/vnd.agentmesh.task+json";
inline constexpr std::size_t kMaxBytes = 48u << 20;
inline constexpr std::size_t kMaxDepth = 16;

std::string encode(const Task& t);
Result<Task> decode_task(std::string_view bytes);

std::string encode(const Event& e);
Result<Event> decode_event(std::string_view bytes);

// A message between daemons.
using Message = std::variant<Event, Command>;
std::string encode_message(const Message& m);
Result<Message> decode_message(std::string_view bytes);

}  // namespace agentmesh::tasks
