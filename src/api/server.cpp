// api/server: the listener and the HTTP/1.1 session loop (keep-alive and
// pipelining); streams run in api/stream_session.cpp.

#include "api/server.hpp"

#include <fmt/format.h>

#include <array>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket/rfc6455.hpp>
#include <optional>
#include <unordered_map>
#include <unordered_set>

#include "api/error.hpp"
#include "api/error_table.hpp"
#include "api/http_response.hpp"
#include "api/pipeline.hpp"
#include "api/stream_session.hpp"
#include "core/awaitable.hpp"
#include "core/spawn.hpp"

namespace agentmesh::api {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using asio::use_awaitable;
using core::kTuple;
// Ready responses written together once this many bytes are gathered.
constexpr std::size_t kMaxWriteBatch = 64 * 1024;
// Requests one connection may have queued or in progress (HTTP pipelining).
constexpr std::size_t kMaxPipeline = 64;
// Per-address entries past which idle ones are swept (both limits add entries).
constexpr std::size_t kMaxAddresses = 4096;

bool benign(const beast::error_code& ec) {
  return ec == http::error::end_of_stream || ec == asio::error::operation_aborted || ec == beast::error::timeout ||
         ec == asio::error::connection_reset || ec == asio::error::eof || ec == asio::error::broken_pipe;
}

asio::awaitable<void> wait_forever(asio::steady_timer& t) {
  t.expires_at(asio::steady_timer::time_point::max());
  co_await t.async_wait(kTuple);
}

Request request_of(http::request<http::string_body>& req, const std::string& remote) {
  Request r;
  r.method = std::string(req.method_string());
  r.target = std::string(req.target());
  r.authorization = std::string(req[http::field::authorization]);
  r.content_type = std::string(req[http::field::content_type]);
  r.last_event_id = std::string(req["Last-Event-ID"]);
  r.host = std::string(req[http::field::host]);
  r.accept = std::string(req[http::field::accept]);
  r.a2a_version = std::string(req["A2A-Version"]);
  r.remote = remote;
  r.cookie = std::string(req[http::field::cookie]);
  r.origin = std::string(req[http::field::origin]);
  r.csrf_token = std::string(req["X-CSRF-Token"]);
  r.websocket_upgrade = beast::websocket::is_upgrade(req);
  r.body = std::move(req.body());
  return r;
}

// The local API's Router as the server's handler.
class RouterHandler final : public RequestHandler {
 public:
  RouterHandler(node::NodeHandle n, RouterConfig rc, ApiStats& stats) : router_(std::move(n), std::move(rc), stats) {}
  asio::awaitable<Response> handle(Request req) override { return router_.handle(std::move(req)); }
  void set_draining() override { router_.set_draining(); }
  Response refused(Refusal why, std::string_view /*target*/) const override {
    return error_response(why == Refusal::rate_limited ? error_code(error::rate_limited)
                                                       : error_code(error::too_many_connections));
  }

 private:
  Router router_;
};

// A client address's open connections and request bucket.
struct AddressState {
  std::size_t connections = 0;
  double tokens = 0;
  std::chrono::steady_clock::time_point refilled;
};

}  // namespace

struct Server::Impl : std::enable_shared_from_this<Impl> {
  Impl(asio::io_context& io, ApiConfig c, const HandlerFactory& make_handler, JsonLimits j, node::NodeHandle n,
       std::shared_ptr<spdlog::logger> l, std::shared_ptr<core::TaskReporter> t)
      : ioc(io),
        cfg(std::move(c)),
        handler(make_handler(stats)),
        json(j),
        node(std::move(n)),
        acceptor(io),
        log(std::move(l)),
        tasks(std::move(t)) {}

  asio::io_context& ioc;
  ApiConfig cfg;
  ApiStats stats;
  std::shared_ptr<RequestHandler> handler;
  JsonLimits json;
  node::NodeHandle node;
  tcp::acceptor acceptor;
  std::shared_ptr<spdlog::logger> log;
  std::shared_ptr<core::TaskReporter> tasks;
  std::unordered_set<SessionCtl*> sessions;
  std::optional<asio::ssl::context> tls;  // with ApiConfig::tls_cert: every connection speaks TLS first
  std::size_t handshaking = 0;            // connections in their TLS handshake (count as connections)
  // Only with per-address limits: addresses with open connections or a
  // bucket not yet full again (swept when the map grows).
  std::unordered_map<std::string, AddressState> addresses;
  bool draining = false;

