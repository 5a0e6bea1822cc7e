-- 0001_schema.sql: roles, schema `pravah`, tables and helper functions (docs/PROJECTIONS.md).
-- Idempotent: safe to run twice. Run it as a superuser or as a member of pravah_writer; every
-- object is created as (owned by) pravah_writer.

DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'pravah_writer') THEN
        CREATE ROLE pravah_writer NOLOGIN;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'pravah_dashboard') THEN
        CREATE ROLE pravah_dashboard NOLOGIN;
    END IF;
END
$$;

CREATE SCHEMA IF NOT EXISTS pravah AUTHORIZATION pravah_writer;
SET ROLE pravah_writer;

REVOKE ALL ON SCHEMA pravah FROM PUBLIC;
GRANT USAGE ON SCHEMA pravah TO pravah_dashboard;

CREATE TABLE IF NOT EXISTS pravah.schema_migrations (
    version    text PRIMARY KEY,             -- file name up to the first '_': '0001'
    applied_at timestamptz NOT NULL DEFAULT now()
);

-- ---------------------------------------------------------------------------------------------
-- The staging contract (C writes, SQL reads): unchanged from the contract in PROJECTIONS.md.
CREATE UNLOGGED TABLE IF NOT EXISTS pravah.staging_records (
    topic_partition int    NOT NULL,
    kafka_offset    bigint NOT NULL,
    pseq            bigint NOT NULL,
    case_id         text   NOT NULL,
    seq             bigint NOT NULL,
    case_type       text   NOT NULL,
    def_version     int    NOT NULL,
    kind            text   NOT NULL,
    event_id        text   NOT NULL,
    event_type      text   NOT NULL,
    source          text   NOT NULL,
    actor           text   NOT NULL,
    actor_post      text   NOT NULL,
    actor_role      text   NOT NULL,
    event_time      text   NOT NULL,
    accepted_at_ms  bigint NOT NULL,
    prev_state      text   NOT NULL,
    new_state       text   NOT NULL,
    assignee        text   NOT NULL,
    deadline_ms     bigint NOT NULL,
    alert_level     int    NOT NULL,
    alert_target    text   NOT NULL,
    data            jsonb  NOT NULL,
    office          text   NOT NULL,
    hash            bytea  NOT NULL,
    prev_hash       bytea  NOT NULL,
    phash           bytea  NOT NULL
);

-- ---------------------------------------------------------------------------------------------
-- Bookkeeping of the projector.
CREATE TABLE IF NOT EXISTS pravah.projector_offsets (
    consumer_group  text   NOT NULL,
    topic           text   NOT NULL,
    topic_partition int    NOT NULL,
    next_offset     bigint NOT NULL,             -- the next Kafka offset to consume
    updated_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (consumer_group, topic, topic_partition)
);

-- Head of each journal partition as applied: an anchor for auditors (docs/JOURNAL.md section 8).
CREATE TABLE IF NOT EXISTS pravah.partition_heads (
    topic_partition int PRIMARY KEY,
    pseq            bigint NOT NULL,
    phash           bytea  NOT NULL,
    kafka_offset    bigint NOT NULL,
    accepted_at     timestamptz NOT NULL         -- Pravah's clock at that record
);

CREATE TABLE IF NOT EXISTS pravah.projection_errors (
    topic_partition int    NOT NULL,
    kafka_offset    bigint NOT NULL,
    bytes           bytea,                       -- the Kafka message value as received
    reason          text   NOT NULL,
    at              timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (topic_partition, kafka_offset)
);

-- Forks and chain breaks found while applying. kind: 'fork' (a different record with a known
-- (case_id, seq)), 'case_chain' (prev_hash is not the hash of the case's record seq-1, or seq
-- is not the next one), 'partition_chain' (pseq/phash do not continue the partition chain).
CREATE TABLE IF NOT EXISTS pravah.integrity_findings (
    topic_partition int    NOT NULL,             -- the offending record
    kafka_offset    bigint NOT NULL,
    kind            text   NOT NULL,
    case_id         text   NOT NULL,
    seq             bigint NOT NULL,
    pseq            bigint NOT NULL,
    existing_hash   bytea,                       -- fork: hash already known for (case_id, seq);
                                                 -- chains: the expected prev_hash / phash
    new_hash        bytea,                       -- fork: the record's hash; chains: its prev_hash
                                                 -- / phash
    detail          text   NOT NULL,
    found_at        timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (topic_partition, kafka_offset, kind)
);

