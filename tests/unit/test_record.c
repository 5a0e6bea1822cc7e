/* Journal records: codec round trips, the golden vector of docs/JOURNAL.md, both chains, the
 * seal checks, the strict decoder, and the vector files that journal_layout.py verifies. */
#include <stdlib.h>

#include <msgpack.h>

#include "pravah/record.h"
#include "pvtest.h"

/* ---- helpers ---------------------------------------------------------------------------- */

static const uint8_t zeros[PV_HASH_LEN];

static void pack_cstr(msgpack_packer *pk, const char *s)
{
    msgpack_pack_str_with_body(pk, s, strlen(s));
}

/* {"amount": amount, "work": work} in canonical msgpack, into b. */
static void sample_data(pv_buf_t *b, int64_t amount, const char *work)
{
    msgpack_packer pk;
    msgpack_packer_init(&pk, b, pv_buf_msgpack_write);
    msgpack_pack_map(&pk, 2);
    pack_cstr(&pk, "amount");
    msgpack_pack_int64(&pk, amount);
    pack_cstr(&pk, "work");
    pack_cstr(&pk, work);
}

/* The record of the worked example in docs/JOURNAL.md: a citizen submits a works case. */
static void golden_record(pv_record_t *r, pv_buf_t *data)
{
    memset(r, 0, sizeof *r);
    pv_buf_reset(data);
    sample_data(data, 4850000, "Road repair, ward 12");
    r->format = PV_RECORD_FORMAT;
    r->case_id = "WRK-2024-000123";
    r->seq = 1;
    r->case_type = "works";
    r->def_version = 3;
    r->kind = PV_KIND_EVENT;
    r->event_id = "7d9c2f4e-3b1a-4c8e-9f60-2a5b7c8d9e01";
    r->event_type = "works.submit";
    r->source = "/portal/works";
    r->actor = "CIT-884201";
    r->actor_post = "";
    r->actor_role = "citizen";
    r->event_time = "2024-06-03T10:15:00+05:30";
    r->accepted_at = 1717389900123;
    r->prev_state = "";
    r->new_state = "submitted";
    r->assignee = "AE-DIV3-SEC2";
    r->deadline = 1717994700123;
    r->alert_level = 0;
    r->alert_target = "";
    r->data = data->data;
    r->data_len = data->len;
    r->office = "PWD-DIV-3";
}

/* Seals, links to a fresh chain and encodes the golden record into wire. */
static void golden_wire(pv_record_t *r, pv_buf_t *data, pv_buf_t *wire)
{
    pv_chain_t chain = {0};
    golden_record(r, data);
    PV_CHECK(pv_record_seal(r) == 0);
    pv_record_link(r, &chain);
    PV_CHECK(pv_record_encode(r, wire) == 0);
}

static void to_hex(const uint8_t *p, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++)
        sprintf(out + 2 * i, "%02x", p[i]);
    out[2 * n] = '\0';
}

typedef void (*alt_fn)(msgpack_packer *pk);

/* An independent packing of the 23 body elements (the layout as docs/JOURNAL.md states it), with
 * element `idx` written by `alt` instead; `alt` NULL and idx -1 packs the record as it is. `count`
 * is the array length written. */
static void pack_body_alt(const pv_record_t *r, int idx, alt_fn alt, uint32_t count, pv_buf_t *out)
{
    msgpack_packer pk;
    msgpack_packer_init(&pk, out, pv_buf_msgpack_write);
    msgpack_pack_array(&pk, count);
    for (int i = 0; i < PV_RECORD_BODY_FIELDS && (uint32_t)i < count; i++) {
        if (i == idx) {
            alt(&pk);
            continue;
        }
        switch (i) {
        case 0:
            msgpack_pack_uint32(&pk, r->format);
            break;
        case 1:
            pack_cstr(&pk, r->case_id);
            break;
        case 2:
            msgpack_pack_uint64(&pk, r->seq);
            break;
        case 3:
            pack_cstr(&pk, r->case_type);
            break;
        case 4:
            msgpack_pack_uint32(&pk, r->def_version);
            break;
        case 5:
            pack_cstr(&pk, pv_record_kind_name(r->kind));
            break;
        case 6:
            pack_cstr(&pk, r->event_id);
            break;
        case 7:
            pack_cstr(&pk, r->event_type);
            break;
        case 8:
            pack_cstr(&pk, r->source);
            break;
        case 9:
            pack_cstr(&pk, r->actor);
            break;
        case 10:
            pack_cstr(&pk, r->actor_post);
            break;
        case 11:
            pack_cstr(&pk, r->actor_role);
            break;
        case 12:
            pack_cstr(&pk, r->event_time);
            break;
        case 13:
            msgpack_pack_int64(&pk, r->accepted_at);
            break;
        case 14:
            pack_cstr(&pk, r->prev_state);
            break;
        case 15:
            pack_cstr(&pk, r->new_state);
            break;
        case 16:
            pack_cstr(&pk, r->assignee);
            break;
        case 17:
            msgpack_pack_int64(&pk, r->deadline);
            break;
        case 18:
            msgpack_pack_uint32(&pk, r->alert_level);
            break;
        case 19:
            pack_cstr(&pk, r->alert_target);
            break;
        case 20:
            pv_buf_append(out, r->data, r->data_len);
            break;
        case 21:
            pack_cstr(&pk, r->office);
            break;
        case 22:
            msgpack_pack_bin_with_body(&pk, r->prev_hash, PV_HASH_LEN);
            break;
        }
    }
}

/* Wraps body bytes into a correctly sealed wire record at pseq 1 (so only structure is wrong). */
static void wrap_wire(const uint8_t *body, size_t n, pv_buf_t *out)
{
    uint8_t h[PV_HASH_LEN], ph[PV_HASH_LEN];
    msgpack_packer pk;
    pv_sha256(body, n, h);
    pv_record_partition_hash(zeros, h, 1, ph);
    msgpack_packer_init(&pk, out, pv_buf_msgpack_write);
    msgpack_pack_array(&pk, 5);
    msgpack_pack_bin_with_body(&pk, body, n);
    msgpack_pack_bin_with_body(&pk, h, PV_HASH_LEN);
    msgpack_pack_uint64(&pk, 1);
    msgpack_pack_bin_with_body(&pk, zeros, PV_HASH_LEN);
    msgpack_pack_bin_with_body(&pk, ph, PV_HASH_LEN);
}

