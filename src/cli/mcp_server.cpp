// The MCP protocol over stdio: JSON-RPC 2.0, one message per line
// (docs/mcp.md). Revisions: 2025-11-25 (the initialize handshake) and
// 2026-07-28 (stateless: server/discover, the version in each request's _meta).

#include <fmt/format.h>

#include <atomic>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <condition_variable>
#include <cstdio>
#include <iostream>
#include <mutex>
#include <set>
#include <thread>

#include "cli/mcp.hpp"

namespace agentmesh::cli::mcp {
namespace {

constexpr std::string_view kLegacy = "2025-11-25";
constexpr std::string_view kModern = "2026-07-28";
constexpr std::string_view kVersionKey = "io.modelcontextprotocol/protocolVersion";
constexpr std::size_t kMaxInFlight = 64;
constexpr std::size_t kMaxLine = 4 << 20;

enum Code {
  kParse = -32700,
  kInvalidRequest = -32600,
  kNoMethod = -32601,
  kInvalidParams = -32602,
  kInternal = -32603,
  kUnsupportedVersion = -32022
};

class Server {
 public:
  Server(DaemonLink& d, std::string about, std::function<void(const std::string&)> out)
      : d_(d), about_(std::move(about)), out_(std::move(out)), tools_(make_tools(d)), resources_(d) {}

  void handle(std::string_view line) {
    if (line.empty() || line == "\r") return;
    if (line.size() > kMaxLine) return reply_error(nullptr, kInvalidRequest, "message over 4 MiB");
    boost::system::error_code ec;
    auto v = json::parse(line, ec);
    if (ec) return reply_error(nullptr, kParse, fmt::format("not JSON: {}", ec.message()));
    dispatch(std::move(v));
  }

  // The client is done sending. Calls that wait end their waits now; every
  // running call is still answered before this returns.
  void finish() {
    std::unique_lock lock(mu_);
    closing_.store(true);
    ended_.notify_all();
    idle_.wait(lock, [&] { return running_.empty(); });
  }

 private:
  void dispatch(json::value v) {
    if (v.is_array()) {
      reply_error(nullptr, kInvalidRequest, "batches are not part of MCP");
      return;
    }
    if (!v.is_object()) {
      reply_error(nullptr, kInvalidRequest, "a JSON-RPC message is an object");
      return;
    }
    auto& o = v.as_object();
    const auto* method = o.if_contains("method");
    const auto* id = o.if_contains("id");
    const bool good_id = !id || id->is_string() || id->is_int64() || id->is_uint64();
    if (!method) {
      // A response (to nothing: the server sends no requests) is ignored;
      // anything else is not JSON-RPC.
      if (!o.contains("result") && !o.contains("error")) {
        reply_error(good_id && id ? *id : json::value(nullptr), kInvalidRequest, "a request needs a method");
      }
      return;
    }
    if (!method->is_string() || !good_id) {
      reply_error(good_id && id ? *id : json::value(nullptr), kInvalidRequest,
                  "method must be a string, id a string or integer");
      return;
    }
    const std::string m(method->as_string());
    json::object params;
    if (const auto* p = o.if_contains("params")) {
      if (!p->is_object()) {
        if (id) reply_error(*id, kInvalidParams, "params must be an object");
        return;
      }
      params = p->as_object();
    }
    if (!id) {
      notification(m, params);
      return;
    }
    request(*id, m, std::move(params));
  }

  void notification(const std::string& m, const json::object& params) {
    if (m == "notifications/cancelled") {
      const auto* rid = params.if_contains("requestId");
      if (!rid) return;
      std::lock_guard lock(mu_);
      if (auto it = running_.find(json::serialize(*rid)); it != running_.end()) it->second->store(true);
      ended_.notify_all();
    }
    // notifications/initialized and others need nothing.
  }

  // The revision a request speaks: modern when its _meta names a version.
  std::optional<std::string> modern_version(const json::object& params) const {
    const auto* meta = params.if_contains("_meta");
    if (!meta || !meta->is_object()) return std::nullopt;
    const auto* v = meta->as_object().if_contains(kVersionKey);
    if (!v) return std::nullopt;
    return v->is_string() ? std::string(v->as_string()) : std::string("(not a string)");
  }

