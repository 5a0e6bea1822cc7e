/* `pravah demo`: the simulated days (demo.h).
 *
 * Events are played in steps of at most opt.step_min simulated minutes. For each step: move the
 * clock file to the time of its first event and wait until the advancer's /metrics show that
 * clock (every timer due by then has fired and is acknowledged: alerts carry the time they were
 * due, whatever the step); then publish the step's events and wait until the advancer has
 * consumed them all. The clock file does not move meanwhile, so every event of the step is
 * accepted at the step's time, before any timer due later: the journal is the same whatever the
 * machine's speed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "demo.h"
#include "demo_metrics.h"
#include "demo_source.h"
#include "pravah/calendar.h"

#define POLL_MS 5
#define WAIT_S 120 /* generous: the machine is shared, and a real cluster is further away */
#define INTAKE "pravah.intake"
#define BAR_WIDTH 30

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

void pv_demo_time_short(pv_time_t t, char out[32])
{
    char buf[32];
    pv_time_format(t, 330, buf);
    snprintf(out, 32, "%.10s %.5s", buf, buf + 11);
}

/* The clock file, atomically (write, then rename): the advancer reads it at every batch. */
static int write_clock(pv_demo_t *d, pv_time_t t)
{
    char tmp[1200];
    snprintf(tmp, sizeof tmp, "%s.tmp", d->clock_path);
    FILE *f = fopen(tmp, "w");
    if (!f || fprintf(f, "%lld\n", (long long)t) < 0 || fclose(f) != 0 ||
        rename(tmp, d->clock_path) != 0) {
        fprintf(stderr, "pravah demo: cannot write the clock file %s\n", d->clock_path);
        return -1;
    }
    return 0;
}

typedef int (*until_fn)(const pv_demo_t *d, const pv_demo_metrics_t *m, long long arg);

static int clock_reached(const pv_demo_t *d, const pv_demo_metrics_t *m, long long t)
{
    (void)d;
    return m->clock_ms >= t;
}

static int all_consumed(const pv_demo_t *d, const pv_demo_metrics_t *m, long long n)
{
    return m->consumed - d->consumed_base >= n;
}

static void take_counts(pv_demo_t *d, const pv_demo_metrics_t *m)
{
    d->n.consumed = m->consumed;
    d->n.applied = m->applied;
    d->n.rejected = m->rejected;
    d->n.alerts = m->alerts;
    d->n.lag = m->lag;
    d->n.clock = m->clock_ms;
}

/* Polls the advancer's /metrics until `until` holds. -1 (printed) when stopped, when the
 * advancer exits, or after WAIT_S seconds without it. */
static int wait_until(pv_demo_t *d, const char *what, until_fn until, long long arg)
{
    int64_t deadline = pv_wall_ms() + WAIT_S * 1000;
    pv_demo_metrics_t m;
    while (!pv_demo_stop) {
        if (pv_demo_metrics_get(d->adv_port, &m) == 0) {
            take_counts(d, &m);
            if (until(d, &m, arg))
                return 0;
        }
        if (!pv_demo_proc_alive(&d->advance)) {
            fprintf(stderr,
                    "\npravah demo: the advancer exited (status %d) while waiting for %s; "
                    "its log (%s) ends:\n",
                    d->advance.status, what, d->advance.log);
            pv_demo_proc_tail(d->advance.log, 10);
            return -1;
        }
        if (pv_wall_ms() > deadline) {
            fprintf(stderr,
                    "\npravah demo: timed out after %d s waiting for %s (advancer log: "
                    "%s)\n",
                    WAIT_S, what, d->advance.log);
            return -1;
        }
        sleep_ms(POLL_MS);
    }
    return -1;
}

int pv_demo_clock_to(pv_demo_t *d, pv_time_t t)
{
    char what[96], when[32];
    pv_demo_time_short(t, when);
    snprintf(what, sizeof what, "the advancer's clock to reach %s", when);
    if (write_clock(d, t) != 0)
        return -1;
    return wait_until(d, what, clock_reached, t);
}

/* ---- progress ---- */

