-- 0007_batch_domains.sql: the domain tables (works, efiles, grievances, appointments,
-- court_cases, officers) of the one-write projection (issue 4). The projector aggregates each
-- batch per case in C (workers/projection_domains.c) and COPYs one row per case into the
-- session's temp tables below; pravah.merge_domain_batch() merges them with exactly the
-- semantics of 0002's CTEs wk/up_works, ef/up_efiles, gr/up_grievances, ap/up_appointments,
-- lt/up_court_cases and hr/up_officers. Idempotent (CREATE OR REPLACE, IF NOT EXISTS).
--
-- What the temp tables hold (one row per case with applied records of that case type):
--   * jsonb columns: the JSON of a data value of the case's LAST matching record
--     (pravah.last(array_agg(...)) in 0002: NULL when that record lacks the key), converted
--     here as 0002 converts it: #>> '{}' (= data ->> key), pravah.jnum, pravah.jint;
--   * date columns of data values: pravah.jdate() of the last matching record's value,
--     decided in C (the check is a fixed pattern on 10 ASCII bytes plus the calendar);
--   * timestamptz columns: min or max accepted_at, written by C as the instant
--     pravah.ms_ts(ms) is; works.actual_completion: the local date of the earliest
--     completion (local_date is monotonic, so min of dates = date of the min);
--   * measured_qty, billed_amount, paid_amount: a JSON array of the values, summed here as
--     coalesce(sum(pravah.jnum(element)), 0), so the numeric (its scale too) is 0002's (an
--     inline subquery: a SQL function holding one is not inlined and costs ~10x per row);
--   * text columns (created_by, lodged_by, citizen, disposal ...): min or last of actor /
--     actor_post or a constant, computed in C (min by byte order: the databases use the C
--     collation);
--   * int columns: counts (appeals: the rate records whose jint(rating) <= 2, decided in C).
-- No per-row calls of the non-inlined helpers (ms_ts, local_date, jdate: 0006) remain here.
SET ROLE pravah_writer;

-- The session's temp tables, emptied at every commit. Called once per session (by the
-- projector's pravah.create_batch_tables()); safe to call again.
CREATE OR REPLACE FUNCTION pravah.create_domain_batch_tables() RETURNS void
LANGUAGE plpgsql AS $fn$
BEGIN
    CREATE TEMP TABLE IF NOT EXISTS pv_batch_works (
        case_id text NOT NULL, name jsonb, ward jsonb, scheme jsonb, estimate_amount jsonb,
        estimate_qty jsonb, aa_amount jsonb, fs_amount jsonb, ts_amount jsonb,
        contract_amount jsonb, contractor jsonb, agreement_number jsonb,
        planned_completion date, actual_completion date, measured_qty jsonb, mb_entries int,
        inspections int, last_inspection jsonb, billed_amount jsonb, paid_amount jsonb,
        returns int
    ) ON COMMIT DELETE ROWS;
    CREATE TEMP TABLE IF NOT EXISTS pv_batch_efiles (
        case_id text NOT NULL, subject jsonb, category jsonb, created_by text,
        created_post text, created_at timestamptz, parked_count int, movements int, notes int,
        receipts int, closed_by text, closed_post text, closed_at timestamptz
    ) ON COMMIT DELETE ROWS;
    CREATE TEMP TABLE IF NOT EXISTS pv_batch_grievances (
        case_id text NOT NULL, category jsonb, subject jsonb, lodged_by text, lodged_at timestamptz,
        breached_at timestamptz, transfers int, atr_returns int, disposal text, disposed_by text,
        disposed_post text, disposed_at timestamptz, rating jsonb, appeals int
    ) ON COMMIT DELETE ROWS;
    CREATE TEMP TABLE IF NOT EXISTS pv_batch_appointments (
        case_id text NOT NULL, officer_post jsonb, citizen text, name jsonb, purpose jsonb,
        mode jsonb, requested_at timestamptz, preferred_date date, slot_date date,
        slot_time jsonb, venue jsonb, reschedules int, outcome_at timestamptz
    ) ON COMMIT DELETE ROWS;
    CREATE TEMP TABLE IF NOT EXISTS pv_batch_court_cases (
        case_id text NOT NULL, case_number jsonb, court jsonb, petitioner jsonb, subject jsonb,
        registered_at timestamptz, next_hearing date, reply_due date, reply_filed_on date,
        hearings int, order_date date, outcome jsonb, compliance_due date, extensions int,
        complied_on date, appeal_number jsonb
    ) ON COMMIT DELETE ROWS;
    CREATE TEMP TABLE IF NOT EXISTS pv_batch_officers (
        case_id text NOT NULL, post jsonb, posted_at timestamptz, name jsonb
    ) ON COMMIT DELETE ROWS;
END
$fn$;

