/* The synthetic load of Haryana's offices (docs/DEMO.md): a deterministic, time-ordered stream of
 * CloudEvents for every domain (works in the urban local bodies, e-Office files and receipts,
 * grievances and appointments, court cases, HRMS postings), including attempts that must fail.
 * Used by `pravah demo` (on a simulated clock) and `pravah loadgen` (against any cluster).
 *
 * Ownership: the generator is a heap object freed by pv_loadgen_free; an event returned by
 * pv_loadgen_next points into the generator and is valid until the next call. */
#ifndef PRAVAH_LOADGEN_H
#define PRAVAH_LOADGEN_H

#include <stddef.h>
#include <stdint.h>

#include "kafka.h"
#include "pravah/common.h"

enum {
    PV_LOADGEN_WORKS = 1 << 0,
    PV_LOADGEN_EFILE = 1 << 1,
    PV_LOADGEN_GRIEVANCE = 1 << 2,
    PV_LOADGEN_APPOINTMENT = 1 << 3,
    PV_LOADGEN_LITIGATION = 1 << 4,
    PV_LOADGEN_HRMS = 1 << 5,
    PV_LOADGEN_ALL = (1 << 6) - 1
};

typedef struct pv_loadgen_s pv_loadgen_t;

typedef struct pv_loadgen_config_s {
    uint64_t seed;         /* the same seed gives the same stream */
    int days;              /* simulated span (default 90) */
    int ulbs;              /* urban local bodies with works, 1..88 (default 88) */
    int districts;         /* districts with e-Office and e-Sachivalaya load, 1..22 (default 22) */
    double events_per_day; /* mean events per simulated day, all domains (default 2000) */
    unsigned mix;          /* PV_LOADGEN_* bits (default PV_LOADGEN_ALL) */
    pv_time_t start;       /* simulated start, ms since the epoch UTC */
    const char *schemas;   /* the schemas directory (directory, workflows) */
} pv_loadgen_config_t;

typedef struct pv_loadgen_event_s {
    pv_time_t at;                 /* when the portal publishes it (simulated) */
    const char *key;              /* the Kafka key: the case id */
    size_t key_len;
    const pv_header_t *headers;   /* ce_* headers and content-type (CloudEvents binary mode) */
    size_t nheaders;
    const void *value;            /* the data (msgpack), or deliberately malformed bytes */
    size_t value_len;
    const char *domain;           /* "works", "efile", ... */
    const char *expect;           /* NULL: should be accepted; else the rejection it should get,
                                     e.g. "over the officer's money limit", "duplicate" */
} pv_loadgen_event_t;

/* Fills defaults for every zero field. */
void pv_loadgen_config_defaults(pv_loadgen_config_t *cfg);
pv_loadgen_t *pv_loadgen_new(const pv_loadgen_config_t *cfg, char *err, size_t errlen);
/* The next event in time order: 0, or 1 when the span is over. */
int pv_loadgen_next(pv_loadgen_t *g, pv_loadgen_event_t *ev);
void pv_loadgen_free(pv_loadgen_t *g);

#endif
