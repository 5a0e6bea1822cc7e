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
    fputs("pv_bench_engine: ", stderr);
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
    static const int mix[DOM_COUNT] = {400, 250, 200, 100, 50}; /* per mille */
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
