#include "api/server.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/json/serialize.hpp>
#include <array>
#include <deque>
#include <fmt/format.h>
#include <unordered_set>

#include "api/error.hpp"
#include "api/error_table.hpp"

namespace agentmesh::api {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace json = boost::json;
using tcp = asio::ip::tcp;
using asio::use_awaitable;
constexpr auto kTuple = asio::as_tuple(use_awaitable);
constexpr std::size_t kStreamBatch = 256;
constexpr std::size_t kMaxWsMessage = 64 * 1024;

// What the server can do to a live session at shutdown.
struct SessionCtl {
  std::function<void()> stop;  // graceful: finish the request in flight / end the stream
  std::function<void()> kill;  // at the deadline: close the socket
  bool busy = false;
};

bool benign(const beast::error_code& ec) {
  return ec == http::error::end_of_stream || ec == asio::error::operation_aborted || ec == beast::error::timeout ||
         ec == asio::error::connection_reset || ec == asio::error::eof || ec == asio::error::broken_pipe ||
         ec == websocket::error::closed;
}

}  // namespace

struct Server::Impl : std::enable_shared_from_this<Impl> {
  Impl(asio::io_context& io, ApiConfig c, RouterConfig rc, node::NodeHandle n, std::shared_ptr<spdlog::logger> l)
      : ioc(io), cfg(std::move(c)), node(n), router(n, std::move(rc), stats), acceptor(io), log(std::move(l)) {}

  asio::io_context& ioc;
  ApiConfig cfg;
  node::NodeHandle node;
  ApiStats stats;
  Router router;
  tcp::acceptor acceptor;
  std::shared_ptr<spdlog::logger> log;
  std::unordered_set<SessionCtl*> sessions;
  bool draining = false;

  asio::awaitable<void> accept_loop();
  asio::awaitable<void> reject(tcp::socket sock);
  asio::awaitable<void> run_session(tcp::socket sock);
  asio::awaitable<void> linger_close(beast::tcp_stream& stream);
  asio::awaitable<void> run_sse(beast::tcp_stream& stream, const Response& resp, SessionCtl& ctl);
  asio::awaitable<void> run_ws(beast::tcp_stream stream, http::request<http::string_body> req, const Response& resp,
                               SessionCtl& ctl);

  http::response<http::string_body> to_beast(const Response& r, unsigned version, bool keep_alive) const {
    http::response<http::string_body> res{static_cast<http::status>(r.status), version};
    res.set(http::field::server, "agentmesh/" AGENTMESH_VERSION);
    res.set(http::field::content_type, r.content_type);
    res.set(http::field::cache_control, "no-store");
    for (const auto& [k, v] : r.headers) res.set(k, v);
    res.body() = r.body;
    res.keep_alive(keep_alive);
    res.prepare_payload();
    return res;
  }
};

// Releases an agent's stream slot and watcher whatever way the stream ends.
class StreamGuard {
 public:
  StreamGuard(node::NodeHandle node, core::AgentId agent, std::function<void()> wake) : node_(node), agent_(agent) {
    if (auto n = node_.lock()) token_ = n->watch(agent_, std::move(wake));
  }
  ~StreamGuard() {
    if (auto n = node_.lock()) {
      n->unwatch(agent_, token_);
      n->close_stream(agent_);
    }
  }
  StreamGuard(const StreamGuard&) = delete;
  StreamGuard& operator=(const StreamGuard&) = delete;

 private:
  node::NodeHandle node_;
  core::AgentId agent_;
  std::uint64_t token_ = 0;
};

