/* The projector's cached view of pravah.cases and pravah.partition_heads; see
 * projection_state.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "projection_state.h"
#include "pravah/buf.h"
#include "strmap.h"

#define MAX_PARTITIONS 256
#define DEFAULT_MAX_CASES 1000000

struct pv_proj_state_s {
    pv_strmap_t cases; /* case_id -> pv_case_head_t (one malloc each, strings inside) */
    size_t max_cases;
    int parts_loaded;
    uint8_t has_part[MAX_PARTITIONS];
    uint64_t part_pseq[MAX_PARTITIONS];
    uint8_t part_phash[MAX_PARTITIONS][PV_HASH_LEN];
    pv_buf_t ids; /* the text[] literal of a load */
    int bad_row;  /* a load met a row it could not read */
};

pv_proj_state_t *pv_proj_state_new(size_t max_cases)
{
    pv_proj_state_t *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    pv_strmap_init(&s->cases);
    pv_buf_init(&s->ids);
    s->max_cases = max_cases ? max_cases : DEFAULT_MAX_CASES;
    return s;
}

static void free_cases(pv_proj_state_t *s)
{
    for (size_t i = 0; i < s->cases.cap; i++)
        if (s->cases.slots[i].key)
            free(s->cases.slots[i].value);
    pv_strmap_clear(&s->cases);
}

void pv_proj_state_free(pv_proj_state_t *s)
{
    if (!s)
        return;
    free_cases(s);
    pv_strmap_close(&s->cases);
    pv_buf_close(&s->ids);
    free(s);
}

void pv_proj_state_clear(pv_proj_state_t *s)
{
    free_cases(s);
    s->parts_loaded = 0;
    memset(s->has_part, 0, sizeof s->has_part);
}

int pv_proj_state_over(const pv_proj_state_t *s)
{
    return s->cases.len > s->max_cases / 5 * 4;
}

/* ---- cases ---- */

static pv_case_head_t *new_head(const pv_case_head_t *h)
{
    size_t a = strlen(h->case_id) + 1, b = strlen(h->state) + 1, c = strlen(h->assignee) + 1;
    pv_case_head_t *e = malloc(sizeof *e + a + b + c);
    if (!e)
        return NULL;
    char *p = (char *)(e + 1);
    *e = *h;
    e->case_id = memcpy(p, h->case_id, a);
    e->state = memcpy(p + a, h->state, b);
    e->assignee = memcpy(p + a + b, h->assignee, c);
    return e;
}

int pv_proj_state_set_case(pv_proj_state_t *s, const pv_case_head_t *h)
{
    pv_case_head_t *e = new_head(h);
    pv_case_head_t *old = pv_strmap_get(&s->cases, h->case_id);
    if (!e || pv_strmap_put(&s->cases, e->case_id, e) != 0) {
        free(e);
        pv_proj_state_clear(s);
        return PV_ENOMEM;
    }
    free(old); /* its key was replaced by e's in the slot */
    return 0;
}

const pv_case_head_t *pv_proj_state_case(const pv_proj_state_t *s, const char *case_id)
{
    return pv_strmap_get(&s->cases, case_id);
}

