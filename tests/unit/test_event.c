/* Tests of the event envelope codec (engine/event.c): binary-mode headers, msgpack and JSON data,
 * canonical re-encoding, limits and the rejection texts. */
#include <math.h>
#include <msgpack.h>
#include <stdlib.h>

#include "pravah/buf.h"
#include "pravah/event.h"
#include "pvtest.h"

/* ---- Fixtures ------------------------------------------------------------------------------ */

typedef struct {
    pv_header_t h[16];
    size_t n;
} hdrs_t;

static void hdr_setn(hdrs_t *hs, const char *key, const void *val, size_t len)
{
    for (size_t i = 0; i < hs->n; i++) {
        if (strcmp(hs->h[i].key, key) != 0)
            continue;
        if (!val) {
            memmove(&hs->h[i], &hs->h[i + 1], (hs->n - i - 1) * sizeof hs->h[0]);
            hs->n--;
        } else {
            hs->h[i].value = val;
            hs->h[i].value_len = len;
        }
        return;
    }
    if (val && hs->n < 16)
        hs->h[hs->n++] = (pv_header_t){key, val, len};
}

static void hdr_set(hdrs_t *hs, const char *key, const char *val)
{
    hdr_setn(hs, key, val, val ? strlen(val) : 0);
}

static void hdrs_std(hdrs_t *hs, const char *content_type)
{
    hs->n = 0;
    hdr_set(hs, "ce_specversion", "1.0");
    hdr_set(hs, "ce_id", "evt-0001");
    hdr_set(hs, "ce_source", "/works/portal");
    hdr_set(hs, "ce_type", "works.grant_ts");
    hdr_set(hs, "ce_subject", "W-2026-000123");
    hdr_set(hs, "ce_time", "2026-04-01T10:00:00+05:30");
    hdr_set(hs, "ce_actor", "officer:ee-42");
    hdr_set(hs, "content-type", content_type);
}

/* Everything one decode needs; static because pv_event_t is large. */
static pv_arena_t arena;
static pv_event_t ev, ev2;
static pv_reject_t rej;
static pv_limits_t lim;

static void fx_init(void)
{
    pv_arena_init(&arena, 0);
    pv_limits_default(&lim);
    memset(&ev, 0, sizeof ev);
    memset(&ev2, 0, sizeof ev2);
    memset(&rej, 0, sizeof rej);
}

static void fx_close(void)
{
    pv_arena_close(&arena);
}

static int dec(const hdrs_t *hs, const void *p, size_t n, pv_event_t *out)
{
    return pv_event_decode(hs->h, hs->n, p, n, &lim, &arena, out, &rej);
}

static int dec_json(const char *json, pv_event_t *out)
{
    hdrs_t hs;
    hdrs_std(&hs, "application/json");
    return dec(&hs, json, strlen(json), out);
}

static int dec_mp(const pv_buf_t *b, pv_event_t *out)
{
    hdrs_t hs;
    hdrs_std(&hs, "application/msgpack");
    return dec(&hs, b->data, b->len, out);
}

static int dec_structured(const char *json, pv_event_t *out)
{
    return pv_event_decode_json(json, strlen(json), &lim, &arena, out, &rej);
}

#define CHECK_REJ(want_field, want_msg)                                                            \
    do {                                                                                           \
        PV_CHECK_EQ_INT(rej.code, PV_REJ_MALFORMED);                                               \
        PV_CHECK_EQ_STR(rej.field, want_field);                                                    \
        PV_CHECK_EQ_STR(rej.message, want_msg);                                                    \
    } while (0)

/* A packer writing into a pv_buf_t. */
typedef struct {
    pv_buf_t b;
    msgpack_packer pk;
} mp_t;

static void mp_init(mp_t *m)
{
    pv_buf_init(&m->b);
    msgpack_packer_init(&m->pk, &m->b, pv_buf_msgpack_write);
}

static void mp_str(mp_t *m, const char *s)
{
    msgpack_pack_str(&m->pk, strlen(s));
    msgpack_pack_str_body(&m->pk, s, strlen(s));
}

static void mp_raw(mp_t *m, const void *p, size_t n)
{
    pv_buf_append(&m->b, p, n);
}

/* The sample event data, canonical:
 * {"amount":125000,"ward":"W-12","approved":true,"rate":1.5,"note":null,"items":[{"qty":2},{"qty":3}]}
 */
static const char sample_json[] = "{\"amount\": 125000, \"ward\": \"W-12\", \"approved\": true, "
                                  "\"rate\": 1.5, \"note\": null, "
                                  "\"items\": [{\"qty\": 2}, {\"qty\": 3}]}";

static void sample_items(mp_t *m)
{
    mp_str(m, "items");
    msgpack_pack_array(&m->pk, 2);
    for (int q = 2; q <= 3; q++) {
        msgpack_pack_map(&m->pk, 1);
        mp_str(m, "qty");
        msgpack_pack_int(&m->pk, q);
    }
}

static void sample_canonical(mp_t *m)
{
    mp_init(m);
    msgpack_pack_map(&m->pk, 6);
    mp_str(m, "amount");
    msgpack_pack_int64(&m->pk, 125000);
    mp_str(m, "ward");
    mp_str(m, "W-12");
    mp_str(m, "approved");
    msgpack_pack_true(&m->pk);
    mp_str(m, "rate");
    msgpack_pack_double(&m->pk, 1.5);
    mp_str(m, "note");
    msgpack_pack_nil(&m->pk);
    sample_items(m);
}

