/* The event envelope codec: CloudEvents attributes (Kafka binary-mode headers or structured JSON)
 * and data, re-encoded into canonical msgpack.
 *
 * msgpack data is read by a small validating reader of our own rather than msgpack_unpack_next():
 * it needs no zone (no malloc per event), never allocates for the element counts a hostile header
 * claims, knows the byte offset and the field path of every error, and checks the limits before
 * descending. The canonical bytes are written with msgpack-c's packer. JSON data goes through
 * jansson, whose parse tree is then walked the same way. Both walkers share the limit checks, the
 * top-level field table and the rejection texts, so equal content gives equal bytes and errors. */
#include <jansson.h>
#include <math.h>
#include <msgpack.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "pravah/event.h"

/* Limits of single attributes: an id must fit the journal's dedup key, a subject (case id) and an
 * actor fit the 63-byte keys of the case and directory tables. */
#define ID_MAX 128
#define SUBJECT_MAX 63
#define TYPE_MAX 96
#define ACTOR_MAX 63
/* max_depth above this is clamped: both walkers recurse once per level. */
#define DEPTH_HARD_MAX 128
/* Bytes of an attribute value quoted in a message. */
#define QUOTE_MAX 40

void pv_limits_default(pv_limits_t *lim)
{
    lim->max_payload = 65536;
    lim->max_header = 1024;
    lim->max_depth = 8;
    lim->max_string = 8192;
    lim->max_fields = 256;
}

/* ---- Text checks ----------------------------------------------------------------------------- */

/* Length of the well-formed UTF-8 sequence at s (Unicode table 3-7: no overlongs, surrogates or
 * code points above U+10FFFF), or 0. */
static size_t utf8_seq_len(const uint8_t *s, size_t n)
{
    uint8_t c = s[0], lo = 0x80, hi = 0xbf;
    size_t need;
    if (c < 0x80)
        return 1;
    if (c >= 0xc2 && c <= 0xdf) {
        need = 1;
    } else if (c >= 0xe0 && c <= 0xef) {
        need = 2;
        lo = c == 0xe0 ? 0xa0 : 0x80;
        hi = c == 0xed ? 0x9f : 0xbf;
    } else if (c >= 0xf0 && c <= 0xf4) {
        need = 3;
        lo = c == 0xf0 ? 0x90 : 0x80;
        hi = c == 0xf4 ? 0x8f : 0xbf;
    } else {
        return 0;
    }
    if (n <= need || s[1] < lo || s[1] > hi)
        return 0;
    for (size_t k = 2; k <= need; k++)
        if ((s[k] & 0xc0) != 0x80)
            return 0;
    return need + 1;
}

enum { TEXT_OK, TEXT_NUL, TEXT_BAD_UTF8 };

/* Checks that s is UTF-8 without NUL bytes, in one pass: runs of eight ASCII bytes without a zero
 * (ids, keys and most values) cost one test. Returns TEXT_OK or what is wrong first. */
static int text_check(const uint8_t *s, size_t n)
{
    const uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
    size_t i = 0;
    for (;;) {
        uint64_t w;
        while (n - i >= 8 && (memcpy(&w, s + i, 8), ((w | ((w - ones) & ~w)) & highs) == 0))
            i += 8;
        while (i < n && (uint8_t)(s[i] - 1) < 0x7f) /* ASCII but NUL */
            i++;
        if (i == n)
            return TEXT_OK;
        if (s[i] == 0)
            return TEXT_NUL;
        size_t k = utf8_seq_len(s + i, n - i);
        if (k == 0)
            return TEXT_BAD_UTF8;
        i += k;
    }
}

/* Rejection texts may quote input (jansson's "near '...'", a truncated value): make them valid,
 * printable UTF-8 so the rejected-topic record can always be encoded. */
static void text_sanitize(char *s)
{
    size_t n = strlen(s);
    for (size_t i = 0; i < n;) {
        size_t k = utf8_seq_len((const uint8_t *)s + i, n - i);
        if (k == 0 || (k == 1 && ((unsigned char)s[i] < 0x20 || s[i] == 0x7f))) {
            s[i++] = '?';
            continue;
        }
        i += k;
    }
}

/* How many bytes of a valid UTF-8 value to quote: at most QUOTE_MAX, ending on a character. */
static int quote_len(const char *s, size_t len)
{
    if (len <= QUOTE_MAX)
        return (int)len;
    size_t n = QUOTE_MAX;
    while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
        n--;
    return (int)n;
}

/* ---- Rejections and field paths ------------------------------------------------------------ */

__attribute__((format(printf, 3, 0))) static int vreject(pv_reject_t *rej, const char *field,
                                                         const char *fmt, va_list ap)
{
    char msg[PV_REJECT_MESSAGE_MAX];
    vsnprintf(msg, sizeof msg, fmt, ap);
    pv_reject(rej, PV_REJ_MALFORMED, field, "%s", msg);
    if (rej) {
        text_sanitize(rej->field);
        text_sanitize(rej->message);
    }
    return PV_EREJECTED;
}

__attribute__((format(printf, 3, 4))) static int reject(pv_reject_t *rej, const char *field,
                                                        const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = vreject(rej, field, fmt, ap);
    va_end(ap);
    return rc;
}

/* Where a walker is: one frame per level on the C stack, so building the path costs nothing until
 * an error needs it. A frame names a map key (key != NULL) or an array element (index). */
typedef struct path_s {
    const struct path_s *up;
    const char *key;
    size_t key_len;
    uint32_t index;
} path_t;

static size_t path_put(const path_t *p, char *out, size_t cap, size_t n)
{
    if (p->up)
        n = path_put(p->up, out, cap, n);
    if (n >= cap - 1)
        return n;
    int w;
    if (p->key)
        w = snprintf(out + n, cap - n, "%s%.*s", n ? "." : "", (int)p->key_len, p->key);
    else
        w = snprintf(out + n, cap - n, "[%u]", p->index);
    n += w > 0 ? (size_t)w : 0;
    return n < cap ? n : cap - 1;
}

static void path_format(const path_t *p, char *out, size_t cap)
{
    out[0] = '\0';
    if (p)
        path_put(p, out, cap, 0);
}

