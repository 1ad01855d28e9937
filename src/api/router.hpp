#pragma once
// api/router: every request's path through the API, written against plain
// Request/Response values so it stays free of Beast and can be driven
// directly in tests.
//
// handle(): refuse a Host that is not this listener's (a DNS-rebinding
// page's), serve the web console under /ui (api/console.hpp), match the
// route table (api/routes.hpp: method, path pattern, auth rule, handler),
// authenticate (Bearer token: the admin token, compared in constant time, or
// an agent token; without one, the console's session cookie acts as the
// admin token), authorise by the route's rule (an agent token acts only as
// its own agent: 403 otherwise), check the content type of a JSON body, then
// run the route's handler. Every error goes through the one error table
// (api/error_table.hpp). Stream routes answer a Response carrying a
// StreamRequest; the HTTP session then runs the stream
// (api/stream_session.hpp).
//
// Threading: the API's executor; the node is reached only through the
// NodeHandle.

#include <boost/asio/awaitable.hpp>
#include <boost/json/object.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "api/http_types.hpp"
#include "api/requests.hpp"
#include "core/result.hpp"
#include "node/node_handle.hpp"

namespace agentmesh::api {

struct RouteContext;
struct Principal;
class ConsoleAuth;
class A2aOutbound;
class RateHistory;

struct RouterConfig {
  std::string admin_token;
  JsonLimits json;
  std::string version = AGENTMESH_VERSION;
  // The A2A listener's figures; unset or nullopt: it is not running.
  std::function<std::optional<A2aFigures>()> a2a;
  // The address the API listens on: Host headers must name it or localhost.
  std::string listen_host = "127.0.0.1";
  // The web console's logins; null: the Router makes its own (system clock).
  std::shared_ptr<ConsoleAuth> console;
  // The outbound A2A client (tasks "to": "a2a:URL", /v1/a2a/credentials);
  // null: those answer 503 (the daemon always sets it).
  std::shared_ptr<A2aOutbound> outbound;
  // The console's rate charts (api/rate_history.hpp); null: the history is
  // empty (the daemon always sets it and samples it).
  std::shared_ptr<const RateHistory> rates;
};

// The local API. Implements the server's RequestHandler (api/server.hpp)
// without naming it, so this header stays light: the server adapts it.
class Router {
 public:
  Router(node::NodeHandle node, RouterConfig config, ApiStats& stats);

  boost::asio::awaitable<Response> handle(Request req);

  // Marks the API as draining: health says so and new requests get 503.
  void set_draining() { draining_ = true; }
  bool draining() const { return draining_; }
  const RouterConfig& config() const { return config_; }
  const node::NodeHandle& node() const { return node_; }
  ConsoleAuth& console() const { return *console_; }
  std::int64_t uptime_s() const;

 private:
  boost::asio::awaitable<Response> authorize_and_run(RouteContext& ctx, std::string_view query);
  boost::asio::awaitable<Result<Principal>> authenticate(const Request& req) const;

  node::NodeHandle node_;
  RouterConfig config_;
  ApiStats& stats_;
  std::shared_ptr<ConsoleAuth> console_;
  std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
  bool draining_ = false;
};

Response json_response(int status, const boost::json::object& body);
// Whether a Content-Type is application/json (any case, any parameters).
bool is_json_content_type(std::string_view ct);
Response error_response(const error_code& ec, std::string_view message = {});

}  // namespace agentmesh::api
