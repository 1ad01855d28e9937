#include "cli/context.hpp"

#include <fmt/format.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value_to.hpp>
#include <ctime>
#include <iostream>

#include "core/fs.hpp"
#include "daemon/config.hpp"

namespace agentmesh::cli {
namespace json = boost::json;

std::string trim_end(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

void fail(const std::string& message) {
  std::fprintf(stderr, "error: %s\n", message.c_str());
  throw Failure{1};
}

void add_global(CLI::App& app, Global& g) {
  app.add_option("--api", g.api, "daemon API address HOST:PORT (default: from the data dir's api.port)");
  app.add_option("--token", g.token, "bearer token (default: the data dir's admin api-token)");
  app.add_option("--data-dir", g.data_dir, "data directory of the daemon to talk to");
  app.add_option("--name", g.name, "named daemon instance to talk to");
  app.add_flag("--json", g.json, "print the daemon's JSON response");
}

std::filesystem::path data_dir_of(const Global& g) {
  const auto env = daemon::process_env();
  std::optional<std::string> dir = g.data_dir.empty() ? env("AGENTMESH_DATA_DIR") : std::optional(g.data_dir);
  std::optional<std::string> name = g.name.empty() ? env("AGENTMESH_NAME") : std::optional(g.name);
  if (!g.data_dir.empty()) name.reset();
  if (!g.name.empty()) dir.reset();
  return daemon::default_data_dir(dir, name, env);
}

HttpClient client(const Global& g) {
  const auto env = daemon::process_env();
  const auto dir = data_dir_of(g);
  std::string api = g.api;
  if (api.empty()) api = env("AGENTMESH_API").value_or("");
  if (api.empty()) {
    auto text = core::read_small_file(dir / "api.port", 256);
    if (!text) {
      fail(fmt::format("no running daemon found: cannot read {} ({}); start one with `agentmesh daemon`",
                       (dir / "api.port").string(), text.error().message()));
    }
    api = trim_end(*text);
  }
  auto hp = daemon::parse_host_port(api);
  if (!hp) fail(fmt::format("API address \"{}\" is not HOST:PORT", api));
  std::string token = g.token;
  if (token.empty()) token = env("AGENTMESH_TOKEN").value_or("");
  if (token.empty()) {
    if (auto text = core::read_small_file(dir / "api-token", 256)) token = trim_end(*text);
  }
  return HttpClient(hp->first, hp->second, token);
}

json::value call(const Global& g, std::string_view method, const std::string& target, const std::string& body) {
  auto c = client(g);
  auto r = c.request(method, target, body);
  if (!r) fail(fmt::format("cannot reach the daemon: {}", r.error().message()));
  json::value v;
  boost::system::error_code ec;
  if (!r->body.empty()) v = json::parse(r->body, ec);
  if (r->status >= 400) {
    if (!ec && v.is_object() && v.as_object().contains("error")) {
      const auto& o = v.as_object();
      fail(fmt::format("{} ({}): {}", json::value_to<std::string>(o.at("error")), r->status,
                       o.contains("message") ? json::value_to<std::string>(o.at("message")) : ""));
    }
    fail(fmt::format("HTTP {}: {}", r->status, r->body));
  }
  if (ec) fail(fmt::format("unexpected response: {}", r->body));
  return v;
}

void print_json(const json::value& v) { std::cout << json::serialize(v) << "\n"; }

std::string format_time(std::int64_t ms) {
  const std::time_t t = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  return fmt::format("{}.{:03}Z", buf, ms % 1000);
}

void print_message(const json::object& m) {
  std::cout << fmt::format("#{}  {}  from {}  [{}]\n", str(m, "seq"),
                           format_time(m.at("received_ms").to_number<std::int64_t>()), str(m, "from").substr(0, 16),
                           str(m, "content_type"));
  for (auto key : {"performative", "conversation_id", "reply_with", "in_reply_to", "protocol"}) {
    if (m.contains(key)) std::cout << fmt::format("    {}: {}\n", key, str(m, key));
  }
  if (m.contains("metadata")) std::cout << "    metadata: " << json::serialize(m.at("metadata")) << "\n";
  std::cout << "    " << body_text(m) << "\n";
}

void print_agent(const json::value& a) {
  std::cout << fmt::format("name:          {}\nagent_id:      {}\ndisplay_name:  {}\nstate:         {}\n",
                           str(a, "name"), str(a, "agent_id"), str(a, "display_name"), str(a, "state"));
  std::cout << fmt::format("capabilities:  {}\nlast_seq:      {}\nacked_seq:     {}\nunacked:       {}\n",
                           join(a.at("capabilities").as_array(), ", "), str(a, "last_seq"), str(a, "acked_seq"),
                           str(a, "unacked"));
}

}  // namespace agentmesh::cli