/* ---- Canonical output ---------------------------------------------------------------------- */

/* msgpack-c write callback target: a stack buffer that moves to the heap for large data, copied
 * into the arena once complete (the arena cannot grow a block in place). */
typedef struct {
    uint8_t *p;
    size_t len, cap;
    bool failed;
    uint8_t local[1024];
} sink_t;

__attribute__((noinline)) static int sink_grow_write(sink_t *s, const char *buf, size_t len)
{
    size_t cap = s->cap * 2;
    while (cap - s->len < len)
        cap *= 2;
    uint8_t *p = malloc(cap);
    if (!p) {
        s->failed = true;
        return -1;
    }
    memcpy(p, s->p, s->len);
    if (s->p != s->local)
        free(s->p);
    s->p = p;
    s->cap = cap;
    memcpy(s->p + s->len, buf, len);
    s->len += len;
    return 0;
}

/* Called for every msgpack item, header and body separately: most are one byte. */
static int sink_write(void *data, const char *buf, size_t len)
{
    sink_t *s = data;
    if (s->cap - s->len < len)
        return sink_grow_write(s, buf, len);
    uint8_t *dst = s->p + s->len;
    s->len += len;
    if (len == 1)
        *dst = (uint8_t)*buf;
    else
        memcpy(dst, buf, len);
    return 0;
}

/* A key seen in the map being read, for duplicate detection (msgpack only: jansson checks JSON). */
typedef struct {
    const uint8_t *p;
    size_t len;
} keyref_t;

/* State of one data decode. `ev` receives the top-level fields. */
typedef struct {
    const pv_limits_t *lim;
    uint32_t max_depth;
    pv_arena_t *arena;
    pv_reject_t *rej;
    pv_event_t *ev;
    msgpack_packer pk;
    sink_t sink;
    const uint8_t *in; /* msgpack input */
    size_t in_len, off;
    keyref_t *keys; /* a stack: each open map's keys */
    size_t nkeys, keycap;
    keyref_t keys_local[64];
} dec_t;

static void dec_init(dec_t *d, const pv_limits_t *lim, pv_arena_t *arena, pv_reject_t *rej,
                     pv_event_t *ev)
{
    d->lim = lim;
    d->max_depth = lim->max_depth < DEPTH_HARD_MAX ? lim->max_depth : DEPTH_HARD_MAX;
    d->arena = arena;
    d->rej = rej;
    d->ev = ev;
    d->sink.p = d->sink.local;
    d->sink.len = 0;
    d->sink.cap = sizeof d->sink.local;
    d->sink.failed = false;
    msgpack_packer_init(&d->pk, &d->sink, sink_write);
    d->in = NULL;
    d->in_len = d->off = 0;
    d->keys = d->keys_local;
    d->nkeys = 0;
    d->keycap = sizeof d->keys_local / sizeof d->keys_local[0];
}

static void dec_close(dec_t *d)
{
    if (d->sink.p != d->sink.local)
        free(d->sink.p);
    if (d->keys != d->keys_local)
        free(d->keys);
}

/* Moves the canonical bytes into the arena. */
static int dec_finish(dec_t *d)
{
    if (d->sink.failed)
        return PV_ENOMEM;
    uint8_t *p = pv_arena_memdup(d->arena, d->sink.p, d->sink.len);
    if (!p)
        return PV_ENOMEM;
    d->ev->data = p;
    d->ev->data_len = d->sink.len;
    return 0;
}

__attribute__((format(printf, 3, 4))) static int data_reject(const dec_t *d, const path_t *at,
                                                             const char *fmt, ...)
{
    char field[PV_REJECT_FIELD_MAX];
    path_format(at, field, sizeof field);
    va_list ap;
    va_start(ap, fmt);
    int rc = vreject(d->rej, field, fmt, ap);
    va_end(ap);
    return rc;
}

/* Checks shared by both walkers. `depth` is the depth of the container itself: data is 1. */
static int check_container(const dec_t *d, const path_t *at, uint32_t depth, size_t n,
                           const char *what)
{
    if (depth > d->max_depth)
        return data_reject(d, at, "nesting depth %u exceeds the limit of %u", depth, d->max_depth);
    if (n > d->lim->max_fields)
        return data_reject(d, at, "%s of %zu entries exceeds the limit of %u", what, n,
                           d->lim->max_fields);
    if (depth == 1 && n > PV_EVENT_MAX_TOP_FIELDS)
        return data_reject(d, at, "data has %zu top-level fields, more than the limit of %d", n,
                           PV_EVENT_MAX_TOP_FIELDS);
    return 0;
}

/* A string value or map key; jansson has validated UTF-8 already (`utf8_known`). */
static int check_string(const dec_t *d, const path_t *at, const char *what, const uint8_t *s,
                        size_t len, bool utf8_known)
{
    if (len > d->lim->max_string)
        return data_reject(d, at, "%s of %zu bytes exceeds the limit of %zu", what, len,
                           d->lim->max_string);
    int t = utf8_known ? (memchr(s, '\0', len) ? TEXT_NUL : TEXT_OK) : text_check(s, len);
    if (t == TEXT_NUL)
        return data_reject(d, at, "%s contains a NUL byte", what);
    if (t == TEXT_BAD_UTF8)
        return data_reject(d, at, "%s is not valid UTF-8", what);
    return 0;
}

/* Stores a top-level entry in ev->fields, with NUL-terminated arena copies of name and string. */
static int record_field(dec_t *d, const char *key, size_t key_len, const pv_value_t *v)
{
    size_t slen = v->kind == PV_VAL_STR ? v->u.s.len : 0;
    char *p = pv_arena_alloc(d->arena, key_len + 1 + slen + 1);
    if (!p)
        return PV_ENOMEM;
    pv_field_t *f = &d->ev->fields[d->ev->nfields++];
    memcpy(p, key, key_len);
    p[key_len] = '\0';
    f->name = p;
    f->value = *v;
    if (v->kind == PV_VAL_STR) {
        memcpy(p + key_len + 1, v->u.s.ptr, slen);
        p[key_len + 1 + slen] = '\0';
        f->value.u.s.ptr = p + key_len + 1;
    }
    return 0;
}