/* The same content in the widest encodings a producer might use. */
static void sample_wide(mp_t *m)
{
    mp_init(m);
    mp_raw(m, "\xde\x00\x06", 3); /* map16 */
    mp_raw(m,
           "\xd9\x06"
           "amount",
           8);                                            /* str8 key */
    mp_raw(m, "\xd3\x00\x00\x00\x00\x00\x01\xe8\x48", 9); /* int64 125000 */
    mp_raw(m,
           "\xda\x00\x04"
           "ward"
           "\xdb\x00\x00\x00\x04W-12",
           16); /* str16, str32 */
    mp_str(m, "approved");
    msgpack_pack_true(&m->pk);
    mp_str(m, "rate");
    msgpack_pack_float(&m->pk, 1.5f); /* float32 */
    mp_str(m, "note");
    msgpack_pack_nil(&m->pk);
    mp_str(m, "items");
    mp_raw(m, "\xdd\x00\x00\x00\x02", 5); /* array32 */
    mp_raw(m, "\xdf\x00\x00\x00\x01\xa3qty\xcf\x00\x00\x00\x00\x00\x00\x00\x02",
           18);                          /* map32, uint64 */
    mp_raw(m, "\x81\xa3qty\xd0\x03", 7); /* int8 */
}

static void check_sample_fields(const pv_event_t *e)
{
    PV_CHECK_EQ_INT(e->nfields, 6);
    PV_CHECK_EQ_STR(e->fields[0].name, "amount");
    PV_CHECK_EQ_INT(e->fields[0].value.kind, PV_VAL_INT);
    PV_CHECK_EQ_INT(e->fields[0].value.u.i, 125000);
    const pv_value_t *w = pv_event_field(e, "ward");
    PV_CHECK(w && w->kind == PV_VAL_STR && w->u.s.len == 4);
    PV_CHECK_EQ_STR(w ? w->u.s.ptr : NULL, "W-12");
    const pv_value_t *a = pv_event_field(e, "approved");
    PV_CHECK(a && a->kind == PV_VAL_BOOL && a->u.b);
    const pv_value_t *r = pv_event_field(e, "rate");
    PV_CHECK(r && r->kind == PV_VAL_FLOAT && r->u.f == 1.5);
    const pv_value_t *n = pv_event_field(e, "note");
    PV_CHECK(n && n->kind == PV_VAL_NIL);
    const pv_value_t *it = pv_event_field(e, "items");
    PV_CHECK(it && it->kind == PV_VAL_NESTED);
    PV_CHECK(pv_event_field(e, "missing") == NULL);
}

static bool same_value(const pv_value_t *a, const pv_value_t *b)
{
    if (a->kind != b->kind)
        return false;
    switch (a->kind) {
    case PV_VAL_BOOL:
        return a->u.b == b->u.b;
    case PV_VAL_INT:
        return a->u.i == b->u.i;
    case PV_VAL_FLOAT:
        return memcmp(&a->u.f, &b->u.f, sizeof a->u.f) == 0;
    case PV_VAL_STR:
        return a->u.s.len == b->u.s.len && strcmp(a->u.s.ptr, b->u.s.ptr) == 0;
    default:
        return true;
    }
}

/* Same attributes, data bytes and fields. */
static void check_same_event(const pv_event_t *a, const pv_event_t *b)
{
    PV_CHECK_EQ_STR(a->id, b->id);
    PV_CHECK_EQ_STR(a->source, b->source);
    PV_CHECK_EQ_STR(a->type, b->type);
    PV_CHECK_EQ_STR(a->subject, b->subject);
    PV_CHECK_EQ_STR(a->time, b->time);
    PV_CHECK_EQ_STR(a->actor, b->actor);
    PV_CHECK_EQ_INT(a->data_len, b->data_len);
    PV_CHECK(a->data_len == b->data_len && memcmp(a->data, b->data, a->data_len) == 0);
    PV_CHECK_EQ_INT(a->nfields, b->nfields);
    for (uint32_t i = 0; i < a->nfields && i < b->nfields; i++) {
        PV_CHECK_EQ_STR(a->fields[i].name, b->fields[i].name);
        PV_CHECK(same_value(&a->fields[i].value, &b->fields[i].value));
    }
}

/* ---- Happy paths --------------------------------------------------------------------------- */

PV_TEST(event, decodes_msgpack)
{
    fx_init();
    mp_t m;
    sample_canonical(&m);
    PV_CHECK_EQ_INT(dec_mp(&m.b, &ev), 0);
    PV_CHECK_EQ_STR(ev.id, "evt-0001");
    PV_CHECK_EQ_STR(ev.source, "/works/portal");
    PV_CHECK_EQ_STR(ev.type, "works.grant_ts");
    PV_CHECK_EQ_STR(ev.subject, "W-2026-000123");
    PV_CHECK_EQ_STR(ev.time, "2026-04-01T10:00:00+05:30");
    PV_CHECK_EQ_STR(ev.actor, "officer:ee-42");
    PV_CHECK(ev.data_len == m.b.len && memcmp(ev.data, m.b.data, m.b.len) == 0);
    check_sample_fields(&ev);
    pv_buf_close(&m.b);
    fx_close();
}

PV_TEST(event, decodes_json_with_charset)
{
    fx_init();
    hdrs_t hs;
    hdrs_std(&hs, "Application/JSON; charset=utf-8");
    PV_CHECK_EQ_INT(dec(&hs, sample_json, strlen(sample_json), &ev), 0);
    check_sample_fields(&ev);
    fx_close();
}

PV_TEST(event, json_and_msgpack_give_equal_bytes)
{
    fx_init();
    mp_t m;
    sample_canonical(&m);
    PV_CHECK_EQ_INT(dec_mp(&m.b, &ev), 0);
    PV_CHECK_EQ_INT(dec_json(sample_json, &ev2), 0);
    check_same_event(&ev, &ev2);
    pv_buf_close(&m.b);
    fx_close();
}

