#!/bin/sh
# ctest-timeout: 240
# ctest-labels: kafka;fault
# Delay alerts through the pipeline: they fire at the right simulated times, across weekends and
# gazetted holidays, exactly once even when the advancer is killed with SIGKILL around them.
# The advancer runs on a file clock (--clock file:PATH), moved step by step; after each step the
# test waits until /metrics shows pravah_clock_ms at that time (the batch that read it has fired
# every timer due by then and its records are acknowledged).
#
# Three e-Office files (schemas/workflows/efile.yaml: desk SLA 7 working days; the breach alerts
# reporting:1 of the desk, 7 working days later reporting:2), Haryana calendar 2026:
#   A created Fri 20 Mar 10:00 by the dealing assistant. Working days after it: (21, 22 weekend,
#     23 Shaheedi Diwas) 24, 25, (26 Ram Navami) 27, 30, (31 Mahavir Jayanti) Apr 1, 2, 3: due
#     Fri 3 Apr 23:59:59.999; breach Sat 4 Apr 00:00 to the superintendent; level 2 after 7 more
#     working days: 6, 7, 8, 9, 10, 13, (14 Ambedkar Jayanti) 15: Thu 16 Apr 00:00 to the CTM.
#   B created with A, forwarded to the superintendent Wed 1 Apr 11:00: Apr 2, 3, 6..10: due
#     Fri 10 Apr; breach Sat 11 Apr 00:00 to the CTM; level 2: 13, (14) 15, 16, 17, 20, 21, 22:
#     Thu 23 Apr 00:00 to the ADC.
#   C created with A, closed by its creator Mon 30 Mar: no alert, ever.
# (Cross-checked with build/tests/pv_scenario -v on the same steps.)
# Kills: at Sat 4 Apr 00:00 right after moving the clock (before the breach is journaled, most
# likely); at Sat 11 Apr 00:00 after the breach is acknowledged; at Thu 16 Apr 00:00 after a
# random delay. Each time the advancer restarts, rebuilds from the journal, and must neither lose
# nor repeat an alert. At the end the journal is decoded and compared record by record.
. "$(dirname "$0")/lib.sh"
need_kcat
command -v python3 >/dev/null 2>&1 || { echo "SKIP: python3 is not installed"; exit 77; }
command -v curl >/dev/null 2>&1 || { echo "SKIP: curl is not installed"; exit 77; }
DIR=$(cd "$(dirname "$0")" && pwd)
CLOCK=$WORK/clock
T0=$(date +%s)
A=DC-GGN/EST/2026/900001 B=DC-GGN/GEN/2026/900002 C=DC-GGN/ACCTS/2026/900003
DA=EMP-100019 # at DIST-GGN-DEALING_ASSISTANT-1, which reports to the superintendent

start_broker --partitions 2
PORT=$(free_port)

metric() {
    curl -s --max-time 2 "http://127.0.0.1:$PORT/metrics" | awk -v m="$1" '$1 == m { print $2 }'
}
count() { consume pravah.journal '%o\n' | wc -l; }
rebuilt() { n=$(grep -c '"msg":"partition [0-9]*: rebuilt' "$WORK/advance.err" 2>/dev/null); echo "${n:-0}"; }
# until_ok SECONDS DESCRIPTION COMMAND...: polls COMMAND every 0.1 s until it succeeds.
until_ok() {
    t=$(($1 * 10)) what=$2
    shift 2
    while ! "$@"; do
        t=$((t - 1))
        [ "$t" -gt 0 ] || fail "timed out waiting for $what"
        sleep 0.1
    done
}

# clock TIME: moves the simulated clock (atomically: write, then rename) and waits for a batch to
# have run at it. TIME is RFC 3339, milliseconds allowed.
set_clock() {
    NOW=$(date -d "$1" +%s%3N) || fail "bad time $1"
    echo "$NOW" >"$CLOCK.tmp" && mv "$CLOCK.tmp" "$CLOCK"
}
at_clock() { c=$(metric pravah_clock_ms); [ -n "$c" ] && [ "$c" -ge "$NOW" ]; }
clock() {
    set_clock "$1"
    until_ok 30 "the advancer's clock to reach $1" at_clock
}
# days FIRST LAST MONTH: the clock at 12:00 on each day FIRST..LAST of MONTH 2026.
days() {
    d=$1
    while [ "$d" -le "$2" ]; do clock "$(printf '2026-%02d-%02dT12:00:00+05:30' "$3" "$d")"; d=$((d + 1)); done
}

