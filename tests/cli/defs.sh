#!/bin/sh
# `pravah defs check` accepts the six definitions and reports FILE:LINE for a bad one;
# `pravah defs dot` draws a workflow Graphviz can read.
P=$1
out=$($P defs check) || { echo "FAIL: defs check: $out"; exit 1; }
echo "$out" | grep -q "6 definitions ok" || { echo "FAIL: expected 6 definitions: $out"; exit 1; }
err=$($P defs check tests/unit/defs/bad_unreachable.yaml 2>&1) && { echo "FAIL: bad definition accepted"; exit 1; }
echo "$err" | grep -Eq "^tests/unit/defs/bad_unreachable.yaml:[0-9]+: " || { echo "FAIL: no FILE:LINE in: $err"; exit 1; }
$P defs dot works | grep -q '^digraph' || { echo "FAIL: defs dot"; exit 1; }
if command -v dot >/dev/null 2>&1; then
    $P defs dot grievance | dot -Tsvg >/dev/null || { echo "FAIL: Graphviz rejects the dot output"; exit 1; }
fi
$P defs list | grep -q "^works" || { echo "FAIL: defs list"; exit 1; }
echo "ok - defs check, list and dot"
