// `agentmesh health`: exit status 0 when ok, 1 when degraded or unhealthy.

#include <fmt/format.h>

#include <boost/json/parse.hpp>
#include <iostream>

#include "cli/context.hpp"

namespace agentmesh::cli {

void add_health_command(CLI::App& app, Global& g, int& status) {
  auto* h = app.add_subcommand("health", "show the daemon's health");
  add_global(*h, g);
  h->callback([&g, &status] {
    auto c = client(g);
    auto r = c.request("GET", "/v1/health");
    if (!r) fail(fmt::format("cannot reach the daemon: {}", r.error().message()));
    // An unhealthy daemon answers 503 with its report: still a report to print.
    boost::system::error_code ec;
    auto v = boost::json::parse(r->body, ec);
    if (ec || !v.is_object() || !v.as_object().contains("components")) {
      fail(fmt::format("HTTP {}: {}", r->status, r->body));
    }
    if (str(v, "status") != "ok") status = 1;
    if (g.json) return print_json(v);
    std::cout << fmt::format("status: {}\nversion: {}\nuptime: {} s\n", str(v, "status"), str(v, "version"),
                             str(v, "uptime_s"));
    for (const auto& [name, comp] : v.at("components").as_object()) {
      std::cout << fmt::format("  {:<12} {:<9} {}\n", std::string(name), str(comp, "status"), str(comp, "detail"));
    }
  });
}

}  // namespace agentmesh::cli
