#!/bin/bash
# pravah.apply_staging() on hand-built staging rows (lib.sh's journal helpers):
# - the same journal applied in one batch, one record per batch, and in uneven chunks gives the
#   same tables, row by row;
# - duplicates (a redelivery right after the original, twice in one batch, an old record again)
#   are ignored; forks (against the database and within a batch) land in integrity_findings
#   and open an 'integrity.fork' alert; case and partition chain breaks, gaps and late records
#   are findings, never errors; unparseable field values do not stop a batch;
# - partition_heads follows the journal; the staging table is empty after every call;
# - a second session holding rows in the staging table does not block a batch.
# ctest-timeout: 90
. "$(dirname "$0")/lib.sh"
start_pg
migrate
install_journal
load_scenario

# ---- batching does not matter -------------------------------------------------------------------
for db in one each chunks; do
    q -d postgres -c "CREATE DATABASE $db TEMPLATE pravah" || fail "create database $db"
done
q -d one -c "SELECT t.feed(1, 1000)" >/dev/null || fail "one batch"
q -d each -c "SELECT sum(t.feed(i, i)) FROM generate_series(1, 93) i" >/dev/null || fail "one by one"
# Chunks of 1, 2, ..., 13 records (91), cutting through cases and partitions, then the rest.
q -d chunks -c "SELECT sum(t.feed(a::int, (a + k - 1)::int)) FROM (
                  SELECT k, 1 + coalesce(sum(k) OVER (ORDER BY k ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS a
                  FROM generate_series(1, 13) k) c" -c "SELECT t.feed(92, 1000)" >/dev/null || fail "chunks"
dump_projection -d one >"$WORK/one.txt"
dump_projection -d each >"$WORK/each.txt"
dump_projection -d chunks >"$WORK/chunks.txt"
cmp -s "$WORK/one.txt" "$WORK/each.txt" || fail "one batch != one record per batch:\n$(diff "$WORK/one.txt" "$WORK/each.txt")"
cmp -s "$WORK/one.txt" "$WORK/chunks.txt" || fail "one batch != chunks:\n$(diff "$WORK/one.txt" "$WORK/chunks.txt")"
ok "one batch, one record per batch and uneven chunks give identical tables"
expect "the journal is applied, nothing found" \
    "SELECT (SELECT count(*) FROM pravah.transitions), (SELECT count(*) FROM pravah.cases),
            (SELECT count(*) FROM pravah.integrity_findings), (SELECT count(*) FROM pravah.staging_records)" \
    "93|31|0|0" -d one

# ---- the main database: apply the scenario, then the special deliveries ------------------------
q -c "SELECT t.feed(1, 1000)" >/dev/null || fail "feed"
q >/dev/null <<'EOF' || fail "helpers"
-- Stages journal record ORD as Kafka would deliver it, ADD offsets later.
CREATE FUNCTION t.stage(o int, add bigint DEFAULT 0) RETURNS void LANGUAGE sql AS $$
    INSERT INTO pravah.staging_records
    SELECT topic_partition, kafka_offset + add, pseq, case_id, seq, case_type, def_version, kind,
           event_id, event_type, source, actor, actor_post, actor_role, event_time,
           accepted_at_ms, prev_state, new_state, assignee, deadline_ms, alert_level,
           alert_target, data, office, hash, prev_hash, phash
    FROM t.journal WHERE ord = o $$;
-- A different record for the same (case_id, seq) as journal record ORD, appended to its
-- partition with a valid pseq/phash (what a second writer would produce). Returns its ord.
CREATE FUNCTION t.forge(o int) RETURNS int LANGUAGE sql AS $$
    INSERT INTO t.journal (topic_partition, kafka_offset, pseq, case_id, seq, case_type,
        def_version, kind, event_id, event_type, source, actor, actor_post, actor_role,
        event_time, accepted_at_ms, prev_state, new_state, assignee, deadline_ms, alert_level,
        alert_target, data, office, hash, prev_hash, phash)
    SELECT j.topic_partition, h.kafka_offset + 1, h.pseq + 1, j.case_id, j.seq, j.case_type,
           j.def_version, j.kind, j.event_id || '-forged', j.event_type, j.source, j.actor,
           j.actor_post, j.actor_role, j.event_time, j.accepted_at_ms, j.prev_state,
           'forged_state', j.assignee, j.deadline_ms, j.alert_level, j.alert_target,
           '{"amount": 1}', j.office, sha256(j.hash), j.prev_hash,
           sha256(h.phash || sha256(j.hash) || int8send(h.pseq + 1))
    FROM t.journal j,
         LATERAL (SELECT * FROM t.journal p WHERE p.topic_partition = j.topic_partition
                  ORDER BY p.pseq DESC, p.ord DESC LIMIT 1) h
    WHERE j.ord = o
    RETURNING ord $$;
CREATE FUNCTION t.last_ord() RETURNS int LANGUAGE sql RETURN (SELECT max(ord) FROM t.journal);
EOF

# a) The last record of partition 0 delivered again right after itself (a producer retry).
expect "a redelivery right after the original is ignored" \
    "SELECT FROM t.stage((SELECT max(ord) FROM t.journal WHERE topic_partition = 0), 1);
     CREATE TEMP TABLE r AS SELECT pravah.apply_staging() AS applied;
     SELECT (SELECT applied FROM r), (SELECT count(*) FROM pravah.transitions),
            (SELECT count(*) FROM pravah.integrity_findings), (SELECT count(*) FROM pravah.staging_records)" \
    "0|93|0|0"

# b) A new record delivered twice in one batch.
expect "a record twice in one batch is applied once" \
    "SELECT FROM t.ev(0, 'WMS/ULB-GGN/2026/000002', 'works.grant_fs', 'EMP-100310', 'GGN-MC-ACCOUNTS', '2026-04-28 10:00', 'fs_granted', NULL, '2026-05-19', '{\"amount\":1400000}');
     SELECT FROM t.stage(t.last_ord()); SELECT FROM t.stage(t.last_ord(), 1);
     CREATE TEMP TABLE r AS SELECT pravah.apply_staging() AS applied;
     SELECT (SELECT applied FROM r), (SELECT count(*) FROM pravah.integrity_findings),
            (SELECT state || ' ' || seq FROM pravah.cases WHERE case_id = 'WMS/ULB-GGN/2026/000002'),
            (SELECT fs_amount FROM pravah.works WHERE case_id = 'WMS/ULB-GGN/2026/000002')" \
    "1|0|fs_granted 4|1400000"

# c) An old record (W1's first) delivered again, out of place: ignored for the case; the
#    partition chain notices it.
expect "an old record delivered again: ignored, a partition_chain finding" \
    "SELECT FROM t.stage((SELECT ord FROM t.journal WHERE case_id = 'WMS/ULB-GGN/2026/000001' AND seq = 1), 1000);
     CREATE TEMP TABLE r AS SELECT pravah.apply_staging() AS applied;
     SELECT (SELECT applied FROM r), (SELECT count(*) FROM pravah.transitions),
            (SELECT string_agg(kind || ' ' || case_id || ' ' || seq || ': ' || detail, '; ') FROM pravah.integrity_findings),
            (SELECT seq FROM pravah.cases WHERE case_id = 'WMS/ULB-GGN/2026/000001')" \
    "0|94|partition_chain WMS/ULB-GGN/2026/000001 1: pseq 1 follows pseq 44|5"
q -c "DELETE FROM pravah.integrity_findings" || fail "reset findings"

# d) A fork: a different record for W2's seq 4, appended to the partition by a second writer.
expect "a fork against the database: finding and alert, the case unchanged" \
    "SELECT FROM t.stage(t.forge(t.last_ord()));
     CREATE TEMP TABLE r AS SELECT pravah.apply_staging() AS applied;
     SELECT (SELECT applied FROM r),
            (SELECT string_agg(f.kind || ' ' || f.case_id || ' ' || f.seq || ' ' ||
                               (f.existing_hash = j.hash) || ' ' || (f.new_hash = sha256(j.hash)) || ': ' || f.detail, '; ')
               FROM pravah.integrity_findings f
               JOIN t.journal j ON j.case_id = f.case_id AND j.seq = f.seq AND j.event_id NOT LIKE '%-forged'),
            (SELECT kind || ' ' || (closed_at IS NULL) FROM pravah.alerts
              WHERE case_id = 'WMS/ULB-GGN/2026/000002' AND kind LIKE 'integrity%'),
            (SELECT state || ' ' || seq FROM pravah.cases WHERE case_id = 'WMS/ULB-GGN/2026/000002')" \
    "0|fork WMS/ULB-GGN/2026/000002 4 true true: a different record for a known (case_id, seq)|integrity.fork true|fs_granted 4"
q -c "DELETE FROM pravah.integrity_findings" || fail "reset findings"

# e) A fork within one batch: the first copy (by offset) is applied.
expect "a fork within a batch: the first applied, the second a finding" \
    "SELECT FROM t.ev(0, 'WMS/ULB-BRR/2026/000003', 'works.return_aa', 'EMP-100498', 'BRR-CM-MC_COMMITTEE', '2026-05-02 10:00', 'aa_returned', 'BRR-CM-JE-1', '2026-05-12', '{\"remarks\":\"revise\"}');
     SELECT FROM t.stage(t.last_ord()); SELECT FROM t.stage(t.forge(t.last_ord()));
     CREATE TEMP TABLE r AS SELECT pravah.apply_staging() AS applied;
     SELECT (SELECT applied FROM r),
            (SELECT string_agg(kind || ' ' || seq || ': ' || detail, '; ') FROM pravah.integrity_findings),
            (SELECT state || ' ' || assignee FROM pravah.cases WHERE case_id = 'WMS/ULB-BRR/2026/000003'),
            (SELECT returns FROM pravah.works WHERE case_id = 'WMS/ULB-BRR/2026/000003')" \
    "1|fork 2: a different record for a known (case_id, seq)|aa_returned BRR-CM-JE-1|1"
q -c "DELETE FROM pravah.integrity_findings" || fail "reset findings"

# f) A record whose prev_hash is not its predecessor's hash: applied, a case_chain finding.
expect "a case chain break: applied, a finding" \
    "SELECT FROM t.ev(0, 'WMS/ULB-BRR/2026/000001', 'works.return_aa', 'EMP-100498', 'BRR-CM-MC_COMMITTEE', '2026-05-02 11:00', 'aa_returned', 'BRR-CM-JE-1', '2026-05-12', '{\"remarks\":\"revise\"}');
     UPDATE t.journal SET prev_hash = sha256(prev_hash) WHERE ord = t.last_ord();
     SELECT FROM t.stage(t.last_ord());
     CREATE TEMP TABLE r AS SELECT pravah.apply_staging() AS applied;
     SELECT (SELECT applied FROM r),
            (SELECT string_agg(kind || ' ' || seq || ': ' || detail, '; ') FROM pravah.integrity_findings),
            (SELECT state FROM pravah.cases WHERE case_id = 'WMS/ULB-BRR/2026/000001')" \
    "1|case_chain 2: prev_hash is not the hash of seq 1|aa_returned"
q -c "DELETE FROM pravah.integrity_findings" || fail "reset findings"

# g) A record whose phash does not continue the partition chain.
expect "a partition chain break: applied, a finding" \
    "SELECT FROM t.ev(0, 'LIT/ULB/2026/000003', 'litigation.file_reply', 'EMP-100006', 'ULB-DEPT-LIT_NODAL', '2026-05-02 12:00', 'reply_filed', NULL, '2026-05-20', '{\"filed_on\":\"2026-05-01\"}');
     UPDATE t.journal SET phash = sha256(phash) WHERE ord = t.last_ord();
     SELECT FROM t.stage(t.last_ord());
     CREATE TEMP TABLE r AS SELECT pravah.apply_staging() AS applied;
     SELECT (SELECT applied FROM r),
            (SELECT string_agg(kind || ' ' || case_id || ': ' || detail, '; ') FROM pravah.integrity_findings),
            (SELECT state FROM pravah.court_cases WHERE case_id = 'LIT/ULB/2026/000003')" \
    "1|partition_chain LIT/ULB/2026/000003: phash does not continue the partition chain|reply_filed"
q -c "DELETE FROM pravah.integrity_findings" || fail "reset findings"

# h) A gap (seq 3 of LIT/000001 never delivered before seq 4), then i) seq 3 arriving late.
expect "a gap: seq 4 applied after seq 2, findings for both chains" \
    "SELECT FROM t.ev(0, 'LIT/ULB/2026/000001', 'litigation.file_reply', 'EMP-100006', 'ULB-DEPT-LIT_NODAL', '2026-05-02 13:00', 'reply_filed', NULL, '2026-05-20', '{\"filed_on\":\"2026-05-01\"}');
     SELECT FROM t.ev(0, 'LIT/ULB/2026/000001', 'litigation.record_hearing', 'EMP-100006', 'ULB-DEPT-LIT_NODAL', '2026-05-03 13:00', 'hearing', NULL, '2026-06-10', '{\"hearing_date\":\"2026-05-03\",\"next_hearing\":\"2026-06-10\"}');
     SELECT FROM t.stage(t.last_ord());
     CREATE TEMP TABLE r AS SELECT pravah.apply_staging() AS applied;
     SELECT (SELECT applied FROM r),
            (SELECT string_agg(kind || ' ' || seq || ': ' || detail, '; ' ORDER BY kind) FROM pravah.integrity_findings),
            (SELECT state || ' ' || next_hearing || ' ' || hearings FROM pravah.court_cases WHERE case_id = 'LIT/ULB/2026/000001')" \
    "1|case_chain 4: seq 4 follows seq 2; partition_chain 4: pseq 51 follows pseq 49|hearing 2026-06-10 1"
q -c "DELETE FROM pravah.integrity_findings" || fail "reset findings"
expect "a late record: kept in transitions, not applied" \
    "SELECT FROM t.stage(t.last_ord() - 1);
     CREATE TEMP TABLE r AS SELECT pravah.apply_staging() AS applied;
     SELECT (SELECT applied FROM r),
            (SELECT string_agg(kind || ' ' || seq || ': ' || detail, '; ' ORDER BY kind) FROM pravah.integrity_findings),
            (SELECT count(*) FROM pravah.transitions WHERE case_id = 'LIT/ULB/2026/000001'),
            (SELECT state || ' ' || seq FROM pravah.cases WHERE case_id = 'LIT/ULB/2026/000001')" \
    "0|case_chain 3: seq 3 arrived after seq 4: kept in transitions, not applied; partition_chain 3: pseq 50 follows pseq 51|4|hearing 4"
q -c "DELETE FROM pravah.integrity_findings" || fail "reset findings"

# j) Values the engine would never let through do not stop the batch.
expect "unparseable values: the record applies, the fields stay empty" \
    "SELECT FROM t.ev(0, 'WMS/ULB-GGN/2026/000009', 'works.submit_estimate', 'EMP-100314', 'GGN-MC-JE-1', '2026-05-02 10:00', 'estimate_submitted', 'GGN-MC-XEN', '2026-05-22', '{\"name\":[1,2],\"amount\":\"abc\",\"quantity\":{},\"ward\":1e40}', 'ULB-GGN');
     SELECT FROM t.ev(0, 'WMS/ULB-GGN/2026/000009', 'works.allot_work', 'EMP-100311', 'GGN-MC-XEN', '2026-05-03 10:00', 'in_execution', NULL, '2026-06-30', '{\"planned_completion\":\"2026-02-30\",\"contract_amount\":\"x\",\"contractor\":7}');
     SELECT FROM t.stage(t.last_ord() - 1); SELECT FROM t.stage(t.last_ord());
     CREATE TEMP TABLE r AS SELECT pravah.apply_staging() AS applied;
     SELECT (SELECT applied FROM r),
            (SELECT concat_ws(' ', coalesce(name, '-'), coalesce(estimate_amount::text, '-'), coalesce(ward::text, '-'),
                              coalesce(planned_completion::text, '-'), coalesce(contract_amount::text, '-'), contractor, stage)
               FROM pravah.works WHERE case_id = 'WMS/ULB-GGN/2026/000009'),
            (SELECT count(*) FROM pravah.integrity_findings)" \
    "2|[1, 2] - - - - 7 execution|0"

expect "partition_heads are the journal's heads" \
    "SELECT count(*) FROM pravah.partition_heads h
       JOIN (SELECT DISTINCT ON (topic_partition) topic_partition, pseq, phash FROM t.journal
             ORDER BY topic_partition, pseq DESC) j
         ON j.topic_partition = h.topic_partition AND j.pseq = h.pseq AND j.phash = h.phash" "4"
expect "the staging table is empty" "SELECT count(*) FROM pravah.staging_records" "0"

# ---- another session holding rows in the staging table -------------------------------------------
q -c "BEGIN; SELECT FROM t.stage(1); SELECT pg_sleep(3); ROLLBACK;" >/dev/null 2>&1 &
BGPIDS=$!
for _ in $(seq 50); do
    [ "$(q -c "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation
                WHERE c.relname = 'staging_records' AND l.pid <> pg_backend_pid()")" != 0 ] && break
    sleep 0.1
done
start=$(date +%s)
expect "a batch does not wait for another session's staged rows" \
    "SET lock_timeout = '1s';
     SELECT FROM t.ev(2, 'CMW/2026/000003', 'grievance.acknowledge', 'EMP-100014', 'DIST-GGN-DC', '2026-05-04 11:00', 'acknowledged');
     SELECT FROM t.stage(t.last_ord());
     CREATE TEMP TABLE r AS SELECT pravah.apply_staging() AS applied;
     SELECT (SELECT applied FROM r), (SELECT count(*) FROM pravah.staging_records),
            (SELECT state FROM pravah.cases WHERE case_id = 'CMW/2026/000003')" \
    "1|0|acknowledged"
[ $(($(date +%s) - start)) -lt 3 ] || fail "the batch waited"
wait "$BGPIDS"
BGPIDS=
