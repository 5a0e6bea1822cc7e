# CLI tests (label `unit`): the `pravah` command's help, defs and demo, as a user runs them.
set(PV_CLI_DIR ${CMAKE_CURRENT_LIST_DIR})
macro(pv_cli_test name)
  add_test(NAME cli.${name} COMMAND sh ${PV_CLI_DIR}/${name}.sh $<TARGET_FILE:pravah>
           WORKING_DIRECTORY ${PV_SOURCE_DIR})
  set_tests_properties(cli.${name} PROPERTIES LABELS unit TIMEOUT 120 SKIP_RETURN_CODE 77)
endmacro()
pv_cli_test(help)
pv_cli_test(defs)
pv_cli_test(demo)
pv_cli_test(config)
pv_cli_test(deploy)