asio::awaitable<void> Server::Impl::accept_loop() {
  auto self = shared_from_this();
  for (;;) {
    auto [ec, sock] = co_await acceptor.async_accept(kTuple);
    if (ec) {
      if (ec == asio::error::operation_aborted || !acceptor.is_open()) co_return;
      log->warn("accept failed: {}", ec.message());
      asio::steady_timer backoff(ioc, std::chrono::milliseconds(50));  // e.g. EMFILE: do not spin
      co_await backoff.async_wait(kTuple);
      continue;
    }
    ++stats.connections_total;
    if (sessions.size() >= cfg.max_connections) {
      ++stats.connections_rejected;
      asio::co_spawn(ioc, reject(std::move(sock)), asio::detached);
      continue;
    }
    asio::co_spawn(ioc, run_session(std::move(sock)), [self](std::exception_ptr e) {
      if (!e) return;
      try {
        std::rethrow_exception(e);
      } catch (const std::exception& ex) {
        self->log->error("HTTP session ended by exception: {}", ex.what());
      }
    });
  }
}

asio::awaitable<void> Server::Impl::reject(tcp::socket sock) {
  beast::tcp_stream stream(std::move(sock));
  stream.expires_after(std::chrono::seconds(2));
  auto res = to_beast(error_response(error::too_many_connections), 11, false);
  co_await http::async_write(stream, res, kTuple);
  beast::error_code ec;
  stream.socket().shutdown(tcp::socket::shutdown_both, ec);
}

asio::awaitable<void> Server::Impl::run_session(tcp::socket sock) {
  auto self = shared_from_this();
  beast::tcp_stream stream(std::move(sock));
  SessionCtl ctl;
  ctl.stop = [&] {
    if (!ctl.busy) stream.socket().cancel();
  };
  ctl.kill = [&] {
    beast::error_code ec;
    stream.socket().close(ec);
  };
  sessions.insert(&ctl);
  ++stats.connections_open;
  struct Leave {
    Impl& impl;
    SessionCtl* ctl;
    ~Leave() {
      impl.sessions.erase(ctl);
      --impl.stats.connections_open;
    }
  } leave{*this, &ctl};

  beast::flat_buffer buffer;
  while (!draining) {
    http::request_parser<http::string_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(cfg.max_header_bytes));
    parser.body_limit(cfg.max_body_bytes);
    stream.expires_after(cfg.idle_timeout);
    auto [ec, n] = co_await http::async_read(stream, buffer, parser, kTuple);
    if (ec) {
      if (benign(ec) || draining) co_return;
      ++stats.bad_requests;
      const error_code api_ec = ec == http::error::body_limit     ? error_code(error::body_too_large)
                                : ec == http::error::header_limit ? error_code(error::headers_too_large)
                                                                  : error_code(error::bad_request);
      Response resp = error_response(api_ec, api_ec == error::bad_request ? fmt::format("malformed HTTP: {}", ec.message())
                                                                          : std::string());
      ++stats.requests[{"unparsed", resp.status}];
      auto res = to_beast(resp, 11, false);
      stream.expires_after(cfg.write_timeout);
      co_await http::async_write(stream, res, kTuple);
      co_await linger_close(stream);
      co_return;
    }
    ctl.busy = true;
    auto& req = parser.get();
    const unsigned version = req.version();
    const bool keep_alive = req.keep_alive();
    Request r;
    r.method = std::string(req.method_string());
    r.target = std::string(req.target());
    r.authorization = std::string(req[http::field::authorization]);
    r.content_type = std::string(req[http::field::content_type]);
    r.last_event_id = std::string(req["Last-Event-ID"]);
    r.websocket_upgrade = websocket::is_upgrade(req);
    r.body = std::move(req.body());

    Response resp = co_await router.handle(std::move(r));
    ++stats.requests[{resp.route, resp.kind == Response::Kind::websocket ? 101 : resp.status}];
    if (resp.kind == Response::Kind::sse) {
      co_await run_sse(stream, resp, ctl);
      co_return;
    }
    if (resp.kind == Response::Kind::websocket) {
      co_await run_ws(std::move(stream), parser.release(), resp, ctl);
      co_return;
    }
    auto res = to_beast(resp, version, keep_alive && !draining);
    stream.expires_after(cfg.write_timeout);
    auto [wec, wn] = co_await http::async_write(stream, res, kTuple);
    ctl.busy = false;
    if (wec || !res.keep_alive()) break;
  }
  beast::error_code ec;
  stream.socket().shutdown(tcp::socket::shutdown_send, ec);
}

