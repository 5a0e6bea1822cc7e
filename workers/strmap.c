/* String -> pointer hash map; see strmap.h. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pravah/common.h"
#include "strmap.h"

static uint64_t fnv1a(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

/* The slot of key (hash h), or the empty slot where it would go. */
static size_t find(const pv_strmap_slot_t *slots, size_t cap, const char *key, uint64_t h)
{
    size_t i = (size_t)h & (cap - 1);
    while (slots[i].key && (slots[i].hash != h || strcmp(slots[i].key, key) != 0))
        i = (i + 1) & (cap - 1);
    return i;
}

static int grow(pv_strmap_t *m)
{
    size_t cap = m->cap ? m->cap * 2 : 64;
    pv_strmap_slot_t *slots = calloc(cap, sizeof *slots);
    if (!slots)
        return PV_ENOMEM;
    for (size_t i = 0; i < m->cap; i++)
        if (m->slots[i].key) {
            /* keys are distinct: the first empty slot from the hash's home */
            size_t j = (size_t)m->slots[i].hash & (cap - 1);
            while (slots[j].key)
                j = (j + 1) & (cap - 1);
            slots[j] = m->slots[i];
        }
    free(m->slots);
    m->slots = slots;
    m->cap = cap;
    return 0;
}

void pv_strmap_init(pv_strmap_t *m)
{
    memset(m, 0, sizeof *m);
}

void pv_strmap_close(pv_strmap_t *m)
{
    free(m->slots);
    pv_strmap_init(m);
}

void pv_strmap_clear(pv_strmap_t *m)
{
    if (m->len)
        memset(m->slots, 0, m->cap * sizeof *m->slots);
    m->len = 0;
}

void *pv_strmap_get(const pv_strmap_t *m, const char *key)
{
    if (!m->cap)
        return NULL;
    const pv_strmap_slot_t *s = &m->slots[find(m->slots, m->cap, key, fnv1a(key))];
    return s->key ? s->value : NULL;
}

int pv_strmap_put(pv_strmap_t *m, const char *key, void *value)
{
    if ((m->len + 1) * 2 > m->cap && grow(m) != 0) /* at most half full: short probes */
        return PV_ENOMEM;
    uint64_t h = fnv1a(key);
    pv_strmap_slot_t *s = &m->slots[find(m->slots, m->cap, key, h)];
    if (!s->key)
        m->len++;
    s->key = key;
    s->value = value;
    s->hash = h;
    return 0;
}
