-- 0003_views.sql: the dashboard views and the dashboard role's grants (docs/PROJECTIONS.md).
-- Idempotent (CREATE OR REPLACE VIEW; grants). Views are owned by pravah_writer, so they read
-- the base tables with its rights; pravah_dashboard may SELECT the views and nothing else.
--
-- Time: every age and delay is measured against pravah.asof() (now() unless the setting
-- pravah.asof pins it) in local dates (+05:30). Delays are calendar days.
SET ROLE pravah_writer;

-- Who holds each post now: the officer posted there most recently (hrms journal), else the seed.
CREATE OR REPLACE VIEW pravah.post_holders AS
SELECT p.post_id, p.role, p.office_id, h.officer_id, h.name AS officer_name, h.posted_at
FROM pravah.posts p
LEFT JOIN LATERAL (
    SELECT o.officer_id, o.name, o.posted_at
    FROM pravah.officers o
    WHERE o.post = p.post_id
    ORDER BY o.posted_at DESC NULLS LAST, o.officer_id
    LIMIT 1) h ON true;

-- Every case with its current desk, holder, age and delay.
CREATE OR REPLACE VIEW pravah.case_status AS
SELECT c.case_id, c.case_type, c.def_version, c.office, c.state, ws.title AS state_title,
       c.assignee, ph.role AS assignee_role, ph.office_id AS assignee_office, ph.officer_id,
       ph.officer_name, c.created_at, c.updated_at, c.state_entered_at,
       c.assigned_at AS pending_since,
       CASE WHEN NOT c.closed THEN greatest(pravah.local_date(n.asof) - pravah.local_date(c.assigned_at), 0) END
           AS days_pending,
       c.deadline,
       NOT c.closed AND c.deadline < n.asof AS overdue,
       CASE WHEN NOT c.closed AND c.deadline < n.asof
            THEN greatest(pravah.local_date(n.asof) - pravah.local_date(c.deadline), 0) ELSE 0 END
           AS delay_days,
       c.amount, c.closed, c.closed_at, c.seq
FROM pravah.cases c
CROSS JOIN (SELECT pravah.asof() AS asof OFFSET 0) n
LEFT JOIN pravah.workflow_states ws ON ws.case_type = c.case_type AND ws.state = c.state
LEFT JOIN pravah.post_holders ph ON ph.post_id = c.assignee;

-- Time spent at each level: one row per arrival of a case at a state or desk (a record that
-- changed either), until the next such arrival (open: until asof while the case is open).
CREATE OR REPLACE VIEW pravah.case_levels AS
SELECT m.case_id, m.case_type, m.seq, m.state, m.assignee, m.entered_at, m.left_at,
       round(extract(epoch FROM coalesce(m.left_at, CASE WHEN NOT c.closed THEN n.asof END)
                                - m.entered_at) / 86400, 2) AS days
FROM (
    SELECT v.case_id, v.case_type, v.seq, v.state, v.assignee, v.entered_at,
           lead(v.entered_at) OVER (PARTITION BY v.case_id ORDER BY v.seq) AS left_at
    FROM (
        SELECT t.case_id, t.case_type, t.seq, t.new_state AS state, t.assignee,
               t.accepted_at AS entered_at, t.prev_state,
               lag(t.assignee) OVER (PARTITION BY t.case_id ORDER BY t.seq) AS prev_assignee
        FROM pravah.transitions t
    ) v
    WHERE v.prev_state = '' OR v.prev_state <> v.state
       OR v.prev_assignee IS DISTINCT FROM v.assignee
) m
JOIN pravah.cases c ON c.case_id = m.case_id
CROSS JOIN (SELECT pravah.asof() AS asof OFFSET 0) n;

-- Open alerts (SLA reminders, breaches, escalations; integrity forks) with whom they target.
CREATE OR REPLACE VIEW pravah.alerts_open AS
SELECT a.case_id, a.seq, c.case_type, a.kind, a.level, a.target, ph.officer_id AS target_officer_id,
       ph.officer_name AS target_officer_name, a.state, a.deadline, a.raised_at,
       c.state AS case_state, c.assignee AS case_assignee
