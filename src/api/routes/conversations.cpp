// Routes: conversations (issue 13): an agent's conversation views and the
// messages each keeps.

#include <boost/json/array.hpp>
#include <limits>

#include "api/dto.hpp"
#include "api/error.hpp"
#include "api/routes/handlers.hpp"

namespace agentmesh::api::routes {
namespace json = boost::json;

namespace {

constexpr std::size_t kMaxConversationId = 256;  // as a message's conversation_id

}  // namespace

Task list_conversations(RouteContext& c) {
  node::ConversationListQuery q;
  if (auto it = c.query.find("state"); it != c.query.end() && it->second != "any") {
    auto st = node::parse_conversation_state(it->second);
    if (!st) co_return error_response(error::invalid_field, "state is active, expired or any");
    q.state = *st;
  }
  if (auto it = c.query.find("after"); it != c.query.end()) {
    if (it->second.size() > kMaxConversationId) {
      co_return error_response(error::invalid_field, "after is a conversation id (at most 256 bytes)");
    }
    q.after = it->second;
  }
  auto limit = c.query_uint("limit", kDefaultPageSize, kMaxPageSize);
  if (!limit) co_return c.error(limit.error());
  q.limit = *limit == 0 ? kDefaultPageSize : *limit;
  auto list = co_await c.node().conversations(c.agent, q);
  if (!list) co_return error_response(list.error());
  json::array arr;
  for (const auto& conv : *list) arr.push_back(conversation_json(conv));
  json::object o{{"conversations", std::move(arr)}};
  if (list->size() == q.limit) o["next_after"] = list->back().id;
  co_return json_response(200, o);
}

Task get_conversation(RouteContext& c) {
  const auto& id = c.params.at(1);
  if (id.empty() || id.size() > kMaxConversationId) {
    co_return error_response(error::invalid_field, "a conversation id is 1-256 bytes");
  }
  auto after = c.query_uint("after", 0, std::numeric_limits<std::uint64_t>::max());
  if (!after) co_return c.error(after.error());
  auto limit = c.query_uint("limit", kDefaultPageSize, kMaxPageSize);
  if (!limit) co_return c.error(limit.error());
  const auto page = *limit == 0 ? kDefaultPageSize : *limit;
  auto view = co_await c.node().conversation(c.agent, id, *after, page);
  if (!view) co_return error_response(view.error());
  json::object o{{"conversation", conversation_json(view->conversation)}};
  json::array arr;
  std::uint64_t next = *after;
  for (const auto& m : view->messages) {
    arr.push_back(conversation_entry_json(m));
    next = m.index;
  }
  o["first_kept"] = view->first_kept;
  o["messages"] = std::move(arr);
  o["next_after"] = next;
  co_return json_response(200, o);
}

Task conversation_diagnostics(RouteContext& c) {
  auto d = co_await c.node().diagnostics(true);
  if (!d) co_return error_response(d.error());
  co_return json_response(200, conversation_stats_json(d->conversations));
}

}  // namespace agentmesh::api::routes
