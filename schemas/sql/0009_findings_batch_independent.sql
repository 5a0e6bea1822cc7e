-- 0009_findings_batch_independent.sql: apply_staging() writes the same integrity findings
-- wherever the batches fall (docs/PROJECTOR.md, "Findings do not depend on batches").
--
-- Two of 0002's findings depended on where a batch began:
--   * a fork's detail said "already applied" or "earlier in the batch"; it now says
--     'a different record for a known (case_id, seq)' either way;
--   * the partition chain checked each record against the previous record of the batch, but
--     the first record of a batch against partition_heads (the highest pseq so far). After an
--     older record (a duplicate written out of place) the next record was a finding only when
--     both fell in one batch. Every record is now checked against the partition's head so far:
--     the highest pseq, the latest offset among equals, as partition_heads keeps it.
-- The C design (workers/projection_apply.c) applies the same rules; pg.project_differential
-- and pg.project_anomalies compare the two.
--
-- 0002 is an applied migration and apply_staging() is 630 lines, of which two expressions
-- change. Rather than repeat it whole, this migration edits the stored definition: it replaces
-- the two expressions, quoted below exactly as 0002 has them, and fails if either is not found
-- (a function that is not 0002's). Run again, it finds the new text and does nothing.
SET ROLE pravah_writer;

DO $migration$
DECLARE
    def      text := pg_get_functiondef('pravah.apply_staging()'::regprocedure);
    old_pc   text := $old_pc$    pc AS MATERIALIZED (
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
$old_pc$;
    new_pc   text := $new_pc$    pc0 AS MATERIALIZED (
        SELECT r.topic_partition, r.kafka_offset, r.case_id, r.seq, r.pseq, r.hash, r.phash,
               r.accepted_at_ms,
               -- the partition's head before this record, within the batch: the highest pseq,
               -- the latest offset among equals, as partition_heads keeps it between batches
               max(ARRAY[r.pseq, r.kafka_offset]) OVER (
                   PARTITION BY r.topic_partition ORDER BY r.kafka_offset
                   ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS run,
               max(r.pseq) OVER (PARTITION BY r.topic_partition) AS maxp
        FROM pravah.staging_records r
    ),
    pc AS MATERIALIZED (
        SELECT c.topic_partition, c.kafka_offset, c.case_id, c.seq, c.pseq, c.hash, c.phash,
               c.accepted_at_ms, c.maxp,
               CASE WHEN c.run IS NOT NULL AND (h.pseq IS NULL OR c.run[1] >= h.pseq)
                    THEN c.run[1]
                    ELSE coalesce(h.pseq, CASE WHEN c.pseq = 1 THEN 0 END) END AS lp,
               CASE WHEN c.run IS NOT NULL AND (h.pseq IS NULL OR c.run[1] >= h.pseq)
                    THEN x.phash
                    ELSE coalesce(h.phash, CASE WHEN c.pseq = 1 THEN
                                               '\x0000000000000000000000000000000000000000000000000000000000000000'::bytea
                                           END) END AS lph
        FROM pc0 c
        LEFT JOIN (SELECT DISTINCT ON (topic_partition, kafka_offset) topic_partition,
                          kafka_offset, phash
                   FROM pc0 ORDER BY topic_partition, kafka_offset) x
               ON x.topic_partition = c.topic_partition AND x.kafka_offset = c.run[2]
        LEFT JOIN pravah.partition_heads h ON h.topic_partition = c.topic_partition
    ),
$new_pc$;
    old_fork text := $old_fork$               'a different record for a known (case_id, seq): '
               || CASE WHEN s.old_hash IS NOT NULL THEN 'already applied'
                       ELSE 'earlier in the batch' END
$old_fork$;
    new_fork text := $new_fork$               'a different record for a known (case_id, seq)'
$new_fork$;
BEGIN
    IF position(new_pc IN def) > 0 AND position(new_fork IN def) > 0 THEN
        RETURN; -- applied before
    END IF;
    IF position(old_pc IN def) = 0 OR position(old_fork IN def) = 0 THEN
        RAISE EXCEPTION 'pravah.apply_staging() is not the function 0002_apply.sql defines: '
                        'its partition chain or fork finding was changed by hand';
    END IF;
    EXECUTE replace(replace(def, old_pc, new_pc), old_fork, new_fork);
END
$migration$;

RESET ROLE;
INSERT INTO pravah.schema_migrations (version) VALUES ('0009') ON CONFLICT DO NOTHING;
