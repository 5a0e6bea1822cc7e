/* Rejected payloads fit to keep: identity numbers masked as the journal masks them.
 *
 * A refused event is kept on the rejected topic for good (docs/DEPLOY.md, "Retention"), so that
 * nothing is lost; but it was refused, so its data was never checked, and an Aadhaar number in it
 * may sit under any key, misspelled, nested, or in a payload that is not even a map. The copy
 * kept therefore masks:
 *   - the top-level fields any loaded definition declares `aadhaar` or `family_id`, exactly as
 *     the journal does (`XXXXXXXX1234` and `<field>_hash`, the salted SHA-256 that links a
 *     citizen's cases), whatever their type;
 *   - in every other string (and msgpack bin), any Aadhaar-shaped number: 12 digits (or 4-4-4
 *     with one space or hyphen between) whose first digit is 2-9 and whose Verhoeff check digit
 *     holds, of which the first 8 digits become X. It errs on the side of masking: another
 *     number of that shape (a mobile number written with its 91 prefix, say) is masked too.
 * A payload that is neither a msgpack map nor a JSON object is scanned as raw bytes.
 * docs/ADVANCER.md, "Identity numbers on the rejected topic". */
#include <inttypes.h>
#include <jansson.h>
#include <msgpack.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "definition_types.h"
#include "pravah/engine.h"
#include "transition.h"

#define AADHAAR_DIGITS 12
#define WRAPPED_MAX 32 /* an identity value that is not a string: its text, bounded */

static int is_digit(uint8_t c)
{
    return c >= '0' && c <= '9';
}

/* The length of the Aadhaar-shaped run at p, 0 when there is none: 12 digits, or three groups of
 * 4 with the same space or hyphen between them, not followed by a further digit or group. Its
 * digits go to digits[13], their offsets from p to at[12]. */
static size_t aadhaar_run(const uint8_t *p, size_t n, char digits[13], size_t at[12])
{
    size_t i = 0;
    uint8_t sep = 0;
    for (int k = 0; k < AADHAAR_DIGITS; k++) {
        if (k == 4 && i < n && (p[i] == ' ' || p[i] == '-'))
            sep = p[i];
        if ((k == 4 || k == 8) && sep && (i >= n || p[i++] != sep))
            return 0;
        if (i >= n || !is_digit(p[i]))
            return 0;
        at[k] = i;
        digits[k] = (char)p[i++];
    }
    digits[AADHAAR_DIGITS] = '\0';
    if (i < n && is_digit(p[i]))
        return 0; /* a longer number */
    if (sep && i + 1 < n && p[i] == sep && is_digit(p[i + 1]))
        return 0; /* a fourth group: a longer number */
    return i;
}

/* Masks, in place, the first 8 digits of every Aadhaar number in p[0..n) (see the top of the
 * file). Returns how many it masked. */
static size_t mask_aadhaar_runs(uint8_t *p, size_t n)
{
    size_t masked = 0;
    for (size_t i = 0; i < n; i++) {
        if (!is_digit(p[i]) || (i > 0 && is_digit(p[i - 1])))
            continue;
        char digits[13];
        size_t at[12];
        size_t len = aadhaar_run(p + i, n - i, digits, at);
        if (len == 0 || digits[0] < '2' || !pv__verhoeff_ok(digits))
            continue;
        for (int k = 0; k < 8; k++)
            p[i + at[k]] = 'X';
        masked++;
        i += len - 1;
    }
    return masked;
}

/* Whether some action of some loaded definition declares the field key[0..len) `aadhaar` or
 * `family_id`. */
static int is_identity_name(const pv_engine_t *eng, const char *key, size_t len)
{
    for (size_t d = 0; d < pv_engine_definition_count(eng); d++) {
        const pv_def_t *def = pv_engine_definition_at(eng, d);
        for (size_t a = 0; a < def->nactions; a++)
            for (size_t f = 0; f < def->actions[a].nfields; f++) {
                const pv_fielddef_t *fd = &def->actions[a].fields[f];
                if ((fd->type == PV_FT_AADHAAR || fd->type == PV_FT_FAMILY_ID) &&
                    strlen(fd->name) == len && memcmp(fd->name, key, len) == 0)
                    return 1;
            }
    }
    return 0;
}

