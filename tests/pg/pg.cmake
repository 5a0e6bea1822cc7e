# PostgreSQL tests (label `pg`): shell scripts that start a private PostgreSQL 15 with
# scripts/pg (a scratch directory each, unix socket and a free loopback port) and check the
# schema, pravah.apply_staging() and the dashboard views with psql (and the projector end to
# end: tests/pg/project_*.sh). One CTest entry per tests/pg/*.sh except the sourced helpers
# (*lib.sh), run by the shell its first line names; each can run alone:
# `bash tests/pg/views.sh build/workers/pravah` (the SQL-only tests ignore the binary).
# Exit 77 = skipped (PostgreSQL 15 not installed).
# A script may declare, in its first lines, `# ctest-timeout: SECONDS` (default 120) and
# `# ctest-labels: pg;fault` (default pg).
pv_shell_tests(${CMAKE_CURRENT_LIST_DIR} pg pg) # tests/shell_tests.cmake
