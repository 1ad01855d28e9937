#pragma once
// api/webhook: the A2A gateway's HTTP client for push notification webhooks,
// and the address rule that keeps callers from aiming it at the daemon's
// own network (server-side request forgery).
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
// https:// webhooks are verified against the system's trust store (or
// `ca_file`), with the URL's host name; one connection per POST.
//
// Threading: the caller's executor; no shared state.

#include <array>
#include <boost/asio/awaitable.hpp>
#include <chrono>
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
  std::size_t max_response_bytes = 64 * 1024;  // of the answer's header; its body is not read
  std::string ca_file;  // empty: the system's trust store

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
  std::string error;     // why there is no status
  bool ok() const { return status >= 200 && status < 300; }
};

// Resolves the URL's host and checks every address: "" when allowed, else why not.
boost::asio::awaitable<std::string> check_webhook(const WebhookPolicy& policy, std::string url);

// One POST: resolved, checked, connected, sent, answered, within the policy's timeout.
boost::asio::awaitable<WebhookOutcome> post_webhook(const WebhookPolicy& policy, WebhookPost post);

}  // namespace agentmesh::api
