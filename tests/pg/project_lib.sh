# Shared by the tests/pg/project_*.sh tests (sourced, not run): the Kafka test helpers
# (tests/kafka/lib.sh: scratch directory, embedded broker, kcat) plus a private PostgreSQL
# (scripts/pg) and the projector. Usage in a test: `. "$(dirname "$0")/project_lib.sh"` with the
# pravah binary as $1. Everything started is stopped by the EXIT trap, by pid.
case $0 in *project_lib.sh) echo "project_lib.sh: a helper sourced by tests/pg/project_*.sh"; exit 0 ;; esac

. "$(dirname "$0")/../kafka/lib.sh"
SRC=$(cd "$(dirname "$0")/../.." && pwd)
export LC_ALL=C # sort and the server (initdb --no-locale) agree on order
PGDIR=$WORK/pg
PG_STARTED=

chmod 755 "$WORK" # the server runs as `postgres` and keeps its socket in $WORK/pg

pg_cleanup() {
    [ -n "$PG_STARTED" ] && "$SRC/scripts/pg" stop "$PGDIR" >/dev/null 2>&1
    [ -n "${KEEP_WORK:-}" ] || rm -rf "$PGDIR" 2>/dev/null
}
trap 'pg_cleanup_all' EXIT
pg_cleanup_all() {
    for pid in $PIDS; do kill -KILL "$pid" 2>/dev/null; done
    pg_cleanup
    cleanup
}

need_pg() {
    [ -x /usr/lib/postgresql/15/bin/postgres ] || { echo "SKIP: PostgreSQL 15 is not installed"; exit 77; }
    command -v curl >/dev/null 2>&1 || { echo "SKIP: curl is not installed"; exit 77; }
    need_kcat
}

# start_pg: the private server (fsync off: tests only); exports PGHOST, PGPORT, PGUSER and
# PGDATABASE=pravah.
start_pg() {
    env=$(PRAVAH_PG_FAST=1 "$SRC/scripts/pg" start "$PGDIR") || fail "scripts/pg start failed"
    eval "$env"
    PG_STARTED=1
}
stop_pg() { "$SRC/scripts/pg" stop "$PGDIR" >/dev/null || fail "scripts/pg stop failed"; }

# new_db NAME: an empty database on the server.
new_db() { createdb "$1" || fail "createdb $1 failed"; }

# q DB SQL: one value (or rows, |-separated) from psql.
q() { psql -X -q -At -v ON_ERROR_STOP=1 -d "$1" -c "$2"; }

# project NAME DB GROUP PORT [ARGS...]: `pravah project --migrate` in the background into DB with
# consumer group GROUP and /metrics on PORT; its pid in PROJ_PID, logs in $WORK/NAME.err.
project() {
    name=$1 db=$2 group=$3 port=$4
    shift 4
    (cd "$WORK" && PGDATABASE=$db exec "$PRAVAH" project --bootstrap "$ADDR" --migrate \
        --metrics-port "$port" --set project.group="$group" "$@" \
        >>"$WORK/$name.out" 2>>"$WORK/$name.err") &
    PROJ_PID=$!
    PIDS="$PIDS $PROJ_PID"
}

# metric PORT NAME: a value from /metrics, empty when the endpoint does not answer.
metric() { curl -s "http://127.0.0.1:$1/metrics" 2>/dev/null | awk -v n="$2" '$1 == n { print $2 }'; }

# journal_next: the sum over partitions of (last offset + 1) of the journal, i.e. what the
# projector's stored offsets add up to once everything is projected.
journal_next() {
    kcat -b "$ADDR" -C -t pravah.journal -o beginning -e -q -f '%p %o\n' |
        awk '{ if ($2 + 1 > m[$1]) m[$1] = $2 + 1 } END { s = 0; for (p in m) s += m[p]; print s }'
}

# stored_next DB GROUP: the same sum from pravah.projector_offsets.
stored_next() {
    q "$1" "SELECT coalesce(sum(next_offset), 0) FROM pravah.projector_offsets
            WHERE consumer_group = '$2'" 2>/dev/null || echo -1
}

# wait_projected DB GROUP TARGET SECONDS: until the stored offsets reach TARGET.
wait_projected() {
    n=$(( $4 * 5 ))
    while [ "$n" -gt 0 ]; do
        [ "$(stored_next "$1" "$2")" = "$3" ] && return 0
        sleep 0.2
        n=$((n - 1))
    done
    fail "$1: stored offsets at $(stored_next "$1" "$2"), expected $3 after $4 s"
}

# digest DB: one line per table of schema pravah (bookkeeping tables left out): name, rows and
# the md5 of its rows in sorted text form, leaving out columns whose default is the wall clock
# or a sequence (projection time, not journal content).
digest() {
    q "$1" "
    SELECT c.relname, string_agg(quote_ident(a.attname), ', ' ORDER BY a.attnum)
    FROM pg_class c
    JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = 'pravah'
    JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
    LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
    WHERE c.relkind = 'r'
      AND c.relname NOT IN ('staging_records', 'projector_offsets', 'schema_migrations')
      AND a.attidentity = ''
      AND coalesce(pg_get_expr(d.adbin, d.adrelid), '')
          !~* '(now\(\)|clock_timestamp|nextval|current_timestamp|statement_timestamp)'
    GROUP BY c.relname ORDER BY c.relname" | while IFS='|' read -r table cols; do
        echo "$table $(q "$1" "SELECT count(*) || ' ' || md5(coalesce(string_agg(t::text, E'\n'
            ORDER BY t::text), '')) FROM (SELECT $cols FROM pravah.$table) t")"
    done
}

# advance_bg: the advancer on a fixed clock (no timers fire: the journal is a pure function of
# the intake), pid in ADV_PID.
advance_bg() {
    (cd "$WORK" && exec "$PRAVAH" advance --bootstrap "$ADDR" --metrics-port 0 \
        --clock fixed:2026-04-01T10:00:00+05:30 "$@" \
        >>"$WORK/advance.out" 2>>"$WORK/advance.err") &
    ADV_PID=$!
    PIDS="$PIDS $ADV_PID"
}

# wait_journal COUNT SECONDS: until the journal holds COUNT records.
wait_journal() {
    n=$(( $2 * 2 ))
    while [ "$n" -gt 0 ]; do
        [ "$(journal_next)" -ge "$1" ] && return 0
        sleep 0.5
        n=$((n - 1))
    done
    fail "the journal has $(journal_next) records, expected $1"
}

# gen_load FILES: e-Office events for FILES files in $WORK/events.jsonl; sets events, accepted,
# rejected (tests/kafka/gen_efile_events.py).
gen_load() {
    python3 "$SRC/tests/kafka/gen_efile_events.py" "$1" >"$WORK/events.jsonl" 2>"$WORK/expected" ||
        fail "generator failed"
    eval "$(cat "$WORK/expected")"
}

publish() {
    "$PRAVAH" publish --bootstrap "$ADDR" "$1" >>"$WORK/publish.out" 2>&1 ||
        fail "publish failed: $(tail -3 "$WORK/publish.out")"
}
