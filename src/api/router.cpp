// api/router: matching, authentication, authorisation and dispatch over the
// route table.

#include "api/router.hpp"

#include <fmt/format.h>

#include <boost/json/serialize.hpp>

#include "api/console.hpp"
#include "api/error.hpp"
#include "api/error_table.hpp"
#include "api/routes.hpp"
#include "crypto/crypto.hpp"
#include "node/error.hpp"

namespace agentmesh::api {
namespace json = boost::json;

namespace {

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  while (start <= s.size()) {
    const auto end = s.find(sep, start);
    if (end == std::string_view::npos) {
      out.push_back(s.substr(start));
      break;
    }
    out.push_back(s.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

bool percent_decode(std::string_view in, std::string& out, bool plus_is_space) {
  out.clear();
  auto hex = [](char ch) -> int {
    if (ch >= '0' && ch <= '9') return ch - '0';
    if (ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F') return ch - 'A' + 10;
    return -1;
  };
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '%') {
      if (in.size() - i < 3) return false;
      const int hi = hex(in[i + 1]);
      const int lo = hex(in[i + 2]);
      if (hi < 0 || lo < 0) return false;
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else if (plus_is_space && in[i] == '+') {
      out.push_back(' ');
    } else {
      out.push_back(in[i]);
    }
  }
  return true;
}

// Each route's pattern, split into segments once.
const std::vector<std::vector<std::string_view>>& split_patterns() {
  static const auto patterns = [] {
    std::vector<std::vector<std::string_view>> out;
    for (const auto& r : route_table()) out.push_back(split(r.pattern, '/'));
    return out;
  }();
  return patterns;
}

// The path's segments against a pattern's: the {name} segments decoded, or
// nothing when it does not match.
std::optional<std::vector<std::string>> match(const std::vector<std::string_view>& pat,
                                              const std::vector<std::string_view>& path) {
  if (pat.size() != path.size()) return std::nullopt;
  std::vector<std::string> params;
  for (std::size_t i = 0; i < pat.size(); ++i) {
    if (pat[i].starts_with('{')) {
      std::string p;
      if (path[i].empty() || !percent_decode(path[i], p, false)) return std::nullopt;
      params.push_back(std::move(p));
    } else if (pat[i] != path[i]) {
      return std::nullopt;
    }
  }
  return params;
}

std::optional<Query> parse_query(std::string_view text) {
  Query q;
  for (auto kv : split(text, '&')) {
    if (kv.empty()) continue;
    const auto eq = kv.find('=');
    std::string k, v;
    if (!percent_decode(kv.substr(0, eq), k, true) ||
        !percent_decode(eq == std::string_view::npos ? std::string_view() : kv.substr(eq + 1), v, true)) {
      return std::nullopt;
    }
    q[std::move(k)] = std::move(v);
  }
  return q;
}

Response method_not_allowed(std::string_view pattern) {
  auto resp = error_response(error::method_not_allowed);
  std::string allow;
  for (const auto& r : route_table()) {
    if (r.pattern == pattern) allow += (allow.empty() ? "" : ", ") + std::string(r.method);
  }
  resp.headers.emplace_back("Allow", allow);
  return resp;
}

}  // namespace

bool is_json_content_type(std::string_view ct) {
  auto base = ct.substr(0, ct.find(';'));
  while (!base.empty() && base.back() == ' ') base.remove_suffix(1);
  if (base.size() != 16) return false;
  for (std::size_t i = 0; i < base.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(base[i])) != "application/json"[i]) return false;
  }
  return true;
}

Response json_response(int status, const json::object& body) {
  Response r;
  r.status = status;
  r.body = json::serialize(body);
  return r;
}

Response error_response(const error_code& ec, std::string_view message) {
  Response r;
  r.status = lookup_error(ec).status;
  r.body = error_body(ec, message);
  if (r.status == 401) r.headers.emplace_back("WWW-Authenticate", "Bearer");
  return r;
}

Router::Router(node::NodeHandle node, RouterConfig config, ApiStats& stats)
    : node_(std::move(node)), config_(std::move(config)), stats_(stats), console_(config_.console) {
  if (!console_) {
    static const core::SystemClock clock;
    console_ = std::make_shared<ConsoleAuth>(clock);
  }
}

std::int64_t Router::uptime_s() const {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - started_).count();
}

