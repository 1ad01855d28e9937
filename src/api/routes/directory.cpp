// Routes: the agent directory.

#include <boost/json/array.hpp>

#include "api/dto.hpp"
#include "api/error.hpp"
#include "api/routes/handlers.hpp"

namespace agentmesh::api::routes {
namespace json = boost::json;

Task search_directory(RouteContext& c) {
  std::string capability;
  if (auto it = c.query.find("capability"); it != c.query.end()) capability = it->second;
  bool online_only = false;
  if (auto it = c.query.find("online"); it != c.query.end()) {
    if (it->second != "true" && it->second != "false") {
      co_return error_response(error::invalid_field, "query parameter \"online\" must be true or false");
    }
    online_only = it->second == "true";
  }
  auto agents = co_await c.node().directory(std::move(capability), online_only);
  if (!agents) co_return error_response(agents.error());
  json::array arr;
  for (const auto& v : *agents) arr.push_back(directory_view_json(v));
  co_return json_response(200, json::object{{"agents", std::move(arr)}});
}

Task directory_entry(RouteContext& c) {
  auto id = core::AgentId::parse(c.params.at(0));
  if (!id) co_return error_response(error::invalid_field, "an agent id is 64 lowercase hex characters");
  auto v = co_await c.node().directory_entry(*id);
  if (!v) co_return error_response(v.error(), "no agent with that id is known on the mesh");
  co_return json_response(200, directory_view_json(*v));
}

}  // namespace agentmesh::api::routes
