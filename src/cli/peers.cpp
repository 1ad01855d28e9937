// `agentmesh node`, `peers`, `connect`, `disconnect`.

#include <fmt/format.h>

#include <boost/json/serialize.hpp>
#include <iostream>
#include <memory>

#include "cli/context.hpp"

namespace agentmesh::cli {
namespace json = boost::json;

namespace {

struct PeerOptions {
  std::string peer;
  bool addr_only = false;
};

// The address to give another daemon's --bootstrap or `agentmesh connect`:
// the first listen address that is not a wildcard, with /p2p.
std::string dialable_addr(const json::value& v) {
  for (const auto& a : v.at("listen_addrs").as_array()) {
    const std::string text(a.as_string());
    if (text.find("/ip4/0.0.0.0/") == std::string::npos && text.find("/ip6/::/") == std::string::npos) return text;
  }
  fail("the daemon has no dialable listen address (see `agentmesh node`)");
}

void print_peers(const json::value& v) {
  const auto& peers = v.at("peers").as_array();
  for (const auto& item : peers) {
    const auto& o = item.as_object();
    const auto* rtt = o.if_contains("ping_rtt_ms");
    const auto rtt_text = rtt && rtt->is_number() ? fmt::format("{:.2f} ms", rtt->to_number<double>()) : "-";
    const auto* relay = o.if_contains("relay");
    const auto path = relay && relay->is_string() ? fmt::format("relayed via {}", relay->as_string().c_str()) : "direct";
    std::cout << fmt::format("{}  {:<8} {}  {}  rtt {}  streams {}  in {} B  out {} B  {}\n", str(o, "peer_id"),
                             str(o, "direction"), path, str(o, "addr"), rtt_text, str(o, "open_streams"),
                             str(o, "bytes_in"), str(o, "bytes_out"), str(o, "agent_version"));
  }
  std::cout << fmt::format("({} peers)\n", peers.size());
}

}  // namespace

void add_peer_commands(CLI::App& app, Global& g) {
  auto o = std::make_shared<PeerOptions>();
  auto* n = app.add_subcommand("node", "show this node's peer id, listen addresses and protocols");
  add_global(*n, g);
  n->add_flag("--addr", o->addr_only, "print only a dialable address with /p2p (for --bootstrap or connect)");
  n->callback([o, &g] {
    auto v = call(g, "GET", "/v1/node");
    if (o->addr_only) {
      std::cout << dialable_addr(v) << "\n";
      return;
    }
    if (g.json) return print_json(v);
    std::cout << fmt::format("peer id: {}\nagent:   {}\n", str(v, "peer_id"), str(v, "agent_version"));
    std::cout << "listening on:\n";
    for (const auto& a : v.at("listen_addrs").as_array()) std::cout << "  " << a.as_string().c_str() << "\n";
    if (const auto* relayed = v.as_object().if_contains("relay_addrs"); relayed && !relayed->as_array().empty()) {
      std::cout << "reachable through relays at:\n";
      for (const auto& a : relayed->as_array()) std::cout << "  " << a.as_string().c_str() << "\n";
    }
    std::cout << "protocols:\n";
    for (const auto& p : v.at("protocols").as_array()) std::cout << "  " << p.as_string().c_str() << "\n";
  });

  auto* p = app.add_subcommand("peers", "list connected peers");
  add_global(*p, g);
  p->callback([&g] {
    auto v = call(g, "GET", "/v1/peers");
    if (g.json) return print_json(v);
    print_peers(v);
  });

  auto* c = app.add_subcommand("connect", "connect to a peer and keep it connected");
  add_global(*c, g);
  c->add_option("addr", o->peer, "peer multiaddr, e.g. /ip4/192.0.2.1/tcp/7782/p2p/12D3KooW...")->required();
  c->callback([o, &g] {
    auto v = call(g, "POST", "/v1/peers", json::serialize(json::object{{"addr", o->peer}}));
    if (g.json) return print_json(v);
    std::cout << fmt::format("connected to {}\n", str(v, "peer_id"));
  });

  auto* d = app.add_subcommand("disconnect", "close the connection to a peer and stop redialing it");
  add_global(*d, g);
  d->add_option("peer", o->peer, "peer id (12D3KooW...)")->required();
  d->callback([o, &g] {
    auto v = call(g, "DELETE", "/v1/peers/" + url_escape(o->peer));
    if (g.json) return print_json(v);
    std::cout << fmt::format("disconnected from {}\n", str(v, "peer_id"));
  });
}

}  // namespace agentmesh::cli
