#include "api/prometheus.hpp"

#include <fmt/format.h>

namespace agentmesh::api::prom {

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

void histogram_samples(std::string& out, std::string_view name, std::string_view labels,
                       const core::Histogram::Snapshot& h, double scale) {
  const std::string sep = labels.empty() ? "" : std::string(labels) + ",";
  for (std::size_t i = 0; i < h.bounds.size(); ++i) {
    fmt::format_to(std::back_inserter(out), "{}_bucket{{{}le=\"{}\"}} {}\n", name, sep, h.bounds[i] * scale,
                   h.cumulative[i]);
  }
  fmt::format_to(std::back_inserter(out), "{}_bucket{{{}le=\"+Inf\"}} {}\n", name, sep, h.count);
  const std::string braces = labels.empty() ? "" : "{" + std::string(labels) + "}";
  fmt::format_to(std::back_inserter(out), "{}_sum{} {}\n{}_count{} {}\n", name, braces, h.sum * scale, name, braces,
                 h.count);
}

void histogram(std::string& out, std::string_view name, std::string_view help, const core::Histogram::Snapshot& h,
               double scale) {
  header(out, name, "histogram", help);
  histogram_samples(out, name, {}, h, scale);
}

}  // namespace agentmesh::api::prom