FROM pravah.alerts a
JOIN pravah.cases c ON c.case_id = a.case_id
LEFT JOIN pravah.post_holders ph ON ph.post_id = a.target
WHERE a.closed_at IS NULL;

-- Integrity findings by kind (auditors).
CREATE OR REPLACE VIEW pravah.integrity_summary AS
SELECT f.kind, count(*) AS findings, count(DISTINCT f.case_id) AS cases,
       min(f.found_at) AS first_found_at, max(f.found_at) AS last_found_at
FROM pravah.integrity_findings f
GROUP BY f.kind;

-- ---- Minister / ACS / Director: works ----

-- Works by ULB and stage: count, estimate and sanctioned value (sum of the administrative
-- approvals), how many are overdue in their current state and their average delay.
CREATE OR REPLACE VIEW pravah.works_by_ulb_stage AS
SELECT w.ulb, w.ulb_name, w.ulb_kind, w.district, w.stage,
       min(coalesce(ws.stage_order, 99)) AS stage_order,
       count(*) AS works,
       coalesce(sum(w.estimate_amount), 0) AS estimate_value,
       coalesce(sum(w.aa_amount), 0) AS sanctioned_value,
       count(*) FILTER (WHERE d.overdue) AS delayed,
       round(avg(d.delay_days) FILTER (WHERE d.overdue), 1) AS avg_delay_days
FROM pravah.works w
JOIN pravah.cases c ON c.case_id = w.case_id
CROSS JOIN (SELECT pravah.asof() AS asof OFFSET 0) n
CROSS JOIN LATERAL (
    SELECT NOT c.closed AND c.deadline < n.asof AS overdue,
           greatest(pravah.local_date(n.asof) - pravah.local_date(c.deadline), 0) AS delay_days) d
LEFT JOIN pravah.workflow_states ws ON ws.case_type = 'works' AND ws.state = c.state
GROUP BY w.ulb, w.ulb_name, w.ulb_kind, w.district, w.stage;

-- The ten most delayed open works: where each is stuck (state) and with whom (post, officer),
-- since when, and whom the SLA ladder has escalated it to.
CREATE OR REPLACE VIEW pravah.works_most_delayed AS
SELECT row_number() OVER (ORDER BY x.delay_days DESC, x.deadline, x.case_id) AS rank, x.*
FROM (
    SELECT w.case_id, w.name, w.ulb, w.ulb_name, w.ulb_kind, w.district, c.state,
           ws.title AS state_title, w.stage, c.assignee AS pending_with_post,
           ph.role AS pending_with_role, ph.officer_id, ph.officer_name,
           c.assigned_at AS pending_since, c.deadline,
           greatest(pravah.local_date(n.asof) - pravah.local_date(c.deadline), 0) AS delay_days,
           w.estimate_amount, w.aa_amount AS sanctioned_value, w.contractor,
           esc.target AS escalated_to, esc.level AS escalation_level
    FROM pravah.works w
    JOIN pravah.cases c ON c.case_id = w.case_id
    CROSS JOIN (SELECT pravah.asof() AS asof OFFSET 0) n
    LEFT JOIN pravah.workflow_states ws ON ws.case_type = 'works' AND ws.state = c.state
    LEFT JOIN pravah.post_holders ph ON ph.post_id = c.assignee
    LEFT JOIN LATERAL (
        SELECT a.target, a.level FROM pravah.alerts a
        WHERE a.case_id = c.case_id AND a.closed_at IS NULL
          AND a.kind IN ('sla.breached', 'sla.escalated')
        ORDER BY a.level DESC, a.seq DESC LIMIT 1) esc ON true
    WHERE NOT c.closed AND c.deadline < n.asof
    ORDER BY delay_days DESC, c.deadline, w.case_id
    LIMIT 10
) x;

