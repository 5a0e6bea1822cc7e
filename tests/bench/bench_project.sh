#!/bin/sh
# Projection benchmark (issue 4, section 6): journal records projected per second by
# `pravah project`, against a raw binary COPY of the same rows into the same server (the
# physical limit of writing them), with the ratio. Also the projector with a no-op
# apply_staging (decode, text COPY into staging, empty it, commit), which separates the C side
# from the SQL side. And the floor of any staged design: the raw COPY plus one INSERT ... SELECT
# of the same rows into a copy of pravah.transitions (docs/PROJECTOR.md, "Performance").
#
#   sh tests/bench/bench_project.sh build/workers/pravah
#
# FILES (default 20000 e-Office cases, 5 records each: 100,000 records), BATCH (project.batch_max,
# default 5000), PG_FAST (default 1: fsync off, as the tests; 0: PostgreSQL's safe defaults).
# Target: >= 50% of the raw COPY and >= 50,000 records/s. Prints a `BENCH name=project ...` line.
. "$(dirname "$0")/../pg/project_lib.sh"
need_pg
FILES=${FILES:-20000}
BATCH=${BATCH:-5000}
PORT=$(free_port)

now_ms() { date +%s%3N; }

start_broker --partitions 4
if [ "${PG_FAST:-1}" = 1 ]; then start_pg; else
    eval "$("$SRC/scripts/pg" start "$PGDIR")" || fail "scripts/pg start"
    PG_STARTED=1
fi
gen_load "$FILES"
publish "$WORK/events.jsonl"
t0=$(now_ms)
advance_bg
wait_journal "$accepted" 600
echo "journal: $accepted records (advancer: $(( accepted * 1000 / ($(now_ms) - t0 + 1) )) events/s incl. start)"
kill -TERM "$ADV_PID"

# cpu_ticks PID: user + system CPU time of a process in clock ticks (empty when unknown).
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null; }

