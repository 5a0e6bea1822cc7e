/* Per-case aggregation of the domain tables of one batch (projection_domains.h). Each table is
 * described by data: its slots (one temp-table column each, after case_id) and its rules (which
 * records feed a slot, and with what). The rules are 0002_apply.sql's CTEs wk, ef, gr, ap, lt and
 * hr, one FILTER clause per rule; 0007_batch_domains.sql turns the slots into the table rows. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "msgpack_json.h"
#include "projection_domains.h"
#include "pravah/arena.h"
#include "pravah/buf.h"
#include "strmap.h"

/* ---- what a table is made of ---- */

/* How a slot folds the records that match its rules. */
typedef enum {
    S_LAST,   /* the last matching record's value, NULL included (pravah.last(array_agg ...)) */
    S_MIN,    /* the smallest text (min(text), C collation), NULL when none */
    S_MINTS,  /* min(accepted_at) as timestamptz text, NULL when none */
    S_MAXTS,  /* max(accepted_at) as timestamptz text, NULL when none */
    S_MINDAY, /* min(pravah.local_date(accepted_at)) as date text, NULL when none */
    S_COUNT,  /* count(*) */
    S_SUM     /* the values, as a JSON array for sum(pravah.jnum(...)); NULL when none */
} slot_kind_t;

/* Which records a rule takes. */
typedef enum {
    M_EVENT,     /* event_type in names */
    M_NEW_STATE, /* new_state in names */
    M_COMPLETED, /* new_state = 'completed' AND prev_state <> 'completed' */
    M_BREACHED   /* kind = 'sla.breached' */
} match_t;

/* What a matching record gives its slot. */
typedef enum {
    V_DATA, /* data -> key (NULL when the key is missing); see the flags */
    V_ACTOR,
    V_ACTOR_POST,
    V_CONST, /* the text `key` */
    V_NULL,  /* NULL */
    V_MS,    /* accepted_at */
    V_NONE,  /* nothing (counts) */
    V_APPEAL /* counts only when pravah.jint(data -> 'rating') <= 2 */
} value_t;

/* Flags of a V_DATA rule. */
#define F_PRESENT 1 /* only records having the key match (data ? key) */
#define F_DATE 2    /* the value as pravah.jdate() gives it, as date text; else its JSON text */

typedef struct rule_s {
    int slot;
    match_t match;
    const char *const *names; /* NULL-terminated */
    value_t value;
    const char *key; /* data key (V_DATA, V_APPEAL), or the constant (V_CONST) */
    int flags;       /* V_DATA: F_* */
} rule_t;

typedef struct table_s {
    const char *case_type;
    const char *temp_table;   /* pg_temp.<name> */
    const char *const *slots; /* column names after case_id, NULL-terminated */
    const slot_kind_t *kinds; /* one per slot */
    const rule_t *rules;
    size_t nrules;
} table_t;

/* The tables, one rule a line. */
/* clang-format off */
#define NAMES(...) ((const char *const[]){__VA_ARGS__, NULL})
#define NRULES(a) (sizeof(a) / sizeof((a)[0]))

/* ---- works (0002: wk) ---- */
enum {
    W_NAME, W_WARD, W_SCHEME, W_EST_AMOUNT, W_EST_QTY, W_AA, W_FS, W_TS, W_CONTRACT_AMOUNT,
    W_CONTRACTOR, W_AGREEMENT, W_PLANNED, W_COMPLETED, W_MEASURED, W_MB, W_INSPECTIONS,
    W_LAST_INSPECTION, W_BILLED, W_PAID, W_RETURNS, W_NSLOTS
};
static const char *const works_slots[] = {
    "name", "ward", "scheme", "estimate_amount", "estimate_qty", "aa_amount", "fs_amount",
    "ts_amount", "contract_amount", "contractor", "agreement_number", "planned_completion",
    "actual_completion", "measured_qty", "mb_entries", "inspections", "last_inspection",
    "billed_amount", "paid_amount", "returns", NULL};
static const slot_kind_t works_kinds[W_NSLOTS] = {
    S_LAST, S_LAST, S_LAST, S_LAST, S_LAST, S_LAST, S_LAST, S_LAST, S_LAST, S_LAST,
    S_LAST, S_LAST, S_MINDAY, S_SUM, S_COUNT, S_COUNT, S_LAST, S_SUM, S_SUM, S_COUNT};
