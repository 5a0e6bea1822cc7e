/* The due-timer queue: an array-backed binary min-heap. See timerq.h and docs/SLA.md.
 *
 * Entries are ordered by (due, slot, gen), a total order over distinct entries, so the sequence
 * of pops depends only on the set of entries and not on the order they were pushed in: a replayed
 * journal fires its timers in the same order as the original run. */
#include <stdlib.h>

#include "pravah/timerq.h"

#define TIMERQ_MIN_CAP 64

static inline bool timer_less(const pv_timer_t *a, const pv_timer_t *b)
{
    if (a->due != b->due)
        return a->due < b->due;
    if (a->slot != b->slot)
        return a->slot < b->slot;
    return a->gen < b->gen;
}

/* Moves the entry at i towards the root until its parent is not larger. */
static void sift_up(pv_timer_t *h, size_t i)
{
    pv_timer_t t = h[i];
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (!timer_less(&t, &h[parent]))
            break;
        h[i] = h[parent];
        i = parent;
    }
    h[i] = t;
}

/* Moves the entry at i towards the leaves until no child is smaller. */
static void sift_down(pv_timer_t *h, size_t len, size_t i)
{
    pv_timer_t t = h[i];
    for (;;) {
        size_t child = 2 * i + 1;
        if (child >= len)
            break;
        if (child + 1 < len && timer_less(&h[child + 1], &h[child]))
            child++;
        if (!timer_less(&h[child], &t))
            break;
        h[i] = h[child];
        i = child;
    }
    h[i] = t;
}

void pv_timerq_init(pv_timerq_t *q)
{
    q->heap = NULL;
    q->len = 0;
    q->cap = 0;
}

void pv_timerq_close(pv_timerq_t *q)
{
    free(q->heap);
    pv_timerq_init(q);
}

int pv_timerq_reserve(pv_timerq_t *q, size_t n)
{
    if (n <= q->cap)
        return 0;
    if (n > SIZE_MAX / sizeof *q->heap)
        return PV_ENOMEM;
    pv_timer_t *h = realloc(q->heap, n * sizeof *h);
    if (!h)
        return PV_ENOMEM;
    q->heap = h;
    q->cap = n;
    return 0;
}

int pv_timerq_push(pv_timerq_t *q, pv_time_t due, uint32_t slot, uint32_t gen)
{
    if (q->len == q->cap) {
        /* Doubling keeps pushes amortised O(1) and the array under 2x the entries. */
        size_t cap = q->cap ? q->cap * 2 : TIMERQ_MIN_CAP;
        int rc = pv_timerq_reserve(q, cap < q->cap ? SIZE_MAX : cap);
        if (rc)
            return rc;
    }
    q->heap[q->len] = (pv_timer_t){.due = due, .slot = slot, .gen = gen};
    sift_up(q->heap, q->len++);
    return 0;
}

int pv_timerq_peek(const pv_timerq_t *q, pv_timer_t *out)
{
    if (q->len == 0)
        return PV_ENOENT;
    *out = q->heap[0];
    return 0;
}

size_t pv_timerq_pop_due(pv_timerq_t *q, pv_time_t now, pv_timer_t *out, size_t max)
{
    size_t k = 0;
    while (k < max && q->len > 0 && q->heap[0].due <= now) {
        out[k++] = q->heap[0];
        q->heap[0] = q->heap[--q->len];
        if (q->len > 1)
            sift_down(q->heap, q->len, 0);
    }
    return k;
}

size_t pv_timerq_len(const pv_timerq_t *q)
{
    return q->len;
}

size_t pv_timerq_retain(pv_timerq_t *q, bool (*keep_cb)(const pv_timer_t *t, void *ctx), void *ctx)
{
    size_t kept = 0, removed;
    for (size_t i = 0; i < q->len; i++)
        if (keep_cb(&q->heap[i], ctx))
            q->heap[kept++] = q->heap[i];
    removed = q->len - kept;
    q->len = kept;
    /* Floyd's bottom-up heap construction: O(n), cheaper than n pushes. */
    for (size_t i = kept / 2; i-- > 0;)
        sift_down(q->heap, kept, i);
    return removed;
}
