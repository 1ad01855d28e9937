// Routes: local agents (/v1/agents) and their block lists
// (/v1/agents/{agent}/blocks).

#include <boost/json/array.hpp>

#include "api/dto.hpp"
#include "api/error.hpp"
#include "api/routes/handlers.hpp"
#include "store/error.hpp"

namespace agentmesh::api::routes {
namespace json = boost::json;

Task list_agents(RouteContext& c) {
  auto list = co_await c.node().agents();
  if (!list) co_return error_response(list.error());
  json::array arr;
  for (const auto& a : *list) arr.push_back(agent_json(a));
  co_return json_response(200, json::object{{"agents", std::move(arr)}});
}

Task create_agent(RouteContext& c) {
  auto parsed = parse_create_agent(c.req.body, c.config().json, c.why);
  if (!parsed) co_return c.error(parsed.error());
  auto created = co_await c.node().create_agent(std::move(*parsed));
  if (!created) co_return error_response(created.error());
  auto o = agent_json(created->agent);
  o["token"] = created->token;
  co_return json_response(201, o);
}

Task get_agent(RouteContext& c) {
  auto ref = c.agent.to_string();
  auto agent = co_await c.node().agent(std::move(ref));
  if (!agent) co_return error_response(agent.error());
  co_return json_response(200, agent_json(*agent));
}

Task update_agent(RouteContext& c) {
  auto parsed = parse_update_agent(c.req.body, c.config().json, c.why);
  if (!parsed) co_return c.error(parsed.error());
  auto updated = co_await c.node().update_agent(c.agent, std::move(*parsed));
  if (!updated) co_return error_response(updated.error());
  co_return json_response(200, agent_json(*updated));
}

Task delete_agent(RouteContext& c) {
  auto deleted = co_await c.node().delete_agent(c.agent);
  if (!deleted) co_return error_response(deleted.error());
  json::object o;
  o["agent_id"] = c.agent.to_string();
  o["deleted"] = true;
  o["dead_lettered"] = *deleted;
  co_return json_response(200, o);
}

Task list_blocks(RouteContext& c) {
  auto blocked = co_await c.node().blocked(c.agent);
  if (!blocked) co_return error_response(blocked.error());
  json::array arr;
  for (const auto& s : *blocked) arr.emplace_back(s.to_string());
  co_return json_response(200, json::object{{"agent_id", c.agent.to_string()}, {"blocked", std::move(arr)}});
}

Task add_block(RouteContext& c) {
  auto sender = parse_block(c.req.body, c.config().json, c.why);
  if (!sender) co_return c.error(sender.error());
  auto r = co_await c.node().block(c.agent, *sender);
  if (!r) {
    if (r.error() == store::error::conflict) co_return error_response(r.error(), "already blocked");
    co_return error_response(r.error());
  }
  co_return json_response(201, json::object{{"agent_id", c.agent.to_string()}, {"sender", sender->to_string()}});
}

Task remove_block(RouteContext& c) {
  auto q = c.query.find("sender");
  auto sender = q == c.query.end() ? std::nullopt : std::optional(core::AgentId::parse(q->second));
  if (!sender || !*sender) co_return error_response(error::missing_field, "DELETE needs ?sender=<agent id>");
  auto r = co_await c.node().unblock(c.agent, **sender);
  if (!r) {
    if (r.error() == store::error::not_found) co_return error_response(r.error(), "that sender is not blocked");
    co_return error_response(r.error());
  }
  co_return json_response(
      200, json::object{{"agent_id", c.agent.to_string()}, {"sender", (*sender)->to_string()}, {"deleted", true}});
}

namespace {

constexpr const char* kNoA2aAgent =
    "no local agent has that name or id, and no agent of another daemon with that id publishes itself to A2A clients";

json::object a2a_token_json(const node::A2aTokenInfo& t) {
  json::object o{{"token_id", t.id.to_string()},
                 {"agent_id", t.agent.to_string()},
                 {"label", t.label},
                 {"created_ms", t.created_ms},
                 {"expired", t.expired}};
  if (t.expires_ms != 0) o["expires_ms"] = t.expires_ms;
  return o;
}

}  // namespace

Task create_a2a_token(RouteContext& c) {
  auto agent = co_await c.node().a2a_agent(c.params.at(0));
  if (!agent) co_return error_response(agent.error(), kNoA2aAgent);
  auto req = parse_a2a_token(c.req.body, c.config().json, c.why);
  if (!req) co_return c.error(req.error());
  auto created = co_await c.node().create_a2a_token(*agent, std::move(req->label), req->ttl_ms);
  if (!created) co_return error_response(created.error());
  auto o = a2a_token_json(created->info);
  o["token"] = created->token;
  co_return json_response(201, o);
}

Task list_a2a_tokens(RouteContext& c) {
  auto agent = co_await c.node().a2a_agent(c.params.at(0));
  if (!agent) co_return error_response(agent.error(), kNoA2aAgent);
  auto tokens = co_await c.node().a2a_tokens(*agent);
  if (!tokens) co_return error_response(tokens.error());
  json::array arr;
  for (const auto& t : *tokens) arr.push_back(a2a_token_json(t));
  co_return json_response(200, json::object{{"tokens", std::move(arr)}});
}

Task revoke_a2a_token(RouteContext& c) {
  auto id = core::TokenId::parse(c.params.at(1));
  if (!id) co_return error_response(error::invalid_field, "a token id is 32 hex characters");
  auto agent = co_await c.node().a2a_agent(c.params.at(0));
  if (!agent) co_return error_response(agent.error(), kNoA2aAgent);
  auto r = co_await c.node().revoke_a2a_token(*agent, *id);
  if (!r) co_return error_response(r.error());
  co_return json_response(200, json::object{{"token_id", id->to_string()}, {"revoked", true}});
}

}  // namespace agentmesh::api::routes
