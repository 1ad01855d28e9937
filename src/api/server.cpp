#include "api/server.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
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
#include <optional>
#include <unordered_set>

#include "api/error.hpp"
#include "api/error_table.hpp"
#include "api/http_response.hpp"
#include "api/pipeline.hpp"

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
// Ready responses written together once this many bytes are gathered.
constexpr std::size_t kMaxWriteBatch = 64 * 1024;
constexpr std::size_t kMaxWsMessage = 64 * 1024;
// Requests one connection may have queued or in progress (HTTP pipelining).
constexpr std::size_t kMaxPipeline = 64;

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
  asio::awaitable<void> handle_pipelined(std::shared_ptr<Pipeline> p, std::shared_ptr<Pipeline::Slot> slot,
                                         Request req);
  asio::awaitable<void> linger_close(beast::tcp_stream& stream);
  asio::awaitable<void> run_sse(beast::tcp_stream& stream, const Response& resp, SessionCtl& ctl);
  asio::awaitable<void> run_topic_sse(beast::tcp_stream& stream, const Response& resp, SessionCtl& ctl);
  asio::awaitable<void> run_topic_ws(beast::tcp_stream stream, http::request<http::string_body> req,
                                     const Response& resp, SessionCtl& ctl);
  asio::awaitable<void> run_ws(beast::tcp_stream stream, http::request<http::string_body> req, const Response& resp,
                               SessionCtl& ctl);

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

asio::awaitable<void> Server::Impl::handle_pipelined(std::shared_ptr<Pipeline> p,
                                                     std::shared_ptr<Pipeline::Slot> slot, Request req) {
  auto self = shared_from_this();  // this handler may outlive its session
  slot->resp = co_await router.handle(std::move(req));
  ++stats.requests[{slot->resp.route, slot->resp.status}];
  slot->ready = true;
  --p->in_flight;
  p->wake();
}

