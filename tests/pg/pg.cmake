# PostgreSQL tests (label `pg`): shell scripts that start a private PostgreSQL 15 with
# scripts/pg (a scratch directory each, unix socket and a free loopback port) and check the
# schema, pravah.apply_staging() and the dashboard views with psql (and the projector end to
# end: tests/pg/project_*.sh). One CTest entry per tests/pg/*.sh except the sourced helpers
# (*lib.sh), run by the shell its first line names; each can run alone:
# `bash tests/pg/views.sh build/workers/pravah` (the SQL-only tests ignore the binary).
# Exit 77 = skipped (PostgreSQL 15 not installed).
# A script may declare, in its first lines, `# ctest-timeout: SECONDS` (default 120) and
# `# ctest-labels: pg;fault` (default pg).
file(GLOB PV_PG_TESTS CONFIGURE_DEPENDS ${CMAKE_CURRENT_LIST_DIR}/*.sh)
foreach(script ${PV_PG_TESTS})
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
  set(labels pg)
  file(STRINGS ${script} decl LIMIT_COUNT 20 REGEX "^# ctest-(timeout|labels): ")
  foreach(line ${decl})
    if(line MATCHES "^# ctest-timeout: ([0-9]+)")
      set(timeout ${CMAKE_MATCH_1})
    elseif(line MATCHES "^# ctest-labels: (.+)$")
      set(labels ${CMAKE_MATCH_1})
    endif()
  endforeach()
  add_test(NAME pg.${name} COMMAND ${shell} ${script} $<TARGET_FILE:pravah>)
  set_tests_properties(pg.${name} PROPERTIES LABELS "${labels}" TIMEOUT ${timeout}
                                             SKIP_RETURN_CODE 77)
endforeach()
