// `agentmesh agent create|list|show|update|delete`.

#include <fmt/format.h>

#include <boost/json/array.hpp>
#include <boost/json/serialize.hpp>
#include <iostream>
#include <memory>

#include "cli/context.hpp"

namespace agentmesh::cli {
namespace json = boost::json;

namespace {

struct AgentOptions {
  std::string name;
  std::string display_name;
  std::string state;
  std::vector<std::string> caps;
  bool clear_caps = false;
  bool id_only = false;
};

void list_agents(const Global& g) {
  auto v = call(g, "GET", "/v1/agents");
  if (g.json) return print_json(v);
  const auto& agents = v.at("agents").as_array();
  if (agents.empty()) {
    std::cout << "no local agents (create one with `agentmesh agent create NAME`)\n";
    return;
  }
  std::cout << fmt::format("{:<24} {:<9} {:>8}  {:<16}  {}\n", "NAME", "STATE", "UNACKED", "AGENT ID", "CAPABILITIES");
  for (const auto& a : agents) {
    std::cout << fmt::format("{:<24} {:<9} {:>8}  {:<16}  {}\n", str(a, "name"), str(a, "state"), str(a, "unacked"),
                             str(a, "agent_id").substr(0, 16), join(a.at("capabilities").as_array(), ","));
  }
}

void update_agent(const Global& g, const AgentOptions& o) {
  json::object body;
  if (!o.caps.empty() || o.clear_caps) {
    json::array arr;
    for (const auto& cap : o.caps) arr.emplace_back(cap);
    body["capabilities"] = std::move(arr);
  }
  if (!o.state.empty()) body["state"] = o.state;
  if (!o.display_name.empty()) body["display_name"] = o.display_name;
  auto v = call(g, "PATCH", "/v1/agents/" + url_escape(o.name), json::serialize(body));
  if (g.json) return print_json(v);
  print_agent(v);
}

}  // namespace

void add_agent_commands(CLI::App& app, Global& g) {
  auto o = std::make_shared<AgentOptions>();
  auto* agent = app.add_subcommand("agent", "create, list, show, update and delete local agents");
  agent->require_subcommand(1);

  auto* c = agent->add_subcommand("create", "create an agent (prints its token once)");
  add_global(*c, g);
  c->add_option("name", o->name, "name: 1-64 characters of [a-z0-9._-]")->required();
  c->add_option("--capability,-c", o->caps, "a capability (repeatable)");
  c->add_option("--display-name", o->display_name, "human-readable name");
  c->callback([o, &g] {
    json::object body;
    body["name"] = o->name;
    json::array arr;
    for (const auto& cap : o->caps) arr.emplace_back(cap);
    body["capabilities"] = std::move(arr);
    if (!o->display_name.empty()) body["display_name"] = o->display_name;
    auto v = call(g, "POST", "/v1/agents", json::serialize(body));
    if (g.json) return print_json(v);
    print_agent(v);
    std::cout << fmt::format("token:         {}\n(the token is shown only once; it lets a program act as this agent)\n",
                             str(v, "token"));
  });

  auto* l = agent->add_subcommand("list", "list local agents");
  add_global(*l, g);
  l->callback([&g] { list_agents(g); });

  auto* s = agent->add_subcommand("show", "show one agent");
  add_global(*s, g);
  s->add_option("agent", o->name, "agent name or id")->required();
  s->add_flag("--id", o->id_only, "print only the agent id (for scripts)");
  s->callback([o, &g] {
    auto v = call(g, "GET", "/v1/agents/" + url_escape(o->name));
    if (o->id_only) {
      std::cout << str(v, "agent_id") << "\n";
      return;
    }
    if (g.json) return print_json(v);
    print_agent(v);
  });

  auto* u = agent->add_subcommand("update", "change capabilities, state or display name");
  add_global(*u, g);
  u->add_option("agent", o->name, "agent name or id")->required();
  u->add_option("--capability,-c", o->caps, "replace the capabilities (repeatable)");
  u->add_flag("--clear-capabilities", o->clear_caps, "remove every capability");
  u->add_option("--state", o->state, "running|draining|stopped")
      ->check(CLI::IsMember({"running", "draining", "stopped"}));
  u->add_option("--display-name", o->display_name, "human-readable name");
  u->callback([o, &g] { update_agent(g, *o); });

  auto* d = agent->add_subcommand("delete", "delete an agent (its unacked messages become dead letters)");
  add_global(*d, g);
  d->add_option("agent", o->name, "agent name or id")->required();
  d->callback([o, &g] {
    auto v = call(g, "DELETE", "/v1/agents/" + url_escape(o->name));
    if (g.json) return print_json(v);
    std::cout << fmt::format("deleted {} ({} unacked messages moved to dead letters)\n", o->name,
                             str(v, "dead_lettered"));
  });
}

}  // namespace agentmesh::cli
