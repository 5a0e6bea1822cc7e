/* Advancer benchmark: `pravah advance` on the embedded broker, against a raw Kafka pass-through.
 *
 *   pv_bench_advance [--events N] [--cases N] [--seed S] [--partitions P] [--batch-max N]
 *                    [--batch-ms MS] [--runs K] [--latency-seconds S] [--rate EVENTS_PER_S]
 *                    [--rebuild-cases N] [--kafka PROP=VALUE]... [--pravah PATH]
 *                    [--schemas DIR] [--keep 1]
 *
 * Workload: the engine benchmark's generator, copied from tests/bench/bench_engine.c below with
 * one change (the domain mix is a variable): N events on C cases of five domains, ~2% made to be
 * refused, each as it arrives on Kafka (CloudEvents binary-mode headers, msgpack data, keyed by
 * case id). The advancer runs with a fixed clock (no timer fires, so the journal is a function of
 * the intake), and some workflows compare data dates with the clock in both directions, so each
 * case is cut before its first event that clock would refuse (trim_to_clock): ~81% of the events
 * are kept, and the expected journal and rejected counts are exact.
 *
 * 1. Throughput. A fresh `pravah broker` (P partitions: N / 12,500 unless given) per run. The
 *    workload is published to intake and acknowledged before the worker starts; the worker then
 *    drains the backlog. Timed: from the first outcome to the last one received by consumers in
 *    this process (journal + rejected for the advancer, the copy topic for the pass-through); not
 *    from the assignment (the advancer's last "rebuilt" line, the pass-through's "assigned"
 *    line), because the pass-through's first fetch comes ~1 s after it and the advancer's, whose
 *    connections open during its rebuild, after 0.1-0.2 s. The pass-through
 *    (tests/bench/passthrough.c, this binary run with --passthrough) is the advancer's loop with
 *    the engine taken out: same library, client defaults, batch settings, flush and
 *    per-partition commits. They alternate --runs times; the
 *    best of each is reported. Target: advancer >= 60% of the pass-through.
 * 2. Latency at half the advancer's rate (or --rate). A fresh broker and worker; after a warm-up
 *    (the first <= 1,000 events, not measured), a publisher thread sends events at a fixed rate
 *    for --latency-seconds; a journal consumer in this process takes each record's receive time
 *    and matches it, by partition and pravah-intake-offset header, to the time the event was
 *    handed to the producer (also reported: the journal message's CreateTime, i.e. the
 *    advancer's produce call, minus that time). Baseline: the pass-through at the same rate.
 *    Target: p99 < 100 ms.
 * 3. Restart rebuild of 1,000,000 cases. The embedded broker keeps only ~5 MiB per partition and
 *    1M cases' journal is ~11 records a case, ~450 bytes each (~4.8 GB), so it is not rebuilt
 *    through Kafka. Measured: (a) in this process, the advancer's per-record rebuild work
 *    (pv_record_decode + pv_store_fold, arena reset every 4,096 records, as rebuild_journal_cb in
 *    workers/advancer.c) over the journal of 100,000 generated cases written by pv_store_apply at
 *    each event's own time (timer records included), folded into --rebuild-cases / 100,000
 *    separate stores that are all kept; (b) the Kafka read rate of the last advancer run's
 *    journal partitions (pv_partition_read, no work per record); (c) a real `pravah advance`
 *    restart on that journal (its "rebuilt ... in X ms" lines). Reported: (a) + (a)'s records
 *    at rate (b), and (c)'s rate scaled to (a)'s records. Target: < 10 s.
 *
 * Exit status 1 if a run is inconsistent (an event without exactly one outcome, counts other than
 * expected, a broker that dropped data, a worker that failed); a missed target does not change it.
 * $PV_BENCH_PERF_DIR: `perf record -g` of each worker while it drains or serves the fixed rate;
 * $PV_BENCH_PERF_CTL: perf control fifo around the timed fold (see perf_ctl). With --keep 1 the
 * scratch directory (logs, latency-*.txt: event, partition, sent ms, latency ms) is kept.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <msgpack.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "files.h"
#include "kafka.h"
#include "pravah/arena.h"
#include "pravah/buf.h"
#include "pravah/calendar.h"
#include "pravah/engine.h"
#include "pravah/event.h"
#include "pravah/record.h"
#include "pravah/store.h"

/* The generator's domain mix (per mille, in its DOM_* order), set by main. */
static const int *gen_mix;

/* ==== copied from tests/bench/bench_engine.c: helpers, world, workload, generator ==== */

#ifndef PV_SOURCE_DIR
#define PV_SOURCE_DIR "."
#endif

#define BATCH 1000       /* events per arena reset (a consumer batch) */
#define FIRE_SLICE 64    /* timer records per pv_store_fire_due call */
#define TARGET_EPS 300000.0
#define IST_MIN 330      /* the haryana calendar's UTC offset, minutes */
#define SEC 1000LL
#define MINUTE (60 * SEC)
#define HOUR (60 * MINUTE)
#define DAY (24 * HOUR)
#define START_SPAN_DAYS 150 /* cases are opened over this many days */
#define REJECT_PERMILLE 20  /* events made to be refused: 2% */
#define NREASONS (PV_REJ_PRECONDITION + 1)

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("pv_bench_advance: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(2);
}

static void *xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n);
    if (!q)
        die("out of memory (%zu bytes)", n);
    return q;
}

/* ---- randomness (splitmix64) and time ---- */

typedef struct rng_s {
    uint64_t s;
} rng_t;

