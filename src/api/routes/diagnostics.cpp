// Routes: health, metrics and diagnostics.

#include "api/a2a_outbound.hpp"
#include "api/dto.hpp"
#include "api/metrics.hpp"
#include "api/routes/handlers.hpp"

namespace agentmesh::api::routes {

// 200 while ok or degraded (the daemon serves), 503 when unhealthy.
Task health(RouteContext& c) {
  auto report = co_await c.node().health(c.router.draining());
  if (!report) co_return error_response(report.error());
  const int status = report->status == node::HealthStatus::unhealthy ? 503 : 200;
  co_return json_response(status, health_json(*report, c.config().version, c.router.uptime_s()));
}

Task metrics(RouteContext& c) {
  auto d = co_await c.node().diagnostics(true);
  if (!d) co_return error_response(d.error());
  Response r;
  r.content_type = "text/plain; version=0.0.4";
  std::optional<A2aFigures> a2a;
  if (c.config().a2a) a2a = c.config().a2a();
  r.body = render_metrics(*d, c.stats, node::read_process_figures(), a2a);
  co_return r;
}

Task transport_diagnostics(RouteContext& c) {
  auto d = co_await c.node().diagnostics();
  if (!d) co_return error_response(d.error());
  co_return json_response(200, transport_diagnostics_json(d->transport));
}

Task pubsub_diagnostics(RouteContext& c) {
  auto d = co_await c.node().diagnostics();
  if (!d) co_return error_response(d.error());
  co_return json_response(200, pubsub_diagnostics_json(d->pubsub));
}

namespace {

// The outbound client's figures (api/a2a_outbound.hpp).
boost::json::object outbound_json(const A2aOutbound* o) {
  if (!o) return {};
  const auto s = o->stats();
  return boost::json::object{{"tasks", s.tasks},
                             {"running", s.running},
                             {"calls", s.calls},
                             {"completed", s.completed},
                             {"failed", s.failed},
                             {"outcome_unknown", s.outcome_unknown},
                             {"cancels_forwarded", s.cancels_forwarded},
                             {"card_fetches", s.card_fetches},
                             {"card_hits", s.card_hits},
                             {"credentials", o->credentials().list().size()}};
}

}  // namespace

// Synchronous: the figures are the listener's own, on this executor.
Task a2a_diagnostics(RouteContext& c) {
  std::optional<A2aFigures> a;
  if (c.config().a2a) a = c.config().a2a();
  const auto outbound = outbound_json(c.config().outbound.get());
  if (!a) co_return json_response(200, boost::json::object{{"enabled", false}, {"outbound", outbound}});
  const auto& l = a->listener;
  const auto& g = a->gateway;
  co_return json_response(200, boost::json::object{{"enabled", true},
                                                   {"outbound", outbound},
                                                   {"connections_open", l.connections_open},
                                                   {"connections_total", l.connections_total},
                                                   {"refused",
                                                    boost::json::object{
                                                        {"connections", l.connections_rejected},
                                                        {"connections_per_address", l.connections_rejected_per_address},
                                                        {"rate", l.rate_limited},
                                                        {"header_timeout", l.header_timeouts},
                                                        {"bad_request", l.bad_requests},
                                                        {"tls_handshake", l.tls_handshake_failures},
                                                        {"unauthenticated", g.unauthenticated},
                                                    }},
                                                   {"calls", g.calls},
                                                   {"rest_calls", g.rest_calls},
                                                   {"v03_calls", g.v03_calls},
                                                   {"errors", g.errors},
                                                   {"tasks_created", g.tasks_created},
                                                   {"waiting", g.waiting},
                                                   {"cards_served", g.cards_served},
                                                   {"push", boost::json::object{
                                                                {"configs_created", g.push_configs_created},
                                                                {"webhooks_refused", g.webhooks_refused},
                                                                {"deliverers", g.push_active},
                                                                {"delivered", g.push_delivered},
                                                                {"failures", g.push_failures},
                                                                {"abandoned", g.push_abandoned},
                                                            }}});
}

Task direct_diagnostics(RouteContext& c) {
  auto d = co_await c.node().diagnostics();
  if (!d) co_return error_response(d.error());
  co_return json_response(200, direct_diagnostics_json(d->direct));
}

}  // namespace agentmesh::api::routes

namespace agentmesh::api::routes {

Task task_diagnostics(RouteContext& c) {
  auto d = co_await c.node().diagnostics();
  if (!d) co_return error_response(d.error());
  co_return json_response(200, task_stats_json(d->tasks));
}

}  // namespace agentmesh::api::routes
