# Shared by the tests/pg/*.sh tests (sourced, not run): `. "$(dirname "$0")/lib.sh"`.
# Every test starts its own private PostgreSQL (scripts/pg, PRAVAH_PG_FAST=1) in a scratch
# directory and stops it in the EXIT trap. $1 (the pravah binary, passed by CTest) is not needed
# by the SQL-only tests. Exit 77 = skipped (PostgreSQL 15 or the postgres user missing).

set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
PG=$ROOT/scripts/pg
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
TEST=$(basename "$0" .sh)

if [ ! -x "$PGBIN/postgres" ]; then
    echo "SKIP: PostgreSQL 15 is not installed in $PGBIN (scripts/deps)"
    exit 77
fi
if [ "$(id -u)" = 0 ] && ! id postgres >/dev/null 2>&1; then
    echo "SKIP: no postgres user"
    exit 77
fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/pravah-pg-$TEST.XXXXXX")
chmod 0711 "$WORK" # the server runs as postgres and lives in $WORK/pg
PGDIR=$WORK/pg
BGPIDS=

cleanup() {
    for pid in $BGPIDS; do kill "$pid" 2>/dev/null; done
    "$PG" stop "$PGDIR" >/dev/null 2>&1
    if [ -n "${KEEP_WORK:-}" ]; then echo "scratch kept: $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM

fail() {
    printf 'FAIL [%s]: %b\n' "$TEST" "$*" >&2
    if [ -f "$PGDIR/postgres.log" ]; then
        echo "--- server log (last 10 lines)" >&2
        tail -n 10 "$PGDIR/postgres.log" >&2
    fi
    exit 1
}

ok() {
    echo "ok - $*"
}

# start_pg: the private server, PG* exported for psql.
start_pg() {
    PRAVAH_PG_FAST=1 "$PG" start "$PGDIR" >"$WORK/start.out" 2>&1 || {
        cat "$WORK/start.out" >&2
        fail "scripts/pg start"
    }
    eval "$("$PG" env "$PGDIR")"
    export PGHOST PGPORT PGDATABASE PGUSER
    # Dashboards' "now" in these tests: Monday 4 May 2026, noon IST.
    export PGOPTIONS="-c pravah.asof=2026-05-04T12:00:00+05:30 -c client_min_messages=warning"
}

migrate() {
    "$PG" migrate "$PGDIR" >"$WORK/migrate.out" 2>&1 || {
        cat "$WORK/migrate.out" >&2
        fail "migrations"
    }
}

# q ARGS...: psql, unaligned, tuples only, '|' separated, stop on the first error.
q() {
    "$PGBIN/psql" -X -q -At -F'|' -v ON_ERROR_STOP=1 "$@"
}

# expect NAME SQL EXPECTED [PSQL-ARGS...]: the output of SQL (rows joined by newlines; several
# statements: the outputs of all, empty lines dropped) must equal EXPECTED.
expect() {
    local name=$1 sql=$2 want=$3 got
    shift 3
    got=$(q "$@" -c "$sql" 2>&1) || fail "$name: query failed:\n$got"
    got=$(printf '%s\n' "$got" | sed '/^$/d') # statements without output (SELECT FROM f())
    [ "$got" = "$want" ] || fail "$name:\n--- expected\n$want\n--- got\n$got"
    ok "$name"
}

# install_journal: schema t with a test journal (t.journal, the staging columns plus `ord`) and
# helpers that append valid records to it (case chain and partition chain computed as the engine
# does, the body hash replaced by SHA-256 of a canonical text of the record):
#   t.ev(partition, case_id, 'works.submit_estimate', actor, actor_post, 'YYYY-MM-DD HH:MM' (IST),
#        new_state (NULL: stay), assignee (NULL: keep), due date 'YYYY-MM-DD' (end of that local
#        day; '' none; NULL keep), data, office (NULL: as the case's previous record))
#   t.timer(partition, case_id, 'sla.breached', at, level, target, assignee (NULL: keep))
#   t.feed(from_ord, to_ord): copies those records into pravah.staging_records and applies them.
install_journal() {
    q <<'EOF' >/dev/null || fail "install_journal"
CREATE SCHEMA IF NOT EXISTS t;
CREATE TABLE IF NOT EXISTS t.journal (ord serial PRIMARY KEY, LIKE pravah.staging_records);

CREATE OR REPLACE FUNCTION t.ms(at text) RETURNS bigint LANGUAGE sql IMMUTABLE
RETURN (extract(epoch FROM (at || '+05:30')::timestamptz) * 1000)::bigint;

CREATE OR REPLACE FUNCTION t.append(part int, cid text, ctype text, knd text, etype text,
    act text, apost text, at text, nstate text, asg text, due text, dat jsonb, ofc text,
    lvl int, tgt text) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    z bytea := '\x0000000000000000000000000000000000000000000000000000000000000000';
    last t.journal;
    plast t.journal;
    s bigint;
    h bytea;
    ph bytea;
    ps bigint;
BEGIN
    SELECT * INTO last FROM t.journal j WHERE j.case_id = cid ORDER BY j.seq DESC LIMIT 1;
    SELECT * INTO plast FROM t.journal j WHERE j.topic_partition = part ORDER BY j.pseq DESC LIMIT 1;
    s := coalesce(last.seq, 0) + 1;
    ps := coalesce(plast.pseq, 0) + 1;
    ph := coalesce(plast.phash, z);
    h := sha256(convert_to(concat_ws('|', cid, s, knd, etype, act, at, nstate, asg, due, dat::text), 'UTF8')
                || coalesce(last.hash, z));
    INSERT INTO t.journal (topic_partition, kafka_offset, pseq, case_id, seq, case_type,
        def_version, kind, event_id, event_type, source, actor, actor_post, actor_role,
        event_time, accepted_at_ms, prev_state, new_state, assignee, deadline_ms, alert_level,
        alert_target, data, office, hash, prev_hash, phash)
    VALUES (part, coalesce(plast.kafka_offset + 1, 0), ps, cid, s, ctype, 1, knd,
        CASE WHEN knd = 'event' THEN cid || '/e' || s ELSE cid || '#' || s END,
        etype, CASE WHEN knd = 'event' THEN 'test' ELSE 'pravah' END, act, apost,
        CASE WHEN knd <> 'event' THEN '' WHEN apost = '' THEN 'citizen'
             ELSE coalesce((SELECT p.role FROM pravah.posts p WHERE p.post_id = apost), '') END,
        '', t.ms(at), coalesce(last.new_state, ''), coalesce(nstate, last.new_state),
        coalesce(asg, last.assignee, ''),
        CASE WHEN due IS NULL THEN coalesce(last.deadline_ms, 0) WHEN due = '' THEN 0
             ELSE t.ms(due || ' 23:59:59.999') END,
        lvl, tgt, dat, coalesce(ofc, last.office, ''), h, coalesce(last.hash, z),
        sha256(ph || h || int8send(ps)));
END
$$;

CREATE OR REPLACE FUNCTION t.ev(part int, cid text, etype text, act text, apost text, at text,
    nstate text DEFAULT NULL, asg text DEFAULT NULL, due text DEFAULT NULL,
    dat jsonb DEFAULT '{}', ofc text DEFAULT NULL) RETURNS void LANGUAGE sql
RETURN t.append(part, cid, split_part(etype, '.', 1), 'event', etype, act, apost, at, nstate,
                asg, due, dat, ofc, 0, '');

CREATE OR REPLACE FUNCTION t.timer(part int, cid text, knd text, at text, lvl int, tgt text,
    asg text DEFAULT NULL) RETURNS void LANGUAGE sql
RETURN t.append(part, cid, (SELECT j.case_type FROM t.journal j WHERE j.case_id = cid LIMIT 1),
                knd, knd, '', '', at, NULL, asg, NULL, '{}', NULL, lvl, tgt);

CREATE OR REPLACE FUNCTION t.feed(a int, b int) RETURNS bigint LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO pravah.staging_records
    SELECT topic_partition, kafka_offset, pseq, case_id, seq, case_type, def_version, kind,
           event_id, event_type, source, actor, actor_post, actor_role, event_time,
           accepted_at_ms, prev_state, new_state, assignee, deadline_ms, alert_level,
           alert_target, data, office, hash, prev_hash, phash
    FROM t.journal WHERE ord BETWEEN a AND b ORDER BY ord;
    RETURN pravah.apply_staging();
END
$$;
EOF
}

# load_scenario: the hand-checked scenario of tests/pg/views.sh (about 100 records over four
# partitions: works and litigation on 0, e-Office on 1, grievances on 2, appointments and one
# hrms transfer on 3) into t.journal. Nothing is applied.
load_scenario() {
    q <<'EOF' >/dev/null || fail "load_scenario"
-- ---------------- works (partition 0) ----------------
SELECT t.ev(0, 'WMS/ULB-GGN/2026/000001', 'works.submit_estimate', 'EMP-100314', 'GGN-MC-JE-1', '2026-04-01 10:00', 'estimate_submitted', 'GGN-MC-XEN', '2026-04-22', '{"name":"Road A","amount":4000000,"quantity":5000,"ward":12}', 'ULB-GGN');
SELECT t.ev(0, 'WMS/ULB-GGN/2026/000001', 'works.grant_aa', 'EMP-100309', 'GGN-MC-COMMISSIONER', '2026-04-02 11:00', 'aa_granted', NULL, '2026-04-13', '{"amount":4000000,"aa_number":"AA/1"}');
SELECT t.ev(0, 'WMS/ULB-GGN/2026/000001', 'works.grant_fs', 'EMP-100310', 'GGN-MC-ACCOUNTS', '2026-04-09 11:00', 'fs_granted', NULL, '2026-04-30', '{"amount":3900000}');
SELECT t.timer(0, 'WMS/ULB-GGN/2026/000001', 'sla.reminder', '2026-04-27 00:00', 1, 'GGN-MC-XEN');
SELECT t.timer(0, 'WMS/ULB-GGN/2026/000001', 'sla.breached', '2026-05-01 00:00', 1, 'ZONE-4-SE');

SELECT t.ev(0, 'WMS/ULB-GGN/2026/000002', 'works.submit_estimate', 'EMP-100314', 'GGN-MC-JE-1', '2026-04-01 12:00', 'estimate_submitted', 'GGN-MC-XEN', '2026-04-22', '{"name":"Drain B","amount":1500000,"quantity":300}', 'ULB-GGN');
SELECT t.timer(0, 'WMS/ULB-GGN/2026/000002', 'sla.breached', '2026-04-23 00:00', 1, 'ZONE-4-SE');
SELECT t.ev(0, 'WMS/ULB-GGN/2026/000002', 'works.grant_aa', 'EMP-100309', 'GGN-MC-COMMISSIONER', '2026-04-24 10:00', 'aa_granted', NULL, '2026-05-05', '{"amount":1500000}');

SELECT t.ev(0, 'WMS/ULB-GGN/2026/000003', 'works.submit_estimate', 'EMP-100314', 'GGN-MC-JE-1', '2026-03-02 10:00', 'estimate_submitted', 'GGN-MC-XEN', '2026-03-20', '{"name":"Park C","amount":2000000,"quantity":1000,"scheme":"Municipal Fund"}', 'ULB-GGN');
SELECT t.ev(0, 'WMS/ULB-GGN/2026/000003', 'works.grant_aa', 'EMP-100309', 'GGN-MC-COMMISSIONER', '2026-03-03 10:00', 'aa_granted', NULL, '2026-03-12', '{"amount":2000000}');
SELECT t.ev(0, 'WMS/ULB-GGN/2026/000003', 'works.grant_fs', 'EMP-100310', 'GGN-MC-ACCOUNTS', '2026-03-04 10:00', 'fs_granted', NULL, '2026-03-25', '{"amount":2000000}');
SELECT t.ev(0, 'WMS/ULB-GGN/2026/000003', 'works.grant_ts', 'EMP-100311', 'GGN-MC-XEN', '2026-03-05 10:00', 'ts_granted', NULL, '2026-03-16', '{"amount":2000000}');
SELECT t.ev(0, 'WMS/ULB-GGN/2026/000003', 'works.publish_nit', 'EMP-100311', 'GGN-MC-XEN', '2026-03-06 10:00', 'nit_published', NULL, '2026-03-16', '{"nit_number":"NIT/1","bid_opening":"2026-03-16"}');
SELECT t.ev(0, 'WMS/ULB-GGN/2026/000003', 'works.open_bids', 'EMP-100311', 'GGN-MC-XEN', '2026-03-16 12:00', 'bids_opened', NULL, '2026-04-06', '{"bids_received":3}');
SELECT t.ev(0, 'WMS/ULB-GGN/2026/000003', 'works.allot_work', 'EMP-100311', 'GGN-MC-XEN', '2026-03-20 10:00', 'in_execution', NULL, '2026-04-25', '{"agreement_number":"AG/1","contractor":"Shree Ram Builders","contract_amount":1950000,"planned_completion":"2026-04-25"}');
SELECT t.ev(0, 'WMS/ULB-GGN/2026/000003', 'works.record_mb', 'EMP-100314', 'GGN-MC-JE-1', '2026-04-01 10:00', NULL, NULL, NULL, '{"mb_number":"MB/1","quantity":100}');
SELECT t.ev(0, 'WMS/ULB-GGN/2026/000003', 'works.record_mb', 'EMP-100314', 'GGN-MC-JE-1', '2026-04-10 10:00', NULL, NULL, NULL, '{"mb_number":"MB/2","quantity":50.5}');
SELECT t.ev(0, 'WMS/ULB-GGN/2026/000003', 'works.submit_running_bill', 'EMP-100311', 'GGN-MC-XEN', '2026-04-12 10:00', 'running_bill_submitted', NULL, '2026-04-21', '{"bill_number":"RB/1","amount":500000}');
SELECT t.ev(0, 'WMS/ULB-GGN/2026/000003', 'works.pay_bill', 'EMP-100310', 'GGN-MC-ACCOUNTS', '2026-04-15 10:00', 'in_execution', NULL, '2026-04-25', '{"amount":500000,"voucher":"V/1"}');
SELECT t.timer(0, 'WMS/ULB-GGN/2026/000003', 'sla.breached', '2026-04-26 00:00', 1, 'ZONE-4-SE');
SELECT t.timer(0, 'WMS/ULB-GGN/2026/000003', 'sla.escalated', '2026-05-01 00:00', 2, 'DULB-CE');

SELECT t.ev(0, 'WMS/ULB-BRR/2026/000001', 'works.submit_estimate', 'EMP-100500', 'BRR-CM-JE-1', '2026-04-01 10:00', 'estimate_submitted', 'DIST-AMB-XEN', '2026-04-22', '{"name":"Street lights D","amount":800000,"quantity":40}', 'ULB-BRR');
SELECT t.ev(0, 'WMS/ULB-BRR/2026/000002', 'works.submit_estimate', 'EMP-100500', 'BRR-CM-JE-1', '2026-04-01 11:00', 'estimate_submitted', 'DIST-AMB-XEN', '2026-04-22', '{"name":"Benches E","amount":300000,"quantity":20}', 'ULB-BRR');
SELECT t.ev(0, 'WMS/ULB-BRR/2026/000002', 'works.reject_aa', 'EMP-100498', 'BRR-CM-MC_COMMITTEE', '2026-04-03 10:00', 'rejected', '', '', '{"reason":"not needed"}');
SELECT t.ev(0, 'WMS/ULB-BRR/2026/000003', 'works.submit_estimate', 'EMP-100500', 'BRR-CM-JE-1', '2026-04-10 10:00', 'estimate_submitted', 'DIST-AMB-XEN', '2026-04-30', '{"name":"Footpath F","amount":200000,"quantity":100}', 'ULB-BRR');

-- ---------------- litigation (partition 0) ----------------
SELECT t.ev(0, 'LIT/ULB/2026/00000' || i, 'litigation.register', 'EMP-100006', 'ULB-DEPT-LIT_NODAL', '2026-04-01 10:00', 'registered', 'DULB-HOD', '2026-04-03',
            jsonb_build_object('case_number', 'CWP-100' || i || '-2026', 'court', 'PHHC', 'petitioner', 'Petitioner ' || i, 'next_hearing', '2026-05-20'), 'ULB-DEPT')
FROM generate_series(1, 6) i;
SELECT t.ev(0, 'LIT/ULB/2026/00000' || i, 'litigation.assign_nodal', 'EMP-100005', 'DULB-HOD', '2026-04-02 10:00', 'reply_pending', 'ULB-DEPT-LIT_NODAL', d,
            jsonb_build_object('reply_due', d))
FROM (VALUES (1, '2026-05-08'), (2, '2026-04-30'), (3, '2026-05-15'), (4, '2026-04-20'), (5, '2026-04-20'), (6, '2026-05-04')) v(i, d);
SELECT t.timer(0, 'LIT/ULB/2026/000002', 'sla.breached', '2026-05-01 00:00', 1, 'DULB-HOD');
SELECT t.ev(0, 'LIT/ULB/2026/000004', 'litigation.file_reply', 'EMP-100006', 'ULB-DEPT-LIT_NODAL', '2026-04-18 10:00', 'reply_filed', NULL, '2026-04-25', '{"filed_on":"2026-04-18","next_hearing":"2026-04-25"}');
SELECT t.ev(0, 'LIT/ULB/2026/000004', 'litigation.record_order', 'EMP-100006', 'ULB-DEPT-LIT_NODAL', '2026-04-25 15:00', 'compliance_pending', NULL, '2026-05-11', '{"order_date":"2026-04-25","outcome":"allowed","compliance_due":"2026-05-11"}');
SELECT t.ev(0, 'LIT/ULB/2026/000005', 'litigation.file_reply', 'EMP-100006', 'ULB-DEPT-LIT_NODAL', '2026-04-18 11:00', 'reply_filed', NULL, '2026-04-24', '{"filed_on":"2026-04-18","next_hearing":"2026-04-24"}');
SELECT t.ev(0, 'LIT/ULB/2026/000005', 'litigation.record_order', 'EMP-100006', 'ULB-DEPT-LIT_NODAL', '2026-04-24 15:00', 'compliance_pending', NULL, '2026-05-01', '{"order_date":"2026-04-24","outcome":"disposed_with_directions","compliance_due":"2026-05-01"}');
SELECT t.ev(0, 'LIT/ULB/2026/000005', 'litigation.extend_compliance', 'EMP-100006', 'ULB-DEPT-LIT_NODAL', '2026-04-30 15:00', NULL, NULL, '2026-05-03', '{"compliance_due":"2026-05-03","order_date":"2026-04-30"}');

-- ---------------- e-Office (partition 1), District Administration Gurugram ----------------
SELECT t.ev(1, 'DC-GGN/GEN/2026/000001', 'efile.create_file', 'EMP-100019', 'DIST-GGN-DEALING_ASSISTANT-1', '2026-05-01 10:00', 'on_desk', 'DIST-GGN-DEALING_ASSISTANT-1', '2026-05-12', '{"subject":"Subject 1","category":"general"}', 'DIST-GGN');
SELECT t.ev(1, 'DC-GGN/GEN/2026/000002', 'efile.create_file', 'EMP-100019', 'DIST-GGN-DEALING_ASSISTANT-1', '2026-04-10 10:00', 'on_desk', 'DIST-GGN-DEALING_ASSISTANT-1', '2026-04-21', '{"subject":"Subject 2","category":"establishment"}', 'DIST-GGN');
SELECT t.ev(1, 'DC-GGN/GEN/2026/000002', 'efile.add_note', 'EMP-100019', 'DIST-GGN-DEALING_ASSISTANT-1', '2026-04-11 10:00', NULL, NULL, NULL, '{"text":"note 1"}');
SELECT t.ev(1, 'DC-GGN/GEN/2026/000002', 'efile.forward', 'EMP-100019', 'DIST-GGN-DEALING_ASSISTANT-1', '2026-04-20 10:00', 'on_desk', 'DIST-GGN-SUPERINTENDENT', '2026-04-29', '{"to_post":"DIST-GGN-SUPERINTENDENT"}');
SELECT t.ev(1, 'DC-GGN/GEN/2026/000003', 'efile.create_file', 'EMP-100019', 'DIST-GGN-DEALING_ASSISTANT-1', '2026-03-20 10:00', 'on_desk', 'DIST-GGN-DEALING_ASSISTANT-1', '2026-03-31', '{"subject":"Subject 3","category":"accounts"}', 'DIST-GGN');
SELECT t.ev(1, 'DC-GGN/GEN/2026/000003', 'efile.forward', 'EMP-100019', 'DIST-GGN-DEALING_ASSISTANT-1', '2026-03-25 10:00', 'on_desk', 'DIST-GGN-SUPERINTENDENT', '2026-04-03', '{"to_post":"DIST-GGN-SUPERINTENDENT"}');
SELECT t.ev(1, 'DC-GGN/GEN/2026/000003', 'efile.forward', 'EMP-100018', 'DIST-GGN-SUPERINTENDENT', '2026-04-01 10:00', 'on_desk', 'DIST-GGN-CTM', '2026-04-10', '{"to_post":"DIST-GGN-CTM"}');
SELECT t.timer(1, 'DC-GGN/GEN/2026/000003', 'sla.breached', '2026-04-11 00:00', 1, 'DIST-GGN-ADC');
SELECT t.ev(1, 'DC-GGN/GEN/2026/000004', 'efile.create_file', 'EMP-100020', 'DIST-GGN-DEALING_ASSISTANT-2', '2026-04-13 10:00', 'on_desk', 'DIST-GGN-DEALING_ASSISTANT-2', '2026-04-22', '{"subject":"Subject 4","category":"general"}', 'DIST-GGN');
SELECT t.ev(1, 'DC-GGN/GEN/2026/000005', 'efile.create_file', 'EMP-100019', 'DIST-GGN-DEALING_ASSISTANT-1', '2026-04-27 10:00', 'on_desk', 'DIST-GGN-DEALING_ASSISTANT-1', '2026-05-06', '{"subject":"Subject 5","category":"general"}', 'DIST-GGN');
SELECT t.ev(1, 'DC-GGN/GEN/2026/000005', 'efile.park', 'EMP-100019', 'DIST-GGN-DEALING_ASSISTANT-1', '2026-04-28 10:00', 'parked', NULL, '', '{"reason":"awaiting report"}');
SELECT t.ev(1, 'DC-GGN/GEN/2026/000006', 'efile.create_file', 'EMP-100019', 'DIST-GGN-DEALING_ASSISTANT-1', '2026-04-27 11:00', 'on_desk', 'DIST-GGN-DEALING_ASSISTANT-1', '2026-05-06', '{"subject":"Subject 6","category":"rti"}', 'DIST-GGN');
SELECT t.ev(1, 'DC-GGN/GEN/2026/000006', 'efile.close', 'EMP-100019', 'DIST-GGN-DEALING_ASSISTANT-1', '2026-04-29 10:00', 'closed', '', '', '{}');
SELECT t.ev(1, 'DC-GGN/GEN/2026/000007', 'efile.create_file', 'EMP-100019', 'DIST-GGN-DEALING_ASSISTANT-1', '2026-05-04 09:00', 'on_desk', 'DIST-GGN-DEALING_ASSISTANT-1', '2026-05-13', '{"subject":"Subject 7","category":"general"}', 'DIST-GGN');
SELECT t.ev(1, 'DC-GGN/GEN/2026/000008', 'efile.create_file', 'EMP-100020', 'DIST-GGN-DEALING_ASSISTANT-2', '2026-04-20 10:00', 'on_desk', 'DIST-GGN-DEALING_ASSISTANT-2', '2026-04-29', '{"subject":"Subject 8","category":"general"}', 'DIST-GGN');
SELECT t.ev(1, 'DC-GGN/GEN/2026/000008', 'efile.forward', 'EMP-100020', 'DIST-GGN-DEALING_ASSISTANT-2', '2026-04-22 10:00', 'on_desk', 'DIST-GGN-SUPERINTENDENT', '2026-05-01', '{"to_post":"DIST-GGN-SUPERINTENDENT"}');
SELECT t.ev(1, 'DC-GGN/GEN/2026/000008', 'efile.pull_back', 'EMP-100020', 'DIST-GGN-DEALING_ASSISTANT-2', '2026-04-23 10:00', 'on_desk', 'DIST-GGN-DEALING_ASSISTANT-2', '2026-05-04', '{}');

-- ---------------- grievances (partition 2), lodged against Gurugram ----------------
SELECT t.ev(2, 'CMW/2026/000001', 'grievance.lodge', 'CIT-1', '', '2026-04-01 10:00', 'lodged', 'DIST-GGN-DC', '2026-04-22', '{"district":"DIST-GGN","name":"Citizen 1","category":"water","subject":"No water","description":"d","aadhaar":"XXXXXXXX1234"}', 'DIST-GGN');
SELECT t.ev(2, 'CMW/2026/000001', 'grievance.acknowledge', 'EMP-100012', 'DIST-GGN-DC', '2026-04-02 10:00', 'acknowledged');
SELECT t.ev(2, 'CMW/2026/000001', 'grievance.forward', 'EMP-100012', 'DIST-GGN-DC', '2026-04-03 10:00', 'forwarded', 'DIST-GGN-SDM-1', NULL, '{"to_post":"DIST-GGN-SDM-1"}');
SELECT t.ev(2, 'CMW/2026/000001', 'grievance.submit_atr', 'EMP-100016', 'DIST-GGN-SDM-1', '2026-04-10 10:00', 'atr_submitted', 'DIST-GGN-DC', NULL, '{"report":"fixed"}');
SELECT t.ev(2, 'CMW/2026/000001', 'grievance.resolve', 'EMP-100012', 'DIST-GGN-DC', '2026-04-11 10:00', 'resolved', NULL, '', '{"resolution":"pipeline repaired"}');
SELECT t.ev(2, 'CMW/2026/000001', 'grievance.rate', 'CIT-1', '', '2026-04-12 10:00', 'appealed', 'DIST-GGN-FAA', '2026-05-25', '{"rating":2}');
SELECT t.ev(2, 'CMW/2026/000002', 'grievance.lodge', 'CIT-2', '', '2026-04-05 10:00', 'lodged', 'DIST-GGN-DC', '2026-04-26', '{"district":"DIST-GGN","name":"Citizen 2","category":"municipal","subject":"Garbage","description":"d","family_id":"XXXXXXXX5678"}', 'DIST-GGN');
SELECT t.ev(2, 'CMW/2026/000002', 'grievance.acknowledge', 'EMP-100012', 'DIST-GGN-DC', '2026-04-06 10:00', 'acknowledged');
SELECT t.ev(2, 'CMW/2026/000002', 'grievance.forward', 'EMP-100012', 'DIST-GGN-DC', '2026-04-07 10:00', 'forwarded', 'DIST-GGN-SDM-1', NULL, '{"to_post":"DIST-GGN-SDM-1"}');
SELECT t.timer(2, 'CMW/2026/000002', 'sla.breached', '2026-04-27 00:00', 1, 'DIST-GGN-FAA', 'DIST-GGN-FAA');
SELECT t.ev(2, 'CMW/2026/000003', 'grievance.lodge', 'CIT-3', '', '2026-04-20 10:00', 'lodged', 'DIST-GGN-DC', '2026-05-11', '{"district":"DIST-GGN","name":"Citizen 3","category":"power","subject":"Street light","description":"d","aadhaar":"XXXXXXXX9012"}', 'DIST-GGN');
SELECT t.ev(2, 'CMW/2026/000004', 'grievance.lodge', 'CIT-4', '', '2026-04-01 10:00', 'lodged', 'DIST-GGN-DC', '2026-04-22', '{"district":"DIST-GGN","name":"Citizen 4","category":"other","subject":"Repeat","description":"d","aadhaar":"XXXXXXXX3456"}', 'DIST-GGN');
SELECT t.ev(2, 'CMW/2026/000004', 'grievance.acknowledge', 'EMP-100012', 'DIST-GGN-DC', '2026-04-01 12:00', 'acknowledged');
SELECT t.ev(2, 'CMW/2026/000004', 'grievance.reject', 'EMP-100012', 'DIST-GGN-DC', '2026-04-03 10:00', 'rejected', NULL, '', '{"reason":"duplicate","remarks":"see CMW/2026/000001"}');
SELECT t.ev(2, 'CMW/2026/000004', 'grievance.rate', 'CIT-4', '', '2026-04-04 10:00', 'closed', '', '', '{"rating":4}');

-- ---------------- hrms and appointments (partition 3) ----------------
-- The ADC of Gurugram (EMP-100014) is transferred to the DC's post: the seed DC is unposted.
SELECT t.ev(3, 'EMP-100014', 'hrms.transfer', 'EMP-100001', 'HR-SECT-HR_ADMIN', '2026-04-15 10:00', 'posted', '', '', '{"to_post":"DIST-GGN-DC","order_number":"HR/2026/15"}', 'HR-SECT');
SELECT t.ev(3, 'APT/2026/00000' || i, 'appointment.request', 'CIT-1' || i, '', '2026-04-28 10:00', 'requested', p, '2026-04-29',
            jsonb_build_object('office', 'DIST-GGN', 'officer_post', p, 'name', 'Citizen ' || i, 'mobile', '9876543210', 'purpose', 'meeting'), 'DIST-GGN')
FROM (VALUES (1, 'DIST-GGN-DC'), (2, 'DIST-GGN-DC'), (3, 'DIST-GGN-DC'), (4, 'DIST-GGN-DC'), (5, 'DIST-GGN-DC'), (6, 'DIST-GGN-CTM')) v(i, p);
SELECT t.ev(3, 'APT/2026/00000' || i, 'appointment.allot_slot', a, p, '2026-04-29 10:00', 'slot_allotted', NULL, '',
            jsonb_build_object('slot_date', d, 'slot_time', tm))
FROM (VALUES (1, 'EMP-100014', 'DIST-GGN-DC', '2026-05-06', '11:00'), (2, 'EMP-100014', 'DIST-GGN-DC', '2026-05-06', '10:30'),
             (3, 'EMP-100014', 'DIST-GGN-DC', '2026-05-05', '10:00'), (4, 'EMP-100014', 'DIST-GGN-DC', '2026-05-06', '12:30'),
             (5, 'EMP-100014', 'DIST-GGN-DC', '2026-05-04', '09:30'), (6, 'EMP-100015', 'DIST-GGN-CTM', '2026-05-06', '15:00')) v(i, a, p, d, tm);
SELECT t.ev(3, 'APT/2026/000001', 'appointment.confirm', 'CIT-11', '', '2026-04-30 10:00', 'confirmed', NULL, '2026-05-06');
SELECT t.ev(3, 'APT/2026/000003', 'appointment.reschedule', 'EMP-100014', 'DIST-GGN-DC', '2026-04-30 12:00', 'slot_allotted', NULL, '', '{"slot_date":"2026-05-06","slot_time":"12:00"}');
SELECT t.ev(3, 'APT/2026/000004', 'appointment.cancel', 'CIT-14', '', '2026-04-30 13:00', 'cancelled', '', '', '{}');
SELECT t.ev(3, 'APT/2026/000005', 'appointment.confirm', 'CIT-15', '', '2026-04-29 12:00', 'confirmed', NULL, '2026-05-04');
SELECT t.ev(3, 'APT/2026/000005', 'appointment.hold', 'EMP-100014', 'DIST-GGN-DC', '2026-05-04 10:00', 'held', '', '', '{"minutes":"heard"}');
EOF
}

# dump_projection: one md5 per projection table (found_at excluded: wall-clock), to compare two
# databases row by row.
dump_projection() {
    q "$@" <<'EOF2'
SELECT 'cases', md5(coalesce(string_agg(x::text, E'\n' ORDER BY x::text), '')) FROM pravah.cases x
UNION ALL SELECT 'transitions', md5(coalesce(string_agg(x::text, E'\n' ORDER BY x::text), '')) FROM pravah.transitions x
UNION ALL SELECT 'alerts', md5(coalesce(string_agg(x::text, E'\n' ORDER BY x::text), '')) FROM pravah.alerts x
UNION ALL SELECT 'works', md5(coalesce(string_agg(x::text, E'\n' ORDER BY x::text), '')) FROM pravah.works x
UNION ALL SELECT 'efiles', md5(coalesce(string_agg(x::text, E'\n' ORDER BY x::text), '')) FROM pravah.efiles x
UNION ALL SELECT 'grievances', md5(coalesce(string_agg(x::text, E'\n' ORDER BY x::text), '')) FROM pravah.grievances x
UNION ALL SELECT 'appointments', md5(coalesce(string_agg(x::text, E'\n' ORDER BY x::text), '')) FROM pravah.appointments x
UNION ALL SELECT 'court_cases', md5(coalesce(string_agg(x::text, E'\n' ORDER BY x::text), '')) FROM pravah.court_cases x
UNION ALL SELECT 'officers', md5(coalesce(string_agg(x::text, E'\n' ORDER BY x::text), '')) FROM pravah.officers x
UNION ALL SELECT 'partition_heads', md5(coalesce(string_agg(x::text, E'\n' ORDER BY x::text), '')) FROM pravah.partition_heads x
UNION ALL SELECT 'integrity_findings', md5(coalesce(string_agg(x::text, E'\n' ORDER BY x::text), ''))
    FROM (SELECT topic_partition, kafka_offset, kind, case_id, seq, pseq, existing_hash, new_hash, detail
          FROM pravah.integrity_findings) x;
EOF2
}
