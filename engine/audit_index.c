/* String-keyed index for the audit modules (audit_index.h). */
#include <stdlib.h>
#include <string.h>

#include "audit_index.h"
#include "pravah/common.h"

static uint64_t key_hash(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        h = (h ^ *p) * 1099511628211ull;
    return h;
}

void pv__audit_index_init(pv_audit_index_t *ix)
{
    memset(ix, 0, sizeof *ix);
}

void pv__audit_index_clear(pv_audit_index_t *ix)
{
    for (size_t i = 0; i < ix->cap; i++) {
        free(ix->entries[i].key);
        ix->entries[i].key = NULL;
    }
    ix->len = 0;
}

void pv__audit_index_close(pv_audit_index_t *ix)
{
    pv__audit_index_clear(ix);
    free(ix->entries);
    pv__audit_index_init(ix);
}

/* The position of key, or the empty position where it would go. */
static size_t find(const pv_audit_index_t *ix, const char *key, uint64_t h)
{
    size_t mask = ix->cap - 1;
    for (size_t i = h & mask;; i = (i + 1) & mask) {
        const pv_audit_index_entry_t *e = &ix->entries[i];
        if (!e->key || (e->hash == h && strcmp(e->key, key) == 0))
            return i;
    }
}

int64_t pv__audit_index_get(const pv_audit_index_t *ix, const char *key)
{
    if (!ix->cap)
        return -1;
    const pv_audit_index_entry_t *e = &ix->entries[find(ix, key, key_hash(key))];
    return e->key ? (int64_t)e->slot : -1;
}

static int grow(pv_audit_index_t *ix)
{
    size_t cap = ix->cap ? ix->cap * 2 : 256;
    pv_audit_index_t bigger = {calloc(cap, sizeof *bigger.entries), cap, ix->len};
    if (!bigger.entries)
        return PV_ENOMEM;
    for (size_t i = 0; i < ix->cap; i++)
        if (ix->entries[i].key)
            bigger.entries[find(&bigger, ix->entries[i].key, ix->entries[i].hash)] = ix->entries[i];
    free(ix->entries);
    *ix = bigger;
    return 0;
}

int pv__audit_index_put(pv_audit_index_t *ix, const char *key, uint32_t slot)
{
    if ((ix->len + 1) * 2 > ix->cap && grow(ix) != 0)
        return PV_ENOMEM;
    uint64_t h = key_hash(key);
    pv_audit_index_entry_t *e = &ix->entries[find(ix, key, h)];
    if (!e->key) {
        if (!(e->key = strdup(key)))
            return PV_ENOMEM;
        e->hash = h;
        ix->len++;
    }
    e->slot = slot;
    return 0;
}
