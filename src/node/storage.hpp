#pragma once
// node/storage: the services' access to the durable store.
//
// Writes go to the group-commit Writer (store/writer.hpp) as jobs: commit()
// suspends the calling coroutine and resumes it on the node's executor after
// the job's transaction has committed (fsync'd, synchronous=FULL), with the
// job's result. Reads use a second SQLite connection on the node's thread
// (reader()), which sees committed data only.
//
// Failures: commit() returns the job's own error (not_found, conflict, a
// domain error...) or the Writer's (queue_full, stopped). A result in
// core::condition::store_failure (I/O, corruption) is also counted and
// remembered for health; nothing else is a store failure.
//
// Threading: commit() and reader() on the node's executor; the Writer's
// thread runs the jobs. Ownership: a shared_ptr shared by the services (a
// coroutine that outlives the node keeps the writer alive until it completes).

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <functional>
#include <memory>

#include "core/metrics.hpp"
#include "core/result.hpp"
#include "store/store.hpp"
#include "store/writer.hpp"

namespace agentmesh::node {

template <class T>
using Task = boost::asio::awaitable<T>;

// A unit of work for the store writer (runs inside a transaction, possibly
// twice: see store::Writer).
template <class T>
using WorkFn = std::function<Result<T>(store::Store&)>;

class Storage : public std::enable_shared_from_this<Storage> {
 public:
  // REQUIRES: `writer_store` and `reader` are handles on the same database.
  Storage(boost::asio::any_io_executor ex, std::unique_ptr<store::Store> writer_store,
          std::unique_ptr<store::Store> reader, store::WriterConfig config);
  ~Storage();

  // Runs `work` as a writer job; resumes the caller on the executor after the
  // commit. queue_full / stopped without running it.
  template <class T>
  Task<Result<T>> commit(WorkFn<T> work);
  // As commit(); `queued` runs on the executor as soon as the job is in the
  // writer's queue, before it runs (jobs submitted after that commit after
  // it, or in the same transaction). Not called when the job was refused.
  template <class T>
  Task<Result<T>> commit(WorkFn<T> work, std::function<void()> queued);
  // Submits a job whose outcome nobody waits for (a cache such as the peer
  // store): failures are counted like any other. False when not queued.
  bool submit_detached(WorkFn<void> work);

  store::Store& reader() { return *reader_; }
  const store::Writer& writer() const { return *writer_; }
  // Stops accepting jobs, commits the queued ones, joins the writer thread.
  // Idempotent.
  void stop();

  // Database failures (core::condition::store_failure) so far, and the last.
  std::uint64_t failures() const { return failures_.value(); }
  error_code last_failure() const { return last_failure_; }
  // Called with every job result (the commit template's bookkeeping).
  void note_result(const error_code& ec);

 private:
  boost::asio::any_io_executor ex_;
  std::unique_ptr<store::Writer> writer_;
  std::unique_ptr<store::Store> reader_;
  core::Counter failures_;
  error_code last_failure_;
};

}  // namespace agentmesh::node
