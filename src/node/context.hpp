#pragma once
// node/context: what every service of a node shares. The node builds one and
// hands each service a copy (all shared_ptrs, so a coroutine that outlives
// the node still finds what it captured).
//
//   ex        the node's executor: every service's state lives on it
//   clock     wall and monotonic time (a ManualClock in unit tests)
//   config    the node's configuration, validated by the daemon
//   storage   the group-commit writer and the reader (node/storage.hpp)
//   tasks     where exceptions that end spawned coroutines are reported
//   counters  the message counters several services add to
//   thread    the check that services run on the node's thread
//
// spawn() starts a coroutine on the node's executor whose exception, if any,
// is logged with `where` and `detail` and counted (core/spawn.hpp). `where`
// must be a string literal (it is kept as a view).

#include <spdlog/logger.h>

#include <boost/asio/any_io_executor.hpp>
#include <memory>
#include <string>
#include <string_view>

#include "core/clock.hpp"
#include "core/metrics.hpp"
#include "core/task_reporter.hpp"
#include "core/thread_check.hpp"
#include "node/node_config.hpp"
#include "node/storage.hpp"

namespace agentmesh::node {

// Messages as the node counts them across services (/metrics).
struct MessageCounters {
  core::Counter accepted;   // committed to a local inbox
  core::Counter duplicate;  // answered from the dedup table
  core::Counter rejected;   // sends and receptions that were refused
  core::Counter acks;       // inbox acknowledgements committed
  core::Counter dead_lettered;
  core::Counter conversations_created;  // conversation views started (node/conversations.hpp)
};

struct ServiceContext {
  boost::asio::any_io_executor ex;
  std::shared_ptr<const core::Clock> clock;
  std::shared_ptr<const NodeConfig> config;
  std::shared_ptr<spdlog::logger> log;
  std::shared_ptr<Storage> storage;
  std::shared_ptr<core::TaskReporter> tasks;
  std::shared_ptr<MessageCounters> counters;
  std::shared_ptr<core::ThreadChecker> thread;

  core::UnixMs now_ms() const { return clock->now_ms(); }

  // REQUIRES: `where` is a string literal. Defined in node/spawn.hpp.
  template <class Work>
  void spawn(std::string_view where, std::string detail, Work work) const;
};

}  // namespace agentmesh::node
