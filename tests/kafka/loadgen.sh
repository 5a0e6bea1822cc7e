#!/bin/sh
# ctest-timeout: 300
# ctest-labels: kafka;e2e
# `pravah loadgen` (issue 6, section 2), on the embedded broker and a real advancer:
# 1. --help; determinism: the same seed gives an identical --out file, another seed a different
#    one; the file is what `pravah publish` reads (every line valid).
# 2. LG_DAYS simulated days (default 30, at LG_PER_DAY events a day, default 400, seed LG_SEED,
#    default 11, LG_REJECTS per mille refused, default the generator's 10; a redelivery sent
#    twice is two lines of the same id in both lists) published by
#    `pravah loadgen --clock-file --follow`, which keeps the advancer's file clock just ahead of
#    the events it sends and at most an hour ahead of the advancer's own clock (its /metrics), so
#    each event is applied within hours of its time and deadlines fire in earlier batches. Then:
#    every event the generator marked as one to refuse is on pravah.rejected with exactly that
#    reason (among them a TS over the JE's limit and a file closed by another desk), nothing else
#    is rejected, every other event is in the journal (`pravah audit verify` passes), which holds
#    events of every domain and SLA breaches and escalations; the stream itself has the steps
#    that depend on them (the FAA's `direct` after the 21 days) and HRMS transfers.
. "$(dirname "$0")/lib.sh"
need_kcat
command -v curl >/dev/null 2>&1 || { echo "SKIP: curl is not installed"; exit 77; }
command -v python3 >/dev/null 2>&1 || { echo "SKIP: python3 is not installed"; exit 77; }
DAYS=${LG_DAYS:-30}
PER_DAY=${LG_PER_DAY:-400}
SEED=${LG_SEED:-11}
REJECTS=${LG_REJECTS:+--rejects $LG_REJECTS}
START=2026-04-01T00:00:00+05:30
CLOCK=$WORK/clock

# ---- 1. help, determinism, the file format
"$PRAVAH" loadgen --help | grep -q -- '--rate' || fail "loadgen --help does not describe --rate"
"$PRAVAH" loadgen --bogus >/dev/null 2>&1
[ $? -eq 2 ] || fail "an unknown option must exit 2"
gen() { "$PRAVAH" loadgen --days 5 --events-per-day 300 "$@" >>"$WORK/gen.out" 2>&1; }
gen --seed 7 --out "$WORK/a.jsonl" --expect "$WORK/a.exp" || fail "loadgen --out failed"
gen --seed 7 --out "$WORK/b.jsonl" || fail "loadgen --out failed (second run)"
gen --seed 8 --out "$WORK/c.jsonl" || fail "loadgen --out failed (seed 8)"
cmp -s "$WORK/a.jsonl" "$WORK/b.jsonl" || fail "the same seed gave different files"
cmp -s "$WORK/a.jsonl" "$WORK/c.jsonl" && fail "seeds 7 and 8 gave the same file"
NEV=$(wc -l <"$WORK/a.jsonl")
[ "$NEV" -ge 1300 ] || fail "5 days at 300 a day gave only $NEV events"
[ -s "$WORK/a.exp" ] || fail "no expected rejections in 5 days"
ok "--help; seed 7 twice: identical files of $NEV events; seed 8: a different file"

start_broker --partitions 2
PORT=$(free_port)
metric() {
    curl -s --max-time 2 "http://127.0.0.1:$PORT/metrics" | awk -v m="$1" '$1 == m { print $2 }'
}
# The file is `pravah publish` input: every line valid (sent to a topic nobody reads).
"$PRAVAH" publish --bootstrap "$ADDR" --topic pravah.rejected "$WORK/a.jsonl" \
    >"$WORK/publish.out" 2>&1 || fail "pravah publish failed: $(tail -n 3 "$WORK/publish.out")"
grep -q "^$NEV sent, $NEV acknowledged, 0 invalid" "$WORK/publish.out" ||
    fail "pravah publish did not take every line of the file: $(tail -n 3 "$WORK/publish.out")"
