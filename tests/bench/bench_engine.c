/* Engine benchmark: decode + apply + encode + hash over a generated, mixed workload, one core.
 *
 *   pv_bench_engine [--events N] [--cases N] [--seed S] [--schemas DIR]
 *
 * Before timing, a deterministic generator (splitmix64) writes N events on C cases of five
 * domains (efile 40%, grievance 25%, works 20%, appointment 10%, litigation 5%) as a portal
 * stream brings them: each case a valid sequence of its workflow (tests/scenarios/ show the
 * shapes), the cases interleaved by time, and about 2% of the events made to be refused
 * (duplicates, unauthorized actors, over-limit amounts, malformed bytes, headers or data,
 * unknown types). Each event is kept as it arrives on Kafka: CloudEvents binary-mode header
 * values and a msgpack data payload, back to back in one buffer, in stream order.
 *
 * Timed, per event: pv_store_fire_due (timers due by the event's time, in slices of FIRE_SLICE)
 * -> pv_event_decode -> pv_store_apply at the event's time (the clock advances with the stream);
 * every journaled record, timer records included, is pv_record_encode'd into one reused buffer
 * (the SHA-256 seal and the partition link are done by the store). The arena is reset every BATCH
 * events. Baseline, in the same invocation over the same bytes: msgpack unpack of the payload,
 * memcpy of header values and payload into an output buffer, SHA-256 over it.
 *
 * Every outcome is compared with what the generator expected; differences are printed and make
 * the exit status 1 (the CTest smoke run `bench.engine` relies on it). Missing the throughput
 * target does not change the exit status: it is reported on its own line.
 *
 * Profiling the timed engine loop only (not the generator):
 *   mkfifo /tmp/ctl && PV_BENCH_PERF_CTL=/tmp/ctl \
 *     perf record -D -1 --control fifo:/tmp/ctl -g build/tests/pv_bench_engine
 */
#include <inttypes.h>
#include <msgpack.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "files.h"
#include "pravah/arena.h"
#include "pravah/buf.h"
#include "pravah/calendar.h"
#include "pravah/engine.h"
#include "pravah/event.h"
#include "pravah/record.h"
#include "pravah/store.h"

#define PV_BENCH_NAME "pv_bench_engine"
#include "workload.c.inc"

/* ---- the timed runs ---- */

#define MISMATCH_MAX 10

typedef struct mismatch_s {
    size_t index;
    int expect, got;
    char field[PV_REJECT_FIELD_MAX], message[PV_REJECT_MESSAGE_MAX];
} mismatch_t;

typedef struct run_s {
    pv_buf_t out;
    uint64_t records, by_kind[4], bytes, errors;
    uint64_t outcome[NREASONS];
    uint64_t mismatches;
    mismatch_t first[MISMATCH_MAX];
    double seconds, cpu;
} run_t;

/* The journal write: every record the store emits, encoded for the journal topic. */
static int on_record(void *ctx, const pv_record_t *rec)
{
    run_t *r = ctx;
    pv_buf_reset(&r->out);
    int rc = pv_record_encode(rec, &r->out);
    if (rc)
        return rc;
    r->records++;
    r->by_kind[rec->kind & 3]++;
    r->bytes += r->out.len;
    return 0;
}

static void note_outcome(run_t *r, size_t i, const sev_t *s, int got, const pv_reject_t *rej)
{
    r->outcome[got]++;
    if (got == s->expect)
        return;
    if (r->mismatches < MISMATCH_MAX) {
        mismatch_t *m = &r->first[r->mismatches];
        m->index = i;
        m->expect = s->expect;
        m->got = got;
        snprintf(m->field, sizeof m->field, "%s", got ? rej->field : "");
        snprintf(m->message, sizeof m->message, "%s", got ? rej->message : "accepted");
    }
    r->mismatches++;
}

/* Sends `cmd` ("enable", "disable") to perf's control fifo named by $PV_BENCH_PERF_CTL, if set. */
static void perf_ctl(const char *cmd)
{
    const char *path = getenv("PV_BENCH_PERF_CTL");
    FILE *f = path ? fopen(path, "w") : NULL;
    if (f) {
        fprintf(f, "%s\n", cmd);
        fclose(f);
    }
}