/* ---- msgpack data ---------------------------------------------------------------------------- */

static int mp_truncated(const dec_t *d)
{
    return reject(d->rej, "data", "data is not valid msgpack: truncated at byte %zu", d->in_len);
}

/* Reads an n-byte big-endian unsigned integer. */
static int mp_uint(dec_t *d, size_t n, uint64_t *v)
{
    if (d->in_len - d->off < n)
        return mp_truncated(d);
    uint64_t x = 0;
    for (size_t i = 0; i < n; i++)
        x = x << 8 | d->in[d->off + i];
    d->off += n;
    *v = x;
    return 0;
}

static int put_int(dec_t *d, int64_t i, pv_value_t *v)
{
    msgpack_pack_int64(&d->pk, i);
    v->kind = PV_VAL_INT;
    v->u.i = i;
    return 0;
}

static int put_float(dec_t *d, const path_t *at, double f, pv_value_t *v)
{
    /* JSON cannot carry NaN or infinity, and guards cannot compare them. */
    if (!isfinite(f))
        return data_reject(d, at, "float %g is not finite", f);
    msgpack_pack_double(&d->pk, f);
    v->kind = PV_VAL_FLOAT;
    v->u.f = f;
    return 0;
}

static int mp_float(dec_t *d, const path_t *at, size_t n, pv_value_t *v)
{
    uint64_t u = 0;
    int rc = mp_uint(d, n, &u);
    if (rc)
        return rc;
    if (n == 4) {
        uint32_t u32 = (uint32_t)u;
        float f;
        memcpy(&f, &u32, sizeof f);
        return put_float(d, at, f, v);
    }
    double f;
    memcpy(&f, &u, sizeof f);
    return put_float(d, at, f, v);
}

static int mp_sized_int(dec_t *d, const path_t *at, size_t n, bool is_signed, pv_value_t *v)
{
    uint64_t u = 0;
    int rc = mp_uint(d, n, &u);
    if (rc)
        return rc;
    if (!is_signed) {
        if (u > INT64_MAX)
            return data_reject(d, at, "integer %llu is outside the int64 range",
                               (unsigned long long)u);
        return put_int(d, (int64_t)u, v);
    }
    switch (n) {
    case 1:
        return put_int(d, (int8_t)u, v);
    case 2:
        return put_int(d, (int16_t)u, v);
    case 4:
        return put_int(d, (int32_t)u, v);
    default:
        return put_int(d, (int64_t)u, v);
    }
}

/* Reads the body of a str of `len` bytes; `v` (may be NULL) points into the input. */
static int mp_str_body(dec_t *d, const path_t *at, const char *what, uint64_t len,
                       const uint8_t **s)
{
    if (len > d->lim->max_string)
        return data_reject(d, at, "%s of %llu bytes exceeds the limit of %zu", what,
                           (unsigned long long)len, d->lim->max_string);
    if (d->in_len - d->off < len)
        return mp_truncated(d);
    *s = d->in + d->off;
    d->off += len;
    return check_string(d, at, what, *s, len, false);
}

static int mp_str(dec_t *d, const path_t *at, uint64_t len, pv_value_t *v)
{
    const uint8_t *s = NULL;
    int rc = mp_str_body(d, at, "string", len, &s);
    if (rc)
        return rc;
    msgpack_pack_str(&d->pk, len);
    msgpack_pack_str_body(&d->pk, s, len);
    v->kind = PV_VAL_STR;
    v->u.s.ptr = (const char *)s;
    v->u.s.len = (uint32_t)len;
    return 0;
}

static int mp_bin(dec_t *d, const path_t *at, size_t lenlen, pv_value_t *v)
{
    uint64_t len = 0;
    int rc = mp_uint(d, lenlen, &len);
    if (rc)
        return rc;
    if (len > d->lim->max_string)
        return data_reject(d, at, "bin of %llu bytes exceeds the limit of %zu",
                           (unsigned long long)len, d->lim->max_string);
    if (d->in_len - d->off < len)
        return mp_truncated(d);
    msgpack_pack_bin(&d->pk, len);
    msgpack_pack_bin_body(&d->pk, d->in + d->off, len);
    d->off += len;
    v->kind = PV_VAL_NESTED; /* bytes are opaque to guards */
    return 0;
}

static int mp_ext(dec_t *d, const path_t *at, size_t lenlen)
{
    /* The type byte follows the length; name it when present. */
    size_t t = d->off + lenlen;
    if (t < d->in_len)
        return data_reject(d, at, "extension type %d is not supported", (int8_t)d->in[t]);
    return data_reject(d, at, "extension types are not supported");
}

static int mp_value(dec_t *d, const path_t *at, uint32_t depth, pv_value_t *v);

/* Reads the key of entry i of a map: a str within the limits, not seen before in this map. */
static int mp_key(dec_t *d, const path_t *map_at, uint32_t i, size_t base, path_t *key_at)
{
    if (d->off >= d->in_len)
        return mp_truncated(d);
    uint8_t b = d->in[d->off++];
    uint64_t len = 0;
    int rc = 0;
    if ((b & 0xe0) == 0xa0)
        len = b & 0x1f;
    else if (b >= 0xd9 && b <= 0xdb)
        rc = mp_uint(d, (size_t)1 << (b - 0xd9), &len);
    else
        return data_reject(d, map_at, "map key of entry %u is not a string", i);
    const uint8_t *s = NULL;
    if (rc || (rc = mp_str_body(d, map_at, "map key", len, &s)))
        return rc;
    *key_at = (path_t){map_at, (const char *)s, len, 0};
    for (size_t k = base; k < d->nkeys; k++)
        if (d->keys[k].len == len && memcmp(d->keys[k].p, s, len) == 0)
            return data_reject(d, key_at, "key '%.*s' appears twice", quote_len(key_at->key, len),
                               key_at->key);
    if (d->nkeys == d->keycap) {
        size_t cap = d->keycap * 2;
        keyref_t *k = malloc(cap * sizeof *k);
        if (!k)
            return PV_ENOMEM;
        memcpy(k, d->keys, d->nkeys * sizeof *k);
        if (d->keys != d->keys_local)
            free(d->keys);
        d->keys = k;
        d->keycap = cap;
    }
    d->keys[d->nkeys++] = (keyref_t){s, len};
    msgpack_pack_str(&d->pk, len);
    msgpack_pack_str_body(&d->pk, s, len);
    return 0;
}

