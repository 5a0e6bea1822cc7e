/* The HRMS directory: offices, posts, the officers holding them, reporting chains and transfers.
 * Authorization and escalation targets are looked up here, never taken from the event.
 *
 * Model: a case is pending with a *post* (a desk), not a person. When an officer is transferred,
 * the successor who takes the post inherits everything pending there, and the transferred officer
 * loses the power to act on it at once. A vacant post keeps its cases; escalation reaches them.
 *
 * Ownership: the directory owns copies of every string it is given; returned pointers stay valid
 * until the next change to the directory or pv_directory_free(). Not thread-safe. */
#ifndef PRAVAH_DIRECTORY_H
#define PRAVAH_DIRECTORY_H

#include <stddef.h>
#include <stdint.h>

#include "pravah/common.h"

typedef struct pv_directory_s pv_directory_t;

/* Longest ids in bytes: cases store post and office ids in 32 bytes, actors in 64 (case.h). */
#define PV_DIRECTORY_ID_MAX 31
#define PV_DIRECTORY_OFFICER_ID_MAX 63

typedef struct pv_office_s {
    const char *id;     /* e.g. "ULB-GGN" */
    const char *name;   /* "Municipal Corporation Gurugram" */
    const char *kind;   /* office class used by delegation slabs: "corporation", "council",
                           "committee", "district", "directorate", "secretariat", "department", ... */
    const char *parent; /* parent office id or "" (ULB -> district -> zone -> directorate ->
                           department -> secretariat: see docs/DIRECTORY.md) */
    const char *district; /* district code or "" */
} pv_office_t;

typedef struct pv_post_s {
    const char *id;         /* e.g. "GGN-XEN-1" */
    const char *role;       /* "XEN", "DC", "EO", ... */
    const char *office;     /* office id */
    const char *reports_to; /* post id or "" */
    const char *holder;     /* officer id holding the post, "" when vacant */
} pv_post_t;

typedef struct pv_officer_s {
    const char *id;   /* e.g. "EMP-100234" */
    const char *name;
    const char *post; /* post id, "" when not posted (relieved, retired) */
} pv_officer_t;

pv_directory_t *pv_directory_new(void);
void pv_directory_free(pv_directory_t *dir);

/* Insert or replace. Posts must name an existing office; reports_to, when not "", an existing
 * post (add superiors first). Returns 0, PV_ENOENT (a reference does not exist) or PV_ENOMEM;
 * PV_ERANGE for an id longer than PV_DIRECTORY_ID_MAX (officers: PV_DIRECTORY_OFFICER_ID_MAX);
 * PV_EINVAL for an empty id/role or a parent/reports_to that would close a cycle. Replacing a
 * post keeps its holder. NULL optional strings mean "". */
int pv_directory_put_office(pv_directory_t *dir, const char *id, const char *name, const char *kind,
                            const char *parent, const char *district);
int pv_directory_put_post(pv_directory_t *dir, const char *id, const char *role,
                          const char *office, const char *reports_to);
/* Puts officer `id` on `post` ("" to leave them unposted). The post's previous holder, if any and
 * other than id, becomes unposted. Returns 0, PV_ENOENT or PV_ENOMEM. */
int pv_directory_put_officer(pv_directory_t *dir, const char *id, const char *name,
                             const char *post);

const pv_office_t *pv_directory_office(const pv_directory_t *dir, const char *id);
const pv_post_t *pv_directory_post(const pv_directory_t *dir, const char *id);
const pv_officer_t *pv_directory_officer(const pv_directory_t *dir, const char *id);
/* The post `levels` steps up the reporting chain from post_id (1 = its reporting officer, 0 = the
 * post itself), or NULL. */
const pv_post_t *pv_directory_superior(const pv_directory_t *dir, const char *post_id, int levels);
/* The first post with `role` in office_id, else in its parent office, and so on up; NULL if none.
 * Among several posts with the role in one office, the one with the smallest id. */
const pv_post_t *pv_directory_find_role(const pv_directory_t *dir, const char *role,
                                        const char *office_id);
/* True when post `sub` reports, directly or through others, to post `sup`. */
int pv_directory_reports_to(const pv_directory_t *dir, const char *sub, const char *sup);

size_t pv_directory_officer_count(const pv_directory_t *dir);
size_t pv_directory_post_count(const pv_directory_t *dir);
size_t pv_directory_office_count(const pv_directory_t *dir);
/* The i-th office, post or officer in insertion order (replacing keeps the place), for
 * i < the matching count; NULL otherwise. Nothing is ever removed, so indexes are stable. */
const pv_office_t *pv_directory_office_at(const pv_directory_t *dir, size_t i);
const pv_post_t *pv_directory_post_at(const pv_directory_t *dir, size_t i);
const pv_officer_t *pv_directory_officer_at(const pv_directory_t *dir, size_t i);

/* Loads a seed YAML document (schemas/directory/NAME.yaml):
 *   offices:  - {id, name, kind, parent?, district?}
 *   posts:    - {id, role, office, reports_to?}
 *   officers: - {id, name, post?}
 * in that order. Errors are "FILE:LINE: message" in err. Ids already in the directory count as
 * duplicates, so a seed loads into an empty directory. Returns 0, PV_EFORMAT (not YAML),
 * PV_EINVAL (a validation failed) or PV_ENOMEM; on failure the directory may hold the part of
 * the seed before the error: free it. */
int pv_directory_load(pv_directory_t *dir, const char *yaml, size_t len, const char *filename,
                      char *err, size_t errlen);

#endif
