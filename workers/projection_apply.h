/* The C half of the one-write projection (docs/PROJECTOR.md, "One write per record"): for the
 * journal records of one batch, in the order they were consumed, it decides what each one is
 * (applied, late, duplicate, fork) against the cached state of its case, checks the case and
 * partition chains, folds each case's applied records into one row, and builds the COPY data:
 * pravah.transitions directly, pg_temp.pv_batch_cases / pv_batch_alerts / pv_batch_findings for
 * pravah.apply_batch() (schemas/sql/0008_batch_apply.sql), and the domain rows through
 * projection_domains. The result is the same as 0002's apply_staging() on the same records, one
 * batch or one record at a time.
 *
 * Ownership: the builder owns its buffers and per-batch memory; it borrows the records (valid
 * until the next build), the state, the domains and the pv_pg_t per call. Single-threaded. */
#ifndef PRAVAH_PROJECTION_APPLY_H
#define PRAVAH_PROJECTION_APPLY_H

#include <stddef.h>
#include <stdint.h>

#include "pg.h"
#include "projection_domains.h"
#include "projection_state.h"
#include "pravah/buf.h"
#include "pravah/record.h"

/* One consumed journal message; rec NULL: it cannot be projected (it goes to
 * projection_errors and takes no part in the chains). data_json is the JSON text of rec->data
 * (pv_msgpack_to_json), made when the message was added so that a record whose data cannot be
 * converted is refused there, with its reason. */
typedef struct pv_proj_rec_s {
    int32_t partition;
    int64_t offset;
    const pv_record_t *rec;
    const char *data_json;
    size_t data_json_len;
} pv_proj_rec_t;

typedef struct pv_proj_apply_s pv_proj_apply_t;

pv_proj_apply_t *pv_proj_apply_new(void); /* NULL when out of memory */
void pv_proj_apply_free(pv_proj_apply_t *a);

/* Called before a read of PostgreSQL that a transaction still in flight could change (the
 * stored hash of a record below its case's head): the callback waits for it. */
void pv_proj_apply_set_sync(pv_proj_apply_t *a, void (*sync)(void *ctx), void *ctx);

/* Builds the projection of recs[0..n) against st (loading from PostgreSQL what it lacks) and
 * feeds the applied records to dom (reset first). Nothing is written yet. Returns 0 or a
 * pv_pg_class_t with err filled. */
int pv_proj_apply_build(pv_proj_apply_t *a, pv_proj_state_t *st, pv_domains_t *dom, pv_pg_t *pg,
                        const pv_proj_rec_t *recs, size_t n, char *err, size_t errlen);

/* Inside the caller's open transaction: the COPYs of the last build (transitions, the batch
 * tables, the domain rows). Returns 0 or a pv_pg_class_t. */
int pv_proj_apply_copy(pv_proj_apply_t *a, pv_domains_t *dom, pv_pg_t *pg, char *err,
                       size_t errlen);

/* Appends the statements that finish the merge: SELECT pravah.apply_batch() and the upsert of
 * the partition heads. Returns 0 or PV_ENOMEM. */
int pv_proj_apply_sql(const pv_proj_apply_t *a, pv_buf_t *sql);

/* After COMMIT: the state takes the cases and partition heads of the last build. Returns 0 or
 * PV_ENOMEM (the state is then cleared, which is always safe). */
int pv_proj_apply_commit(pv_proj_apply_t *a, pv_proj_state_t *st);

/* Records of the last build that were applied (not late, duplicate or fork). */
size_t pv_proj_apply_applied(const pv_proj_apply_t *a);

#endif
