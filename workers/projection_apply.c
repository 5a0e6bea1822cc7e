/* Classification, chain checks and the per-case fold of one batch; see projection_apply.h.
 * Each rule cites the part of 0002_apply.sql it reproduces. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "msgpack_json.h"
#include "projection_apply.h"
#include "pravah/arena.h"
#include "strmap.h"

#define NO_TIME INT64_MIN /* SQL NULL for a time in ms */
#define MAX_PARTITIONS 256

static const uint8_t zeros[PV_HASH_LEN];

/* A (case_id, seq) met in this batch, or read from pravah.transitions. */
typedef struct seen_s {
    uint64_t seq;
    const uint8_t *hash;
    int fork_alerted;
} seen_t;

typedef struct alert_s {
    const pv_record_t *r; /* the timer record (or the forking record) */
    const char *kind;
    int64_t closed_at; /* NO_TIME: open */
} alert_t;

/* A case met in the batch: its head before the batch, its running head, what the batch did. */
typedef struct bcase_s {
    const char *case_id;
    int existed; /* pravah.cases had a row */
    /* running head: before the batch, then after each applied record */
    uint64_t seq;
    uint8_t hash[PV_HASH_LEN];
    const char *state, *assignee; /* valid when has_state */
    int64_t deadline;             /* 0: none */
    int has_state;
    seen_t *seen;
    size_t nseen, capseen;
    size_t *alerts; /* indexes into a->alerts of this case's alerts raised in the batch */
    size_t nalerts, capalerts;
    /* the fold (cagg and cfin of 0002) */
    const pv_record_t *last;
    size_t applied;
    int64_t first_at, entered_at, moved_at, created_at, first_change_at;
    const char *creator, *creator_post, *reassigned_from;
    int reassigns;
    const char *amount_json; /* the last data.amount that is a JSON number, NULL: none */
    struct bcase_s *next;    /* in order of first appearance */
} bcase_t;

typedef struct phead_s {
    int in_batch;
    /* The partition's head so far: the stored head, then the last record with the highest pseq
     * (what partition_heads keeps between batches, so the check does not depend on where
     * batches fall). has_head 0: nothing to check the first record against. */
    int has_head;
    uint64_t pseq;
    const uint8_t *phash;
    uint64_t max_pseq; /* the head the batch leaves: highest pseq, latest offset among equals */
    const uint8_t *max_phash;
    int64_t max_offset, max_at;
} phead_t;

struct pv_proj_apply_s {
    pv_arena_t arena;
    pv_strmap_t cases;
    bcase_t *first, **tail;
    alert_t *alerts;
    size_t nalerts, capalerts;
    phead_t parts[MAX_PARTITIONS];
    pv_buf_t transitions, bcases, balerts, findings, tmp;
    size_t applied;
    const char **ids;
    size_t nids, capids;
    bcase_t **rec_case; /* the bcase of each record of the batch (NULL: not decoded), by index */
    size_t caprec;
    void (*sync)(void *ctx);
    void *sync_ctx;
};

void pv_proj_apply_set_sync(pv_proj_apply_t *a, void (*sync)(void *ctx), void *ctx)
{
    a->sync = sync;
    a->sync_ctx = ctx;
}

pv_proj_apply_t *pv_proj_apply_new(void)
{
    pv_proj_apply_t *a = calloc(1, sizeof *a);
    if (!a)
        return NULL;
    pv_arena_init(&a->arena, 256 * 1024);
    pv_strmap_init(&a->cases);
    pv_buf_init(&a->transitions);
    pv_buf_init(&a->bcases);
    pv_buf_init(&a->balerts);
    pv_buf_init(&a->findings);
    pv_buf_init(&a->tmp);
    return a;
}

void pv_proj_apply_free(pv_proj_apply_t *a)
{
    if (!a)
        return;
    pv_arena_close(&a->arena);
    pv_strmap_close(&a->cases);
    pv_buf_close(&a->transitions);
    pv_buf_close(&a->bcases);
    pv_buf_close(&a->balerts);
    pv_buf_close(&a->findings);
    pv_buf_close(&a->tmp);
    free(a->alerts);
    free(a->ids);
    free(a->rec_case);
    free(a);
}

static void reset(pv_proj_apply_t *a)
{
    pv_arena_reset(&a->arena);
    pv_strmap_clear(&a->cases);
    a->first = NULL;
    a->tail = &a->first;
    a->nalerts = a->nids = a->applied = 0;
    memset(a->parts, 0, sizeof a->parts);
    pv_buf_reset(&a->transitions);
    pv_buf_reset(&a->bcases);
    pv_buf_reset(&a->balerts);
    pv_buf_reset(&a->findings);
}

