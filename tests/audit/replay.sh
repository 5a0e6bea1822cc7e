#!/bin/sh
# ctest-timeout: 300
# ctest-labels: audit;pg;kafka;e2e
# `pravah audit replay` (issue 5) against the real pipeline: embedded broker, `pravah advance`,
# `pravah project` into a private PostgreSQL (tests/pg/project_lib.sh). A load of e-files is
# journaled on a file clock, which then jumps six weeks so that SLA breaches and escalations are
# journaled too (alerts opened and closed); it is projected live. A replay rebuilds every
# projection from the journal into a fresh database and finds it identical (exit 0, live digest
# = replay digest); a second replay (kept, --keep, the live database given as a URI) and a
# replay --into an empty database give the same report and digests; the databases a replay
# creates are dropped unless kept; --into a used database is refused. Then the live database is
# altered as an insider would (a case's state updated, a transition deleted, a bogus alert
# inserted): the replay exits 1 and names each difference with its table, key and side, and the
# changed column with both values. From an archive too, when `pravah audit export` works.
. "$(dirname "$0")/../pg/project_lib.sh"
need_pg
FILES=${FILES:-300}

start_broker --partitions 4
start_pg
gen_load "$FILES"
publish "$WORK/events.jsonl"
set_clock() { echo "$(date -d "$1" +%s%3N)" >"$WORK/clock.tmp" && mv "$WORK/clock.tmp" "$WORK/clock"; }
set_clock 2026-04-01T10:00:00+05:30
(cd "$WORK" && exec "$PRAVAH" advance --bootstrap "$ADDR" --metrics-port 0 --clock "file:$WORK/clock" \
    >>"$WORK/advance.out" 2>>"$WORK/advance.err") &
PIDS="$PIDS $!"
wait_journal "$accepted" 90
set_clock 2026-05-15T10:00:00+05:30
# Timer records: until the journal stops growing (2 s without a new record), at most 90 s.
last=$accepted n=0 still=0
while [ "$still" -lt 4 ] && [ "$n" -lt 180 ]; do
    sleep 0.5
    now=$(journal_next)
    if [ "$now" = "$last" ] && [ "$now" -gt "$accepted" ]; then still=$((still + 1)); else still=0; fi
    last=$now n=$((n + 1))
done
[ "$last" -gt "$accepted" ] || fail "no timer records journaled after the clock moved"
timers=$((last - accepted))
accepted=$last # every journal record from here on
project live pravah live "$(free_port)"
wait_projected pravah live "$accepted" 90
[ "$(q pravah "SELECT count(*) FROM pravah.alerts WHERE closed_at IS NULL")" -gt 0 ] ||
    fail "no open alerts projected ($timers timer records)"
kill -TERM "$PROJ_PID"
wait "$PROJ_PID" || fail "the live projector did not exit 0 on SIGTERM"

replay() { # replay NAME ARGS...: output in $WORK/NAME.out, status in $status
    name=$1
    shift
    PGDATABASE=pravah "$PRAVAH" audit replay --bootstrap "$ADDR" "$@" \
        >"$WORK/$name.out" 2>"$WORK/$name.err"
    status=$?
}
replay_dbs() { q pravah "SELECT datname FROM pg_database WHERE datname LIKE 'pravah_replay_%' ORDER BY 1"; }
# The report without its first line (time taken, database name).
report() { sed 1d "$WORK/$1.out"; }
row() { awk -v t="$2" 'index($0, t " ") == 1 { print $2 " " $3 " " $4 }' "$WORK/$1.out"; }

replay r1
[ "$status" = 0 ] || fail "replay of an untouched projection: exit $status: $(tail -5 "$WORK/r1.out") $(tail -3 "$WORK/r1.err")"
grep -q '^IDENTICAL: ' "$WORK/r1.out" || fail "no IDENTICAL line: $(cat "$WORK/r1.out")"
grep -q "^replayed $accepted journal records (0 to projection_errors) from 4 partitions" "$WORK/r1.out" ||
    fail "replay count: $(head -1 "$WORK/r1.out")"
