#include "api/router.hpp"

#include "core/hex.hpp"
#include "store/error.hpp"

#include <boost/json/serialize.hpp>
#include <fmt/format.h>

#include "api/error.hpp"
#include "api/error_table.hpp"
#include "core/error.hpp"
#include "crypto/crypto.hpp"
#include "node/error.hpp"
#include "node/prometheus.hpp"

namespace agentmesh::api {
namespace json = boost::json;

namespace {

enum class RouteId {
  health,
  metrics,
  agents,
  agent,
  messages,
  inbox,
  inbox_ack,
  events,
  ws,
  deadletters,
  deadletter,
  deadletter_retry,
  node_info,
  peers,
  peer,
  diagnostics_transport,
  topics,
  topic_messages,
  topic_events,
  diagnostics_pubsub,
  diagnostics_direct,
  message_status,
  subscriptions,
  topic_ws,
  directory,
  directory_entry,
  blocks,
};

struct RouteDef {
  RouteId id;
  std::string_view pattern;  // {x} matches one segment
  std::initializer_list<std::string_view> methods;
  bool admin_only;
};

const RouteDef kRoutes[] = {
    {RouteId::health, "/v1/health", {"GET"}, false},
    {RouteId::metrics, "/metrics", {"GET"}, true},
    {RouteId::agents, "/v1/agents", {"GET", "POST"}, true},
    {RouteId::agent, "/v1/agents/{agent}", {"GET", "PATCH", "DELETE"}, false},
    {RouteId::messages, "/v1/agents/{agent}/messages", {"POST"}, false},
    {RouteId::inbox, "/v1/agents/{agent}/inbox", {"GET"}, false},
    {RouteId::inbox_ack, "/v1/agents/{agent}/inbox/ack", {"POST"}, false},
    {RouteId::events, "/v1/agents/{agent}/events", {"GET"}, false},
    {RouteId::ws, "/v1/agents/{agent}/ws", {"GET"}, false},
    {RouteId::deadletters, "/v1/deadletters", {"GET"}, true},
    {RouteId::deadletter, "/v1/deadletters/{id}", {"GET", "DELETE"}, true},
    {RouteId::deadletter_retry, "/v1/deadletters/{id}/retry", {"POST"}, true},
    {RouteId::node_info, "/v1/node", {"GET"}, true},
    {RouteId::peers, "/v1/peers", {"GET", "POST"}, true},
    {RouteId::peer, "/v1/peers/{peer}", {"DELETE"}, true},
    {RouteId::diagnostics_transport, "/v1/diagnostics/transport", {"GET"}, true},
    {RouteId::topics, "/v1/topics", {"GET"}, true},
    {RouteId::topic_messages, "/v1/topics/{topic}/messages", {"POST"}, false},
    {RouteId::topic_events, "/v1/topics/{topic}/events", {"GET"}, false},
    {RouteId::diagnostics_pubsub, "/v1/diagnostics/pubsub", {"GET"}, true},
    {RouteId::diagnostics_direct, "/v1/diagnostics/direct", {"GET"}, true},
    {RouteId::message_status, "/v1/agents/{agent}/messages/{request_id}", {"GET"}, false},
    {RouteId::subscriptions, "/v1/agents/{agent}/subscriptions", {"GET", "POST", "DELETE"}, false},
    {RouteId::topic_ws, "/v1/topics/{topic}/ws", {"GET"}, false},
    {RouteId::directory, "/v1/directory", {"GET"}, false},
    {RouteId::blocks, "/v1/agents/{agent}/blocks", {"GET", "POST", "DELETE"}, false},
    {RouteId::directory_entry, "/v1/directory/{id}", {"GET"}, false},
};

constexpr std::size_t kDefaultPageSize = 100;
constexpr std::size_t kMaxPageSize = 1000;

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
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '%') {
      if (in.size() - i < 3) return false;
      auto hex = [](char c) -> int {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        return -1;
      };
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

Result<std::uint64_t> parse_uint(std::string_view s) {
  if (s.empty() || s.size() > 20) return core::error::out_of_range;
  std::uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return core::error::out_of_range;
    const std::uint64_t d = static_cast<std::uint64_t>(c - '0');
    if (v > (std::numeric_limits<std::uint64_t>::max() - d) / 10) return core::error::out_of_range;
    v = v * 10 + d;
  }
  return v;
}

bool is_json_content_type(std::string_view ct) {
  const auto semi = ct.find(';');
  auto base = ct.substr(0, semi);
  while (!base.empty() && base.back() == ' ') base.remove_suffix(1);
  if (base.size() != 16) return false;
  for (std::size_t i = 0; i < base.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(base[i])) != "application/json"[i]) return false;
  }
  return true;
}

}  // namespace