static int mp_map(dec_t *d, const path_t *at, uint32_t depth, uint64_t n, pv_value_t *v)
{
    int rc = check_container(d, at, depth, n, "map");
    if (rc)
        return rc;
    msgpack_pack_map(&d->pk, n);
    size_t base = d->nkeys;
    for (uint32_t i = 0; i < n && rc == 0; i++) {
        path_t key_at;
        pv_value_t fv;
        rc = mp_key(d, at, i, base, &key_at);
        if (rc == 0)
            rc = mp_value(d, &key_at, depth, &fv);
        if (rc == 0 && depth == 1)
            rc = record_field(d, key_at.key, key_at.key_len, &fv);
    }
    d->nkeys = base;
    v->kind = PV_VAL_NESTED;
    return rc;
}

static int mp_array(dec_t *d, const path_t *at, uint32_t depth, uint64_t n, pv_value_t *v)
{
    int rc = check_container(d, at, depth, n, "array");
    if (rc)
        return rc;
    msgpack_pack_array(&d->pk, n);
    for (uint32_t i = 0; i < n && rc == 0; i++) {
        path_t el = {at, NULL, 0, i};
        pv_value_t ev;
        rc = mp_value(d, &el, depth, &ev);
    }
    v->kind = PV_VAL_NESTED;
    return rc;
}

/* Container or str with an n-byte length field (1 << (b - first)). */
static int mp_sized(dec_t *d, const path_t *at, uint32_t depth, uint8_t b, pv_value_t *v)
{
    uint64_t n = 0;
    int rc;
    if (b >= 0xd9 && b <= 0xdb)
        return (rc = mp_uint(d, (size_t)1 << (b - 0xd9), &n)) ? rc : mp_str(d, at, n, v);
    if (b == 0xdc || b == 0xdd)
        return (rc = mp_uint(d, b == 0xdc ? 2 : 4, &n)) ? rc : mp_array(d, at, depth + 1, n, v);
    return (rc = mp_uint(d, b == 0xde ? 2 : 4, &n)) ? rc : mp_map(d, at, depth + 1, n, v);
}

/* Reads one value of any type and writes its canonical form. `depth` is that of the container
 * holding the value (0 for data itself). A dispatcher over the msgpack format bytes. */
static int mp_value(dec_t *d, const path_t *at, uint32_t depth, pv_value_t *v)
{
    if (d->off >= d->in_len)
        return mp_truncated(d);
    uint8_t b = d->in[d->off++];
    if (b <= 0x7f || b >= 0xe0)
        return put_int(d, (int8_t)b, v);
    if (b <= 0x8f)
        return mp_map(d, at, depth + 1, b & 0x0f, v);
    if (b <= 0x9f)
        return mp_array(d, at, depth + 1, b & 0x0f, v);
    if (b <= 0xbf)
        return mp_str(d, at, b & 0x1f, v);
    switch (b) {
    case 0xc0:
        msgpack_pack_nil(&d->pk);
        v->kind = PV_VAL_NIL;
        return 0;
    case 0xc2:
    case 0xc3:
        b == 0xc3 ? msgpack_pack_true(&d->pk) : msgpack_pack_false(&d->pk);
        v->kind = PV_VAL_BOOL;
        v->u.b = b == 0xc3;
        return 0;
    case 0xc4:
    case 0xc5:
    case 0xc6:
        return mp_bin(d, at, (size_t)1 << (b - 0xc4), v);
    case 0xc7:
    case 0xc8:
    case 0xc9:
        return mp_ext(d, at, (size_t)1 << (b - 0xc7));
    case 0xca:
        return mp_float(d, at, 4, v);
    case 0xcb:
        return mp_float(d, at, 8, v);
    case 0xcc:
    case 0xcd:
    case 0xce:
    case 0xcf:
        return mp_sized_int(d, at, (size_t)1 << (b - 0xcc), false, v);
    case 0xd0:
    case 0xd1:
    case 0xd2:
    case 0xd3:
        return mp_sized_int(d, at, (size_t)1 << (b - 0xd0), true, v);
    case 0xd4:
    case 0xd5:
    case 0xd6:
    case 0xd7:
    case 0xd8:
        return mp_ext(d, at, 0);
    case 0xc1:
        return reject(d->rej, "data", "data is not valid msgpack: byte 0xc1 at offset %zu",
                      d->off - 1);
    default:
        return mp_sized(d, at, depth, b, v);
    }
}

static const char *mp_type_name(uint8_t b)
{
    if (b <= 0x7f || b >= 0xe0 || (b >= 0xcc && b <= 0xd3))
        return "an integer";
    if ((b >= 0x90 && b <= 0x9f) || b == 0xdc || b == 0xdd)
        return "an array";
    if ((b >= 0xa0 && b <= 0xbf) || (b >= 0xd9 && b <= 0xdb))
        return "a string";
    switch (b) {
    case 0xc0:
        return "nil";
    case 0xc2:
    case 0xc3:
        return "a boolean";
    case 0xc4:
    case 0xc5:
    case 0xc6:
        return "bin";
    case 0xca:
    case 0xcb:
        return "a float";
    case 0xc1:
        return "invalid byte 0xc1";
    default:
        return "an extension";
    }
}

static bool mp_is_map(uint8_t b)
{
    return (b >= 0x80 && b <= 0x8f) || b == 0xde || b == 0xdf;
}

static const path_t data_root = {NULL, "data", 4, 0};

static int mp_data(dec_t *d, const uint8_t *p, size_t len)
{
    d->in = p;
    d->in_len = len;
    d->off = 0;
    if (!mp_is_map(p[0]))
        return reject(d->rej, "data", "data must be a map, not %s", mp_type_name(p[0]));
    pv_value_t v;
    int rc = mp_value(d, &data_root, 0, &v);
    if (rc == 0 && d->off != len)
        rc = reject(d->rej, "data",
                    "data is not valid msgpack: %zu extra bytes after the map at byte %zu",
                    len - d->off, d->off);
    return rc;
}

