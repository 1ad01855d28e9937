#include "cli/commands.hpp"

#include <CLI/CLI.hpp>
#include <boost/json.hpp>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <fmt/format.h>
#include <iostream>
#include <iterator>
#include <thread>
#include <unistd.h>

#include "cli/http_client.hpp"
#include "core/base64.hpp"
#include "core/fs.hpp"
#include "daemon/config.hpp"
#include "daemon/daemon.hpp"

namespace agentmesh::cli {
namespace json = boost::json;

namespace {

struct Global {
  std::string api;
  std::string token;
  std::string data_dir;
  std::string name;
  bool json = false;
};

struct Failure {
  int status;
};

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

std::string url_escape(std::string_view s) {
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out += fmt::format("%{:02X}", c);
    }
  }
  return out;
}

[[noreturn]] void fail(const std::string& message) {
  std::fprintf(stderr, "error: %s\n", message.c_str());
  throw Failure{1};
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
    api = trim(*text);
  }
  auto hp = daemon::parse_host_port(api);
  if (!hp) fail(fmt::format("API address \"{}\" is not HOST:PORT", api));
  std::string token = g.token;
  if (token.empty()) token = env("AGENTMESH_TOKEN").value_or("");
  if (token.empty()) {
    if (auto text = core::read_small_file(dir / "api-token", 256)) token = trim(*text);
  }
  return HttpClient(hp->first, hp->second, token);
}

// Runs a request; on an error status prints the server's error and fails.
json::value call(const Global& g, std::string_view method, const std::string& target, const std::string& body = {}) {
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

std::string str(const json::value& v, std::string_view key) {
  if (!v.is_object()) return {};
  const auto* f = v.as_object().if_contains(key);
  if (!f) return {};
  if (f->is_string()) return std::string(f->as_string());
  return json::serialize(*f);
}

void print_json(const json::value& v) { std::cout << json::serialize(v) << "\n"; }

std::string body_text(const json::object& m) {
  if (const auto* b = m.if_contains("body")) return std::string(b->as_string());
  if (const auto* b = m.if_contains("body_base64")) return "[base64] " + std::string(b->as_string());
  return {};
}

std::string format_time(std::int64_t ms) {
  const std::time_t t = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  return fmt::format("{}.{:03}Z", buf, ms % 1000);
}

void print_message(const json::object& m) {
  std::cout << fmt::format("#{}  {}  from {}  [{}]\n", str(m, "seq"), format_time(m.at("received_ms").to_number<std::int64_t>()),
                           str(m, "from").substr(0, 16), str(m, "content_type"));
  for (auto key : {"performative", "conversation_id", "reply_with", "in_reply_to", "protocol"}) {
    if (m.contains(key)) std::cout << fmt::format("    {}: {}\n", key, str(m, key));
  }
  if (m.contains("metadata")) std::cout << "    metadata: " << json::serialize(m.at("metadata")) << "\n";
  std::cout << "    " << body_text(m) << "\n";
}

void print_agent(const json::value& a) {
  std::cout << fmt::format("name:          {}\nagent_id:      {}\ndisplay_name:  {}\nstate:         {}\n", str(a, "name"),
                           str(a, "agent_id"), str(a, "display_name"), str(a, "state"));
  std::string caps;
  for (const auto& c : a.at("capabilities").as_array()) caps += (caps.empty() ? "" : ", ") + std::string(c.as_string());
  std::cout << fmt::format("capabilities:  {}\nlast_seq:      {}\nacked_seq:     {}\nunacked:       {}\n", caps,
                           str(a, "last_seq"), str(a, "acked_seq"), str(a, "unacked"));
}

void add_global(CLI::App& app, Global& g) {
  app.add_option("--api", g.api, "daemon API address HOST:PORT (default: from the data dir's api.port)");
  app.add_option("--token", g.token, "bearer token (default: the data dir's admin api-token)");
  app.add_option("--data-dir", g.data_dir, "data directory of the daemon to talk to");
  app.add_option("--name", g.name, "named daemon instance to talk to");
  app.add_flag("--json", g.json, "print the daemon's JSON response");
}

// SSE: split the byte stream into events and print each message event.
class SseReader {
 public:
  explicit SseReader(bool raw_json) : raw_(raw_json) {}
  bool feed(std::string_view data) {
    buf_ += data;
    std::size_t pos;
    while ((pos = buf_.find("\n\n")) != std::string::npos) {
      handle(buf_.substr(0, pos));
      buf_.erase(0, pos + 2);
    }
    return !ended_;
  }
  const std::string& last_id() const { return last_id_; }
  bool ended() const { return ended_; }
  const std::string& end_reason() const { return end_reason_; }

 private:
  void handle(const std::string& event) {
    std::string type = "message", data, id;
    std::size_t start = 0;
    while (start < event.size()) {
      auto end = event.find('\n', start);
      if (end == std::string::npos) end = event.size();
      std::string_view line(event.data() + start, end - start);
      if (line.starts_with("event: ")) type = line.substr(7);
      if (line.starts_with("data: ")) data += line.substr(6);
      if (line.starts_with("id: ")) id = line.substr(4);
      start = end + 1;
    }
    if (type == "message" && !data.empty()) {
      if (!id.empty()) last_id_ = id;
      if (raw_) {
        std::cout << data << "\n";
      } else {
        boost::system::error_code ec;
        auto v = json::parse(data, ec);
        if (!ec && v.is_object()) print_message(v.as_object());
      }
      std::cout.flush();
    } else if (type == "closed" || type == "shutdown") {
      ended_ = type == "closed";
      end_reason_ = data;
      if (type == "shutdown") std::fprintf(stderr, "daemon is stopping; reconnecting...\n");
    }
  }
  bool raw_;
  std::string buf_;
  std::string last_id_;
  bool ended_ = false;
  std::string end_reason_;
};

extern "C" void on_sigint(int) { ::_exit(0); }

}  // namespace

