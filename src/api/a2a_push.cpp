// api/a2a_push: the A2A gateway's push notifications: the four config
// methods and the deliverers (api/a2a_gateway.hpp says what they do).

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/json/serialize.hpp>

#include "a2a/legacy.hpp"
#include "a2a/mapping.hpp"
#include "a2a/push.hpp"
#include "api/a2a_call.hpp"
#include "core/awaitable.hpp"
#include "core/hex.hpp"
#include "crypto/crypto.hpp"
#include "node/error.hpp"
#include "tasks/error.hpp"

namespace agentmesh::api {
namespace json = boost::json;
namespace asio = boost::asio;
using a2a::RpcCode;
using a2a_call::fail;
using a2a_call::fail_with;
using a2a_call::ok;

struct A2aGateway::Deliverer {
  explicit Deliverer(const asio::any_io_executor& ex) : timer(ex) {}
  // A step of the task was logged.
  void wake() {
    woken = true;
    timer.cancel();
  }
  // The config was replaced or deleted: no backoff before reading it again.
  void change() {
    changed = true;
    wake();
  }
  asio::steady_timer timer;
  bool woken = false;
  bool changed = false;
  bool stopped = false;
  unsigned failures = 0;  // consecutive
};

namespace {

constexpr std::size_t kStepsPerPass = 16;

a2a::PushConfig config_of(const store::A2aPushConfigRecord& r) {
  return a2a::PushConfig{r.task.to_string(), r.id, r.url, r.token, r.scheme, r.credentials};
}

std::string new_config_id() {
  std::array<std::uint8_t, 8> b{};
  crypto::random_bytes(b);
  return core::to_hex(std::span<const std::uint8_t>(b));
}

}  // namespace

void A2aGateway::start(asio::any_io_executor ex) {
  ex_ = ex;
  asio::co_spawn(
      ex,
      [self = shared_from_this()]() -> asio::awaitable<void> {
        auto all = co_await self->node_.a2a_push_configs(std::nullopt);
        if (!all) {
          self->log_->error("cannot list the A2A push notification configs: {}", all.error().message());
          co_return;
        }
        for (const auto& c : *all) self->run_deliverer({c.task, c.id});
      },
      asio::detached);
}

void A2aGateway::set_draining() {
  draining_ = true;
  for (auto& [key, d] : deliverers_) {
    d->stopped = true;
    d->change();
  }
}

asio::awaitable<std::variant<a2a::PushConfig, json::object>> A2aGateway::checked_push(const Call& call,
                                                                                      const json::object& config) {
  const auto& r = call.req;
  auto parsed = a2a::push_config_of(config);
  if (auto* why = std::get_if<std::string>(&parsed)) co_return fail(r, RpcCode::invalid_params, *why);
  auto& c = std::get<a2a::PushConfig>(parsed);
  auto why = co_await check_webhook(config_.webhooks, c.url);
  if (why.empty()) co_return std::move(c);
  ++stats_.webhooks_refused;
  log_->warn("A2A caller {} ({}): push notification webhook refused: {}", call.caller.label, call.remote, why);
  co_return fail(r, RpcCode::invalid_params, "url: " + why);
}

asio::awaitable<json::object> A2aGateway::register_push(const Call& call, const tasks::Task& task, a2a::PushConfig c,
                                                        std::uint64_t cursor) {
  const auto& r = call.req;
  if (c.id.empty()) c.id = new_config_id();
  c.task_id = task.id.to_string();
  store::A2aPushConfigRecord rec;
  rec.task = task.id;
  rec.id = c.id;
  rec.agent = call.agent.id;
  rec.caller = call.caller.token;
  rec.url = c.url;
  rec.token = c.token;
  rec.scheme = c.scheme;
  rec.credentials = c.credentials;
  rec.legacy = r.legacy;
  rec.delivered = cursor;
  auto stored = co_await node_.put_a2a_push_config(std::move(rec));
  if (!stored) co_return fail_with(r, stored.error());
  ++stats_.push_configs_created;
  run_deliverer({task.id, c.id});
  co_return ok(r, a2a::push_config_json(c));
}

asio::awaitable<std::variant<tasks::Task, json::object>> A2aGateway::push_task(const Call& call) {
  const auto& r = call.req;
  auto id = a2a_call::task_id_of(r.params, "taskId");
  if (!id) co_return fail(r, RpcCode::task_not_found, "taskId names no task");
  auto mine = co_await callers_task(call, *id);
  if (!mine) co_return fail(r, RpcCode::task_not_found, "no such task");
  co_return std::move(*mine);
}

asio::awaitable<json::object> A2aGateway::create_push_config(Call& call) {
  auto task = co_await push_task(call);
  if (auto* e = std::get_if<json::object>(&task)) co_return std::move(*e);
  const auto& mine = std::get<tasks::Task>(task);
  auto checked = co_await checked_push(call, call.req.params);
  if (auto* e = std::get_if<json::object>(&checked)) co_return std::move(*e);
  co_return co_await register_push(call, mine, std::move(std::get<a2a::PushConfig>(checked)), mine.sequence);
}

asio::awaitable<json::object> A2aGateway::get_push_config(Call& call) {
  const auto& r = call.req;
  const auto* config = r.params.if_contains("id");
  const std::string_view wanted = config && config->is_string() ? std::string_view(config->get_string()) : "";
  if (wanted.empty() && !r.legacy) co_return fail(r, RpcCode::invalid_params, "id names no config");
  auto task = co_await push_task(call);
  if (auto* e = std::get_if<json::object>(&task)) co_return std::move(*e);
  auto all = co_await node_.a2a_push_configs(std::get<tasks::Task>(task).id);
  if (!all) co_return fail_with(r, all.error());
  for (const auto& c : *all) {
    // 0.3's get without an id: the task's first config.
    if (wanted.empty() || c.id == wanted) co_return ok(r, a2a::push_config_json(config_of(c)));
  }
  co_return fail_with(r, node::error::unknown_push_config);
}

asio::awaitable<json::object> A2aGateway::list_push_configs(Call& call) {
  const auto& r = call.req;
  auto task = co_await push_task(call);
  if (auto* e = std::get_if<json::object>(&task)) co_return std::move(*e);
  auto all = co_await node_.a2a_push_configs(std::get<tasks::Task>(task).id);
  if (!all) co_return fail_with(r, all.error());
  json::array configs;
  for (const auto& c : *all) configs.push_back(a2a::push_config_json(config_of(c)));
  // At most A2aPushService::kMaxPerTask: one page.
  co_return ok(r, json::object{{"configs", std::move(configs)}, {"nextPageToken", ""}});
}

// Idempotent, as the specification asks: deleting a config that is gone succeeds.
asio::awaitable<json::object> A2aGateway::delete_push_config(Call& call) {
  const auto& r = call.req;
  const auto* config = r.params.if_contains("id");
  if (!config || !config->is_string() || config->get_string().empty()) {
    co_return fail(r, RpcCode::invalid_params, "id names no config");
  }
  auto task = co_await push_task(call);
  if (auto* e = std::get_if<json::object>(&task)) co_return std::move(*e);
  const auto id = std::get<tasks::Task>(task).id;
  std::string name(config->get_string());
  auto removed = co_await node_.remove_a2a_push_config(id, name);
  if (!removed && removed.error() != node::error::unknown_push_config) co_return fail_with(r, removed.error());
  if (auto it = deliverers_.find({id, name}); it != deliverers_.end()) it->second->change();
  co_return ok(r, json::object{});
}

void A2aGateway::run_deliverer(PushKey key) {
  if (!ex_ || draining_) return;
  if (auto it = deliverers_.find(key); it != deliverers_.end()) {
    it->second->change();  // replaced: it reads the config again
    return;
  }
  auto d = std::make_shared<Deliverer>(*ex_);
  deliverers_.emplace(key, d);
  ++stats_.push_active;
  asio::co_spawn(*ex_, deliver(std::move(key), d), [log = log_](const std::exception_ptr& e) {
    if (!e) return;
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& ex) {
      log->error("A2A push deliverer ended: {}", ex.what());
    }
  });
}

