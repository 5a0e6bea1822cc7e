/* A partition's cases: a flat array of pv_case_t indexed by an open-addressing hash table on the
 * case id, a due-timer queue with lazy cancellation (per-slot generations), and the chain. */
#include <stdlib.h>
#include <string.h>

#include "pravah/store.h"
#include "transition.h"

struct pv_store_s {
    const pv_engine_t *eng;
    pv_directory_t *dir;
    pv_case_t *cases;
    uint32_t *gen;       /* timer generation per slot */
    pv_time_t *queued;   /* due time of the live queue entry per slot, 0 if none */
    size_t ncases, cap;
    uint64_t *index;     /* (id hash >> 32) << 32 | slot + 1; 0 = empty; index_cap a power of 2 */
    size_t index_cap;
    pv_timerq_t timers;
    pv_chain_t chain;
};

pv_store_t *pv_store_new(const pv_engine_t *eng, pv_directory_t *dir)
{
    pv_store_t *st = calloc(1, sizeof *st);
    if (!st)
        return NULL;
    st->eng = eng;
    st->dir = dir;
    pv_timerq_init(&st->timers);
    return st;
}

void pv_store_free(pv_store_t *st)
{
    if (!st)
        return;
    free(st->cases);
    free(st->gen);
    free(st->queued);
    free(st->index);
    pv_timerq_close(&st->timers);
    free(st);
}

/* The index position of id, or the empty position where it would go. The high half of each
 * entry holds a tag of the id's hash, so most probes never touch the case array. */
static size_t find_slot(const pv_store_t *st, const char *id, uint64_t h)
{
    size_t mask = st->index_cap - 1;
    uint64_t tag = h >> 32;
    for (size_t i = h & mask;; i = (i + 1) & mask) {
        uint64_t v = st->index[i];
        if (v == 0 || ((v >> 32) == tag && strcmp(st->cases[(uint32_t)v - 1].id, id) == 0))
            return i;
    }
}

static const pv_case_t *get_hashed(const pv_store_t *st, const char *id, uint64_t h)
{
    if (!st->index_cap)
        return NULL;
    uint64_t v = st->index[find_slot(st, id, h)];
    return v ? &st->cases[(uint32_t)v - 1] : NULL;
}

const pv_case_t *pv_store_get(const pv_store_t *st, const char *case_id)
{
    return get_hashed(st, case_id, pv__id_hash(case_id));
}

static int resize_index(pv_store_t *st, size_t cap)
{
    uint64_t *old = st->index;
    size_t old_cap = st->index_cap;
    if (!(st->index = calloc(cap, sizeof *st->index))) {
        st->index = old;
        return PV_ENOMEM;
    }
    st->index_cap = cap;
    for (size_t i = 0; i < old_cap; i++)
        if (old[i]) {
            const char *id = st->cases[(uint32_t)old[i] - 1].id;
            st->index[find_slot(st, id, pv__id_hash(id))] = old[i];
        }
    free(old);
    return 0;
}

static int grow_index(pv_store_t *st)
{
    return resize_index(st, st->index_cap ? st->index_cap * 2 : 1024);
}

static int resize_cases(pv_store_t *st, size_t cap)
{
    pv_case_t *c = realloc(st->cases, cap * sizeof *c);
    if (!c)
        return PV_ENOMEM;
    st->cases = c;
    uint32_t *g = realloc(st->gen, cap * sizeof *g);
    if (!g)
        return PV_ENOMEM;
    st->gen = g;
    pv_time_t *q = realloc(st->queued, cap * sizeof *q);
    if (!q)
        return PV_ENOMEM;
    st->queued = q;
    st->cap = cap;
    return 0;
}

static int grow_cases(pv_store_t *st)
{
    return resize_cases(st, st->cap ? st->cap * 2 : 1024);
}

int pv_store_reserve(pv_store_t *st, size_t n)
{
    size_t icap = st->index_cap ? st->index_cap : 1024;
    while (n * 2 > icap)
        icap *= 2;
    int rc = 0;
    if (n > st->cap)
        rc = resize_cases(st, n);
    if (rc == 0 && icap > st->index_cap)
        rc = resize_index(st, icap);
    return rc;
}