/* Decodes wire and checks it fails with PV_EFORMAT and a message containing `want`. */
static int decode_fails_with(const uint8_t *p, size_t n, const char *want)
{
    pv_arena_t a;
    pv_record_t r;
    char err[256];
    pv_arena_init(&a, 0);
    int rc = pv_record_decode(p, n, &a, &r, err, sizeof err);
    pv_arena_close(&a);
    if (rc != PV_EFORMAT || !strstr(err, want)) {
        fprintf(stderr, "  decode: rc %d, err \"%s\", wanted \"%s\"\n", rc, err, want);
        return 0;
    }
    return 1;
}

/* Packs the golden body with element idx replaced by alt, wraps it, expects `want`. */
static int alt_fails_with(int idx, alt_fn alt, const char *want)
{
    pv_record_t r;
    pv_buf_t data, body, wire;
    pv_buf_init(&data);
    pv_buf_init(&body);
    pv_buf_init(&wire);
    golden_record(&r, &data);
    pack_body_alt(&r, idx, alt, PV_RECORD_BODY_FIELDS, &body);
    wrap_wire(body.data, body.len, &wire);
    int ok = decode_fails_with(wire.data, wire.len, want);
    pv_buf_close(&data);
    pv_buf_close(&body);
    pv_buf_close(&wire);
    return ok;
}

/* ---- basics ----------------------------------------------------------------------------- */

PV_TEST(record, kind_names)
{
    static const char *const names[] = {"event", "sla.reminder", "sla.breached", "sla.escalated"};
    for (int k = 0; k < 4; k++) {
        pv_record_kind_t got = PV_KIND_EVENT;
        PV_CHECK_EQ_STR(pv_record_kind_name((pv_record_kind_t)k), names[k]);
        PV_CHECK(pv_record_kind_parse(names[k], &got) == 0);
        PV_CHECK_EQ_INT(got, k);
    }
    pv_record_kind_t keep = PV_KIND_BREACHED;
    PV_CHECK(pv_record_kind_parse("sla.Breached", &keep) == PV_EINVAL);
    PV_CHECK(pv_record_kind_parse("unknown", &keep) == PV_EINVAL);
    PV_CHECK_EQ_INT(keep, PV_KIND_BREACHED);
    PV_CHECK_EQ_STR(pv_record_kind_name((pv_record_kind_t)9), "unknown");
}

