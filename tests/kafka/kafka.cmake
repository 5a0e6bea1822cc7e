# Kafka tests (label `kafka`): shell scripts that start `pravah broker` (the embedded mock cluster,
# loopback only, a scratch directory each) and check what `pravah publish` and the broker do with
# an independent client, kcat. One CTest entry per tests/kafka/*.sh except lib.sh; each can run
# alone: `tests/kafka/publish.sh build/workers/pravah`. Exit 77 = skipped (kcat missing).
file(GLOB PV_KAFKA_TESTS CONFIGURE_DEPENDS ${CMAKE_CURRENT_LIST_DIR}/*.sh)
foreach(script ${PV_KAFKA_TESTS})
  get_filename_component(name ${script} NAME_WE)
  if(NOT name STREQUAL "lib")
    add_test(NAME kafka.${name} COMMAND sh ${script} $<TARGET_FILE:pravah>)
    set_tests_properties(kafka.${name} PROPERTIES LABELS kafka TIMEOUT 120 SKIP_RETURN_CODE 77)
  endif()
endforeach()
