# The memory allocator of the release executables.
#
# jemalloc (Debian 12: libjemalloc-dev) instead of glibc's malloc: the daemon
# allocates and frees many small, short-lived buffers per message (frames,
# decoded fields, queued RPCs, SSE events), and under the publish/subscribe
# benchmark glibc spent about 15% of a subscribing daemon's CPU in malloc/free
# (malloc_consolidate, unlink_chunk). tcmalloc, used before, kept 11-13 MB of
# free objects after a burst that it has no call to give back; the daemon
# returns jemalloc's free pages every 10 s (core/memory.cpp). The closed-loop
# direct-message benchmark ran 6-8% faster under tcmalloc, for a reason not
# yet found (docs/benchmarks.md). Sanitizer and fuzz builds keep glibc's
# allocator, which ASan replaces anyway.
#
# agentmesh_allocator: an interface target to link into each executable.
option(AGENTMESH_JEMALLOC "Link the executables with jemalloc (release builds)" ON)
add_library(agentmesh_allocator INTERFACE)
if(AGENTMESH_JEMALLOC AND NOT AGENTMESH_SANITIZE AND NOT AGENTMESH_FUZZ)
  pkg_check_modules(jemalloc REQUIRED IMPORTED_TARGET jemalloc)
  # --no-as-needed: nothing but mallctl (a weak reference) names jemalloc; it replaces malloc.
  target_link_libraries(agentmesh_allocator INTERFACE -Wl,--push-state,--no-as-needed PkgConfig::jemalloc
                        -Wl,--pop-state)
endif()
