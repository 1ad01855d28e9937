// api/a2a_outbound: the outbound A2A client's tasks, cards and credentials
// (the runner of one task: a2a_outbound_run.cpp).

#include "api/a2a_outbound.hpp"

#include <fmt/format.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/this_coro.hpp>

#include "a2a/push.hpp"
#include "core/awaitable.hpp"
#include "node/error.hpp"

namespace agentmesh::api {
namespace asio = boost::asio;
using core::kTuple;

struct A2aOutbound::CachedCard {
  a2a::RemoteCard card;
  std::chrono::steady_clock::time_point expires;
};

namespace {

// max-age from a Cache-Control header; 0 for no-store or no-cache; none without either.
std::optional<std::chrono::seconds> max_age(std::string_view header) {
  if (header.find("no-store") != std::string_view::npos || header.find("no-cache") != std::string_view::npos) {
    return std::chrono::seconds(0);
  }
  const auto at = header.find("max-age=");
  if (at == std::string_view::npos) return std::nullopt;
  std::int64_t secs = 0;
  for (auto i = at + 8; i < header.size() && std::isdigit(static_cast<unsigned char>(header[i])); ++i) {
    secs = std::min<std::int64_t>(secs * 10 + (header[i] - '0'), 1'000'000'000);
  }
  return std::chrono::seconds(secs);
}

}  // namespace

A2aOutbound::A2aOutbound(node::NodeHandle node, A2aOutboundConfig config, std::shared_ptr<A2aCredentials> credentials,
                         std::shared_ptr<spdlog::logger> log)
    : node_(std::move(node)), config_(std::move(config)), credentials_(std::move(credentials)), log_(std::move(log)) {}

A2aOutbound::~A2aOutbound() = default;

void A2aOutbound::start(asio::any_io_executor ex) {
  ex_ = ex;
  wake_ = std::make_shared<asio::steady_timer>(ex);
  asio::co_spawn(
      ex, [self = shared_from_this()]() { return self->watch_loop(); },
      [log = log_](const std::exception_ptr& e) {
        if (e) log->error("the outbound A2A client's watcher ended by an exception");
      });
}

void A2aOutbound::stop() {
  stopped_ = true;
  if (wake_) wake_->cancel();
  if (stream_token_ && agent_) node_.close_task_stream(*agent_, *stream_token_);
  stream_token_.reset();
}

A2aOutboundStats A2aOutbound::stats() const {
  auto s = stats_;
  s.running = running_.size();
  return s;
}

asio::awaitable<Result<void>> A2aOutbound::prepare(node::CreateTaskRequest& req, std::string& why) {
  const std::string url = req.to.substr(4);  // after "a2a:"
  auto parsed = a2a::parse_webhook_url(url);
  if (auto* bad = std::get_if<std::string>(&parsed)) {
    why = fmt::format("\"to\": a2a: takes an agent card's http:// or https:// URL: {}", *bad);
    co_return make_error_code(boost::system::errc::invalid_argument);
  }
  std::string credential;
  for (const auto& [k, v] : req.metadata) {
    if (k == kCredentialKey) credential = v;
  }
  if (!credential.empty() && !credentials_->find(credential)) {
    why = fmt::format("no A2A credential is named \"{}\" (agentmesh a2a credential add)", credential);
    co_return make_error_code(boost::system::errc::invalid_argument);
  }
  auto agent = co_await client_agent();
  if (!agent) co_return agent.error();
  req.to = agent->to_string();
  req.metadata.emplace_back(std::string(kUrlKey), url);
  co_return Result<void>{};
}

// Resolved on every call: an admin may delete the agent; it is then made again
// (its unfinished tasks went with it, failed by the node).
asio::awaitable<Result<core::AgentId>> A2aOutbound::client_agent() {
  std::string name(kClientAgent);
  auto found = co_await node_.resolve_agent(name);
  if (!found && found.error() == node::error::unknown_agent) {
    node::CreateAgentRequest req;
    req.name = name;
    req.display_name = "A2A client (assignee of tasks for A2A agents outside the mesh)";
    auto created = co_await node_.create_agent(std::move(req));
    if (created) {
      log_->info("created the agent {} ({}) for tasks sent to A2A agents", kClientAgent, created->agent.id);
      found = created->agent.id;
    } else {
      found = co_await node_.resolve_agent(name);  // created meanwhile
    }
  }
  if (!found) co_return found.error();
  if (agent_ != *found) {
    if (stream_token_ && agent_) node_.close_task_stream(*agent_, *stream_token_);
    stream_token_.reset();
    agent_ = *found;
    woken_ = true;
    if (wake_) wake_->cancel();
  }
  co_return *agent_;
}

asio::awaitable<void> A2aOutbound::watch_loop() {
  auto self = shared_from_this();
  while (!stopped_) {
    if (!woken_) {
      wake_->expires_after(std::chrono::minutes(1));
      co_await wake_->async_wait(kTuple);
      if (stopped_) break;
    }
    woken_ = false;
    // The agent is made by the first prepare() (or was, before a restart).
    if (!agent_) {
      std::string name(kClientAgent);
      auto found = co_await node_.resolve_agent(name);
      if (!found) continue;
      agent_ = *found;
      stream_token_.reset();
    }
    const bool first = !stream_token_;
    if (first) {
      std::function<void()> wake = [this, self] {
        woken_ = true;
        wake_->cancel();
      };
      const std::optional<core::TaskId> every;
      auto token = co_await node_.open_task_stream(*agent_, every, std::move(wake));
      if (!token) {
        log_->warn("watching the {} agent's tasks: {}", kClientAgent, token.error().message());
        agent_.reset();
        continue;
      }
      stream_token_ = *token;
    }
    co_await scan(*agent_, first);
  }
}

asio::awaitable<void> A2aOutbound::scan(core::AgentId agent, bool all_open) {
  std::vector<tasks::TaskState> states{tasks::TaskState::submitted};
  if (all_open) {
    states.insert(states.end(),
                  {tasks::TaskState::working, tasks::TaskState::input_required, tasks::TaskState::auth_required});
  }
  for (auto state : states) {
    node::TaskListQuery q;
    q.role = store::TaskQuery::Role::assignee;
    q.state = state;
    while (true) {
      auto page = co_await node_.tasks(agent, q);
      if (!page) {
        if (page.error() == node::error::unknown_agent) {  // deleted: found again by the next prepare()
          stream_token_.reset();
          agent_.reset();
        } else {
          log_->warn("listing the {} agent's tasks: {}", kClientAgent, page.error().message());
        }
        co_return;
      }
      for (const auto& t : *page) {
        if (running_.insert(t.id).second) {
          ++stats_.tasks;
          asio::co_spawn(
              ex_, [self = shared_from_this(), agent, id = t.id]() { return self->run(agent, id); },
              [log = log_, id = t.id](const std::exception_ptr& e) {
                if (e) log->error("the outbound A2A runner of task {} ended by an exception", id);
              });
        }
      }
      if (page->size() < q.limit) break;
      q.after = page->back().id;
    }
  }
  // The client agent's inbox gets every step of its tasks, which it reads
  // from the task store: acked at most once a second, so it never grows.
  const auto now = std::chrono::steady_clock::now();
  if (now - last_ack_ < std::chrono::seconds(1)) co_return;
  last_ack_ = now;
  const core::Seq start{0};
  auto inbox = co_await node_.read_inbox(agent, start, 1);
  if (inbox && inbox->position.last.value > inbox->position.acked.value) {
    (void)co_await node_.ack(agent, inbox->position.last);
  }
}

asio::awaitable<std::variant<a2a::RemoteCard, std::string>> A2aOutbound::card(const std::string& url) {
  const auto now = std::chrono::steady_clock::now();
  if (auto it = cards_.find(url); it != cards_.end() && it->second->expires > now) {
    ++stats_.card_hits;
    co_return it->second->card;
  }
  ++stats_.card_fetches;
  HttpRequest req;
  req.method = "GET";
  req.url = url;
  BodySink whole;  // none: the card is read whole
  auto out = co_await http_request(config_.http, std::move(req), std::move(whole));
  if (!out.ok() || !out.error.empty()) {
    co_return out.error.empty() ? fmt::format("fetching the agent card {}: HTTP status {}", url, out.status)
                                : fmt::format("fetching the agent card {}: {}", url, out.error);
  }
  auto parsed = a2a::parse_card(out.body);
  if (auto* why = std::get_if<std::string>(&parsed)) co_return fmt::format("the agent card {}: {}", url, *why);
  auto& remote = std::get<a2a::RemoteCard>(parsed);
  // The card's interface must obey the same address rule; it is checked on every call.
  auto ttl = max_age(out.cache_control).value_or(config_.default_card_ttl);
  ttl = std::min(ttl, config_.max_card_ttl);
  if (cards_.size() >= config_.max_cards) {
    std::erase_if(cards_, [&](const auto& kv) { return kv.second->expires <= now; });
    if (cards_.size() >= config_.max_cards) cards_.erase(cards_.begin());
  }
  if (ttl.count() > 0) cards_[url] = std::make_unique<CachedCard>(CachedCard{remote, now + ttl});
  co_return remote;
}

}  // namespace agentmesh::api
