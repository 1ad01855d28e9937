#include "node/prometheus.hpp"

#include <fmt/format.h>

namespace agentmesh::node::prom {

void header(std::string& out, std::string_view name, std::string_view type, std::string_view help) {
  fmt::format_to(std::back_inserter(out), "# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
}

void sample(std::string& out, std::string_view name, std::string_view labels, double value) {
  if (labels.empty()) {
    fmt::format_to(std::back_inserter(out), "{} {}\n", name, value);
  } else {
    fmt::format_to(std::back_inserter(out), "{}{{{}}} {}\n", name, labels, value);
  }
}

void counter(std::string& out, std::string_view name, std::string_view help, std::uint64_t value) {
  header(out, name, "counter", help);
  sample(out, name, {}, static_cast<double>(value));
}

void gauge(std::string& out, std::string_view name, std::string_view help, double value) {
  header(out, name, "gauge", help);
  sample(out, name, {}, value);
}

void histogram(std::string& out, std::string_view name, std::string_view help, const core::Histogram& h) {
  header(out, name, "histogram", help);
  const auto s = h.snapshot();
  for (std::size_t i = 0; i < s.bounds.size(); ++i) {
    fmt::format_to(std::back_inserter(out), "{}_bucket{{le=\"{}\"}} {}\n", name, s.bounds[i], s.cumulative[i]);
  }
  fmt::format_to(std::back_inserter(out), "{}_bucket{{le=\"+Inf\"}} {}\n{}_sum {}\n{}_count {}\n", name, s.count,
                 name, s.sum, name, s.count);
}

void queues(std::string& out, std::initializer_list<NamedQueue> queues) {
  using Field = double (*)(const core::QueueStats&);
  const std::pair<const char*, Field> rows[] = {
      {"agentmesh_queue_capacity", [](const core::QueueStats& s) { return double(s.capacity); }},
      {"agentmesh_queue_depth", [](const core::QueueStats& s) { return double(s.depth); }},
      {"agentmesh_queue_max_depth", [](const core::QueueStats& s) { return double(s.max_depth); }},
      {"agentmesh_queue_enqueued_total", [](const core::QueueStats& s) { return double(s.enqueued); }},
      {"agentmesh_queue_dropped_total", [](const core::QueueStats& s) { return double(s.dropped); }},
      {"agentmesh_queue_dwell_p50_ms", [](const core::QueueStats& s) { return s.dwell_p50_ms; }},
      {"agentmesh_queue_dwell_p99_ms", [](const core::QueueStats& s) { return s.dwell_p99_ms; }},
  };
  for (const auto& [name, field] : rows) {
    header(out, name, std::string_view(name).ends_with("_total") ? "counter" : "gauge", "bounded queue statistics");
    for (const auto& q : queues) sample(out, name, fmt::format("queue=\"{}\"", q.name), field(q.stats));
  }
}

}  // namespace agentmesh::node::prom
