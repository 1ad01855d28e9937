#pragma once
// The API's plain request and response values: what the HTTP session parses
// and what a route handler answers. No Beast, so handlers and their tests
// stay light (Beast lives in server.cpp, http_response.cpp, stream_session.cpp).
//
// Threading: values only. ApiStats is updated on the API's executor.

#include <boost/json/object.hpp>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/ids.hpp"
#include "node/types.hpp"

namespace agentmesh::api {

struct Request {
  std::string method;  // "GET", "POST", ...
  std::string target;  // path and query
  std::string authorization;
  std::string content_type;
  std::string last_event_id;
  std::string host;         // the Host header
  std::string accept;       // the Accept header
  std::string a2a_version;  // the A2A-Version header
  std::string remote;       // the client's address
  std::string cookie;       // the Cookie header (the web console's session)
  std::string origin;       // the Origin header
  std::string csrf_token;   // the X-CSRF-Token header
  std::string body;
  bool websocket_upgrade = false;
};

// How the node tells a stream there is more to send. The route registers
// wake() with the node before the stream session exists; the session sets
// `on_wake` once it waits (a wake before that is harmless: the session reads
// what is there first).
struct StreamSignal {
  std::function<void()> on_wake;
  void wake() {
    if (on_wake) on_wake();
  }
};

// A task stream in another protocol's shape (the A2A gateway's
// StreamResponse envelopes): SSE data events without ids, and no closing or
// shutdown event (its clients read every event as a response).
struct CustomTaskStream {
  std::vector<boost::json::object> preface;  // sent first
  bool ended = false;                        // after the preface: nothing more
  std::function<std::vector<boost::json::object>(const tasks::Event&)> render;
  std::function<bool(const tasks::Event&)> ends;  // the last step to send
};

// What a stream route hands the HTTP session: the stream it opened.
struct StreamRequest {
  // inbox: an agent's inbox (task events as `task`); topic: a subscriber;
  // task: one task's event log (id = state_sequence; ends after a terminal
  // state); tasks: the task events of an agent's inbox (id = inbox seq);
  // mesh: a notice per change of peers or directory (SSE only).
  enum class Source { inbox, topic, task, tasks, mesh };
  enum class Framing { sse, websocket };
  Source source = Source::inbox;
  Framing framing = Framing::sse;
  core::AgentId agent;                                // inbox: whose
  core::Seq after;                                    // inbox, tasks: after this seq; task: this state_sequence
  core::TaskId task = core::TaskId::from_array({});   // task: which
  std::shared_ptr<node::TopicSubscriber> subscriber;  // topic: its queue
  std::shared_ptr<CustomTaskStream> custom;           // task, SSE only: rendered by it
  std::shared_ptr<StreamSignal> signal;
  // Releases the stream's slot or subscription when the last copy goes,
  // however the stream ends.
  std::shared_ptr<void> lease;
};

struct Response {
  int status = 200;
  std::string body;
  std::string content_type = "application/json";
  std::vector<std::pair<std::string, std::string>> headers;
  std::optional<StreamRequest> stream;  // set: the connection becomes this stream
  std::string route;                    // the matched route pattern, for metrics
};

// Counters the HTTP layer keeps; rendered at /metrics.
struct ApiStats {
  std::map<std::pair<std::string, int>, std::uint64_t> requests;  // (route, status) -> count
  std::uint64_t connections_open = 0;
  std::uint64_t connections_total = 0;
  std::uint64_t connections_rejected = 0;
  std::uint64_t bad_requests = 0;                      // unparseable HTTP, over-limit headers or bodies
  std::uint64_t header_timeouts = 0;                   // connections closed: a request header not finished in time
  std::uint64_t connections_rejected_per_address = 0;  // over max_connections_per_address
  std::uint64_t rate_limited = 0;                      // requests refused: over the per-address rate
  std::uint64_t tls_handshake_failures = 0;            // connections closed: no TLS handshake in time, or a bad one
  std::uint64_t sse_events = 0;
  std::uint64_t ws_messages = 0;
};

// The A2A gateway's own figures (api/a2a_gateway.hpp).
struct A2aStats {
  std::uint64_t calls = 0;            // method calls decoded (either binding)
  std::uint64_t rest_calls = 0;       // of those, through the HTTP+JSON binding
  std::uint64_t v03_calls = 0;        // of those, by A2A 0.3 method names (JSON-RPC)
  std::uint64_t errors = 0;           // answered with an error
  std::uint64_t unauthenticated = 0;  // refused: no token, a wrong, revoked or expired one
  std::uint64_t tasks_created = 0;    // by SendMessage
  std::uint64_t waiting = 0;          // blocking SendMessage calls waiting now
  std::uint64_t cards_served = 0;
  // Push notifications (api/a2a_gateway.hpp).
  std::uint64_t push_configs_created = 0;  // configs made or replaced
  std::uint64_t webhooks_refused = 0;      // configs refused: the webhook's address is not allowed
  std::uint64_t push_active = 0;           // deliverers running now
  std::uint64_t push_delivered = 0;        // POSTs answered 2xx
  std::uint64_t push_failures = 0;         // POSTs that failed (each retry counts)
  std::uint64_t push_abandoned = 0;        // configs given up with steps undelivered
};

// The A2A listener's figures, for the local API's GET /v1/diagnostics/a2a
// and /metrics.
struct A2aFigures {
  ApiStats listener;
  A2aStats gateway;
};

}  // namespace agentmesh::api
