// `agentmesh find`: agents on the mesh, from the directory of adverts.

#include <fmt/format.h>

#include <iostream>
#include <memory>

#include "cli/context.hpp"

namespace agentmesh::cli {

namespace {
struct FindOptions {
  std::string capability;
  bool include_offline = false;
};
}  // namespace

void add_directory_commands(CLI::App& app, Global& g) {
  auto o = std::make_shared<FindOptions>();
  auto* f = app.add_subcommand("find", "find agents on the mesh (the directory of adverts)");
  add_global(*f, g);
  f->add_option("--capability", o->capability, "only agents with this capability");
  f->add_flag("--all", o->include_offline, "include agents whose advert has expired (offline)");
  f->callback([o, &g] {
    std::string target = "/v1/directory?online=" + std::string(o->include_offline ? "false" : "true");
    if (!o->capability.empty()) target += "&capability=" + url_escape(o->capability);
    auto v = call(g, "GET", target);
    if (g.json) return print_json(v);
    const auto& agents = v.at("agents").as_array();
    if (agents.empty()) {
      std::cout << fmt::format("no {}agents found{}{}\n", o->include_offline ? "" : "online ",
                               o->capability.empty() ? "" : " with capability " + o->capability,
                               o->include_offline ? "" : " (--all includes offline ones)");
    }
    for (const auto& item : agents) {
      std::cout << fmt::format("{}  {}  {}{}  peer {}  [{}]\n", str(item, "agent_id"), str(item, "display_name"),
                               item.at("online").as_bool() ? "online" : "offline",
                               item.at("local").as_bool() ? " (here)" : "", str(item, "peer_id"),
                               join(item.at("capabilities").as_array(), ","));
    }
  });
}

}  // namespace agentmesh::cli
