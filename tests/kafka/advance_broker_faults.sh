#!/bin/sh
# ctest-timeout: 240
# ctest-labels: kafka;fault
# Broker faults during a run (the broker's --control FIFO, rd_kafka_mock_push_request_errors and
# broker down/up), with a paced publisher feeding an e-Office load (gen_efile_events.py):
#   - retriable produce errors (NOT_LEADER_FOR_PARTITION, REQUEST_TIMED_OUT): retried by the
#     idempotent producer; the batch waits for its acknowledgements, then commits;
#   - a broker down for 3 s, then up; fetch and offset-commit errors;
#   - a permanent produce error ($PERMANENT, default TOPIC_AUTHORIZATION_FAILED) hitting the
#     advancer alone: a delivery failure is fatal by design (docs/ADVANCER.md), the advancer exits
#     1 without committing, and the supervisor loop below restarts it, as systemd or Kubernetes
#     would; the new process rebuilds from the journal and carries on.
#     (PERMANENT=INVALID_RECORD can leave a gap in a journal partition: docs/ADVANCER.md, "Known
#     issues"; the restart loop is then reported as a failure.)
# At the end, after deduplication by intake offset (journal readers deduplicate by case and seq),
# every intake event has exactly one outcome, and pravah audit verify passes (no fork, no event
# applied twice, every chain intact). Restarts and duplicates are printed.
. "$(dirname "$0")/lib.sh"
need_kcat
command -v python3 >/dev/null 2>&1 || { echo "SKIP: python3 is not installed"; exit 77; }
command -v curl >/dev/null 2>&1 || { echo "SKIP: curl is not installed"; exit 77; }
DIR=$(cd "$(dirname "$0")" && pwd)
FILES=${FILES:-3000}
CHUNK=${CHUNK:-500}
RESERVE=${RESERVE:-500}
CTL=$WORK/control
# The permanent produce error of the last phase (a Kafka error name as librdkafka spells it).
PERMANENT=${PERMANENT:-TOPIC_AUTHORIZATION_FAILED}
T0=$(date +%s)

start_broker --partitions 4 --control "$CTL"
[ -p "$CTL" ] || fail "the broker did not create the control FIFO"
python3 "$DIR/gen_efile_events.py" "$FILES" >"$WORK/events.jsonl" 2>"$WORK/expected" ||
    fail "generator failed"
eval "$(cat "$WORK/expected")" # events= accepted= rejected=
split -l "$CHUNK" -d -a 3 "$WORK/events.jsonl" "$WORK/chunk."
# A second, independent load (other file numbers and event ids), published as one backlog while
# the advancer is stopped, before the permanent error.
python3 "$DIR/gen_efile_events.py" "$RESERVE" 2>"$WORK/expected2" |
    sed 's#"id": "f#"id": "g#; s#/EST/2026/#/GEN/2026/#' >"$WORK/backlog.jsonl" || fail "generator failed"
e1=$events a1=$accepted r1=$rejected
eval "$(cat "$WORK/expected2")"
events=$((events + e1)) accepted=$((accepted + a1)) rejected=$((rejected + r1))

