/* The synthetic load of Haryana's offices (contract: loadgen.h; what it produces: docs/DEMO.md).
 *
 * Built like the benchmarks' generator (tests/bench/workload.c.inc, from which the domain walks
 * are copied): each case is generated whole, event by event, from a splitmix64 stream, with the
 * refused attempts slotted between its valid events; every event is stored (header values, then
 * the msgpack data) in one blob; the stream is then sorted by time. Differences from the bench:
 * the world tolerates vacant desks (the seed has 16), works amounts cover every delegation slab
 * with the officer whose limit allows them, grievances breach the 21-day SLA and go to the FAA,
 * works sit at a sanction or run past their planned completion, HRMS postings move spare
 * officers between vacant desks, and only rejections `pravah publish` can carry are made. */
#include <msgpack.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "loadgen.h"
#include "msgpack_json.h"
#include "pravah/calendar.h"
#include "pravah/directory.h"

#define IST_MIN 330 /* the haryana calendar's UTC offset, minutes */
#define SEC 1000LL
#define MINUTE (60 * SEC)
#define HOUR (60 * MINUTE)
#define DAY (24 * HOUR)
#define MEAN_CASE_EVENTS 9.8
#define NREASONS (PV_REJ_PRECONDITION + 1)

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

/* ---- the world: who holds which desk, looked up once in the directory seed ---- */

typedef struct desk_s {
    const char *post, *officer; /* officer NULL: the post is vacant (or missing) */
} desk_t;

enum { D_DA1, D_DA2, D_SUPT, D_CTM, D_ADC, D_DC, D_SP, D_SDM, D_NODAL, D_FAA, D_DMC, D_COUNT };
static const char *const district_roles[D_COUNT] = {"DEALING_ASSISTANT",
                                                    "DEALING_ASSISTANT",
                                                    "SUPERINTENDENT",
                                                    "CTM",
                                                    "ADC",
                                                    "DC",
                                                    "SP",
                                                    "SDM",
                                                    "NODAL_GRIEVANCE",
                                                    "FAA",
                                                    "DMC"};

typedef struct district_s {
    const char *code, *office;
    desk_t desk[D_COUNT];
} district_t;

/* ULB desks. AA_LOCAL: the ULB's own approving authority (Commissioner, Council, Committee);
 * AA_HOUSE only in corporations; FS: Accounts / EO / Secretary; DC of the district; the
 * zone's SE, the CE, the Director and the Administrative Secretary are shared. */
enum { U_JE1, U_JE2, U_SDO, U_XEN, U_AA_LOCAL, U_AA_HOUSE, U_FS, U_COMMR, U_DC, U_SE, U_COUNT };
enum { ULB_CORPORATION, ULB_COUNCIL, ULB_COMMITTEE };

typedef struct ulb_s {
    const char *office;
    int kind;
    int district; /* index into world.districts */
    desk_t desk[U_COUNT];
} ulb_t;

typedef struct world_s {
    pv_directory_t *dir;
    district_t *districts;
    size_t ndistricts;
    ulb_t *ulbs;
    size_t nulbs;
    desk_t lit_nodal, hod, cm_window, ce, director, admin_secretary, hr_admin;
    const char **vacant, **spare; /* vacant posts, unposted officers (directory order) */
    size_t nvacant, nspare;
} world_t;

static bool held(const desk_t *d)
{
    return d->officer != NULL;
}

static desk_t desk_of(const pv_post_t *p)
{
    desk_t d = {p ? p->id : NULL, p && p->holder[0] ? p->holder : NULL};
    return d;
}

/* The nth post (directory order) with `role` in `office`, held or vacant. */
static desk_t find_desk(const pv_directory_t *dir, const char *office, const char *role, int nth)
{
    for (size_t i = 0; i < pv_directory_post_count(dir); i++) {
        const pv_post_t *p = pv_directory_post_at(dir, i);
        if (strcmp(p->office, office) == 0 && strcmp(p->role, role) == 0 && nth-- == 0)
            return desk_of(p);
    }
    return desk_of(NULL);
}

/* A district is usable when its DC and one dealing assistant are posted; other vacant desks are
 * left out of its files and grievances. */