PV_TEST(event, wide_msgpack_is_canonicalized)
{
    fx_init();
    mp_t canon, wide;
    sample_canonical(&canon);
    sample_wide(&wide);
    PV_CHECK(wide.b.len > canon.b.len);
    PV_CHECK_EQ_INT(dec_mp(&wide.b, &ev), 0);
    PV_CHECK(ev.data_len == canon.b.len && memcmp(ev.data, canon.b.data, canon.b.len) == 0);
    PV_CHECK_EQ_INT(dec_json(sample_json, &ev2), 0);
    check_same_event(&ev, &ev2);
    pv_buf_close(&canon.b);
    pv_buf_close(&wide.b);
    fx_close();
}

PV_TEST(event, number_kinds_are_canonical)
{
    fx_init();
    /* JSON integers stay integers, fractions and exponents become float64. */
    const char *json = "{\"i\":-1,\"big\":9223372036854775807,\"small\":-9223372036854775808,"
                       "\"f\":2.0,\"e\":1e3,\"z\":-0.0}";
    PV_CHECK_EQ_INT(dec_json(json, &ev), 0);
    PV_CHECK(pv_event_field(&ev, "i")->u.i == -1);
    PV_CHECK(pv_event_field(&ev, "big")->u.i == INT64_MAX);
    PV_CHECK(pv_event_field(&ev, "small")->u.i == INT64_MIN);
    PV_CHECK(pv_event_field(&ev, "f")->kind == PV_VAL_FLOAT);
    PV_CHECK(pv_event_field(&ev, "e")->kind == PV_VAL_FLOAT &&
             pv_event_field(&ev, "e")->u.f == 1e3);
    PV_CHECK(signbit(pv_event_field(&ev, "z")->u.f));
    mp_t m;
    mp_init(&m);
    msgpack_pack_map(&m.pk, 6);
    mp_str(&m, "i");
    mp_raw(&m, "\xd1\xff\xff", 3); /* int16 -1 */
    mp_str(&m, "big");
    msgpack_pack_uint64(&m.pk, INT64_MAX);
    mp_str(&m, "small");
    msgpack_pack_int64(&m.pk, INT64_MIN);
    mp_str(&m, "f");
    msgpack_pack_float(&m.pk, 2.0f);
    mp_str(&m, "e");
    msgpack_pack_double(&m.pk, 1000.0);
    mp_str(&m, "z");
    msgpack_pack_double(&m.pk, -0.0);
    PV_CHECK_EQ_INT(dec_mp(&m.b, &ev2), 0);
    check_same_event(&ev, &ev2);
    pv_buf_close(&m.b);
    fx_close();
}

PV_TEST(event, key_order_is_kept)
{
    fx_init();
    const char *json =
        "{\"z\":1,\"a\":2,\"m\":3,\"b\":4,\"y\":5,\"c\":6,\"x\":7,\"d\":8,\"w\":9,\"e\":10}";
    PV_CHECK_EQ_INT(dec_json(json, &ev), 0);
    const char *order = "zambycxdwe";
    PV_CHECK_EQ_INT(ev.nfields, 10);
    for (int i = 0; i < 10; i++)
        PV_CHECK(ev.fields[i].name[0] == order[i] && ev.fields[i].value.u.i == i + 1);
    PV_CHECK(ev.data[0] == 0x8a && ev.data[1] == 0xa1 && ev.data[2] == 'z');
    fx_close();
}

PV_TEST(event, empty_payload_is_empty_map)
{
    fx_init();
    hdrs_t hs;
    hdrs_std(&hs, "application/msgpack");
    PV_CHECK_EQ_INT(dec(&hs, NULL, 0, &ev), 0);
    PV_CHECK(ev.data_len == 1 && ev.data[0] == 0x80 && ev.nfields == 0);
    hdrs_std(&hs, "application/json");
    PV_CHECK_EQ_INT(dec(&hs, "", 0, &ev2), 0);
    PV_CHECK(ev2.data_len == 1 && ev2.data[0] == 0x80 && ev2.nfields == 0);
    PV_CHECK_EQ_INT(dec_json("{}", &ev2), 0);
    PV_CHECK(ev2.data_len == 1 && ev2.data[0] == 0x80);
    fx_close();
}

PV_TEST(event, bin_is_kept_and_nested)
{
    fx_init();
    mp_t m;
    mp_init(&m);
    msgpack_pack_map(&m.pk, 1);
    mp_str(&m, "sig");
    mp_raw(&m, "\xc5\x00\x03\x00\x01\xff", 6); /* bin16 of 3 bytes, NUL allowed in bin */
    PV_CHECK_EQ_INT(dec_mp(&m.b, &ev), 0);
    PV_CHECK_EQ_INT(pv_event_field(&ev, "sig")->kind, PV_VAL_NESTED);
    PV_CHECK(ev.data_len == 10 && memcmp(ev.data + 5, "\xc4\x03\x00\x01\xff", 5) == 0);
    pv_buf_close(&m.b);
    fx_close();
}

PV_TEST(event, unknown_headers_are_ignored)
{
    fx_init();
    hdrs_t hs;
    hdrs_std(&hs, "application/json");
    hdr_set(&hs, "ce_traceparent", "00-abc");
    hdr_setn(&hs, "x-binary", "\xff\x00", 2);
    hdr_set(&hs, "CE_ID", "ignored: ce_ keys are lower case");
    PV_CHECK_EQ_INT(dec(&hs, "{}", 2, &ev), 0);
    PV_CHECK_EQ_STR(ev.id, "evt-0001");
    fx_close();
}