RUNS=0
advance() {
    RUNS=$((RUNS + 1))
    before=$(rebuilt)
    (cd "$WORK" && exec "$PRAVAH" advance --bootstrap "$ADDR" --metrics-port "$PORT" \
        --clock "file:$CLOCK" >>"$WORK/advance.out" 2>>"$WORK/advance.err") &
    ADV_PID=$!
    PIDS="$PIDS $ADV_PID"
    # Both partitions rebuilt (after a SIGKILL the group first waits out the dead member's session)
    assigned() { [ "$(rebuilt)" -ge $((before + 2)) ]; }
    until_ok 60 "the advancer (run $RUNS) to rebuild both partitions" assigned
}
# kill9 WHEN: SIGKILL, restart, and a first clock step after the rebuild: the batch of that step
# started with both partitions rebuilt, so every timer due by then is in the journal.
kill9() {
    kill -KILL "$ADV_PID"
    wait "$ADV_PID" 2>/dev/null
    j=$(count)
    advance
    echo "  kill -9 $1: $j records in the journal before the restart"
}
publish() {
    echo "$1" | "$PRAVAH" publish --bootstrap "$ADDR" >>"$WORK/publish.out" 2>&1 ||
        fail "publish failed: $(tail -n 2 "$WORK/publish.out")"
}
has() { [ "$(count)" -ge "$1" ]; }
expect_count() { [ "$(count)" -eq "$1" ] || fail "$2: the journal has $(count) records, expected $1"; }
ev() { # ev ID TYPE SUBJECT DATA
    printf '{"id":"%s","source":"eoffice.test","type":"efile.%s","subject":"%s","actor":"%s","data":%s}' \
        "$1" "$2" "$3" "$DA" "$4"
}

set_clock 2026-03-20T10:00:00+05:30
advance
clock 2026-03-20T10:00:00+05:30
publish "$(ev al-a1 create_file "$A" '{"subject":"Pay fixation","category":"establishment"}')"
publish "$(ev al-b1 create_file "$B" '{"subject":"Rent of the record room","category":"general"}')"
publish "$(ev al-c1 create_file "$C" '{"subject":"Audit para 3","category":"accounts"}')"
until_ok 30 "3 files created" has 3
days 21 29 3
clock 2026-03-30T10:00:00+05:30
publish "$(ev al-c2 close "$C" '{"remarks":"Settled"}')"
until_ok 30 "C closed" has 4
clock 2026-03-31T12:00:00+05:30
clock 2026-04-01T11:00:00+05:30
publish "$(ev al-b2 forward "$B" '{"to_post":"DIST-GGN-SUPERINTENDENT","remarks":"Put up"}')"
until_ok 30 "B forwarded" has 5
days 2 3 4
clock 2026-04-03T23:59:59.999+05:30
expect_count 5 "at A's deadline (Fri 3 Apr 23:59:59.999)"
ok "no alert up to the last millisecond of A's deadline"

# Kill 1: right after the clock passes A's deadline.
set_clock 2026-04-04T00:00:00+05:30
kill9 "at Sat 4 Apr 00:00, right after moving the clock"
clock 2026-04-04T12:00:00+05:30
expect_count 6 "after A's breach"
days 5 10 4
clock 2026-04-10T23:59:59.999+05:30
expect_count 6 "at B's deadline (Fri 10 Apr 23:59:59.999)"

# Kill 2: after the batch at B's breach time is acknowledged.
clock 2026-04-11T00:00:00+05:30
expect_count 7 "at Sat 11 Apr 00:00"
kill9 "at Sat 11 Apr 00:00, after B's breach was acknowledged"
clock 2026-04-11T12:00:00+05:30
expect_count 7 "after the restart at Sat 11 Apr"
days 12 15 4
clock 2026-04-15T23:59:59.999+05:30
expect_count 7 "at the end of Wed 15 Apr"

