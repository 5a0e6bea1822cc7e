/* The domain tables of one projection batch (issue 4): pravah.works, efiles, grievances,
 * appointments, court_cases and officers, aggregated per case in C and merged by SQL
 * (schemas/sql/0007_batch_domains.sql, pravah.merge_domain_batch()).
 *
 * The projector gives every APPLIED record of a batch to pv_domains_add (duplicates, forks and
 * late records already dropped: the `s.applied` set of 0002_apply.sql). Per case the module keeps
 * what 0002's CTEs wk, ef, gr, ap, lt and hr compute, and pv_domains_copy sends one row per case
 * into the session's temp tables pg_temp.pv_batch_works, _efiles, _grievances, _appointments,
 * _court_cases and _officers (made by pravah.create_domain_batch_tables()). The SQL merge then
 * gives the same rows as 0002 would. What travels:
 *   - a "last value" of a data key (pravah.last(array_agg(...)) in 0002): the JSON text of the
 *     value of the LAST matching record (the msgpack value as pv_msgpack_to_json writes it), or
 *     NULL when that record lacks the key or a rule sets NULL; SQL applies ->> / jnum / jint to
 *     it, so those conversions are 0002's own. Date keys are converted in C as pravah.jdate()
 *     does (a fixed pattern and the calendar) and travel as date text or NULL;
 *   - min/max of accepted_at: timestamptz text of the instant pravah.ms_ts(ms) is; works'
 *     actual_completion: the local (IST) date of the earliest completion; min of actor /
 *     actor_post: the smallest by strcmp (the databases use the C collation);
 *   - counts: integers; the appeals count (jint(rating) <= 2) is decided in C, exactly (see
 *     projection_domains.c, rating_is_appeal);
 *   - sums (works measured_qty, billed_amount, paid_amount): a JSON array of the values, summed by
 *     SQL as sum(pravah.jnum(element)), so the numeric result, scale included, is 0002's.
 * A data key matches as jsonb's `?` and `->` would on pv_msgpack_to_json's text: the last of
 * duplicate keys wins, and a str key that is not valid UTF-8 is compared as its base64 text.
 *
 * Ownership: pv_domains_add copies what it keeps (case ids, JSON texts) into the module's own
 * arena, released by pv_domains_reset. pv_domains_copy borrows pg for the call.
 * Threads: one thread per pv_domains_t. */
#ifndef PRAVAH_PROJECTION_DOMAINS_H
#define PRAVAH_PROJECTION_DOMAINS_H

#include <stddef.h>

#include "pg.h"            /* connectors/pg.h: pv_pg_t, pv_pg_copy, pv_pg_copy_text ... */
#include "pravah/record.h" /* pv_record_t */

typedef struct pv_domains_s pv_domains_t;

/* An empty batch. NULL: out of memory. */
pv_domains_t *pv_domains_new(void);
void pv_domains_free(pv_domains_t *d);
/* Forgets the batch (keeps memory). */
void pv_domains_reset(pv_domains_t *d);

/* One APPLIED record (the lead's code has already dropped duplicates, forks and late
 * records: this is the `s.applied` set of 0002). A case's records come in seq order; records
 * of different cases may interleave. Records of case types with no domain table are
 * ignored. Borrowed: copy what you keep (the record's strings live in an arena that is
 * reset after the batch; you may also assume they stay valid until pv_domains_reset).
 * Data that is not a msgpack map (pv_record_decode refuses such records) counts as an empty
 * map. Returns 0 or PV_ENOMEM. */
int pv_domains_add(pv_domains_t *d, const pv_record_t *r);

/* The JSON text of data's `key` as jsonb's `->` gives it (the last of duplicate keys; a
 * non-UTF-8 key compared as its base64 text) into out (reset first): 1 found, 0 missing, or
 * PV_ENOMEM. Uses d's scratch memory; for the caller's own fold (the case's amount). */
int pv_domains_data_value(pv_domains_t *d, const pv_record_t *r, const char *key, pv_buf_t *out);

/* Inside the caller's open transaction: COPY the batch's per-case rows into the session's
 * temp tables (one COPY per non-empty table). Returns 0 or a pv_pg_class_t with err filled
 * (the return convention of pv_pg_copy; running out of memory while building a COPY is
 * PV_PG_FATAL). Does not merge: the lead's SQL calls pravah.merge_domain_batch() afterwards. */
int pv_domains_copy(pv_domains_t *d, pv_pg_t *pg, char *err, size_t errlen);

#endif
