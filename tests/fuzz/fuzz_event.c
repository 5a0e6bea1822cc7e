/* libFuzzer target for the event envelope codec (engine/event.c).
 *
 * Input layout (the seeds in corpus/event/ follow it): header lines "key:value\n" up to the first
 * empty line, then the payload. Lines without ':' are skipped; values may hold any byte but '\n'.
 * The payload goes to pv_event_decode() with those headers, and the whole input, as one
 * structured event, to pv_event_decode_json().
 *
 * Besides "no crash, no leak" it checks properties of every accepted event:
 *  - ev.data is one msgpack map (msgpack-c agrees) with nfields entries;
 *  - decoding it again through pv_event_headers() gives the same bytes and fields (canonical form
 *    is a fixed point);
 *  - for msgpack payloads, msgpack-c accepts the payload too, and packing its object canonically
 *    gives ev.data (our reader and msgpack-c agree). */
#include <msgpack.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "pravah/buf.h"
#include "pravah/event.h"

#define MAX_HEADERS 12

/* Small limits, so that the fuzzer reaches every one of them. */
static const pv_limits_t lim = {
    .max_payload = 4096, .max_header = 256, .max_depth = 8, .max_string = 512, .max_fields = 64};
static const pv_limits_t lim_roundtrip = {.max_payload = SIZE_MAX,
                                          .max_header = 256,
                                          .max_depth = 8,
                                          .max_string = 512,
                                          .max_fields = 64};

static pv_arena_t arena;
static pv_event_t ev, ev2;

/* Splits the input; returns the number of headers, sets the payload. */
static size_t split(const uint8_t *p, size_t n, pv_header_t *h, char keys[][64],
                    const uint8_t **payload, size_t *payload_len)
{
    size_t nh = 0, i = 0;
    while (i < n) {
        const uint8_t *nl = memchr(p + i, '\n', n - i);
        size_t end = nl ? (size_t)(nl - p) : n;
        if (end == i) { /* empty line: the payload follows */
            i++;
            break;
        }
        const uint8_t *colon = memchr(p + i, ':', end - i);
        size_t klen = colon ? (size_t)(colon - (p + i)) : 0;
        if (colon && klen < 64 && nh < MAX_HEADERS) {
            memcpy(keys[nh], p + i, klen);
            keys[nh][klen] = '\0';
            h[nh] = (pv_header_t){keys[nh], colon + 1, end - klen - 1 - i};
            nh++;
        }
        i = end + 1;
    }
    *payload = i < n ? p + i : p + n;
    *payload_len = i < n ? n - i : 0;
    return nh;
}

/* Packs a msgpack-c object the way the codec canonicalizes (float32 as float64). */
static void pack_canonical(msgpack_packer *pk, const msgpack_object *o)
{
    switch (o->type) {
    case MSGPACK_OBJECT_NIL:
        msgpack_pack_nil(pk);
        break;
    case MSGPACK_OBJECT_BOOLEAN:
        o->via.boolean ? msgpack_pack_true(pk) : msgpack_pack_false(pk);
        break;
    case MSGPACK_OBJECT_POSITIVE_INTEGER:
        msgpack_pack_int64(pk, (int64_t)o->via.u64);
        break;
    case MSGPACK_OBJECT_NEGATIVE_INTEGER:
        msgpack_pack_int64(pk, o->via.i64);
        break;
    case MSGPACK_OBJECT_FLOAT32:
    case MSGPACK_OBJECT_FLOAT64:
        msgpack_pack_double(pk, o->via.f64);
        break;
    case MSGPACK_OBJECT_STR:
        msgpack_pack_str(pk, o->via.str.size);
        msgpack_pack_str_body(pk, o->via.str.ptr, o->via.str.size);
        break;
    case MSGPACK_OBJECT_BIN:
        msgpack_pack_bin(pk, o->via.bin.size);
        msgpack_pack_bin_body(pk, o->via.bin.ptr, o->via.bin.size);
        break;
    case MSGPACK_OBJECT_ARRAY:
        msgpack_pack_array(pk, o->via.array.size);
        for (uint32_t i = 0; i < o->via.array.size; i++)
            pack_canonical(pk, &o->via.array.ptr[i]);
        break;
    case MSGPACK_OBJECT_MAP:
        msgpack_pack_map(pk, o->via.map.size);
        for (uint32_t i = 0; i < o->via.map.size; i++) {
            pack_canonical(pk, &o->via.map.ptr[i].key);
            pack_canonical(pk, &o->via.map.ptr[i].val);
        }
        break;
    default:
        abort(); /* ext: the codec rejects it */
    }
}

