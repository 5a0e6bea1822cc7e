/* A string-keyed index for the audit modules: id (case, officer) -> a caller's slot number.
 * Open addressing on FNV-1a hashes, grown at half load. Internal to engine/audit_*.c.
 *
 * Ownership: the index owns copies of its keys; pv__audit_index_close frees them. Not
 * thread-safe. */
#ifndef PV_AUDIT_INDEX_H
#define PV_AUDIT_INDEX_H

#include <stddef.h>
#include <stdint.h>

typedef struct pv_audit_index_entry_s {
    char *key; /* NULL: empty */
    uint64_t hash;
    uint32_t slot;
} pv_audit_index_entry_t;

typedef struct pv_audit_index_s {
    pv_audit_index_entry_t *entries;
    size_t cap, len; /* cap is 0 or a power of two */
} pv_audit_index_t;

void pv__audit_index_init(pv_audit_index_t *ix);
void pv__audit_index_close(pv_audit_index_t *ix);
/* Forgets every key (keeps the table's memory). */
void pv__audit_index_clear(pv_audit_index_t *ix);
/* The slot stored for key, or -1 when absent. */
int64_t pv__audit_index_get(const pv_audit_index_t *ix, const char *key);
/* Stores key -> slot (replacing). Returns 0 or PV_ENOMEM. */
int pv__audit_index_put(pv_audit_index_t *ix, const char *key, uint32_t slot);

#endif
