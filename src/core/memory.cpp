#include "core/memory.hpp"

#include <algorithm>
#include <atomic>
#include <cstddef>

// gperftools' C interface, declared weak: present when tcmalloc is linked, null otherwise.
extern "C" {
int MallocExtension_GetNumericProperty(const char* property, std::size_t* value) __attribute__((weak));
void MallocExtension_MarkThreadIdle() __attribute__((weak));
void MallocExtension_ReleaseToSystem(std::size_t num_bytes) __attribute__((weak));
}

namespace agentmesh::core {

namespace {

std::atomic<std::uint64_t> g_trimmed{0};

std::uint64_t property(const char* name) {
  std::size_t v = 0;
  return MallocExtension_GetNumericProperty(name, &v) ? v : 0;
}

}  // namespace

AllocatorFigures allocator_figures() {
  AllocatorFigures f;
  if (MallocExtension_GetNumericProperty == nullptr) return f;
  f.available = true;
  f.allocated_bytes = property("generic.current_allocated_bytes");
  f.free_bytes = property("tcmalloc.pageheap_free_bytes");
  f.released_bytes = property("tcmalloc.pageheap_unmapped_bytes");
  f.trimmed_bytes_total = g_trimmed.load(std::memory_order_relaxed);
  return f;
}

void release_thread_cache() {
  if (MallocExtension_MarkThreadIdle != nullptr) MallocExtension_MarkThreadIdle();
}

std::uint64_t release_free_memory(std::uint64_t keep_bytes, std::uint64_t max_bytes) {
  if (MallocExtension_GetNumericProperty == nullptr || MallocExtension_ReleaseToSystem == nullptr) return 0;
  release_thread_cache();
  const auto before = allocator_figures();
  if (before.free_bytes <= keep_bytes) return 0;
  MallocExtension_ReleaseToSystem(std::min(before.free_bytes - keep_bytes, max_bytes));
  const auto after = allocator_figures();
  const auto released = after.released_bytes > before.released_bytes ? after.released_bytes - before.released_bytes : 0;
  g_trimmed.fetch_add(released, std::memory_order_relaxed);
  return released;
}

}  // namespace agentmesh::core
