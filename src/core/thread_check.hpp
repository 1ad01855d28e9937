#pragma once
// ThreadChecker: a debug-build check that an object is used on one thread.
//
// The node's services own their state on the node's executor (one thread,
// docs/threading.md) and take no locks. Each holds a ThreadChecker and starts
// every public operation with AGENTMESH_ASSERT_ON_THREAD(checker_): the first
// call binds the checker to its thread; a later call from another thread
// aborts the process with the file and line, in builds without NDEBUG (the
// `dev` preset that `make test` uses). Release builds compile the check away.
//
// bind_to_current() rebinds explicitly: a node opened on one thread and then
// handed to the thread that runs its io_context.

#include <atomic>
#include <thread>

namespace agentmesh::core {

class ThreadChecker {
 public:
  // True when called on the bound thread; binds to the caller when unbound.
  bool on_bound_thread() const {
    const auto self = std::this_thread::get_id();
    auto owner = owner_.load(std::memory_order_acquire);
    if (owner == std::thread::id()) {
      if (owner_.compare_exchange_strong(owner, self, std::memory_order_acq_rel)) return true;
    }
    return owner == self;
  }
  void bind_to_current() { owner_.store(std::this_thread::get_id(), std::memory_order_release); }

 private:
  mutable std::atomic<std::thread::id> owner_{};
};

// Prints "<file>:<line>: <what> called off its thread" to stderr and aborts.
[[noreturn]] void thread_violation(const char* file, int line, const char* what) noexcept;

}  // namespace agentmesh::core

#ifdef NDEBUG
#define AGENTMESH_ASSERT_ON_THREAD(checker) ((void)0)
#else
#define AGENTMESH_ASSERT_ON_THREAD(checker)                              \
  do {                                                                   \
    if (!(checker).on_bound_thread()) {                                  \
      ::agentmesh::core::thread_violation(__FILE__, __LINE__, __func__); \
    }                                                                    \
  } while (0)
#endif
