/* Journal records: the body and wire codecs, the SHA-256 seal and the partition link.
 *
 * Encoding uses msgpack-c's packer (shortest forms throughout). Decoding walks the raw bytes with
 * a small cursor instead of building msgpack-c objects: it is several times faster, it can name
 * the element that is wrong, it sees the exact byte range of the data map (which is hashed and
 * spliced, never re-encoded), and it can insist on the shortest forms the encoder writes, so a
 * body that decodes re-encodes to the very same bytes. The layout is docs/JOURNAL.md. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <msgpack.h>
/* SHA256() is a one-shot EVP_Q_digest() in OpenSSL 3, which fetches the algorithm under a lock
 * on every call: 3x slower than the low-level functions for a 300-byte body. Those are only
 * deprecated, so use them, and fall back to EVP where a build has removed them. */
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/evp.h>
#include <openssl/sha.h>

#include "pravah/record.h"

/* ---- kinds and field table -------------------------------------------------------------- */

static const char *const kind_names[] = {
    [PV_KIND_EVENT] = "event",
    [PV_KIND_REMINDER] = "sla.reminder",
    [PV_KIND_BREACHED] = "sla.breached",
    [PV_KIND_ESCALATED] = "sla.escalated",
};
#define NKINDS (sizeof kind_names / sizeof kind_names[0])

/* The kind's name as the body spells it; "unknown" outside the enum. Any thread. */
const char *pv_record_kind_name(pv_record_kind_t kind)
{
    if ((unsigned)kind >= NKINDS)
        return "unknown";
    return kind_names[kind];
}

/* Parses a kind name. Returns 0 or PV_EINVAL (*out untouched). Any thread. */
int pv_record_kind_parse(const char *name, pv_record_kind_t *out)
{
    for (size_t i = 0; name && i < NKINDS; i++) {
        if (strcmp(name, kind_names[i]) == 0) {
            *out = (pv_record_kind_t)i;
            return 0;
        }
    }
    return PV_EINVAL;
}

typedef enum {
    F_FORMAT, /* uint, must be PV_RECORD_FORMAT */
    F_U32,    /* uint <= UINT32_MAX */
    F_U64,    /* uint */
    F_I64,    /* int (pv_time_t) */
    F_STR,    /* str, UTF-8, no NUL */
    F_ID,     /* str like F_STR, non-empty */
    F_KIND,   /* str naming a pv_record_kind_t */
    F_DATA,   /* a msgpack map, spliced as-is */
    F_HASH    /* bin of PV_HASH_LEN bytes */
} field_type_t;

typedef struct {
    const char *name;
    field_type_t type;
    size_t off;
} field_t;

/* clang-format off */
#define FIELD(name, type) {#name, type, offsetof(pv_record_t, name)}
static const field_t fields[PV_RECORD_BODY_FIELDS] = {
    FIELD(format, F_FORMAT),    FIELD(case_id, F_ID),        FIELD(seq, F_U64),
    FIELD(case_type, F_STR),    FIELD(def_version, F_U32),   FIELD(kind, F_KIND),
    FIELD(event_id, F_STR),     FIELD(event_type, F_STR),    FIELD(source, F_STR),
    FIELD(actor, F_STR),        FIELD(actor_post, F_STR),    FIELD(actor_role, F_STR),
    FIELD(event_time, F_STR),   FIELD(accepted_at, F_I64),   FIELD(prev_state, F_STR),
    FIELD(new_state, F_STR),    FIELD(assignee, F_STR),      FIELD(deadline, F_I64),
    FIELD(alert_level, F_U32),  FIELD(alert_target, F_STR),  FIELD(data, F_DATA),
    FIELD(office, F_STR),       FIELD(prev_hash, F_HASH),
};
/* clang-format on */
#undef FIELD

typedef const char *cstr_t; /* so that AT/CAT can add const to a string pointer */
#define AT(r, f, T) ((T *)((char *)(r) + (f)->off))
#define CAT(r, f, T) ((const T *)((const char *)(r) + (f)->off))

/* ---- hashing ---------------------------------------------------------------------------- */

/* SHA-256 of len bytes. Any thread. */
void pv_sha256(const void *p, size_t len, uint8_t out[PV_HASH_LEN])
{
#ifdef OPENSSL_NO_DEPRECATED_3_0
    EVP_Digest(p, len, out, NULL, EVP_sha256(), NULL);
#else
    SHA256_CTX c;
    SHA256_Init(&c);
    SHA256_Update(&c, p, len);
    SHA256_Final(out, &c);
#endif
}

