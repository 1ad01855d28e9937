#pragma once
// Helpers that append Prometheus text exposition format (version 0.0.4).
// Used by Node::render_metrics and the API's own metrics.

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>

#include "core/metrics.hpp"

namespace agentmesh::node::prom {

// `labels` is the inside of the braces, e.g. `route="/v1/health",status="200"`,
// or empty.
void header(std::string& out, std::string_view name, std::string_view type, std::string_view help);
void sample(std::string& out, std::string_view name, std::string_view labels, double value);
void counter(std::string& out, std::string_view name, std::string_view help, std::uint64_t value);
void gauge(std::string& out, std::string_view name, std::string_view help, double value);
void histogram(std::string& out, std::string_view name, std::string_view help, const core::Histogram& h);
struct NamedQueue {
  std::string_view name;
  core::QueueStats stats;
};
// capacity, depth, max depth, enqueued, dropped, dwell p50/p99, one sample per
// queue with label queue="<name>".
void queues(std::string& out, std::initializer_list<NamedQueue> queues);

}  // namespace agentmesh::node::prom