/* ---- COPY text fields ---- */

/* A timestamptz field equal to pravah.ms_ts(ms): UTC with milliseconds. The text of the last
 * second is kept: a batch's records mostly share their seconds. */
static int f_ts(pv_buf_t *b, int64_t ms, int last)
{
    static _Thread_local int64_t memo_sec = INT64_MIN;
    static _Thread_local char memo[64];
    int64_t sec = ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000);
    if (sec != memo_sec) {
        time_t t = (time_t)sec;
        struct tm tm;
        if (!gmtime_r(&t, &tm))
            return PV_ERANGE;
        snprintf(memo, sizeof memo, "%04d-%02d-%02d %02d:%02d:%02d.", tm.tm_year + 1900,
                 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
        memo_sec = sec;
    }
    int frac = (int)(ms - sec * 1000);
    char tail[8] = {(char)('0' + frac / 100), (char)('0' + frac / 10 % 10),
                    (char)('0' + frac % 10), '+', '0', '0'};
    int rc = pv_buf_append(b, memo, strlen(memo));
    rc = rc ? rc : pv_buf_append(b, tail, 6);
    return rc ? rc : pv_pg_copy_end_field(b, last);
}

/* ---- rows ---- */

/* A text column of a binary COPY. */
static int b_text(pv_buf_t *b, const char *s)
{
    return pv_pg_bin_bytes(b, s, strlen(s));
}

/* The pravah.transitions row of r in COPY binary (the column order of COPY_TRANSITIONS): the
 * server has nothing to parse but the jsonb (a fifth less of its time than text here). */
static int transitions_row(pv_proj_apply_t *a, const pv_proj_rec_t *pr)
{
    const pv_record_t *r = pr->rec;
    pv_buf_t *b = &a->transitions;
    int rc = b->len ? 0 : pv_pg_bin_header(b);
    rc = rc ? rc : pv_pg_bin_row(b, 27);
    rc = rc ? rc : b_text(b, r->case_id);
    rc = rc ? rc : pv_pg_bin_int8(b, (int64_t)r->seq);
    rc = rc ? rc : b_text(b, r->case_type);
    rc = rc ? rc : pv_pg_bin_int4(b, (int32_t)r->def_version);
    rc = rc ? rc : b_text(b, pv_record_kind_name(r->kind));
    rc = rc ? rc : b_text(b, r->event_id);
    rc = rc ? rc : b_text(b, r->event_type);
    rc = rc ? rc : b_text(b, r->source);
    rc = rc ? rc : b_text(b, r->actor);
    rc = rc ? rc : b_text(b, r->actor_post);
    rc = rc ? rc : b_text(b, r->actor_role);
    rc = rc ? rc : b_text(b, r->event_time);
    rc = rc ? rc : pv_pg_bin_ts_ms(b, r->accepted_at);
    rc = rc ? rc : b_text(b, r->prev_state);
    rc = rc ? rc : b_text(b, r->new_state);
    rc = rc ? rc : b_text(b, r->assignee);
    rc = rc ? rc : r->deadline ? pv_pg_bin_ts_ms(b, r->deadline) : pv_pg_bin_null(b);
    rc = rc ? rc : pv_pg_bin_int4(b, (int32_t)r->alert_level);
    rc = rc ? rc : b_text(b, r->alert_target);
    rc = rc ? rc : pv_pg_bin_jsonb(b, pr->data_json, pr->data_json_len);
    rc = rc ? rc : b_text(b, r->office);
    rc = rc ? rc : pv_pg_bin_bytes(b, r->hash, PV_HASH_LEN);
    rc = rc ? rc : pv_pg_bin_bytes(b, r->prev_hash, PV_HASH_LEN);
    rc = rc ? rc : pv_pg_bin_int4(b, pr->partition);
    rc = rc ? rc : pv_pg_bin_int8(b, pr->offset);
    rc = rc ? rc : pv_pg_bin_int8(b, (int64_t)r->pseq);
    rc = rc ? rc : pv_pg_bin_bytes(b, r->phash, PV_HASH_LEN);
    return rc;
}

#define COPY_TRANSITIONS                                                                      \
    "COPY pravah.transitions (case_id, seq, case_type, def_version, kind, event_id, "          \
    "event_type, source, actor, actor_post, actor_role, event_time, accepted_at, prev_state, " \
    "new_state, assignee, deadline, alert_level, alert_target, data, office, hash, prev_hash, " \
    "topic_partition, kafka_offset, pseq, phash) FROM STDIN WITH (FORMAT binary)"