-- ---------------------------------------------------------------------------------------------
-- Reference data: the directory seed (0004_seed.sql, generated) and the states of the
-- workflows. officers.post/posted_at also follow the hrms journal (appoint, transfer, relieve,
-- retire); the holder of a post is the officer posted there most recently (view post_holders).
CREATE TABLE IF NOT EXISTS pravah.offices (
    office_id text PRIMARY KEY,
    name      text NOT NULL,
    kind      text NOT NULL,                     -- corporation | council | committee | district ...
    parent    text,
    district  text                               -- district code, e.g. GGN
);

CREATE TABLE IF NOT EXISTS pravah.posts (
    post_id    text PRIMARY KEY,
    role       text NOT NULL,
    office_id  text NOT NULL,
    reports_to text
);

CREATE TABLE IF NOT EXISTS pravah.officers (
    officer_id text PRIMARY KEY,
    name       text NOT NULL,
    post       text,                             -- NULL: unposted
    posted_at  timestamptz,                      -- NULL: as seeded
    source     text NOT NULL DEFAULT 'seed'      -- seed | hrms
);
CREATE INDEX IF NOT EXISTS officers_post_idx ON pravah.officers (post);

CREATE TABLE IF NOT EXISTS pravah.workflow_states (
    case_type   text NOT NULL,
    state       text NOT NULL,
    title       text NOT NULL,
    terminal    boolean NOT NULL,
    stage       text NOT NULL,                   -- coarse stage for dashboards (works), else state
    stage_order int NOT NULL,
    PRIMARY KEY (case_type, state)
);

-- ---------------------------------------------------------------------------------------------
-- Cases and their history.
CREATE TABLE IF NOT EXISTS pravah.cases (
    case_id          text PRIMARY KEY,
    case_type        text NOT NULL,
    def_version      int  NOT NULL,
    state            text NOT NULL,
    assignee         text NOT NULL,              -- post (desk) it is pending with, '' when none
    office           text NOT NULL,
    seq              bigint NOT NULL,            -- last applied record
    last_hash        bytea NOT NULL,
    creator          text NOT NULL,              -- actor of record 1
    creator_post     text NOT NULL,
    created_at       timestamptz NOT NULL,       -- accepted_at of record 1
    updated_at       timestamptz NOT NULL,       -- accepted_at of the last record
    state_entered_at timestamptz NOT NULL,       -- last change of state
    assigned_at      timestamptz NOT NULL,       -- pending since: last change of state or desk
    deadline         timestamptz,                -- due time of the current state, NULL: none
    amount           numeric,                    -- the latest data.amount of the case
    closed           boolean NOT NULL,           -- in a terminal state
    closed_at        timestamptz
) WITH (fillfactor = 80);

-- One row per journal record applied. Time spent at a level: view pravah.case_levels.
CREATE TABLE IF NOT EXISTS pravah.transitions (
    case_id         text   NOT NULL,
    seq             bigint NOT NULL,
    case_type       text   NOT NULL,
    def_version     int    NOT NULL,
    kind            text   NOT NULL,
    event_id        text   NOT NULL,
    event_type      text   NOT NULL,
    source          text   NOT NULL,
    actor           text   NOT NULL,
    actor_post      text   NOT NULL,
    actor_role      text   NOT NULL,
    event_time      text   NOT NULL,
    accepted_at     timestamptz NOT NULL,
    prev_state      text   NOT NULL,
    new_state       text   NOT NULL,
    assignee        text   NOT NULL,
    deadline        timestamptz,
    alert_level     int    NOT NULL,
    alert_target    text   NOT NULL,
    data            jsonb  NOT NULL,
    office          text   NOT NULL,
    hash            bytea  NOT NULL,
    prev_hash       bytea  NOT NULL,
    topic_partition int    NOT NULL,
    kafka_offset    bigint NOT NULL,
    pseq            bigint NOT NULL,
    phash           bytea  NOT NULL,
    PRIMARY KEY (case_id, seq)
);

