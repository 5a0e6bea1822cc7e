# Kafka tests (label `kafka`): shell scripts that start `pravah broker` (the embedded mock cluster,
# loopback only, a scratch directory each) and check what the workers do with an independent
# client, kcat. One CTest entry per tests/kafka/*.sh except lib.sh; each can run alone:
# `sh tests/kafka/publish.sh build/workers/pravah`. Exit 77 = skipped (kcat or python3 missing).
# A script may declare, in its first lines, `# ctest-timeout: SECONDS` (default 120) and
# `# ctest-labels: kafka;fault` (default kafka).
file(GLOB PV_KAFKA_TESTS CONFIGURE_DEPENDS ${CMAKE_CURRENT_LIST_DIR}/*.sh)
foreach(script ${PV_KAFKA_TESTS})
  get_filename_component(name ${script} NAME_WE)
  if(name STREQUAL "lib")
    continue()
  endif()
  set(timeout 120)
  set(labels kafka)
  file(STRINGS ${script} decl LIMIT_COUNT 20 REGEX "^# ctest-(timeout|labels): ")
  foreach(line ${decl})
    if(line MATCHES "^# ctest-timeout: ([0-9]+)")
      set(timeout ${CMAKE_MATCH_1})
    elseif(line MATCHES "^# ctest-labels: (.+)$")
      set(labels ${CMAKE_MATCH_1})
    endif()
  endforeach()
  add_test(NAME kafka.${name} COMMAND sh ${script} $<TARGET_FILE:pravah>)
  set_tests_properties(kafka.${name} PROPERTIES LABELS "${labels}" TIMEOUT ${timeout}
                                                SKIP_RETURN_CODE 77)
endforeach()
