/* msgpack -> JSON text (msgpack_json.h): a small recursive reader over the bytes, no allocation
 * besides the output buffer. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "msgpack_json.h"
#include "pravah/common.h"

typedef struct reader_s {
    const uint8_t *p, *end;
    pv_buf_t *out;
    int rc; /* first error */
} reader_t;

static void put(reader_t *r, const void *p, size_t len)
{
    if (r->rc == 0 && pv_buf_append(r->out, p, len) != 0)
        r->rc = PV_ENOMEM;
}

static void puts_(reader_t *r, const char *s)
{
    put(r, s, strlen(s));
}

static int need(reader_t *r, size_t n)
{
    if ((size_t)(r->end - r->p) < n) {
        r->rc = r->rc ? r->rc : PV_EFORMAT;
        return 0;
    }
    return 1;
}

static uint64_t be(const uint8_t *p, int n)
{
    uint64_t v = 0;
    for (int i = 0; i < n; i++)
        v = v << 8 | p[i];
    return v;
}

/* Reads a big-endian length of n bytes (n = 1, 2 or 4). */
static int read_len(reader_t *r, int n, uint32_t *len)
{
    if (!need(r, (size_t)n))
        return -1;
    *len = (uint32_t)be(r->p, n);
    r->p += n;
    return 0;
}

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int pv_base64_append(pv_buf_t *out, const void *p, size_t len)
{
    const uint8_t *s = p;
    char q[4];
    for (size_t i = 0; i < len; i += 3) {
        uint32_t v = (uint32_t)s[i] << 16;
        if (i + 1 < len)
            v |= (uint32_t)s[i + 1] << 8;
        if (i + 2 < len)
            v |= s[i + 2];
        q[0] = b64[v >> 18 & 63];
        q[1] = b64[v >> 12 & 63];
        q[2] = i + 1 < len ? b64[v >> 6 & 63] : '=';
        q[3] = i + 2 < len ? b64[v & 63] : '=';
        if (pv_buf_append(out, q, 4) != 0)
            return PV_ENOMEM;
    }
    return 0;
}

/* Strict UTF-8 (no overlongs, no surrogates, at most U+10FFFF) and no NUL. */
static int is_json_text(const uint8_t *s, size_t n)
{
    for (size_t i = 0; i < n;) {
        uint8_t c = s[i];
        if (c == 0)
            return 0;
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t k = c >= 0xf0 ? 3 : c >= 0xe0 ? 2 : c >= 0xc2 ? 1 : 0;
        if (k == 0 || c > 0xf4 || i + k >= n)
            return 0;
        uint32_t cp = c & (0x3f >> k);
        for (size_t j = 1; j <= k; j++) {
            if ((s[i + j] & 0xc0) != 0x80)
                return 0;
            cp = cp << 6 | (s[i + j] & 0x3f);
        }
        if ((k == 2 && cp < 0x800) || (k == 3 && (cp < 0x10000 || cp > 0x10ffff)) ||
            (cp >= 0xd800 && cp <= 0xdfff))
            return 0;
        i += k + 1;
    }
    return 1;
}

