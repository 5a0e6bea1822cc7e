#!/bin/bash
# scripts/pg: start (idempotent), env, psql, a unix socket in DIR and a loopback port, safe
# settings by default and fast ones with PRAVAH_PG_FAST=1, data kept across restarts, --port,
# stop (idempotent), DIR removable.
# ctest-timeout: 60
. "$(dirname "$0")/lib.sh"

out=$("$PG" start "$PGDIR") || fail "start: $out"
case $out in
"export PGHOST=$PGDIR PGPORT="*" PGDATABASE=pravah PGUSER=postgres") ok "start prints the PG* exports" ;;
*) fail "start printed: $out" ;;
esac
eval "$out"
export PGHOST PGPORT PGDATABASE PGUSER
[ -S "$PGDIR/.s.PGSQL.$PGPORT" ] || fail "no unix socket in $PGDIR"
[ "$(cat "$PGDIR/port")" = "$PGPORT" ] || fail "port not recorded in $PGDIR/port"
ok "unix socket in DIR, port $PGPORT recorded"

[ "$("$PG" env "$PGDIR")" = "$out" ] || fail "env differs from start's output"
ok "env prints the same exports"

[ "$(q -c 'SELECT current_database()')" = pravah ] || fail "database pravah missing"
[ "$(q -h 127.0.0.1 -c 'SHOW port')" = "$PGPORT" ] || fail "not listening on 127.0.0.1:$PGPORT"
[ "$(q -c 'SHOW listen_addresses')" = 127.0.0.1 ] || fail "listens beyond loopback"
ok "database pravah over the socket and over 127.0.0.1"

[ "$("$PG" psql "$PGDIR" -At -c 'SELECT 40 + 2')" = 42 ] || fail "scripts/pg psql"
ok "scripts/pg psql"

[ "$(q -c 'SHOW fsync')" = on ] || fail "fsync is off without PRAVAH_PG_FAST=1"
ok "safe settings by default (fsync on)"

if [ "$(id -u)" = 0 ]; then
    [ "$(stat -c %U "$PGDIR/data")" = postgres ] || fail "data directory not owned by postgres"
    pid=$(head -1 "$PGDIR/data/postmaster.pid")
    [ "$(stat -c %U "/proc/$pid")" = postgres ] || fail "the server does not run as postgres"
    ok "runs as the postgres user"
fi

q -c "CREATE TABLE keep_me (x int); INSERT INTO keep_me VALUES (7)" || fail "create table"
again=$("$PG" start "$PGDIR") || fail "second start"
[ "$again" = "$out" ] || fail "second start: $again"
ok "start when running: ok, same server"

"$PG" stop "$PGDIR" || fail "stop"
"$PG" status "$PGDIR" && fail "status says running after stop"
[ -S "$PGDIR/.s.PGSQL.$PGPORT" ] && fail "socket left after stop"
"$PG" stop "$PGDIR" || fail "stop when stopped"
ok "stop, and stop again"

PRAVAH_PG_FAST=1 "$PG" start "$PGDIR" >/dev/null || fail "restart"
[ "$(q -c 'SELECT x FROM keep_me')" = 7 ] || fail "data lost across restart"
[ "$(q -c 'SHOW fsync')" = off ] || fail "PRAVAH_PG_FAST=1 did not turn fsync off"
ok "restart keeps the data and the port; PRAVAH_PG_FAST=1 turns fsync off"
"$PG" stop "$PGDIR" || fail "stop"

# An explicit port.
port=$(( (PGPORT % 20000) + 10001 )) # below the ephemeral range (32768+): no outgoing connection takes it
while [ -n "$(ss -Htln "sport = :$port")" ]; do port=$((port + 1)); done
"$PG" start "$PGDIR" --port "$port" >/dev/null || fail "start --port $port"
[ "$(PGPORT=$port q -h 127.0.0.1 -c 'SHOW port')" = "$port" ] || fail "--port ignored"
ok "--port N"
"$PG" stop "$PGDIR" || fail "stop"

rm -rf "$PGDIR" || fail "DIR not removable"
[ ! -e "$PGDIR" ] || fail "DIR still there"
ok "DIR removable after stop"
