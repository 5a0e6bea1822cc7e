#!/bin/sh
# `pravah publish` against the embedded broker, checked with kcat: binary-mode CloudEvents headers,
# keys are case ids, msgpack data, invalid lines reported by number and not sent, exit codes.
. "$(dirname "$0")/lib.sh"
need_kcat
start_broker --partitions 3

cat >"$WORK/events.jsonl" <<'EOF'
{"specversion":"1.0","id":"ev-1","source":"wms.ulb-ggn","type":"works.create","subject":"WMS/ULB-GGN/2026/000101","time":"2026-04-01T10:00:00+05:30","actor":"EMP1001","data":{"n":1}}
{"id":"ev-2","source":"wms.ulb-ggn","type":"works.grant_ts","subject":"WMS/ULB-GGN/2026/000102","actor":"EMP1002","data":{"amount":3950000,"ts_number":"TS-9"}}

{"id":"ev-bad-3","source":"wms","type":"works.grant_ts","actor":"EMP1002"}
this is not json
{"id":"ev-bad-5","source":"wms","type":"works.grant_ts","subject":"WMS/ULB-GGN/2026/000101","actor":"EMP1","time":"yesterday"}
{"id":"ev-6","source":"wms.ulb-ggn","type":"works.grant_as","subject":"WMS/ULB-GGN/2026/000101","actor":"EMP1003"}
{"id":"ev-7","source":"cmw","type":"grievance.register","subject":"CMW/2026/000001","actor":"CIT-77","data":{"text":"नाली बंद है","tags":["a",{"b":null}]}}
EOF

# --- a file with 3 invalid lines: exit 1, the line numbers, nothing invalid sent
"$PRAVAH" publish --bootstrap "$ADDR" "$WORK/events.jsonl" >"$WORK/pub.out" 2>"$WORK/pub.err"
status=$?
[ "$status" -eq 1 ] || fail "publish with invalid lines exited $status, want 1"
grep -qx '4 sent, 4 acknowledged, 3 invalid' "$WORK/pub.out" ||
    fail "summary: $(cat "$WORK/pub.out")"
grep -qx 'line 4: error: subject: subject is missing' "$WORK/pub.err" || fail "line 4 not reported"
grep -q '^line 5: error: event is not valid JSON' "$WORK/pub.err" || fail "line 5 not reported"
grep -q "^line 6: error: time: time 'yesterday' is not an RFC 3339" "$WORK/pub.err" ||
    fail "line 6 not reported"
[ "$(grep -c '^line ' "$WORK/pub.err")" -eq 3 ] || fail "unexpected errors: $(cat "$WORK/pub.err")"
ok "invalid lines reported by number, exit 1"

consume pravah.intake '%p|%k|%h\n' >"$WORK/intake.txt"
[ "$(wc -l <"$WORK/intake.txt")" -eq 4 ] || fail "intake holds $(wc -l <"$WORK/intake.txt") messages, want 4"
grep -q 'ev-bad' "$WORK/intake.txt" && fail "an invalid event reached intake"
# Binary mode: every CloudEvents attribute as a ce_ header, content-type msgpack, key = subject.
while IFS='|' read -r part key headers; do
    for h in ce_specversion=1.0 ce_id= ce_source= ce_type= "ce_subject=$key," ce_actor= \
        content-type=application/msgpack; do
        case ",$headers," in *",$h"*) ;; *) fail "message key $key lacks header $h: $headers" ;; esac
    done
done <"$WORK/intake.txt"
grep -q 'ce_id=ev-1,.*ce_time=2026-04-01T10:00:00+05:30,' "$WORK/intake.txt" || fail "ce_time missing"
grep 'ce_id=ev-2,' "$WORK/intake.txt" | grep -q ce_time && fail "ce_time sent for an event without time"
ok "headers are CloudEvents binary mode, keys are case ids"

