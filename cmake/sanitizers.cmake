if(AGENTMESH_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=address,undefined)
  # Executables are linked position-dependent. An instrumented debug binary
  # here is ~450 MB with ~5 million relative relocations; as a PIE the loader
  # spends about a second applying them (and faulting in 130 MB of data) at
  # every start. The suite starts thousands of processes (each test case, each
  # daemon, each CLI call), so that second was a third of `make test`.
  add_link_options($<$<STREQUAL:$<TARGET_PROPERTY:TYPE>,EXECUTABLE>:-no-pie>)
endif()
