#!/bin/sh
# ctest-timeout: 240
# ctest-labels: pg;kafka;e2e
# End to end (issue 4): a load published through the advancer, projected into a private
# PostgreSQL by `pravah project --migrate`. Checks: every journal record is one row of
# pravah.transitions, every case one row of pravah.cases at its last seq, staging is empty,
# the stored offsets add up to the journal, NOTIFY pravah_projection is sent, /metrics counts
# the records and the writer thread's time in flight; then an undecodable message and a record
# whose seal is broken go to pravah.projection_errors (bytes and reason) while the partition
# goes on with new records;
# migrations run twice are a no-op; SIGTERM drains and exits 0.
. "$(dirname "$0")/project_lib.sh"
need_pg
FILES=${FILES:-2000}
PORT=$(free_port)

start_broker --partitions 4
start_pg
gen_load "$FILES"
publish "$WORK/events.jsonl"
advance_bg
wait_journal "$accepted" 90

# A listener that runs one short statement at a time, so psql prints notifications as they come.
(
    echo "LISTEN pravah_projection;"
    i=0
    while [ $i -lt 120 ] && [ ! -e "$WORK/listen.stop" ]; do echo "SELECT 1;"; sleep 0.25; i=$((i + 1)); done
) | psql -X -q -At >"$WORK/listen.out" 2>&1 &
PIDS="$PIDS $!"
sleep 0.5

project main pravah e2e "$PORT"
wait_projected pravah e2e "$accepted" 90
# psql prints a notification after its next statement: give the listener up to 10 s of them
# before stopping it (the projection can finish between two of its statements).
n=0
until grep -q 'Asynchronous notification "pravah_projection"' "$WORK/listen.out" || [ $n -ge 40 ]; do
    sleep 0.25
    n=$((n + 1))
done
touch "$WORK/listen.stop"

[ "$(q pravah "SELECT count(*) FROM pravah.transitions")" = "$accepted" ] ||
    fail "transitions: $(q pravah "SELECT count(*) FROM pravah.transitions"), expected $accepted"
consume pravah.journal '%k\n' | sort | uniq -c | awk '{ print $2 "|" $1 }' >"$WORK/journal.counts"
q pravah "SELECT case_id || '|' || seq FROM pravah.cases ORDER BY 1" >"$WORK/cases.seq"
sort "$WORK/journal.counts" | diff - "$WORK/cases.seq" >"$WORK/cases.diff" ||
    fail "cases differ from the journal: $(head -5 "$WORK/cases.diff")"
q pravah "SELECT case_id || '|' || count(*) FROM pravah.transitions GROUP BY case_id ORDER BY 1" |
    diff - "$WORK/cases.seq" >/dev/null || fail "transitions per case differ from the journal"
[ "$(q pravah "SELECT count(*) FROM pravah.staging_records")" = 0 ] || fail "staging not empty"
[ "$(q pravah "SELECT count(*) FROM pravah.projection_errors")" = 0 ] || fail "projection errors"
[ "$(q pravah "SELECT count(*) FROM pravah.integrity_findings")" = 0 ] || fail "integrity findings"
grep -q 'Asynchronous notification "pravah_projection"' "$WORK/listen.out" ||
    fail "no NOTIFY pravah_projection received: $(head -3 "$WORK/listen.out")"
[ "$(metric "$PORT" pravah_projector_records_total)" = "$accepted" ] ||
    fail "metrics: $(metric "$PORT" pravah_projector_records_total) records, expected $accepted"
# Where the time went: the writer thread's transactions were in flight (pipelining is on by
# default); the counters are refreshed once a second, so give them a few.
for _ in $(seq 50); do
    [ "${busy:=0}" -gt 0 ] 2>/dev/null && break
    busy=$(metric "$PORT" pravah_projector_writer_busy_us_total)
    sleep 0.1
done
[ "${busy:-0}" -gt 0 ] 2>/dev/null || fail "metrics: pravah_projector_writer_busy_us_total is '${busy:-}'"
for m in pravah_projector_poll_idle_us_total pravah_projector_writer_waited_us_total; do
    [ -n "$(metric "$PORT" "$m")" ] || fail "metrics: $m missing"
done
ok "$accepted journal records of $FILES cases projected; cases and transitions match the journal"

# An undecodable message and a record with a broken seal, each in partition 0, then more load.
printf 'not a record' >"$WORK/garbage"
kcat -b "$ADDR" -P -t pravah.journal -p 0 -k garbage "$WORK/garbage" || fail "kcat produce"
kcat -b "$ADDR" -C -t pravah.journal -p 0 -o 0 -c 1 -e -q -f '%s' >"$WORK/rec0" || fail "kcat"
key=$(kcat -b "$ADDR" -C -t pravah.journal -p 0 -o 0 -c 1 -e -q -f '%k')
# One letter of the case type changed: the record still decodes, its hash no longer matches.
python3 -c 'import sys; b = open(sys.argv[1], "rb").read(); open(sys.argv[2], "wb").write(b.replace(b"efile", b"efilf", 1))' \
    "$WORK/rec0" "$WORK/tampered"
kcat -b "$ADDR" -P -t pravah.journal -p 0 -k "$key" "$WORK/tampered" || fail "kcat produce"
gen_load $((FILES + 100))
publish "$WORK/events.jsonl"
wait_journal $((accepted + 2)) 60
wait_projected pravah e2e "$(journal_next)" 60
[ "$(q pravah "SELECT count(*) FROM pravah.transitions")" = "$accepted" ] ||
    fail "after more load: $(q pravah "SELECT count(*) FROM pravah.transitions") transitions, expected $accepted"
errs=$(q pravah "SELECT kafka_offset || ' ' || length(bytes) || ' ' || split_part(reason, ':', 1)
                   FROM pravah.projection_errors WHERE topic_partition = 0 ORDER BY kafka_offset")
[ "$(echo "$errs" | wc -l)" = 2 ] || fail "projection_errors: $errs"
echo "$errs" | head -1 | grep -q " 12 decode$" || fail "garbage not recorded as such: $errs"
echo "$errs" | tail -1 | grep -q " seal$" || fail "tampered record not recorded as such: $errs"
ok "an undecodable and a tampered record in projection_errors; the partition went on ($accepted records)"

"$PRAVAH" project --migrate-only >"$WORK/migrate2.out" 2>&1 || fail "second --migrate-only failed"
grep -q '0 applied now' "$WORK/migrate2.out" || fail "second migration not a no-op: $(cat "$WORK/migrate2.out")"
kill -TERM "$PROJ_PID"
wait "$PROJ_PID" || fail "the projector did not exit 0 on SIGTERM"
ok "migrations twice: no-op; SIGTERM: drained, exit 0"
