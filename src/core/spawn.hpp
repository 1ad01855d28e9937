#pragma once
// core::spawn: co_spawn with a completion handler that never drops an
// exception. Use it instead of co_spawn(..., detached) everywhere.
//
//   core::spawn(ex, reporter, "dm_stream", peer.to_string(), [..]() -> Task<void> { ... });
//
// `work` is a callable returning awaitable<void> (passed as the callable, not
// called, so its captures live as long as the coroutine; docs/threading.md).
// An exception that escapes it is handed to `reporter` (logged with `where`
// and `context`, counted at /metrics); a null reporter is allowed in tests of
// lower layers, where the exception is then written to stderr.
//
// Threading: the coroutine runs on `ex`; the handler too.

#include <boost/asio/co_spawn.hpp>
#include <cstdio>
#include <memory>
#include <string>
#include <utility>

#include "core/task_reporter.hpp"

namespace agentmesh::core {

template <class Executor, class Work>
void spawn(Executor ex, std::shared_ptr<TaskReporter> reporter, std::string_view where, std::string context,
           Work work) {
  boost::asio::co_spawn(std::move(ex), std::move(work),
                        [reporter = std::move(reporter), where, context = std::move(context)](std::exception_ptr e) {
                          if (!e) return;
                          if (reporter) {
                            reporter->failed(where, context, e);
                            return;
                          }
                          std::fprintf(stderr, "%.*s ended by an exception\n", static_cast<int>(where.size()),
                                       where.data());
                        });
}

}  // namespace agentmesh::core
