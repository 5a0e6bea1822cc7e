/* Comparing replayed projections with the live ones. See replay_compare.h. */
#include <stdlib.h>
#include <string.h>

#include "projection_digest.h"
#include "replay_compare.h"

/* One difference kept for the detailed list. */
typedef struct diff_s {
    size_t table;
    pv_diff_kind_t kind;
    char *key;
} diff_t;

typedef struct compare_s {
    pv_digest_plan_t plan;
    diff_t *diffs;
    size_t ndiffs, maxdiffs, total; /* kept, at most kept, found */
    size_t table;                   /* the table being compared */
    int oom;
} compare_t;

static void on_diff(void *ctx, pv_diff_kind_t kind, const char *key)
{
    compare_t *c = ctx;
    c->total++;
    if (c->ndiffs >= c->maxdiffs)
        return;
    diff_t *d = &c->diffs[c->ndiffs];
    d->table = c->table;
    d->kind = kind;
    if (!(d->key = strdup(key))) {
        c->oom = 1;
        return;
    }
    c->ndiffs++;
}

static void hex(const uint8_t *p, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++)
        sprintf(out + 2 * i, "%02x", p[i]);
}

/* Both digests of one table; prints its line; adds its "name\trows\tsha\n" line to each side's
 * overall digest input. Returns 0 or -1 with err filled. */
static int compare_table(compare_t *c, pv_pg_t *live, pv_pg_t *replay, FILE *out,
                         pv_buf_t *all_live, pv_buf_t *all_replay, char *err, size_t errlen)
{
    const pv_digest_table_plan_t *t = &c->plan.tables[c->table];
    pv_table_digest_t a = {0}, b = {0};
    char ha[2 * PV_HASH_LEN + 1], hb[2 * PV_HASH_LEN + 1], line[512];
    char e[900];
    if (pv_table_digest_read(live, t, &a, e, sizeof e) != 0) {
        snprintf(err, errlen, "live database, table pravah.%s: %s", t->name, e);
        return -1;
    }
    if (pv_table_digest_read(replay, t, &b, e, sizeof e) != 0) {
        pv_table_digest_free(&a);
        snprintf(err, errlen, "replay database, table pravah.%s: %s", t->name, e);
        return -1;
    }
    size_t n = pv_table_digest_compare(&a, &b, on_diff, c);
    hex(a.sha, PV_HASH_LEN, ha);
    hex(b.sha, PV_HASH_LEN, hb);
    fprintf(out, "%-22s %10zu %10zu %10zu  %.16s\n", t->name, a.nrows, b.nrows, n, hb);
    int k = snprintf(line, sizeof line, "%s\t%zu\t%s\n", t->name, a.nrows, ha);
    int rc = pv_buf_append(all_live, line, (size_t)k);
    k = snprintf(line, sizeof line, "%s\t%zu\t%s\n", t->name, b.nrows, hb);
    rc = rc ? rc : pv_buf_append(all_replay, line, (size_t)k);
    pv_table_digest_free(&a);
    pv_table_digest_free(&b);
    if (rc || c->oom) {
        snprintf(err, errlen, "out of memory comparing pravah.%s", t->name);
        return -1;
    }
    return 0;
}

static const char *side(pv_diff_kind_t k)
{
    return k == PV_DIFF_LIVE_ONLY     ? "only in live"
           : k == PV_DIFF_REPLAY_ONLY ? "only in replay"
                                      : "differs";
}

/* The kept differences, with the columns of the rows that differ. */
static int print_diffs(compare_t *c, pv_pg_t *live, pv_pg_t *replay, FILE *out, char *err,
                       size_t errlen)
{
    char cols[2048], e[900];
    if (c->total)
        fprintf(out, "\ndifferences (%zu of %zu):\n", c->ndiffs, c->total);
    for (size_t i = 0; i < c->ndiffs; i++) {
        const diff_t *d = &c->diffs[i];
        const pv_digest_table_plan_t *t = &c->plan.tables[d->table];
        cols[0] = '\0';
        if (d->kind == PV_DIFF_CHANGED &&
            pv_digest_row_changes(live, replay, t, d->key, cols, sizeof cols, e, sizeof e) != 0) {
            snprintf(err, errlen, "reading pravah.%s %s: %s", t->name, d->key, e);
            return -1;
        }
        fprintf(out, "  %s %s: %s%s%s\n", t->name, d->key, side(d->kind), *cols ? ": " : "", cols);
    }
    return 0;
}

