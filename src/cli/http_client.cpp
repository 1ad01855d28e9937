#include "cli/http_client.hpp"

#include <poll.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cerrno>
#include <optional>

namespace agentmesh::cli {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

Result<beast::tcp_stream> connect(asio::io_context& ioc, const std::string& host, std::uint16_t port) {
  beast::error_code ec;
  const auto addr = asio::ip::make_address(host, ec);
  // basic_stream is constructible from anything, so the error is placed explicitly.
  if (ec) return Result<beast::tcp_stream>(boost::system::in_place_error, ec);
  beast::tcp_stream stream(ioc);
  stream.connect(tcp::endpoint(addr, port), ec);
  if (ec) return Result<beast::tcp_stream>(boost::system::in_place_error, ec);
  return stream;
}

http::request<http::string_body> make_request(std::string_view method, std::string_view target, const std::string& host,
                                              const std::string& token,
                                              const std::map<std::string, std::string>& extra) {
  http::request<http::string_body> req;
  req.method_string(method);
  req.target(target);
  req.version(11);
  req.set(http::field::host, host);
  req.set(http::field::user_agent, "agentmesh-cli/" AGENTMESH_VERSION);
  if (!token.empty()) req.set(http::field::authorization, "Bearer " + token);
  for (const auto& [k, v] : extra) req.set(k, v);
  return req;
}

}  // namespace

struct HttpClient::Connection {
  asio::io_context ioc;
  std::optional<beast::tcp_stream> stream;
  beast::flat_buffer buffer;
};

HttpClient::HttpClient(std::string host, std::uint16_t port, std::string token, bool keep_alive)
    : host_(std::move(host)), port_(port), token_(std::move(token)), keep_alive_(keep_alive) {}

Result<HttpResponse> HttpClient::request(std::string_view method, std::string_view target, std::string_view body,
                                         std::string_view content_type,
                                         const std::map<std::string, std::string>& extra_headers) {
  if (!keep_alive_) {
    Connection c;
    return exchange(c, method, target, body, content_type, extra_headers);
  }
  if (!kept_) kept_ = std::make_shared<Connection>();
  auto r = exchange(*kept_, method, target, body, content_type, extra_headers);
  if (!r || !kept_->stream) kept_.reset();  // failed or closed: the next request connects again
  return r;
}

Result<HttpResponse> HttpClient::exchange(Connection& c, std::string_view method, std::string_view target,
                                          std::string_view body, std::string_view content_type,
                                          const std::map<std::string, std::string>& extra_headers) {
  if (!c.stream) {
    auto stream = connect(c.ioc, host_, port_);
    if (!stream) return stream.error();
    c.stream.emplace(std::move(*stream));
  }
  auto req = make_request(method, target, host_, token_, extra_headers);
  if (!body.empty() || method == "POST" || method == "PATCH") {
    req.set(http::field::content_type, content_type);
    req.body() = std::string(body);
  }
  req.keep_alive(keep_alive_);
  req.prepare_payload();
  beast::error_code ec;
  http::write(*c.stream, req, ec);
  if (ec) return ec;
  http::response_parser<http::string_body> parser;
  parser.body_limit(64 << 20);
  http::read(*c.stream, c.buffer, parser, ec);
  if (ec) return ec;
  HttpResponse out;
  out.status = static_cast<int>(parser.get().result_int());
  out.body = std::move(parser.get().body());
  for (const auto& f : parser.get()) {
    std::string name(f.name_string());
    for (auto& ch : name) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    out.headers[name] = std::string(f.value());
  }
  if (!keep_alive_ || !parser.get().keep_alive()) {
    c.stream->socket().shutdown(tcp::socket::shutdown_both, ec);
    c.stream.reset();
  }
  return out;
}

Result<int> HttpClient::stream(std::string_view target, const std::map<std::string, std::string>& extra_headers,
                               const std::function<bool(std::string_view)>& on_data, std::string& error_body,
                               const std::function<bool()>& on_idle, std::chrono::milliseconds idle_tick) {
  asio::io_context ioc;
  auto stream = connect(ioc, host_, port_);
  if (!stream) return stream.error();
  auto req = make_request("GET", target, host_, token_, extra_headers);
  req.set(http::field::accept, "text/event-stream");
  beast::error_code ec;
  http::write(*stream, req, ec);
  if (ec) return ec;
  beast::flat_buffer buf;
  http::response_parser<http::empty_body> head;
  http::read_header(*stream, buf, head, ec);
  if (ec) return ec;
  const int status = static_cast<int>(head.get().result_int());
  if (status < 200 || status >= 300) {
    // An error response has a normal (Content-Length) body: read it whole.
    http::response_parser<http::string_body> full(std::move(head));
    http::read(*stream, buf, full, ec);
    error_body = full.get().body();
    return status;
  }
  // The event stream is close-delimited: bytes already buffered, then raw reads.
  if (buf.size() > 0) {
    const auto data = beast::buffers_to_string(buf.data());
    buf.consume(buf.size());
    if (!on_data(data)) return status;
  }
  char chunk[8192];
  for (;;) {
    if (on_idle) {
      // Wait for bytes at most one tick at a time, so the caller can stop.
      pollfd p{stream->socket().native_handle(), POLLIN, 0};
      const int ready = ::poll(&p, 1, static_cast<int>(idle_tick.count()));
      if (ready < 0 && errno == EINTR) continue;
      if (ready == 0) {
        if (!on_idle()) break;
        continue;
      }
    }
    const auto n = stream->socket().read_some(asio::buffer(chunk), ec);
    if (n > 0 && !on_data(std::string_view(chunk, n))) break;
    if (ec) break;  // EOF: the server ended the stream
  }
  return status;
}

}  // namespace agentmesh::cli
