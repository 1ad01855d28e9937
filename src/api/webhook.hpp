#pragma once
// api/webhook: the daemon's outbound HTTP client (push notification
// webhooks, and the outbound A2A client's calls: api/a2a_outbound.hpp), and
// the address rule that keeps callers from aiming it at the daemon's own
// network (server-side request forgery).
//
// A webhook's host is resolved on every delivery, and every address it
// resolves to must be allowed; the client then connects to those checked
// addresses only (a name that changes between the check and the connect
// cannot redirect it). Allowed by default: public unicast addresses and
// loopback. Refused unless an `allow` entry covers them: private networks
// (10/8, 172.16/12, 192.168/16, 100.64/10, fc00::/7), link-local (169.254/16,
// which holds cloud metadata services, and fe80::/10), unspecified,
// multicast, broadcast, documentation and reserved ranges; IPv4-mapped IPv6
// addresses are judged as their IPv4 address. An `allow` entry is a CIDR
// ("10.1.0.0/16", "fd00::/8") or a host name ("hooks.internal", allowed
// whatever it resolves to).
//
// https:// URLs are verified against the system's trust store (or
// `ca_file`), with the URL's host name; one connection per request. Every
// read and write must finish within `timeout` (a stream's reads: within
// `stream_idle`); a whole answer's body is at most max_response_bytes.
//
// Threading: the caller's executor; no shared state.

#include <array>
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace agentmesh::api {

struct WebhookPolicy {
  struct Network {
    std::array<std::uint8_t, 16> bytes{};  // IPv4 as IPv4-mapped IPv6
    unsigned prefix = 0;                   // in IPv6 bits
    friend bool operator==(const Network&, const Network&) = default;
  };
  std::vector<Network> networks;
  std::vector<std::string> hosts;  // lower case
  std::chrono::milliseconds timeout{10'000};
  std::chrono::milliseconds stream_idle{300'000};  // a streamed answer with nothing to read this long is dropped
  std::size_t max_response_bytes = 1u << 20;       // an answer's header, and a read body
  std::string ca_file;                             // empty: the system's trust store

  // Adds a CIDR or a host name; false (and `why`) when it is neither.
  bool allow(std::string_view entry, std::string& why);
};

// Whether the policy lets a webhook on `host` reach `address` (its text
// form, as the resolver gives it).
bool webhook_address_allowed(const WebhookPolicy& policy, std::string_view host, std::string_view address);

struct WebhookPost {
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string content_type = "application/a2a+json";
  std::string body;
};

struct WebhookOutcome {
  int status = 0;        // the HTTP status; 0 when there was none
  bool refused = false;  // the policy refused the address (never connected)
  // The request was (perhaps partly) written: a failure after it leaves
  // the outcome unknown to the caller.
  bool sent = false;
  std::string error;  // why there is no status (or no whole body)
  std::string body;   // when read
  std::string content_type;
  std::string cache_control;
  bool ok() const { return status >= 200 && status < 300; }
};

// A request of the outbound clients; `method` "GET" sends no body.
struct HttpRequest {
  std::string method = "POST";
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string content_type = "application/json";
  std::string accept = "application/json";
  std::string body;
};

// Receives a streamed answer's body as it comes (the bytes stay valid until
// it returns); false stops reading.
using BodySink = std::function<boost::asio::awaitable<bool>(std::string_view)>;

// Resolves the URL's host and checks every address: "" when allowed, else why not.
boost::asio::awaitable<std::string> check_webhook(const WebhookPolicy& policy, std::string url);

// One POST: resolved, checked, connected, sent, answered (its header only:
// a webhook's body is never read), within the policy's timeout.
boost::asio::awaitable<WebhookOutcome> post_webhook(const WebhookPolicy& policy, WebhookPost post);

// One request and its answer's body: whole in `body` (bounded), or, with a
// `sink` and a 2xx text/event-stream answer, passed on as it arrives until the answer ends,
// the sink says stop, or a read idles past stream_idle. Cancellable (the
// awaiting coroutine's cancellation slot closes the connection).
boost::asio::awaitable<WebhookOutcome> http_request(const WebhookPolicy& policy, HttpRequest req, BodySink sink = {});

}  // namespace agentmesh::api