asio::awaitable<void> A2aGateway::deliver(PushKey key, std::shared_ptr<Deliverer> d) {
  auto self = shared_from_this();
  auto gateway = co_await gateway_agent();
  std::optional<std::uint64_t> watch;
  if (gateway) {
    std::function<void()> wake = [d] { d->wake(); };
    auto token = co_await node_.watch_task(*gateway, key.first, std::move(wake));
    if (token) watch = *token;
  }
  // Without a watch (the task is gone) the pass finds that out and ends.
  while (gateway && !d->stopped && co_await deliver_once(key, *gateway, *d)) {
  }
  if (watch) node_.unwatch_task(*gateway, *watch);
  if (auto it = deliverers_.find(key); it != deliverers_.end() && it->second == d) deliverers_.erase(it);
  --stats_.push_active;
}

asio::awaitable<bool> A2aGateway::deliver_once(const PushKey& key, core::AgentId gateway, Deliverer& d) {
  d.woken = false;
  d.changed = false;
  auto all = co_await node_.a2a_push_configs(key.first);
  if (!all) co_return false;  // shutting down
  auto it = std::find_if(all->begin(), all->end(), [&](const auto& c) { return c.id == key.second; });
  if (it == all->end()) co_return false;  // deleted
  const auto rec = *it;
  auto tokens = co_await node_.a2a_tokens(rec.agent);
  const bool caller_ok = tokens && std::any_of(tokens->begin(), tokens->end(),
                                               [&](const auto& t) { return t.id == rec.caller && !t.expired; });
  // The steps, then the task: the task is at least as new as the last step read.
  auto events = co_await node_.task_events(gateway, key.first, rec.delivered, kStepsPerPass);
  auto task = co_await node_.task(gateway, key.first);
  if (!caller_ok || !task || !events) {
    const bool gone = !caller_ok || (!task && task.error() == tasks::error::unknown_task) ||
                      (!events && events.error() == tasks::error::unknown_task);
    if (!gone) co_return false;
    const bool pending = events ? !events->empty() : task.has_value() && task->sequence > rec.delivered;
    if (d.failures > 0 || pending) ++stats_.push_abandoned;
    log_->info("A2A push config {} of task {} ends: {}", rec.id, key.first,
               caller_ok ? "the task's record is gone" : "its caller's token was revoked or expired");
    (void)co_await node_.remove_a2a_push_config(key.first, rec.id);
    co_return false;
  }
  if (events->empty()) {
    // All delivered (the config stays until deleted or purged), unless a step came after the read.
    if (tasks::terminal(task->state)) co_return task->sequence > rec.delivered;
    if (!d.woken) {
      d.timer.expires_after(std::chrono::hours(1));
      co_await d.timer.async_wait(core::kTuple);
    }
    co_return !d.stopped;
  }
  if (co_await post_steps(rec, *task, *events, d)) {
    d.failures = 0;
    co_return true;
  }
  ++d.failures;
  auto backoff = config_.push_retry_initial * (1LL << std::min(d.failures - 1, 20u));
  if (backoff > config_.push_retry_max) backoff = config_.push_retry_max;
  // New steps do not shorten the wait; a delete or a replace ends it.
  const auto until = std::chrono::steady_clock::now() + backoff;
  while (!d.changed && !d.stopped && std::chrono::steady_clock::now() < until) {
    d.timer.expires_at(until);
    co_await d.timer.async_wait(core::kTuple);
  }
  co_return !d.stopped;
}