PV_TEST(event, headers_round_trip)
{
    fx_init();
    mp_t m;
    sample_wide(&m);
    PV_CHECK_EQ_INT(dec_mp(&m.b, &ev), 0);
    pv_header_t h[PV_EVENT_NHEADERS];
    size_t n = pv_event_headers(&ev, h);
    PV_CHECK_EQ_INT(n, 8);
    PV_CHECK_EQ_STR(h[0].key, "ce_specversion");
    PV_CHECK_EQ_STR(h[7].key, "content-type");
    PV_CHECK_EQ_INT(pv_event_decode(h, n, ev.data, ev.data_len, &lim, &arena, &ev2, &rej), 0);
    check_same_event(&ev, &ev2);
    /* Without a time the header is left out, and the time stays "". */
    hdrs_t hs;
    hdrs_std(&hs, "application/msgpack");
    hdr_set(&hs, "ce_time", NULL);
    PV_CHECK_EQ_INT(dec(&hs, m.b.data, m.b.len, &ev), 0);
    PV_CHECK_EQ_STR(ev.time, "");
    n = pv_event_headers(&ev, h);
    PV_CHECK_EQ_INT(n, 7);
    for (size_t i = 0; i < n; i++)
        PV_CHECK(strcmp(h[i].key, "ce_time") != 0);
    PV_CHECK_EQ_INT(pv_event_decode(h, n, ev.data, ev.data_len, &lim, &arena, &ev2, &rej), 0);
    check_same_event(&ev, &ev2);
    pv_buf_close(&m.b);
    fx_close();
}

PV_TEST(event, structured_equals_binary)
{
    fx_init();
    char json[1024];
    snprintf(json, sizeof json,
             "{\"specversion\":\"1.0\",\"id\":\"evt-0001\",\"source\":\"/works/portal\","
             "\"type\":\"works.grant_ts\",\"subject\":\"W-2026-000123\","
             "\"time\":\"2026-04-01T10:00:00+05:30\",\"actor\":\"officer:ee-42\","
             "\"datacontenttype\":\"application/json\",\"data\":%s}",
             sample_json);
    PV_CHECK_EQ_INT(dec_structured(json, &ev), 0);
    mp_t m;
    sample_canonical(&m);
    PV_CHECK_EQ_INT(dec_mp(&m.b, &ev2), 0);
    check_same_event(&ev, &ev2);
    /* specversion, time and data may be left out. */
    PV_CHECK_EQ_INT(
        dec_structured("{\"id\":\"1\",\"source\":\"s\",\"type\":\"t.a\",\"subject\":\"c\","
                       "\"actor\":\"a\"}",
                       &ev),
        0);
    PV_CHECK(ev.data_len == 1 && ev.data[0] == 0x80);
    PV_CHECK_EQ_STR(ev.time, "");
    pv_buf_close(&m.b);
    fx_close();
}

/* ---- Header errors ------------------------------------------------------------------------- */

static const char *const required[] = {"ce_specversion", "ce_id",    "ce_source",   "ce_type",
                                       "ce_subject",     "ce_actor", "content-type"};

PV_TEST(event, missing_headers)
{
    fx_init();
    for (size_t i = 0; i < sizeof required / sizeof required[0]; i++) {
        hdrs_t hs;
        hdrs_std(&hs, "application/json");
        hdr_set(&hs, required[i], NULL);
        PV_CHECK_EQ_INT(dec(&hs, "{}", 2, &ev), PV_EREJECTED);
        char msg[80];
        snprintf(msg, sizeof msg, "%s is missing", required[i]);
        CHECK_REJ(required[i], msg);
    }
    fx_close();
}

PV_TEST(event, empty_headers)
{
    fx_init();
    for (size_t i = 0; i < sizeof required / sizeof required[0]; i++) {
        hdrs_t hs;
        hdrs_std(&hs, "application/json");
        hdr_set(&hs, required[i], "");
        PV_CHECK_EQ_INT(dec(&hs, "{}", 2, &ev), PV_EREJECTED);
        char msg[80];
        snprintf(msg, sizeof msg, "%s is empty", required[i]);
        CHECK_REJ(required[i], msg);
    }
    /* A Kafka null header value is empty too. */
    hdrs_t hs;
    hdrs_std(&hs, "application/json");
    hs.h[1].value = NULL;
    hs.h[1].value_len = 0;
    PV_CHECK_EQ_INT(dec(&hs, "{}", 2, &ev), PV_EREJECTED);
    CHECK_REJ("ce_id", "ce_id is empty");
    fx_close();
}

PV_TEST(event, oversized_headers)
{
    fx_init();
    static const struct {
        const char *key;
        size_t len;
        const char *msg;
    } cases[] = {
        {"ce_id", 129, "ce_id of 129 bytes exceeds the limit of 128"},
        {"ce_subject", 64, "ce_subject of 64 bytes exceeds the limit of 63"},
        {"ce_type", 97, "ce_type of 97 bytes exceeds the limit of 96"},
        {"ce_actor", 64, "ce_actor of 64 bytes exceeds the limit of 63"},
        {"ce_source", 1025, "ce_source of 1025 bytes exceeds the limit of 1024"},
        {"ce_id", 2000, "ce_id of 2000 bytes exceeds the limit of 1024"},
    };
    static char big[2000];
    memset(big, 'x', sizeof big);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        hdrs_t hs;
        hdrs_std(&hs, "application/json");
        hdr_setn(&hs, cases[i].key, big, cases[i].len - 1);
        if (cases[i].len <= lim.max_header) /* one byte less is fine */
            PV_CHECK_EQ_INT(dec(&hs, "{}", 2, &ev), 0);
        hdr_setn(&hs, cases[i].key, big, cases[i].len);
        PV_CHECK_EQ_INT(dec(&hs, "{}", 2, &ev), PV_EREJECTED);
        CHECK_REJ(cases[i].key, cases[i].msg);
    }
    fx_close();
}

