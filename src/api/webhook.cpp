// api/webhook: the push notification client and its address rule.

#include "api/webhook.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <cctype>
#include <charconv>

#include "a2a/push.hpp"
#include "core/awaitable.hpp"

namespace agentmesh::api {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

using core::kTuple;
using Bytes = std::array<std::uint8_t, 16>;

Bytes bytes_of(const asio::ip::address& a) {
  if (a.is_v6()) return a.to_v6().to_bytes();
  return asio::ip::make_address_v6(asio::ip::v4_mapped, a.to_v4()).to_bytes();
}

bool in_network(const Bytes& b, const WebhookPolicy::Network& n) {
  for (unsigned bit = 0; bit < n.prefix; ++bit) {
    const auto mask = static_cast<std::uint8_t>(0x80u >> (bit % 8));
    if ((b[bit / 8] & mask) != (n.bytes[bit / 8] & mask)) return false;
  }
  return true;
}

std::optional<WebhookPolicy::Network> network_of(std::string_view cidr) {
  const auto slash = cidr.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  boost::system::error_code ec;
  const auto addr = asio::ip::make_address(std::string(cidr.substr(0, slash)), ec);
  if (ec) return std::nullopt;
  unsigned prefix = 0;
  const auto bits = cidr.substr(slash + 1);
  auto [end, err] = std::from_chars(bits.data(), bits.data() + bits.size(), prefix);
  if (err != std::errc() || end != bits.data() + bits.size() || prefix > (addr.is_v4() ? 32u : 128u)) {
    return std::nullopt;
  }
  return WebhookPolicy::Network{bytes_of(addr), addr.is_v4() ? prefix + 96 : prefix};
}

// The ranges refused unless allowed (webhook.hpp); loopback is allowed.
const std::vector<WebhookPolicy::Network>& forbidden_networks() {
  static const auto nets = [] {
    std::vector<WebhookPolicy::Network> out;
    for (const char* c : {"0.0.0.0/8",      "10.0.0.0/8",   "100.64.0.0/10",  "169.254.0.0/16", "172.16.0.0/12",
                          "192.0.0.0/24",   "192.0.2.0/24", "192.168.0.0/16", "198.18.0.0/15",  "198.51.100.0/24",
                          "203.0.113.0/24", "224.0.0.0/3",  "::/128",         "64:ff9b::/96",   "100::/64",
                          "2001:db8::/32",  "fc00::/7",     "fe80::/10",      "fec0::/10",      "ff00::/8"}) {
      out.push_back(*network_of(c));
    }
    return out;
  }();
  return nets;
}

std::string lower_case(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// The URL's host resolved, every address checked: the endpoints, or why not.
asio::awaitable<std::variant<std::vector<tcp::endpoint>, std::string>> resolve_checked(const WebhookPolicy& policy,
                                                                                       const a2a::WebhookUrl& url) {
  auto ex = co_await asio::this_coro::executor;
  tcp::resolver resolver(ex);
  auto [ec, results] =
      co_await resolver.async_resolve(url.host, std::to_string(url.port), tcp::resolver::numeric_service, kTuple);
  if (ec) co_return fmt::format("cannot resolve {}: {}", url.host, ec.message());
  std::vector<tcp::endpoint> out;
  for (const auto& r : results) {
    const auto addr = r.endpoint().address().to_string();
    if (!webhook_address_allowed(policy, url.host, addr)) {
      co_return fmt::format("{} resolves to {}, which is not a public address and [a2a] webhook_allow does not allow",
                            url.host, addr);
    }
    out.push_back(r.endpoint());
  }
  if (out.empty()) co_return fmt::format("{} resolves to no address", url.host);
  co_return out;
}

constexpr std::uint32_t kHeaderLimit = 64 * 1024;

// The answer's body: whole into out.body (bounded), or through the sink.
template <class Stream>
asio::awaitable<void> read_body(Stream& stream, const WebhookPolicy& policy, beast::flat_buffer& buffer,
                                http::response_parser<http::buffer_body>& parser, const BodySink& sink,
                                WebhookOutcome& out) {
  std::array<char, 16 * 1024> chunk{};
  while (!parser.is_done()) {
    parser.get().body().data = chunk.data();
    parser.get().body().size = chunk.size();
    beast::get_lowest_layer(stream).expires_after(sink ? policy.stream_idle : policy.timeout);
    // read_some: what has come, at once (an event stream's events as they are sent).
    auto [ec, n] = co_await http::async_read_some(stream, buffer, parser, kTuple);
    if (ec == http::error::need_buffer) ec = {};
    const auto got = chunk.size() - parser.get().body().size;
    if (sink) {
      if (got > 0) {
        const bool more = co_await sink(std::string_view(chunk.data(), got));
        if (!more) co_return;
      }
    } else if (out.body.size() + got > policy.max_response_bytes) {
      out.error = fmt::format("the answer is larger than {} bytes", policy.max_response_bytes);
      co_return;
    } else {
      out.body.append(chunk.data(), got);
    }
    if (ec) {
      out.error = fmt::format("reading the answer: {}", ec.message());
      co_return;
    }
  }
}

// A 2xx event stream goes to the sink (when there is one); anything else is read whole.
const BodySink* whole_or_sink(const WebhookOutcome& out, const BodySink* sink, const BodySink* whole) {
  if (sink != nullptr && out.ok() && out.content_type.starts_with("text/event-stream")) return sink;
  return whole;
}

template <class Stream>
asio::awaitable<WebhookOutcome> exchange(Stream& stream, const WebhookPolicy& policy, const a2a::WebhookUrl& url,
                                         const HttpRequest& call, const BodySink* sink, bool with_body) {
  const bool get = call.method == "GET";
  http::request<http::string_body> req{get ? http::verb::get : http::verb::post, url.target, 11};
  const bool default_port = url.port == (url.tls ? 443 : 80);
  const auto host = url.host.find(':') != std::string::npos ? "[" + url.host + "]" : url.host;
  req.set(http::field::host, default_port ? host : fmt::format("{}:{}", host, url.port));
  req.set(http::field::user_agent, "agentmesh/" AGENTMESH_VERSION);
  if (!get) req.set(http::field::content_type, call.content_type);
  if (!call.accept.empty()) req.set(http::field::accept, call.accept);
  req.set(http::field::connection, "close");
  for (const auto& [k, v] : call.headers) req.set(k, v);
  if (!get) req.body() = call.body;
  req.prepare_payload();
  WebhookOutcome out;
  out.sent = true;  // from the first byte written, the server may act on it
  beast::get_lowest_layer(stream).expires_after(policy.timeout);
  if (auto [ec, n] = co_await http::async_write(stream, req, kTuple); ec) {
    out.error = fmt::format("sending: {}", ec.message());
    co_return out;
  }
  beast::flat_buffer buffer;
  http::response_parser<http::buffer_body> parser;
  parser.header_limit(kHeaderLimit);
  parser.body_limit(boost::none);  // bounded by read_body
  if (auto [ec, n] = co_await http::async_read_header(stream, buffer, parser, kTuple); ec) {
    out.error = fmt::format("reading the answer: {}", ec.message());
    co_return out;
  }
  const auto& head = parser.get();
  out.status = static_cast<int>(head.result_int());
  out.content_type = std::string(head[http::field::content_type]);
  out.cache_control = std::string(head[http::field::cache_control]);
  if (!with_body) co_return out;
  const BodySink whole;  // empty: the body is read into out.body
  const BodySink* to = whole_or_sink(out, sink, &whole);
  co_await read_body(stream, policy, buffer, parser, *to, out);
  co_return out;
}

// Resolves, checks, connects (TLS for https://) and exchanges.
asio::awaitable<WebhookOutcome> call_url(const WebhookPolicy& policy, HttpRequest call, const BodySink* sink,
                                         bool with_body) {
  WebhookOutcome out;
  auto parsed = a2a::parse_webhook_url(call.url);
  if (auto* why = std::get_if<std::string>(&parsed)) {
    out.error = *why;
    co_return out;
  }
  const auto url = std::get<a2a::WebhookUrl>(parsed);
  auto checked = co_await resolve_checked(policy, url);
  if (auto* why = std::get_if<std::string>(&checked)) {
    out.refused = why->find("webhook_allow") != std::string::npos;
    out.error = *why;
    co_return out;
  }
  auto ex = co_await asio::this_coro::executor;
  beast::tcp_stream tcp_stream(ex);
  tcp_stream.expires_after(policy.timeout);
  if (auto [ec, ep] = co_await tcp_stream.async_connect(std::get<std::vector<tcp::endpoint>>(checked), kTuple); ec) {
    out.error = fmt::format("connecting to {}: {}", url.host, ec.message());
    co_return out;
  }
  if (!url.tls) co_return co_await exchange(tcp_stream, policy, url, call, sink, with_body);
  asio::ssl::context ctx(asio::ssl::context::tls_client);
  boost::system::error_code ec;
  if (policy.ca_file.empty()) {
    ctx.set_default_verify_paths(ec);
  } else {
    ctx.load_verify_file(policy.ca_file, ec);
  }
  if (ec) {
    out.error = fmt::format("loading the trusted certificates: {}", ec.message());
    co_return out;
  }
  ctx.set_verify_mode(asio::ssl::verify_peer);
  beast::ssl_stream<beast::tcp_stream> tls(std::move(tcp_stream), ctx);
  tls.set_verify_callback(asio::ssl::host_name_verification(url.host));
  boost::system::error_code literal;
  (void)asio::ip::make_address(url.host, literal);
  // SNI names a host by name; an address is never sent as one (RFC 6066).
  if (literal && !SSL_set_tlsext_host_name(tls.native_handle(), url.host.c_str())) {
    out.error = "setting the TLS server name failed";
    co_return out;
  }
  if (auto [hs] = co_await tls.async_handshake(asio::ssl::stream_base::client, kTuple); hs) {
    out.error = fmt::format("TLS with {}: {}", url.host, hs.message());
    co_return out;
  }
  co_return co_await exchange(tls, policy, url, call, sink, with_body);
}

}  // namespace

bool WebhookPolicy::allow(std::string_view entry, std::string& why) {
  if (entry.find('/') != std::string_view::npos) {
    auto n = network_of(entry);
    if (!n) {
      why = fmt::format("\"{}\" is not a CIDR (address/prefix)", entry);
      return false;
    }
    networks.push_back(*n);
    return true;
  }
  auto url = a2a::parse_webhook_url(fmt::format("http://{}/", entry));
  if (entry.empty() || std::holds_alternative<std::string>(url)) {
    why = fmt::format("\"{}\" is neither a CIDR nor a host name", entry);
    return false;
  }
  hosts.push_back(lower_case(entry));
  return true;
}

bool webhook_address_allowed(const WebhookPolicy& policy, std::string_view host, std::string_view address) {
  if (std::find(policy.hosts.begin(), policy.hosts.end(), lower_case(host)) != policy.hosts.end()) return true;
  boost::system::error_code ec;
  auto addr = asio::ip::make_address(std::string(address), ec);
  if (ec) return false;
  if (addr.is_v6() && addr.to_v6().is_v4_mapped()) addr = asio::ip::make_address_v4(asio::ip::v4_mapped, addr.to_v6());
  const auto b = bytes_of(addr);
  if (std::any_of(policy.networks.begin(), policy.networks.end(), [&](const auto& n) { return in_network(b, n); }))
    return true;
  if (addr.is_loopback()) return true;
  if (addr.is_v4() && addr.to_v4().to_uint() == 0xffffffffu) return false;
  return std::none_of(forbidden_networks().begin(), forbidden_networks().end(),
                      [&](const auto& n) { return in_network(b, n); });
}

asio::awaitable<std::string> check_webhook(const WebhookPolicy& policy, std::string url) {
  auto parsed = a2a::parse_webhook_url(url);
  if (auto* why = std::get_if<std::string>(&parsed)) co_return *why;
  auto checked = co_await resolve_checked(policy, std::get<a2a::WebhookUrl>(parsed));
  if (auto* why = std::get_if<std::string>(&checked)) co_return *why;
  co_return std::string();
}

asio::awaitable<WebhookOutcome> post_webhook(const WebhookPolicy& policy, WebhookPost post) {
  HttpRequest call;
  call.url = std::move(post.url);
  call.headers = std::move(post.headers);
  call.content_type = std::move(post.content_type);
  call.accept.clear();
  call.body = std::move(post.body);
  co_return co_await call_url(policy, std::move(call), nullptr, false);
}

asio::awaitable<WebhookOutcome> http_request(const WebhookPolicy& policy, HttpRequest req, BodySink sink) {
  co_return co_await call_url(policy, std::move(req), sink ? &sink : nullptr, true);
}

}  // namespace agentmesh::api