static uint64_t rnd(rng_t *r)
{
    uint64_t z = (r->s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* Uniform in [lo, hi]. */
static int64_t rnd_in(rng_t *r, int64_t lo, int64_t hi)
{
    return hi <= lo ? lo : lo + (int64_t)(rnd(r) % (uint64_t)(hi - lo + 1));
}

static bool chance(rng_t *r, int pct)
{
    return (int)(rnd(r) % 100) < pct;
}

static const char *pick(rng_t *r, const char *const *v, size_t n)
{
    return v[rnd(r) % n];
}
#define PICK(r, arr) pick((r), (arr), sizeof(arr) / sizeof *(arr))

/* Local (IST) day number of t, and the instant that day starts. */
static int64_t day_of(pv_time_t t)
{
    int64_t l = t + IST_MIN * MINUTE;
    return l / DAY - (l % DAY < 0);
}

static pv_time_t day_start(int64_t day)
{
    return day * DAY - IST_MIN * MINUTE;
}

static double seconds_since(const struct timespec *t0)
{
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

/* CPU time of this thread: what the run cost one core, whatever else the machine was doing. */
static double cpu_seconds(void)
{
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static double rss_mb(void)
{
    long pages = 0, resident = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (f) {
        if (fscanf(f, "%ld %ld", &pages, &resident) != 2)
            resident = 0;
        fclose(f);
    }
    return (double)resident * (double)sysconf(_SC_PAGESIZE) / 1048576.0;
}

/* ---- who holds which desk: looked up once in the directory seed ---- */

typedef struct desk_s {
    const char *post, *officer;
} desk_t;

enum { D_DA1, D_DA2, D_SUPT, D_CTM, D_ADC, D_DC, D_SP, D_SDM, D_NODAL, D_FAA, D_DMC, D_COUNT };
static const char *const district_roles[D_COUNT] = {
    "DEALING_ASSISTANT", "DEALING_ASSISTANT", "SUPERINTENDENT", "CTM", "ADC", "DC", "SP", "SDM",
    "NODAL_GRIEVANCE", "FAA", "DMC"};

typedef struct district_s {
    const char *code, *office;
    desk_t desk[D_COUNT];
} district_t;

enum { U_JE1, U_JE2, U_SDO, U_XEN, U_AA, U_FS, U_DC, U_COUNT };
enum { ULB_CORPORATION, ULB_COUNCIL, ULB_COMMITTEE };

typedef struct ulb_s {
    const char *office;
    int kind;
    int district; /* index into world.districts, -1 when that district is not usable */
    desk_t desk[U_COUNT];
} ulb_t;

typedef struct world_s {
    district_t *districts;
    size_t ndistricts;
    ulb_t *ulbs;
    size_t nulbs;
    desk_t lit_nodal, hod, cm_window;
    bool has_litigation, has_cm_window;
} world_t;

static bool desk_of(const pv_post_t *p, desk_t *out)
{
    if (!p || !p->holder[0])
        return false;
    *out = (desk_t){p->id, p->holder};
    return true;
}

/* The nth post (directory order) with `role` in `office`, if it has a holder. */
static bool find_desk(const pv_directory_t *dir, const char *office, const char *role, int nth,
                      desk_t *out)
{
    for (size_t i = 0; i < pv_directory_post_count(dir); i++) {
        const pv_post_t *p = pv_directory_post_at(dir, i);
        if (strcmp(p->office, office) == 0 && strcmp(p->role, role) == 0 && nth-- == 0)
            return desk_of(p, out);
    }
    return false;
}

static bool district_init(const pv_directory_t *dir, const pv_office_t *o, district_t *d)
{
    d->code = o->district;
    d->office = o->id;
    for (int i = 0; i < D_COUNT; i++)
        if (!find_desk(dir, o->id, district_roles[i], i == D_DA2, &d->desk[i]))
            return false; /* a vacant desk: the generator leaves this district out */
    return true;
}

static bool ulb_init(const pv_directory_t *dir, const world_t *w, const pv_office_t *o, ulb_t *u)
{
    static const char *const aa[] = {"COMMISSIONER", "MC_COUNCIL", "MC_COMMITTEE"};
    static const char *const fs[] = {"ACCOUNTS", "EO", "SECRETARY"};
    u->office = o->id;
    u->kind = strcmp(o->kind, "corporation") == 0 ? ULB_CORPORATION
              : strcmp(o->kind, "council") == 0   ? ULB_COUNCIL
                                                  : ULB_COMMITTEE;
    u->district = -1;
    for (size_t i = 0; i < w->ndistricts; i++)
        if (strcmp(w->districts[i].code, o->district) == 0)
            u->district = (int)i;
    return strlen(o->id) <= 10 && /* WMS/ULB-[A-Z]{2,6}/...: short codes only */
           find_desk(dir, o->id, "JE", 0, &u->desk[U_JE1]) &&
           find_desk(dir, o->id, "JE", 1, &u->desk[U_JE2]) &&
           find_desk(dir, o->id, "SDO", 0, &u->desk[U_SDO]) &&
           desk_of(pv_directory_find_role(dir, "XEN", o->id), &u->desk[U_XEN]) &&
           find_desk(dir, o->id, aa[u->kind], 0, &u->desk[U_AA]) &&
           find_desk(dir, o->id, fs[u->kind], 0, &u->desk[U_FS]) &&
           desk_of(pv_directory_find_role(dir, "DC", o->id), &u->desk[U_DC]);
}

static void world_init(world_t *w, const pv_directory_t *dir)
{
    size_t n = pv_directory_office_count(dir);
    memset(w, 0, sizeof *w);
    w->districts = xrealloc(NULL, (n + 1) * sizeof *w->districts);
    w->ulbs = xrealloc(NULL, (n + 1) * sizeof *w->ulbs);
    for (size_t i = 0; i < n; i++) {
        const pv_office_t *o = pv_directory_office_at(dir, i);
        if (strcmp(o->kind, "district") == 0 &&
            district_init(dir, o, &w->districts[w->ndistricts]))
            w->ndistricts++;
    }
    for (size_t i = 0; i < n; i++) {
        const pv_office_t *o = pv_directory_office_at(dir, i);
        if ((strcmp(o->kind, "corporation") == 0 || strcmp(o->kind, "council") == 0 ||
             strcmp(o->kind, "committee") == 0) &&
            ulb_init(dir, w, o, &w->ulbs[w->nulbs]) && w->ulbs[w->nulbs].district >= 0)
            w->nulbs++;
    }
    w->has_litigation = find_desk(dir, "ULB-DEPT", "LIT_NODAL", 0, &w->lit_nodal) &&
                        find_desk(dir, "DULB", "HOD", 0, &w->hod);
    w->has_cm_window = find_desk(dir, "CMO", "CM_WINDOW", 0, &w->cm_window);
    if (w->ndistricts < 2 || w->nulbs == 0)
        die("the directory seed has too few fully staffed districts/ULBs");
}

/* ---- the workload: events as they arrive, in stream order ---- */

enum { H_ID, H_SOURCE, H_TYPE, H_SUBJECT, H_TIME, H_ACTOR, H_PAYLOAD, H_COUNT };
static const char *const header_keys[H_PAYLOAD] = {"ce_id",      "ce_source", "ce_type",
                                                   "ce_subject", "ce_time",   "ce_actor"};

typedef struct sev_s {
    pv_time_t t;        /* when it arrives: the engine's clock for it */
    uint64_t order;     /* generation order, breaks ties in t */
    uint32_t off;       /* header values then payload, at blob + off */
    uint16_t len[H_COUNT];
    uint8_t expect;     /* pv_reject_code_t the generator expects (PV_REJ_NONE: accepted) */
    uint8_t no_actor;   /* the ce_actor header is left out */
} sev_t;

typedef struct workload_s {
    uint8_t *blob;
    size_t len, cap;
    sev_t *ev;
    size_t n, ncap;
} workload_t;

static void workload_free(workload_t *wl)
{
    free(wl->blob);
    free(wl->ev);
}

/* The Kafka headers of event s, as librdkafka would hand them over; returns their count. */
static size_t event_headers(const workload_t *wl, const sev_t *s, pv_header_t h[8],
                            const uint8_t **payload)
{
    const uint8_t *p = wl->blob + s->off;
    size_t n = 0;
    h[n++] = (pv_header_t){"ce_specversion", "1.0", 3};
    for (int i = 0; i < H_PAYLOAD; i++) {
        if (!(i == H_ACTOR && s->no_actor))
            h[n++] = (pv_header_t){header_keys[i], p, s->len[i]};
        p += s->len[i];
    }
    h[n++] = (pv_header_t){"content-type", "application/msgpack", 19};
    *payload = p;
    return n;
}

static int sev_cmp(const void *a, const void *b)
{
    const sev_t *x = a, *y = b;
    if (x->t != y->t)
        return x->t < y->t ? -1 : 1;
    return x->order < y->order ? -1 : x->order > y->order;
}

/* Sorts the events by arrival and lays their bytes out in that order, as a consumer reads them. */
static void workload_order(workload_t *wl)
{
    qsort(wl->ev, wl->n, sizeof *wl->ev, sev_cmp);
    uint8_t *blob = xrealloc(NULL, wl->len ? wl->len : 1);
    size_t off = 0;
    for (size_t i = 0; i < wl->n; i++) {
        sev_t *s = &wl->ev[i];
        size_t len = 0;
        for (int k = 0; k < H_COUNT; k++)
            len += s->len[k];
        memcpy(blob + off, wl->blob + s->off, len);
        s->off = (uint32_t)off;
        off += len;
    }
    free(wl->blob);
    wl->blob = blob;
    wl->cap = wl->len;
}

/* ---- the generator ---- */

/* How a refused event is made from its neighbours in the case. */
typedef enum {
    K_DUP,      /* the previous event again, same id (a redelivery) */
    K_UNAUTH,   /* the next event, sent by an unknown officer or one of another district */
    K_OVER,     /* works: the technical sanction first tried by a JE, above the JE's ceiling */
    K_TRUNC,    /* payload cut short */
    K_NOACTOR,  /* ce_actor header missing */
    K_BADSUBJ,  /* ce_subject not in the workflow's case id format */
    K_BADDATA,  /* the next event with one data field of the wrong type */
    K_UNKNOWN,  /* an action the workflow does not have */
    K_COUNT
} kind_t;

enum { DOM_EFILE, DOM_GRIEVANCE, DOM_WORKS, DOM_APPOINTMENT, DOM_LITIGATION, DOM_COUNT };
static const char *const domain_names[DOM_COUNT] = {"efile", "grievance", "works", "appointment",
                                                    "litigation"};
static const char *const domain_sources[DOM_COUNT] = {
    "eoffice.haryana.gov.in", "cmwindow.haryana.gov.in", "wms.ulbharyana.gov.in",
    "esachivalaya.haryana.gov.in", "lms.ulbharyana.gov.in"};

#define KV_MAX 12
#define STR_MAX 2048
#define REJ_MAX 8

typedef struct kv_s {
    const char *key;
    char type; /* 'i' integer, 'f' float, 's' string, 'd' date string */
    int64_t i;
    double f;
    uint16_t off, len; /* string in gev_t.str */
} kv_t;

/* One event being built; self-contained so that it can be copied to make a variant. */
typedef struct gev_s {
    pv_time_t t;
    char id[40], type[48], subject[64], actor[64];
    kv_t kv[KV_MAX];
    int nkv;
    char str[STR_MAX];
    size_t nstr;
} gev_t;

typedef struct pending_s {
    int pos; /* sent after the case's pos-th valid event */
    kind_t kind;
} pending_t;

typedef struct gen_s {
    rng_t rng;
    const world_t *w;
    workload_t *wl;
    pv_buf_t pack;
    uint64_t order;
    uint32_t serial[DOM_COUNT];
    /* the case being generated */
    int domain;
    char subject[64];
    int district; /* its district (index), for strangers from elsewhere */
    int emitted;  /* valid events so far */
    gev_t ev, last;
    pending_t rej[REJ_MAX];
    int nrej;
    bool want_over;
    const char *over_actor;
    /* what the run must show */
    uint64_t expect[NREASONS];
    uint64_t kinds[K_COUNT];
    uint64_t dom_cases[DOM_COUNT], dom_events[DOM_COUNT];
    pv_time_t t_min, t_max;
} gen_t;

static void make_uuid(gen_t *g, char out[40])
{
    uint64_t a = rnd(&g->rng), b = rnd(&g->rng);
    snprintf(out, 40, "%08x-%04x-4%03x-%04x-%012llx", (unsigned)(a >> 32),
             (unsigned)(a >> 16) & 0xffffu, (unsigned)a & 0xfffu,
             (unsigned)((b >> 48) & 0x3fffu) | 0x8000u, (unsigned long long)(b & 0xffffffffffffull));
}

static gev_t *ev_new(gen_t *g, pv_time_t t, const char *action, const char *actor)
{
    gev_t *e = &g->ev;
    e->t = t;
    e->nkv = 0;
    e->nstr = 0;
    make_uuid(g, e->id);
    snprintf(e->type, sizeof e->type, "%s.%s", domain_names[g->domain], action);
    snprintf(e->subject, sizeof e->subject, "%s", g->subject);
    snprintf(e->actor, sizeof e->actor, "%s", actor);
    return e;
}

static void kv_text(gev_t *e, const char *key, char type, const char *s)
{
    size_t n = strlen(s);
    if (e->nkv == KV_MAX || e->nstr + n > STR_MAX)
        die("event %s: too much data for the generator's buffer", e->type);
    memcpy(e->str + e->nstr, s, n);
    e->kv[e->nkv++] = (kv_t){key, type, 0, 0, (uint16_t)e->nstr, (uint16_t)n};
    e->nstr += n;
}

static void kv_str(gev_t *e, const char *key, const char *s)
{
    kv_text(e, key, 's', s);
}

static void kv_fmt(gev_t *e, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void kv_fmt(gev_t *e, const char *key, const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    kv_text(e, key, 's', buf);
}

static void kv_date(gev_t *e, const char *key, int64_t day)
{
    char buf[32];
    pv_time_format(day_start(day), IST_MIN, buf);
    buf[10] = '\0';
    kv_text(e, key, 'd', buf);
}

static void kv_int(gev_t *e, const char *key, int64_t v)
{
    if (e->nkv == KV_MAX)
        die("event %s: too many fields", e->type);
    e->kv[e->nkv++] = (kv_t){key, 'i', v, 0, 0, 0};
}

static void kv_num(gev_t *e, const char *key, double v)
{
    if (e->nkv == KV_MAX)
        die("event %s: too many fields", e->type);
    e->kv[e->nkv++] = (kv_t){key, 'f', 0, v, 0, 0};
}

static void pack_str(msgpack_packer *pk, const char *s, size_t n)
{
    msgpack_pack_str(pk, n);
    msgpack_pack_str_body(pk, s, n);
}

static void pack_data(gen_t *g, const gev_t *e)
{
    msgpack_packer pk;
    pv_buf_reset(&g->pack);
    msgpack_packer_init(&pk, &g->pack, pv_buf_msgpack_write);
    msgpack_pack_map(&pk, (size_t)e->nkv);
    for (int i = 0; i < e->nkv; i++) {
        const kv_t *kv = &e->kv[i];
        pack_str(&pk, kv->key, strlen(kv->key));
        if (kv->type == 'i')
            msgpack_pack_int64(&pk, kv->i);
        else if (kv->type == 'f')
            msgpack_pack_double(&pk, kv->f);
        else
            pack_str(&pk, e->str + kv->off, kv->len);
    }
}

enum { F_TRUNC = 1, F_NOACTOR = 2 };

/* Appends e to the workload (header values, then the msgpack data) with its expected outcome. */
static void wl_put(gen_t *g, const gev_t *e, pv_reject_code_t expect, unsigned flags)
{
    workload_t *wl = g->wl;
    char when[32];
    pv_time_format(e->t, IST_MIN, when);
    pack_data(g, e);
    size_t plen = g->pack.len;
    if (flags & F_TRUNC) {
        if (plen <= 1)
            g->pack.data[0] = 0x81; /* a map of one entry, and no entry */
        else
            plen--;
    }
    const char *parts[H_PAYLOAD] = {e->id, domain_sources[g->domain], e->type, e->subject, when,
                                    e->actor};
    sev_t s = {.t = e->t, .order = g->order++, .off = (uint32_t)wl->len, .expect = (uint8_t)expect,
               .no_actor = (flags & F_NOACTOR) != 0};
    size_t need = plen;
    for (int i = 0; i < H_PAYLOAD; i++)
        need += (s.len[i] = (uint16_t)strlen(parts[i]));
    if (wl->len + need > UINT32_MAX)
        die("workload larger than 4 GiB: use fewer events");
    if (wl->len + need > wl->cap)
        wl->blob = xrealloc(wl->blob, wl->cap = (wl->len + need) * 2);
    for (int i = 0; i < H_PAYLOAD; i++) {
        memcpy(wl->blob + wl->len, parts[i], s.len[i]);
        wl->len += s.len[i];
    }
    memcpy(wl->blob + wl->len, g->pack.data, plen);
    wl->len += plen;
    s.len[H_PAYLOAD] = (uint16_t)plen;
    if (wl->n == wl->ncap)
        wl->ev = xrealloc(wl->ev, (wl->ncap = wl->ncap ? wl->ncap * 2 : 4096) * sizeof *wl->ev);
    wl->ev[wl->n++] = s;
    g->expect[expect]++;
    g->dom_events[g->domain]++;
    g->t_min = g->t_min && g->t_min < e->t ? g->t_min : e->t;
    g->t_max = g->t_max > e->t ? g->t_max : e->t;
}

/* An officer who may not act on the case: unknown to the directory, or a dealing assistant of
 * another district (no workflow lets one act on a case held elsewhere). */
static const char *stranger(gen_t *g, char buf[64])
{
    const world_t *w = g->w;
    if (chance(&g->rng, 50)) {
        snprintf(buf, 64, "EMP-9%05d", (int)rnd_in(&g->rng, 0, 99999));
        return buf;
    }
    size_t d = (size_t)rnd_in(&g->rng, 0, (int64_t)w->ndistricts - 1);
    if ((int)d == g->district)
        d = (d + 1) % w->ndistricts;
    return w->districts[d].desk[D_DA2].officer;
}

/* Makes the field of one data entry the wrong type; false when the event has no data. */
static bool mistype(gen_t *g, gev_t *c)
{
    if (c->nkv == 0)
        return false;
    kv_t *kv = &c->kv[rnd(&g->rng) % (uint64_t)c->nkv];
    if (kv->type == 'i' || kv->type == 'f') {
        char num[32];
        snprintf(num, sizeof num, "%lld", (long long)(kv->type == 'i' ? kv->i : (int64_t)kv->f));
        size_t n = strlen(num);
        if (c->nstr + n > STR_MAX)
            return false;
        memcpy(c->str + c->nstr, num, n);
        kv->type = 's';
        kv->off = (uint16_t)c->nstr;
        kv->len = (uint16_t)n;
        c->nstr += n;
    } else {
        kv->type = 'i'; /* a string, date or enum sent as a number */
        kv->i = 20260401;
    }
    return true;
}

/* Writes one refused event of kind k, built from `next` (the case's next valid event) or, when
 * NULL, from the last valid one. */
static void put_reject(gen_t *g, kind_t k, const gev_t *next)
{
    gev_t c = next ? *next : g->last;
    char who[64];
    unsigned flags = 0;
    pv_reject_code_t expect = PV_REJ_MALFORMED;
    if (!next && (k == K_UNAUTH || k == K_BADDATA || k == K_OVER))
        k = K_DUP; /* nothing follows: a redelivery is all that can come */
    if (k == K_DUP)
        c = g->last; /* same id, same bytes */
    else
        make_uuid(g, c.id);
    /* between the last valid event and the next one */
    c.t = next ? g->last.t + ((next->t - g->last.t) / 2 / SEC) * SEC
               : g->last.t + rnd_in(&g->rng, 1, 600) * SEC;
    switch (k) {
    case K_DUP: expect = PV_REJ_DUPLICATE; break;
    case K_UNAUTH:
        snprintf(c.actor, sizeof c.actor, "%s", stranger(g, who));
        expect = PV_REJ_UNAUTHORIZED;
        break;
    case K_OVER:
        snprintf(c.actor, sizeof c.actor, "%s", g->over_actor);
        expect = PV_REJ_OVER_LIMIT;
        break;
    case K_TRUNC: flags = F_TRUNC; break;
    case K_NOACTOR: flags = F_NOACTOR; break;
    case K_BADSUBJ: strncat(c.subject, "X", sizeof c.subject - strlen(c.subject) - 1); break;
    case K_BADDATA:
        if (!mistype(g, &c))
            flags = F_TRUNC;
        break;
    case K_UNKNOWN:
        snprintf(c.type, sizeof c.type, "%s.archive", domain_names[g->domain]);
        expect = PV_REJ_UNKNOWN_TYPE;
        break;
    default: break;
    }
    g->kinds[k]++;
    wl_put(g, &c, expect, flags);
}

/* Sends the refused events due before `next` (all that are left when next is NULL). */
static void flush_rejects(gen_t *g, const gev_t *next)
{
    int kept = 0;
    for (int i = 0; i < g->nrej; i++) {
        if (!next || g->rej[i].pos == g->emitted)
            put_reject(g, g->rej[i].kind, next);
        else
            g->rej[kept++] = g->rej[i];
    }
    g->nrej = kept;
}

/* Sends g->ev, the case's next valid event, after the refused ones scheduled before it. */
static void emit(gen_t *g)
{
    gev_t *e = &g->ev;
    if (g->emitted > 0)
        flush_rejects(g, e);
    if (g->want_over && strcmp(e->type, "works.grant_ts") == 0) {
        put_reject(g, K_OVER, e);
        g->want_over = false;
    }
    wl_put(g, e, PV_REJ_NONE, 0);
    g->last = *e;
    g->emitted++;
}

static kind_t pick_kind(gen_t *g, bool works)
{
    /* weights per kind, in kind_t order */
    static const int other[K_COUNT] = {30, 30, 0, 8, 5, 5, 17, 5};
    static const int wms[K_COUNT] = {20, 20, 35, 5, 3, 3, 11, 3};
    const int *wt = works ? wms : other;
    int r = (int)(rnd(&g->rng) % 100);
    for (int k = 0; k < K_COUNT; k++)
        if ((r -= wt[k]) < 0)
            return (kind_t)k;
    return K_DUP;
}

static void case_begin(gen_t *g, int domain, int district, int len, int nrej)
{
    g->domain = domain;
    g->district = district;
    g->emitted = 0;
    g->nrej = 0;
    g->want_over = false;
    g->dom_cases[domain]++;
    for (int i = 0; i < nrej && i < REJ_MAX; i++) {
        kind_t k = pick_kind(g, domain == DOM_WORKS);
        if (k == K_OVER && !g->want_over) {
            g->want_over = true;
            continue;
        }
        if (k == K_OVER)
            k = K_UNAUTH;
        g->rej[g->nrej++] = (pending_t){(int)rnd_in(&g->rng, 1, len > 1 ? len : 1), k};
    }
}

static int case_end(gen_t *g)
{
    if (g->want_over) { /* the case never reached its technical sanction */
        g->rej[g->nrej++] = (pending_t){0, K_DUP};
        g->want_over = false;
    }
    flush_rejects(g, NULL);
    return g->emitted;
}

/* Case ids carry a six-digit serial; past a million the year moves on (20xx stays valid). */
static void serial_parts(gen_t *g, int domain, int *year, int *serial)
{
    uint32_t s = ++g->serial[domain];
    *year = 2026 + (int)(s / 1000000);
    *serial = (int)(s % 1000000);
}

static const char *const note_phrases[] = {
    "Submitted for perusal and orders.",
    "The proposal has been examined in the light of the instructions issued by the Government.",
    "The request of the applicant may kindly be considered as per rules.",
    "Draft reply placed below for approval, please.",
    "Budget provision is available under the relevant head of account.",
    "Report of the field office has been received and is placed on file.",
    "May kindly be approved, if agreed.",
    "Discussed with the branch. Issue orders as proposed.",
    "The matter is pending for want of comments from the concerned department.",
    "Reminder may be issued to the office concerned to send the report within a week."};

static void kv_text_phrases(gen_t *g, gev_t *e, const char *key, int lo, int hi)
{
    char buf[1024];
    size_t n = 0;
    int count = (int)rnd_in(&g->rng, lo, hi);
    buf[0] = '\0';
    for (int i = 0; i < count; i++) {
        const char *p = PICK(&g->rng, note_phrases);
        size_t len = strlen(p);
        if (n + len + 2 >= sizeof buf)
            break;
        if (n)
            buf[n++] = ' ';
        memcpy(buf + n, p, len + 1);
        n += len;
    }
    kv_str(e, key, buf);
}

static pv_time_t after(gen_t *g, pv_time_t t, int64_t lo, int64_t hi)
{
    return t + rnd_in(&g->rng, lo / SEC, hi / SEC) * SEC;
}

/* ---- efile: a file moving desk to desk in a district office ---- */

static const int efile_desks[] = {D_DA1, D_DA2, D_SUPT, D_CTM, D_ADC, D_DC, D_SDM};
#define N_EFILE_DESKS ((int)(sizeof efile_desks / sizeof *efile_desks))

typedef struct efile_s {
    const district_t *d;
    int creator, at, prev; /* desks (D_*); prev: the desk that forwarded it, -1 when none */
    bool opened, parked;
    int notes, frozen;
    pv_time_t t;
} efile_t;

static pv_time_t efile_gap(gen_t *g, pv_time_t t)
{
    int r = (int)(rnd(&g->rng) % 100);
    if (r < 85)
        return after(g, t, 5 * MINUTE, 8 * HOUR);
    if (r < 97)
        return after(g, t, 8 * HOUR, 3 * DAY);
    return after(g, t, 8 * DAY, 20 * DAY); /* sits on a desk past its 7 working days */
}

static void efile_create(gen_t *g, efile_t *f)
{
    static const char *const heads[] = {"EST", "ACCTS", "GEN", "LEGAL", "WRK", "RTI"};
    static const char *const cats[] = {"establishment", "accounts", "general", "legal", "works",
                                       "rti"};
    static const char *const subjects[] = {
        "Leave encashment of Sh. Ram Kumar, Clerk", "Purchase of stationery for the branch",
        "Court case regarding allotment of plot in Sector 12", "Repair of the record room roof",
        "RTI application of Sh. Sunil Kumar regarding ration depot",
        "Pay fixation of Smt. Sunita Devi, Steno-typist"};
    int year, serial, h = (int)(rnd(&g->rng) % 6);
    serial_parts(g, DOM_EFILE, &year, &serial);
    snprintf(g->subject, sizeof g->subject, "DC-%s/%s/%d/%06d", f->d->code, heads[h], year,
             serial);
    gev_t *e = ev_new(g, f->t, "create_file", f->d->desk[f->creator].officer);
    kv_str(e, "subject", PICK(&g->rng, subjects));
    kv_str(e, "category", cats[h]);
    emit(g);
}

static void efile_forward(gen_t *g, efile_t *f)
{
    int to;
    do
        to = efile_desks[rnd(&g->rng) % N_EFILE_DESKS];
    while (to == f->at);
    gev_t *e = ev_new(g, f->t, "forward", f->d->desk[f->at].officer);
    kv_str(e, "to_post", f->d->desk[to].post);
    if (chance(&g->rng, 60))
        kv_str(e, "remarks", chance(&g->rng, 50) ? "Put up, please." : "For orders.");
    f->prev = f->at;
    f->at = to;
    f->opened = false;
    f->frozen = f->notes;
}

/* Builds one event on an open file at its desk (not the last one of the case). */
static void efile_work(gen_t *g, efile_t *f, bool last)
{
    const char *me = f->d->desk[f->at].officer;
    int r = (int)(rnd(&g->rng) % 100);
    gev_t *e;
    if (r < 30) {
        efile_forward(g, f);
    } else if (r < 40 && f->notes > f->frozen) {
        e = ev_new(g, f->t, "edit_note", me);
        kv_int(e, "note_no", rnd_in(&g->rng, f->frozen + 1, f->notes));
        kv_text_phrases(g, e, "text", 1, 3);
    } else if (r < 50) {
        e = ev_new(g, f->t, "attach_receipt", me);
        kv_fmt(e, "receipt_no", "R/DC-%s/%d/%06d", f->d->code, 2026, (int)rnd_in(&g->rng, 1, 999999));
        if (chance(&g->rng, 70))
            kv_date(e, "received_on", day_of(f->t) - rnd_in(&g->rng, 0, 5));
        if (chance(&g->rng, 50))
            kv_str(e, "from_whom", "Office of the Sub Divisional Officer (Civil)");
    } else if (r < 54 && !last) {
        e = ev_new(g, f->t, "park", me);
        kv_str(e, "reason", "Awaiting the report of the field office.");
        f->parked = true;
    } else {
        e = ev_new(g, f->t, "add_note", me);
        kv_text_phrases(g, e, "text", 1, 4);
        f->notes++;
    }
}

static void efile_step(gen_t *g, efile_t *f, bool last)
{
    const char *me = f->d->desk[f->at].officer;
    gev_t *e;
    if (last && chance(&g->rng, 35)) {
        e = ev_new(g, f->t, "close", f->d->desk[f->creator].officer);
        if (chance(&g->rng, 70))
            kv_str(e, "remarks", "Orders issued. File closed.");
    } else if (f->parked) {
        ev_new(g, f->t, "reactivate", me);
        f->parked = false;
        f->opened = true;
    } else if (!f->opened && f->prev >= 0 && chance(&g->rng, 15)) {
        ev_new(g, f->t, "pull_back", f->d->desk[f->prev].officer);
        f->at = f->prev;
        f->prev = -1;
        f->opened = true;
    } else if (!f->opened) {
        ev_new(g, f->t, "open", me);
        f->opened = true;
    } else {
        efile_work(g, f, last);
    }
    emit(g);
}

static void gen_efile(gen_t *g, pv_time_t t, int len)
{
    efile_t f = {.d = &g->w->districts[g->district], .prev = -1, .opened = true, .t = t};
    f.creator = f.at = chance(&g->rng, 80) ? (chance(&g->rng, 50) ? D_DA1 : D_DA2) : D_SUPT;
    efile_create(g, &f);
    for (int k = 1; k < len; k++) {
        f.t = efile_gap(g, f.t);
        efile_step(g, &f, k == len - 1);
    }
}

/* ---- grievance: CM Window, within its 21 days ---- */

enum { G_TRANSFER, G_ACK, G_FORWARD, G_ATR, G_RETURN, G_RESOLVE, G_REJECT, G_RATE, G_DISMISS,
       G_CLOSE_UNRATED };

typedef struct griev_s {
    const district_t *d;
    const char *citizen;
    int handler, worker; /* desks: DC or SP; the subordinate desk with the grievance */
    bool low_rating;
    pv_time_t t, until;  /* until: every step before the decision stays before this */
    int steps[24], nsteps;
} griev_t;

static void make_aadhaar(gen_t *g, char out[16])
{
    static const unsigned char d[10][10] = {
        {0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, {1, 2, 3, 4, 0, 6, 7, 8, 9, 5},
        {2, 3, 4, 0, 1, 7, 8, 9, 5, 6}, {3, 4, 0, 1, 2, 8, 9, 5, 6, 7},
        {4, 0, 1, 2, 3, 9, 5, 6, 7, 8}, {5, 9, 8, 7, 6, 0, 4, 3, 2, 1},
        {6, 5, 9, 8, 7, 1, 0, 4, 3, 2}, {7, 6, 5, 9, 8, 2, 1, 0, 4, 3},
        {8, 7, 6, 5, 9, 3, 2, 1, 0, 4}, {9, 8, 7, 6, 5, 4, 3, 2, 1, 0}};
    static const unsigned char p[8][10] = {
        {0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, {1, 5, 7, 6, 2, 8, 3, 0, 9, 4},
        {5, 8, 0, 3, 7, 9, 6, 1, 4, 2}, {8, 9, 1, 6, 0, 4, 3, 5, 2, 7},
        {9, 4, 5, 3, 1, 2, 6, 8, 7, 0}, {4, 2, 8, 6, 5, 7, 3, 9, 0, 1},
        {2, 7, 9, 3, 8, 0, 6, 4, 1, 5}, {7, 0, 4, 6, 9, 1, 3, 2, 5, 8}};
    static const unsigned char inv[10] = {0, 4, 3, 2, 1, 5, 6, 7, 8, 9};
    out[0] = (char)('2' + rnd(&g->rng) % 8);
    for (int i = 1; i < 11; i++)
        out[i] = (char)('0' + rnd(&g->rng) % 10);
    int c = 0;
    for (int i = 0; i < 11; i++)
        c = d[c][p[(i + 1) % 8][out[10 - i] - '0']];
    out[11] = (char)('0' + inv[c]);
    out[12] = '\0';
}

static void griev_lodge(gen_t *g, griev_t *v, char *citizen_buf)
{
    static const char *const cats[] = {"revenue", "police",  "municipal", "power", "water",
                                       "health",  "education", "social_welfare", "transport",
                                       "other"};
    static const char *const names[] = {"Ramesh Kumar", "Sunita Devi", "Balwan Singh",
                                        "Kavita Rani",  "Mohd. Aslam", "Harpreet Kaur"};
    int year, serial;
    serial_parts(g, DOM_GRIEVANCE, &year, &serial);
    snprintf(g->subject, sizeof g->subject, "CMW/%d/%07d", year, serial);
    long long mobile = 6000000000LL + (long long)rnd_in(&g->rng, 0, 3999999999LL);
    snprintf(citizen_buf, 64, "CIT-%lld", mobile);
    v->citizen = g->w->has_cm_window && chance(&g->rng, 20) ? g->w->cm_window.officer : citizen_buf;
    gev_t *e = ev_new(g, v->t, "lodge", v->citizen);
    kv_str(e, "district", v->d->office);
    if (chance(&g->rng, 60)) {
        char a[16];
        make_aadhaar(g, a);
        kv_str(e, "aadhaar", a);
    } else {
        kv_fmt(e, "family_id", "HR%08llX", (unsigned long long)(rnd(&g->rng) & 0xffffffffull));
    }
    kv_str(e, "name", PICK(&g->rng, names));
    if (chance(&g->rng, 80))
        kv_fmt(e, "mobile", "%lld", mobile);
    kv_str(e, "category", PICK(&g->rng, cats));
    kv_str(e, "subject", "Grievance regarding delay in the disposal of an application");
    kv_text_phrases(g, e, "description", 1, 3);
    emit(g);
}

/* Plans the steps after `lodge` for a case of len events (fewer are taken when len is short). */
static void griev_plan(gen_t *g, griev_t *v, int len)
{
    int *s = v->steps, n = 0;
    if ((len == 4 || len == 5) && chance(&g->rng, 50)) {
        s[n++] = G_ACK;
        s[n++] = G_REJECT;
        s[n++] = G_RATE;
        v->low_rating = len == 5;
    } else {
        int extra = len > 6 ? len - 6 : 0;
        bool transfer = extra % 2 == 1 && chance(&g->rng, 50);
        v->low_rating = extra % 2 == 1 && !transfer;
        int loops = (extra - (transfer || v->low_rating)) / 2;
        if (transfer)
            s[n++] = G_TRANSFER;
        s[n++] = G_ACK;
        s[n++] = G_FORWARD;
        s[n++] = G_ATR;
        for (int i = 0; i < loops && i < 3; i++) {
            s[n++] = G_RETURN;
            s[n++] = G_ATR;
        }
        s[n++] = G_RESOLVE;
        s[n++] = !v->low_rating && chance(&g->rng, 10) ? G_CLOSE_UNRATED : G_RATE;
    }
    if (v->low_rating)
        s[n++] = G_DISMISS;
    v->nsteps = n;
}

static void griev_when(gen_t *g, griev_t *v, int step, int left_before_decision)
{
    if (step == G_RATE)
        v->t = after(g, v->t, HOUR, 5 * DAY);
    else if (step == G_CLOSE_UNRATED)
        v->t = after(g, v->t, 15 * DAY + HOUR, 20 * DAY);
    else if (step == G_DISMISS)
        v->t = after(g, v->t, DAY, 10 * DAY);
    else {
        int64_t room = (v->until - v->t) / (left_before_decision > 0 ? left_before_decision : 1);
        v->t = after(g, v->t, 30 * MINUTE, room < 2 * DAY ? room : 2 * DAY);
    }
}

static void griev_step(gen_t *g, griev_t *v, int step)
{
    const desk_t *h = &v->d->desk[v->handler], *wk = &v->d->desk[v->worker];
    gev_t *e;
    switch (step) {
    case G_TRANSFER:
        e = ev_new(g, v->t, "transfer", h->officer);
        kv_str(e, "to_post", v->d->desk[D_SP].post);
        kv_str(e, "remarks", "The complaint pertains to the police.");
        v->handler = D_SP;
        break;
    case G_ACK: ev_new(g, v->t, "acknowledge", h->officer); break;
    case G_FORWARD:
        e = ev_new(g, v->t, "forward", h->officer);
        kv_str(e, "to_post", wk->post);
        if (chance(&g->rng, 70))
            kv_str(e, "instructions", "Enquire and redress within a week; send the ATR.");
        break;
    case G_ATR:
        e = ev_new(g, v->t, "submit_atr", wk->officer);
        kv_text_phrases(g, e, "report", 1, 3);
        break;
    case G_RETURN:
        e = ev_new(g, v->t, "return_atr", h->officer);
        kv_str(e, "remarks", "The report does not address the grievance. Enquire again.");
        break;
    case G_RESOLVE:
        e = ev_new(g, v->t, "resolve", h->officer);
        kv_str(e, "resolution", "Grievance redressed as per the action-taken report.");
        break;
    case G_REJECT:
        e = ev_new(g, v->t, "reject", h->officer);
        kv_str(e, "reason", chance(&g->rng, 50) ? "sub_judice" : "not_a_grievance");
        kv_str(e, "remarks", "Informed the complainant accordingly.");
        break;
    case G_RATE:
        e = ev_new(g, v->t, "rate", v->citizen);
        kv_int(e, "rating", v->low_rating ? rnd_in(&g->rng, 1, 2) : rnd_in(&g->rng, 3, 5));
        if (chance(&g->rng, 40))
            kv_str(e, "feedback", v->low_rating ? "Nothing was done." : "Work done, thanks.");
        break;
    case G_DISMISS:
        e = ev_new(g, v->t, "dismiss_appeal", v->d->desk[D_FAA].officer);
        kv_str(e, "order", "The redressal is in order. Appeal dismissed.");
        break;
    default:
        e = ev_new(g, v->t, "close_unrated", v->d->desk[D_NODAL].officer);
        kv_str(e, "remarks", "Not rated by the complainant within 15 days.");
    }
    emit(g);
}

static void gen_grievance(gen_t *g, pv_time_t t, int len)
{
    static const int workers[] = {D_SDM, D_CTM, D_ADC, D_NODAL, D_DMC};
    char citizen[64];
    griev_t v = {.d = &g->w->districts[g->district], .handler = D_DC, .t = t,
                 .until = t + 18 * DAY /* due at the end of day 21 */};
    v.worker = workers[rnd(&g->rng) % 5];
    griev_lodge(g, &v, citizen);
    griev_plan(g, &v, len);
    int decision = 0;
    while (decision < v.nsteps && v.steps[decision] != G_RESOLVE && v.steps[decision] != G_REJECT)
        decision++;
    for (int i = 0; i < v.nsteps && i < len - 1; i++) {
        griev_when(g, &v, v.steps[i], decision - i + 1);
        griev_step(g, &v, v.steps[i]);
    }
}

/* ---- works: an urban local body's civil work, estimate to final payment ---- */

typedef struct works_s {
    const ulb_t *u;
    int creator, aa; /* desks (U_*) */
    int64_t est, aa_amount, ts, contract, billed, bill;
    double qty;
    pv_time_t t;
    int left;        /* events still to send */
} works_t;

static bool works_take(works_t *k, pv_time_t t)
{
    if (k->left <= 0)
        return false;
    k->left--;
    k->t = t;
    return true;
}

static void works_estimate(gen_t *g, works_t *k)
{
    static const char *const names[] = {
        "Interlocking paver block road, Ward 12", "Construction of storm water drain, Sector 4",
        "Repair of community centre, Ward 7", "Street lights on the bypass road",
        "Renovation of public toilet block near bus stand"};
    const ulb_t *u = k->u;
    int year, serial;
    serial_parts(g, DOM_WORKS, &year, &serial);
    snprintf(g->subject, sizeof g->subject, "WMS/%s/%d/%06d", u->office, year, serial);
    bool dc_slab = u->kind != ULB_CORPORATION && chance(&g->rng, 20);
    k->aa = dc_slab ? U_DC : U_AA;
    k->est = dc_slab ? rnd_in(&g->rng, 2800000, 9000000) / 1000 * 1000 /* AA stays above 25L */
             : u->kind == ULB_CORPORATION ? rnd_in(&g->rng, 300000, 9500000) / 1000 * 1000
             : u->kind == ULB_COUNCIL     ? rnd_in(&g->rng, 300000, 2400000) / 1000 * 1000
                                          : rnd_in(&g->rng, 300000, 950000) / 1000 * 1000;
    k->qty = (double)rnd_in(&g->rng, 1000, 10000);
    k->creator = chance(&g->rng, 50) ? U_JE1 : U_JE2;
    gev_t *e = ev_new(g, k->t, "submit_estimate", u->desk[k->creator].officer);
    kv_str(e, "name", PICK(&g->rng, names));
    kv_int(e, "amount", k->est);
    kv_int(e, "quantity", (int64_t)k->qty);
    kv_str(e, "unit", "sqm");
    if (chance(&g->rng, 60))
        kv_str(e, "scheme", "Municipal Fund");
    if (chance(&g->rng, 60))
        kv_int(e, "ward", rnd_in(&g->rng, 1, 40));
    emit(g);
}

/* Estimate to work order; false when the case's events run out first. */
static bool works_sanctions(gen_t *g, works_t *k)
{
    const ulb_t *u = k->u;
    gev_t *e;
    if (k->left >= 12 && chance(&g->rng, 10)) {
        works_take(k, after(g, k->t, HOUR, 5 * DAY));
        e = ev_new(g, k->t, "return_aa", u->desk[k->aa].officer);
        kv_str(e, "remarks", "Rates to be revised as per the current schedule of rates.");
        emit(g);
        works_take(k, after(g, k->t, DAY, 5 * DAY));
        e = ev_new(g, k->t, "resubmit_estimate", u->desk[k->creator].officer);
        kv_int(e, "amount", k->est);
        emit(g);
    }
    if (!works_take(k, after(g, k->t, HOUR, 12 * DAY)))
        return false;
    k->aa_amount = k->est - k->est / 100 * rnd_in(&g->rng, 0, 5);
    e = ev_new(g, k->t, "grant_aa", u->desk[k->aa].officer);
    kv_int(e, "amount", k->aa_amount);
    kv_fmt(e, "aa_number", "AA/%s/2026/%d", u->office + 4, (int)rnd_in(&g->rng, 1, 999));
    emit(g);
    if (!works_take(k, after(g, k->t, HOUR, 6 * DAY)))
        return false;
    e = ev_new(g, k->t, "grant_fs", u->desk[U_FS].officer);
    kv_int(e, "amount", k->aa_amount);
    if (chance(&g->rng, 70))
        kv_str(e, "budget_head", "Municipal Fund - Roads");
    emit(g);
    if (!works_take(k, after(g, k->t, HOUR, 12 * DAY)))
        return false;
    k->ts = k->aa_amount - k->aa_amount / 100 * rnd_in(&g->rng, 0, 5);
    e = ev_new(g, k->t, "grant_ts", u->desk[U_XEN].officer);
    kv_int(e, "amount", k->ts);
    kv_fmt(e, "ts_number", "TS/%s/2026/%d", u->office + 4, (int)rnd_in(&g->rng, 1, 999));
    emit(g);
    return true;
}

static bool works_tender(gen_t *g, works_t *k)
{
    const char *xen = k->u->desk[U_XEN].officer;
    if (!works_take(k, after(g, k->t, HOUR, 6 * DAY)))
        return false;
    int64_t bid_day = day_of(k->t) + rnd_in(&g->rng, 8, 20);
    gev_t *e = ev_new(g, k->t, "publish_nit", xen);
    kv_fmt(e, "nit_number", "NIT/%s/2026/%d", k->u->office + 4, (int)rnd_in(&g->rng, 1, 999));
    kv_date(e, "bid_opening", bid_day);
    emit(g);
    if (!works_take(k, day_start(bid_day) + rnd_in(&g->rng, 10, 16) * HOUR + rnd_in(&g->rng, 0, 3) * DAY))
        return false;
    e = ev_new(g, k->t, "open_bids", xen);
    kv_int(e, "bids_received", rnd_in(&g->rng, 1, 9));
    emit(g);
    if (!works_take(k, after(g, k->t, DAY, 14 * DAY)))
        return false;
    k->contract = k->ts / 100 * rnd_in(&g->rng, 88, 105);
    if (k->contract > 10000000) /* the XEN's ceiling */
        k->contract = 10000000;
    e = ev_new(g, k->t, "allot_work", xen);
    kv_fmt(e, "agreement_number", "AGR/%s/2026/%d", k->u->office + 4, (int)rnd_in(&g->rng, 1, 999));
    kv_str(e, "contractor", "M/s Shree Balaji Constructions");
    kv_int(e, "contract_amount", k->contract);
    kv_date(e, "planned_completion", day_of(k->t) + rnd_in(&g->rng, 60, 240));
    emit(g);
    return true;
}

static void works_mb(gen_t *g, works_t *k)
{
    gev_t *e = ev_new(g, k->t, "record_mb", k->u->desk[chance(&g->rng, 50) ? U_JE1 : U_JE2].officer);
    kv_fmt(e, "mb_number", "MB-%d/p.%d", (int)rnd_in(&g->rng, 1000, 1999), (int)rnd_in(&g->rng, 1, 99));
    if (chance(&g->rng, 50))
        kv_int(e, "quantity", (int64_t)(k->qty / 60));
    else
        kv_num(e, "quantity", (double)(int64_t)(k->qty / 60 * 100) / 100.0 + 0.25);
    emit(g);
}

static void works_inspect(gen_t *g, works_t *k, bool pass)
{
    gev_t *e = ev_new(g, k->t, "inspect", k->u->desk[U_SDO].officer);
    kv_str(e, "result", pass ? "pass" : "fail");
    if (chance(&g->rng, 50))
        kv_str(e, "remarks", pass ? "Thickness and levels within tolerance." : "Cracks observed.");
    emit(g);
}

static void works_bill(gen_t *g, works_t *k, bool final)
{
    gev_t *e = ev_new(g, k->t, final ? "submit_final_bill" : "submit_running_bill",
                      k->u->desk[U_SDO].officer);
    k->bill = final ? k->contract - k->billed : k->contract / 25;
    if (final && k->bill > k->contract / 5)
        k->bill = k->contract / 5;
    k->billed += k->bill;
    kv_fmt(e, "bill_number", "%s-%d", final ? "FB" : "RB", (int)rnd_in(&g->rng, 1, 99));
    kv_int(e, "amount", k->bill);
    emit(g);
}

static void works_pay(gen_t *g, works_t *k, bool final)
{
    gev_t *e = ev_new(g, k->t, final ? "pay_final_bill" : "pay_bill", k->u->desk[U_FS].officer);
    kv_int(e, "amount", k->bill);
    if (chance(&g->rng, 60))
        kv_fmt(e, "voucher", "PV/2026/%d", (int)rnd_in(&g->rng, 1, 9999));
    emit(g);
}

/* Execution: measurements, inspections and running bills; with 4 or more events left, the last
 * four are a measurement, a passed inspection, the final bill and its payment. */
static void works_execution(gen_t *g, works_t *k)
{
    bool final = k->left >= 4, has_mb = false;
    int mid = final ? k->left - 4 : k->left;
    while (mid > 0) {
        int r = (int)(rnd(&g->rng) % 100);
        if (has_mb && r < 25 && mid >= 2) {
            works_take(k, after(g, k->t, 2 * DAY, 15 * DAY));
            works_bill(g, k, false);
            works_take(k, after(g, k->t, DAY, 9 * DAY));
            works_pay(g, k, false);
            mid -= 2;
            continue;
        }
        works_take(k, after(g, k->t, 2 * DAY, 15 * DAY));
        if (has_mb && r < 40)
            works_inspect(g, k, !chance(&g->rng, 15));
        else
            works_mb(g, k);
        has_mb = true;
        mid--;
    }
    if (!final)
        return;
    works_take(k, after(g, k->t, 2 * DAY, 15 * DAY));
    works_mb(g, k);
    works_take(k, after(g, k->t, DAY, 6 * DAY));
    works_inspect(g, k, true);
    works_take(k, after(g, k->t, DAY, 6 * DAY));
    works_bill(g, k, true);
    works_take(k, after(g, k->t, DAY, 9 * DAY));
    works_pay(g, k, true);
}

static void gen_works(gen_t *g, const ulb_t *u, pv_time_t t, int len)
{
    works_t k = {.u = u, .t = t, .left = len - 1};
    g->over_actor = u->desk[U_JE1].officer;
    works_estimate(g, &k);
    if (works_sanctions(g, &k) && works_tender(g, &k))
        works_execution(g, &k);
}

/* ---- appointment with an officer ---- */

typedef enum { A_REQUESTED, A_ALLOTTED, A_CONFIRMED, A_DONE } appt_state_t;

typedef struct appt_s {
    const desk_t *officer;
    const char *citizen;
    appt_state_t state;
    int reschedules;
    int64_t slot_day;
    bool video;
    pv_time_t t;
} appt_t;

static void appt_slot(gen_t *g, appt_t *a, const char *action)
{
    gev_t *e = ev_new(g, a->t, action, a->officer->officer);
    a->slot_day = day_of(a->t) + rnd_in(&g->rng, 1, 5);
    kv_date(e, "slot_date", a->slot_day);
    kv_fmt(e, "slot_time", "%02d:%02d", (int)rnd_in(&g->rng, 10, 16), chance(&g->rng, 50) ? 0 : 30);
    if (a->video)
        kv_fmt(e, "meeting_link", "https://vc.haryana.gov.in/m/%06d", (int)rnd_in(&g->rng, 0, 999999));
    else
        kv_str(e, "venue", "Office chamber, Mini Secretariat");
    a->state = A_ALLOTTED;
}

static void appt_end(gen_t *g, appt_t *a)
{
    int r = (int)(rnd(&g->rng) % 100);
    if (a->state != A_CONFIRMED) {
        ev_new(g, a->t, "cancel", a->citizen);
    } else if (r < 80) {
        pv_time_t slot = day_start(a->slot_day) + rnd_in(&g->rng, 10 * 60, 17 * 60) * MINUTE;
        a->t = slot > a->t ? slot : a->t;
        gev_t *e = ev_new(g, a->t, "hold", a->officer->officer);
        if (chance(&g->rng, 50))
            kv_str(e, "minutes", "Heard the applicant. The matter will be examined.");
    } else if (r < 90) {
        pv_time_t slot = day_start(a->slot_day) + rnd_in(&g->rng, 17 * 60, 19 * 60) * MINUTE;
        a->t = slot > a->t ? slot : a->t;
        ev_new(g, a->t, "no_show", a->officer->officer);
    } else {
        gev_t *e = ev_new(g, a->t, "cancel_by_office", a->officer->officer);
        kv_str(e, "reason", "The officer is on tour on that date.");
    }
    a->state = A_DONE;
}

static void appt_step(gen_t *g, appt_t *a, int left)
{
    a->t = after(g, a->t, 10 * MINUTE, 20 * HOUR);
    if (a->state == A_REQUESTED) {
        appt_slot(g, a, "allot_slot");
    } else if (left == 1 || (a->state == A_CONFIRMED && a->reschedules >= 3)) {
        appt_end(g, a);
    } else if (a->state == A_ALLOTTED && !(a->reschedules < 3 && left >= 3 && chance(&g->rng, 20))) {
        ev_new(g, a->t, "confirm", a->citizen);
        a->state = A_CONFIRMED;
    } else if (a->state == A_ALLOTTED || chance(&g->rng, 50)) {
        a->reschedules++;
        appt_slot(g, a, "reschedule");
    } else {
        gev_t *e = ev_new(g, a->t, "request_reschedule", a->citizen);
        kv_str(e, "reason", "Unable to come on the allotted date.");
        if (chance(&g->rng, 50))
            kv_date(e, "preferred_date", day_of(a->t) + rnd_in(&g->rng, 2, 7));
        a->reschedules++;
        a->state = A_REQUESTED;
    }
    emit(g);
}

static void gen_appointment(gen_t *g, pv_time_t t, int len)
{
    static const int desks[] = {D_DC, D_ADC, D_SDM, D_CTM};
    const district_t *d = &g->w->districts[g->district];
    char citizen[64];
    long long mobile = 6000000000LL + (long long)rnd_in(&g->rng, 0, 3999999999LL);
    int year, serial;
    appt_t a = {.officer = &d->desk[desks[rnd(&g->rng) % 4]], .citizen = citizen, .t = t,
                .video = chance(&g->rng, 30)};
    snprintf(citizen, sizeof citizen, "CIT-%lld", mobile);
    serial_parts(g, DOM_APPOINTMENT, &year, &serial);
    snprintf(g->subject, sizeof g->subject, "APT/%d/%06d", year, serial);
    gev_t *e = ev_new(g, t, "request", citizen);
    kv_str(e, "office", d->office);
    kv_str(e, "officer_post", a.officer->post);
    kv_str(e, "name", "Satbir Singh");
    kv_fmt(e, "mobile", "%lld", mobile);
    kv_str(e, "purpose", "Regarding the demarcation of agricultural land in the village.");
    if (chance(&g->rng, 50))
        kv_date(e, "preferred_date", day_of(t) + rnd_in(&g->rng, 1, 5));
    kv_str(e, "mode", a.video ? "video" : "in_person");
    emit(g);
    for (int left = len - 1; left > 0 && a.state != A_DONE; left--)
        appt_step(g, &a, left);
}

/* ---- litigation: a court case against the department ---- */

typedef struct lit_s {
    const world_t *w;
    int64_t hearing_day, compliance_day;
    pv_time_t t;
} lit_t;

static void lit_register(gen_t *g, lit_t *c)
{
    static const char *const courts[] = {"PHHC", "DISTRICT_COURT", "CIVIL_COURT", "NGT",
                                         "CONSUMER_COMMISSION"};
    int year, serial;
    serial_parts(g, DOM_LITIGATION, &year, &serial);
    snprintf(g->subject, sizeof g->subject, "LIT/ULB/%d/%06d", year, serial);
    c->hearing_day = day_of(c->t) + rnd_in(&g->rng, 20, 60);
    gev_t *e = ev_new(g, c->t, "register", c->w->lit_nodal.officer);
    kv_fmt(e, "case_number", "CWP-%d-2026", (int)rnd_in(&g->rng, 1, 9999999));
    kv_str(e, "court", PICK(&g->rng, courts));
    kv_str(e, "petitioner", "Ram Niwas and others");
    if (chance(&g->rng, 60))
        kv_str(e, "subject", "Regularisation of services of contractual safai karamcharis");
    kv_date(e, "next_hearing", c->hearing_day);
    emit(g);
}

static void lit_reply(gen_t *g, lit_t *c, int left)
{
    c->t = after(g, c->t, HOUR, 2 * DAY);
    int64_t reply_day = rnd_in(&g->rng, day_of(c->t) + 1, c->hearing_day - 1);
    gev_t *e = ev_new(g, c->t, "assign_nodal", c->w->hod.officer);
    kv_date(e, "reply_due", reply_day);
    if (chance(&g->rng, 50))
        kv_str(e, "instructions", "File the written statement after vetting by the LR.");
    emit(g);
    if (left < 2)
        return;
    pv_time_t latest = day_start(reply_day) + 12 * HOUR;
    pv_time_t t = after(g, c->t, HOUR, 10 * DAY);
    c->t = t < latest ? t : latest > c->t + HOUR ? latest : c->t + HOUR;
    e = ev_new(g, c->t, "file_reply", c->w->lit_nodal.officer);
    kv_date(e, "filed_on", day_of(c->t - 1));
    emit(g);
}

/* On the hearing day (or just after the previous event). */
static void lit_on_hearing(gen_t *g, lit_t *c)
{
    pv_time_t t = day_start(c->hearing_day) + rnd_in(&g->rng, 11 * 60, 16 * 60) * MINUTE;
    c->t = t > c->t + HOUR ? t : c->t + HOUR;
}

static void lit_order(gen_t *g, lit_t *c, bool compliance)
{
    static const char *const directions[] = {"allowed", "partly_allowed",
                                             "disposed_with_directions"};
    lit_on_hearing(g, c);
    gev_t *e = ev_new(g, c->t, "record_order", c->w->lit_nodal.officer);
    kv_date(e, "order_date", c->hearing_day);
    kv_str(e, "outcome", compliance ? PICK(&g->rng, directions)
                                    : chance(&g->rng, 70) ? "dismissed" : "withdrawn");
    if (compliance) {
        c->compliance_day = c->hearing_day + rnd_in(&g->rng, 30, 90);
        kv_date(e, "compliance_due", c->compliance_day);
    }
    emit(g);
}

/* After the order: extensions, compliance or appeal, closure (3 + extensions events). */
static void lit_compliance(gen_t *g, lit_t *c, int extensions)
{
    const char *nodal = c->w->lit_nodal.officer;
    gev_t *e;
    for (int i = 0; i < extensions; i++) {
        c->t = after(g, c->t, 5 * DAY, 20 * DAY);
        c->compliance_day += rnd_in(&g->rng, 15, 45);
        e = ev_new(g, c->t, "extend_compliance", nodal);
        kv_date(e, "compliance_due", c->compliance_day);
        kv_date(e, "order_date", day_of(c->t));
        emit(g);
    }
    c->t = after(g, c->t, 3 * DAY, 25 * DAY);
    if (chance(&g->rng, 75)) {
        e = ev_new(g, c->t, "comply", nodal);
        kv_date(e, "complied_on", day_of(c->t));
        if (chance(&g->rng, 50))
            kv_str(e, "report", "Orders implemented; compliance affidavit filed.");
    } else {
        e = ev_new(g, c->t, "appeal", c->w->hod.officer);
        kv_fmt(e, "appeal_number", "LPA-%d-2026", (int)rnd_in(&g->rng, 1, 99999));
        kv_str(e, "court", "PHHC");
        kv_date(e, "filed_on", day_of(c->t));
    }
    emit(g);
    c->t = after(g, c->t, DAY, 10 * DAY);
    e = ev_new(g, c->t, "close", chance(&g->rng, 50) ? nodal : c->w->hod.officer);
    if (chance(&g->rng, 50))
        kv_str(e, "remarks", "Nothing survives in the matter.");
    emit(g);
}

static void gen_litigation(gen_t *g, pv_time_t t, int len)
{
    lit_t c = {.w = g->w, .t = t};
    lit_register(g, &c);
    if (len < 2)
        return;
    lit_reply(g, &c, len - 1);
    int rest = len - 3; /* after register, assign_nodal, file_reply */
    if (rest <= 0)
        return;
    int extensions = rest <= 2 ? 0 : (int)rnd_in(&g->rng, 0, rest - 3 < 2 ? rest - 3 : 2);
    int hearings = rest <= 2 ? rest - 1 : rest - 3 - extensions;
    for (int i = 0; i < hearings; i++) {
        lit_on_hearing(g, &c);
        gev_t *e = ev_new(g, c.t, "record_hearing", c.w->lit_nodal.officer);
        kv_date(e, "hearing_date", c.hearing_day);
        c.hearing_day += rnd_in(&g->rng, 14, 45);
        kv_date(e, "next_hearing", c.hearing_day);
        if (chance(&g->rng, 50))
            kv_str(e, "proceedings", "Reply of the respondents taken on record. Adjourned.");
        emit(g);
    }
    lit_order(g, &c, rest > 2);
    if (rest > 2)
        lit_compliance(g, &c, extensions);
}

/* ---- the whole workload ---- */

typedef struct plan_s {
    uint8_t *domain, *nrej;
} plan_t;

/* Events per case for a domain, scaled to the mean the run asks for (designed around 9.8). */
static int domain_len(gen_t *g, int domain, double mean)
{
    int len;
    switch (domain) {
    case DOM_GRIEVANCE:
        len = chance(&g->rng, 20) ? (int)rnd_in(&g->rng, 1, 5) : (int)rnd_in(&g->rng, 4, 10);
        break;
    case DOM_WORKS:
        len = chance(&g->rng, 30) ? (int)rnd_in(&g->rng, 1, 7) : (int)rnd_in(&g->rng, 8, 24);
        break;
    case DOM_APPOINTMENT: len = (int)rnd_in(&g->rng, 1, 8); break;
    default: len = chance(&g->rng, 20) ? (int)rnd_in(&g->rng, 1, 3) : (int)rnd_in(&g->rng, 4, 14);
    }
    len = (int)((double)len * mean / 9.8 + 0.5);
    return len < 1 ? 1 : len;
}

static void gen_case(gen_t *g, int domain, pv_time_t t, int len, int nrej)
{
    const world_t *w = g->w;
    const ulb_t *u = &w->ulbs[rnd(&g->rng) % w->nulbs];
    int district = domain == DOM_WORKS ? u->district
                   : domain == DOM_LITIGATION ? -1
                                              : (int)(rnd(&g->rng) % w->ndistricts);
    case_begin(g, domain, district, len, nrej);
    switch (domain) {
    case DOM_EFILE: gen_efile(g, t, len); break;
    case DOM_GRIEVANCE: gen_grievance(g, t, len); break;
    case DOM_WORKS: gen_works(g, u, t, len); break;
    case DOM_APPOINTMENT: gen_appointment(g, t, len); break;
    default: gen_litigation(g, t, len);
    }
}

/* Generates `events` events on `cases` cases: the other domains first, then the e-files take up
 * exactly what is left, so the total is exact. */
static void workload_generate(gen_t *g, size_t events, size_t cases, pv_time_t t0)
{
    const int *mix = gen_mix; /* per mille, chosen by main: the one change to the copy */
    size_t nrej = events * REJECT_PERMILLE / 1000, valid = events - nrej, efiles = 0, used = 0;
    plan_t p = {xrealloc(NULL, cases), xrealloc(NULL, cases)};
    double mean = (double)valid / (double)cases;
    for (size_t i = 0; i < cases; i++) {
        int r = (int)(rnd(&g->rng) % 1000), d = 0;
        while (d < DOM_COUNT - 1 && (r -= mix[d]) >= 0)
            d++;
        if (d == DOM_LITIGATION && !g->w->has_litigation)
            d = DOM_EFILE;
        p.domain[i] = (uint8_t)d;
        p.nrej[i] = 0;
        efiles += d == DOM_EFILE;
    }
    for (size_t i = 0; i < nrej; i++) {
        size_t c = rnd(&g->rng) % cases;
        while (p.nrej[c] >= REJ_MAX)
            c = (c + 1) % cases;
        p.nrej[c]++;
    }
    for (size_t i = 0; i < cases; i++) {
        if (p.domain[i] == DOM_EFILE)
            continue;
        pv_time_t t = t0 + rnd_in(&g->rng, 0, START_SPAN_DAYS * 86400LL) * SEC;
        gen_case(g, p.domain[i], t, domain_len(g, p.domain[i], mean), p.nrej[i]);
        used += (size_t)case_end(g);
    }
    if (used + efiles > valid)
        die("%zu events are too few for %zu cases: use at least %zu", events, cases,
            (used + efiles) * 1000 / (1000 - REJECT_PERMILLE) + 1);
    size_t budget = valid - used, left = efiles;
    for (size_t i = 0; i < cases; i++) {
        if (p.domain[i] != DOM_EFILE)
            continue;
        int64_t m = (int64_t)(budget / left), len;
        len = left == 1 ? (int64_t)budget : rnd_in(&g->rng, m / 2 > 0 ? m / 2 : 1, m + m / 2);
        if (len > (int64_t)(budget - (left - 1)))
            len = (int64_t)(budget - (left - 1));
        pv_time_t t = t0 + rnd_in(&g->rng, 0, START_SPAN_DAYS * 86400LL) * SEC;
        gen_case(g, DOM_EFILE, t, (int)len, p.nrej[i]);
        budget -= (size_t)case_end(g);
        left--;
    }
    free(p.domain);
    free(p.nrej);
}

/* ==== the advancer benchmark ==== */

#ifndef PV_PRAVAH_BIN
#define PV_PRAVAH_BIN "build/workers/pravah"
#endif

#define TARGET_RATIO 0.60
#define TARGET_P99_MS 100.0
#define TARGET_REBUILD_S 10.0
#define TARGET_REBUILD_CASES 1000000.0
#define REBUILD_STORE_CASES 100000 /* cases per store (one partition's worth) when folding */
#define REBUILD_EVENTS_PER_CASE 10 /* the generator's design mean is 9.8 valid events a case */
#define REBUILD_ARENA_RESET 4096   /* as workers/advancer.c rebuild_journal_cb */
#define CLOCK_T0 "2026-04-01T09:00:00+05:30" /* the generator's t0; the advancer's fixed clock */
#define EVENTS_PER_PARTITION 12500 /* generated events; keeps partitions under the mock's 5 MiB */
#define MAX_CHILDREN 32
#define MAX_PARTS 256

int pv_passthrough_main(int argc, char **argv); /* tests/bench/passthrough.c */

/* The engine benchmark's domain mix. */
static const int mix_all[DOM_COUNT] = {400, 250, 200, 100, 50};

typedef struct opts_s {
    size_t events, cases;
    uint64_t seed;
    int partitions; /* 0: from the event count */
    long batch_max, batch_ms;
    double latency_s, rate;
    size_t rebuild_cases;
    int runs, keep;
    const char *schemas, *pravah;
} opts_t;

static char workdir[1024], self_exe[PATH_MAX];
#define MAX_KPROPS 16
static pv_kv_t kprops[MAX_KPROPS]; /* --kafka PROP=VALUE: every client, the workers' included */
static const char *kprop_args[MAX_KPROPS];
static size_t nkprops;

/* bootstrap.servers and the --kafka properties; returns the count. */
static size_t client_props(const char *bootstrap, pv_kv_t out[MAX_KPROPS + 1])
{
    out[0] = (pv_kv_t){"bootstrap.servers", bootstrap};
    for (size_t i = 0; i < nkprops; i++)
        out[i + 1] = kprops[i];
    return nkprops + 1;
}
static pid_t children[MAX_CHILDREN];
static int failures;

static void failf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void failf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    printf("FAILED: ");
    vprintf(fmt, ap);
    printf("\n");
    fflush(stdout);
    va_end(ap);
    failures++;
}

static int64_t mono_us(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000000 + t.tv_nsec / 1000;
}

static int64_t wall_us(void)
{
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    return (int64_t)t.tv_sec * 1000000 + t.tv_nsec / 1000;
}

static void sleep_us(int64_t us)
{
    struct timespec t = {(time_t)(us / 1000000), (long)(us % 1000000) * 1000};
    nanosleep(&t, NULL);
}

/* ---- child processes (broker, advancer, pass-through), stopped by pid ---- */

static void kill_children(void)
{
    for (int i = 0; i < MAX_CHILDREN; i++)
        if (children[i] > 0) {
            kill(children[i], SIGKILL);
            waitpid(children[i], NULL, 0);
            children[i] = 0;
        }
}

static void on_fatal_signal(int sig)
{
    kill_children(); /* kill and waitpid are async-signal-safe */
    _exit(128 + sig);
}

static void remove_workdir(void)
{
    char cmd[PATH_MAX + 16];
    if (!workdir[0])
        return;
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", workdir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", workdir);
}

static void path_in_work(char *out, size_t n, const char *name)
{
    snprintf(out, n, "%s/%s", workdir, name);
}

/* Starts argv in workdir with stdout and stderr appended to workdir/log. */
static pid_t spawn(const char *log, char *const argv[])
{
    char path[PATH_MAX];
    path_in_work(path, sizeof path, log);
    int slot = 0;
    while (slot < MAX_CHILDREN && children[slot] > 0)
        slot++;
    if (slot == MAX_CHILDREN)
        die("too many child processes");
    pid_t pid = fork();
    if (pid < 0)
        die("fork: %s", strerror(errno));
    if (pid == 0) { /* only async-signal-safe calls until exec */
        int fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0644);
        int nul = open("/dev/null", O_RDONLY);
        if (fd < 0 || nul < 0 || chdir(workdir) != 0)
            _exit(127);
        dup2(nul, 0);
        dup2(fd, 1);
        dup2(fd, 2);
        execv(argv[0], argv);
        _exit(127);
    }
    children[slot] = pid;
    return pid;
}

static void forget_child(pid_t pid)
{
    for (int i = 0; i < MAX_CHILDREN; i++)
        if (children[i] == pid)
            children[i] = 0;
}

/* SIGTERM, up to 30 s to exit, then SIGKILL. Returns the exit status, or -1 if it had to be
 * killed or died of a signal. */
static int stop_child(pid_t pid)
{
    int status = 0;
    kill(pid, SIGTERM);
    for (int i = 0; i < 3000; i++) {
        pid_t r = waitpid(pid, &status, WNOHANG);
        if (r == pid) {
            forget_child(pid);
            return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
        }
        sleep_us(10000);
    }
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
    forget_child(pid);
    return -1;
}

static bool child_alive(pid_t pid)
{
    int status;
    return waitpid(pid, &status, WNOHANG) == 0;
}

/* utime + stime of a process so far (s). */
static double proc_cpu_s(pid_t pid)
{
    char path[64], buf[2048];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    char *p = strrchr(buf, ')');
    unsigned long ut = 0, st = 0;
    if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) != 2)
        return 0;
    return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

/* Lines of workdir/log containing needle; with `sum`, also adds up "rebuilt C cases from R journal
 * records in T ms" figures of the advancer's log. */
typedef struct rebuilt_s {
    long long cases, records, ms;
} rebuilt_t;

static int count_lines(const char *log, const char *needle, rebuilt_t *sum)
{
    char path[PATH_MAX], line[8192];
    path_in_work(path, sizeof path, log);
    FILE *f = fopen(path, "r");
    int n = 0;
    if (!f)
        return 0;
    while (fgets(line, sizeof line, f)) {
        const char *p = strstr(line, needle);
        if (!p)
            continue;
        n++;
        long long c, r, ms;
        if (sum && sscanf(p, "rebuilt %lld cases from %lld journal records in %lld ms", &c, &r,
                          &ms) == 3) {
            sum->cases += c;
            sum->records += r;
            sum->ms += ms;
        }
    }
    fclose(f);
    return n;
}

/* Waits until workdir/log has `want` lines with needle; returns mono_us then, or -1 when the
 * process died or timeout_s passed. */
static int64_t wait_lines(const char *log, const char *needle, int want, double timeout_s,
                          pid_t pid)
{
    int64_t end = mono_us() + (int64_t)(timeout_s * 1e6);
    while (mono_us() < end) {
        if (count_lines(log, needle, NULL) >= want)
            return mono_us();
        if (pid > 0 && !child_alive(pid)) {
            forget_child(pid);
            return -1;
        }
        sleep_us(2000);
    }
    return -1;
}

/* ---- the advancer's /metrics ---- */

static int free_port(void)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    int fd = socket(AF_INET, SOCK_STREAM, 0), port = 0;
    if (fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof a) == 0 &&
        getsockname(fd, (struct sockaddr *)&a, &len) == 0)
        port = ntohs(a.sin_port);
    if (fd >= 0)
        close(fd);
    return port;
}

typedef struct advmetrics_s {
    double batches, batch_us, consumed, journaled;
} advmetrics_t;

static double metric_value(const char *text, const char *name)
{
    size_t n = strlen(name);
    for (const char *p = text; (p = strstr(p, name)); p += n)
        if ((p == text || p[-1] == '\n') && p[n] == ' ')
            return strtod(p + n + 1, NULL);
    return 0;
}

/* GET /metrics from 127.0.0.1:port; zeros when it cannot. */
static advmetrics_t scrape(int port)
{
    advmetrics_t m = {0};
    static char buf[1 << 16];
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_port = htons((uint16_t)port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    int fd = port > 0 ? socket(AF_INET, SOCK_STREAM, 0) : -1;
    size_t len = 0;
    if (fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof a) == 0) {
        const char req[] = "GET /metrics HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
        if (write(fd, req, sizeof req - 1) == (ssize_t)(sizeof req - 1))
            for (ssize_t r;
                 len < sizeof buf - 1 && (r = read(fd, buf + len, sizeof buf - 1 - len)) > 0;)
                len += (size_t)r;
    }
    if (fd >= 0)
        close(fd);
    buf[len] = '\0';
    m.batches = metric_value(buf, "pravah_batches_total");
    m.batch_us = metric_value(buf, "pravah_batch_latency_us_sum");
    m.consumed = metric_value(buf, "pravah_events_consumed_total");
    m.journaled = metric_value(buf, "pravah_journal_records_total");
    return m;
}

/* ---- the broker ---- */

typedef struct broker_s {
    pid_t pid;
    char addr[512], log[64];
} broker_t;

static int broker_start(broker_t *b, const opts_t *o, int parts, const char *tag)
{
    char addrfile[PATH_MAX], np[16], name[64];
    snprintf(name, sizeof name, "broker-%s.addr", tag);
    path_in_work(addrfile, sizeof addrfile, name);
    snprintf(b->log, sizeof b->log, "broker-%s.log", tag);
    snprintf(np, sizeof np, "%d", parts);
    char *argv[] = {(char *)o->pravah, "broker", "--partitions", np, "--addr-file", addrfile, NULL};
    b->pid = spawn(b->log, argv);
    for (int i = 0; i < 2000; i++) {
        char *text = NULL, err[256];
        if (pv_file_read(addrfile, &text, NULL, err, sizeof err) == 0) {
            text[strcspn(text, "\r\n")] = '\0';
            snprintf(b->addr, sizeof b->addr, "%s", text);
            free(text);
            if (b->addr[0])
                return 0;
        }
        if (!child_alive(b->pid))
            break;
        sleep_us(10000);
    }
    failf("broker (%s) did not start; see %s/%s", tag, workdir, b->log);
    return -1;
}

static void broker_stop(broker_t *b)
{
    if (b->pid <= 0)
        return;
    if (count_lines(b->log, "dropped data", NULL) > 0)
        failf("the broker (%s) dropped data (over 5 MiB in a partition): use more --partitions",
              b->log);
    stop_child(b->pid);
    b->pid = 0;
}

/* ---- consumers in this process: count outcomes, take receive times ---- */

typedef struct sample_s {
    int32_t partition;
    int64_t intake_off, recv_us, ts_ms;
} sample_t;

typedef struct counter_s {
    char bootstrap[512], topic[64], group[64];
    int record;           /* keep a sample per message */
    int offset_is_intake; /* pass-through copies: same partition and offset as the intake */
    pthread_t th;
    atomic_int assigned, stop, failed;
    atomic_llong count, first_mono_us, last_mono_us;
    sample_t *s;
    size_t ns, cap;
} counter_t;

static void counter_rebalance(void *ctx, pv_consumer_t *c, int assigned, const char *topic,
                              const int32_t *ids, size_t n)
{
    (void)c, (void)topic, (void)ids;
    counter_t *k = ctx;
    if (assigned && n)
        atomic_store(&k->assigned, 1);
}

static int64_t header_i64(const pv_kafka_msg_t *m, const char *key)
{
    for (size_t i = 0; i < m->nheaders; i++)
        if (strcmp(m->headers[i].key, key) == 0 && m->headers[i].value_len < 24) {
            char buf[24];
            memcpy(buf, m->headers[i].value, m->headers[i].value_len);
            buf[m->headers[i].value_len] = '\0';
            return strtoll(buf, NULL, 10);
        }
    return -1;
}

static void *counter_main(void *arg)
{
    counter_t *k = arg;
    char err[512];
    pv_kv_t props[MAX_KPROPS + 1];
    size_t np = client_props(k->bootstrap, props);
    pv_consumer_t *c =
        pv_consumer_new(props, np, k->group, k->topic, counter_rebalance, k, err, sizeof err);
    if (!c) {
        fprintf(stderr, "consumer of %s: %s\n", k->topic, err);
        atomic_store(&k->failed, 1);
        return NULL;
    }
    pv_kafka_msg_t m;
    while (!atomic_load(&k->stop)) {
        if (pv_consumer_poll(c, 50, &m) != 1)
            continue;
        if (!m.err) {
            int64_t now = mono_us();
            if (k->record) {
                if (k->ns == k->cap)
                    k->s = xrealloc(k->s, (k->cap = k->cap ? k->cap * 2 : 65536) * sizeof *k->s);
                k->s[k->ns++] = (sample_t){
                    m.partition,
                    k->offset_is_intake ? m.offset : header_i64(&m, "pravah-intake-offset"),
                    wall_us(), m.timestamp_ms};
            }
            if (!atomic_load(&k->first_mono_us))
                atomic_store(&k->first_mono_us, now);
            atomic_store(&k->last_mono_us, now);
            atomic_fetch_add(&k->count, 1);
        }
        pv_kafka_msg_release(&m);
    }
    pv_consumer_close(c);
    pv_consumer_free(c);
    return NULL;
}

static counter_t *counter_start(const char *bootstrap, const char *topic, int record,
                                int offset_is_intake)
{
    counter_t *k = calloc(1, sizeof *k);
    if (!k)
        die("out of memory");
    snprintf(k->bootstrap, sizeof k->bootstrap, "%s", bootstrap);
    snprintf(k->topic, sizeof k->topic, "%s", topic);
    snprintf(k->group, sizeof k->group, "pv-bench-count-%s", topic);
    k->record = record;
    k->offset_is_intake = offset_is_intake;
    if (pthread_create(&k->th, NULL, counter_main, k) != 0)
        die("pthread_create");
    return k;
}

static void counter_stop(counter_t *k)
{
    atomic_store(&k->stop, 1);
    pthread_join(k->th, NULL);
}

static void counter_free(counter_t *k)
{
    if (k) {
        free(k->s);
        free(k);
    }
}

static int counters_wait_assigned(counter_t **k, int n, double timeout_s)
{
    int64_t end = mono_us() + (int64_t)(timeout_s * 1e6);
    for (;;) {
        int ok = 0;
        for (int i = 0; i < n; i++) {
            if (atomic_load(&k[i]->failed))
                return -1;
            ok += atomic_load(&k[i]->assigned);
        }
        if (ok == n)
            return 0;
        if (mono_us() > end)
            return -1;
        sleep_us(2000);
    }
}

/* Waits until the counters together have `want` messages; returns the receive time (mono_us) of
 * the last one, or -1 on timeout or when the worker died. */
static int64_t counters_wait(counter_t **k, int n, long long want, double timeout_s, pid_t worker)
{
    int64_t end = mono_us() + (int64_t)(timeout_s * 1e6);
    for (;;) {
        long long got = 0;
        int64_t last = 0;
        for (int i = 0; i < n; i++) {
            got += atomic_load(&k[i]->count);
            int64_t t = atomic_load(&k[i]->last_mono_us);
            last = t > last ? t : last;
        }
        if (got >= want)
            return last;
        if (mono_us() > end || (worker > 0 && !child_alive(worker))) {
            fprintf(stderr, "outcomes: %lld of %lld\n", got, want);
            return -1;
        }
        sleep_us(1000);
    }
}

/* ---- the publisher ---- */

typedef struct pub_s {
    const workload_t *wl;
    size_t first, n; /* events to send: wl->ev[first .. first + n) */
    double rate;     /* events/s; 0: as fast as the producer takes them */
    size_t warm;     /* the first `warm` are sent at once, the rest paced once `go` is set */
    atomic_int go;
    char bootstrap[512];
    int64_t *send_us; /* rate mode: wall clock when handed to the producer */
    int32_t *part;    /* from the delivery reports */
    int64_t *off;
    atomic_llong acked, failed;
    double seconds; /* first send to last acknowledgement */
    pthread_t th;
} pub_t;

static void pub_delivery(void *ctx, void *opaque, int err, const char *errstr, int32_t partition,
                         int64_t offset)
{
    pub_t *p = ctx;
    size_t i = (size_t)(uintptr_t)opaque - 1;
    if (err) {
        if (atomic_fetch_add(&p->failed, 1) < 5)
            fprintf(stderr, "publish: event %zu: %s\n", i, errstr);
        return;
    }
    if (p->part) {
        p->part[i] = partition;
        p->off[i] = offset;
    }
    atomic_fetch_add(&p->acked, 1);
}

static void *pub_main(void *arg)
{
    pub_t *p = arg;
    char err[512];
    pv_kv_t props[MAX_KPROPS + 1];
    size_t np = client_props(p->bootstrap, props);
    pv_producer_t *prod = pv_producer_new(props, np, pub_delivery, p, err, sizeof err);
    if (!prod) {
        fprintf(stderr, "publish: %s\n", err);
        atomic_store(&p->failed, (long long)p->n);
        return NULL;
    }
    int64_t start = mono_us();
    for (size_t i = 0; i < p->n; i++) {
        if (p->warm && i == p->warm) { /* the same producer for the warm-up and the run */
            while (!atomic_load(&p->go))
                pv_producer_poll(prod, 1);
            start = mono_us() - (int64_t)((double)i * 1e6 / p->rate);
        }
        if (p->rate > 0 && i >= p->warm) {
            int64_t due = start + (int64_t)((double)i * 1e6 / p->rate);
            for (int64_t now = mono_us(); now < due; now = mono_us()) {
                pv_producer_poll(prod, 0);
                sleep_us(due - now < 500 ? due - now : 500);
            }
        }
        const sev_t *s = &p->wl->ev[p->first + i];
        pv_header_t h[8];
        const uint8_t *payload;
        size_t nh = event_headers(p->wl, s, h, &payload);
        if (p->send_us)
            p->send_us[i] = wall_us();
        for (;;) { /* h[4] is ce_subject: the key */
            int rc =
                pv_producer_send(prod, "pravah.intake", -1, h[4].value, h[4].value_len, payload,
                                 s->len[H_PAYLOAD], h, nh, (void *)(uintptr_t)(i + 1));
            if (rc == 0)
                break;
            if (rc != PV_KAFKA_RETRIABLE) {
                atomic_fetch_add(&p->failed, 1);
                break;
            }
            pv_producer_poll(prod, 1);
        }
        if ((i & 63) == 0)
            pv_producer_poll(prod, 0);
    }
    for (int i = 0; i < 120 && atomic_load(&p->acked) + atomic_load(&p->failed) < (long long)p->n;
         i++)
        pv_producer_flush(prod, 1000);
    p->seconds = (double)(mono_us() - start) / 1e6;
    pv_producer_free(prod);
    return NULL;
}

static pub_t *pub_new(const char *bootstrap, const workload_t *wl, size_t first, size_t n,
                      double rate)
{
    pub_t *p = calloc(1, sizeof *p);
    if (!p)
        die("out of memory");
    p->wl = wl;
    p->first = first;
    p->n = n;
    p->rate = rate;
    snprintf(p->bootstrap, sizeof p->bootstrap, "%s", bootstrap);
    p->part = xrealloc(NULL, n * sizeof *p->part);
    p->off = xrealloc(NULL, n * sizeof *p->off);
    memset(p->part, 0xff, n * sizeof *p->part);
    if (rate > 0)
        p->send_us = xrealloc(NULL, n * sizeof *p->send_us);
    return p;
}

static void pub_free(pub_t *p)
{
    if (p) {
        free(p->send_us);
        free(p->part);
        free(p->off);
        free(p);
    }
}

/* ---- the workers ---- */

typedef struct worker_s {
    pid_t pid;
    int metrics_port; /* the advancer's */
    char log[64];
} worker_t;

static const char *worker_name(int advancer)
{
    return advancer ? "advancer" : "pass-through";
}

/* Starts the advancer or the pass-through; returns mono_us when it owns its partitions, or -1. */
static int64_t worker_start(worker_t *w, const opts_t *o, const broker_t *b, int parts,
                            int advancer, const char *tag)
{
    char bm[64], bms[64], port[16];
    w->metrics_port = advancer ? free_port() : 0;
    snprintf(port, sizeof port, "%d", w->metrics_port);
    snprintf(w->log, sizeof w->log, "%s-%s.log", advancer ? "advance" : "passthrough", tag);
    int before = advancer ? count_lines(w->log, "rebuilt", NULL) : 0;
    char *argv[16 + 2 * MAX_KPROPS], kset[MAX_KPROPS][300];
    int a = 0;
    if (advancer) {
        snprintf(bm, sizeof bm, "advance.batch_max=%ld", o->batch_max);
        snprintf(bms, sizeof bms, "advance.batch_ms=%ld", o->batch_ms);
        char *fixed[] = {(char *)o->pravah, "advance", "--bootstrap", (char *)b->addr,
                         "--metrics-port",  port,      "--clock",     "fixed:" CLOCK_T0,
                         "--set",           bm,        "--set",       bms};
        for (size_t i = 0; i < sizeof fixed / sizeof *fixed; i++)
            argv[a++] = fixed[i];
    } else {
        snprintf(bm, sizeof bm, "%ld", o->batch_max);
        snprintf(bms, sizeof bms, "%ld", o->batch_ms);
        char *fixed[] = {self_exe,      "--passthrough",
                         "--bootstrap", (char *)b->addr,
                         "--from",      "pravah.intake",
                         "--to",        "pravah.journal",
                         "--batch-max", bm,
                         "--batch-ms",  bms};
        for (size_t i = 0; i < sizeof fixed / sizeof *fixed; i++)
            argv[a++] = fixed[i];
    }
    for (size_t i = 0; i < nkprops; i++) { /* the same librdkafka properties for both */
        snprintf(kset[i], sizeof kset[i], "%s%s", advancer ? "kafka." : "", kprop_args[i]);
        argv[a++] = advancer ? "--set" : "--prop";
        argv[a++] = kset[i];
    }
    argv[a] = NULL;
    w->pid = spawn(w->log, argv);
    int64_t t = advancer ? wait_lines(w->log, "rebuilt", before + parts, 120, w->pid)
                         : wait_lines(w->log, "passthrough: assigned", 1, 120, w->pid);
    if (t < 0)
        failf("the %s did not get its partitions; see %s/%s", worker_name(advancer), workdir,
              w->log);
    return t;
}

static void worker_stop(worker_t *w, int advancer)
{
    if (w->pid > 0 && stop_child(w->pid) != 0)
        failf("the %s did not stop cleanly; see %s/%s", worker_name(advancer), workdir, w->log);
    w->pid = 0;
}

/* With $PV_BENCH_PERF_DIR set: `perf record -g` on the worker while it drains the backlog
 * (PV_BENCH_PERF_DIR/perf-TAG.data). */
static pid_t perf_attach(pid_t pid, const char *tag)
{
    const char *dir = getenv("PV_BENCH_PERF_DIR");
    char out[PATH_MAX], p[16];
    if (!dir || !*dir)
        return 0;
    snprintf(out, sizeof out, "%s/perf-%s.data", dir, tag);
    snprintf(p, sizeof p, "%d", (int)pid);
    char *argv[] = {"/usr/bin/perf", "record", "-q", "-g", "-p", p, "-o", out, NULL};
    pid_t perf = spawn("perf.log", argv);
    sleep_us(300000); /* perf needs a moment to attach */
    return perf;
}

static void perf_detach(pid_t perf)
{
    int status;
    if (perf <= 0)
        return;
    kill(perf, SIGINT);
    waitpid(perf, &status, 0);
    forget_child(perf);
}

/* ---- 1. throughput ---- */

typedef struct tput_s {
    double seconds, eps, publish_s, first_s; /* first_s: worker ready -> first outcome */
    double worker_cpu, broker_cpu;           /* during the drain */
    long long outcomes[2];                   /* journal (copies), rejected */
    advmetrics_t m;                          /* the advancer's, at the end */
} tput_t;

static int partitions_for(const opts_t *o)
{
    if (o->partitions > 0)
        return o->partitions;
    size_t p = (o->events + EVENTS_PER_PARTITION - 1) / EVENTS_PER_PARTITION;
    return p < 4 ? 4 : p > MAX_PARTS ? MAX_PARTS : (int)p;
}

/* One drain of the whole workload by the advancer or the pass-through, on a fresh broker. With
 * keep, the broker (and its journal) is left running for the rebuild measurement. */
static int run_throughput(const opts_t *o, const workload_t *wl, int parts, int advancer,
                          const char *tag, tput_t *r, broker_t *keep)
{
    broker_t b = {0};
    worker_t w = {0};
    counter_t *k[2] = {NULL, NULL};
    int nk = advancer ? 2 : 1, ok = -1;
    memset(r, 0, sizeof *r);
    if (broker_start(&b, o, parts, tag) != 0)
        return -1;
    k[0] = counter_start(b.addr, "pravah.journal", 0, 0);
    if (advancer)
        k[1] = counter_start(b.addr, "pravah.rejected", 0, 0);
    if (counters_wait_assigned(k, nk, 60) != 0) {
        failf("%s: the counting consumers did not join", tag);
        goto out;
    }
    pub_t *p = pub_new(b.addr, wl, 0, wl->n, 0);
    pub_main(p);
    r->publish_s = p->seconds;
    long long acked = atomic_load(&p->acked);
    pub_free(p);
    if (acked != (long long)wl->n) {
        failf("%s: %lld of %zu events acknowledged by the broker", tag, acked, wl->n);
        goto out;
    }
    int64_t t0 = worker_start(&w, o, &b, parts, advancer, tag);
    if (t0 < 0)
        goto out;
    pid_t perf = perf_attach(w.pid, tag);
    double wcpu = proc_cpu_s(w.pid), bcpu = proc_cpu_s(b.pid);
    int64_t t1 = counters_wait(k, nk, (long long)wl->n, 60 + (double)wl->n / 2000, w.pid);
    perf_detach(perf);
    r->worker_cpu = proc_cpu_s(w.pid) - wcpu;
    r->broker_cpu = proc_cpu_s(b.pid) - bcpu;
    r->m = scrape(w.metrics_port);
    if (t1 < 0) {
        failf("%s: the %s did not write one outcome per event; see %s/%s", tag,
              worker_name(advancer), workdir, w.log);
        goto out;
    }
    sleep_us(300000); /* anything written twice would show up now */
    for (int i = 0; i < nk; i++)
        r->outcomes[i] = atomic_load(&k[i]->count);
    if (r->outcomes[0] + r->outcomes[1] != (long long)wl->n) {
        failf("%s: %lld outcomes for %zu events", tag, r->outcomes[0] + r->outcomes[1], wl->n);
        goto out;
    }
    /* Timed from the first outcome, not from the assignment: the workers' first fetch waits for
     * connections the advancer happens to open during its rebuild and the pass-through after. */
    int64_t first = 0;
    for (int i = 0; i < nk; i++) {
        int64_t f = atomic_load(&k[i]->first_mono_us);
        first = f && (!first || f < first) ? f : first;
    }
    r->first_s = (double)(first - t0) / 1e6;
    r->seconds = (double)(t1 - first) / 1e6;
    r->eps = (double)(wl->n - 1) / r->seconds;
    ok = 0;
out:
    worker_stop(&w, advancer);
    for (int i = 0; i < nk; i++)
        if (k[i])
            counter_stop(k[i]);
    for (int i = 0; i < nk; i++)
        counter_free(k[i]);
    if (keep && ok == 0)
        *keep = b;
    else
        broker_stop(&b);
    return ok;
}

/* ---- 2. latency at a fixed rate ---- */

typedef struct lat_s {
    double rate, offered_s;
    size_t events, samples;
    double p50_ms, p99_ms, max_ms; /* publish -> visible to a journal consumer */
    double c50_ms, c99_ms;         /* publish -> journal message CreateTime */
    advmetrics_t m;
} lat_t;

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

static double pct_ms(const int64_t *v, size_t n, double q)
{
    if (!n)
        return 0;
    size_t i = (size_t)(q * (double)n + 0.999999);
    i = i ? i - 1 : 0;
    return (double)v[i < n ? i : n - 1] / 1000.0;
}

static int run_latency(const opts_t *o, const workload_t *wl, int parts, int advancer, double rate,
                       const char *tag, lat_t *r)
{
    broker_t b = {0};
    worker_t w = {0};
    counter_t *k[2] = {NULL, NULL};
    pub_t *p = NULL;
    int nk = advancer ? 2 : 1, ok = -1;
    memset(r, 0, sizeof *r);
    r->rate = rate;
    r->events = (size_t)(rate * o->latency_s);
    r->events = r->events < 100 ? 100 : r->events;
    r->events = r->events > wl->n ? wl->n : r->events;
    if (broker_start(&b, o, parts, tag) != 0)
        return -1;
    k[0] = counter_start(b.addr, "pravah.journal", 1, !advancer);
    if (advancer)
        k[1] = counter_start(b.addr, "pravah.rejected", 0, 0);
    if (counters_wait_assigned(k, nk, 60) != 0) {
        failf("%s: the counting consumers did not join", tag);
        goto out;
    }
    if (worker_start(&w, o, &b, parts, advancer, tag) < 0)
        goto out;
    /* Warm-up, not measured: the first events, sent at once by the publisher's producer, until
     * their outcomes are in (connections, metadata, producer ids, first fetches); then the same
     * producer sends the rest at the fixed rate. */
    size_t warm = r->events / 20 < 1000 ? r->events / 20 : 1000;
    p = pub_new(b.addr, wl, 0, r->events, rate);
    p->warm = warm;
    if (pthread_create(&p->th, NULL, pub_main, p) != 0)
        die("pthread_create");
    if (counters_wait(k, nk, (long long)warm, 60, w.pid) < 0)
        failf("%s: the warm-up events did not come through", tag);
    pid_t perf = perf_attach(w.pid, tag);
    atomic_store(&p->go, 1);
    pthread_join(p->th, NULL);
    r->offered_s = p->seconds;
    if (atomic_load(&p->acked) != (long long)p->n) {
        failf("%s: %lld of %zu events acknowledged", tag, atomic_load(&p->acked), p->n);
        goto out;
    }
    if (counters_wait(k, nk, (long long)r->events, 60, w.pid) < 0) {
        failf("%s: not every event reached the journal or rejected", tag);
        goto out;
    }
    r->m = scrape(w.metrics_port);
    perf_detach(perf);
    counter_stop(k[0]); /* its samples are ours to read now */
    /* Which event each sample answers: per partition, intake offset -> event index. */
    int64_t *maxoff = calloc(MAX_PARTS, sizeof *maxoff);
    size_t **idx = calloc(MAX_PARTS, sizeof *idx);
    for (size_t i = 0; i < p->n; i++)
        if (p->part[i] >= 0 && p->part[i] < MAX_PARTS && p->off[i] + 1 > maxoff[p->part[i]])
            maxoff[p->part[i]] = p->off[i] + 1;
    for (int i = 0; i < MAX_PARTS; i++)
        if (maxoff[i]) {
            idx[i] = xrealloc(NULL, (size_t)maxoff[i] * sizeof **idx);
            memset(idx[i], 0xff, (size_t)maxoff[i] * sizeof **idx); /* SIZE_MAX: warm-up */
        }
    for (size_t i = p->warm; i < p->n; i++) /* the warm-up stays SIZE_MAX: not measured */
        if (p->part[i] >= 0 && p->part[i] < MAX_PARTS)
            idx[p->part[i]][p->off[i]] = i;
    char dpath[PATH_MAX];
    snprintf(dpath, sizeof dpath, "%s/latency-%s.txt", workdir, tag);
    /* event, partition, sent ms, latency ms, CreateTime ms */
    FILE *dump = o->keep ? fopen(dpath, "w") : NULL;
    int64_t *vis = xrealloc(NULL, (k[0]->ns + 1) * sizeof *vis);
    int64_t *cre = xrealloc(NULL, (k[0]->ns + 1) * sizeof *cre);
    size_t n = 0;
    for (size_t j = 0; j < k[0]->ns; j++) {
        const sample_t *s = &k[0]->s[j];
        if (s->partition < 0 || s->partition >= MAX_PARTS || s->intake_off < 0 ||
            s->intake_off >= maxoff[s->partition])
            continue;
        size_t i = idx[s->partition][s->intake_off];
        if (i == SIZE_MAX)
            continue;
        if (dump)
            fprintf(dump, "%zu %d %.3f %.3f %.3f\n", i, s->partition,
                    (double)(p->send_us[i] - p->send_us[0]) / 1000.0,
                    (double)(s->recv_us - p->send_us[i]) / 1000.0,
                    (double)(s->ts_ms * 1000 - p->send_us[i]) / 1000.0);
        vis[n] = s->recv_us - p->send_us[i];
        cre[n] = s->ts_ms * 1000 - p->send_us[i];
        n++;
    }
    if (dump)
        fclose(dump);
    qsort(vis, n, sizeof *vis, cmp_i64);
    qsort(cre, n, sizeof *cre, cmp_i64);
    r->samples = n;
    r->p50_ms = pct_ms(vis, n, 0.50);
    r->p99_ms = pct_ms(vis, n, 0.99);
    r->max_ms = n ? (double)vis[n - 1] / 1000.0 : 0;
    r->c50_ms = pct_ms(cre, n, 0.50);
    r->c99_ms = pct_ms(cre, n, 0.99);
    for (int i = 0; i < MAX_PARTS; i++)
        free(idx[i]);
    free(idx);
    free(maxoff);
    free(vis);
    free(cre);
    if (n == 0)
        failf("%s: no journal message could be matched to its event", tag);
    else
        ok = 0;
out:
    worker_stop(&w, advancer);
    for (int i = 0; i < nk; i++)
        if (k[i] && !atomic_load(&k[i]->stop))
            counter_stop(k[i]);
    for (int i = 0; i < nk; i++)
        counter_free(k[i]);
    pub_free(p);
    broker_stop(&b);
    return ok;
}

/* ---- 3. rebuild ---- */

typedef struct recs_s {
    pv_buf_t all, one; /* [u32 length][record] ... */
    size_t n;
    uint64_t by_kind[4], errors;
} recs_t;

static int collect_record(void *ctx, const pv_record_t *rec)
{
    recs_t *r = ctx;
    pv_buf_reset(&r->one);
    int rc = pv_record_encode(rec, &r->one);
    if (rc)
        return rc;
    uint32_t len = (uint32_t)r->one.len;
    if (pv_buf_append(&r->all, &len, sizeof len) || pv_buf_append(&r->all, r->one.data, len))
        return PV_ENOMEM;
    r->n++;
    r->by_kind[rec->kind & 3]++;
    return 0;
}

/* The journal of a workload: every record pv_store_apply and pv_store_fire_due emit, at each
 * event's own time (tests/bench/bench_engine.c run_engine, without the timing). */
static void journal_of(const workload_t *wl, pv_store_t *st, recs_t *r)
{
    pv_arena_t arena;
    pv_limits_t lim;
    pv_limits_default(&lim);
    pv_arena_init(&arena, 0);
    for (size_t i = 0; i < wl->n; i++) {
        const sev_t *s = &wl->ev[i];
        pv_header_t h[8];
        const uint8_t *payload;
        size_t nh = event_headers(wl, s, h, &payload);
        int n;
        do
            n = pv_store_fire_due(st, s->t, FIRE_SLICE, &arena, collect_record, r);
        while (n == FIRE_SLICE);
        r->errors += n < 0;
        pv_event_t ev;
        pv_reject_t rej;
        int rc = pv_event_decode(h, nh, payload, s->len[H_PAYLOAD], &lim, &arena, &ev, &rej);
        if (rc == 0)
            rc = pv_store_apply(st, &ev, s->t, &arena, collect_record, r, &rej);
        r->errors += rc && rc != PV_EREJECTED;
        if (i % BATCH == BATCH - 1)
            pv_arena_reset(&arena);
    }
    pv_arena_close(&arena);
}

typedef struct rebuild_s {
    size_t cases, stores;
    uint64_t records, bytes, by_kind[4];
    double fold_s, fold_cpu, prep_s, rss_mb;
} rebuild_t;

/* Sends `cmd` ("enable", "disable") to perf's control fifo named by $PV_BENCH_PERF_CTL, if set:
 *   mkfifo /tmp/ctl && PV_BENCH_PERF_CTL=/tmp/ctl perf record -D -1 --control fifo:/tmp/ctl -g \
 *     pv_bench_advance --runs 0 --rebuild-cases 200000      # samples the fold only */
static void perf_ctl(const char *cmd)
{
    const char *path = getenv("PV_BENCH_PERF_CTL");
    FILE *f = path ? fopen(path, "w") : NULL;
    if (f) {
        fprintf(f, "%s\n", cmd);
        fclose(f);
    }
}

/* What an advancer does per journal message on restart (rebuild_journal_cb), timed. */
static int fold_all(const recs_t *r, pv_store_t *st, rebuild_t *out)
{
    pv_arena_t arena;
    char err[256];
    int rc = 0;
    pv_arena_init(&arena, 256 * 1024);
    perf_ctl("enable");
    double cpu0 = cpu_seconds();
    int64_t t0 = mono_us();
    const uint8_t *p = r->all.data, *end = r->all.data + r->all.len;
    for (size_t k = 0; p < end && rc == 0; k++) {
        uint32_t len;
        memcpy(&len, p, sizeof len);
        p += sizeof len;
        pv_record_t rec;
        rc = pv_record_decode(p, len, &arena, &rec, err, sizeof err);
        if (rc == 0)
            rc = pv_store_fold(st, &rec, &arena, err, sizeof err);
        p += len;
        if (k % REBUILD_ARENA_RESET == REBUILD_ARENA_RESET - 1)
            pv_arena_reset(&arena);
    }
    out->fold_s += (double)(mono_us() - t0) / 1e6;
    out->fold_cpu += cpu_seconds() - cpu0;
    perf_ctl("disable");
    pv_arena_close(&arena);
    if (rc)
        failf("rebuild: fold failed: %s", err);
    return rc;
}

static int run_rebuild(const opts_t *o, pv_engine_t *eng, pv_directory_t *dir, const world_t *w,
                       rebuild_t *out)
{
    gen_t g = {.rng = {o->seed + 7919}, .w = w};
    gen_mix = mix_all;
    pv_time_t t0;
    pv_time_parse(CLOCK_T0, IST_MIN, &t0);
    pv_buf_init(&g.pack);
    memset(out, 0, sizeof *out);
    size_t c = o->rebuild_cases < REBUILD_STORE_CASES ? o->rebuild_cases : REBUILD_STORE_CASES;
    size_t nstores = (o->rebuild_cases + c - 1) / c;
    int64_t p0 = mono_us();
    workload_t wl = {0};
    g.wl = &wl;
    workload_generate(&g, c * REBUILD_EVENTS_PER_CASE, c, t0);
    workload_order(&wl);
    pv_buf_close(&g.pack);
    recs_t r = {0};
    pv_buf_init(&r.all);
    pv_buf_init(&r.one);
    pv_store_t *src = pv_store_new(eng, dir);
    journal_of(&wl, src, &r);
    size_t src_cases = pv_store_case_count(src);
    pv_store_free(src);
    workload_free(&wl);
    out->prep_s = (double)(mono_us() - p0) / 1e6;
    if (r.errors)
        failf("rebuild: %" PRIu64 " engine errors while writing the journal", r.errors);
    /* One partition's journal, folded into nstores separate stores (all kept, as an advancer
     * keeps its partitions): the same work per store, the memory of nstores x c cases. */
    pv_store_t **kept = calloc(nstores, sizeof *kept);
    int rc = 0;
    for (size_t i = 0; i < nstores && rc == 0; i++) {
        pv_store_t *st = kept[out->stores++] = pv_store_new(eng, dir);
        rc = fold_all(&r, st, out);
        if (rc == 0 && (pv_store_case_count(st) != src_cases || pv_store_chain(st)->pseq != r.n)) {
            failf("rebuild: %zu cases and chain at %" PRIu64 " after folding %zu records; the "
                  "journal's store had %zu cases",
                  pv_store_case_count(st), pv_store_chain(st)->pseq, r.n, src_cases);
            rc = -1;
        }
        out->cases += pv_store_case_count(st);
        out->records += r.n;
        out->bytes += r.all.len - r.n * sizeof(uint32_t);
        for (int k = 0; k < 4; k++)
            out->by_kind[k] += r.by_kind[k];
    }
    out->rss_mb = rss_mb();
    for (size_t i = 0; i < out->stores; i++)
        pv_store_free(kept[i]);
    free(kept);
    pv_buf_close(&r.all);
    pv_buf_close(&r.one);
    return rc;
}

/* Kafka read only: every journal partition of a broker, as pv_partition_read hands it to the
 * advancer's rebuild, with no work per record. */
typedef struct readcount_s {
    uint64_t records, bytes;
} readcount_t;

static int read_cb(void *ctx, const pv_kafka_msg_t *m)
{
    readcount_t *c = ctx;
    c->records++;
    c->bytes += m->value_len;
    return 0;
}

static double kafka_read_s(const broker_t *b, int parts, readcount_t *c)
{
    char err[512];
    pv_kv_t props[MAX_KPROPS + 1];
    size_t np = client_props(b->addr, props);
    int64_t t0 = mono_us();
    for (int i = 0; i < parts; i++)
        if (pv_partition_read(props, np, "pravah.journal", i, read_cb, c, err, sizeof err) != 0) {
            failf("reading journal partition %d: %s", i, err);
            return -1;
        }
    return (double)(mono_us() - t0) / 1e6;
}

/* ---- the workload under the advancer's clock ---- */

/* The generator times each event and the engine benchmark applies it at that time. The advancer
 * applies every event at its own clock, here one fixed time (no timers fire, the journal is a
 * function of the intake), and some workflows compare data dates with that clock in both
 * directions (works: bid_opening > now + 6 days when the NIT is published, now >= bid_opening
 * when the bids are opened), so no single time makes every case valid. Each case is therefore
 * cut before its first event whose outcome at the fixed clock differs from what the generator
 * meant (and what the engine benchmark gets): the stream stays valid except for the ~2% made to
 * be refused, and the expected counts are exact. */
typedef struct trim_s {
    size_t kept, dropped, accepted, refused;
    uint64_t dom_events[DOM_COUNT];
} trim_t;

static uint64_t fnv(const uint8_t *p, size_t n)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 1099511628211ull;
    return h;
}

