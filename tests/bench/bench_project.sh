#!/bin/sh
# Projection benchmark (issue 4, section 6): journal records projected per second by
# `pravah project` (one and two writers) and by its reference design, against raw binary COPYs
# of the same rows into the same server (the journal's rows; the transitions rows with their
# primary key; every row the projection holds), with the ratios; and the pass-through
# (tests/bench/project_floor.c: consume the journal and COPY each message's bytes, the most any
# projector can do here). docs/PROJECTOR.md, "Performance".
#
#   sh tests/bench/bench_project.sh build/workers/pravah
#
# LOAD=efile (the default): FILES e-Office cases (default 20000), 5 records each, each case's
# records together (100,000 records, nearly every case new in its batch); LOAD=demo: the demo's
# load over DEMO_DAYS (default 50) simulated days, every domain, cases interleaved in time
# (BENCH name=project_demo). BATCH (project.batch_max,
# default 5000), PG_FAST (default 1: fsync off, as the tests; 0: PostgreSQL's safe defaults),
# PROJECT_SET="KEY=VALUE ..." (more `--set`s for every projector run), PV_BENCH_PERF=FILE
# (`perf record -a -g` of the whole machine while the default design runs), BENCH_PG_CONF (lines
# added to the server's configuration), FLOOR_WRAP (a command prefix for the pass-through's
# runs, e.g. "perf record -g -o FILE").
# Target: >= 50% of the raw COPY and >= 50,000 records/s. Prints a `BENCH name=project ...` line.
. "$(dirname "$0")/../pg/project_lib.sh"
need_pg
LOAD=${LOAD:-efile}
case $LOAD in efile | demo) ;; *) fail "LOAD=$LOAD: efile or demo" ;; esac
FILES=${FILES:-20000}
BATCH=${BATCH:-5000}
PORT=$(free_port)

now_ms() { date +%s%3N; }

# the embedded broker keeps ~5 MB a partition (docs/BROKER.md): the demo load needs more of them
if [ "$LOAD" = demo ]; then start_broker --partitions 16; else start_broker --partitions 4; fi
# Each run's end is the commit time of its last transaction, read afterwards (no polling of
# the projector while it is timed: a curl every 50 ms took a fifth of this 2-core machine).
# Autovacuum off and a CHECKPOINT before each timed part (`settle`): otherwise the vacuum and
# the writing out of an earlier run's tables fall into a later one, and the raw COPYs measured
# last swing by half.
export PRAVAH_PG_CONF="track_commit_timestamp = on
autovacuum = off
${BENCH_PG_CONF:-}"
if [ "${PG_FAST:-1}" = 1 ]; then start_pg; else
    eval "$("$SRC/scripts/pg" start "$PGDIR")" || fail "scripts/pg start"
    PG_STARTED=1
fi
if [ "$LOAD" = demo ]; then
    # The demo's load: every domain, cases interleaved in time as the offices make them, timer
    # records, transfers; most records update a case projected in an earlier batch. The demo
    # projects it itself (database demo); the runs below project it again.
    DEMO_DAYS=${DEMO_DAYS:-50}
    new_db demo
    "$PRAVAH" demo --days "$DEMO_DAYS" --bootstrap "$ADDR" --pg "dbname=demo" \
        >"$WORK/demo.out" 2>"$WORK/demo.err" || fail "the demo failed: $(tail -n 20 "$WORK/demo.err")"
    accepted=$(journal_next)
    rows=$(q demo "SELECT count(*) FROM pravah.transitions")
    echo "journal: $accepted records, the demo's load over $DEMO_DAYS simulated days (every domain)"
else
    gen_load "$FILES"
    publish "$WORK/events.jsonl"
    t0=$(now_ms)
    advance_bg
    wait_journal "$accepted" 600
    echo "journal: $accepted records (advancer: $(( accepted * 1000 / ($(now_ms) - t0 + 1) )) events/s incl. start)"
    # The advancer writes a snapshot of every partition when it stops: let it finish before the
    # first measured run, not during it.
    kill -TERM "$ADV_PID"
    wait "$ADV_PID" 2>/dev/null || :
    rows=$accepted
