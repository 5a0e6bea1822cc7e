/* `pravah demo`: the rejections. The generator marks the events that must fail (`expect`); the
 * demo remembers their (case id, event id), then reads the rejected topic (the advancer's
 * verdicts with `pravah-reason-*` headers; PostgreSQL has no rejections) and prints them by
 * reason, next to what each was expected to fail for. The comparison is exact: an attempt that
 * was accepted, one refused for another reason and a refusal nobody expected are mismatches.
 *
 * A script (--script) that marks no event has nothing to compare: its rejections are shown only.
 *
 * The same (case id, event id) may be marked more than once: a redelivery sent twice is two
 * duplicates with the bytes of the one accepted event. An entry therefore counts how many
 * rejections it expects and how many it got. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "demo.h"
#include "kafka.h"

#define BUCKETS 4096
#define MAX_ROWS 64
#define MAX_SHOWN 5 /* mismatches printed in full: refusals not marked so, then acceptances */

typedef struct expect_entry_s {
    char *key; /* "case id\nevent id" */
    char *why;
    int expected; /* events marked with this key (all with the same reason) */
    int seen;     /* rejections found for it */
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

static bool same_why(const expect_entry_t *e, const char *why, size_t why_len)
{
    return strlen(e->why) == why_len && strncmp(e->why, why, why_len) == 0;
}

/* The entry marked for key k with reason why; NULL when there is none. */
static expect_entry_t *expect_same(pv_demo_t *d, const char *k, const char *why)
{
    if (!d->expect)
        return NULL;
    for (expect_entry_t *e = d->expect->b[fnv(k, strlen(k)) % BUCKETS]; e; e = e->next)
        if (strcmp(e->key, k) == 0 && same_why(e, why, strlen(why)))
            return e;
    return NULL;
}

/* The entry a rejection of key k for reason `code` settles: one marked with that reason that
 * still expects a rejection, else any that still does (refused for another reason). NULL: the
 * rejection was not expected (unmarked, or more rejections than marked events). */
static expect_entry_t *expect_owed(pv_demo_t *d, const char *k, const char *code, size_t code_len)
{
    expect_entry_t *other = NULL;
    if (!d->expect)
        return NULL;
    for (expect_entry_t *e = d->expect->b[fnv(k, strlen(k)) % BUCKETS]; e; e = e->next) {
        if (strcmp(e->key, k) != 0 || e->seen >= e->expected)
            continue;
        if (same_why(e, code, code_len))
            return e;
        if (!other)
            other = e;
    }
    return other;
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
    expect_entry_t *same = expect_same(d, e->key, why);
    if (same) { /* the same attempt sent again (a redelivery): one more rejection owed */
        same->expected++;
        free(e->key);
        free(e->why);
        free(e);
        return;
    }
    expect_entry_t **slot = &d->expect->b[fnv(e->key, strlen(e->key)) % BUCKETS];
    e->expected = 1;
    e->next = *slot;
    *slot = e;
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
    long wrong;                 /* refused, but for another reason than the one marked */
    long unexpected;            /* refused, but not marked (or more often than marked) */
    char shown[MAX_SHOWN][512]; /* the first mismatches, printed after the table */
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

/* Keeps the first few mismatches read: what was expected, what came, and the advancer's message
 * (the rest are counted). */
static void note_mismatch(reading_t *r, const char *what, const pv_kafka_msg_t *m, const char *code,
                          int code_len, const char *id, int id_len)
{
    int type_len, msg_len;
    const char *type = hdr(m, "ce_type", &type_len);
    const char *text = hdr(m, "pravah-reason-message", &msg_len);
    long nth = r->wrong + r->unexpected - 1;
    if (nth >= 0 && nth < MAX_SHOWN)
        snprintf(r->shown[nth], sizeof r->shown[nth],
                 "  MISMATCH: %s, rejected as %.*s: case %.*s, event %.*s (%.*s): %.*s", what,
                 code_len, code, (int)(m->key ? m->key_len : 0), m->key ? (const char *)m->key : "",
                 id_len, id, type_len, type, msg_len, text);
}

static int rejected_cb(void *ctx, const pv_kafka_msg_t *m)
{
    reading_t *r = ctx;
    int code_len, id_len, msg_len;
    char what[160];
    const char *code = hdr(m, "pravah-reason-code", &code_len);
    const char *id = hdr(m, "ce_id", &id_len);
    const char *text = hdr(m, "pravah-reason-message", &msg_len);
    char *k = join_key(m->key ? m->key : "", m->key ? m->key_len : 0, id, (size_t)id_len);
    expect_entry_t *e = k ? expect_owed(r->d, k, code, (size_t)code_len) : NULL;
    free(k);
    if (e)
        e->seen++;
    if (e && !same_why(e, code, (size_t)code_len)) {
        r->wrong++;
        snprintf(what, sizeof what, "expected %s", e->why);
        note_mismatch(r, what, m, code, code_len, id, id_len);
    } else if (!e) { /* not marked, or refused more often than it was sent */
        r->unexpected++;
        note_mismatch(r, "expected to be accepted", m, code, code_len, id, id_len);
    }
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

/* Expected to fail but accepted (fewer rejections than marked events); returns how many. */
static long print_missed(pv_demo_t *d)
{
    long missed = 0;
    for (int i = 0; d->expect && i < BUCKETS; i++)
        for (expect_entry_t *e = d->expect->b[i]; e; e = e->next)
            for (int n = e->seen; n < e->expected; n++)
                if (missed++ < MAX_SHOWN)
                    printf("  MISMATCH: expected %s, accepted: case %.*s, event %s\n", e->why,
                           (int)strcspn(e->key, "\n"), e->key, e->key + strcspn(e->key, "\n") + 1);
    return missed;
}

/* Prints the rejections by reason and compares them with what the generator marked; returns
 * the number of mismatches (0 is what must happen: every marked attempt refused for its reason,
 * nothing else refused), or -1 when the topic cannot be read. */
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
    printf("\nRejections by reason (topic pravah.rejected: %ld events, each kept with its bytes, "
           "identity numbers masked, and reason)\n",
           r.total);
    printf("  %-20s %8s  %-34s %s\n", "reason", "events", "expected by the generator as",
           "first example (case: message)");
    for (int i = 0; i < r.nrows; i++)
        printf("  %-20s %8ld  %-34.34s %.110s\n", r.rows[i].code, r.rows[i].count,
               r.rows[i].why[0] ? r.rows[i].why : "(expected to pass)", r.rows[i].example);
    if (r.nrows == 0)
        printf("  (none)\n");
    for (long i = 0; i < r.wrong + r.unexpected && i < MAX_SHOWN; i++)
        printf("%s\n", r.shown[i]);
    long missed = print_missed(d);
    long bad = missed + r.wrong + r.unexpected;
    if (bad && d->opt.script && !d->n.expected_fail) {
        printf("  (the script marks no event with \"expect\": nothing to compare)\n");
        return 0;
    }
    if (bad)
        printf("  MISMATCHES: %ld of %lld attempts that had to fail were accepted, %ld refused for "
               "another reason, %ld refused that had to pass\n",
               missed, d->n.expected_fail, r.wrong, r.unexpected);
    else
        printf("  all %lld attempts that had to fail were rejected, each for the reason expected, "
               "and nothing else was\n",
               d->n.expected_fail);
    return bad;
}
