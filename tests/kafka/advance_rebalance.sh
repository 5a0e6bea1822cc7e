#!/bin/sh
# ctest-timeout: 240
# ctest-labels: kafka;fault
# Two advancers in one consumer group, with rebalances in the middle of a run. A paced publisher
# feeds an e-Office load (gen_efile_events.py) while advancer A works alone; advancer B joins
# (the group rebalances: A flushes, commits and lets go, both rebuild what they are assigned from
# the journal); later A is stopped with SIGTERM (it drains, commits and leaves; B is assigned A's
# partitions and rebuilds them) while the load is still arriving. At the end every intake event has
# exactly one outcome: a journal record if accepted, a rejected message if not, never both, never
# twice; every hash chain verifies (pravah audit verify).
. "$(dirname "$0")/lib.sh"
need_kcat
command -v python3 >/dev/null 2>&1 || { echo "SKIP: python3 is not installed"; exit 77; }
command -v curl >/dev/null 2>&1 || { echo "SKIP: curl is not installed"; exit 77; }
DIR=$(cd "$(dirname "$0")" && pwd)
FILES=${FILES:-5000}
CHUNK=${CHUNK:-600}
T0=$(date +%s)

start_broker --partitions 6
python3 "$DIR/gen_efile_events.py" "$FILES" >"$WORK/events.jsonl" 2>"$WORK/expected" ||
    fail "generator failed"
eval "$(cat "$WORK/expected")" # events= accepted= rejected=
split -l "$CHUNK" -d -a 3 "$WORK/events.jsonl" "$WORK/chunk."
NCHUNKS=$(find "$WORK" -name "chunk.*" | wc -l)
GATE1=$((NCHUNKS / 3))     # published while A is alone; then waits for $WORK/go1 (B has joined)
GATE2=$((NCHUNKS * 2 / 3)) # published while A and B share; then waits for $WORK/go2 (A stops)

metric() { # metric PORT NAME: the value, or empty when the endpoint does not answer
    curl -s --max-time 2 "http://127.0.0.1:$1/metrics" | awk -v m="$2" '$1 == m { print $2 }'
}
count() { consume "$1" '%o\n' | wc -l; }
rebuilt() { n=$(grep -c '"msg":"partition [0-9]*: rebuilt' "$1" 2>/dev/null); echo "${n:-0}"; }
# until SECONDS DESCRIPTION COMMAND...: polls COMMAND every 0.2 s until it succeeds.
until_ok() {
    t=$(($1 * 5)) what=$2
    shift 2
    while ! "$@"; do
        t=$((t - 1))
        [ "$t" -gt 0 ] || fail "timed out waiting for $what"
        sleep 0.2
    done
}

# The publisher: a chunk every 0.3 s, waiting at the two gates (90 s at most each).
gate() {
    n=0
    while [ ! -e "$WORK/go$1" ] && [ "$n" -lt 900 ]; do sleep 0.1; n=$((n + 1)); done
}
(
    i=0
    for f in "$WORK"/chunk.*; do
        [ "$i" -ne "$GATE1" ] || gate 1
        [ "$i" -ne "$GATE2" ] || gate 2
        "$PRAVAH" publish --bootstrap "$ADDR" "$f" >>"$WORK/publish.out" 2>&1 ||
            echo "$f" >>"$WORK/publish.failed"
        i=$((i + 1))
        sleep 0.3
    done
    touch "$WORK/published"
) &
PUB_PID=$!
PIDS="$PIDS $PUB_PID"

# advance NAME PORT: an advancer with its own metrics port and log; a fixed clock, so no timer
# fires and the journal is a pure function of the intake.
advance() {
    (cd "$WORK" && exec "$PRAVAH" advance --bootstrap "$ADDR" --metrics-port "$2" \
        --clock fixed:2026-04-01T10:00:00+05:30 --set advance.batch_max=200 \
        >"$WORK/$1.out" 2>"$WORK/$1.err") &
    ADV_PID=$!
    PIDS="$PIDS $ADV_PID"
}

PA=$(free_port)
advance A "$PA"
A_PID=$ADV_PID
a_started() { [ "$(rebuilt "$WORK/A.err")" -ge 6 ] && [ "$(metric "$PA" pravah_events_applied_total)" -ge 2000 ] 2>/dev/null; }
until_ok 60 "advancer A to own all 6 partitions and apply 2000 events" a_started
at_b=$(count pravah.journal)
echo "advancer A alone: $at_b journal records; advancer B joins"