fi
# What reading the journal alone costs on the embedded broker: it answers each fetch with one
# producer batch per partition, so the projector cannot consume faster than this.
t0=$(now_ms)
read_n=$(kcat -b "$ADDR" -C -t pravah.journal -o beginning -e -q -f '\n' | wc -l)
read_ms=$(( $(now_ms) - t0 ))
echo "kcat read of the journal: $read_n records in $read_ms ms"

# idle_ticks: the machine's idle (and I/O wait) time in clock ticks, all cores together.
idle_ticks() { awk '/^cpu / { print $5 + $6 }' /proc/stat; }
# cpu_ticks PID: user + system CPU time of a process in clock ticks (empty when unknown).
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null; }
# backends_ticks DB: cpu_ticks summed over the client backends of DB (this query's aside).
backends_ticks() {
    t=0
    for p in $(q "$1" "SELECT pid FROM pg_stat_activity WHERE datname = '$1'
                       AND backend_type = 'client backend' AND pid <> pg_backend_pid()"); do
        t=$((t + $(cpu_ticks "$p" || echo 0)))
    done
    echo "$t"
}

# measure NAME DB GROUP: milliseconds from the partitions' assignment (the projector's log line)
# to the commit of its last transaction (PostgreSQL's commit timestamp of the last offsets
# stored). The CPU time (ms) of the projector and of its PostgreSQL backends go to
# $WORK/NAME.cpu: on this shared machine wall times swing by 2x with the load, CPU times much
# less.
settle() { q postgres "CHECKPOINT" >/dev/null || fail "checkpoint"; }
measure() {
    name=$1 db=$2 group=$3
    shift 3
    settle
    # shellcheck disable=SC2086 # PROJECT_SET: word-split on purpose
    project "$name" "$db" "$group" "$PORT" --set project.batch_max="$BATCH" \
        $(for kv in ${PROJECT_SET:-}; do printf -- '--set %s ' "$kv"; done) "$@"
    while ! grep -q 'assigned, starting' "$WORK/$name.err" 2>/dev/null; do sleep 0.01; done
    start=$(date -d "$(grep -m1 'assigned, starting' "$WORK/$name.err" |
                       sed 's/.*"ts":"\([^"]*\)".*/\1/')" +%s%3N)
    perf_pid=
    if [ -n "${PV_BENCH_PERF:-}" ] && [ "$name" = full1 ]; then
        perf record -a -g -o "$PV_BENCH_PERF" >/dev/null 2>&1 &
        perf_pid=$!
    fi
    c0=$(cpu_ticks "$PROJ_PID")
    k0=$(cpu_ticks "$BROKER_PID")
    i0=$(idle_ticks)
    # every backend of the projector: its own connection (the migrations run there) and its
    # writers' (connected and prepared at start), from here on
    b0=$(backends_ticks "$db")
    # one look a second: the end is the commit timestamp, not when we look; a curl every 0.25 s
    # took 7% of the machine (perf) while the projector ran
    while [ "$(metric "$PORT" pravah_projector_records_total)" != "$accepted" ]; do sleep 1; done
    end=$(q "$db" "SELECT (extract(epoch FROM max(pg_xact_commit_timestamp(xmin))) * 1000)::bigint
                   FROM pravah.projector_offsets")
    [ -n "$end" ] || fail "$name: no commit timestamp (track_commit_timestamp off?)"
    [ -z "$perf_pid" ] || { kill -INT "$perf_pid"; wait "$perf_pid"; }
    c1=$(cpu_ticks "$PROJ_PID")
    k1=$(cpu_ticks "$BROKER_PID")
    # the CPU bound needs all three: a process that cannot be read fails the run
    [ -n "$c1" ] && [ -n "$k0" ] && [ -n "$k1" ] ||
        fail "$name: CPU time of the projector or the broker unknown"
    i1=$(idle_ticks) i1_ms=$(now_ms)
    b1=$(backends_ticks "$db")
    hz=$(getconf CLK_TCK)
    # and the machine's idle CPU time over the run, all cores, less the time since the end
    # (up to a second; the machine is about idle then), and the embedded broker's CPU time
    echo "$(( (${c1:-0} - ${c0:-0}) * 1000 / hz )) $(( (${b1:-0} - ${b0:-0}) * 1000 / hz ))" \
         "$(( (i1 - i0) * 1000 / hz - $(nproc) * (i1_ms - end) ))" \
         "$(( (${k1:-0} - ${k0:-0}) * 1000 / hz ))" >"$WORK/$name.cpu"
    # where the projector's time went (us, since its assignment): waiting for journal messages,
    # transactions in flight, consumption waiting for them; and how long it has been idle since
    # its last commit (ms), which the first figure includes
    echo "$(metric "$PORT" pravah_projector_poll_idle_us_total)" \
         "$(metric "$PORT" pravah_projector_writer_busy_us_total)" \
         "$(metric "$PORT" pravah_projector_writer_waited_us_total)" \
         "$(( $(now_ms) - end ))" >"$WORK/$name.times"
    kill -TERM "$PROJ_PID"
    wait "$PROJ_PID"
    echo $((end - start))
}

# One writer (the default) and two writers (project.writers=2: two lanes of partitions, two
# connections), on the same journal, each twice, interleaved; the best of each pair counts (on
# this shared 2-core machine one run in a few is 20% slow), both are printed.
best() { [ "$1" -le "$2" ] && echo "$1" || echo "$2"; }
# all_rows DB: the run projected every record (as many transitions rows as the demo's own
# projection holds, or as records)
all_rows() { [ "$(q "$1" "SELECT count(*) FROM pravah.transitions")" = "$rows" ] || fail "$1: transitions"; }
new_db full1; full1_ms=$(measure full1 full1 full1); all_rows full1
new_db two1; two1_ms=$(measure two1 two1 two1 --set project.writers=2); all_rows two1
new_db full2; full2_ms=$(measure full2 full2 full2); all_rows full2
new_db two2; two2_ms=$(measure two2 two2 two2 --set project.writers=2); all_rows two2
full_ms=$(best "$full1_ms" "$full2_ms")
two_ms=$(best "$two1_ms" "$two2_ms")
full=full1
[ "$full_ms" = "$full1_ms" ] || full=full2
echo "one writer: $full1_ms ms, $full2_ms ms; two writers: $two1_ms ms, $two2_ms ms (the best of each counts)"
# account RUN: the projector's own account of a run, in ms since it started
account() {
    read -r idle busy waited after <"$WORK/$1.times"
    idle=$((idle / 1000 - after)) # less the idle time after the last commit: within ~20 ms
    [ "$idle" -ge 0 ] || idle=0
    echo "  $1: waited for journal messages ~$idle ms, transactions in flight" \
         "$((busy / 1000)) ms, consumption waited for them $((waited / 1000)) ms"
}
for r in full1 full2 two1 two2; do account "$r"; done
# The reference design (staging + 0002's apply_staging), on the same journal.
new_db ref
ref_ms=$(measure ref ref ref --set project.apply=sql)
all_rows ref

# The pass-through (tests/bench/project_floor.c): the projector's consumer and pipelined writer
# with the projection taken out, each message's bytes COPYed into an unindexed table. No
# projector can be faster on this machine (docs/PROJECTOR.md, "Performance"). Twice, the better
# counts, as the projector's runs.
floor_run() {
    new_db "$1"
    q "$1" "CREATE TABLE floor_rows (topic_partition int, kafka_offset bigint, bytes bytea)" \
        >/dev/null || fail "$1: table"
    settle
    PGDATABASE=$1 ${FLOOR_WRAP:-} "$FLOOR" --bootstrap "$ADDR" --records "$accepted" --group "$1" \
        --batch "$BATCH" >"$WORK/$1.out" 2>"$WORK/$1.err" || fail "$1: $(cat "$WORK/$1.err")"
    [ "$(q "$1" "SELECT count(*) FROM floor_rows")" = "$accepted" ] || fail "$1: rows"
    awk '/^floor: / { print $5 }' "$WORK/$1.out"
}
FLOOR=${FLOOR:-$(dirname "$PRAVAH")/../tests/pv_bench_project_floor}
[ -x "$FLOOR" ] || fail "$FLOOR: not built (cmake --build BUILD --target pv_bench_project_floor)"
floor1_ms=$(floor_run floor1)
floor2_ms=$(floor_run floor2)
floor_ms=$(best "$floor1_ms" "$floor2_ms")
echo "pass-through: $floor1_ms ms, $floor2_ms ms (the best counts); its process's CPU ms:" \
     "$(awk '/^floor: / { print $8 }' "$WORK/floor1.out")," \
     "$(awk '/^floor: / { print $8 }' "$WORK/floor2.out")"

# The staging rows of the same journal, kept (the reference design with an apply_staging that
# moves them aside): the journal as rows, for the raw COPY below.
noop_db() {
    new_db "$1"
    PGDATABASE=$1 "$PRAVAH" project --migrate-only >"$WORK/$1.migrate" 2>&1 || fail "migrate $1"
    q "$1" "CREATE TABLE pravah.kept (LIKE pravah.staging_records);
            CREATE OR REPLACE FUNCTION pravah.apply_staging() RETURNS bigint LANGUAGE sql AS
            \$\$ $2 \$\$" >/dev/null || fail "$1: apply_staging"
}
noop_db keep "WITH m AS (DELETE FROM pravah.staging_records RETURNING *)
              INSERT INTO pravah.kept SELECT * FROM m; SELECT 0::bigint"
measure keep keep keep --set project.apply=sql >/dev/null
[ "$(q keep "SELECT count(*) FROM pravah.kept")" = "$accepted" ] || fail "keep: rows kept"

# raw_copy SRC_DB SRC_TABLE DEST_TABLE_DDL: ms to \copy the rows of SRC_TABLE (exported in binary
# from SRC_DB) into a new table of database keep made by DEST_TABLE_DDL (named dest_*), as psql
# times the COPY (rounded). Twice (the table emptied by TRUNCATE in between), the better counts,
# as for the projector: one COPY alone swung by half from run to run (336-519 ms for the
# journal rows).
raw_copy() {
    f=$WORK/$(echo "$2" | tr . _).bin
    psql -X -q -d "$1" -c "\\copy $2 TO '$f' WITH (FORMAT binary)" || fail "export $2"
    q keep "$3" >/dev/null || fail "$3"
    dest=$(echo "$3" | awk '{ print $3 }')
    one=$(timed_copy "$dest" "$f")
    q keep "TRUNCATE $dest" >/dev/null || fail "truncate $dest"
    best "$one" "$(timed_copy "$dest" "$f")"
}
# timed_copy TABLE FILE: psql's own timing of the COPY, without the start of psql and its
# connection (~80 ms here, which made a 4-row table look like 80 ms of COPY).
timed_copy() {
    settle
    t=$(psql -X -q -d keep -c "\\timing on" -c "\\copy $1 FROM '$2' WITH (FORMAT binary)") ||
        fail "raw copy $1"
    echo "$t" | awk '/^Time: / { printf "%d\n", $2 + 0.5 }'
}
# 1. The journal as rows (the staging columns) into an empty table without index: the issue's
#    "raw binary COPY of the same rows".
raw_ms=$(raw_copy keep pravah.kept "CREATE TABLE dest_raw (LIKE pravah.staging_records)")
[ "$(q keep "SELECT count(*) FROM dest_raw")" = "$accepted" ] || fail "raw: rows"
# 2. The same records as transitions rows into a copy of pravah.transitions with its primary key:
#    the least any projection keeping the history writes.
pk_ms=$(raw_copy "$full" pravah.transitions "CREATE TABLE dest_pk (LIKE pravah.transitions INCLUDING ALL)")
# 3. Every row the projection holds (each pravah table of the full run, bookkeeping aside) into
#    tables without index: the physical limit of writing the projection's output.
all_ms=0
for t in $(q "$full" "SELECT relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                   WHERE n.nspname = 'pravah' AND c.relkind = 'r' AND c.reltuples <> 0
                     AND relname NOT IN ('staging_records', 'projector_offsets',
                                         'schema_migrations', 'offices', 'officers', 'posts',
                                         'workflow_states', 'holidays')
                     AND EXISTS (SELECT 1 FROM pg_stat_user_tables s
                                 WHERE s.relid = c.oid AND s.n_tup_ins > 0)"); do
    ms=$(raw_copy "$full" "pravah.$t" "CREATE TABLE dest_all_$t (LIKE pravah.$t)")
    all_ms=$((all_ms + ms))
    echo "  projection table $t: $(q "$full" "SELECT count(*) FROM pravah.$t") rows, raw COPY $ms ms"
done

bench_name=project
[ "$LOAD" = efile ] || bench_name=project_$LOAD
rate() { echo $(( $1 * 1000 / ($2 > 0 ? $2 : 1) )); }
pct() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", 100 * a / b }'; }
full_rate=$(rate "$accepted" "$full_ms")
ref_rate=$(rate "$accepted" "$ref_ms")
two_rate=$(rate "$accepted" "$two_ms")
raw_rate=$(rate "$accepted" "$raw_ms")
pk_rate=$(rate "$accepted" "$pk_ms")
floor_rate=$(rate "$accepted" "$floor_ms")
all_rate=$(rate "$accepted" "$all_ms")
ratio=$(pct "$full_rate" "$raw_rate")
printf '%-58s %10s records/s  (%d records in %d ms)\n' \
    "pravah project (one write per record, project.apply=c)" "$full_rate" "$accepted" "$full_ms" \
    "pravah project, project.writers=2" "$two_rate" "$accepted" "$two_ms" \
    "pravah project (reference: staging + apply_staging)" "$ref_rate" "$accepted" "$ref_ms" \
    "pass-through (consume, COPY each message's bytes)" "$floor_rate" "$accepted" "$floor_ms" \
    "raw binary COPY of the journal rows (no index)" "$raw_rate" "$accepted" "$raw_ms" \
    "raw binary COPY into transitions (primary key)" "$pk_rate" "$accepted" "$pk_ms" \
    "raw binary COPY of every projection row (no index)" "$all_rate" "$accepted" "$all_ms"
read -r full_cpu full_pg full_idle full_broker <"$WORK/$full.cpu"
read -r ref_cpu ref_pg _ _ <"$WORK/ref.cpu"
echo "CPU ms: one write: projector $full_cpu, its PostgreSQL backends $full_pg, the broker" \
     "$full_broker, the machine idle ~$full_idle of $(( $(nproc) * full_ms )) ($(nproc) cores);" \
     "reference: projector $ref_cpu, backends $ref_pg"
# The CPU bound (docs/PROJECTOR.md, "Why no projector can meet them on this machine"): the run
# cannot take less wall time than the CPU time of the projector, its backends and the broker
# spread over every core with nothing else running; each target allows at most so much.
cpu_bound_ms=$(( (full_cpu + full_pg + full_broker) / $(nproc) ))
echo "CPU bound: projector + backends + broker over $(nproc) cores: at least $cpu_bound_ms ms;" \
     "the targets allow $(( 2 * raw_ms )) ms (50% of the journal rows' raw COPY)," \
     "$(( 2 * all_ms )) ms (50% of every projection row's), $(( accepted / 50 )) ms (50000/s)"
echo "ratio: $ratio% of the raw COPY of the journal rows, $(pct "$full_rate" "$pk_rate")% of the raw COPY into transitions, $(pct "$full_rate" "$all_rate")% of the raw COPY of every projection row; the reference design $(pct "$ref_rate" "$raw_rate")% (target: >= 50% and >= 50000/s)"
echo "pass-through: $(pct "$floor_rate" "$raw_rate")% of the raw COPY of the journal rows, $(pct "$floor_rate" "$all_rate")% of the raw COPY of every projection row; the projector $(pct "$full_rate" "$floor_rate")% of the pass-through"
echo "BENCH name=$bench_name records=$accepted batch=$BATCH projected_per_s=$full_rate two_writers_per_s=$two_rate reference_per_s=$ref_rate raw_copy_per_s=$raw_rate ratio_pct=$ratio raw_pk_per_s=$pk_rate raw_all_per_s=$all_rate ratio_all_pct=$(pct "$full_rate" "$all_rate") full_pg_cpu_ms=$full_pg full_proj_cpu_ms=$full_cpu full_idle_cpu_ms=$full_idle kafka_read_per_s=$(rate "$read_n" "$read_ms") floor_per_s=$floor_rate floor_ratio_pct=$(pct "$floor_rate" "$raw_rate") floor_ratio_all_pct=$(pct "$floor_rate" "$all_rate") broker_cpu_ms=$full_broker cpu_bound_ms=$cpu_bound_ms"