static int count_nothing(void *ctx, const pv_record_t *rec)
{
    (void)ctx, (void)rec;
    return 0;
}

static void trim_to_clock(workload_t *wl, pv_engine_t *eng, pv_directory_t *dir, pv_time_t now,
                          trim_t *out)
{
    size_t cap = 1;
    while (cap < wl->n * 2)
        cap <<= 1;
    const uint8_t **dead = calloc(cap, sizeof *dead); /* subjects of cut cases */
    uint16_t *dlen = calloc(cap, sizeof *dlen);
    pv_store_t *st = pv_store_new(eng, dir);
    pv_arena_t arena;
    pv_limits_t lim;
    pv_limits_default(&lim);
    pv_arena_init(&arena, 0);
    if (!dead || !dlen || !st)
        die("out of memory");
    memset(out, 0, sizeof *out);
    size_t k = 0;
    for (size_t i = 0; i < wl->n; i++) {
        sev_t s = wl->ev[i];
        pv_header_t h[8];
        const uint8_t *payload;
        size_t nh = event_headers(wl, &s, h, &payload);
        const uint8_t *subj = (const uint8_t *)h[4].value;
        size_t sl = h[4].value_len, slot = fnv(subj, sl) & (cap - 1);
        while (dead[slot] && !(dlen[slot] == sl && memcmp(dead[slot], subj, sl) == 0))
            slot = (slot + 1) & (cap - 1);
        bool cut = dead[slot] != NULL;
        if (!cut) {
            pv_event_t ev;
            pv_reject_t rej;
            int rc = pv_event_decode(h, nh, payload, s.len[H_PAYLOAD], &lim, &arena, &ev, &rej);
            if (rc == 0)
                rc = pv_store_apply(st, &ev, now, &arena, count_nothing, NULL, &rej);
            int got = rc == 0 ? PV_REJ_NONE : rc == PV_EREJECTED ? (int)rej.code : -1;
            if (got != s.expect) {
                dead[slot] = subj;
                dlen[slot] = (uint16_t)sl;
                cut = true;
            }
        }
        if (i % BATCH == BATCH - 1)
            pv_arena_reset(&arena);
        if (cut) {
            out->dropped++;
            continue;
        }
        wl->ev[k++] = s;
        if (s.expect == PV_REJ_NONE)
            out->accepted++;
        else
            out->refused++;
        for (int d = 0; d < DOM_COUNT; d++)
            if (s.len[H_TYPE] > strlen(domain_names[d]) &&
                memcmp(h[3].value, domain_names[d], strlen(domain_names[d])) == 0 &&
                ((const char *)h[3].value)[strlen(domain_names[d])] == '.')
                out->dom_events[d]++;
    }
    wl->n = out->kept = k;
    pv_arena_close(&arena);
    pv_store_free(st);
    free(dead);
    free(dlen);
}