PV_TEST(event, header_bytes_must_be_utf8_text)
{
    fx_init();
    hdrs_t hs;
    hdrs_std(&hs, "application/json");
    hdr_setn(&hs, "ce_id", "ab\0cd", 5);
    PV_CHECK_EQ_INT(dec(&hs, "{}", 2, &ev), PV_EREJECTED);
    CHECK_REJ("ce_id", "ce_id contains a NUL byte");
    static const char *const bad[] = {"\xc0\x80", "\xed\xa0\x80", "\xf4\x90\x80\x80", "ab\xe2\x82",
                                      "\xff"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        hdr_set(&hs, "ce_id", NULL);
        hdr_set(&hs, "ce_actor", bad[i]);
        hdr_set(&hs, "ce_id", "evt-1");
        PV_CHECK_EQ_INT(dec(&hs, "{}", 2, &ev), PV_EREJECTED);
        CHECK_REJ("ce_actor", "ce_actor is not valid UTF-8");
    }
    hdr_set(&hs, "ce_actor", "अधिकारी-42"); /* Devanagari is fine */
    PV_CHECK_EQ_INT(dec(&hs, "{}", 2, &ev), 0);
    PV_CHECK_EQ_STR(ev.actor, "अधिकारी-42");
    fx_close();
}

PV_TEST(event, duplicate_header)
{
    fx_init();
    hdrs_t hs;
    hdrs_std(&hs, "application/json");
    hs.h[hs.n++] = (pv_header_t){"ce_type", "works.other", 11};
    PV_CHECK_EQ_INT(dec(&hs, "{}", 2, &ev), PV_EREJECTED);
    CHECK_REJ("ce_type", "ce_type appears more than once");
    fx_close();
}

PV_TEST(event, bad_specversion)
{
    fx_init();
    hdrs_t hs;
    hdrs_std(&hs, "application/json");
    hdr_set(&hs, "ce_specversion", "0.3");
    PV_CHECK_EQ_INT(dec(&hs, "{}", 2, &ev), PV_EREJECTED);
    CHECK_REJ("ce_specversion", "ce_specversion '0.3' is not supported (use 1.0)");
    fx_close();
}

PV_TEST(event, time_valid_forms)
{
    fx_init();
    static const char *const ok[] = {"2026-04-01T10:00:00Z",      "2026-04-01T10:00:00.123456Z",
                                     "2026-04-01T10:00:00+05:30", "2026-04-01t10:00:00.5-08:00",
                                     "2024-02-29T23:59:60z",      "1999-12-31T00:00:00.0+00:00"};
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        hdrs_t hs;
        hdrs_std(&hs, "application/json");
        hdr_set(&hs, "ce_time", ok[i]);
        PV_CHECK_EQ_INT(dec(&hs, "{}", 2, &ev), 0);
        PV_CHECK_EQ_STR(ev.time, ok[i]);
    }
    fx_close();
}

PV_TEST(event, time_invalid_forms)
{
    fx_init();
    static const char *const bad[] = {
        "2026-04-01 10:00:00Z",
        "2026-13-01T10:00:00Z",
        "2026-02-29T10:00:00Z",
        "2026-04-31T10:00:00Z",
        "2026-04-01T24:00:00Z",
        "2026-04-01T10:60:00Z",
        "2026-04-01T10:00:00",
        "2026-04-01T10:00:00.Z",
        "2026-04-01T10:00:00+0530",
        "2026-04-01T10:00:00+24:00",
        "2026-04-01T10:00:00Zjunk",
        "2026-4-01T10:00:00Z",
        "2026-04-01",
        "1775037600",
        "2026-04-01T10:00:00+05:3x",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        hdrs_t hs;
        hdrs_std(&hs, "application/json");
        hdr_set(&hs, "ce_time", bad[i]);
        PV_CHECK_EQ_INT(dec(&hs, "{}", 2, &ev), PV_EREJECTED);
        PV_CHECK_EQ_STR(rej.field, "ce_time");
        char msg[200];
        snprintf(msg, sizeof msg,
                 "ce_time '%s' is not an RFC 3339 date-time (e.g. 2026-04-01T10:00:00+05:30)",
                 bad[i]);
        PV_CHECK_EQ_STR(rej.message, msg);
    }
    fx_close();
}

PV_TEST(event, content_type_rules)
{
    fx_init();
    hdrs_t hs;
    hdrs_std(&hs, "text/plain");
    PV_CHECK_EQ_INT(dec(&hs, "{}", 2, &ev), PV_EREJECTED);
    CHECK_REJ("content-type",
              "content-type 'text/plain' is not supported (use application/msgpack or "
              "application/json)");
    hdrs_std(&hs, "application/jsonx");
    PV_CHECK_EQ_INT(dec(&hs, "{}", 2, &ev), PV_EREJECTED);
    hdrs_std(&hs, " application/msgpack ;v=1");
    PV_CHECK_EQ_INT(dec(&hs, "\x80", 1, &ev), 0);
    hdrs_std(&hs, "application/json");
    hs.h[7].key = "Content-Type"; /* header names are case-insensitive */
    PV_CHECK_EQ_INT(dec(&hs, "{}", 2, &ev), 0);
    fx_close();
}

/* ---- Data errors --------------------------------------------------------------------------- */

PV_TEST(event, truncated_msgpack)
{
    fx_init();
    mp_t m;
    sample_canonical(&m);
    m.b.len = 17; /* inside the "ward" value */
    PV_CHECK_EQ_INT(dec_mp(&m.b, &ev), PV_EREJECTED);
    CHECK_REJ("data", "data is not valid msgpack: truncated at byte 17");
    /* A container claiming more entries than there are bytes. */
    PV_CHECK_EQ_INT(dec_mp(&(pv_buf_t){(uint8_t *)"\x81\xa1x\xdd\x00\x00\x00\xff\x01", 9, 9}, &ev),
                    PV_EREJECTED);
    CHECK_REJ("data", "data is not valid msgpack: truncated at byte 9");
    pv_buf_close(&m.b);
    fx_close();
}