struct Router::Match {
  const RouteDef* def = nullptr;
  std::string param;   // the first {agent}/{id} segment, percent-decoded
  std::string param2;  // a second one ({request_id})
  std::map<std::string, std::string, std::less<>> query;
  Principal principal;
};

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
    : node_(std::move(node)), config_(std::move(config)), stats_(stats) {}

boost::asio::awaitable<Response> Router::handle(Request req) {
  Match m;
  Response resp;
  const auto qpos = req.target.find('?');
  const std::string_view path = std::string_view(req.target).substr(0, qpos);
  const auto segments = split(path, '/');

  // Route lookup: first a path match, then the method.
  const RouteDef* path_match = nullptr;
  std::string param;
  std::string param2;
  static const auto patterns = [] {
    std::vector<std::vector<std::string_view>> out;
    for (const auto& def : kRoutes) out.push_back(split(def.pattern, '/'));
    return out;
  }();
  for (std::size_t r = 0; r < std::size(kRoutes); ++r) {
    const auto& def = kRoutes[r];
    const auto& pat = patterns[r];
    if (pat.size() != segments.size()) continue;
    bool ok = true;
    std::vector<std::string> ps;
    for (std::size_t i = 0; i < pat.size() && ok; ++i) {
      if (pat[i].starts_with('{')) {
        std::string p;
        if (segments[i].empty() || !percent_decode(segments[i], p, false)) ok = false;
        ps.push_back(std::move(p));
      } else {
        ok = pat[i] == segments[i];
      }
    }
    if (!ok) continue;
    path_match = &def;
    param = ps.empty() ? std::string() : std::move(ps[0]);
    param2 = ps.size() > 1 ? std::move(ps[1]) : std::string();
    if (std::find(def.methods.begin(), def.methods.end(), req.method) != def.methods.end()) {
      m.def = &def;
      break;
    }
  }
  if (!m.def) {
    if (path_match) {
      resp = error_response(error::method_not_allowed);
      std::string allow;
      for (auto meth : path_match->methods) allow += (allow.empty() ? "" : ", ") + std::string(meth);
      resp.headers.emplace_back("Allow", allow);
      resp.route = path_match->pattern;
    } else {
      resp = error_response(error::no_route, fmt::format("no route for {}", path));
      resp.route = "unmatched";
    }
    co_return resp;
  }
  m.param = std::move(param);
  m.param2 = std::move(param2);
  resp.route = m.def->pattern;

  if (qpos != std::string::npos) {
    for (auto kv : split(std::string_view(req.target).substr(qpos + 1), '&')) {
      if (kv.empty()) continue;
      const auto eq = kv.find('=');
      std::string k, v;
      if (!percent_decode(kv.substr(0, eq), k, true) ||
          !percent_decode(eq == std::string_view::npos ? std::string_view() : kv.substr(eq + 1), v, true)) {
        resp = error_response(error::bad_request, "malformed query string");
        resp.route = m.def->pattern;
        co_return resp;
      }
      m.query[k] = v;
    }
  }

  auto node = node_.lock();
  if (!node || (draining_ && m.def->id != RouteId::health)) {
    resp = error_response(node::error::shutting_down);
  } else if (m.def->id == RouteId::health) {
    resp = health(*node);
  } else {
    // Authentication.
    std::string_view auth = req.authorization;
    bool authed = false;
    if (auth.size() > 7 && (auth.starts_with("Bearer ") || auth.starts_with("bearer "))) {
      const auto token = auth.substr(7);
      if (crypto::equal_constant_time(token, config_.admin_token)) {
        m.principal.admin = true;
        authed = true;
      } else if (auto id = node->agent_for_token(token)) {
        m.principal.agent = *id;
        authed = true;
      }
    }
    if (!authed) {
      resp = error_response(error::unauthorized);
    } else if (m.def->admin_only && !m.principal.admin) {
      resp = error_response(error::forbidden, "this route needs the admin token");
    } else {
      resp = co_await dispatch(req, m);
    }
  }
  resp.route = m.def->pattern;
  co_return resp;
}

