#pragma once
// GET /metrics: the Prometheus text exposition of a node's diagnostics
// snapshot, the HTTP layer's own counters and the process figures. Metric
// names and types are listed in docs/api.md ("Metrics"); a unit test checks
// them against the conventions in api/prometheus.hpp.
//
// Threading: pure function.

#include <optional>
#include <string>

#include "api/http_types.hpp"
#include "node/diagnostics.hpp"

namespace agentmesh::api {

std::string render_metrics(const node::Diagnostics& d, const ApiStats& http, const node::ProcessFigures& process,
                           const std::optional<A2aFigures>& a2a = std::nullopt);

}  // namespace agentmesh::api