/* A JSON string of UTF-8 text: runs of plain bytes are copied in one append. */
static void put_json_string(reader_t *r, const uint8_t *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    size_t run = 0;
    put(r, "\"", 1);
    for (size_t i = 0; i < n; i++) {
        uint8_t c = s[i];
        if (c >= 0x20 && c != '"' && c != '\\')
            continue;
        put(r, s + run, i - run);
        run = i + 1;
        const char *named = c == '"'    ? "\\\""
                            : c == '\\' ? "\\\\"
                            : c == '\n'  ? "\\n"
                            : c == '\t'  ? "\\t"
                            : c == '\r'  ? "\\r"
                            : c == '\b'  ? "\\b"
                            : c == '\f'  ? "\\f"
                                         : NULL;
        char u[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
        if (named)
            put(r, named, 2);
        else
            put(r, u, 6);
    }
    put(r, s + run, n - run);
    put(r, "\"", 1);
}

static void put_base64_string(reader_t *r, const uint8_t *s, size_t n)
{
    put(r, "\"", 1);
    if (r->rc == 0 && pv_base64_append(r->out, s, n) != 0)
        r->rc = PV_ENOMEM;
    put(r, "\"", 1);
}

static void put_str(reader_t *r, uint32_t n)
{
    if (!need(r, n))
        return;
    if (is_json_text(r->p, n))
        put_json_string(r, r->p, n);
    else
        put_base64_string(r, r->p, n);
    r->p += n;
}

static void put_bin(reader_t *r, uint32_t n)
{
    if (!need(r, n))
        return;
    put_base64_string(r, r->p, n);
    r->p += n;
}

/* The shortest %g form that reads back to the same value; NaN and infinities are null. */
static void put_double(reader_t *r, double d, int is_float32)
{
    char s[40];
    if (!isfinite(d)) {
        puts_(r, "null");
        return;
    }
    for (int prec = is_float32 ? 6 : 15; prec <= 17; prec++) {
        snprintf(s, sizeof s, "%.*g", prec, d);
        if (is_float32 ? strtof(s, NULL) == (float)d : strtod(s, NULL) == d)
            break;
    }
    puts_(r, s);
}

static void put_uint(reader_t *r, uint64_t v)
{
    char s[24];
    put(r, s, (size_t)snprintf(s, sizeof s, "%llu", (unsigned long long)v));
}

static void put_int(reader_t *r, int64_t v)
{
    char s[24];
    put(r, s, (size_t)snprintf(s, sizeof s, "%lld", (long long)v));
}

static void value(reader_t *r, int depth);

static void array(reader_t *r, uint32_t n, int depth)
{
    put(r, "[", 1);
    for (uint32_t i = 0; i < n && r->rc == 0; i++) {
        if (i)
            put(r, ",", 1);
        value(r, depth + 1);
    }
    put(r, "]", 1);
}

/* A key that is not a str: its JSON text, written as a string. */
static void other_key(reader_t *r, int depth)
{
    pv_buf_t tmp;
    pv_buf_init(&tmp);
    reader_t k = {r->p, r->end, &tmp, 0};
    value(&k, depth + 1);
    if (k.rc)
        r->rc = r->rc ? r->rc : k.rc;
    else
        put_json_string(r, tmp.data, tmp.len);
    r->p = k.p;
    pv_buf_close(&tmp);
}

static void map(reader_t *r, uint32_t n, int depth)
{
    put(r, "{", 1);
    for (uint32_t i = 0; i < n && r->rc == 0; i++) {
        if (i)
            put(r, ",", 1);
        if (!need(r, 1))
            return;
        uint8_t c = *r->p;
        if ((c >= 0xa0 && c <= 0xbf) || (c >= 0xd9 && c <= 0xdb))
            value(r, depth + 1);
        else
            other_key(r, depth);
        put(r, ":", 1);
        value(r, depth + 1);
    }
    put(r, "}", 1);
}

/* float32, float64, (u)int 8..64: the fixed-size scalars c4..d3 minus bin/ext. */
static void number(reader_t *r, uint8_t c)
{
    static const uint8_t size[] = {4, 8, 1, 2, 4, 8, 1, 2, 4, 8}; /* ca .. d3 */
    int n = size[c - 0xca];
    if (!need(r, (size_t)n))
        return;
    uint64_t v = be(r->p, n);
    r->p += n;
    if (c == 0xca) {
        uint32_t u = (uint32_t)v;
        float f;
        memcpy(&f, &u, 4);
        put_double(r, f, 1);
    } else if (c == 0xcb) {
        double d;
        memcpy(&d, &v, 8);
        put_double(r, d, 0);
    } else if (c <= 0xcf) {
        put_uint(r, v);
    } else {
        int bits = n * 8;
        int64_t s = bits == 64 ? (int64_t)v
                               : (int64_t)(v ^ (1ull << (bits - 1))) - (int64_t)(1ull << (bits - 1));
        put_int(r, s);
    }
}

/* ext: skip the type byte, write the data as base64. n is the data length. */
static void ext(reader_t *r, uint32_t n)
{
    if (!need(r, 1))
        return;
    r->p++;
    put_bin(r, n);
}

static void sized(reader_t *r, uint8_t c, int depth)
{
    uint32_t n;
    static const int lens[] = {1, 2, 4};
    if (c >= 0xc4 && c <= 0xc6) {
        if (read_len(r, lens[c - 0xc4], &n) == 0)
            put_bin(r, n);
    } else if (c >= 0xc7 && c <= 0xc9) {
        if (read_len(r, lens[c - 0xc7], &n) == 0)
            ext(r, n);
    } else if (c >= 0xd4 && c <= 0xd8) {
        ext(r, 1u << (c - 0xd4));
    } else if (c >= 0xd9 && c <= 0xdb) {
        if (read_len(r, lens[c - 0xd9], &n) == 0)
            put_str(r, n);
    } else if (c == 0xdc || c == 0xdd) {
        if (read_len(r, c == 0xdc ? 2 : 4, &n) == 0)
            array(r, n, depth);
    } else if (c == 0xde || c == 0xdf) {
        if (read_len(r, c == 0xde ? 2 : 4, &n) == 0)
            map(r, n, depth);
    } else {
        number(r, c);
    }
}

static void value(reader_t *r, int depth)
{
    if (depth > PV_MSGPACK_JSON_MAX_DEPTH || !need(r, 1)) {
        r->rc = r->rc ? r->rc : PV_EFORMAT;
        return;
    }
    uint8_t c = *r->p++;
    if (c <= 0x7f)
        put_uint(r, c);
    else if (c <= 0x8f)
        map(r, c & 0x0f, depth);
    else if (c <= 0x9f)
        array(r, c & 0x0f, depth);
    else if (c <= 0xbf)
        put_str(r, c & 0x1f);
    else if (c >= 0xe0)
        put_int(r, (int8_t)c);
    else if (c == 0xc0)
        puts_(r, "null");
    else if (c == 0xc2 || c == 0xc3)
        puts_(r, c == 0xc3 ? "true" : "false");
    else if (c == 0xc1)
        r->rc = r->rc ? r->rc : PV_EFORMAT;
    else
        sized(r, c, depth);
}

int pv_msgpack_to_json(const void *msgpack, size_t len, pv_buf_t *out)
{
    size_t old = out->len;
    reader_t r = {msgpack, (const uint8_t *)msgpack + len, out, 0};
    value(&r, 0);
    if (r.rc == 0 && r.p != r.end)
        r.rc = PV_EFORMAT;
    if (r.rc)
        out->len = old;
    return r.rc;
}