// After answering a request we stopped reading (413, 431, 400), the client
// may still be sending its body. Closing now would reset the connection and
// destroy our answer in flight, so read and discard for a bounded time and
// amount before closing.
asio::awaitable<void> Server::Impl::linger_close(beast::tcp_stream& stream) {
  constexpr std::size_t kMaxDiscard = 64 << 20;
  beast::error_code ec;
  stream.socket().shutdown(tcp::socket::shutdown_send, ec);
  stream.expires_after(std::chrono::seconds(2));
  std::array<char, 16384> sink;
  for (std::size_t total = 0; total < kMaxDiscard;) {
    auto [rec, n] = co_await stream.async_read_some(asio::buffer(sink), kTuple);
    if (rec) break;
    total += n;
  }
  stream.socket().close(ec);
}

asio::awaitable<void> Server::Impl::run_sse(beast::tcp_stream& stream, const Response& resp, SessionCtl& ctl) {
  const auto agent = resp.stream_agent;
  core::Seq after = resp.stream_after;
  // Shared with the disconnect watcher below, which may complete after this
  // coroutine has returned.
  struct Watch {
    explicit Watch(asio::io_context& io) : wake(io) {}
    asio::steady_timer wake;
    bool peer_gone = false;
    std::array<char, 512> sink{};
  };
  auto watch = std::make_shared<Watch>(ioc);
  auto& wake = watch->wake;
  bool stop = false;
  ctl.stop = [&] {
    stop = true;
    wake.cancel();
  };
  StreamGuard guard(node, agent, [&] { wake.cancel(); });
  // An SSE client sends nothing after its request, so any read completion
  // (EOF, reset, stray bytes) means it is gone: end the stream now rather
  // than at the next heartbeat write. Reads bypass tcp_stream's timeouts.
  stream.socket().async_read_some(asio::buffer(watch->sink), [watch](const beast::error_code&, std::size_t) {
    watch->peer_gone = true;
    watch->wake.cancel();
  });

  // Close-delimited body: no Content-Length, no chunking; every client
  // (EventSource, curl, Python http.client) reads it as a stream.
  http::response<http::empty_body> head{http::status::ok, 11};
  head.set(http::field::server, "agentmesh/" AGENTMESH_VERSION);
  head.set(http::field::content_type, "text/event-stream");
  head.set(http::field::cache_control, "no-cache");
  head.set(http::field::connection, "close");
  head.set("X-Accel-Buffering", "no");
  http::response_serializer<http::empty_body> sr{head};
  stream.expires_after(cfg.write_timeout);
  if (auto [ec, n] = co_await http::async_write_header(stream, sr, kTuple); ec) co_return;

  auto send = [&](std::string text) -> asio::awaitable<bool> {
    stream.expires_after(cfg.write_timeout);
    auto [ec, n] = co_await asio::async_write(stream, asio::buffer(text), kTuple);
    co_return !ec;
  };
  // retry: tells EventSource how long to wait before reconnecting.
  if (!co_await send("retry: 1000\n\n")) co_return;

  for (;;) {
    if (watch->peer_gone) break;
    if (stop) {
      co_await send("event: shutdown\ndata: {\"reason\":\"daemon stopping\"}\n\n");
      break;
    }
    auto n = node.lock();
    if (!n) break;
    auto batch = n->read_inbox(agent, after, kStreamBatch);
    n.reset();
    if (!batch) {
      const auto info = lookup_error(batch.error());
      co_await send(fmt::format("event: closed\ndata: {{\"reason\":\"{}\"}}\n\n", info.code));
      break;
    }
    if (!batch->empty()) {
      std::string text;
      for (const auto& m : *batch) {
        text += fmt::format("id: {}\nevent: message\ndata: {}\n\n", m.seq.value, json::serialize(inbox_json(m)));
        after = m.seq;
      }
      stats.sse_events += batch->size();
      if (!co_await send(std::move(text))) break;
      continue;
    }
    wake.expires_after(cfg.stream_heartbeat);
    auto [ec] = co_await wake.async_wait(kTuple);
    if (!ec && !co_await send(": heartbeat\n\n")) break;
  }
  beast::error_code ec;
  stream.socket().shutdown(tcp::socket::shutdown_send, ec);
  stream.socket().cancel(ec);  // completes the watcher if still pending
}