static int hex_nibble(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* bytea in PostgreSQL's hex output ("\x" and 64 digits) -> 32 bytes. */
static int parse_hash(const char *t, uint8_t out[PV_HASH_LEN])
{
    if (!t || strlen(t) != 2 + 2 * PV_HASH_LEN || t[0] != '\\' || t[1] != 'x')
        return -1;
    for (size_t i = 0; i < PV_HASH_LEN; i++) {
        int hi = hex_nibble(t[2 + 2 * i]), lo = hex_nibble(t[3 + 2 * i]);
        if (hi < 0 || lo < 0)
            return -1;
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    return 0;
}

/* One row of the load: case_id, seq, last_hash, state, assignee, deadline in ms. */
static int case_row_cb(void *ctx, int ncols, const char *const *v)
{
    pv_proj_state_t *s = ctx;
    pv_case_head_t h = {0};
    if (ncols != 6 || !v[0] || !v[1] || !v[3] || !v[4] || parse_hash(v[2], h.last_hash) != 0) {
        s->bad_row = 1;
        return 1;
    }
    h.case_id = v[0];
    h.seq = strtoull(v[1], NULL, 10);
    h.state = v[3];
    h.assignee = v[4];
    h.deadline_ms = v[5] ? strtoll(v[5], NULL, 10) : 0;
    if (pv_proj_state_set_case(s, &h) != 0)
        s->bad_row = 1;
    return s->bad_row;
}

/* ids as a text[] literal: {"a","b"} with " and \ escaped. */
static int ids_literal(pv_buf_t *b, const char *const *ids, size_t n)
{
    int rc = pv_buf_append(b, "{", 1);
    for (size_t i = 0; i < n && rc == 0; i++) {
        rc = pv_buf_append(b, i ? ",\"" : "\"", i ? 2 : 1);
        for (const char *p = ids[i]; *p && rc == 0; p++) {
            if (*p == '"' || *p == '\\')
                rc = pv_buf_append(b, "\\", 1);
            rc = rc ? rc : pv_buf_append(b, p, 1);
        }
        rc = rc ? rc : pv_buf_append(b, "\"", 1);
    }
    return rc ? rc : pv_buf_append(b, "}", 2); /* with the NUL */
}

int pv_proj_state_load_cases(pv_proj_state_t *s, pv_pg_t *pg, const char *const *ids, size_t n,
                             char *err, size_t errlen)
{
    size_t missing = 0;
    for (size_t i = 0; i < n; i++)
        missing += pv_proj_state_case(s, ids[i]) == NULL;
    if (!missing)
        return 0;
    if (s->cases.len + missing > s->max_cases)
        free_cases(s); /* bounded memory: start again from what the batch needs */
    pv_buf_reset(&s->ids);
    const char **want = malloc(n * sizeof *want);
    size_t m = 0;
    if (!want) {
        snprintf(err, errlen, "out of memory");
        return PV_PG_FATAL;
    }
    for (size_t i = 0; i < n; i++)
        if (!pv_proj_state_case(s, ids[i]))
            want[m++] = ids[i];
    int rc = ids_literal(&s->ids, want, m);
    if (rc != 0) {
        free(want);
        snprintf(err, errlen, "out of memory");
        return PV_PG_FATAL;
    }
    const char *params[] = {(const char *)s->ids.data};
    s->bad_row = 0;
    rc = pv_pg_query(pg,
                     "SELECT case_id, seq, last_hash, state, assignee, "
                     "(extract(epoch FROM deadline) * 1000)::bigint "
                     "FROM pravah.cases WHERE case_id = ANY ($1::text[])",
                     1, params, case_row_cb, s, err, errlen);
    if (rc == 0 && s->bad_row) {
        snprintf(err, errlen, "pravah.cases: a row the projector cannot read (or out of memory)");
        rc = PV_PG_FATAL;
    }
    for (size_t i = 0; i < m && rc == 0; i++) {
        if (pv_proj_state_case(s, want[i]))
            continue;
        pv_case_head_t none = {.case_id = want[i], .state = "", .assignee = ""};
        if (pv_proj_state_set_case(s, &none) != 0) {
            snprintf(err, errlen, "out of memory");
            rc = PV_PG_FATAL;
        }
    }
    free(want);
    return rc;
}

/* ---- partitions ---- */

static int part_row_cb(void *ctx, int ncols, const char *const *v)
{
    pv_proj_state_t *s = ctx;
    uint8_t h[PV_HASH_LEN];
    if (ncols != 3 || !v[0] || !v[1] || parse_hash(v[2], h) != 0)
        return 1;
    long p = strtol(v[0], NULL, 10);
    if (p >= 0 && p < MAX_PARTITIONS)
        pv_proj_state_set_partition(s, (int32_t)p, strtoull(v[1], NULL, 10), h);
    return 0;
}

int pv_proj_state_load_partitions(pv_proj_state_t *s, pv_pg_t *pg, char *err, size_t errlen)
{
    if (s->parts_loaded)
        return 0;
    memset(s->has_part, 0, sizeof s->has_part);
    int rc = pv_pg_query(pg, "SELECT topic_partition, pseq, phash FROM pravah.partition_heads", 0,
                         NULL, part_row_cb, s, err, errlen);
    s->parts_loaded = rc == 0;
    return rc;
}

int pv_proj_state_partition(const pv_proj_state_t *s, int32_t partition, uint64_t *pseq,
                            uint8_t phash[PV_HASH_LEN])
{
    if (partition < 0 || partition >= MAX_PARTITIONS || !s->has_part[partition])
        return 0;
    *pseq = s->part_pseq[partition];
    memcpy(phash, s->part_phash[partition], PV_HASH_LEN);
    return 1;
}

void pv_proj_state_set_partition(pv_proj_state_t *s, int32_t partition, uint64_t pseq,
                                 const uint8_t phash[PV_HASH_LEN])
{
    if (partition < 0 || partition >= MAX_PARTITIONS)
        return;
    s->has_part[partition] = 1;
    s->part_pseq[partition] = pseq;
    memcpy(s->part_phash[partition], phash, PV_HASH_LEN);
}

/* ---- the rare lookup ---- */

typedef struct stored_s {
    uint8_t *out;
    int found;
} stored_t;

static int stored_cb(void *ctx, int ncols, const char *const *v)
{
    stored_t *st = ctx;
    if (ncols == 1 && parse_hash(v[0], st->out) == 0)
        st->found = 1;
    return 0;
}

int pv_proj_state_stored_hash(pv_pg_t *pg, const char *case_id, uint64_t seq,
                              uint8_t out[PV_HASH_LEN], char *err, size_t errlen)
{
    char seqs[24];
    stored_t st = {out, 0};
    snprintf(seqs, sizeof seqs, "%llu", (unsigned long long)seq);
    const char *params[] = {case_id, seqs};
    int rc = pv_pg_query(pg,
                         "SELECT hash FROM pravah.transitions WHERE case_id = $1 AND seq = $2",
                         2, params, stored_cb, &st, err, errlen);
    return rc ? -rc : st.found;
}