static const rule_t works_rules[] = {
    {W_NAME, M_EVENT, NAMES("works.submit_estimate"), V_DATA, "name", F_PRESENT},
    {W_WARD, M_EVENT, NAMES("works.submit_estimate"), V_DATA, "ward", F_PRESENT},
    {W_SCHEME, M_EVENT, NAMES("works.submit_estimate"), V_DATA, "scheme", F_PRESENT},
    {W_EST_AMOUNT, M_EVENT, NAMES("works.submit_estimate", "works.resubmit_estimate"),
     V_DATA, "amount", F_PRESENT},
    {W_EST_QTY, M_EVENT,
     NAMES("works.submit_estimate", "works.resubmit_estimate", "works.resubmit_for_ts"),
     V_DATA, "quantity", F_PRESENT},
    {W_AA, M_EVENT, NAMES("works.grant_aa"), V_DATA, "amount", 0},
    {W_FS, M_EVENT, NAMES("works.grant_fs"), V_DATA, "amount", 0},
    {W_TS, M_EVENT, NAMES("works.grant_ts"), V_DATA, "amount", 0},
    {W_CONTRACT_AMOUNT, M_EVENT, NAMES("works.allot_work"), V_DATA, "contract_amount", 0},
    {W_CONTRACTOR, M_EVENT, NAMES("works.allot_work"), V_DATA, "contractor", 0},
    {W_AGREEMENT, M_EVENT, NAMES("works.allot_work"), V_DATA, "agreement_number", 0},
    {W_PLANNED, M_EVENT, NAMES("works.allot_work"), V_DATA, "planned_completion", F_DATE},
    {W_COMPLETED, M_COMPLETED, NULL, V_MS, NULL, 0},
    {W_MEASURED, M_EVENT, NAMES("works.record_mb"), V_DATA, "quantity", F_PRESENT},
    {W_MB, M_EVENT, NAMES("works.record_mb"), V_NONE, NULL, 0},
    {W_INSPECTIONS, M_EVENT, NAMES("works.inspect"), V_NONE, NULL, 0},
    {W_LAST_INSPECTION, M_EVENT, NAMES("works.inspect"), V_DATA, "result", 0},
    {W_BILLED, M_EVENT, NAMES("works.submit_running_bill", "works.submit_final_bill"),
     V_DATA, "amount", F_PRESENT},
    {W_PAID, M_EVENT, NAMES("works.pay_bill", "works.pay_final_bill"), V_DATA, "amount", F_PRESENT},
    {W_RETURNS, M_EVENT, NAMES("works.return_aa", "works.return_fs", "works.return_ts"), V_NONE,
     NULL, 0},
};

/* ---- e-Office files (0002: ef) ---- */
enum {
    E_SUBJECT, E_CATEGORY, E_CREATED_BY, E_CREATED_POST, E_CREATED_MS, E_PARKED, E_MOVEMENTS,
    E_NOTES, E_RECEIPTS, E_CLOSED_BY, E_CLOSED_POST, E_CLOSED_MS, E_NSLOTS
};
static const char *const efile_slots[] = {
    "subject", "category", "created_by", "created_post", "created_at", "parked_count",
    "movements", "notes", "receipts", "closed_by", "closed_post", "closed_at", NULL};
static const slot_kind_t efile_kinds[E_NSLOTS] = {
    S_LAST, S_LAST, S_MIN, S_MIN, S_MINTS, S_COUNT, S_COUNT, S_COUNT, S_COUNT, S_LAST, S_LAST,
    S_MAXTS};
static const rule_t efile_rules[] = {
    {E_SUBJECT, M_EVENT, NAMES("efile.create_file"), V_DATA, "subject", 0},
    {E_CATEGORY, M_EVENT, NAMES("efile.create_file"), V_DATA, "category", 0},
    {E_CREATED_BY, M_EVENT, NAMES("efile.create_file"), V_ACTOR, NULL, 0},
    {E_CREATED_POST, M_EVENT, NAMES("efile.create_file"), V_ACTOR_POST, NULL, 0},
    {E_CREATED_MS, M_EVENT, NAMES("efile.create_file"), V_MS, NULL, 0},
    {E_PARKED, M_EVENT, NAMES("efile.park"), V_NONE, NULL, 0},
    {E_MOVEMENTS, M_EVENT, NAMES("efile.forward"), V_NONE, NULL, 0},
    {E_NOTES, M_EVENT, NAMES("efile.add_note"), V_NONE, NULL, 0},
    {E_RECEIPTS, M_EVENT, NAMES("efile.attach_receipt"), V_NONE, NULL, 0},
    {E_CLOSED_BY, M_EVENT, NAMES("efile.close"), V_ACTOR, NULL, 0},
    {E_CLOSED_POST, M_EVENT, NAMES("efile.close"), V_ACTOR_POST, NULL, 0},
    {E_CLOSED_MS, M_EVENT, NAMES("efile.close"), V_MS, NULL, 0},
};

/* ---- grievances (0002: gr) ---- */
enum {
    G_CATEGORY, G_SUBJECT, G_LODGED_BY, G_LODGED_MS, G_BREACHED_MS, G_TRANSFERS, G_ATR_RETURNS,
    G_DISPOSAL, G_DISPOSED_BY, G_DISPOSED_POST, G_DISPOSED_MS, G_RATING, G_APPEALS, G_NSLOTS
};
static const char *const grievance_slots[] = {
    "category", "subject", "lodged_by", "lodged_at", "breached_at", "transfers", "atr_returns",
    "disposal", "disposed_by", "disposed_post", "disposed_at", "rating", "appeals", NULL};
static const slot_kind_t grievance_kinds[G_NSLOTS] = {
    S_LAST, S_LAST, S_MIN, S_MINTS, S_MINTS, S_COUNT, S_COUNT, S_LAST, S_LAST, S_LAST, S_MAXTS,
    S_LAST, S_COUNT};
