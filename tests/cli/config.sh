#!/bin/sh
# The advancer's configuration: the example file parses, a bad clock and a bad file are refused
# with a clear message, before any connection is attempted.
P=$1
err=$($P advance --config deploy/pravah.yaml --clock nonsense 2>&1) && { echo "FAIL: bad clock accepted"; exit 1; }
echo "$err" | grep -q "bad --clock" || { echo "FAIL: $err"; exit 1; }
printf 'kafka: [1, 2\n' > "${TMPDIR:-/tmp}/pravah-bad-config.yaml"
err=$($P advance --config "${TMPDIR:-/tmp}/pravah-bad-config.yaml" 2>&1) && { echo "FAIL: bad config accepted"; exit 1; }
echo "$err" | grep -q "pravah-bad-config.yaml:[0-9]" || { echo "FAIL: no FILE:LINE in: $err"; exit 1; }
rm -f "${TMPDIR:-/tmp}/pravah-bad-config.yaml"
echo "ok - advance configuration errors"
