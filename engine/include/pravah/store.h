/* The cases of one journal partition, their due-timer queue and the partition's hash chain: what
 * an advancer holds per partition, and what the scenario runner, the demo and the benchmark drive.
 * Pure: time comes in as arguments; records go out through a callback.
 *
 * Ownership: the store owns its cases and queue; it borrows the engine and the directory (which
 * it changes when an hrms record with a directory effect is emitted). Pointers to cases returned
 * by pv_store_get are valid until the next call that adds a case. Records passed to the callback
 * are valid only during the call. Not thread-safe. */
#ifndef PRAVAH_STORE_H
#define PRAVAH_STORE_H

#include "pravah/engine.h"
#include "pravah/timerq.h"

typedef struct pv_store_s pv_store_t;

/* Called for every record the store journals, sealed and linked into the partition chain. */
typedef int (*pv_record_cb)(void *ctx, const pv_record_t *rec);

pv_store_t *pv_store_new(const pv_engine_t *eng, pv_directory_t *dir);
void pv_store_free(pv_store_t *st);

/* Applies one event at time now. On success emits its record and returns 0; on rejection returns
 * PV_EREJECTED with *rej filled (nothing emitted, nothing changed). Timers are not fired here:
 * call pv_store_fire_due first so that deadlines before now are journaled before the event. */
int pv_store_apply(pv_store_t *st, const pv_event_t *ev, pv_time_t now, pv_arena_t *arena,
                   pv_record_cb cb, void *ctx, pv_reject_t *rej);

/* Fires timers due at or before now, in due order, emitting at most max records; returns how
 * many were emitted (or a negative PV_E* code). Call until it returns less than max to catch up. */
int pv_store_fire_due(pv_store_t *st, pv_time_t now, size_t max, pv_arena_t *arena,
                      pv_record_cb cb, void *ctx);

/* Rebuild: folds a journal record (and links it into the chain after checking pseq/pprev).
 * An exact copy of the last record (same pseq and phash: a duplicate delivery) is skipped.
 * Does not change the directory (see store.c). Returns 0 or PV_EINTEGRITY with a message in err.
 * The case is folded in place: after an error from pv_engine_fold the case it names may be half
 * folded, so a store whose fold failed is only good for pv_store_free (a rebuild that fails is
 * abandoned anyway). A chain error (the record does not follow) changes nothing. */
int pv_store_fold(pv_store_t *st, const pv_record_t *rec, pv_arena_t *arena, char *err,
                  size_t errlen);

/* Snapshots (pravah/snapshot.h): adds a case as it was saved (its timer re-armed from
 * next_timer). Returns 0, PV_EEXIST if the id is in the store already, or PV_ENOMEM. */
int pv_store_restore(pv_store_t *st, const pv_case_t *c);
/* Makes room for n cases in all (no reallocation while they are added). 0 or PV_ENOMEM. */
int pv_store_reserve(pv_store_t *st, size_t n);
/* Sets the partition chain (the snapshot's last record); the next fold must follow it. */
void pv_store_set_chain(pv_store_t *st, const pv_chain_t *chain);

const pv_case_t *pv_store_get(const pv_store_t *st, const char *case_id);
size_t pv_store_case_count(const pv_store_t *st);
const pv_case_t *pv_store_case_at(const pv_store_t *st, size_t i);
/* Earliest pending timer time, 0 when none. */
pv_time_t pv_store_next_due(pv_store_t *st);
size_t pv_store_open_timers(const pv_store_t *st);
const pv_chain_t *pv_store_chain(const pv_store_t *st);

#endif