/* ---- JSON data (a jansson tree) ------------------------------------------------------------- */

static int js_value(dec_t *d, json_t *j, const path_t *at, uint32_t depth, pv_value_t *v);

static int js_map(dec_t *d, json_t *j, const path_t *at, uint32_t depth, pv_value_t *v)
{
    int rc = check_container(d, at, depth, json_object_size(j), "map");
    if (rc)
        return rc;
    msgpack_pack_map(&d->pk, json_object_size(j));
    const char *key;
    json_t *val;
    /* jansson iterates in insertion order (documented since 2.8), i.e. the order received. */
    json_object_foreach(j, key, val)
    {
        size_t klen = strlen(key); /* jansson rejects NUL in keys */
        if ((rc = check_string(d, at, "map key", (const uint8_t *)key, klen, true)))
            return rc;
        path_t key_at = {at, key, klen, 0};
        pv_value_t fv;
        msgpack_pack_str(&d->pk, klen);
        msgpack_pack_str_body(&d->pk, key, klen);
        if ((rc = js_value(d, val, &key_at, depth, &fv)))
            return rc;
        if (depth == 1 && (rc = record_field(d, key, klen, &fv)))
            return rc;
    }
    v->kind = PV_VAL_NESTED;
    return 0;
}

static int js_array(dec_t *d, json_t *j, const path_t *at, uint32_t depth, pv_value_t *v)
{
    size_t n = json_array_size(j);
    int rc = check_container(d, at, depth, n, "array");
    if (rc)
        return rc;
    msgpack_pack_array(&d->pk, n);
    for (size_t i = 0; i < n && rc == 0; i++) {
        path_t el = {at, NULL, 0, (uint32_t)i};
        pv_value_t ev;
        rc = js_value(d, json_array_get(j, i), &el, depth, &ev);
    }
    v->kind = PV_VAL_NESTED;
    return rc;
}

static int js_str(dec_t *d, json_t *j, const path_t *at, pv_value_t *v)
{
    const char *s = json_string_value(j);
    size_t len = json_string_length(j);
    int rc = check_string(d, at, "string", (const uint8_t *)s, len, true);
    if (rc)
        return rc;
    msgpack_pack_str(&d->pk, len);
    msgpack_pack_str_body(&d->pk, s, len);
    v->kind = PV_VAL_STR;
    v->u.s.ptr = s;
    v->u.s.len = (uint32_t)len;
    return 0;
}

/* Writes the canonical form of a jansson value. `depth` as in mp_value. */
static int js_value(dec_t *d, json_t *j, const path_t *at, uint32_t depth, pv_value_t *v)
{
    switch (json_typeof(j)) {
    case JSON_OBJECT:
        return js_map(d, j, at, depth + 1, v);
    case JSON_ARRAY:
        return js_array(d, j, at, depth + 1, v);
    case JSON_STRING:
        return js_str(d, j, at, v);
    case JSON_INTEGER:
        return put_int(d, json_integer_value(j), v);
    case JSON_REAL:
        return put_float(d, at, json_real_value(j), v);
    case JSON_TRUE:
    case JSON_FALSE:
        json_is_true(j) ? msgpack_pack_true(&d->pk) : msgpack_pack_false(&d->pk);
        v->kind = PV_VAL_BOOL;
        v->u.b = json_is_true(j);
        return 0;
    default:
        msgpack_pack_nil(&d->pk);
        v->kind = PV_VAL_NIL;
        return 0;
    }
}

static const char *js_type_name(const json_t *j)
{
    switch (json_typeof(j)) {
    case JSON_OBJECT:
        return "an object";
    case JSON_ARRAY:
        return "an array";
    case JSON_STRING:
        return "a string";
    case JSON_INTEGER:
        return "an integer";
    case JSON_REAL:
        return "a number";
    case JSON_TRUE:
    case JSON_FALSE:
        return "a boolean";
    default:
        return "null";
    }
}

/* ---- JSON parse errors ---------------------------------------------------------------------- */

/* jansson reports a number it cannot hold ("too big integer", "real number overflow") with a
 * position only. The rejection must name the field, so re-scan the text up to that position: it
 * is valid JSON so far (jansson read it), and a token-level walk that tracks keys and indices
 * suffices. `end` is the byte just after the number. Returns the token, sets the path. */
typedef struct {
    bool is_obj, want_key;
    uint32_t index;
    const char *key;
    size_t key_len;
} jframe_t;

static size_t js_string_end(const char *s, size_t i, size_t n)
{
    for (i++; i < n && s[i] != '"'; i++)
        if (s[i] == '\\')
            i++;
    return i < n ? i + 1 : n;
}

static void js_scan_push(jframe_t *st, int *top, char c)
{
    if (++*top < 64)
        st[*top] = (jframe_t){c == '{', c == '{', 0, NULL, 0};
}

static void js_scan_sep(jframe_t *st, int top, const char *s, size_t i, size_t j)
{
    if (top < 0 || top >= 64)
        return;
    jframe_t *f = &st[top];
    if (s[i] == ',') {
        f->want_key = f->is_obj;
        f->index++;
    } else if (s[i] == '"' && f->is_obj && f->want_key) {
        f->key = s + i + 1;
        f->key_len = j - i - 2;
        f->want_key = false;
    }
}

