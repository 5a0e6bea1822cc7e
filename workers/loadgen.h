/* The synthetic load of Haryana's offices (docs/DEMO.md): a deterministic, time-ordered stream of
 * CloudEvents for every domain (works in the urban local bodies, e-Office files and receipts,
 * grievances and appointments, court cases, HRMS postings), including attempts that must fail.
 * Used by `pravah demo` (on a simulated clock) and `pravah loadgen` (against any cluster).
 *
 * Every event is one the engine accepts when it is applied at (or up to about a day after) its
 * `at` time, unless `expect` names the rejection it must get, and then it gets exactly that one.
 * A refused variant of a case's next event (another actor, a mistyped field, ...) carries that
 * event's time and comes just before it, so it finds the case as the next event does (timers
 * included); a redelivery repeats the last event's id and bytes, and the same one may be sent
 * twice: two events, each refused as a duplicate, with the same case id and event id.
 * Rejections are kept to what `pravah publish` can carry (no truncated bytes), so a --out file
 * replays to the same outcomes.
 *
 * Ownership: the generator is a heap object freed by pv_loadgen_free; an event returned by
 * pv_loadgen_next points into the generator and is valid until the next call. The whole stream
 * is generated (and sorted by time) in pv_loadgen_new: about 350 bytes per event. */
#ifndef PRAVAH_LOADGEN_H
#define PRAVAH_LOADGEN_H

#include <stddef.h>
#include <stdint.h>

#include "kafka.h"
#include "pravah/buf.h"
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
#define PV_LOADGEN_NDOMAINS 6

typedef struct pv_loadgen_s pv_loadgen_t;

typedef struct pv_loadgen_config_s {
    uint64_t seed;         /* the same seed gives the same stream */
    int days;              /* simulated span (default 90) */
    int ulbs;              /* urban local bodies with works, 1..88 (default 88) */
    int districts;         /* districts with e-Office and e-Sachivalaya load, 1..22 (default 22) */
    double events_per_day; /* mean events per simulated day, all domains (default 2000) */
    unsigned mix;          /* PV_LOADGEN_* bits (default PV_LOADGEN_ALL) */
    pv_time_t start;       /* simulated start, ms since the epoch UTC (default
                              2026-04-01T00:00:00+05:30) */
    const char *schemas;   /* the schemas directory (directory/haryana.yaml); default "schemas" */
    long cases;            /* when > 0: exactly this many cases instead of events_per_day */
    int reject_permille;   /* events made to be refused, per mille (default 10; -1: none) */
} pv_loadgen_config_t;

typedef struct pv_loadgen_event_s {
    pv_time_t at;    /* when the portal publishes it (simulated) */
    const char *key; /* the Kafka key: the case id */
    size_t key_len;
    const pv_header_t *headers; /* ce_* headers and content-type (CloudEvents binary mode) */
    size_t nheaders;
    const void *value; /* the data (msgpack) */
    size_t value_len;
    const char *domain; /* "works", "efile", ... */
    const char *expect; /* NULL: should be accepted; else the reason code it must get on
                           the rejected topic (pv_reject_code_name: "over_limit",
                           "unauthorized", "duplicate", "malformed", "unknown_type") */
} pv_loadgen_event_t;

/* What the whole stream holds (filled by pv_loadgen_new). */
typedef struct pv_loadgen_summary_s {
    size_t events;                             /* all events, rejections included */
    size_t cases[PV_LOADGEN_NDOMAINS];         /* cases started, by domain (PV_LOADGEN_* order) */
    size_t domain_events[PV_LOADGEN_NDOMAINS]; /* events by domain */
    size_t expected[PV_REJ_PRECONDITION + 1];  /* by pv_reject_code_t; [PV_REJ_NONE]: accepted */
    size_t ulbs, districts;                    /* offices the works / district load ran in */
    pv_time_t first, last;                     /* times of the first and last event */
} pv_loadgen_summary_t;

/* Fills defaults for every zero field. */
void pv_loadgen_config_defaults(pv_loadgen_config_t *cfg);
/* Loads the directory seed and generates the whole stream. Returns NULL with a message in err
 * (unreadable seed, too few staffed offices, out of memory). */
pv_loadgen_t *pv_loadgen_new(const pv_loadgen_config_t *cfg, char *err, size_t errlen);
/* The next event in time order: 0, or 1 when the span is over. */
int pv_loadgen_next(pv_loadgen_t *g, pv_loadgen_event_t *ev);
/* Restarts the stream from its first event. */
void pv_loadgen_rewind(pv_loadgen_t *g);
const pv_loadgen_summary_t *pv_loadgen_summary(const pv_loadgen_t *g);
/* The domain name of PV_LOADGEN_* bit index i (0 works .. 5 hrms), or NULL. */
const char *pv_loadgen_domain_name(int i);
/* Parses "works,efile,..." (or "all") into PV_LOADGEN_* bits; 0 for an unknown name. */
unsigned pv_loadgen_parse_mix(const char *s);
/* Appends ev as one structured-mode JSON line (the format `pravah publish` reads), newline
 * included. Returns 0 or PV_ENOMEM / PV_EFORMAT. */
int pv_loadgen_event_json(const pv_loadgen_event_t *ev, pv_buf_t *out);
void pv_loadgen_free(pv_loadgen_t *g);

#endif
