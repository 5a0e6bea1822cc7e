# libFuzzer targets: every tests/fuzz/fuzz_<name>.c becomes an executable seeded from
# tests/fuzz/corpus/<name>/, with a CTest `fuzz.<name>` (label `fuzz`) that runs it for 20 s.
#
#   cmake -S . -B build-fuzz -DPV_FUZZ=ON -DCMAKE_C_COMPILER=clang && cmake --build build-fuzz
#   ctest --test-dir build-fuzz -L fuzz
#
# The engine is then built with coverage instrumentation and ASan/UBSan (without them a fuzzer
# finds only segfaults, not overflows or leaks), and every program linking it gets the sanitizer
# runtimes: a fuzz build is a sanitizer build.
#
# The tests run this same file in script mode (cmake -P, below): it copies the seeds into the
# build tree, where libFuzzer adds what it finds, and fuzzes the copy, so the source tree stays
# clean. A crashing input is left as <build>/tests/fuzz/<name>/crash-*.

if(CMAKE_SCRIPT_MODE_FILE)
  file(MAKE_DIRECTORY ${CORPUS})
  if(IS_DIRECTORY ${SEEDS})
    file(COPY ${SEEDS}/ DESTINATION ${CORPUS})
  endif()
  execute_process(COMMAND ${FUZZER} -max_total_time=20 -rss_limit_mb=2048
                          -artifact_prefix=${ARTIFACTS}/ ${CORPUS}
                  RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${FUZZER} failed (${rc}): see ${ARTIFACTS}/ for the input")
  endif()
  return()
endif()

if(NOT PV_FUZZ)
  return()
endif()
if(NOT CMAKE_C_COMPILER_ID MATCHES "Clang")
  message(WARNING "PV_FUZZ needs clang (-DCMAKE_C_COMPILER=clang): fuzz targets are not built")
  return()
endif()

set(PV_FUZZ_SANITIZE -fsanitize=address,undefined -fno-sanitize-recover=undefined
                     -fno-omit-frame-pointer)
target_compile_options(pravah_engine PRIVATE -fsanitize=fuzzer-no-link ${PV_FUZZ_SANITIZE})
target_link_options(pravah_engine INTERFACE -fsanitize=address,undefined)

file(GLOB PV_FUZZ_SOURCES CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/fuzz/fuzz_*.c)
foreach(src ${PV_FUZZ_SOURCES})
  get_filename_component(target ${src} NAME_WE)
  string(REGEX REPLACE "^fuzz_" "" name ${target})
  add_executable(${target} ${src})
  target_compile_options(${target} PRIVATE -fsanitize=fuzzer ${PV_FUZZ_SANITIZE})
  target_link_options(${target} PRIVATE -fsanitize=fuzzer)
  target_include_directories(${target} PRIVATE ${PV_SOURCE_DIR}/engine)
  target_compile_definitions(${target} PRIVATE PV_SOURCE_DIR="${PV_SOURCE_DIR}")
  target_link_libraries(${target} PRIVATE pravah_engine)

  set(work ${CMAKE_CURRENT_BINARY_DIR}/fuzz/${name})
  add_test(NAME fuzz.${name}
           COMMAND ${CMAKE_COMMAND} -DFUZZER=$<TARGET_FILE:${target}>
                   -DSEEDS=${CMAKE_CURRENT_SOURCE_DIR}/fuzz/corpus/${name}
                   -DCORPUS=${work}/corpus -DARTIFACTS=${work}
                   -P ${CMAKE_CURRENT_LIST_FILE}
           WORKING_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR})
  set_tests_properties(fuzz.${name} PROPERTIES LABELS fuzz TIMEOUT 300)
endforeach()