# Kill 3: at a random moment up to 60 ms after the clock reaches A's level 2.
set_clock 2026-04-16T00:00:00+05:30
sleep "$(awk -v s="$$" 'BEGIN { srand(s); printf "%.3f", rand() * 0.06 }')"
kill9 "at Thu 16 Apr 00:00, at a random moment"
clock 2026-04-16T12:00:00+05:30
expect_count 8 "after A's level 2"
days 17 22 4
clock 2026-04-22T23:59:59.999+05:30
expect_count 8 "at the end of Wed 22 Apr"
clock 2026-04-23T00:00:00+05:30
expect_count 9 "at Thu 23 Apr 00:00"
clock 2026-05-15T12:00:00+05:30 # the ladders have two steps: nothing more, however long
kill -TERM "$ADV_PID"
wait "$ADV_PID" || fail "the advancer did not stop cleanly on SIGTERM"
expect_count 9 "at the end"

# Record by record: case, seq, kind, accepted_at, deadline, level, alert target, state, assignee.
consume pravah.journal '%S %p %o\n%s\n' | python3 "$DIR/gen_journal_table.py" >"$WORK/table" ||
    fail "cannot decode the journal"
cut -f 3,4,5,7,8,9,10,11,12 "$WORK/table" | sort >"$WORK/got"
S=DIST-GGN-SUPERINTENDENT D1=2026-04-03T23:59:59.999+05:30 D2=2026-04-10T23:59:59.999+05:30
tab() { printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$@"; }
{
    tab "$A" 1 event 2026-03-20T10:00:00.000+05:30 "$D1" 0 - on_desk DIST-GGN-DEALING_ASSISTANT-1
    tab "$A" 2 sla.breached 2026-04-04T00:00:00.000+05:30 "$D1" 1 "$S" on_desk DIST-GGN-DEALING_ASSISTANT-1
    tab "$A" 3 sla.escalated 2026-04-16T00:00:00.000+05:30 "$D1" 2 DIST-GGN-CTM on_desk DIST-GGN-DEALING_ASSISTANT-1
    tab "$B" 1 event 2026-03-20T10:00:00.000+05:30 "$D1" 0 - on_desk DIST-GGN-DEALING_ASSISTANT-1
    tab "$B" 2 event 2026-04-01T11:00:00.000+05:30 "$D2" 0 - on_desk "$S"
    tab "$B" 3 sla.breached 2026-04-11T00:00:00.000+05:30 "$D2" 1 DIST-GGN-CTM on_desk "$S"
    tab "$B" 4 sla.escalated 2026-04-23T00:00:00.000+05:30 "$D2" 2 DIST-GGN-ADC on_desk "$S"
    tab "$C" 1 event 2026-03-20T10:00:00.000+05:30 "$D1" 0 - on_desk DIST-GGN-DEALING_ASSISTANT-1
    tab "$C" 2 event 2026-03-30T10:00:00.000+05:30 - 0 - closed -
} | sort >"$WORK/want"
diff "$WORK/want" "$WORK/got" >"$WORK/diff" || fail "journal differs from the expected records (- expected, + journal):
$(cat "$WORK/diff")"
"$PRAVAH" audit verify --bootstrap "$ADDR" --list "$WORK/list" >"$WORK/verify.out" 2>&1 ||
    fail "audit verify: $(tail -n 5 "$WORK/verify.out")"
[ "$(grep -c 'sla\.' "$WORK/list")" -eq 4 ] || fail "audit verify lists $(grep -c 'sla\.' "$WORK/list") alerts, expected 4"
ok "4 alerts, each once, at 00:00 IST after each deadline (Sat 4 Apr, Sat 11 Apr, Thu 16 Apr, Thu 23 Apr), none for the closed file; 3 kill -9 restarts; in $(($(date +%s) - T0)) s"
ok "$(tail -n 1 "$WORK/verify.out")"
