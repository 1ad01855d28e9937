// api/a2a_gateway: routing, Agent Cards, authentication and the framing of
// the A2A gateway's two bindings (JSON-RPC, HTTP+JSON). The methods are in
// api/a2a_methods.cpp.

#include "api/a2a_gateway.hpp"

#include <fmt/format.h>

#include <boost/json/serialize.hpp>

#include "a2a/card.hpp"
#include "a2a/jsonrpc.hpp"
#include "a2a/rest.hpp"
#include "api/a2a_call.hpp"

namespace agentmesh::api {
namespace json = boost::json;

namespace {

constexpr std::string_view kCardSuffix = "/.well-known/agent-card.json";
constexpr std::string_view kNoAgent = "no published agent has that name";
constexpr std::string_view kUnauthenticated =
    "unauthenticated: give Authorization: Bearer with an A2A token for this agent";
// What the gateway offers, as its cards say.
constexpr a2a::CardFeatures kFeatures{true, true};

Response json_body(int status, const json::value& body) {
  Response r;
  r.status = status;
  r.body = json::serialize(body);
  return r;
}

// An HTTP-level refusal, in the JSON-RPC error shape (id null).
Response rpc_refusal(int status, a2a::RpcCode code, std::string message) {
  auto r = json_body(status, a2a::error_envelope(a2a::RpcError{code, std::move(message), nullptr}));
  if (status == 401) r.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"agentmesh-a2a\"");
  return r;
}

// An HTTP+JSON error: google.rpc.Status JSON.
Response rest_refusal(int status, a2a::RpcCode code, std::string_view message) {
  auto r = json_body(status, a2a::error_body(status, code, message));
  r.content_type = "application/a2a+json";
  if (status == 401) r.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"agentmesh-a2a\"");
  return r;
}

// A method's JSON-RPC envelope as the HTTP+JSON answer: its result, or its
// error with the binding's status.
Response rest_answer(json::object envelope) {
  if (const auto* e = envelope.if_contains("error"); e && e->is_object()) {
    const auto code = static_cast<a2a::RpcCode>(e->get_object().at("code").to_number<int>());
    const auto* m = e->get_object().if_contains("message");
    const std::string_view message = m && m->is_string() ? std::string_view(m->get_string()) : "";
    return rest_refusal(a2a::rest_status(code), code, message);
  }
  auto r = json_body(200, envelope["result"]);
  r.content_type = "application/a2a+json";
  return r;
}

// A path (without its query) under /agents/{name}: the name and the rest
// ("" or "/..."); nullopt for another path or an empty name.
struct AgentRoute {
  std::string_view name;
  std::string_view tail;
};
std::optional<AgentRoute> agent_route(std::string_view path) {
  constexpr std::string_view kAgents = "/agents/";
  if (!path.starts_with(kAgents)) return std::nullopt;
  const auto after = path.substr(kAgents.size());
  const auto slash = after.find('/');
  if (after.empty() || slash == 0) return std::nullopt;
  return AgentRoute{after.substr(0, slash), slash == std::string_view::npos ? std::string_view() : after.substr(slash)};
}

constexpr std::string_view kJsonRpcTail = "/a2a/jsonrpc";
constexpr std::string_view kInterface = "/a2a/";  // the HTTP+JSON paths are below it

// Whether `target` is one of an agent's HTTP+JSON paths, whose errors are
// google.rpc.Status JSON.
bool rest_target(std::string_view target) {
  const auto route = agent_route(target.substr(0, target.find('?')));
  return route && route->tail.starts_with(kInterface) && route->tail != kJsonRpcTail;
}

// A refusal before any method ran, in the shape of the binding `target` is on.
Response refusal_for(std::string_view target, int status, std::string message) {
  return rest_target(target) ? rest_refusal(status, a2a::RpcCode::internal_error, message)
                             : rpc_refusal(status, a2a::RpcCode::internal_error, std::move(message));
}

bool json_content(std::string_view ct) {
  return ct.starts_with("application/json") || ct.starts_with("application/a2a+json");
}

bool published(const node::AgentInfo& a) { return a.a2a && a.a2a->enabled; }

// Another daemon's published agent as the gateway serves it: named (in its
// card's path) by its id.
node::AgentInfo remote_agent(const node::DirectoryView& v) {
  node::AgentInfo a;
  if (auto id = core::AgentId::parse(v.agent_id)) a.id = *id;
  a.name = v.agent_id;
  a.display_name = v.display_name;
  a.capabilities = v.capabilities;
  a.a2a = v.a2a;
  return a;
}

// "Host" values a card may echo: host names, IPv4, [IPv6], and a port.
bool plausible_host(std::string_view h) {
  if (h.empty() || h.size() > 255) return false;
  for (char c : h) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
                    c == '-' || c == ':' || c == '[' || c == ']';
    if (!ok) return false;
  }
  return true;
}

}  // namespace

A2aGateway::A2aGateway(node::NodeHandle node, A2aGatewayConfig config, std::shared_ptr<spdlog::logger> log)
    : node_(std::move(node)), config_(std::move(config)), log_(std::move(log)) {}