/* Keeps the timer entry of the case in slot current with its next_timer. */
static int rearm(pv_store_t *st, uint32_t slot)
{
    pv_time_t next = st->cases[slot].next_timer;
    if (next == st->queued[slot])
        return 0;
    st->gen[slot]++; /* the old entry, if any, is now stale */
    st->queued[slot] = next;
    return next ? pv_timerq_push(&st->timers, next, slot, st->gen[slot]) : 0;
}

/* Stores c (new or updated; h is pv__id_hash of its id), keeps its timer entry in the queue
 * current, and returns its slot in *slot_out. */
static int put_case(pv_store_t *st, const pv_case_t *c, uint64_t h, uint32_t *slot_out)
{
    int rc;
    if ((st->ncases + 1) * 2 > st->index_cap && (rc = grow_index(st)))
        return rc;
    size_t pos = find_slot(st, c->id, h);
    uint32_t slot;
    if (st->index[pos]) {
        slot = (uint32_t)st->index[pos] - 1;
    } else {
        if (st->ncases == st->cap && (rc = grow_cases(st)))
            return rc;
        slot = (uint32_t)st->ncases++;
        st->gen[slot] = 0;
        st->queued[slot] = 0;
        st->index[pos] = (h >> 32) << 32 | (slot + 1);
    }
    st->cases[slot] = *c;
    *slot_out = slot;
    return rearm(st, slot);
}

static int emit(pv_store_t *st, pv_record_t *rec, pv_arena_t *arena, pv_record_cb cb, void *ctx)
{
    pv_record_link(rec, &st->chain);
    if (st->dir)
        pv_engine_update_directory(st->eng, st->dir, rec, arena);
    return cb ? cb(ctx, rec) : 0;
}

int pv_store_apply(pv_store_t *st, const pv_event_t *ev, pv_time_t now, pv_arena_t *arena,
                   pv_record_cb cb, void *ctx, pv_reject_t *rej)
{
    pv_case_t next;
    pv_record_t rec;
    uint32_t slot;
    uint64_t h = pv__id_hash(ev->subject);
    int rc = pv_engine_apply(st->eng, get_hashed(st, ev->subject, h), ev, now, &next, &rec, arena,
                             rej);
    if (rc || (rc = put_case(st, &next, h, &slot)))
        return rc;
    rec.case_id = st->cases[slot].id;
    rec.assignee = st->cases[slot].assignee;
    rec.office = st->cases[slot].office;
    return emit(st, &rec, arena, cb, ctx);
}

int pv_store_fire_due(pv_store_t *st, pv_time_t now, size_t max, pv_arena_t *arena,
                      pv_record_cb cb, void *ctx)
{
    size_t emitted = 0, budget = 4 * max + 64; /* stale entries count too: the slice stays bounded */
    pv_timer_t t;
    while (emitted < max && budget-- > 0 && pv_timerq_peek(&st->timers, &t) == 0 &&
           t.due <= now) {
        pv_timerq_pop_due(&st->timers, now, &t, 1);
        if (t.gen != st->gen[t.slot])
            continue; /* stale: the case moved on */
        st->queued[t.slot] = 0;
        pv_case_t next;
        pv_record_t rec;
        int rc = pv_engine_fire(st->eng, &st->cases[t.slot], now, &next, &rec, arena);
        if (rc < 0)
            return rc;
        uint32_t slot;
        if (rc == 0) {
            /* Nothing due after all (cannot happen while next_timer is kept current): re-arm at
             * the case's own time, never at or before now, so the loop cannot spin on it. */
            pv_case_t c = st->cases[t.slot];
            c.next_timer = pv__next_timer(&c);
            if (c.next_timer && c.next_timer <= now)
                c.next_timer = now + 1;
            if ((rc = put_case(st, &c, pv__id_hash(c.id), &slot)))
                return rc;
            continue;
        }
        if ((rc = put_case(st, &next, pv__id_hash(next.id), &slot)))
            return rc;
        rec.case_id = st->cases[t.slot].id;
        rec.assignee = st->cases[t.slot].assignee;
        rec.office = st->cases[t.slot].office;
        if ((rc = emit(st, &rec, arena, cb, ctx)))
            return rc;
        emitted++;
    }
    return (int)emitted;
}

