// MemoryStore's transactions (snapshots under the shared lock) and its fault
// injection; the records are in memory_store.cpp.

#include "store/memory_store.hpp"

namespace agentmesh::store {

using Lock = std::lock_guard<std::recursive_mutex>;

Result<void> MemoryStore::begin() {
  std::function<void()> hook;
  {
    Lock lock(shared_->mu);
    hook = shared_->before_transaction;
  }
  if (hook) hook();
  txn_lock_ = std::unique_lock(shared_->mu);
  snapshots_.clear();
  snapshots_.push_back(shared_->data);
  return {};
}

Result<void> MemoryStore::commit() {
  if (shared_->fail_commits > 0) {
    --shared_->fail_commits;
    return error::io;  // the caller rolls back
  }
  snapshots_.clear();
  txn_lock_.unlock();
  return {};
}

void MemoryStore::rollback() {
  if (!snapshots_.empty()) shared_->data = std::move(snapshots_.front());
  snapshots_.clear();
  if (txn_lock_.owns_lock()) txn_lock_.unlock();
}

Result<void> MemoryStore::savepoint() {
  snapshots_.push_back(shared_->data);
  return {};
}

Result<void> MemoryStore::release_savepoint() {
  if (snapshots_.size() > 1) snapshots_.pop_back();
  return {};
}

void MemoryStore::rollback_to_savepoint() {
  if (snapshots_.size() > 1) {
    shared_->data = std::move(snapshots_.back());
    snapshots_.pop_back();
  }
}

void MemoryStore::fail_next_commits(int n) {
  Lock lock(shared_->mu);
  shared_->fail_commits = n;
}

void MemoryStore::before_transactions(std::function<void()> hook) {
  Lock lock(shared_->mu);
  shared_->before_transaction = std::move(hook);
}

}  // namespace agentmesh::store