/* phash = SHA-256(pprev || hash || uint64_be(pseq)). Any thread. */
void pv_record_partition_hash(const uint8_t pprev[PV_HASH_LEN], const uint8_t hash[PV_HASH_LEN],
                              uint64_t pseq, uint8_t out[PV_HASH_LEN])
{
    uint8_t in[2 * PV_HASH_LEN + 8];
    memcpy(in, pprev, PV_HASH_LEN);
    memcpy(in + PV_HASH_LEN, hash, PV_HASH_LEN);
    for (int i = 0; i < 8; i++)
        in[2 * PV_HASH_LEN + i] = (uint8_t)(pseq >> (56 - 8 * i));
    pv_sha256(in, sizeof in, out);
}

/* Lower-case hex of h into out[65]. Any thread. */
void pv_hash_hex(const uint8_t h[PV_HASH_LEN], char out[2 * PV_HASH_LEN + 1])
{
    static const char digits[] = "0123456789abcdef";
    for (int i = 0; i < PV_HASH_LEN; i++) {
        out[2 * i] = digits[h[i] >> 4];
        out[2 * i + 1] = digits[h[i] & 15];
    }
    out[2 * PV_HASH_LEN] = '\0';
}

/* ---- text and msgpack checks shared by both directions ---------------------------------- */

enum { TEXT_OK = 0, TEXT_NUL, TEXT_UTF8 };

/* Returns TEXT_OK when s[0..n) is UTF-8 without NUL bytes, overlongs or surrogates. */
static int check_text(const uint8_t *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        uint64_t w;
        if (n - i >= 8) { /* 8 bytes at once while they are ASCII without NUL */
            memcpy(&w, s + i, 8);
            if (((w | ((w - 0x0101010101010101u) & ~w)) & 0x8080808080808080u) == 0) {
                i += 8;
                continue;
            }
        }
        uint8_t c = s[i];
        if (c >= 0x01 && c < 0x80) {
            i++;
            continue;
        }
        if (c == 0)
            return TEXT_NUL;
        size_t k = c >= 0xf0 ? 3 : c >= 0xe0 ? 2 : 1;
        uint32_t cp = c & (0x3f >> k), min = k == 1 ? 0x80 : k == 2 ? 0x800 : 0x10000;
        if (c < 0xc2 || c > 0xf4 || n - i - 1 < k)
            return TEXT_UTF8;
        for (size_t j = 1; j <= k; j++) {
            if ((s[i + j] & 0xc0) != 0x80)
                return TEXT_UTF8;
            cp = cp << 6 | (s[i + j] & 0x3f);
        }
        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return TEXT_UTF8;
        i += k + 1;
    }
    return TEXT_OK;
}

static uint64_t load_be(const uint8_t *p, size_t n)
{
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++)
        v = v << 8 | p[i];
    return v;
}

/* For the tags c4..df: bytes of the big-endian length after the tag, 0 for fixed payloads. */
/* clang-format off */
static const uint8_t tag_lenbytes[0xdf - 0xc4 + 1] = {
    1, 2, 4, 1, 2, 4,             /* c4-c6 bin, c7-c9 ext */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* ca-cb float, cc-cf uint, d0-d3 int */
    0, 0, 0, 0, 0,                /* d4-d8 fixext */
    1, 2, 4, 2, 4, 2, 4,          /* d9-db str, dc-dd array, de-df map */
};
/* Payload bytes of the fixed-size tags ca..d8 (a fixext's include its type byte). */
static const uint8_t tag_fixed[0xd8 - 0xca + 1] = {4, 8, 1, 2, 4, 8, 1, 2, 4, 8, 2, 3, 5, 9, 17};
/* clang-format on */

/* Reads what follows tag b (0xc4..0xdf) at *pp: payload bytes to skip and nested values to add.
 * Returns -1 when the length is truncated. */
static int long_header(uint8_t b, const uint8_t **pp, const uint8_t *end, uint64_t *skip,
                       uint64_t *items)
{
    if (b >= 0xca && b <= 0xd8) {
        *skip = tag_fixed[b - 0xca];
        return 0;
    }
    size_t lb = tag_lenbytes[b - 0xc4];
    if ((size_t)(end - *pp) < lb)
        return -1;
    uint64_t n = load_be(*pp, lb);
    *pp += lb;
    if (b >= 0xdc)
        *items = b >= 0xde ? 2 * n : n;
    else
        *skip = n + (b >= 0xc7 && b <= 0xc9); /* ext: type byte */
    return 0;
}

