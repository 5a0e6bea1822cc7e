/* Per-row digests of the projections and their comparison. See projection_digest.h. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pravah/buf.h"
#include "projection_digest.h"

/* Tables, compared columns, left-out columns (wall clock or sequence defaults) and the primary
 * key of every base table of schema pravah except the projector's bookkeeping. */
static const char plan_sql[] =
    "SELECT c.relname,\n"
    "  coalesce(string_agg(a.attname, ',' ORDER BY a.attnum) FILTER (WHERE NOT x.clock), ''),\n"
    "  coalesce(string_agg(c.relname || '.' || a.attname, ', ' ORDER BY a.attnum)\n"
    "           FILTER (WHERE x.clock), ''),\n"
    "  coalesce((SELECT string_agg(ka.attname, ',' ORDER BY k.ord) FROM pg_index i\n"
    "     CROSS JOIN LATERAL unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord)\n"
    "     JOIN pg_attribute ka ON ka.attrelid = i.indrelid AND ka.attnum = k.attnum\n"
    "     WHERE i.indrelid = c.oid AND i.indisprimary), '')\n"
    "FROM pg_class c\n"
    "JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = 'pravah'\n"
    "JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped\n"
    "LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum\n"
    "CROSS JOIN LATERAL (SELECT a.attidentity <> '' OR coalesce(pg_get_expr(d.adbin, "
    "d.adrelid), '')\n"
    "  ~* '(now\\(\\)|clock_timestamp|nextval|current_timestamp|statement_timestamp)' AS clock) x\n"
    "WHERE c.relkind IN ('r', 'p')\n"
    "  AND c.relname NOT IN ('staging_records', 'projector_offsets', 'schema_migrations')\n"
    "GROUP BY c.oid, c.relname ORDER BY c.relname COLLATE \"C\"";

