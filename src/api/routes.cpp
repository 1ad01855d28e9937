// The one route table of the local API (docs/api.md lists the same routes).

#include "api/routes.hpp"

#include <fmt/format.h>

#include <limits>

#include "api/error.hpp"
#include "api/routes/handlers.hpp"
#include "core/error.hpp"

namespace agentmesh::api {

namespace {

constexpr bool kBody = true;
constexpr bool kNoBody = false;

const Route kRoutes[] = {
    {"GET", "/v1/health", Auth::none, kNoBody, &routes::health},
    {"GET", "/metrics", Auth::admin, kNoBody, &routes::metrics},
    {"GET", "/v1/agents", Auth::admin, kNoBody, &routes::list_agents},
    {"POST", "/v1/agents", Auth::admin, kBody, &routes::create_agent},
    {"GET", "/v1/agents/{agent}", Auth::agent, kNoBody, &routes::get_agent},
    {"PATCH", "/v1/agents/{agent}", Auth::admin, kBody, &routes::update_agent},
    {"DELETE", "/v1/agents/{agent}", Auth::admin, kNoBody, &routes::delete_agent},
    {"POST", "/v1/agents/{agent}/messages", Auth::agent, kBody, &routes::send_message},
    {"GET", "/v1/agents/{agent}/messages/{request_id}", Auth::agent, kNoBody, &routes::message_status},
    {"GET", "/v1/agents/{agent}/inbox", Auth::agent, kNoBody, &routes::read_inbox},
    {"POST", "/v1/agents/{agent}/inbox/ack", Auth::agent, kBody, &routes::ack_inbox},
    {"GET", "/v1/agents/{agent}/events", Auth::agent, kNoBody, &routes::inbox_events},
    {"GET", "/v1/agents/{agent}/ws", Auth::agent, kNoBody, &routes::inbox_ws},
    {"GET", "/v1/agents/{agent}/subscriptions", Auth::agent, kNoBody, &routes::list_subscriptions},
    {"POST", "/v1/agents/{agent}/subscriptions", Auth::agent, kBody, &routes::add_subscription},
    {"DELETE", "/v1/agents/{agent}/subscriptions", Auth::agent, kNoBody, &routes::remove_subscription},
    {"GET", "/v1/agents/{agent}/blocks", Auth::agent, kNoBody, &routes::list_blocks},
    {"POST", "/v1/agents/{agent}/blocks", Auth::agent, kBody, &routes::add_block},
    {"DELETE", "/v1/agents/{agent}/blocks", Auth::agent, kNoBody, &routes::remove_block},
    // {a2a_agent}: a local agent, or one of another daemon that publishes itself to A2A clients.
    {"POST", "/v1/agents/{a2a_agent}/a2a/tokens", Auth::admin, kBody, &routes::create_a2a_token},
    {"GET", "/v1/agents/{a2a_agent}/a2a/tokens", Auth::admin, kNoBody, &routes::list_a2a_tokens},
    {"DELETE", "/v1/agents/{a2a_agent}/a2a/tokens/{token}", Auth::admin, kNoBody, &routes::revoke_a2a_token},
    {"POST", "/v1/a2a/credentials", Auth::admin, kBody, &routes::put_a2a_credential},
    {"GET", "/v1/a2a/credentials", Auth::admin, kNoBody, &routes::list_a2a_credentials},
    {"DELETE", "/v1/a2a/credentials/{name}", Auth::admin, kNoBody, &routes::delete_a2a_credential},
    {"POST", "/v1/agents/{agent}/tasks", Auth::agent, kBody, &routes::create_task},
    {"GET", "/v1/agents/{agent}/tasks", Auth::agent, kNoBody, &routes::list_tasks},
    {"GET", "/v1/agents/{agent}/tasks/events", Auth::agent, kNoBody, &routes::all_task_events},
    {"GET", "/v1/agents/{agent}/tasks/{task}", Auth::agent, kNoBody, &routes::get_task},
    {"GET", "/v1/agents/{agent}/tasks/{task}/events", Auth::agent, kNoBody, &routes::task_events},
    {"POST", "/v1/agents/{agent}/tasks/{task}/accept", Auth::agent, kBody, &routes::accept_task},
    {"POST", "/v1/agents/{agent}/tasks/{task}/reject", Auth::agent, kBody, &routes::reject_task},
    {"POST", "/v1/agents/{agent}/tasks/{task}/progress", Auth::agent, kBody, &routes::task_progress},
    {"POST", "/v1/agents/{agent}/tasks/{task}/input-required", Auth::agent, kBody, &routes::task_input_required},
    {"POST", "/v1/agents/{agent}/tasks/{task}/complete", Auth::agent, kBody, &routes::complete_task},
    {"POST", "/v1/agents/{agent}/tasks/{task}/fail", Auth::agent, kBody, &routes::fail_task},
    {"POST", "/v1/agents/{agent}/tasks/{task}/cancel", Auth::agent, kBody, &routes::cancel_task},
    {"POST", "/v1/agents/{agent}/tasks/{task}/messages", Auth::agent, kBody, &routes::answer_task},
    {"GET", "/v1/agents/{agent}/conversations", Auth::agent, kNoBody, &routes::list_conversations},
    {"GET", "/v1/agents/{agent}/conversations/{conversation}", Auth::agent, kNoBody, &routes::get_conversation},
    {"GET", "/v1/deadletters", Auth::admin, kNoBody, &routes::list_dead_letters},
    {"GET", "/v1/deadletters/{id}", Auth::admin, kNoBody, &routes::get_dead_letter},
    {"DELETE", "/v1/deadletters/{id}", Auth::admin, kNoBody, &routes::delete_dead_letter},
    {"POST", "/v1/deadletters/{id}/retry", Auth::admin, kNoBody, &routes::retry_dead_letter},
    {"GET", "/v1/topics", Auth::admin, kNoBody, &routes::list_topics},
    {"POST", "/v1/topics/{topic}/messages", Auth::any, kBody, &routes::publish},
    {"GET", "/v1/topics/{topic}/events", Auth::any, kNoBody, &routes::topic_events},
    {"GET", "/v1/topics/{topic}/ws", Auth::any, kNoBody, &routes::topic_ws},
    {"GET", "/v1/directory", Auth::any, kNoBody, &routes::search_directory},
    {"GET", "/v1/directory/{id}", Auth::any, kNoBody, &routes::directory_entry},
    {"GET", "/v1/node", Auth::admin, kNoBody, &routes::node_info},
    {"GET", "/v1/peers", Auth::admin, kNoBody, &routes::list_peers},
    {"POST", "/v1/peers", Auth::admin, kBody, &routes::connect_peer},
    {"GET", "/v1/peers/events", Auth::admin, kNoBody, &routes::mesh_events},
    {"DELETE", "/v1/peers/{peer}", Auth::admin, kNoBody, &routes::disconnect_peer},
    {"GET", "/v1/diagnostics/transport", Auth::admin, kNoBody, &routes::transport_diagnostics},
    {"GET", "/v1/diagnostics/pubsub", Auth::admin, kNoBody, &routes::pubsub_diagnostics},
    {"GET", "/v1/diagnostics/direct", Auth::admin, kNoBody, &routes::direct_diagnostics},
    {"GET", "/v1/diagnostics/tasks", Auth::admin, kNoBody, &routes::task_diagnostics},
    {"GET", "/v1/diagnostics/conversations", Auth::admin, kNoBody, &routes::conversation_diagnostics},
    {"GET", "/v1/diagnostics/a2a", Auth::admin, kNoBody, &routes::a2a_diagnostics},
    {"POST", "/v1/ui/codes", Auth::admin, kNoBody, &routes::console_code},
    {"GET", "/v1/diagnostics/console", Auth::admin, kNoBody, &routes::console_diagnostics},
    {"GET", "/v1/diagnostics/rates", Auth::admin, kNoBody, &routes::rate_history},
};

}  // namespace

Result<std::uint64_t> parse_uint(std::string_view s) {
  if (s.empty() || s.size() > 20) return core::error::out_of_range;
  std::uint64_t v = 0;
  for (char ch : s) {
    if (ch < '0' || ch > '9') return core::error::out_of_range;
    const auto d = static_cast<std::uint64_t>(ch - '0');
    if (v > (std::numeric_limits<std::uint64_t>::max() - d) / 10) return core::error::out_of_range;
    v = v * 10 + d;
  }
  return v;
}

std::span<const Route> route_table() { return kRoutes; }

Result<std::uint64_t> RouteContext::query_uint(std::string_view key, std::uint64_t dflt, std::uint64_t max) {
  auto it = query.find(key);
  if (it == query.end()) return dflt;
  auto v = parse_uint(it->second);
  if (!v || *v > max) {
    why = fmt::format("query parameter \"{}\" must be an integer from 0 to {}", key, max);
    return error::invalid_field;
  }
  return *v;
}

}  // namespace agentmesh::api