/* ---- options and main ---- */

static void usage(void)
{
    fprintf(stderr,
            "usage: pv_bench_advance [--events N] [--cases N] [--seed S] [--partitions P]\n"
            "                        [--batch-max N] [--batch-ms MS] [--latency-seconds S]\n"
            "                        [--rate EVENTS_PER_S] [--kafka PROP=VALUE]...\n"
            "                        [--rebuild-cases N] [--runs K] [--pravah PATH]\n"
            "                        [--schemas DIR] [--keep 1]\n");
    exit(2);
}

static void parse_opts(int argc, char **argv, opts_t *o)
{
    *o = (opts_t){250000,       0, 1, 0, 2000, 20, 10.0, 0, 1000000, 2, 0, PV_SOURCE_DIR "/schemas",
                  PV_PRAVAH_BIN};
    for (int i = 1; i < argc; i += 2) {
        if (i + 1 >= argc)
            usage();
        const char *k = argv[i], *v = argv[i + 1];
        char *end;
        double d = strtod(v, &end);
        if (strcmp(k, "--schemas") == 0)
            o->schemas = v;
        else if (strcmp(k, "--pravah") == 0)
            o->pravah = v;
        else if (strcmp(k, "--kafka") == 0) {
            char *eq = strchr(v, '=');
            if (!eq || eq == v || nkprops == MAX_KPROPS)
                usage();
            kprop_args[nkprops] = v;
            kprops[nkprops++] = (pv_kv_t){strndup(v, (size_t)(eq - v)), eq + 1};
        } else if (*end || end == v || d < 0)
            usage();
        else if (strcmp(k, "--events") == 0)
            o->events = (size_t)d;
        else if (strcmp(k, "--cases") == 0)
            o->cases = (size_t)d;
        else if (strcmp(k, "--seed") == 0)
            o->seed = (uint64_t)d;
        else if (strcmp(k, "--partitions") == 0)
            o->partitions = (int)d;
        else if (strcmp(k, "--batch-max") == 0)
            o->batch_max = (long)d;
        else if (strcmp(k, "--batch-ms") == 0)
            o->batch_ms = (long)d;
        else if (strcmp(k, "--latency-seconds") == 0)
            o->latency_s = d;
        else if (strcmp(k, "--rate") == 0)
            o->rate = d;
        else if (strcmp(k, "--rebuild-cases") == 0)
            o->rebuild_cases = (size_t)d;
        else if (strcmp(k, "--runs") == 0)
            o->runs = (int)d;
        else if (strcmp(k, "--keep") == 0)
            o->keep = (int)d;
        else
            usage();
    }
    if (!o->cases)
        o->cases = o->events / 10 ? o->events / 10 : 1;
    if (o->events < o->cases || o->batch_max < 1 || o->batch_ms < 1 || o->runs < 0 ||
        o->partitions > MAX_PARTS)
        die("need --events >= --cases, --batch-max/--batch-ms/--runs >= 1, --partitions <= %d",
            MAX_PARTS);
}

