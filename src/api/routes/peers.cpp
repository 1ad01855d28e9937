// Routes: this node and its peers.

#include <fmt/format.h>

#include <boost/json/array.hpp>

#include "api/dto.hpp"
#include "api/error.hpp"
#include "api/routes/handlers.hpp"

namespace agentmesh::api::routes {
namespace json = boost::json;

Task node_info(RouteContext& c) {
  auto info = co_await c.node().node_info();
  if (!info) co_return error_response(info.error());
  co_return json_response(200, node_info_json(*info));
}

Task list_peers(RouteContext& c) {
  auto peers = co_await c.node().peers();
  if (!peers) co_return error_response(peers.error());
  json::array arr;
  for (const auto& p : *peers) arr.push_back(peer_json(p));
  co_return json_response(200, json::object{{"peers", std::move(arr)}});
}

// GET /v1/peers/events (SSE): `mesh` {"changes": N} at once and after each
// change of peers or directory (coalesced), for a view to re-read them.
Task mesh_events(RouteContext& c) {
  auto signal = std::make_shared<StreamSignal>();
  std::function<void()> wake = [signal] { signal->wake(); };  // named: no temporaries in a co_await operand
  auto token = co_await c.node().watch_mesh(std::move(wake));
  if (!token) co_return error_response(token.error());
  StreamRequest s;
  s.source = StreamRequest::Source::mesh;
  s.signal = signal;
  s.lease = std::shared_ptr<void>(nullptr, [node = c.node(), token = *token](void*) { node.unwatch_mesh(token); });
  Response r;
  r.stream = std::move(s);
  co_return r;
}

Task connect_peer(RouteContext& c) {
  auto addr = parse_connect(c.req.body, c.config().json, c.why);
  if (!addr) co_return c.error(addr.error());
  const auto text = addr->to_string();
  auto peer = co_await c.node().connect(std::move(*addr));
  if (!peer) {
    co_return error_response(error::dial_failed, fmt::format("dial {} failed: {}", text, peer.error().message()));
  }
  co_return json_response(200, json::object{{"peer_id", peer->to_string()}, {"connected", true}});
}

Task disconnect_peer(RouteContext& c) {
  const auto& param = c.params.at(0);
  auto peer = core::PeerId::parse(param);
  if (!peer) co_return error_response(error::invalid_field, fmt::format("\"{}\" is not a peer id", param));
  if (auto r = co_await c.node().disconnect(*peer); !r) {
    co_return error_response(error::unknown_peer, fmt::format("not connected to {}", param));
  }
  co_return json_response(200, json::object{{"peer_id", peer->to_string()}, {"disconnected", true}});
}

}  // namespace agentmesh::api::routes
