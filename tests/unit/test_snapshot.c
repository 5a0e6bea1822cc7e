/* Snapshots (engine/snapshot.c): a store saved and loaded again behaves exactly as the original
 * (same records for the same next events and timers), and a damaged or foreign snapshot is
 * refused with a reason rather than loaded. */
#include <stdlib.h>

#include "files.h"
#include "pravah/snapshot.h"
#include "pravah/store.h"
#include "pvtest.h"

#define T0 1775017800000LL /* 2026-04-01T10:00:00+05:30 */
#define NCASES 40

typedef struct fixture_s {
    pv_engine_t *eng;
    pv_directory_t *dir;
    pv_arena_t arena;
    pv_store_t *st;
} fixture_t;

static int collect(void *ctx, const pv_record_t *rec)
{
    return pv_record_encode(rec, ctx);
}

static int apply_estimate(fixture_t *f, pv_store_t *st, int n, const char *id, pv_time_t at,
                          pv_buf_t *out)
{
    char json[512];
    pv_limits_t lim;
    pv_reject_t rej;
    pv_event_t ev;
    pv_limits_default(&lim);
    snprintf(json, sizeof json,
             "{\"id\":\"%s\",\"source\":\"t\",\"type\":\"works.submit_estimate\","
             "\"subject\":\"WMS/ULB-GGN/2026/%06d\",\"actor\":\"EMP-100314\","
             "\"data\":{\"name\":\"Road\",\"amount\":%d,\"quantity\":100,\"unit\":\"m\"}}",
             id, n, 1000000 + n);
    int rc = pv_event_decode_json(json, strlen(json), &lim, &f->arena, &ev, &rej);
    return rc ? rc : pv_store_apply(st, &ev, at, &f->arena, collect, out, &rej);
}

/* A store of NCASES works cases, a third of them past their first deadline (timer records). */
static void setup(fixture_t *f)
{
    char err[512];
    pv_engine_config_t cfg = {"unit-salt"};
    f->eng = pv_engine_new(&cfg);
    f->dir = pv_directory_new();
    pv_arena_init(&f->arena, 0);
    if (pv_load_schemas(f->eng, f->dir, PV_SOURCE_DIR "/schemas", err, sizeof err))
        pv_test_fail(__FILE__, __LINE__, "schemas: %s", err);
    f->st = pv_store_new(f->eng, f->dir);
    pv_buf_t sink;
    pv_buf_init(&sink);
    for (int i = 1; i <= NCASES; i++)
        if (apply_estimate(f, f->st, i, "e1", T0 + i * 60000LL, &sink) != 0)
            pv_test_fail(__FILE__, __LINE__, "case %d not applied", i);
    pv_time_t due = pv_store_next_due(f->st);
    while (pv_store_fire_due(f->st, due, 64, &f->arena, collect, &sink) == 64)
        ;
    pv_buf_close(&sink);
}

static void teardown(fixture_t *f)
{
    pv_store_free(f->st);
    pv_engine_free(f->eng);
    pv_directory_free(f->dir);
    pv_arena_close(&f->arena);
}

static void save(fixture_t *f, pv_buf_t *snap)
{
    pv_snapshot_info_t info = {.partition = 7, .journal_next = 1234, .intake_next = 99,
                               .chain = *pv_store_chain(f->st)};
    pv_buf_init(snap);
    if (pv_snapshot_encode(f->st, &info, snap) != 0)
        pv_test_fail(__FILE__, __LINE__, "encode failed");
}

