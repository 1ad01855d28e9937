// mcp::DaemonLink: the MCP server's way to the daemon (cli/mcp.hpp).

#include <fmt/format.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "cli/mcp.hpp"
#include "cli/sse_client.hpp"
#include "core/fs.hpp"
#include "daemon/config.hpp"

namespace agentmesh::cli::mcp {
DaemonLink::DaemonLink(Global g, std::string agent)
    : g_(std::move(g)), agent_(std::move(agent)), data_dir_(data_dir_of(g_)), token_(g_.token) {
  if (token_.empty()) {
    if (auto env = daemon::process_env()("AGENTMESH_TOKEN")) token_ = *env;
  }
}

std::string DaemonLink::agent_path() const { return "/v1/agents/" + url_escape(agent_); }

std::optional<HttpClient> DaemonLink::connect(std::string& why, bool keep_alive) const {
  std::string api = g_.api;
  if (api.empty()) api = daemon::process_env()("AGENTMESH_API").value_or("");
  if (api.empty()) {
    auto text = core::read_small_file(data_dir_ / "api.port", 256);
    if (!text) {
      why = fmt::format("no daemon is running for data dir {} (cannot read {}); start one with `agentmesh daemon`",
                        data_dir_.string(), (data_dir_ / "api.port").string());
      return std::nullopt;
    }
    api = trim_end(*text);
  }
  auto hp = daemon::parse_host_port(api);
  if (!hp) {
    why = fmt::format("API address \"{}\" is not HOST:PORT", api);
    return std::nullopt;
  }
  std::string token = token_;
  if (token.empty()) {
    if (auto text = core::read_small_file(data_dir_ / "api-token", 256)) token = trim_end(*text);
  }
  if (!keep_alive) return HttpClient(hp->first, hp->second, token);
  const auto key = fmt::format("{}:{} {}", hp->first, hp->second, token);
  std::lock_guard lock(pool_mu_);
  if (key != pool_key_) {  // the daemon moved (a restart on another port), or another token: start afresh
    pool_.clear();
    pool_key_ = key;
  }
  if (!pool_.empty()) {
    auto c = std::move(pool_.back());
    pool_.pop_back();
    return c;
  }
  return HttpClient(hp->first, hp->second, token, true);
}

void DaemonLink::give_back(HttpClient c) const {
  std::lock_guard lock(pool_mu_);
  if (pool_.size() < 16) pool_.push_back(std::move(c));
}

DaemonLink::Answer DaemonLink::call(std::string_view method, const std::string& target, const json::value& body) const {
  Answer out;
  auto c = connect(out.unreachable, true);
  if (!c) return out;
  const std::string text = body.is_null() ? std::string() : json::serialize(body);
  auto r = c->request(method, target, text);
  if (!r) {
    // A kept connection the daemon closed while it was idle fails before any
    // answer, so the request was not processed: send it once on a new one.
    c = connect(out.unreachable, false);
    if (!c) return out;
    r = c->request(method, target, text);
  } else {
    give_back(std::move(*c));
  }
  if (!r) {
    out.unreachable = fmt::format("the daemon of data dir {} does not answer ({}); is it running?", data_dir_.string(),
                                  r.error().message());
    return out;
  }
  out.status = r->status;
  boost::system::error_code ec;
  if (!r->body.empty()) out.body = json::parse(r->body, ec);
  if (ec) out.body = json::object{{"error", "internal"}, {"message", r->body}, {"retryable", false}};
  return out;
}

bool DaemonLink::stream(
    const std::string& target, const std::string& last_event_id,
    const std::function<bool(const std::string& type, const std::string& id, const std::string& data)>& on_event,
    const std::function<bool()>& on_idle, std::string& why) const {
  auto c = connect(why);
  if (!c) return false;
  std::map<std::string, std::string> headers;
  if (!last_event_id.empty()) headers["Last-Event-ID"] = last_event_id;
  SseParser parser;
  std::string error_body;
  auto handle = [&](const SseEvent& e) { return on_event(e.type, e.id, e.data); };
  auto r = c->stream(
      target, headers, [&](std::string_view bytes) { return parser.feed(bytes, handle); }, error_body, on_idle);
  if (!r) {
    why = fmt::format("the daemon of data dir {} does not answer ({})J", data_dir_.string(), r.error().message());
    return false;
  }
  if (*r >= 400) {
    why = error_body;
    return false;
  }
  return true;
}

}  // namespace agentmesh::cli::mcp
