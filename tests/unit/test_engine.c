/* Engine properties that scenario files cannot express: byte-for-byte determinism, untouched
 * out-params on rejection, integrity errors on fold, timer timestamps, identity redaction. */
#include <stdlib.h>

#include "files.h"
#include "pravah/store.h"
#include "pvtest.h"
#include "transition.h"

#define T0 1775017800000LL /* 2026-04-01T10:00:00+05:30 */

typedef struct fixture_s {
    pv_engine_t *eng;
    pv_directory_t *dir;
    pv_arena_t arena;
} fixture_t;

static void setup(fixture_t *f)
{
    char err[512];
    pv_engine_config_t cfg = {"unit-salt"};
    f->eng = pv_engine_new(&cfg);
    f->dir = pv_directory_new();
    pv_arena_init(&f->arena, 0);
    int rc = pv_load_schemas(f->eng, f->dir, PV_SOURCE_DIR "/schemas", err, sizeof err);
    if (rc)
        pv_test_fail(__FILE__, __LINE__, "schemas: %s", err);
}

static void teardown(fixture_t *f)
{
    pv_engine_free(f->eng);
    pv_directory_free(f->dir);
    pv_arena_close(&f->arena);
}

static int decode(fixture_t *f, const char *json, pv_event_t *ev)
{
    pv_limits_t lim;
    pv_reject_t rej;
    pv_limits_default(&lim);
    return pv_event_decode_json(json, strlen(json), &lim, &f->arena, ev, &rej);
}

#define ESTIMATE                                                                                   \
    "{\"id\":\"e1\",\"source\":\"t\",\"type\":\"works.submit_estimate\","                         \
    "\"subject\":\"WMS/ULB-GGN/2026/000001\",\"actor\":\"EMP-100314\","                            \
    "\"data\":{\"name\":\"Road\",\"amount\":1500000,\"quantity\":100,\"unit\":\"m\"}}"

PV_TEST(engine, apply_is_deterministic_to_the_byte)
{
    fixture_t f;
    setup(&f);
    pv_event_t ev;
    PV_CHECK_EQ_INT(decode(&f, ESTIMATE, &ev), 0);
    pv_buf_t a, b;
    pv_buf_init(&a);
    pv_buf_init(&b);
    for (int i = 0; i < 2; i++) {
        pv_case_t next;
        pv_record_t rec;
        pv_reject_t rej;
        PV_CHECK_EQ_INT(pv_engine_apply(f.eng, NULL, &ev, T0, &next, &rec, &f.arena, &rej), 0);
        pv_record_link(&rec, &(pv_chain_t){0});
        PV_CHECK_EQ_INT(pv_record_encode(&rec, i ? &b : &a), 0);
    }
    PV_CHECK(a.len > 100 && a.len == b.len && memcmp(a.data, b.data, a.len) == 0);
    pv_buf_close(&a);
    pv_buf_close(&b);
    teardown(&f);
}

PV_TEST(engine, rejection_leaves_out_params_untouched)
{
    fixture_t f;
    setup(&f);
    pv_event_t ev;
    const char *json = "{\"id\":\"e1\",\"source\":\"t\",\"type\":\"works.grant_aa\","
                       "\"subject\":\"WMS/ULB-GGN/2026/000001\",\"actor\":\"EMP-100309\","
                       "\"data\":{\"amount\":5}}";
    PV_CHECK_EQ_INT(decode(&f, json, &ev), 0);
    pv_case_t next, sentinel;
    pv_record_t rec, rsentinel;
    memset(&next, 0xA5, sizeof next);
    memset(&rec, 0x5A, sizeof rec);
    sentinel = next;
    rsentinel = rec;
    pv_reject_t rej;
    PV_CHECK_EQ_INT(pv_engine_apply(f.eng, NULL, &ev, T0, &next, &rec, &f.arena, &rej),
                    PV_EREJECTED);
    PV_CHECK_EQ_STR(pv_reject_code_name(rej.code), "invalid_transition");
    PV_CHECK(memcmp(&next, &sentinel, sizeof next) == 0);
    PV_CHECK(memcmp(&rec, &rsentinel, sizeof rec) == 0);
    teardown(&f);
}

