#pragma once
// api/a2a_gateway: the A2A v1.0 gateway's request handler (docs/a2a.md),
// served by its own listener (`--a2a HOST:PORT`), never by the local API's.
//
//   GET  /.well-known/agent-card.json             the published agent's card (one
//                                                 published agent), else {"agents": [cards]}
//   GET  /agents/{name}/.well-known/agent-card.json   an agent's card
//   POST /agents/{name}/a2a/jsonrpc               the JSON-RPC binding
//   /agents/{name}/a2a/message:send, /tasks, ...  the HTTP+JSON binding (a2a/rest.hpp)
//
// An agent is published when its A2A profile says enabled (PATCH
// /v1/agents/{id} {"a2a": ...}). JSON-RPC calls need a bearer token minted
// for that agent (node/a2a_tokens.hpp): the caller. SendMessage creates an
// agentmesh task for the agent (or answers the caller's task waiting for
// input); its requester is the daemon's gateway agent (kGatewayAgent), and
// the task's metadata names the caller (a2a.caller), so each caller sees
// only its own tasks. The agent works the task through its ordinary inbox and
// task API. GetTask, ListTasks and CancelTask act on the caller's tasks.
// SendStreamingMessage and SubscribeToTask answer an SSE stream of the
// task's steps (a CustomTaskStream on the task's event log). Push
// notifications are not offered (the card says so; their methods answer
// PushNotificationNotSupportedError). The 0.3 method names, with 0.3's
// shapes, are aliases when the request has no A2A-Version header or 0.3.
//
// Threading: the node's executor (the daemon runs the listener there).

#include <spdlog/logger.h>

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <variant>

#include "api/http_types.hpp"
#include "api/server.hpp"
#include "node/node_handle.hpp"

namespace agentmesh::api {

inline constexpr std::string_view kGatewayAgent = "a2a-gateway";

struct A2aGatewayConfig {
  // The base URL cards give (e.g. "https://mesh.example:8443", no trailing
  // slash); empty: http:// and the request's Host header.
  std::string public_url;
  // A blocking SendMessage returns the task by then, whatever its state.
  std::chrono::milliseconds max_blocking{60'000};
  // Blocking SendMessage calls waiting at once; past it, they return at once.
  std::size_t max_waiting = 1024;
  std::string version = AGENTMESH_VERSION;
};

class A2aGateway final : public RequestHandler {
 public:
  A2aGateway(node::NodeHandle node, A2aGatewayConfig config, std::shared_ptr<spdlog::logger> log);

  boost::asio::awaitable<Response> handle(Request req) override;
  void set_draining() override { draining_ = true; }
  // In the HTTP+JSON binding's shape on its paths, else JSON-RPC's.
  Response refused(Refusal why, std::string_view target) const override;

  const A2aStats& stats() const { return stats_; }

 private:
  struct Call;
  boost::asio::awaitable<Response> card(const Request& req, std::string name);
  boost::asio::awaitable<Response> root_card(const Request& req);
  // The published agent `name` and the caller its bearer token names, or
  // the HTTP status of the refusal (404: no such published agent; 401).
  struct Authorized {
    node::AgentInfo agent;
    node::A2aCaller caller;
  };
  boost::asio::awaitable<std::variant<Authorized, int>> authorize(const Request& req, std::string name);
  boost::asio::awaitable<Response> jsonrpc(Request req, std::string name);
  boost::asio::awaitable<Response> rest(Request req, std::string name, std::string path);
  // A call's answer (its JSON-RPC envelope); a 0.3 call's params and
  // result translated (a2a/legacy.hpp) around the 1.0 method.
  boost::asio::awaitable<boost::json::object> dispatch(Call& call);
  boost::asio::awaitable<boost::json::object> run_method(Call& call);
  struct Submit {
    bool immediately = false;
    std::optional<std::size_t> history;
  };
  boost::asio::awaitable<std::variant<tasks::Task, boost::json::object>> submit(Call& call, Submit& how);
  boost::asio::awaitable<boost::json::object> send_message(Call& call);
  // The SSE stream, or the error (a JSON-RPC error envelope) that prevented
  // it; a 0.3 call's params and stream items translated as in dispatch().
  boost::asio::awaitable<std::variant<Response, boost::json::object>> stream(Call& call);
  boost::asio::awaitable<boost::json::object> get_task(Call& call);
  boost::asio::awaitable<boost::json::object> list_tasks(Call& call);
  boost::asio::awaitable<boost::json::object> cancel_task(Call& call);
  boost::asio::awaitable<Result<core::AgentId>> gateway_agent();
  void forget_gateway_if_gone(const error_code& ec);
  // The caller's task, or nullopt (not found, or another caller's).
  boost::asio::awaitable<std::optional<tasks::Task>> callers_task(const Call& call, const core::TaskId& id);
  boost::asio::awaitable<Result<tasks::Task>> wait_for(core::AgentId gateway, tasks::Task task);
  boost::asio::awaitable<void> ack_gateway_inbox(core::AgentId gateway);
  std::string base_url(const Request& req) const;

  node::NodeHandle node_;
  A2aGatewayConfig config_;
  std::shared_ptr<spdlog::logger> log_;
  A2aStats stats_;
  std::optional<core::AgentId> gateway_;
  std::chrono::steady_clock::time_point last_ack_{};
  bool draining_ = false;
};

}  // namespace agentmesh::api
