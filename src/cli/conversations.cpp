// `agentmesh conversations` (list, show) and `agentmesh reply`.

#include <fmt/format.h>

#include <boost/json/serialize.hpp>
#include <iostream>
#include <iterator>
#include <memory>

#include "cli/context.hpp"

namespace agentmesh::cli {
namespace json = boost::json;

namespace {

struct ListOptions {
  std::string agent;
  std::string state;
  std::uint64_t limit = 100;
};

struct ShowOptions {
  std::string agent;
  std::string conversation;
  std::uint64_t after = 0;
  std::uint64_t limit = 100;
};

struct ReplyOptions {
  std::string agent, message, text, performative, reply_with;
  bool wait_ack = false;
};

void list(const Global& g, const ListOptions& o) {
  std::string target = fmt::format("/v1/agents/{}/conversations?limit={}", url_escape(o.agent), o.limit);
  if (!o.state.empty()) target += "&state=" + url_escape(o.state);
  auto v = call(g, "GET", target);
  if (g.json) return print_json(v);
  const auto& list = v.at("conversations").as_array();
  if (list.empty()) {
    std::cout << "no conversations\n";
    return;
  }
  for (const auto& c : list) {
    std::cout << fmt::format("{}  {}  {} messages  {} participants  last {}{}\n", str(c, "conversation_id"),
                             str(c, "state"), str(c, "message_count"), c.at("participants").as_array().size(),
                             format_time(c.at("last_ms").to_number<std::int64_t>()),
                             c.as_object().contains("protocol") ? "  " + str(c, "protocol") : "");
  }
}

void show(const Global& g, const ShowOptions& o) {
  auto v = call(g, "GET",
                fmt::format("/v1/agents/{}/conversations/{}?after={}&limit={}", url_escape(o.agent),
                            url_escape(o.conversation), o.after, o.limit));
  if (g.json) return print_json(v);
  const auto& c = v.at("conversation");
  std::cout << fmt::format(
      "conversation:  {}\nstate:         {}\nmessages:      {}\nfirst:         {}\nlast:          {}\n",
      str(c, "conversation_id"), str(c, "state"), str(c, "message_count"),
      format_time(c.at("first_ms").to_number<std::int64_t>()), format_time(c.at("last_ms").to_number<std::int64_t>()));
  std::cout << "participants:  " << join(c.at("participants").as_array(), ", ") << "\n";
  for (const auto& m : v.at("messages").as_array()) {
    const auto& o2 = m.as_object();
    const bool sent = str(m, "direction") == "sent";
    std::cout << fmt::format("#{}  {}  {} {}{}\n", str(m, "index"),
                             format_time(m.at("time_ms").to_number<std::int64_t>()), sent ? "to" : "from",
                             str(m, sent ? "to" : "from").substr(0, 16),
                             o2.contains("performative") ? "  (" + str(m, "performative") + ")" : "");
    for (auto key : {"reply_with", "in_reply_to"}) {
      if (o2.contains(key)) std::cout << fmt::format("    {}: {}\n", key, str(m, key));
    }
    std::cout << "    " << body_text(o2) << "\n";
  }
}

void reply(const Global& g, const ReplyOptions& o) {
  json::object body{{"in_reply_to", o.message}};
  body["body"] = o.text == "-" ? std::string(std::istreambuf_iterator<char>(std::cin), {}) : o.text;
  if (!o.performative.empty()) body["performative"] = o.performative;
  if (!o.reply_with.empty()) body["reply_with"] = o.reply_with;
  if (o.wait_ack) body["wait"] = "ack";
  auto v = call(g, "POST", "/v1/agents/" + url_escape(o.agent) + "/messages", json::serialize(body));
  if (g.json) return print_json(v);
  std::string line = fmt::format("{} request_id={} to={}", str(v, "state"), str(v, "request_id"), str(v, "to"));
  for (const char* k : {"seq", "path", "reason", "last_error"}) {
    if (!str(v, k).empty()) line += fmt::format(" {}={}", k, str(v, k));
  }
  std::cout << line << "\n";
}

}  // namespace

void add_conversation_commands(CLI::App& app, Global& g) {
  auto lo = std::make_shared<ListOptions>();
  auto* c = app.add_subcommand("conversations", "list an agent's conversations, or show one");
  add_global(*c, g);
  c->add_option("agent", lo->agent, "agent name or id");
  c->add_option("--state", lo->state, "active or expired (default: both)");
  c->add_option("--limit", lo->limit, "at most this many (1-1000)");

  auto so = std::make_shared<ShowOptions>();
  auto* s = c->add_subcommand("show", "a conversation's record and messages");
  add_global(*s, g);
  s->add_option("agent", so->agent, "agent name or id")->required();
  s->add_option("conversation", so->conversation, "conversation id")->required();
  s->add_option("--after", so->after, "messages after this index");
  s->add_option("--limit", so->limit, "at most this many (1-1000)");
  s->callback([so, &g] { show(g, *so); });
  c->callback([lo, s, &g] {
    if (s->parsed()) return;
    if (lo->agent.empty())
      fail("give an agent: agentmesh conversations AGENT, or agentmesh conversations show AGENT CID");
    list(g, *lo);
  });

  auto ro = std::make_shared<ReplyOptions>();
  auto* r = app.add_subcommand("reply", "answer a received message (its recipient and conversation are filled in)");
  add_global(*r, g);
  r->add_option("agent", ro->agent, "replying agent (name or id)")->required();
  r->add_option("message", ro->message, "the message answered: its reply_with, or its request id")->required();
  r->add_option("text", ro->text, "reply text; - reads standard input")->required();
  r->add_option("--performative", ro->performative, "FIPA performative (inform, agree, ...)");
  r->add_option("--reply-with", ro->reply_with, "id a reply to this reply should quote");
  r->add_flag("--wait", ro->wait_ack, "wait for the recipient's ack and print the final state");
  r->callback([ro, &g] { reply(g, *ro); });
}

}  // namespace agentmesh::cli