asio::awaitable<void> Server::Impl::run_ws(beast::tcp_stream stream, http::request<http::string_body> req,
                                           const Response& resp, SessionCtl& ctl) {
  using namespace asio::experimental::awaitable_operators;
  const auto agent = resp.stream_agent;
  core::Seq after = resp.stream_after;
  websocket::stream<beast::tcp_stream> ws(std::move(stream));
  beast::get_lowest_layer(ws).expires_never();
  auto timeouts = websocket::stream_base::timeout::suggested(beast::role_type::server);
  timeouts.idle_timeout = cfg.stream_heartbeat * 4;
  timeouts.keep_alive_pings = true;
  ws.set_option(timeouts);
  ws.read_message_max(kMaxWsMessage);
  ws.set_option(websocket::stream_base::decorator(
      [](websocket::response_type& res) { res.set(http::field::server, "agentmesh/" AGENTMESH_VERSION); }));

  asio::steady_timer wake(ioc);
  bool stop = false;
  bool closed = false;
  std::deque<std::string> replies;  // acks/errors for the client; at most one per read, drained before messages
  ctl.stop = [&] {
    stop = true;
    wake.cancel();
  };
  ctl.kill = [&] {
    beast::error_code ec;
    beast::get_lowest_layer(ws).socket().close(ec);
  };
  StreamGuard guard(node, agent, [&] { wake.cancel(); });

  if (auto [ec] = co_await ws.async_accept(req, kTuple); ec) co_return;
  ws.text(true);

  auto reader = [&]() -> asio::awaitable<void> {
    for (;;) {
      beast::flat_buffer buf;
      auto [ec, n] = co_await ws.async_read(buf, kTuple);
      if (ec) break;
      std::string why;
      const auto text = beast::buffers_to_string(buf.data());
      auto seq = parse_ws_ack(text, router.config().json, why);
      json::object reply;
      if (!seq) {
        const auto info = lookup_error(seq.error());
        reply["type"] = "error";
        reply["error"] = info.code;
        reply["message"] = why.empty() ? seq.error().message() : why;
      } else if (auto n2 = node.lock()) {
        auto cursor = co_await n2->ack(agent, *seq);
        if (cursor) {
          reply["type"] = "acked";
          reply["acked_seq"] = cursor->acked.value;
        } else {
          const auto info = lookup_error(cursor.error());
          reply["type"] = "error";
          reply["error"] = info.code;
          reply["message"] = cursor.error().message();
        }
      } else {
        break;
      }
      replies.push_back(json::serialize(reply));
      wake.cancel();
    }
    closed = true;
    wake.cancel();
  };

  auto writer = [&]() -> asio::awaitable<void> {
    auto write = [&](const std::string& text) -> asio::awaitable<bool> {
      auto [ec, n] = co_await ws.async_write(asio::buffer(text), kTuple);
      co_return !ec;
    };
    for (;;) {
      if (closed) co_return;
      if (stop) {
        co_await ws.async_close(websocket::close_reason(websocket::close_code::going_away, "daemon stopping"),
                                kTuple);
        co_return;
      }
      while (!replies.empty()) {
        auto text = std::move(replies.front());
        replies.pop_front();
        if (!co_await write(text)) co_return;
      }
      auto n = node.lock();
      if (!n) co_return;
      auto batch = n->read_inbox(agent, after, kStreamBatch);
      n.reset();
      if (!batch) {
        co_await ws.async_close(websocket::close_reason(websocket::close_code::policy_error,
                                                        std::string(lookup_error(batch.error()).code)),
                                kTuple);
        co_return;
      }
      if (!batch->empty()) {
        for (const auto& m : *batch) {
          auto o = inbox_json(m);
          o["type"] = "message";
          if (!co_await write(json::serialize(o))) co_return;
          after = m.seq;
          ++stats.ws_messages;
          if (stop || closed) break;
        }
        continue;
      }
      if (!replies.empty()) continue;
      wake.expires_after(cfg.stream_heartbeat);
      co_await wake.async_wait(kTuple);
    }
  };

  co_await (reader() && writer());
}

