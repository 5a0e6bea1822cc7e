# Benchmarks that need Kafka: `pravah broker` (the embedded mock cluster) and `pravah advance`.
# Same convention as bench.cmake (tests/bench/bench_<name>.c -> pv_bench_<name>, run by
# tests/bench/run); included from tests/CMakeLists.txt.
#
#   cmake --build build --target pv_bench_advance && build/tests/pv_bench_advance
#   ctest --test-dir build -L bench
add_executable(pv_bench_advance ${CMAKE_CURRENT_LIST_DIR}/bench_advance.c
                                ${CMAKE_CURRENT_LIST_DIR}/passthrough.c)
target_include_directories(pv_bench_advance PRIVATE ${PV_SOURCE_DIR}/engine)
target_link_libraries(pv_bench_advance PRIVATE pravah_connectors)
target_compile_definitions(pv_bench_advance PRIVATE PV_SOURCE_DIR="${PV_SOURCE_DIR}"
                                                    PV_PRAVAH_BIN="$<TARGET_FILE:pravah>")
add_dependencies(pv_bench_advance pravah) # it starts `pravah broker` and `pravah advance`

# Smoke run: small sizes; fails only on inconsistent counts or a failed worker, not on targets.
add_test(NAME bench.advance COMMAND pv_bench_advance --events 20000 --cases 2000
                                    --latency-seconds 2 --rebuild-cases 20000)
set_tests_properties(bench.advance PROPERTIES LABELS "bench;kafka" TIMEOUT 300)

# The projection pass-through (tests/bench/project_floor.c): run by tests/bench/bench_project.sh.
add_executable(pv_bench_project_floor ${CMAKE_CURRENT_LIST_DIR}/project_floor.c)
target_link_libraries(pv_bench_project_floor PRIVATE pravah_connectors)
# Smoke run of tests/bench/bench_project.sh at a small size: fails only on inconsistent counts
# (every run projected every record, the pass-through and the raw COPYs hold every row) or a
# failed worker, not on targets. The plain build only (label bench).
add_test(NAME bench.project COMMAND sh ${CMAKE_CURRENT_LIST_DIR}/bench_project.sh
                                    $<TARGET_FILE:pravah>)
set_tests_properties(bench.project PROPERTIES LABELS "bench;kafka;pg" TIMEOUT 600
                     SKIP_RETURN_CODE 77 ENVIRONMENT "FILES=2000;BATCH=500")