/* An integrity_findings row (0002's `findings`). */
static int finding(pv_proj_apply_t *a, const pv_proj_rec_t *pr, const char *kind,
                   const uint8_t *existing, const uint8_t *new_hash, const char *detail)
{
    pv_buf_t *b = &a->findings;
    const pv_record_t *r = pr->rec;
    int rc = pv_pg_copy_int_field(b, pr->partition, 0);
    rc = rc ? rc : pv_pg_copy_int_field(b, pr->offset, 0);
    rc = rc ? rc : pv_pg_copy_text_field(b, kind, 0);
    rc = rc ? rc : pv_pg_copy_text_field(b, r->case_id, 0);
    rc = rc ? rc : pv_pg_copy_int_field(b, (int64_t)r->seq, 0);
    rc = rc ? rc : pv_pg_copy_int_field(b, (int64_t)r->pseq, 0);
    rc = rc ? rc : pv_pg_copy_bytea_field(b, existing, PV_HASH_LEN, 0);
    rc = rc ? rc : pv_pg_copy_bytea_field(b, new_hash, PV_HASH_LEN, 0);
    rc = rc ? rc : pv_pg_copy_text_field(b, detail, 1);
    return rc;
}

/* ---- the cases of the batch ---- */

static bcase_t *case_of(pv_proj_apply_t *a, const char *case_id)
{
    return pv_strmap_get(&a->cases, case_id);
}

/* A new bcase for case_id, in the map, the list and the ids to load; NULL when out of memory. */
static bcase_t *new_case(pv_proj_apply_t *a, const char *case_id)
{
    bcase_t *c = pv_arena_alloc(&a->arena, sizeof *c);
    if (!c)
        return NULL;
    memset(c, 0, sizeof *c);
    c->case_id = case_id;
    c->first_at = c->entered_at = c->moved_at = c->created_at = c->first_change_at = NO_TIME;
    if (pv_strmap_put(&a->cases, c->case_id, c) != 0)
        return NULL;
    *a->tail = c;
    a->tail = &c->next;
    if (a->nids == a->capids) {
        size_t cap = a->capids ? a->capids * 2 : 1024;
        const char **ids = realloc(a->ids, cap * sizeof *ids);
        if (!ids)
            return NULL;
        a->ids = ids;
        a->capids = cap;
    }
    a->ids[a->nids++] = c->case_id;
    return c;
}

/* First pass: one bcase per case, the ids to load, and each record's bcase (looked up once). */
static int collect_cases(pv_proj_apply_t *a, const pv_proj_rec_t *recs, size_t n)
{
    if (n > a->caprec) {
        bcase_t **rc = realloc(a->rec_case, n * sizeof *rc);
        if (!rc)
            return PV_ENOMEM;
        a->rec_case = rc;
        a->caprec = n;
    }
    for (size_t i = 0; i < n; i++) {
        a->rec_case[i] = NULL;
        if (!recs[i].rec)
            continue;
        bcase_t *c = case_of(a, recs[i].rec->case_id);
        if (!c && !(c = new_case(a, recs[i].rec->case_id)))
            return PV_ENOMEM;
        a->rec_case[i] = c;
    }
    return 0;
}

/* Copies each case's cached head (the state must hold them all) into its bcase. */
static int take_heads(pv_proj_apply_t *a, const pv_proj_state_t *st)
{
    for (bcase_t *c = a->first; c; c = c->next) {
        const pv_case_head_t *h = pv_proj_state_case(st, c->case_id);
        if (!h)
            return PV_EINVAL;
        c->existed = h->seq > 0;
        c->has_state = c->existed;
        c->seq = h->seq;
        memcpy(c->hash, h->last_hash, PV_HASH_LEN);
        c->state = pv_arena_strndup(&a->arena, h->state, strlen(h->state));
        c->assignee = pv_arena_strndup(&a->arena, h->assignee, strlen(h->assignee));
        c->deadline = h->deadline_ms;
        if (!c->state || !c->assignee)
            return PV_ENOMEM;
    }
    return 0;
}

static seen_t *find_seen(bcase_t *c, uint64_t seq)
{
    for (size_t i = 0; i < c->nseen; i++)
        if (c->seen[i].seq == seq)
            return &c->seen[i];
    return NULL;
}

