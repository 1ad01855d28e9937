// `agentmesh events` (an agent's inbox, live, resumable) and `agentmesh
// subscribe` (a topic, live).

#include <fmt/format.h>
#include <unistd.h>

#include <boost/json/parse.hpp>
#include <csignal>
#include <cstdio>
#include <iostream>
#include <memory>

#include "cli/context.hpp"
#include "cli/sse_client.hpp"

namespace agentmesh::cli {
namespace json = boost::json;

namespace {

extern "C" void on_sigint(int) { ::_exit(0); }

// Ctrl-C ends a stream at once (exit status 0); output is line-buffered so a
// pipe sees each event as it arrives.
void prepare_for_streaming() {
  std::signal(SIGINT, on_sigint);
  std::signal(SIGTERM, on_sigint);
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
}

struct StreamOptions {
  std::string agent;
  std::string topic;
  std::uint64_t after = 0;
  bool after_set = false;
};

bool print_inbox_event(const Global& g, const SseEvent& e) {
  if (e.type != "message") return true;
  if (g.json) {
    std::cout << e.data << "\n";
  } else {
    boost::system::error_code ec;
    auto v = json::parse(e.data, ec);
    if (!ec && v.is_object()) print_message(v.as_object());
  }
  std::cout.flush();
  return true;
}

bool print_topic_event(const Global& g, const SseEvent& e) {
  if (g.json || e.type != "message") {
    std::cout << e.data << "\n";  // also gap reports: {"dropped": N}
    return true;
  }
  boost::system::error_code ec;
  auto v = json::parse(e.data, ec);
  if (ec || !v.is_object()) return true;
  const auto& o = v.as_object();
  const auto sender = o.at("from_agent").is_null() ? "peer " + str(v, "from_peer") : str(v, "from_agent");
  std::cout << fmt::format("[{}] {}: {}\n", str(v, "topic"), sender,
                           o.contains("body") ? str(v, "body") : "(binary, " + str(v, "content_type") + ")");
  return true;
}

}  // namespace

void add_stream_commands(CLI::App& app, Global& g) {
  auto o = std::make_shared<StreamOptions>();
  auto* e = app.add_subcommand("events", "stream an agent's messages as they arrive (Ctrl-C to stop)");
  add_global(*e, g);
  e->add_option("agent", o->agent, "agent name or id")->required();
  e->add_option("--after", o->after, "start after this seq (default: after the acked cursor)")
      ->each([o](const std::string&) { o->after_set = true; });
  e->callback([o, &g] {
    prepare_for_streaming();
    follow(g, "/v1/agents/" + url_escape(o->agent) + "/events", o->after_set ? std::to_string(o->after) : "", true,
           [&g](const SseEvent& ev) { return print_inbox_event(g, ev); });
  });

  auto* s = app.add_subcommand("subscribe", "print a topic's messages as they arrive (Ctrl-C to stop)");
  add_global(*s, g);
  s->add_option("topic", o->topic, "topic name")->required();
  s->callback([o, &g] {
    prepare_for_streaming();
    follow(g, "/v1/topics/" + url_escape(o->topic) + "/events", "", false,
           [&g](const SseEvent& ev) { return print_topic_event(g, ev); });
  });
}

}  // namespace agentmesh::cli