/* Not inlined, so that `valgrind --tool=callgrind --toggle-collect=run_engine` counts it alone. */
static __attribute__((noinline)) void run_engine(const workload_t *wl, pv_store_t *st, run_t *r)
{
    pv_arena_t arena;
    pv_limits_t lim;
    pv_limits_default(&lim);
    pv_arena_init(&arena, 0);
    struct timespec t0;
    perf_ctl("enable");
    double cpu0 = cpu_seconds();
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (size_t i = 0, batch = 0; i < wl->n; i++) {
        const sev_t *s = &wl->ev[i];
        pv_header_t h[8];
        const uint8_t *payload;
        size_t nh = event_headers(wl, s, h, &payload);
        int n;
        do /* timers due by this event's time first, so deadlines are journaled in order */
            n = pv_store_fire_due(st, s->t, FIRE_SLICE, &arena, on_record, r);
        while (n == FIRE_SLICE);
        r->errors += n < 0;
        pv_event_t ev;
        pv_reject_t rej;
        int rc = pv_event_decode(h, nh, payload, s->len[H_PAYLOAD], &lim, &arena, &ev, &rej);
        if (rc == 0)
            rc = pv_store_apply(st, &ev, s->t, &arena, on_record, r, &rej);
        if (rc && rc != PV_EREJECTED) {
            r->errors++;
            rej.code = PV_REJ_NONE;
        }
        note_outcome(r, i, s, rc ? (int)rej.code : PV_REJ_NONE, &rej);
        if (++batch == BATCH) {
            pv_arena_reset(&arena);
            batch = 0;
        }
    }
    r->seconds = seconds_since(&t0);
    r->cpu = cpu_seconds() - cpu0;
    perf_ctl("disable");
    pv_arena_close(&arena);
}

/* The physical floor over the same bytes: unpack the data, copy the event out, hash it. */
static __attribute__((noinline)) double run_baseline(const workload_t *wl, uint64_t *failed,
                                                     uint8_t *digest, double *cpu)
{
    msgpack_zone zone;
    pv_buf_t out;
    uint8_t h[PV_HASH_LEN];
    msgpack_zone_init(&zone, 4096);
    pv_buf_init(&out);
    memset(digest, 0, PV_HASH_LEN);
    struct timespec t0;
    double cpu0 = cpu_seconds();
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (size_t i = 0; i < wl->n; i++) {
        const sev_t *s = &wl->ev[i];
        pv_header_t hd[8];
        const uint8_t *payload;
        size_t nh = event_headers(wl, s, hd, &payload), off = 0;
        msgpack_object obj;
        if (msgpack_unpack((const char *)payload, s->len[H_PAYLOAD], &off, &zone, &obj) !=
            MSGPACK_UNPACK_SUCCESS)
            (*failed)++;
        pv_buf_reset(&out);
        for (size_t k = 0; k < nh; k++)
            pv_buf_append(&out, hd[k].value, hd[k].value_len);
        pv_buf_append(&out, payload, s->len[H_PAYLOAD]);
        pv_sha256(out.data, out.len, h);
        digest[i % PV_HASH_LEN] ^= h[0];
        msgpack_zone_clear(&zone);
    }
    double sec = seconds_since(&t0);
    *cpu = cpu_seconds() - cpu0;
    pv_buf_close(&out);
    msgpack_zone_destroy(&zone);
    return sec;
}

/* ---- report ---- */

static void print_reasons(const char *label, const uint64_t *v)
{
    uint64_t total = 0;
    for (int i = 1; i < NREASONS; i++)
        total += v[i];
    printf("%-16s %" PRIu64 " (", label, total);
    for (int i = 1, first = 1; i < NREASONS; i++)
        if (v[i]) {
            printf("%s%s %" PRIu64, first ? "" : ", ", pv_reject_code_name((pv_reject_code_t)i), v[i]);
            first = 0;
        }
    printf(")\n");
}

static void print_workload(const gen_t *g, const workload_t *wl, double gen_s)
{
    char from[32], to[32];
    pv_time_format(g->t_min, IST_MIN, from);
    pv_time_format(g->t_max, IST_MIN, to);
    printf("%-16s %zu events on %zu cases, %.1f MB as received, generated in %.2f s\n", "workload",
           wl->n, (size_t)(g->dom_cases[0] + g->dom_cases[1] + g->dom_cases[2] + g->dom_cases[3] +
                           g->dom_cases[4]),
           (double)wl->len / 1048576.0, gen_s);
    printf("%-16s", "  cases/events");
    for (int d = 0; d < DOM_COUNT; d++)
        printf(" %s %" PRIu64 "/%" PRIu64, domain_names[d], g->dom_cases[d], g->dom_events[d]);
    printf("\n%-16s %.16s .. %.16s (%.0f days of simulated clock)\n", "  span", from, to,
           (double)(g->t_max - g->t_min) / (double)DAY);
    print_reasons("  to be refused", g->expect);
}

