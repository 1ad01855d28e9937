#pragma once
// node/a2a_push: A2A callers' push notification configs (the gateway's
// webhooks, api/a2a_push.hpp), kept durable with how far each got in its
// task's log, so a restarted daemon goes on where it stopped.
//
// A config is (task, id); putting one that exists replaces its webhook and
// keeps its cursor. Purging a task deletes its configs in the store; the
// gateway removes them here when it finds the task gone.
//
// Bounds: kMaxPerTask configs per task, kMaxTotal in all.
//
// Threading: the node's executor (AGENTMESH_ASSERT_ON_THREAD).

#include <boost/asio/awaitable.hpp>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/ids.hpp"
#include "core/result.hpp"
#include "node/context.hpp"
#include "store/records.hpp"

namespace agentmesh::node {

class A2aPushService : public std::enable_shared_from_this<A2aPushService> {
 public:
  template <class T>
  using Task = boost::asio::awaitable<T>;
  using Record = store::A2aPushConfigRecord;

  static constexpr std::size_t kMaxPerTask = 10;
  static constexpr std::size_t kMaxTotal = 10'000;

  explicit A2aPushService(ServiceContext ctx);

  Result<void> load(std::string& why);

  // Creates or replaces; the record as stored (a replaced one keeps its
  // cursor and creation time). too_many_push_configs.
  Task<Result<Record>> put(Record rec);
  // The task's configs by creation, or every config when `task` is empty.
  std::vector<Record> list(const std::optional<core::TaskId>& task) const;
  // unknown_push_config.
  Task<Result<void>> remove(core::TaskId task, std::string id);
  // Moves the cursor forward (never back); unknown_push_config when it was removed.
  Task<Result<void>> advance(core::TaskId task, std::string id, std::uint64_t delivered);

  std::size_t size() const { return configs_.size(); }

 private:
  ServiceContext ctx_;
  std::map<std::pair<core::TaskId, std::string>, Record> configs_;
};

}  // namespace agentmesh::node
