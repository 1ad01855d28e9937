#pragma once
// The local API's response bodies (its DTOs): JSON built from the services'
// results (node/types.hpp, node/diagnostics.hpp), never from store records,
// so the storage schema and the public API change independently. docs/api.md
// shows each shape.
//
// Message bodies: a stored body that is valid UTF-8 comes back as `body`,
// anything else as `body_base64`; empty optional fields are omitted.
//
// Threading: pure functions.

#include <boost/json/object.hpp>

#include "node/diagnostics.hpp"
#include "node/health.hpp"
#include "node/types.hpp"
#include "transport/info.hpp"

namespace agentmesh::api {

boost::json::object agent_json(const node::AgentInfo& a);
boost::json::object inbox_json(const node::InboxMessage& m);
boost::json::object receipt_json(const node::SendReceipt& r);
boost::json::object dead_letter_json(const node::DeadLetter& d);
boost::json::object topic_event_json(const node::TopicEvent& e);
boost::json::object topic_view_json(const node::TopicView& v);
boost::json::object directory_view_json(const node::DirectoryView& v);
boost::json::object node_info_json(const node::NodeInfo& info);
// AutoNAT's state (GET /v1/node); with `counters`, its client and server
// counters too (GET /v1/diagnostics/transport).
boost::json::object reachability_json(const transport::AutoNatStatus& s, bool counters);
boost::json::object peer_json(const transport::PeerInfo& p);

// GET /v1/health: status, version, uptime and the components.
boost::json::object health_json(const node::HealthReport& r, std::string_view version, std::int64_t uptime_s);
// GET /v1/diagnostics/{transport,pubsub,direct}.
boost::json::object transport_diagnostics_json(const transport::TransportDiagnostics& d);
boost::json::object pubsub_diagnostics_json(const node::PubsubFigures& p);
boost::json::object direct_diagnostics_json(const node::DirectStats& d);

// Conversations (docs/api.md, "Conversations").
boost::json::object conversation_json(const node::Conversation& c);
boost::json::object conversation_entry_json(const node::ConversationEntry& e);
boost::json::object conversation_stats_json(const node::ConversationStats& s);

// Tasks (docs/api.md, "Tasks").
boost::json::object task_json(const tasks::Task& t);
boost::json::object task_event_json(const tasks::Event& e);
boost::json::object task_result_json(const node::TaskResult& r);
boost::json::object task_stats_json(const node::TaskStats& s);

}  // namespace agentmesh::api