# Same case id, same partition (ev-1 and ev-6 are both case 000101).
p1=$(grep 'ce_id=ev-1,' "$WORK/intake.txt" | cut -d'|' -f1)
p6=$(grep 'ce_id=ev-6,' "$WORK/intake.txt" | cut -d'|' -f1)
[ "$p1" = "$p6" ] || fail "one case in two partitions ($p1, $p6)"
ok "one case, one partition"

# Data is the canonical msgpack map: {"n":1} is 81 a1 6e 01; no data is the empty map 80.
data1=$(kcat -b "$ADDR" -C -t pravah.intake -p "$p1" -o beginning -c 1 -e -q -f '%s' | od -An -tx1 | tr -d ' \n')
[ "$data1" = "81a16e01" ] || fail "ev-1 data is $data1, want 81a16e01"
ok "data is msgpack"

# --- all valid, from stdin, address from the default file var/broker.addr: exit 0
mkdir -p "$WORK/cwd/var" && cp "$WORK/broker.addr" "$WORK/cwd/var/broker.addr"
grep -v -e ev-bad -e 'not json' "$WORK/events.jsonl" >"$WORK/good.jsonl"
(cd "$WORK/cwd" && "$PRAVAH" publish - <"$WORK/good.jsonl") >"$WORK/pub.out" 2>"$WORK/pub.err"
status=$?
[ "$status" -eq 0 ] || fail "valid input exited $status: $(cat "$WORK/pub.err")"
grep -qx '4 sent, 4 acknowledged, 0 invalid' "$WORK/pub.out" || fail "summary: $(cat "$WORK/pub.out")"
[ "$(consume pravah.intake '%k\n' | wc -l)" -eq 8 ] || fail "intake should now hold 8 messages"
ok "stdin and var/broker.addr, exit 0"

# --- another topic
"$PRAVAH" publish --bootstrap "$ADDR" --topic pravah.rejected "$WORK/good.jsonl" >/dev/null 2>&1 ||
    fail "publish --topic failed"
[ "$(consume pravah.rejected '%k\n' | wc -l)" -eq 4 ] || fail "--topic not honoured"
ok "--topic"

# --- the workers' configuration: environment (a real cluster needs nothing else)
mkdir "$WORK/empty"
(cd "$WORK/empty" && PRAVAH_KAFKA_BOOTSTRAP_SERVERS=$ADDR PRAVAH_TOPICS_INTAKE=pravah.snapshots \
    "$PRAVAH" publish "$WORK/good.jsonl") >/dev/null 2>&1 || fail "publish configured by environment"
[ "$(consume pravah.snapshots '%k\n' | wc -l)" -eq 4 ] || fail "PRAVAH_TOPICS_INTAKE not honoured"
ok "PRAVAH_KAFKA_BOOTSTRAP_SERVERS, PRAVAH_TOPICS_INTAKE"

# --- no broker: fails fast, exit 1; no address file: exit 1; bad usage: exit 2
start=$(date +%s)
"$PRAVAH" publish --bootstrap 127.0.0.1:9 --timeout 2 "$WORK/good.jsonl" >/dev/null 2>"$WORK/pub.err"
status=$?
[ "$status" -eq 1 ] || fail "unreachable broker: exit $status, want 1"
[ $(( $(date +%s) - start )) -le 15 ] || fail "unreachable broker took too long"
grep -q 'cannot find topic pravah.intake' "$WORK/pub.err" || fail "unreachable broker not explained"
(cd "$WORK" && "$PRAVAH" publish --addr-file "$WORK/none.addr" "$WORK/good.jsonl") >/dev/null 2>&1
[ $? -eq 1 ] || fail "missing address file should exit 1"
"$PRAVAH" publish --format xml "$WORK/good.jsonl" >/dev/null 2>&1
[ $? -eq 2 ] || fail "bad --format should exit 2"
ok "unreachable broker, missing address file, usage errors"

stop_broker TERM
ok "broker stopped"