static pv_reject_code_t reject_of(fixture_t *f, const char *type)
{
    char json[512];
    pv_event_t ev;
    pv_case_t next;
    pv_record_t rec;
    pv_reject_t rej = {0};
    snprintf(json, sizeof json,
             "{\"id\":\"x\",\"source\":\"t\",\"type\":\"%s\",\"subject\":\"S-1\","
             "\"actor\":\"EMP-100314\"}",
             type);
    if (decode(f, json, &ev) != 0)
        return PV_REJ_MALFORMED;
    pv_engine_apply(f->eng, NULL, &ev, T0, &next, &rec, &f->arena, &rej);
    return rej.code;
}

PV_TEST(engine, unknown_types_are_named)
{
    fixture_t f;
    setup(&f);
    PV_CHECK_EQ_INT(reject_of(&f, "works.no_such_action"), PV_REJ_UNKNOWN_TYPE);
    PV_CHECK_EQ_INT(reject_of(&f, "nosuchflow.create"), PV_REJ_UNKNOWN_TYPE);
    PV_CHECK_EQ_INT(reject_of(&f, "nodot"), PV_REJ_UNKNOWN_TYPE);
    PV_CHECK_EQ_INT(reject_of(&f, ".create"), PV_REJ_UNKNOWN_TYPE);
    PV_CHECK_EQ_INT(reject_of(&f, "works."), PV_REJ_UNKNOWN_TYPE);
    /* A known action but a subject outside the works case id format. */
    PV_CHECK_EQ_INT(reject_of(&f, "works.submit_estimate"), PV_REJ_MALFORMED);
    teardown(&f);
}

static int collect(void *ctx, const pv_record_t *rec)
{
    pv_buf_t *out = ctx;
    return pv_record_encode(rec, &out[rec->pseq - 1]);
}

PV_TEST(engine, fold_refuses_broken_chains)
{
    fixture_t f;
    setup(&f);
    pv_store_t *st = pv_store_new(f.eng, f.dir);
    pv_event_t ev;
    pv_reject_t rej;
    pv_buf_t out[4];
    for (int i = 0; i < 4; i++)
        pv_buf_init(&out[i]);
    PV_CHECK_EQ_INT(decode(&f, ESTIMATE, &ev), 0);
    PV_CHECK_EQ_INT(pv_store_apply(st, &ev, T0, &f.arena, collect, out, &rej), 0);
    pv_record_t rec;
    char err[256];
    PV_CHECK_EQ_INT(pv_record_decode(out[0].data, out[0].len, &f.arena, &rec, err, sizeof err), 0);
    pv_case_t c;
    memset(&c, 0, sizeof c);
    PV_CHECK_EQ_INT(pv_engine_fold(f.eng, &c, &rec, &f.arena, err, sizeof err), 0);
    PV_CHECK_EQ_INT(c.seq, 1);
    /* The same record again does not follow the case's last record. */
    PV_CHECK_EQ_INT(pv_engine_fold(f.eng, &c, &rec, &f.arena, err, sizeof err), PV_EINTEGRITY);
    PV_CHECK(strstr(err, "does not follow") != NULL);
    /* A tampered prev_hash on a seq-1 record. */
    pv_case_t d;
    memset(&d, 0, sizeof d);
    rec.prev_hash[0] ^= 1;
    PV_CHECK_EQ_INT(pv_engine_fold(f.eng, &d, &rec, &f.arena, err, sizeof err), PV_EINTEGRITY);
    /* A record whose state is not where its action leads. */
    rec.prev_hash[0] ^= 1;
    rec.new_state = "aa_granted";
    memset(&d, 0, sizeof d);
    PV_CHECK_EQ_INT(pv_engine_fold(f.eng, &d, &rec, &f.arena, err, sizeof err), PV_EINTEGRITY);
    PV_CHECK(strstr(err, "state or desk") != NULL);
    /* A journaled deadline that a later calendar edit would compute differently is kept. */
    rec.new_state = "estimate_submitted";
    rec.deadline += 86400000;
    memset(&d, 0, sizeof d);
    PV_CHECK_EQ_INT(pv_engine_fold(f.eng, &d, &rec, &f.arena, err, sizeof err), 0);
    PV_CHECK_EQ_INT(d.deadline, rec.deadline);
    for (int i = 0; i < 4; i++)
        pv_buf_close(&out[i]);
    pv_store_free(st);
    teardown(&f);
}