-- Timer records (sla.reminder, sla.breached, sla.escalated) and integrity alerts
-- (integrity.fork). An SLA alert closes at the first later record of its case that leaves the
-- state or the deadline it was raised for; integrity alerts stay open.
CREATE TABLE IF NOT EXISTS pravah.alerts (
    case_id   text   NOT NULL,
    seq       bigint NOT NULL,                   -- the record that raised it
    kind      text   NOT NULL,
    level     int    NOT NULL,
    target    text   NOT NULL,                   -- post alerted
    state     text   NOT NULL,                   -- state and deadline it was raised for
    deadline  timestamptz,
    raised_at timestamptz NOT NULL,
    closed_at timestamptz,
    PRIMARY KEY (case_id, seq, kind)
) WITH (fillfactor = 80);
CREATE INDEX IF NOT EXISTS alerts_open_idx ON pravah.alerts (case_id) WHERE closed_at IS NULL;

-- ---------------------------------------------------------------------------------------------
-- Per domain. Amounts are rupees (numeric); dates are local (IST) dates.
CREATE TABLE IF NOT EXISTS pravah.works (
    case_id            text PRIMARY KEY,
    ulb                text NOT NULL,            -- office id, e.g. ULB-GGN
    ulb_name           text,
    ulb_kind           text,                     -- corporation | council | committee
    district           text,                     -- district code
    name               text,
    ward               int,
    scheme             text,
    estimate_amount    numeric,
    estimate_qty       numeric,
    aa_amount          numeric,                  -- administrative approval (the sanction)
    fs_amount          numeric,
    ts_amount          numeric,
    contract_amount    numeric,
    contractor         text,
    agreement_number   text,
    planned_completion date,
    actual_completion  date,                     -- date it reached `completed`
    measured_qty       numeric NOT NULL DEFAULT 0,
    mb_entries         int NOT NULL DEFAULT 0,
    inspections        int NOT NULL DEFAULT 0,
    last_inspection    text,                     -- pass | fail
    billed_amount      numeric NOT NULL DEFAULT 0,
    paid_amount        numeric NOT NULL DEFAULT 0,
    returns            int NOT NULL DEFAULT 0,
    stage              text NOT NULL
) WITH (fillfactor = 80);

CREATE TABLE IF NOT EXISTS pravah.efiles (
    case_id      text PRIMARY KEY,
    office       text NOT NULL,
    subject      text,
    category     text,
    created_by   text,                           -- officer who opened it, and their post
    created_post text,
    created_at   timestamptz,
    desk         text NOT NULL,                  -- post it is pending with ('' when closed)
    desk_since   timestamptz NOT NULL,           -- reached that desk (or left the park) at
    parked       boolean NOT NULL,
    parked_count int NOT NULL DEFAULT 0,
    movements    int NOT NULL DEFAULT 0,         -- forwards
    notes        int NOT NULL DEFAULT 0,
    receipts     int NOT NULL DEFAULT 0,
    closed_by    text,
    closed_post  text,
    closed_at    timestamptz
) WITH (fillfactor = 80);

CREATE TABLE IF NOT EXISTS pravah.grievances (
    case_id           text PRIMARY KEY,
    office            text NOT NULL,             -- district office it was lodged against
    category          text,
    subject           text,
    lodged_by         text,
    lodged_at         timestamptz,
    with_post         text NOT NULL,             -- desk it is pending with
    sla_due           timestamptz,
    breached_at       timestamptz,               -- first sla.breached record
    auto_appeals      int NOT NULL DEFAULT 0,    -- SLA breaches/escalations that reassigned
                                                 -- it (Right to Service auto-appeal)
    auto_appealed_from text,                     -- desk it was taken from at the first one
    transfers         int NOT NULL DEFAULT 0,
    atr_returns       int NOT NULL DEFAULT 0,
    disposal          text,                      -- resolved | rejected (the last disposal)
    disposed_by       text,
    disposed_post     text,
    disposed_at       timestamptz,
    rating            int,
    appeals           int NOT NULL DEFAULT 0,    -- ratings of 1-2 (appeal to the FAA)
    closed            boolean NOT NULL,
    closed_at         timestamptz
) WITH (fillfactor = 80);

CREATE TABLE IF NOT EXISTS pravah.appointments (
    case_id        text PRIMARY KEY,
    office         text NOT NULL,
    officer_post   text,
    citizen        text,
    name           text,
    purpose        text,
    mode           text,
    requested_at   timestamptz,
    preferred_date date,
    slot_date      date,
    slot_time      text,
    venue          text,
    reschedules    int NOT NULL DEFAULT 0,
    state          text NOT NULL,
    outcome_at     timestamptz                   -- held, no-show or cancelled at
) WITH (fillfactor = 80);

