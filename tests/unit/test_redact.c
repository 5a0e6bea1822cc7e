/* pv_engine_redact_payload (engine/redact.c): what a refused event's payload keeps on the
 * rejected topic. Identity fields masked as the journal masks them, Aadhaar-shaped numbers masked
 * wherever they are, in msgpack, JSON and raw bytes; nothing else changed. */
#include <msgpack.h>
#include <stdlib.h>
#include <string.h>

#include "files.h"
#include "pravah/buf.h"
#include "pravah/engine.h"
#include "pvtest.h"
#include "transition.h"

/* Verhoeff-valid 12-digit numbers (the first is also in test_engine.c) */
#define AADHAAR_1 "234567890124"
#define AADHAAR_2 "398765432109"
#define NOT_AADHAAR "398765432108" /* the check digit is wrong */

typedef struct fixture_s {
    pv_engine_t *eng;
    pv_directory_t *dir;
    pv_buf_t out;
} fixture_t;

static void setup(fixture_t *f)
{
    char err[512];
    pv_engine_config_t cfg = {"unit-salt"};
    f->eng = pv_engine_new(&cfg);
    f->dir = pv_directory_new();
    pv_buf_init(&f->out);
    if (pv_load_schemas(f->eng, f->dir, PV_SOURCE_DIR "/schemas", err, sizeof err))
        pv_test_fail(__FILE__, __LINE__, "schemas: %s", err);
}

static void teardown(fixture_t *f)
{
    pv_buf_close(&f->out);
    pv_engine_free(f->eng);
    pv_directory_free(f->dir);
}

static size_t redact(fixture_t *f, const void *p, size_t len)
{
    size_t masked = 99;
    if (pv_engine_redact_payload(f->eng, p, len, &f->out, &masked))
        pv_test_fail(__FILE__, __LINE__, "pv_engine_redact_payload failed");
    return masked;
}

static int has(const pv_buf_t *b, const char *s)
{
    return memmem(b->data, b->len, s, strlen(s)) != NULL;
}

/* The salted hash the journal would keep for num. */
static void journal_hash(const char *num, char hex[65])
{
    char mask[64];
    pv__identity_mask(num, strlen(num), "unit-salt", mask, hex);
}

/* The members of b when it is exactly one msgpack map, else -1. */
static long map_members(const pv_buf_t *b)
{
    msgpack_unpacked up;
    msgpack_unpacked_init(&up);
    size_t off = 0;
    long n = -1;
    if (msgpack_unpack_next(&up, (const char *)b->data, b->len, &off) == MSGPACK_UNPACK_SUCCESS &&
        off == b->len && up.data.type == MSGPACK_OBJECT_MAP)
        n = up.data.via.map.size;
    msgpack_unpacked_destroy(&up);
    return n;
}

static void pack_str(msgpack_packer *pk, const char *s)
{
    msgpack_pack_str(pk, strlen(s));
    msgpack_pack_str_body(pk, s, strlen(s));
}

PV_TEST(redact, msgpack_identity_fields_as_the_journal_masks_them)
{
    fixture_t f;
    setup(&f);
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 4);
    pack_str(&pk, "aadhaar");
    pack_str(&pk, AADHAAR_1);
    pack_str(&pk, "family_id");
    pack_str(&pk, "HR1234ABCD");
    pack_str(&pk, "remarks"); /* an Aadhaar number where none belongs, grouped 4-4-4 */
    pack_str(&pk, "citizen 3987 6543 2109 called");
    pack_str(&pk, "nested");
    msgpack_pack_array(&pk, 2);
    pack_str(&pk, AADHAAR_2);
    msgpack_pack_int(&pk, 7);

    PV_CHECK_EQ_INT(redact(&f, sb.data, sb.size), 4);
    PV_CHECK(!has(&f.out, AADHAAR_1) && !has(&f.out, AADHAAR_2));
    PV_CHECK(!has(&f.out, "HR1234ABCD") && has(&f.out, "XXXXXXABCD"));
    PV_CHECK(has(&f.out, "XXXXXXXX0124") && has(&f.out, "XXXXXXXX2109"));
    PV_CHECK(has(&f.out, "citizen XXXX XXXX 2109 called"));
    char hex[65];
    journal_hash(AADHAAR_1, hex);
    PV_CHECK(has(&f.out, "aadhaar_hash") && has(&f.out, hex));
    journal_hash("HR1234ABCD", hex);
    PV_CHECK(has(&f.out, "family_id_hash") && has(&f.out, hex));

    /* still one map: the four members and the two hashes */
    PV_CHECK_EQ_INT(map_members(&f.out), 6);
    msgpack_sbuffer_destroy(&sb);
    teardown(&f);
}

