# Audit tests (label `audit`): shell scripts checking `pravah audit` (export, verify and its
# tamper detection, replay, case history) against a journal made by the real pipeline (embedded
# broker, advancer; PostgreSQL for replay). One CTest entry per tests/audit/*.sh except the
# sourced helpers (*lib.sh); each can run alone: `sh tests/audit/NAME.sh build/workers/pravah`.
# Exit 77 = skipped. Declarations in the first lines as in tests/pg: `# ctest-timeout: SECONDS`
# (default 120) and `# ctest-labels: audit;pg`.
file(GLOB PV_AUDIT_TESTS CONFIGURE_DEPENDS ${CMAKE_CURRENT_LIST_DIR}/*.sh)
foreach(script ${PV_AUDIT_TESTS})
  get_filename_component(name ${script} NAME_WE)
  if(name MATCHES "lib$")
    continue()
  endif()
  set(shell sh)
  file(STRINGS ${script} shebang LIMIT_COUNT 1)
  if(shebang MATCHES "bash")
    set(shell bash)
  endif()
  set(timeout 120)
  set(labels audit)
  file(STRINGS ${script} decl LIMIT_COUNT 20 REGEX "^# ctest-(timeout|labels): ")
  foreach(line ${decl})
    if(line MATCHES "^# ctest-timeout: ([0-9]+)")
      set(timeout ${CMAKE_MATCH_1})
    elseif(line MATCHES "^# ctest-labels: (.+)$")
      set(labels ${CMAKE_MATCH_1})
    endif()
  endforeach()
  add_test(NAME audit.${name} COMMAND ${shell} ${script} $<TARGET_FILE:pravah>)
  set_tests_properties(audit.${name} PROPERTIES LABELS "${labels}" TIMEOUT ${timeout}
                                             SKIP_RETURN_CODE 77)
endforeach()
