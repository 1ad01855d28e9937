#include "core/task_reporter.hpp"

#include <spdlog/spdlog.h>

namespace agentmesh::core {

void TaskReporter::failed(std::string_view where, std::string_view context, std::exception_ptr e) noexcept {
  std::string what = "unknown exception";
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& ex) {
    what = ex.what();
  } catch (...) {
  }
  try {
    if (log_) {
      if (context.empty()) {
        log_->error("{} ended by an exception: {}", where, what);
      } else {
        log_->error("{} ({}) ended by an exception: {}", where, context, what);
      }
    }
    std::lock_guard lock(mu_);
    auto it = counts_.find(where);
    if (it == counts_.end()) it = counts_.emplace(std::string(where), 0).first;
    ++it->second;
  } catch (...) {  // logging or allocation failed: nothing more to do
  }
}

std::map<std::string, std::uint64_t> TaskReporter::counts() const {
  std::lock_guard lock(mu_);
  return {counts_.begin(), counts_.end()};
}

std::uint64_t TaskReporter::total() const {
  std::lock_guard lock(mu_);
  std::uint64_t n = 0;
  for (const auto& [where, count] : counts_) n += count;
  return n;
}

}  // namespace agentmesh::core
