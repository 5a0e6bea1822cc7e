/* `pravah demo`: the rejections. The generator marks the events that must fail (`expect`); the
 * demo remembers their (case id, event id), then reads the rejected topic (the advancer's
 * verdicts with `pravah-reason-*` headers; PostgreSQL has no rejections) and prints them by
 * reason, next to what each was expected to fail for, and any attempt that was accepted. */
#include <stdlib.h>
#include <string.h>

#include "demo.h"
#include "kafka.h"

#define BUCKETS 4096
#define MAX_ROWS 64

typedef struct expect_entry_s {
    char *key; /* "case id\nevent id" */
    char *why;
    int seen; /* a rejection for it was found */
    struct expect_entry_s *next;
} expect_entry_t;

struct pv_demo_expect_s {
    expect_entry_t *b[BUCKETS];
};

static unsigned long fnv(const char *s, size_t n)
{
    unsigned long h = 1469598103934665603ul;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 1099511628211ul;
    return h;
}

static char *join_key(const char *key, size_t key_len, const char *id, size_t id_len)
{
    char *k = malloc(key_len + id_len + 2);
    if (k) {
        memcpy(k, key, key_len);
        k[key_len] = '\n';
        memcpy(k + key_len + 1, id, id_len);
        k[key_len + 1 + id_len] = '\0';
    }
    return k;
}

void pv_demo_expect_add(pv_demo_t *d, const char *key, size_t key_len, const char *id,
                        size_t id_len, const char *why)
{
    if (!d->expect && !(d->expect = calloc(1, sizeof *d->expect)))
        return;
    expect_entry_t *e = calloc(1, sizeof *e);
    if (!e || !(e->key = join_key(key, key_len, id, id_len)) || !(e->why = strdup(why))) {
        if (e)
            free(e->key);
        free(e);
        return;
    }
    expect_entry_t **slot = &d->expect->b[fnv(e->key, strlen(e->key)) % BUCKETS];
    e->next = *slot;
    *slot = e;
}

static expect_entry_t *expect_find(pv_demo_t *d, const char *k)
{
    if (!d->expect)
        return NULL;
    for (expect_entry_t *e = d->expect->b[fnv(k, strlen(k)) % BUCKETS]; e; e = e->next)
        if (strcmp(e->key, k) == 0)
            return e;
    return NULL;
}

void pv_demo_expect_free(pv_demo_t *d)
{
    for (int i = 0; d->expect && i < BUCKETS; i++)
        for (expect_entry_t *e = d->expect->b[i], *next; e; e = next) {
            next = e->next;
            free(e->key);
            free(e->why);
            free(e);
        }
    free(d->expect);
    d->expect = NULL;
}

/* ---- reading the rejected topic ---- */

typedef struct reason_row_s {
    char code[48];
    char why[96];      /* what the generator expected, "" when it expected acceptance */
    char example[160]; /* case: message, of the first one */
    long count;
} reason_row_t;

typedef struct reading_s {
    pv_demo_t *d;
    reason_row_t rows[MAX_ROWS];
    int nrows;
    long total;
} reading_t;

static const char *hdr(const pv_kafka_msg_t *m, const char *name, int *len)
{
    for (size_t i = 0; i < m->nheaders; i++)
        if (strcmp(m->headers[i].key, name) == 0) {
            *len = (int)m->headers[i].value_len;
            return m->headers[i].value;
        }
    *len = 0;
    return "";
}

static reason_row_t *reason_row(reading_t *r, const char *code, int code_len, const char *why)
{
    for (int i = 0; i < r->nrows; i++)
        if ((int)strlen(r->rows[i].code) == code_len &&
            strncmp(r->rows[i].code, code, (size_t)code_len) == 0 &&
            strcmp(r->rows[i].why, why) == 0)
            return &r->rows[i];
    if (r->nrows == MAX_ROWS)
        return &r->rows[MAX_ROWS - 1]; /* more combinations than rows: counted in the last */
    reason_row_t *row = &r->rows[r->nrows++];
    snprintf(row->code, sizeof row->code, "%.*s", code_len, code);
    snprintf(row->why, sizeof row->why, "%s", why);
    return row;
}

static int rejected_cb(void *ctx, const pv_kafka_msg_t *m)
{
    reading_t *r = ctx;
    int code_len, id_len, msg_len;
    const char *code = hdr(m, "pravah-reason-code", &code_len);
    const char *id = hdr(m, "ce_id", &id_len);
    const char *text = hdr(m, "pravah-reason-message", &msg_len);
    char *k = join_key(m->key ? m->key : "", m->key ? m->key_len : 0, id, (size_t)id_len);
    expect_entry_t *e = k ? expect_find(r->d, k) : NULL;
    free(k);
    if (e)
        e->seen = 1;
    reason_row_t *row = reason_row(r, code, code_len, e ? e->why : "");
    if (row->count++ == 0)
        snprintf(row->example, sizeof row->example, "%.*s: %.*s", (int)(m->key ? m->key_len : 0),
                 m->key ? (const char *)m->key : "", msg_len, text);
    r->total++;
    return 0;
}

static int by_count(const void *a, const void *b)
{
    const reason_row_t *x = a, *y = b;
    int c = strcmp(x->code, y->code);
    return c ? c : (y->count > x->count) - (y->count < x->count);
}

/* Expected to fail but accepted, by expectation; returns how many. */
static long print_missed(pv_demo_t *d)
{
    long missed = 0;
    for (int i = 0; d->expect && i < BUCKETS; i++)
        for (expect_entry_t *e = d->expect->b[i]; e; e = e->next)
            if (!e->seen && missed++ < 5)
                printf("  NOT REJECTED (expected: %s): case %.*s, event %s\n", e->why,
                       (int)strcspn(e->key, "\n"), e->key, e->key + strcspn(e->key, "\n") + 1);
    return missed;
}

/* Prints the rejections by reason; returns the number of attempts expected to fail that were
 * not rejected (0 is what must happen), or -1 when the topic cannot be read. */
long pv_demo_rejections_print(pv_demo_t *d)
{
    static reading_t r;
    char err[512];
    pv_kv_t props[] = {{"bootstrap.servers", d->bootstrap}, {"log_level", "3"}};
    memset(&r, 0, sizeof r);
    r.d = d;
    int n = pv_producer_partitions(d->producer, "pravah.rejected", 10000);
    for (int p = 0; p < n; p++)
        if (pv_partition_read(props, 2, "pravah.rejected", p, rejected_cb, &r, err, sizeof err) <
            0) {
            fprintf(stderr, "pravah demo: reading pravah.rejected: %s\n", err);
            return -1;
        }
    qsort(r.rows, (size_t)r.nrows, sizeof *r.rows, by_count);
    printf("\nRejections by reason (topic pravah.rejected: %ld events, each kept with its bytes "
           "and reason)\n",
           r.total);
    printf("  %-20s %8s  %-34s %s\n", "reason", "events", "expected by the generator as",
           "first example (case: message)");
    for (int i = 0; i < r.nrows; i++)
        printf("  %-20s %8ld  %-34.34s %.110s\n", r.rows[i].code, r.rows[i].count,
               r.rows[i].why[0] ? r.rows[i].why : "(expected to pass)", r.rows[i].example);
    if (r.nrows == 0)
        printf("  (none)\n");
    long missed = print_missed(d);
    if (missed)
        printf("  %ld attempts that had to fail were accepted\n", missed);
    else if (d->n.expected_fail)
        printf("  all %lld attempts that had to fail were rejected\n", d->n.expected_fail);
    return missed;
}
