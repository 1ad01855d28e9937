#include "store/writer.hpp"

#include "core/memory.hpp"

namespace agentmesh::store {

Writer::Writer(std::unique_ptr<Store> store, WriterConfig config)
    : store_(std::move(store)), config_(config), thread_([this] { run(); }) {}

Writer::~Writer() { stop(); }

Result<void> Writer::submit(Job job) {
  {
    std::lock_guard lock(mu_);
    if (stopping_) return error::stopped;
    if (queue_.size() >= config_.queue_capacity) {
      dropped_.inc();
      return error::queue_full;
    }
    queue_.push_back({std::move(job), std::chrono::steady_clock::now()});
    max_depth_ = std::max<std::uint64_t>(max_depth_, queue_.size());
  }
  enqueued_.inc();
  cv_.notify_one();
  return {};
}

void Writer::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_one();
  if (thread_.joinable()) thread_.join();
}

core::QueueStats Writer::queue_stats() const {
  core::QueueStats s;
  {
    std::lock_guard lock(mu_);
    s.depth = queue_.size();
    s.max_depth = max_depth_;
  }
  s.capacity = config_.queue_capacity;
  s.enqueued = enqueued_.value();
  s.dropped = dropped_.value();
  const auto dwell = dwell_ms_.snapshot();
  s.dwell_p50_ms = dwell.quantile(0.5);
  s.dwell_p99_ms = dwell.quantile(0.99);
  return s;
}

namespace {
// How long the writer waits for a job before it counts as idle.
constexpr auto kIdleAfter = std::chrono::seconds(1);
}  // namespace

void Writer::run() {
  std::deque<Queued> batch;
  for (;;) {
    {
      std::unique_lock lock(mu_);
      const auto ready = [this] { return stopping_ || !queue_.empty(); };
      if (!cv_.wait_for(lock, kIdleAfter, ready)) {
        // Idle: the connection's page cache and this thread's allocator cache
        // go back to the shared lists, from where the daemon's trim can return
        // them (core/memory.hpp).
        lock.unlock();
        store_->release_memory();
        core::release_thread_cache();
        lock.lock();
        cv_.wait(lock, ready);
      }
      if (queue_.empty()) return;  // stopping and drained
      const std::size_t n = std::min(queue_.size(), config_.max_batch);
      for (std::size_t i = 0; i < n; ++i) {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    run_batch(batch);
    batch.clear();
  }
}

void Writer::run_batch(std::deque<Queued>& batch) {
  const auto start = std::chrono::steady_clock::now();
  for (const auto& q : batch) {
    dwell_ms_.observe(std::chrono::duration<double, std::milli>(start - q.enqueued).count());
  }
  std::vector<error_code> outcomes(batch.size());
  auto run = [&](std::size_t i) -> error_code {
    try {
      return batch[i].job.work(*store_);
    } catch (const std::exception&) {
      return error::io;
    }
  };
  error_code batch_error;
  // Fast path: every job in one transaction without savepoints. Jobs rarely
  // fail; when one does, the whole transaction is rolled back and the batch
  // runs again with a savepoint per job, so the failing job rolls back alone.
  bool clean = false;
  if (auto r = store_->begin(); !r) {
    batch_error = r.error();
  } else {
    clean = true;
    for (std::size_t i = 0; i < batch.size() && clean; ++i) clean = !run(i);
    if (!clean) {
      store_->rollback();
      if (auto again = store_->begin(); !again) batch_error = again.error();
    }
  }
  if (!batch_error && !clean) {
    for (std::size_t i = 0; i < batch.size(); ++i) {
      if (auto sp = store_->savepoint(); !sp) {
        outcomes[i] = sp.error();
        continue;
      }
      if (auto ec = run(i)) {
        store_->rollback_to_savepoint();
        outcomes[i] = ec;
      } else if (auto rel = store_->release_savepoint(); !rel) {
        store_->rollback_to_savepoint();
        outcomes[i] = rel.error();
      }
    }
  }
  if (!batch_error) {
    if (auto c = store_->commit(); !c) {
      store_->rollback();
      batch_error = c.error();
    }
  }
  const auto end = std::chrono::steady_clock::now();
  commit_latency_ms_.observe(std::chrono::duration<double, std::milli>(end - start).count());
  batch_sizes_.observe(static_cast<double>(batch.size()));
  if (batch_error) {
    commit_failures_.inc();
  } else {
    commits_.inc();
  }
  last_commit_failed_.store(static_cast<bool>(batch_error), std::memory_order_relaxed);
  for (std::size_t i = 0; i < batch.size(); ++i) {
    if (batch[i].job.done) batch[i].job.done(batch_error ? batch_error : outcomes[i]);
  }
}

}  // namespace agentmesh::store
