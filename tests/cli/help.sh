#!/bin/sh
# `pravah --help` and `pravah CMD --help` work for every command; unknown commands fail.
P=$1
$P --help | grep -q "^commands:" || { echo "FAIL: pravah --help"; exit 1; }
for cmd in $($P --help | awk '/^commands:/ { on = 1; next } on && /^  [a-z]/ { print $1 }'); do
    $P "$cmd" --help >/dev/null 2>&1 || { echo "FAIL: pravah $cmd --help"; exit 1; }
done
if $P no-such-command >/dev/null 2>&1; then echo "FAIL: unknown command accepted"; exit 1; fi
echo "ok - help for every command"