/* Grows an arena array of elem-sized items (the old copy is left in the arena). */
static int grow(pv_arena_t *ar, void **arr, size_t *cap, size_t n, size_t elem)
{
    if (n < *cap)
        return 0;
    size_t ncap = *cap ? *cap * 2 : 4;
    void *p = pv_arena_alloc(ar, ncap * elem);
    if (!p)
        return PV_ENOMEM;
    if (n)
        memcpy(p, *arr, n * elem);
    *arr = p;
    *cap = ncap;
    return 0;
}

static seen_t *add_seen(pv_proj_apply_t *a, bcase_t *c, uint64_t seq, const uint8_t *hash)
{
    if (grow(&a->arena, (void **)&c->seen, &c->capseen, c->nseen, sizeof *c->seen) != 0)
        return NULL;
    seen_t *s = &c->seen[c->nseen++];
    s->seq = seq;
    s->hash = hash;
    s->fork_alerted = 0;
    return s;
}

static int add_alert(pv_proj_apply_t *a, bcase_t *c, const pv_record_t *r, const char *kind)
{
    if (a->nalerts == a->capalerts) {
        size_t cap = a->capalerts ? a->capalerts * 2 : 256;
        alert_t *al = realloc(a->alerts, cap * sizeof *al);
        if (!al)
            return PV_ENOMEM;
        a->alerts = al;
        a->capalerts = cap;
    }
    a->alerts[a->nalerts] = (alert_t){r, kind, NO_TIME};
    if (c) {
        if (grow(&a->arena, (void **)&c->alerts, &c->capalerts, c->nalerts, sizeof *c->alerts))
            return PV_ENOMEM;
        c->alerts[c->nalerts++] = a->nalerts;
    }
    a->nalerts++;
    return 0;
}

/* ---- data.amount ---- */

/* The JSON text of data.amount when it is a JSON number (pravah.jnum not NULL), else NULL. */
static const char *amount_json(pv_proj_apply_t *a, pv_domains_t *dom, const pv_record_t *r)
{
    static const char key[] = "amount";
    if (!r->data_len || !memmem(r->data, r->data_len, key, sizeof key - 1))
        return NULL; /* most records: no such key at all */
    if (pv_domains_data_value(dom, r, key, &a->tmp) != 1 || !a->tmp.len ||
        !(a->tmp.data[0] == '-' || (a->tmp.data[0] >= '0' && a->tmp.data[0] <= '9')))
        return NULL;
    return pv_arena_strndup(&a->arena, (const char *)a->tmp.data, a->tmp.len);
}

/* ---- one record ---- */

static int same_text(const char *x, const char *y)
{
    return strcmp(x, y) == 0;
}

static int64_t min_t(int64_t cur, int64_t v)
{
    return cur == NO_TIME || v < cur ? v : cur;
}

static int64_t max_t(int64_t cur, int64_t v)
{
    return cur == NO_TIME || v > cur ? v : cur;
}

static const char *min_s(const char *cur, const char *v)
{
    return !cur || strcmp(v, cur) < 0 ? v : cur;
}

/* 0002's case chain check of an applied record (`findings`, second branch). */
static int check_case_chain(pv_proj_apply_t *a, const pv_proj_rec_t *pr, const bcase_t *c)
{
    const pv_record_t *r = pr->rec;
    const uint8_t *expect = NULL;
    uint64_t before = c->seq;
    if (c->seq > 0)
        expect = c->seq == r->seq - 1 ? c->hash : NULL;
    else if (r->seq == 1)
        expect = zeros;
    if (expect && memcmp(expect, r->prev_hash, PV_HASH_LEN) == 0)
        return 0;
    char detail[96];
    if (!expect)
        snprintf(detail, sizeof detail, "seq %llu follows seq %llu", (unsigned long long)r->seq,
                 (unsigned long long)before);
    else
        snprintf(detail, sizeof detail, "prev_hash is not the hash of seq %llu",
                 (unsigned long long)(r->seq - 1));
    return finding(a, pr, "case_chain", expect, r->prev_hash, detail);
}

