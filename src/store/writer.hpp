#pragma once
// The group-commit writer: one thread that owns the writing Store handle.
//
// submit() queues a Job. The writer thread takes every queued job (up to
// max_batch), opens one transaction, runs each job's `work`, commits once,
// and only then calls each job's `done` with the job's outcome, or with the
// commit error for all of them if the commit failed. A failing job rolls back
// alone: the batch first runs without savepoints (the common case, and
// measurably faster); if any job fails, the transaction is rolled back and the
// batch runs again with a savepoint per job. So `work` may run twice and must
// compute its result only from the store (no other side effects). Jobs queued while a
// commit is in flight share the next transaction, so the fsync cost is spread
// over every concurrent caller.
//
// Bounded: submit() returns store::error::queue_full when `queue_capacity`
// jobs are waiting; callers turn that into 503 + retryable. stop() finishes
// every queued job, then joins.
//
// Threading: submit() and stats() are safe from any thread. `work` and `done`
// run on the writer thread; `done` must not block (the node posts the result
// back to its own executor). Lock order: queue mutex only; never held while a
// job runs.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>

#include "core/metrics.hpp"
#include "core/result.hpp"
#include "store/store.hpp"

namespace agentmesh::store {

struct WriterConfig {
  static constexpr std::size_t kDefaultQueueCapacity = 65536;
  static constexpr std::size_t kDefaultMaxBatch = 8192;

  // Jobs allowed to wait; beyond this submit() fails with queue_full.
  std::size_t queue_capacity = kDefaultQueueCapacity;
  // Most jobs in one transaction.
  std::size_t max_batch = kDefaultMaxBatch;
};

struct Job {
  // Runs inside the transaction, possibly twice (see above). An error rolls
  // back this job only.
  std::function<error_code(Store&)> work;
  // Runs after the commit with work's error, or the commit's.
  std::function<void(error_code)> done;
};

class Writer {
 public:
  Writer(std::unique_ptr<Store> store, WriterConfig config = {});
  ~Writer();  // stop()
  Writer(const Writer&) = delete;
  Writer& operator=(const Writer&) = delete;

  // Queues a job. queue_full or stopped when it cannot be accepted; `done` is
  // then not called.
  Result<void> submit(Job job);

  // Finishes every queued job, commits, and joins the thread. Idempotent.
  void stop();

  core::QueueStats queue_stats() const;
  const core::Histogram& commit_latency_ms() const { return commit_latency_ms_; }
  const core::Histogram& batch_sizes() const { return batch_sizes_; }
  // How long jobs waited in the queue before their transaction began.
  const core::Histogram& dwell_ms() const { return dwell_ms_; }
  std::uint64_t commits() const { return commits_.value(); }
  std::uint64_t commit_failures() const { return commit_failures_.value(); }
  // Whether the most recent transaction failed to commit (health reporting).
  bool last_commit_failed() const { return last_commit_failed_.load(std::memory_order_relaxed); }

 private:
  struct Queued {
    Job job;
    std::chrono::steady_clock::time_point enqueued;
  };
  void run();
  void run_batch(std::deque<Queued>& batch);

  std::unique_ptr<Store> store_;
  const WriterConfig config_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Queued> queue_;  // GUARDED_BY(mu_)
  bool stopping_ = false;     // GUARDED_BY(mu_)
  std::uint64_t max_depth_ = 0;  // GUARDED_BY(mu_)

  core::Counter enqueued_;
  core::Counter dropped_;
  core::Counter commits_;
  core::Counter commit_failures_;
  std::atomic<bool> last_commit_failed_{false};
  core::Histogram commit_latency_ms_{0.1, 0.25, 0.5, 1, 2, 5, 10, 25, 50, 100, 250, 1000};
  core::Histogram batch_sizes_{1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 4096, 8192};
  core::Histogram dwell_ms_{0.1, 0.25, 0.5, 1, 2, 5, 10, 25, 50, 100, 250, 1000};

  std::thread thread_;  // last: started after everything above exists
};

}  // namespace agentmesh::store