PB=$(free_port)
[ "$PB" != "$PA" ] || PB=$(free_port)
advance B "$PB"
B_PID=$ADV_PID
b_joined() {
    [ "$(rebuilt "$WORK/B.err")" -ge 1 ] && grep -q '"msg":"partition [0-9]*: revoked' "$WORK/A.err" &&
        [ "$(rebuilt "$WORK/A.err")" -gt 6 ]
}
until_ok 60 "the rebalance when B joined (A revoked and rebuilt, B rebuilt)" b_joined
touch "$WORK/go1"
both_apply() { [ "$(metric "$PB" pravah_events_applied_total)" -gt 0 ] 2>/dev/null; }
until_ok 30 "advancer B to apply events" both_apply
a_before=$(metric "$PA" pravah_events_applied_total)
a_applies() { [ "$(metric "$PA" pravah_events_applied_total)" -gt "$a_before" ] 2>/dev/null; }
until_ok 30 "advancer A to apply events after the rebalance" a_applies
b_parts=$(sed -n 's/.*"msg":"partition \([0-9]*\): rebuilt.*/\1/p' "$WORK/B.err" | sort -u | tr '\n' ' ')
at_stop=$(count pravah.journal)
echo "A and B share the group (B rebuilt partitions $b_parts); $at_stop journal records; A stops"

touch "$WORK/go2" # the rest of the load arrives while A drains and B takes its partitions
b_rebuilt_before=$(rebuilt "$WORK/B.err")
kill -TERM "$A_PID"
wait "$A_PID"
status=$?
[ "$status" -eq 0 ] || fail "advancer A exited with $status after SIGTERM: $(tail -n 3 "$WORK/A.err")"
grep -q '"msg":"draining and leaving the group"' "$WORK/A.err" || fail "A did not drain and leave"
# B's log lines after the rebalance: the partitions it rebuilt once A left.
b_took_over() {
    [ "$(grep '"msg":"partition [0-9]*: rebuilt' "$WORK/B.err" | tail -n +"$((b_rebuilt_before + 1))" |
        sed 's/.*"msg":"partition \([0-9]*\): rebuilt.*/\1/' | sort -u | wc -l)" -eq 6 ]
}
until_ok 60 "advancer B to rebuild all 6 partitions after A left" b_took_over
echo "A stopped cleanly; B owns all 6 partitions"

until_ok 90 "the publisher" test -e "$WORK/published"
[ ! -e "$WORK/publish.failed" ] || fail "publish failed: $(tail -n 3 "$WORK/publish.out")"
quiet=0
caught_up() {
    if [ "$(metric "$PB" pravah_consumer_lag)" = "0" ] && [ "$(count pravah.journal)" -ge "$accepted" ]
    then quiet=$((quiet + 1)); else quiet=0; fi
    [ "$quiet" -ge 3 ]
}
until_ok 90 "advancer B to catch up" caught_up
redelivered=$(metric "$PB" pravah_events_redelivered_total)
kill -TERM "$B_PID"
wait "$B_PID" || fail "advancer B did not stop cleanly on SIGTERM"

# Exactly one outcome per intake event: (partition, offset) of every intake message against the
# pravah-intake-offset headers of journal event records and rejected messages.
consume pravah.intake '%p %o\n' | sort >"$WORK/intake.po"
consume pravah.journal '%p %h\n' | sed -n 's/^\([0-9]*\) .*pravah-intake-offset=\([0-9]*\).*/\1 \2/p' |
    sort >"$WORK/journal.po"
consume pravah.rejected '%p %h\n' | sed -n 's/^\([0-9]*\) .*pravah-intake-offset=\([0-9]*\).*/\1 \2/p' |
    sort >"$WORK/rejected.po"
jn=$(wc -l <"$WORK/journal.po") rn=$(wc -l <"$WORK/rejected.po")
[ "$(count pravah.journal)" -eq "$accepted" ] || fail "journal has $(count pravah.journal) records, expected $accepted"
[ "$jn" -eq "$accepted" ] || fail "$jn journal records name an intake offset, expected $accepted"
[ "$rn" -eq "$rejected" ] || fail "rejected has $rn, expected $rejected"
[ "$(wc -l <"$WORK/intake.po")" -eq "$events" ] || fail "intake has $(wc -l <"$WORK/intake.po") events, expected $events"
twice=$(sort "$WORK/journal.po" "$WORK/rejected.po" | uniq -d | head -n 3)
[ -z "$twice" ] || fail "intake events with two outcomes (partition offset): $twice"
sort "$WORK/journal.po" "$WORK/rejected.po" | cmp -s - "$WORK/intake.po" ||
    fail "the outcomes do not cover the intake one to one"
"$PRAVAH" audit verify --bootstrap "$ADDR" >"$WORK/verify.out" 2>&1 || fail "audit verify: $(tail -n 5 "$WORK/verify.out")"
ok "$events events across 2 rebalances (B joined at $at_b records, A left at $at_stop; B skipped ${redelivered:-0} redelivered): $accepted journaled once, $rejected rejected once, in $(($(date +%s) - T0)) s"
ok "$(tail -n 1 "$WORK/verify.out")"
