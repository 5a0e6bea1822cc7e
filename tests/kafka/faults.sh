#!/bin/sh
# The broker's control channel (--control FIFO): injected produce errors and brokers taken down,
# seen through `pravah publish`. Transient faults are retried and every event acknowledged;
# permanent ones are reported per line and make publish exit 1.
# ctest-labels: kafka;fault
. "$(dirname "$0")/lib.sh"
need_kcat
CTL=$WORK/control
start_broker --control "$CTL"
[ -p "$CTL" ] || fail "the broker did not create the control FIFO"

# control LINE: sends one command and waits until the broker has logged it.
control() {
    n=$(grep -c '"msg":"control command' "$WORK/broker.err")
    echo "$1" >"$CTL"
    i=0
    while [ "$(grep -c '"msg":"control command' "$WORK/broker.err")" -le "$n" ]; do
        i=$((i + 1)); [ $i -lt 50 ] || fail "broker did not answer '$1'"; sleep 0.1
    done
}

cat >"$WORK/events.jsonl" <<'EOF2'
{"id":"f-1","source":"wms","type":"works.create","subject":"WMS/F/1","actor":"E1"}
{"id":"f-2","source":"wms","type":"works.create","subject":"WMS/F/2","actor":"E1"}
{"id":"f-3","source":"wms","type":"works.create","subject":"WMS/F/3","actor":"E1"}
EOF2

control 'errors Produce 3 NOT_LEADER_FOR_PARTITION'
grep -q '"command":"errors Produce 3 NOT_LEADER_FOR_PARTITION"' "$WORK/broker.err" || fail "not applied"
"$PRAVAH" publish --bootstrap "$ADDR" "$WORK/events.jsonl" >"$WORK/pub.out" 2>"$WORK/pub.err" ||
    fail "retriable produce errors: publish failed: $(cat "$WORK/pub.err")"
grep -qx '3 sent, 3 acknowledged, 0 invalid' "$WORK/pub.out" || fail "summary: $(cat "$WORK/pub.out")"
ok "retriable produce errors are retried"

control 'errors 0 100 TOPIC_AUTHORIZATION_FAILED'
"$PRAVAH" publish --bootstrap "$ADDR" --timeout 5 "$WORK/events.jsonl" >"$WORK/pub.out" 2>"$WORK/pub.err"
[ $? -eq 1 ] || fail "permanent produce errors should exit 1"
grep -qx '3 sent, 0 acknowledged, 0 invalid' "$WORK/pub.out" || fail "summary: $(cat "$WORK/pub.out")"
grep -q '^line 2: error: not acknowledged: ' "$WORK/pub.err" || fail "line 2 not reported"
control 'clear Produce'
ok "permanent produce errors: not acknowledged, exit 1"

for b in 1 2 3; do control "down $b"; done
(sleep 2; for b in 1 2 3; do echo "up $b" >"$CTL"; done) &
PIDS=$!
"$PRAVAH" publish --bootstrap "$ADDR" "$WORK/events.jsonl" >"$WORK/pub.out" 2>"$WORK/pub.err" ||
    fail "publish across a cluster outage failed: $(tail -n 3 "$WORK/pub.err")"
grep -qx '3 sent, 3 acknowledged, 0 invalid' "$WORK/pub.out" || fail "summary: $(cat "$WORK/pub.out")"
wait $PIDS; PIDS=
ok "all brokers down, then up: every event acknowledged"

control 'rtt 1 50'
control 'down 9'
grep -q '"msg":"control command failed","command":"down 9"' "$WORK/broker.err" || fail "down 9 accepted"
control 'flood the cluster'
grep -q '"command":"flood the cluster","error":"unknown command' "$WORK/broker.err" || fail "nonsense accepted"
ok "bad control commands are logged as errors, the broker keeps running"

[ "$(consume pravah.intake '%k\n' | wc -l)" -ge 6 ] || fail "intake is missing events"
stop_broker TERM
[ -e "$CTL" ] && fail "the broker left its FIFO behind"
ok "broker stopped, FIFO removed"
