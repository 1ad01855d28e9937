// api/console: the console's files, logins and request checks.

#include "api/console.hpp"

#include <fmt/format.h>

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include "api/console_assets.hpp"
#include "api/error.hpp"
#include "api/requests.hpp"
#include "api/router.hpp"
#include "crypto/crypto.hpp"

namespace agentmesh::api {
namespace json = boost::json;
namespace {

constexpr std::string_view kCsp =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "font-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

void secure_headers(Response& r) {
  r.headers.emplace_back("Content-Security-Policy", std::string(kCsp));
  r.headers.emplace_back("X-Frame-Options", "DENY");
  r.headers.emplace_back("X-Content-Type-Options", "nosniff");
  r.headers.emplace_back("Referrer-Policy", "no-referrer");
  r.headers.emplace_back("Cross-Origin-Opener-Policy", "same-origin");
  r.headers.emplace_back("Cross-Origin-Resource-Policy", "same-origin");
}

Response session_body(int status, const std::string& csrf) {
  json::object o;
  o["csrf"] = csrf;
  o["idle_timeout_s"] = std::chrono::duration_cast<std::chrono::seconds>(ConsoleAuth::kSessionIdle).count();
  auto r = json_response(status, o);
  r.headers.emplace_back("Cache-Control", "no-store");
  return r;
}

std::string set_cookie(std::string_view name, std::string_view value, std::int64_t max_age_s) {
  return fmt::format("{}={}; Path=/; HttpOnly; SameSite=Strict; Max-Age={}", name, value, max_age_s);
}

// POST /ui/session {"code": "..."}.
Response login(const Request& req, ConsoleAuth& auth) {
  if (!is_json_content_type(req.content_type)) return error_response(error::unsupported_media_type);
  std::string why;
  auto code = parse_login(req.body, JsonLimits{}, why);
  if (!code) return error_response(code.error(), why);
  auto session = auth.redeem(*code);
  if (!session) return error_response(error::invalid_login_code);
  auto r = session_body(201, session->csrf);
  const auto max_age = std::chrono::duration_cast<std::chrono::seconds>(ConsoleAuth::kSessionMax).count();
  r.headers.emplace_back("Set-Cookie", set_cookie(session_cookie_name(req.host), session->id, max_age));
  return r;
}

Response session_route(const Request& req, ConsoleAuth& auth) {
  if (req.method == "POST") return login(req, auth);
  const auto id = cookie_value(req.cookie, session_cookie_name(req.host));
  if (req.method == "GET") {
    auto csrf = auth.touch(id);
    if (!csrf) return error_response(error::unauthorized, "no console session: open the link `agentmesh ui` prints");
    return session_body(200, *csrf);
  }
  if (req.method == "DELETE") {
    if (auto ok = console_principal(req, auth); !ok) return error_response(ok.error());
    auth.end(id);
    json::object o;
    o["logged_out"] = true;
    auto r = json_response(200, o);
    r.headers.emplace_back("Set-Cookie", set_cookie(session_cookie_name(req.host), "", 0));
    return r;
  }
  auto r = error_response(error::method_not_allowed);
  r.headers.emplace_back("Allow", "GET, POST, DELETE");
  return r;
}

Response asset_route(const Request& req, std::string_view path) {
  if (req.method != "GET" && req.method != "HEAD") {
    auto r = error_response(error::method_not_allowed);
    r.headers.emplace_back("Allow", "GET, HEAD");
    return r;
  }
  if (path == "/ui") {
    Response r;
    r.status = 308;
    r.content_type = "text/plain; charset=utf-8";
    r.headers.emplace_back("Location", "/ui/");
    return r;
  }
  const auto* asset = find_console_asset(path == "/ui/" ? "index.html" : path.substr(4));
  if (!asset) return error_response(error::no_route, fmt::format("no console file {}", path));
  Response r;
  r.content_type = std::string(asset->content_type);
  r.body = std::string(asset->body);
  r.headers.emplace_back("Cache-Control", "no-cache");
  return r;
}

}  // namespace

Response console_response(const Request& req, ConsoleAuth& auth) {
  const std::string_view path = std::string_view(req.target).substr(0, req.target.find('?'));
  Response r = path == "/ui/session" ? session_route(req, auth) : asset_route(req, path);
  secure_headers(r);
  return r;
}

Result<void> console_principal(const Request& req, ConsoleAuth& auth) {
  auto csrf = auth.touch(cookie_value(req.cookie, session_cookie_name(req.host)));
  if (!csrf) return make_error_code(error::unauthorized);
  const bool same_origin = req.origin.empty() || req.origin == "http://" + req.host;
  if (req.websocket_upgrade && !same_origin) return make_error_code(error::csrf_failed);
  if (req.method == "GET" || req.method == "HEAD") return {};
  if (!crypto::equal_constant_time(req.csrf_token, *csrf)) return make_error_code(error::csrf_failed);
  if (!same_origin) return make_error_code(error::csrf_failed);
  return {};
}

}  // namespace agentmesh::api
