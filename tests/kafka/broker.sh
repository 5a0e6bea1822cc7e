#!/bin/sh
# `pravah broker`: default address file, stdout line, topics and partition counts, prefix, JSON
# logs, SIGTERM and SIGINT stop it and remove the address file, usage errors.
. "$(dirname "$0")/lib.sh"
need_kcat

# --- defaults: var/broker.addr under the current directory, 3 brokers, 6 partitions
mkdir "$WORK/cwd"
(cd "$WORK/cwd" && exec "$PRAVAH" broker >"$WORK/broker.out" 2>"$WORK/broker.err") &
BROKER_PID=$!
wait_file "$WORK/cwd/var/broker.addr" 15 || fail "no var/broker.addr"
ADDR=$(cat "$WORK/cwd/var/broker.addr")
wait_line '^bootstrap: ' "$WORK/broker.out" 5 || fail "no bootstrap line on stdout"
[ "$(head -n 1 "$WORK/broker.out")" = "bootstrap: $ADDR" ] || fail "stdout and file disagree"
case $ADDR in 127.0.0.1:*,127.0.0.1:*,127.0.0.1:*) ;; *) fail "not 3 loopback brokers: $ADDR" ;; esac
kcat -b "$ADDR" -L >"$WORK/meta.txt" 2>&1 || fail "kcat -L failed"
grep -q ' 3 brokers:' "$WORK/meta.txt" || fail "want 3 brokers"
for t in intake:6 journal:6 rejected:6 directory:1 snapshots:6; do
    grep -q "topic \"pravah.${t%%:*}\" with ${t##*:} partitions" "$WORK/meta.txt" ||
        fail "topic pravah.${t%%:*} should have ${t##*:} partitions"
done
ok "defaults: var/broker.addr, stdout line, 3 brokers, topics 6/6/6/1/6"

kill -TERM "$BROKER_PID"
wait "$BROKER_PID"
status=$?
BROKER_PID=
[ "$status" -eq 0 ] || fail "exit $status after SIGTERM"
[ ! -e "$WORK/cwd/var/broker.addr" ] || fail "var/broker.addr left behind"
grep -q '"msg":"stopped"' "$WORK/broker.err" || fail "no 'stopped' log line"
if command -v jq >/dev/null 2>&1; then
    jq -e . "$WORK/broker.err" >/dev/null 2>&1 || fail "stderr is not JSON lines"
    [ "$(jq -r .level "$WORK/broker.err" | sort -u | grep -cv -e info -e warn -e debug)" -eq 0 ] ||
        fail "error lines in a clean run"
fi
ok "SIGTERM: exit 0, address file removed, JSON log lines"

# --- options: 1 broker, 2 partitions, another prefix; SIGINT
start_broker --brokers 1 --partitions 2 --topics-prefix test.
kcat -b "$ADDR" -L >"$WORK/meta.txt" 2>&1 || fail "kcat -L failed"
grep -q ' 1 brokers:' "$WORK/meta.txt" || fail "want 1 broker"
for t in intake:2 journal:2 rejected:2 directory:1 snapshots:2; do
    grep -q "topic \"test.${t%%:*}\" with ${t##*:} partitions" "$WORK/meta.txt" ||
        fail "topic test.${t%%:*} should have ${t##*:} partitions"
done
grep -q 'topic "pravah.' "$WORK/meta.txt" && fail "default topics created despite the prefix"
FIRST=$ADDR
stop_broker INT
ok "--brokers --partitions --topics-prefix; SIGINT"

# --- a topic the broker did not create (a typo) is created on first use: the broker says so
start_broker
echo x | kcat -P -b "$ADDR" -t pravah.intkae 2>/dev/null
wait_line '"level":"warn",.*"msg":"topic pravah.intkae was created on first use with 4 partitions' \
    "$WORK/broker.err" 5 || fail "no warning about an auto-created topic"
stop_broker TERM
ok "auto-created topics are reported"

# --- ephemeral: a new start gets new ports and empty topics
start_broker
[ "$ADDR" != "$FIRST" ] || fail "same address twice"
[ "$(consume pravah.intake '%k\n' | wc -l)" -eq 0 ] || fail "a new broker is not empty"
stop_broker TERM
ok "each start is a new, empty cluster"

# --- usage errors exit 2 without starting anything
"$PRAVAH" broker --brokers 0 >/dev/null 2>&1; [ $? -eq 2 ] || fail "--brokers 0 should exit 2"
"$PRAVAH" broker --partitions x >/dev/null 2>&1; [ $? -eq 2 ] || fail "--partitions x should exit 2"
"$PRAVAH" broker --bogus >/dev/null 2>&1; [ $? -eq 2 ] || fail "--bogus should exit 2"
"$PRAVAH" broker --help | grep -q 'ephemeral' || fail "--help"
ok "usage errors"