/* ---- msgpack payloads ---- */

typedef struct redactor_s {
    const pv_engine_t *eng;
    msgpack_packer pk;
    pv_buf_t scratch; /* a string being masked */
    size_t masked;
    int nomem;
} redactor_t;

static void pack_str(msgpack_packer *pk, const char *s, size_t len)
{
    msgpack_pack_str(pk, len);
    msgpack_pack_str_body(pk, s, len);
}

/* A copy of p[0..n) in r->scratch with its Aadhaar-shaped numbers masked; -1 (r->nomem set)
 * when it cannot be made. */
static int scanned_copy(redactor_t *r, const char *p, uint32_t n)
{
    pv_buf_reset(&r->scratch);
    if (pv_buf_append(&r->scratch, p, n)) {
        r->nomem = 1;
        return -1;
    }
    r->masked += mask_aadhaar_runs(r->scratch.data, r->scratch.len);
    return 0;
}

/* Packs o with the Aadhaar-shaped numbers of its strings and bins (keys too, at any depth)
 * masked. */
static void pack_scanned(redactor_t *r, const msgpack_object *o)
{
    uint32_t i;
    switch (o->type) {
    case MSGPACK_OBJECT_STR:
        if (scanned_copy(r, o->via.str.ptr, o->via.str.size) == 0)
            pack_str(&r->pk, (const char *)r->scratch.data, r->scratch.len);
        return;
    case MSGPACK_OBJECT_BIN:
        if (scanned_copy(r, o->via.bin.ptr, o->via.bin.size) == 0) {
            msgpack_pack_bin(&r->pk, r->scratch.len);
            msgpack_pack_bin_body(&r->pk, r->scratch.data, r->scratch.len);
        }
        return;
    case MSGPACK_OBJECT_ARRAY:
        msgpack_pack_array(&r->pk, o->via.array.size);
        for (i = 0; i < o->via.array.size; i++)
            pack_scanned(r, &o->via.array.ptr[i]);
        return;
    case MSGPACK_OBJECT_MAP:
        msgpack_pack_map(&r->pk, o->via.map.size);
        for (i = 0; i < o->via.map.size; i++) {
            pack_scanned(r, &o->via.map.ptr[i].key);
            pack_scanned(r, &o->via.map.ptr[i].val);
        }
        return;
    default:
        msgpack_pack_object(&r->pk, *o);
    }
}

/* The text of an identity value that is not a string (an integer: its digits; anything else:
 * nothing to keep), into out[WRAPPED_MAX]. */
static size_t identity_text(const msgpack_object *v, char out[WRAPPED_MAX])
{
    int n = 0;
    if (v->type == MSGPACK_OBJECT_POSITIVE_INTEGER)
        n = snprintf(out, WRAPPED_MAX, "%" PRIu64, v->via.u64);
    else if (v->type == MSGPACK_OBJECT_NEGATIVE_INTEGER)
        n = snprintf(out, WRAPPED_MAX, "%" PRId64, v->via.i64);
    return n > 0 ? (size_t)n : 0;
}

/* Packs key: mask and key_hash: the salted hash, as the journal does; a value with no text is
 * packed as "X". Returns the members it added beyond the one it replaces (1 with a hash). */
static size_t pack_identity(redactor_t *r, const msgpack_object_kv *kv)
{
    char text[WRAPPED_MAX];
    const char *num = text;
    size_t n;
    if (kv->val.type == MSGPACK_OBJECT_STR) {
        num = kv->val.via.str.ptr;
        n = kv->val.via.str.size;
    } else {
        n = identity_text(&kv->val, text);
    }
    r->masked++;
    if (n == 0) {
        pack_str(&r->pk, kv->key.via.str.ptr, kv->key.via.str.size);
        pack_str(&r->pk, "X", 1);
        return 0;
    }
    pv__pack_identity(&r->pk, kv->key.via.str.ptr, kv->key.via.str.size, num, n,
                      pv__engine_salt(r->eng));
    return 1;
}