# measure NAME DB GROUP: milliseconds from the partitions' assignment to the last commit. The
# CPU time (ms) of the projector and of its PostgreSQL backend go to $WORK/NAME.cpu: on this
# shared machine wall times swing by 2x with the load, CPU times much less.
measure() {
    project "$1" "$2" "$3" "$PORT" --set project.batch_max="$BATCH"
    while ! grep -q 'assigned, starting' "$WORK/$1.err" 2>/dev/null; do sleep 0.01; done
    start=$(now_ms)
    c0=$(cpu_ticks "$PROJ_PID")
    bpid=$(q "$2" "SELECT pid FROM pg_stat_activity WHERE datname = '$2'
                   AND backend_type = 'client backend' AND pid <> pg_backend_pid()
                   ORDER BY backend_start DESC LIMIT 1")
    b0=$(cpu_ticks "$bpid")
    while [ "$(metric "$PORT" pravah_projector_records_total)" != "$accepted" ]; do sleep 0.01; done
    end=$(now_ms)
    c1=$(cpu_ticks "$PROJ_PID")
    b1=$(cpu_ticks "$bpid")
    hz=$(getconf CLK_TCK)
    echo "$(( (${c1:-0} - ${c0:-0}) * 1000 / hz )) $(( (${b1:-0} - ${b0:-0}) * 1000 / hz ))" \
        >"$WORK/$1.cpu"
    kill -TERM "$PROJ_PID"
    wait "$PROJ_PID"
    echo $((end - start))
}

new_db full
full_ms=$(measure full full full)
[ "$(q full "SELECT count(*) FROM pravah.transitions")" = "$accepted" ] || fail "full: transitions"

# The same projector with an apply_staging that only empties the staging table: the C side,
# the text COPY and the commit; then once more keeping the rows, for the raw COPY below.
noop_db() {
    new_db "$1"
    PGDATABASE=$1 "$PRAVAH" project --migrate-only >"$WORK/$1.migrate" 2>&1 || fail "migrate $1"
    q "$1" "CREATE TABLE pravah.kept (LIKE pravah.staging_records);
            CREATE OR REPLACE FUNCTION pravah.apply_staging() RETURNS bigint LANGUAGE sql AS
            \$\$ $2 \$\$" >/dev/null || fail "$1: apply_staging"
}
noop_db noop "DELETE FROM pravah.staging_records; SELECT 0::bigint"
noop_ms=$(measure noop noop noop)
noop_db keep "WITH m AS (DELETE FROM pravah.staging_records RETURNING *)
              INSERT INTO pravah.kept SELECT * FROM m; SELECT 0::bigint"
measure keep keep keep >/dev/null
[ "$(q keep "SELECT count(*) FROM pravah.kept")" = "$accepted" ] || fail "keep: rows kept"

# Raw: the kept rows, exported in binary, copied into an empty table of the staging columns.
psql -X -q -d keep -c "\\copy pravah.kept TO '$WORK/rows.bin' WITH (FORMAT binary)" || fail "export"
q keep "CREATE TABLE raw (LIKE pravah.staging_records)" >/dev/null
start=$(now_ms)
psql -X -q -d keep -c "\\copy raw FROM '$WORK/rows.bin' WITH (FORMAT binary)" || fail "raw copy"
raw_ms=$(($(now_ms) - start))
[ "$(q keep "SELECT count(*) FROM raw")" = "$accepted" ] || fail "raw: rows"

# The floor of any design that stages the rows: the raw COPY above plus one INSERT ... SELECT
# of the same rows into a copy of pravah.transitions (primary key included), which every
# journal record has to reach; no dedup, no cases, no domain tables. Its ratio to the raw COPY
# is the most a staged projection can reach on this server.
cols="case_id, seq, case_type, def_version, kind, event_id, event_type, source, actor,
      actor_post, actor_role, event_time, accepted_at, prev_state, new_state, assignee,
      deadline, alert_level, alert_target, data, office, hash, prev_hash, topic_partition,
      kafka_offset, pseq, phash"
q keep "CREATE TABLE floor_t (LIKE pravah.transitions INCLUDING ALL)" >/dev/null
start=$(now_ms)
q keep "INSERT INTO floor_t ($cols) SELECT ${cols%%accepted_at,*}pravah.ms_ts(accepted_at_ms),
        prev_state, new_state, assignee,
        CASE WHEN deadline_ms <> 0 THEN pravah.ms_ts(deadline_ms) END, alert_level,
        alert_target, data, office, hash, prev_hash, topic_partition, kafka_offset, pseq, phash
        FROM raw" >/dev/null || fail "floor insert"
floor_ms=$((raw_ms + $(now_ms) - start))
[ "$(q keep "SELECT count(*) FROM floor_t")" = "$accepted" ] || fail "floor: rows"

rate() { echo $(( $1 * 1000 / ($2 > 0 ? $2 : 1) )); }
full_rate=$(rate "$accepted" "$full_ms")
noop_rate=$(rate "$accepted" "$noop_ms")
raw_rate=$(rate "$accepted" "$raw_ms")
floor_rate=$(rate "$accepted" "$floor_ms")
floor_ratio=$(awk -v a="$floor_rate" -v b="$raw_rate" 'BEGIN { printf "%.1f", 100 * a / b }')
ratio=$(awk -v a="$full_rate" -v b="$raw_rate" 'BEGIN { printf "%.1f", 100 * a / b }')
noop_ratio=$(awk -v a="$noop_rate" -v b="$raw_rate" 'BEGIN { printf "%.1f", 100 * a / b }')
printf '%-44s %10s records/s  (%d records in %d ms)\n' \
    "pravah project (full apply_staging)" "$full_rate" "$accepted" "$full_ms" \
    "pravah project (no-op apply_staging)" "$noop_rate" "$accepted" "$noop_ms" \
    "raw binary COPY of the same rows" "$raw_rate" "$accepted" "$raw_ms" \
    "raw COPY + INSERT into transitions (floor)" "$floor_rate" "$accepted" "$floor_ms"
read -r full_cpu full_pg <"$WORK/full.cpu"
read -r noop_cpu noop_pg <"$WORK/noop.cpu"
echo "CPU ms: full: projector $full_cpu, its PostgreSQL backend $full_pg;" \
     "no-op: projector $noop_cpu, backend $noop_pg"
echo "ratio: full $ratio% of raw, no-op $noop_ratio% of raw, floor $floor_ratio% of raw (target: >= 50% and >= 50000/s)"
echo "BENCH name=project records=$accepted batch=$BATCH projected_per_s=$full_rate noop_per_s=$noop_rate raw_copy_per_s=$raw_rate ratio_pct=$ratio floor_per_s=$floor_rate floor_ratio_pct=$floor_ratio full_pg_cpu_ms=$full_pg full_proj_cpu_ms=$full_cpu"
