#pragma once
// api/routes: the route table (routes.cpp) and what a handler is given.
//
// One table declares every route of the local API: method, path pattern
// (`{name}` matches one percent-decoded segment), auth rule, whether it takes
// a JSON body, and its handler. The handlers live one file per resource group
// under api/routes/; docs/api.md lists the same routes (a unit test checks
// the two agree).
//
// Auth rules:
//   none    no token (GET /v1/health)
//   any     any valid token: the admin token or an agent's
//   agent   the admin token, or the token of the agent named by {agent}
//           (resolved before the handler runs: RouteContext::agent)
//   admin   the admin token only
//
// Threading: the API's executor.

#include <boost/asio/awaitable.hpp>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "api/http_types.hpp"
#include "api/router.hpp"

namespace agentmesh::api {

enum class Auth { none, any, agent, admin };

struct Principal {
  bool admin = false;
  core::AgentId agent;  // when not admin
};

struct Route;

using Query = std::map<std::string, std::string, std::less<>>;

struct RouteContext {
  const Request& req;
  const Route& route;
  std::vector<std::string> params;  // the path's {name} segments, in order, percent-decoded
  Query query;
  Principal principal;
  core::AgentId agent;  // Auth::agent routes: the agent named by {agent}
  const Router& router;
  ApiStats& stats;
  std::string why;  // a parser's explanation, for the error message

  const node::NodeHandle& node() const { return router.node(); }
  const RouterConfig& config() const { return router.config(); }
  // A query parameter that must be an integer from 0 to `max` (`dflt` when
  // absent); invalid_field with a message otherwise.
  Result<std::uint64_t> query_uint(std::string_view key, std::uint64_t dflt, std::uint64_t max);
  // A path or query value as a dead-letter id, a page size...: the error
  // response for a parse failure, with `why`.
  Response error(const error_code& ec) const { return error_response(ec, why); }
};

using Handler = boost::asio::awaitable<Response> (*)(RouteContext&);

struct Route {
  std::string_view method;
  std::string_view pattern;
  Auth auth;
  bool json_body;  // POST/PATCH with a JSON body: Content-Type is checked
  Handler handler;
};

// The one route table, in matching order.
std::span<const Route> route_table();

// A decimal integer of at most 20 digits that fits in 64 bits (no sign, no
// spaces): core::error::out_of_range otherwise.
Result<std::uint64_t> parse_uint(std::string_view s);

// Pages of lists: `limit` defaults to kDefaultPageSize, at most kMaxPageSize.
inline constexpr std::size_t kDefaultPageSize = 100;
inline constexpr std::size_t kMaxPageSize = 1000;

}  // namespace agentmesh::api
