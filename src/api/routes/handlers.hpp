#pragma once
// The route handlers, one group per file under api/routes/. Each takes the
// matched request (RouteContext: params, query, principal, the resolved
// {agent}) and answers a Response; the table in api/routes.cpp names them.
// Internal to api/.

#include <boost/asio/awaitable.hpp>

#include "api/routes.hpp"

namespace agentmesh::api::routes {

using Task = boost::asio::awaitable<Response>;

// The error text of a topic name that is not valid (routes/topics.cpp, routes/streams.cpp).
inline constexpr std::string_view kBadTopic =
    "a topic is 1-256 bytes of UTF-8 without control characters, not under agentmesh/ (reserved)";

// routes/agents.cpp: agents and their block lists
Task list_agents(RouteContext& c);
Task create_agent(RouteContext& c);
Task get_agent(RouteContext& c);
Task update_agent(RouteContext& c);
Task delete_agent(RouteContext& c);
Task list_blocks(RouteContext& c);
Task add_block(RouteContext& c);
Task remove_block(RouteContext& c);
Task create_a2a_token(RouteContext& c);
Task list_a2a_tokens(RouteContext& c);
Task revoke_a2a_token(RouteContext& c);
Task put_a2a_credential(RouteContext& c);
Task list_a2a_credentials(RouteContext& c);
Task delete_a2a_credential(RouteContext& c);

// routes/messages.cpp: sending, status, the inbox
Task send_message(RouteContext& c);
Task message_status(RouteContext& c);
Task read_inbox(RouteContext& c);
Task ack_inbox(RouteContext& c);

// routes/streams.cpp: SSE and WebSocket streams of inboxes and topics.
// resume_point: where a stream starts: `dflt`, else Last-Event-ID, else
// ?after= (the last wins); invalid_field with c.why for a bad value.
Result<core::Seq> resume_point(RouteContext& c, core::Seq dflt);
Task inbox_events(RouteContext& c);
Task inbox_ws(RouteContext& c);
Task topic_events(RouteContext& c);
Task topic_ws(RouteContext& c);

// routes/topics.cpp: topics, publishing, durable subscriptions
Task list_topics(RouteContext& c);
Task publish(RouteContext& c);
Task list_subscriptions(RouteContext& c);
Task add_subscription(RouteContext& c);
Task remove_subscription(RouteContext& c);

// routes/directory.cpp
Task search_directory(RouteContext& c);
Task directory_entry(RouteContext& c);

// routes/peers.cpp: this node and its peers
Task node_info(RouteContext& c);
Task list_peers(RouteContext& c);
Task mesh_events(RouteContext& c);
Task connect_peer(RouteContext& c);
Task disconnect_peer(RouteContext& c);

// routes/dead_letters.cpp
Task list_dead_letters(RouteContext& c);
Task get_dead_letter(RouteContext& c);
Task retry_dead_letter(RouteContext& c);
Task delete_dead_letter(RouteContext& c);

// routes/conversations.cpp: an agent's conversations and their messages
Task list_conversations(RouteContext& c);
Task get_conversation(RouteContext& c);
Task conversation_diagnostics(RouteContext& c);

// routes/tasks.cpp: tasks, the parties' actions, task event streams
Task create_task(RouteContext& c);
Task list_tasks(RouteContext& c);
Task get_task(RouteContext& c);
Task accept_task(RouteContext& c);
Task reject_task(RouteContext& c);
Task task_progress(RouteContext& c);
Task task_input_required(RouteContext& c);
Task complete_task(RouteContext& c);
Task fail_task(RouteContext& c);
Task cancel_task(RouteContext& c);
Task answer_task(RouteContext& c);
Task task_events(RouteContext& c);
Task all_task_events(RouteContext& c);
Task task_diagnostics(RouteContext& c);
Task a2a_diagnostics(RouteContext& c);

// routes/diagnostics.cpp: health, metrics, diagnostics
Task health(RouteContext& c);
Task metrics(RouteContext& c);
Task transport_diagnostics(RouteContext& c);
Task pubsub_diagnostics(RouteContext& c);
Task direct_diagnostics(RouteContext& c);

// routes/console.cpp: the web console's login codes, figures and rate history
Task console_code(RouteContext& c);
Task console_diagnostics(RouteContext& c);
Task rate_history(RouteContext& c);

}  // namespace agentmesh::api::routes