static bool district_init(const pv_directory_t *dir, const pv_office_t *o, district_t *d)
{
    d->code = o->district;
    d->office = o->id;
    for (int i = 0; i < D_COUNT; i++)
        d->desk[i] = find_desk(dir, o->id, district_roles[i], i == D_DA2);
    if (!held(&d->desk[D_DA1]))
        d->desk[D_DA1] = d->desk[D_DA2];
    if (!held(&d->desk[D_DA2]))
        d->desk[D_DA2] = d->desk[D_DA1];
    return held(&d->desk[D_DC]) && held(&d->desk[D_DA1]) && held(&d->desk[D_FAA]) &&
           held(&d->desk[D_NODAL]) && held(&d->desk[D_SDM]);
}

static int district_index(const world_t *w, const char *code)
{
    for (size_t i = 0; i < w->ndistricts; i++)
        if (strcmp(w->districts[i].code, code) == 0)
            return (int)i;
    return -1;
}

/* A ULB is usable when an engineer can prepare the estimate, the division's XEN is posted (he
 * runs the tender on his own desk) and someone can give the financial sanction. */
static bool ulb_init(const pv_directory_t *dir, const world_t *w, const pv_office_t *o, ulb_t *u)
{
    static const char *const aa[] = {"COMMISSIONER", "MC_COUNCIL", "MC_COMMITTEE"};
    static const char *const fs[] = {"ACCOUNTS", "EO", "SECRETARY"};
    desk_t *k = u->desk;
    u->office = o->id;
    u->kind = strcmp(o->kind, "corporation") == 0 ? ULB_CORPORATION
              : strcmp(o->kind, "council") == 0   ? ULB_COUNCIL
                                                  : ULB_COMMITTEE;
    u->district = district_index(w, o->district);
    k[U_JE1] = find_desk(dir, o->id, "JE", 0);
    k[U_JE2] = find_desk(dir, o->id, "JE", 1);
    k[U_SDO] = find_desk(dir, o->id, "SDO", 0);
    k[U_XEN] = desk_of(pv_directory_find_role(dir, "XEN", o->id));
    k[U_AA_LOCAL] = find_desk(dir, o->id, aa[u->kind], 0);
    k[U_AA_HOUSE] = find_desk(dir, o->id, "MC_HOUSE", 0);
    k[U_FS] = find_desk(dir, o->id, fs[u->kind], 0);
    k[U_COMMR] = find_desk(dir, o->id, "COMMISSIONER", 0);
    k[U_DC] = desk_of(pv_directory_find_role(dir, "DC", o->id));
    k[U_SE] = desk_of(pv_directory_find_role(dir, "SE", o->id));
    if (!held(&k[U_JE1]))
        k[U_JE1] = held(&k[U_JE2]) ? k[U_JE2] : k[U_SDO];
    if (!held(&k[U_JE2]))
        k[U_JE2] = k[U_JE1];
    if (!held(&k[U_SDO]))
        k[U_SDO] = k[U_XEN]; /* inspections and bills: the XEN may take them too */
    if (!held(&k[U_FS]) && held(&k[U_COMMR]))
        k[U_FS] = k[U_COMMR];
    return strlen(o->id) <= 10 && /* WMS/ULB-[A-Z]{2,6}/...: short codes only */
           u->district >= 0 && held(&k[U_JE1]) && held(&k[U_SDO]) && held(&k[U_XEN]) &&
           held(&k[U_FS]) && held(&k[U_DC]) && held(&k[U_SE]);
}

static bool is_ulb(const pv_office_t *o)
{
    return strcmp(o->kind, "corporation") == 0 || strcmp(o->kind, "council") == 0 ||
           strcmp(o->kind, "committee") == 0;
}

static void world_spares(world_t *w)
{
    const pv_directory_t *dir = w->dir;
    for (size_t i = 0; i < pv_directory_post_count(dir); i++) {
        const pv_post_t *p = pv_directory_post_at(dir, i);
        if (!p->holder[0])
            w->vacant[w->nvacant++] = p->id;
    }
    for (size_t i = 0; i < pv_directory_officer_count(dir); i++) {
        const pv_officer_t *o = pv_directory_officer_at(dir, i);
        if (!o->post[0] && strncmp(o->id, "EMP-", 4) == 0 && strlen(o->id) == 10)
            w->spare[w->nspare++] = o->id;
    }
}

