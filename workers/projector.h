/* The projector: consumes the journal in a consumer group and writes it into PostgreSQL in
 * batched transactions (docs/PROJECTIONS.md, docs/PROJECTOR.md). Per batch, one transaction:
 * COPY the decoded records into pravah.staging_records, COPY undecodable ones into
 * pravah.projection_errors, SELECT pravah.apply_staging(), upsert pravah.projector_offsets,
 * NOTIFY pravah_projection, COMMIT. On every assignment each partition starts at the offset
 * stored in PostgreSQL; a lost connection pauses consumption and reconnects with back-off. The
 * batch itself (decode, COPY, apply, offsets, splitting what SQL refuses) is
 * workers/projection_batch.c, shared with `pravah audit replay`; this file owns the consumer
 * group, the stored offsets, reconnection and metrics.
 *
 * Ownership: pv_projector_t borrows the config (it must outlive the projector) and owns its
 * Kafka consumer, PostgreSQL connection and batch buffers (one batch per writer lane, each with
 * its writer thread and connection). Single-threaded: every call on the
 * thread that created it, except pv_projector_render_metrics (the HTTP thread; atomics only). */
#ifndef PRAVAH_PROJECTOR_H
#define PRAVAH_PROJECTOR_H

#include <stdio.h>

#include "config.h"
#include "pg.h"

typedef struct pv_projector_s pv_projector_t;

/* Connects to PostgreSQL (waiting with back-off while *stop is zero) and joins the group.
 * Config keys: project.pg, project.group, topics.journal, project.batch_max, project.batch_ms,
 * project.retry_min_ms, project.retry_max_ms, project.apply, project.pipeline, project.writers,
 * kafka.*. Returns NULL with err filled. */
pv_projector_t *pv_projector_new(const pv_config_t *cfg, volatile int *stop, char *err,
                                 size_t errlen);
/* Runs batches until *stop becomes non-zero, then commits the open batch and leaves the group.
 * Returns 0, or 1 after a fatal error (logged). */
int pv_projector_run(pv_projector_t *pj);
void pv_projector_free(pv_projector_t *pj);
/* Prometheus text for /metrics (HTTP thread). */
void pv_projector_render_metrics(void *pj, FILE *out);

#endif
