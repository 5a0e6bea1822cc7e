/* Citizen identity numbers: validated, then never journaled in full. The journal keeps a mask
 * (the last 4 characters) and a salted SHA-256, enough to link a citizen's grievances and to
 * check a number an officer is shown, not enough to recover it. */
#include <msgpack.h>
#include <stdio.h>
#include <string.h>

#include "pravah/buf.h"
#include "transition.h"

/* Verhoeff's dihedral-group check (UIDAI uses it for Aadhaar's last digit). */
int pv__verhoeff_ok(const char *digits)
{
    static const unsigned char d[10][10] = {
        {0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, {1, 2, 3, 4, 0, 6, 7, 8, 9, 5},
        {2, 3, 4, 0, 1, 7, 8, 9, 5, 6}, {3, 4, 0, 1, 2, 8, 9, 5, 6, 7},
        {4, 0, 1, 2, 3, 9, 5, 6, 7, 8}, {5, 9, 8, 7, 6, 0, 4, 3, 2, 1},
        {6, 5, 9, 8, 7, 1, 0, 4, 3, 2}, {7, 6, 5, 9, 8, 2, 1, 0, 4, 3},
        {8, 7, 6, 5, 9, 3, 2, 1, 0, 4}, {9, 8, 7, 6, 5, 4, 3, 2, 1, 0}};
    static const unsigned char p[8][10] = {
        {0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, {1, 5, 7, 6, 2, 8, 3, 0, 9, 4},
        {5, 8, 0, 3, 7, 9, 6, 1, 4, 2}, {8, 9, 1, 6, 0, 4, 3, 5, 2, 7},
        {9, 4, 5, 3, 1, 2, 6, 8, 7, 0}, {4, 2, 8, 6, 5, 7, 3, 9, 0, 1},
        {2, 7, 9, 3, 8, 0, 6, 4, 1, 5}, {7, 0, 4, 6, 9, 1, 3, 2, 5, 8}};
    size_t n = strlen(digits);
    int c = 0;
    for (size_t i = 0; i < n; i++)
        c = d[c][p[i % 8][digits[n - 1 - i] - '0']];
    return c == 0;
}

static const pv_fielddef_t *identity_field(const pv_actiondef_t *a, const char *key, size_t len)
{
    for (size_t i = 0; i < a->nfields; i++) {
        const pv_fielddef_t *f = &a->fields[i];
        if ((f->type == PV_FT_AADHAAR || f->type == PV_FT_FAMILY_ID) && strlen(f->name) == len &&
            memcmp(f->name, key, len) == 0)
            return f;
    }
    return NULL;
}

static void pack_str(msgpack_packer *pk, const char *s, size_t len)
{
    msgpack_pack_str(pk, len);
    msgpack_pack_str_body(pk, s, len);
}

/* The journal's form of an identity number: mask = all but the last 4 characters as X, hex =
 * SHA-256(salt ":" number) in lower-case hex. Any thread. */
void pv__identity_mask(const char *num, size_t n, const char *salt, char mask[64], char hex[65])
{
    size_t keep = n > 4 ? 4 : n, hide = n - keep > 16 ? 16 : n - keep;
    char in[256];
    uint8_t h[PV_HASH_LEN];
    snprintf(mask, 64, "%.*s%.*s", (int)hide, "XXXXXXXXXXXXXXXX", (int)keep, num + n - keep);
    int in_len = snprintf(in, sizeof in, "%s:%.*s", salt, (int)n, num);
    pv_sha256(in, (size_t)in_len < sizeof in ? (size_t)in_len : sizeof in - 1, h);
    pv_hash_hex(h, hex);
}

/* Packs "<key>": mask and "<key>_hash": hex(SHA-256(salt ":" number)) of num[0..n). Any
 * thread. */
void pv__pack_identity(msgpack_packer *pk, const char *key, size_t key_len, const char *num,
                       size_t n, const char *salt)
{
    char mask[64], hkey[160], hex[65];
    pv__identity_mask(num, n, salt, mask, hex);
    pack_str(pk, key, key_len);
    pack_str(pk, mask, strlen(mask));
    int hkey_len = snprintf(hkey, sizeof hkey, "%.*s_hash", (int)key_len, key);
    pack_str(pk, hkey, (size_t)hkey_len);
    pack_str(pk, hex, 64);
}

int pv__redact(const pv_actiondef_t *a, const pv_event_t *ev, const char *salt, pv_arena_t *arena,
               const uint8_t **data, size_t *len)
{
    *data = ev->data;
    *len = ev->data_len;
    size_t found = 0;
    for (uint32_t i = 0; i < ev->nfields; i++)
        if (ev->fields[i].value.kind == PV_VAL_STR &&
            identity_field(a, ev->fields[i].name, strlen(ev->fields[i].name)))
            found++;
    if (!found)
        return 0;
    msgpack_unpacked up;
    msgpack_unpacked_init(&up);
    int rc = PV_EFORMAT;
    pv_buf_t buf;
    pv_buf_init(&buf);
    if (msgpack_unpack_next(&up, (const char *)ev->data, ev->data_len, NULL) !=
            MSGPACK_UNPACK_SUCCESS ||
        up.data.type != MSGPACK_OBJECT_MAP)
        goto out;
    msgpack_packer pk;
    msgpack_packer_init(&pk, &buf, pv_buf_msgpack_write);
    msgpack_object_map *m = &up.data.via.map;
    msgpack_pack_map(&pk, m->size + found);
    for (uint32_t i = 0; i < m->size; i++) {
        const msgpack_object_kv *kv = &m->ptr[i];
        if (kv->val.type == MSGPACK_OBJECT_STR &&
            identity_field(a, kv->key.via.str.ptr, kv->key.via.str.size))
            pv__pack_identity(&pk, kv->key.via.str.ptr, kv->key.via.str.size,
                              kv->val.via.str.ptr, kv->val.via.str.size, salt);
        else {
            msgpack_pack_object(&pk, kv->key);
            msgpack_pack_object(&pk, kv->val);
        }
    }
    rc = PV_ENOMEM;
    uint8_t *copy = pv_arena_memdup(arena, buf.data, buf.len);
    if (copy) {
        *data = copy;
        *len = buf.len;
        rc = 0;
    }
out:
    pv_buf_close(&buf);
    msgpack_unpacked_destroy(&up);
    return rc;
}