// HTTP/1.1 with keep-alive and pipelining. The reader parses requests as they
// arrive. Sends (POST .../messages) run concurrently: they reach the store
// writer in arrival order, so many pipelined sends share one commit while
// keeping their order. Any other request first waits for everything before it
// to complete (read-your-writes), and a stream request for every response
// before it to be written. The writer sends responses strictly in request order.
asio::awaitable<void> Server::Impl::run_session(tcp::socket sock) {
  using namespace asio::experimental::awaitable_operators;
  auto self = shared_from_this();
  // Responses are small and often several go out back to back (pipelining,
  // stream events): without this, Nagle holds each one for the peer's delayed ACK.
  beast::error_code nodelay_ec;
  sock.set_option(tcp::no_delay(true), nodelay_ec);
  beast::tcp_stream stream(std::move(sock));
  auto p = std::make_shared<Pipeline>(ioc);
  SessionCtl ctl;
  ctl.stop = [&] {
    // Idle: stop reading now. Otherwise the writer closes after the last response.
    if (p->slots.empty() && !ctl.busy) stream.socket().cancel();
    p->wake();
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

  // A stream request ends the pipeline; it runs after reader and writer finish.
  std::optional<Response> stream_resp;
  std::optional<http::request<http::string_body>> stream_req;
  auto wait = [](asio::steady_timer& t) -> asio::awaitable<void> {
    t.expires_at(asio::steady_timer::time_point::max());
    co_await t.async_wait(kTuple);
  };

  auto reader = [&]() -> asio::awaitable<void> {
    beast::flat_buffer buffer;
    while (!draining) {
      if (p->slots.size() >= kMaxPipeline) {
        co_await wait(p->reader_wake);
        continue;
      }
      http::request_parser<http::string_body> parser;
      parser.header_limit(static_cast<std::uint32_t>(cfg.max_header_bytes));
      parser.body_limit(cfg.max_body_bytes);
      stream.expires_after(cfg.idle_timeout);
      auto [ec, n] = co_await http::async_read(stream, buffer, parser, kTuple);
      p->buffered = buffer.size();
      if (ec) {
        if (benign(ec) || draining) break;
        ++stats.bad_requests;
        const error_code api_ec = ec == http::error::body_limit     ? error_code(error::body_too_large)
                                  : ec == http::error::header_limit ? error_code(error::headers_too_large)
                                                                    : error_code(error::bad_request);
        auto slot = std::make_shared<Pipeline::Slot>();
        slot->resp = error_response(
            api_ec, api_ec == error::bad_request ? fmt::format("malformed HTTP: {}", ec.message()) : std::string());
        ++stats.requests[{"unparsed", slot->resp.status}];
        slot->keep_alive = false;
        slot->ready = true;
        p->linger = true;
        p->slots.push_back(slot);
        break;
      }
      auto& req = parser.get();
      Request r;
      r.method = std::string(req.method_string());
      r.target = std::string(req.target());
      r.authorization = std::string(req[http::field::authorization]);
      r.content_type = std::string(req[http::field::content_type]);
      r.last_event_id = std::string(req["Last-Event-ID"]);
      r.websocket_upgrade = websocket::is_upgrade(req);
      r.body = std::move(req.body());
      const std::string_view path = std::string_view(r.target).substr(0, r.target.find('?'));
      const bool send = r.method == "POST" && path.ends_with("/messages") && !r.websocket_upgrade;
      const bool maybe_stream = r.websocket_upgrade || path.ends_with("/events") || path.ends_with("/ws");
      auto slot = std::make_shared<Pipeline::Slot>();
      slot->version = req.version();
      slot->keep_alive = req.keep_alive();
      if (send) {
        p->slots.push_back(slot);
        ++p->in_flight;
        asio::co_spawn(ioc, handle_pipelined(p, slot, std::move(r)), asio::detached);
      } else {
        while (maybe_stream ? !p->slots.empty() : p->in_flight > 0) co_await wait(p->reader_wake);
        ctl.busy = true;
        Response resp = co_await router.handle(std::move(r));
        ctl.busy = false;
        const bool upgraded = resp.kind == Response::Kind::websocket || resp.kind == Response::Kind::topic_websocket;
        ++stats.requests[{resp.route, upgraded ? 101 : resp.status}];
        if (resp.kind != Response::Kind::normal) {
          stream_resp = std::move(resp);
          stream_req = parser.release();
          break;
        }
        slot->resp = std::move(resp);
        slot->ready = true;
        p->slots.push_back(slot);
      }
      p->wake();
      if (!slot->keep_alive) break;
    }
    p->reader_done = true;
    p->wake();
  };

  auto writer = [&]() -> asio::awaitable<void> {
    for (;;) {
      while (!p->slots.empty() && p->slots.front()->ready) {
        // Every ready response in order, in one write. While more requests
        // are in progress or already received, first a few turns of the
        // event loop, as long as they let them be parsed and answered, so one
        // write answers the run; a lone request is answered at once.
        for (int turn = 0; turn < 8 && (p->in_flight > 0 || p->buffered > 0); ++turn) {
          const auto before = std::pair(p->slots.size(), p->ready());
          co_await asio::post(ioc, use_awaitable);
          if (std::pair(p->slots.size(), p->ready()) == before) break;
        }
        std::string out;
        const bool keep_alive = p->take_ready(out, kMaxWriteBatch, draining);
        stream.expires_after(cfg.write_timeout);
        ctl.busy = true;
        auto [ec, n] = co_await asio::async_write(stream, asio::buffer(out), kTuple);
        ctl.busy = false;
        p->reader_wake.cancel();
        if (ec || !keep_alive) {
          if (!ec && p->linger) {
            co_await linger_close(stream);
          } else {
            beast::error_code sec;
            stream.socket().shutdown(tcp::socket::shutdown_send, sec);
            stream.socket().cancel(sec);  // ends a read still pending in the reader
          }
          co_return;
        }
      }
      if (p->reader_done && p->slots.empty()) co_return;
      if (draining && p->slots.empty()) {
        beast::error_code sec;
        stream.socket().cancel(sec);  // the reader is idle in a read: end it
        co_return;
      }
      co_await wait(p->writer_wake);
    }
  };

  co_await (reader() && writer());

  if (stream_resp && stream_resp->kind == Response::Kind::sse) {
    co_await run_sse(stream, *stream_resp, ctl);
    co_return;
  }
  if (stream_resp && stream_resp->kind == Response::Kind::topic_sse) {
    co_await run_topic_sse(stream, *stream_resp, ctl);
    co_return;
  }
  if (stream_resp && stream_resp->kind == Response::Kind::topic_websocket) {
    co_await run_topic_ws(std::move(stream), std::move(*stream_req), *stream_resp, ctl);
    co_return;
  }
  if (stream_resp && stream_resp->kind == Response::Kind::websocket) {
    co_await run_ws(std::move(stream), std::move(*stream_req), *stream_resp, ctl);
    co_return;
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

namespace {

// State an SSE stream shares with its disconnect watcher, which may complete
// after the stream's coroutine has returned.
struct SseWatch {
  explicit SseWatch(asio::io_context& io) : wake(io) {}
  asio::steady_timer wake;
  bool peer_gone = false;
  std::array<char, 512> sink{};
};

// An SSE client sends nothing after its request, so any read completion
// (EOF, reset, stray bytes) means it is gone: end the stream now rather than
// at the next heartbeat write. Reads bypass tcp_stream's timeouts.
void watch_sse_client(beast::tcp_stream& stream, const std::shared_ptr<SseWatch>& watch) {
  stream.socket().async_read_some(asio::buffer(watch->sink), [watch](const beast::error_code&, std::size_t) {
    watch->peer_gone = true;
    watch->wake.cancel();
  });
}

// The response head of an event stream. Close-delimited body: no
// Content-Length, no chunking; every client (EventSource, curl, Python
// http.client) reads it as a stream. False when the client is gone.
asio::awaitable<bool> write_sse_head(beast::tcp_stream& stream, std::chrono::seconds write_timeout) {
  http::response<http::empty_body> head{http::status::ok, 11};
  head.set(http::field::server, "agentmesh/" AGENTMESH_VERSION);
  head.set(http::field::content_type, "text/event-stream");
  head.set(http::field::cache_control, "no-cache");
  head.set(http::field::connection, "close");
  head.set("X-Accel-Buffering", "no");
  http::response_serializer<http::empty_body> sr{head};
  stream.expires_after(write_timeout);
  auto [ec, n] = co_await http::async_write_header(stream, sr, kTuple);
  co_return !ec;
}

// Server-side WebSocket options shared by every stream: keep-alive pings,
// an idle timeout of four heartbeats, the message size limit.
void configure_ws(websocket::stream<beast::tcp_stream>& ws, std::chrono::seconds heartbeat) {
  beast::get_lowest_layer(ws).expires_never();
  auto timeouts = websocket::stream_base::timeout::suggested(beast::role_type::server);
  timeouts.idle_timeout = heartbeat * 4;
  timeouts.keep_alive_pings = true;
  ws.set_option(timeouts);
  ws.read_message_max(kMaxWsMessage);
  ws.set_option(websocket::stream_base::decorator(
      [](websocket::response_type& res) { res.set(http::field::server, "agentmesh/" AGENTMESH_VERSION); }));
}

}  // namespace

asio::awaitable<void> Server::Impl::run_sse(beast::tcp_stream& stream, const Response& resp, SessionCtl& ctl) {
  const auto agent = resp.stream_agent;
  core::Seq after = resp.stream_after;
  auto watch = std::make_shared<SseWatch>(ioc);
  auto& wake = watch->wake;
  bool stop = false;
  ctl.stop = [&] {
    stop = true;
    wake.cancel();
  };
  StreamGuard guard(node, agent, [&] { wake.cancel(); });
  watch_sse_client(stream, watch);
  if (!co_await write_sse_head(stream, cfg.write_timeout)) co_return;

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

// A topic's live messages: no replay (they are not stored); a bounded queue
// per subscriber, and `event: gap` with the count when it overflowed.
asio::awaitable<void> Server::Impl::run_topic_sse(beast::tcp_stream& stream, const Response& resp, SessionCtl& ctl) {
  auto watch = std::make_shared<SseWatch>(ioc);
  auto n = node.lock();
  if (!n) co_return;
  auto subscribed = n->subscribe_topic(resp.stream_topic, [watch] { watch->wake.cancel(); });
  if (!subscribed) {
    auto err = error_response(subscribed.error());
    http::response<http::string_body> res{static_cast<http::status>(err.status), 11};
    res.set(http::field::content_type, "application/json");
    res.body() = err.body;
    res.prepare_payload();
    stream.expires_after(cfg.write_timeout);
    co_await http::async_write(stream, res, kTuple);
    co_return;
  }
  auto sub = *subscribed;
  n.reset();
  bool stop = false;
  ctl.stop = [&] {
    stop = true;
    watch->wake.cancel();
  };
  watch_sse_client(stream, watch);
  bool ok = co_await write_sse_head(stream, cfg.write_timeout);
  auto send = [&](std::string text) -> asio::awaitable<bool> {
    stream.expires_after(cfg.write_timeout);
    auto [ec, bytes] = co_await asio::async_write(stream, asio::buffer(text), kTuple);
    co_return !ec;
  };
  if (ok) ok = co_await send("retry: 1000\n\n");
  while (ok && !watch->peer_gone) {
    if (stop) {
      co_await send("event: shutdown\ndata: {\"reason\":\"daemon stopping\"}\n\n");
      break;
    }
    if (sub->dropped > 0) {
      std::string gap = fmt::format("event: gap\ndata: {{\"dropped\":{}}}\n\n", sub->dropped);
      sub->dropped = 0;
      if (!co_await send(std::move(gap))) break;
      continue;
    }
    if (!sub->queue.empty()) {
      std::string text;
      std::size_t count = 0;
      while (!sub->queue.empty() && count < kStreamBatch) {
        text += fmt::format("event: message\ndata: {}\n\n", json::serialize(topic_event_json(sub->queue.front())));
        sub->queue.pop_front();
        ++count;
      }
      stats.sse_events += count;
      if (!co_await send(std::move(text))) break;
      continue;
    }
    watch->wake.expires_after(cfg.stream_heartbeat);
    auto [ec] = co_await watch->wake.async_wait(kTuple);
    if (!ec && !co_await send(": heartbeat\n\n")) break;
  }
  if (auto n2 = node.lock()) n2->unsubscribe_topic(sub);
  beast::error_code ec;
  stream.socket().shutdown(tcp::socket::shutdown_send, ec);
  stream.socket().cancel(ec);
}

asio::awaitable<void> Server::Impl::run_ws(beast::tcp_stream stream, http::request<http::string_body> req,
                                           const Response& resp, SessionCtl& ctl) {
  using namespace asio::experimental::awaitable_operators;
  const auto agent = resp.stream_agent;
  core::Seq after = resp.stream_after;
  websocket::stream<beast::tcp_stream> ws(std::move(stream));
  configure_ws(ws, cfg.stream_heartbeat);

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

// A topic's live messages over WebSocket: {"type":"message", ...} and
// {"type":"gap","dropped":N}, like the SSE form. The client sends nothing
// (anything it sends is ignored); closing ends the subscription.
asio::awaitable<void> Server::Impl::run_topic_ws(beast::tcp_stream stream, http::request<http::string_body> req,
                                                 const Response& resp, SessionCtl& ctl) {
  using namespace asio::experimental::awaitable_operators;
  websocket::stream<beast::tcp_stream> ws(std::move(stream));
  configure_ws(ws, cfg.stream_heartbeat);
  asio::steady_timer wake(ioc);
  auto n = node.lock();
  if (!n) co_return;
  auto subscribed = n->subscribe_topic(resp.stream_topic, [&wake] { wake.cancel(); });
  n.reset();
  if (!subscribed) {
    auto err = error_response(subscribed.error());
    http::response<http::string_body> res{static_cast<http::status>(err.status), 11};
    res.set(http::field::content_type, "application/json");
    res.body() = err.body;
    res.prepare_payload();
    co_await http::async_write(beast::get_lowest_layer(ws), res, kTuple);
    co_return;
  }
  auto sub = *subscribed;
  bool stop = false;
  bool closed = false;
  ctl.stop = [&] {
    stop = true;
    wake.cancel();
  };
  ctl.kill = [&] {
    beast::error_code ec;
    beast::get_lowest_layer(ws).socket().close(ec);
  };
  if (auto [ec] = co_await ws.async_accept(req, kTuple); !ec) {
    ws.text(true);
    auto reader = [&]() -> asio::awaitable<void> {
      for (;;) {
        beast::flat_buffer buf;
        auto [ec2, bytes] = co_await ws.async_read(buf, kTuple);
        if (ec2) break;
      }
      closed = true;
      wake.cancel();
    };
    auto writer = [&]() -> asio::awaitable<void> {
      auto write = [&](const std::string& text) -> asio::awaitable<bool> {
        auto [ec2, bytes] = co_await ws.async_write(asio::buffer(text), kTuple);
        co_return !ec2;
      };
      while (!closed) {
        if (stop) {
          co_await ws.async_close(websocket::close_reason(websocket::close_code::going_away, "daemon stopping"),
                                  kTuple);
          co_return;
        }
        if (sub->dropped > 0) {
          json::object gap{{"type", "gap"}, {"dropped", sub->dropped}};
          sub->dropped = 0;
          if (!co_await write(json::serialize(gap))) co_return;
          continue;
        }
        if (!sub->queue.empty()) {
          auto o = topic_event_json(sub->queue.front());
          sub->queue.pop_front();
          o["type"] = "message";
          if (!co_await write(json::serialize(o))) co_return;
          ++stats.ws_messages;
          continue;
        }
        wake.expires_after(cfg.stream_heartbeat);
        co_await wake.async_wait(kTuple);
      }
    };
    co_await (reader() && writer());
  }
  if (auto n2 = node.lock()) n2->unsubscribe_topic(sub);
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
