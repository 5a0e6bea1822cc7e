/* The projector's batch writer, without a Kafka consumer: journal messages go in (add), one
 * PostgreSQL transaction per batch comes out (write): the records COPYed straight into
 * pravah.transitions and their per-case fold into the session's batch tables, merged by
 * pravah.apply_batch() (or, in the reference mode, COPY into pravah.staging_records and
 * pravah.apply_staging()); COPY the messages that cannot be projected into
 * pravah.projection_errors; the fenced store of pravah.projector_offsets for (group, topic);
 * NOTIFY pravah_projection; COMMIT (docs/PROJECTOR.md "One batch, one transaction"). A batch SQL
 * refuses with a data error is split in halves until the record at fault is found; it goes to
 * projection_errors with the server's message. Used by `pravah project` (workers/projector.c)
 * and `pravah audit replay` (workers/audit_replay.c).
 *
 * Ownership: the batch copies every message it is given (value and position), so the caller may
 * release the message when add returns. It borrows the pv_pg_t passed to write for the call
 * only. It copies group and topic. Single-threaded. */
#ifndef PRAVAH_PROJECTION_BATCH_H
#define PRAVAH_PROJECTION_BATCH_H

#include <stddef.h>
#include <stdint.h>

#include "kafka.h"
#include "pg.h"
#include "projection_writer.h" /* PV_PROJECTION_FENCED */

/* Partitions 0 .. PV_PROJECTION_MAX_PARTITIONS-1 are supported. */
#define PV_PROJECTION_MAX_PARTITIONS 256

typedef struct pv_projection_batch_s pv_projection_batch_t;

/* How a batch is applied (`project.apply`): PV_PROJECTION_C, the default, decides and folds in C
 * and writes each record once (projection_apply.c, 0008's apply_batch); PV_PROJECTION_SQL stages
 * the records and runs 0002's apply_staging(), the reference the tests compare the default
 * against. Both give the same tables. */
typedef enum { PV_PROJECTION_C = 0, PV_PROJECTION_SQL } pv_projection_mode_t;

/* PV_PROJECTION_FENCED (projection_writer.h) is pv_projection_batch_write's answer when
 * pravah.projector_offsets does not hold what this batch expected for one of its partitions:
 * another projector wrote it. Nothing of the range landed; read the stored offsets again, tell
 * the batch (pv_projection_batch_expect), drop what is already stored
 * (pv_projection_batch_drop_committed) and write again. */

/* Called once per message after the transaction holding it committed, in order: reason is NULL
 * when the record went to the staging table, else why it went to projection_errors (borrowed
 * until the callback returns). Runs on the thread calling pv_projection_batch_write. */
typedef void (*pv_projection_committed_cb)(void *ctx, int32_t partition, int64_t offset,
                                           const char *reason);

/* A batch whose offsets are stored under (group, topic). Returns NULL with err filled (names
 * over 128 bytes or with a backslash or control character, out of memory). */
pv_projection_batch_t *pv_projection_batch_new(const char *group, const char *topic,
                                               pv_projection_committed_cb cb, void *ctx, char *err,
                                               size_t errlen);
void pv_projection_batch_free(pv_projection_batch_t *b);

/* Appends a journal message: decoded, seal and key checked, encoded as a staging row; one that
 * cannot be projected is kept with its reason for projection_errors. Returns 0, PV_ERANGE (the
 * partition is not in 0 .. PV_PROJECTION_MAX_PARTITIONS-1) or PV_ENOMEM. */
int pv_projection_batch_add(pv_projection_batch_t *b, const pv_kafka_msg_t *msg);

/* Messages added and not yet committed (in flight included). */
size_t pv_projection_batch_pending(const pv_projection_batch_t *b);
/* Messages added and not yet handed to a transaction. */
size_t pv_projection_batch_open(const pv_projection_batch_t *b);

/* Writes the pending messages in one transaction (several when SQL refuses some). Returns 0
 * (all committed, the batch is empty again) or the pv_pg_class_t of the failure with err
 * filled: what committed before the failure has left the batch (through the callback), the
 * rest stays pending. PV_PG_LOST: reconnect, then pv_projection_batch_drop_committed, then write
 * again. */
int pv_projection_batch_write(pv_projection_batch_t *b, pv_pg_t *pg, char *err, size_t errlen);

/* Pipelining (c mode only; docs/PROJECTOR.md "Pipelining"): transactions then run on a thread
 * of their own with a second connection to conninfo, while the caller consumes and builds the
 * next batch. Returns 0 or PV_ENOMEM. */
int pv_projection_batch_pipeline(pv_projection_batch_t *b, const char *conninfo);

/* With pipelining: builds the open messages and hands their transaction to the writer thread,
 * after the previous one committed (its callbacks run here). Returns 0 (handed over), or the
 * previous transaction's failure, as pv_projection_batch_write's: then nothing is in flight,
 * every uncommitted message is open again, and the caller recovers with
 * pv_projection_batch_write as usual. Without pipelining it is pv_projection_batch_write. */
int pv_projection_batch_submit(pv_projection_batch_t *b, pv_pg_t *pg, char *err, size_t errlen);

/* Waits for the transaction in flight (if any); returns as pv_projection_batch_submit. */
int pv_projection_batch_drain(pv_projection_batch_t *b, char *err, size_t errlen);

/* Without blocking: when the transaction in flight has finished, its outcome as
 * pv_projection_batch_drain; 0 while it runs or when none is in flight. */
int pv_projection_batch_settle(pv_projection_batch_t *b, char *err, size_t errlen);

/* After a reconnect: drops from the front of the batch the messages below stored[partition]
 * (the offsets read back from pravah.projector_offsets; PV_PROJECTION_MAX_PARTITIONS entries):
 * their COMMIT landed before the connection dropped. Returns how many were dropped. The
 * callback is not called for them. */
size_t pv_projection_batch_drop_committed(pv_projection_batch_t *b, const int64_t *stored);

/* Sets the mode (before the first write; default PV_PROJECTION_C). */
void pv_projection_batch_set_mode(pv_projection_batch_t *b, pv_projection_mode_t mode);

/* The next offset pravah.projector_offsets holds for a partition (0: no row), as read by the
 * caller at assignment and after a reconnect or a fence. Each write is fenced on it (0008's
 * store_offsets); the batch advances it itself on every commit. */
void pv_projection_batch_expect(pv_projection_batch_t *b, int32_t partition, int64_t next_offset);

/* Forgets the cached view of PostgreSQL (case and partition heads): after a rebalance, or
 * anything else that may have written the projection. */
void pv_projection_batch_forget(pv_projection_batch_t *b);

/* Forgets every pending message (none of it is in PostgreSQL), after waiting for any
 * transaction in flight. */
void pv_projection_batch_reset(pv_projection_batch_t *b);

/* Transactions refused by SQL and retried in halves, since the batch was made. */
uint64_t pv_projection_batch_splits(const pv_projection_batch_t *b);

/* With pipelining, adds the writer thread's pv_proj_writer_times; else adds nothing. */
void pv_projection_batch_writer_times(const pv_projection_batch_t *b, int64_t *busy_us,
                                      int64_t *waited_us);

#endif