Response A2aGateway::refused(Refusal why, std::string_view target) const {
  return why == Refusal::rate_limited ? refusal_for(target, 429, "too many requests from this address; slow down")
                                      : refusal_for(target, 503, "too many connections; retry later");
}

std::string A2aGateway::base_url(const Request& req) const {
  if (!config_.public_url.empty()) return config_.public_url;
  return (config_.tls ? "https://" : "http://") + (plausible_host(req.host) ? req.host : std::string("localhost"));
}

boost::asio::awaitable<Response> A2aGateway::handle(Request req) {
  if (draining_) co_return refusal_for(req.target, 503, "the daemon is shutting down");
  const std::string path = req.target.substr(0, req.target.find('?'));
  if (path == kCardSuffix) {
    if (req.method != "GET") co_return rpc_refusal(405, a2a::RpcCode::invalid_request, "GET the card");
    co_return co_await root_card(req);
  }
  if (const auto route = agent_route(path)) {
    const std::string name(route->name);
    const auto tail = route->tail;  // a view of `path`, which outlives `req`'s moves below
    if (tail == kCardSuffix) {
      if (req.method != "GET") co_return rpc_refusal(405, a2a::RpcCode::invalid_request, "GET the card");
      co_return co_await card(req, name);
    }
    if (tail == kJsonRpcTail) {
      if (req.method != "POST") co_return rpc_refusal(405, a2a::RpcCode::invalid_request, "JSON-RPC is POST");
      co_return co_await jsonrpc(std::move(req), name);
    }
    if (tail.starts_with(kInterface)) {
      co_return co_await rest(std::move(req), name, std::string(tail.substr(kInterface.size() - 1)));
    }
  }
  co_return rpc_refusal(404, a2a::RpcCode::invalid_request, fmt::format("no A2A route for {}", path.substr(0, 128)));
}

boost::asio::awaitable<std::optional<A2aGateway::Published>> A2aGateway::find_published(std::string name) {
  auto local = co_await node_.agent(name);
  if (local && published(*local)) co_return Published{std::move(*local), ""};  // this daemon's peer id
  if (local) co_return std::nullopt;
  auto id = core::AgentId::parse(name);
  if (!id) co_return std::nullopt;
  auto view = co_await node_.directory_entry(*id);
  if (!view || view->local || !view->a2a) co_return std::nullopt;
  co_return Published{remote_agent(*view), view->peer_id};
}

boost::asio::awaitable<Response> A2aGateway::card(const Request& req, std::string name) {
  auto found = co_await find_published(std::move(name));
  if (!found) co_return rpc_refusal(404, a2a::RpcCode::invalid_request, std::string(kNoAgent));
  if (found->peer_id.empty()) {
    auto info = co_await node_.node_info();
    if (info) found->peer_id = info->peer.to_string();
  }
  const auto& a = found->agent;
  a2a::CardAgent ca{a.name, a.display_name, a.id.to_string(), found->peer_id, a.capabilities, *a.a2a};
  ++stats_.cards_served;
  co_return json_body(200, a2a::agent_card(ca, base_url(req), config_.version, kFeatures));
}

boost::asio::awaitable<Response> A2aGateway::root_card(const Request& req) {
  auto agents = co_await node_.agents();
  if (!agents) co_return rpc_refusal(503, a2a::RpcCode::internal_error, agents.error().message());
  auto info = co_await node_.node_info();
  const std::string self = info ? info->peer.to_string() : "";
  std::vector<Published> shown;
  for (auto& a : *agents) {
    if (published(a)) shown.push_back(Published{std::move(a), self});
  }
  // Other daemons' agents that publish themselves and are online.
  const std::string any;
  auto remote = co_await node_.directory(any, true);
  for (const auto& v : remote ? *remote : std::vector<node::DirectoryView>{}) {
    if (!v.local && v.a2a) shown.push_back(Published{remote_agent(v), v.peer_id});
  }
  if (shown.empty()) co_return rpc_refusal(404, a2a::RpcCode::invalid_request, "no agent is published here");
  if (shown.size() == 1) co_return co_await card(req, shown[0].agent.name);
  json::array cards;
  for (const auto& p : shown) {
    const auto& a = p.agent;
    a2a::CardAgent ca{a.name, a.display_name, a.id.to_string(), p.peer_id, a.capabilities, *a.a2a};
    cards.push_back(a2a::agent_card(ca, base_url(req), config_.version, kFeatures));
  }
  ++stats_.cards_served;
  co_return json_body(200, json::object{{"agents", std::move(cards)}});
}

boost::asio::awaitable<std::variant<A2aGateway::Authorized, int>> A2aGateway::authorize(const Request& req,
                                                                                        std::string name) {
  auto published_agent = co_await find_published(std::move(name));
  if (!published_agent) co_return 404;
  auto& agent = published_agent->agent;
  constexpr std::string_view kBearer = "Bearer ";
  if (req.authorization.starts_with(kBearer)) {
    std::string token = req.authorization.substr(kBearer.size());
    auto found = co_await node_.a2a_caller(std::move(token));
    if (found && *found && (*found)->agent == agent.id) co_return Authorized{std::move(agent), **found};
  }
  ++stats_.unauthenticated;
  co_return 401;
}