static void progress_line(pv_demo_t *d, int day, int final)
{
    int days = d->opt.days;
    if (d->opt.progress) {
        char now[32];
        int fill = days ? day * BAR_WIDTH / days : BAR_WIDTH;
        pv_demo_time_short(d->n.clock, now);
        /* the day under way (completed days fill the bar) */
        printf("\r[%.*s%*s] day %d/%d %s  events %lld  accepted %lld  rejected %lld  alerts %lld ",
               fill, "##############################", BAR_WIDTH - fill, "",
               day < days && !final ? day + 1 : days, days, now, d->n.published, d->n.applied,
               d->n.rejected, d->n.alerts);
        if (final)
            printf("\n");
    } else {
        printf("day %d/%d: %lld events, %lld accepted, %lld rejected, %lld alerts\n", day, days,
               d->n.published, d->n.applied, d->n.rejected, d->n.alerts);
    }
    fflush(stdout);
}

/* Reports the days completed before t (plain lines: one per day; the bar: redrawn). */
static void progress_to(pv_demo_t *d, pv_time_t t, int *shown)
{
    int day = (int)((t - d->opt.start) / PV_DEMO_DAY_MS);
    if (day > d->opt.days)
        day = d->opt.days;
    if (d->opt.progress) {
        progress_line(d, day, 0);
        *shown = day;
        return;
    }
    while (*shown < day)
        progress_line(d, ++*shown, 0);
}

/* ---- publishing ---- */

static void delivery_cb(void *ctx, void *opaque, int err, const char *errstr, int32_t partition,
                        int64_t offset)
{
    pv_demo_t *d = ctx;
    (void)opaque, (void)partition, (void)offset;
    if (err == 0) {
        d->n.acked++;
        return;
    }
    if (d->delivery_failed++ == 0)
        fprintf(stderr, "\npravah demo: an event was not acknowledged: %s\n", errstr);
}

int pv_demo_producer_open(pv_demo_t *d, char *err, size_t errlen)
{
    /* log_level 3: errors only, not librdkafka's notes on the properties kafka.c sets */
    pv_kv_t props[] = {{"bootstrap.servers", d->bootstrap}, {"linger.ms", "2"}, {"log_level", "3"}};
    d->producer = pv_producer_new(props, 3, delivery_cb, d, err, errlen);
    if (d->producer && pv_producer_partitions(d->producer, INTAKE, 10000) < 1) {
        snprintf(err, errlen, "cannot find topic %s at %s", INTAKE, d->bootstrap);
        return -1;
    }
    return d->producer ? 0 : -1;
}

static const char *header(const pv_loadgen_event_t *ev, const char *key, size_t *len)
{
    for (size_t i = 0; i < ev->nheaders; i++)
        if (strcmp(ev->headers[i].key, key) == 0) {
            *len = ev->headers[i].value_len;
            return ev->headers[i].value;
        }
    *len = 0;
    return "";
}

static int publish(pv_demo_t *d, const pv_loadgen_event_t *ev)
{
    int rc;
    while ((rc = pv_producer_send(d->producer, INTAKE, -1, ev->key, ev->key_len, ev->value,
                                  ev->value_len, ev->headers, ev->nheaders, NULL)) ==
           PV_KAFKA_RETRIABLE)
        pv_producer_poll(d->producer, 10);
    if (rc != 0) {
        fprintf(stderr, "\npravah demo: cannot publish an event of %.*s (producer error)\n",
                (int)ev->key_len, ev->key);
        return -1;
    }
    d->n.published++;
    if (ev->expect) {
        size_t id_len;
        const char *id = header(ev, "ce_id", &id_len);
        pv_demo_expect_add(d, ev->key, ev->key_len, id, id_len, ev->expect);
        d->n.expected_fail++;
    }
    pv_producer_poll(d->producer, 0);
    return 0;
}

/* The events of one step, copied out of the source (whose event lives until its next call)
 * because the clock must move before they are published. */
typedef struct step_s {
    pv_arena_t arena;
    pv_loadgen_event_t *ev;
    size_t n, cap;
} step_t;

/* len bytes and a NUL, in the arena (NULL when out of memory). */
static void *copy(pv_arena_t *a, const void *p, size_t len)
{
    char *c = pv_arena_alloc(a, len + 1);
    if (c) {
        if (len)
            memcpy(c, p, len);
        c[len] = '\0';
    }
    return c;
}