static int world_init(world_t *w, int max_districts, int max_ulbs, char *err, size_t errlen)
{
    const pv_directory_t *dir = w->dir;
    size_t n = pv_directory_office_count(dir);
    w->districts = calloc(n + 1, sizeof *w->districts);
    w->ulbs = calloc(n + 1, sizeof *w->ulbs);
    w->vacant = calloc(pv_directory_post_count(dir) + 1, sizeof *w->vacant);
    w->spare = calloc(pv_directory_officer_count(dir) + 1, sizeof *w->spare);
    if (!w->districts || !w->ulbs || !w->vacant || !w->spare) {
        snprintf(err, errlen, "out of memory");
        return PV_ENOMEM;
    }
    for (size_t i = 0; i < n && (int)w->ndistricts < max_districts; i++) {
        const pv_office_t *o = pv_directory_office_at(dir, i);
        if (strcmp(o->kind, "district") == 0 && district_init(dir, o, &w->districts[w->ndistricts]))
            w->ndistricts++;
    }
    for (size_t i = 0; i < n && (int)w->nulbs < max_ulbs; i++) {
        const pv_office_t *o = pv_directory_office_at(dir, i);
        if (is_ulb(o) && ulb_init(dir, w, o, &w->ulbs[w->nulbs]))
            w->nulbs++;
    }
    w->lit_nodal = find_desk(dir, "ULB-DEPT", "LIT_NODAL", 0);
    w->hod = find_desk(dir, "DULB", "HOD", 0);
    w->cm_window = find_desk(dir, "CMO", "CM_WINDOW", 0);
    w->ce = find_desk(dir, "DULB", "CE", 0);
    w->director = find_desk(dir, "DULB", "DIRECTOR_ULB", 0);
    w->admin_secretary = find_desk(dir, "ULB-DEPT", "ADMIN_SECRETARY", 0);
    w->hr_admin = find_desk(dir, "HR-SECT", "HR_ADMIN", 0);
    world_spares(w);
    if (w->ndistricts < 2 || w->nulbs == 0 || !held(&w->ce) || !held(&w->director) ||
        !held(&w->admin_secretary)) {
        snprintf(err, errlen,
                 "the directory seed has too few staffed offices (%zu usable districts, %zu ULBs; "
                 "CE, Director ULB and Administrative Secretary must be posted)",
                 w->ndistricts, w->nulbs);
        return PV_EINVAL;
    }
    return 0;
}

static void world_close(world_t *w)
{
    free(w->districts);
    free(w->ulbs);
    free(w->vacant);
    free(w->spare);
    pv_directory_free(w->dir);
}

/* ---- the stream: events as they arrive ---- */

enum { H_ID, H_SOURCE, H_TYPE, H_SUBJECT, H_TIME, H_ACTOR, H_PAYLOAD, H_COUNT };
static const char *const header_keys[H_PAYLOAD] = {"ce_id",      "ce_source", "ce_type",
                                                   "ce_subject", "ce_time",   "ce_actor"};

typedef struct sev_s {
    pv_time_t t;    /* when it is published */
    uint64_t order; /* generation order, breaks ties in t */
    size_t off;     /* header values then payload, at blob + off */
    uint16_t len[H_COUNT];
    uint8_t expect; /* pv_reject_code_t the generator expects (PV_REJ_NONE: accepted) */
    uint8_t domain;
} sev_t;

enum { DOM_WORKS, DOM_EFILE, DOM_GRIEVANCE, DOM_APPOINTMENT, DOM_LITIGATION, DOM_HRMS, DOM_COUNT };
static const char *const domain_names[DOM_COUNT] = {"works",       "efile",      "grievance",
                                                    "appointment", "litigation", "hrms"};
static const char *const domain_sources[DOM_COUNT] = {
    "wms.ulbharyana.gov.in",       "eoffice.haryana.gov.in", "cmwindow.haryana.gov.in",
    "esachivalaya.haryana.gov.in", "lms.ulbharyana.gov.in",  "hrms.haryana.gov.in"};

/* How a refused event is made from its neighbours in the case. */
typedef enum {
    K_DUP,         /* the previous event again, same id (a redelivery) */
    K_UNAUTH,      /* the next event, sent by an unknown officer or one of another district */
    K_OVER,        /* works: the technical sanction first tried by a JE, above the JE's ceiling */
    K_CLOSE_OTHER, /* efile: the file closed by a desk that did not open it */
    K_BADSUBJ,     /* ce_subject not in the workflow's case id format */
    K_BADDATA,     /* the next event with one data field of the wrong type */
    K_UNKNOWN,     /* an action the workflow does not have */
    K_COUNT
} kind_t;

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

