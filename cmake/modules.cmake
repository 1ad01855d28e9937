# add_module(NAME SOURCES ... DEPS ... [PRIVATE_DEPS ...])
# One static library per src/<module>: target agentmesh_<NAME>. DEPS lists the
# modules (and packages) this one may use; the layering test
# (tests/layering_test.py) checks includes against the same graph.
function(add_module name)
  cmake_parse_arguments(M "" "" "SOURCES;DEPS;PRIVATE_DEPS" ${ARGN})
  add_library(agentmesh_${name} STATIC ${M_SOURCES})
  target_include_directories(agentmesh_${name} PUBLIC ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(agentmesh_${name} PUBLIC ${M_DEPS} PRIVATE ${M_PRIVATE_DEPS})
  target_compile_options(agentmesh_${name} PRIVATE ${AGENTMESH_WARNINGS})
endfunction()

# add_unit_test(NAME SOURCES ... DEPS ...): a GoogleTest binary registered with ctest.
# COST: ctest starts costly tests first when it has no timings of its own yet
# (a clean clone), so the long crash runs do not end up last on one core.
function(add_unit_test name)
  cmake_parse_arguments(T "" "COST" "SOURCES;DEPS;LABELS" ${ARGN})
  if(NOT T_COST)
    set(T_COST 0)
  endif()
  add_executable(${name} ${T_SOURCES})
  target_link_libraries(${name} PRIVATE ${T_DEPS} agentmesh_testutil GTest::gtest GTest::gmock GTest::gtest_main)
  target_compile_options(${name} PRIVATE ${AGENTMESH_WARNINGS})
  gtest_discover_tests(${name} DISCOVERY_TIMEOUT 60 PROPERTIES LABELS "${T_LABELS}" TIMEOUT 300 COST ${T_COST})
endfunction()