[ "$(row r1 transitions)" = "$accepted $accepted 0" ] || fail "transitions row: $(row r1 transitions)"
[ "$(row r1 cases)" = "$FILES $FILES 0" ] || fail "cases row: $(row r1 cases)"
live=$(awk '/^live digest:/ { print $3 }' "$WORK/r1.out")
rep=$(awk '/^replay digest:/ { print $3 }' "$WORK/r1.out")
[ -n "$rep" ] && [ "$live" = "$rep" ] || fail "digests differ on identical tables: $live / $rep"
[ -z "$(replay_dbs)" ] || fail "the replay database was not dropped: $(replay_dbs)"
alerts=$(q pravah "SELECT count(*) FROM pravah.alerts")
[ "$(row r1 alerts)" = "$alerts $alerts 0" ] || fail "alerts row: $(row r1 alerts)"
ok "replay of $accepted records ($timers timer records, $alerts alerts) into a fresh database: identical, $(grep -c . "$WORK/r1.out") report lines, digest ${rep%"${rep#????????????????}"}"

# The live database as a URI: the replay database is named by a query parameter.
replay r2 --keep --live "postgresql:///pravah?host=$PGHOST&port=$PGPORT&user=$PGUSER"
[ "$status" = 0 ] || fail "second replay: exit $status: $(tail -3 "$WORK/r2.err")"
report r1 >"$WORK/r1.rep"
report r2 >"$WORK/r2.rep"
diff "$WORK/r1.rep" "$WORK/r2.rep" >"$WORK/r12.diff" || fail "two replays differ: $(cat "$WORK/r12.diff")"
kept=$(replay_dbs)
[ -n "$kept" ] && grep -q "replay database kept: $kept" "$WORK/r2.err" || fail "--keep: '$kept', $(cat "$WORK/r2.err")"
[ "$(q "$kept" "SELECT count(*) FROM pravah.transitions")" = "$accepted" ] || fail "kept database incomplete"
dropdb "$kept" || fail "dropdb $kept"
new_db into
replay r3 --into "dbname=into"
[ "$status" = 0 ] || fail "replay --into: exit $status: $(tail -3 "$WORK/r3.err")"
report r3 | diff "$WORK/r1.rep" - >/dev/null || fail "replay --into differs from the first replay"
replay r4 --into "dbname=into"
[ "$status" = 2 ] && grep -q 'already holds projections' "$WORK/r4.err" ||
    fail "replay into a used database: exit $status, $(cat "$WORK/r4.err")"
[ "$(q into "SELECT count(*) FROM pravah.transitions")" = "$accepted" ] || fail "--into database was changed or dropped"
ok "two replays and a replay --into: identical reports and digests; --keep keeps, a used --into is refused"

if "$PRAVAH" audit export --bootstrap "$ADDR" "$WORK/journal.tar" >"$WORK/export.out" 2>&1; then
    PGDATABASE=pravah "$PRAVAH" audit replay --archive "$WORK/journal.tar" >"$WORK/ra.out" 2>"$WORK/ra.err" ||
        fail "replay from the archive: $(tail -3 "$WORK/ra.err")"
    report ra | diff "$WORK/r1.rep" - >/dev/null || fail "replay from the archive differs: $(cat "$WORK/ra.out")"
    ok "replay from an archive: the same report and digests"
else
    echo "note: pravah audit export not available ($(tail -1 "$WORK/export.out")): archive replay not tested"
fi

# An insider edits the live projection.
c1=$(q pravah "SELECT case_id FROM pravah.cases ORDER BY case_id LIMIT 1")
c2=$(q pravah "SELECT case_id FROM pravah.cases ORDER BY case_id DESC LIMIT 1")
s1=$(q pravah "SELECT state FROM pravah.cases WHERE case_id = '$c1'")
q pravah "UPDATE pravah.cases SET state = 'closed' WHERE case_id = '$c1'" >/dev/null || fail "update"
q pravah "DELETE FROM pravah.transitions WHERE case_id = '$c2' AND seq = 2" >/dev/null || fail "delete"
q pravah "INSERT INTO pravah.alerts (case_id, seq, kind, level, target, state, deadline, raised_at)
          VALUES ('DC-GGN/EST/2026/999999', 1, 'sla.breached', 1, 'DIST-GGN-DC', 'open', NULL,
                  '2026-04-01 10:00+05:30')" >/dev/null || fail "insert"
replay r5
[ "$status" = 1 ] || fail "replay of an altered projection: exit $status: $(cat "$WORK/r5.out") $(tail -3 "$WORK/r5.err")"
grep -q '^DIFFERENT: 3 differing rows' "$WORK/r5.out" || fail "summary: $(tail -3 "$WORK/r5.out")"
[ "$(row r5 cases)" = "$FILES $FILES 1" ] || fail "cases row: $(row r5 cases)"
[ "$(row r5 transitions)" = "$((accepted - 1)) $accepted 1" ] || fail "transitions row: $(row r5 transitions)"
[ "$(row r5 alerts)" = "$((alerts + 1)) $alerts 1" ] || fail "alerts row: $(row r5 alerts)"
grep -qF "  cases ($c1): differs: state: live 'closed', replay '$s1'" "$WORK/r5.out" ||
    fail "the changed case is not reported: $(cat "$WORK/r5.out")"
grep -qF "  transitions ($c2,2): only in replay" "$WORK/r5.out" ||
    fail "the deleted transition is not reported: $(cat "$WORK/r5.out")"
grep -qF "  alerts (DC-GGN/EST/2026/999999,1,sla.breached): only in live" "$WORK/r5.out" ||
    fail "the bogus alert is not reported: $(cat "$WORK/r5.out")"
l5=$(awk '/^live digest:/ { print $3 }' "$WORK/r5.out")
r5=$(awk '/^replay digest:/ { print $3 }' "$WORK/r5.out")
[ "$r5" = "$rep" ] && [ "$l5" != "$rep" ] || fail "digests after tampering: live $l5 replay $r5 (before $rep)"
[ -z "$(replay_dbs)" ] || fail "a replay database was left behind: $(replay_dbs)"
ok "altered live database: exit 1, the state change, the deleted transition and the bogus alert each named with table and key"
sed -n '/^differences/,/^$/p' "$WORK/r5.out"
