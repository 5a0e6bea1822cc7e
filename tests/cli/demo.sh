#!/bin/sh
# `pravah demo` (what `make demo` runs) succeeds and shows what Pravah does: accepted events,
# rejections with reasons, alerts, and a journal that verifies and rebuilds.
P=$1
out=$($P demo) || { echo "FAIL: demo exited non-zero"; echo "$out"; exit 1; }
for want in "REJECTED wms-101-4a: over_limit" "REJECTED wms-101-2: duplicate" "ALERT sla.breached" \
            "both hash chains verify" "rebuilds all"; do
    echo "$out" | grep -q "$want" || { echo "FAIL: demo output lacks '$want'"; exit 1; }
done
echo "ok - demo"