ok "pravah publish reads the file: $NEV sent, $NEV acknowledged, 0 invalid"

# Start again on a clean broker for the pipeline run (the check above wrote to pravah.rejected).
kill -TERM "$BROKER_PID"; wait "$BROKER_PID"; BROKER_PID=
rm -f "$WORK/broker.addr"
start_broker --partitions 2

# ---- 2. through the advancer
date -d "$START" +%s%3N >"$CLOCK"
(cd "$WORK" && exec "$PRAVAH" advance --bootstrap "$ADDR" --metrics-port "$PORT" \
    --clock "file:$CLOCK" --set advance.identity_salt=loadgen-test \
    >"$WORK/advance.out" 2>"$WORK/advance.err") &
PIDS="$PIDS $!"
# Both partitions rebuilt before the load starts: until then the advancer's clock moves without
# anything being consumed, and --follow would let the load run days ahead of it.
rebuilt() { [ "$(grep -c '"msg":"partition [0-9]*: rebuilt' "$WORK/advance.err")" -ge 2 ]; }
t=600
until rebuilt && [ -n "$(metric pravah_clock_ms)" ]; do
    t=$((t - 1)); [ "$t" -gt 0 ] || fail "the advancer did not start: $(tail -n 3 "$WORK/advance.err")"
    sleep 0.1
done

"$PRAVAH" loadgen --bootstrap "$ADDR" --start "$START" --days "$DAYS" --events-per-day "$PER_DAY" \
    --seed "$SEED" $REJECTS --clock-file "$CLOCK" --follow "127.0.0.1:$PORT" --lead 3600 \
    --expect "$WORK/run.exp" \
    >"$WORK/loadgen.out" 2>"$WORK/loadgen.err" ||
    fail "loadgen failed: $(tail -n 3 "$WORK/loadgen.err")"
cat "$WORK/loadgen.out"
sent=$(awk 'NR == 1 { print $1 }' "$WORK/loadgen.out")
acked=$(awk 'NR == 1 { print $3 }' "$WORK/loadgen.out")
[ "$sent" -gt 0 ] && [ "$sent" = "$acked" ] || fail "loadgen: $sent sent, $acked acknowledged"
grep -q 'generated .* events in' "$WORK/loadgen.err" || fail "loadgen did not report its generation"

handled() {
    a=$(metric pravah_events_applied_total)
    r=$(curl -s --max-time 2 "http://127.0.0.1:$PORT/metrics" |
        awk '/^pravah_events_rejected_total\{/ { s += $2 } END { print s + 0 }')
    [ -n "$a" ] && [ $((a + r)) -ge "$sent" ]
}
t=1200
until handled; do
    t=$((t - 1)); [ "$t" -gt 0 ] || fail "the advancer handled only $(metric pravah_events_applied_total) applied of $sent"
    sleep 0.1
done
kill -TERM $PIDS; wait $PIDS 2>/dev/null; PIDS=
"$PRAVAH" audit verify --bootstrap "$ADDR" --list "$WORK/journal.list" >"$WORK/verify.out" 2>&1
vstatus=$?

# Expected rejections (ID REASON) against the rejected topic (ce_id, pravah-reason-code).
awk '{ print $1, $2 }' "$WORK/run.exp" | sort >"$WORK/want.rej"
consume pravah.rejected '%h\n' |
    awk '{ n = split($0, h, ","); id = ""; r = "";
           for (i = 1; i <= n; i++) {
               if (h[i] ~ /^ce_id=/) id = substr(h[i], 7);
               if (h[i] ~ /^pravah-reason-code=/) r = substr(h[i], 20) } print id, r }' |
    sort >"$WORK/got.rej"
nwant=$(wc -l <"$WORK/want.rej")
ngot=$(wc -l <"$WORK/got.rej")
if ! cmp -s "$WORK/want.rej" "$WORK/got.rej"; then
    echo "--- expected but not rejected so (first 10):" >&2
    comm -23 "$WORK/want.rej" "$WORK/got.rej" | head -n 10 >&2
    echo "--- rejected unexpectedly (first 10), with the advancer's message:" >&2
    comm -13 "$WORK/want.rej" "$WORK/got.rej" | head -n 10 | while read -r id why; do
        echo "$id $why: $(consume pravah.rejected '%h\n' | grep "ce_id=$id" | head -n 1 |
            tr ',' '\n' | grep -E '^(ce_type|ce_subject|ce_actor|pravah-reason-message)=' | tr '\n' ' ')" >&2
    done
    fail "rejections differ: $nwant expected, $ngot on pravah.rejected"