  void request(const json::value& id, const std::string& m, json::object params) {
    const auto modern = modern_version(params);
    if (modern && *modern != kModern && *modern != kLegacy) {
      reply_error(id, kUnsupportedVersion, "Unsupported protocol version",
                  json::object{{"supported", json::array{kModern, kLegacy}}, {"requested", *modern}});
      return;
    }
    const bool stateless = modern && *modern == kModern;
    if (m == "initialize") {
      reply(id, initialize(params), false);
      return;
    }
    if (m == "server/discover") {
      reply(id, cacheable(discover(), true), true);
      return;
    }
    if (!stateless && !initialized_.load()) {
      reply_error(id, kInvalidRequest,
                  fmt::format("send initialize first (revision {}), or give {} \"{}\" in the request's _meta", kLegacy,
                              kVersionKey, kModern));
      return;
    }
    if (m == "ping") {
      reply(id, json::object{}, stateless);
    } else if (m == "tools/list") {
      reply(id, cacheable(list_tools(), stateless), stateless);
    } else if (m == "tools/call") {
      start_call(id, std::move(params), stateless);
    } else if (m == "resources/list") {
      reply(id, cacheable(resources_.list(), stateless), stateless);
    } else if (m == "resources/templates/list") {
      reply(id, cacheable(resources_.templates(), stateless), stateless);
    } else if (m == "resources/read") {
      read_resource(id, params, stateless);
    } else if (m == "resources/subscribe" || m == "resources/unsubscribe") {
      const auto* uri = params.if_contains("uri");
      if (!uri || !uri->is_string()) return reply_error(id, kInvalidParams, "uri (a string) is required");
      const std::string u(uri->as_string());
      if (m == "resources/unsubscribe") {
        resources_.unsubscribe("", u);
      } else if (!resources_.ours(u)) {
        return reply_error(id, kInvalidParams, fmt::format("Resource not found: {}", u));
      } else {
        resources_.subscribe("", {u}, [this](const std::string& changed) {
          notify("notifications/resources/updated", json::object{{"uri", changed}});
        });
      }
      reply(id, json::object{}, stateless);
    } else if (m == "subscriptions/listen") {
      listen(id, params);
    } else {
      reply_error(id, kNoMethod, fmt::format("no method {}", m));
    }
  }

  json::object capabilities() const {
    return json::object{{"tools", json::object{{"listChanged", false}}},
                        {"resources", json::object{{"subscribe", true}, {"listChanged", false}}}};
  }

  json::object server_info() const {
    return json::object{{"name", "agentmesh"}, {"title", "agentmesh"}, {"version", AGENTMESH_VERSION}};
  }

  std::string instructions() const {
    return fmt::format(
        "You are {} on an agentmesh network. Use find_agents to see who is there, send_message and "
        "wait_for_messages to talk, create_task to ask another agent for work and wait_for_task for its result; "
        "when others give you tasks, accept_task then complete_task.",
        about_);
  }

  json::object initialize(const json::object& params) {
    // 2025-11-25: answer the version asked for when we speak it, else ours;
    // the client decides whether it can go on.
    std::string version(kLegacy);
    if (const auto* v = params.if_contains("protocolVersion"); v && v->is_string() && v->as_string() == kModern) {
      version = kModern;
    }
    initialized_.store(true);
    return json::object{{"protocolVersion", version},
                        {"capabilities", capabilities()},
                        {"serverInfo", server_info()},
                        {"instructions", instructions()}};
  }

  // 2026-07-28: list and read results say how long a client may cache them
  // (never: resources change, and a client should not keep a stale tool list
  // across a server upgrade).
  static json::object cacheable(json::object r, bool stateless) {
    if (stateless) {
      r["ttlMs"] = 0;
      r["cacheScope"] = "private";
    }
    return r;
  }

  json::object discover() const {
    return json::object{{"_meta", json::object{{"io.modelcontextprotocol/serverInfo", server_info()}}},
                        {"supportedVersions", json::array{kModern, kLegacy}},
                        {"capabilities", capabilities()},
                        {"serverInfo", server_info()},
                        {"instructions", instructions()}};
  }