-- ---- Deputy Commissioner: e-Office ----

-- Files pending on each desk (grouped by the desk's office), by days on that desk; parked files
-- are out of pendency and counted apart.
CREATE OR REPLACE VIEW pravah.eoffice_pendency AS
SELECT coalesce(ph.office_id, e.office) AS office, o.name AS office_name, o.district, e.desk,
       ph.role, ph.officer_id, ph.officer_name,
       count(*) FILTER (WHERE NOT e.parked AND a.age <= 7) AS age_0_7,
       count(*) FILTER (WHERE NOT e.parked AND a.age BETWEEN 8 AND 15) AS age_8_15,
       count(*) FILTER (WHERE NOT e.parked AND a.age BETWEEN 16 AND 30) AS age_16_30,
       count(*) FILTER (WHERE NOT e.parked AND a.age > 30) AS age_over_30,
       count(*) FILTER (WHERE NOT e.parked) AS pending,
       count(*) FILTER (WHERE e.parked) AS parked,
       max(a.age) FILTER (WHERE NOT e.parked) AS oldest_days
FROM pravah.efiles e
JOIN pravah.cases c ON c.case_id = e.case_id
CROSS JOIN (SELECT pravah.asof() AS asof OFFSET 0) n
CROSS JOIN LATERAL (SELECT pravah.local_date(n.asof) - pravah.local_date(e.desk_since) AS age) a
LEFT JOIN pravah.post_holders ph ON ph.post_id = e.desk
LEFT JOIN pravah.offices o ON o.office_id = coalesce(ph.office_id, e.office)
WHERE NOT c.closed AND e.desk <> ''
GROUP BY coalesce(ph.office_id, e.office), o.name, o.district, e.desk, ph.role, ph.officer_id,
         ph.officer_name;

-- Files created (create_file) and disposed (close) per employee per ISO week (local dates).
CREATE OR REPLACE VIEW pravah.eoffice_throughput AS
SELECT to_char(ev.day, 'IYYY-"W"IW') AS iso_week,
       (ev.day - (extract(isodow FROM ev.day)::int - 1)) AS week_start,
       ev.officer_id, o.name AS officer_name,
       sum(ev.created) AS created, sum(ev.disposed) AS disposed
FROM (
    SELECT e.created_by AS officer_id, pravah.local_date(e.created_at) AS day, 1 AS created,
           0 AS disposed
    FROM pravah.efiles e WHERE e.created_at IS NOT NULL
    UNION ALL
    SELECT e.closed_by, pravah.local_date(e.closed_at), 0, 1
    FROM pravah.efiles e WHERE e.closed_at IS NOT NULL
) ev
LEFT JOIN pravah.officers o ON o.officer_id = ev.officer_id
GROUP BY 1, 2, ev.officer_id, o.name;

-- ---- Grievances and appointments ----

-- Per post (with its holder): grievances open with it (not yet resolved/rejected), of those
-- past their due date, disposals (resolve/reject) by it with the average days from lodging,
-- appeals against its disposals (rating 1-2), and RTS auto-appeals taken from it.
CREATE OR REPLACE VIEW pravah.grievances_by_officer AS
SELECT r.post, ph.role, ph.office_id, ph.officer_id, ph.officer_name,
       sum(r.open) AS open, sum(r.breached) AS breached, sum(r.disposed) AS disposed,
       round(avg(r.dispose_days), 1) AS avg_days_to_dispose,
       sum(r.appeals) AS appeals, sum(r.auto_appeals) AS auto_appeals
FROM (
    SELECT g.with_post AS post, 1 AS open,
           CASE WHEN g.sla_due < n.asof THEN 1 ELSE 0 END AS breached,
           0 AS disposed, NULL::numeric AS dispose_days, 0 AS appeals, 0 AS auto_appeals
    FROM pravah.grievances g
    JOIN pravah.cases c ON c.case_id = g.case_id
    CROSS JOIN (SELECT pravah.asof() AS asof OFFSET 0) n
    WHERE NOT c.closed AND c.state NOT IN ('resolved', 'rejected') AND g.with_post <> ''
    UNION ALL
    SELECT g.disposed_post, 0, 0, 1, extract(epoch FROM g.disposed_at - g.lodged_at) / 86400,
           g.appeals, 0
    FROM pravah.grievances g WHERE g.disposed_post IS NOT NULL
    UNION ALL
    SELECT g.auto_appealed_from, 0, 0, 0, NULL, 0, 1
    FROM pravah.grievances g WHERE g.auto_appealed_from IS NOT NULL
) r
LEFT JOIN pravah.post_holders ph ON ph.post_id = r.post
GROUP BY r.post, ph.role, ph.office_id, ph.officer_id, ph.officer_name;

-- Appointments per officer (post) per slot date, by state.
CREATE OR REPLACE VIEW pravah.appointments_per_officer_day AS
SELECT a.officer_post, ph.role, ph.office_id, ph.officer_id, ph.officer_name, a.slot_date,
       count(*) FILTER (WHERE a.state <> 'cancelled') AS appointments,
       count(*) FILTER (WHERE a.state = 'slot_allotted') AS allotted,
       count(*) FILTER (WHERE a.state = 'confirmed') AS confirmed,
       count(*) FILTER (WHERE a.state = 'held') AS held,
       count(*) FILTER (WHERE a.state = 'no_show') AS no_show,
       count(*) FILTER (WHERE a.state = 'cancelled') AS cancelled
FROM pravah.appointments a
LEFT JOIN pravah.post_holders ph ON ph.post_id = a.officer_post
WHERE a.slot_date IS NOT NULL
GROUP BY a.officer_post, ph.role, ph.office_id, ph.officer_id, ph.officer_name, a.slot_date;

-- ---- Litigation ----

-- Replies (state reply_pending) and compliances (state compliance_pending) due within the next
-- 7 days (today .. today + 7) and those overdue (due before today).
CREATE OR REPLACE VIEW pravah.litigation_due AS
SELECT l.case_id, l.case_number, l.court, l.petitioner, d.due_kind, d.due_date,
       d.due_date - pravah.local_date(n.asof) AS days_left,
       CASE WHEN d.due_date < pravah.local_date(n.asof) THEN 'overdue' ELSE 'due_in_7_days' END
           AS status,
       l.next_hearing, l.with_post, ph.officer_id, ph.officer_name
FROM pravah.court_cases l
CROSS JOIN (SELECT pravah.asof() AS asof OFFSET 0) n
CROSS JOIN LATERAL (VALUES
    ('reply', CASE WHEN l.state = 'reply_pending' THEN l.reply_due END),
    ('compliance', CASE WHEN l.state = 'compliance_pending' THEN l.compliance_due END)
) d(due_kind, due_date)
LEFT JOIN pravah.post_holders ph ON ph.post_id = l.with_post
WHERE d.due_date IS NOT NULL AND d.due_date <= pravah.local_date(n.asof) + 7;

-- ---- Grants: the dashboard reads views, nothing else ----
REVOKE ALL ON ALL TABLES IN SCHEMA pravah FROM PUBLIC;
REVOKE ALL ON ALL TABLES IN SCHEMA pravah FROM pravah_dashboard;
DO $$
DECLARE
    v record;
BEGIN
    FOR v IN SELECT c.relname FROM pg_class c JOIN pg_namespace s ON s.oid = c.relnamespace
             WHERE s.nspname = 'pravah' AND c.relkind = 'v' ORDER BY c.relname
    LOOP
        EXECUTE format('GRANT SELECT ON pravah.%I TO pravah_dashboard', v.relname);
    END LOOP;
END
$$;

RESET ROLE;
INSERT INTO pravah.schema_migrations (version) VALUES ('0003') ON CONFLICT DO NOTHING;
