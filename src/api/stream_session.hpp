#pragma once
// api/stream_session: the one implementation of every live stream the API
// serves: an agent's inbox or a topic (the source), over SSE or WebSocket
// (the framing). The route opened the stream on the node (StreamRequest);
// the HTTP session hands over its connection once every earlier response is
// written, and this runs the stream until the client goes, the source ends
// (the agent was deleted) or the daemon stops.
//
//   source  inbox: reads the inbox from the store after `after`, at the pace
//           the socket accepts writes (a slow client never makes anything
//           queue in memory); event id = seq, so SSE resumes with
//           Last-Event-ID. WebSocket clients ack with {"ack": SEQ}.
//           topic: drains the subscriber's bounded queue; reports overflow
//           as a gap event before the next message.
//   framing SSE: `id:`/`event:`/`data:` lines, a comment every heartbeat,
//           `event: shutdown` at shutdown, `event: closed` when the source
//           ends. WebSocket: one JSON text frame per event with "type",
//           keep-alive pings, close 1001 at shutdown, 1008 when the source
//           ends.
//
// Threading: the API's executor (the node's in the daemon); the node is
// reached through the NodeHandle. Beast stays in this file and server.cpp.

#include <boost/asio/awaitable.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <chrono>
#include <functional>

#include "api/http_types.hpp"
#include "api/requests.hpp"
#include "node/node_handle.hpp"

namespace agentmesh::api {

// What the server can do to a live session at shutdown.
struct SessionCtl {
  std::function<void()> stop;  // graceful: finish the request in flight / end the stream
  std::function<void()> kill;  // at the deadline: close the socket
  bool busy = false;
};

struct StreamSettings {
  std::chrono::seconds heartbeat{15};
  std::chrono::seconds write_timeout{30};
  JsonLimits json;
};

// A connection of a TLS listener (ApiConfig::tls_cert).
using TlsStream = boost::beast::ssl_stream<boost::beast::tcp_stream>;

// Runs `s` on the connection. `upgrade` is the request that asked for it (the
// WebSocket handshake answers it).
boost::asio::awaitable<void> run_stream(boost::beast::tcp_stream stream,
                                        boost::beast::http::request<boost::beast::http::string_body> upgrade,
                                        StreamRequest s, SessionCtl& ctl, const StreamSettings& settings,
                                        const node::NodeHandle& node, ApiStats& stats);
boost::asio::awaitable<void> run_stream(TlsStream stream,
                                        boost::beast::http::request<boost::beast::http::string_body> upgrade,
                                        StreamRequest s, SessionCtl& ctl, const StreamSettings& settings,
                                        const node::NodeHandle& node, ApiStats& stats);

}  // namespace agentmesh::api
