#pragma once
// api/sse: the one writer of Server-Sent Events (the HTML Living Standard's
// text/event-stream) for every stream the daemon serves.
//
//   id: 7                 (when given: clients resume with Last-Event-ID)
//   event: message
//   data: {"seq":7,...}   (one data line per line of the payload)
//   <blank line>
//
// Threading: pure functions.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace agentmesh::api::sse {

// One event, ready to write. `type` and the id must not contain newlines.
std::string event(std::string_view type, std::string_view data, std::optional<std::uint64_t> id = std::nullopt);

}  // namespace agentmesh::api::sse