PV_TEST(engine, timer_records_carry_the_due_time_not_now)
{
    fixture_t f;
    setup(&f);
    pv_event_t ev;
    pv_case_t c, next1, next2;
    pv_record_t rec;
    pv_reject_t rej;
    PV_CHECK_EQ_INT(decode(&f, ESTIMATE, &ev), 0);
    PV_CHECK_EQ_INT(pv_engine_apply(f.eng, NULL, &ev, T0, &c, &rec, &f.arena, &rej), 0);
    PV_CHECK(c.next_timer > T0);
    PV_CHECK_EQ_INT(pv_engine_fire(f.eng, &c, c.next_timer - 1, &next1, &rec, &f.arena), 0);
    PV_CHECK_EQ_INT(pv_engine_fire(f.eng, &c, c.next_timer, &next1, &rec, &f.arena), 1);
    pv_time_t at1 = rec.accepted_at;
    uint8_t h1[PV_HASH_LEN];
    memcpy(h1, rec.hash, PV_HASH_LEN);
    /* Noticed a month late: the same record, to the byte. */
    PV_CHECK_EQ_INT(pv_engine_fire(f.eng, &c, c.next_timer + 30LL * 86400000, &next2, &rec,
                                   &f.arena), 1);
    PV_CHECK_EQ_INT(rec.accepted_at, at1);
    PV_CHECK_EQ_INT(at1, c.next_timer);
    PV_CHECK(memcmp(h1, rec.hash, PV_HASH_LEN) == 0);
    PV_CHECK_EQ_INT(next2.seq, 2);
    teardown(&f);
}

PV_TEST(engine, aadhaar_is_never_journaled)
{
    fixture_t f;
    setup(&f);
    pv_event_t ev;
    pv_case_t c;
    pv_record_t rec;
    pv_reject_t rej;
    const char *json = "{\"id\":\"g1\",\"source\":\"t\",\"type\":\"grievance.lodge\","
                       "\"subject\":\"CMW/2026/000001\",\"actor\":\"CIT-1\",\"data\":{"
                       "\"district\":\"DIST-GGN\",\"aadhaar\":\"234567890124\",\"name\":\"R\","
                       "\"mobile\":\"9812345678\",\"category\":\"revenue\",\"subject\":\"s\","
                       "\"description\":\"d\"}}";
    PV_CHECK_EQ_INT(decode(&f, json, &ev), 0);
    int rc = pv_engine_apply(f.eng, NULL, &ev, T0, &c, &rec, &f.arena, &rej);
    if (rc)
        pv_test_fail(__FILE__, __LINE__, "rejected: %s", rej.message);
    PV_CHECK(memmem(rec.data, rec.data_len, "234567890124", 12) == NULL);
    PV_CHECK(memmem(rec.data, rec.data_len, "XXXXXXXX0124", 12) != NULL);
    PV_CHECK(memmem(rec.data, rec.data_len, "aadhaar_hash", 12) != NULL);
    PV_CHECK(memmem(ev.data, ev.data_len, "234567890124", 12) != NULL);
    teardown(&f);
}