// Finds the route, checks the token against its rule, resolves {agent},
// checks the body's content type, and runs the handler.
boost::asio::awaitable<Response> Router::handle(Request req) {
  const auto qpos = req.target.find('?');
  const std::string_view path = std::string_view(req.target).substr(0, qpos);
  if (!host_allowed(req.host, config_.listen_host)) {
    Response resp = error_response(error::host_not_allowed, fmt::format("Host \"{}\" is not this listener", req.host));
    resp.route = "host_not_allowed";
    co_return resp;
  }
  if (is_console_path(path)) {
    Response resp = console_response(req, *console_);
    resp.route = "/ui";
    co_return resp;
  }
  const auto segments = split(path, '/');
  const Route* route = nullptr;
  const Route* path_only = nullptr;
  std::vector<std::string> params;
  const auto table = route_table();
  for (std::size_t i = 0; i < table.size(); ++i) {
    const auto& r = table[i];
    auto p = match(split_patterns()[i], segments);
    if (!p) continue;
    if (!path_only) path_only = &r;
    if (r.method == req.method) {
      route = &r;
      params = std::move(*p);
      break;
    }
  }
  if (!route) {
    Response resp = path_only ? method_not_allowed(path_only->pattern)
                              : error_response(error::no_route, fmt::format("no route for {}", path));
    resp.route = path_only ? std::string(path_only->pattern) : "unmatched";
    co_return resp;
  }
  RouteContext ctx{req, *route, std::move(params), {}, {}, {}, *this, stats_, {}};
  Response resp = co_await authorize_and_run(
      ctx, qpos == std::string::npos ? std::string_view() : std::string_view(req.target).substr(qpos + 1));
  resp.route = route->pattern;
  co_return resp;
}

boost::asio::awaitable<Response> Router::authorize_and_run(RouteContext& ctx, std::string_view query) {
  const auto& route = ctx.route;
  auto parsed = parse_query(query);
  if (!parsed) co_return error_response(error::bad_request, "malformed query string");
  ctx.query = std::move(*parsed);
  if (draining_ && route.auth != Auth::none) co_return error_response(node::error::shutting_down);
  if (route.auth != Auth::none) {
    auto principal = co_await authenticate(ctx.req);
    if (!principal) co_return error_response(principal.error());
    ctx.principal = *principal;
    if (route.auth == Auth::admin && !ctx.principal.admin) {
      co_return error_response(error::forbidden, "this route needs the admin token");
    }
  }
  if (route.json_body && !is_json_content_type(ctx.req.content_type)) {
    co_return error_response(error::unsupported_media_type);
  }
  if (route.pattern.find("{agent}") != std::string_view::npos) {
    auto ref = ctx.params.front();
    auto agent = co_await node_.resolve_agent(std::move(ref));
    if (!ctx.principal.admin && (!agent || *agent != ctx.principal.agent)) {
      co_return error_response(error::forbidden, "an agent token may only act as its own agent");
    }
    if (!agent) co_return error_response(agent.error(), fmt::format("no local agent \"{}\"", ctx.params.front()));
    ctx.agent = *agent;
  }
  co_return co_await route.handler(ctx);
}

// The admin token (compared in constant time) or an agent's token (looked up
// by its hash); without a token, a console session (as the admin token):
// unauthorized otherwise.
boost::asio::awaitable<Result<Principal>> Router::authenticate(const Request& req) const {
  const std::string_view authorization = req.authorization;
  if (authorization.empty() && !req.cookie.empty()) {
    if (auto ok = console_principal(req, *console_); !ok) co_return ok.error();
    co_return Principal{true, {}};
  }
  if (authorization.size() <= 7 || !(authorization.starts_with("Bearer ") || authorization.starts_with("bearer "))) {
    co_return make_error_code(error::unauthorized);
  }
  const auto token = authorization.substr(7);
  Principal p;
  if (crypto::equal_constant_time(token, config_.admin_token)) {
    p.admin = true;
    co_return p;
  }
  std::string copy(token);
  auto agent = co_await node_.agent_for_token(std::move(copy));
  if (!agent) co_return agent.error();
  if (!*agent) co_return make_error_code(error::unauthorized);
  p.agent = **agent;
  co_return p;
}

}  // namespace agentmesh::api