  // A request from `address` may go on (takes a token); false: over the rate.
  bool take_request(const std::string& address);
  void sweep_addresses();

  asio::awaitable<void> accept_loop();
  asio::awaitable<void> reject(tcp::socket sock, Refusal why);
  asio::awaitable<void> run_session(tcp::socket sock, std::string remote);
  template <class Stream>
  asio::awaitable<void> run_http(Stream stream, const std::string& remote);
  asio::awaitable<void> handle_pipelined(std::shared_ptr<Pipeline> p, std::shared_ptr<Pipeline::Slot> slot,
                                         Request req);
  StreamSettings stream_settings() const { return StreamSettings{cfg.stream_heartbeat, cfg.write_timeout, json}; }
};

// One HTTP connection: a reader and a writer coroutine over a Pipeline. The
// reader parses requests as they arrive. Sends (POST .../messages) run
// concurrently: they reach the store writer in arrival order, so many
// pipelined sends share one commit while keeping their order. Any other
// request first waits for everything before it to complete (read-your-writes),
// and a stream request for every response before it to be written. The writer
// sends responses strictly in request order.
//
// Stream: beast::tcp_stream, or TlsStream on a TLS listener; timeouts and
// socket operations go to the TCP stream under it.
template <class Stream>
struct Session {
  Session(Server::Impl& impl, Stream s, std::string remote)
      : impl(impl), stream(std::move(s)), p(std::make_shared<Pipeline>(impl.ioc)), remote(std::move(remote)) {}
  beast::tcp_stream& tcp() { return beast::get_lowest_layer(stream); }

  asio::awaitable<void> reader();
  asio::awaitable<void> writer();
  asio::awaitable<void> linger_close();
  asio::awaitable<beast::error_code> read_request(beast::flat_buffer& buffer,
                                                  http::request_parser<http::string_body>& parser);
  void bad_request(const beast::error_code& ec);

  Server::Impl& impl;
  Stream stream;
  std::shared_ptr<Pipeline> p;
  std::string remote;  // the client's address
  SessionCtl ctl;
  // A stream request ends the pipeline; it runs after reader and writer finish.
  std::optional<Response> stream_resp;
  std::optional<http::request<http::string_body>> stream_req;
};

// One request: an idle keep-alive connection may wait idle_timeout for its
// first byte; from then on the whole header must arrive within
// header_timeout (a client that starts a request and never finishes it is
// closed within seconds, not held for the idle timeout), and the body within
// idle_timeout. A timeout ends the connection without an answer.
template <class Stream>
asio::awaitable<beast::error_code> Session<Stream>::read_request(beast::flat_buffer& buffer,
                                                                 http::request_parser<http::string_body>& parser) {
  if (buffer.size() == 0) {
    tcp().expires_after(impl.cfg.idle_timeout);
    auto [ec, n] = co_await stream.async_read_some(buffer.prepare(4096), kTuple);
    if (ec) co_return ec;
    buffer.commit(n);
  }
  tcp().expires_after(impl.cfg.header_timeout);
  auto [ec, n] = co_await http::async_read_header(stream, buffer, parser, kTuple);
  if (ec == beast::error::timeout) ++impl.stats.header_timeouts;
  if (ec || parser.is_done()) co_return ec;
  tcp().expires_after(impl.cfg.idle_timeout);
  std::tie(ec, n) = co_await http::async_read(stream, buffer, parser, kTuple);
  co_return ec;
}

// An unparseable or over-limit request: answered, then the connection closes.
template <class Stream>
void Session<Stream>::bad_request(const beast::error_code& ec) {
  ++impl.stats.bad_requests;
  const error_code api_ec = ec == http::error::body_limit     ? error_code(error::body_too_large)
                            : ec == http::error::header_limit ? error_code(error::headers_too_large)
                                                              : error_code(error::bad_request);
  auto slot = std::make_shared<Pipeline::Slot>();
  slot->resp = error_response(
      api_ec, api_ec == error::bad_request ? fmt::format("malformed HTTP: {}", ec.message()) : std::string());
  ++impl.stats.requests[{"unparsed", slot->resp.status}];
  slot->keep_alive = false;
  slot->ready = true;
  p->linger = true;
  p->slots.push_back(slot);
}