-- Merges the temp tables into the domain tables. Runs after pravah.cases holds the batch's
-- result (the case rows are 0002's cfin) and with pg_temp.pv_batch_cases (reassigns,
-- reassigned_from) filled. Each case row is looked up by its key (LATERAL ... OFFSET 0: an index
-- probe, whatever the planner guesses of the temp tables, which are never analyzed).
CREATE OR REPLACE FUNCTION pravah.merge_domain_batch() RETURNS void
LANGUAGE plpgsql SET jit = off AS $fn$
BEGIN
    PERFORM pravah.merge_domain_works();
    PERFORM pravah.merge_domain_efiles();
    PERFORM pravah.merge_domain_grievances();
    PERFORM pravah.merge_domain_appointments();
    PERFORM pravah.merge_domain_court_cases();
    PERFORM pravah.merge_domain_officers();
END
$fn$;

CREATE OR REPLACE FUNCTION pravah.merge_domain_works() RETURNS void
LANGUAGE plpgsql SET jit = off AS $fn$
BEGIN
    INSERT INTO pravah.works AS w (case_id, ulb, ulb_name, ulb_kind, district, name, ward,
        scheme, estimate_amount, estimate_qty, aa_amount, fs_amount, ts_amount,
        contract_amount, contractor, agreement_number, planned_completion, actual_completion,
        measured_qty, mb_entries, inspections, last_inspection, billed_amount, paid_amount,
        returns, stage)
    SELECT b.case_id, f.office, o.name, o.kind, o.district, b.name #>> '{}',
           pravah.jint(b.ward), b.scheme #>> '{}', pravah.jnum(b.estimate_amount),
           pravah.jnum(b.estimate_qty), pravah.jnum(b.aa_amount), pravah.jnum(b.fs_amount),
           pravah.jnum(b.ts_amount), pravah.jnum(b.contract_amount), b.contractor #>> '{}',
           b.agreement_number #>> '{}', b.planned_completion, b.actual_completion,
           CASE WHEN b.measured_qty IS NULL THEN 0 ELSE coalesce((SELECT sum(pravah.jnum(e))
               FROM jsonb_array_elements(b.measured_qty) e), 0) END,
           b.mb_entries, b.inspections, b.last_inspection #>> '{}',
           CASE WHEN b.billed_amount IS NULL THEN 0 ELSE coalesce((SELECT sum(pravah.jnum(e))
               FROM jsonb_array_elements(b.billed_amount) e), 0) END,
           CASE WHEN b.paid_amount IS NULL THEN 0 ELSE coalesce((SELECT sum(pravah.jnum(e))
               FROM jsonb_array_elements(b.paid_amount) e), 0) END,
           b.returns, coalesce(ws.stage, f.state)
    FROM pg_temp.pv_batch_works b
    CROSS JOIN LATERAL (SELECT c.office, c.state FROM pravah.cases c
                        WHERE c.case_id = b.case_id OFFSET 0) f
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
        stage = excluded.stage;
END
$fn$;

CREATE OR REPLACE FUNCTION pravah.merge_domain_efiles() RETURNS void
LANGUAGE plpgsql SET jit = off AS $fn$
BEGIN
    INSERT INTO pravah.efiles AS e (case_id, office, subject, category, created_by,
        created_post, created_at, desk, desk_since, parked, parked_count, movements, notes,
        receipts, closed_by, closed_post, closed_at)
    SELECT b.case_id, f.office, b.subject #>> '{}', b.category #>> '{}', b.created_by,
           b.created_post, b.created_at, f.assignee, f.assigned_at,
           f.state = 'parked', b.parked_count, b.movements, b.notes, b.receipts, b.closed_by,
           b.closed_post, b.closed_at
    FROM pg_temp.pv_batch_efiles b
    CROSS JOIN LATERAL (SELECT c.office, c.assignee, c.assigned_at, c.state FROM pravah.cases c
                        WHERE c.case_id = b.case_id OFFSET 0) f
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
        closed_at = coalesce(excluded.closed_at, e.closed_at);
END
$fn$;

