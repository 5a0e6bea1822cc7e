/* The due-timer queue: a binary min-heap of 16-byte entries (due time, case slot, generation).
 *
 * Cancelling or moving a deadline does not search the heap: the owner bumps the case's timer
 * generation and pushes a new entry; entries whose generation no longer matches are stale and the
 * owner skips them when they pop. 10 million open deadlines take 160 MB.
 *
 * Ownership: the queue owns its array; pv_timerq_close() frees it. Not thread-safe. */
#ifndef PRAVAH_TIMERQ_H
#define PRAVAH_TIMERQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pravah/common.h"

typedef struct pv_timer_s {
    pv_time_t due;
    uint32_t slot; /* owner's index of the case */
    uint32_t gen;  /* owner's timer generation of the case when pushed */
} pv_timer_t;

typedef struct pv_timerq_s {
    pv_timer_t *heap;
    size_t len;
    size_t cap;
} pv_timerq_t;

void pv_timerq_init(pv_timerq_t *q);
void pv_timerq_close(pv_timerq_t *q);
/* O(log n). Returns 0 or PV_ENOMEM. */
int pv_timerq_push(pv_timerq_t *q, pv_time_t due, uint32_t slot, uint32_t gen);
/* Earliest entry without removing it; returns 0, or PV_ENOENT when empty. */
int pv_timerq_peek(const pv_timerq_t *q, pv_timer_t *out);
/* Pops at most `max` entries with due <= now into out[], earliest first; returns how many.
 * O(k log n): callers bound the work per slice with `max`. */
size_t pv_timerq_pop_due(pv_timerq_t *q, pv_time_t now, pv_timer_t *out, size_t max);
size_t pv_timerq_len(const pv_timerq_t *q);
/* Makes room for at least n entries in total (e.g. before reloading every open deadline at
 * startup, which then costs exactly n * 16 bytes). Returns 0 or PV_ENOMEM. */
int pv_timerq_reserve(pv_timerq_t *q, size_t n);
/* Removes every entry for which keep_cb returns false (the owner's stale generations), then
 * rebuilds the heap in O(n). Returns the number removed. For when stale entries pile up: a case
 * that changes state daily under a 30-day SLA leaves ~30 of them until they come due. */
size_t pv_timerq_retain(pv_timerq_t *q, bool (*keep_cb)(const pv_timer_t *t, void *ctx), void *ctx);

#endif