boost::asio::awaitable<Response> Router::dispatch(const Request& req, Match& m) {
  auto node = node_.lock();
  if (!node) co_return error_response(node::error::shutting_down);
  std::string why;
  const bool has_body = req.method == "POST" || req.method == "PATCH";
  const bool body_expected = has_body && m.def->id != RouteId::deadletter_retry;
  if (body_expected && !is_json_content_type(req.content_type)) {
    co_return error_response(error::unsupported_media_type);
  }

  // Agent-scoped routes: resolve, then check the token may act as that agent.
  core::AgentId agent_id;
  if (m.def->pattern.find("{agent}") != std::string_view::npos) {
    auto view = node->agent(m.param);
    if (!m.principal.admin && (!view || view->record.id != m.principal.agent)) {
      co_return error_response(error::forbidden, "an agent token may only act as its own agent");
    }
    if (!view) co_return error_response(view.error(), fmt::format("no local agent \"{}\"", m.param));
    agent_id = view->record.id;
  }

  auto page = [&](std::string_view key, std::uint64_t dflt, std::uint64_t max) -> Result<std::uint64_t> {
    auto it = m.query.find(key);
    if (it == m.query.end()) return dflt;
    auto v = parse_uint(it->second);
    if (!v || *v > max) {
      why = fmt::format("query parameter \"{}\" must be an integer from 0 to {}", key, max);
      return error::invalid_field;
    }
    return *v;
  };

  switch (m.def->id) {
    case RouteId::health:
      co_return health(*node);
    case RouteId::metrics:
      co_return metrics(*node);

    case RouteId::agents: {
      if (req.method == "GET") {
        json::array arr;
        for (const auto& a : node->agents()) arr.push_back(agent_json(a));
        json::object o;
        o["agents"] = std::move(arr);
        co_return json_response(200, o);
      }
      auto parsed = parse_create_agent(req.body, config_.json, why);
      if (!parsed) co_return error_response(parsed.error(), why);
      auto created = co_await node->create_agent(std::move(*parsed));
      if (!created) co_return error_response(created.error());
      auto o = agent_json(created->agent);
      o["token"] = created->token;
      co_return json_response(201, o);
    }

    case RouteId::agent: {
      if (req.method == "GET") co_return json_response(200, agent_json(*node->agent(agent_id.to_string())));
      if (!m.principal.admin) co_return error_response(error::forbidden, "only the admin token may change agents");
      if (req.method == "PATCH") {
        auto parsed = parse_update_agent(req.body, config_.json, why);
        if (!parsed) co_return error_response(parsed.error(), why);
        auto updated = co_await node->update_agent(agent_id, std::move(*parsed));
        if (!updated) co_return error_response(updated.error());
        co_return json_response(200, agent_json(*updated));
      }
      auto deleted = co_await node->delete_agent(agent_id);
      if (!deleted) co_return error_response(deleted.error());
      json::object o;
      o["agent_id"] = agent_id.to_string();
      o["deleted"] = true;
      o["dead_lettered"] = *deleted;
      co_return json_response(200, o);
    }

    case RouteId::messages: {
      auto parsed = parse_send(req.body, config_.json, why);
      if (!parsed) co_return error_response(parsed.error(), why);
      const auto wait_ms = parsed->wait_ms;
      auto receipt = co_await node->send(agent_id, std::move(*parsed));
      if (!receipt) co_return error_response(receipt.error());
      // 202 while the outcome is open (queued, sending) or known at once
      // (loopback); 200 for a final outcome a "wait": "ack" waited for.
      const bool waited_final = wait_ms > 0 && receipt->path != "loopback" && receipt->state != "queued" &&
                                receipt->state != "sending";
      co_return json_response(waited_final ? 200 : 202, receipt_json(*receipt));
    }

    case RouteId::inbox: {
      auto after = page("after", 0, std::numeric_limits<std::uint64_t>::max());
      if (!after) co_return error_response(after.error(), why);
      auto limit = page("limit", kDefaultPageSize, kMaxPageSize);
      if (!limit) co_return error_response(limit.error(), why);
      auto msgs = node->read_inbox(agent_id, core::Seq{*after}, *limit == 0 ? kDefaultPageSize : *limit);
      if (!msgs) co_return error_response(msgs.error());
      json::array arr;
      std::uint64_t next = *after;
      for (const auto& r : *msgs) {
        arr.push_back(inbox_json(r));
        next = r.seq.value;
      }
      const auto cursor = node->cursor(agent_id).value_or(store::InboxCursor{});
      json::object o;
      o["messages"] = std::move(arr);
      o["next_after"] = next;
      o["last_seq"] = cursor.last.value;
      o["acked_seq"] = cursor.acked.value;
      co_return json_response(200, o);
    }

    case RouteId::inbox_ack: {
      auto up_to = parse_ack(req.body, config_.json, why);
      if (!up_to) co_return error_response(up_to.error(), why);
      auto cursor = co_await node->ack(agent_id, *up_to);
      if (!cursor) {
        if (cursor.error() == store::error::beyond_last) {
          const auto c = node->cursor(agent_id).value_or(store::InboxCursor{});
          co_return error_response(cursor.error(),
                                   fmt::format("up_to {} is beyond the last seq {}", up_to->value, c.last.value));
        }
        co_return error_response(cursor.error());
      }
      json::object o;
      o["acked_seq"] = cursor->acked.value;
      o["last_seq"] = cursor->last.value;
      co_return json_response(200, o);
    }

    case RouteId::events:
    case RouteId::ws: {
      const bool ws = m.def->id == RouteId::ws;
      if (ws && !req.websocket_upgrade) {
        co_return error_response(error::bad_request, "this route needs a WebSocket upgrade");
      }
      core::Seq after = node->cursor(agent_id).value_or(store::InboxCursor{}).acked;
      if (!req.last_event_id.empty()) {
        auto v = parse_uint(req.last_event_id);
        if (!v) co_return error_response(error::invalid_field, "Last-Event-ID must be a sequence number");
        after = core::Seq{*v};
      }
      if (auto it = m.query.find("after"); it != m.query.end()) {
        auto v = parse_uint(it->second);
        if (!v) co_return error_response(error::invalid_field, "query parameter \"after\" must be a sequence number");
        after = core::Seq{*v};
      }
      if (auto slot = node->open_stream(agent_id); !slot) co_return error_response(slot.error());
      Response r;
      r.kind = ws ? Response::Kind::websocket : Response::Kind::sse;
      r.stream_agent = agent_id;
      r.stream_after = after;
      co_return r;
    }

    case RouteId::deadletters: {
      auto after = page("after", 0, std::numeric_limits<std::int64_t>::max());
      if (!after) co_return error_response(after.error(), why);
      auto limit = page("limit", kDefaultPageSize, kMaxPageSize);
      if (!limit) co_return error_response(limit.error(), why);
      auto list = node->dead_letters(static_cast<std::int64_t>(*after), *limit == 0 ? kDefaultPageSize : *limit);
      if (!list) co_return error_response(list.error());
      json::array arr;
      std::int64_t next = static_cast<std::int64_t>(*after);
      for (const auto& d : *list) {
        arr.push_back(dead_letter_json(d));
        next = d.id;
      }
      json::object o;
      o["dead_letters"] = std::move(arr);
      o["next_after"] = next;
      co_return json_response(200, o);
    }

    case RouteId::deadletter:
    case RouteId::deadletter_retry: {
      auto id = parse_uint(m.param);
      if (!id || *id > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
        co_return error_response(error::invalid_field, "a dead letter id is a positive integer");
      }
      const auto dl_id = static_cast<std::int64_t>(*id);
      if (m.def->id == RouteId::deadletter_retry) {
        auto receipt = co_await node->retry_dead_letter(dl_id);
        if (!receipt) co_return error_response(receipt.error());
        co_return json_response(202, receipt_json(*receipt));
      }
      if (req.method == "DELETE") {
        auto r = co_await node->delete_dead_letter(dl_id);
        if (!r) co_return error_response(r.error());
        json::object o;
        o["id"] = dl_id;
        o["deleted"] = true;
        co_return json_response(200, o);
      }
      auto list = node->dead_letters(dl_id - 1, 1);
      if (!list) co_return error_response(list.error());
      if (list->empty() || list->front().id != dl_id) co_return error_response(node::error::unknown_dead_letter);
      co_return json_response(200, dead_letter_json(list->front()));
    }

    case RouteId::node_info:
      co_return json_response(200, node_info_json(node->node_info()));

    case RouteId::peers: {
      if (req.method == "GET") {
        json::array arr;
        for (const auto& p : node->peers()) arr.push_back(peer_json(p));
        json::object o;
        o["peers"] = std::move(arr);
        co_return json_response(200, o);
      }
      auto addr = parse_connect(req.body, config_.json, why);
      if (!addr) co_return error_response(addr.error(), why);
      const auto text = addr->to_string();
      auto peer = co_await node->connect(std::move(*addr));
      if (!peer) {
        co_return error_response(error::dial_failed, fmt::format("dial {} failed: {}", text, peer.error().message()));
      }
      json::object o;
      o["peer_id"] = peer->to_string();
      o["connected"] = true;
      co_return json_response(200, o);
    }

    case RouteId::peer: {
      auto peer = core::PeerId::parse(m.param);
      if (!peer) co_return error_response(error::invalid_field, fmt::format("\"{}\" is not a peer id", m.param));
      if (auto r = node->disconnect(*peer); !r) {
        co_return error_response(error::unknown_peer, fmt::format("not connected to {}", m.param));
      }
      json::object o;
      o["peer_id"] = peer->to_string();
      o["disconnected"] = true;
      co_return json_response(200, o);
    }

    case RouteId::diagnostics_transport:
      co_return json_response(200, transport_diagnostics_json(node->transport_diagnostics()));

    case RouteId::subscriptions: {
      json::object o;
      o["agent_id"] = agent_id.to_string();
      if (req.method == "GET") {
        json::array arr;
        for (const auto& t : node->durable_topics(agent_id)) arr.push_back(json::value(t));
        o["subscriptions"] = std::move(arr);
        co_return json_response(200, o);
      }
      std::string topic;
      if (req.method == "POST") {
        auto parsed = parse_subscription(req.body, config_.json, why);
        if (!parsed) co_return error_response(parsed.error(), why);
        topic = std::move(*parsed);
        auto r = co_await node->subscribe_durable(agent_id, topic);
        if (!r) {
          if (r.error() == store::error::conflict) {
            co_return error_response(r.error(), fmt::format("already subscribed to \"{}\"", topic));
          }
          co_return error_response(r.error());
        }
        o["topic"] = topic;
        co_return json_response(201, o);
      }
      auto q = m.query.find("topic");
      if (q == m.query.end() || !valid_topic(q->second)) {
        co_return error_response(error::missing_field, "DELETE needs ?topic=T (percent-encoded)");
      }
      topic = q->second;
      auto r = co_await node->unsubscribe_durable(agent_id, topic);
      if (!r) {
        if (r.error() == store::error::not_found) {
          co_return error_response(r.error(), fmt::format("not subscribed to \"{}\"", topic));
        }
        co_return error_response(r.error());
      }
      o["topic"] = topic;
      o["deleted"] = true;
      co_return json_response(200, o);
    }

    case RouteId::diagnostics_pubsub:
      co_return json_response(200, node->pubsub_diagnostics());

    case RouteId::diagnostics_direct:
      co_return json_response(200, node->direct_diagnostics());

    case RouteId::message_status: {
      auto id = core::RequestId::parse(m.param2);
      if (!id) co_return error_response(error::invalid_field, "the request id is 32 hex characters");
      auto status = node->message_status(agent_id, *id);
      if (!status) co_return error_response(status.error());
      co_return json_response(200, receipt_json(*status));
    }

    case RouteId::blocks: {
      json::object o;
      o["agent_id"] = agent_id.to_string();
      if (req.method == "GET") {
        json::array arr;
        for (const auto& s : node->blocked_senders(agent_id)) arr.push_back(json::value(s.to_string()));
        o["blocked"] = std::move(arr);
        co_return json_response(200, o);
      }
      core::AgentId sender;
      if (req.method == "POST") {
        auto parsed = parse_block(req.body, config_.json, why);
        if (!parsed) co_return error_response(parsed.error(), why);
        sender = *parsed;
        auto r = co_await node->block(agent_id, sender);
        if (!r) {
          if (r.error() == store::error::conflict) co_return error_response(r.error(), "already blocked");
          co_return error_response(r.error());
        }
        o["sender"] = sender.to_string();
        co_return json_response(201, o);
      }
      auto q = m.query.find("sender");
      auto parsed = q == m.query.end() ? std::nullopt : std::optional(core::AgentId::parse(q->second));
      if (!parsed || !*parsed) co_return error_response(error::missing_field, "DELETE needs ?sender=<agent id>");
      sender = **parsed;
      auto r = co_await node->unblock(agent_id, sender);
      if (!r) {
        if (r.error() == store::error::not_found) co_return error_response(r.error(), "that sender is not blocked");
        co_return error_response(r.error());
      }
      o["sender"] = sender.to_string();
      o["deleted"] = true;
      co_return json_response(200, o);
    }

    case RouteId::directory: {
      std::string capability;
      if (auto it = m.query.find("capability"); it != m.query.end()) capability = it->second;
      bool online_only = false;
      if (auto it = m.query.find("online"); it != m.query.end()) {
        if (it->second != "true" && it->second != "false") {
          co_return error_response(error::invalid_field, "query parameter \"online\" must be true or false");
        }
        online_only = it->second == "true";
      }
      json::array arr;
      for (const auto& v : node->directory(capability, online_only)) arr.push_back(directory_view_json(v));
      json::object o;
      o["agents"] = std::move(arr);
      co_return json_response(200, o);
    }

    case RouteId::directory_entry: {
      auto id = core::AgentId::parse(m.param);
      if (!id) co_return error_response(error::invalid_field, "an agent id is 64 lowercase hex characters");
      auto v = node->directory_entry(*id);
      if (!v) co_return error_response(node::error::unknown_agent, "no agent with that id is known on the mesh");
      co_return json_response(200, directory_view_json(*v));
    }

    case RouteId::topics: {
      json::array arr;
      const auto internal = m.query.find("internal");
      const bool with_internal = internal != m.query.end() && internal->second == "true";
      for (const auto& t : node->topics()) {
        if (!with_internal && t.topic.starts_with(kReservedTopicPrefix)) continue;
        arr.push_back(topic_view_json(t));
      }
      json::object o;
      o["topics"] = std::move(arr);
      co_return json_response(200, o);
    }

    case RouteId::topic_messages: {
      if (!valid_topic(m.param)) {
        co_return error_response(error::invalid_field, "a topic is 1-256 bytes of UTF-8 without control characters, not under agentmesh/ (reserved)");
      }
      auto parsed = parse_topic_publish(req.body, config_.json, why);
      if (!parsed) co_return error_response(parsed.error(), why);
      core::AgentId publisher;
      if (m.principal.admin) {
        if (parsed->as.empty()) {
          co_return error_response(error::missing_field, "\"as\" (the publishing agent) is required with the admin token");
        }
        auto view = node->agent(parsed->as);
        if (!view) co_return error_response(view.error(), fmt::format("no local agent \"{}\"", parsed->as));
        publisher = view->record.id;
      } else {
        publisher = m.principal.agent;
        if (!parsed->as.empty()) {
          auto view = node->agent(parsed->as);
          if (!view || view->record.id != publisher) {
            co_return error_response(error::forbidden, "an agent token may only publish as its own agent");
          }
        }
      }
      auto published = node->publish_topic(publisher, m.param, std::move(parsed->content_type),
                                           std::move(parsed->body));
      if (!published) co_return error_response(published.error());
      json::object o;
      o["message_id"] = core::to_hex(
          {reinterpret_cast<const std::uint8_t*>(published->message_id.data()), published->message_id.size()});
      o["peers"] = published->peers;
      co_return json_response(200, o);
    }

    case RouteId::topic_events:
    case RouteId::topic_ws: {
      if (!valid_topic(m.param)) {
        co_return error_response(error::invalid_field, "a topic is 1-256 bytes of UTF-8 without control characters, not under agentmesh/ (reserved)");
      }
      const bool ws = m.def->id == RouteId::topic_ws;
      if (ws && !req.websocket_upgrade) {
        co_return error_response(error::bad_request, "this route needs a WebSocket upgrade");
      }
      Response r;
      r.kind = ws ? Response::Kind::topic_websocket : Response::Kind::topic_sse;
      r.stream_topic = m.param;
      co_return r;
    }
  }
  co_return error_response(error::no_route);
}

