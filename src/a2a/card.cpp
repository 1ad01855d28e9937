// a2a/card: the Agent Card of a published agent.

#include "a2a/card.hpp"

#include <fmt/format.h>

#include <boost/json/array.hpp>

namespace agentmesh::a2a {
namespace json = boost::json;

namespace {

json::object skill_json(const Skill& s) {
  json::object o{{"id", s.id},
                 {"name", s.name},
                 {"description", s.description},
                 {"tags", json::array(s.tags.begin(), s.tags.end())}};
  if (!s.examples.empty()) o["examples"] = json::array(s.examples.begin(), s.examples.end());
  return o;
}

}  // namespace

std::vector<Skill> card_skills(const CardAgent& agent) {
  if (!agent.profile.skills.empty()) return agent.profile.skills;
  std::vector<Skill> out;
  for (const auto& c : agent.capabilities) {
    out.push_back(Skill{c, c, fmt::format("Tasks that need the capability \"{}\".", c), {c}, {}});
  }
  return out;
}

json::object agent_card(const CardAgent& agent, std::string_view base_url, std::string_view version,
                        CardFeatures features) {
  const auto root = fmt::format("{}/agents/{}/a2a", base_url, agent.name);
  json::array interfaces{
      json::object{{"url", root + "/jsonrpc"}, {"protocolBinding", "JSONRPC"}, {"protocolVersion", kProtocolVersion}},
      json::object{{"url", root}, {"protocolBinding", "HTTP+JSON"}, {"protocolVersion", kProtocolVersion}}};
  json::array skills;
  for (const auto& s : card_skills(agent)) skills.push_back(skill_json(s));
  json::object mesh{{"uri", kMeshExtension},
                    {"description",
                     "The agent's identity on the agentmesh network: mesh clients may address it "
                     "directly by agentId."},
                    {"required", false},
                    {"params", json::object{{"agentId", agent.agent_id}, {"peerId", agent.peer_id}}}};
  const json::array modes{"text/plain", "application/json"};
  return json::object{
      {"name", agent.display_name.empty() ? agent.name : agent.display_name},
      {"description", agent.profile.description.empty() ? fmt::format("The agentmesh agent \"{}\".", agent.name)
                                                        : agent.profile.description},
      {"version", version},
      {"supportedInterfaces", std::move(interfaces)},
      {"capabilities", json::object{{"streaming", features.streaming},
                                    {"pushNotifications", features.push_notifications},
                                    {"extensions", json::array{std::move(mesh)}}}},
      {"defaultInputModes", modes},
      {"defaultOutputModes", modes},
      {"skills", std::move(skills)},
      {"securitySchemes",
       json::object{
           {"bearer", json::object{{"httpAuthSecurityScheme", json::object{{"scheme", "Bearer"},
                                                                           {"description",
                                                                            "A token from `agentmesh a2a token create` "
                                                                            "for this agent."}}}}}}},
      {"securityRequirements", json::array{json::object{{"schemes", json::object{{"bearer", json::object{}}}}}}}};
}

}  // namespace agentmesh::a2a