static int step_keep(step_t *s, const pv_loadgen_event_t *ev)
{
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 256;
        pv_loadgen_event_t *e = realloc(s->ev, cap * sizeof *e);
        if (!e)
            return -1;
        s->ev = e;
        s->cap = cap;
    }
    pv_loadgen_event_t *c = &s->ev[s->n++];
    pv_header_t *h = pv_arena_alloc(&s->arena, (ev->nheaders ? ev->nheaders : 1) * sizeof *h);
    *c = *ev;
    c->key = copy(&s->arena, ev->key, ev->key_len);
    c->value = copy(&s->arena, ev->value, ev->value_len);
    c->expect = ev->expect ? copy(&s->arena, ev->expect, strlen(ev->expect)) : NULL;
    c->headers = h;
    for (size_t i = 0; h && i < ev->nheaders; i++)
        h[i] = (pv_header_t){copy(&s->arena, ev->headers[i].key, strlen(ev->headers[i].key)),
                             copy(&s->arena, ev->headers[i].value, ev->headers[i].value_len),
                             ev->headers[i].value_len};
    return h && c->key && c->value ? 0 : -1;
}

/* Takes the events of [first.at, first.at + step) from the source into s, leaving in *ev the
 * first event after them (*have: as pv_demo_source_next). */
static int step_collect(pv_demo_t *d, step_t *s, pv_demo_source_t *src, pv_loadgen_event_t *ev,
                        int *have, char *err, size_t errlen)
{
    pv_time_t until = ev->at + (pv_time_t)d->opt.step_min * 60000;
    s->n = 0;
    pv_arena_reset(&s->arena);
    while (*have == 0 && ev->at < until && ev->at < d->end) {
        if (step_keep(s, ev) != 0) {
            snprintf(err, errlen, "out of memory");
            *have = -1;
            return -1;
        }
        *have = pv_demo_source_next(src, ev, err, errlen);
    }
    return 0;
}

/* Publishes the step's events, then waits until the advancer has consumed them all (at the
 * clock of the step: the file does not move meanwhile). */
static int step_play(pv_demo_t *d, const step_t *s)
{
    for (size_t i = 0; i < s->n; i++)
        if (publish(d, &s->ev[i]) != 0)
            return -1;
    if (pv_producer_flush(d->producer, WAIT_S * 1000) != 0 || d->delivery_failed) {
        fprintf(stderr, "\npravah demo: the broker did not acknowledge every event\n");
        return -1;
    }
    return wait_until(d, "the advancer to consume the events", all_consumed, d->n.published);
}

int pv_demo_run(pv_demo_t *d)
{
    char err[512];
    pv_loadgen_event_t ev;
    step_t step = {0};
    int shown = 0, rc = 0;
    pv_demo_source_t *src = pv_demo_source_new(&d->opt, err, sizeof err);
    if (!src) {
        fprintf(stderr, "pravah demo: %s\n", err);
        return -1;
    }
    pv_arena_init(&step.arena, 0);
    int have = pv_demo_source_next(src, &ev, err, sizeof err);
    while (rc == 0 && have == 0 && ev.at < d->end && !pv_demo_stop) {
        rc = step_collect(d, &step, src, &ev, &have, err, sizeof err);
        if (rc != 0 || step.n == 0)
            break;
        /* Accepted when the step's last event was published: never before an event's time. */
        pv_time_t last = step.ev[step.n - 1].at, t = last > d->n.clock ? last : d->n.clock;
        progress_to(d, t, &shown);
        rc = pv_demo_clock_to(d, t);
        d->n.steps++;
        if (rc == 0)
            rc = step_play(d, &step);
    }
    if (have < 0) {
        fprintf(stderr, "\npravah demo: %s\n", err);
        rc = -1;
    }
    if (rc == 0 && !pv_demo_stop)
        rc = pv_demo_clock_to(d, d->end);
    if (rc == 0 && !pv_demo_stop) {
        progress_to(d, d->end, &shown);
        if (d->opt.progress)
            progress_line(d, d->opt.days, 1);
    }
    free(step.ev);
    pv_arena_close(&step.arena);
    pv_demo_source_free(src);
    return pv_demo_stop ? -1 : rc;
}