fi
for r in over_limit unauthorized duplicate malformed; do
    grep -q " $r\$" "$WORK/got.rej" || fail "no $r rejection in $DAYS days"
done
# The attempts the issue names: a sanction above the officer's limit, a file closed by someone
# other than its creator.
grep -q ' over_limit works works.grant_ts$' "$WORK/run.exp" || fail "no technical sanction over the limit"
grep -q ' unauthorized efile efile.close$' "$WORK/run.exp" || fail "no file closed by another desk"
ok "all $ngot rejections are the expected ones, with the expected reasons ($(awk '{ print $2 }' "$WORK/got.rej" | sort | uniq -c | tr -s ' ' | tr '\n' ','))"

# The rejected topic is kept for good, so the payloads it keeps have their identity numbers
# masked (engine/redact.c): no Aadhaar number in clear in any of them, and every refused event
# that carried one (the same stream written to a file, below) has it masked, with its
# `pravah-redacted` header counting it.
"$PRAVAH" loadgen --out "$WORK/run.jsonl" --start "$START" --days "$DAYS" \
    --events-per-day "$PER_DAY" --seed "$SEED" $REJECTS >/dev/null 2>&1 || fail "loadgen --out (run) failed"
consume pravah.rejected '%R%s%h\n' >"$WORK/rejected.msgs"
python3 "$(dirname "$0")/check_rejected_identity.py" "$WORK/rejected.msgs" "$WORK/run.exp" \
    "$WORK/run.jsonl" >"$WORK/identity.out" ||
    fail "identity numbers on pravah.rejected: $(tail -n 3 "$WORK/identity.out")"
ok "$(cat "$WORK/identity.out")"

# The journal (read back and verified by `pravah audit verify`): every other event, of every
# domain, and the clock's breaches and escalations the load is meant to cause.
[ "$vstatus" -eq 0 ] || fail "audit verify: $(tail -n 3 "$WORK/verify.out")"
applied=$(awk -F'\t' '$3 == "event"' "$WORK/journal.list" | wc -l)
want_applied=$((sent - nwant))
[ "$applied" -eq "$want_applied" ] ||
    fail "the journal holds $applied events, expected $want_applied ($sent sent - $nwant refused)"
for k in sla.breached sla.escalated; do
    grep -q "	$k	" "$WORK/journal.list" || fail "no $k record in $DAYS days"
done
for p in WMS/ULB- DC- CMW/ APT/ LIT/ EMP-; do
    awk -F'\t' -v p="$p" '$3 == "event" && index($1, p) == 1 { f = 1 } END { exit !f }' \
        "$WORK/journal.list" || fail "no event of case ids $p* in the journal"
done
# What was applied, by type: the same stream written to a file (same seed and start, above).
[ "$(wc -l <"$WORK/run.jsonl")" -eq "$sent" ] || fail "the --out stream differs in length from the one sent"
for t in works.grant_ts works.allot_work works.record_mb efile.forward efile.park \
    efile.attach_receipt grievance.direct grievance.dismiss_appeal appointment.hold \
    litigation.file_reply hrms.transfer; do
    grep -q "\"type\":\"$t\"" "$WORK/run.jsonl" || fail "the load has no $t"
done
ok "journal verified: all $applied accepted events, every domain, breaches and escalations"
