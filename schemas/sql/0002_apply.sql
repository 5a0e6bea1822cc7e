-- 0002_apply.sql: pravah.apply_staging(), the projection of one batch of journal records.
-- Idempotent (CREATE OR REPLACE). See docs/PROJECTIONS.md, "apply_staging".
SET ROLE pravah_writer;

-- The last element of an array (NULL for NULL or empty): the newest value of an array_agg fed
-- in seq order.
CREATE OR REPLACE FUNCTION pravah.last(a anyarray) RETURNS anyelement
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS 'SELECT a[array_upper(a, 1)]';

-- Moves every row of pravah.staging_records into the projection and empties the staging table.
-- Returns the number of records applied (duplicates, forks and late records not counted).
--
-- One set-based statement for the whole batch, no per-row loop. Several records of one case in
-- a batch are applied in seq order (window functions over the case, aggregates fed in seq
-- order); the result is the same whether records arrive in one batch or one by one
-- (tests/pg/apply.sh checks it).
--
--   * copies of one (case_id, seq): the first by (topic_partition, kafka_offset) counts; a copy
--     with the same hash is a duplicate (ignored), a different hash is a fork
--     (integrity_findings kind 'fork' and an open alert 'integrity.fork'); likewise against
--     the records already applied;
--   * a record is applied when its seq is above its case's head; a record at or below the head
--     that was never seen (a gap filled late) is kept in transitions but changes nothing else
--     (finding 'case_chain');
--   * the case chain (seq, prev_hash) and the partition chain (pseq, phash = SHA-256(pprev ||
--     hash || uint64_be(pseq))) are checked; breaks are findings, never a stop;
--   * maintained: cases, transitions, alerts, works, efiles, grievances, appointments,
--     court_cases, officers (hrms postings), partition_heads, integrity_findings.
--
-- Plan stability: the planner cannot know how many rows of the batch survive each step, so the
-- function runs with enable_nestloop off (joins between the batch's sets are hash joins, never
-- a nested loop over a guessed-small set); lookups into the big tables are written as LATERAL
-- ... OFFSET 0 subqueries, subplans or = ANY(array) index conditions, which stay index probes.
-- JIT is off: compiling this statement costs far more than running it on a batch.
CREATE OR REPLACE FUNCTION pravah.apply_staging() RETURNS bigint
LANGUAGE plpgsql SET enable_nestloop = off SET jit = off AS $fn$
DECLARE
    applied bigint;