template <class Stream>
asio::awaitable<void> Session<Stream>::reader() {
  beast::flat_buffer buffer;
  while (!impl.draining) {
    if (p->slots.size() >= kMaxPipeline) {
      co_await wait_forever(p->reader_wake);
      continue;
    }
    http::request_parser<http::string_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(impl.cfg.max_header_bytes));
    parser.body_limit(impl.cfg.max_body_bytes);
    auto ec = co_await read_request(buffer, parser);
    p->buffered = buffer.size();
    if (ec) {
      if (!benign(ec) && !impl.draining) bad_request(ec);
      break;
    }
    auto r = request_of(parser.get(), remote);
    if (!impl.take_request(remote)) {
      ++impl.stats.rate_limited;
      auto slot = std::make_shared<Pipeline::Slot>();
      slot->resp = impl.handler->refused(Refusal::rate_limited, r.target);
      ++impl.stats.requests[{"rate_limited", slot->resp.status}];
      slot->version = parser.get().version();
      slot->keep_alive = parser.get().keep_alive();
      slot->ready = true;
      p->slots.push_back(slot);
      p->wake();
      if (!slot->keep_alive) break;
      continue;
    }
    const std::string_view path = std::string_view(r.target).substr(0, r.target.find('?'));
    const bool send = r.method == "POST" && path.ends_with("/messages") && !r.websocket_upgrade;
    const bool maybe_stream = r.websocket_upgrade || path.ends_with("/events") || path.ends_with("/ws");
    auto slot = std::make_shared<Pipeline::Slot>();
    slot->version = parser.get().version();
    slot->keep_alive = parser.get().keep_alive();
    if (send) {
      p->slots.push_back(slot);
      ++p->in_flight;
      auto target = r.target;
      core::spawn(impl.ioc.get_executor(), impl.tasks, "http_request", std::move(target),
                  impl.handle_pipelined(p, slot, std::move(r)));
    } else {
      while (maybe_stream ? !p->slots.empty() : p->in_flight > 0) co_await wait_forever(p->reader_wake);
      ctl.busy = true;
      Response resp = co_await impl.handler->handle(std::move(r));
      ctl.busy = false;
      ++impl.stats.requests[{
          resp.route, resp.stream && resp.stream->framing == StreamRequest::Framing::websocket ? 101 : resp.status}];
      if (resp.stream) {
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
}

template <class Stream>
asio::awaitable<void> Session<Stream>::writer() {
  for (;;) {
    while (!p->slots.empty() && p->slots.front()->ready) {
      // Every ready response in order, in one write. While more requests
      // are in progress or already received, first a few turns of the event
      // loop, as long as they let them be parsed and answered, so one write
      // answers the run; a lone request is answered at once.
      for (int turn = 0; turn < 8 && (p->in_flight > 0 || p->buffered > 0); ++turn) {
        const auto before = std::pair(p->slots.size(), p->ready());
        co_await asio::post(impl.ioc, use_awaitable);
        if (std::pair(p->slots.size(), p->ready()) == before) break;
      }
      std::string out;
      const bool keep_alive = p->take_ready(out, kMaxWriteBatch, impl.draining);
      tcp().expires_after(impl.cfg.write_timeout);
      ctl.busy = true;
      auto [ec, n] = co_await asio::async_write(stream, asio::buffer(out), kTuple);
      ctl.busy = false;
      p->reader_wake.cancel();
      if (ec || !keep_alive) {
        if (!ec && p->linger) {
          co_await linger_close();
        } else {
          beast::error_code sec;
          tcp().socket().shutdown(tcp::socket::shutdown_send, sec);
          tcp().socket().cancel(sec);  // ends a read still pending in the reader
        }
        co_return;
      }
    }
    if (p->reader_done && p->slots.empty()) co_return;
    if (impl.draining && p->slots.empty()) {
      beast::error_code sec;
      tcp().socket().cancel(sec);  // the reader is idle in a read: end it
      co_return;
    }
    co_await wait_forever(p->writer_wake);
  }
}

// After answering a request we stopped reading (413, 431, 400), the client
// may still be sending its body. Closing now would reset the connection and
// destroy our answer in flight, so read and discard for a bounded time and
// amount before closing.
template <class Stream>
asio::awaitable<void> Session<Stream>::linger_close() {
  constexpr std::size_t kMaxDiscard = 64 << 20;
  beast::error_code ec;
  tcp().socket().shutdown(tcp::socket::shutdown_send, ec);
  tcp().expires_after(std::chrono::seconds(2));
  std::array<char, 16384> sink;
  for (std::size_t total = 0; total < kMaxDiscard;) {
    auto [rec, n] = co_await stream.async_read_some(asio::buffer(sink), kTuple);
    if (rec) break;
    total += n;
  }
  tcp().socket().close(ec);
}

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
    if (sessions.size() + handshaking >= cfg.max_connections) {
      ++stats.connections_rejected;
      core::spawn(ioc.get_executor(), tasks, "http_reject", {}, reject(std::move(sock), Refusal::too_many_connections));
      continue;
    }
    beast::error_code rec;
    const auto remote = sock.remote_endpoint(rec).address().to_string();
    if (cfg.max_connections_per_address > 0) {
      if (addresses.size() > kMaxAddresses) sweep_addresses();
      if (addresses[remote].connections >= cfg.max_connections_per_address) {
        ++stats.connections_rejected_per_address;
        core::spawn(ioc.get_executor(), tasks, "http_reject", {},
                    reject(std::move(sock), Refusal::too_many_connections));
        continue;
      }
    }
    core::spawn(ioc.get_executor(), tasks, "http_session", {}, [self, sock = std::move(sock), remote]() mutable {
      return self->run_session(std::move(sock), remote);
    });
  }
}

