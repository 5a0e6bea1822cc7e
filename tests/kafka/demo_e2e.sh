#!/bin/sh
# ctest-timeout: 240
# ctest-labels: e2e;pg
# `pravah demo` end to end, small: 15 simulated days of 6 ULBs and 22 districts at 800 events a
# day, through its own embedded broker, private PostgreSQL, advancer and projector. (15 days, not
# 5: works need about two weeks to reach a technical sanction, where the over-limit attempts
# are, and to run past a deadline, which the most-delayed view shows.) Asserts that the audit
# passed, that every dashboard view printed rows, that every kind of rejection the generator
# meant to provoke appears among the rejections by reason, that the clock raised alerts, and
# that nothing the demo started is left running or on disk afterwards; then the same for a run
# interrupted by SIGINT (Ctrl-C) in the middle.
. "$(dirname "$0")/lib.sh"
[ -x /usr/lib/postgresql/15/bin/postgres ] || { echo "SKIP: PostgreSQL 15 is not installed"; exit 77; }
chmod 755 "$WORK" # as root, the demo's PostgreSQL runs as `postgres` inside it
export TMPDIR=$WORK # the demo's scratch directory goes inside ours
T0=$(date +%s)

# leftovers: processes whose command line names our scratch directory (broker address file,
# clock file, PostgreSQL data directory, conninfo), and demo directories still on disk.
leftovers() {
    ps -eo pid=,args= | W=$WORK awk 'index($0, ENVIRON["W"]) { print }'
    ls -d "$WORK"/pravah-demo.* 2>/dev/null
}

"$PRAVAH" demo --days 15 --ulbs 6 --events-per-day 800 >"$WORK/demo.out" 2>"$WORK/demo.err"
status=$?
out=$WORK/demo.out
[ "$status" -eq 0 ] || fail "demo exited $status: $(tail -n 20 "$WORK/demo.err")"
grep -q "^day 15/15: " "$out" || fail "no plain progress line for day 15/15 (output not a terminal)"

# The audit ran on the journal and passed.
grep -q "^==== Audit: pravah audit verify" "$out" || fail "the audit did not run"
grep -q "0 findings: PASS" "$out" || fail "audit verify did not pass: $(grep -A3 '^==== Audit' "$out")"
grep -q "PASSED: every seal" "$out" || fail "the demo did not report the audit as passed"
ok "pravah audit verify passed: $(grep '0 findings: PASS' "$out" | sed 's/^ *//')"

# Every dashboard view printed rows: the line after its title is a header, not "(no ...)".
for title in "Works by stage" "Works by ULB and stage" "The ten most delayed works" \
             "e-Office pendency by desk" "Grievances by officer" "Court dates due" \
             "Alerts raised by the SLA clock"; do
    next=$(awk -v t="$title" 'found { print; exit } index($0, t) == 1 { found = 1 }' "$out")
    [ -n "$next" ] || fail "view '$title' was not printed"
    case $next in "  ("*) fail "view '$title' printed no rows: $next" ;; esac
    rows=$(awk -v t="$title" 'index($0, t) == 1 { f = 1; next } f && /^$/ { exit } f { n++ }
                              END { print n - 1 }' "$out")
    [ "$rows" -ge 1 ] || fail "view '$title' has $rows rows"
done
ok "seven dashboard tables with rows (works by stage and ULB, most delayed, pendency, grievances, court dates, alerts)"

# Rejections: every kind the generator expected appears as a reason, and the issue's four.
table=$(awk '/^Rejections by reason/ { f = 1; getline; next }
             f && (!/^  [a-z_]+ +[0-9]+ / || $1 == "all") { exit } f { print }' "$out")
[ -n "$table" ] || fail "no rejections by reason: $(grep -A5 '^Rejections' "$out")"
reasons=$(echo "$table" | awk '{ print $1 }' | sort -u)
expected=$(echo "$table" | awk '$3 !~ /^\(/ { print $3 }' | sort -u)
for kind in $expected over_limit unauthorized duplicate malformed; do
    echo "$reasons" | grep -qx "$kind" ||
        fail "no rejection for reason $kind (expected: $(echo $expected)); table:
$table"
done
total=$(sed -n 's/^Rejections by reason (topic pravah.rejected: \([0-9]*\) events.*/\1/p' "$out")
[ "${total:-0}" -gt 0 ] || fail "the rejected topic is empty"
ok "$total rejections; every expected kind appears by reason: $(echo $expected)"
grep -E "attempts that had to fail were (rejected|accepted)" "$out" | sed 's/^ */  /'

# Alerts raised by the clock.
alerts=$(sed -n 's/.* \([0-9]*\) alerts raised by the clock.*/\1/p' "$out")
[ "${alerts:-0}" -gt 0 ] || fail "no alerts raised: $(grep '^Ran' "$out")"
grep -q "^  sla.breached " "$out" || fail "no sla.breached row in the alerts table"
ok "$alerts alerts raised by the SLA clock"

# Where to look further, and nothing left behind.
grep -q '^  psql "host=' "$out" || fail "no psql line to look further"
left=$(leftovers)
[ -z "$left" ] || fail "left running or on disk after the demo:
$left"
ok "nothing left running or on disk; $(grep '^Ran' "$out" | cut -d: -f1)"

# Ctrl-C in the middle: SIGINT, exit 130, everything stopped and removed.
"$PRAVAH" demo --days 60 --ulbs 6 --events-per-day 800 >"$WORK/int.out" 2>"$WORK/int.err" &
DEMO_PID=$!
PIDS="$PIDS $DEMO_PID"
wait_line "^day 3/60: " "$WORK/int.out" 60 || fail "the second demo did not reach day 3: $(tail -n 5 "$WORK/int.err")"
kill -INT "$DEMO_PID"
wait "$DEMO_PID"
status=$?
[ "$status" -eq 130 ] || fail "after SIGINT the demo exited $status, expected 130"
grep -q "interrupted; stopping everything" "$WORK/int.err" || fail "no interruption message"
left=$(leftovers)
[ -z "$left" ] || fail "left running or on disk after SIGINT:
$left"
ok "SIGINT at day 3 of 60: exit 130, nothing left running or on disk; in $(($(date +%s) - T0)) s"
