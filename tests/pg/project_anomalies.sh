#!/bin/sh
# ctest-timeout: 900
# ctest-labels: pg;kafka
# Journal anomalies through both designs of the projector: `project.apply = c` (records
# classified and folded in C, workers/projection_apply.c, 0008's apply_batch) must give exactly
# the tables of the reference `project.apply = sql` (0002's apply_staging), on real, sealed
# records appended to a real journal, however the records are batched.
# 1. A small demo journal (real broker, real PostgreSQL), projected clean by an sql and a c
#    projector: identical (and equal to the demo's own projection). Each is copied (CREATE
#    DATABASE ... TEMPLATE) into the databases compared below, each with its own group:
#      sql_big  apply=sql, each wave in one batch     c_big    apply=c, each wave in one batch
#      c_one    apply=c, batch_max=1 (one by one)     c_three  apply=c, batch_max=3
# 2. tests/pg/journal_anomalies.py crafts anomalies into one partition (see its header); they
#    are published with kcat in three waves, each projected by the four before the next:
#    wave 1 (duplicates, forks, chain breaks, a gap, a timer and the event that closes its
#    alert, a broken seal, a wrong key) and wave 2 (the gap's late record): the four databases
#    identical row by row (digest), and the anomalies are there as expected (findings with
#    their details and hashes, fork alerts, the closed SLA alerts, projection_errors,
#    transitions, case heads, partition head).
# 3. Wave 3, the patterns whose result once depended on the batch: a case's seq head+2 then
#    head+1, a fork inside one batch, an out-of-place copy of an old record and the record
#    after it. c in batches of 3 and c in one batch equal c one by one, findings included
#    (0009); sql in one batch equals c in one batch except the out-of-order case, where 0002
#    compares with the head before the batch (the known difference, printed, not asserted).
# KEEP_WORK=1 keeps the scratch directory (journal archive, messages, logs).
. "$(dirname "$0")/project_lib.sh"
need_pg
start_broker --partitions 4
start_pg

# ---- 1. the honest journal ----
new_db demo
"$PRAVAH" demo --days 5 --ulbs 3 --districts 2 --events-per-day 300 --bootstrap "$ADDR" \
    --pg "dbname=demo" >"$WORK/demo.out" 2>"$WORK/demo.err" ||
    fail "the demo failed: $(tail -n 20 "$WORK/demo.err")"
total=$(journal_next)
[ "$total" -gt 1000 ] || fail "the demo journal holds only $total records"
"$PRAVAH" audit export --bootstrap "$ADDR" "$WORK/journal.tar" >"$WORK/export.out" 2>&1 ||
    fail "audit export failed: $(tail -n 5 "$WORK/export.out")"
python3 "$SRC/tests/pg/journal_anomalies.py" "$WORK/journal.tar" "$WORK/anom" ||
    fail "journal_anomalies.py failed"
. "$WORK/anom/expect.sh"
ok "demo journal: $total records; anomalies for partition $P: $(wc -l <"$WORK/anom/plan") messages"

# settings DB N: the projector options of database DB for a wave of N messages. A one-batch
# projector ends its batch at exactly N messages (the wave's, all in partition $P), not by time.
settings() {
    case $1 in
    base_sql) echo "--set project.apply=sql" ;;
    base_c) echo "--set project.apply=c" ;;
    sql_big) echo "--set project.apply=sql --set project.batch_max=$2 --set project.batch_ms=60000" ;;
    c_big) echo "--set project.apply=c --set project.batch_max=$2 --set project.batch_ms=60000" ;;
    c_one) echo "--set project.apply=c --set project.batch_max=1" ;;
    c_three) echo "--set project.apply=c --set project.batch_max=3 --set project.batch_ms=3000" ;;
    esac
}

# batches DB N: the batches a projector of DB must commit for a wave of N messages ('' = any).
batches() {
    case $1 in
    sql_big | c_big) echo 1 ;;
    c_one) echo "$2" ;;
    c_three) echo $(( ($2 + 2) / 3 )) ;;
    esac
}

