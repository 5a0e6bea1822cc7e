#!/bin/sh
# Hostile bytes from outside do not stop the advancer, and are kept:
# 1. a directory-topic message (HRMS writes that topic too) that is a msgpack map claiming
#    2^31 members in 7 bytes: msgpack-c asks for ~128 GB for it before reading it (it allocates
#    for a claimed count first). The advancer checks the bytes first, logs the message as
#    ignored and goes on; before, the allocation was attempted (a failure, or gigabytes for a
#    smaller claim; an abort under ASan) and the message was dropped without a word;
# 2. the same bytes as an intake event's payload: rejected as malformed, kept on pravah.rejected
#    byte for byte (`pravah-redacted: 0`, nothing to mask);
# 3. an intake event whose JSON payload names an Aadhaar number under a misspelled key: rejected,
#    kept with the number masked (`pravah-redacted: 1`);
# and a valid event after them is journaled.
. "$(dirname "$0")/lib.sh"
need_kcat
command -v curl >/dev/null 2>&1 || { echo "SKIP: curl is not installed"; exit 77; }
start_broker --partitions 1
PORT=$(free_port)
printf '\337\203R1122' >"$WORK/hostile.bin"
kcat -b "$ADDR" -P -t pravah.directory -k EMP-HOSTILE "$WORK/hostile.bin" ||
    fail "kcat could not write the directory message"

(cd "$WORK" && exec "$PRAVAH" advance --bootstrap "$ADDR" --metrics-port "$PORT" \
    --set advance.identity_salt=hostile-test >"$WORK/advance.out" 2>"$WORK/advance.err") &
PIDS="$PIDS $!"
count() { consume "$1" '%o\n' | wc -l; }
metric() {
    curl -s --max-time 2 "http://127.0.0.1:$PORT/metrics" | awk -v m="$1" '$1 == m { print $2 }'
}
t=300
until grep -q '"msg":"partition 0: rebuilt' "$WORK/advance.err" 2>/dev/null; do
    t=$((t - 1)); [ "$t" -gt 0 ] || fail "the advancer did not start: $(tail -n 3 "$WORK/advance.err")"
    sleep 0.1
done
grep -q 'directory message is not a msgpack map: ignored' "$WORK/advance.err" ||
    fail "the hostile directory message was not reported: $(tail -n 3 "$WORK/advance.err")"
ok "a directory message claiming 2^31 members in 7 bytes: logged as ignored, the advancer runs"

# ce_ headers of a binary-mode event; $1 id, $2 type, $3 subject, $4 content type
send() {
    file=$5
    kcat -b "$ADDR" -P -t pravah.intake -k "$3" -H ce_specversion=1.0 -H "ce_id=$1" \
        -H ce_source=test -H "ce_type=$2" -H "ce_subject=$3" -H ce_actor=CIT-1 \
        -H "content-type=$4" "$file" || fail "kcat could not send $1"
}
send h-1 grievance.lodge CMW/2026/9000001 application/msgpack "$WORK/hostile.bin"
printf '{"district":"DIST-GGN","adhaar":"2345 6789 0124","name":"R","mobile":"9812345678"}' \
    >"$WORK/misspelled.json"
send h-2 grievance.lodge CMW/2026/9000002 application/json "$WORK/misspelled.json"
printf '{"district":"DIST-GGN","aadhaar":"234567890124","name":"R","mobile":"9812345678","category":"revenue","subject":"s","description":"d"}' \
    >"$WORK/valid.json"
send h-3 grievance.lodge CMW/2026/9000003 application/json "$WORK/valid.json"

t=300
until [ "$(metric pravah_events_applied_total)" = 1 ] && [ "$(count pravah.rejected)" -ge 2 ]; do
    t=$((t - 1)); [ "$t" -gt 0 ] || fail "applied $(metric pravah_events_applied_total), rejected $(count pravah.rejected): $(tail -n 3 "$WORK/advance.err")"
    sleep 0.1
done
kill -0 $PIDS || fail "the advancer died"

consume pravah.rejected '%s' >"$WORK/rejected.bin"
consume pravah.rejected '%h\n' >"$WORK/rejected.h"
grep -q 'ce_id=h-1,.*pravah-reason-code=malformed,.*pravah-redacted=0' "$WORK/rejected.h" ||
    fail "h-1: $(grep 'ce_id=h-1' "$WORK/rejected.h")"
grep -q 'ce_id=h-2,.*pravah-redacted=1' "$WORK/rejected.h" ||
    fail "h-2: $(grep 'ce_id=h-2' "$WORK/rejected.h")"
grep -q 'R1122' "$WORK/rejected.bin" || fail "h-1's bytes are not kept"
grep -q '"adhaar":"XXXX XXXX 0124"' "$WORK/rejected.bin" || fail "h-2's Aadhaar is not masked: $(cat "$WORK/rejected.bin")"
grep -q '2345 6789 0124' "$WORK/rejected.bin" && fail "h-2's Aadhaar is on pravah.rejected in clear"
grep -q '9812345678' "$WORK/rejected.bin" || fail "h-2's mobile number was masked too"
ok "hostile msgpack and a misspelled Aadhaar: rejected and kept (the first byte for byte, the second masked); the valid event journaled"