struct pv_loadgen_s {
    pv_loadgen_config_t cfg;
    world_t w;
    rng_t rng;
    int year; /* of the start, for case ids */
    pv_time_t start, end;
    /* the stream */
    uint8_t *blob;
    size_t len, cap;
    sev_t *ev;
    size_t n, ncap, next;
    int failed; /* out of memory while generating */
    pv_header_t hdr[PV_EVENT_NHEADERS];
    pv_loadgen_summary_t sum;
    /* the case being generated */
    pv_buf_t pack;
    uint64_t order;
    uint32_t serial[DOM_COUNT];
    int domain;
    char subject[64];
    int district; /* its district (index), for strangers from elsewhere */
    int emitted;  /* valid events so far */
    gev_t ev_cur, last;
    pending_t rej[REJ_MAX];
    int nrej;
    bool want_over;
    const char *over_actor;
    const char *creator; /* efile: the officer who opened the file */
    const district_t *dist;
};
typedef struct pv_loadgen_s gen_t;

static void make_uuid(gen_t *g, char out[40])
{
    uint64_t a = rnd(&g->rng), b = rnd(&g->rng);
    snprintf(out, 40, "%08x-%04x-4%03x-%04x-%012llx", (unsigned)(a >> 32),
             (unsigned)(a >> 16) & 0xffffu, (unsigned)a & 0xfffu,
             (unsigned)((b >> 48) & 0x3fffu) | 0x8000u,
             (unsigned long long)(b & 0xffffffffffffull));
}

static gev_t *ev_new(gen_t *g, pv_time_t t, const char *action, const char *actor)
{
    gev_t *e = &g->ev_cur;
    e->t = t;
    e->nkv = 0;
    e->nstr = 0;
    make_uuid(g, e->id);
    snprintf(e->type, sizeof e->type, "%s.%s", domain_names[g->domain], action);
    snprintf(e->subject, sizeof e->subject, "%s", g->subject);
    snprintf(e->actor, sizeof e->actor, "%s", actor);
    return e;
}

/* Adds a field; a field that does not fit is left out (the buffers hold every event built
 * here with room to spare). */
static void kv_text(gev_t *e, const char *key, char type, const char *s)
{
    size_t n = strlen(s);
    if (e->nkv == KV_MAX || e->nstr + n > STR_MAX)
        return;
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
    if (e->nkv < KV_MAX)
        e->kv[e->nkv++] = (kv_t){key, 'i', v, 0, 0, 0};
}

