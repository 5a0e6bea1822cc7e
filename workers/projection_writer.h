/* One projection transaction, and a thread that runs one while the projector builds the next
 * (docs/PROJECTOR.md, "Pipelining"). The transaction of a built batch: the session's batch
 * tables (once per connection), BEGIN, the COPYs of pv_proj_apply_copy, the COPY of the
 * records that cannot be projected, then the closing statements (apply_batch, partition heads,
 * fenced offsets, NOTIFY, COMMIT); ROLLBACK on any failure.
 *
 * Ownership: a job borrows everything it names until pv_proj_writer_wait returns. The writer
 * owns its thread and its own PostgreSQL connection (made from conninfo, again after a loss);
 * the caller must not touch what the job names while it runs. One caller thread. */
#ifndef PRAVAH_PROJECTION_WRITER_H
#define PRAVAH_PROJECTION_WRITER_H

#include <stddef.h>
#include <stdint.h>

#include "pg.h"
#include "projection_apply.h"
#include "projection_domains.h"
#include "pravah/buf.h"

/* pravah.store_offsets() refused the batch: another projector wrote a partition. */
#define PV_PROJECTION_FENCED 100

typedef struct pv_proj_job_s {
    pv_proj_apply_t *apply; /* built by pv_proj_apply_build */
    pv_domains_t *dom;
    const pv_buf_t *errors; /* COPY text rows for pravah.projection_errors (may be empty) */
    const char *sql;        /* the closing statements, ending in COMMIT */
} pv_proj_job_t;

/* Runs the job's transaction on pg. *session is the pv_pg_session the batch tables were made
 * in (updated). Returns 0, a pv_pg_class_t or PV_PROJECTION_FENCED, with err filled. */
int pv_proj_txn(pv_pg_t *pg, const pv_proj_job_t *job, uint64_t *session, char *err,
                size_t errlen);

/* The end of a failed transaction (rc non-zero): ROLLBACK when still connected; the fence's
 * SQLSTATE PVF01 becomes PV_PROJECTION_FENCED. Returns rc (so mapped); 0 stays 0. */
int pv_proj_txn_end(pv_pg_t *pg, int rc);

typedef struct pv_proj_writer_s pv_proj_writer_t;

/* A writer thread with its own connection to conninfo (connected on first use). NULL when out
 * of memory or the thread cannot start. */
pv_proj_writer_t *pv_proj_writer_new(const char *conninfo);
/* Waits for any job, stops the thread, closes the connection. */
void pv_proj_writer_free(pv_proj_writer_t *w);
/* Starts job (nothing may be in flight). */
void pv_proj_writer_start(pv_proj_writer_t *w, const pv_proj_job_t *job);
/* Non-zero while a job is in flight. */
int pv_proj_writer_busy(const pv_proj_writer_t *w);
/* Blocks until no job is in flight, leaving its result for pv_proj_writer_wait. */
void pv_proj_writer_idle(pv_proj_writer_t *w);
/* Waits for the job in flight: its pv_proj_txn result (0 when none was in flight). */
int pv_proj_writer_wait(pv_proj_writer_t *w, char *err, size_t errlen);
/* Adds to *busy_us the time jobs ran (the transactions in flight) and to *waited_us the time
 * callers were blocked waiting for them (consumption standing still for PostgreSQL). */
void pv_proj_writer_times(const pv_proj_writer_t *w, int64_t *busy_us, int64_t *waited_us);

#endif