/* The case a record folds into, in place: the stored one, or a zeroed one at the end of the array
 * that becomes a case only if the fold succeeds (*pos is its index position, *is_new set). */
static int fold_target(pv_store_t *st, const char *id, uint64_t h, size_t *pos, int *is_new,
                       pv_case_t **out)
{
    int rc;
    if ((st->ncases + 1) * 2 > st->index_cap && (rc = grow_index(st)))
        return rc;
    *pos = find_slot(st, id, h);
    *is_new = st->index[*pos] == 0;
    if (!*is_new) {
        *out = &st->cases[(uint32_t)st->index[*pos] - 1];
        return 0;
    }
    if (st->ncases == st->cap && (rc = grow_cases(st)))
        return rc;
    *out = &st->cases[st->ncases];
    memset(*out, 0, sizeof **out);
    return 0;
}

int pv_store_fold(pv_store_t *st, const pv_record_t *rec, pv_arena_t *arena, char *err,
                  size_t errlen)
{
    /* The same record delivered twice (a producer retry): already folded, skip it, as verifiers
     * do (docs/JOURNAL.md). */
    if (rec->pseq == st->chain.pseq && st->chain.pseq &&
        memcmp(rec->phash, st->chain.head, PV_HASH_LEN) == 0)
        return 0;
    if (rec->pseq != st->chain.pseq + 1 || memcmp(rec->pprev, st->chain.head, PV_HASH_LEN) != 0) {
        snprintf(err, errlen, "partition record %llu does not follow record %llu of the chain",
                 (unsigned long long)rec->pseq, (unsigned long long)st->chain.pseq);
        return PV_EINTEGRITY;
    }
    /* In place: one index probe and no copy of the case (the rebuild's hot path). */
    uint64_t h = pv__id_hash(rec->case_id);
    size_t pos;
    int is_new, rc;
    pv_case_t *c;
    if ((rc = fold_target(st, rec->case_id, h, &pos, &is_new, &c)) ||
        (rc = pv_engine_fold(st->eng, c, rec, arena, err, errlen)))
        return rc;
    uint32_t slot = (uint32_t)(c - st->cases);
    if (is_new) {
        st->ncases++;
        st->gen[slot] = 0;
        st->queued[slot] = 0;
        st->index[pos] = (h >> 32) << 32 | (slot + 1);
    }
    if ((rc = rearm(st, slot)))
        return rc;
    st->chain.pseq = rec->pseq;
    memcpy(st->chain.head, rec->phash, PV_HASH_LEN);
    /* No directory change here: the directory topic, read in full, is the directory's history
     * across all partitions; replaying one partition's HRMS records could roll it back. */
    return 0;
}

int pv_store_restore(pv_store_t *st, const pv_case_t *c)
{
    uint64_t h = pv__id_hash(c->id);
    uint32_t slot;
    if (get_hashed(st, c->id, h))
        return PV_EEXIST;
    return put_case(st, c, h, &slot);
}

void pv_store_set_chain(pv_store_t *st, const pv_chain_t *chain)
{
    st->chain = *chain;
}

size_t pv_store_case_count(const pv_store_t *st)
{
    return st->ncases;
}

const pv_case_t *pv_store_case_at(const pv_store_t *st, size_t i)
{
    return i < st->ncases ? &st->cases[i] : NULL;
}

pv_time_t pv_store_next_due(pv_store_t *st)
{
    pv_timer_t t;
    /* Drop stale heads so the answer is a real deadline. */
    while (pv_timerq_peek(&st->timers, &t) == 0) {
        if (t.gen == st->gen[t.slot])
            return t.due;
        pv_timerq_pop_due(&st->timers, t.due, &t, 1);
    }
    return 0;
}

size_t pv_store_open_timers(const pv_store_t *st)
{
    size_t n = 0;
    for (size_t i = 0; i < st->ncases; i++)
        n += st->queued[i] != 0;
    return n;
}

const pv_chain_t *pv_store_chain(const pv_store_t *st)
{
    return &st->chain;
}