PV_TEST(record, sha256_and_hex)
{
    uint8_t h[PV_HASH_LEN];
    char hex[2 * PV_HASH_LEN + 1];
    pv_sha256("abc", 3, h);
    pv_hash_hex(h, hex);
    PV_CHECK_EQ_STR(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    pv_sha256("", 0, h);
    pv_hash_hex(h, hex);
    PV_CHECK_EQ_STR(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

PV_TEST(record, partition_hash_formula)
{
    uint8_t pprev[PV_HASH_LEN], hash[PV_HASH_LEN], in[72], want[PV_HASH_LEN], got[PV_HASH_LEN];
    for (int i = 0; i < PV_HASH_LEN; i++) {
        pprev[i] = (uint8_t)i;
        hash[i] = (uint8_t)(0xff - i);
    }
    memcpy(in, pprev, 32);
    memcpy(in + 32, hash, 32);
    memcpy(in + 64, "\x01\x02\x03\x04\x05\x06\x07\x08", 8);
    pv_sha256(in, sizeof in, want);
    pv_record_partition_hash(pprev, hash, 0x0102030405060708u, got);
    PV_CHECK(memcmp(want, got, PV_HASH_LEN) == 0);
}

/* ---- round trips and determinism -------------------------------------------------------- */

PV_TEST(record, round_trip_every_field)
{
    pv_record_t r, d;
    pv_buf_t data, wire;
    pv_arena_t a;
    char err[256];
    pv_buf_init(&data);
    pv_buf_init(&wire);
    pv_arena_init(&a, 0);
    golden_record(&r, &data);
    r.seq = 7;
    r.kind = PV_KIND_ESCALATED;
    r.alert_level = 2;
    r.alert_target = "SE-CIRCLE-1";
    r.accepted_at = -5; /* before 1970: signed */
    r.deadline = INT64_MAX;
    r.def_version = UINT32_MAX;
    memset(r.prev_hash, 0xab, PV_HASH_LEN);
    pv_chain_t chain = {41, {1, 2, 3}};
    PV_CHECK(pv_record_seal(&r) == 0);
    pv_record_link(&r, &chain);
    PV_CHECK(pv_record_encode(&r, &wire) == 0);
    PV_CHECK(pv_record_decode(wire.data, wire.len, &a, &d, err, sizeof err) == 0);
    PV_CHECK_EQ_STR(err, "");
    PV_CHECK_EQ_INT(d.format, 1);
    PV_CHECK_EQ_STR(d.case_id, r.case_id);
    PV_CHECK_EQ_INT(d.seq, 7);
    PV_CHECK_EQ_STR(d.case_type, r.case_type);
    PV_CHECK(d.def_version == UINT32_MAX);
    PV_CHECK_EQ_INT(d.kind, PV_KIND_ESCALATED);
    PV_CHECK_EQ_STR(d.event_id, r.event_id);
    PV_CHECK_EQ_STR(d.event_type, r.event_type);
    PV_CHECK_EQ_STR(d.source, r.source);
    PV_CHECK_EQ_STR(d.actor, r.actor);
    PV_CHECK_EQ_STR(d.actor_post, "");
    PV_CHECK_EQ_STR(d.actor_role, r.actor_role);
    PV_CHECK_EQ_STR(d.event_time, r.event_time);
    PV_CHECK_EQ_INT(d.accepted_at, -5);
    PV_CHECK(d.deadline == INT64_MAX);
    PV_CHECK_EQ_STR(d.prev_state, "");
    PV_CHECK_EQ_STR(d.new_state, r.new_state);
    PV_CHECK_EQ_STR(d.assignee, r.assignee);
    PV_CHECK_EQ_INT(d.alert_level, 2);
    PV_CHECK_EQ_STR(d.alert_target, "SE-CIRCLE-1");
    PV_CHECK(d.data_len == data.len && memcmp(d.data, data.data, data.len) == 0);
    PV_CHECK_EQ_STR(d.office, r.office);
    PV_CHECK(memcmp(d.prev_hash, r.prev_hash, PV_HASH_LEN) == 0);
    PV_CHECK(memcmp(d.hash, r.hash, PV_HASH_LEN) == 0);
    PV_CHECK_EQ_INT(d.pseq, 42);
    PV_CHECK(memcmp(d.pprev, chain.head, PV_HASH_LEN) != 0); /* chain advanced past it */
    PV_CHECK(d.pprev[0] == 1 && d.pprev[1] == 2 && d.pprev[2] == 3);
    PV_CHECK(memcmp(d.phash, chain.head, PV_HASH_LEN) == 0 && chain.pseq == 42);
    PV_CHECK(d.body != NULL && d.data > d.body && d.data + d.data_len < d.body + d.body_len);
    PV_CHECK(pv_record_verify_seal(&d, err, sizeof err) == 0);
    pv_arena_close(&a);
    pv_buf_close(&data);
    pv_buf_close(&wire);
}

PV_TEST(record, extreme_integers_round_trip)
{
    static const int64_t times[] = {0,      127,           128,           255,          256,
                                    65535,  65536,         4294967295LL,  4294967296LL, -1,
                                    -32,    -33,           -128,          -129,         -32768,
                                    -32769, -2147483648LL, -2147483649LL, INT64_MIN,    INT64_MAX};
    pv_record_t r, d;
    pv_buf_t data, wire;
    pv_arena_t a;
    pv_buf_init(&data);
    pv_buf_init(&wire);
    pv_arena_init(&a, 0);
    for (size_t i = 0; i < sizeof times / sizeof times[0]; i++) {
        golden_record(&r, &data);
        r.accepted_at = times[i];
        r.deadline = -(times[i] / 2);
        r.seq = i == 0 ? UINT64_MAX : (uint64_t)times[i];
        pv_buf_reset(&wire);
        PV_CHECK(pv_record_seal(&r) == 0 && pv_record_encode(&r, &wire) == 0);
        PV_CHECK(pv_record_decode(wire.data, wire.len, &a, &d, NULL, 0) == 0);
        PV_CHECK(d.accepted_at == r.accepted_at && d.deadline == r.deadline && d.seq == r.seq);
        pv_buf_reset(&data);
    }
    pv_arena_close(&a);
    pv_buf_close(&data);
    pv_buf_close(&wire);
}

PV_TEST(record, deterministic_bytes)
{
    pv_record_t r1, r2;
    pv_buf_t d1, d2, w1, w2;
    pv_buf_init(&d1);
    pv_buf_init(&d2);
    pv_buf_init(&w1);
    pv_buf_init(&w2);
    golden_wire(&r1, &d1, &w1);
    golden_wire(&r2, &d2, &w2);
    PV_CHECK(w1.len == w2.len && memcmp(w1.data, w2.data, w1.len) == 0);
    /* the C encoder and the test's independent packing agree byte for byte */
    pv_buf_t enc, ind;
    pv_buf_init(&enc);
    pv_buf_init(&ind);
    PV_CHECK(pv_record_encode_body(&r1, &enc) == 0);
    pack_body_alt(&r1, -1, NULL, PV_RECORD_BODY_FIELDS, &ind);
    PV_CHECK(enc.len == ind.len && memcmp(enc.data, ind.data, enc.len) == 0);
    pv_buf_close(&d1);
    pv_buf_close(&d2);
    pv_buf_close(&w1);
    pv_buf_close(&w2);
    pv_buf_close(&enc);
    pv_buf_close(&ind);
}

/* Must equal the worked example in docs/JOURNAL.md: a change here is a change of the journal
 * format, which every published journal and every third-party verifier depends on. */
static const char golden_body_hex[] =
    "dc001701af57524b2d323032342d30303031323301a5776f726b7303a5657665"
    "6e74d92437643963326634652d336231612d346338652d396636302d32613562"
    "3763386439653031ac776f726b732e7375626d6974ad2f706f7274616c2f776f"
    "726b73aa4349542d383834323031a0a7636974697a656eb9323032342d30362d"
    "30335431303a31353a30302b30353a3330cf0000018fdc6a395ba0a97375626d"
    "6974746564ac41452d444956332d53454332cf000001900076bd5b00a082a661"
    "6d6f756e74ce004a0150a4776f726bb4526f6164207265706169722c20776172"
    "64203132a95057442d4449562d33c42000000000000000000000000000000000"
    "00000000000000000000000000000000";
static const char golden_hash_hex[] =
    "0f0ac7c77b2a6113315ab16910bfc4c278d216b897083bd953cdc19788b7fce9";
static const char golden_phash_hex[] =
    "87560297d2e7dd41fe8b36769b93d5488e4c911ac868c030d253aef63d90973f";

PV_TEST(record, golden_vector)
{
    pv_record_t r;
    pv_buf_t data, body, wire;
    char hex[4096], hh[65];
    pv_buf_init(&data);
    pv_buf_init(&body);
    pv_buf_init(&wire);
    golden_wire(&r, &data, &wire);
    PV_CHECK(pv_record_encode_body(&r, &body) == 0);
    PV_CHECK(body.len * 2 < sizeof hex);
    to_hex(body.data, body.len, hex);
    PV_CHECK_EQ_STR(hex, golden_body_hex);
    pv_hash_hex(r.hash, hh);
    PV_CHECK_EQ_STR(hh, golden_hash_hex);
    pv_hash_hex(r.phash, hh);
    PV_CHECK_EQ_STR(hh, golden_phash_hex);
    if (getenv("PV_PRINT_GOLDEN")) {
        printf("body %s\n", hex);
        to_hex(wire.data, wire.len, hex);
        printf("wire %s\n", hex);
    }
    pv_buf_close(&data);
    pv_buf_close(&body);
    pv_buf_close(&wire);
}

/* docs/JOURNAL.md shows the same body, hash and phash in its worked example. */
PV_TEST(record, golden_vector_matches_doc)
{
    size_t len;
    char *doc = pv_test_read_file("docs/JOURNAL.md", &len);
    PV_CHECK(doc != NULL);
    if (!doc)
        return;
    char *start = strstr(doc, "```\ndc0017"), *end = start ? strstr(start + 3, "```") : NULL;
    PV_CHECK(start && end);
    if (start && end) {
        size_t n = 0;
        for (char *p = start + 4; p < end; p++)
            if (*p != '\n')
                start[n++] = *p;
        start[n] = '\0';
        PV_CHECK_EQ_STR(start, golden_body_hex);
    }
    PV_CHECK(strstr(end ? end : doc, golden_hash_hex) != NULL);
    PV_CHECK(strstr(end ? end : doc, golden_phash_hex) != NULL);
    free(doc);
}

PV_TEST(record, reencode_of_decoded_is_identical)
{
    pv_record_t r, d;
    pv_buf_t data, wire, again;
    pv_arena_t a;
    pv_buf_init(&data);
    pv_buf_init(&wire);
    pv_buf_init(&again);
    pv_arena_init(&a, 0);
    golden_wire(&r, &data, &wire);
    PV_CHECK(pv_record_decode(wire.data, wire.len, &a, &d, NULL, 0) == 0);
    PV_CHECK(pv_record_encode(&d, &again) == 0);
    PV_CHECK(again.len == wire.len && memcmp(again.data, wire.data, wire.len) == 0);
    pv_arena_close(&a);
    pv_buf_close(&data);
    pv_buf_close(&wire);
    pv_buf_close(&again);
}

PV_TEST(record, null_strings_and_data_encode_empty)
{
    pv_record_t r, d;
    pv_buf_t wire;
    pv_arena_t a;
    memset(&r, 0, sizeof r);
    r.format = PV_RECORD_FORMAT;
    r.case_id = "C-1";
    r.seq = 1;
    r.kind = PV_KIND_REMINDER;
    pv_buf_init(&wire);
    pv_arena_init(&a, 0);
    pv_chain_t chain = {0};
    PV_CHECK(pv_record_seal(&r) == 0);
    pv_record_link(&r, &chain);
    PV_CHECK(pv_record_encode(&r, &wire) == 0);
    PV_CHECK(pv_record_decode(wire.data, wire.len, &a, &d, NULL, 0) == 0);
    PV_CHECK_EQ_STR(d.event_id, "");
    PV_CHECK_EQ_STR(d.office, "");
    PV_CHECK(d.data_len == 1 && d.data[0] == 0x80);
    PV_CHECK(pv_record_verify_seal(&d, NULL, 0) == 0);
    pv_arena_close(&a);
    pv_buf_close(&wire);
}

PV_TEST(record, long_strings_use_wider_headers)
{
    char big[70000];
    pv_record_t r, d;
    pv_buf_t data, wire;
    pv_arena_t a;
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    pv_buf_init(&data);
    pv_buf_init(&wire);
    pv_arena_init(&a, 0);
    golden_record(&r, &data);
    r.event_time = big + sizeof big - 1 - 300;        /* str16 */
    r.source = big;                                   /* str32, body becomes bin32 */
    r.actor = "\xe0\xa4\xb0\xe0\xa4\xbe\xe0\xa4\xae"; /* Devanagari */
    pv_chain_t chain = {0};
    PV_CHECK(pv_record_seal(&r) == 0);
    pv_record_link(&r, &chain);
    PV_CHECK(pv_record_encode(&r, &wire) == 0);
    PV_CHECK(wire.data[1] == 0xc6);
    PV_CHECK(pv_record_decode(wire.data, wire.len, &a, &d, NULL, 0) == 0);
    PV_CHECK(strlen(d.source) == sizeof big - 1 && strlen(d.event_time) == 300);
    PV_CHECK_EQ_STR(d.actor, r.actor);
    PV_CHECK(pv_record_verify_seal(&d, NULL, 0) == 0);
    pv_arena_close(&a);
    pv_buf_close(&data);
    pv_buf_close(&wire);
}

PV_TEST(record, encode_rejects_bad_records)
{
    pv_record_t r;
    pv_buf_t data, out;
    static const uint8_t not_map[] = {0x91, 0x01}, short_map[] = {0x81, 0xa1, 'k'};
    pv_buf_init(&data);
    pv_buf_init(&out);
    pv_buf_append(&out, "keep", 4);
    golden_record(&r, &data);
    r.format = 0;
    PV_CHECK(pv_record_encode_body(&r, &out) == PV_EINVAL);
    golden_record(&r, &data);
    r.case_id = "";
    PV_CHECK(pv_record_encode(&r, &out) == PV_EINVAL);
    r.case_id = "C";
    r.kind = (pv_record_kind_t)4;
    PV_CHECK(pv_record_seal(&r) == PV_EINVAL);
    r.kind = PV_KIND_EVENT;
    r.actor = "bad \xc0\xaf utf-8";
    PV_CHECK(pv_record_encode_body(&r, &out) == PV_EINVAL);
    r.actor = "";
    r.data = not_map;
    r.data_len = sizeof not_map;
    PV_CHECK(pv_record_encode_body(&r, &out) == PV_EINVAL);
    r.data = short_map;
    r.data_len = sizeof short_map;
    PV_CHECK(pv_record_encode_body(&r, &out) == PV_EINVAL);
    PV_CHECK(out.len == 4); /* failures leave out as it was */
    pv_buf_close(&data);
    pv_buf_close(&out);
}

/* ---- chains ----------------------------------------------------------------------------- */

/* Builds a record of case_id with seq and prev_hash from *head, seals and links it. */
static void chain_record(pv_record_t *r, pv_buf_t *data, const char *case_id, uint64_t seq,
                         const uint8_t *prev, pv_chain_t *chain, pv_buf_t *wire)
{
    golden_record(r, data);
    r->case_id = case_id;
    r->seq = seq;
    memcpy(r->prev_hash, prev, PV_HASH_LEN);
    PV_CHECK(pv_record_seal(r) == 0);
    pv_record_link(r, chain);
    PV_CHECK(pv_record_encode(r, wire) == 0);
}

PV_TEST(record, chains_over_two_cases)
{
    pv_record_t a1, b1, a2, d[3];
    pv_buf_t data, w[3];
    pv_chain_t chain = {0};
    pv_arena_t ar;
    pv_buf_init(&data);
    for (int i = 0; i < 3; i++)
        pv_buf_init(&w[i]);
    pv_arena_init(&ar, 0);
    chain_record(&a1, &data, "A-1", 1, zeros, &chain, &w[0]);
    chain_record(&b1, &data, "B-1", 1, zeros, &chain, &w[1]);
    chain_record(&a2, &data, "A-1", 2, a1.hash, &chain, &w[2]);
    for (int i = 0; i < 3; i++) {
        PV_CHECK(pv_record_decode(w[i].data, w[i].len, &ar, &d[i], NULL, 0) == 0);
        PV_CHECK(pv_record_verify_seal(&d[i], NULL, 0) == 0);
        PV_CHECK_EQ_INT(d[i].pseq, i + 1);
    }
    /* case chains */
    PV_CHECK(memcmp(d[0].prev_hash, zeros, 32) == 0 && memcmp(d[1].prev_hash, zeros, 32) == 0);
    PV_CHECK(memcmp(d[2].prev_hash, d[0].hash, 32) == 0);
    PV_CHECK(memcmp(d[0].hash, d[1].hash, 32) != 0);
    /* partition chain */
    PV_CHECK(memcmp(d[0].pprev, zeros, 32) == 0);
    PV_CHECK(memcmp(d[1].pprev, d[0].phash, 32) == 0);
    PV_CHECK(memcmp(d[2].pprev, d[1].phash, 32) == 0);
    PV_CHECK(chain.pseq == 3 && memcmp(chain.head, d[2].phash, 32) == 0);
    pv_arena_close(&ar);
    pv_buf_close(&data);
    for (int i = 0; i < 3; i++)
        pv_buf_close(&w[i]);
}

/* ---- seal verification ------------------------------------------------------------------ */

/* Decodes wire (must succeed) and returns verify_seal's result; err receives its message. */
static int verify_wire(const pv_buf_t *wire, char *err, size_t errlen)
{
    pv_arena_t a;
    pv_record_t d;
    pv_arena_init(&a, 0);
    int rc = pv_record_decode(wire->data, wire->len, &a, &d, err, errlen);
    PV_CHECK(rc == 0);
    if (rc == 0)
        rc = pv_record_verify_seal(&d, err, errlen);
    pv_arena_close(&a);
    return rc;
}

static uint8_t *find_bytes(pv_buf_t *b, const void *needle, size_t n)
{
    return memmem(b->data, b->len, needle, n);
}

PV_TEST(record, verify_detects_flipped_body_byte)
{
    pv_record_t r;
    pv_buf_t data, wire;
    char err[256];
    pv_buf_init(&data);
    pv_buf_init(&wire);
    golden_wire(&r, &data, &wire);
    PV_CHECK(verify_wire(&wire, err, sizeof err) == 0);
    uint8_t *p = find_bytes(&wire, "submitted", 9);
    PV_CHECK(p != NULL);
    if (p) {
        p[0] ^= 0x20; /* "Submitted": still decodes */
        PV_CHECK(verify_wire(&wire, err, sizeof err) == PV_EINTEGRITY);
        PV_CHECK(strstr(err, "body hashes to") != NULL);
    }
    pv_buf_close(&data);
    pv_buf_close(&wire);
}

PV_TEST(record, verify_detects_changed_amount)
{
    pv_record_t r;
    pv_buf_t data, wire;
    char err[256];
    static const uint8_t amount[] = {0xce, 0x00, 0x4a, 0x01, 0x50}; /* 4850000 */
    pv_buf_init(&data);
    pv_buf_init(&wire);
    golden_wire(&r, &data, &wire);
    uint8_t *p = find_bytes(&wire, amount, sizeof amount);
    PV_CHECK(p != NULL);
    if (p) {
        p[2] = 0x9a; /* 10090832: same length, still a valid map */
        PV_CHECK(verify_wire(&wire, err, sizeof err) == PV_EINTEGRITY);
        PV_CHECK(strstr(err, "pseq 1: body hashes to") != NULL);
    }
    pv_buf_close(&data);
    pv_buf_close(&wire);
}

PV_TEST(record, verify_detects_wrong_pprev_and_pseq)
{
    pv_record_t r;
    pv_buf_t data, wire;
    char err[256];
    pv_buf_init(&data);
    pv_buf_init(&wire);
    golden_wire(&r, &data, &wire);
    r.pprev[31] ^= 1;
    PV_CHECK(pv_record_verify_seal(&r, err, sizeof err) == PV_EINTEGRITY);
    PV_CHECK(strstr(err, "record says phash") != NULL);
    r.pprev[31] ^= 1;
    PV_CHECK(pv_record_verify_seal(&r, err, sizeof err) == 0);
    r.pseq = 2;
    PV_CHECK(pv_record_verify_seal(&r, err, sizeof err) == PV_EINTEGRITY);
    PV_CHECK(strstr(err, "pseq 2: SHA-256(pprev || hash || pseq)") != NULL);
    /* the same on the wire: pseq is the positive fixint right after the hash */
    static const uint8_t pseq1_pprev[] = {0x01, 0xc4, 0x20};
    uint8_t *p = find_bytes(&wire, pseq1_pprev, sizeof pseq1_pprev);
    PV_CHECK(p != NULL);
    if (p) {
        p[0] = 0x02;
        PV_CHECK(verify_wire(&wire, err, sizeof err) == PV_EINTEGRITY);
    }
    pv_buf_close(&data);
    pv_buf_close(&wire);
}

PV_TEST(record, verify_uses_received_bytes_not_fields)
{
    pv_record_t r, d;
    pv_buf_t data, wire;
    pv_arena_t a;
    pv_buf_init(&data);
    pv_buf_init(&wire);
    pv_arena_init(&a, 0);
    golden_wire(&r, &data, &wire);
    PV_CHECK(pv_record_decode(wire.data, wire.len, &a, &d, NULL, 0) == 0);
    d.new_state = "tampered"; /* fields changed after decoding: the bytes still rule */
    PV_CHECK(pv_record_verify_seal(&d, NULL, 0) == 0);
    d.body = NULL; /* without body bytes, the fields are encoded: now it shows */
    PV_CHECK(pv_record_verify_seal(&d, NULL, 0) == PV_EINTEGRITY);
    PV_CHECK(pv_record_seal(&d) == 0 && d.body == NULL);
    PV_CHECK(pv_record_verify_seal(&d, NULL, 0) == PV_EINTEGRITY); /* phash still the old one */
    pv_arena_close(&a);
    pv_buf_close(&data);
    pv_buf_close(&wire);
}

/* ---- strict decoding -------------------------------------------------------------------- */

PV_TEST(record, decode_rejects_every_truncation)
{
    pv_record_t r;
    pv_buf_t data, wire;
    pv_arena_t a;
    pv_buf_init(&data);
    pv_buf_init(&wire);
    pv_arena_init(&a, 0);
    golden_wire(&r, &data, &wire);
    PV_CHECK(decode_fails_with(wire.data, 0, "wire: empty"));
    for (size_t n = 1; n < wire.len; n++) {
        uint8_t *copy = malloc(n); /* exact size, so ASan sees any over-read */
        memcpy(copy, wire.data, n);
        PV_CHECK(decode_fails_with(copy, n, "truncated"));
        free(copy);
    }
    /* a body cut short inside a correctly framed wire record */
    pv_buf_t body, w2;
    pv_buf_init(&body);
    pv_buf_init(&w2);
    PV_CHECK(pv_record_encode_body(&r, &body) == 0);
    wrap_wire(body.data, body.len - 5, &w2);
    PV_CHECK(decode_fails_with(w2.data, w2.len, "body[22] prev_hash: truncated"));
    pv_buf_reset(&w2);
    wrap_wire(body.data, 60, &w2);
    PV_CHECK(decode_fails_with(w2.data, w2.len, "truncated"));
    pv_arena_close(&a);
    pv_buf_close(&data);
    pv_buf_close(&wire);
    pv_buf_close(&body);
    pv_buf_close(&w2);
}

PV_TEST(record, decode_rejects_wrong_array_lengths)
{
    pv_record_t r;
    pv_buf_t data, wire, body;
    pv_buf_init(&data);
    pv_buf_init(&wire);
    pv_buf_init(&body);
    golden_wire(&r, &data, &wire);
    wire.data[0] = 0x94;
    PV_CHECK(decode_fails_with(wire.data, wire.len, "wire: expected array of 5 elements, got 4"));
    wire.data[0] = 0x96;
    PV_CHECK(decode_fails_with(wire.data, wire.len, "wire: expected array of 5 elements, got 6"));
    pack_body_alt(&r, -1, NULL, 22, &body);
    pv_buf_reset(&wire);
    wrap_wire(body.data, body.len, &wire);
    PV_CHECK(decode_fails_with(wire.data, wire.len, "body: expected array of 23 elements, got 22"));
    pv_buf_close(&data);
    pv_buf_close(&wire);
    pv_buf_close(&body);
}

static void alt_str(msgpack_packer *pk)
{
    pack_cstr(pk, "x");
}
static void alt_int(msgpack_packer *pk)
{
    msgpack_pack_int(pk, 5);
}
static void alt_neg(msgpack_packer *pk)
{
    msgpack_pack_int(pk, -1);
}
static void alt_nil(msgpack_packer *pk)
{
    msgpack_pack_nil(pk);
}
static void alt_array(msgpack_packer *pk)
{
    msgpack_pack_array(pk, 0);
}
static void alt_bin31(msgpack_packer *pk)
{
    msgpack_pack_bin_with_body(pk, zeros, 31);
}
static void alt_kind(msgpack_packer *pk)
{
    pack_cstr(pk, "sla.snoozed");
}
static void alt_format2(msgpack_packer *pk)
{
    msgpack_pack_uint32(pk, 2);
}
static void alt_empty(msgpack_packer *pk)
{
    pack_cstr(pk, "");
}
static void alt_float(msgpack_packer *pk)
{
    msgpack_pack_double(pk, 1.5);
}
static void alt_big(msgpack_packer *pk)
{
    msgpack_pack_uint64(pk, 1ull << 32);
}
static void alt_nul(msgpack_packer *pk)
{
    msgpack_pack_str_with_body(pk, "a\0b", 3);
}
static void alt_latin1(msgpack_packer *pk)
{
    msgpack_pack_str_with_body(pk, "caf\xe9", 4);
}
static void alt_long_uint(msgpack_packer *pk)
{
    static const uint8_t u16_seven[] = {0xcd, 0x00, 0x07};
    pv_buf_append(pk->data, u16_seven, sizeof u16_seven);
}
static void alt_long_str(msgpack_packer *pk)
{
    static const uint8_t str8_ab[] = {0xd9, 0x02, 'a', 'b'};
    pv_buf_append(pk->data, str8_ab, sizeof str8_ab);
}
static void alt_over_u64(msgpack_packer *pk)
{
    msgpack_pack_uint64(pk, UINT64_MAX);
}

PV_TEST(record, decode_rejects_wrong_types_naming_the_element)
{
    PV_CHECK(alt_fails_with(13, alt_str, "body[13] accepted_at: expected integer, got str"));
    PV_CHECK(alt_fails_with(17, alt_float, "body[17] deadline: expected integer, got float"));
    PV_CHECK(alt_fails_with(1, alt_int, "body[1] case_id: expected str, got integer"));
    PV_CHECK(alt_fails_with(2, alt_neg, "body[2] seq: expected unsigned integer, got -1"));
    PV_CHECK(alt_fails_with(0, alt_str, "body[0] format: expected unsigned integer, got str"));
    PV_CHECK(alt_fails_with(5, alt_nil, "body[5] kind: expected str, got nil"));
    PV_CHECK(alt_fails_with(20, alt_array, "body[20] data: expected map, got array"));
    PV_CHECK(alt_fails_with(20, alt_str, "body[20] data: expected map, got str"));
    PV_CHECK(alt_fails_with(22, alt_str, "body[22] prev_hash: expected bin, got str"));
    PV_CHECK(alt_fails_with(21, alt_array, "body[21] office: expected str, got array"));
    PV_CHECK(alt_fails_with(18, alt_big, "body[18] alert_level: 4294967296 out of range"));
    PV_CHECK(alt_fails_with(13, alt_over_u64, "body[13] accepted_at: 18446744073709551615 out"));
}

PV_TEST(record, decode_rejects_short_bins)
{
    pv_record_t r;
    pv_buf_t data, wire;
    PV_CHECK(alt_fails_with(22, alt_bin31, "body[22] prev_hash: expected bin of 32 bytes, got 31"));
    pv_buf_init(&data);
    pv_buf_init(&wire);
    golden_wire(&r, &data, &wire);
    /* the wire's hash: header c4 20 right after the body */
    size_t at = 3 + (size_t)wire.data[2];
    PV_CHECK(wire.data[1] == 0xc5 || wire.data[1] == 0xc4);
    if (wire.data[1] == 0xc5)
        at = 4 + ((size_t)wire.data[2] << 8 | wire.data[3]);
    PV_CHECK(wire.data[at] == 0xc4 && wire.data[at + 1] == 0x20);
    wire.data[at + 1] = 31;
    PV_CHECK(
        decode_fails_with(wire.data, wire.len, "wire[1] hash: expected bin of 32 bytes, got 31"));
    pv_buf_close(&data);
    pv_buf_close(&wire);
}

PV_TEST(record, decode_rejects_unknown_kind_and_format_2)
{
    PV_CHECK(alt_fails_with(5, alt_kind, "body[5] kind: unknown kind 'sla.snoozed'"));
    PV_CHECK(alt_fails_with(0, alt_format2, "body[0] format: unsupported format 2"));
}

PV_TEST(record, decode_rejects_bad_strings)
{
    PV_CHECK(alt_fails_with(1, alt_empty, "body[1] case_id: must not be empty"));
    PV_CHECK(alt_fails_with(9, alt_nul, "body[9] actor: contains a NUL byte"));
    PV_CHECK(alt_fails_with(12, alt_latin1, "body[12] event_time: not valid UTF-8"));
}

PV_TEST(record, decode_rejects_non_shortest_forms)
{
    PV_CHECK(alt_fails_with(2, alt_long_uint, "body[2] seq: integer 7 not in its shortest form"));
    PV_CHECK(alt_fails_with(3, alt_long_str, "body[3] case_type: length 2 not in its shortest"));
}

PV_TEST(record, decode_rejects_trailing_bytes)
{
    pv_record_t r;
    pv_buf_t data, wire, body;
    pv_buf_init(&data);
    pv_buf_init(&wire);
    pv_buf_init(&body);
    golden_wire(&r, &data, &wire);
    pv_buf_append(&wire, "\xc0\xc0", 2);
    PV_CHECK(decode_fails_with(wire.data, wire.len, "wire: 2 trailing bytes after the record"));
    PV_CHECK(pv_record_encode_body(&r, &body) == 0);
    pv_buf_append(&body, "\x00", 1);
    pv_buf_reset(&wire);
    wrap_wire(body.data, body.len, &wire);
    PV_CHECK(decode_fails_with(wire.data, wire.len, "body: 1 trailing bytes after element 22"));
    pv_buf_close(&data);
    pv_buf_close(&wire);
    pv_buf_close(&body);
}

PV_TEST(record, decode_failure_leaves_out_untouched)
{
    pv_record_t r, d;
    pv_buf_t data, wire;
    pv_arena_t a;
    pv_buf_init(&data);
    pv_buf_init(&wire);
    pv_arena_init(&a, 0);
    golden_wire(&r, &data, &wire);
    memset(&d, 0x5a, sizeof d);
    wire.len--;
    PV_CHECK(pv_record_decode(wire.data, wire.len, &a, &d, NULL, 0) == PV_EFORMAT);
    PV_CHECK(d.seq == 0x5a5a5a5a5a5a5a5aull && d.pseq == 0x5a5a5a5a5a5a5a5aull);
    pv_arena_close(&a);
    pv_buf_close(&data);
    pv_buf_close(&wire);
}

PV_TEST(record, decode_survives_garbage)
{
    /* a deterministic byte soup, and the golden record with each byte set to each tag class */
    pv_record_t r, d;
    pv_buf_t data, wire;
    pv_arena_t a;
    uint32_t x = 12345;
    pv_buf_init(&data);
    pv_buf_init(&wire);
    pv_arena_init(&a, 0);
    golden_wire(&r, &data, &wire);
    static const uint8_t probes[] = {0x00, 0x7f, 0x80, 0x8f, 0x9f, 0xbf, 0xc1, 0xc4, 0xc6,
                                     0xc9, 0xcf, 0xd3, 0xd8, 0xdb, 0xdd, 0xdf, 0xff};
    int ok = 0;
    for (size_t i = 0; i < wire.len; i++) {
        uint8_t keep = wire.data[i];
        for (size_t k = 0; k < sizeof probes; k++) {
            wire.data[i] = probes[k];
            ok += pv_record_decode(wire.data, wire.len, &a, &d, NULL, 0) == 0;
        }
        wire.data[i] = keep;
        pv_arena_reset(&a);
    }
    for (int n = 0; n < 2000; n++) {
        uint8_t soup[64];
        for (size_t i = 0; i < sizeof soup; i++) {
            x = x * 1103515245u + 12345u;
            soup[i] = (uint8_t)(x >> 16);
        }
        soup[0] = 0x95;
        PV_CHECK(pv_record_decode(soup, sizeof soup, &a, &d, NULL, 0) == PV_EFORMAT);
    }
    PV_CHECK(ok > 0); /* some substitutions (inside strings) keep it decodable */
    pv_arena_close(&a);
    pv_buf_close(&data);
    pv_buf_close(&wire);
}

/* ---- the vector files of journal_layout.py ---------------------------------------------- */

#define JV_RECORDS 50
#define JV_CASES 5
#define JV_EDIT 20 /* the record the tampered variants change */

/* Generates the vector journal: record i belongs to case i % 5 (seq i / 5 + 1); every seventh
 * is a timer record. When edit_at >= 0 that record's amount differs, and everything after it is
 * sealed and linked consistently (the "full rewrite" an attacker holding the topic can do). */
static void jv_generate(pv_buf_t out[JV_RECORDS], int edit_at)
{
    static const char *const cases[JV_CASES] = {"WRK-1", "WRK-2", "PEN-1", "TRD-1", "WRK-3"};
    uint8_t heads[JV_CASES][PV_HASH_LEN] = {{0}};
    pv_chain_t chain = {0};
    pv_buf_t data;
    pv_buf_init(&data);
    for (int i = 0; i < JV_RECORDS; i++) {
        pv_record_t r;
        int c = i % JV_CASES;
        golden_record(&r, &data);
        pv_buf_reset(&data);
        sample_data(&data, 1000 * (i + 1) + (i == edit_at ? 7 : 0), "vector");
        r.data = data.data;
        r.data_len = data.len;
        r.case_id = cases[c];
        r.seq = (uint64_t)(i / JV_CASES + 1);
        r.kind = i % 7 == 6 ? PV_KIND_BREACHED : PV_KIND_EVENT;
        r.accepted_at += i * 60000;
        memcpy(r.prev_hash, heads[c], PV_HASH_LEN);
        PV_CHECK(pv_record_seal(&r) == 0);
        pv_record_link(&r, &chain);
        memcpy(heads[c], r.hash, PV_HASH_LEN);
        PV_CHECK(pv_record_encode(&r, &out[i]) == 0);
    }
    pv_buf_close(&data);
}

static const char *jv_dir(void)
{
    const char *d = getenv("PV_JOURNAL_VECTOR_DIR");
    if (!d || !*d)
        d = getenv("TMPDIR");
    return d && *d ? d : "/tmp";
}

/* Writes the records order[0..n) as frames: 4-byte big-endian length, then the wire record. */
static void jv_write(const char *variant, pv_buf_t *recs, const int *order, int n)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/pravah_journal_vector%s%s.bin", jv_dir(), *variant ? "." : "",
             variant);
    FILE *f = fopen(path, "wb");
    PV_CHECK(f != NULL);
    if (!f)
        return;
    for (int i = 0; i < n; i++) {
        const pv_buf_t *b = &recs[order[i]];
        uint8_t len[4] = {(uint8_t)(b->len >> 24), (uint8_t)(b->len >> 16), (uint8_t)(b->len >> 8),
                          (uint8_t)b->len};
        PV_CHECK(fwrite(len, 1, 4, f) == 4 && fwrite(b->data, 1, b->len, f) == b->len);
    }
    PV_CHECK(fclose(f) == 0);
}

static void jv_write_anchor(pv_buf_t *last)
{
    char path[4096], hex[65];
    pv_arena_t a;
    pv_record_t d;
    pv_arena_init(&a, 0);
    PV_CHECK(pv_record_decode(last->data, last->len, &a, &d, NULL, 0) == 0);
    pv_hash_hex(d.phash, hex);
    snprintf(path, sizeof path, "%s/pravah_journal_vector.anchor", jv_dir());
    FILE *f = fopen(path, "w");
    PV_CHECK(f != NULL);
    if (f) {
        fprintf(f, "%" PRIu64 ":%s\n", d.pseq, hex);
        PV_CHECK(fclose(f) == 0);
    }
    pv_arena_close(&a);
}

/* Writes the good file, its anchor (pseq:phash of the head) and tampered variants. */
PV_TEST(record, write_vector_file)
{
    pv_buf_t good[JV_RECORDS], rewritten[JV_RECORDS];
    int order[JV_RECORDS], n;
    for (int i = 0; i < JV_RECORDS; i++) {
        pv_buf_init(&good[i]);
        pv_buf_init(&rewritten[i]);
        order[i] = i;
    }
    jv_generate(good, -1);
    jv_generate(rewritten, JV_EDIT);
    jv_write("", good, order, JV_RECORDS);
    jv_write_anchor(&good[JV_RECORDS - 1]);
    jv_write("rewritten", rewritten, order, JV_RECORDS);
    jv_write("truncated", good, order, JV_RECORDS - 5);
    order[JV_EDIT] = JV_EDIT + 1, order[JV_EDIT + 1] = JV_EDIT;
    jv_write("swapped", good, order, JV_RECORDS);
    for (int i = 0; i < JV_RECORDS; i++)
        order[i] = i < JV_EDIT ? i : i + 1;
    jv_write("dropped", good, order, JV_RECORDS - 1);
    n = 0;
    for (int i = 0; i < JV_RECORDS; i++)
        if (i % JV_CASES != 2)
            order[n++] = i;
    jv_write("case_deleted", good, order, n);
    /* one record replaced by a consistently re-sealed edit: the next links break */
    for (int i = 0; i < JV_RECORDS; i++)
        order[i] = i;
    pv_buf_t keep = good[JV_EDIT];
    good[JV_EDIT] = rewritten[JV_EDIT];
    jv_write("resealed", good, order, JV_RECORDS);
    good[JV_EDIT] = keep;
    /* one byte of one amount changed in place */
    static const uint8_t amount[] = {0xcd, 0x52, 0x08}; /* 21000, record 20 */
    uint8_t *p = memmem(good[JV_EDIT].data, good[JV_EDIT].len, amount, sizeof amount);
    PV_CHECK(p != NULL);
    if (p)
        p[2] ^= 1;
    jv_write("edited", good, order, JV_RECORDS);
    for (int i = 0; i < JV_RECORDS; i++) {
        pv_buf_close(&good[i]);
        pv_buf_close(&rewritten[i]);
    }
}