# control LINE: sends one command to the broker and waits until it has logged it as applied.
control() {
    n=$(grep -c '"msg":"control command' "$WORK/broker.err")
    echo "$1" >"$CTL"
    i=0
    while [ "$(grep -c '"msg":"control command' "$WORK/broker.err")" -le "$n" ]; do
        i=$((i + 1)); [ $i -lt 50 ] || fail "broker did not answer '$1'"; sleep 0.1
    done
    grep -q "\"msg\":\"control command applied\",\"command\":\"$1\"" "$WORK/broker.err" ||
        fail "broker refused '$1'"
}
metric() { # metric NAME: the advancer's value, or empty when the endpoint does not answer
    curl -s --max-time 2 "http://127.0.0.1:$PORT/metrics" | awk -v m="$1" '$1 == m { print $2 }'
}
count() { consume "$1" '%o\n' | wc -l; }
# until_ok SECONDS DESCRIPTION COMMAND...: polls COMMAND every 0.2 s until it succeeds; fails at
# once if the advancer is in a restart loop (more than 3 failed runs).
until_ok() {
    t=$(($1 * 5)) what=$2
    shift 2
    while ! "$@"; do
        t=$((t - 1))
        [ "$t" -gt 0 ] || fail "timed out waiting for $what"
        failed_runs=$(grep -cv '^0$' "$WORK/exits" 2>/dev/null)
        [ "${failed_runs:-0}" -le 3 ] ||
            fail "the advancer is in a restart loop: $(grep '"level":"error","proc"' "$WORK/advance.err" | tail -n 1)"
        sleep 0.2
    done
}
# From /metrics only: kcat -e would wait for a partition whose leader is down.
status() {
    echo "  $1: $(metric pravah_journal_records_total) records written by this process, lag $(metric pravah_consumer_lag)"
}
PORT=$(free_port)

# The publisher: a chunk every 0.3 s; while $WORK/hold exists it waits between chunks and says
# so with $WORK/held. Retriable faults hit it too (it retries); the permanent one never does.
(
    for f in "$WORK"/chunk.*; do
        while [ -e "$WORK/hold" ]; do touch "$WORK/held"; sleep 0.1; done
        rm -f "$WORK/held"
        "$PRAVAH" publish --bootstrap "$ADDR" "$f" >>"$WORK/publish.out" 2>&1 ||
            echo "$f" >>"$WORK/publish.failed"
        echo "$(date +%T) $f" >>"$WORK/published.list"
        sleep 0.3
    done
    touch "$WORK/published"
) &
PIDS="$PIDS $!"

# The supervisor: restarts the advancer whenever it exits, until $WORK/stop; waits while
# $WORK/pause exists. Each exit status goes to $WORK/exits.
(
    while [ ! -e "$WORK/stop" ]; do
        while [ -e "$WORK/pause" ] && [ ! -e "$WORK/stop" ]; do sleep 0.1; done
        [ -e "$WORK/stop" ] && break
        (cd "$WORK" && exec "$PRAVAH" advance --bootstrap "$ADDR" --metrics-port "$PORT" \
            --clock fixed:2026-04-01T10:00:00+05:30 --set advance.batch_max=200 \
            >>"$WORK/advance.out" 2>>"$WORK/advance.err") &
        echo $! >"$WORK/adv.pid"
        wait $!
        echo $? >>"$WORK/exits"
        sleep 0.3
    done
) &
SUP_PID=$!
PIDS="$PIDS $SUP_PID"
trap 'touch "$WORK/stop"; [ -s "$WORK/adv.pid" ] && kill -TERM "$(cat "$WORK/adv.pid")" 2>/dev/null; cleanup' EXIT

exits() { cat "$WORK/exits" 2>/dev/null | wc -l; }
rebuilt() { n=$(grep -c '"msg":"partition [0-9]*: rebuilt' "$WORK/advance.err" 2>/dev/null); echo "${n:-0}"; }
started() { [ "$(rebuilt)" -ge 4 ] && [ "$(metric pravah_events_applied_total)" -ge 1000 ] 2>/dev/null; }
until_ok 60 "the advancer to own the 4 partitions and apply 1000 events" started
status "running"

control 'errors Produce 20 NOT_LEADER_FOR_PARTITION'
sleep 1.5
status "after 20 produce errors NOT_LEADER_FOR_PARTITION"
control 'errors Produce 10 REQUEST_TIMED_OUT'
sleep 1.5
status "after 10 produce errors REQUEST_TIMED_OUT"
control 'down 2'
sleep 3
status "broker 2 down for 3 s"
control 'up 2'
sleep 1.5
control 'errors Fetch 10 NOT_LEADER_FOR_PARTITION'
control 'errors OffsetCommit 5 REQUEST_TIMED_OUT'
sleep 1.5
status "after fetch and offset-commit errors"

# The permanent error, aimed at the advancer alone: hold the publisher, stop the advancer (SIGTERM:
# drains and commits), publish the second load as a backlog, push the error, let the supervisor
# start the advancer: its first produce request fails.
touch "$WORK/hold"
held() { [ -e "$WORK/held" ] || [ -e "$WORK/published" ]; }
until_ok 60 "the publisher to hold" held
touch "$WORK/pause"
n=$(exits)
kill -TERM "$(cat "$WORK/adv.pid")"
exited() { [ "$(exits)" -gt "$n" ]; }
until_ok 30 "the advancer to stop" exited
[ "$(tail -n 1 "$WORK/exits")" = 0 ] || fail "the advancer exited with $(tail -n 1 "$WORK/exits") after SIGTERM"
"$PRAVAH" publish --bootstrap "$ADDR" "$WORK/backlog.jsonl" >>"$WORK/publish.out" 2>&1 ||
    fail "publishing the backlog failed: $(tail -n 3 "$WORK/publish.out")"
control "errors Produce 1 $PERMANENT"
n=$(exits)
rm -f "$WORK/pause"
failed_once() { [ "$(exits)" -gt "$n" ]; }
until_ok 60 "the advancer to meet the permanent produce error" failed_once
code=$(tail -n 1 "$WORK/exits")
[ "$code" != 0 ] || fail "the advancer exited 0 on a permanent produce error"
grep -q '"msg":"delivery failed: records not acknowledged"' "$WORK/advance.err" ||
    fail "no 'delivery failed' line in the advancer's log"
echo "  permanent produce error: the advancer exited $code; the supervisor restarts it"
rm -f "$WORK/hold"

until_ok 120 "the publisher" test -e "$WORK/published"
[ ! -e "$WORK/publish.failed" ] || fail "publish failed: $(tail -n 3 "$WORK/publish.out")"
quiet=0
caught_up() {
    if [ "$(metric pravah_consumer_lag)" = "0" ] && [ "$(count pravah.journal)" -ge "$accepted" ]
    then quiet=$((quiet + 1)); else quiet=0; fi
    [ "$quiet" -ge 3 ]
}
until_ok 90 "the advancer to catch up" caught_up
redelivered=$(metric pravah_events_redelivered_total)
touch "$WORK/stop"
kill -TERM "$(cat "$WORK/adv.pid")"
wait "$SUP_PID"
[ "$(tail -n 1 "$WORK/exits")" = 0 ] || fail "the last advancer exited with $(tail -n 1 "$WORK/exits") after SIGTERM"
restarts=$(grep -cv '^0$' "$WORK/exits")

# Exactly one outcome per intake event, after deduplication: (partition, offset) of every intake
# message against the pravah-intake-offset headers of journal event records and rejections.
consume pravah.intake '%p %o\n' | sort >"$WORK/intake.po"
consume pravah.journal '%p %h\n' | sed -n 's/^\([0-9]*\) .*pravah-intake-offset=\([0-9]*\).*/\1 \2/p' |
    sort >"$WORK/journal.po"
consume pravah.rejected '%p %h\n' | sed -n 's/^\([0-9]*\) .*pravah-intake-offset=\([0-9]*\).*/\1 \2/p' |
    sort >"$WORK/rejected.po"
jraw=$(count pravah.journal) rraw=$(wc -l <"$WORK/rejected.po")
sort -u "$WORK/journal.po" >"$WORK/journal.u"
sort -u "$WORK/rejected.po" >"$WORK/rejected.u"
jn=$(wc -l <"$WORK/journal.u") rn=$(wc -l <"$WORK/rejected.u")
[ "$(wc -l <"$WORK/intake.po")" -eq "$events" ] || fail "intake has $(wc -l <"$WORK/intake.po") events, expected $events"
[ "$jn" -eq "$accepted" ] || fail "the journal answers $jn intake events, expected $accepted"
[ "$rn" -eq "$rejected" ] || fail "rejected answers $rn intake events, expected $rejected"
twice=$(sort "$WORK/journal.u" "$WORK/rejected.u" | uniq -d | head -n 3)
[ -z "$twice" ] || fail "intake events both journaled and rejected (partition offset): $twice"
sort "$WORK/journal.u" "$WORK/rejected.u" | cmp -s - "$WORK/intake.po" ||
    fail "the outcomes do not cover the intake one to one"
"$PRAVAH" audit verify --bootstrap "$ADDR" >"$WORK/verify.out" 2>&1 || fail "audit verify: $(tail -n 5 "$WORK/verify.out")"
dups=$((jraw - jn))
grep -q "$dups duplicates ignored" "$WORK/verify.out" ||
    fail "$dups journal messages repeat an intake offset, but verify says: $(tail -n 1 "$WORK/verify.out")"
ok "$events events under broker faults: $accepted journaled, $rejected rejected, each once after deduplication ($((jraw - jn)) duplicate journal messages, $((rraw - rn)) duplicate rejections); $restarts restart(s) after fatal errors (exit statuses: $(tr '\n' ' ' <"$WORK/exits")); $(grep -c 'commit of offset' "$WORK/advance.err") failed commits, the last process skipped ${redelivered:-?} redelivered; in $(($(date +%s) - T0)) s"
ok "$(tail -n 1 "$WORK/verify.out")"
