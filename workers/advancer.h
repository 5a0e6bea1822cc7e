/* The advancer: consumes intake in a consumer group, keeps one pv_store_t per assigned
 * partition (rebuilt from the journal on assignment), applies each event through the engine,
 * produces journal records or rejections, fires due timers in bounded slices, and commits input
 * offsets only after the records covering them are acknowledged (docs/ADVANCER.md).
 *
 * Ownership: pv_advancer_t borrows the config, engine and directory given to it; it owns its
 * Kafka handles and stores. Single-threaded: every call on the thread that created it, except
 * pv_advancer_render_metrics (the HTTP thread; reads atomics only). During a rebuild on
 * assignment, decoder threads (advance.rebuild_threads) each decode snapshots into stores of their
 * own, reading the engine only; the stores are handed to the calling thread when the threads are
 * joined, before any of them is used. */
#ifndef PRAVAH_ADVANCER_H
#define PRAVAH_ADVANCER_H

#include <stdio.h>

#include "clock.h"
#include "config.h"
#include "pravah/engine.h"

typedef struct pv_advancer_s pv_advancer_t;

pv_advancer_t *pv_advancer_new(const pv_config_t *cfg, pv_engine_t *eng, pv_directory_t *dir,
                               pv_clock_t *clock, char *err, size_t errlen);
/* Runs batches until *stop becomes non-zero, then drains, commits and leaves the group.
 * Returns 0, or 1 after a fatal error (logged). */
int pv_advancer_run(pv_advancer_t *adv, volatile int *stop);
void pv_advancer_free(pv_advancer_t *adv);
void pv_advancer_render_metrics(void *adv, FILE *out);

#endif
