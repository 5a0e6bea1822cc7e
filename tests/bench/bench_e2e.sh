#!/bin/sh
# End-to-end latency benchmark (issue 6, section 3): events published at a fixed rate through the
# embedded broker, the advancer (wall clock) and the projector into a private PostgreSQL; for each
# event, publish -> accepted by the advancer (the baseline: what the journal alone costs) and
# publish -> visible in PostgreSQL (the projector's COMMIT, seen as its NOTIFY), p50 and p99, and
# the ratio of the two p99s. Tests do not time things; this is a benchmark (tests/bench/run).
#
#   sh tests/bench/bench_e2e.sh build/workers/pravah
#
# RATE (events/s, default 1000), FILES (e-Office cases, about 5 events each; default 4000:
# ~20,000 events, 20 s at the default rate), BATCH_MS (both workers' batch_ms, default 20).
. "$(dirname "$0")/../pg/project_lib.sh"
need_pg
python3 -c 'import psycopg2' 2>/dev/null || { echo "SKIP: python3-psycopg2 missing"; exit 77; }
RATE=${RATE:-1000}
FILES=${FILES:-4000}
BATCH_MS=${BATCH_MS:-20}

start_broker --partitions 4
start_pg
project main pravah bench "$(free_port)" --set project.batch_ms="$BATCH_MS"
(cd "$WORK" && exec "$PRAVAH" advance --bootstrap "$ADDR" --metrics-port 0 \
    --set advance.batch_ms="$BATCH_MS" >>"$WORK/advance.out" 2>>"$WORK/advance.err") &
ADV_PID=$!
PIDS="$PIDS $ADV_PID"
wait_line 'assigned, starting' "$WORK/main.err" 60 || fail "the projector did not start"
wait_line 'rebuilt' "$WORK/advance.err" 60 || fail "the advancer did not start"
gen_load "$FILES"
python3 "$SRC/tests/bench/e2e_latency.py" "$PRAVAH" "$ADDR" "$WORK/events.jsonl" "$RATE" ||
    fail "no event reached PostgreSQL"