/* The fold of an applied record into its case (0002's `n`, `cagg`, `cfin`, `ins_alerts`). */
static int fold(pv_proj_apply_t *a, pv_domains_t *dom, bcase_t *c, const pv_record_t *r)
{
    int64_t at = r->accepted_at, dl = r->deadline;
    const char *prev_assignee = c->has_state ? c->assignee : "";
    int moved = r->prev_state[0] == '\0' || !same_text(r->prev_state, r->new_state) ||
                !same_text(r->assignee, prev_assignee);
    int chg = !c->has_state || !same_text(r->new_state, c->state) || dl != c->deadline;
    int timer = r->kind == PV_KIND_BREACHED || r->kind == PV_KIND_ESCALATED;
    c->first_at = min_t(c->first_at, at);
    if (r->prev_state[0] == '\0' || !same_text(r->prev_state, r->new_state))
        c->entered_at = max_t(c->entered_at, at);
    if (moved)
        c->moved_at = max_t(c->moved_at, at);
    if (r->seq == 1) {
        c->created_at = min_t(c->created_at, at);
        c->creator = min_s(c->creator, r->actor);
        c->creator_post = min_s(c->creator_post, r->actor_post);
    }
    if (chg) {
        c->first_change_at = min_t(c->first_change_at, at);
        for (size_t i = 0; i < c->nalerts; i++)
            a->alerts[c->alerts[i]].closed_at = min_t(a->alerts[c->alerts[i]].closed_at, at);
    }
    if (timer && !same_text(r->assignee, prev_assignee)) {
        if (c->reassigns++ == 0)
            c->reassigned_from = prev_assignee;
    }
    const char *amount = amount_json(a, dom, r);
    if (amount)
        c->amount_json = amount;
    if (r->kind != PV_KIND_EVENT && add_alert(a, c, r, pv_record_kind_name(r->kind)) != 0)
        return PV_ENOMEM;
    c->last = r;
    c->applied++;
    c->seq = r->seq;
    memcpy(c->hash, r->hash, PV_HASH_LEN);
    c->state = r->new_state;
    c->assignee = r->assignee;
    c->deadline = dl;
    c->has_state = 1;
    return 0;
}

/* A copy of a known (case_id, seq): a duplicate when the hashes agree, else a fork (0002's
 * `fork` and the integrity.fork alert). */
static int copy_of(pv_proj_apply_t *a, const pv_proj_rec_t *pr, seen_t *s)
{
    const pv_record_t *r = pr->rec;
    if (memcmp(s->hash, r->hash, PV_HASH_LEN) == 0)
        return 0;
    /* One wording whether the first record is in this batch or stored (0009): a rebuild with
     * other batch boundaries writes the same findings. */
    int rc = finding(a, pr, "fork", s->hash, r->hash,
                     "a different record for a known (case_id, seq)");
    if (rc == 0 && !s->fork_alerted) {
        s->fork_alerted = 1;
        rc = add_alert(a, NULL, r, "integrity.fork");
    }
    return rc;
}

/* A record at or below its case's head, not met in the batch: the stored record decides. */
static int at_or_below_head(pv_proj_apply_t *a, pv_pg_t *pg, const pv_proj_rec_t *pr,
                            bcase_t *c, char *err, size_t errlen)
{
    const pv_record_t *r = pr->rec;
    uint8_t *stored = pv_arena_alloc(&a->arena, PV_HASH_LEN);
    if (!stored)
        return PV_PG_FATAL;
    int found;
    if (r->seq == c->seq) { /* the head itself, from pravah.cases */
        memcpy(stored, c->hash, PV_HASH_LEN);
        found = 1;
    } else {
        if (a->sync)
            a->sync(a->sync_ctx);
        found = pv_proj_state_stored_hash(pg, r->case_id, r->seq, stored, err, errlen);
        if (found < 0)
            return -found;
    }
    seen_t *s = add_seen(a, c, r->seq, found ? stored : r->hash);
    if (!s)
        return PV_PG_FATAL;
    if (found)
        return copy_of(a, pr, s) ? PV_PG_FATAL : 0;
    char detail[128];
    snprintf(detail, sizeof detail, "seq %llu arrived after seq %llu: kept in transitions, not "
             "applied", (unsigned long long)r->seq, (unsigned long long)c->seq);
    if (finding(a, pr, "case_chain", NULL, r->prev_hash, detail) != 0 ||
        transitions_row(a, pr) != 0)
        return PV_PG_FATAL;
    return 0;
}

/* 0009's `pc`: the partition chain, over every record of the batch in consumption order. Each
 * record is checked against the partition's head so far (highest pseq, latest among equals):
 * an exact copy of that head is a duplicate delivery; an older record is a finding, and the
 * records after it are still checked against the head, not against it. */