static int is_identity_key(const pv_engine_t *eng, const msgpack_object *key)
{
    return key->type == MSGPACK_OBJECT_STR &&
           is_identity_name(eng, key->via.str.ptr, key->via.str.size);
}

/* Writes the masked copy of the top-level map m to out. The members go to a buffer of their own
 * first: the map's count, which leads, depends on how many _hash members they add. */
static int redact_map(const pv_engine_t *eng, const msgpack_object_map *m, pv_buf_t *out,
                      size_t *masked)
{
    redactor_t r = {.eng = eng};
    pv_buf_t members;
    pv_buf_init(&r.scratch);
    pv_buf_init(&members);
    msgpack_packer_init(&r.pk, &members, pv_buf_msgpack_write);
    size_t added = 0;
    for (uint32_t i = 0; i < m->size; i++) {
        const msgpack_object_kv *kv = &m->ptr[i];
        if (is_identity_key(eng, &kv->key)) {
            added += pack_identity(&r, kv);
        } else {
            pack_scanned(&r, &kv->key);
            pack_scanned(&r, &kv->val);
        }
    }
    msgpack_packer head;
    msgpack_packer_init(&head, out, pv_buf_msgpack_write);
    int rc = r.nomem || msgpack_pack_map(&head, m->size + added) ||
                     pv_buf_append(out, members.data, members.len)
                 ? PV_ENOMEM
                 : 0;
    pv_buf_close(&members);
    pv_buf_close(&r.scratch);
    *masked = r.masked;
    return rc;
}

/* 1 and the masked copy in out when p is exactly one msgpack map; 0 when it is not. */
static int redact_msgpack(const pv_engine_t *eng, const void *p, size_t len, pv_buf_t *out,
                          size_t *masked, int *rc)
{
    /* walked first: msgpack-c allocates for a container's claimed size before reading it */
    if (pv_msgpack_check_map(p, len))
        return 0;
    msgpack_unpacked up;
    msgpack_unpacked_init(&up);
    size_t off = 0;
    int is_map = msgpack_unpack_next(&up, p, len, &off) == MSGPACK_UNPACK_SUCCESS && off == len &&
                 up.data.type == MSGPACK_OBJECT_MAP;
    if (is_map)
        *rc = redact_map(eng, &up.data.via.map, out, masked);
    if (is_map && *rc == 0 && *masked == 0) {
        /* nothing to hide: the original, byte for byte (packing again may change forms) */
        pv_buf_reset(out);
        *rc = pv_buf_append(out, p, len);
    }
    msgpack_unpacked_destroy(&up);
    return is_map;
}

/* ---- JSON payloads ---- */

/* Masks the Aadhaar-shaped numbers of every string under j (object keys stay as they are);
 * sets *nomem when it could not look at one. */
static size_t scan_json(json_t *j, int *nomem)
{
    size_t masked = 0, i;
    const char *key;
    json_t *v;
    switch (json_typeof(j)) {
    case JSON_STRING: {
        size_t n = json_string_length(j);
        uint8_t *copy = malloc(n ? n : 1);
        if (!copy) {
            *nomem = 1;
            return 0;
        }
        memcpy(copy, json_string_value(j), n);
        masked = mask_aadhaar_runs(copy, n);
        if (masked && json_string_setn_nocheck(j, (const char *)copy, n))
            *nomem = 1;
        free(copy);
        return masked;
    }
    case JSON_OBJECT:
        json_object_foreach(j, key, v) masked += scan_json(v, nomem);
        return masked;
    case JSON_ARRAY:
        json_array_foreach(j, i, v) masked += scan_json(v, nomem);
        return masked;
    default:
        return 0;
    }
}