PV_TEST(engine, store_rejections_change_nothing)
{
    fixture_t f;
    setup(&f);
    pv_store_t *st = pv_store_new(f.eng, f.dir);
    pv_event_t ev;
    pv_reject_t rej;
    pv_buf_t out[4];
    for (int i = 0; i < 4; i++)
        pv_buf_init(&out[i]);
    PV_CHECK_EQ_INT(decode(&f, ESTIMATE, &ev), 0);
    PV_CHECK_EQ_INT(pv_store_apply(st, &ev, T0, &f.arena, collect, out, &rej), 0);
    uint8_t head[PV_HASH_LEN];
    memcpy(head, pv_store_chain(st)->head, PV_HASH_LEN);
    PV_CHECK_EQ_INT(pv_store_apply(st, &ev, T0 + 1000, &f.arena, collect, out, &rej),
                    PV_EREJECTED);
    PV_CHECK_EQ_INT(rej.code, PV_REJ_DUPLICATE);
    PV_CHECK_EQ_INT(pv_store_chain(st)->pseq, 1);
    PV_CHECK(memcmp(head, pv_store_chain(st)->head, PV_HASH_LEN) == 0);
    PV_CHECK_EQ_INT(pv_store_get(st, "WMS/ULB-GGN/2026/000001")->seq, 1);
    PV_CHECK_EQ_INT(pv_store_case_count(st), 1);
    for (int i = 0; i < 4; i++)
        pv_buf_close(&out[i]);
    pv_store_free(st);
    teardown(&f);
}

PV_TEST(engine, verhoeff_matches_published_examples)
{
    fixture_t f;
    setup(&f);
    /* 236 is the classic Verhoeff example: its check digit is 3. */
    PV_CHECK(pv__verhoeff_ok("2363"));
    PV_CHECK(!pv__verhoeff_ok("2364"));
    PV_CHECK(pv__verhoeff_ok("234567890124"));
    pv_event_t ev;
    pv_case_t c;
    pv_record_t rec;
    pv_reject_t rej;
    const char *bad = "{\"id\":\"g1\",\"source\":\"t\",\"type\":\"grievance.lodge\","
                      "\"subject\":\"CMW/2026/000001\",\"actor\":\"CIT-1\",\"data\":{"
                      "\"district\":\"DIST-GGN\",\"aadhaar\":\"234567890125\",\"name\":\"R\","
                      "\"mobile\":\"9812345678\",\"category\":\"revenue\",\"subject\":\"s\","
                      "\"description\":\"d\"}}";
    PV_CHECK_EQ_INT(decode(&f, bad, &ev), 0);
    PV_CHECK_EQ_INT(pv_engine_apply(f.eng, NULL, &ev, T0, &c, &rec, &f.arena, &rej), PV_EREJECTED);
    PV_CHECK_EQ_INT(rej.code, PV_REJ_MALFORMED);
    PV_CHECK_EQ_STR(rej.field, "data.aadhaar");
    PV_CHECK(strstr(rej.message, "Verhoeff") != NULL);
    teardown(&f);
}

PV_TEST(engine, store_fold_skips_a_duplicate_delivery)
{
    fixture_t f;
    setup(&f);
    pv_store_t *live = pv_store_new(f.eng, f.dir), *rebuilt = pv_store_new(f.eng, NULL);
    pv_event_t ev;
    pv_reject_t rej;
    pv_buf_t out[4];
    for (int i = 0; i < 4; i++)
        pv_buf_init(&out[i]);
    PV_CHECK_EQ_INT(decode(&f, ESTIMATE, &ev), 0);
    PV_CHECK_EQ_INT(pv_store_apply(live, &ev, T0, &f.arena, collect, out, &rej), 0);
    pv_record_t rec;
    char err[256];
    PV_CHECK_EQ_INT(pv_record_decode(out[0].data, out[0].len, &f.arena, &rec, err, sizeof err), 0);
    PV_CHECK_EQ_INT(pv_store_fold(rebuilt, &rec, &f.arena, err, sizeof err), 0);
    PV_CHECK_EQ_INT(pv_store_fold(rebuilt, &rec, &f.arena, err, sizeof err), 0);
    PV_CHECK_EQ_INT(pv_store_chain(rebuilt)->pseq, 1);
    PV_CHECK_EQ_INT(pv_store_get(rebuilt, "WMS/ULB-GGN/2026/000001")->seq, 1);
    /* A different record claiming the same position is not a duplicate: it is refused. */
    rec.phash[0] ^= 1;
    PV_CHECK_EQ_INT(pv_store_fold(rebuilt, &rec, &f.arena, err, sizeof err), PV_EINTEGRITY);
    for (int i = 0; i < 4; i++)
        pv_buf_close(&out[i]);
    pv_store_free(live);
    pv_store_free(rebuilt);
    teardown(&f);
}
