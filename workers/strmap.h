/* A hash map from NUL-terminated strings to pointers: open addressing, linear probing, FNV-1a,
 * at most half full. Each slot keeps its key's hash, so a probe compares strings only when the
 * hashes agree (the projector's profile had a fifth of its lookups' time in strcmp of other
 * keys) and growing rehashes no string. Used by the projector for its per-batch and cached
 * per-case state.
 *
 * Ownership: the map stores the key and value pointers it is given and owns neither; the caller
 * keeps both alive while they are in the map (e.g. the key inside the value's own allocation).
 * No removal: clear the whole map. Single-threaded. */
#ifndef PRAVAH_STRMAP_H
#define PRAVAH_STRMAP_H

#include <stddef.h>
#include <stdint.h>

typedef struct pv_strmap_slot_s {
    const char *key; /* NULL: empty */
    void *value;
    uint64_t hash; /* of key */
} pv_strmap_slot_t;

typedef struct pv_strmap_s {
    pv_strmap_slot_t *slots;
    size_t cap; /* a power of two, or 0 */
    size_t len;
} pv_strmap_t;

void pv_strmap_init(pv_strmap_t *m);
/* Frees the slots (not the keys or values). */
void pv_strmap_close(pv_strmap_t *m);
/* Forgets every entry, keeps the memory. */
void pv_strmap_clear(pv_strmap_t *m);
/* The value stored under key, or NULL. */
void *pv_strmap_get(const pv_strmap_t *m, const char *key);
/* Stores value under key (replacing any value). Returns 0 or PV_ENOMEM. */
int pv_strmap_put(pv_strmap_t *m, const char *key, void *value);

#endif
