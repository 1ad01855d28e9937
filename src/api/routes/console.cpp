// routes/console: the web console's one-time login codes, its figures and the
// rate history its overview charts.

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include "api/console.hpp"
#include "api/rate_history.hpp"
#include "api/routes/handlers.hpp"

namespace agentmesh::api::routes {
namespace json = boost::json;

// POST /v1/ui/codes: a one-time code for `agentmesh ui`'s link.
Task console_code(RouteContext& c) {
  json::object o;
  const auto code = c.router.console().issue_code();
  o["code"] = code;
  o["path"] = "/ui/#code=" + code;
  o["expires_in_s"] = ConsoleAuth::kCodeTtl.count();
  co_return json_response(201, o);
}

// GET /v1/diagnostics/console
Task console_diagnostics(RouteContext& c) {
  const auto f = c.router.console().figures();
  json::object o;
  o["codes_issued"] = f.codes_issued;
  o["codes_open"] = f.codes_open;
  o["codes_refused"] = f.codes_refused;
  o["logins"] = f.logins;
  o["sessions_open"] = f.sessions_open;
  o["evicted"] = f.evicted;
  co_return json_response(200, o);
}

// GET /v1/diagnostics/rates
Task rate_history(RouteContext& c) {
  json::array points;
  if (const auto& rates = c.router.config().rates) {
    for (const auto& p : rates->points()) {
      points.push_back(json::object{
          {"time_ms", p.at}, {"accepted", p.accepted}, {"delivered", p.delivered}, {"published", p.published}});
    }
  }
  json::object o;
  o["interval_ms"] = RateHistory::kIntervalMs;
  o["window_ms"] = RateHistory::kWindowMs;
  o["points"] = std::move(points);
  co_return json_response(200, o);
}

}  // namespace agentmesh::api::routes