static void kv_num(gev_t *e, const char *key, double v)
{
    if (e->nkv < KV_MAX)
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

static bool stream_reserve(gen_t *g, size_t need)
{
    if (g->len + need > g->cap) {
        size_t cap = (g->len + need) * 2;
        uint8_t *b = realloc(g->blob, cap);
        if (!b)
            return false;
        g->blob = b;
        g->cap = cap;
    }
    if (g->n == g->ncap) {
        size_t ncap = g->ncap ? g->ncap * 2 : 4096;
        sev_t *v = realloc(g->ev, ncap * sizeof *v);
        if (!v)
            return false;
        g->ev = v;
        g->ncap = ncap;
    }
    return true;
}

/* Appends e to the stream (header values, then the msgpack data) with its expected outcome;
 * an event at or after the end of the span is left out. */
static void stream_put(gen_t *g, const gev_t *e, pv_reject_code_t expect)
{
    char when[32];
    if (e->t >= g->end || e->t < g->start || g->failed)
        return;
    pv_time_format(e->t, IST_MIN, when);
    pack_data(g, e);
    const char *parts[H_PAYLOAD] = {e->id,   domain_sources[g->domain], e->type, e->subject, when,
                                    e->actor};
    sev_t s = {.t = e->t,
               .order = g->order++,
               .off = g->len,
               .expect = (uint8_t)expect,
               .domain = (uint8_t)g->domain};
    size_t need = g->pack.len;
    for (int i = 0; i < H_PAYLOAD; i++)
        need += (s.len[i] = (uint16_t)strlen(parts[i]));
    if (!stream_reserve(g, need)) {
        g->failed = 1;
        return;
    }
    for (int i = 0; i < H_PAYLOAD; i++) {
        memcpy(g->blob + g->len, parts[i], s.len[i]);
        g->len += s.len[i];
    }
    memcpy(g->blob + g->len, g->pack.data, g->pack.len);
    g->len += g->pack.len;
    s.len[H_PAYLOAD] = (uint16_t)g->pack.len;
    g->ev[g->n++] = s;
    g->sum.expected[expect]++;
    g->sum.domain_events[g->domain]++;
}

/* An officer who may not act on the case: unknown to the directory, or a dealing assistant of
 * another district (no workflow lets one act on a case held elsewhere). */
static const char *stranger(gen_t *g, char buf[64])
{
    const world_t *w = &g->w;
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

/* The officer closing a file who did not open it: the desk holding it, else another one. */
static const char *not_creator(gen_t *g, const gev_t *next)
{
    const district_t *d = g->dist;
    if (strcmp(next->actor, g->creator) != 0)
        return next->actor;
    for (int i = 0; i < D_COUNT; i++)
        if (held(&d->desk[i]) && strcmp(d->desk[i].officer, g->creator) != 0)
            return d->desk[i].officer;
    return NULL;
}

/* Turns c (a copy of the case's next or last valid event) into the refused variant of kind k;
 * returns the rejection it must get. */
static pv_reject_code_t make_reject(gen_t *g, kind_t k, gev_t *c)
{
    char who[64];
    const char *other;
    switch (k) {
    case K_DUP:
        return PV_REJ_DUPLICATE;
    case K_UNAUTH:
        snprintf(c->actor, sizeof c->actor, "%s", stranger(g, who));
        return PV_REJ_UNAUTHORIZED;
    case K_OVER:
        snprintf(c->actor, sizeof c->actor, "%s", g->over_actor);
        return PV_REJ_OVER_LIMIT;
    case K_CLOSE_OTHER:
        other = not_creator(g, c);
        snprintf(who, sizeof who, "%s", other ? other : "");
        snprintf(c->type, sizeof c->type, "efile.close");
        snprintf(c->actor, sizeof c->actor, "%s", other ? who : stranger(g, who));
        c->nkv = 0;
        c->nstr = 0;
        kv_str(c, "remarks", "Closed, no further action.");
        return PV_REJ_UNAUTHORIZED;
    case K_BADSUBJ:
        strncat(c->subject, "X", sizeof c->subject - strlen(c->subject) - 1);
        return PV_REJ_MALFORMED;
    case K_BADDATA:
        if (mistype(g, c))
            return PV_REJ_MALFORMED;
        strncat(c->subject, "X", sizeof c->subject - strlen(c->subject) - 1);
        return PV_REJ_MALFORMED;
    default:
        snprintf(c->type, sizeof c->type, "%s.archive", domain_names[g->domain]);
        return PV_REJ_UNKNOWN_TYPE;
    }
}

/* When a refused event is sent. A variant of `next` goes at next's own time, just before it (the
 * stream breaks ties in generation order): the case is then exactly as `next` finds it, so
 * only the change made to the copy can refuse it. Halfway from the last event would be too
 * early where the clock moves the case in between: a grievance is handed to the FAA when its
 * 21 days run out, and the FAA's `direct` is valid only after that, so a mistyped `direct`
 * sent before it was refused as unauthorized, not malformed. A redelivery of the last event
 * goes halfway to the next one; with nothing next, within ten minutes of the last. */
static pv_time_t reject_time(gen_t *g, kind_t k, const gev_t *next)
{
    if (!next)
        return g->last.t + rnd_in(&g->rng, 1, 600) * SEC;
    if (k == K_DUP)
        return g->last.t + ((next->t - g->last.t) / 2 / SEC) * SEC;
    return next->t;
}

/* Writes one refused event of kind k, built from `next` (the case's next valid event) or, when
 * NULL, from the last valid one. */
static void put_reject(gen_t *g, kind_t k, const gev_t *next)
{
    gev_t c = next ? *next : g->last;
    if (!next && k != K_BADSUBJ && k != K_UNKNOWN)
        k = K_DUP; /* nothing follows: a redelivery is all that can come */
    if (k == K_DUP)
        c = g->last; /* same id, same bytes */
    else
        make_uuid(g, c.id);
    c.t = reject_time(g, k, next);
    pv_reject_code_t expect = make_reject(g, k, &c);
    stream_put(g, &c, expect);
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

/* Sends g->ev_cur, the case's next valid event, after the refused ones scheduled before it. */
static void emit(gen_t *g)
{
    gev_t *e = &g->ev_cur;
    if (g->emitted > 0)
        flush_rejects(g, e);
    if (g->want_over && strcmp(e->type, "works.grant_ts") == 0) {
        put_reject(g, K_OVER, e);
        g->want_over = false;
    }
    stream_put(g, e, PV_REJ_NONE);
    g->last = *e;
    g->emitted++;
}

static kind_t pick_kind(gen_t *g, int domain)
{
    /* weights per kind, in kind_t order */
    static const int other[K_COUNT] = {35, 35, 0, 0, 10, 12, 8};
    static const int wms[K_COUNT] = {20, 20, 35, 0, 7, 11, 7};
    static const int file[K_COUNT] = {25, 20, 0, 30, 7, 11, 7};
    const int *wt = domain == DOM_WORKS ? wms : domain == DOM_EFILE ? file : other;
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
    g->sum.cases[domain]++;
    for (int i = 0; i < nrej && i < REJ_MAX; i++) {
        kind_t k = pick_kind(g, domain);
        if (k == K_OVER && !g->want_over && g->over_actor) {
            g->want_over = true;
            continue;
        }
        if (k == K_OVER)
            k = K_UNAUTH;
        /* a close by another desk needs an open file: never after the last event */
        int hi = k == K_CLOSE_OTHER ? len - 1 : len;
        if (hi < 1)
            k = K_DUP, hi = 1;
        g->rej[g->nrej++] = (pending_t){(int)rnd_in(&g->rng, 1, hi), k};
    }
}

static void case_end(gen_t *g)
{
    if (g->want_over) { /* the case never reached its technical sanction */
        g->rej[g->nrej++] = (pending_t){0, K_DUP};
        g->want_over = false;
    }
    if (g->emitted == 0)
        g->nrej = 0; /* no case was begun (a desk it needs is vacant): nothing to refuse */
    flush_rejects(g, NULL);
}

/* Case ids carry a six-digit serial; past a million the year moves on (20xx stays valid). */
static void serial_parts(gen_t *g, int domain, int *year, int *serial)
{
    uint32_t s = ++g->serial[domain];
    *year = g->year + (int)(s / 1000000);
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

#include "loadgen_domains.c.inc"

/* ---- the whole stream ---- */

/* Events per case for a domain (mean about 9.8). */
static int domain_len(gen_t *g, int domain)
{
    switch (domain) {
    case DOM_GRIEVANCE:
        return chance(&g->rng, 20) ? (int)rnd_in(&g->rng, 1, 5) : (int)rnd_in(&g->rng, 4, 10);
    case DOM_WORKS:
        return chance(&g->rng, 30) ? (int)rnd_in(&g->rng, 1, 7) : (int)rnd_in(&g->rng, 8, 24);
    case DOM_APPOINTMENT:
        return (int)rnd_in(&g->rng, 1, 8);
    default:
        return chance(&g->rng, 20) ? (int)rnd_in(&g->rng, 1, 3) : (int)rnd_in(&g->rng, 4, 14);
    }
}

/* The domain mix of new cases, per mille: works, efile, grievance, appointment, litigation. */
static const int mix_default[DOM_HRMS] = {200, 400, 250, 100, 50};

static int pick_domain(gen_t *g)
{
    int total = 0, r;
    for (int d = 0; d < DOM_HRMS; d++)
        total += (g->cfg.mix & (1u << d)) ? mix_default[d] : 0;
    r = (int)(rnd(&g->rng) % (uint64_t)total);
    for (int d = 0; d < DOM_HRMS; d++)
        if ((g->cfg.mix & (1u << d)) && (r -= mix_default[d]) < 0)
            return d;
    return DOM_EFILE;
}

/* One case: its domain, office (ULBs and districts in turn, so every one gets load), start. */
static void gen_case(gen_t *g, size_t ncase)
{
    const world_t *w = &g->w;
    int domain = pick_domain(g);
    int len = domain_len(g, domain), nrej = 0;
    size_t idx = (size_t)g->sum.cases[domain];
    const ulb_t *u = &w->ulbs[idx % w->nulbs];
    int district = domain == DOM_WORKS ? u->district : (int)(idx % w->ndistricts);
    pv_time_t t = g->start + rnd_in(&g->rng, 0, (g->end - g->start) / SEC - 1) * SEC;
    int permille = g->cfg.reject_permille;
    for (int i = 0; i < len && permille > 0; i++)
        nrej += (int)(rnd(&g->rng) % 1000) < permille;
    (void)ncase;
    g->dist = district >= 0 ? &w->districts[district] : NULL;
    g->over_actor = domain == DOM_WORKS ? u->desk[U_JE1].officer : NULL;
    if (domain == DOM_WORKS && strcmp(u->desk[U_JE1].post, u->desk[U_SDO].post) == 0)
        g->over_actor = NULL; /* no JE posted: nobody to try it */
    case_begin(g, domain, district, len, nrej);
    switch (domain) {
    case DOM_EFILE:
        gen_efile(g, t, len);
        break;
    case DOM_GRIEVANCE:
        gen_grievance(g, t, len);
        break;
    case DOM_WORKS:
        gen_works(g, u, t, len);
        break;
    case DOM_APPOINTMENT:
        gen_appointment(g, t, len);
        break;
    default:
        gen_litigation(g, t, len);
    }
    case_end(g);
}

static int sev_cmp(const void *a, const void *b)
{
    const sev_t *x = a, *y = b;
    if (x->t != y->t)
        return x->t < y->t ? -1 : 1;
    return x->order < y->order ? -1 : x->order > y->order;
}

/* Cases until the span holds the events asked for (or cfg.cases cases), then HRMS postings. */
static void stream_generate(gen_t *g)
{
    double target = g->cfg.events_per_day * g->cfg.days;
    size_t ncase = 0;
    if (g->cfg.mix & ~(unsigned)PV_LOADGEN_HRMS) {
        while (!g->failed &&
               (g->cfg.cases > 0 ? ncase < (size_t)g->cfg.cases : (double)g->n < target)) {
            gen_case(g, ncase);
            ncase++;
        }
    }
    if (g->cfg.mix & PV_LOADGEN_HRMS)
        gen_hrms(g);
    qsort(g->ev, g->n, sizeof *g->ev, sev_cmp);
    g->sum.events = g->n;
    g->sum.ulbs = g->w.nulbs;
    g->sum.districts = g->w.ndistricts;
    g->sum.first = g->n ? g->ev[0].t : 0;
    g->sum.last = g->n ? g->ev[g->n - 1].t : 0;
}

/* ---- the contract ---- */

void pv_loadgen_config_defaults(pv_loadgen_config_t *cfg)
{
    if (!cfg->days)
        cfg->days = 90;
    if (!cfg->ulbs)
        cfg->ulbs = 88;
    if (!cfg->districts)
        cfg->districts = 22;
    if (!cfg->events_per_day)
        cfg->events_per_day = 2000;
    if (!cfg->mix)
        cfg->mix = PV_LOADGEN_ALL;
    if (!cfg->start)
        pv_time_parse("2026-04-01T00:00:00+05:30", IST_MIN, &cfg->start);
    if (!cfg->schemas)
        cfg->schemas = "schemas";
    if (!cfg->reject_permille)
        cfg->reject_permille = 10;
}

static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    long n;
    if (!f)
        return NULL;
    if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
        (buf = malloc((size_t)n + 1)) && fread(buf, 1, (size_t)n, f) == (size_t)n) {
        buf[n] = '\0';
        *len = (size_t)n;
    } else {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    return buf;
}

static int load_directory(gen_t *g, char *err, size_t errlen)
{
    char path[1024], msg[512];
    size_t len = 0;
    snprintf(path, sizeof path, "%s/directory/haryana.yaml", g->cfg.schemas);
    char *yaml = read_file(path, &len);
    if (!yaml) {
        snprintf(err, errlen, "%s: cannot read the directory seed", path);
        return PV_ENOENT;
    }
    int rc = (g->w.dir = pv_directory_new()) ? 0 : PV_ENOMEM;
    if (rc == 0)
        rc = pv_directory_load(g->w.dir, yaml, len, path, msg, sizeof msg);
    if (rc != 0)
        snprintf(err, errlen, "%s", rc == PV_ENOMEM ? "out of memory" : msg);
    free(yaml);
    return rc;
}

static bool config_valid(const pv_loadgen_config_t *c, char *err, size_t errlen)
{
    const char *what = c->days < 1 || c->days > 3650            ? "days must be 1..3650"
                       : c->ulbs < 1 || c->ulbs > 1000          ? "ulbs must be at least 1"
                       : c->districts < 1 || c->districts > 100 ? "districts must be at least 1"
                       : c->events_per_day <= 0 || c->events_per_day > 1e8
                           ? "events per day must be positive"
                       : !(c->mix & PV_LOADGEN_ALL) ? "the mix names no domain"
                       : c->reject_permille > 200   ? "rejections are at most 200 per mille"
                                                    : NULL;
    if (what)
        snprintf(err, errlen, "loadgen: %s", what);
    return what == NULL;
}

pv_loadgen_t *pv_loadgen_new(const pv_loadgen_config_t *cfg, char *err, size_t errlen)
{
    char when[32];
    gen_t *g = calloc(1, sizeof *g);
    if (!g) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    g->cfg = *cfg;
    pv_loadgen_config_defaults(&g->cfg);
    pv_buf_init(&g->pack);
    if (!config_valid(&g->cfg, err, errlen) || load_directory(g, err, errlen) != 0 ||
        world_init(&g->w, g->cfg.districts, g->cfg.ulbs, err, errlen) != 0)
        goto fail;
    g->rng.s = g->cfg.seed * 0x9e3779b97f4a7c15ull + 0x2545f4914f6cdd1dull;
    g->start = g->cfg.start;
    g->end = g->start + (pv_time_t)g->cfg.days * DAY;
    pv_time_format(g->start, IST_MIN, when);
    g->year = atoi(when);
    if (g->year < 2000 || g->year > 2098)
        g->year = 2026;
    stream_generate(g);
    if (g->failed) {
        snprintf(err, errlen, "out of memory generating %zu events", g->n);
        goto fail;
    }
    return g;
fail:
    pv_loadgen_free(g);
    return NULL;
}

int pv_loadgen_next(pv_loadgen_t *g, pv_loadgen_event_t *ev)
{
    if (g->next >= g->n)
        return 1;
    const sev_t *s = &g->ev[g->next++];
    const uint8_t *p = g->blob + s->off;
    size_t n = 0;
    g->hdr[n++] = (pv_header_t){"ce_specversion", "1.0", 3};
    for (int i = 0; i < H_PAYLOAD; i++) {
        if (i == H_SUBJECT) {
            ev->key = (const char *)p;
            ev->key_len = s->len[i];
        }
        g->hdr[n++] = (pv_header_t){header_keys[i], p, s->len[i]};
        p += s->len[i];
    }
    g->hdr[n++] = (pv_header_t){"content-type", "application/msgpack", 19};
    ev->at = s->t;
    ev->headers = g->hdr;
    ev->nheaders = n;
    ev->value = p;
    ev->value_len = s->len[H_PAYLOAD];
    ev->domain = domain_names[s->domain];
    ev->expect = s->expect ? pv_reject_code_name((pv_reject_code_t)s->expect) : NULL;
    return 0;
}

void pv_loadgen_rewind(pv_loadgen_t *g)
{
    g->next = 0;
}

const pv_loadgen_summary_t *pv_loadgen_summary(const pv_loadgen_t *g)
{
    return &g->sum;
}

const char *pv_loadgen_domain_name(int i)
{
    return i >= 0 && i < DOM_COUNT ? domain_names[i] : NULL;
}

unsigned pv_loadgen_parse_mix(const char *s)
{
    unsigned mix = 0;
    while (*s) {
        size_t n = strcspn(s, ",");
        int d = 0;
        if (n == 3 && strncmp(s, "all", 3) == 0)
            mix |= PV_LOADGEN_ALL;
        else {
            while (d < DOM_COUNT &&
                   !(strlen(domain_names[d]) == n && strncmp(s, domain_names[d], n) == 0))
                d++;
            if (d == DOM_COUNT)
                return 0;
            mix |= 1u << d;
        }
        s += n + (s[n] == ',');
    }
    return mix;
}

/* {"specversion":"1.0","id":..,"source":..,"type":..,"subject":..,"time":..,"actor":..,
 * "data":{..}}: packed as one msgpack map (the data bytes copied as they are), then turned into
 * JSON by the same converter the projector uses. */
int pv_loadgen_event_json(const pv_loadgen_event_t *ev, pv_buf_t *out)
{
    static const char *const names[] = {"specversion", "id",   "source", "type",
                                        "subject",     "time", "actor"};
    pv_buf_t mp;
    msgpack_packer pk;
    pv_buf_init(&mp);
    msgpack_packer_init(&pk, &mp, pv_buf_msgpack_write);
    msgpack_pack_map(&pk, 8);
    for (size_t i = 0; i < 7 && i < ev->nheaders; i++) {
        pack_str(&pk, names[i], strlen(names[i]));
        pack_str(&pk, ev->headers[i].value, ev->headers[i].value_len);
    }
    pack_str(&pk, "data", 4);
    int rc = pv_buf_append(&mp, ev->value, ev->value_len);
    if (rc == 0)
        rc = pv_msgpack_to_json(mp.data, mp.len, out);
    if (rc == 0)
        rc = pv_buf_append(out, "\n", 1);
    pv_buf_close(&mp);
    return rc;
}

void pv_loadgen_free(pv_loadgen_t *g)
{
    if (!g)
        return;
    world_close(&g->w);
    pv_buf_close(&g->pack);
    free(g->blob);
    free(g->ev);
    free(g);
}