static void report(const workload_t *wl, const run_t *r, pv_store_t *st, double base_s,
                   double base_cpu, double rss_before, double rss_after)
{
    double eps = (double)wl->n / r->seconds, bps = (double)wl->n / base_s;
    uint64_t timers = r->by_kind[1] + r->by_kind[2] + r->by_kind[3];
    size_t ncases = pv_store_case_count(st);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("%-16s %" PRIu64 "\n", "accepted", r->outcome[PV_REJ_NONE]);
    print_reasons("rejected", r->outcome);
    printf("%-16s %" PRIu64 " (events %" PRIu64 ", timers %" PRIu64 ": reminders %" PRIu64
           ", breaches %" PRIu64 ", escalations %" PRIu64 "), %.1f MB encoded\n",
           "records", r->records, r->by_kind[0], timers, r->by_kind[1], r->by_kind[2],
           r->by_kind[3], (double)r->bytes / 1048576.0);
    printf("%-16s %.3f s  %.0f events/s  %.0f ns/event  (CPU time %.3f s: %.0f events/s)\n",
           "engine", r->seconds, eps, r->seconds * 1e9 / (double)wl->n, r->cpu,
           (double)wl->n / r->cpu);
    printf("%-16s %.3f s  %.0f events/s  %.0f ns/event  (CPU time %.3f s; msgpack unpack + "
           "memcpy + SHA-256)\n", "baseline", base_s, bps, base_s * 1e9 / (double)wl->n, base_cpu);
    printf("%-16s %.3f (engine events/s / baseline events/s)\n", "ratio", eps / bps);
    printf("%-16s %.1f MB peak; engine run grew RSS by %.1f MB; store: %zu cases x %zu B = %.1f MB"
           ", %zu open timers\n", "memory", (double)ru.ru_maxrss / 1024.0, rss_after - rss_before,
           ncases, sizeof(pv_case_t), (double)(ncases * sizeof(pv_case_t)) / 1048576.0,
           pv_store_open_timers(st));
    printf("target %.0f events/s: %s\n", TARGET_EPS, eps >= TARGET_EPS ? "PASS" : "FAIL");
    printf("BENCH name=engine events=%zu cases=%zu seconds=%.3f events_per_s=%.0f ns_per_event=%.0f"
           " cpu_events_per_s=%.0f baseline_per_s=%.0f ratio=%.3f peak_rss_mb=%.0f target=%s\n",
           wl->n, ncases, r->seconds, eps, r->seconds * 1e9 / (double)wl->n,
           (double)wl->n / r->cpu, bps, eps / bps,
           (double)ru.ru_maxrss / 1024.0, eps >= TARGET_EPS ? "PASS" : "FAIL");
}

/* The numbers must agree with each other and with the generator. */
static int check_consistency(const gen_t *g, const workload_t *wl, const run_t *r, pv_store_t *st,
                             size_t cases)
{
    int bad = 0;
    for (size_t i = 0; i < r->mismatches && i < MISMATCH_MAX; i++) {
        const mismatch_t *m = &r->first[i];
        const sev_t *s = &wl->ev[m->index];
        fprintf(stderr, "unexpected: event %zu (%.*s on %.*s) expected %s, got %s %s: %s\n",
                m->index, s->len[H_TYPE], (const char *)wl->blob + s->off + s->len[H_ID] +
                s->len[H_SOURCE], s->len[H_SUBJECT], (const char *)wl->blob + s->off +
                s->len[H_ID] + s->len[H_SOURCE] + s->len[H_TYPE],
                m->expect ? pv_reject_code_name((pv_reject_code_t)m->expect) : "accepted",
                m->got ? pv_reject_code_name((pv_reject_code_t)m->got) : "accepted", m->field,
                m->message);
    }
    if (r->mismatches) {
        fprintf(stderr, "unexpected outcomes: %" PRIu64 "\n", r->mismatches);
        bad = 1;
    }
    if (r->errors) {
        fprintf(stderr, "engine errors (not rejections): %" PRIu64 "\n", r->errors);
        bad = 1;
    }
    if (r->by_kind[0] != r->outcome[PV_REJ_NONE] || r->by_kind[0] != g->expect[PV_REJ_NONE]) {
        fprintf(stderr, "event records %" PRIu64 ", accepted %" PRIu64 ", expected %" PRIu64 "\n",
                r->by_kind[0], r->outcome[PV_REJ_NONE], g->expect[PV_REJ_NONE]);
        bad = 1;
    }
    if (pv_store_chain(st)->pseq != r->records) {
        fprintf(stderr, "partition chain at %" PRIu64 ", %" PRIu64 " records journaled\n",
                pv_store_chain(st)->pseq, r->records);
        bad = 1;
    }
    if (pv_store_case_count(st) != cases) {
        fprintf(stderr, "%zu cases in the store, %zu generated\n", pv_store_case_count(st), cases);
        bad = 1;
    }
    printf("%-16s %s\n", "consistency", bad ? "FAILED (see stderr)" : "ok");
    return bad;
}

