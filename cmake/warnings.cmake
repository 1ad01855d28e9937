# Warnings applied to every target of ours (not to third-party code).
set(AGENTMESH_WARNINGS -Wall -Wextra -Wpedantic -Wshadow=local
    -Wcast-align -Woverloaded-virtual -Wnull-dereference -Wimplicit-fallthrough)
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
  # GCC 12 false positives in Boost and std headers under -O2.
  # and -Wnull-dereference, which misfires on coroutine frames at -O2.
  # -Wno-subobject-linkage: in a unity batch (the dev preset) every .cpp is
  # #included, and GCC then warns that coroutine frames hold types of that
  # file's anonymous namespace, as if they were declared in a header.
  list(APPEND AGENTMESH_WARNINGS -Wno-subobject-linkage -Wno-maybe-uninitialized -Wno-array-bounds -Wno-stringop-overflow -Wno-restrict
       -Wno-null-dereference)
endif()
