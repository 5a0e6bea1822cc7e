/* The due-timer queue (engine/timerq.c): order against a sorted reference, slice bounds,
 * deterministic ties, compaction, and memory per entry at 10 million entries. */
#include <stdlib.h>
#include <time.h>

#include "pravah/timerq.h"
#include "pvtest.h"

/* splitmix64: a stateless hash of the index, so big tests can regenerate entries, not store
 * them. */
static uint64_t mix(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ull;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

static int timer_cmp(const void *a, const void *b)
{
    const pv_timer_t *x = a, *y = b;
    if (x->due != y->due)
        return x->due < y->due ? -1 : 1;
    if (x->slot != y->slot)
        return x->slot < y->slot ? -1 : 1;
    return (x->gen > y->gen) - (x->gen < y->gen);
}

static int same_timer(const pv_timer_t *a, const pv_timer_t *b)
{
    return a->due == b->due && a->slot == b->slot && a->gen == b->gen;
}

/* Checks the heap property of the whole array. */
static int is_heap(const pv_timerq_t *q)
{
    for (size_t i = 1; i < q->len; i++)
        if (timer_cmp(&q->heap[(i - 1) / 2], &q->heap[i]) > 0)
            return 0;
    return 1;
}

PV_TEST(timerq, empty)
{
    pv_timerq_t q;
    pv_timer_t t, out[4];
    pv_timerq_init(&q);
    PV_CHECK_EQ_INT(pv_timerq_len(&q), 0);
    PV_CHECK_EQ_INT(pv_timerq_peek(&q, &t), PV_ENOENT);
    PV_CHECK_EQ_INT(pv_timerq_pop_due(&q, INT64_MAX, out, 4), 0);
    pv_timerq_close(&q);
    pv_timerq_close(&q); /* idempotent */
}

PV_TEST(timerq, random_pushes_pop_sorted)
{
    enum { N = 100000 };
    pv_timer_t *ref = malloc(N * sizeof *ref), *out = malloc(N * sizeof *out);
    pv_timerq_t q;
    pv_timerq_init(&q);
    if (!ref || !out)
        goto out;
    for (uint32_t i = 0; i < N; i++) {
        uint64_t r = mix(i);
        /* A narrow due range, so that many entries tie on due and order by slot and gen. */
        ref[i] = (pv_timer_t){.due = (pv_time_t)(r % 5000) - 2500,
                              .slot = (uint32_t)(r >> 32) % 1000,
                              .gen = (uint32_t)(r >> 16) % 7};
        PV_CHECK_EQ_INT(pv_timerq_push(&q, ref[i].due, ref[i].slot, ref[i].gen), 0);
    }
    PV_CHECK(is_heap(&q));
    qsort(ref, N, sizeof *ref, timer_cmp);
    pv_timer_t top;
    PV_CHECK_EQ_INT(pv_timerq_peek(&q, &top), 0);
    PV_CHECK(same_timer(&top, &ref[0]));
    size_t got = 0, k;
    while ((k = pv_timerq_pop_due(&q, INT64_MAX, out + got, 777)) > 0)
        got += k;
    PV_CHECK_EQ_INT(got, N);
    PV_CHECK(memcmp(out, ref, N * sizeof *ref) == 0);
    PV_CHECK_EQ_INT(pv_timerq_len(&q), 0);
out:
    pv_timerq_close(&q);
    free(ref);
    free(out);
}

PV_TEST(timerq, pop_due_bounds)
{
    pv_timerq_t q;
    pv_timer_t out[16];
    pv_timerq_init(&q);
    for (uint32_t i = 0; i < 10; i++)
        pv_timerq_push(&q, 1000 + 100 * (pv_time_t)(9 - i), i, 0); /* dues 1000..1900 */
    /* `now` is inclusive; nothing is due before 1000. */
    PV_CHECK_EQ_INT(pv_timerq_pop_due(&q, 999, out, 16), 0);
    PV_CHECK_EQ_INT(pv_timerq_pop_due(&q, 1000, out, 0), 0);
    PV_CHECK_EQ_INT(pv_timerq_pop_due(&q, 1000, out, 16), 1);
    PV_CHECK_EQ_INT(out[0].due, 1000);
    PV_CHECK_EQ_INT(out[0].slot, 9);
    /* Five are due by 1500 but the slice takes only three, earliest first. */
    PV_CHECK_EQ_INT(pv_timerq_pop_due(&q, 1500, out, 3), 3);
    PV_CHECK_EQ_INT(out[0].due, 1100);
    PV_CHECK_EQ_INT(out[2].due, 1300);
    PV_CHECK_EQ_INT(pv_timerq_len(&q), 6);
    PV_CHECK_EQ_INT(pv_timerq_pop_due(&q, 1500, out, 16), 2);
    PV_CHECK_EQ_INT(out[1].due, 1500);
    pv_timer_t top;
    PV_CHECK_EQ_INT(pv_timerq_peek(&q, &top), 0);
    PV_CHECK_EQ_INT(top.due, 1600);
    PV_CHECK_EQ_INT(pv_timerq_pop_due(&q, INT64_MAX, out, 16), 4);
    PV_CHECK_EQ_INT(pv_timerq_len(&q), 0);
    pv_timerq_close(&q);
}

/* Pushes the same 64 tied entries in the order given by `seed`; returns the pop order. */
static void pop_order(uint64_t seed, pv_timer_t out[64])
{
    pv_timer_t in[64];
    pv_timerq_t q;
    pv_timerq_init(&q);
    for (uint32_t i = 0; i < 64; i++)
        in[i] = (pv_timer_t){.due = 5000 + (i % 2), .slot = (i * 37) % 16, .gen = i / 16};
    for (int i = 63; i > 0; i--) {
        int j = (int)(mix(seed + (uint64_t)i) % (uint64_t)(i + 1));
        pv_timer_t t = in[i];
        in[i] = in[j];
        in[j] = t;
    }
    for (int i = 0; i < 64; i++)
        pv_timerq_push(&q, in[i].due, in[i].slot, in[i].gen);
    PV_CHECK_EQ_INT(pv_timerq_pop_due(&q, 5001, out, 64), 64);
    pv_timerq_close(&q);
}

PV_TEST(timerq, ties_are_deterministic)
{
    pv_timer_t first[64], again[64];
    pop_order(1, first);
    for (uint64_t seed = 2; seed < 50; seed++) {
        pop_order(seed, again);
        PV_CHECK(memcmp(first, again, sizeof first) == 0);
    }
    /* Due, then slot, then generation. */
    PV_CHECK_EQ_INT(first[0].due, 5000);
    PV_CHECK_EQ_INT(first[0].slot, 0);
    PV_CHECK_EQ_INT(first[0].gen, 0);
    PV_CHECK_EQ_INT(first[1].slot, 0);
    PV_CHECK_EQ_INT(first[1].gen, 1);
    for (int i = 1; i < 64; i++)
        PV_CHECK(timer_cmp(&first[i - 1], &first[i]) < 0);
}

PV_TEST(timerq, interleaved_push_pop)
{
    /* A live engine pushes while it pops; the queue must stay a heap throughout. */
    pv_timerq_t q;
    pv_timer_t out[8];
    pv_time_t now = 0, last = INT64_MIN;
    size_t pushed = 0, popped = 0;
    pv_timerq_init(&q);
    for (uint32_t i = 0; i < 20000; i++) {
        uint64_t r = mix(i + 7);
        pv_timerq_push(&q, now + (pv_time_t)(r % 1000), i, (uint32_t)r & 3);
        pushed++;
        if (i % 3 == 0) {
            now += 1;
            size_t k = pv_timerq_pop_due(&q, now, out, 8);
            for (size_t j = 0; j < k; j++) {
                PV_CHECK(out[j].due <= now);
                PV_CHECK(out[j].due >= last); /* never earlier than one already fired */
                last = out[j].due;
            }
            popped += k;
        }
    }
    PV_CHECK(is_heap(&q));
    PV_CHECK_EQ_INT(pv_timerq_len(&q), pushed - popped);
    pv_timerq_close(&q);
}

static bool keep_current_gen(const pv_timer_t *t, void *ctx)
{
    const uint32_t *gens = ctx;
    return t->gen == gens[t->slot];
}

PV_TEST(timerq, retain_drops_stale_generations)
{
    enum { SLOTS = 1000 };
    uint32_t gens[SLOTS] = {0};
    pv_timerq_t q;
    pv_timer_t out[SLOTS];
    pv_timerq_init(&q);
    /* Every case moves state three times: each move bumps its generation and pushes anew. */
    for (uint32_t round = 0; round < 3; round++)
        for (uint32_t s = 0; s < SLOTS; s++) {
            gens[s] = round;
            pv_timerq_push(&q, (pv_time_t)(mix(s * 3 + round) % 100000), s, round);
        }
    PV_CHECK_EQ_INT(pv_timerq_retain(&q, keep_current_gen, gens), 2 * SLOTS);
    PV_CHECK_EQ_INT(pv_timerq_len(&q), SLOTS);
    PV_CHECK(is_heap(&q));
    PV_CHECK_EQ_INT(pv_timerq_pop_due(&q, INT64_MAX, out, SLOTS), SLOTS);
    for (size_t i = 0; i < SLOTS; i++) {
        PV_CHECK_EQ_INT(out[i].gen, 2);
        if (i > 0)
            PV_CHECK(timer_cmp(&out[i - 1], &out[i]) < 0);
    }
    pv_timerq_close(&q);
}

PV_TEST(timerq, reserve_is_exact)
{
    pv_timerq_t q;
    pv_timerq_init(&q);
    PV_CHECK_EQ_INT(pv_timerq_reserve(&q, 1000), 0);
    PV_CHECK_EQ_INT(q.cap, 1000);
    for (uint32_t i = 0; i < 1000; i++)
        pv_timerq_push(&q, i, i, 0);
    PV_CHECK_EQ_INT(q.cap, 1000); /* no growth while within the reservation */
    PV_CHECK_EQ_INT(pv_timerq_reserve(&q, 10), 0);
    PV_CHECK_EQ_INT(q.cap, 1000); /* never shrinks */
    PV_CHECK_EQ_INT(pv_timerq_reserve(&q, SIZE_MAX / 2), PV_ENOMEM);
    PV_CHECK_EQ_INT(q.len, 1000);
    pv_timerq_close(&q);
}

static pv_time_t big_due(uint32_t i)
{
    /* Deadlines spread over ~3 years from 2026 at ms resolution: ties are possible, ordered by
     * slot. */
    return 1767225600000LL + (pv_time_t)(mix(i) % (3ull * 365 * 86400000));
}

/* 10 million open deadlines. Bound with doubling from 64: the array is 64 * 2^18 = 16,777,216
 * entries = 256 MiB (268,435,456 bytes), under the 2 x 16 B x 10M = 320 MB the doubling rule
 * allows; the entries themselves are exactly 16 B each (160 MB). */
PV_TEST(timerq, ten_million_entries)
{
    enum { N = 10000000, K = 1000 };
    pv_timerq_t q;
    pv_timer_t *out = malloc(K * sizeof *out);
    clock_t t0 = clock();
    pv_timerq_init(&q);
    PV_CHECK_EQ_INT(sizeof(pv_timer_t), 16);
    for (uint32_t i = 0; i < N && out; i++)
        if (pv_timerq_push(&q, big_due(i), i, 1) != 0) {
            pv_test_fail(__FILE__, __LINE__, "push %u failed", i);
            break;
        }
    PV_CHECK_EQ_INT(pv_timerq_len(&q), N);
    PV_CHECK(q.cap * sizeof(pv_timer_t) <= (size_t)N * 16 * 2);
    PV_CHECK_EQ_INT(q.cap, 16777216);
    size_t k = out ? pv_timerq_pop_due(&q, INT64_MAX, out, K) : 0;
    PV_CHECK_EQ_INT(k, K);
    PV_CHECK_EQ_INT(pv_timerq_len(&q), N - K);
    /* Each popped entry is real (its due is the one generated for its slot), they come in strict
     * order, and exactly K-1 of all N entries sort before the last one: so they are the K
     * earliest. */
    for (size_t i = 0; i < k; i++) {
        PV_CHECK(out[i].due == big_due(out[i].slot));
        if (i > 0)
            PV_CHECK(timer_cmp(&out[i - 1], &out[i]) < 0);
    }
    size_t before = 0;
    for (uint32_t i = 0; i < N && k == K; i++) {
        pv_timer_t t = {.due = big_due(i), .slot = i, .gen = 1};
        before += timer_cmp(&t, &out[K - 1]) < 0;
    }
    PV_CHECK_EQ_INT(before, K - 1);
    double secs = (double)(clock() - t0) / CLOCKS_PER_SEC;
    if (secs > 3.0)
        fprintf(stderr, "  note: ten_million_entries took %.2f s\n", secs);
    pv_timerq_close(&q);
    free(out);
}
