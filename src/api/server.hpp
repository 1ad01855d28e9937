#pragma once
// The HTTP server: Boost.Beast HTTP/1.1 with keep-alive, SSE and WebSocket
// streams. It serves the local API (a Router, bound to a loopback address
// only) and the A2A gateway (api/a2a_gateway.hpp, which may face a network:
// per-address connection and request-rate limits).
//
// Each connection is one coroutine that owns its socket:
// read a request (header and body size limits, idle timeout), hand it to the
// Router, write the response, repeat. Stream routes turn the connection into
// an SSE or WebSocket stream (api/stream_session.hpp).
//
// Shutdown: stop accepting, let requests in flight finish, close idle
// keep-alive connections, end streams cleanly (SSE `event: shutdown`,
// WebSocket close 1001), and force-close whatever is left at the deadline.
//
// Threading: every session runs on the io_context passed in (the node's, in
// the daemon; the NodeHandle dispatches when it is not). Beast stays inside
// server.cpp, stream_session.cpp and http_response.cpp.

#include <spdlog/logger.h>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "api/router.hpp"
#include "core/result.hpp"
#include "core/task_reporter.hpp"
#include "node/node_config.hpp"
#include "node/node_handle.hpp"

namespace agentmesh::api {

struct ApiConfig {
  static constexpr std::uint16_t kDefaultPort = 7781;
  static constexpr std::size_t kDefaultMaxHeaderBytes = 16 * 1024;

  // Loopback address to bind (127.0.0.0/8 or ::1); anything else is refused.
  std::string host = "127.0.0.1";
  // TCP port; 0 picks a free one (written to <data_dir>/api.port).
  std::uint16_t port = kDefaultPort;
  // Largest request body. Default: room for a max-size payload as base64 plus
  // the other fields (set by the daemon from the payload limit).
  std::size_t max_body_bytes = 2 * node::NodeConfig::kDefaultMaxPayloadBytes + 64 * 1024;
  // Largest request header block; larger gets 431.
  std::size_t max_header_bytes = kDefaultMaxHeaderBytes;
  // A keep-alive connection idle this long is closed.
  std::chrono::seconds idle_timeout{60};
  // A request's header must arrive whole this long after its first byte;
  // otherwise the connection is closed (counted as header_timeouts).
  std::chrono::seconds header_timeout{10};
  // A response or stream write that makes no progress this long closes the connection.
  std::chrono::seconds write_timeout{30};
  // Concurrent connections; more get 503 too_many_connections.
  std::size_t max_connections = 1024;
  // Only loopback addresses may be bound (the local API; the A2A gateway may clear it).
  bool loopback_only = true;
  // Per client address (0: no limit): concurrent connections (more are
  // refused at once), and a request rate with a burst (token bucket; a
  // request over it is answered 429 rate_limited and the connection kept).
  std::size_t max_connections_per_address = 0;
  double requests_per_second_per_address = 0;
  double request_burst_per_address = 0;
  // SSE comment / WebSocket ping interval on an idle stream.
  std::chrono::seconds stream_heartbeat{15};
  // PEM files: with them, every connection is TLS (1.2 or later) first, its
  // handshake within header_timeout (a failure is counted and closes it).
  std::string tls_cert;  // the certificate chain, leaf first
  std::string tls_key;
};

// Why a listener refused a connection or a request before its handler saw it.
enum class Refusal { too_many_connections, rate_limited };

// What a listener serves.
class RequestHandler {
 public:
  virtual ~RequestHandler() = default;
  virtual boost::asio::awaitable<Response> handle(Request req) = 0;
  // The listener is shutting down: new requests get 503.
  virtual void set_draining() = 0;
  // The answer to a connection or request the listener's limits refused;
  // `target`: the refused request's, empty for a connection refused before
  // its first request was read.
  virtual Response refused(Refusal why, std::string_view target) const = 0;
};

class Server {
 public:
  // Makes the handler, which may keep a reference to the server's stats.
  using HandlerFactory = std::function<std::shared_ptr<RequestHandler>(ApiStats& stats)>;

  // The local API: a Router. `tasks`: where exceptions that end sessions are
  // reported (may be null).
  Server(boost::asio::io_context& ioc, ApiConfig config, RouterConfig router_config, node::NodeHandle node,
         std::shared_ptr<spdlog::logger> log, std::shared_ptr<core::TaskReporter> tasks = nullptr);
  // Any handler; `json` bounds the WebSocket frames of its streams.
  Server(boost::asio::io_context& ioc, ApiConfig config, HandlerFactory make_handler, JsonLimits json,
         node::NodeHandle node, std::shared_ptr<spdlog::logger> log, std::shared_ptr<core::TaskReporter> tasks);
  ~Server();

  // Binds and listens. Returns the bound port. `why` explains a failure.
  Result<std::uint16_t> listen(std::string& why);
  // Starts accepting (REQUIRES listen() succeeded).
  void start();
  // Graceful shutdown as described above; completes when all sessions have
  // ended or `deadline` has passed.
  boost::asio::awaitable<void> shutdown(std::chrono::milliseconds deadline);

  const ApiStats& stats() const;

 private:
  struct Impl;
  template <class Stream>
  friend struct Session;
  std::shared_ptr<Impl> impl_;
};

}  // namespace agentmesh::api
