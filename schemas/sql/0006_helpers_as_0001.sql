-- 0006_helpers_as_0001.sql: ms_ts, local_date and jdate get their 0001 bodies back, undoing
-- 0005 (docs/PROJECTOR.md, "Performance").
--
-- 0005 rewrote them with only immutable operations so that PostgreSQL would inline them into
-- apply_staging() instead of calling them as SQL functions. Alone they are faster inlined
-- (100,000 calls of ms_ts: about 0.1-0.4 s inlined, 0.7-1.2 s called), but in the projector
-- they made apply_staging slower: the PostgreSQL backend's CPU time for 100,000 e-Office records
-- (batches of about 4,500) was 409 and 424 ticks with the 0001 bodies, 513 and 469 with 0005's,
-- interleaved runs on the same server. Results are the same either way (both forms were
-- compared on 200,000 timestamps and 300,000 date strings), so the measured faster form wins.
SET ROLE pravah_writer;

CREATE OR REPLACE FUNCTION pravah.ms_ts(ms bigint) RETURNS timestamptz
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN timestamptz '1970-01-01 00:00:00+00' + ms * interval '1 millisecond';

CREATE OR REPLACE FUNCTION pravah.local_date(t timestamptz) RETURNS date
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN ((t + interval '5 hours 30 minutes') AT TIME ZONE 'UTC')::date;

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

RESET ROLE;
INSERT INTO pravah.schema_migrations (version) VALUES ('0006') ON CONFLICT DO NOTHING;