bool Server::Impl::take_request(const std::string& address) {
  if (cfg.requests_per_second_per_address <= 0) return true;
  if (addresses.size() > kMaxAddresses && !addresses.contains(address)) sweep_addresses();
  auto& a = addresses[address];
  const auto now = std::chrono::steady_clock::now();
  if (a.refilled == std::chrono::steady_clock::time_point{}) {
    a.tokens = cfg.request_burst_per_address;
  } else {
    const std::chrono::duration<double> elapsed = now - a.refilled;
    a.tokens =
        std::min(cfg.request_burst_per_address, a.tokens + elapsed.count() * cfg.requests_per_second_per_address);
  }
  a.refilled = now;
  if (a.tokens < 1) return false;
  a.tokens -= 1;
  return true;
}

// Forgets addresses with no connection whose bucket has refilled: they are
// where a new address starts. Bounds the map by the addresses active within
// one refill period.
void Server::Impl::sweep_addresses() {
  const auto now = std::chrono::steady_clock::now();
  std::erase_if(addresses, [&](const auto& kv) {
    const auto& a = kv.second;
    if (a.connections > 0) return false;
    if (cfg.requests_per_second_per_address <= 0) return true;
    const std::chrono::duration<double> elapsed = now - a.refilled;
    return a.tokens + elapsed.count() * cfg.requests_per_second_per_address >= cfg.request_burst_per_address;
  });
}

asio::awaitable<void> Server::Impl::reject(tcp::socket sock, Refusal why) {
  beast::tcp_stream stream(std::move(sock));
  stream.expires_after(std::chrono::seconds(2));
  auto res = to_beast(handler->refused(why, {}), 11, false);
  co_await http::async_write(stream, res, kTuple);
  beast::error_code ec;
  stream.socket().shutdown(tcp::socket::shutdown_both, ec);
}

asio::awaitable<void> Server::Impl::handle_pipelined(std::shared_ptr<Pipeline> p, std::shared_ptr<Pipeline::Slot> slot,
                                                     Request req) {
  auto self = shared_from_this();  // this handler may outlive its session
  slot->resp = co_await handler->handle(std::move(req));
  ++stats.requests[{slot->resp.route, slot->resp.status}];
  slot->ready = true;
  --p->in_flight;
  p->wake();
}