PV_TEST(event, msgpack_garbage)
{
    fx_init();
    PV_CHECK_EQ_INT(dec_mp(&(pv_buf_t){(uint8_t *)"\x81\xa1x\x01\x02\x03", 6, 6}, &ev),
                    PV_EREJECTED);
    CHECK_REJ("data", "data is not valid msgpack: 2 extra bytes after the map at byte 4");
    PV_CHECK_EQ_INT(dec_mp(&(pv_buf_t){(uint8_t *)"\x81\xa1x\xc1", 4, 4}, &ev), PV_EREJECTED);
    CHECK_REJ("data", "data is not valid msgpack: byte 0xc1 at offset 3");
    fx_close();
}

PV_TEST(event, data_must_be_a_map)
{
    fx_init();
    PV_CHECK_EQ_INT(dec_mp(&(pv_buf_t){(uint8_t *)"\x92\x01\x02", 3, 3}, &ev), PV_EREJECTED);
    CHECK_REJ("data", "data must be a map, not an array");
    PV_CHECK_EQ_INT(dec_mp(&(pv_buf_t){(uint8_t *)"\xa2hi", 3, 3}, &ev), PV_EREJECTED);
    CHECK_REJ("data", "data must be a map, not a string");
    PV_CHECK_EQ_INT(dec_json("[1,2]", &ev), PV_EREJECTED);
    CHECK_REJ("data", "data must be a map, not an array");
    PV_CHECK_EQ_INT(dec_json("42", &ev), PV_EREJECTED);
    CHECK_REJ("data", "data must be a map, not an integer");
    fx_close();
}

PV_TEST(event, invalid_json)
{
    fx_init();
    PV_CHECK_EQ_INT(dec_json("{\"a\": 1,\n \"b\": }", &ev), PV_EREJECTED);
    CHECK_REJ("data", "data is not valid JSON: unexpected token near '}' at line 2 column 7");
    PV_CHECK_EQ_INT(dec_json("{\"a\":\"\xff\"}", &ev), PV_EREJECTED);
    PV_CHECK_EQ_STR(rej.field, "data");
    PV_CHECK(strncmp(rej.message, "data is not valid JSON: ", 24) == 0);
    fx_close();
}

/* {"a":{"a":...}} with `levels` maps in all. */
static void nested_json(char *out, int levels)
{
    out[0] = '\0';
    for (int i = 0; i < levels - 1; i++)
        strcat(out, "{\"a\":");
    strcat(out, "{}");
    for (int i = 0; i < levels - 1; i++)
        strcat(out, "}");
}

PV_TEST(event, depth_limit)
{
    fx_init();
    char json[256];
    nested_json(json, 8);
    PV_CHECK_EQ_INT(dec_json(json, &ev), 0);
    nested_json(json, 9);
    PV_CHECK_EQ_INT(dec_json(json, &ev), PV_EREJECTED);
    CHECK_REJ("data.a.a.a.a.a.a.a.a", "nesting depth 9 exceeds the limit of 8");
    /* The same through msgpack, with an array on the way. */
    mp_t m;
    mp_init(&m);
    msgpack_pack_map(&m.pk, 1);
    mp_str(&m, "items");
    for (int i = 0; i < 8; i++)
        msgpack_pack_array(&m.pk, 1);
    msgpack_pack_nil(&m.pk);
    PV_CHECK_EQ_INT(dec_mp(&m.b, &ev), PV_EREJECTED);
    CHECK_REJ("data.items[0][0][0][0][0][0][0]", "nesting depth 9 exceeds the limit of 8");
    pv_buf_close(&m.b);
    fx_close();
}

PV_TEST(event, string_limit_names_the_field)
{
    fx_init();
    char *json = malloc(20000);
    char *big = malloc(9001);
    memset(big, 'x', 9000);
    big[9000] = '\0';
    snprintf(json, 20000, "{\"amount\":\"%s\"}", big);
    PV_CHECK_EQ_INT(dec_json(json, &ev), PV_EREJECTED);
    CHECK_REJ("data.amount", "string of 9000 bytes exceeds the limit of 8192");
    snprintf(json, 20000, "{\"items\":[{\"qty\":1},{},{\"x\":1,\"qty\":\"%s\"}]}", big);
    PV_CHECK_EQ_INT(dec_json(json, &ev), PV_EREJECTED);
    CHECK_REJ("data.items[2].qty", "string of 9000 bytes exceeds the limit of 8192");
    mp_t m;
    mp_init(&m);
    msgpack_pack_map(&m.pk, 1);
    msgpack_pack_str(&m.pk, 9000);
    msgpack_pack_str_body(&m.pk, big, 9000);
    msgpack_pack_nil(&m.pk);
    PV_CHECK_EQ_INT(dec_mp(&m.b, &ev), PV_EREJECTED);
    CHECK_REJ("data", "map key of 9000 bytes exceeds the limit of 8192");
    pv_buf_close(&m.b);
    free(big);
    free(json);
    fx_close();
}