/* Skips `pending` complete msgpack values at *pp (no recursion: maps and arrays add their items
 * to the count). Returns 0, or -1 when the bytes are truncated or hold the never-used tag 0xc1. */
static int skip_values(const uint8_t **pp, const uint8_t *end, uint64_t pending)
{
    const uint8_t *p = *pp;
    while (pending) {
        /* every pending value needs at least one byte: this also bounds huge claimed counts */
        if (pending > (uint64_t)(end - p))
            return -1;
        uint8_t b = *p++;
        uint64_t skip = 0, items = 0;
        pending--;
        if (b <= 0x7f || b >= 0xe0 || b == 0xc0 || b == 0xc2 || b == 0xc3)
            continue;
        if (b <= 0x8f)
            items = 2u * (b & 0x0f);
        else if (b <= 0x9f)
            items = b & 0x0f;
        else if (b <= 0xbf)
            skip = b & 0x1f;
        else if (b == 0xc1 || long_header(b, &p, end, &skip, &items) != 0)
            return -1;
        if (skip > (uint64_t)(end - p))
            return -1;
        p += skip;
        pending += items;
    }
    *pp = p;
    return 0;
}

/* 0 when p[0..len) is exactly one complete msgpack map whose containers' claimed counts fit in
 * the bytes, PV_EFORMAT otherwise. Any thread. */
int pv_msgpack_check_map(const void *p, size_t len)
{
    const uint8_t *q = p, *end = q + len;
    if (len == 0 || !((*q >= 0x80 && *q <= 0x8f) || *q == 0xde || *q == 0xdf))
        return PV_EFORMAT;
    return skip_values(&q, end, 1) == 0 && q == end ? 0 : PV_EFORMAT;
}

/* ---- encoding --------------------------------------------------------------------------- */

#define PACKED(call) ((call) == 0 ? 0 : PV_ENOMEM)

static int pack_text(msgpack_packer *pk, const char *s)
{
    if (!s)
        s = ""; /* documented: NULL encodes as the empty string */
    size_t n = strlen(s);
    if (n > UINT32_MAX || check_text((const uint8_t *)s, n) != TEXT_OK)
        return PV_EINVAL;
    if (msgpack_pack_str(pk, n) != 0)
        return PV_ENOMEM;
    return PACKED(msgpack_pack_str_body(pk, s, n));
}

/* The data element: r's bytes when they are exactly one msgpack map, an empty map when absent. */
static int pack_data(msgpack_packer *pk, const pv_record_t *r)
{
    if (!r->data || r->data_len == 0)
        return PACKED(msgpack_pack_map(pk, 0));
    if (pv_msgpack_check_map(r->data, r->data_len) != 0)
        return PV_EINVAL;
    return PACKED(pk->callback(pk->data, (const char *)r->data, r->data_len));
}

static int pack_field(msgpack_packer *pk, const pv_record_t *r, const field_t *f)
{
    switch (f->type) {
    case F_FORMAT:
        if (r->format != PV_RECORD_FORMAT)
            return PV_EINVAL;
        return PACKED(msgpack_pack_uint32(pk, r->format));
    case F_U32:
        return PACKED(msgpack_pack_uint32(pk, *CAT(r, f, uint32_t)));
    case F_U64:
        return PACKED(msgpack_pack_uint64(pk, *CAT(r, f, uint64_t)));
    case F_I64:
        return PACKED(msgpack_pack_int64(pk, *CAT(r, f, int64_t)));
    case F_ID:
        if (!r->case_id || !r->case_id[0])
            return PV_EINVAL;
        return pack_text(pk, *CAT(r, f, cstr_t));
    case F_STR:
        return pack_text(pk, *CAT(r, f, cstr_t));
    case F_KIND:
        if ((unsigned)r->kind >= NKINDS)
            return PV_EINVAL;
        return pack_text(pk, kind_names[r->kind]);
    case F_DATA:
        return pack_data(pk, r);
    case F_HASH:
        if (msgpack_pack_bin(pk, PV_HASH_LEN) != 0)
            return PV_ENOMEM;
        return PACKED(msgpack_pack_bin_body(pk, CAT(r, f, uint8_t), PV_HASH_LEN));
    }
    return PV_EINVAL;
}

/* msgpack-c calls its writer once per header and once per payload: gathering those small writes
 * in a stack block halves the cost of encoding, and lets seal hash without touching the heap. */