static int partition_head_start(phead_t *p, const pv_proj_state_t *st, int32_t partition,
                                const pv_record_t *r, pv_arena_t *arena)
{
    uint8_t head[PV_HASH_LEN];
    p->in_batch = 1;
    p->has_head = 1;
    if (pv_proj_state_partition(st, partition, &p->pseq, head)) {
        p->phash = pv_arena_memdup(arena, head, PV_HASH_LEN);
        return p->phash ? 0 : PV_ENOMEM;
    }
    if (r->pseq == 1) {
        p->pseq = 0;
        p->phash = zeros;
    } else {
        p->has_head = 0;
    }
    return 0;
}

static int check_partition_chain(pv_proj_apply_t *a, const pv_proj_state_t *st,
                                 const pv_proj_rec_t *pr)
{
    const pv_record_t *r = pr->rec;
    phead_t *p = &a->parts[pr->partition];
    if (!p->in_batch && partition_head_start(p, st, pr->partition, r, &a->arena) != 0)
        return PV_ENOMEM;
    uint64_t lp = p->pseq;
    const uint8_t *lph = p->has_head ? p->phash : NULL;
    int rc = 0;
    if (lph && !(r->pseq == lp && memcmp(r->phash, lph, PV_HASH_LEN) == 0)) {
        uint8_t buf[2 * PV_HASH_LEN + 8], want[PV_HASH_LEN];
        memcpy(buf, lph, PV_HASH_LEN);
        memcpy(buf + PV_HASH_LEN, r->hash, PV_HASH_LEN);
        for (int i = 0; i < 8; i++)
            buf[2 * PV_HASH_LEN + i] = (uint8_t)(r->pseq >> (56 - 8 * i));
        pv_sha256(buf, sizeof buf, want);
        char detail[96];
        if (r->pseq != lp + 1)
            snprintf(detail, sizeof detail, "pseq %llu follows pseq %llu",
                     (unsigned long long)r->pseq, (unsigned long long)lp);
        else
            snprintf(detail, sizeof detail, "phash does not continue the partition chain");
        if (r->pseq != lp + 1 || memcmp(want, r->phash, PV_HASH_LEN) != 0) {
            uint8_t *copy = pv_arena_memdup(&a->arena, lph, PV_HASH_LEN);
            rc = copy ? finding(a, pr, "partition_chain", copy, r->phash, detail) : PV_ENOMEM;
        }
    }
    if (!p->has_head || r->pseq >= p->pseq) {
        p->has_head = 1;
        p->pseq = r->pseq;
        p->phash = r->phash;
    }
    if (r->pseq >= p->max_pseq) {
        p->max_pseq = r->pseq;
        p->max_phash = r->phash;
        p->max_offset = pr->offset;
        p->max_at = r->accepted_at;
    }
    return rc;
}

static int one_record(pv_proj_apply_t *a, pv_domains_t *dom, pv_pg_t *pg,
                      const pv_proj_state_t *st, const pv_proj_rec_t *pr, bcase_t *c, char *err,
                      size_t errlen)
{
    const pv_record_t *r = pr->rec;
    if (check_partition_chain(a, st, pr) != 0)
        return PV_PG_FATAL;
    seen_t *s = find_seen(c, r->seq);
    if (s)
        return copy_of(a, pr, s) ? PV_PG_FATAL : 0;
    if (r->seq <= c->seq)
        return at_or_below_head(a, pg, pr, c, err, errlen);
    int rc = check_case_chain(a, pr, c);
    rc = rc ? rc : fold(a, dom, c, r);
    rc = rc ? rc : add_seen(a, c, r->seq, r->hash) ? 0 : PV_ENOMEM;
    rc = rc ? rc : transitions_row(a, pr);
    rc = rc ? rc : pv_domains_add(dom, r);
    if (rc)
        return PV_PG_FATAL;
    a->applied++;
    return 0;
}

/* ---- the batch tables ---- */

/* A timestamptz field, NO_TIME as NULL. */
static int f_tsn(pv_buf_t *b, int64_t ms, int last)
{
    return ms == NO_TIME ? pv_pg_copy_text_field(b, NULL, last) : f_ts(b, ms, last);
}