/* The excluded columns, once. */
static void print_excluded(const compare_t *c, FILE *out)
{
    int any = 0;
    for (size_t i = 0; i < c->plan.ntables; i++)
        if (*c->plan.tables[i].excluded) {
            fprintf(out, "%s%s", any ? ", " : "\nnot compared (wall clock, not journal): ",
                    c->plan.tables[i].excluded);
            any = 1;
        }
    if (any)
        fputc('\n', out);
}

static void print_summary(const compare_t *c, const pv_buf_t *all_live, const pv_buf_t *all_replay,
                          FILE *out)
{
    uint8_t h[PV_HASH_LEN];
    char hl[2 * PV_HASH_LEN + 1], hr[2 * PV_HASH_LEN + 1];
    pv_sha256(all_live->data, all_live->len, h);
    hex(h, PV_HASH_LEN, hl);
    pv_sha256(all_replay->data, all_replay->len, h);
    hex(h, PV_HASH_LEN, hr);
    fprintf(out, "\nlive digest:   %s\nreplay digest: %s\n", hl, hr);
    if (c->total)
        fprintf(out, "DIFFERENT: %zu differing rows in %zu tables compared\n", c->total,
                c->plan.ntables);
    else
        fprintf(out, "IDENTICAL: %zu tables compared\n", c->plan.ntables);
}

static int compare_all(compare_t *c, pv_pg_t *live, pv_pg_t *replay, FILE *out, char *err,
                       size_t errlen)
{
    pv_buf_t all_live, all_replay;
    int rc = 0;
    pv_buf_init(&all_live);
    pv_buf_init(&all_replay);
    fprintf(out, "%-22s %10s %10s %10s  %s\n", "table", "live", "replay", "differing",
            "replay digest");
    for (c->table = 0; c->table < c->plan.ntables && rc == 0; c->table++)
        rc = compare_table(c, live, replay, out, &all_live, &all_replay, err, errlen);
    if (rc == 0)
        rc = print_diffs(c, live, replay, out, err, errlen);
    if (rc == 0) {
        print_excluded(c, out);
        print_summary(c, &all_live, &all_replay, out);
    }
    pv_buf_close(&all_live);
    pv_buf_close(&all_replay);
    return rc;
}

int pv_replay_compare(pv_pg_t *live, pv_pg_t *replay, int max_diffs, FILE *out, char *err,
                      size_t errlen)
{
    compare_t c = {.maxdiffs = max_diffs > 0 ? (size_t)max_diffs : 0};
    char e[900];
    int rc = -1;
    if (pv_digest_plan_read(replay, &c.plan, e, sizeof e) != 0) {
        snprintf(err, errlen, "replay database: %s", e);
        return -1;
    }
    if (!(c.diffs = calloc(c.maxdiffs + 1, sizeof *c.diffs))) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    /* One snapshot of the live tables, however busy the live projector is. */
    if (pv_digest_session(live, e, sizeof e) != 0 || pv_digest_session(replay, e, sizeof e) != 0 ||
        pv_pg_exec(live, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", e, sizeof e) != 0 ||
        pv_pg_exec(replay, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", e, sizeof e) != 0) {
        snprintf(err, errlen, "preparing the sessions: %s", e);
        goto out;
    }
    rc = compare_all(&c, live, replay, out, err, errlen);
    pv_pg_exec(live, "COMMIT", e, sizeof e);
    pv_pg_exec(replay, "COMMIT", e, sizeof e);
    if (rc == 0)
        rc = c.total ? 1 : 0;
out:
    for (size_t i = 0; i < c.ndiffs; i++)
        free(c.diffs[i].key);
    free(c.diffs);
    pv_digest_plan_free(&c.plan);
    return rc;
}
