#include "node/types.hpp"

namespace agentmesh::node {

std::string_view to_string(AgentState s) noexcept {
  switch (s) {
    case AgentState::running:
      return "running";
    case AgentState::draining:
      return "draining";
    case AgentState::stopped:
      return "stopped";
  }
  return "running";
}

std::optional<AgentState> parse_agent_state(std::string_view s) noexcept {
  for (auto v : {AgentState::running, AgentState::draining, AgentState::stopped}) {
    if (to_string(v) == s) return v;
  }
  return std::nullopt;
}

std::string_view to_string(ConversationState s) noexcept {
  return s == ConversationState::expired ? "expired" : "active";
}

std::optional<ConversationState> parse_conversation_state(std::string_view s) noexcept {
  for (auto v : {ConversationState::active, ConversationState::expired}) {
    if (to_string(v) == s) return v;
  }
  return std::nullopt;
}

}  // namespace agentmesh::node