#define DISPOSALS NAMES("grievance.resolve", "grievance.reject")
static const rule_t grievance_rules[] = {
    {G_CATEGORY, M_EVENT, NAMES("grievance.lodge"), V_DATA, "category", 0},
    {G_SUBJECT, M_EVENT, NAMES("grievance.lodge"), V_DATA, "subject", 0},
    {G_LODGED_BY, M_EVENT, NAMES("grievance.lodge"), V_ACTOR, NULL, 0},
    {G_LODGED_MS, M_EVENT, NAMES("grievance.lodge"), V_MS, NULL, 0},
    {G_BREACHED_MS, M_BREACHED, NULL, V_MS, NULL, 0},
    {G_TRANSFERS, M_EVENT, NAMES("grievance.transfer"), V_NONE, NULL, 0},
    {G_ATR_RETURNS, M_EVENT, NAMES("grievance.return_atr"), V_NONE, NULL, 0},
    {G_DISPOSAL, M_EVENT, NAMES("grievance.resolve"), V_CONST, "resolved", 0},
    {G_DISPOSAL, M_EVENT, NAMES("grievance.reject"), V_CONST, "rejected", 0},
    {G_DISPOSED_BY, M_EVENT, DISPOSALS, V_ACTOR, NULL, 0},
    {G_DISPOSED_POST, M_EVENT, DISPOSALS, V_ACTOR_POST, NULL, 0},
    {G_DISPOSED_MS, M_EVENT, DISPOSALS, V_MS, NULL, 0},
    {G_RATING, M_EVENT, NAMES("grievance.rate"), V_DATA, "rating", 0},
    {G_APPEALS, M_EVENT, NAMES("grievance.rate"), V_APPEAL, "rating", 0},
};

/* ---- appointments (0002: ap) ---- */
enum {
    A_OFFICER_POST, A_CITIZEN, A_NAME, A_PURPOSE, A_MODE, A_REQUESTED_MS, A_PREFERRED,
    A_SLOT_DATE, A_SLOT_TIME, A_VENUE, A_RESCHEDULES, A_OUTCOME_MS, A_NSLOTS
};
static const char *const appointment_slots[] = {
    "officer_post", "citizen", "name", "purpose", "mode", "requested_at", "preferred_date",
    "slot_date", "slot_time", "venue", "reschedules", "outcome_at", NULL};
static const slot_kind_t appointment_kinds[A_NSLOTS] = {
    S_LAST, S_MIN, S_LAST, S_LAST, S_LAST, S_MINTS, S_LAST, S_LAST, S_LAST, S_LAST, S_COUNT,
    S_MAXTS};
#define SLOTTING NAMES("appointment.allot_slot", "appointment.reschedule")
static const rule_t appointment_rules[] = {
    {A_OFFICER_POST, M_EVENT, NAMES("appointment.request"), V_DATA, "officer_post", 0},
    {A_CITIZEN, M_EVENT, NAMES("appointment.request"), V_ACTOR, NULL, 0},
    {A_NAME, M_EVENT, NAMES("appointment.request"), V_DATA, "name", 0},
    {A_PURPOSE, M_EVENT, NAMES("appointment.request"), V_DATA, "purpose", 0},
    {A_MODE, M_EVENT, NAMES("appointment.request"), V_DATA, "mode", F_PRESENT},
    {A_REQUESTED_MS, M_EVENT, NAMES("appointment.request"), V_MS, NULL, 0},
    {A_PREFERRED, M_EVENT, NAMES("appointment.request", "appointment.request_reschedule"),
     V_DATA, "preferred_date", F_PRESENT | F_DATE},
    {A_SLOT_DATE, M_EVENT, SLOTTING, V_DATA, "slot_date", F_DATE},
    {A_SLOT_TIME, M_EVENT, SLOTTING, V_DATA, "slot_time", 0},
    {A_VENUE, M_EVENT, SLOTTING, V_DATA, "venue", F_PRESENT},
    {A_RESCHEDULES, M_EVENT, NAMES("appointment.reschedule", "appointment.request_reschedule"),
     V_NONE, NULL, 0},
    {A_OUTCOME_MS, M_NEW_STATE, NAMES("held", "no_show", "cancelled"), V_MS, NULL, 0},
};

/* ---- court cases (0002: lt) ---- */
enum {
    L_CASE_NUMBER, L_COURT, L_PETITIONER, L_SUBJECT, L_REGISTERED_MS, L_NEXT_HEARING,
    L_REPLY_DUE, L_REPLY_FILED, L_HEARINGS, L_ORDER_DATE, L_OUTCOME, L_COMPLIANCE_DUE,
    L_EXTENSIONS, L_COMPLIED, L_APPEAL_NUMBER, L_NSLOTS
};
static const char *const litigation_slots[] = {
    "case_number", "court", "petitioner", "subject", "registered_at", "next_hearing",
    "reply_due", "reply_filed_on", "hearings", "order_date", "outcome", "compliance_due",
    "extensions", "complied_on", "appeal_number", NULL};
static const slot_kind_t litigation_kinds[L_NSLOTS] = {
    S_LAST, S_LAST, S_LAST, S_LAST, S_MINTS, S_LAST, S_LAST, S_LAST, S_COUNT, S_LAST, S_LAST,
    S_LAST, S_COUNT, S_LAST, S_LAST};