/* Unpacks `p` with msgpack-c: it must be exactly one map. With `expect`, the canonical packing of
 * what msgpack-c read must equal those bytes. */
static void check_with_msgpack_c(const void *p, size_t n, uint32_t nfields, const pv_event_t *e)
{
    msgpack_unpacked u;
    size_t off = 0;
    msgpack_unpacked_init(&u);
    if (msgpack_unpack_next(&u, p, n, &off) != MSGPACK_UNPACK_SUCCESS || off != n ||
        u.data.type != MSGPACK_OBJECT_MAP ||
        (nfields != UINT32_MAX && u.data.via.map.size != nfields))
        abort();
    if (e) {
        pv_buf_t b;
        msgpack_packer pk;
        pv_buf_init(&b);
        msgpack_packer_init(&pk, &b, pv_buf_msgpack_write);
        pack_canonical(&pk, &u.data);
        if (b.len != e->data_len || memcmp(b.data, e->data, b.len) != 0)
            abort();
        pv_buf_close(&b);
    }
    msgpack_unpacked_destroy(&u);
}

static void check_same(const pv_event_t *a, const pv_event_t *b)
{
    if (a->data_len != b->data_len || memcmp(a->data, b->data, a->data_len) != 0 ||
        a->nfields != b->nfields || strcmp(a->id, b->id) != 0 || strcmp(a->time, b->time) != 0 ||
        strcmp(a->actor, b->actor) != 0 || strcmp(a->subject, b->subject) != 0)
        abort();
    for (uint32_t i = 0; i < a->nfields; i++)
        if (strcmp(a->fields[i].name, b->fields[i].name) != 0 ||
            a->fields[i].value.kind != b->fields[i].value.kind)
            abort();
}

/* Properties of an accepted event. */
static void check_accepted(const pv_event_t *e)
{
    pv_reject_t rej;
    check_with_msgpack_c(e->data, e->data_len, e->nfields, NULL);
    pv_header_t h[PV_EVENT_NHEADERS];
    size_t nh = pv_event_headers(e, h);
    if (pv_event_decode(h, nh, e->data, e->data_len, &lim_roundtrip, &arena, &ev2, &rej) != 0)
        abort();
    check_same(e, &ev2);
}

static bool is_msgpack(const pv_header_t *h, size_t nh)
{
    for (size_t i = 0; i < nh; i++)
        if (strcasecmp(h[i].key, "content-type") == 0)
            return h[i].value_len >= 19 && strncasecmp(h[i].value, "application/msgpack", 19) == 0;
    return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    pv_header_t h[MAX_HEADERS];
    char keys[MAX_HEADERS][64];
    const uint8_t *payload;
    size_t payload_len;
    pv_reject_t rej;
    size_t nh = split(data, size, h, keys, &payload, &payload_len);

    pv_arena_reset(&arena);
    if (pv_event_decode(h, nh, payload, payload_len, &lim, &arena, &ev, &rej) == 0) {
        check_accepted(&ev);
        if (payload_len > 0 && is_msgpack(h, nh))
            check_with_msgpack_c(payload, payload_len, ev.nfields, &ev);
    }
    pv_arena_reset(&arena);
    if (pv_event_decode_json((const char *)data, size, &lim, &arena, &ev, &rej) == 0)
        check_accepted(&ev);
    return 0;
}
