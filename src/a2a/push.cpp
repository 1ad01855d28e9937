// a2a/push: parsing push notification configs and webhook URLs.

#include "a2a/push.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>

namespace agentmesh::a2a {
namespace json = boost::json;

namespace {

bool printable(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return c >= 0x20 && c < 0x7f; });
}

// RFC 9110's tchar: the characters of an authentication scheme.
bool http_token(std::string_view s) {
  constexpr std::string_view kExtra = "!#$%&'*+-.^_`|~";
  return !s.empty() && std::all_of(s.begin(), s.end(), [&](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           kExtra.find(c) != std::string_view::npos;
  });
}

bool host_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.';
}

// A string member: absent -> "", else its value; nullopt when not a string.
std::optional<std::string> text(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  if (!v || v->is_null()) return std::string();
  if (!v->is_string()) return std::nullopt;
  return std::string(v->get_string());
}

}  // namespace

std::variant<WebhookUrl, std::string> parse_webhook_url(std::string_view url) {
  if (url.size() > kMaxUrlBytes) return fmt::format("the url is longer than {} bytes", kMaxUrlBytes);
  if (!printable(url) || url.find(' ') != std::string_view::npos)
    return std::string("the url has a space or control character");
  WebhookUrl out;
  std::string_view rest;
  if (url.starts_with("https://")) {
    out.tls = true;
    rest = url.substr(8);
  } else if (url.starts_with("http://")) {
    rest = url.substr(7);
  } else {
    return std::string("the url must start with http:// or https://");
  }
  if (rest.find('#') != std::string_view::npos) return std::string("the url must not have a fragment");
  const auto path_at = rest.find_first_of("/?");
  auto authority = rest.substr(0, path_at);
  out.target = path_at == std::string_view::npos ? "/" : std::string(rest.substr(path_at));
  if (out.target.front() == '?') out.target.insert(out.target.begin(), '/');
  if (authority.find('@') != std::string_view::npos) return std::string("the url must not carry user information");
  std::string_view port;
  if (authority.starts_with("[")) {
    const auto close = authority.find(']');
    if (close == std::string_view::npos) return std::string("the url's IPv6 address has no closing ]");
    out.host = std::string(authority.substr(1, close - 1));
    auto after = authority.substr(close + 1);
    if (!after.empty() && !after.starts_with(":")) return std::string("the url's host is malformed");
    if (!after.empty()) port = after.substr(1);
    const bool ok = !out.host.empty() && std::all_of(out.host.begin(), out.host.end(), [](char c) {
      return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || c == ':' || c == '.';
    });
    if (!ok) return std::string("the url's IPv6 address is malformed");
  } else {
    const auto colon = authority.find(':');
    out.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) port = authority.substr(colon + 1);
    if (out.host.empty() || out.host.size() > 253 || !std::all_of(out.host.begin(), out.host.end(), host_char)) {
      return std::string("the url's host is malformed");
    }
  }
  out.port = out.tls ? 443 : 80;
  if (!port.empty() || authority.ends_with(":")) {
    unsigned value = 0;
    auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (ec != std::errc() || end != port.data() + port.size() || value == 0 || value > 65535) {
      return std::string("the url's port is malformed");
    }
    out.port = static_cast<std::uint16_t>(value);
  }
  return out;
}

std::variant<PushConfig, std::string> push_config_of(const json::object& o) {
  PushConfig c;
  auto task = text(o, "taskId");
  auto id = text(o, "id");
  auto url = text(o, "url");
  auto token = text(o, "token");
  if (!task || !id || !url || !token) return std::string("taskId, id, url and token must be strings");
  c.task_id = std::move(*task);
  c.id = std::move(*id);
  c.url = std::move(*url);
  c.token = std::move(*token);
  if (c.url.empty()) return std::string("url is required");
  if (auto u = parse_webhook_url(c.url); auto* why = std::get_if<std::string>(&u)) return "url: " + *why;
  if (c.id.size() > kMaxPushIdBytes || !printable(c.id) || c.id.find('/') != std::string::npos) {
    return fmt::format("id must be at most {} printable ASCII characters without '/'", kMaxPushIdBytes);
  }
  if (c.token.size() > kMaxPushTokenBytes || !printable(c.token)) {
    return fmt::format("token must be at most {} printable ASCII characters", kMaxPushTokenBytes);
  }
  if (const auto* a = o.if_contains("authentication"); a && !a->is_null()) {
    if (!a->is_object()) return std::string("authentication must be an object");
    auto scheme = text(a->get_object(), "scheme");
    auto credentials = text(a->get_object(), "credentials");
    if (!scheme || !credentials) return std::string("authentication.scheme and credentials must be strings");
    if (!http_token(*scheme) || scheme->size() > 64) return std::string("authentication.scheme must be an HTTP token");
    if (credentials->size() > kMaxCredentialBytes || !printable(*credentials)) {
      return fmt::format("authentication.credentials must be at most {} printable ASCII characters",
                         kMaxCredentialBytes);
    }
    c.scheme = std::move(*scheme);
    c.credentials = std::move(*credentials);
  }
  return c;
}

json::object push_config_json(const PushConfig& c) {
  json::object out{{"taskId", c.task_id}, {"id", c.id}, {"url", c.url}};
  if (!c.token.empty()) out["token"] = c.token;
  if (!c.scheme.empty()) {
    json::object auth{{"scheme", c.scheme}};
    if (!c.credentials.empty()) auth["credentials"] = c.credentials;
    out["authentication"] = std::move(auth);
  }
  return out;
}

}  // namespace agentmesh::a2a