#define ORDERS NAMES("litigation.record_order", "litigation.extend_compliance")
static const rule_t litigation_rules[] = {
    {L_CASE_NUMBER, M_EVENT, NAMES("litigation.register"), V_DATA, "case_number", 0},
    {L_COURT, M_EVENT, NAMES("litigation.register"), V_DATA, "court", 0},
    {L_PETITIONER, M_EVENT, NAMES("litigation.register"), V_DATA, "petitioner", 0},
    {L_SUBJECT, M_EVENT, NAMES("litigation.register"), V_DATA, "subject", F_PRESENT},
    {L_REGISTERED_MS, M_EVENT, NAMES("litigation.register"), V_MS, NULL, 0},
    {L_NEXT_HEARING, M_EVENT,
     NAMES("litigation.register", "litigation.file_reply", "litigation.record_hearing"),
     V_DATA, "next_hearing", F_PRESENT | F_DATE},
    {L_REPLY_DUE, M_EVENT, NAMES("litigation.assign_nodal"), V_DATA, "reply_due", F_DATE},
    {L_REPLY_FILED, M_EVENT, NAMES("litigation.file_reply"), V_DATA, "filed_on", F_DATE},
    {L_HEARINGS, M_EVENT, NAMES("litigation.record_hearing"), V_NONE, NULL, 0},
    {L_ORDER_DATE, M_EVENT, ORDERS, V_DATA, "order_date", F_DATE},
    {L_OUTCOME, M_EVENT, NAMES("litigation.record_order"), V_DATA, "outcome", 0},
    {L_COMPLIANCE_DUE, M_EVENT, ORDERS, V_DATA, "compliance_due", F_PRESENT | F_DATE},
    {L_EXTENSIONS, M_EVENT, NAMES("litigation.extend_compliance"), V_NONE, NULL, 0},
    {L_COMPLIED, M_EVENT, NAMES("litigation.comply"), V_DATA, "complied_on", F_DATE},
    {L_APPEAL_NUMBER, M_EVENT, NAMES("litigation.appeal"), V_DATA, "appeal_number", 0},
};

/* ---- hrms postings (0002: hr) ---- */
enum { H_POST, H_POSTED_MS, H_NAME, H_NSLOTS };
static const char *const hrms_slots[] = {"post", "posted_at", "name", NULL};
static const slot_kind_t hrms_kinds[H_NSLOTS] = {S_LAST, S_MAXTS, S_LAST};
static const rule_t hrms_rules[] = {
    {H_POST, M_EVENT, NAMES("hrms.appoint"), V_DATA, "post", 0},
    {H_POST, M_EVENT, NAMES("hrms.transfer"), V_DATA, "to_post", 0},
    {H_POST, M_EVENT, NAMES("hrms.relieve", "hrms.retire"), V_NULL, NULL, 0},
    {H_POSTED_MS, M_EVENT, NAMES("hrms.appoint", "hrms.transfer", "hrms.relieve", "hrms.retire"),
     V_MS, NULL, 0},
    {H_NAME, M_EVENT, NAMES("hrms.appoint"), V_DATA, "name", F_PRESENT},
};

