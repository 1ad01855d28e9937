// Routes: topics, publishing as an agent, and durable subscriptions.

#include <fmt/format.h>

#include <boost/json/array.hpp>

#include "api/dto.hpp"
#include "api/error.hpp"
#include "api/routes/handlers.hpp"
#include "core/hex.hpp"
#include "store/error.hpp"

namespace agentmesh::api::routes {
namespace json = boost::json;

Task list_topics(RouteContext& c) {
  auto topics = co_await c.node().topics();
  if (!topics) co_return error_response(topics.error());
  const auto internal = c.query.find("internal");
  const bool with_internal = internal != c.query.end() && internal->second == "true";
  json::array arr;
  for (const auto& t : *topics) {
    if (!with_internal && t.topic.starts_with(kReservedTopicPrefix)) continue;
    arr.push_back(topic_view_json(t));
  }
  co_return json_response(200, json::object{{"topics", std::move(arr)}});
}

// The publishing agent: `as` with the admin token; an agent token publishes
// as its own agent only.
Task publish(RouteContext& c) {
  const auto& topic = c.params.at(0);
  if (!valid_topic(topic)) co_return error_response(error::invalid_field, kBadTopic);
  auto parsed = parse_topic_publish(c.req.body, c.config().json, c.why);
  if (!parsed) co_return c.error(parsed.error());
  core::AgentId publisher = c.principal.agent;
  if (c.principal.admin) {
    if (parsed->as.empty()) {
      co_return error_response(error::missing_field, "\"as\" (the publishing agent) is required with the admin token");
    }
    auto agent = co_await c.node().resolve_agent(parsed->as);
    if (!agent) co_return error_response(agent.error(), fmt::format("no local agent \"{}\"", parsed->as));
    publisher = *agent;
  } else if (!parsed->as.empty()) {
    auto agent = co_await c.node().resolve_agent(parsed->as);
    if (!agent || *agent != publisher) {
      co_return error_response(error::forbidden, "an agent token may only publish as its own agent");
    }
  }
  auto published =
      co_await c.node().publish(publisher, topic, std::move(parsed->content_type), std::move(parsed->body));
  if (!published) co_return error_response(published.error());
  json::object o;
  o["message_id"] =
      core::to_hex({reinterpret_cast<const std::uint8_t*>(published->message_id.data()), published->message_id.size()});
  o["peers"] = published->peers;
  co_return json_response(200, o);
}

Task list_subscriptions(RouteContext& c) {
  auto topics = co_await c.node().subscriptions(c.agent);
  if (!topics) co_return error_response(topics.error());
  json::array arr;
  for (const auto& t : *topics) arr.emplace_back(t);
  co_return json_response(200, json::object{{"agent_id", c.agent.to_string()}, {"subscriptions", std::move(arr)}});
}

Task add_subscription(RouteContext& c) {
  auto topic = parse_subscription(c.req.body, c.config().json, c.why);
  if (!topic) co_return c.error(topic.error());
  auto r = co_await c.node().subscribe_durable(c.agent, *topic);
  if (!r) {
    if (r.error() == store::error::conflict) {
      co_return error_response(r.error(), fmt::format("already subscribed to \"{}\"", *topic));
    }
    co_return error_response(r.error());
  }
  co_return json_response(201, json::object{{"agent_id", c.agent.to_string()}, {"topic", *topic}});
}

Task remove_subscription(RouteContext& c) {
  auto q = c.query.find("topic");
  if (q == c.query.end() || !valid_topic(q->second)) {
    co_return error_response(error::missing_field, "DELETE needs ?topic=T (percent-encoded)");
  }
  const auto topic = q->second;
  auto r = co_await c.node().unsubscribe_durable(c.agent, topic);
  if (!r) {
    if (r.error() == store::error::not_found) {
      co_return error_response(r.error(), fmt::format("not subscribed to \"{}\"", topic));
    }
    co_return error_response(r.error());
  }
  co_return json_response(200, json::object{{"agent_id", c.agent.to_string()}, {"topic", topic}, {"deleted", true}});
}

}  // namespace agentmesh::api::routes
