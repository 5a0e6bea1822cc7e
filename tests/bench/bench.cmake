# Benchmarks: tests/bench/bench_<name>.c -> pv_bench_<name> in the tests build directory.
# They are not CTest tests (tests/bench/run builds and runs them all and prints one table); each
# has one quick smoke run, label `bench`, that only checks it runs and its numbers agree.
#
#   cmake --build build --target pv_bench_engine && build/tests/pv_bench_engine
#   ctest --test-dir build -L bench
add_executable(pv_bench_engine ${CMAKE_CURRENT_LIST_DIR}/bench_engine.c)
target_include_directories(pv_bench_engine PRIVATE ${PV_SOURCE_DIR}/engine)
target_link_libraries(pv_bench_engine PRIVATE pravah_connectors)
target_compile_definitions(pv_bench_engine PRIVATE PV_SOURCE_DIR="${PV_SOURCE_DIR}")

add_test(NAME bench.engine COMMAND pv_bench_engine --events 20000 --cases 2000)
set_tests_properties(bench.engine PROPERTIES LABELS bench TIMEOUT 120)

# Audit verify (issue 5): `pravah audit verify --archive` against reading + decoding the same
# archive; it writes the archive itself (archive writer) and runs the pravah binary on it.
add_executable(pv_bench_verify ${CMAKE_CURRENT_LIST_DIR}/bench_verify.c)
target_include_directories(pv_bench_verify PRIVATE ${PV_SOURCE_DIR}/engine)
target_link_libraries(pv_bench_verify PRIVATE pravah_connectors)
target_compile_definitions(pv_bench_verify PRIVATE PV_SOURCE_DIR="${PV_SOURCE_DIR}"
                                                   PV_PRAVAH_BIN="$<TARGET_FILE:pravah>")
add_dependencies(pv_bench_verify pravah)
add_test(NAME bench.verify COMMAND pv_bench_verify --events 5000 --cases 500)
set_tests_properties(bench.verify PROPERTIES LABELS bench TIMEOUT 120)