/* printf onto a buffer. Returns 0 or PV_ENOMEM. */
static int buf_printf(pv_buf_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int buf_printf(pv_buf_t *b, const char *fmt, ...)
{
    char small[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0)
        return PV_EINVAL;
    if ((size_t)n < sizeof small)
        return pv_buf_append(b, small, (size_t)n);
    char *big = malloc((size_t)n + 1);
    if (!big)
        return PV_ENOMEM;
    va_start(ap, fmt);
    vsnprintf(big, (size_t)n + 1, fmt, ap);
    va_end(ap);
    int rc = pv_buf_append(b, big, (size_t)n);
    free(big);
    return rc;
}

/* "name" with quotes doubled. */
static int append_ident(pv_buf_t *b, const char *name)
{
    int rc = pv_buf_append(b, "\"", 1);
    for (const char *p = name; *p && rc == 0; p++)
        rc = *p == '"' ? pv_buf_append(b, "\"\"", 2) : pv_buf_append(b, p, 1);
    return rc ? rc : pv_buf_append(b, "\"", 1);
}

/* Splits "a,b,c" into a NULL-terminated array of copies; *n gets the count. */
static char **split_names(const char *s, size_t *n)
{
    size_t cap = 1;
    for (const char *p = s; *p; p++)
        cap += *p == ',';
    char **v = calloc(cap + 1, sizeof *v);
    *n = 0;
    for (const char *p = s; v && *s;) {
        size_t len = strcspn(p, ",");
        if (!(v[*n] = strndup(p, len)))
            return v; /* caller sees a short list and fails on the SQL */
        (*n)++;
        if (!p[len])
            break;
        p += len + 1;
    }
    return v;
}

/* ROW("k1", "k2")::text, or the whole row when the table has no primary key. */
static char *key_sql(const char *pk, char *const *cols, size_t ncols)
{
    pv_buf_t b;
    size_t nk = 0;
    char **keys = *pk ? split_names(pk, &nk) : NULL;
    char *const *k = keys ? keys : cols;
    size_t n = keys ? nk : ncols;
    pv_buf_init(&b);
    int rc = pv_buf_append(&b, "ROW(", 4);
    for (size_t i = 0; i < n && rc == 0; i++) {
        rc = i ? pv_buf_append(&b, ", ", 2) : 0;
        rc = rc ? rc : append_ident(&b, k[i]);
    }
    rc = rc ? rc : pv_buf_append(&b, ")::text", 8); /* with its NUL */
    for (size_t i = 0; keys && i < nk; i++)
        free(keys[i]);
    free(keys);
    if (rc) {
        pv_buf_close(&b);
        return NULL;
    }
    return (char *)b.data; /* NUL-terminated: the buffer owns its bytes until here */
}

static int plan_row_cb(void *ctx, int ncols, const char *const *v)
{
    pv_digest_plan_t *plan = ctx;
    if (ncols < 4)
        return 1;
    pv_digest_table_plan_t *t = realloc(plan->tables, (plan->ntables + 1) * sizeof *t);
    if (!t)
        return 1;
    plan->tables = t;
    t = &plan->tables[plan->ntables++];
    memset(t, 0, sizeof *t);
    t->name = strdup(v[0]);
    t->cols = split_names(v[1], &t->ncols);
    t->excluded = strdup(v[2]);
    t->key_sql = t->cols ? key_sql(v[3], t->cols, t->ncols) : NULL;
    return !t->name || !t->cols || !t->excluded || !t->key_sql;
}

int pv_digest_plan_read(pv_pg_t *pg, pv_digest_plan_t *plan, char *err, size_t errlen)
{
    pv_digest_plan_t p = {0};
    int rc = pv_pg_query(pg, plan_sql, 0, NULL, plan_row_cb, &p, err, errlen);
    if (rc == 0 && p.ntables == 0) {
        snprintf(err, errlen, "schema pravah has no tables (migrations not applied?)");
        rc = -1;
    }
    for (size_t i = 0; rc == 0 && i < p.ntables; i++)
        if (!p.tables[i].key_sql) {
            snprintf(err, errlen, "out of memory reading the tables of schema pravah");
            rc = -1;
        }
    if (rc != 0) {
        pv_digest_plan_free(&p);
        return -1;
    }
    *plan = p;
    return 0;
}

void pv_digest_plan_free(pv_digest_plan_t *plan)
{
    for (size_t i = 0; i < plan->ntables; i++) {
        pv_digest_table_plan_t *t = &plan->tables[i];
        for (size_t c = 0; t->cols && c < t->ncols; c++)
            free(t->cols[c]);
        free(t->cols);
        free(t->name);
        free(t->key_sql);
        free(t->excluded);
    }
    free(plan->tables);
    plan->tables = NULL;
    plan->ntables = 0;
}

int pv_digest_session(pv_pg_t *pg, char *err, size_t errlen)
{
    return pv_pg_exec(pg,
                      "SET TimeZone = 'UTC'; SET DateStyle = 'ISO, YMD'; "
                      "SET IntervalStyle = 'postgres'; SET bytea_output = 'hex'; "
                      "SET extra_float_digits = 1",
                      err, errlen);
}

/* ---- one table ---- */

/* SELECT <key>, md5(ROW(cols)::text) FROM pravah."t"; or, with `where`, the columns as text of
 * the row whose key is $1. */
static char *table_sql(const pv_digest_table_plan_t *t, int by_key)
{
    pv_buf_t b;
    pv_buf_init(&b);
    int rc = by_key ? pv_buf_append(&b, "SELECT ", 7)
                    : buf_printf(&b, "SELECT %s, md5(ROW(", t->key_sql);
    for (size_t i = 0; i < t->ncols && rc == 0; i++) {
        rc = i ? pv_buf_append(&b, ", ", 2) : 0;
        rc = rc ? rc : append_ident(&b, t->cols[i]);
        rc = rc ? rc : by_key ? pv_buf_append(&b, "::text", 6) : 0;
    }
    rc = rc ? rc
            : pv_buf_append(&b, by_key ? " FROM pravah." : ")::text) FROM pravah.",
                            by_key ? 13 : 21);
    rc = rc ? rc : append_ident(&b, t->name);
    if (by_key)
        rc = rc ? rc : buf_printf(&b, " WHERE %s = $1", t->key_sql);
    rc = rc ? rc : pv_buf_append(&b, "", 1);
    if (rc) {
        pv_buf_close(&b);
        return NULL;
    }
    return (char *)b.data;
}

typedef struct read_ctx_s {
    pv_table_digest_t d;
    int failed; /* out of memory, or a NULL key or md5 */
} read_ctx_t;

static int digest_row_cb(void *ctx, int ncols, const char *const *v)
{
    read_ctx_t *c = ctx;
    pv_table_digest_t *d = &c->d;
    c->failed = 1;
    if (ncols < 2 || !v[0] || !v[1])
        return 1;
    if ((d->nrows & (d->nrows - 1)) == 0) { /* capacity doubles at powers of two */
        pv_digest_row_t *r = realloc(d->rows, (d->nrows ? d->nrows * 2 : 1) * sizeof *r);
        if (!r)
            return 1;
        d->rows = r;
    }
    pv_digest_row_t *r = &d->rows[d->nrows];
    if (!(r->key = strdup(v[0])))
        return 1;
    snprintf(r->md5, sizeof r->md5, "%s", v[1]);
    d->nrows++;
    c->failed = 0;
    return 0;
}

static int by_key(const void *a, const void *b)
{
    const pv_digest_row_t *x = a, *y = b;
    int c = strcmp(x->key, y->key);
    return c ? c : strcmp(x->md5, y->md5);
}

/* SHA-256 of the "key\tmd5\n" lines in order. */
static int table_sha(pv_table_digest_t *d)
{
    pv_buf_t b;
    int rc = 0;
    pv_buf_init(&b);
    for (size_t i = 0; i < d->nrows && rc == 0; i++)
        rc = buf_printf(&b, "%s\t%s\n", d->rows[i].key, d->rows[i].md5);
    if (rc == 0)
        pv_sha256(b.data ? (const void *)b.data : "", b.len, d->sha); /* empty: no NULL */
    pv_buf_close(&b);
    return rc;
}

/* Runs sql through a cursor, FETCH_ROWS rows at a time, so that libpq never holds more than
 * that many rows (the table's digest rows are all kept: see projection_digest.h). */
#define FETCH_ROWS 20000
static int fetch_rows(pv_pg_t *pg, const char *sql, read_ctx_t *c, char *err, size_t errlen)
{
    char e2[256], fetch[64];
    size_t n = strlen(sql) + 64;
    char *declare = malloc(n);
    if (!declare) {
        snprintf(err, errlen, "out of memory");
        return PV_PG_FATAL;
    }
    snprintf(declare, n, "DECLARE pv_digest NO SCROLL CURSOR FOR %s", sql);
    snprintf(fetch, sizeof fetch, "FETCH %d FROM pv_digest", FETCH_ROWS);
    int rc = pv_pg_exec(pg, declare, err, errlen);
    free(declare);
    for (size_t before = SIZE_MAX; rc == 0 && !c->failed && before != c->d.nrows;) {
        before = c->d.nrows;
        rc = pv_pg_query(pg, fetch, 0, NULL, digest_row_cb, c, err, errlen);
    }
    if (rc == 0)
        rc = pv_pg_exec(pg, "CLOSE pv_digest", err, errlen);
    else if (pv_pg_is_connected(pg))
        pv_pg_exec(pg, "CLOSE pv_digest", e2, sizeof e2);
    return rc;
}

int pv_table_digest_read(pv_pg_t *pg, const pv_digest_table_plan_t *t, pv_table_digest_t *out,
                         char *err, size_t errlen)
{
    read_ctx_t c = {0};
    char *sql = table_sql(t, 0);
    if (!sql) {
        snprintf(err, errlen, "%s: out of memory", t->name);
        return PV_PG_FATAL;
    }
    int rc = fetch_rows(pg, sql, &c, err, errlen);
    free(sql);
    if (rc == 0 && c.failed) {
        snprintf(err, errlen, "%s: out of memory reading its rows", t->name);
        rc = PV_PG_FATAL;
    }
    if (rc == 0) {
        if (c.d.nrows > 1)
            qsort(c.d.rows, c.d.nrows, sizeof *c.d.rows, by_key);
        if (table_sha(&c.d) != 0) {
            snprintf(err, errlen, "%s: out of memory", t->name);
            rc = PV_PG_FATAL;
        }
    }
    if (rc != 0) {
        pv_table_digest_free(&c.d);
        return rc;
    }
    *out = c.d;
    return 0;
}

void pv_table_digest_free(pv_table_digest_t *d)
{
    for (size_t i = 0; i < d->nrows; i++)
        free(d->rows[i].key);
    free(d->rows);
    d->rows = NULL;
    d->nrows = 0;
}

size_t pv_table_digest_compare(const pv_table_digest_t *live, const pv_table_digest_t *replay,
                               pv_digest_diff_cb cb, void *ctx)
{
    size_t i = 0, j = 0, n = 0;
    while (i < live->nrows || j < replay->nrows) {
        int c = i == live->nrows     ? 1
                : j == replay->nrows ? -1
                                     : strcmp(live->rows[i].key, replay->rows[j].key);
        if (c == 0 && strcmp(live->rows[i].md5, replay->rows[j].md5) == 0) {
            i++, j++;
            continue;
        }
        n++;
        if (cb)
            cb(ctx,
               c < 0   ? PV_DIFF_LIVE_ONLY
               : c > 0 ? PV_DIFF_REPLAY_ONLY
                       : PV_DIFF_CHANGED,
               c <= 0 ? live->rows[i].key : replay->rows[j].key);
        i += c <= 0;
        j += c >= 0;
    }
    return n;
}

/* ---- the columns of one differing row ---- */

typedef struct row_vals_s {
    char **v;
    size_t n;
    int found;
} row_vals_t;

static int vals_cb(void *ctx, int ncols, const char *const *v)
{
    row_vals_t *r = ctx;
    r->v = calloc((size_t)ncols, sizeof *r->v);
    if (!r->v)
        return 1;
    r->n = (size_t)ncols;
    r->found = 1;
    for (int i = 0; i < ncols; i++)
        r->v[i] = v[i] ? strdup(v[i]) : NULL;
    return 1;
}

static void vals_free(row_vals_t *r)
{
    for (size_t i = 0; i < r->n; i++)
        free(r->v[i]);
    free(r->v);
}

/* Appends "col: live 'x', replay 'y'" (NULL as NULL, values cut at 60 bytes). */
static void describe(char *out, size_t outlen, const char *col, const char *a, const char *b)
{
    size_t len = strlen(out);
    if (len + 1 >= outlen)
        return;
    snprintf(out + len, outlen - len, "%s%s: live %s%.60s%s, replay %s%.60s%s", len ? "; " : "",
             col, a ? "'" : "", a ? a : "NULL", a ? "'" : "", b ? "'" : "", b ? b : "NULL",
             b ? "'" : "");
}

int pv_digest_row_changes(pv_pg_t *live, pv_pg_t *replay, const pv_digest_table_plan_t *t,
                          const char *key, char *out, size_t outlen, char *err, size_t errlen)
{
    row_vals_t a = {0}, b = {0};
    const char *params[] = {key};
    char *sql = table_sql(t, 1);
    int rc = sql ? 0 : PV_PG_FATAL;
    rc = rc ? rc : pv_pg_query(live, sql, 1, params, vals_cb, &a, err, errlen);
    rc = rc ? rc : pv_pg_query(replay, sql, 1, params, vals_cb, &b, err, errlen);
    free(sql);
    out[0] = '\0';
    for (size_t i = 0; rc == 0 && i < t->ncols && i < a.n && i < b.n; i++) {
        const char *x = a.v[i], *y = b.v[i];
        if ((x == NULL) != (y == NULL) || (x && strcmp(x, y) != 0))
            describe(out, outlen, t->cols[i], x, y);
    }
    vals_free(&a);
    vals_free(&b);
    return rc;
}
