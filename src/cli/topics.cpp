// `agentmesh publish`, `topics`, and `subscriptions add|list|remove` (an
// agent's durable subscriptions: the topic's messages land in its inbox).

#include <fmt/format.h>

#include <boost/json/serialize.hpp>
#include <iostream>
#include <iterator>
#include <memory>

#include "cli/context.hpp"

namespace agentmesh::cli {
namespace json = boost::json;

namespace {

struct TopicOptions {
  std::string topic;
  std::string text;
  std::string as;
  std::string agent;
};

void add_subscription_commands(CLI::App& app, Global& g, const std::shared_ptr<TopicOptions>& o) {
  auto* subs = app.add_subcommand("subscriptions", "an agent's durable topic subscriptions (messages into its inbox)");
  subs->require_subcommand(1);
  auto* a = subs->add_subcommand("add", "subscribe AGENT to TOPIC durably");
  add_global(*a, g);
  a->add_option("agent", o->agent, "agent name or id")->required();
  a->add_option("topic", o->topic, "topic name")->required();
  a->callback([o, &g] {
    auto v = call(g, "POST", "/v1/agents/" + url_escape(o->agent) + "/subscriptions",
                  json::serialize(json::object{{"topic", o->topic}}));
    if (g.json) return print_json(v);
    std::cout << fmt::format("{} is subscribed to {}: its messages land in the inbox\n", o->agent, o->topic);
  });
  auto* l = subs->add_subcommand("list", "list AGENT's durable subscriptions");
  add_global(*l, g);
  l->add_option("agent", o->agent, "agent name or id")->required();
  l->callback([o, &g] {
    auto v = call(g, "GET", "/v1/agents/" + url_escape(o->agent) + "/subscriptions");
    if (g.json) return print_json(v);
    const auto& topics = v.at("subscriptions").as_array();
    if (topics.empty()) std::cout << fmt::format("{} has no durable subscriptions\n", o->agent);
    for (const auto& t : topics) std::cout << t.as_string().c_str() << "\n";
  });
  auto* r = subs->add_subcommand("remove", "end AGENT's durable subscription to TOPIC");
  add_global(*r, g);
  r->add_option("agent", o->agent, "agent name or id")->required();
  r->add_option("topic", o->topic, "topic name")->required();
  r->callback([o, &g] {
    auto v = call(g, "DELETE", "/v1/agents/" + url_escape(o->agent) + "/subscriptions?topic=" + url_escape(o->topic));
    if (g.json) return print_json(v);
    std::cout << fmt::format("{} is no longer subscribed to {}\n", o->agent, o->topic);
  });
}

}  // namespace

void add_topic_commands(CLI::App& app, Global& g) {
  auto o = std::make_shared<TopicOptions>();
  auto* p = app.add_subcommand("publish", "publish a message on a topic as a local agent");
  add_global(*p, g);
  p->add_option("topic", o->topic, "topic name")->required();
  p->add_option("text", o->text, "message text; - reads standard input")->required();
  p->add_option("--as", o->as, "publishing agent (name or id)")->required();
  p->callback([o, &g] {
    json::object body;
    body["body"] = o->text == "-" ? std::string(std::istreambuf_iterator<char>(std::cin), {}) : o->text;
    body["as"] = o->as;
    auto v = call(g, "POST", "/v1/topics/" + url_escape(o->topic) + "/messages", json::serialize(body));
    if (g.json) return print_json(v);
    std::cout << fmt::format("published message_id={} to {} peers\n", str(v, "message_id"), str(v, "peers"));
  });

  auto* t = app.add_subcommand("topics", "list topics with local subscribers, mesh and peers");
  add_global(*t, g);
  t->callback([&g] {
    auto v = call(g, "GET", "/v1/topics");
    if (g.json) return print_json(v);
    const auto& topics = v.at("topics").as_array();
    if (topics.empty()) std::cout << "no topics: nothing subscribed here, and no peer announces one\n";
    for (const auto& item : topics) {
      std::cout << fmt::format("{}  subscribers {}  mesh {}  fanout {}  peers {}\n", str(item, "topic"),
                               str(item, "local_subscribers"), str(item, "mesh"), str(item, "fanout"),
                               str(item, "peers"));
    }
  });
  add_subscription_commands(app, g, o);
}

}  // namespace agentmesh::cli
