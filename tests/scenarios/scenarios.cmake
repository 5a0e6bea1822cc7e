# Scenario runner and one CTest entry per scenario file (tests/scenarios/<workflow>/NNN-*.yaml).
add_executable(pv_scenario ${CMAKE_CURRENT_LIST_DIR}/runner.c ${CMAKE_CURRENT_LIST_DIR}/yaml_json.c)
target_include_directories(pv_scenario PRIVATE ${PV_SOURCE_DIR}/engine)
target_link_libraries(pv_scenario PRIVATE pravah_connectors)
target_compile_definitions(pv_scenario PRIVATE PV_SOURCE_DIR="${PV_SOURCE_DIR}")
file(GLOB PV_SCENARIOS CONFIGURE_DEPENDS ${CMAKE_CURRENT_LIST_DIR}/*/[0-9][0-9][0-9]-*.yaml)
foreach(sc ${PV_SCENARIOS})
  get_filename_component(name ${sc} NAME_WE)
  get_filename_component(dir ${sc} DIRECTORY)
  get_filename_component(domain ${dir} NAME)
  add_test(NAME scenario.${domain}.${name} COMMAND pv_scenario ${sc}
           WORKING_DIRECTORY ${PV_SOURCE_DIR})
  set_tests_properties(scenario.${domain}.${name} PROPERTIES LABELS "scenario;unit")
endforeach()