PV_TEST(event, entry_limits)
{
    fx_init();
    mp_t m;
    mp_init(&m);
    msgpack_pack_map(&m.pk, 1);
    mp_str(&m, "list");
    msgpack_pack_array(&m.pk, 257);
    for (int i = 0; i < 257; i++)
        msgpack_pack_int(&m.pk, i);
    PV_CHECK_EQ_INT(dec_mp(&m.b, &ev), PV_EREJECTED);
    CHECK_REJ("data.list", "array of 257 entries exceeds the limit of 256");
    /* Top level: at most PV_EVENT_MAX_TOP_FIELDS. */
    char json[2048] = "{";
    for (int i = 0; i < 65; i++)
        snprintf(json + strlen(json), sizeof json - strlen(json), "%s\"k%d\":%d", i ? "," : "", i,
                 i);
    strcat(json, "}");
    PV_CHECK_EQ_INT(dec_json(json, &ev), PV_EREJECTED);
    CHECK_REJ("data", "data has 65 top-level fields, more than the limit of 64");
    strcpy(strrchr(json, ','), "}"); /* 64 fields */
    PV_CHECK_EQ_INT(dec_json(json, &ev), 0);
    PV_CHECK_EQ_INT(ev.nfields, 64);
    PV_CHECK_EQ_STR(ev.fields[63].name, "k63");
    pv_buf_close(&m.b);
    fx_close();
}

PV_TEST(event, payload_limit)
{
    fx_init();
    lim.max_payload = 16;
    PV_CHECK_EQ_INT(dec_json("{\"a\":\"0123456789\"}", &ev), PV_EREJECTED);
    CHECK_REJ("data", "data of 18 bytes exceeds the limit of 16");
    fx_close();
}

PV_TEST(event, duplicate_keys)
{
    fx_init();
    mp_t m;
    mp_init(&m);
    msgpack_pack_map(&m.pk, 2);
    mp_str(&m, "items");
    msgpack_pack_array(&m.pk, 1);
    msgpack_pack_map(&m.pk, 3);
    mp_str(&m, "qty");
    msgpack_pack_int(&m.pk, 1);
    mp_str(&m, "sku");
    msgpack_pack_int(&m.pk, 1);
    mp_str(&m, "qty");
    msgpack_pack_int(&m.pk, 2);
    mp_str(&m, "x");
    msgpack_pack_int(&m.pk, 2);
    PV_CHECK_EQ_INT(dec_mp(&m.b, &ev), PV_EREJECTED);
    CHECK_REJ("data.items[0].qty", "key 'qty' appears twice");
    PV_CHECK_EQ_INT(dec_json("{\"a\":1,\"a\":2}", &ev), PV_EREJECTED);
    CHECK_REJ("data",
              "data is not valid JSON: duplicate object key near '\"a\"' at line 1 column 10");
    /* The same key in sibling maps is fine. */
    PV_CHECK_EQ_INT(dec_json("{\"a\":{\"k\":1},\"b\":{\"k\":1},\"k\":{\"a\":1}}", &ev), 0);
    pv_buf_close(&m.b);
    fx_close();
}

PV_TEST(event, keys_must_be_strings)
{
    fx_init();
    PV_CHECK_EQ_INT(dec_mp(&(pv_buf_t){(uint8_t *)"\x82\xa1x\x01\x05\x01", 6, 6}, &ev),
                    PV_EREJECTED);
    CHECK_REJ("data", "map key of entry 1 is not a string");
    fx_close();
}

PV_TEST(event, extension_types_rejected)
{
    fx_init();
    PV_CHECK_EQ_INT(
        dec_mp(&(pv_buf_t){(uint8_t *)"\x81\xa2ts\xd6\xff\x00\x00\x00\x01", 10, 10}, &ev),
        PV_EREJECTED);
    CHECK_REJ("data.ts", "extension type -1 is not supported");
    PV_CHECK_EQ_INT(dec_mp(&(pv_buf_t){(uint8_t *)"\x81\xa1x\xc7\x01\x05\x00", 7, 7}, &ev),
                    PV_EREJECTED);
    CHECK_REJ("data.x", "extension type 5 is not supported");
    fx_close();
}

PV_TEST(event, huge_integers_rejected)
{
    fx_init();
    mp_t m;
    mp_init(&m);
    msgpack_pack_map(&m.pk, 1);
    mp_str(&m, "amount");
    msgpack_pack_uint64(&m.pk, UINT64_MAX);
    PV_CHECK_EQ_INT(dec_mp(&m.b, &ev), PV_EREJECTED);
    CHECK_REJ("data.amount", "integer 18446744073709551615 is outside the int64 range");
    PV_CHECK_EQ_INT(dec_json("{\"items\": [{\"qty\": 1}, {\"q\\\"ty\": 2, \"qty\": "
                             "99999999999999999999}]}",
                             &ev),
                    PV_EREJECTED);
    CHECK_REJ("data.items[1].qty", "integer 99999999999999999999 is outside the int64 range");
    PV_CHECK_EQ_INT(dec_json("{\"a\":[1,[2,-9223372036854775809]]}", &ev), PV_EREJECTED);
    CHECK_REJ("data.a[1][1]", "integer -9223372036854775809 is outside the int64 range");
    PV_CHECK_EQ_INT(dec_json("{\"r\":1e400}", &ev), PV_EREJECTED);
    CHECK_REJ("data.r", "number 1e400 is outside the float64 range");
    pv_buf_close(&m.b);
    fx_close();
}

PV_TEST(event, nul_and_utf8_in_data)
{
    fx_init();
    PV_CHECK_EQ_INT(dec_json("{\"note\":\"a\\u0000b\"}", &ev), PV_EREJECTED);
    CHECK_REJ("data.note", "string contains a NUL byte");
    PV_CHECK_EQ_INT(dec_mp(&(pv_buf_t){(uint8_t *)"\x81\xa4note\xa3"
                                                  "a\0b",
                                       10, 10},
                           &ev),
                    PV_EREJECTED);
    CHECK_REJ("data.note", "string contains a NUL byte");
    PV_CHECK_EQ_INT(dec_mp(&(pv_buf_t){(uint8_t *)"\x81\xa4note\xa2\xc3\x28", 9, 9}, &ev),
                    PV_EREJECTED);
    CHECK_REJ("data.note", "string is not valid UTF-8");
    PV_CHECK_EQ_INT(dec_mp(&(pv_buf_t){(uint8_t *)"\x81\xa2\x00x\x01", 5, 5}, &ev), PV_EREJECTED);
    CHECK_REJ("data", "map key contains a NUL byte");
    fx_close();
}