typedef struct {
    pv_buf_t *buf; /* where the block goes when full, and at the end */
    size_t len;
    uint8_t block[1024];
} sink_t;

static int sink_flush(sink_t *s)
{
    int rc = pv_buf_append(s->buf, s->block, s->len);
    s->len = 0;
    return rc;
}

static int sink_write(void *data, const char *p, size_t n)
{
    sink_t *s = data;
    if (n > sizeof s->block - s->len) {
        if (sink_flush(s) != 0)
            return -1;
        if (n > sizeof s->block)
            return pv_buf_append(s->buf, p, n) == 0 ? 0 : -1;
    }
    if (n)
        memcpy(s->block + s->len, p, n);
    s->len += n;
    return 0;
}

static int pack_body(const pv_record_t *r, sink_t *s)
{
    msgpack_packer pk;
    msgpack_packer_init(&pk, s, sink_write);
    int rc = PACKED(msgpack_pack_array(&pk, PV_RECORD_BODY_FIELDS));
    for (int i = 0; rc == 0 && i < PV_RECORD_BODY_FIELDS; i++)
        rc = pack_field(&pk, r, &fields[i]);
    return rc;
}

/* Encodes the body of r into out (appends). Returns 0, PV_EINVAL (format is not
 * PV_RECORD_FORMAT, case_id empty, kind out of range, a string not UTF-8, data not exactly one
 * msgpack map) or PV_ENOMEM; on failure out keeps its old length. Any thread. */
int pv_record_encode_body(const pv_record_t *r, pv_buf_t *out)
{
    size_t start = out->len;
    sink_t s;
    s.buf = out;
    s.len = 0;
    int rc = pack_body(r, &s);
    if (rc == 0)
        rc = sink_flush(&s);
    if (rc != 0)
        out->len = start;
    return rc;
}

/* SHA-256 of the encoding of r's fields, built on the stack (the heap only past 1 KB). */
static int hash_fields(const pv_record_t *r, uint8_t out[PV_HASH_LEN])
{
    pv_buf_t b;
    sink_t s;
    pv_buf_init(&b);
    s.buf = &b;
    s.len = 0;
    int rc = pack_body(r, &s);
    if (rc != 0)
        goto out;
    if (b.len == 0) {
        pv_sha256(s.block, s.len, out);
        goto out;
    }
    rc = sink_flush(&s);
    if (rc == 0)
        pv_sha256(b.data, b.len, out);
out:
    pv_buf_close(&b);
    return rc;
}

/* Computes r->hash = SHA-256(body of r) and forgets any received body bytes (r->body): from now
 * on the fields are what the record says. Returns as pv_record_encode_body(). Any thread. */
int pv_record_seal(pv_record_t *r)
{
    int rc = hash_fields(r, r->hash);
    if (rc != 0)
        return rc;
    r->body = NULL;
    r->body_len = 0;
    return 0;
}

int pv_record_seal_into(pv_record_t *r, pv_arena_t *arena)
{
    /* Packed on the stack (the heap only past the block), then copied once into the arena. */
    pv_buf_t b;
    sink_t sk;
    pv_buf_init(&b);
    sk.buf = &b;
    sk.len = 0;
    int rc = pack_body(r, &sk);
    if (rc == 0 && b.len)
        rc = sink_flush(&sk);
    const uint8_t *bytes = b.len ? b.data : sk.block;
    size_t len = b.len ? b.len : sk.len;
    uint8_t *body = rc == 0 ? pv_arena_memdup(arena, bytes, len) : NULL;
    if (rc == 0 && !body)
        rc = PV_ENOMEM;
    if (rc == 0) {
        pv_sha256(body, len, r->hash);
        r->body = body;
        r->body_len = len;
    }
    pv_buf_close(&b);
    return rc;
}

/* Links a sealed record to the partition chain and advances the chain. Any thread that owns
 * the chain. */
void pv_record_link(pv_record_t *r, pv_chain_t *chain)
{
    r->pseq = chain->pseq + 1;
    memcpy(r->pprev, chain->head, PV_HASH_LEN);
    pv_record_partition_hash(r->pprev, r->hash, r->pseq, r->phash);
    chain->pseq = r->pseq;
    memcpy(chain->head, r->phash, PV_HASH_LEN);
}

