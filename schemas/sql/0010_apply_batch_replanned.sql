-- 0010_apply_batch_replanned.sql: apply_batch() plans its two UPDATEs at every call.
--
-- plpgsql keeps the plan of a statement without parameters for the life of the session. The
-- projector's writer connection prepares apply_batch() on an empty projection (it warms up at
-- start), so the UPDATE of pravah.cases kept the plan made for an empty table, a hash join
-- over a sequential scan of every case. Measured on 300,000 cases: 128-141 ms for a batch
-- that updates two of them, growing with the table, until something made PostgreSQL plan again
-- (an ANALYZE of pravah.cases). Planned at each call (EXECUTE, ~0.5 ms), they probe the
-- primary key (and alerts_open_idx) for the cases of the batch whatever the table held when the
-- session began. Same statements, same results; the rest of 0008's apply_batch() is unchanged.
SET ROLE pravah_writer;

-- Merges the session's batch tables (filled by COPY in the same transaction) into the
-- projection. Order matters: cases first (the domain merge reads the cases as they are after
-- the batch), SLA alerts open before the batch are closed before the batch's own are added.
CREATE OR REPLACE FUNCTION pravah.apply_batch() RETURNS void
LANGUAGE plpgsql SET jit = off AS $fn$
BEGIN
    -- EXECUTE: planned at each call, for the tables as they are now (see above)
    EXECUTE $sql$
        UPDATE pravah.cases c SET
            case_type = b.case_type, def_version = b.def_version, state = b.state,
            assignee = b.assignee, office = b.office, seq = b.seq, last_hash = b.last_hash,
            updated_at = b.updated_at,
            state_entered_at = coalesce(b.entered_at, c.state_entered_at),
            assigned_at = coalesce(b.moved_at, c.assigned_at),
            deadline = b.deadline,
            amount = coalesce(b.amount, c.amount),
            closed = coalesce(ws.terminal, false),
            closed_at = CASE WHEN ws.terminal THEN coalesce(c.closed_at, b.entered_at, b.updated_at) END
        FROM pg_temp.pv_batch_cases b
        LEFT JOIN pravah.workflow_states ws ON ws.case_type = b.case_type AND ws.state = b.state
        WHERE b.existed AND c.case_id = b.case_id
    $sql$;

    INSERT INTO pravah.cases (case_id, case_type, def_version, state, assignee, office, seq,
        last_hash, creator, creator_post, created_at, updated_at, state_entered_at, assigned_at,
        deadline, amount, closed, closed_at)
    SELECT b.case_id, b.case_type, b.def_version, b.state, b.assignee, b.office, b.seq,
           b.last_hash, coalesce(b.creator, ''), coalesce(b.creator_post, ''),
           coalesce(b.created_at, b.first_at), b.updated_at, coalesce(b.entered_at, b.first_at),
           coalesce(b.moved_at, b.first_at), b.deadline, b.amount, coalesce(ws.terminal, false),
           CASE WHEN ws.terminal THEN coalesce(b.entered_at, b.updated_at) END
    FROM pg_temp.pv_batch_cases b
    LEFT JOIN pravah.workflow_states ws ON ws.case_type = b.case_type AND ws.state = b.state
    WHERE NOT b.existed;

    EXECUTE $sql$
        UPDATE pravah.alerts a SET closed_at = b.first_change_at
        FROM pg_temp.pv_batch_cases b
        WHERE b.existed AND b.first_change_at IS NOT NULL AND a.case_id = b.case_id
          AND a.closed_at IS NULL AND a.kind LIKE 'sla.%'
    $sql$;

    INSERT INTO pravah.alerts (case_id, seq, kind, level, target, state, deadline, raised_at,
                               closed_at)
    SELECT a.case_id, a.seq, a.kind, a.level, a.target, a.state, a.deadline, a.raised_at,
           a.closed_at
    FROM pg_temp.pv_batch_alerts a
    ON CONFLICT DO NOTHING;

    INSERT INTO pravah.integrity_findings (topic_partition, kafka_offset, kind, case_id, seq,
        pseq, existing_hash, new_hash, detail)
    SELECT f.topic_partition, f.kafka_offset, f.kind, f.case_id, f.seq, f.pseq,
           f.existing_hash, f.new_hash, f.detail
    FROM pg_temp.pv_batch_findings f
    ON CONFLICT DO NOTHING;

    PERFORM pravah.merge_domain_batch();
END
$fn$;

REVOKE ALL ON FUNCTION pravah.apply_batch() FROM PUBLIC;

RESET ROLE;
INSERT INTO pravah.schema_migrations (version) VALUES ('0010') ON CONFLICT DO NOTHING;
