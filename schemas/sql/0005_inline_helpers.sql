-- 0005_inline_helpers.sql: the helpers of 0001 rewritten so that PostgreSQL inlines them.
-- Same signatures, same results for every input; only the bodies change (docs/PROJECTOR.md,
-- "Performance").
--
-- Why: a LANGUAGE sql function is inlined into the calling query only when its body is no less
-- immutable than the function says it is. The 0001 bodies of ms_ts and local_date add an
-- interval to a timestamptz and jdate casts text to date: both are STABLE operations (they
-- consult TimeZone and DateStyle), so these IMMUTABLE functions were never inlined and ran as
-- separate SQL-function calls, about 5 per journal record in apply_staging (25,000 executor
-- calls per batch of 5000: most of the time the batch took). The new bodies use only immutable
-- operations:
--   * ms_ts: the same arithmetic on a timestamp (no time zone) at the epoch, then AT TIME ZONE
--     'UTC', which is the instant 1970-01-01 00:00 UTC plus ms milliseconds, as before;
--   * local_date: the UTC wall time of t plus 5:30, as a date, as before;
--   * jdate: make_date() of the three checked fields instead of the text cast; the text has
--     already been checked to be YYYY-MM-DD with a valid day of month and a year above 0, for
--     which the cast and make_date give the same date.
SET ROLE pravah_writer;

CREATE OR REPLACE FUNCTION pravah.ms_ts(ms bigint) RETURNS timestamptz
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN (timestamp '1970-01-01 00:00:00' + ms * interval '1 millisecond') AT TIME ZONE 'UTC';

CREATE OR REPLACE FUNCTION pravah.local_date(t timestamptz) RETURNS date
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN ((t AT TIME ZONE 'UTC') + interval '5 hours 30 minutes')::date;

CREATE OR REPLACE FUNCTION pravah.jdate(v jsonb) RETURNS date
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN CASE WHEN jsonb_typeof(v) = 'string'
                 AND (v #>> '{}') ~ '^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$'
            THEN CASE WHEN substr(v #>> '{}', 1, 4)::int > 0
                      THEN CASE WHEN substr(v #>> '{}', 9, 2)::int <= extract(day FROM
                                         make_date(substr(v #>> '{}', 1, 4)::int,
                                                   substr(v #>> '{}', 6, 2)::int, 1)
                                         + interval '1 month - 1 day')
                                THEN make_date(substr(v #>> '{}', 1, 4)::int,
                                               substr(v #>> '{}', 6, 2)::int,
                                               substr(v #>> '{}', 9, 2)::int) END END END;

RESET ROLE;
INSERT INTO pravah.schema_migrations (version) VALUES ('0005') ON CONFLICT DO NOTHING;