CREATE TABLE IF NOT EXISTS pravah.court_cases (
    case_id        text PRIMARY KEY,
    office         text NOT NULL,
    case_number    text,
    court          text,
    petitioner     text,
    subject        text,
    registered_at  timestamptz,
    next_hearing   date,
    reply_due      date,
    reply_filed_on date,
    hearings       int NOT NULL DEFAULT 0,
    order_date     date,
    outcome        text,
    compliance_due date,
    extensions     int NOT NULL DEFAULT 0,
    complied_on    date,
    appeal_number  text,
    state          text NOT NULL,
    with_post      text NOT NULL
) WITH (fillfactor = 80);

-- ---------------------------------------------------------------------------------------------
-- Helpers. Local time is Haryana's calendar offset, +05:30 (India has no daylight saving).

-- Milliseconds since the epoch -> timestamptz (exact); 0 -> NULL when zero_null.
CREATE OR REPLACE FUNCTION pravah.ms_ts(ms bigint) RETURNS timestamptz
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN timestamptz '1970-01-01 00:00:00+00' + ms * interval '1 millisecond';

CREATE OR REPLACE FUNCTION pravah.local_date(t timestamptz) RETURNS date
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN ((t + interval '5 hours 30 minutes') AT TIME ZONE 'UTC')::date;

-- JSON value -> numeric, NULL when it is not a JSON number.
CREATE OR REPLACE FUNCTION pravah.jnum(v jsonb) RETURNS numeric
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN CASE WHEN jsonb_typeof(v) = 'number' THEN v::numeric END;

-- JSON value -> int, NULL when it is not an integral JSON number in range.
CREATE OR REPLACE FUNCTION pravah.jint(v jsonb) RETURNS int
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN CASE WHEN jsonb_typeof(v) = 'number' AND v::numeric BETWEEN -2147483648 AND 2147483647
            THEN trunc(v::numeric)::int END;

-- JSON 'YYYY-MM-DD' -> date, NULL when it is not a valid date of that form.
CREATE OR REPLACE FUNCTION pravah.jdate(v jsonb) RETURNS date
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN CASE WHEN jsonb_typeof(v) = 'string'
                 AND (v #>> '{}') ~ '^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$'
            THEN CASE WHEN substr(v #>> '{}', 1, 4)::int > 0
                      THEN CASE WHEN substr(v #>> '{}', 9, 2)::int <= extract(day FROM
                                         make_date(substr(v #>> '{}', 1, 4)::int,
                                                   substr(v #>> '{}', 6, 2)::int, 1)
                                         + interval '1 month - 1 day')
                                THEN (v #>> '{}')::date END END END;

-- The time dashboards measure ages and delays against. Default now(); a session (or database,
-- or role) setting pins it: SET pravah.asof = '2026-05-04 12:00+05:30' (tests, reports "as on"
-- a date), or SET pravah.asof = 'journal': the newest accepted_at applied (Pravah's own clock,
-- for demos that run on a file clock).
CREATE OR REPLACE FUNCTION pravah.asof() RETURNS timestamptz
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog AS $$
DECLARE
    s text := current_setting('pravah.asof', true);
BEGIN
    IF s IS NULL OR s = '' OR s = 'now' THEN
        RETURN now();
    ELSIF s = 'journal' THEN
        RETURN coalesce((SELECT max(h.accepted_at) FROM pravah.partition_heads h), now());
    END IF;
    RETURN s::timestamptz;
END
$$;

CREATE OR REPLACE FUNCTION pravah.today() RETURNS date
LANGUAGE sql STABLE
RETURN pravah.local_date(pravah.asof());

-- Days of delay of an open case: calendar days from the local date of its deadline to today's
-- (a case due yesterday 23:59:59.999 is 1 day late today); 0 when not overdue or closed.
CREATE OR REPLACE FUNCTION pravah.delay_days(deadline timestamptz, closed boolean)
RETURNS int LANGUAGE sql STABLE
RETURN CASE WHEN NOT closed AND deadline < pravah.asof()
            THEN greatest(pravah.today() - pravah.local_date(deadline), 0) ELSE 0 END;

RESET ROLE;
INSERT INTO pravah.schema_migrations (version) VALUES ('0001') ON CONFLICT DO NOTHING;
