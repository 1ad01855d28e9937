#include "core/thread_check.hpp"

#include <cstdio>
#include <cstdlib>

namespace agentmesh::core {

void thread_violation(const char* file, int line, const char* what) noexcept {
  std::fprintf(stderr, "%s:%d: %s called off its thread (see docs/threading.md)\n", file, line, what);
  std::abort();
}

}  // namespace agentmesh::core
