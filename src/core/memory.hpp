#pragma once
// core/memory: what the allocator holds and giving its free memory back to the system.
//
// The release executables use jemalloc (cmake/allocator.cmake). Freed memory stays with the allocator as dirty
// pages for reuse until the health sampler calls release_free_memory() (every 10 s, node/node.cpp), which returns
// all of them to the system; the store writer hands its thread cache back after a second without work. A load still
// running faults the pages it reuses back in (about 11 us per 4 KiB page on the benchmark VM). Why jemalloc:
// cmake/allocator.cmake. Under any other allocator (the sanitizer and fuzz builds) the figures read zero and a
// release does nothing.
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

// Moves the calling thread's allocator cache back to the shared lists, then returns every free page of every arena
// to the system.
void release_free_memory();

// Moves the calling thread's allocator cache back to the shared lists (a thread about to sleep for long: the store
// writer when idle for a second). Nothing under other allocators.
void release_thread_cache();

}  // namespace agentmesh::core