PV_TEST(event, non_finite_floats_rejected)
{
    fx_init();
    mp_t m;
    mp_init(&m);
    msgpack_pack_map(&m.pk, 1);
    mp_str(&m, "rate");
    msgpack_pack_double(&m.pk, NAN);
    PV_CHECK_EQ_INT(dec_mp(&m.b, &ev), PV_EREJECTED);
    PV_CHECK_EQ_STR(rej.field, "data.rate");
    PV_CHECK(strstr(rej.message, "is not finite") != NULL);
    pv_buf_close(&m.b);
    fx_close();
}

PV_TEST(event, failure_leaves_event_untouched)
{
    fx_init();
    memset(&ev, 0xab, sizeof ev);
    pv_event_t copy;
    memcpy(&copy, &ev, sizeof ev);
    PV_CHECK_EQ_INT(dec_json("{\"a\":1,\"b\":[1,2,{\"c\":99999999999999999999}]}", &ev),
                    PV_EREJECTED);
    PV_CHECK(memcmp(&copy, &ev, sizeof ev) == 0);
    fx_close();
}

/* ---- Structured mode ----------------------------------------------------------------------- */

#define ATTRS "\"id\":\"1\",\"source\":\"s\",\"type\":\"t.a\",\"subject\":\"c\",\"actor\":\"a\""

PV_TEST(event, structured_errors)
{
    fx_init();
    PV_CHECK_EQ_INT(dec_structured("{" ATTRS ",\"foo\":1}", &ev), PV_EREJECTED);
    CHECK_REJ("foo", "unknown attribute 'foo'");
    PV_CHECK_EQ_INT(dec_structured("{\"source\":\"s\",\"type\":\"t.a\",\"subject\":\"c\","
                                   "\"actor\":\"a\"}",
                                   &ev),
                    PV_EREJECTED);
    CHECK_REJ("id", "id is missing");
    PV_CHECK_EQ_INT(dec_structured("{\"id\":7,\"source\":\"s\"}", &ev), PV_EREJECTED);
    CHECK_REJ("id", "id must be a string, not an integer");
    PV_CHECK_EQ_INT(dec_structured("{\"specversion\":\"0.3\"," ATTRS "}", &ev), PV_EREJECTED);
    CHECK_REJ("specversion", "specversion '0.3' is not supported (use 1.0)");
    PV_CHECK_EQ_INT(dec_structured("{\"time\":\"yesterday\"," ATTRS "}", &ev), PV_EREJECTED);
    PV_CHECK_EQ_STR(rej.field, "time");
    PV_CHECK_EQ_INT(dec_structured("{\"datacontenttype\":\"text/xml\"," ATTRS "}", &ev),
                    PV_EREJECTED);
    CHECK_REJ("datacontenttype",
              "datacontenttype 'text/xml' is not supported (structured events carry JSON data)");
    PV_CHECK_EQ_INT(dec_structured("{" ATTRS ",\"data\":[1]}", &ev), PV_EREJECTED);
    CHECK_REJ("data", "data must be a map, not an array");
    PV_CHECK_EQ_INT(dec_structured("{" ATTRS ",\"data\":{\"amount\":123456789012345678901}}", &ev),
                    PV_EREJECTED);
    CHECK_REJ("data.amount", "integer 123456789012345678901 is outside the int64 range");
    PV_CHECK_EQ_INT(dec_structured("{" ATTRS ",\"data\":{\"s\":\"0123456789\"}}", &ev), 0);
    lim.max_string = 4;
    PV_CHECK_EQ_INT(dec_structured("{" ATTRS ",\"data\":{\"s\":\"0123456789\"}}", &ev),
                    PV_EREJECTED);
    CHECK_REJ("data.s", "string of 10 bytes exceeds the limit of 4");
    PV_CHECK_EQ_INT(dec_structured("{" ATTRS ",", &ev), PV_EREJECTED);
    PV_CHECK_EQ_STR(rej.field, "");
    PV_CHECK(strncmp(rej.message, "event is not valid JSON: ", 25) == 0);
    PV_CHECK_EQ_INT(dec_structured("[]", &ev), PV_EREJECTED);
    CHECK_REJ("", "event must be a JSON object, not an array");
    fx_close();
}

PV_TEST(event, rejection_text_is_printable_utf8)
{
    fx_init();
    /* jansson quotes the offending bytes; the rejection must still be clean text. */
    PV_CHECK_EQ_INT(dec_json("{\"a\":\x01\xfe}", &ev), PV_EREJECTED);
    for (const char *p = rej.message; *p; p++)
        PV_CHECK((unsigned char)*p >= 0x20 && (unsigned char)*p < 0x80);
    fx_close();
}

PV_TEST(event, null_limits_are_defaults)
{
    fx_init();
    hdrs_t hs;
    hdrs_std(&hs, "application/json");
    PV_CHECK_EQ_INT(pv_event_decode(hs.h, hs.n, "{\"a\":1}", 7, NULL, &arena, &ev, &rej), 0);
    PV_CHECK_EQ_INT(
        pv_event_decode_json("{" ATTRS "}", strlen("{" ATTRS "}"), NULL, &arena, &ev, &rej), 0);
    /* An absurd depth limit is clamped, so recursion stays bounded. */
    lim.max_depth = UINT32_MAX;
    char json[2048];
    nested_json(json, 200);
    PV_CHECK_EQ_INT(dec_json(json, &ev), PV_EREJECTED);
    PV_CHECK_EQ_STR(rej.message, "nesting depth 129 exceeds the limit of 128");
    fx_close();
}