static void js_overflow_path(const char *s, size_t n, size_t end, const path_t *root, char *field,
                             size_t cap, const char **tok, int *tok_len)
{
    jframe_t st[64];
    int top = -1;
    size_t i = 0;
    *tok = s;
    *tok_len = 0;
    while (i < n) {
        char c = s[i];
        size_t j = i + 1;
        if (c == '{' || c == '[') {
            js_scan_push(st, &top, c);
        } else if ((c == '}' || c == ']') && top >= 0) {
            top--;
        } else if (c == '"') {
            js_scan_sep(st, top, s, i, j = js_string_end(s, i, n));
        } else if (c == ',') {
            js_scan_sep(st, top, s, i, j);
        } else if (!strchr(" \t\r\n:", c)) {
            while (j < n && !strchr(" \t\r\n,:]}", s[j]))
                j++;
            if (j >= end) {
                *tok = s + i;
                *tok_len = (int)(j - i > 32 ? 32 : j - i);
                break;
            }
        }
        i = j;
    }
    path_t frames[64];
    const path_t *up = root;
    for (int k = 0; k <= top && k < 64; k++) {
        frames[k] = (path_t){up, st[k].is_obj ? st[k].key : NULL, st[k].key_len, st[k].index};
        if (st[k].is_obj && !st[k].key)
            break; /* not inside an entry: the path so far */
        up = &frames[k];
    }
    path_format(up, field, cap);
}

/* Turns a jansson error into a rejection naming `what` ("data" or "event"). */
static int js_error(pv_reject_t *rej, const json_error_t *err, const char *text, size_t len,
                    const char *what, const path_t *root)
{
    if (json_error_code(err) == json_error_numeric_overflow && err->position > 0) {
        char field[PV_REJECT_FIELD_MAX];
        const char *tok;
        int tok_len;
        js_overflow_path(text, len, (size_t)err->position, root, field, sizeof field, &tok,
                         &tok_len);
        bool is_int = strncmp(err->text, "too big", 7) == 0;
        return reject(rej, field, "%s %.*s is outside the %s range", is_int ? "integer" : "number",
                      tok_len, tok, is_int ? "int64" : "float64");
    }
    return reject(rej, root ? "data" : "", "%s is not valid JSON: %s at line %d column %d", what,
                  err->text, err->line, err->column);
}

/* Flags for every JSON parse: duplicates are malformed; NUL in strings passes jansson so that our
 * check names the field. */
#define JS_FLAGS (JSON_REJECT_DUPLICATES | JSON_DECODE_ANY | JSON_ALLOW_NUL)

static int js_data_tree(dec_t *d, json_t *j)
{
    if (!json_is_object(j))
        return reject(d->rej, "data", "data must be a map, not %s", js_type_name(j));
    pv_value_t v;
    return js_value(d, j, &data_root, 0, &v);
}

static int js_data(dec_t *d, const char *p, size_t len)
{
    json_error_t err;
    json_t *j = json_loadb(p, len, JS_FLAGS, &err);
    if (!j)
        return js_error(d->rej, &err, p, len, "data", &data_root);
    int rc = js_data_tree(d, j);
    json_decref(j);
    return rc;
}

/* ---- Attributes ------------------------------------------------------------------------------ */

enum { A_SPECVERSION, A_ID, A_SOURCE, A_TYPE, A_SUBJECT, A_TIME, A_ACTOR, A_CONTENT_TYPE, A_COUNT };

typedef struct {
    const char *header; /* binary-mode header key */
    size_t header_len;
    const char *json; /* structured-mode attribute name */
    size_t max;       /* bytes, 0 when only max_header applies */
    bool required;
} attr_spec_t;

static const attr_spec_t attrs[A_COUNT] = {
    [A_SPECVERSION] = {"ce_specversion", 14, "specversion", 0, true},
    [A_ID] = {"ce_id", 5, "id", ID_MAX, true},
    [A_SOURCE] = {"ce_source", 9, "source", 0, true},
    [A_TYPE] = {"ce_type", 7, "type", TYPE_MAX, true},
    [A_SUBJECT] = {"ce_subject", 10, "subject", SUBJECT_MAX, true},
    [A_TIME] = {"ce_time", 7, "time", 0, false},
    [A_ACTOR] = {"ce_actor", 8, "actor", ACTOR_MAX, true},
    [A_CONTENT_TYPE] = {"content-type", 12, "datacontenttype", 0, false},
};

typedef struct {
    const char *p;
    size_t len;
    bool present;
} raw_attr_t;

static bool digits(const char *s, size_t n, int *v)
{
    *v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        *v = *v * 10 + (s[i] - '0');
    }
    return true;
}

static int days_in_month(int y, int m)
{
    static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 && leap ? 29 : days[m - 1];
}

/* RFC 3339 section 5.6 date-time: YYYY-MM-DDTHH:MM:SS[.frac](Z|+HH:MM|-HH:MM). "T" and "Z" may be
 * lower case (section 5.6 note); a space instead of "T" is not date-time. */
static bool is_rfc3339(const char *s, size_t n)
{
    int y, mo, d, h, mi, sec, oh, om;
    if (n < 20 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't') || s[13] != ':' ||
        s[16] != ':')
        return false;
    if (!digits(s, 4, &y) || !digits(s + 5, 2, &mo) || !digits(s + 8, 2, &d) ||
        !digits(s + 11, 2, &h) || !digits(s + 14, 2, &mi) || !digits(s + 17, 2, &sec))
        return false;
    if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) || h > 23 || mi > 59 || sec > 60)
        return false;
    size_t i = 19;
    if (s[i] == '.') {
        size_t start = ++i;
        while (i < n && s[i] >= '0' && s[i] <= '9')
            i++;
        if (i == start)
            return false;
    }
    if (i < n && (s[i] == 'Z' || s[i] == 'z'))
        return i + 1 == n;
    if (i + 6 != n || (s[i] != '+' && s[i] != '-') || s[i + 3] != ':')
        return false;
    return digits(s + i + 1, 2, &oh) && digits(s + i + 4, 2, &om) && oh <= 23 && om <= 59;
}