/* Size of the shortest bin header for n bytes. */
static size_t bin_header(size_t n, uint8_t h[5])
{
    if (n < 256) {
        h[0] = 0xc4;
        h[1] = (uint8_t)n;
        return 2;
    }
    size_t w = n < 65536 ? 2 : 4;
    h[0] = n < 65536 ? 0xc5 : 0xc6;
    for (size_t i = 0; i < w; i++)
        h[1 + i] = (uint8_t)(n >> (8 * (w - 1 - i)));
    return 1 + w;
}

static int append_tail(pv_buf_t *out, const pv_record_t *r)
{
    msgpack_packer pk;
    msgpack_packer_init(&pk, out, pv_buf_msgpack_write);
    if (msgpack_pack_bin_with_body(&pk, r->hash, PV_HASH_LEN) != 0 ||
        msgpack_pack_uint64(&pk, r->pseq) != 0 ||
        msgpack_pack_bin_with_body(&pk, r->pprev, PV_HASH_LEN) != 0 ||
        msgpack_pack_bin_with_body(&pk, r->phash, PV_HASH_LEN) != 0)
        return PV_ENOMEM;
    return 0;
}

/* Encodes the wire record (appends): the body is packed straight into out, then moved right to
 * make room for the array and bin headers, so it is encoded once. Returns as
 * pv_record_encode_body(); on failure out keeps its old length. Any thread. */
int pv_record_encode(const pv_record_t *r, pv_buf_t *out)
{
    size_t start = out->len;
    uint8_t h[6];
    if (r->body) {
        /* Sealed with pv_record_seal_into: the exact bytes that were hashed, packed once. */
        h[0] = 0x95;
        size_t hl = 1 + bin_header(r->body_len, h + 1);
        int rc = pv_buf_append(out, h, hl);
        if (rc == 0)
            rc = pv_buf_append(out, r->body, r->body_len);
        if (rc == 0)
            rc = append_tail(out, r);
        if (rc != 0)
            out->len = start;
        return rc;
    }
    int rc = pv_record_encode_body(r, out);
    if (rc != 0)
        goto out;
    size_t body_len = out->len - start;
    if (body_len > UINT32_MAX) {
        rc = PV_ERANGE; /* beyond bin32 */
        goto out;
    }
    h[0] = 0x95;
    size_t hl = 1 + bin_header(body_len, h + 1);
    rc = pv_buf_append(out, h, hl); /* grows the buffer by hl; contents fixed just below */
    if (rc != 0)
        goto out;
    memmove(out->data + start + hl, out->data + start, body_len);
    memcpy(out->data + start, h, hl);
    rc = append_tail(out, r);
out:
    if (rc != 0)
        out->len = start;
    return rc;
}

/* ---- decoding --------------------------------------------------------------------------- */

typedef struct {
    const uint8_t *p, *end;
    const char *part; /* "wire" or "body" */
    int idx;          /* element being read, -1 for the array itself */
    const char *name;
    char *err;
    size_t errlen;
} cursor_t;

