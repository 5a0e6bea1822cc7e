/* The directory over time, for the audit (docs/AUDIT.md): who held which post when, learnt from
 * the HRMS records of the whole journal (every partition) over the seed directory.
 *
 * Two phases: pv__audit_postings_learn for every record (any order), then
 * pv__audit_postings_build once, then queries. A posting order takes effect at its record's
 * accepted_at; orders are applied in (accepted_at, officer, seq) order through the engine's own
 * pv_engine_update_directory, so the model is the engine's.
 *
 * Ownership: owns a working copy of the seed directory (`dir`), copies of the learnt records and
 * every timeline. Borrows the engine. Not thread-safe. */
#ifndef PV_AUDIT_POSTINGS_H
#define PV_AUDIT_POSTINGS_H

#include <stdbool.h>

#include "audit_index.h"
#include "pravah/engine.h"

typedef struct pv_audit_posting_s {
    pv_time_t at;     /* from this time on (INT64_MIN: the seed) */
    const char *post; /* "" when unposted */
} pv_audit_posting_t;

typedef struct pv_audit_timeline_s {
    pv_audit_posting_t *p;
    size_t n, cap;
} pv_audit_timeline_t;

typedef struct pv_audit_postings_s {
    const pv_engine_t *eng;
    pv_directory_t *dir; /* working copy: the end state after build, then moved per query */
    pv_record_t *orders; /* learnt HRMS records (copies in `mem`) */
    size_t norders, caporders;
    pv_audit_index_t officers; /* officer id -> timeline */
    pv_audit_timeline_t *tl;
    size_t ntl, captl;
    pv_arena_t mem;
    bool built;
} pv_audit_postings_t;

/* Copies seed into a working directory. Returns 0, PV_ENOMEM or the directory's error. */
int pv__audit_postings_init(pv_audit_postings_t *p, const pv_engine_t *eng,
                            const pv_directory_t *seed);
void pv__audit_postings_close(pv_audit_postings_t *p);
/* Keeps a copy of rec when it is an HRMS record with a directory effect. Returns 0, PV_ENOMEM,
 * or PV_EINVAL after build. */
int pv__audit_postings_learn(pv_audit_postings_t *p, const pv_record_t *rec);
/* Applies the learnt orders in time order and records every officer's postings. 0 or PV_ENOMEM. */
int pv__audit_postings_build(pv_audit_postings_t *p);

/* How far (ms) time t is from the nearest moment when officer held post (0: held it at t,
 * including the very millisecond of an order that moved them); -1 when never. An officer with no
 * orders holds their seed post throughout. */
pv_time_t pv__audit_postings_distance(const pv_audit_postings_t *p, const char *officer,
                                      const char *post, pv_time_t t);
/* The post officer held at t, after the orders of that millisecond ("" when unposted); NULL
 * when officer is not in the directory. */
const char *pv__audit_postings_at(const pv_audit_postings_t *p, const char *officer, pv_time_t t);
/* Puts officer on post in the working directory (no change when already there), so that the
 * engine, reading that directory, sees the posting being checked. 0 or a PV_E* code. */
int pv__audit_postings_place(pv_audit_postings_t *p, const char *officer, const char *post);

#endif