/* Checks one attribute value: text, length and the attribute's own rule. */
static int check_attr(int a, const char *name, const raw_attr_t *r, const pv_limits_t *lim,
                      pv_reject_t *rej)
{
    if (!r->present)
        return attrs[a].required ? reject(rej, name, "%s is missing", name) : 0;
    if (r->len > lim->max_header)
        return reject(rej, name, "%s of %zu bytes exceeds the limit of %zu", name, r->len,
                      lim->max_header);
    int t = text_check((const uint8_t *)r->p, r->len);
    if (t == TEXT_NUL)
        return reject(rej, name, "%s contains a NUL byte", name);
    if (t == TEXT_BAD_UTF8)
        return reject(rej, name, "%s is not valid UTF-8", name);
    if (r->len == 0)
        return reject(rej, name, "%s is empty", name);
    if (attrs[a].max && r->len > attrs[a].max)
        return reject(rej, name, "%s of %zu bytes exceeds the limit of %zu", name, r->len,
                      attrs[a].max);
    if (a == A_SPECVERSION && (r->len != 3 || memcmp(r->p, "1.0", 3) != 0))
        return reject(rej, name, "%s '%.*s' is not supported (use 1.0)", name,
                      quote_len(r->p, r->len), r->p);
    if (a == A_TIME && !is_rfc3339(r->p, r->len))
        return reject(rej, name, "%s '%.*s' is not an RFC 3339 date-time (e.g. %s)", name,
                      quote_len(r->p, r->len), r->p, "2026-04-01T10:00:00+05:30");
    return 0;
}

/* Checks all attributes except the content type, in a fixed order. `structured` picks the names. */
static int check_attrs(const raw_attr_t *raw, bool structured, const pv_limits_t *lim,
                       pv_reject_t *rej)
{
    for (int a = 0; a < A_CONTENT_TYPE; a++) {
        /* Structured mode may omit specversion (the line format of `pravah publish`). */
        if (structured && a == A_SPECVERSION && !raw[a].present)
            continue;
        int rc = check_attr(a, structured ? attrs[a].json : attrs[a].header, &raw[a], lim, rej);
        if (rc)
            return rc;
    }
    return 0;
}

/* The media type of a content type, parameters and surrounding blanks dropped, compared without
 * case (RFC 9110 8.3.1). Returns 'm' (msgpack), 'j' (json) or 0. */
static int media_type(const char *p, size_t len)
{
    const char *semi = memchr(p, ';', len);
    size_t n = semi ? (size_t)(semi - p) : len;
    while (n > 0 && (*p == ' ' || *p == '\t'))
        p++, n--;
    while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t'))
        n--;
    if (n == 19 && strncasecmp(p, "application/msgpack", 19) == 0)
        return 'm';
    if (n == 16 && strncasecmp(p, "application/json", 16) == 0)
        return 'j';
    return 0;
}

/* Copies the attribute strings into one arena block. */
static int copy_attrs(const raw_attr_t *raw, pv_arena_t *arena, pv_event_t *ev)
{
    static const int order[] = {A_ID, A_SOURCE, A_TYPE, A_SUBJECT, A_TIME, A_ACTOR};
    const char **dst[] = {&ev->id, &ev->source, &ev->type, &ev->subject, &ev->time, &ev->actor};
    size_t total = 0;
    for (size_t i = 0; i < 6; i++)
        total += raw[order[i]].len + 1;
    char *p = pv_arena_alloc(arena, total);
    if (!p)
        return PV_ENOMEM;
    for (size_t i = 0; i < 6; i++) {
        const raw_attr_t *r = &raw[order[i]];
        if (r->len)
            memcpy(p, r->p, r->len);
        p[r->len] = '\0';
        *dst[i] = p;
        p += r->len + 1;
    }
    return 0;
}

/* Copies the used part of a finished event (the fields array is mostly empty). */
static void publish(const pv_event_t *ev, pv_event_t *out)
{
    out->id = ev->id;
    out->source = ev->source;
    out->type = ev->type;
    out->subject = ev->subject;
    out->time = ev->time;
    out->actor = ev->actor;
    out->data = ev->data;
    out->data_len = ev->data_len;
    out->nfields = ev->nfields;
    memcpy(out->fields, ev->fields, ev->nfields * sizeof ev->fields[0]);
}

static const uint8_t empty_map[1] = {0x80};

/* ---- Binary mode ----------------------------------------------------------------------------- */

static int gather_headers(const pv_header_t *h, size_t nh, raw_attr_t *raw, pv_reject_t *rej)
{
    for (size_t i = 0; i < nh; i++) {
        if (!h[i].key || (h[i].key[0] != 'c' && h[i].key[0] != 'C'))
            continue;
        size_t klen = strlen(h[i].key);
        for (int a = 0; a < A_COUNT; a++) {
            if (klen != attrs[a].header_len)
                continue;
            /* Header names are case-sensitive, except the HTTP-born content-type. */
            bool match = a == A_CONTENT_TYPE ? strcasecmp(h[i].key, attrs[a].header) == 0
                                             : memcmp(h[i].key, attrs[a].header, klen) == 0;
            if (!match)
                continue;
            if (raw[a].present)
                return reject(rej, attrs[a].header, "%s appears more than once", attrs[a].header);
            raw[a] =
                (raw_attr_t){h[i].value ? h[i].value : "", h[i].value ? h[i].value_len : 0, true};
            break;
        }
    }
    return 0;
}

/* Checks the content-type header; sets *kind to 'm' or 'j'. */
static int check_content_type(const raw_attr_t *r, const pv_limits_t *lim, pv_reject_t *rej,
                              int *kind)
{
    const char *name = attrs[A_CONTENT_TYPE].header;
    if (!r->present)
        return reject(rej, name, "%s is missing", name);
    int rc = check_attr(A_CONTENT_TYPE, name, r, lim, rej);
    if (rc)
        return rc;
    *kind = media_type(r->p, r->len);
    if (!*kind)
        return reject(rej, name,
                      "%s '%.*s' is not supported (use application/msgpack or application/json)",
                      name, quote_len(r->p, r->len), r->p);
    return 0;
}

static int decode_payload(dec_t *d, int kind, const void *payload, size_t len)
{
    if (len > d->lim->max_payload)
        return reject(d->rej, "data", "data of %zu bytes exceeds the limit of %zu", len,
                      d->lim->max_payload);
    if (len == 0) {
        d->ev->data = empty_map;
        d->ev->data_len = sizeof empty_map;
        return 0;
    }
    int rc = kind == 'j' ? js_data(d, payload, len) : mp_data(d, payload, len);
    return rc ? rc : dec_finish(d);
}