  json::object list_tools() const {
    json::array out;
    for (const auto& t : tools_) {
      out.push_back(json::object{{"name", t.name},
                                 {"title", t.title},
                                 {"description", t.description},
                                 {"inputSchema", t.input_schema},
                                 {"outputSchema", t.output_schema},
                                 {"annotations", json::object{{"title", t.title},
                                                              {"readOnlyHint", t.read_only},
                                                              {"destructiveHint", t.destructive},
                                                              {"idempotentHint", t.idempotent},
                                                              {"openWorldHint", t.open_world}}}});
    }
    return json::object{{"tools", std::move(out)}};
  }

  void read_resource(const json::value& id, const json::object& params, bool stateless) {
    const auto* uri = params.if_contains("uri");
    if (!uri || !uri->is_string()) return reply_error(id, kInvalidParams, "uri (a string) is required");
    auto r = resources_.read(std::string(uri->as_string()));
    if (auto* err = std::get_if<std::pair<int, std::string>>(&r)) return reply_error(id, err->first, err->second);
    reply(id, cacheable(std::get<json::object>(r), stateless), stateless);
  }

  void start_call(const json::value& id, json::object params, bool stateless) {
    const auto* name = params.if_contains("name");
    if (!name || !name->is_string()) return reply_error(id, kInvalidParams, "name (a string) is required");
    const Tool* tool = nullptr;
    for (const auto& t : tools_) {
      if (t.name == name->as_string()) tool = &t;
    }
    if (!tool) return reply_error(id, kInvalidParams, fmt::format("no tool {}", std::string(name->as_string())));
    json::object args;
    if (const auto* a = params.if_contains("arguments")) {
      if (!a->is_object()) return reply_error(id, kInvalidParams, "arguments must be an object");
      args = a->as_object();
    }
    json::value token = nullptr;
    if (const auto* meta = params.if_contains("_meta"); meta && meta->is_object()) {
      if (const auto* t = meta->as_object().if_contains("progressToken")) token = *t;
    }
    auto flag = std::make_shared<std::atomic<bool>>(false);
    const auto key = json::serialize(id);
    {
      std::lock_guard lock(mu_);
      if (running_.size() >= kMaxInFlight) {
        return reply_error(id, kInternal, fmt::format("{} calls already running; retry when one ends", kMaxInFlight));
      }
      if (running_.count(key)) return reply_error(id, kInvalidRequest, "a request with this id is still running");
      running_[key] = flag;
    }
    std::thread([this, id, key, tool, args = std::move(args), token, flag, stateless] {
      CallContext ctx;
      ctx.cancelled = [this, flag] { return flag->load() || closing_.load(); };
      ctx.progress = [this, token](double progress, const std::string& message) {
        if (token.is_null()) return;
        notify("notifications/progress",
               json::object{{"progressToken", token}, {"progress", progress}, {"message", message}});
      };
      json::object result;
      try {
        result = render(tool->run(args, ctx));
      } catch (const BadArgument& e) {
        result = render(failure("invalid_argument", e.message, false));
      } catch (const std::exception& e) {
        result = render(failure("internal", e.what(), false));
      }
      if (!flag->load()) reply(id, std::move(result), stateless);  // a cancelled request gets no answer
      std::lock_guard lock(mu_);
      running_.erase(key);
      idle_.notify_all();
    }).detach();
  }