static void usage(void)
{
    fprintf(stderr, "usage: pv_bench_engine [--events N] [--cases N] [--seed S] [--schemas DIR]\n");
    exit(2);
}

typedef struct opts_s {
    size_t events, cases;
    uint64_t seed;
    const char *schemas;
} opts_t;

static void parse_opts(int argc, char **argv, opts_t *o)
{
    *o = (opts_t){1000000, 100000, 1, PV_SOURCE_DIR "/schemas"};
    for (int i = 1; i < argc; i += 2) { /* options come in pairs: --name VALUE */
        if (i + 1 >= argc)
            usage();
        char *end;
        unsigned long long v = strtoull(argv[i + 1], &end, 10);
        if (strcmp(argv[i], "--schemas") == 0)
            o->schemas = argv[i + 1];
        else if (*end || end == argv[i + 1])
            usage();
        else if (strcmp(argv[i], "--events") == 0)
            o->events = (size_t)v;
        else if (strcmp(argv[i], "--cases") == 0)
            o->cases = (size_t)v;
        else if (strcmp(argv[i], "--seed") == 0)
            o->seed = v;
        else
            usage();
    }
    if (o->cases == 0 || o->events < o->cases)
        die("need --cases >= 1 and --events >= --cases");
}

int main(int argc, char **argv)
{
    opts_t o;
    char err[1024];
    parse_opts(argc, argv, &o);
    pv_engine_config_t cfg = {"bench-salt"};
    pv_engine_t *eng = pv_engine_new(&cfg);
    pv_directory_t *dir = pv_directory_new();
    if (!eng || !dir || pv_load_schemas(eng, dir, o.schemas, err, sizeof err) != 0)
        die("%s", eng && dir ? err : "out of memory");
    world_t w;
    world_init(&w, dir);

    workload_t wl = {0};
    gen_t g = {.rng = {o.seed}, .w = &w, .wl = &wl};
    pv_buf_init(&g.pack);
    pv_time_t t0;
    pv_time_parse("2026-04-01T09:00:00+05:30", IST_MIN, &t0);
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    workload_generate(&g, o.events, o.cases, t0);
    workload_order(&wl);
    pv_buf_close(&g.pack);
    printf("Pravah engine benchmark: decode + apply + encode + hash, one core (seed %" PRIu64 ")\n",
           o.seed);
    print_workload(&g, &wl, seconds_since(&ts));

    uint64_t base_failed = 0;
    uint8_t digest[PV_HASH_LEN];
    double base_cpu;
    double base_s = run_baseline(&wl, &base_failed, digest, &base_cpu);

    run_t r = {0};
    pv_buf_init(&r.out);
    pv_store_t *st = pv_store_new(eng, dir);
    double rss_before = rss_mb();
    run_engine(&wl, st, &r);
    double rss_after = rss_mb();
    report(&wl, &r, st, base_s, base_cpu, rss_before, rss_after);
    int bad = check_consistency(&g, &wl, &r, st, o.cases);

    pv_buf_close(&r.out);
    pv_store_free(st);
    workload_free(&wl);
    free(w.districts);
    free(w.ulbs);
    pv_engine_free(eng);
    pv_directory_free(dir);
    return bad;
}
