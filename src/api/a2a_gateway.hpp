#pragma once
// api/a2a_gateway: the A2A v1.0 gateway's request handler (docs/api.md),
// served by its own listener (`--a2a HOST:PORT`), never by the local API's.
//
//   GET  /.well-known/agent-card.json             the published agent's card (one
//                                                 published agent), else {"agents": [cards]}
//   GET  /agents/{name}/.well-known/agent-card.json   an agent's card
//   POST /agents/{name}/a2a/jsonrpc               the JSON-RPC binding
//   /agents/{name}/a2a/message:send, /tasks, ...  the HTTP+JSON binding (a2a/rest.hpp)
//
// An agent is published when its A2A profile says enabled (PATCH
// /v1/agents/{id} {"a2a": ...}). Another daemon's agent is published here
// too when its advert carries such a profile (node/directory): its path
// segment is its id, its tasks go over the mesh like any task. JSON-RPC calls need a bearer token minted
// for that agent (node/a2a_tokens.hpp): the caller. SendMessage creates an
// agentmesh task for the agent (or answers the caller's task waiting for
// input); its requester is the daemon's gateway agent (kGatewayAgent), and
// the task's metadata names the caller (a2a.caller), so each caller sees
// only its own tasks. The agent works the task through its ordinary inbox and
// task API. GetTask, ListTasks and CancelTask act on the caller's tasks.
// SendStreamingMessage and SubscribeToTask answer an SSE stream of the
// task's steps (a CustomTaskStream on the task's event log). The 0.3 method
// names, with 0.3's shapes, are aliases when the request has no A2A-Version
// header or 0.3.
//
// Push notifications (api/a2a_push.cpp): a caller registers webhooks for its
// task (CreateTaskPushNotificationConfig, or SendMessage's
// configuration.taskPushNotificationConfig), kept durable by the node
// (node/a2a_push.hpp) with a cursor into the task's log. One deliverer per
// config walks the log from its cursor and POSTs each step's StreamResponse
// objects (a 0.3 config: the Task as 0.3 shapes it) to the webhook, in
// order, moving the cursor durably after each 2xx; a failed POST is retried
// with exponential backoff (push_retry_initial doubling to push_retry_max)
// until it succeeds, the config is deleted, the caller's token is revoked,
// or the task's record is purged (counted abandoned). At least once: a step
// whose POST succeeded but whose cursor was not yet durable is sent again
// after a restart. Webhook addresses obey config.webhooks (api/webhook.hpp),
// checked when a config is made and on every POST.
//
// Threading: the node's executor (the daemon runs the listener there).

#include <spdlog/logger.h>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <variant>

#include "a2a/push.hpp"
#include "api/http_types.hpp"
#include "api/server.hpp"
#include "api/webhook.hpp"
#include "node/node_handle.hpp"

namespace agentmesh::api {

inline constexpr std::string_view kGatewayAgent = "a2a-gateway";

struct A2aGatewayConfig {
  // The base URL cards give (e.g. "https://mesh.example:8443", no trailing
  // slash); empty: http:// (https:// when `tls`) and the request's Host header.
  std::string public_url;
  bool tls = false;  // the listener speaks TLS
  // A blocking SendMessage returns the task by then, whatever its state.
  std::chrono::milliseconds max_blocking{60'000};
  // Blocking SendMessage calls waiting at once; past it, they return at once.
  std::size_t max_waiting = 1024;
  std::string version = AGENTMESH_VERSION;
  // Where push notifications may go, and the POSTs' timeout.
  WebhookPolicy webhooks;
  std::chrono::milliseconds push_retry_initial{1'000};
  std::chrono::milliseconds push_retry_max{300'000};
};

class A2aGateway final : public RequestHandler, public std::enable_shared_from_this<A2aGateway> {
 public:
  A2aGateway(node::NodeHandle node, A2aGatewayConfig config, std::shared_ptr<spdlog::logger> log);

  // Starts the deliverers of the push configs the node kept.
  void start(boost::asio::any_io_executor ex);
  boost::asio::awaitable<Response> handle(Request req) override;
  // New requests get 503; the deliverers stop.
  void set_draining() override;
  // In the HTTP+JSON binding's shape on its paths, else JSON-RPC's.
  Response refused(Refusal why, std::string_view target) const override;

  const A2aStats& stats() const { return stats_; }

 private:
  struct Call;
  // A published agent: a local one by name, or one of another daemon (by its
  // id, from its advert), with the peer id of the daemon that hosts it
  // (empty: this one).
  struct Published {
    node::AgentInfo agent;
    std::string peer_id;
  };
  boost::asio::awaitable<std::optional<Published>> find_published(std::string name);
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
    std::optional<a2a::PushConfig> push;  // configuration.taskPushNotificationConfig, checked
  };
  boost::asio::awaitable<std::variant<tasks::Task, boost::json::object>> submit(Call& call, Submit& how);
  boost::asio::awaitable<boost::json::object> send_message(Call& call);
  // The SSE stream, or the error (a JSON-RPC error envelope) that prevented
  // it; a 0.3 call's params and stream items translated as in dispatch().
  boost::asio::awaitable<std::variant<Response, boost::json::object>> stream(Call& call);
  boost::asio::awaitable<boost::json::object> get_task(Call& call);
  boost::asio::awaitable<boost::json::object> list_tasks(Call& call);
  boost::asio::awaitable<boost::json::object> cancel_task(Call& call);
  // Push notification configs (api/a2a_push.cpp).
  boost::asio::awaitable<boost::json::object> create_push_config(Call& call);
  boost::asio::awaitable<boost::json::object> get_push_config(Call& call);
  boost::asio::awaitable<boost::json::object> list_push_configs(Call& call);
  boost::asio::awaitable<boost::json::object> delete_push_config(Call& call);
  // Checks and stores `config` for the caller's `task` with its cursor at
  // `cursor`, and starts its deliverer: the envelope of the config as A2A
  // gives it back, or the error envelope.
  // `config` parsed and its webhook's addresses checked, or the error envelope.
  boost::asio::awaitable<std::variant<a2a::PushConfig, boost::json::object>> checked_push(
      const Call& call, const boost::json::object& config);
  // Stores the checked `config` for the caller's `task` with its cursor at
  // `cursor` and starts its deliverer: the envelope of the config as A2A
  // gives it back, or the error envelope.
  boost::asio::awaitable<boost::json::object> register_push(const Call& call, const tasks::Task& task,
                                                            a2a::PushConfig config, std::uint64_t cursor);
  // The push config methods' task (params.taskId, the caller's), or the error envelope.
  boost::asio::awaitable<std::variant<tasks::Task, boost::json::object>> push_task(const Call& call);
  struct Deliverer;
  using PushKey = std::pair<core::TaskId, std::string>;
  void run_deliverer(PushKey key);
  boost::asio::awaitable<void> deliver(PushKey key, std::shared_ptr<Deliverer> d);
  // One pass over the config's undelivered steps: false when the deliverer is done.
  boost::asio::awaitable<bool> deliver_once(const PushKey& key, core::AgentId gateway, Deliverer& d);
  boost::asio::awaitable<bool> post_steps(const store::A2aPushConfigRecord& rec, const tasks::Task& task,
                                          const std::vector<tasks::Event>& events, Deliverer& d);
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
  std::optional<boost::asio::any_io_executor> ex_;
  std::map<PushKey, std::shared_ptr<Deliverer>> deliverers_;
};

}  // namespace agentmesh::api
