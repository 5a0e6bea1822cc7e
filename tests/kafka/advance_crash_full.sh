#!/bin/sh
# ctest-timeout: 1200
# ctest-labels: kafka;fault
# The full-size crash test of issue 3: 20 kill -9 restarts during a run of 100,000+ events
# (20,000 files of e-Office load): about 3 minutes.
FILES=${FILES:-20000} KILLS=${KILLS:-20} exec sh "$(dirname "$0")/advance_crash.sh" "$@"
