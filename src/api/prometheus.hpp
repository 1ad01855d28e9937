#pragma once
// Writers of the Prometheus text exposition format (version 0.0.4), for
// GET /metrics (api/metrics.cpp). Pure functions that append to a string.
//
// Conventions (checked by a unit test over the whole exposition): base units
// in names (_seconds, _bytes), `_total` on counters and only on counters,
// latencies and waits as histograms.

#include <cstdint>
#include <string>
#include <string_view>

#include "core/metrics.hpp"

namespace agentmesh::api::prom {

// `labels` is the inside of the braces, e.g. `route="/v1/health",status="200"`,
// or empty.
void header(std::string& out, std::string_view name, std::string_view type, std::string_view help);
void sample(std::string& out, std::string_view name, std::string_view labels, double value);
void counter(std::string& out, std::string_view name, std::string_view help, std::uint64_t value);
void gauge(std::string& out, std::string_view name, std::string_view help, double value);
// One histogram; `scale` converts the snapshot's unit to the metric's (1e-3:
// a histogram kept in milliseconds exposed in seconds). `labels` are added to
// every sample (besides `le`).
void histogram_samples(std::string& out, std::string_view name, std::string_view labels,
                       const core::Histogram::Snapshot& h, double scale = 1.0);
void histogram(std::string& out, std::string_view name, std::string_view help, const core::Histogram::Snapshot& h,
               double scale = 1.0);

}  // namespace agentmesh::api::prom
