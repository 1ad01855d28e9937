// node/a2a_push: the push notification configs, in memory and in the store.

#include "node/a2a_push.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "node/error.hpp"
#include "node/storage_commit.hpp"
#include "store/error.hpp"

namespace agentmesh::node {

A2aPushService::A2aPushService(ServiceContext ctx) : ctx_(std::move(ctx)) {}

Result<void> A2aPushService::load(std::string& why) {
  auto all = ctx_.storage->reader().list_a2a_push_configs();
  if (!all) {
    why = fmt::format("cannot load A2A push notification configs: {}", all.error().message());
    return all.error();
  }
  for (auto& c : *all) {
    auto key = std::pair(c.task, c.id);
    configs_.emplace(std::move(key), std::move(c));
  }
  return {};
}

A2aPushService::Task<Result<A2aPushService::Record>> A2aPushService::put(Record rec) {
  AGENTMESH_ASSERT_ON_THREAD(*ctx_.thread);
  auto self = shared_from_this();
  const auto key = std::pair(rec.task, rec.id);
  if (auto it = configs_.find(key); it != configs_.end()) {
    rec.delivered = it->second.delivered;
    rec.created_ms = it->second.created_ms;
  } else {
    const auto held = static_cast<std::size_t>(
        std::count_if(configs_.begin(), configs_.end(), [&](const auto& kv) { return kv.first.first == rec.task; }));
    if (held >= kMaxPerTask || configs_.size() >= kMaxTotal) co_return error::too_many_push_configs;
    rec.created_ms = ctx_.now_ms();
  }
  WorkFn<void> write = [rec](store::Store& s) { return s.put_a2a_push_config(rec); };
  auto stored = co_await ctx_.storage->commit<void>(std::move(write));
  if (!stored) co_return stored.error();
  configs_[key] = rec;
  co_return rec;
}

std::vector<A2aPushService::Record> A2aPushService::list(const std::optional<core::TaskId>& task) const {
  std::vector<Record> out;
  for (const auto& [key, c] : configs_) {
    if (!task || key.first == *task) out.push_back(c);
  }
  std::stable_sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
    return std::tie(a.task, a.created_ms, a.id) < std::tie(b.task, b.created_ms, b.id);
  });
  return out;
}

A2aPushService::Task<Result<void>> A2aPushService::remove(core::TaskId task, std::string id) {
  AGENTMESH_ASSERT_ON_THREAD(*ctx_.thread);
  auto self = shared_from_this();
  // Gone from memory first: no advance() is issued for it from now on.
  if (configs_.erase(std::pair(task, id)) == 0) co_return error::unknown_push_config;
  WorkFn<void> del = [task, id](store::Store& s) { return s.delete_a2a_push_config(task, id); };
  auto deleted = co_await ctx_.storage->commit<void>(std::move(del));
  if (!deleted && deleted.error() != store::error::not_found) co_return deleted.error();
  co_return Result<void>{};
}

A2aPushService::Task<Result<void>> A2aPushService::advance(core::TaskId task, std::string id, std::uint64_t delivered) {
  AGENTMESH_ASSERT_ON_THREAD(*ctx_.thread);
  auto self = shared_from_this();
  auto it = configs_.find(std::pair(task, id));
  if (it == configs_.end()) co_return error::unknown_push_config;
  if (delivered <= it->second.delivered) co_return Result<void>{};
  auto rec = it->second;
  rec.delivered = delivered;
  WorkFn<void> write = [rec](store::Store& s) { return s.put_a2a_push_config(rec); };
  auto stored = co_await ctx_.storage->commit<void>(std::move(write));
  if (!stored) co_return stored.error();
  if (auto now = configs_.find(std::pair(task, id)); now != configs_.end()) {
    now->second.delivered = std::max(now->second.delivered, delivered);
  }
  co_return Result<void>{};
}

}  // namespace agentmesh::node