-- enable_nestloop off: the join of the two temp tables is a hash join whatever the sizes of the
-- first batch of the session were when the plan was cached (the lookup of the case row stays a
-- per-row index probe: a LATERAL reference can only be a nested loop).
CREATE OR REPLACE FUNCTION pravah.merge_domain_grievances() RETURNS void
LANGUAGE plpgsql SET jit = off SET enable_nestloop = off AS $fn$
BEGIN
    INSERT INTO pravah.grievances AS g (case_id, office, category, subject, lodged_by,
        lodged_at, with_post, sla_due, breached_at, auto_appeals, auto_appealed_from,
        transfers, atr_returns, disposal, disposed_by, disposed_post, disposed_at, rating,
        appeals, closed, closed_at)
    SELECT b.case_id, f.office, b.category #>> '{}', b.subject #>> '{}', b.lodged_by,
           b.lodged_at, f.assignee, f.deadline, b.breached_at,
           k.reassigns, k.reassigned_from, b.transfers, b.atr_returns, b.disposal,
           b.disposed_by, b.disposed_post, b.disposed_at, pravah.jint(b.rating),
           b.appeals, f.closed, f.closed_at
    FROM pg_temp.pv_batch_grievances b
    JOIN pg_temp.pv_batch_cases k ON k.case_id = b.case_id
    CROSS JOIN LATERAL (SELECT c.office, c.assignee, c.deadline, c.closed, c.closed_at
                        FROM pravah.cases c WHERE c.case_id = b.case_id OFFSET 0) f
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
        closed = excluded.closed, closed_at = excluded.closed_at;
END
$fn$;

CREATE OR REPLACE FUNCTION pravah.merge_domain_appointments() RETURNS void
LANGUAGE plpgsql SET jit = off AS $fn$
BEGIN
    INSERT INTO pravah.appointments AS a (case_id, office, officer_post, citizen, name,
        purpose, mode, requested_at, preferred_date, slot_date, slot_time, venue,
        reschedules, state, outcome_at)
    SELECT b.case_id, f.office, b.officer_post #>> '{}', b.citizen, b.name #>> '{}',
           b.purpose #>> '{}', b.mode #>> '{}', b.requested_at,
           b.preferred_date, b.slot_date, b.slot_time #>> '{}',
           b.venue #>> '{}', b.reschedules, f.state, b.outcome_at
    FROM pg_temp.pv_batch_appointments b
    CROSS JOIN LATERAL (SELECT c.office, c.state FROM pravah.cases c
                        WHERE c.case_id = b.case_id OFFSET 0) f
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
        outcome_at = coalesce(excluded.outcome_at, a.outcome_at);
END
$fn$;

CREATE OR REPLACE FUNCTION pravah.merge_domain_court_cases() RETURNS void
LANGUAGE plpgsql SET jit = off AS $fn$
BEGIN
    INSERT INTO pravah.court_cases AS l (case_id, office, case_number, court, petitioner,
        subject, registered_at, next_hearing, reply_due, reply_filed_on, hearings,
        order_date, outcome, compliance_due, extensions, complied_on, appeal_number, state,
        with_post)
    SELECT b.case_id, f.office, b.case_number #>> '{}', b.court #>> '{}',
           b.petitioner #>> '{}', b.subject #>> '{}', b.registered_at,
           b.next_hearing, b.reply_due, b.reply_filed_on, b.hearings, b.order_date,
           b.outcome #>> '{}', b.compliance_due, b.extensions, b.complied_on, b.appeal_number #>> '{}', f.state, f.assignee
    FROM pg_temp.pv_batch_court_cases b
    CROSS JOIN LATERAL (SELECT c.office, c.state, c.assignee FROM pravah.cases c
                        WHERE c.case_id = b.case_id OFFSET 0) f
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
        state = excluded.state, with_post = excluded.with_post;
END
$fn$;

CREATE OR REPLACE FUNCTION pravah.merge_domain_officers() RETURNS void
LANGUAGE plpgsql SET jit = off AS $fn$
BEGIN
    INSERT INTO pravah.officers AS o (officer_id, name, post, posted_at, source)
    SELECT b.case_id, coalesce(b.name #>> '{}', ''), b.post #>> '{}',
           b.posted_at, 'hrms'
    FROM pg_temp.pv_batch_officers b
    WHERE b.posted_at IS NOT NULL
    ON CONFLICT (officer_id) DO UPDATE SET
        name = CASE WHEN excluded.name <> '' THEN excluded.name ELSE o.name END,
        post = excluded.post, posted_at = excluded.posted_at, source = 'hrms';
END
$fn$;

REVOKE ALL ON FUNCTION pravah.create_domain_batch_tables() FROM PUBLIC;
REVOKE ALL ON FUNCTION pravah.merge_domain_batch() FROM PUBLIC;
REVOKE ALL ON FUNCTION pravah.merge_domain_works() FROM PUBLIC;
REVOKE ALL ON FUNCTION pravah.merge_domain_efiles() FROM PUBLIC;
REVOKE ALL ON FUNCTION pravah.merge_domain_grievances() FROM PUBLIC;
REVOKE ALL ON FUNCTION pravah.merge_domain_appointments() FROM PUBLIC;
REVOKE ALL ON FUNCTION pravah.merge_domain_court_cases() FROM PUBLIC;
REVOKE ALL ON FUNCTION pravah.merge_domain_officers() FROM PUBLIC;

RESET ROLE;
INSERT INTO pravah.schema_migrations (version) VALUES ('0007') ON CONFLICT DO NOTHING;
