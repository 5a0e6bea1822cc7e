#!/bin/sh
. "$(dirname "$0")/../pg/project_lib.sh"
need_pg
FILES=${FILES:-20000}
PORT=$(free_port)
now_ms() { date +%s%3N; }
start_broker --partitions 4
start_pg
gen_load "$FILES"
publish "$WORK/events.jsonl"
advance_bg
wait_journal "$accepted" 600
kill -TERM "$ADV_PID"
new_db full
project full full full "$PORT"
while [ "$(metric "$PORT" pravah_projector_records_total)" != "$accepted" ]; do sleep 0.1; done
kill -TERM "$PROJ_PID"; wait "$PROJ_PID"
psql -X -q -d full -c "\\copy pravah.transitions TO '$WORK/tr.bin' WITH (FORMAT binary)"
psql -X -q -d full -c "\\copy pravah.cases TO '$WORK/cases.bin' WITH (FORMAT binary)"
psql -X -q -d full -c "\\copy pravah.efiles TO '$WORK/efiles.bin' WITH (FORMAT binary)"
q full "CREATE TABLE t_raw (LIKE pravah.transitions); CREATE TABLE t_pk (LIKE pravah.transitions INCLUDING ALL);
        CREATE TABLE c_pk (LIKE pravah.cases INCLUDING ALL); CREATE TABLE e_pk (LIKE pravah.efiles INCLUDING ALL);" >/dev/null
q full "\\d pravah.transitions" 
for t in "t_raw tr" "t_pk tr" "c_pk cases" "e_pk efiles"; do
  set -- $t
  s=$(now_ms); psql -X -q -d full -c "\\copy $1 FROM '$WORK/$2.bin' WITH (FORMAT binary)"; e=$(now_ms)
  echo "$1: $((e - s)) ms rows $(q full "select count(*) from $1")"
done
q full "select pg_size_pretty(pg_total_relation_size('t_pk')), pg_size_pretty(pg_relation_size('t_raw'))"
q full "select indexrelid::regclass, indexdef from pg_index join pg_indexes on indexname = indexrelid::regclass::text where indrelid = 'pravah.transitions'::regclass" 
