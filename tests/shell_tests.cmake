# pv_shell_tests(DIR PREFIX LABELS): one CTest entry PREFIX.NAME per DIR/NAME.sh, except sourced
# helpers (*lib.sh), run with the pravah binary as $1 by the shell the script's first line names
# (sh unless it says bash). A script may declare, in its first 20 lines,
# `# ctest-timeout: SECONDS` (default 120) and `# ctest-labels: a;b` (default LABELS).
# Exit 77 = skipped. Used by tests/kafka, tests/pg and tests/audit.
function(pv_shell_tests dir prefix default_labels)
  file(GLOB scripts CONFIGURE_DEPENDS ${dir}/*.sh)
  foreach(script ${scripts})
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
    set(labels ${default_labels})
    file(STRINGS ${script} decl LIMIT_COUNT 20 REGEX "^# ctest-(timeout|labels): ")
    foreach(line ${decl})
      if(line MATCHES "^# ctest-timeout: ([0-9]+)")
        set(timeout ${CMAKE_MATCH_1})
      elseif(line MATCHES "^# ctest-labels: (.+)$")
        set(labels ${CMAKE_MATCH_1})
      endif()
    endforeach()
    add_test(NAME ${prefix}.${name} COMMAND ${shell} ${script} $<TARGET_FILE:pravah>)
    set_tests_properties(${prefix}.${name} PROPERTIES LABELS "${labels}" TIMEOUT ${timeout}
                                                      SKIP_RETURN_CODE 77)
  endforeach()
endfunction()