// POSTs the steps' notifications in order, moving the cursor after each
// step; false at the first failure (the cursor stays before that step).
asio::awaitable<bool> A2aGateway::post_steps(const store::A2aPushConfigRecord& rec, const tasks::Task& task,
                                             const std::vector<tasks::Event>& events, Deliverer& d) {
  WebhookPost post;
  post.url = rec.url;
  if (!rec.token.empty()) post.headers.emplace_back("X-A2A-Notification-Token", rec.token);
  if (!rec.scheme.empty())
    post.headers.emplace_back("Authorization", fmt::format("{} {}", rec.scheme, rec.credentials));
  // A step is a list of bodies; a 0.3 config gets the task as it is now, once for all the steps.
  std::vector<std::pair<std::uint64_t, std::vector<std::string>>> steps;
  if (rec.legacy) {
    post.content_type = "application/json";
    auto body = json::serialize(a2a::result_to_v03(a2a::Method::get_task, a2a::task_json(task)));
    steps.push_back({events.back().sequence, {std::move(body)}});
  } else {
    for (const auto& e : events) {
      std::vector<std::string> bodies;
      for (const auto& o : a2a::stream_responses(e, task.context_id, task.requester))
        bodies.push_back(json::serialize(o));
      steps.push_back({e.sequence, std::move(bodies)});
    }
  }
  for (auto& [sequence, bodies] : steps) {
    for (auto& body : bodies) {
      if (d.stopped) co_return false;
      post.body = std::move(body);
      auto outcome = co_await post_webhook(config_.webhooks, post);
      if (!outcome.ok()) {
        ++stats_.push_failures;
        log_->warn("A2A push to {} for task {} failed (attempt {}): {}", rec.url, rec.task, d.failures + 1,
                   outcome.status ? fmt::format("HTTP {}", outcome.status) : outcome.error);
        co_return false;
      }
      ++stats_.push_delivered;
    }
    auto moved = co_await node_.advance_a2a_push_config(rec.task, rec.id, sequence);
    if (!moved) co_return false;  // deleted meanwhile, or the store failed: the next pass decides
  }
  co_return true;
}

}  // namespace agentmesh::api
