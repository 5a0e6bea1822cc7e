# Kafka tests (label `kafka`): shell scripts that start `pravah broker` (the embedded mock cluster,
# loopback only, a scratch directory each) and check what the workers do with an independent
# client, kcat. One CTest entry per tests/kafka/*.sh except lib.sh; each can run alone:
# `sh tests/kafka/publish.sh build/workers/pravah`. Exit 77 = skipped (kcat or python3 missing).
# A script may declare, in its first lines, `# ctest-timeout: SECONDS` (default 120) and
# `# ctest-labels: kafka;fault` (default kafka).
pv_shell_tests(${CMAKE_CURRENT_LIST_DIR} kafka kafka) # tests/shell_tests.cmake
