#pragma once
// core/memory: what the allocator holds and giving its free memory back to the system.
//
// The release executables use tcmalloc (cmake/allocator.cmake), which keeps freed pages in its page heap for
// reuse and returns them only when told to: after a burst, a daemon's RSS stayed at the burst's high-water mark
// (80 MB after the direct-message benchmark, of which the application used 6 MB). The daemon trims every 10 s
// (node/node.cpp, with the health sampler): up to 16 MiB each time, keeping 1 MiB for the next burst; the store
// writer hands its thread cache back after a second without work. Under any other allocator (the sanitizer and
// fuzz builds) the figures read zero and a trim does nothing.
//
// Thread safety: any thread (tcmalloc's own locking).

#include <cstdint>

namespace agentmesh::core {

struct AllocatorFigures {
  bool available = false;             // the allocator reports figures (tcmalloc)
  std::uint64_t allocated_bytes = 0;  // in use by the program
  std::uint64_t free_bytes = 0;       // free in the page heap, still resident
  std::uint64_t released_bytes = 0;   // returned to the system (unmapped), now or earlier
  std::uint64_t trimmed_bytes_total = 0;  // released by release_free_memory() since the process started
};
AllocatorFigures allocator_figures();

// Returns the page heap's free memory beyond `keep_bytes`, at most `max_bytes` of it, to the system, after moving
// the calling thread's cache back to the shared lists. The number of bytes released by this call. (Pages
// released are faulted in again when the program grows back: the cap keeps a trim's cost to a load that is still
// running small.)
std::uint64_t release_free_memory(std::uint64_t keep_bytes, std::uint64_t max_bytes);

// Moves the calling thread's allocator cache back to the shared lists (a thread about to sleep for long: the store
// writer when idle for a second). Nothing under other allocators.
void release_thread_cache();

}  // namespace agentmesh::core
