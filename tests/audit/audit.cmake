# Audit tests (label `audit`): shell scripts checking `pravah audit` (export, verify and its
# tamper detection, replay, case history) against a journal made by the real pipeline (embedded
# broker, advancer; PostgreSQL for replay). One CTest entry per tests/audit/*.sh except the
# sourced helpers (*lib.sh); each can run alone: `sh tests/audit/NAME.sh build/workers/pravah`.
# Exit 77 = skipped. Declarations in the first lines as in tests/pg: `# ctest-timeout: SECONDS`
# (default 120) and `# ctest-labels: audit;pg`.
pv_shell_tests(${CMAKE_CURRENT_LIST_DIR} audit audit) # tests/shell_tests.cmake
