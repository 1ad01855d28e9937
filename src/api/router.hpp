#pragma once
// The API's routes, written against plain Request/Response values so the
// handlers stay free of Beast (one heavy translation unit fewer) and can be
// driven directly in tests.
//
// handle() authenticates (Bearer token: the admin token, compared in constant
// time, or an agent token), authorises (an agent token acts only as its own
// agent: 403 otherwise), parses and validates, calls the node, and maps every
// error through error_table. Stream routes (SSE events, WebSocket) return a
// Response of kind sse/websocket with the agent and starting seq; the HTTP
// session then runs the stream (server.cpp).
//
// Threading: runs on the node's executor (see node/node.hpp).

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "api/json_mapping.hpp"
#include "node/node.hpp"

namespace agentmesh::api {

struct Request {
  std::string method;  // "GET", "POST", ...
  std::string target;  // path and query
  std::string authorization;
  std::string content_type;
  std::string last_event_id;
  std::string body;
  bool websocket_upgrade = false;
};

struct Response {
  enum class Kind { normal, sse, websocket, topic_sse, topic_websocket };
  int status = 200;
  std::string body;
  std::string content_type = "application/json";
  std::vector<std::pair<std::string, std::string>> headers;
  Kind kind = Kind::normal;
  core::AgentId stream_agent;  // kind != normal: whose inbox, from which seq
  core::Seq stream_after;
  std::string stream_topic;  // kind == topic_sse or topic_websocket
  std::string route;  // the matched route pattern, for metrics
};

// Counters the HTTP layer keeps; rendered at /metrics. Node thread only.
struct ApiStats {
  std::map<std::pair<std::string, int>, std::uint64_t> requests;  // (route, status) -> count
  std::uint64_t connections_open = 0;
  std::uint64_t connections_total = 0;
  std::uint64_t connections_rejected = 0;
  std::uint64_t bad_requests = 0;  // unparseable HTTP, over-limit headers or bodies
  std::uint64_t sse_events = 0;
  std::uint64_t ws_messages = 0;
};

struct RouterConfig {
  std::string admin_token;
  JsonLimits json;
  std::string version = AGENTMESH_VERSION;
};

class Router {
 public:
  Router(node::NodeHandle node, RouterConfig config, ApiStats& stats);

  boost::asio::awaitable<Response> handle(Request req);

  // Marks the API as draining: health says so and new requests get 503.
  void set_draining() { draining_ = true; }
  bool draining() const { return draining_; }
  const RouterConfig& config() const { return config_; }

 private:
  struct Principal {
    bool admin = false;
    core::AgentId agent;
  };
  struct Match;

  boost::asio::awaitable<Response> dispatch(const Request& req, Match& m);
  Response health(node::Node& n) const;
  Response metrics(node::Node& n) const;

  node::NodeHandle node_;
  RouterConfig config_;
  ApiStats& stats_;
  std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
  bool draining_ = false;
};

Response json_response(int status, const boost::json::object& body);
Response error_response(const error_code& ec, std::string_view message = {});

}  // namespace agentmesh::api
