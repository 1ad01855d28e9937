#pragma once
// api/a2a_outbound: mesh agents calling A2A agents outside the mesh
// (docs/api.md, "Tasks for A2A agents outside the mesh").
//
// A task created with `"to": "a2a:<agent card URL>"` (and optionally
// `"credential": NAME`, api/a2a_credentials.hpp) is assigned to the daemon's
// client agent (kClientAgent), with the URL and the credential's name in
// its metadata (a2a.url, a2a.credential). This service works that agent's
// tasks: one runner per task accepts it, fetches the card (cached as its
// Cache-Control allows, default_card_ttl without one), and calls the card's
// JSON-RPC interface (its HTTP+JSON one when it has no JSON-RPC one):
//
//   SendStreamingMessage when the card says streaming (SubscribeToTask when
//   the stream drops), else SendMessage (returnImmediately) and GetTask
//   polls with backoff (poll_initial doubling to poll_max, reset by news);
//
// and maps what the remote agent says into the local task: the remote task's
// id (a progress step with a data part of media type kRemoteMediaType, so a
// restart resumes it), status messages as progress, artifacts as artifact
// chunks, input-required (and auth-required) as input_required, completed,
// and failed, rejected or canceled as failed with the reason. A direct
// Message answer completes the task with the message as the artifact
// "response". The requester's answer to input_required is sent as a message
// on the remote task; its cancel is forwarded (CancelTask).
//
// The message id of the first message is the local task's id, and of an
// answer the task's id and the answer's sequence: when a call's outcome is
// unknown (sent, then the connection dropped or timed out before the
// answer), the task says so in a progress step (outcome_unknown) and the
// same message is sent again (the remote's idempotency key), up to
// unknown_attempts times, then the task fails; a call that was never sent
// (cannot resolve, connect, TLS), an HTTP error, a JSON-RPC error or an
// answer that is not A2A fails the task with the reason. Every call obeys
// config.http (the webhook address rule, TLS verification, timeouts, size
// limits: api/webhook.hpp).
//
// Only tasks whose requester is an agent of this daemon are served; others
// are rejected (the client agent is not a proxy for other daemons).
//
// Threading: the node's executor (the daemon runs everything on one thread).

#include <spdlog/logger.h>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>

#include "a2a/remote.hpp"
#include "api/a2a_credentials.hpp"
#include "api/webhook.hpp"
#include "node/node_handle.hpp"

namespace agentmesh::api {

inline constexpr std::string_view kClientAgent = "a2a-client";
inline constexpr std::string_view kRemoteMediaType = "application/vnd.agentmesh.a2a-remote+json";
inline constexpr std::string_view kUrlKey = "a2a.url";
inline constexpr std::string_view kCredentialKey = "a2a.credential";

struct A2aOutboundConfig {
  WebhookPolicy http;
  std::chrono::milliseconds poll_initial{250};
  std::chrono::milliseconds poll_max{5'000};
  std::chrono::milliseconds retry_initial{1'000};
  int unknown_attempts = 5;
  std::chrono::seconds default_card_ttl{300};
  std::chrono::seconds max_card_ttl{86'400};
  std::size_t max_cards = 256;
};

struct A2aOutboundStats {
  std::uint64_t tasks = 0;  // runners started
  std::uint64_t calls = 0;  // JSON-RPC calls made
  std::uint64_t completed = 0;
  std::uint64_t failed = 0;  // local tasks failed by the client (any reason)
  std::uint64_t outcome_unknown = 0;
  std::uint64_t cancels_forwarded = 0;
  std::uint64_t card_fetches = 0;
  std::uint64_t card_hits = 0;
  std::size_t running = 0;
};

class A2aOutbound : public std::enable_shared_from_this<A2aOutbound> {
 public:
  A2aOutbound(node::NodeHandle node, A2aOutboundConfig config, std::shared_ptr<A2aCredentials> credentials,
              std::shared_ptr<spdlog::logger> log);
  ~A2aOutbound();

  // Resumes the client agent's unfinished tasks and watches for new ones.
  void start(boost::asio::any_io_executor ex);
  void stop();

  // Turns a task for "a2a:URL" (its credential's name, if any, in the
  // metadata's a2a.credential) into one for the client agent; `why` when
  // the URL or the credential is not usable (nothing is created).
  boost::asio::awaitable<Result<void>> prepare(node::CreateTaskRequest& req, std::string& why);

  A2aCredentials& credentials() { return *credentials_; }
  const A2aCredentials& credentials() const { return *credentials_; }
  A2aOutboundStats stats() const;

 private:
  struct Job;
  struct CachedCard;
  struct CallOutcome;

  boost::asio::awaitable<Result<core::AgentId>> client_agent();
  boost::asio::awaitable<void> watch_loop();
  boost::asio::awaitable<void> scan(core::AgentId agent, bool all_open);
  boost::asio::awaitable<void> run(core::AgentId agent, core::TaskId id);
  boost::asio::awaitable<void> drive(Job& job);
  boost::asio::awaitable<std::variant<a2a::RemoteCard, std::string>> card(const std::string& url);
  boost::asio::awaitable<bool> send(Job& job, std::string message_id, std::vector<tasks::Part> parts);
  boost::asio::awaitable<bool> follow(Job& job);
  boost::asio::awaitable<CallOutcome> call(Job& job, a2a::RemoteCall request, bool stream);
  boost::asio::awaitable<bool> apply(Job& job, const a2a::Update& u);
  boost::asio::awaitable<bool> act(Job& job, node::TaskActionRequest req);
  boost::asio::awaitable<void> fail(Job& job, std::string reason);
  boost::asio::awaitable<void> forward_cancel(Job& job);
  boost::asio::awaitable<void> check_cancel(std::shared_ptr<Job> job);
  boost::asio::awaitable<void> wait(Job& job, std::chrono::milliseconds d);

  node::NodeHandle node_;
  A2aOutboundConfig config_;
  std::shared_ptr<A2aCredentials> credentials_;
  std::shared_ptr<spdlog::logger> log_;
  boost::asio::any_io_executor ex_;
  std::optional<core::AgentId> agent_;
  std::set<core::TaskId> running_;
  std::map<std::string, std::unique_ptr<CachedCard>> cards_;
  std::shared_ptr<boost::asio::steady_timer> wake_;
  bool woken_ = true;
  std::optional<std::uint64_t> stream_token_;
  std::chrono::steady_clock::time_point last_ack_{};
  std::uint64_t next_rpc_id_ = 1;
  bool stopped_ = false;
  A2aOutboundStats stats_;
};

}  // namespace agentmesh::api