PV_TEST(snapshot, round_trip_continues_like_the_original)
{
    fixture_t f;
    setup(&f);
    pv_buf_t snap, again, a, b;
    save(&f, &snap);
    pv_store_t *copy = pv_store_new(f.eng, f.dir);
    pv_snapshot_info_t info;
    char err[256] = "";
    PV_CHECK_EQ_INT(pv_snapshot_decode(snap.data, snap.len, f.eng, copy, &info, err, sizeof err),
                    0);
    PV_CHECK_EQ_INT(info.partition, 7);
    PV_CHECK_EQ_INT(info.journal_next, 1234);
    PV_CHECK_EQ_INT(info.intake_next, 99);
    PV_CHECK_EQ_INT(info.ncases, NCASES);
    PV_CHECK_EQ_INT(pv_store_case_count(copy), NCASES);
    PV_CHECK(pv_store_chain(f.st)->pseq > NCASES); /* some timer records were folded in */
    PV_CHECK_EQ_INT(pv_store_chain(copy)->pseq, pv_store_chain(f.st)->pseq);
    PV_CHECK(memcmp(pv_store_chain(copy)->head, pv_store_chain(f.st)->head, PV_HASH_LEN) == 0);
    PV_CHECK_EQ_INT(pv_store_next_due(copy), pv_store_next_due(f.st));
    /* Saved again: the same bytes (every field written, nothing lost). */
    pv_snapshot_info_t same = {7, 0, 1234, 99, *pv_store_chain(copy)};
    pv_buf_init(&again);
    PV_CHECK_EQ_INT(pv_snapshot_encode(copy, &same, &again), 0);
    PV_CHECK(again.len == snap.len && memcmp(again.data, snap.data, snap.len) == 0);
    /* The next timers and a redelivered event give the same records in both stores. */
    pv_buf_init(&a);
    pv_buf_init(&b);
    pv_time_t later = T0 + 90LL * 86400000;
    PV_CHECK(pv_store_fire_due(f.st, later, 1000, &f.arena, collect, &a) > 0);
    PV_CHECK(pv_store_fire_due(copy, later, 1000, &f.arena, collect, &b) > 0);
    PV_CHECK_EQ_INT(apply_estimate(&f, f.st, 3, "e1", later, &a), PV_EREJECTED); /* duplicate */
    PV_CHECK_EQ_INT(apply_estimate(&f, copy, 3, "e1", later, &b), PV_EREJECTED);
    PV_CHECK_EQ_INT(apply_estimate(&f, f.st, NCASES + 1, "e1", later, &a), 0);
    PV_CHECK_EQ_INT(apply_estimate(&f, copy, NCASES + 1, "e1", later, &b), 0);
    PV_CHECK(a.len > 0 && a.len == b.len && memcmp(a.data, b.data, a.len) == 0);
    pv_buf_close(&a);
    pv_buf_close(&b);
    pv_buf_close(&again);
    PV_CHECK_EQ_INT(pv_snapshot_set_journal_next(snap.data, snap.len, 5678), 0);
    PV_CHECK_EQ_INT(pv_snapshot_info(snap.data, snap.len, &info, err, sizeof err), 0);
    PV_CHECK_EQ_INT(info.journal_next, 5678);
    pv_store_free(copy);
    copy = pv_store_new(f.eng, f.dir);
    PV_CHECK_EQ_INT(pv_snapshot_decode(snap.data, snap.len, f.eng, copy, &info, err, sizeof err),
                    0);
    pv_buf_close(&snap);
    pv_store_free(copy);
    teardown(&f);
}

static int decode_into_new(fixture_t *f, const pv_buf_t *snap, size_t len, char *err, size_t n)
{
    pv_store_t *st = pv_store_new(f->eng, f->dir);
    pv_snapshot_info_t info;
    int rc = pv_snapshot_decode(snap->data, len, f->eng, st, &info, err, n);
    pv_store_free(st);
    return rc;
}

PV_TEST(snapshot, damage_is_refused_with_a_reason)
{
    fixture_t f;
    setup(&f);
    pv_buf_t snap;
    char err[256];
    save(&f, &snap);
    snap.data[snap.len / 2] ^= 0x10; /* one bit inside a case */
    PV_CHECK_EQ_INT(decode_into_new(&f, &snap, snap.len, err, sizeof err), PV_EINTEGRITY);
    PV_CHECK(strstr(err, "trailer hash") != NULL);
    snap.data[snap.len / 2] ^= 0x10;
    PV_CHECK_EQ_INT(decode_into_new(&f, &snap, snap.len - 1, err, sizeof err), PV_EINTEGRITY);
    PV_CHECK_EQ_INT(decode_into_new(&f, &snap, 20, err, sizeof err), PV_EFORMAT);
    snap.data[4] = 2; /* a future version */
    PV_CHECK_EQ_INT(decode_into_new(&f, &snap, snap.len, err, sizeof err), PV_EFORMAT);
    PV_CHECK(strstr(err, "version 2") != NULL);
    snap.data[4] = 1;
    snap.data[0] = 'X';
    PV_CHECK_EQ_INT(decode_into_new(&f, &snap, snap.len, err, sizeof err), PV_EFORMAT);
    snap.data[0] = 'P';
    PV_CHECK_EQ_INT(decode_into_new(&f, &snap, snap.len, err, sizeof err), 0);
    /* Into a store that is not empty: refused. */
    pv_snapshot_info_t info;
    PV_CHECK_EQ_INT(pv_snapshot_decode(snap.data, snap.len, f.eng, f.st, &info, err, sizeof err),
                    PV_EINVAL);
    pv_buf_close(&snap);
    teardown(&f);
}
