#include "core/memory.hpp"

#include <cstddef>
#include <string>

// jemalloc's control interface, declared weak: present when jemalloc is linked, null otherwise.
extern "C" int mallctl(const char* name, void* oldp, std::size_t* oldlenp, void* newp, std::size_t newlen)
    __attribute__((weak));

// jemalloc reads its options from this symbol when it starts (before main). Free pages are never returned on
// jemalloc's own schedule (its decay purges on the threads that allocate, in the message path, and a purged page
// is a page fault when it is used again): release_free_memory() returns all of them, every 10 s.
extern "C" {
const char* malloc_conf = "dirty_decay_ms:-1,muzzy_decay_ms:-1";
}

namespace agentmesh::core {

namespace {

// "<i>" in jemalloc's arena names: all arenas at once (MALLCTL_ARENAS_ALL).
constexpr const char* kAllArenas = "4096";

template <typename T>
T read(const std::string& name) {
  T v{};
  std::size_t len = sizeof(v);
  return mallctl(name.c_str(), &v, &len, nullptr, 0) == 0 ? v : T{};
}

void call(const std::string& name) { mallctl(name.c_str(), nullptr, nullptr, nullptr, 0); }

}  // namespace

AllocatorFigures allocator_figures() {
  AllocatorFigures f;
  if (mallctl == nullptr) return f;
  std::uint64_t epoch = 1;  // the statistics are a snapshot, refreshed by writing the epoch
  std::size_t len = sizeof(epoch);
  mallctl("epoch", &epoch, &len, &epoch, len);
  const auto arenas = std::string("stats.arenas.") + kAllArenas;
  const auto page = read<std::size_t>("arenas.page");
  f.available = true;
  f.allocated_bytes = read<std::size_t>("stats.allocated");
  f.free_bytes = (read<std::size_t>(arenas + ".pdirty") + read<std::size_t>(arenas + ".pmuzzy")) * page;
  f.trimmed_bytes_total =
      (read<std::uint64_t>(arenas + ".dirty_purged") + read<std::uint64_t>(arenas + ".muzzy_purged")) * page;
  return f;
}

void release_thread_cache() {
  if (mallctl != nullptr) call("thread.tcache.flush");
}

void release_free_memory() {
  if (mallctl == nullptr) return;
  release_thread_cache();
  call(std::string("arena.") + kAllArenas + ".purge");
}

}  // namespace agentmesh::core