asio::awaitable<void> Server::Impl::run_session(tcp::socket sock, std::string remote) {
  auto self = shared_from_this();
  // Responses are small and often several go out back to back (pipelining,
  // stream events): without this, Nagle holds each one for the peer's delayed ACK.
  beast::error_code nodelay_ec;
  sock.set_option(tcp::no_delay(true), nodelay_ec);
  const bool counted = cfg.max_connections_per_address > 0;
  if (counted) ++addresses[remote].connections;
  struct Leave {
    Impl& impl;
    const std::string& remote;
    bool counted;
    ~Leave() {
      if (!counted) return;
      auto it = impl.addresses.find(remote);
      if (it != impl.addresses.end() && it->second.connections > 0) --it->second.connections;
    }
  } leave{*this, remote, counted};
  if (!tls) {
    co_await run_http(beast::tcp_stream(std::move(sock)), remote);
    co_return;
  }
  // The handshake must finish within the header timeout, as a request header must.
  TlsStream stream(beast::tcp_stream(std::move(sock)), *tls);
  beast::get_lowest_layer(stream).expires_after(cfg.header_timeout);
  ++handshaking;
  auto [ec] = co_await stream.async_handshake(asio::ssl::stream_base::server, kTuple);
  --handshaking;
  if (ec) {
    ++stats.tls_handshake_failures;
    beast::error_code cec;
    beast::get_lowest_layer(stream).socket().close(cec);
    co_return;
  }
  co_await run_http(std::move(stream), remote);
}

template <class Stream>
asio::awaitable<void> Server::Impl::run_http(Stream stream, const std::string& remote) {
  using namespace asio::experimental::awaitable_operators;
  Session<Stream> s(*this, std::move(stream), remote);
  s.ctl.stop = [&s] {
    // Idle: stop reading now. Otherwise the writer closes after the last response.
    if (s.p->slots.empty() && !s.ctl.busy) s.tcp().socket().cancel();
    s.p->wake();
  };
  s.ctl.kill = [&s] {
    beast::error_code ec;
    s.tcp().socket().close(ec);
  };
  sessions.insert(&s.ctl);
  ++stats.connections_open;
  struct Leave {
    Impl& impl;
    SessionCtl* ctl;
    ~Leave() {
      impl.sessions.erase(ctl);
      --impl.stats.connections_open;
    }
  } leave{*this, &s.ctl};

  co_await (s.reader() && s.writer());

  if (s.stream_resp) {
    const auto settings = stream_settings();
    co_await run_stream(std::move(s.stream), std::move(*s.stream_req), std::move(*s.stream_resp->stream), s.ctl,
                        settings, node, stats);
    co_return;
  }
  beast::error_code ec;
  s.tcp().socket().shutdown(tcp::socket::shutdown_send, ec);
}

Server::Server(asio::io_context& ioc, ApiConfig config, RouterConfig router_config, node::NodeHandle node,
               std::shared_ptr<spdlog::logger> log, std::shared_ptr<core::TaskReporter> tasks) {
  const auto json = router_config.json;
  HandlerFactory make = [node, rc = std::move(router_config)](ApiStats& stats) mutable {
    return std::make_shared<RouterHandler>(node, std::move(rc), stats);
  };
  impl_ = std::make_shared<Impl>(ioc, std::move(config), make, json, node, std::move(log), std::move(tasks));
}

Server::Server(asio::io_context& ioc, ApiConfig config, HandlerFactory make_handler, JsonLimits json,
               node::NodeHandle node, std::shared_ptr<spdlog::logger> log, std::shared_ptr<core::TaskReporter> tasks)
    : impl_(std::make_shared<Impl>(ioc, std::move(config), make_handler, json, std::move(node), std::move(log),
                                   std::move(tasks))) {}

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
  if (cfg.loopback_only && !addr.is_loopback()) {
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
  if (!cfg.tls_cert.empty()) {
    auto& tls = impl_->tls.emplace(asio::ssl::context::tls_server);
    tls.set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                    asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 | asio::ssl::context::no_tlsv1_1 |
                    asio::ssl::context::single_dh_use);
    tls.use_certificate_chain_file(cfg.tls_cert, ec);
    if (ec) {
      why = fmt::format("cannot load the TLS certificate chain {}: {}", cfg.tls_cert, ec.message());
      return ec;
    }
    tls.use_private_key_file(cfg.tls_key, asio::ssl::context::pem, ec);
    if (ec) {
      why = fmt::format("cannot load the TLS private key {} (for {}): {}", cfg.tls_key, cfg.tls_cert, ec.message());
      return ec;
    }
  }
  return acc.local_endpoint().port();
}

void Server::start() {
  auto impl = impl_;
  core::spawn(impl->ioc.get_executor(), impl->tasks, "http_accept", {}, [impl]() { return impl->accept_loop(); });
}

asio::awaitable<void> Server::shutdown(std::chrono::milliseconds deadline) {
  auto impl = impl_;
  impl->draining = true;
  impl->handler->set_draining();
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
