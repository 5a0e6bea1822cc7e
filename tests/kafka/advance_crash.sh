#!/bin/sh
# ctest-timeout: 400
# ctest-labels: kafka;fault
# Exactly-once effect without broker transactions: the advancer is killed with SIGKILL at random
# points while it works through a load, and restarted each time. At the end every intake event has
# exactly one effect: one journal record if accepted, one rejected message if not; no event is
# applied twice; every case and partition hash chain verifies (pravah audit verify).
. "$(dirname "$0")/lib.sh"
need_kcat
DIR=$(cd "$(dirname "$0")" && pwd)
FILES=${FILES:-4000}
KILLS=${KILLS:-5}

start_broker --partitions 4
python3 "$DIR/gen_efile_events.py" "$FILES" >"$WORK/events.jsonl" 2>"$WORK/expected" ||
    fail "generator failed"
eval "$(cat "$WORK/expected")" # events= accepted= rejected=
# The load goes in KILLS rounds of 10 slices; a round is published in the background, slice by
# slice, once a restart has its partitions, so each kill lands while events still arrive and the
# (pipelined, fast) advancer is busy with them.
split -n "l/$((KILLS * 10))" -a 3 -d "$WORK/events.jsonl" "$WORK/slice."
publish_round() { # ROUND (0-based)
    for f in $(ls "$WORK"/slice.* | sed -n "$(($1 * 10 + 1)),$(($1 * 10 + 10))p"); do
        "$PRAVAH" publish --bootstrap "$ADDR" "$f" >>"$WORK/publish.out" 2>&1 ||
            fail "publish failed: $(tail -3 "$WORK/publish.out")"
        sleep 0.05
    done
}

# A fixed clock: no timer fires, so the journal's content is a pure function of the intake.
advance() {
    (cd "$WORK" && exec "$PRAVAH" advance --bootstrap "$ADDR" --metrics-port 0 \
        --clock fixed:2026-04-01T10:00:00+05:30 --set advance.batch_max=100 \
        >>"$WORK/advance.out" 2>>"$WORK/advance.err") &
    ADV_PID=$!
    PIDS="$PIDS $ADV_PID"
}

count() { consume "$1" '%o\n' | wc -l; }

rebuilds() { cat "$WORK/advance.err" 2>/dev/null | grep -c 'rebuilt'; }

i=0
while [ "$i" -lt "$KILLS" ]; do
    before=$(rebuilds)
    advance
    # Wait for the partitions to be assigned (the group waits out the killed member's session),
    # then kill at a random point: during the rebuild, between batches, or inside one.
    n=0
    while [ "$(rebuilds)" -le "$before" ] && [ "$n" -lt 300 ]; do sleep 0.1; n=$((n + 1)); done
    publish_round "$i" &
    PUB_PID=$!
    sleep "$(awk -v s="$i$$" 'BEGIN { srand(s); printf "%.2f", rand() * 1.5 }')"
    kill -KILL "$ADV_PID" 2>/dev/null
    wait "$ADV_PID" 2>/dev/null
    wait "$PUB_PID" # the round's publisher
    i=$((i + 1))
    echo "kill $i: $(count pravah.journal) journal records, $(count pravah.rejected) rejected so far"
done

# The last run: wait until it has its partitions and no lag for 3 checks in a row.
PORT=$(free_port)
before=$(rebuilds)
advance_metrics() {
    (cd "$WORK" && exec "$PRAVAH" advance --bootstrap "$ADDR" --metrics-port "$PORT" \
        --clock fixed:2026-04-01T10:00:00+05:30 >>"$WORK/advance.out" 2>>"$WORK/advance.err") &
    ADV_PID=$!
    PIDS="$PIDS $ADV_PID"
}
advance_metrics
n=0 quiet=0
while [ "$quiet" -lt 3 ]; do
    n=$((n + 1))
    [ "$n" -lt 180 ] || fail "the advancer did not catch up"
    sleep 1
    lag=$(curl -s "http://127.0.0.1:$PORT/metrics" | awk '$1 == "pravah_consumer_lag" { print $2 }')
    if [ "$(rebuilds)" -gt "$before" ] && [ "$lag" = "0" ]; then quiet=$((quiet + 1)); else quiet=0; fi
done
kill -TERM "$ADV_PID"
wait "$ADV_PID" || fail "advancer did not stop cleanly on SIGTERM"

[ "$(count pravah.journal)" -eq "$accepted" ] || fail "journal has $(count pravah.journal) records, expected $accepted"
[ "$(count pravah.rejected)" -eq "$rejected" ] || fail "rejected has $(count pravah.rejected), expected $rejected"
"$PRAVAH" audit verify --bootstrap "$ADDR" >"$WORK/verify.out" 2>&1 || fail "audit verify: $(cat "$WORK/verify.out")"
grep -q "redelivered\|rebuilt" "$WORK/advance.err" || true
ok "$events events, $KILLS kill -9 restarts: $accepted journaled once, $rejected rejected once; $(tail -1 "$WORK/verify.out")"
