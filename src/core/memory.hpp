#pragma once
// core/memory: what the allocator holds and giving its free memory back to the system.
//
// The release executables use jemalloc (cmake/allocator.cmake). Freed memory stays with the allocator as dirty
// pages for reuse; the daemon's configuration (core/memory.cpp) lets a page go back to the system once it has been
// unused for a second. jemalloc does that work when the program allocates, so an idle daemon would keep a burst's
// pages: the health sampler calls release_free_memory() every 10 s (node/node.cpp), and the store writer hands its
// thread cache back after a second without work. Before, under tcmalloc, a daemon held 40-44 MB 60 s after the
// direct-message benchmark, 13 MB of it free objects in tcmalloc's central and transfer caches, which it has no call
// to give back (docs/benchmarks.md). Under any other allocator (the sanitizer and fuzz builds) the figures read zero
// and a release does nothing.
//
// Thread safety: any thread (the allocator's own locking).

#include <cstdint>

namespace agentmesh::core {

struct AllocatorFigures {
  bool available = false;             // the allocator reports figures (jemalloc)
  std::uint64_t allocated_bytes = 0;  // in use by the program
  std::uint64_t free_bytes = 0;       // free pages kept resident for reuse
  std::uint64_t trimmed_bytes_total = 0;  // free pages returned to the system since the process started
};
AllocatorFigures allocator_figures();

// Moves the calling thread's allocator cache back to the shared lists, then returns to the system the free pages
// that have been unused for longer than the configured decay time (pages a load still running reuses stay).
void release_free_memory();

// Moves the calling thread's allocator cache back to the shared lists (a thread about to sleep for long: the store
// writer when idle for a second). Nothing under other allocators.
void release_thread_cache();

}  // namespace agentmesh::core
