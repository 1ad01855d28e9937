#pragma once
// api/console_auth: the web console's logins (docs/security.md, "The web
// console") and the request headers they rest on (Host, Cookie). Free of
// Asio and JSON, so the fuzzer (fuzz/console_fuzz.cpp) builds it alone.
//
// `agentmesh ui` asks for a one-time login code (POST /v1/ui/codes, admin
// token); the browser opens /ui/#code=<code> and the console exchanges the
// code (POST /ui/session) for a session: a random id, sent back only as an
// HttpOnly SameSite=Strict cookie, and a CSRF token that the page keeps in
// memory and sends as X-CSRF-Token with every request that changes state.
// The admin token itself never reaches the browser.
//
// Codes live kCodeTtl and work once. Sessions end after kSessionIdle without
// a request, kSessionMax after login, or at logout. Both tables are bounded:
// a new code or session past the bound evicts the one closest to expiry
// (counted in Figures). Codes and session ids are kept only as SHA-256
// digests, so the tables hold nothing a reader of memory could replay.
//
// Threading: the API's executor (not thread-safe).

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "core/clock.hpp"

namespace agentmesh::api {

// Whether a Host header names this listener: localhost, 127.0.0.1, [::1] or
// `listen_host`, with any port. An absent Host (HTTP/1.0 clients) passes: a
// browser always sends one, so a DNS-rebinding page is still refused.
bool host_allowed(std::string_view host, std::string_view listen_host);

// Whether the path belongs to the console: /ui or under /ui/.
bool is_console_path(std::string_view path);

// The session cookie's name for this Host: one per port, so two daemons on
// one machine (cookies ignore ports) keep separate sessions.
std::string session_cookie_name(std::string_view host);

// A cookie's value in a Cookie header; empty when absent.
std::string_view cookie_value(std::string_view cookie_header, std::string_view name);

class ConsoleAuth {
 public:
  static constexpr std::chrono::seconds kCodeTtl{60};
  static constexpr std::chrono::minutes kSessionIdle{30};
  static constexpr std::chrono::hours kSessionMax{12};
  static constexpr std::size_t kMaxCodes = 16;
  static constexpr std::size_t kMaxSessions = 64;

  struct Session {
    std::string id;    // the cookie's value (64 hex characters)
    std::string csrf;  // 64 hex characters
  };
  struct Figures {
    std::uint64_t codes_issued = 0;
    std::uint64_t logins = 0;
    std::uint64_t codes_refused = 0;    // unknown, used or expired codes offered
    std::uint64_t evicted = 0;           // codes or sessions dropped by the bounds
    std::size_t codes_open = 0;
    std::size_t sessions_open = 0;
  };

  explicit ConsoleAuth(const core::Clock& clock) : clock_(clock) {}

  // A new one-time code (64 hex characters).
  std::string issue_code();
  // The code's session, once; nothing for an unknown, used or expired code.
  std::optional<Session> redeem(std::string_view code);
  // The CSRF token of a live session (and the session's idle time restarts);
  // nothing when the id is unknown or the session has expired.
  std::optional<std::string> touch(std::string_view session_id);
  // Ends a session. False when there was none.
  bool end(std::string_view session_id);

  Figures figures() const;

 private:
  struct Live {
    std::string csrf;
    core::Clock::MonoTime idle_until;
    core::Clock::MonoTime ends;
  };
  void sweep();

  const core::Clock& clock_;
  std::map<std::string, core::Clock::MonoTime, std::less<>> codes_;  // digest -> expiry
  std::map<std::string, Live, std::less<>> sessions_;                // digest -> session
  Figures figures_;
};

}  // namespace agentmesh::api
