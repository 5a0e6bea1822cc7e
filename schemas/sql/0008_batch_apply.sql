-- 0008_batch_apply.sql: the SQL half of the one-write projection (docs/PROJECTOR.md, "One
-- write per record"). The projector (workers/projection_apply.c) classifies each journal record
-- in C (applied, late, duplicate, fork), checks both chains, COPYs the records straight into
-- pravah.transitions and folds each case's records of the batch into one row of
-- pg_temp.pv_batch_cases; pravah.apply_batch() then merges those few per-case rows. The result is
-- the same as pravah.apply_staging() of 0002, which stays as the reference the tests compare
-- against (`project.apply = sql`).
SET ROLE pravah_writer;

-- The session's batch tables: temporary (no WAL, no contention between projectors), emptied at
-- every COMMIT. Called once per connection by the projector. Idempotent.
CREATE OR REPLACE FUNCTION pravah.create_batch_tables() RETURNS void
LANGUAGE plpgsql AS $fn$
BEGIN
    -- One row per case with applied records in the batch: the case after its last record, and
    -- what the batch did (NULL: did not happen in the batch). Times and amounts arrive typed,
    -- so that the merge calls no function per row (pravah.ms_ts is not inlined: 0005).
    CREATE TEMP TABLE IF NOT EXISTS pv_batch_cases (
        case_id            text    NOT NULL,
        existed            boolean NOT NULL,  -- the case had a row before the batch
        case_type          text    NOT NULL,
        def_version        int     NOT NULL,
        state              text    NOT NULL,
        assignee           text    NOT NULL,
        office             text    NOT NULL,
        seq                bigint  NOT NULL,
        last_hash          bytea   NOT NULL,
        creator            text,              -- actor of seq 1 when in the batch
        creator_post       text,
        created_at         timestamptz,       -- accepted_at of seq 1 when in the batch
        first_at           timestamptz NOT NULL, -- earliest accepted_at of the batch
        updated_at         timestamptz NOT NULL, -- accepted_at of the last record
        entered_at         timestamptz,       -- last change of state in the batch
        moved_at           timestamptz,       -- last change of state or desk in the batch
        deadline           timestamptz,       -- of the last record, NULL: none
        amount             numeric,           -- the last data.amount that is a JSON number
        first_change_at    timestamptz,       -- first record changing state or deadline
        reassigns          int     NOT NULL,  -- timer records that moved the desk
        reassigned_from    text               -- the desk before the first of them
    ) ON COMMIT DELETE ROWS;
    CREATE TEMP TABLE IF NOT EXISTS pv_batch_alerts (
        case_id      text   NOT NULL,
        seq          bigint NOT NULL,
        kind         text   NOT NULL,
        level        int    NOT NULL,
        target       text   NOT NULL,
        state        text   NOT NULL,
        deadline     timestamptz,
        raised_at    timestamptz NOT NULL,
        closed_at    timestamptz
    ) ON COMMIT DELETE ROWS;
    CREATE TEMP TABLE IF NOT EXISTS pv_batch_findings (
        LIKE pravah.integrity_findings INCLUDING DEFAULTS  -- found_at stays NOT NULL: keep now()
    ) ON COMMIT DELETE ROWS;
    PERFORM pravah.create_domain_batch_tables();
END
$fn$;

-- Stores the next offset of each partition of the batch, fenced: the row must still hold the
-- offset this projector read (expected; 0 when there was no row). Anything else means another
-- projector wrote the partition meanwhile (a rebalance this one has not seen yet): the batch
-- must not land, SQLSTATE PVF01, and the projector reloads its offsets and state.
CREATE OR REPLACE FUNCTION pravah.store_offsets(grp text, top text, parts int[],
                                                expected bigint[], next bigint[])
RETURNS void LANGUAGE plpgsql AS $fn$
DECLARE
    i int;
    cur bigint;
BEGIN
    FOR i IN 1 .. coalesce(array_length(parts, 1), 0) LOOP
        SELECT o.next_offset INTO cur FROM pravah.projector_offsets o
        WHERE o.consumer_group = grp AND o.topic = top AND o.topic_partition = parts[i]
        FOR UPDATE;
        IF coalesce(cur, 0) <> expected[i] THEN
            RAISE EXCEPTION 'partition %: pravah.projector_offsets holds %, this projector read %',
                parts[i], coalesce(cur, 0), expected[i]
                USING ERRCODE = 'PVF01',
                      HINT = 'another projector of the group wrote this partition';
        END IF;
        INSERT INTO pravah.projector_offsets (consumer_group, topic, topic_partition, next_offset)
        VALUES (grp, top, parts[i], next[i])
        ON CONFLICT (consumer_group, topic, topic_partition) DO UPDATE SET
            next_offset = excluded.next_offset, updated_at = now();
    END LOOP;
END
$fn$;

-- Merges the session's batch tables (filled by COPY in the same transaction) into the
-- projection. Order matters: cases first (the domain merge reads the cases as they are after
-- the batch), SLA alerts open before the batch are closed before the batch's own are added.
CREATE OR REPLACE FUNCTION pravah.apply_batch() RETURNS void
LANGUAGE plpgsql SET jit = off AS $fn$
BEGIN
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
    WHERE b.existed AND c.case_id = b.case_id;

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

    UPDATE pravah.alerts a SET closed_at = b.first_change_at
    FROM pg_temp.pv_batch_cases b
    WHERE b.existed AND b.first_change_at IS NOT NULL AND a.case_id = b.case_id
      AND a.closed_at IS NULL AND a.kind LIKE 'sla.%';

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

REVOKE ALL ON FUNCTION pravah.create_batch_tables() FROM PUBLIC;
REVOKE ALL ON FUNCTION pravah.store_offsets(text, text, int[], bigint[], bigint[]) FROM PUBLIC;
REVOKE ALL ON FUNCTION pravah.apply_batch() FROM PUBLIC;

RESET ROLE;
INSERT INTO pravah.schema_migrations (version) VALUES ('0008') ON CONFLICT DO NOTHING;
