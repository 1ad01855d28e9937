#pragma once
// cli/mcp: `agentmesh mcp`, a Model Context Protocol server on stdio that acts
// as one agent of the local daemon (docs/mcp.md). Internal to cli/.
//
// Threads: one reads stdin and dispatches; each request runs on a thread of
// its own (tools block on the daemon: a wait_for_messages call may take 55 s
// while other calls go on); the resource watcher follows the agent's inbox
// stream on one more while any resource is subscribed. Output lines are
// written whole under one mutex. Nothing but protocol messages goes to stdout.

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "cli/context.hpp"

namespace agentmesh::cli::mcp {

namespace json = boost::json;

// The daemon, as seen by the server: found again on every call (a daemon that
// restarts on another port is found), acting with one token.
class DaemonLink {
 public:
  DaemonLink(Global g, std::string agent);

  struct Answer {
    int status = 0;           // 0: the daemon could not be reached
    json::value body;         // the parsed JSON answer
    std::string unreachable;  // why, when status is 0
  };
  Answer call(std::string_view method, const std::string& target, const json::value& body = nullptr) const;

  // Streams an SSE route of the daemon (see HttpClient::stream); false when
  // it could not be opened (the reason in `why`).
  bool stream(
      const std::string& target, const std::string& last_event_id,
      const std::function<bool(const std::string& type, const std::string& id, const std::string& data)>& on_event,
      const std::function<bool()>& on_idle, std::string& why) const;

  const std::string& agent() const { return agent_; }  // name or id, as given
  std::string agent_path() const;                      // "/v1/agents/<agent>"
  std::filesystem::path data_dir() const { return data_dir_; }
  void set_token(std::string token) { token_ = std::move(token); }

 private:
  // A client for the daemon as found now; keep_alive ones come from (and
  // return to) a small pool, so calls reuse connections.
  std::optional<HttpClient> connect(std::string& why, bool keep_alive = false) const;
  void give_back(HttpClient c) const;

  Global g_;
  std::string agent_;
  std::filesystem::path data_dir_;
  std::string token_;
  mutable std::mutex pool_mu_;
  mutable std::vector<HttpClient> pool_;  // idle keep-alive clients of the address last found
  mutable std::string pool_key_;          // that address and token
};

// What a tool call may use besides its arguments.
struct CallContext {
  std::function<void(double progress, const std::string& message)> progress;  // no-op without a progress token
  std::function<bool()> cancelled;
};

struct ToolResult {
  json::object structured;  // the result (a success)
  std::string text;         // a short rendering for the model
  bool error = false;       // a failure: `structured` holds error, message, retryable
};

struct Tool {
  std::string name;
  std::string title;
  std::string description;
  json::object input_schema;
  json::object output_schema;
  bool read_only = false;
  bool destructive = false;
  bool idempotent = false;
  bool open_world = false;
  std::function<ToolResult(const json::object& args, CallContext& ctx)> run;
};

// Thrown by a tool on bad arguments: answered as an isError result.
struct BadArgument {
  std::string message;
};

// The tools, in the order tools/list gives them.
std::vector<Tool> make_tools(const DaemonLink& d);
void add_message_tools(std::vector<Tool>& out, const DaemonLink& d);
void add_task_tools(std::vector<Tool>& out, const DaemonLink& d);

// Helpers shared by the tool files.
json::object schema(std::string_view json_text);
ToolResult from_answer(const DaemonLink::Answer& a, const std::function<ToolResult(const json::value&)>& ok);
ToolResult failure(std::string code, std::string message, bool retryable);
std::optional<std::string> opt_string(const json::object& args, std::string_view key);
std::optional<std::int64_t> opt_int(const json::object& args, std::string_view key, std::int64_t lo, std::int64_t hi);
bool opt_bool(const json::object& args, std::string_view key, bool fallback);
std::string query_escape(std::string_view s);
// Blocks until the task reaches one of `until` or `timeout_s` passes, sending
// progress every 10 s; returns the task as it is then.
ToolResult wait_task(const DaemonLink& d, const std::string& task_id, double timeout_s,
                     const std::vector<std::string>& until, CallContext& ctx);

// The resources and their subscriptions (agentmesh://inbox,
// agentmesh://conversations/{id}, agentmesh://tasks/{id}). A listener is a
// set of uris and how to tell it that one changed: the 2025-11-25
// resources/subscribe calls share one (key ""), each 2026-07-28
// subscriptions/listen request is one (keyed by its request id).
class Resources {
 public:
  using Notify = std::function<void(const std::string& uri)>;
  explicit Resources(const DaemonLink& d);
  ~Resources();

  json::object list() const;
  json::object templates() const;
  // The contents, or a JSON-RPC error (code, message).
  std::variant<json::object, std::pair<int, std::string>> read(const std::string& uri) const;
  bool ours(const std::string& uri) const;
  // Adds `uris` (ours only) to the listener `key`, made with `notify` when new.
  void subscribe(const std::string& key, const std::vector<std::string>& uris, const Notify& notify);
  void unsubscribe(const std::string& key, const std::string& uri);
  void drop(const std::string& key);  // the listener and all its uris

 private:
  struct State;
  const DaemonLink& d_;
  std::shared_ptr<State> state_;
};

// One MCP session: each line given to handle() is one JSON-RPC message from
// the client; `out` gets each message for the client, whole (never two calls
// at once). serve() runs one on stdin/stdout; the fuzz target drives one.
class Session {
 public:
  Session(DaemonLink& d, std::string about, std::function<void(const std::string&)> out);
  ~Session();  // finish()es
  void handle(std::string_view line);
  void finish();  // the client is done: waits end, every running call is answered

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Runs the server until stdin ends. Returns the exit status.
int serve(DaemonLink& d, const std::string& instance_description);

}  // namespace agentmesh::cli::mcp