int pv_event_decode(const pv_header_t *headers, size_t nheaders, const void *payload,
                    size_t payload_len, const pv_limits_t *lim, pv_arena_t *arena, pv_event_t *out,
                    pv_reject_t *rej)
{
    pv_limits_t deflim;
    if (!lim) {
        pv_limits_default(&deflim);
        lim = &deflim;
    }
    raw_attr_t raw[A_COUNT] = {{0}};
    int kind = 0, rc = gather_headers(headers, nheaders, raw, rej);
    if (rc || (rc = check_attrs(raw, false, lim, rej)) ||
        (rc = check_content_type(&raw[A_CONTENT_TYPE], lim, rej, &kind)))
        return rc;
    pv_event_t ev;
    ev.nfields = 0;
    dec_t d;
    dec_init(&d, lim, arena, rej, &ev);
    rc = decode_payload(&d, kind, payload, payload_len);
    if (rc == 0)
        rc = copy_attrs(raw, arena, &ev);
    if (rc == 0)
        publish(&ev, out);
    dec_close(&d);
    return rc;
}

/* ---- Structured mode ------------------------------------------------------------------------- */

/* Reads the attributes of a structured event; *data is the data object or NULL. */
static int gather_json(json_t *obj, raw_attr_t *raw, json_t **data, pv_reject_t *rej)
{
    const char *key;
    json_t *val;
    json_object_foreach(obj, key, val)
    {
        if (strcmp(key, "data") == 0) {
            *data = val;
            continue;
        }
        int a = 0;
        while (a < A_COUNT && strcmp(key, attrs[a].json) != 0)
            a++;
        if (a == A_COUNT)
            return reject(rej, key, "unknown attribute '%.*s'", quote_len(key, strlen(key)), key);
        if (!json_is_string(val))
            return reject(rej, key, "%s must be a string, not %s", key, js_type_name(val));
        raw[a] = (raw_attr_t){json_string_value(val), json_string_length(val), true};
    }
    return 0;
}

static int check_datacontenttype(const raw_attr_t *r, const pv_limits_t *lim, pv_reject_t *rej)
{
    const char *name = attrs[A_CONTENT_TYPE].json;
    int rc = r->present ? check_attr(A_CONTENT_TYPE, name, r, lim, rej) : 0;
    if (rc == 0 && r->present && media_type(r->p, r->len) != 'j')
        rc = reject(rej, name, "%s '%.*s' is not supported (structured events carry JSON data)",
                    name, quote_len(r->p, r->len), r->p);
    return rc;
}

static int decode_structured(json_t *obj, const pv_limits_t *lim, pv_arena_t *arena,
                             pv_event_t *out, pv_reject_t *rej)
{
    raw_attr_t raw[A_COUNT] = {{0}};
    json_t *data = NULL;
    int rc = gather_json(obj, raw, &data, rej);
    if (rc || (rc = check_attrs(raw, true, lim, rej)) ||
        (rc = check_datacontenttype(&raw[A_CONTENT_TYPE], lim, rej)))
        return rc;
    pv_event_t ev;
    ev.nfields = 0;
    dec_t d;
    dec_init(&d, lim, arena, rej, &ev);
    if (!data) {
        ev.data = empty_map;
        ev.data_len = sizeof empty_map;
    } else if ((rc = js_data_tree(&d, data)) == 0) {
        /* The text limit bounds memory; this one bounds what is stored, as in binary mode. */
        if (d.sink.len > lim->max_payload)
            rc = reject(rej, "data", "data of %zu bytes exceeds the limit of %zu", d.sink.len,
                        lim->max_payload);
        else
            rc = dec_finish(&d);
    }
    if (rc == 0)
        rc = copy_attrs(raw, arena, &ev);
    if (rc == 0)
        publish(&ev, out);
    dec_close(&d);
    return rc;
}

int pv_event_decode_json(const char *json, size_t len, const pv_limits_t *lim, pv_arena_t *arena,
                         pv_event_t *out, pv_reject_t *rej)
{
    pv_limits_t deflim;
    if (!lim) {
        pv_limits_default(&deflim);
        lim = &deflim;
    }
    /* Data plus the attributes, saturated: the limits may be SIZE_MAX. */
    size_t attrs_max = lim->max_header > SIZE_MAX / PV_EVENT_NHEADERS
                           ? SIZE_MAX
                           : PV_EVENT_NHEADERS * lim->max_header;
    size_t max = lim->max_payload > SIZE_MAX - attrs_max ? SIZE_MAX : lim->max_payload + attrs_max;
    if (len > max)
        return reject(rej, "", "event of %zu bytes exceeds the limit of %zu", len, max);
    json_error_t err;
    json_t *obj = json_loadb(json, len, JS_FLAGS, &err);
    if (!obj)
        return js_error(rej, &err, json, len, "event", NULL);
    int rc = json_is_object(obj)
                 ? decode_structured(obj, lim, arena, out, rej)
                 : reject(rej, "", "event must be a JSON object, not %s", js_type_name(obj));
    json_decref(obj);
    return rc;
}

/* ---- Accessors ------------------------------------------------------------------------------- */

const pv_value_t *pv_event_field(const pv_event_t *ev, const char *name)
{
    for (uint32_t i = 0; i < ev->nfields; i++)
        if (strcmp(ev->fields[i].name, name) == 0)
            return &ev->fields[i].value;
    return NULL;
}

size_t pv_event_headers(const pv_event_t *ev, pv_header_t out[PV_EVENT_NHEADERS])
{
    size_t n = 0;
    out[n++] = (pv_header_t){"ce_specversion", "1.0", 3};
    out[n++] = (pv_header_t){"ce_id", ev->id, strlen(ev->id)};
    out[n++] = (pv_header_t){"ce_source", ev->source, strlen(ev->source)};
    out[n++] = (pv_header_t){"ce_type", ev->type, strlen(ev->type)};
    out[n++] = (pv_header_t){"ce_subject", ev->subject, strlen(ev->subject)};
    if (ev->time && ev->time[0])
        out[n++] = (pv_header_t){"ce_time", ev->time, strlen(ev->time)};
    out[n++] = (pv_header_t){"ce_actor", ev->actor, strlen(ev->actor)};
    out[n++] = (pv_header_t){"content-type", "application/msgpack", 19};
    return n;
}
