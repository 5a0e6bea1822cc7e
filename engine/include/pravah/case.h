/* The state of one case, as the engine reads and writes it.
 *
 * A case is a fixed-size value (no pointers it owns), so stores can keep cases in flat arrays and
 * copy them freely; `def` borrows the engine's definition and stays valid while the engine lives.
 * A case is rebuilt exactly by folding its journal records (pv_engine_fold). */
#ifndef PRAVAH_CASE_H
#define PRAVAH_CASE_H

#include <stdint.h>

#include "pravah/common.h"
#include "pravah/definition.h"
#include "pravah/record.h"

#define PV_CASE_ID_MAX 64     /* bytes incl. NUL: ce_subject is at most 63 bytes */
#define PV_POST_ID_MAX 32     /* bytes incl. NUL */
#define PV_ACTOR_ID_MAX 64    /* bytes incl. NUL */
#define PV_CASE_FIELDS_MAX 24 /* numeric case fields a definition may declare */
#define PV_CASE_SEEN_IDS 32   /* event ids remembered per case for duplicate detection */

typedef union pv_case_value_u {
    int64_t i; /* money, int, date (ms), flag */
    double f;  /* number */
} pv_case_value_t;

typedef struct pv_case_s {
    char id[PV_CASE_ID_MAX];
    const pv_def_t *def;      /* definition (name and version) the case runs on */
    uint16_t state;           /* index into the definition's states */
    uint16_t esc_level;       /* escalation steps fired since the deadline was set */
    uint32_t reminders_sent;  /* bit i: reminder i of the current state fired */
    uint64_t seq;             /* records journaled for this case */
    uint64_t actions_done;    /* bit i: action i applied at least once */
    pv_time_t created_at, entered_at; /* entered_at: when the state or the desk last changed */
    pv_time_t deadline;       /* 0: none */
    pv_time_t armed_at;       /* when the current deadline was set: no timer fires before it */
    pv_time_t last_alert_at;  /* when the last escalation step fired */
    pv_time_t next_timer;     /* when pv_engine_fire has work for this case; 0: never */
    char assignee[PV_POST_ID_MAX];
    char previous[PV_POST_ID_MAX]; /* post that had the case before the last move */
    char creator_post[PV_POST_ID_MAX];
    char office[PV_POST_ID_MAX];
    char creator[PV_ACTOR_ID_MAX];
    pv_case_value_t fields[PV_CASE_FIELDS_MAX];
    uint8_t hash[PV_HASH_LEN]; /* hash of the newest record: the next record's prev_hash */
    uint64_t seen[PV_CASE_SEEN_IDS]; /* 64-bit hashes of the newest event ids, a ring */
    uint32_t seen_next;
} pv_case_t;

#endif
