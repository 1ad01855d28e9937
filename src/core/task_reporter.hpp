#pragma once
// TaskReporter: what happens to an exception that ends a spawned coroutine.
//
// Every coroutine the daemon starts with co_spawn goes through core::spawn()
// (core/spawn.hpp), whose completion handler hands an escaped exception to
// the reporter: it logs it at error level with where it happened and the
// context the spawner named (a peer, an agent, a route), and counts it by
// `where`. The counts are exposed at /metrics as
// agentmesh_task_exceptions_total{where}. Expected outcomes (EOF, a closed
// stream, cancellation) are results, not exceptions (core/result.hpp), so
// any count here is a bug to look at.
//
// `where` names a fixed place in the code ("dm_stream", "outbox_attempt",
// ...): a small closed set, so the counts stay bounded.
//
// Thread safety: failed() and counts() are safe from any thread (one mutex,
// held only to update or copy the counts).

#include <spdlog/logger.h>

#include <cstdint>
#include <exception>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

namespace agentmesh::core {

class TaskReporter {
 public:
  explicit TaskReporter(std::shared_ptr<spdlog::logger> log) : log_(std::move(log)) {}

  // Logs and counts `e` (never null). Never throws.
  void failed(std::string_view where, std::string_view context, std::exception_ptr e) noexcept;

  // Exceptions so far by `where`.
  std::map<std::string, std::uint64_t> counts() const;
  std::uint64_t total() const;

 private:
  std::shared_ptr<spdlog::logger> log_;
  mutable std::mutex mu_;
  std::map<std::string, std::uint64_t, std::less<>> counts_;  // GUARDED_BY(mu_)
};

}  // namespace agentmesh::core