boost::asio::awaitable<Response> A2aGateway::jsonrpc(Request req, std::string name) {
  auto auth = co_await authorize(req, std::move(name));
  if (const auto* status = std::get_if<int>(&auth)) {
    co_return rpc_refusal(*status, a2a::RpcCode::invalid_request,
                          std::string(*status == 404 ? kNoAgent : kUnauthenticated));
  }
  auto& [agent, caller] = std::get<Authorized>(auth);
  if (!json_content(req.content_type)) {
    co_return rpc_refusal(415, a2a::RpcCode::invalid_request, "the body must be application/json");
  }
  auto rule = a2a::check_version(req.a2a_version);
  if (auto* e = std::get_if<a2a::RpcError>(&rule)) {
    ++stats_.errors;
    co_return json_body(200, a2a::error_envelope(*e));
  }
  auto decoded = a2a::decode_body(req.body, std::get<a2a::VersionRule>(rule));
  if (auto* e = std::get_if<a2a::RpcError>(&decoded)) {
    ++stats_.errors;
    co_return json_body(200, a2a::error_envelope(*e));
  }
  auto& body = std::get<a2a::RpcBody>(decoded);
  auto count = [this](const a2a::RpcRequest& r) {
    ++stats_.calls;
    if (r.legacy) ++stats_.v03_calls;
  };
  if (!body.batch) {
    if (auto* r = std::get_if<a2a::RpcRequest>(&body.items[0]);
        r && (r->method == a2a::Method::send_streaming_message || r->method == a2a::Method::subscribe_to_task)) {
      count(*r);
      Call call{caller, agent, std::move(*r), req.remote};
      auto resp = co_await stream(call);
      if (auto* e = std::get_if<json::object>(&resp)) {
        ++stats_.errors;
        co_return json_body(200, *e);
      }
      co_return std::move(std::get<Response>(resp));
    }
  }
  json::array answers;
  for (auto& item : body.items) {
    json::object answer;
    bool notification = false;
    if (auto* e = std::get_if<a2a::RpcError>(&item)) {
      answer = a2a::error_envelope(*e);
    } else {
      auto& r = std::get<a2a::RpcRequest>(item);
      count(r);
      notification = r.notification;
      Call call{caller, agent, std::move(r), req.remote};
      answer = co_await dispatch(call);
    }
    if (answer.contains("error")) ++stats_.errors;
    if (!notification) answers.push_back(std::move(answer));
  }
  if (answers.empty()) {
    Response r;
    r.status = 204;
    co_return r;
  }
  if (!body.batch) co_return json_body(200, answers[0]);
  co_return json_body(200, answers);
}

boost::asio::awaitable<Response> A2aGateway::rest(Request req, std::string name, std::string path) {
  auto auth = co_await authorize(req, std::move(name));
  if (const auto* status = std::get_if<int>(&auth)) {
    co_return rest_refusal(*status, a2a::RpcCode::invalid_request, *status == 404 ? kNoAgent : kUnauthenticated);
  }
  auto& [agent, caller] = std::get<Authorized>(auth);
  auto rule = a2a::check_version(req.a2a_version);
  if (auto* e = std::get_if<a2a::RpcError>(&rule)) {
    ++stats_.errors;
    co_return rest_refusal(a2a::rest_status(e->code), e->code, e->message);
  }
  if (!req.body.empty() && !json_content(req.content_type)) {
    ++stats_.errors;
    co_return rest_refusal(415, a2a::RpcCode::invalid_request, "the body must be application/json");
  }
  const auto q = req.target.find('?');
  const auto query = q == std::string::npos ? std::string_view() : std::string_view(req.target).substr(q + 1);
  auto decoded = a2a::decode_rest(req.method, path, query, req.body);
  if (const auto* e = std::get_if<a2a::RestError>(&decoded)) {
    ++stats_.errors;
    co_return rest_refusal(e->status, e->code, e->message);
  }
  auto& rc = std::get<a2a::RestCall>(decoded);
  ++stats_.calls;
  ++stats_.rest_calls;
  a2a::RpcRequest r;
  r.id = nullptr;
  r.method = rc.method;
  r.params = std::move(rc.params);
  Call call{caller, agent, std::move(r), req.remote, true};
  if (call.req.method == a2a::Method::send_streaming_message || call.req.method == a2a::Method::subscribe_to_task) {
    auto resp = co_await stream(call);
    if (auto* e = std::get_if<json::object>(&resp)) {
      ++stats_.errors;
      co_return rest_answer(std::move(*e));
    }
    co_return std::move(std::get<Response>(resp));
  }
  auto answer = co_await dispatch(call);
  if (answer.contains("error")) ++stats_.errors;
  co_return rest_answer(std::move(answer));
}

}  // namespace agentmesh::api