int run(int argc, char** argv) {
  CLI::App app{"agentmesh: a peer-to-peer message network for AI agents"};
  app.require_subcommand(1);
  app.set_version_flag("--version", AGENTMESH_VERSION);
  Global g;
  int status = 0;

  // daemon
  daemon::DaemonFlags df;
  auto* dcmd = app.add_subcommand("daemon", "run the agentmesh daemon in the foreground");
  {
    auto* dd = dcmd->add_option_function<std::string>("--data-dir", [&](const std::string& v) { df.data_dir = v; },
                                                     "data directory (default $XDG_DATA_HOME/agentmesh)");
    auto* nm = dcmd->add_option_function<std::string>("--name", [&](const std::string& v) { df.name = v; },
                                                     "independent named instance (own data dir, API port 0)");
    dd->excludes(nm);
    dcmd->add_option_function<std::string>("--api", [&](const std::string& v) { df.api = v; },
                                           "API address 127.0.0.1:PORT (default 127.0.0.1:7781; port 0 = any)");
    dcmd->add_option_function<std::string>("--config", [&](const std::string& v) { df.config = v; },
                                           "TOML configuration file");
    dcmd->add_option("--listen", df.listen,
                     "peer-to-peer listen multiaddr, repeatable (default /ip4/0.0.0.0/tcp/7782; port 0 picks one)");
    dcmd->add_option("--bootstrap", df.bootstrap, "peer multiaddr to connect to and keep connected, repeatable");
    dcmd->add_option_function<std::string>("--log-level", [&](const std::string& v) { df.log_level = v; },
                                           "trace|debug|info|warn|error|critical|off (default info)");
    dcmd->add_option_function<std::string>("--log-format", [&](const std::string& v) { df.log_format = v; },
                                           "text|json (default text)");
    dcmd->callback([&] {
      std::string why;
      auto cfg = daemon::resolve_config(df, daemon::process_env(), why);
      if (!cfg) {
        std::fprintf(stderr, "error: %s\n", why.c_str());
        status = 2;
        return;
      }
      status = daemon::run_daemon(*cfg);
    });
  }

  // agent
  auto* agent = app.add_subcommand("agent", "create, list, show, update and delete local agents");
  agent->require_subcommand(1);
  std::string agent_name, display_name, state;
  std::vector<std::string> caps;
  bool clear_caps = false;
  {
    auto* c = agent->add_subcommand("create", "create an agent (prints its token once)");
    add_global(*c, g);
    c->add_option("name", agent_name, "name: 1-64 characters of [a-z0-9._-]")->required();
    c->add_option("--capability,-c", caps, "a capability (repeatable)");
    c->add_option("--display-name", display_name, "human-readable name");
    c->callback([&] {
      json::object body;
      body["name"] = agent_name;
      json::array arr;
      for (const auto& cap : caps) arr.emplace_back(cap);
      body["capabilities"] = std::move(arr);
      if (!display_name.empty()) body["display_name"] = display_name;
      auto v = call(g, "POST", "/v1/agents", json::serialize(body));
      if (g.json) return print_json(v);
      print_agent(v);
      std::cout << fmt::format("token:         {}\n(the token is shown only once; it lets a program act as this agent)\n",
                               str(v, "token"));
    });
    auto* l = agent->add_subcommand("list", "list local agents");
    add_global(*l, g);
    l->callback([&] {
      auto v = call(g, "GET", "/v1/agents");
      if (g.json) return print_json(v);
      std::cout << fmt::format("{:<24} {:<9} {:>8}  {:<16}  {}\n", "NAME", "STATE", "UNACKED", "AGENT ID", "CAPABILITIES");
      for (const auto& a : v.at("agents").as_array()) {
        std::string cs;
        for (const auto& cap : a.at("capabilities").as_array()) {
          cs += (cs.empty() ? "" : ",") + std::string(cap.as_string());
        }
        std::cout << fmt::format("{:<24} {:<9} {:>8}  {:<16}  {}\n", str(a, "name"), str(a, "state"), str(a, "unacked"),
                                 str(a, "agent_id").substr(0, 16), cs);
      }
    });
    auto* s = agent->add_subcommand("show", "show one agent");
    add_global(*s, g);
    s->add_option("agent", agent_name, "agent name or id")->required();
    s->callback([&] {
      auto v = call(g, "GET", "/v1/agents/" + url_escape(agent_name));
      if (g.json) return print_json(v);
      print_agent(v);
    });
    auto* u = agent->add_subcommand("update", "change capabilities, state or display name");
    add_global(*u, g);
    u->add_option("agent", agent_name, "agent name or id")->required();
    u->add_option("--capability,-c", caps, "replace the capabilities (repeatable)");
    u->add_flag("--clear-capabilities", clear_caps, "remove every capability");
    u->add_option("--state", state, "running|draining|stopped")->check(CLI::IsMember({"running", "draining", "stopped"}));
    u->add_option("--display-name", display_name, "human-readable name");
    u->callback([&] {
      json::object body;
      if (!caps.empty() || clear_caps) {
        json::array arr;
        for (const auto& cap : caps) arr.emplace_back(cap);
        body["capabilities"] = std::move(arr);
      }
      if (!state.empty()) body["state"] = state;
      if (!display_name.empty()) body["display_name"] = display_name;
      auto v = call(g, "PATCH", "/v1/agents/" + url_escape(agent_name), json::serialize(body));
      if (g.json) return print_json(v);
      print_agent(v);
    });
    auto* d = agent->add_subcommand("delete", "delete an agent (its unacked messages become dead letters)");
    add_global(*d, g);
    d->add_option("agent", agent_name, "agent name or id")->required();
    d->callback([&] {
      auto v = call(g, "DELETE", "/v1/agents/" + url_escape(agent_name));
      if (g.json) return print_json(v);
      std::cout << fmt::format("deleted {} ({} unacked messages moved to dead letters)\n", agent_name,
                               str(v, "dead_lettered"));
    });
  }

  // send
  std::string from, to, text, content_type, performative, conversation_id, reply_with, in_reply_to, protocol,
      idempotency_key, file;
  std::int64_t ttl_ms = 0;
  bool wait_ack = false;
  bool sign = false;
  {
    auto* s = app.add_subcommand("send", "send a message from a local agent");
    add_global(*s, g);
    s->add_option("--from", from, "sending agent (name or id)")->required();
    s->add_option("--to", to, "recipient (name or agent id)")->required();
    s->add_option("text", text, "message text; - reads standard input");
    s->add_option("--file", file, "send this file's bytes (base64 on the wire)");
    s->add_option("--content-type", content_type, "media type of the body");
    s->add_option("--performative", performative, "FIPA performative (request, inform, ...)");
    s->add_option("--conversation-id", conversation_id, "conversation this message belongs to");
    s->add_option("--reply-with", reply_with, "id the reply should quote in in_reply_to");
    s->add_option("--in-reply-to", in_reply_to, "reply_with of the message this answers");
    s->add_option("--protocol", protocol, "interaction protocol name");
    s->add_option("--idempotency-key", idempotency_key, "makes retries of this send safe");
    s->add_option("--ttl-ms", ttl_ms, "message lifetime in milliseconds");
    s->add_flag("--wait", wait_ack, "wait for the recipient's ack and print the final state");
    s->add_flag("--signed", sign, "add the sender's Ed25519 signature (remote recipients)");
    s->callback([&] {
      json::object body;
      body["to"] = to;
      if (!file.empty()) {
        auto bytes = core::read_small_file(file, 64 << 20);
        if (!bytes) fail(fmt::format("cannot read {}: {}", file, bytes.error().message()));
        body["body_base64"] = core::base64_encode(*bytes);
      } else if (text == "-") {
        body["body"] = std::string(std::istreambuf_iterator<char>(std::cin), {});
      } else {
        body["body"] = text;
      }
      const std::pair<const char*, std::string*> fields[] = {
          {"content_type", &content_type}, {"performative", &performative}, {"conversation_id", &conversation_id},
          {"reply_with", &reply_with},     {"in_reply_to", &in_reply_to},   {"protocol", &protocol},
          {"idempotency_key", &idempotency_key}};
      for (const auto& [k, v] : fields) {
        if (!v->empty()) body[k] = *v;
      }
      if (ttl_ms > 0) body["ttl_ms"] = ttl_ms;
      if (wait_ack) body["wait"] = "ack";
      if (sign) body["signed"] = true;
      auto v = call(g, "POST", "/v1/agents/" + url_escape(from) + "/messages", json::serialize(body));
      if (g.json) return print_json(v);
      std::string line = fmt::format("{} request_id={}", str(v, "state"), str(v, "request_id"));
      for (const char* k : {"seq", "path", "reason", "last_error"}) {
        if (!str(v, k).empty()) line += fmt::format(" {}={}", k, str(v, k));
      }
      std::cout << line << (v.at("duplicate").as_bool() ? " (duplicate of an earlier send)" : "") << "\n";
    });
  }

  // inbox, events, ack
  std::uint64_t after = 0, limit = 100, seq = 0;
  bool after_set = false;
  {
    auto* i = app.add_subcommand("inbox", "list messages in an agent's inbox");
    add_global(*i, g);
    i->add_option("agent", agent_name, "agent name or id")->required();
    i->add_option("--after", after, "list messages after this seq (default 0: everything still stored)");
    i->add_option("--limit", limit, "at most this many (1-1000)");
    i->callback([&] {
      auto v = call(g, "GET", fmt::format("/v1/agents/{}/inbox?after={}&limit={}", url_escape(agent_name), after, limit));
      if (g.json) return print_json(v);
      const auto& msgs = v.at("messages").as_array();
      for (const auto& m : msgs) print_message(m.as_object());
      std::cout << fmt::format("({} messages; last_seq {}, acked up to {})\n", msgs.size(), str(v, "last_seq"),
                               str(v, "acked_seq"));
    });

    auto* e = app.add_subcommand("events", "stream an agent's messages as they arrive (Ctrl-C to stop)");
    add_global(*e, g);
    e->add_option("agent", agent_name, "agent name or id")->required();
    e->add_option("--after", after, "start after this seq (default: after the acked cursor)")
        ->each([&](const std::string&) { after_set = true; });
    e->callback([&] {
      std::signal(SIGINT, on_sigint);
      std::signal(SIGTERM, on_sigint);
      std::setvbuf(stdout, nullptr, _IOLBF, 0);
      SseReader reader(g.json);
      std::string last_id = after_set ? std::to_string(after) : std::string();
      auto delay = std::chrono::milliseconds(200);
      for (;;) {
        std::map<std::string, std::string> headers;
        if (!reader.last_id().empty()) last_id = reader.last_id();
        if (!last_id.empty()) headers["Last-Event-ID"] = last_id;
        std::string error_body;
        auto c = client(g);
        auto r = c.stream("/v1/agents/" + url_escape(agent_name) + "/events", headers,
                          [&](std::string_view d) { return reader.feed(d); }, error_body);
        if (r && *r >= 400) {
          boost::system::error_code ec;
          auto v = json::parse(error_body, ec);
          fail(ec ? fmt::format("HTTP {}", *r) : fmt::format("{} ({}): {}", str(v, "error"), *r, str(v, "message")));
        }
        if (reader.ended()) fail(fmt::format("stream closed by the daemon: {}", reader.end_reason()));
        // Connection lost or daemon restarting: resume after the last event seen.
        std::this_thread::sleep_for(delay);
        delay = std::min(delay * 2, std::chrono::milliseconds(5000));
        if (r) delay = std::chrono::milliseconds(200);
      }
    });

    auto* a = app.add_subcommand("ack", "acknowledge an agent's messages up to and including SEQ");
    add_global(*a, g);
    a->add_option("agent", agent_name, "agent name or id")->required();
    a->add_option("seq", seq, "sequence number")->required();
    a->callback([&] {
      auto v = call(g, "POST", "/v1/agents/" + url_escape(agent_name) + "/inbox/ack",
                    json::serialize(json::object{{"up_to", seq}}));
      if (g.json) return print_json(v);
      std::cout << fmt::format("acked up to {} (last_seq {})\n", str(v, "acked_seq"), str(v, "last_seq"));
    });
  }

  // dead letters
  std::int64_t dl_id = 0;
  {
    auto* d = app.add_subcommand("deadletters", "list, retry or delete dead letters");
    add_global(*d, g);
    d->add_option("--after", after, "list dead letters with id above this");
    d->add_option("--limit", limit, "at most this many (1-1000)");
    auto* r = d->add_subcommand("retry", "deliver a dead letter again");
    add_global(*r, g);
    r->add_option("id", dl_id, "dead letter id")->required();
    r->callback([&] {
      auto v = call(g, "POST", fmt::format("/v1/deadletters/{}/retry", dl_id));
      if (g.json) return print_json(v);
      std::cout << fmt::format("{} request_id={} seq={}\n", str(v, "state"), str(v, "request_id"), str(v, "seq"));
    });
    auto* x = d->add_subcommand("delete", "discard a dead letter");
    add_global(*x, g);
    x->add_option("id", dl_id, "dead letter id")->required();
    x->callback([&] {
      auto v = call(g, "DELETE", fmt::format("/v1/deadletters/{}", dl_id));
      if (g.json) return print_json(v);
      std::cout << fmt::format("deleted dead letter {}\n", dl_id);
    });
    d->callback([&, d] {
      if (!d->get_subcommands().empty()) return;
      auto v = call(g, "GET", fmt::format("/v1/deadletters?after={}&limit={}", after, limit));
      if (g.json) return print_json(v);
      const auto& list = v.at("dead_letters").as_array();
      for (const auto& item : list) {
        const auto& o = item.as_object();
        std::cout << fmt::format("[{}] {}  {} -> {}  reason={} attempts={}\n    {}\n", str(o, "id"),
                                 format_time(o.at("time_ms").to_number<std::int64_t>()), str(o, "from").substr(0, 16),
                                 str(o, "to").substr(0, 16), str(o, "reason"), str(o, "attempts"), body_text(o));
      }
      std::cout << fmt::format("({} dead letters)\n", list.size());
    });
  }

  // node, peers, connect, disconnect
  std::string peer_arg;
  {
    auto* n = app.add_subcommand("node", "show this node's peer id, listen addresses and protocols");
    add_global(*n, g);
    n->callback([&] {
      auto v = call(g, "GET", "/v1/node");
      if (g.json) return print_json(v);
      std::cout << fmt::format("peer id: {}\nagent:   {}\n", str(v, "peer_id"), str(v, "agent_version"));
      std::cout << "listening on:\n";
      for (const auto& a : v.at("listen_addrs").as_array()) std::cout << "  " << a.as_string().c_str() << "\n";
      std::cout << "protocols:\n";
      for (const auto& p : v.at("protocols").as_array()) std::cout << "  " << p.as_string().c_str() << "\n";
    });

    auto* p = app.add_subcommand("peers", "list connected peers");
    add_global(*p, g);
    p->callback([&] {
      auto v = call(g, "GET", "/v1/peers");
      if (g.json) return print_json(v);
      const auto& peers = v.at("peers").as_array();
      for (const auto& item : peers) {
        const auto& o = item.as_object();
        const auto* rtt = o.if_contains("ping_rtt_ms");
        const auto rtt_text = rtt && rtt->is_number() ? fmt::format("{:.2f} ms", rtt->to_number<double>()) : "-";
        std::cout << fmt::format("{}  {:<8} {}  rtt {}  streams {}  in {} B  out {} B  {}\n", str(o, "peer_id"),
                                 str(o, "direction"), str(o, "addr"), rtt_text, str(o, "open_streams"),
                                 str(o, "bytes_in"), str(o, "bytes_out"), str(o, "agent_version"));
      }
      std::cout << fmt::format("({} peers)\n", peers.size());
    });

    auto* c = app.add_subcommand("connect", "connect to a peer and keep it connected");
    add_global(*c, g);
    c->add_option("addr", peer_arg, "peer multiaddr, e.g. /ip4/192.0.2.1/tcp/7782/p2p/12D3KooW...")->required();
    c->callback([&] {
      json::object body;
      body["addr"] = peer_arg;
      auto v = call(g, "POST", "/v1/peers", json::serialize(body));
      if (g.json) return print_json(v);
      std::cout << fmt::format("connected to {}\n", str(v, "peer_id"));
    });

    auto* d = app.add_subcommand("disconnect", "close the connection to a peer and stop redialing it");
    add_global(*d, g);
    d->add_option("peer", peer_arg, "peer id (12D3KooW...)")->required();
    d->callback([&] {
      auto v = call(g, "DELETE", "/v1/peers/" + url_escape(peer_arg));
      if (g.json) return print_json(v);
      std::cout << fmt::format("disconnected from {}\n", str(v, "peer_id"));
    });
  }

  // publish, subscribe, topics
  std::string topic_arg, topic_text, as_agent;
  {
    auto* p = app.add_subcommand("publish", "publish a message on a topic as a local agent");
    add_global(*p, g);
    p->add_option("topic", topic_arg, "topic name")->required();
    p->add_option("text", topic_text, "message text; - reads standard input")->required();
    p->add_option("--as", as_agent, "publishing agent (name or id)")->required();
    p->callback([&] {
      json::object body;
      body["body"] = topic_text == "-" ? std::string(std::istreambuf_iterator<char>(std::cin), {}) : topic_text;
      body["as"] = as_agent;
      auto v = call(g, "POST", "/v1/topics/" + url_escape(topic_arg) + "/messages", json::serialize(body));
      if (g.json) return print_json(v);
      std::cout << fmt::format("published message_id={} to {} peers\n", str(v, "message_id"), str(v, "peers"));
    });

    auto* s = app.add_subcommand("subscribe", "print a topic's messages as they arrive (Ctrl-C to stop)");
    add_global(*s, g);
    s->add_option("topic", topic_arg, "topic name")->required();
    s->callback([&] {
      std::signal(SIGINT, on_sigint);
      std::signal(SIGTERM, on_sigint);
      std::setvbuf(stdout, nullptr, _IOLBF, 0);
      std::string pending, error_body;
      auto c = client(g);
      auto r = c.stream("/v1/topics/" + url_escape(topic_arg) + "/events", {}, [&](std::string_view chunk) {
        pending.append(chunk);
        std::size_t end;
        while ((end = pending.find("\n\n")) != std::string::npos) {
          const auto event = pending.substr(0, end);
          pending.erase(0, end + 2);
          const auto data_at = event.find("data: ");
          if (data_at == std::string::npos) continue;
          const auto data = event.substr(data_at + 6);
          if (g.json || event.rfind("event: message", 0) != 0) {
            std::cout << data << "\n";
            continue;
          }
          auto v = json::parse(data);
          const auto& o = v.as_object();
          const auto sender = o.at("from_agent").is_null() ? "peer " + str(v, "from_peer") : str(v, "from_agent");
          std::cout << fmt::format("[{}] {}: {}\n", str(v, "topic"), sender,
                                   o.contains("body") ? str(v, "body") : "(binary, " + str(v, "content_type") + ")");
        }
        return true;  // Ctrl-C exits the process (on_sigint)
      }, error_body);
      if (!r) fail(fmt::format("cannot reach the daemon: {}", r.error().message()));
      if (*r >= 300) fail(error_body);
    });

    auto* t = app.add_subcommand("topics", "list topics with local subscribers, mesh and peers");
    add_global(*t, g);
    t->callback([&] {
      auto v = call(g, "GET", "/v1/topics");
      if (g.json) return print_json(v);
      for (const auto& item : v.at("topics").as_array()) {
        std::cout << fmt::format("{}  subscribers {}  mesh {}  fanout {}  peers {}\n", str(item, "topic"),
                                 str(item, "local_subscribers"), str(item, "mesh"), str(item, "fanout"),
                                 str(item, "peers"));
      }
    });
  }

  // find: the agent directory
  std::string capability;
  bool include_offline = false;
  {
    auto* f = app.add_subcommand("find", "find agents on the mesh (the directory of adverts)");
    add_global(*f, g);
    f->add_option("--capability", capability, "only agents with this capability");
    f->add_flag("--all", include_offline, "include agents whose advert has expired (offline)");
    f->callback([&] {
      std::string target = "/v1/directory?online=" + std::string(include_offline ? "false" : "true");
      if (!capability.empty()) target += "&capability=" + url_escape(capability);
      auto v = call(g, "GET", target);
      if (g.json) return print_json(v);
      for (const auto& item : v.at("agents").as_array()) {
        std::string caps;
        for (const auto& c : item.at("capabilities").as_array()) caps += (caps.empty() ? "" : ",") + std::string(c.as_string());
        std::cout << fmt::format("{}  {}  {}{}  peer {}  [{}]\n", str(item, "agent_id"), str(item, "display_name"),
                                 item.at("online").as_bool() ? "online" : "offline",
                                 item.at("local").as_bool() ? " (here)" : "", str(item, "peer_id"), caps);
      }
    });
  }

  // health
  {
    auto* h = app.add_subcommand("health", "show the daemon's health");
    add_global(*h, g);
    h->callback([&] {
      auto v = call(g, "GET", "/v1/health");
      if (g.json) return print_json(v);
      std::cout << fmt::format("status: {}\nversion: {}\nuptime: {} s\n", str(v, "status"), str(v, "version"),
                               str(v, "uptime_s"));
      for (const auto& [name, c] : v.at("components").as_object()) {
        std::cout << fmt::format("  {:<8} {}  {}\n", std::string(name), c.at("ok").as_bool() ? "ok  " : "FAIL",
                                 str(c, "detail"));
      }
      if (str(v, "status") != "ok") status = 1;
    });
  }

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  } catch (const Failure& f) {
    return f.status;
  }
  return status;
}

}  // namespace agentmesh::cli