static int case_row(pv_buf_t *b, const bcase_t *c)
{
    const pv_record_t *l = c->last;
    int rc = pv_pg_copy_text_field(b, c->case_id, 0);
    rc = rc ? rc : pv_pg_copy_text_field(b, c->existed ? "t" : "f", 0);
    rc = rc ? rc : pv_pg_copy_text_field(b, l->case_type, 0);
    rc = rc ? rc : pv_pg_copy_int_field(b, l->def_version, 0);
    rc = rc ? rc : pv_pg_copy_text_field(b, l->new_state, 0);
    rc = rc ? rc : pv_pg_copy_text_field(b, l->assignee, 0);
    rc = rc ? rc : pv_pg_copy_text_field(b, l->office, 0);
    rc = rc ? rc : pv_pg_copy_int_field(b, (int64_t)l->seq, 0);
    rc = rc ? rc : pv_pg_copy_bytea_field(b, l->hash, PV_HASH_LEN, 0);
    rc = rc ? rc : pv_pg_copy_text_field(b, c->creator, 0);
    rc = rc ? rc : pv_pg_copy_text_field(b, c->creator_post, 0);
    rc = rc ? rc : f_tsn(b, c->created_at, 0);
    rc = rc ? rc : f_tsn(b, c->first_at, 0);
    rc = rc ? rc : f_tsn(b, l->accepted_at, 0);
    rc = rc ? rc : f_tsn(b, c->entered_at, 0);
    rc = rc ? rc : f_tsn(b, c->moved_at, 0);
    rc = rc ? rc : f_tsn(b, l->deadline ? l->deadline : NO_TIME, 0);
    /* a JSON number is numeric input as it is */
    rc = rc ? rc : pv_pg_copy_text_field(b, c->amount_json, 0);
    rc = rc ? rc : f_tsn(b, c->first_change_at, 0);
    rc = rc ? rc : pv_pg_copy_int_field(b, c->reassigns, 0);
    rc = rc ? rc : pv_pg_copy_text_field(b, c->reassigned_from, 1);
    return rc;
}

static int alert_row(pv_buf_t *b, const alert_t *al)
{
    const pv_record_t *r = al->r;
    int fork = strcmp(al->kind, "integrity.fork") == 0;
    int rc = pv_pg_copy_text_field(b, r->case_id, 0);
    rc = rc ? rc : pv_pg_copy_int_field(b, (int64_t)r->seq, 0);
    rc = rc ? rc : pv_pg_copy_text_field(b, al->kind, 0);
    rc = rc ? rc : pv_pg_copy_int_field(b, fork ? 0 : r->alert_level, 0);
    rc = rc ? rc : pv_pg_copy_text_field(b, fork ? "" : r->alert_target, 0);
    rc = rc ? rc : pv_pg_copy_text_field(b, r->new_state, 0);
    rc = rc ? rc : f_tsn(b, fork || !r->deadline ? NO_TIME : r->deadline, 0);
    rc = rc ? rc : f_tsn(b, r->accepted_at, 0);
    rc = rc ? rc : f_tsn(b, al->closed_at, 1);
    return rc;
}

static int batch_rows(pv_proj_apply_t *a)
{
    int rc = a->transitions.len ? pv_pg_bin_trailer(&a->transitions) : 0;
    for (bcase_t *c = a->first; c && rc == 0; c = c->next)
        if (c->applied)
            rc = case_row(&a->bcases, c);
    for (size_t i = 0; i < a->nalerts && rc == 0; i++)
        rc = alert_row(&a->balerts, &a->alerts[i]);
    return rc;
}

/* ---- the API ---- */

int pv_proj_apply_build(pv_proj_apply_t *a, pv_proj_state_t *st, pv_domains_t *dom, pv_pg_t *pg,
                        const pv_proj_rec_t *recs, size_t n, char *err, size_t errlen)
{
    reset(a);
    pv_domains_reset(dom);
    err[0] = '\0';
    if (collect_cases(a, recs, n) != 0) {
        snprintf(err, errlen, "out of memory");
        return PV_PG_FATAL;
    }
    int rc = pv_proj_state_load_cases(st, pg, a->ids, a->nids, err, errlen);
    rc = rc ? rc : pv_proj_state_load_partitions(st, pg, err, errlen);
    if (rc)
        return rc;
    if (take_heads(a, st) != 0) {
        snprintf(err, errlen, "out of memory (or a case missing from the projector's cache)");
        return PV_PG_FATAL;
    }
    for (size_t i = 0; i < n && rc == 0; i++) {
        if (!recs[i].rec)
            continue;
        if (recs[i].partition < 0 || recs[i].partition >= MAX_PARTITIONS) {
            snprintf(err, errlen, "partition %d out of range", recs[i].partition);
            return PV_PG_FATAL;
        }
        rc = one_record(a, dom, pg, st, &recs[i], a->rec_case[i], err, errlen);
        if (rc && !err[0])
            snprintf(err, errlen, "out of memory building the batch");
    }
    if (rc == 0 && batch_rows(a) != 0) {
        snprintf(err, errlen, "out of memory building the batch");
        rc = PV_PG_FATAL;
    }
    return rc;
}

