// api/console_auth: one-time login codes and console sessions.

#include "api/console_auth.hpp"

#include <algorithm>
#include <cctype>

#include "core/hex.hpp"
#include "crypto/crypto.hpp"

namespace agentmesh::api {
namespace {

std::string digest_of(std::string_view secret) {
  const auto d = crypto::sha256(crypto::as_bytes(secret));
  return core::to_hex(d);
}

// Drops the entry that expires first once `table` holds `max` entries.
template <typename Table, typename ExpiryOf>
bool make_room(Table& table, std::size_t max, ExpiryOf expiry_of) {
  if (table.size() < max) return false;
  auto first = std::min_element(table.begin(), table.end(),
                                [&](const auto& a, const auto& b) { return expiry_of(a) < expiry_of(b); });
  table.erase(first);
  return true;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) return false;
  }
  return true;
}

// The host name of a Host header ("[::1]:7781" -> "[::1]", "a:1" -> "a").
std::string_view host_name(std::string_view host) {
  if (host.starts_with('[')) {
    const auto close = host.find(']');
    return close == std::string_view::npos ? host : host.substr(0, close + 1);
  }
  return host.substr(0, host.find(':'));
}

std::string_view host_port(std::string_view host) {
  const auto name = host_name(host);
  if (host.size() > name.size() + 1 && host[name.size()] == ':') return host.substr(name.size() + 1);
  return "80";
}

}  // namespace

bool host_allowed(std::string_view host, std::string_view listen_host) {
  if (host.empty()) return true;
  const auto name = host_name(host);
  if (iequals(name, "localhost") || name == "127.0.0.1" || name == "[::1]") return true;
  if (listen_host.find(':') != std::string_view::npos) {  // an IPv6 literal
    return name.size() == listen_host.size() + 2 && iequals(name.substr(1, listen_host.size()), listen_host);
  }
  return !listen_host.empty() && iequals(name, listen_host);
}

bool is_console_path(std::string_view path) { return path == "/ui" || path.starts_with("/ui/"); }

std::string session_cookie_name(std::string_view host) {
  std::string port(host_port(host));
  for (char& c : port) {
    if (c < '0' || c > '9') c = '_';
  }
  return "agentmesh_session_" + port;
}

std::string_view cookie_value(std::string_view header, std::string_view name) {
  while (!header.empty()) {
    const auto semi = header.find(';');
    auto pair = header.substr(0, semi);
    header = semi == std::string_view::npos ? std::string_view() : header.substr(semi + 1);
    while (!pair.empty() && pair.front() == ' ') pair.remove_prefix(1);
    const auto eq = pair.find('=');
    if (eq != std::string_view::npos && pair.substr(0, eq) == name) return pair.substr(eq + 1);
  }
  return {};
}

void ConsoleAuth::sweep() {
  const auto now = clock_.mono();
  std::erase_if(codes_, [&](const auto& kv) { return kv.second <= now; });
  std::erase_if(sessions_, [&](const auto& kv) { return kv.second.idle_until <= now || kv.second.ends <= now; });
}

std::string ConsoleAuth::issue_code() {
  sweep();
  if (make_room(codes_, kMaxCodes, [](const auto& kv) { return kv.second; })) ++figures_.evicted;
  auto code = crypto::random_token_hex();
  codes_.emplace(digest_of(code), clock_.mono() + kCodeTtl);
  ++figures_.codes_issued;
  return code;
}

std::optional<ConsoleAuth::Session> ConsoleAuth::redeem(std::string_view code) {
  sweep();
  auto it = codes_.find(digest_of(code));
  if (it == codes_.end()) {
    ++figures_.codes_refused;
    return std::nullopt;
  }
  codes_.erase(it);
  const auto ends_at = [](const auto& kv) { return std::min(kv.second.idle_until, kv.second.ends); };
  if (make_room(sessions_, kMaxSessions, ends_at)) {
    ++figures_.evicted;
  }
  Session s{crypto::random_token_hex(), crypto::random_token_hex()};
  const auto now = clock_.mono();
  sessions_.emplace(digest_of(s.id), Live{s.csrf, now + kSessionIdle, now + kSessionMax});
  ++figures_.logins;
  return s;
}

std::optional<std::string> ConsoleAuth::touch(std::string_view session_id) {
  if (session_id.empty()) return std::nullopt;
  sweep();
  auto it = sessions_.find(digest_of(session_id));
  if (it == sessions_.end()) return std::nullopt;
  it->second.idle_until = clock_.mono() + kSessionIdle;
  return it->second.csrf;
}

bool ConsoleAuth::end(std::string_view session_id) {
  return sessions_.erase(digest_of(session_id)) > 0;
}

ConsoleAuth::Figures ConsoleAuth::figures() const {
  Figures f = figures_;
  f.codes_open = codes_.size();
  f.sessions_open = sessions_.size();
  return f;
}

}  // namespace agentmesh::api
