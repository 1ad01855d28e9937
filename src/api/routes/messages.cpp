// Routes: sending messages, their status, and reading and acking an inbox.

#include <fmt/format.h>

#include <boost/json/array.hpp>
#include <limits>

#include "api/dto.hpp"
#include "api/error.hpp"
#include "api/routes/handlers.hpp"
#include "store/error.hpp"

namespace agentmesh::api::routes {
namespace json = boost::json;

Task send_message(RouteContext& c) {
  auto parsed = parse_send(c.req.body, c.config().json, c.why);
  if (!parsed) co_return c.error(parsed.error());
  const auto waited = parsed->wait_ms > 0;
  auto receipt = co_await c.node().send(c.agent, std::move(*parsed));
  if (!receipt) co_return error_response(receipt.error());
  // 202 while the outcome is open (queued, sending) or known at once
  // (loopback); 200 for a final outcome a "wait": "ack" waited for.
  const bool waited_final = waited && receipt->path != direct::Path::loopback && receipt->final();
  co_return json_response(waited_final ? 200 : 202, receipt_json(*receipt));
}

Task message_status(RouteContext& c) {
  auto id = core::RequestId::parse(c.params.at(1));
  if (!id) co_return error_response(error::invalid_field, "the request id is 32 hex characters");
  auto status = co_await c.node().message_status(c.agent, *id);
  if (!status) co_return error_response(status.error());
  co_return json_response(200, receipt_json(*status));
}

Task read_inbox(RouteContext& c) {
  auto after = c.query_uint("after", 0, std::numeric_limits<std::uint64_t>::max());
  if (!after) co_return c.error(after.error());
  auto limit = c.query_uint("limit", kDefaultPageSize, kMaxPageSize);
  if (!limit) co_return c.error(limit.error());
  auto page = co_await c.node().read_inbox(c.agent, core::Seq{*after}, *limit == 0 ? kDefaultPageSize : *limit);
  if (!page) co_return error_response(page.error());
  json::array arr;
  std::uint64_t next = *after;
  for (const auto& m : page->messages) {
    arr.push_back(inbox_json(m));
    next = m.seq.value;
  }
  json::object o;
  o["messages"] = std::move(arr);
  o["next_after"] = next;
  o["last_seq"] = page->position.last.value;
  o["acked_seq"] = page->position.acked.value;
  co_return json_response(200, o);
}

Task ack_inbox(RouteContext& c) {
  auto up_to = parse_ack(c.req.body, c.config().json, c.why);
  if (!up_to) co_return c.error(up_to.error());
  auto position = co_await c.node().ack(c.agent, *up_to);
  if (!position) {
    if (position.error() == store::error::beyond_last) {
      auto ref = c.agent.to_string();
      auto agent = co_await c.node().agent(std::move(ref));
      const auto last = agent ? agent->inbox.last.value : 0;
      co_return error_response(position.error(), fmt::format("up_to {} is beyond the last seq {}", up_to->value, last));
    }
    co_return error_response(position.error());
  }
  json::object o;
  o["acked_seq"] = position->acked.value;
  o["last_seq"] = position->last.value;
  co_return json_response(200, o);
}

}  // namespace agentmesh::api::routes
