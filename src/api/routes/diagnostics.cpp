// Routes: health, metrics and diagnostics.

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
  r.body = render_metrics(*d, c.stats, node::read_process_figures());
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
