/* What the projector knows of PostgreSQL between batches, so that it classifies and folds journal
 * records in C instead of in SQL (docs/PROJECTOR.md, "One write per record"): the head of each
 * case it has seen (pravah.cases: seq, last hash, state, desk, deadline) and the head of each
 * journal partition's chain (pravah.partition_heads). Filled lazily from PostgreSQL, one query
 * per batch for the cases not yet known; updated from a batch only after its COMMIT.
 *
 * The cache is only right while this projector is the only writer of its partitions:
 * pravah.store_offsets() fences every batch, and the caller clears the cache after any failed
 * or fenced transaction and on every rebalance.
 *
 * Ownership: the state owns its entries (each one allocation); pointers returned by
 * pv_proj_state_case stay valid until the next clear or load. Borrows the pv_pg_t per call.
 * Single-threaded. */
#ifndef PRAVAH_PROJECTION_STATE_H
#define PRAVAH_PROJECTION_STATE_H

#include <stddef.h>
#include <stdint.h>

#include "pg.h"
#include "pravah/record.h"

/* A case as pravah.cases holds it (seq 0: no row). */
typedef struct pv_case_head_s {
    uint64_t seq;
    uint8_t last_hash[PV_HASH_LEN];
    int64_t deadline_ms; /* 0: none */
    const char *state, *assignee, *case_id; /* inside the entry's allocation */
} pv_case_head_t;

typedef struct pv_proj_state_s pv_proj_state_t;

/* A state caching at most max_cases cases (0: a default of 1,000,000); NULL when out of memory. */
pv_proj_state_t *pv_proj_state_new(size_t max_cases);
void pv_proj_state_free(pv_proj_state_t *s);

/* Non-zero when the cache holds over 80% of its bound: clear it before the next load rather
 * than in the middle of one (a clear must not happen while a transaction built on the cache
 * is in flight). */
int pv_proj_state_over(const pv_proj_state_t *s);

/* Forgets everything: the next batch reads PostgreSQL again. */
void pv_proj_state_clear(pv_proj_state_t *s);

/* Reads from pravah.cases the heads of those of ids[0..n) not cached yet (one query); a case
 * with no row is cached with seq 0. Clears the cache first when it would grow past its bound.
 * Returns 0 or a pv_pg_class_t with err filled. */
int pv_proj_state_load_cases(pv_proj_state_t *s, pv_pg_t *pg, const char *const *ids, size_t n,
                             char *err, size_t errlen);
/* The cached head of a case, NULL when not loaded. */
const pv_case_head_t *pv_proj_state_case(const pv_proj_state_t *s, const char *case_id);
/* Stores a case's head after a COMMIT. Returns 0 or PV_ENOMEM (then the cache is cleared). */
int pv_proj_state_set_case(pv_proj_state_t *s, const pv_case_head_t *h);

/* Reads pravah.partition_heads unless already read. Returns 0 or a pv_pg_class_t. */
int pv_proj_state_load_partitions(pv_proj_state_t *s, pv_pg_t *pg, char *err, size_t errlen);
/* A partition's chain head: 1 with pseq and phash filled, 0 when the table has no row. */
int pv_proj_state_partition(const pv_proj_state_t *s, int32_t partition, uint64_t *pseq,
                            uint8_t phash[PV_HASH_LEN]);
/* Stores a partition's chain head after a COMMIT (partition within 0..255). */
void pv_proj_state_set_partition(pv_proj_state_t *s, int32_t partition, uint64_t pseq,
                                 const uint8_t phash[PV_HASH_LEN]);

/* The hash pravah.transitions holds for (case_id, seq): returns 1 (found, out filled), 0 (no
 * such row) or minus a pv_pg_class_t with err filled. For the rare record at or below its
 * case's head that is not the head itself. */
int pv_proj_state_stored_hash(pv_pg_t *pg, const char *case_id, uint64_t seq,
                              uint8_t out[PV_HASH_LEN], char *err, size_t errlen);

#endif
