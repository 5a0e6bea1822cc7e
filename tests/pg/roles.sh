#!/bin/bash
# Least privilege: a login role in pravah_writer runs a whole projector transaction (COPY into
# staging, apply_staging, offsets, a projection error, NOTIFY); a login role in
# pravah_dashboard reads every view but cannot read or write a base table, write a view, run
# apply_staging or create anything in the schema.
# ctest-timeout: 60
. "$(dirname "$0")/lib.sh"
start_pg
migrate
install_journal
load_scenario
q -c "CREATE ROLE proj LOGIN IN ROLE pravah_writer; CREATE ROLE dash LOGIN IN ROLE pravah_dashboard;" ||
    fail "create login roles"

# ---- the writer ---------------------------------------------------------------------------------
q -c "COPY (SELECT topic_partition, kafka_offset, pseq, case_id, seq, case_type, def_version, kind,
              event_id, event_type, source, actor, actor_post, actor_role, event_time,
              accepted_at_ms, prev_state, new_state, assignee, deadline_ms, alert_level,
              alert_target, data, office, hash, prev_hash, phash
         FROM t.journal ORDER BY ord) TO STDOUT" >"$WORK/batch.tsv" || fail "export journal"
cat >"$WORK/projector.sql" <<EOF
BEGIN;
\\copy pravah.staging_records FROM '$WORK/batch.tsv'
SELECT pravah.apply_staging();
INSERT INTO pravah.projector_offsets (consumer_group, topic, topic_partition, next_offset)
SELECT 'pravah-project', 'pravah.journal', topic_partition, max(kafka_offset) + 1
FROM pravah.partition_heads GROUP BY topic_partition
ON CONFLICT (consumer_group, topic, topic_partition) DO UPDATE SET next_offset = excluded.next_offset,
    updated_at = now();
INSERT INTO pravah.projection_errors (topic_partition, kafka_offset, bytes, reason)
VALUES (0, 999, '\\x9501', 'truncated wire record');
NOTIFY pravah_projection;
COMMIT;
EOF
out=$(PGUSER=proj q -f "$WORK/projector.sql" 2>&1) || fail "projector transaction as a pravah_writer member:\n$out"
[ "$out" = 93 ] || fail "apply_staging as the writer returned: $out"
expect "the writer's transaction committed" \
    "SELECT (SELECT count(*) FROM pravah.transitions), (SELECT count(*) FROM pravah.projector_offsets),
            (SELECT count(*) FROM pravah.projection_errors)" "93|4|1"

# ---- the dashboard ------------------------------------------------------------------------------
views=$(q -c "SELECT c.relname FROM pg_class c JOIN pg_namespace s ON s.oid = c.relnamespace
               WHERE s.nspname = 'pravah' AND c.relkind = 'v' ORDER BY 1")
tables=$(q -c "SELECT c.relname FROM pg_class c JOIN pg_namespace s ON s.oid = c.relnamespace
                WHERE s.nspname = 'pravah' AND c.relkind = 'r' ORDER BY 1")
[ "$(echo "$views" | wc -l)" -ge 12 ] || fail "views: $views"
for v in $views; do
    PGUSER=dash q -c "SELECT count(*) FROM pravah.$v" >/dev/null 2>"$WORK/err" ||
        fail "dashboard cannot read view $v: $(cat "$WORK/err")"
done
ok "the dashboard reads every view ($(echo $views | wc -w))"
expect "the dashboard sees the projection through the views" \
    "SELECT count(*) FROM pravah.works_most_delayed" "4" -U dash
expect "asof 'journal' works for the dashboard (partition_heads read through asof())" \
    "SET pravah.asof = 'journal'; SELECT pravah.asof() = '2026-05-04 10:00+05:30'" "t" -U dash

for tb in $tables; do
    if PGUSER=dash q -c "SELECT 1 FROM pravah.$tb LIMIT 1" >/dev/null 2>"$WORK/err"; then
        fail "the dashboard can read base table $tb"
    fi
    grep -q "permission denied" "$WORK/err" || fail "reading $tb: $(cat "$WORK/err")"
done
ok "the dashboard cannot read any base table ($(echo $tables | wc -w))"

denied() { # NAME SQL [ERROR-PATTERN]
    if PGUSER=dash q -c "$2" >/dev/null 2>"$WORK/err"; then fail "the dashboard could: $1"; fi
    grep -Eq "${3:-permission denied}" "$WORK/err" || fail "$1: $(cat "$WORK/err")"
    ok "the dashboard cannot $1"
}
denied "insert into a table" "INSERT INTO pravah.alerts (case_id, seq, kind, level, target, state, raised_at) VALUES ('x', 1, 'k', 0, '', '', now())"
denied "update a table" "UPDATE pravah.cases SET state = 'closed'"
denied "delete from a table" "DELETE FROM pravah.transitions"
denied "truncate the staging table" "TRUNCATE pravah.staging_records"
denied "stage rows" "INSERT INTO pravah.staging_records SELECT * FROM pravah.staging_records"
denied "write through a view" "UPDATE pravah.case_status SET state = 'x'" \
    "permission denied|cannot update view"
denied "run apply_staging" "SELECT pravah.apply_staging()"
denied "create a table in the schema" "CREATE TABLE pravah.mine (x int)"
denied "change a view" "CREATE OR REPLACE VIEW pravah.litigation_due AS SELECT 1 AS x"
expect "nothing changed" \
    "SELECT (SELECT count(*) FROM pravah.transitions), (SELECT count(*) FROM pravah.cases WHERE state = 'closed')" "93|2"