# run_wave N DB...: one projector per DB (group DB) over the journal until its stored offsets
# cover the whole journal, the number of batches it committed checked, then stopped (SIGTERM,
# exit 0). N: the messages of the wave.
run_wave() {
    n=$1
    shift
    target=$(journal_next)
    for db in "$@"; do
        port=$(free_port)
        # shellcheck disable=SC2046 # the settings are separate words
        project "$db" "$db" "$db" "$port" $(settings "$db" "$n")
        eval "pid_$db=$PROJ_PID port_$db=$port"
    done
    for db in "$@"; do
        eval "pid=\$pid_$db port=\$port_$db"
        i=600
        until [ "$(stored_next "$db" "$db")" = "$target" ]; do
            i=$((i - 1))
            [ "$i" -gt 0 ] || fail "$db: projected $(stored_next "$db" "$db") of $target;" \
                "$(metric "$port" pravah_projector_batches_total) batches; its log ends with:
$(tail -n 3 "$WORK/$db.err")"
            kill -0 "$pid" 2>/dev/null || fail "$db: the projector died: $(tail -n 5 "$WORK/$db.err")"
            sleep 0.2
        done
        want=$(batches "$db" "$n")
        i=100
        while [ -n "$want" ] && [ "$(metric "$port" pravah_projector_batches_total)" != "$want" ]; do
            i=$((i - 1))
            [ "$i" -gt 0 ] || fail "$db: $(metric "$port" pravah_projector_batches_total) batches" \
                "for the wave of $n messages, expected $want: the batches are not the ones compared"
            sleep 0.1
        done
    done
    for db in "$@"; do
        eval "pid=\$pid_$db"
        kill -TERM "$pid"
        wait "$pid" || fail "$db: the projector exited with $? after SIGTERM"
        # only the records refused on purpose (seal, key), never one PostgreSQL refused
        refused=$(q "$db" "SELECT topic_partition || '/' || kafka_offset || ': ' || reason
                           FROM pravah.projection_errors WHERE reason !~ '^(seal|key): '
                           ORDER BY kafka_offset")
        [ -z "$refused" ] || fail "$db: records in projection_errors:
$refused"
    done
}

# same DB1 DB2 [WHAT]: every table identical (digest), else the first differing rows.
same() {
    digest "$1" >"$WORK/$1.digest"
    digest "$2" >"$WORK/$2.digest"
    diff "$WORK/$1.digest" "$WORK/$2.digest" >"$WORK/diff.out" && return 0
    : >"$WORK/rows.diff"
    for t in $(awk '/^[<>]/ { print $2 }' "$WORK/diff.out" | sort -u); do
        echo "== $t" >>"$WORK/rows.diff"
        rows "$1" "$t" >"$WORK/$1.$t.rows"
        rows "$2" "$t" >"$WORK/$2.$t.rows"
        diff "$WORK/$1.$t.rows" "$WORK/$2.$t.rows" >"$WORK/$t.rows.diff"
        grep '^<' "$WORK/$t.rows.diff" | head -n 5 >>"$WORK/rows.diff"
        grep '^>' "$WORK/$t.rows.diff" | head -n 5 >>"$WORK/rows.diff"
    done
    fail "${3:-}$1 and $2 differ: $(cat "$WORK/diff.out" "$WORK/rows.diff")"
}

# cols TABLE: the columns digest compares (not the wall clock, not sequences), comma-separated.
cols() {
    q base_c "
    SELECT string_agg(quote_ident(a.attname), ', ' ORDER BY a.attnum)
    FROM pg_attribute a
    LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
    WHERE a.attrelid = 'pravah.$1'::regclass AND a.attnum > 0 AND NOT a.attisdropped
      AND a.attidentity = ''
      AND coalesce(pg_get_expr(d.adbin, d.adrelid), '')
          !~* '(now\(\)|clock_timestamp|nextval|current_timestamp|statement_timestamp)'"
}

# rows DB TABLE [WHERE]: the compared columns of TABLE's rows, sorted, one per line.
rows() {
    q "$1" "SELECT t::text FROM (SELECT $(cols "$2") FROM pravah.$2 ${3:+WHERE $3}) t ORDER BY 1"
}

# case_tables: the tables of schema pravah with a case_id column (bookkeeping left out).
case_tables() {
    q base_c "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
              JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'case_id'
              WHERE n.nspname = 'pravah' AND c.relkind = 'r' AND c.relname <> 'staging_records'
              ORDER BY 1"
}

# expect WHAT GOT WANT
expect() {
    [ "$2" = "$3" ] || fail "$1: got
$2
expected
$3"
}

publish_wave() {
    while read -r wave key file label; do
        [ "$wave" = "$1" ] || continue
        kcat -P -b "$ADDR" -t pravah.journal -p "$P" -k "$key" "$WORK/anom/$file" \
            </dev/null 2>>"$WORK/kcat.err" || fail "kcat could not publish $file ($label)"
    done <"$WORK/anom/plan"
}

new_db base_sql
new_db base_c
run_wave "" base_sql base_c
same base_sql base_c
same demo base_c
expect "findings of the clean journal" "$(q base_c "SELECT count(*) FROM pravah.integrity_findings")" 0
expect "transitions of the clean journal" "$(q base_c "SELECT count(*) FROM pravah.transitions")" "$total"
ok "clean journal: apply=sql, apply=c and the demo's own projection identical ($(wc -l <"$WORK/base_c.digest") tables), no finding"

for db in sql_big; do createdb -T base_sql "$db" || fail "createdb $db"; done
for db in c_big c_one c_three; do createdb -T base_c "$db" || fail "createdb $db"; done
for db in sql_big c_big c_one c_three; do
    q "$db" "UPDATE pravah.projector_offsets SET consumer_group = '$db'" >/dev/null
done
ALL="sql_big c_big c_one c_three"
open_b=$(q base_c "SELECT count(*) FROM pravah.alerts WHERE case_id = '$CASE_B'
                   AND kind LIKE 'sla.%' AND closed_at IS NULL")

# ---- 2. waves 1 and 2: the same tables, however batched ----
publish_wave 1
expect "journal after wave 1" "$(journal_next)" $((total + WAVE1_MSGS))
# shellcheck disable=SC2086
run_wave "$WAVE1_MSGS" $ALL
publish_wave 2
expect "journal after wave 2" "$(journal_next)" $((total + WAVE1_MSGS + WAVE2_MSGS))
# shellcheck disable=SC2086
run_wave "$WAVE2_MSGS" $ALL
for db in c_big c_one c_three; do same sql_big "$db" "after waves 1 and 2: "; done
ok "waves 1-2: sql in one batch, c in one batch, c one by one, c in threes: $(wc -l <"$WORK/c_big.digest") tables identical"

D=c_one # all four are identical: the assertions read one
expect "transitions added" "$(q $D "SELECT count(*) FROM pravah.transitions")" $((total + 8))
expect "findings" "$(q $D "SELECT kind, case_id, seq, pseq, detail FROM pravah.integrity_findings
                           ORDER BY topic_partition, kafka_offset")" \
"case_chain|$CASE_A|$((SEQ_A + 2))|$((BASE_HEAD_PSEQ + 1))|seq $((SEQ_A + 2)) follows seq $SEQ_A
fork|$CASE_C|$SEQ_C|$((BASE_HEAD_PSEQ + 4))|a different record for a known (case_id, seq)
fork|$CASE_C2|$((SEQ_C2 - 1))|$((BASE_HEAD_PSEQ + 5))|a different record for a known (case_id, seq)
case_chain|$CASE_E|$((SEQ_E + 1))|$((BASE_HEAD_PSEQ + 7))|prev_hash is not the hash of seq $SEQ_E
partition_chain|$CASE_F|$((SEQ_F + 1))|$PART_BREAK_PSEQ|phash does not continue the partition chain
case_chain|$CASE_A|$((SEQ_A + 1))|$WAVE2_HEAD_PSEQ|seq $((SEQ_A + 1)) arrived after seq $((SEQ_A + 2)): kept in transitions, not applied"
expect "fork hashes" "$(q $D "SELECT encode(existing_hash, 'hex'), encode(new_hash, 'hex')
                              FROM pravah.integrity_findings WHERE kind = 'fork' ORDER BY kafka_offset")" \
"$FORK_HEAD_OLD_HASH|$FORK_HEAD_HASH
$FORK_OLD_OLD_HASH|$FORK_OLD_HASH"
expect "fork alerts" "$(q $D "SELECT case_id, seq, closed_at IS NULL FROM pravah.alerts
                              WHERE kind = 'integrity.fork' ORDER BY case_id, seq")" \
"$(printf '%s|%s|t\n%s|%s|t' "$CASE_C" "$SEQ_C" "$CASE_C2" "$((SEQ_C2 - 1))" | sort)"
ok "forks: of a case's head and of an older record, found with both hashes, integrity.fork alerts open"
expect "the timer's alert" "$(q $D "SELECT (extract(epoch FROM raised_at) * 1000)::bigint,
                                   (extract(epoch FROM closed_at) * 1000)::bigint
                            FROM pravah.alerts WHERE case_id = '$CASE_B' AND seq = $((SEQ_B + 1))
                             AND kind = 'sla.breached'")" "$TIMER_AT_MS|$CLOSE_AT_MS"
expect "open SLA alerts of $CASE_B" "$(q $D "SELECT count(*) FROM pravah.alerts
    WHERE case_id = '$CASE_B' AND kind LIKE 'sla.%' AND closed_at IS NULL")" 0
expect "state of $CASE_B" "$(q $D "SELECT state, seq FROM pravah.cases WHERE case_id = '$CASE_B'")" \
    "$CLOSE_STATE|$((SEQ_B + 2))"
ok "timer record: its alert raised, then closed by the event that changed the state, with $open_b older open alert(s)"
expect "case heads" "$(q $D "SELECT case_id || ' ' || seq FROM pravah.cases
    WHERE case_id IN ('$CASE_A', '$CASE_C', '$CASE_C2', '$CASE_D', '$CASE_E', '$CASE_F',
                      '$CASE_G', '$CASE_K') ORDER BY 1")" "$(printf '%s %s\n' "$CASE_A" $((SEQ_A + 2)) "$CASE_C" "$SEQ_C" \
    "$CASE_C2" "$SEQ_C2" "$CASE_D" $((SEQ_D + 1)) "$CASE_E" $((SEQ_E + 1)) "$CASE_F" $((SEQ_F + 1)) \
    "$CASE_G" $((SEQ_G + 1)) "$CASE_K" "$SEQ_K" | sort)"
expect "amount of $CASE_A (the late record's 222 changes nothing)" \
    "$(q $D "SELECT amount FROM pravah.cases WHERE case_id = '$CASE_A'")" 111
expect "transitions of $CASE_A and $CASE_D" "$(q $D "SELECT case_id, seq FROM pravah.transitions
    WHERE (case_id = '$CASE_A' AND seq > $SEQ_A) OR (case_id = '$CASE_D' AND seq > $SEQ_D)
    ORDER BY 1, 2")" "$(printf '%s|%s\n' "$CASE_A" $((SEQ_A + 1)) "$CASE_A" $((SEQ_A + 2)) \
    "$CASE_D" $((SEQ_D + 1)) | sort -t '|' -k1,1 -k2,2n)"
ok "gap then late record, a record delivered twice, a case chain break, a partition chain break: applied as expected"
expect "projection_errors" "$(q $D "SELECT topic_partition, split_part(reason, ':', 1)
    FROM pravah.projection_errors ORDER BY kafka_offset")" "$P|seal
$P|key"
expect "partition head" "$(q $D "SELECT pseq, encode(phash, 'hex') FROM pravah.partition_heads
    WHERE topic_partition = $P")" "$WAVE2_HEAD_PSEQ|$WAVE2_HEAD_PHASH"
ok "a broken seal and a wrong key in projection_errors, outside the chains; partition head $WAVE2_HEAD_PSEQ as written"

# ---- 3. wave 3: what once depended on the batch ----
w3=$(kcat -b "$ADDR" -C -t pravah.journal -p "$P" -o beginning -e -q -f '%o\n' | tail -n 1)
w3=$((w3 + 1)) # the offset of wave 3's first message
publish_wave 3
expect "journal after wave 3" "$(journal_next)" $((total + WAVE1_MSGS + WAVE2_MSGS + WAVE3_MSGS))
# shellcheck disable=SC2086
run_wave "$WAVE3_MSGS" $ALL
same c_one c_three "after wave 3: "
ok "wave 3: c in batches of 3 equals c one by one"
win="a different record for a known (case_id, seq)"
expect "findings of wave 3, one by one" "$(q c_one "SELECT kind, case_id, seq, detail
    FROM pravah.integrity_findings WHERE topic_partition = $P AND kafka_offset >= $w3
    ORDER BY kafka_offset")" \
"case_chain|$CASE_J|$((SEQ_J + 2))|seq $((SEQ_J + 2)) follows seq $SEQ_J
case_chain|$CASE_J|$((SEQ_J + 1))|seq $((SEQ_J + 1)) arrived after seq $((SEQ_J + 2)): kept in transitions, not applied
fork|$CASE_H|$((SEQ_H + 1))|$win
partition_chain|$DUP_OLD_CASE|$DUP_OLD_SEQ|pseq $DUP_OLD_PSEQ follows pseq $DUP_OLD_HEAD_PSEQ"
expect "partition head after wave 3" "$(q c_one "SELECT pseq, encode(phash, 'hex')
    FROM pravah.partition_heads WHERE topic_partition = $P")" "$FINAL_HEAD_PSEQ|$FINAL_HEAD_PHASH"
ok "wave 3 one by one: $CASE_J's seq $((SEQ_J + 2)) applied and $((SEQ_J + 1)) late, the second record of $CASE_H a fork, the old copy a partition_chain finding"

# c in one batch: exactly the one-by-one result. The fork inside the batch has the wording of a
# fork against the database, and the record after the old copy is checked against the
# partition's head, not against the copy (0009).
same c_big c_one "wave 3, one batch against one by one: "
expect "the fork inside the batch, c in one batch" "$(q c_big "SELECT case_id, seq, detail,
    encode(existing_hash, 'hex'), encode(new_hash, 'hex') FROM pravah.integrity_findings
    WHERE kind = 'fork' AND case_id = '$CASE_H'")" \
    "$CASE_H|$((SEQ_H + 1))|$win|$WIN_A_HASH|$WIN_B_HASH"
ok "wave 3: c in one batch equals c one by one, integrity_findings included"

# sql in one batch against c in one batch: identical except the case whose records came out of
# seq order inside the batch.
for t in $(case_tables); do
    rows sql_big "$t" "case_id IS DISTINCT FROM '$CASE_J'" >"$WORK/sql_big.$t.rows"
    rows c_big "$t" "case_id IS DISTINCT FROM '$CASE_J'" >"$WORK/c_big.$t.rows"
    diff "$WORK/sql_big.$t.rows" "$WORK/c_big.$t.rows" >"$WORK/diff.out" ||
        fail "after wave 3, sql_big and c_big differ in $t (case $CASE_J left out): $(head -n 10 "$WORK/diff.out")"
done
case_tables >"$WORK/case_tables"
digest sql_big | awk 'NR == FNR { skip[$1] = 1; next } !skip[$1]' "$WORK/case_tables" - >"$WORK/sql_big.rest"
digest c_big | awk 'NR == FNR { skip[$1] = 1; next } !skip[$1]' "$WORK/case_tables" - >"$WORK/c_big.rest"
diff "$WORK/sql_big.rest" "$WORK/c_big.rest" >"$WORK/diff.out" ||
    fail "after wave 3, sql_big and c_big differ: $(cat "$WORK/diff.out")"
ok "wave 3: sql in one batch equals c in one batch for every row outside case $CASE_J ($(wc -l <"$WORK/sql_big.rest") tables without case_id compared whole)"
known=
for t in $(case_tables); do
    rows sql_big "$t" "case_id = '$CASE_J'" >"$WORK/sql_big.$t.j"
    rows c_big "$t" "case_id = '$CASE_J'" >"$WORK/c_big.$t.j"
    if ! diff "$WORK/sql_big.$t.j" "$WORK/c_big.$t.j" >"$WORK/$t.j.diff"; then
        known="$known $t"
        sed "s/^/    $t: /" "$WORK/$t.j.diff" | grep '^    [a-z_]*: [<>]'
    fi
done
ok "known difference (0002 compares with the head before the batch, c walks offset order): case $CASE_J differs in:${known:- nothing}"