static int fail(cursor_t *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(cursor_t *c, const char *fmt, ...)
{
    if (!c->err || c->errlen == 0)
        return PV_EFORMAT;
    int n = c->idx < 0 ? snprintf(c->err, c->errlen, "%s: ", c->part)
                       : snprintf(c->err, c->errlen, "%s[%d] %s: ", c->part, c->idx, c->name);
    if (n >= 0 && (size_t)n < c->errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(c->err + n, c->errlen - (size_t)n, fmt, ap);
        va_end(ap);
    }
    return PV_EFORMAT;
}

/* A name for the msgpack type a tag byte starts, for messages. */
static const char *tag_name(uint8_t b)
{
    if (b <= 0x7f || b >= 0xe0 || (b >= 0xcc && b <= 0xd3))
        return "integer";
    if (b <= 0x8f || b == 0xde || b == 0xdf)
        return "map";
    if (b <= 0x9f || b == 0xdc || b == 0xdd)
        return "array";
    if (b <= 0xbf || (b >= 0xd9 && b <= 0xdb))
        return "str";
    if (b == 0xc0)
        return "nil";
    if (b == 0xc2 || b == 0xc3)
        return "bool";
    if (b >= 0xc4 && b <= 0xc6)
        return "bin";
    if (b == 0xca || b == 0xcb)
        return "float";
    if (b == 0xc1)
        return "invalid tag 0xc1";
    return "ext";
}

static int need(cursor_t *c, size_t n)
{
    if ((size_t)(c->end - c->p) < n)
        return fail(c, "truncated");
    return 0;
}

/* Reads a tag and a big-endian length or value of w bytes after it. */
static int read_tagged(cursor_t *c, size_t w, uint64_t *v)
{
    if (need(c, 1 + w) != 0)
        return PV_EFORMAT;
    *v = load_be(c->p + 1, w);
    c->p += 1 + w;
    return 0;
}

/* Reads any msgpack integer in its shortest form: *neg set when the value is negative (then
 * (int64_t)*v is the value). */
static int read_int(cursor_t *c, const char *want, uint64_t *v, int *neg)
{
    static const uint64_t floor_u[] = {0x80, 0x100, 0x10000, 0x100000000u};
    static const int64_t ceil_i[] = {-32, -128, -32768, -2147483648LL};
    if (need(c, 1) != 0)
        return PV_EFORMAT;
    uint8_t b = *c->p;
    *neg = b >= 0xe0 || (b >= 0xd0 && b <= 0xd3);
    if (b <= 0x7f || b >= 0xe0) {
        c->p++;
        *v = (uint64_t)(int64_t)(int8_t)b;
        return 0;
    }
    if (b < 0xcc || b > 0xd3)
        return fail(c, "expected %s, got %s", want, tag_name(b));
    unsigned k = (b - 0xcc) & 3;
    if (read_tagged(c, (size_t)1 << k, v) != 0)
        return PV_EFORMAT;
    if (b >= 0xd0) { /* sign-extend */
        unsigned bits = 8u << k;
        if (bits < 64 && (*v >> (bits - 1)) & 1)
            *v |= ~(uint64_t)0 << bits;
        if ((int64_t)*v >= ceil_i[k])
            return fail(c, "integer %" PRId64 " not in its shortest form", (int64_t)*v);
        *neg = (int64_t)*v < 0;
        return 0;
    }
    if (*v < floor_u[k])
        return fail(c, "integer %" PRIu64 " not in its shortest form", *v);
    return 0;
}

static int read_uint(cursor_t *c, uint64_t max, uint64_t *out)
{
    uint64_t v;
    int neg;
    if (read_int(c, "unsigned integer", &v, &neg) != 0)
        return PV_EFORMAT;
    if (neg)
        return fail(c, "expected unsigned integer, got %" PRId64, (int64_t)v);
    if (v > max)
        return fail(c, "%" PRIu64 " out of range (at most %" PRIu64 ")", v, max);
    *out = v;
    return 0;
}

static int read_i64(cursor_t *c, int64_t *out)
{
    uint64_t v;
    int neg;
    if (read_int(c, "integer", &v, &neg) != 0)
        return PV_EFORMAT;
    if (!neg && v > INT64_MAX)
        return fail(c, "%" PRIu64 " out of range of a signed 64-bit integer", v);
    *out = (int64_t)v;
    return 0;
}

/* Reads a str or bin header (shortest form) and returns its payload in place. */
static int read_raw(cursor_t *c, int is_str, const uint8_t **p, size_t *n)
{
    static const uint64_t floor_len[] = {0, 256, 65536}; /* str8 has its own floor: 32 */
    if (need(c, 1) != 0)
        return PV_EFORMAT;
    uint8_t b = *c->p, base = is_str ? 0xd9 : 0xc4;
    uint64_t len;
    if (is_str && b >= 0xa0 && b <= 0xbf) {
        len = b & 0x1f;
        c->p++;
    } else if (b >= base && b <= base + 2) {
        unsigned k = b - base;
        if (read_tagged(c, (size_t)1 << k, &len) != 0)
            return PV_EFORMAT;
        if (len < (k == 0 && is_str ? 32 : floor_len[k]))
            return fail(c, "length %" PRIu64 " not in its shortest form", len);
    } else {
        return fail(c, "expected %s, got %s", is_str ? "str" : "bin", tag_name(b));
    }
    if ((uint64_t)(c->end - c->p) < len)
        return fail(c, "truncated");
    *p = c->p;
    *n = (size_t)len;
    c->p += len;
    return 0;
}

static int read_text(cursor_t *c, const uint8_t **p, size_t *n)
{
    if (read_raw(c, 1, p, n) != 0)
        return PV_EFORMAT;
    switch (check_text(*p, *n)) {
    case TEXT_NUL:
        return fail(c, "contains a NUL byte");
    case TEXT_UTF8:
        return fail(c, "not valid UTF-8");
    }
    return 0;
}

static int read_hash(cursor_t *c, uint8_t out[PV_HASH_LEN])
{
    const uint8_t *p;
    size_t n;
    if (read_raw(c, 0, &p, &n) != 0)
        return PV_EFORMAT;
    if (n != PV_HASH_LEN)
        return fail(c, "expected bin of %d bytes, got %zu", PV_HASH_LEN, n);
    memcpy(out, p, PV_HASH_LEN);
    return 0;
}

/* Reads an array header in its shortest form (fixarray below 16, array16 below 65536). */
static int read_array(cursor_t *c, uint32_t want)
{
    uint64_t n;
    c->idx = -1;
    if (need(c, 1) != 0)
        return PV_EFORMAT;
    uint8_t b = *c->p;
    if (b >= 0x90 && b <= 0x9f) {
        n = b & 0x0f;
        c->p++;
    } else if (b == 0xdc || b == 0xdd) {
        if (read_tagged(c, b == 0xdc ? 2 : 4, &n) != 0)
            return PV_EFORMAT;
        if (n < (b == 0xdc ? 16u : 65536u))
            return fail(c, "array length %" PRIu64 " not in its shortest form", n);
    } else {
        return fail(c, "expected array of %" PRIu32 " elements, got %s", want, tag_name(b));
    }
    if (n != want)
        return fail(c, "expected array of %" PRIu32 " elements, got %" PRIu64, want, n);
    return 0;
}

static int read_data(cursor_t *c, pv_record_t *r)
{
    if (need(c, 1) != 0)
        return PV_EFORMAT;
    uint8_t b = *c->p;
    if (!((b >= 0x80 && b <= 0x8f) || b == 0xde || b == 0xdf))
        return fail(c, "expected map, got %s", tag_name(b));
    const uint8_t *start = c->p;
    if (skip_values(&c->p, c->end, 1) != 0)
        return fail(c, "truncated or invalid msgpack inside the map");
    r->data = start;
    r->data_len = (size_t)(c->p - start);
    return 0;
}

/* Strings are copied to *strs (room reserved by the caller) and NUL-terminated. */
static int read_string_field(cursor_t *c, const field_t *f, pv_record_t *r, char **strs)
{
    const uint8_t *p;
    size_t n;
    if (read_text(c, &p, &n) != 0)
        return PV_EFORMAT;
    if (f->type == F_KIND) {
        for (size_t k = 0; k < NKINDS; k++) {
            if (strlen(kind_names[k]) == n && memcmp(kind_names[k], p, n) == 0) {
                r->kind = (pv_record_kind_t)k;
                return 0;
            }
        }
        return fail(c, "unknown kind '%.*s'", (int)(n > 64 ? 64 : n), (const char *)p);
    }
    if (f->type == F_ID && n == 0)
        return fail(c, "must not be empty");
    memcpy(*strs, p, n);
    (*strs)[n] = '\0';
    *AT(r, f, cstr_t) = *strs;
    *strs += n + 1;
    return 0;
}

static int read_field(cursor_t *c, const field_t *f, pv_record_t *r, char **strs)
{
    uint64_t u;
    switch (f->type) {
    case F_FORMAT:
        if (read_uint(c, UINT32_MAX, &u) != 0)
            return PV_EFORMAT;
        if (u != PV_RECORD_FORMAT)
            return fail(c, "unsupported format %" PRIu64 " (this decoder reads %d)", u,
                        PV_RECORD_FORMAT);
        r->format = (uint32_t)u;
        return 0;
    case F_U32:
        if (read_uint(c, UINT32_MAX, &u) != 0)
            return PV_EFORMAT;
        *AT(r, f, uint32_t) = (uint32_t)u;
        return 0;
    case F_U64:
        return read_uint(c, UINT64_MAX, AT(r, f, uint64_t));
    case F_I64:
        return read_i64(c, AT(r, f, int64_t));
    case F_STR:
    case F_ID:
    case F_KIND:
        return read_string_field(c, f, r, strs);
    case F_DATA:
        return read_data(c, r);
    case F_HASH:
        return read_hash(c, AT(r, f, uint8_t));
    }
    return PV_EINVAL;
}

/* Decodes the body held (copied) at body[0..len) into r. */
static int decode_body(const uint8_t *body, size_t len, char *strs, pv_record_t *r, char *err,
                       size_t errlen)
{
    cursor_t c = {body, body + len, "body", -1, NULL, err, errlen};
    if (read_array(&c, PV_RECORD_BODY_FIELDS) != 0)
        return PV_EFORMAT;
    for (int i = 0; i < PV_RECORD_BODY_FIELDS; i++) {
        c.idx = i;
        c.name = fields[i].name;
        if (read_field(&c, &fields[i], r, &strs) != 0)
            return PV_EFORMAT;
    }
    c.idx = -1;
    if (c.p != c.end)
        return fail(&c, "%zu trailing bytes after element %d", (size_t)(c.end - c.p),
                    PV_RECORD_BODY_FIELDS - 1);
    return 0;
}

static int read_wire(cursor_t *c, pv_record_t *r, const uint8_t **body, size_t *body_len)
{
    static const char *const names[] = {"body", "hash", "pseq", "pprev", "phash"};
    if (read_array(c, 5) != 0)
        return PV_EFORMAT;
    int rc = 0;
    for (int i = 0; rc == 0 && i < 5; i++) {
        c->idx = i;
        c->name = names[i];
        if (i == 0)
            rc = read_raw(c, 0, body, body_len);
        else if (i == 2)
            rc = read_uint(c, UINT64_MAX, &r->pseq);
        else
            rc = read_hash(c, i == 1 ? r->hash : i == 3 ? r->pprev : r->phash);
    }
    c->idx = -1;
    if (rc == 0 && c->p != c->end)
        rc = fail(c, "%zu trailing bytes after the record", (size_t)(c->end - c->p));
    return rc;
}

/* Decodes a wire record. One arena block holds a copy of the body (r->body, r->data point into
 * it) followed by the NUL-terminated strings: each string's bytes and header are inside the
 * body, so 2 * body_len bytes always suffice. Returns 0, PV_EFORMAT (message in err) or
 * PV_ENOMEM; *out is untouched on failure. Any thread; the arena is not thread-safe. */
int pv_record_decode(const void *bytes, size_t len, pv_arena_t *arena, pv_record_t *out, char *err,
                     size_t errlen)
{
    pv_record_t r;
    const uint8_t *body;
    size_t body_len;
    memset(&r, 0, sizeof r);
    if (err && errlen)
        err[0] = '\0';
    cursor_t c = {bytes, (const uint8_t *)bytes + len, "wire", -1, NULL, err, errlen};
    if (len == 0 || !bytes)
        return fail(&c, "empty");
    if (read_wire(&c, &r, &body, &body_len) != 0)
        return PV_EFORMAT;
    uint8_t *copy = pv_arena_alloc(arena, 2 * body_len + 1);
    if (!copy)
        return PV_ENOMEM;
    memcpy(copy, body, body_len);
    int rc = decode_body(copy, body_len, (char *)copy + body_len, &r, err, errlen);
    if (rc != 0)
        return rc;
    r.body = copy;
    r.body_len = body_len;
    *out = r;
    return 0;
}

/* ---- verification ----------------------------------------------------------------------- */

static int integrity(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int integrity(char *err, size_t errlen, const char *fmt, ...)
{
    if (err && errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return PV_EINTEGRITY;
}

/* The hash of r's body: of the received bytes when r was decoded, else of its encoding. */
static int body_hash(const pv_record_t *r, uint8_t out[PV_HASH_LEN])
{
    if (!r->body)
        return hash_fields(r, out);
    pv_sha256(r->body, r->body_len, out);
    return 0;
}

/* Checks both seals of one record (not its place in the chains). Returns 0, PV_EINTEGRITY with
 * a message in err, or an encoding error when r has no body bytes and cannot be encoded. */
int pv_record_verify_seal(const pv_record_t *r, char *err, size_t errlen)
{
    uint8_t h[PV_HASH_LEN];
    char want[2 * PV_HASH_LEN + 1], got[2 * PV_HASH_LEN + 1];
    int rc = body_hash(r, h);
    if (rc != 0)
        return rc;
    if (memcmp(h, r->hash, PV_HASH_LEN) != 0) {
        pv_hash_hex(h, want);
        pv_hash_hex(r->hash, got);
        return integrity(err, errlen, "pseq %" PRIu64 ": body hashes to %s, record says hash %s",
                         r->pseq, want, got);
    }
    pv_record_partition_hash(r->pprev, r->hash, r->pseq, h);
    if (memcmp(h, r->phash, PV_HASH_LEN) != 0) {
        pv_hash_hex(h, want);
        pv_hash_hex(r->phash, got);
        return integrity(err, errlen,
                         "pseq %" PRIu64 ": SHA-256(pprev || hash || pseq) is %s, record says "
                         "phash %s",
                         r->pseq, want, got);
    }
    if (err && errlen)
        err[0] = '\0';
    return 0;
}