static int copy_if(pv_pg_t *pg, const char *sql, const pv_buf_t *b, char *err, size_t errlen)
{
    return b->len ? pv_pg_copy(pg, sql, b->data, b->len, err, errlen) : 0;
}

int pv_proj_apply_copy(pv_proj_apply_t *a, pv_domains_t *dom, pv_pg_t *pg, char *err,
                       size_t errlen)
{
    int rc = copy_if(pg, COPY_TRANSITIONS, &a->transitions, err, errlen);
    rc = rc ? rc : copy_if(pg, "COPY pg_temp.pv_batch_cases FROM STDIN", &a->bcases, err, errlen);
    rc = rc ? rc : copy_if(pg, "COPY pg_temp.pv_batch_alerts FROM STDIN", &a->balerts, err, errlen);
    rc = rc ? rc
            : copy_if(pg,
                      "COPY pg_temp.pv_batch_findings (topic_partition, kafka_offset, kind, "
                      "case_id, seq, pseq, existing_hash, new_hash, detail) FROM STDIN",
                      &a->findings, err, errlen);
    rc = rc ? rc : pv_domains_copy(dom, pg, err, errlen);
    return rc;
}

static int hex_hash(pv_buf_t *b, const uint8_t *h)
{
    static const char hex[] = "0123456789abcdef";
    char s[2 * PV_HASH_LEN + 5] = "'\\x";
    for (int i = 0; i < PV_HASH_LEN; i++) {
        s[3 + 2 * i] = hex[h[i] >> 4];
        s[4 + 2 * i] = hex[h[i] & 15];
    }
    s[3 + 2 * PV_HASH_LEN] = '\'';
    return pv_buf_append(b, s, 4 + 2 * PV_HASH_LEN);
}

int pv_proj_apply_sql(const pv_proj_apply_t *a, pv_buf_t *sql)
{
    static const char head[] = "SELECT pravah.apply_batch();\n";
    int rc = pv_buf_append(sql, head, sizeof head - 1), any = 0;
    for (int32_t p = 0; p < MAX_PARTITIONS && rc == 0; p++) {
        const phead_t *h = &a->parts[p];
        if (!h->in_batch)
            continue;
        char line[160];
        int n = snprintf(line, sizeof line, "%s(%d, %llu, ", any ? ", " : "INSERT INTO "
                         "pravah.partition_heads AS h (topic_partition, pseq, phash, "
                         "kafka_offset, accepted_at) VALUES ", p,
                         (unsigned long long)h->max_pseq);
        rc = pv_buf_append(sql, line, (size_t)n);
        rc = rc ? rc : hex_hash(sql, h->max_phash);
        n = snprintf(line, sizeof line, ", %lld, pravah.ms_ts(%lld))", (long long)h->max_offset,
                     (long long)h->max_at);
        rc = rc ? rc : pv_buf_append(sql, line, (size_t)n);
        any = 1;
    }
    static const char tail[] =
        "\nON CONFLICT (topic_partition) DO UPDATE SET pseq = excluded.pseq, "
        "phash = excluded.phash, kafka_offset = excluded.kafka_offset, "
        "accepted_at = excluded.accepted_at WHERE excluded.pseq >= h.pseq;\n";
    if (rc == 0 && any)
        rc = pv_buf_append(sql, tail, sizeof tail - 1);
    return rc;
}

int pv_proj_apply_commit(pv_proj_apply_t *a, pv_proj_state_t *st)
{
    for (bcase_t *c = a->first; c; c = c->next) {
        if (!c->applied)
            continue;
        pv_case_head_t h = {.seq = c->seq, .deadline_ms = c->deadline, .state = c->state,
                            .assignee = c->assignee, .case_id = c->case_id};
        memcpy(h.last_hash, c->hash, PV_HASH_LEN);
        if (pv_proj_state_set_case(st, &h) != 0)
            return PV_ENOMEM;
    }
    for (int32_t p = 0; p < MAX_PARTITIONS; p++) {
        const phead_t *h = &a->parts[p];
        uint64_t pseq;
        uint8_t phash[PV_HASH_LEN];
        if (h->in_batch && (!pv_proj_state_partition(st, p, &pseq, phash) || h->max_pseq >= pseq))
            pv_proj_state_set_partition(st, p, h->max_pseq, h->max_phash);
    }
    return 0;
}

size_t pv_proj_apply_applied(const pv_proj_apply_t *a)
{
    return a->applied;
}
