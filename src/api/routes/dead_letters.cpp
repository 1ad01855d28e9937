// Routes: dead letters (admin).

#include <boost/json/array.hpp>
#include <limits>

#include "api/dto.hpp"
#include "api/error.hpp"
#include "api/routes/handlers.hpp"

namespace agentmesh::api::routes {
namespace json = boost::json;

namespace {

// A dead letter's id from the path: a positive integer.
Result<std::int64_t> dead_letter_id(const RouteContext& c) {
  auto id = parse_uint(c.params.at(0));
  if (!id || *id > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
    return error::invalid_field;
  }
  return static_cast<std::int64_t>(*id);
}

constexpr std::string_view kBadId = "a dead letter id is a positive integer";

}  // namespace

Task list_dead_letters(RouteContext& c) {
  auto after = c.query_uint("after", 0, std::numeric_limits<std::int64_t>::max());
  if (!after) co_return c.error(after.error());
  auto limit = c.query_uint("limit", kDefaultPageSize, kMaxPageSize);
  if (!limit) co_return c.error(limit.error());
  auto list =
      co_await c.node().dead_letters(static_cast<std::int64_t>(*after), *limit == 0 ? kDefaultPageSize : *limit);
  if (!list) co_return error_response(list.error());
  json::array arr;
  auto next = static_cast<std::int64_t>(*after);
  for (const auto& d : *list) {
    arr.push_back(dead_letter_json(d));
    next = d.id;
  }
  co_return json_response(200, json::object{{"dead_letters", std::move(arr)}, {"next_after", next}});
}

Task get_dead_letter(RouteContext& c) {
  auto id = dead_letter_id(c);
  if (!id) co_return error_response(id.error(), kBadId);
  auto dl = co_await c.node().dead_letter(*id);
  if (!dl) co_return error_response(dl.error());
  co_return json_response(200, dead_letter_json(*dl));
}

Task retry_dead_letter(RouteContext& c) {
  auto id = dead_letter_id(c);
  if (!id) co_return error_response(id.error(), kBadId);
  auto receipt = co_await c.node().retry_dead_letter(*id);
  if (!receipt) co_return error_response(receipt.error());
  co_return json_response(202, receipt_json(*receipt));
}

Task delete_dead_letter(RouteContext& c) {
  auto id = dead_letter_id(c);
  if (!id) co_return error_response(id.error(), kBadId);
  auto r = co_await c.node().delete_dead_letter(*id);
  if (!r) co_return error_response(r.error());
  co_return json_response(200, json::object{{"id", *id}, {"deleted", true}});
}

}  // namespace agentmesh::api::routes
