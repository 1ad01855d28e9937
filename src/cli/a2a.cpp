// `agentmesh a2a token create|list|revoke`: the bearer tokens of an agent's
// A2A callers (docs/api.md, "A2A tokens"); `agentmesh a2a credential
// add|list|remove`: the credentials the outbound client presents to A2A
// agents outside the mesh (docs/api.md, "A2A credentials").

#include <fmt/format.h>

#include <boost/json/serialize.hpp>
#include <charconv>
#include <iostream>
#include <memory>

#include "cli/context.hpp"

namespace agentmesh::cli {
namespace json = boost::json;

namespace {

struct TokenOptions {
  std::string agent, label, expires, token;
};

struct CredentialOptions {
  std::string name, bearer;
};

// "90s", "45m", "12h", "30d" -> seconds; "" -> 0 (never).
std::uint64_t parse_expiry(const std::string& text) {
  if (text.empty()) return 0;
  std::uint64_t n = 0;
  const auto* end = text.data() + text.size() - 1;
  auto [p, ec] = std::from_chars(text.data(), end, n);
  std::uint64_t unit = 0;
  switch (text.back()) {
    case 's':
      unit = 1;
      break;
    case 'm':
      unit = 60;
      break;
    case 'h':
      unit = 3600;
      break;
    case 'd':
      unit = 86400;
      break;
    default:
      break;
  }
  if (ec != std::errc() || p != end || n == 0 || unit == 0 || n > 3650ULL * 86400 / unit) {
    fail(fmt::format("--expires \"{}\": give a number and a unit, s, m, h or d (30d), at most 10 years", text));
  }
  return n * unit;
}

void print_token(const json::value& t) {
  std::cout << fmt::format(
      "{}  {}  created {}  {}{}\n", str(t, "token_id"), str(t, "label").empty() ? "(no label)" : str(t, "label"),
      format_time(t.at("created_ms").to_number<std::int64_t>()),
      t.as_object().contains("expires_ms") ? "expires " + format_time(t.at("expires_ms").to_number<std::int64_t>())
                                           : "never expires",
      t.at("expired").as_bool() ? "  EXPIRED" : "");
}

void create(const Global& g, const TokenOptions& o) {
  json::object body;
  if (!o.label.empty()) body["label"] = o.label;
  if (auto s = parse_expiry(o.expires)) body["expires_in_s"] = s;
  auto v = call(g, "POST", "/v1/agents/" + url_escape(o.agent) + "/a2a/tokens", json::serialize(body));
  if (g.json) return print_json(v);
  print_token(v);
  std::cout << "token (shown once): " << str(v, "token") << "\n";
}

void list(const Global& g, const TokenOptions& o) {
  auto v = call(g, "GET", "/v1/agents/" + url_escape(o.agent) + "/a2a/tokens");
  if (g.json) return print_json(v);
  const auto& tokens = v.at("tokens").as_array();
  if (tokens.empty()) std::cout << "no A2A tokens\n";
  for (const auto& t : tokens) print_token(t);
}

void revoke(const Global& g, const TokenOptions& o) {
  auto v = call(g, "DELETE", "/v1/agents/" + url_escape(o.agent) + "/a2a/tokens/" + url_escape(o.token));
  if (g.json) return print_json(v);
  std::cout << "revoked " << str(v, "token_id") << "\n";
}

void add_credential(const Global& g, const CredentialOptions& o) {
  std::string bearer = o.bearer;
  if (bearer == "-") {  // from stdin: kept out of the process list and the shell's history
    std::getline(std::cin, bearer);
    while (!bearer.empty() && (bearer.back() == '\r' || bearer.back() == ' ')) bearer.pop_back();
  }
  auto v = call(g, "POST", "/v1/a2a/credentials", json::serialize(json::object{{"name", o.name}, {"bearer", bearer}}));
  if (g.json) return print_json(v);
  std::cout << fmt::format("{} {} (bearer)\n", v.at("replaced").as_bool() ? "replaced" : "added", str(v, "name"));
}

void list_credentials(const Global& g) {
  auto v = call(g, "GET", "/v1/a2a/credentials");
  if (g.json) return print_json(v);
  const auto& creds = v.at("credentials").as_array();
  if (creds.empty()) std::cout << "no A2A credentials\n";
  for (const auto& c : creds) {
    std::cout << fmt::format("{}  {}  added {}\n", str(c, "name"), str(c, "scheme"),
                             format_time(c.at("created_ms").to_number<std::int64_t>()));
  }
}

void remove_credential(const Global& g, const CredentialOptions& o) {
  auto v = call(g, "DELETE", "/v1/a2a/credentials/" + url_escape(o.name));
  if (g.json) return print_json(v);
  std::cout << "removed " << str(v, "name") << "\n";
}

void add_credential_commands(CLI::App& a2a, Global& g) {
  auto* cred = a2a.add_subcommand("credential", "credentials for calling A2A agents outside the mesh");
  cred->require_subcommand(1);
  auto o = std::make_shared<CredentialOptions>();
  auto* a = cred->add_subcommand("add", "add (or replace) a named credential; tasks name it: \"credential\": NAME");
  add_global(*a, g);
  a->add_option("name", o->name, "its name (1-64 of A-Z a-z 0-9 . _ -)")->required();
  a->add_option("--bearer", o->bearer, "the bearer token to send (\"-\": read it from stdin)")->required();
  a->callback([o, &g] { add_credential(g, *o); });
  auto* l = cred->add_subcommand("list", "the credentials' names (never their secrets)");
  add_global(*l, g);
  l->callback([&g] { list_credentials(g); });
  auto* r = cred->add_subcommand("remove", "remove a credential: tasks naming it fail from now on");
  add_global(*r, g);
  r->add_option("name", o->name, "its name")->required();
  r->callback([o, &g] { remove_credential(g, *o); });
}

}  // namespace

void add_a2a_commands(CLI::App& app, Global& g) {
  auto* a2a = app.add_subcommand("a2a", "A2A: caller tokens, and credentials for A2A agents outside the mesh");
  a2a->require_subcommand(1);
  auto* token = a2a->add_subcommand("token", "mint, list and revoke A2A caller tokens");
  token->require_subcommand(1);
  auto o = std::make_shared<TokenOptions>();

  auto* c = token->add_subcommand("create", "mint a token for callers of an agent (shown once)");
  add_global(*c, g);
  c->add_option("--agent", o->agent, "the agent its bearer may call (name or id)")->required();
  c->add_option("--label", o->label, "who holds it (at most 128 bytes)");
  c->add_option("--expires", o->expires, "lifetime: 90s, 45m, 12h, 30d (default: never)");
  c->callback([o, &g] { create(g, *o); });

  auto* l = token->add_subcommand("list", "an agent's tokens (never the tokens themselves)");
  add_global(*l, g);
  l->add_option("--agent", o->agent, "agent name or id")->required();
  l->callback([o, &g] { list(g, *o); });

  auto* r = token->add_subcommand("revoke", "revoke a token: refused from now on");
  add_global(*r, g);
  r->add_option("--agent", o->agent, "agent name or id")->required();
  r->add_option("token_id", o->token, "the token's id (from list)")->required();
  r->callback([o, &g] { revoke(g, *o); });

  add_credential_commands(*a2a, g);
}

}  // namespace agentmesh::cli