BEGIN
    WITH
    -- Every staged row with: its rank among the copies of its (case_id, seq) and the first
    -- copy's hash; its case as it was before the batch; for seqs at or below that head, the
    -- hash already applied; and what to do with it.
    s AS MATERIALIZED (
        SELECT q.*,
               q.rn = 1 AND q.old_hash IS NULL AND (q.old_seq IS NULL OR q.seq > q.old_seq)
                   AS applied,
               q.rn = 1 AND q.old_hash IS NULL AND q.seq <= q.old_seq AS late,
               NOT (q.rn = 1 AND q.old_hash IS NULL)
                   AND q.hash <> coalesce(q.old_hash, q.first_hash) AS fork
        FROM (
            SELECT r.*,
                   row_number() OVER w AS rn,
                   first_value(r.hash) OVER w AS first_hash,
                   pravah.jnum(r.data -> 'amount') AS amt,
                   k.seq AS old_seq, k.state AS old_state, k.assignee AS old_assignee,
                   k.deadline AS old_deadline, k.last_hash AS old_last_hash,
                   k.creator AS old_creator, k.creator_post AS old_creator_post,
                   k.created_at AS old_created_at, k.state_entered_at AS old_entered_at,
                   k.assigned_at AS old_assigned_at, k.amount AS old_amount,
                   k.closed_at AS old_closed_at,
                   CASE WHEN r.seq <= k.seq THEN
                       (SELECT t.hash FROM pravah.transitions t
                         WHERE t.case_id = r.case_id AND t.seq = r.seq) END AS old_hash
            FROM pravah.staging_records r
            LEFT JOIN LATERAL (
                SELECT c.seq, c.state, c.assignee, c.deadline, c.last_hash, c.creator,
                       c.creator_post, c.created_at, c.state_entered_at, c.assigned_at,
                       c.amount, c.closed_at
                FROM pravah.cases c WHERE c.case_id = r.case_id OFFSET 0) k ON true
            WINDOW w AS (PARTITION BY r.case_id, r.seq ORDER BY r.topic_partition, r.kafka_offset)
        ) q
    ),
    -- The applied records (narrow: no data), in seq order per case, with what each changes.
    n AS MATERIALIZED (
        SELECT x.*,
               x.prev_state = '' OR x.prev_state <> x.new_state
                   OR x.assignee <> x.prev_assignee AS moved,
               x.new_state IS DISTINCT FROM x.lag_state
                   OR x.dl IS DISTINCT FROM x.lag_dl AS chg,
               x.kind IN ('sla.breached', 'sla.escalated')
                   AND x.assignee <> x.prev_assignee AS reassigned
        FROM (
            SELECT s.topic_partition, s.kafka_offset, s.pseq, s.case_id, s.seq, s.case_type,
                   s.def_version, s.kind, s.event_type, s.actor, s.actor_post,
                   pravah.ms_ts(s.accepted_at_ms) AS at,
                   s.prev_state, s.new_state, s.assignee,
                   CASE WHEN s.deadline_ms <> 0 THEN pravah.ms_ts(s.deadline_ms) END AS dl,
                   s.alert_level, s.alert_target, s.office, s.hash, s.prev_hash,
                   s.old_seq, s.old_last_hash, s.old_creator, s.old_creator_post,
                   s.old_created_at, s.old_entered_at, s.old_assigned_at, s.old_amount,
                   s.old_closed_at,
                   coalesce(lag(s.assignee, 1, s.old_assignee) OVER c, '') AS prev_assignee,
                   lag(s.new_state, 1, s.old_state) OVER c AS lag_state,
                   lag(CASE WHEN s.deadline_ms <> 0 THEN pravah.ms_ts(s.deadline_ms) END, 1,
                       s.old_deadline) OVER c AS lag_dl,
                   lag(s.seq) OVER c AS lag_seq,
                   lag(s.hash) OVER c AS lag_hash,
                   array_agg(s.amt) FILTER (WHERE s.amt IS NOT NULL) OVER c AS amounts,
                   coalesce(ws.terminal, false) AS terminal
            FROM s
            LEFT JOIN pravah.workflow_states ws
                   ON ws.case_type = s.case_type AND ws.state = s.new_state
            WHERE s.applied
            WINDOW c AS (PARTITION BY s.case_id ORDER BY s.seq)
        ) x
    ),
    -- Per case, what the batch did (order-independent aggregates; the first reassignment's
    -- desk is picked by the smallest zero-padded seq prefix).
    cagg AS MATERIALIZED (
        SELECT n.case_id,
               max(n.seq) AS last_seq,
               min(n.at) AS first_at,
               max(n.at) FILTER (WHERE n.prev_state = '' OR n.prev_state <> n.new_state)
                   AS entered_at,
               max(n.at) FILTER (WHERE n.moved) AS moved_at,
               min(n.at) FILTER (WHERE n.seq = 1) AS created_at,
               min(n.actor) FILTER (WHERE n.seq = 1) AS creator,
               min(n.actor_post) FILTER (WHERE n.seq = 1) AS creator_post,
               min(n.at) FILTER (WHERE n.chg) AS first_change_at,
               count(*) FILTER (WHERE n.reassigned) AS reassigns,
               substr(min(lpad(n.seq::text, 20, '0') || n.prev_assignee)
                          FILTER (WHERE n.reassigned), 21) AS reassigned_from
        FROM n
        GROUP BY n.case_id
    ),
    -- The cases as they are after the batch: the last record of each, with the batch's results.
    cfin AS MATERIALIZED (
        SELECT l.case_id, l.case_type, l.def_version, l.new_state AS state, l.assignee, l.office,
               l.seq, l.hash AS last_hash,
               coalesce(l.old_creator, g.creator, '') AS creator,
               coalesce(l.old_creator_post, g.creator_post, '') AS creator_post,
               coalesce(l.old_created_at, g.created_at, g.first_at) AS created_at,
               l.at AS updated_at,
               coalesce(g.entered_at, l.old_entered_at, g.first_at) AS state_entered_at,
               coalesce(g.moved_at, l.old_assigned_at, g.first_at) AS assigned_at,
               l.dl AS deadline,
               coalesce(pravah.last(l.amounts), l.old_amount) AS amount,
               l.terminal AS closed,
               CASE WHEN l.terminal THEN coalesce(l.old_closed_at, g.entered_at, l.at) END
                   AS closed_at,
               l.old_seq IS NOT NULL AS existed, g.first_change_at, g.reassigns,
               g.reassigned_from
        FROM n l
        JOIN cagg g ON g.case_id = l.case_id AND g.last_seq = l.seq
    ),
    up_cases AS (
        INSERT INTO pravah.cases AS c (case_id, case_type, def_version, state, assignee, office,
            seq, last_hash, creator, creator_post, created_at, updated_at, state_entered_at,
            assigned_at, deadline, amount, closed, closed_at)
        SELECT case_id, case_type, def_version, state, assignee, office, seq, last_hash, creator,
               creator_post, created_at, updated_at, state_entered_at, assigned_at, deadline,
               amount, closed, closed_at
        FROM cfin
        ON CONFLICT (case_id) DO UPDATE SET
            case_type = excluded.case_type, def_version = excluded.def_version,
            state = excluded.state, assignee = excluded.assignee, office = excluded.office,
            seq = excluded.seq, last_hash = excluded.last_hash, creator = excluded.creator,
            creator_post = excluded.creator_post, created_at = excluded.created_at,
            updated_at = excluded.updated_at, state_entered_at = excluded.state_entered_at,
            assigned_at = excluded.assigned_at, deadline = excluded.deadline,
            amount = excluded.amount, closed = excluded.closed, closed_at = excluded.closed_at
    ),
    -- History: the applied records, and records at or below the head seen for the first time.
    ins_transitions AS (
        INSERT INTO pravah.transitions (case_id, seq, case_type, def_version, kind, event_id,
            event_type, source, actor, actor_post, actor_role, event_time, accepted_at,
            prev_state, new_state, assignee, deadline, alert_level, alert_target, data, office,
            hash, prev_hash, topic_partition, kafka_offset, pseq, phash)
        SELECT s.case_id, s.seq, s.case_type, s.def_version, s.kind, s.event_id, s.event_type,
               s.source, s.actor, s.actor_post, s.actor_role, s.event_time,
               pravah.ms_ts(s.accepted_at_ms), s.prev_state, s.new_state, s.assignee,
               CASE WHEN s.deadline_ms <> 0 THEN pravah.ms_ts(s.deadline_ms) END,
               s.alert_level, s.alert_target, s.data, s.office, s.hash, s.prev_hash,
               s.topic_partition, s.kafka_offset, s.pseq, s.phash
        FROM s
        WHERE s.applied OR s.late
    ),
    -- Partition chain, in offset order per partition (narrow rows only).
    pc AS MATERIALIZED (
        SELECT r.topic_partition, r.kafka_offset, r.case_id, r.seq, r.pseq, r.hash, r.phash,
               r.accepted_at_ms,
               coalesce(lag(r.pseq) OVER p, h.pseq, CASE WHEN r.pseq = 1 THEN 0 END) AS lp,
               coalesce(lag(r.phash) OVER p, h.phash,
                        CASE WHEN r.pseq = 1 THEN
                            '\x0000000000000000000000000000000000000000000000000000000000000000'::bytea
                        END) AS lph,
               max(r.pseq) OVER pa AS maxp
        FROM pravah.staging_records r
        LEFT JOIN pravah.partition_heads h ON h.topic_partition = r.topic_partition
        WINDOW p AS (PARTITION BY r.topic_partition ORDER BY r.kafka_offset),
               pa AS (PARTITION BY r.topic_partition)
    ),
    up_heads AS (
        INSERT INTO pravah.partition_heads AS h (topic_partition, pseq, phash, kafka_offset,
                                                 accepted_at)
        SELECT DISTINCT ON (pc.topic_partition) pc.topic_partition, pc.pseq, pc.phash,
               pc.kafka_offset, pravah.ms_ts(pc.accepted_at_ms)
        FROM pc WHERE pc.pseq = pc.maxp
        ORDER BY pc.topic_partition, pc.kafka_offset DESC
        ON CONFLICT (topic_partition) DO UPDATE SET
            pseq = excluded.pseq, phash = excluded.phash, kafka_offset = excluded.kafka_offset,
            accepted_at = excluded.accepted_at
        WHERE excluded.pseq >= h.pseq
    ),
    findings AS (
        INSERT INTO pravah.integrity_findings (topic_partition, kafka_offset, kind, case_id, seq,
            pseq, existing_hash, new_hash, detail)
        -- forks: a different record for a known (case_id, seq)
        SELECT s.topic_partition, s.kafka_offset, 'fork', s.case_id, s.seq, s.pseq,
               coalesce(s.old_hash, s.first_hash), s.hash,
               'a different record for a known (case_id, seq): '
               || CASE WHEN s.old_hash IS NOT NULL THEN 'already applied'
                       ELSE 'earlier in the batch' END
        FROM s
        WHERE s.fork
        UNION ALL
        -- the case chain of the applied records
        SELECT x.topic_partition, x.kafka_offset, 'case_chain', x.case_id, x.seq, x.pseq,
               x.expect, x.prev_hash,
               CASE WHEN x.expect IS NULL
                    THEN 'seq ' || x.seq || ' follows seq ' || coalesce(x.before, 0)
                    ELSE 'prev_hash is not the hash of seq ' || (x.seq - 1) END
        FROM (SELECT n.topic_partition, n.kafka_offset, n.case_id, n.seq, n.pseq, n.prev_hash,
                     coalesce(n.lag_seq, n.old_seq) AS before,
                     CASE WHEN n.lag_seq IS NOT NULL THEN
                              CASE WHEN n.lag_seq = n.seq - 1 THEN n.lag_hash END
                          WHEN n.old_seq IS NOT NULL THEN
                              CASE WHEN n.old_seq = n.seq - 1 THEN n.old_last_hash END
                          WHEN n.seq = 1 THEN
                              '\x0000000000000000000000000000000000000000000000000000000000000000'::bytea
                     END AS expect
              FROM n) x
        WHERE x.expect IS NULL OR x.expect <> x.prev_hash
        UNION ALL
        -- records at or below the head seen for the first time
        SELECT s.topic_partition, s.kafka_offset, 'case_chain', s.case_id, s.seq, s.pseq,
               NULL, s.prev_hash,
               'seq ' || s.seq || ' arrived after seq ' || s.old_seq
               || ': kept in transitions, not applied'
        FROM s
        WHERE s.late
        UNION ALL
        -- the partition chain (an exact copy of the previous record is a duplicate delivery)
        SELECT pc.topic_partition, pc.kafka_offset, 'partition_chain', pc.case_id, pc.seq,
               pc.pseq, pc.lph, pc.phash,
               CASE WHEN pc.pseq <> pc.lp + 1 THEN 'pseq ' || pc.pseq || ' follows pseq ' || pc.lp
                    ELSE 'phash does not continue the partition chain' END
        FROM pc
        WHERE pc.lp IS NOT NULL
          AND NOT (pc.pseq = pc.lp AND pc.phash = pc.lph)
          AND (pc.pseq <> pc.lp + 1
               OR pc.phash <> sha256(pc.lph || pc.hash || int8send(pc.pseq)))
        ON CONFLICT DO NOTHING
    ),
    -- Alerts raised by the timer records of the batch (closed by the first later record of the
    -- batch that leaves their state or deadline), and fork alerts.
    ins_alerts AS (
        INSERT INTO pravah.alerts (case_id, seq, kind, level, target, state, deadline, raised_at,
                                   closed_at)
        SELECT a.case_id, a.seq, a.kind, a.alert_level, a.alert_target, a.new_state, a.dl, a.at,
               min(b.at)
        FROM n a
        LEFT JOIN n b ON b.case_id = a.case_id AND b.seq > a.seq AND b.chg
        WHERE a.kind <> 'event'
        GROUP BY a.case_id, a.seq, a.kind, a.alert_level, a.alert_target, a.new_state, a.dl, a.at
        UNION ALL
        SELECT * FROM (
            SELECT DISTINCT ON (s.case_id, s.seq) s.case_id, s.seq, 'integrity.fork', 0, '',
                   s.new_state, NULL::timestamptz, pravah.ms_ts(s.accepted_at_ms),
                   NULL::timestamptz
            FROM s
            WHERE s.fork
            ORDER BY s.case_id, s.seq, s.topic_partition, s.kafka_offset) forks
        ON CONFLICT DO NOTHING
    ),
    -- SLA alerts open before the batch were raised for their case's state and deadline as they
    -- were before it: they close at the first record of the batch that changes either.
    close_alerts AS (
        UPDATE pravah.alerts a
        SET closed_at = ((SELECT jsonb_object_agg(f.case_id, f.first_change_at) FROM cfin f
                           WHERE f.existed AND f.first_change_at IS NOT NULL)
                         ->> a.case_id)::timestamptz
        WHERE a.case_id = ANY ((SELECT array_agg(f.case_id) FROM cfin f
                                 WHERE f.existed AND f.first_change_at IS NOT NULL)::text[])
          AND a.closed_at IS NULL AND a.kind LIKE 'sla.%'
    ),
    -- ---- works ----
    wk AS (
        SELECT d.case_id,
            pravah.last(array_agg(d.data ->> 'name')
                FILTER (WHERE d.event_type = 'works.submit_estimate' AND d.data ? 'name')) AS name,
            pravah.last(array_agg(pravah.jint(d.data -> 'ward'))
                FILTER (WHERE d.event_type = 'works.submit_estimate' AND d.data ? 'ward')) AS ward,
            pravah.last(array_agg(d.data ->> 'scheme')
                FILTER (WHERE d.event_type = 'works.submit_estimate' AND d.data ? 'scheme')) AS scheme,
            pravah.last(array_agg(pravah.jnum(d.data -> 'amount'))
                FILTER (WHERE d.event_type IN ('works.submit_estimate', 'works.resubmit_estimate')
                          AND d.data ? 'amount')) AS estimate_amount,
            pravah.last(array_agg(pravah.jnum(d.data -> 'quantity'))
                FILTER (WHERE d.event_type IN ('works.submit_estimate', 'works.resubmit_estimate',
                                               'works.resubmit_for_ts')
                          AND d.data ? 'quantity')) AS estimate_qty,
            pravah.last(array_agg(pravah.jnum(d.data -> 'amount'))
                FILTER (WHERE d.event_type = 'works.grant_aa')) AS aa_amount,
            pravah.last(array_agg(pravah.jnum(d.data -> 'amount'))
                FILTER (WHERE d.event_type = 'works.grant_fs')) AS fs_amount,
            pravah.last(array_agg(pravah.jnum(d.data -> 'amount'))
                FILTER (WHERE d.event_type = 'works.grant_ts')) AS ts_amount,
            pravah.last(array_agg(pravah.jnum(d.data -> 'contract_amount'))
                FILTER (WHERE d.event_type = 'works.allot_work')) AS contract_amount,
            pravah.last(array_agg(d.data ->> 'contractor')
                FILTER (WHERE d.event_type = 'works.allot_work')) AS contractor,
            pravah.last(array_agg(d.data ->> 'agreement_number')
                FILTER (WHERE d.event_type = 'works.allot_work')) AS agreement_number,
            pravah.last(array_agg(pravah.jdate(d.data -> 'planned_completion'))
                FILTER (WHERE d.event_type = 'works.allot_work')) AS planned_completion,
            min(pravah.local_date(pravah.ms_ts(d.accepted_at_ms)))
                FILTER (WHERE d.new_state = 'completed' AND d.prev_state <> 'completed')
                AS actual_completion,
            coalesce(sum(pravah.jnum(d.data -> 'quantity'))
                FILTER (WHERE d.event_type = 'works.record_mb'), 0) AS measured_qty,
            count(*) FILTER (WHERE d.event_type = 'works.record_mb') AS mb_entries,
            count(*) FILTER (WHERE d.event_type = 'works.inspect') AS inspections,
            pravah.last(array_agg(d.data ->> 'result')
                FILTER (WHERE d.event_type = 'works.inspect')) AS last_inspection,
            coalesce(sum(pravah.jnum(d.data -> 'amount'))
                FILTER (WHERE d.event_type IN ('works.submit_running_bill',
                                               'works.submit_final_bill')), 0) AS billed_amount,
            coalesce(sum(pravah.jnum(d.data -> 'amount'))
                FILTER (WHERE d.event_type IN ('works.pay_bill', 'works.pay_final_bill')), 0)
                AS paid_amount,
            count(*) FILTER (WHERE d.event_type IN ('works.return_aa', 'works.return_fs',
                                                    'works.return_ts')) AS returns
        FROM (SELECT * FROM s WHERE s.applied AND s.case_type = 'works'
              ORDER BY s.case_id, s.seq) d
        GROUP BY d.case_id
    ),
    up_works AS (
        INSERT INTO pravah.works AS w (case_id, ulb, ulb_name, ulb_kind, district, name, ward,
            scheme, estimate_amount, estimate_qty, aa_amount, fs_amount, ts_amount,
            contract_amount, contractor, agreement_number, planned_completion, actual_completion,
            measured_qty, mb_entries, inspections, last_inspection, billed_amount, paid_amount,
            returns, stage)
        SELECT wk.case_id, f.office, o.name, o.kind, o.district, wk.name, wk.ward, wk.scheme,
               wk.estimate_amount, wk.estimate_qty, wk.aa_amount, wk.fs_amount, wk.ts_amount,
               wk.contract_amount, wk.contractor, wk.agreement_number, wk.planned_completion,
               wk.actual_completion, wk.measured_qty, wk.mb_entries, wk.inspections,
               wk.last_inspection, wk.billed_amount, wk.paid_amount, wk.returns,
               coalesce(ws.stage, f.state)
        FROM wk
        JOIN cfin f ON f.case_id = wk.case_id
        LEFT JOIN pravah.offices o ON o.office_id = f.office
        LEFT JOIN pravah.workflow_states ws ON ws.case_type = 'works' AND ws.state = f.state
        ON CONFLICT (case_id) DO UPDATE SET
            ulb = excluded.ulb,
            ulb_name = coalesce(excluded.ulb_name, w.ulb_name),
            ulb_kind = coalesce(excluded.ulb_kind, w.ulb_kind),
            district = coalesce(excluded.district, w.district),
            name = coalesce(excluded.name, w.name),
            ward = coalesce(excluded.ward, w.ward),
            scheme = coalesce(excluded.scheme, w.scheme),
            estimate_amount = coalesce(excluded.estimate_amount, w.estimate_amount),
            estimate_qty = coalesce(excluded.estimate_qty, w.estimate_qty),
            aa_amount = coalesce(excluded.aa_amount, w.aa_amount),
            fs_amount = coalesce(excluded.fs_amount, w.fs_amount),
            ts_amount = coalesce(excluded.ts_amount, w.ts_amount),
            contract_amount = coalesce(excluded.contract_amount, w.contract_amount),
            contractor = coalesce(excluded.contractor, w.contractor),
            agreement_number = coalesce(excluded.agreement_number, w.agreement_number),
            planned_completion = coalesce(excluded.planned_completion, w.planned_completion),
            actual_completion = coalesce(w.actual_completion, excluded.actual_completion),
            measured_qty = w.measured_qty + excluded.measured_qty,
            mb_entries = w.mb_entries + excluded.mb_entries,
            inspections = w.inspections + excluded.inspections,
            last_inspection = coalesce(excluded.last_inspection, w.last_inspection),
            billed_amount = w.billed_amount + excluded.billed_amount,
            paid_amount = w.paid_amount + excluded.paid_amount,
            returns = w.returns + excluded.returns,
            stage = excluded.stage
    ),
    -- ---- e-Office files ----
    ef AS (
        SELECT d.case_id,
            pravah.last(array_agg(d.data ->> 'subject')
                FILTER (WHERE d.event_type = 'efile.create_file')) AS subject,
            pravah.last(array_agg(d.data ->> 'category')
                FILTER (WHERE d.event_type = 'efile.create_file')) AS category,
            min(d.actor) FILTER (WHERE d.event_type = 'efile.create_file') AS created_by,
            min(d.actor_post) FILTER (WHERE d.event_type = 'efile.create_file') AS created_post,
            min(pravah.ms_ts(d.accepted_at_ms)) FILTER (WHERE d.event_type = 'efile.create_file')
                AS created_at,
            count(*) FILTER (WHERE d.event_type = 'efile.park') AS parked_count,
            count(*) FILTER (WHERE d.event_type = 'efile.forward') AS movements,
            count(*) FILTER (WHERE d.event_type = 'efile.add_note') AS notes,
            count(*) FILTER (WHERE d.event_type = 'efile.attach_receipt') AS receipts,
            pravah.last(array_agg(d.actor) FILTER (WHERE d.event_type = 'efile.close')) AS closed_by,
            pravah.last(array_agg(d.actor_post) FILTER (WHERE d.event_type = 'efile.close'))
                AS closed_post,
            max(pravah.ms_ts(d.accepted_at_ms)) FILTER (WHERE d.event_type = 'efile.close')
                AS closed_at
        FROM (SELECT * FROM s WHERE s.applied AND s.case_type = 'efile'
              ORDER BY s.case_id, s.seq) d
        GROUP BY d.case_id
    ),
    up_efiles AS (
        INSERT INTO pravah.efiles AS e (case_id, office, subject, category, created_by,
            created_post, created_at, desk, desk_since, parked, parked_count, movements, notes,
            receipts, closed_by, closed_post, closed_at)
        SELECT ef.case_id, f.office, ef.subject, ef.category, ef.created_by, ef.created_post,
               ef.created_at, f.assignee, f.assigned_at, f.state = 'parked', ef.parked_count,
               ef.movements, ef.notes, ef.receipts, ef.closed_by, ef.closed_post, ef.closed_at
        FROM ef JOIN cfin f ON f.case_id = ef.case_id
        ON CONFLICT (case_id) DO UPDATE SET
            office = excluded.office,
            subject = coalesce(excluded.subject, e.subject),
            category = coalesce(excluded.category, e.category),
            created_by = coalesce(e.created_by, excluded.created_by),
            created_post = coalesce(e.created_post, excluded.created_post),
            created_at = coalesce(e.created_at, excluded.created_at),
            desk = excluded.desk, desk_since = excluded.desk_since, parked = excluded.parked,
            parked_count = e.parked_count + excluded.parked_count,
            movements = e.movements + excluded.movements,
            notes = e.notes + excluded.notes,
            receipts = e.receipts + excluded.receipts,
            closed_by = coalesce(excluded.closed_by, e.closed_by),
            closed_post = coalesce(excluded.closed_post, e.closed_post),
            closed_at = coalesce(excluded.closed_at, e.closed_at)
    ),
    -- ---- grievances ----
    gr AS (
        SELECT d.case_id,
            pravah.last(array_agg(d.data ->> 'category')
                FILTER (WHERE d.event_type = 'grievance.lodge')) AS category,
            pravah.last(array_agg(d.data ->> 'subject')
                FILTER (WHERE d.event_type = 'grievance.lodge')) AS subject,
            min(d.actor) FILTER (WHERE d.event_type = 'grievance.lodge') AS lodged_by,
            min(pravah.ms_ts(d.accepted_at_ms)) FILTER (WHERE d.event_type = 'grievance.lodge')
                AS lodged_at,
            min(pravah.ms_ts(d.accepted_at_ms)) FILTER (WHERE d.kind = 'sla.breached')
                AS breached_at,
            count(*) FILTER (WHERE d.event_type = 'grievance.transfer') AS transfers,
            count(*) FILTER (WHERE d.event_type = 'grievance.return_atr') AS atr_returns,
            pravah.last(array_agg(CASE d.event_type WHEN 'grievance.resolve' THEN 'resolved'
                                                    ELSE 'rejected' END)
                FILTER (WHERE d.event_type IN ('grievance.resolve', 'grievance.reject')))
                AS disposal,
            pravah.last(array_agg(d.actor)
                FILTER (WHERE d.event_type IN ('grievance.resolve', 'grievance.reject')))
                AS disposed_by,
            pravah.last(array_agg(d.actor_post)
                FILTER (WHERE d.event_type IN ('grievance.resolve', 'grievance.reject')))
                AS disposed_post,
            max(pravah.ms_ts(d.accepted_at_ms))
                FILTER (WHERE d.event_type IN ('grievance.resolve', 'grievance.reject'))
                AS disposed_at,
            pravah.last(array_agg(pravah.jint(d.data -> 'rating'))
                FILTER (WHERE d.event_type = 'grievance.rate')) AS rating,
            count(*) FILTER (WHERE d.event_type = 'grievance.rate'
                               AND pravah.jint(d.data -> 'rating') <= 2) AS appeals
        FROM (SELECT * FROM s WHERE s.applied AND s.case_type = 'grievance'
              ORDER BY s.case_id, s.seq) d
        GROUP BY d.case_id
    ),
    up_grievances AS (
        INSERT INTO pravah.grievances AS g (case_id, office, category, subject, lodged_by,
            lodged_at, with_post, sla_due, breached_at, auto_appeals, auto_appealed_from,
            transfers, atr_returns, disposal, disposed_by, disposed_post, disposed_at, rating,
            appeals, closed, closed_at)
        SELECT gr.case_id, f.office, gr.category, gr.subject, gr.lodged_by, gr.lodged_at,
               f.assignee, f.deadline, gr.breached_at, f.reassigns, f.reassigned_from,
               gr.transfers, gr.atr_returns, gr.disposal, gr.disposed_by, gr.disposed_post,
               gr.disposed_at, gr.rating, gr.appeals, f.closed, f.closed_at
        FROM gr JOIN cfin f ON f.case_id = gr.case_id
        ON CONFLICT (case_id) DO UPDATE SET
            office = excluded.office,
            category = coalesce(excluded.category, g.category),
            subject = coalesce(excluded.subject, g.subject),
            lodged_by = coalesce(g.lodged_by, excluded.lodged_by),
            lodged_at = coalesce(g.lodged_at, excluded.lodged_at),
            with_post = excluded.with_post, sla_due = excluded.sla_due,
            breached_at = coalesce(g.breached_at, excluded.breached_at),
            auto_appeals = g.auto_appeals + excluded.auto_appeals,
            auto_appealed_from = coalesce(g.auto_appealed_from, excluded.auto_appealed_from),
            transfers = g.transfers + excluded.transfers,
            atr_returns = g.atr_returns + excluded.atr_returns,
            disposal = coalesce(excluded.disposal, g.disposal),
            disposed_by = coalesce(excluded.disposed_by, g.disposed_by),
            disposed_post = coalesce(excluded.disposed_post, g.disposed_post),
            disposed_at = coalesce(excluded.disposed_at, g.disposed_at),
            rating = coalesce(excluded.rating, g.rating),
            appeals = g.appeals + excluded.appeals,
            closed = excluded.closed, closed_at = excluded.closed_at
    ),
    -- ---- appointments ----
    ap AS (
        SELECT d.case_id,
            pravah.last(array_agg(d.data ->> 'officer_post')
                FILTER (WHERE d.event_type = 'appointment.request')) AS officer_post,
            min(d.actor) FILTER (WHERE d.event_type = 'appointment.request') AS citizen,
            pravah.last(array_agg(d.data ->> 'name')
                FILTER (WHERE d.event_type = 'appointment.request')) AS name,
            pravah.last(array_agg(d.data ->> 'purpose')
                FILTER (WHERE d.event_type = 'appointment.request')) AS purpose,
            pravah.last(array_agg(d.data ->> 'mode')
                FILTER (WHERE d.event_type = 'appointment.request' AND d.data ? 'mode')) AS mode,
            min(pravah.ms_ts(d.accepted_at_ms)) FILTER (WHERE d.event_type = 'appointment.request')
                AS requested_at,
            pravah.last(array_agg(pravah.jdate(d.data -> 'preferred_date'))
                FILTER (WHERE d.event_type IN ('appointment.request',
                                               'appointment.request_reschedule')
                          AND d.data ? 'preferred_date')) AS preferred_date,
            pravah.last(array_agg(pravah.jdate(d.data -> 'slot_date'))
                FILTER (WHERE d.event_type IN ('appointment.allot_slot', 'appointment.reschedule')))
                AS slot_date,
            pravah.last(array_agg(d.data ->> 'slot_time')
                FILTER (WHERE d.event_type IN ('appointment.allot_slot', 'appointment.reschedule')))
                AS slot_time,
            pravah.last(array_agg(d.data ->> 'venue')
                FILTER (WHERE d.event_type IN ('appointment.allot_slot', 'appointment.reschedule')
                          AND d.data ? 'venue')) AS venue,
            count(*) FILTER (WHERE d.event_type IN ('appointment.reschedule',
                                                    'appointment.request_reschedule'))
                AS reschedules,
            max(pravah.ms_ts(d.accepted_at_ms))
                FILTER (WHERE d.new_state IN ('held', 'no_show', 'cancelled')) AS outcome_at
        FROM (SELECT * FROM s WHERE s.applied AND s.case_type = 'appointment'
              ORDER BY s.case_id, s.seq) d
        GROUP BY d.case_id
    ),
    up_appointments AS (
        INSERT INTO pravah.appointments AS a (case_id, office, officer_post, citizen, name,
            purpose, mode, requested_at, preferred_date, slot_date, slot_time, venue,
            reschedules, state, outcome_at)
        SELECT ap.case_id, f.office, ap.officer_post, ap.citizen, ap.name, ap.purpose, ap.mode,
               ap.requested_at, ap.preferred_date, ap.slot_date, ap.slot_time, ap.venue,
               ap.reschedules, f.state, ap.outcome_at
        FROM ap JOIN cfin f ON f.case_id = ap.case_id
        ON CONFLICT (case_id) DO UPDATE SET
            office = excluded.office,
            officer_post = coalesce(excluded.officer_post, a.officer_post),
            citizen = coalesce(a.citizen, excluded.citizen),
            name = coalesce(excluded.name, a.name),
            purpose = coalesce(excluded.purpose, a.purpose),
            mode = coalesce(excluded.mode, a.mode),
            requested_at = coalesce(a.requested_at, excluded.requested_at),
            preferred_date = coalesce(excluded.preferred_date, a.preferred_date),
            slot_date = coalesce(excluded.slot_date, a.slot_date),
            slot_time = coalesce(excluded.slot_time, a.slot_time),
            venue = coalesce(excluded.venue, a.venue),
            reschedules = a.reschedules + excluded.reschedules,
            state = excluded.state,
            outcome_at = coalesce(excluded.outcome_at, a.outcome_at)
    ),
    -- ---- litigation ----
    lt AS (
        SELECT d.case_id,
            pravah.last(array_agg(d.data ->> 'case_number')
                FILTER (WHERE d.event_type = 'litigation.register')) AS case_number,
            pravah.last(array_agg(d.data ->> 'court')
                FILTER (WHERE d.event_type = 'litigation.register')) AS court,
            pravah.last(array_agg(d.data ->> 'petitioner')
                FILTER (WHERE d.event_type = 'litigation.register')) AS petitioner,
            pravah.last(array_agg(d.data ->> 'subject')
                FILTER (WHERE d.event_type = 'litigation.register' AND d.data ? 'subject'))
                AS subject,
            min(pravah.ms_ts(d.accepted_at_ms)) FILTER (WHERE d.event_type = 'litigation.register')
                AS registered_at,
            pravah.last(array_agg(pravah.jdate(d.data -> 'next_hearing'))
                FILTER (WHERE d.event_type IN ('litigation.register', 'litigation.file_reply',
                                               'litigation.record_hearing')
                          AND d.data ? 'next_hearing')) AS next_hearing,
            pravah.last(array_agg(pravah.jdate(d.data -> 'reply_due'))
                FILTER (WHERE d.event_type = 'litigation.assign_nodal')) AS reply_due,
            pravah.last(array_agg(pravah.jdate(d.data -> 'filed_on'))
                FILTER (WHERE d.event_type = 'litigation.file_reply')) AS reply_filed_on,
            count(*) FILTER (WHERE d.event_type = 'litigation.record_hearing') AS hearings,
            pravah.last(array_agg(pravah.jdate(d.data -> 'order_date'))
                FILTER (WHERE d.event_type IN ('litigation.record_order',
                                               'litigation.extend_compliance'))) AS order_date,
            pravah.last(array_agg(d.data ->> 'outcome')
                FILTER (WHERE d.event_type = 'litigation.record_order')) AS outcome,
            pravah.last(array_agg(pravah.jdate(d.data -> 'compliance_due'))
                FILTER (WHERE d.event_type IN ('litigation.record_order',
                                               'litigation.extend_compliance')
                          AND d.data ? 'compliance_due')) AS compliance_due,
            count(*) FILTER (WHERE d.event_type = 'litigation.extend_compliance') AS extensions,
            pravah.last(array_agg(pravah.jdate(d.data -> 'complied_on'))
                FILTER (WHERE d.event_type = 'litigation.comply')) AS complied_on,
            pravah.last(array_agg(d.data ->> 'appeal_number')
                FILTER (WHERE d.event_type = 'litigation.appeal')) AS appeal_number
        FROM (SELECT * FROM s WHERE s.applied AND s.case_type = 'litigation'
              ORDER BY s.case_id, s.seq) d
        GROUP BY d.case_id
    ),
    up_court_cases AS (
        INSERT INTO pravah.court_cases AS l (case_id, office, case_number, court, petitioner,
            subject, registered_at, next_hearing, reply_due, reply_filed_on, hearings,
            order_date, outcome, compliance_due, extensions, complied_on, appeal_number, state,
            with_post)
        SELECT lt.case_id, f.office, lt.case_number, lt.court, lt.petitioner, lt.subject,
               lt.registered_at, lt.next_hearing, lt.reply_due, lt.reply_filed_on, lt.hearings,
               lt.order_date, lt.outcome, lt.compliance_due, lt.extensions, lt.complied_on,
               lt.appeal_number, f.state, f.assignee
        FROM lt JOIN cfin f ON f.case_id = lt.case_id
        ON CONFLICT (case_id) DO UPDATE SET
            office = excluded.office,
            case_number = coalesce(excluded.case_number, l.case_number),
            court = coalesce(excluded.court, l.court),
            petitioner = coalesce(excluded.petitioner, l.petitioner),
            subject = coalesce(excluded.subject, l.subject),
            registered_at = coalesce(l.registered_at, excluded.registered_at),
            next_hearing = coalesce(excluded.next_hearing, l.next_hearing),
            reply_due = coalesce(excluded.reply_due, l.reply_due),
            reply_filed_on = coalesce(excluded.reply_filed_on, l.reply_filed_on),
            hearings = l.hearings + excluded.hearings,
            order_date = coalesce(excluded.order_date, l.order_date),
            outcome = coalesce(excluded.outcome, l.outcome),
            compliance_due = coalesce(excluded.compliance_due, l.compliance_due),
            extensions = l.extensions + excluded.extensions,
            complied_on = coalesce(excluded.complied_on, l.complied_on),
            appeal_number = coalesce(excluded.appeal_number, l.appeal_number),
            state = excluded.state, with_post = excluded.with_post
    ),
    -- ---- hrms: postings change who holds a post ----
    hr AS (
        SELECT d.case_id,
            pravah.last(array_agg(CASE d.event_type WHEN 'hrms.appoint' THEN d.data ->> 'post'
                                                    WHEN 'hrms.transfer' THEN d.data ->> 'to_post'
                                  END)
                FILTER (WHERE d.event_type IN ('hrms.appoint', 'hrms.transfer', 'hrms.relieve',
                                               'hrms.retire'))) AS post,
            max(pravah.ms_ts(d.accepted_at_ms))
                FILTER (WHERE d.event_type IN ('hrms.appoint', 'hrms.transfer', 'hrms.relieve',
                                               'hrms.retire')) AS posted_at,
            pravah.last(array_agg(d.data ->> 'name')
                FILTER (WHERE d.event_type = 'hrms.appoint' AND d.data ? 'name')) AS name
        FROM (SELECT * FROM s WHERE s.applied AND s.case_type = 'hrms'
              ORDER BY s.case_id, s.seq) d
        GROUP BY d.case_id
    ),
    up_officers AS (
        INSERT INTO pravah.officers AS o (officer_id, name, post, posted_at, source)
        SELECT hr.case_id, coalesce(hr.name, ''), hr.post, hr.posted_at, 'hrms'
        FROM hr WHERE hr.posted_at IS NOT NULL
        ON CONFLICT (officer_id) DO UPDATE SET
            name = CASE WHEN excluded.name <> '' THEN excluded.name ELSE o.name END,
            post = excluded.post, posted_at = excluded.posted_at, source = 'hrms'
    )
    SELECT count(*) INTO applied FROM n;

    -- Empty the staging table: TRUNCATE when nothing else uses it (the common case), else
    -- delete the rows this transaction sees (its own), never waiting for a lock: another
    -- session may be staging its own batch, or the calling query may be reading the table.
    BEGIN
        LOCK TABLE pravah.staging_records IN ACCESS EXCLUSIVE MODE NOWAIT;
        TRUNCATE pravah.staging_records;
    EXCEPTION WHEN lock_not_available OR object_in_use THEN
        DELETE FROM pravah.staging_records;
    END;
    RETURN applied;
END
$fn$;

REVOKE ALL ON FUNCTION pravah.apply_staging() FROM PUBLIC;

RESET ROLE;
INSERT INTO pravah.schema_migrations (version) VALUES ('0002') ON CONFLICT DO NOTHING;