Response Router::health(node::Node& n) const {
  json::object o;
  bool ok = !draining_;
  json::object components;
  for (const auto& c : n.health()) {
    json::object comp;
    comp["ok"] = c.ok;
    comp["detail"] = c.detail;
    components[c.name] = std::move(comp);
    ok = ok && c.ok;
  }
  json::object api;
  api["ok"] = !draining_;
  api["detail"] = draining_ ? "draining" : fmt::format("{} connections", stats_.connections_open);
  components["api"] = std::move(api);
  o["status"] = draining_ ? "stopping" : (ok ? "ok" : "degraded");
  o["version"] = config_.version;
  o["uptime_s"] = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - started_).count();
  o["components"] = std::move(components);
  return json_response(200, o);
}

Response Router::metrics(node::Node& n) const {
  Response r;
  r.content_type = "text/plain; version=0.0.4";
  n.render_metrics(r.body);
  node::prom::header(r.body, "agentmesh_http_requests_total", "counter", "HTTP requests by route and status");
  for (const auto& [key, count] : stats_.requests) {
    node::prom::sample(r.body, "agentmesh_http_requests_total",
                       fmt::format("route=\"{}\",status=\"{}\"", key.first, key.second), static_cast<double>(count));
  }
  node::prom::gauge(r.body, "agentmesh_http_connections", "open HTTP connections",
                    static_cast<double>(stats_.connections_open));
  node::prom::counter(r.body, "agentmesh_http_connections_total", "accepted HTTP connections",
                      stats_.connections_total);
  node::prom::counter(r.body, "agentmesh_http_connections_rejected_total", "connections refused over the limit",
                      stats_.connections_rejected);
  node::prom::counter(r.body, "agentmesh_http_bad_requests_total", "unparseable or over-limit HTTP requests",
                      stats_.bad_requests);
  node::prom::counter(r.body, "agentmesh_sse_events_total", "SSE message events sent", stats_.sse_events);
  node::prom::counter(r.body, "agentmesh_ws_messages_total", "WebSocket messages sent", stats_.ws_messages);
  return r;
}

}  // namespace agentmesh::api
