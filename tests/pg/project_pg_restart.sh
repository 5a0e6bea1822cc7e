#!/bin/sh
# ctest-timeout: 240
# ctest-labels: pg;kafka;fault
# PostgreSQL stopped and started in the middle of a run (issue 4, section 5): the projector
# pauses (it stays up, /metrics says pravah_projector_pg_up 0, the lag grows), reconnects with
# back-off once the server is back, and catches up with nothing lost and nothing applied twice:
# every journal record is one row of pravah.transitions, every case at its last seq.
. "$(dirname "$0")/project_lib.sh"
need_pg
FILES=${FILES:-3000}
PORT=$(free_port)

start_broker --partitions 4
start_pg
gen_load "$FILES"
split -n l/2 -d -a 1 "$WORK/events.jsonl" "$WORK/chunk." || fail "split"
advance_bg
publish "$WORK/chunk.0"
project main pravah restart "$PORT" --set project.batch_max=200 --set project.batch_ms=20 \
    --set project.retry_max_ms=1000

# Stop the server while the projector is busy.
n=0
while [ "$(stored_next pravah restart)" -le 0 ] && [ "$n" -lt 300 ]; do sleep 0.1; n=$((n + 1)); done
[ "$n" -lt 300 ] || fail "nothing projected in 30 s: $(tail -3 "$WORK/main.err")"
stop_pg
publish "$WORK/chunk.1"
sleep 3
kill -0 "$PROJ_PID" 2>/dev/null || fail "the projector exited while PostgreSQL was down"
[ "$(metric "$PORT" pravah_projector_pg_up)" = 0 ] || fail "pg_up is not 0 while the server is down"
grep -q 'PostgreSQL unavailable; consumption paused' "$WORK/main.err" || fail "no pause logged"
down_at=$(metric "$PORT" pravah_projector_records_total)
sleep 1
[ "$(metric "$PORT" pravah_projector_records_total)" = "$down_at" ] || fail "records counted while down"
ok "server stopped: the projector waits ($down_at records projected so far)"

start_pg
wait_journal "$accepted" 90
wait_projected pravah restart "$accepted" 120
[ "$(metric "$PORT" pravah_projector_pg_up)" = 1 ] || fail "pg_up is not 1 after the restart"
[ "$(metric "$PORT" pravah_projector_pg_connects_total)" -ge 2 ] || fail "no reconnection counted"
[ "$(q pravah "SELECT count(*) FROM pravah.transitions")" = "$accepted" ] ||
    fail "transitions: $(q pravah "SELECT count(*) FROM pravah.transitions"), expected $accepted"
consume pravah.journal '%k\n' | sort | uniq -c | awk '{ print $2 "|" $1 }' | sort >"$WORK/journal.counts"
q pravah "SELECT case_id || '|' || seq FROM pravah.cases ORDER BY 1" |
    diff "$WORK/journal.counts" - >/dev/null || fail "cases differ from the journal"
kill -TERM "$PROJ_PID"
wait "$PROJ_PID" || fail "the projector did not exit 0 on SIGTERM"
ok "server started again: reconnected and caught up, $accepted records, each once"
