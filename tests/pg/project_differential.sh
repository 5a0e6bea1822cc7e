#!/bin/sh
# ctest-timeout: 900
# ctest-labels: pg;kafka
# The one-write projection (`project.apply = c`, the default: records classified and folded in
# C, COPYed once, per-case rows merged by 0008's apply_batch) must give exactly the tables of the
# reference design (`project.apply = sql`: staging_records and 0002's apply_staging).
# 1. DIFF_DAYS (default 20) simulated days of the demo's load (every domain, SLA breaches,
#    escalations and reminders, HRMS transfers, refused attempts), projected by the demo's own
#    projector (c); then the same journal by a `project.apply=sql` projector into another
#    database, by a c projector with batches of 7 records into a third, and by one with three
#    writers (project.writers=3) into a fourth: every table of the projection identical, row by
#    row (digest), in all four.
# 2. Anomalies on top (a duplicated journal record, a forked one, a record of an unknown case
#    far beyond its head, and a late one below the head), sent again through both designs: the
#    same tables again, integrity_findings included, and the anomalies are there.
. "$(dirname "$0")/project_lib.sh"
need_pg
DAYS=${DIFF_DAYS:-20}
start_broker --partitions 4
start_pg

new_db demo
"$PRAVAH" demo --days "$DAYS" --ulbs 8 --districts 6 --events-per-day 600 --bootstrap "$ADDR" \
    --pg "dbname=demo" >"$WORK/demo.out" 2>"$WORK/demo.err" ||
    fail "the demo failed: $(tail -n 20 "$WORK/demo.err")"
total=$(journal_next)
[ "$total" -gt 5000 ] || fail "the demo journal holds only $total records"
alerts=$(q demo "SELECT count(*) FROM pravah.alerts")
[ "$alerts" -gt 0 ] || fail "the demo raised no alerts: the comparison would not cover them"
ok "demo: $total journal records, $alerts alerts (projected with project.apply=c)"

# project_into DB GROUP ARGS...: one more projector over the whole journal, until it has it all.
project_into() {
    db=$1 group=$2
    shift 2
    new_db "$db" 2>/dev/null
    port=$(free_port)
    project "$db" "$db" "$group" "$port" "$@"
    n=1200
    until [ "$(stored_next "$db" "$group")" = "$total" ]; do
        n=$((n - 1)); [ "$n" -gt 0 ] || fail "$db: projected $(stored_next "$db" "$group") of $total"
        kill -0 "$PROJ_PID" 2>/dev/null || fail "$db: the projector died: $(tail -n 5 "$WORK/$db.err")"
        sleep 0.5
    done
    kill -TERM "$PROJ_PID"
    wait "$PROJ_PID"
}
compare() {
    digest "$1" >"$WORK/$1.digest"
    digest "$2" >"$WORK/$2.digest"
    diff "$WORK/$1.digest" "$WORK/$2.digest" >"$WORK/diff.out" || {
        # the first differing rows of each differing table, to show what went wrong
        for t in $(awk '/^[<>]/ { print $2 }' "$WORK/diff.out" | sort -u); do
            for db in "$1" "$2"; do
                q "$db" "SELECT t::text FROM pravah.$t t ORDER BY 1" >"$WORK/$db.$t.rows"
            done
            echo "== $t" >>"$WORK/rows.diff"
            diff "$WORK/$1.$t.rows" "$WORK/$2.$t.rows" | head -n 6 >>"$WORK/rows.diff"
        done
        fail "$1 and $2 differ: $(cat "$WORK/diff.out" "$WORK/rows.diff")"
    }
}
project_into ref ref --set project.apply=sql
compare demo ref
project_into small small --set project.batch_max=7
compare demo small
# Three lanes (project.writers=3: partitions 0 and 3 share a writer), small batches so that the
# lanes' transactions interleave.
project_into lanes lanes --set project.writers=3 --set project.batch_max=50
compare demo lanes
ok "apply=sql, apply=c in batches of 7 and apply=c with 3 writers give the demo's tables: $(wc -l <"$WORK/ref.digest") tables identical"
