# The journal layout, checked by an outsider: pv_unit writes a 50-record partition (and tampered
# copies) and tests/unit/journal_layout.py, which shares no code with Pravah, verifies it.
#
# Included from tests/CMakeLists.txt, this file adds the CTest entry unit.journal_python; CTest
# then runs this same file in script mode (cmake -P) to do the work.

if(NOT CMAKE_SCRIPT_MODE_FILE)
  add_test(NAME unit.journal_python
           COMMAND ${CMAKE_COMMAND} -DPV_UNIT=$<TARGET_FILE:pv_unit>
                   -DPV_VECTOR_DIR=${CMAKE_CURRENT_BINARY_DIR}/journal_vector
                   -DPV_SCRIPT=${PV_SOURCE_DIR}/tests/unit/journal_layout.py
                   -P ${CMAKE_CURRENT_LIST_FILE})
  set_tests_properties(unit.journal_python PROPERTIES LABELS unit)
  return()
endif()

# ---- script mode ---------------------------------------------------------------------------

# The first python3 that has msgpack (a pyenv or venv python3 on PATH may lack it).
find_program(PV_PATH_PYTHON python3)
foreach(py ${PV_PYTHON} ${PV_PATH_PYTHON} /usr/bin/python3)
  execute_process(COMMAND ${py} -c "import msgpack" RESULT_VARIABLE rc OUTPUT_QUIET ERROR_QUIET)
  if(rc EQUAL 0)
    set(python ${py})
    break()
  endif()
endforeach()
if(NOT python)
  message(FATAL_ERROR "no python3 with the msgpack module (apt-get install python3-msgpack, "
                      "or pass -DPV_PYTHON=...)")
endif()

file(MAKE_DIRECTORY ${PV_VECTOR_DIR})
set(ENV{PV_JOURNAL_VECTOR_DIR} ${PV_VECTOR_DIR})
execute_process(COMMAND ${PV_UNIT} --suite record write_vector_file RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "pv_unit write_vector_file failed")
endif()
file(STRINGS ${PV_VECTOR_DIR}/pravah_journal_vector.anchor anchor LIMIT_COUNT 1)

# expect(VARIANT WANT [ANCHORED]): runs the verifier on one file, checks its exit code.
function(expect variant want)
  set(file ${PV_VECTOR_DIR}/pravah_journal_vector${variant}.bin)
  set(args ${file})
  if(ARGN)
    list(APPEND args --anchor ${anchor})
  endif()
  execute_process(COMMAND ${python} ${PV_SCRIPT} ${args} RESULT_VARIABLE rc OUTPUT_VARIABLE out
                  ERROR_VARIABLE out)
  message(STATUS "[exit ${rc}] ${out}")
  if(NOT rc EQUAL want)
    message(FATAL_ERROR "journal_layout.py ${args}: exit ${rc}, expected ${want}")
  endif()
endfunction()

expect("" 0)
expect("" 0 ANCHORED)
foreach(v edited resealed dropped swapped case_deleted)
  expect(.${v} 1)
endforeach()
# Cutting the newest records, or rewriting the partition from some record on, keeps both chains
# consistent: only the published head (the anchor) shows it.
expect(.truncated 0)
expect(.truncated 1 ANCHORED)
expect(.rewritten 0)
expect(.rewritten 1 ANCHORED)