#define SLOTS_MATCH(prefix, n) \
    _Static_assert(sizeof(prefix##_slots) / sizeof(prefix##_slots[0]) == (n) + 1, #prefix)
SLOTS_MATCH(works, W_NSLOTS);
SLOTS_MATCH(efile, E_NSLOTS);
SLOTS_MATCH(grievance, G_NSLOTS);
SLOTS_MATCH(appointment, A_NSLOTS);
SLOTS_MATCH(litigation, L_NSLOTS);
SLOTS_MATCH(hrms, H_NSLOTS);

#define TABLE(type, temp, prefix) \
    {type, temp, prefix##_slots, prefix##_kinds, prefix##_rules, NRULES(prefix##_rules)}
static const table_t tables[] = {
    TABLE("works", "pv_batch_works", works),
    TABLE("efile", "pv_batch_efiles", efile),
    TABLE("grievance", "pv_batch_grievances", grievance),
    TABLE("appointment", "pv_batch_appointments", appointment),
    TABLE("litigation", "pv_batch_court_cases", litigation),
    TABLE("hrms", "pv_batch_officers", hrms),
};
#define NTABLES (sizeof(tables) / sizeof(tables[0]))
/* clang-format on */

/* ---- the batch ---- */

/* A JSON value of a sum, in record order. */
typedef struct sum_item_s {
    struct sum_item_s *next;
    const char *json;
} sum_item_t;

typedef struct slot_s {
    const char *text; /* S_LAST (JSON or text), S_MIN; NULL: SQL NULL */
    int64_t n;        /* S_COUNT; S_MINTS, S_MAXTS, S_MINDAY (ms) when has */
    int has;
    sum_item_t *head, *tail; /* S_SUM */
} slot_t;

typedef struct case_s {
    const char *case_id; /* arena */
    int table; /* index in tables[] */
    slot_t *slots;
} case_t;

struct pv_domains_s {
    case_t *cases;
    size_t ncases, capcases;
    pv_strmap_t index; /* case_id -> case number + 1 (cases moves when it grows) */
    pv_arena_t arena;
    pv_buf_t json, rows, sql;
};

static int table_of(const char *case_type)
{
    for (size_t i = 0; i < NTABLES; i++)
        if (strcmp(tables[i].case_type, case_type) == 0)
            return (int)i;
    return -1;
}

static size_t nslots(int table)
{
    size_t n = 0;
    while (tables[table].slots[n])
        n++;
    return n;
}

/* The case's entry, made (with zeroed slots) when it is new; NULL when out of memory. */
static case_t *case_for(pv_domains_t *d, const char *case_id, int table)
{
    uintptr_t known = (uintptr_t)pv_strmap_get(&d->index, case_id);
    if (known)
        return &d->cases[known - 1];
    if (d->ncases == d->capcases) {
        size_t cap = d->capcases ? d->capcases * 2 : 256;
        case_t *cases = realloc(d->cases, cap * sizeof *cases);
        if (!cases)
            return NULL;
        d->cases = cases;
        d->capcases = cap;
    }
    case_t *c = &d->cases[d->ncases];
    c->case_id = pv_arena_strndup(&d->arena, case_id, strlen(case_id));
    c->slots = pv_arena_alloc(&d->arena, nslots(table) * sizeof *c->slots);
    if (!c->case_id || !c->slots)
        return NULL;
    memset(c->slots, 0, nslots(table) * sizeof *c->slots);
    c->table = table;
    if (pv_strmap_put(&d->index, c->case_id, (void *)(uintptr_t)(d->ncases + 1)) != 0)
        return NULL;
    d->ncases++;
    return c;
}

/* ---- msgpack: finding a top-level key of the data map ---- */

static uint64_t be(const uint8_t *p, int n)
{
    uint64_t v = 0;
    for (int i = 0; i < n; i++)
        v = v << 8 | p[i];
    return v;
}

/* The end of the msgpack object at p, NULL when it is truncated, reserved (0xc1) or deeper
 * than pv_msgpack_to_json accepts. */
static const uint8_t *mp_skip(const uint8_t *p, const uint8_t *end, int depth)
{
    static const uint8_t fixed[] = {4, 8, 1, 2, 4, 8, 1, 2, 4, 8}; /* ca .. d3 */
    if (p >= end || depth > PV_MSGPACK_JSON_MAX_DEPTH)
        return NULL;
    uint8_t c = *p++;
    uint64_t n = 0, items = 0; /* bytes of payload, or nested objects */
    int w = 0;                 /* bytes of a length field */
    if (c <= 0x7f || c >= 0xe0 || (c >= 0xc0 && c <= 0xc3 && c != 0xc1))
        return p;
    if (c >= 0xa0 && c <= 0xbf)
        n = c & 0x1f;
    else if (c >= 0x90 && c <= 0x9f)
        items = c & 0x0f;
    else if (c >= 0x80 && c <= 0x8f)
        items = 2 * (uint64_t)(c & 0x0f);
    else if (c >= 0xca && c <= 0xd3)
        n = fixed[c - 0xca];
    else if (c >= 0xd4 && c <= 0xd8)
        n = 1 + ((uint64_t)1 << (c - 0xd4)); /* fixext: type byte + 1..16 */
    else if (c == 0xc4 || c == 0xd9 || c == 0xc7)
        w = 1;
    else if (c == 0xc5 || c == 0xda || c == 0xc8 || c == 0xdc || c == 0xde)
        w = 2;
    else if (c == 0xc6 || c == 0xdb || c == 0xc9 || c == 0xdd || c == 0xdf)
        w = 4;
    else
        return NULL; /* 0xc1 */
    if (w) {
        if (end - p < w)
            return NULL;
        uint64_t len = be(p, w);
        p += w;
        if (c == 0xdc || c == 0xdd)
            items = len;
        else if (c == 0xde || c == 0xdf)
            items = 2 * len;
        else
            n = len + (c >= 0xc7 && c <= 0xc9); /* ext: the type byte */
    }
    if ((uint64_t)(end - p) < n)
        return NULL;
    p += n;
    for (uint64_t i = 0; i < items && p; i++)
        p = mp_skip(p, end, depth + 1);
    return p;
}

/* Whether the map key at [k, kend) is `key` as jsonb sees pv_msgpack_to_json's text. Only a
 * str key can be: a non-str key becomes the string of its JSON text (a number, true, false,
 * null, a quoted string, [..] or {..}), never one of the identifiers the rules look up. A str
 * that is not valid UTF-8 (or holds a NUL) becomes its base64 text, so those are compared as
 * pv_msgpack_to_json writes them. */
static int key_is(pv_domains_t *d, const uint8_t *k, const uint8_t *kend, const char *key, int *rc)
{
    uint8_t c = *k;
    size_t hdr = c <= 0xbf ? 1 : c == 0xd9 ? 2 : c == 0xda ? 3 : 5;
    if (!((c >= 0xa0 && c <= 0xbf) || (c >= 0xd9 && c <= 0xdb)))
        return 0;
    const uint8_t *s = k + hdr;
    size_t n = (size_t)(kend - s), klen = strlen(key);
    if (n == klen && memcmp(s, key, n) == 0)
        return 1;
    size_t i = 0;
    while (i < n && s[i] != 0 && s[i] < 0x80)
        i++;
    if (i == n)
        return 0; /* plain ASCII text, written as it is: not the key */
    pv_buf_reset(&d->json);
    int r = pv_msgpack_to_json(k, (size_t)(kend - k), &d->json);
    if (r == PV_ENOMEM)
        *rc = r;
    return r == 0 && d->json.len == klen + 2 && memcmp(d->json.data + 1, key, klen) == 0;
}

/* The value of the last `key` in the data map, in [*v, *vend); 0 when missing. */
static int find_key(pv_domains_t *d, const pv_record_t *r, const char *key, const uint8_t **v,
                    const uint8_t **vend, int *rc)
{
    const uint8_t *p = r->data, *end = r->data + r->data_len;
    uint64_t n;
    int found = 0;
    if (!p || p >= end)
        return 0;
    if (*p >= 0x80 && *p <= 0x8f) {
        n = *p & 0x0f;
        p += 1;
    } else if ((*p == 0xde && end - p >= 3) || (*p == 0xdf && end - p >= 5)) {
        int w = *p == 0xde ? 2 : 4;
        n = be(p + 1, w);
        p += 1 + w;
    } else {
        return 0;
    }
    for (uint64_t i = 0; i < n && p; i++) {
        const uint8_t *k = p, *ke = mp_skip(p, end, 1);
        const uint8_t *ve = ke ? mp_skip(ke, end, 1) : NULL;
        if (!ve)
            return 0;
        if (key_is(d, k, ke, key, rc)) {
            *v = ke;
            *vend = ve;
            found = 1;
        }
        p = ve;
    }
    return found;
}

int pv_domains_data_value(pv_domains_t *d, const pv_record_t *r, const char *key, pv_buf_t *out)
{
    const uint8_t *v, *vend;
    int rc = 0;
    if (!find_key(d, r, key, &v, &vend, &rc))
        return rc;
    pv_buf_reset(out);
    rc = pv_msgpack_to_json(v, (size_t)(vend - v), out);
    return rc ? rc : 1;
}

/* ---- folding a record into a slot ---- */

static int in_names(const char *s, const char *const *names)
{
    for (; *names; names++)
        if (strcmp(s, *names) == 0)
            return 1;
    return 0;
}

static int matches(const rule_t *rule, const pv_record_t *r)
{
    switch (rule->match) {
    case M_EVENT:
        return in_names(r->event_type, rule->names);
    case M_NEW_STATE:
        return in_names(r->new_state, rule->names);
    case M_COMPLETED:
        return strcmp(r->new_state, "completed") == 0 && strcmp(r->prev_state, "completed") != 0;
    case M_BREACHED:
        return r->kind == PV_KIND_BREACHED;
    }
    return 0;
}

/* Whether pravah.jint(v) <= 2 for the msgpack value v, decided on the value itself. jint is
 * trunc(numeric) for a JSON number in [-2^31, 2^31-1], so the record counts when the value is
 * a number in [-2^31, 3). Integers are exact. A float is written as the shortest decimal that
 * reads back to it; -2^31 and 3 are floats and doubles themselves, so that decimal lies on the
 * same side of each as the float does (rounding is monotonic). NaN and infinities are written
 * as null: the comparisons below are false for NaN and exclude the infinities. */
static int rating_is_appeal(const uint8_t *v, const uint8_t *vend)
{
    uint8_t c = *v;
    size_t n = (size_t)(vend - v);
    if (c <= 0x7f)
        return c <= 2;
    if (c >= 0xe0)
        return 1; /* negative fixint: -32 .. -1 */
    if (c >= 0xcc && c <= 0xcf && n > 1)
        return be(v + 1, (int)n - 1) <= 2;
    if (c >= 0xd0 && c <= 0xd3 && n > 1) {
        int bits = 8 * ((int)n - 1);
        uint64_t u = be(v + 1, (int)n - 1);
        int64_t s = bits == 64 ? (int64_t)u
                               : (int64_t)(u ^ ((uint64_t)1 << (bits - 1))) -
                                     (int64_t)((uint64_t)1 << (bits - 1));
        return s >= -2147483648LL && s <= 2;
    }
    double x;
    if (c == 0xca && n == 5) {
        uint32_t u = (uint32_t)be(v + 1, 4);
        float f;
        memcpy(&f, &u, 4);
        x = f;
    } else if (c == 0xcb && n == 9) {
        uint64_t u = be(v + 1, 8);
        memcpy(&x, &u, 8);
    } else {
        return 0; /* not a number */
    }
    return x >= -2147483648.0 && x < 3.0;
}

/* The JSON text of the msgpack value [v, vend) in the arena; *out NULL when it does not convert
 * (pv_record_decode and the transitions COPY refuse such data first). */
static int json_of(pv_domains_t *d, const uint8_t *v, const uint8_t *vend, const char **out)
{
    pv_buf_reset(&d->json);
    int rc = pv_msgpack_to_json(v, (size_t)(vend - v), &d->json);
    *out = NULL;
    if (rc == PV_ENOMEM)
        return rc;
    if (rc != 0)
        return 0;
    *out = pv_arena_strndup(&d->arena, (const char *)d->json.data, d->json.len);
    return *out ? 0 : PV_ENOMEM;
}

/* pravah.jdate() of the msgpack value [v, vend), as 'YYYY-MM-DD' in the arena, or NULL. jdate
 * takes a JSON string matching ^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$ with a year
 * above 0 and a day within its month (proleptic Gregorian, as PostgreSQL). Such a string is 10
 * ASCII bytes, which pv_msgpack_to_json writes as they are (a str that is not UTF-8 becomes
 * base64, which holds no '-'), so the check runs on the str's bytes. */
static int date_of(pv_domains_t *d, const uint8_t *v, const uint8_t *vend, const char **out)
{
    static const char pat[] = "dddd-dd-dd";
    static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    size_t hdr = *v <= 0xbf ? 1 : *v == 0xd9 ? 2 : *v == 0xda ? 3 : 5;
    const uint8_t *s = v + hdr;
    *out = NULL;
    if (!((*v >= 0xa0 && *v <= 0xbf) || (*v >= 0xd9 && *v <= 0xdb)) || vend - s != 10)
        return 0; /* not a str of 10 bytes */
    for (int i = 0; i < 10; i++)
        if (pat[i] == 'd' ? s[i] < '0' || s[i] > '9' : s[i] != '-')
            return 0;
    int y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
    int m = (s[5] - '0') * 10 + (s[6] - '0'), day = (s[8] - '0') * 10 + (s[9] - '0');
    if (y == 0 || m < 1 || m > 12 || day < 1 || day > 31)
        return 0;
    int leap = y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
    if (day > mdays[m - 1] + (m == 2 && leap))
        return 0;
    *out = pv_arena_strndup(&d->arena, (const char *)s, 10);
    return *out ? 0 : PV_ENOMEM;
}

/* The value a data rule gives: *has 0 when the record does not match (F_PRESENT without the
 * key). */
static int data_value(pv_domains_t *d, const rule_t *rule, const pv_record_t *r, int *has,
                      const char **out)
{
    const uint8_t *v = NULL, *vend = NULL;
    int rc = 0, found = find_key(d, r, rule->key, &v, &vend, &rc);
    *has = found || !(rule->flags & F_PRESENT);
    *out = NULL;
    if (rc || !found)
        return rc;
    return rule->flags & F_DATE ? date_of(d, v, vend, out) : json_of(d, v, vend, out);
}

/* Adds a JSON value to a sum's list. */
static int sum_add(pv_domains_t *d, slot_t *s, const char *json)
{
    sum_item_t *it = pv_arena_alloc(&d->arena, sizeof *it);
    if (!it)
        return PV_ENOMEM;
    it->next = NULL;
    it->json = json;
    if (s->tail)
        s->tail->next = it;
    else
        s->head = it;
    s->tail = it;
    return 0;
}

static void fold_ms(slot_t *s, slot_kind_t kind, int64_t ms)
{
    if (!s->has || (kind == S_MAXTS ? ms > s->n : ms < s->n))
        s->n = ms;
    s->has = 1;
}

static int fold_text(pv_domains_t *d, slot_t *s, slot_kind_t kind, const char *text)
{
    if (kind == S_MIN && s->text && (!text || strcmp(text, s->text) >= 0))
        return 0;
    s->text = text ? pv_arena_strndup(&d->arena, text, strlen(text)) : NULL;
    return text && !s->text ? PV_ENOMEM : 0;
}

/* Applies one matching rule to its slot. */
static int fold(pv_domains_t *d, const table_t *t, case_t *c, const rule_t *rule,
                const pv_record_t *r)
{
    slot_t *s = &c->slots[rule->slot];
    slot_kind_t kind = t->kinds[rule->slot];
    const char *json;
    const uint8_t *v, *vend;
    int has, rc = 0;
    switch (rule->value) {
    case V_DATA:
        rc = data_value(d, rule, r, &has, &json);
        if (rc || !has)
            return rc;
        if (kind == S_SUM)
            return json ? sum_add(d, s, json) : 0;
        s->text = json;
        return 0;
    case V_ACTOR:
        return fold_text(d, s, kind, r->actor ? r->actor : "");
    case V_ACTOR_POST:
        return fold_text(d, s, kind, r->actor_post ? r->actor_post : "");
    case V_CONST:
        s->text = rule->key;
        return 0;
    case V_NULL:
        s->text = NULL;
        return 0;
    case V_MS:
        fold_ms(s, kind, r->accepted_at);
        return 0;
    case V_NONE:
        s->n++;
        return 0;
    case V_APPEAL:
        if (find_key(d, r, rule->key, &v, &vend, &rc) && rating_is_appeal(v, vend))
            s->n++;
        return rc;
    }
    return 0;
}

int pv_domains_add(pv_domains_t *d, const pv_record_t *r)
{
    int table = r->case_type ? table_of(r->case_type) : -1;
    if (table < 0 || !r->case_id)
        return 0;
    const table_t *t = &tables[table];
    case_t *c = case_for(d, r->case_id, table);
    if (!c)
        return PV_ENOMEM;
    for (size_t i = 0; i < t->nrules; i++) {
        if (!matches(&t->rules[i], r))
            continue;
        int rc = fold(d, t, c, &t->rules[i], r);
        if (rc)
            return rc;
    }
    return 0;
}

/* ---- COPY ---- */

static int put_null(pv_buf_t *b)
{
    return pv_buf_append(b, "\\N", 2);
}

static int put_text(pv_buf_t *b, const char *s)
{
    return s ? pv_pg_copy_text(b, s, strlen(s)) : put_null(b);
}

/* A sum's values as one JSON array (NULL when none). */
static int put_sum(pv_domains_t *d, const slot_t *s)
{
    if (!s->head)
        return put_null(&d->rows);
    pv_buf_reset(&d->json);
    int rc = pv_buf_append(&d->json, "[", 1);
    for (const sum_item_t *it = s->head; it && rc == 0; it = it->next) {
        if (it != s->head)
            rc = pv_buf_append(&d->json, ",", 1);
        rc = rc ? rc : pv_buf_append(&d->json, it->json, strlen(it->json));
    }
    rc = rc ? rc : pv_buf_append(&d->json, "]", 1);
    return rc ? rc : pv_pg_copy_text(&d->rows, (const char *)d->json.data, d->json.len);
}

static int64_t floor_div(int64_t a, int64_t b)
{
    return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

/* Year, month and day of a day number (days since 1970-01-01), proleptic Gregorian (H. Hinnant's
 * civil_from_days). */
static void civil(int64_t z, int64_t *y, int *m, int *d)
{
    z += 719468;
    int64_t era = floor_div(z, 146097), doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100), mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

/* The date of a day number as PostgreSQL reads it: YYYY-MM-DD, years up to 0 as 1 - year BC. */
static int put_day(pv_buf_t *b, int64_t day, const char *time)
{
    int64_t y;
    int m, dd;
    char s[96];
    civil(day, &y, &m, &dd);
    int n = snprintf(s, sizeof s, "%04lld-%02d-%02d%s%s", (long long)(y > 0 ? y : 1 - y), m, dd,
                     time, y > 0 ? "" : " BC");
    return pv_buf_append(b, s, (size_t)n);
}

/* pravah.ms_ts(ms) in microseconds since the epoch, computed as PostgreSQL does it: `ms *
 * interval '1 millisecond'` is interval_mul(), which takes ms as a float8 and rounds
 * rint(1000.0 * ms) (exact below 2^53 / 1000 ms, years 1685 to 2255; beyond, this is what
 * PostgreSQL rounds to as well). min/max commute with it: it is monotonic. */
static int64_t ms_ts_us(int64_t ms)
{
    return (int64_t)rint(1000.0 * (double)ms);
}

/* accepted_at as the timestamptz text of pravah.ms_ts(ms). */
static int put_ts(pv_buf_t *b, int64_t ms)
{
    int64_t us = ms_ts_us(ms), day = floor_div(us, 86400000000LL), t = us - day * 86400000000LL;
    char time[40];
    snprintf(time, sizeof time, " %02d:%02d:%02d.%06d+00", (int)(t / 3600000000LL),
             (int)(t / 60000000 % 60), (int)(t / 1000000 % 60), (int)(t % 1000000));
    return put_day(b, day, time);
}

/* pravah.local_date(pravah.ms_ts(ms)): the date of the UTC wall time plus 5:30. */
static int put_local_date(pv_buf_t *b, int64_t ms)
{
    return put_day(b, floor_div(ms_ts_us(ms) + 19800000000LL, 86400000000LL), "");
}

static int put_slot(pv_domains_t *d, slot_kind_t kind, const slot_t *s)
{
    switch (kind) {
    case S_LAST:
    case S_MIN:
        return put_text(&d->rows, s->text);
    case S_MINTS:
    case S_MAXTS:
        return s->has ? put_ts(&d->rows, s->n) : put_null(&d->rows);
    case S_MINDAY:
        return s->has ? put_local_date(&d->rows, s->n) : put_null(&d->rows);
    case S_COUNT:
        return pv_pg_copy_int(&d->rows, s->n);
    case S_SUM:
        return put_sum(d, s);
    }
    return PV_EINVAL;
}

/* The COPY text rows of one table; the number of rows in *rows. */
static int table_rows(pv_domains_t *d, int table, size_t *rows)
{
    const table_t *t = &tables[table];
    size_t n = nslots(table);
    int rc = 0;
    pv_buf_reset(&d->rows);
    *rows = 0;
    for (size_t i = 0; i < d->ncases && rc == 0; i++) {
        const case_t *c = &d->cases[i];
        if (c->table != table)
            continue;
        rc = put_text(&d->rows, c->case_id);
        for (size_t k = 0; k < n && rc == 0; k++) {
            rc = pv_pg_copy_end_field(&d->rows, 0);
            rc = rc ? rc : put_slot(d, t->kinds[k], &c->slots[k]);
        }
        rc = rc ? rc : pv_pg_copy_end_field(&d->rows, 1);
        (*rows)++;
    }
    return rc;
}

/* "COPY pg_temp.<table> (case_id, <slots>) FROM STDIN" in d->sql, NUL-terminated. */
static int copy_sql(pv_domains_t *d, const table_t *t)
{
    pv_buf_reset(&d->sql);
    int rc = pv_buf_append(&d->sql, "COPY pg_temp.", 13);
    rc = rc ? rc : pv_buf_append(&d->sql, t->temp_table, strlen(t->temp_table));
    rc = rc ? rc : pv_buf_append(&d->sql, " (case_id", 9);
    for (size_t k = 0; t->slots[k] && rc == 0; k++) {
        rc = pv_buf_append(&d->sql, ", ", 2);
        rc = rc ? rc : pv_buf_append(&d->sql, t->slots[k], strlen(t->slots[k]));
    }
    rc = rc ? rc : pv_buf_append(&d->sql, ") FROM STDIN", 12);
    return rc ? rc : pv_buf_append(&d->sql, "", 1);
}

int pv_domains_copy(pv_domains_t *d, pv_pg_t *pg, char *err, size_t errlen)
{
    for (int table = 0; table < (int)NTABLES; table++) {
        const table_t *t = &tables[table];
        size_t rows;
        int rc = table_rows(d, table, &rows);
        rc = rc ? rc : copy_sql(d, t);
        if (rc) {
            snprintf(err, errlen, "projection_domains: building the COPY of pg_temp.%s: %s",
                     t->temp_table, pv_strerror(rc));
            return PV_PG_FATAL;
        }
        if (rows == 0)
            continue;
        rc = pv_pg_copy(pg, (const char *)d->sql.data, d->rows.data, d->rows.len, err, errlen);
        if (rc)
            return rc;
    }
    return 0;
}

/* ---- life cycle ---- */

pv_domains_t *pv_domains_new(void)
{
    pv_domains_t *d = calloc(1, sizeof *d);
    if (!d)
        return NULL;
    pv_arena_init(&d->arena, 64 * 1024);
    pv_buf_init(&d->json);
    pv_buf_init(&d->rows);
    pv_buf_init(&d->sql);
    return d;
}

void pv_domains_reset(pv_domains_t *d)
{
    pv_strmap_clear(&d->index);
    d->ncases = 0;
    pv_arena_reset(&d->arena);
}

void pv_domains_free(pv_domains_t *d)
{
    if (!d)
        return;
    free(d->cases);
    pv_strmap_close(&d->index);
    pv_arena_close(&d->arena);
    pv_buf_close(&d->json);
    pv_buf_close(&d->rows);
    pv_buf_close(&d->sql);
    free(d);
}