/* "2 cores, AMD EPYC, load 3.1 2.9 2.7": the figures depend on it. */
static void print_machine(const char *label)
{
    char line[256], model[128] = "?", load[64] = "?";
    FILE *f = fopen("/proc/cpuinfo", "r");
    while (f && fgets(line, sizeof line, f))
        if (strncmp(line, "model name", 10) == 0 && strchr(line, ':')) {
            snprintf(model, sizeof model, "%s", strchr(line, ':') + 2);
            model[strcspn(model, "\n")] = '\0';
            break;
        }
    if (f)
        fclose(f);
    if ((f = fopen("/proc/loadavg", "r"))) {
        if (fgets(load, sizeof load, f))
            load[strcspn(load, "\n")] = '\0';
        fclose(f);
    }
    printf("%-18s %ld cores, %s; /proc/loadavg %s\n", label, sysconf(_SC_NPROCESSORS_ONLN), model,
           load);
}

static const char *pass(bool ok)
{
    return ok ? "PASS" : "FAIL";
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "--passthrough") == 0)
        return pv_passthrough_main(argc - 1, argv + 1);
    opts_t o;
    char err[1024];
    parse_opts(argc, argv, &o);
    setvbuf(stdout, NULL, _IOLBF, 0);
    ssize_t n = readlink("/proc/self/exe", self_exe, sizeof self_exe - 1);
    if (n <= 0)
        die("readlink /proc/self/exe: %s", strerror(errno));
    self_exe[n] = '\0';
    static char pravah_abs[PATH_MAX];
    if (access(o.pravah, X_OK) != 0 || !realpath(o.pravah, pravah_abs))
        die("%s is not executable (build the pravah target or pass --pravah)", o.pravah);
    o.pravah = pravah_abs; /* the children run in the scratch directory */
    snprintf(workdir, sizeof workdir, "%s/pv-bench-advance.XXXXXX",
             getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    if (!mkdtemp(workdir))
        die("mkdtemp: %s", strerror(errno));
    atexit(kill_children);
    if (!o.keep)
        atexit(remove_workdir);
    signal(SIGINT, on_fatal_signal);
    signal(SIGTERM, on_fatal_signal);
    signal(SIGPIPE, SIG_IGN);

    pv_engine_config_t cfg = {"bench-salt"};
    pv_engine_t *eng = pv_engine_new(&cfg);
    pv_directory_t *dir = pv_directory_new();
    if (!eng || !dir || pv_load_schemas(eng, dir, o.schemas, err, sizeof err) != 0)
        die("%s", eng && dir ? err : "out of memory");
    world_t w;
    world_init(&w, dir);
    int parts = partitions_for(&o);

    /* the workload, as in the engine benchmark */
    workload_t wl = {0};
    gen_t g = {.rng = {o.seed}, .w = &w, .wl = &wl};
    gen_mix = mix_all;
    pv_buf_init(&g.pack);
    pv_time_t t0;
    pv_time_parse(CLOCK_T0, IST_MIN, &t0);
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    workload_generate(&g, o.events, o.cases, t0);
    workload_order(&wl);
    pv_buf_close(&g.pack);
    size_t generated = wl.n;
    trim_t trim;
    trim_to_clock(&wl, eng, dir, t0, &trim);
    printf("Pravah advancer benchmark: pravah advance vs raw pass-through, embedded broker "
           "(seed %" PRIu64 ")\n",
           o.seed);
    printf("%-18s %zu events generated on %zu cases in %.2f s (tests/bench/bench_engine.c's "
           "generator)\n",
           "workload", generated, o.cases, seconds_since(&ts));
    printf("%-18s %zu events kept: %zu to be accepted, %zu made to be refused; %zu cut (each case "
           "ends before its first event the fixed clock would refuse)\n",
           "", trim.kept, trim.accepted, trim.refused, trim.dropped);
    printf("%-18s", "  events kept");
    for (int d = 0; d < DOM_COUNT; d++)
        printf(" %s %" PRIu64 "/%" PRIu64, domain_names[d], trim.dom_events[d], g.dom_events[d]);
    printf("\n");
    printf("%-18s pravah broker --partitions %d; advance.batch_max=%ld advance.batch_ms=%ld; "
           "clock fixed:%s; %s\n",
           "settings", parts, o.batch_max, o.batch_ms, CLOCK_T0, o.pravah);
    for (size_t i = 0; i < nkprops; i++)
        printf("%-18s %s (every client: advancer, pass-through, publisher, consumers)\n",
               i ? "" : "kafka", kprop_args[i]);
    printf("%-18s %s%s\n", "scratch", workdir, o.keep ? " (kept)" : "");
    print_machine("machine");

    /* 1. throughput: pass-through and advancer alternately, best of --runs each */
    tput_t best[2] = {{0}}, r;
    broker_t journal_broker = {0};
    for (int run = 0; run < o.runs; run++)
        for (int adv = 0; adv < 2; adv++) {
            char tag[32];
            snprintf(tag, sizeof tag, "%s%d", adv ? "adv" : "raw", run + 1);
            broker_t *keep = adv && run == o.runs - 1 ? &journal_broker : NULL;
            if (run_throughput(&o, &wl, parts, adv, tag, &r, keep) != 0)
                continue;
            printf("%-18s run %d: %zu events in %.3f s (first to last outcome; the first came "
                   "%.3f s after the assignment) = %.0f events/s; CPU from the assignment to the "
                   "last outcome: %s %.2f s (%.1f us/event), broker %.2f s; publish took %.2f s",
                   adv ? "advancer" : "pass-through", run + 1, wl.n, r.seconds, r.first_s, r.eps,
                   worker_name(adv), r.worker_cpu, r.worker_cpu * 1e6 / (double)wl.n, r.broker_cpu,
                   r.publish_s);
            if (adv)
                printf("; %lld journaled, %lld rejected; %.0f batches of %.0f events, %.1f ms "
                       "each",
                       r.outcomes[0], r.outcomes[1], r.m.batches,
                       r.m.batches ? r.m.consumed / r.m.batches : 0,
                       r.m.batches ? r.m.batch_us / r.m.batches / 1000 : 0);
            printf("\n");
            if (adv && (r.outcomes[0] != (long long)trim.accepted ||
                        r.outcomes[1] != (long long)trim.refused))
                failf("%s: %lld journaled and %lld rejected; expected %zu and %zu", tag,
                      r.outcomes[0], r.outcomes[1], trim.accepted, trim.refused);
            if (r.eps > best[adv].eps)
                best[adv] = r;
        }
    double ratio = best[0].eps > 0 ? best[1].eps / best[0].eps : 0;

    /* 3b/3c. the journal just written: Kafka read rate, and a real advancer restart */
    readcount_t rc = {0};
    double read_s = -1, restart_s = -1;
    rebuilt_t rb = {0};
    if (journal_broker.pid > 0) {
        read_s = kafka_read_s(&journal_broker, parts, &rc);
        worker_t w2 = {0};
        int64_t s0 = mono_us();
        int64_t s1 = worker_start(&w2, &o, &journal_broker, parts, 1, "restart");
        if (s1 > 0) {
            restart_s = (double)(s1 - s0) / 1e6;
            count_lines(w2.log, "rebuilt", &rb);
        }
        worker_stop(&w2, 1);
        broker_stop(&journal_broker);
    }

    /* 2. latency at half the advancer's rate, and the pass-through at the same rate */
    lat_t lat[2] = {{0}};
    double rate = o.rate > 0 ? o.rate : best[1].eps / 2;
    if (rate > 0 && o.latency_s > 0)
        for (int adv = 1; adv >= 0; adv--) {
            if (run_latency(&o, &wl, parts, adv, rate, adv ? "lat-adv" : "lat-raw", &lat[adv]) != 0)
                continue;
            printf(
                "%-18s %zu events at %.0f/s (%.1f s): publish -> journal consumer p50 %.1f ms, "
                "p99 %.1f ms, max %.1f ms; publish -> journal CreateTime p50 %.1f ms, p99 %.1f ms"
                " (%zu matched)\n",
                adv ? "latency advancer" : "latency raw", lat[adv].events, rate, lat[adv].offered_s,
                lat[adv].p50_ms, lat[adv].p99_ms, lat[adv].max_ms, lat[adv].c50_ms, lat[adv].c99_ms,
                lat[adv].samples);
            if (adv)
                printf("%-18s %.0f batches of %.0f events, %.1f ms each\n", "", lat[adv].m.batches,
                       lat[adv].m.batches ? lat[adv].m.consumed / lat[adv].m.batches : 0,
                       lat[adv].m.batches ? lat[adv].m.batch_us / lat[adv].m.batches / 1000 : 0);
        }

    /* 3a. rebuild: fold of 1M cases' journal, in this process */
    workload_free(&wl);
    rebuild_t rbd = {0};
    bool rebuild_ok = o.rebuild_cases > 0 && run_rebuild(&o, eng, dir, &w, &rbd) == 0;
    double read_rps = read_s > 0 ? (double)rc.records / read_s : 0;
    double est_read_s = read_rps > 0 ? (double)rbd.records / read_rps : 0;
    double per_case = rbd.cases ? TARGET_REBUILD_CASES / (double)rbd.cases : 0;
    double fold_1m = rbd.fold_s * per_case, read_1m = est_read_s * per_case;
    double total_1m = fold_1m + read_1m;
    double adv_rps = rb.ms > 0 ? (double)rb.records * 1000.0 / (double)rb.ms : 0;
    double adv_1m = adv_rps > 0 ? (double)rbd.records * per_case / adv_rps : 0;
    if (rebuild_ok) {
        printf("%-18s %zu cases in %zu stores: %" PRIu64 " records (events %" PRIu64
               ", reminders %" PRIu64 ", breaches %" PRIu64 ", escalations %" PRIu64
               "), %.1f MB; decode + fold %.3f s (CPU %.3f s) = %.0f records/s, %.0f cases/s; "
               "RSS %.0f MB; the journal (one partition of %zu cases, folded into each store) "
               "written in %.1f s, not timed\n",
               "rebuild (fold)", rbd.cases, rbd.stores, rbd.records, rbd.by_kind[0], rbd.by_kind[1],
               rbd.by_kind[2], rbd.by_kind[3], (double)rbd.bytes / 1048576.0, rbd.fold_s,
               rbd.fold_cpu, (double)rbd.records / rbd.fold_s, (double)rbd.cases / rbd.fold_s,
               rbd.rss_mb, rbd.stores ? rbd.cases / rbd.stores : 0, rbd.prep_s);
    }
    if (read_s > 0)
        printf("%-18s %" PRIu64 " journal records (%.1f MB) from %d partitions in %.3f s = %.0f "
               "records/s (pv_partition_read, no work per record)\n",
               "rebuild (read)", rc.records, (double)rc.bytes / 1048576.0, parts, read_s, read_rps);
    if (restart_s > 0)
        printf("%-18s pravah advance restart: %lld cases from %lld records in %lld ms (sum of its "
               "\"rebuilt\" lines) = %.0f records/s; start to partitions owned %.2f s\n",
               "rebuild (advance)", rb.cases, rb.records, rb.ms, adv_rps, restart_s);

    print_machine("machine at end");

    /* the table */
    bool t_ok = ratio >= TARGET_RATIO, l_ok = lat[1].samples && lat[1].p99_ms < TARGET_P99_MS,
         r_ok = rebuild_ok && read_rps > 0 && total_1m < TARGET_REBUILD_S;
    printf("\n%-44s %14s %14s %7s  %s\n", "figure", "advancer", "baseline", "ratio", "target");
    printf("%-44s %14.0f %14.0f %7.3f  >= %.2f of raw: %s\n", "intake -> journal, events/s",
           best[1].eps, best[0].eps, ratio, TARGET_RATIO, pass(t_ok));
    printf("%-44s %14.1f %14.1f %7.2f  < %.0f ms: %s\n", "publish -> journal p99 ms, at half rate",
           lat[1].p99_ms, lat[0].p99_ms, lat[0].p99_ms > 0 ? lat[1].p99_ms / lat[0].p99_ms : 0,
           TARGET_P99_MS, pass(l_ok));
    printf("%-44s %14.1f %14.1f %7.2f\n", "publish -> journal p50 ms, at half rate", lat[1].p50_ms,
           lat[0].p50_ms, lat[0].p50_ms > 0 ? lat[1].p50_ms / lat[0].p50_ms : 0);
    printf("%-44s %14.2f %14.2f %7.2f  < %.0f s: %s\n", "rebuild 1M cases s (fold + Kafka read)",
           total_1m, read_1m, read_1m > 0 ? total_1m / read_1m : 0, TARGET_REBUILD_S, pass(r_ok));
    printf("%-44s %14.2f\n", "  of which decode + fold (measured, 1M)", fold_1m);
    printf("%-44s %14.2f\n", "  pravah advance restart rate, scaled to 1M", adv_1m);
    printf("(baselines: raw pass-through; raw pass-through at the same rate; Kafka read alone)\n");
    printf("target ratio %.2f: %s; target p99 %.0f ms: %s; target rebuild %.0f s: %s\n",
           TARGET_RATIO, pass(t_ok), TARGET_P99_MS, pass(l_ok), TARGET_REBUILD_S, pass(r_ok));
    printf("BENCH name=advance events=%zu cases=%zu seconds=%.3f events_per_s=%.0f "
           "baseline_per_s=%.0f ratio=%.3f target=%s\n",
           wl.n, o.cases, best[1].seconds, best[1].eps, best[0].eps, ratio, pass(t_ok));
    printf("BENCH name=advance_p99 events=%zu events_per_s=%.0f p50_ms=%.1f p99_ms=%.1f "
           "baseline_p99_ms=%.1f target=%s\n",
           lat[1].events, rate, lat[1].p50_ms, lat[1].p99_ms, lat[0].p99_ms, pass(l_ok));
    printf("BENCH name=advance_rebuild cases=%.0f seconds=%.2f fold_s=%.2f read_s=%.2f "
           "target=%s\n",
           TARGET_REBUILD_CASES, total_1m, fold_1m, read_1m, pass(r_ok));

    free(w.districts);
    free(w.ulbs);
    pv_engine_free(eng);
    pv_directory_free(dir);
    if (failures)
        printf("consistency FAILED: %d problem(s), see above\n", failures);
    return failures ? 1 : 0;
}