Server::Server(asio::io_context& ioc, ApiConfig config, RouterConfig router_config, node::NodeHandle node,
               std::shared_ptr<spdlog::logger> log)
    : impl_(std::make_shared<Impl>(ioc, std::move(config), std::move(router_config), node, std::move(log))) {}

Server::~Server() {
  beast::error_code ec;
  impl_->acceptor.close(ec);
}

Result<std::uint16_t> Server::listen(std::string& why) {
  auto& cfg = impl_->cfg;
  beast::error_code ec;
  const auto addr = asio::ip::make_address(cfg.host, ec);
  if (ec) {
    why = fmt::format("API host \"{}\" is not an IP address", cfg.host);
    return make_error_code(boost::system::errc::invalid_argument);
  }
  if (!addr.is_loopback()) {
    why = fmt::format("the API binds to loopback addresses only (127.0.0.1 or ::1), not {}", cfg.host);
    return make_error_code(boost::system::errc::invalid_argument);
  }
  const tcp::endpoint ep(addr, cfg.port);
  auto& acc = impl_->acceptor;
  acc.open(ep.protocol(), ec);
  if (!ec) acc.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acc.bind(ep, ec);
  if (!ec) acc.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    why = fmt::format("cannot listen on {}:{}: {}", cfg.host, cfg.port, ec.message());
    return ec;
  }
  return acc.local_endpoint().port();
}

void Server::start() {
  auto impl = impl_;
  asio::co_spawn(impl->ioc, impl->accept_loop(), [impl](std::exception_ptr e) {
    if (e) impl->log->error("accept loop ended by exception");
  });
}

asio::awaitable<void> Server::shutdown(std::chrono::milliseconds deadline) {
  auto impl = impl_;
  impl->draining = true;
  impl->router.set_draining();
  beast::error_code ec;
  impl->acceptor.close(ec);
  for (auto* s : std::vector<SessionCtl*>(impl->sessions.begin(), impl->sessions.end())) s->stop();
  const auto end = std::chrono::steady_clock::now() + deadline;
  asio::steady_timer t(impl->ioc);
  while (!impl->sessions.empty() && std::chrono::steady_clock::now() < end) {
    t.expires_after(std::chrono::milliseconds(10));
    co_await t.async_wait(kTuple);
  }
  if (!impl->sessions.empty()) {
    impl->log->warn("shutdown deadline passed with {} connections open; closing them", impl->sessions.size());
    for (auto* s : std::vector<SessionCtl*>(impl->sessions.begin(), impl->sessions.end())) s->kill();
    const auto grace = std::chrono::steady_clock::now() + std::chrono::milliseconds(500);
    while (!impl->sessions.empty() && std::chrono::steady_clock::now() < grace) {
      t.expires_after(std::chrono::milliseconds(10));
      co_await t.async_wait(kTuple);
    }
  }
}

const ApiStats& Server::stats() const { return impl_->stats; }

}  // namespace agentmesh::api