PV_TEST(redact, nothing_to_mask_keeps_the_bytes)
{
    fixture_t f;
    setup(&f);
    /* a map with a non-shortest str8 header: packing again would change it */
    static const uint8_t mp[] = {0x81, 0xd9, 0x01, 'a', 0xd9, 0x0c, '3', '9', '8',
                                 '7',  '6',  '5',  '4', '3',  '2',  '1', '0', '8'};
    PV_CHECK_EQ_INT(redact(&f, mp, sizeof mp), 0);
    PV_CHECK_EQ_INT(f.out.len, sizeof mp);
    PV_CHECK(memcmp(f.out.data, mp, sizeof mp) == 0);
    const char *json = "{ \"subject\": \"road \\u0041\", \"mobile\": \"9812345678\", "
                       "\"ref\": \"" NOT_AADHAAR "\", \"long\": \"1" AADHAAR_1 "\" }";
    PV_CHECK_EQ_INT(redact(&f, json, strlen(json)), 0);
    PV_CHECK_EQ_INT(f.out.len, strlen(json));
    PV_CHECK(memcmp(f.out.data, json, f.out.len) == 0);
    PV_CHECK_EQ_INT(redact(&f, "", 0), 0);
    PV_CHECK_EQ_INT(f.out.len, 0);
    teardown(&f);
}

PV_TEST(redact, json_identity_fields_and_strings)
{
    fixture_t f;
    setup(&f);
    const char *json = "{\"aadhaar\": " AADHAAR_1 ", \"name\": \"R\", "
                       "\"adhaar\": \"" AADHAAR_2 "\", \"family_id\": [1]}";
    PV_CHECK_EQ_INT(redact(&f, json, strlen(json)), 3);
    PV_CHECK(!has(&f.out, AADHAAR_1) && !has(&f.out, AADHAAR_2));
    /* an integer Aadhaar (refused as mistyped) is masked and hashed as its digits */
    PV_CHECK(has(&f.out, "\"aadhaar\":\"XXXXXXXX0124\""));
    char hex[65];
    journal_hash(AADHAAR_1, hex);
    PV_CHECK(has(&f.out, hex));
    /* a misspelled key: the number still goes */
    PV_CHECK(has(&f.out, "\"adhaar\":\"XXXXXXXX2109\""));
    /* an identity field with no text to keep */
    PV_CHECK(has(&f.out, "\"family_id\":\"X\""));
    PV_CHECK(has(&f.out, "\"name\":\"R\""));
    teardown(&f);
}

PV_TEST(redact, other_bytes_are_scanned_in_place)
{
    fixture_t f;
    setup(&f);
    /* neither a msgpack map nor a JSON object: a JSON document cut short */
    const char *text = "{\"aadhaar\":\"" AADHAAR_1 "\",\"x\":\"" AADHAAR_2 "-";
    PV_CHECK_EQ_INT(redact(&f, text, strlen(text)), 2);
    PV_CHECK_EQ_INT(f.out.len, strlen(text));
    PV_CHECK(has(&f.out, "XXXXXXXX0124") && has(&f.out, "XXXXXXXX2109-"));
    /* 4-4-4 with mixed separators, or a fourth group, is not an Aadhaar number */
    const char *other = "2345 6789-0124 and 3987 6543 2109 1111";
    PV_CHECK_EQ_INT(redact(&f, other, strlen(other)), 0);
    teardown(&f);
}

PV_TEST(redact, msgpack_maps_stay_well_formed)
{
    fixture_t f;
    setup(&f);
    /* an empty identity value: masked as "X" with no hash, so the map counts 2 members */
    static const uint8_t empty[] = {0x82, 0xa7, 'a',  'a',  'd', 'h',  'a',
                                    'a',  'r',  0xa0, 0xa1, 'n', 0xa1, 'v'};
    PV_CHECK_EQ_INT(redact(&f, empty, sizeof empty), 1);
    PV_CHECK_EQ_INT(map_members(&f.out), 2);
    /* a map claiming 2^31 members in 7 bytes: scanned as bytes, never handed to msgpack-c */
    static const uint8_t huge[] = {0xdf, 0x83, 0x52, 0x31, 0x31, 0x32, 0x32};
    PV_CHECK_EQ_INT(redact(&f, huge, sizeof huge), 0);
    PV_CHECK_EQ_INT(f.out.len, sizeof huge);
    teardown(&f);
}
