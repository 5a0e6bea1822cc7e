#!/bin/sh
# The broker warns loudly, once per partition, when the mock drops a partition's oldest data (it
# keeps about 5 MiB per partition): here 7 MB are produced to journal partition 3.
. "$(dirname "$0")/lib.sh"
need_kcat
start_broker --partitions 4

sleep 1.2 # one clean check first
grep -q 'dropped data' "$WORK/broker.err" && fail "warning before any data"
line=$(head -c 1000 /dev/zero | tr '\0' x)
yes "$line" | head -n 7000 | kcat -P -b "$ADDR" -t pravah.journal -p 3 -z none ||
    fail "kcat could not produce"
want='"level":"error","component":"broker","msg":"partition 3 of topic pravah.journal dropped data: low watermark [1-9][0-9]* > 0; the embedded broker is ephemeral — use a real Kafka cluster"'
wait_line "$want" "$WORK/broker.err" 10 || fail "no low-watermark warning"
sleep 2.2 # two more checks: the warning is not repeated
[ "$(grep -c 'dropped data' "$WORK/broker.err")" -eq 1 ] || fail "warning repeated or on other partitions"
ok "one loud warning for partition 3 of pravah.journal"
stop_broker TERM
ok "broker stopped"
