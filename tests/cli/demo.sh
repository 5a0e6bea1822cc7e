#!/bin/sh
# `pravah demo --walkthrough` (the engine alone) succeeds and shows what Pravah does: accepted
# events, rejections with reasons, alerts, and a journal that verifies and rebuilds. The full
# demo (`pravah demo`, what `make demo` runs: broker, PostgreSQL, workers) is tested by
# tests/kafka/demo_e2e.sh; here only its command line, which starts nothing when refused.
P=$1
out=$($P demo --walkthrough) || { echo "FAIL: demo --walkthrough exited non-zero"; echo "$out"; exit 1; }
for want in "REJECTED wms-101-4a: over_limit" "REJECTED wms-101-2: duplicate" "ALERT sla.breached" \
            "both hash chains verify" "rebuilds all"; do
    echo "$out" | grep -q "$want" || { echo "FAIL: demo --walkthrough output lacks '$want'"; exit 1; }
done
help=$($P demo --help) || { echo "FAIL: demo --help exited non-zero"; exit 1; }
for want in --days --ulbs --events-per-day --seed --bootstrap --pg --keep --walkthrough; do
    echo "$help" | grep -q -- "$want" || { echo "FAIL: demo --help does not mention $want"; exit 1; }
done
for bad in "--days 0" "--ulbs 89" "--events-per-day x" "--start yesterday" "--no-such-option" "extra"; do
    # shellcheck disable=SC2086
    $P demo $bad >/dev/null 2>"${TMPDIR:-/tmp}/pravah-cli-demo.$$"
    status=$?
    err=$(cat "${TMPDIR:-/tmp}/pravah-cli-demo.$$")
    rm -f "${TMPDIR:-/tmp}/pravah-cli-demo.$$"
    [ "$status" -eq 2 ] || { echo "FAIL: demo $bad exited $status, expected 2"; exit 1; }
    echo "$err" | grep -q "usage: pravah demo" || { echo "FAIL: demo $bad printed no usage"; exit 1; }
done
echo "ok - demo"