  // 2026-07-28 subscriptions/listen: an open request that delivers the
  // notifications it asked for (stamped with its id), acknowledged first, and
  // answered when the server ends (no answer when the client cancels it).
  void listen(const json::value& id, const json::object& params) {
    const auto* filter = params.if_contains("notifications");
    if (!filter || !filter->is_object())
      return reply_error(id, kInvalidParams, "notifications (an object) is required");
    json::object agreed;
    for (const char* k : {"toolsListChanged", "resourcesListChanged"}) {
      // Our lists never change: honoured trivially, nothing will come.
      if (const auto* v = filter->as_object().if_contains(k); v && v->is_bool() && v->as_bool()) agreed[k] = true;
    }
    std::vector<std::string> uris;
    if (const auto* subs = filter->as_object().if_contains("resourceSubscriptions")) {
      if (!subs->is_array()) return reply_error(id, kInvalidParams, "resourceSubscriptions must be an array of uris");
      json::array kept;
      for (const auto& u : subs->as_array()) {
        if (!u.is_string()) return reply_error(id, kInvalidParams, "resourceSubscriptions must be an array of uris");
        if (resources_.ours(std::string(u.as_string()))) {
          uris.emplace_back(u.as_string());
          kept.push_back(u);
        }
      }
      agreed["resourceSubscriptions"] = std::move(kept);
    }
    const auto key = json::serialize(id);
    auto flag = std::make_shared<std::atomic<bool>>(false);
    {
      std::lock_guard lock(mu_);
      if (running_.count(key)) return reply_error(id, kInvalidRequest, "a request with this id is still running");
      running_[key] = flag;
    }
    const json::object stamp{{"io.modelcontextprotocol/subscriptionId", id}};
    notify("notifications/subscriptions/acknowledged", json::object{{"notifications", agreed}, {"_meta", stamp}});
    resources_.subscribe(key, uris, [this, stamp](const std::string& changed) {
      notify("notifications/resources/updated", json::object{{"uri", changed}, {"_meta", stamp}});
    });
    std::thread([this, id, key, flag, stamp] {
      {
        std::unique_lock lock(mu_);
        ended_.wait(lock, [&] { return flag->load() || closing_.load(); });
      }
      resources_.drop(key);
      if (!flag->load()) reply(id, json::object{{"_meta", stamp}}, true);
      std::lock_guard lock(mu_);
      running_.erase(key);
      idle_.notify_all();
    }).detach();
  }

  static json::object render(const ToolResult& r) {
    json::object out{{"content", json::array{json::object{{"type", "text"}, {"text", r.text}}}}};
    if (r.error) {
      // No structuredContent: it would have to match the tool's output schema.
      out["isError"] = true;
      out["content"].as_array().push_back(json::object{{"type", "text"}, {"text", json::serialize(r.structured)}});
      out["_meta"] = json::object{{"agentmesh/error", r.structured}};
    } else {
      out["structuredContent"] = r.structured;
    }
    return out;
  }

  void write(const json::value& v) {
    const auto text = json::serialize(v);
    std::lock_guard lock(out_mu_);
    out_(text);
  }

  void reply(const json::value& id, json::object result, bool stateless) {
    if (stateless) result["resultType"] = "complete";
    write(json::object{{"jsonrpc", "2.0"}, {"id", id}, {"result", std::move(result)}});
  }

  void reply_error(const json::value& id, int code, const std::string& message, json::value data = nullptr) {
    json::object err{{"code", code}, {"message", message}};
    if (!data.is_null()) err["data"] = std::move(data);
    write(json::object{{"jsonrpc", "2.0"}, {"id", id}, {"error", std::move(err)}});
  }

  void notify(const std::string& method, json::object params) {
    write(json::object{{"jsonrpc", "2.0"}, {"method", method}, {"params", std::move(params)}});
  }

  DaemonLink& d_;
  std::string about_;
  std::function<void(const std::string&)> out_;  // one whole message, called under out_mu_
  std::vector<Tool> tools_;
  Resources resources_;
  std::atomic<bool> initialized_{false};
  std::atomic<bool> closing_{false};  // stdin ended
  std::mutex mu_;
  std::condition_variable idle_;
  std::condition_variable ended_;                                      // a listen request was cancelled, or stdin ended
  std::map<std::string, std::shared_ptr<std::atomic<bool>>> running_;  // by serialized request id
  std::mutex out_mu_;
};

}  // namespace

struct Session::Impl : Server {
  using Server::Server;
};

Session::Session(DaemonLink& d, std::string about, std::function<void(const std::string&)> out)
    : impl_(std::make_unique<Impl>(d, std::move(about), std::move(out))) {}
Session::~Session() { impl_->finish(); }
void Session::handle(std::string_view line) { impl_->handle(line); }
void Session::finish() { impl_->finish(); }

int serve(DaemonLink& d, const std::string& instance_description) {
  std::ios::sync_with_stdio(false);
  Session s(d, instance_description, [](const std::string& text) {
    std::fwrite(text.data(), 1, text.size(), stdout);
    std::fputc('\n', stdout);
    std::fflush(stdout);
  });
  std::string line;
  while (std::getline(std::cin, line)) s.handle(line);
  s.finish();
  return 0;
}

}  // namespace agentmesh::cli::mcp
