// The outbound A2A client's credentials (api/a2a_credentials.hpp):
//   POST   /v1/a2a/credentials          {"name", "bearer"}: adds or replaces
//   GET    /v1/a2a/credentials          names, schemes, when added (never a secret)
//   DELETE /v1/a2a/credentials/{name}

#include <boost/json/array.hpp>

#include "api/a2a_outbound.hpp"
#include "api/error.hpp"
#include "api/routes/handlers.hpp"
#include "core/clock.hpp"

namespace agentmesh::api::routes {
namespace json = boost::json;

namespace {

json::object credential_json(const A2aCredential& c) {
  return json::object{{"name", c.name}, {"scheme", c.scheme}, {"created_ms", c.created_ms}};
}

}  // namespace

Task put_a2a_credential(RouteContext& c) {
  if (!c.config().outbound) co_return error_response(error::invalid_field, "this daemon has no outbound A2A client");
  auto req = parse_a2a_credential(c.req.body, c.config().json, c.why);
  if (!req) co_return c.error(req.error());
  A2aCredential cred{std::move(req->name), "bearer", std::move(req->bearer), core::SystemClock().now_ms()};
  auto shown = credential_json(cred);
  const bool replaced = c.config().outbound->credentials().find(cred.name).has_value();
  if (auto r = c.config().outbound->credentials().put(std::move(cred), c.why); !r) {
    if (r.error() == boost::system::errc::invalid_argument) co_return error_response(error::invalid_field, c.why);
    co_return error_response(r.error(), c.why);
  }
  shown["replaced"] = replaced;
  co_return json_response(replaced ? 200 : 201, shown);
}

Task list_a2a_credentials(RouteContext& c) {
  json::array arr;
  if (c.config().outbound) {
    for (const auto& cred : c.config().outbound->credentials().list()) arr.push_back(credential_json(cred));
  }
  co_return json_response(200, json::object{{"credentials", std::move(arr)}});
}

Task delete_a2a_credential(RouteContext& c) {
  if (!c.config().outbound) co_return error_response(error::unknown_credential);
  auto gone = c.config().outbound->credentials().remove(c.params.at(0), c.why);
  if (!gone) co_return error_response(gone.error(), c.why);
  if (!*gone) co_return error_response(error::unknown_credential);
  co_return json_response(200, json::object{{"name", c.params.at(0)}, {"deleted", true}});
}

}  // namespace agentmesh::api::routes