/* Replaces the value of the identity field key of root as the journal does, and adds key_hash.
 * Returns 0 or -1 (allocation). */
static int mask_json_identity(const pv_engine_t *eng, json_t *root, const char *key)
{
    json_t *v = json_object_get(root, key);
    char text[WRAPPED_MAX], mask[64], hex[65], hkey[160];
    const char *num = text;
    size_t n = 0;
    if (json_is_string(v)) {
        num = json_string_value(v);
        n = json_string_length(v);
    } else if (json_is_integer(v)) {
        int w = snprintf(text, sizeof text, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        n = w > 0 ? (size_t)w : 0;
    }
    if (n == 0)
        return json_object_set_new(root, key, json_string("X"));
    pv__identity_mask(num, n, pv__engine_salt(eng), mask, hex);
    snprintf(hkey, sizeof hkey, "%s_hash", key);
    /* the hash first: setting key frees v, which num may point into */
    if (json_object_set_new(root, hkey, json_string(hex)) ||
        json_object_set_new(root, key, json_string(mask)))
        return -1;
    return 0;
}

/* Masks the top-level object root: identity fields as the journal does, the other members'
 * strings scanned. The identity fields are collected first: adding their _hash members while
 * iterating would disturb the iteration. Returns the count masked. */
static size_t redact_object(const pv_engine_t *eng, json_t *root, int *nomem)
{
    size_t count = 0, nident = 0;
    const char *key;
    json_t *v;
    char **ident = calloc(json_object_size(root) + 1, sizeof *ident);
    if (!ident) {
        *nomem = 1;
        return 0;
    }
    json_object_foreach(root, key, v)
    {
        if (!is_identity_name(eng, key, strlen(key)))
            count += scan_json(v, nomem);
        else if (!(ident[nident++] = strdup(key))) /* copies: the object changes below */
            *nomem = 1;
    }
    for (size_t i = 0; i < nident; i++) {
        if (!*nomem && mask_json_identity(eng, root, ident[i]))
            *nomem = 1;
        free(ident[i]);
        count++;
    }
    free(ident);
    return count;
}

/* 1 and the masked copy in out when p is one JSON object; 0 when it is not. */
static int redact_json(const pv_engine_t *eng, const void *p, size_t len, pv_buf_t *out,
                       size_t *masked, int *rc)
{
    json_t *root = json_loadb(p, len, JSON_ALLOW_NUL, NULL);
    if (!root || !json_is_object(root)) {
        json_decref(root);
        return 0;
    }
    int nomem = 0;
    size_t count = redact_object(eng, root, &nomem);
    if (nomem) {
        *rc = PV_ENOMEM;
    } else if (count) {
        char *text = json_dumps(root, JSON_COMPACT | JSON_PRESERVE_ORDER);
        *rc = !text || pv_buf_append(out, text, strlen(text)) ? PV_ENOMEM : 0;
        free(text);
    } else {
        *rc = pv_buf_append(out, p, len);
    }
    json_decref(root);
    *masked = count;
    return 1;
}

/* ---- the entry point ---- */

/* The copy of a rejected event's payload to keep (see the top of the file); out is reset first.
 * Returns 0 or PV_ENOMEM. Any thread (reads the engine's definitions and salt only). */
int pv_engine_redact_payload(const pv_engine_t *eng, const void *payload, size_t len, pv_buf_t *out,
                             size_t *masked)
{
    int rc = 0;
    pv_buf_reset(out);
    *masked = 0;
    if (len == 0)
        return 0;
    if (redact_msgpack(eng, payload, len, out, masked, &rc) ||
        redact_json(eng, payload, len, out, masked, &rc))
        return rc;
    if (pv_buf_append(out, payload, len))
        return PV_ENOMEM;
    *masked = mask_aadhaar_runs(out->data, out->len);
    return 0;
}
