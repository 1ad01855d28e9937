#include "tasks/types.hpp"

#include <array>

namespace agentmesh::tasks {

namespace {

template <class E, std::size_t N>
std::optional<E> parse_name(const std::array<std::string_view, N>& names, std::string_view s) noexcept {
  for (std::size_t i = 0; i < N; ++i) {
    if (names[i] == s) return static_cast<E>(i);
  }
  return std::nullopt;
}

constexpr std::array<std::string_view, 8> kStates = {"submitted", "working", "input_required", "auth_required",
                                                     "completed", "failed",  "canceled",       "rejected"};
constexpr std::array<std::string_view, 10> kEvents = {"created", "offered",   "accepted", "progress", "input_required",
                                                      "input",   "completed", "failed",   "canceled", "rejected"};
constexpr std::array<std::string_view, 8> kActions = {"accept",   "reject", "progress", "input-required",
                                                      "complete", "fail",   "cancel",   "input"};
constexpr std::array<std::string_view, 3> kKinds = {"text", "data", "file"};

}  // namespace

std::string_view to_string(TaskState s) noexcept { return kStates.at(static_cast<std::size_t>(s)); }
std::optional<TaskState> parse_task_state(std::string_view s) noexcept { return parse_name<TaskState>(kStates, s); }
bool terminal(TaskState s) noexcept {
  return s == TaskState::completed || s == TaskState::failed || s == TaskState::canceled || s == TaskState::rejected;
}

std::string_view to_string(Part::Kind k) noexcept { return kKinds.at(static_cast<std::size_t>(k)); }

std::size_t size_of(const std::vector<Part>& parts) noexcept {
  std::size_t n = 0;
  for (const auto& p : parts) n += p.text.size() + p.uri.size() + p.name.size() + p.media_type.size();
  return n;
}

std::string_view to_string(EventKind k) noexcept { return kEvents.at(static_cast<std::size_t>(k)); }
std::optional<EventKind> parse_event_kind(std::string_view s) noexcept { return parse_name<EventKind>(kEvents, s); }

std::string_view to_string(Action a) noexcept { return kActions.at(static_cast<std::size_t>(a)); }
std::optional<Action> parse_action(std::string_view s) noexcept { return parse_name<Action>(kActions, s); }
bool by_assignee(Action a) noexcept { return a != Action::cancel && a != Action::input; }

}  // namespace agentmesh::tasks
