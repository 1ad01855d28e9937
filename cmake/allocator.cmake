# The memory allocator of the release executables.
#
# gperftools' tcmalloc (Debian 12: libgoogle-perftools-dev) instead of glibc's
# malloc: the daemon allocates and frees many small, short-lived buffers per
# message (frames, decoded fields, queued RPCs, SSE events), and under the
# publish/subscribe benchmark glibc spent about 15% of a subscribing daemon's
# CPU in malloc/free (malloc_consolidate, unlink_chunk); with tcmalloc the
# delivered rate rose by about a fifth (docs/benchmarks.md). Sanitizer and
# fuzz builds keep glibc's allocator, which ASan replaces anyway.
#
# agentmesh_allocator: an interface target to link into each executable.
option(AGENTMESH_TCMALLOC "Link the executables with tcmalloc (release builds)" ON)
add_library(agentmesh_allocator INTERFACE)
if(AGENTMESH_TCMALLOC AND NOT AGENTMESH_SANITIZE AND NOT AGENTMESH_FUZZ)
  pkg_check_modules(tcmalloc REQUIRED IMPORTED_TARGET libtcmalloc_minimal)
  # --no-as-needed: nothing references tcmalloc by name; it replaces malloc.
  target_link_libraries(agentmesh_allocator INTERFACE -Wl,--push-state,--no-as-needed PkgConfig::tcmalloc
                        -Wl,--pop-state)
endif()
