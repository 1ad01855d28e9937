if(AGENTMESH_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=address,undefined)
  # Executables are linked position-dependent. An instrumented debug binary
  # here is ~450 MB with ~5 million relative relocations; as a PIE the loader
  # spends about a second applying them (and faulting in 130 MB of data) at
  # every start. The suite starts thousands of processes (each test case, each
  # daemon, each CLI call), so that second was a third of `make test`.
  add_link_options($<$<STREQUAL:$<TARGET_PROPERTY:TYPE>,EXECUTABLE>:-no-pie>)
  # LLVM's lld (Debian's lld, installed by scripts/install-deps.sh) links these
  # executables about 4x faster than GNU ld (7 s against 29 s for one test
  # binary here); there are about twenty of them in a cold `make test`.
  find_program(AGENTMESH_LLD ld.lld)
  if(AGENTMESH_LLD)
    add_link_options(-fuse-ld=lld)
  endif()
endif()
