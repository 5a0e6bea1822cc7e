#!/bin/sh
# ctest-timeout: 400
# ctest-labels: kafka;fault
# Snapshots (docs/ADVANCER.md "Snapshots") speed up a rebuild and never change its result. The
# advancer writes a snapshot of each partition every 300 journal records and on a clean stop, and
# is killed with SIGKILL at random points and restarted; a damaged snapshot is slipped into the
# snapshots topic. At the end: restarts did use verified snapshots, the damaged one was refused
# with a reason, every intake event has exactly one effect (journal or rejected, counted), every
# chain verifies (pravah audit verify), and a clean restart rebuilds the same number of cases
# from a snapshot plus the journal tail as from the journal alone.
. "$(dirname "$0")/lib.sh"
need_kcat
command -v curl >/dev/null 2>&1 || { echo "SKIP: curl is not installed"; exit 77; }
DIR=$(cd "$(dirname "$0")" && pwd)
FILES=${FILES:-3000}
KILLS=${KILLS:-4}

start_broker --partitions 4
python3 "$DIR/gen_efile_events.py" "$FILES" >"$WORK/events.jsonl" 2>"$WORK/expected" ||
    fail "generator failed"
eval "$(cat "$WORK/expected")" # events= accepted= rejected=
# Published in KILLS + 1 slices, each while an advancer runs, so that every kill lands in the
# middle of a stream (the pipeline drains a whole slice in well under a second).
lines=$(wc -l <"$WORK/events.jsonl")
split -l $(((lines + KILLS) / (KILLS + 1))) "$WORK/events.jsonl" "$WORK/slice."
set -- "$WORK"/slice.??
publish() {
    "$PRAVAH" publish --bootstrap "$ADDR" "$1" >>"$WORK/publish.out" 2>&1 ||
        fail "publish failed: $(tail -3 "$WORK/publish.out")"
}
# A slice in ten steps: the stream lasts about a second, and a kill meets writes in flight.
publish_slowly() {
    split -n l/10 "$1" "$1.part."
    for part in "$1".part.*; do publish "$part"; done
}

# $1: metrics port (0: off); $2: snapshot interval in journal records (0: snapshots off).
advance() {
    (cd "$WORK" && exec "$PRAVAH" advance --bootstrap "$ADDR" --metrics-port "$1" \
        --clock fixed:2026-04-01T10:00:00+05:30 --set advance.batch_max=100 \
        --set advance.snapshot_records="$2" >>"$WORK/advance.out" 2>>"$WORK/advance.err") &
    ADV_PID=$!
    PIDS="$PIDS $ADV_PID"
}
count() { consume "$1" '%o\n' | wc -l; }
rebuilds() { grep -c 'rebuilt' "$WORK/advance.err" 2>/dev/null; }
metric() { curl -s "http://127.0.0.1:$PORT/metrics" | awk -v m="$1" '$1 == m { print $2 }'; }

i=0
while [ "$i" -lt "$KILLS" ]; do
    before=$(rebuilds)
    advance 0 300
    n=0
    while [ "$(rebuilds)" -lt $((before + 4)) ] && [ "$n" -lt 300 ]; do sleep 0.1; n=$((n + 1)); done
    publish_slowly "$1" &
    PUB_PID=$!
    sleep "$(awk -v s="$i$$" 'BEGIN { srand(s); printf "%.2f", 0.2 + rand() * 0.6 }')"
    kill -KILL "$ADV_PID" 2>/dev/null
    wait "$ADV_PID" 2>/dev/null
    wait "$PUB_PID" || fail "publishing slice $1 failed"
    shift
    i=$((i + 1))
    echo "kill $i: $(count pravah.journal) journal records, $(count pravah.rejected) rejected so far"
    if [ "$i" -eq 2 ]; then # the newest complete snapshot of partition 0 is now damaged
        printf 'PVSS this is not a snapshot' | kcat -b "$ADDR" -P -t pravah.snapshots -p 0 -k 0 \
            -H pravah-snapshot-id=damaged -H pravah-snapshot-chunk=0/1 ||
            fail "could not write the damaged snapshot"
    fi
done

# Run to the end, then stop cleanly: every partition's snapshot is written on revocation.
wait_caught_up() {
    n=0 quiet=0
    while [ "$quiet" -lt 3 ]; do
        n=$((n + 1))
        [ "$n" -lt 180 ] || fail "the advancer did not catch up"
        sleep 1
        if [ "$(rebuilds)" -ge $(($1 + 4)) ] && [ "$(metric pravah_consumer_lag)" = "0" ]; then
            quiet=$((quiet + 1))
        else
            quiet=0
        fi
    done
}
PORT=$(free_port)
before=$(rebuilds)
advance "$PORT" 300
publish "$1"
wait_caught_up "$before"
kill -TERM "$ADV_PID"
wait "$ADV_PID" || fail "advancer did not stop cleanly on SIGTERM"
[ "$(count pravah.journal)" -eq "$accepted" ] ||
    fail "journal has $(count pravah.journal) records, expected $accepted"
[ "$(count pravah.rejected)" -eq "$rejected" ] ||
    fail "rejected has $(count pravah.rejected), expected $rejected"
"$PRAVAH" audit verify --bootstrap "$ADDR" >"$WORK/verify.out" 2>&1 ||
    fail "audit verify: $(cat "$WORK/verify.out")"

used=$(grep -c 'verified against the journal' "$WORK/advance.err")
[ "$used" -gt 0 ] || fail "no rebuild used a snapshot: $(grep -E 'snapshot|rebuilt' "$WORK/advance.err" | tail -5)"
grep -q 'partition 0: snapshot not used, rebuilding from the journal alone: .*PVSS' "$WORK/advance.err" ||
    grep -q 'partition 0: snapshot not used, rebuilding from the journal alone: .*snapshot' "$WORK/advance.err" ||
    fail "the damaged snapshot was not refused with a reason"

# A clean restart from the snapshots, then one from the journal alone: the same cases.
cases_after() {
    before=$(rebuilds)
    advance "$PORT" "$1"
    wait_caught_up "$before"
    c=$(metric pravah_cases_in_memory)
    kill -TERM "$ADV_PID"
    wait "$ADV_PID" || fail "advancer did not stop cleanly on SIGTERM"
    echo "$c"
}
from_snap=$(cases_after 300)
tail -8 "$WORK/advance.err" | grep -q 'from a snapshot and 0 journal records' ||
    fail "the clean restart did not rebuild from snapshots alone: $(grep rebuilt "$WORK/advance.err" | tail -4)"
from_journal=$(cases_after 0)
[ "$from_snap" -eq "$from_journal" ] && [ "$from_snap" -gt 0 ] ||
    fail "cases after a rebuild from snapshots: $from_snap; from the journal alone: $from_journal"
[ "$(count pravah.journal)" -eq "$accepted" ] || fail "the restarts wrote to the journal"
ok "$events events, $KILLS kill -9 restarts, $used rebuilds from verified snapshots, a damaged one refused; $from_snap cases either way; $(tail -1 "$WORK/verify.out")"
