/* The directory over time for the audit (audit_postings.h). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "audit_postings.h"
#include "audit_record.h"

/* ---- copying the seed ---- */

/* Puts item i of one section (0 offices, 1 posts, 2 officers) of src into dst. */
static int copy_item(pv_directory_t *dst, const pv_directory_t *src, int section, size_t i)
{
    if (section == 0) {
        const pv_office_t *o = pv_directory_office_at(src, i);
        return pv_directory_put_office(dst, o->id, o->name, o->kind, o->parent, o->district);
    }
    if (section == 1) {
        const pv_post_t *p = pv_directory_post_at(src, i);
        return pv_directory_put_post(dst, p->id, p->role, p->office, p->reports_to);
    }
    const pv_officer_t *o = pv_directory_officer_at(src, i);
    return pv_directory_put_officer(dst, o->id, o->name, o->post);
}

/* Copies one section in passes: an entry whose parent or superior comes later in the seed's
 * order (a replaced entry keeps its place) goes in on a later pass. */
static int copy_section(pv_directory_t *dst, const pv_directory_t *src, int section, size_t n)
{
    int rc = 0;
    bool *done = calloc(n ? n : 1, sizeof *done);
    size_t left = n, before;
    if (!done)
        return PV_ENOMEM;
    do {
        before = left;
        for (size_t i = 0; i < n; i++) {
            if (done[i])
                continue;
            rc = copy_item(dst, src, section, i);
            if (rc == 0) {
                done[i] = true;
                left--;
            } else if (rc != PV_ENOENT) {
                goto out;
            }
        }
    } while (left && left < before);
    rc = left ? PV_ENOENT : 0;
out:
    free(done);
    return rc;
}

int pv__audit_postings_init(pv_audit_postings_t *p, const pv_engine_t *eng,
                            const pv_directory_t *seed)
{
    int rc = 0;
    memset(p, 0, sizeof *p);
    p->eng = eng;
    pv__audit_index_init(&p->officers);
    pv_arena_init(&p->mem, 0);
    if (!(p->dir = pv_directory_new()))
        return PV_ENOMEM;
    if (seed && ((rc = copy_section(p->dir, seed, 0, pv_directory_office_count(seed))) ||
                 (rc = copy_section(p->dir, seed, 1, pv_directory_post_count(seed))) ||
                 (rc = copy_section(p->dir, seed, 2, pv_directory_officer_count(seed)))))
        return rc;
    return 0;
}

void pv__audit_postings_close(pv_audit_postings_t *p)
{
    for (size_t i = 0; i < p->ntl; i++)
        free(p->tl[i].p);
    free(p->tl);
    free(p->orders);
    pv__audit_index_close(&p->officers);
    pv_arena_close(&p->mem);
    pv_directory_free(p->dir);
    memset(p, 0, sizeof *p);
}

/* ---- learning ---- */

static const char *keep(pv_arena_t *a, const char *s)
{
    return pv_arena_strndup(a, s ? s : "", s ? strlen(s) : 0);
}

int pv__audit_postings_learn(pv_audit_postings_t *p, const pv_record_t *rec)
{
    if (p->built)
        return PV_EINVAL;
    if (!pv_engine_directory_effect(p->eng, rec))
        return 0;
    if (p->norders == p->caporders) {
        size_t cap = p->caporders ? p->caporders * 2 : 64;
        pv_record_t *o = realloc(p->orders, cap * sizeof *o);
        if (!o)
            return PV_ENOMEM;
        p->orders = o;
        p->caporders = cap;
    }
    pv_record_t *c = &p->orders[p->norders];
    *c = *rec;
    c->body = NULL;
    c->case_id = keep(&p->mem, rec->case_id);
    c->case_type = keep(&p->mem, rec->case_type);
    c->event_id = keep(&p->mem, rec->event_id);
    c->event_type = keep(&p->mem, rec->event_type);
    c->source = keep(&p->mem, rec->source);
    c->actor = keep(&p->mem, rec->actor);
    c->event_time = keep(&p->mem, rec->event_time);
    c->data = pv_arena_memdup(&p->mem, rec->data, rec->data_len);
    if (!c->case_id || !c->case_type || !c->event_id || !c->event_type || !c->source || !c->actor ||
        !c->event_time || !c->data)
        return PV_ENOMEM;
    p->norders++;
    return 0;
}

/* ---- building the timelines ---- */

static int order_cmp(const void *x, const void *y)
{
    const pv_record_t *a = x, *b = y;
    if (a->accepted_at != b->accepted_at)
        return a->accepted_at < b->accepted_at ? -1 : 1;
    int c = strcmp(a->case_id, b->case_id);
    if (c)
        return c;
    return a->seq < b->seq ? -1 : a->seq > b->seq;
}

static int append(pv_audit_timeline_t *t, pv_time_t at, const char *post)
{
    if (t->n == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 4;
        pv_audit_posting_t *np = realloc(t->p, cap * sizeof *np);
        if (!np)
            return PV_ENOMEM;
        t->p = np;
        t->cap = cap;
    }
    t->p[t->n++] = (pv_audit_posting_t){at, post};
    return 0;
}

/* The timeline of officer, created (starting with their current posting in the working
 * directory, i.e. the one before the order being applied) when absent; NULL on ENOMEM. */
static pv_audit_timeline_t *timeline(pv_audit_postings_t *p, const char *officer)
{
    int64_t slot = pv__audit_index_get(&p->officers, officer);
    if (slot >= 0)
        return &p->tl[slot];
    if (p->ntl == p->captl) {
        size_t cap = p->captl ? p->captl * 2 : 16;
        pv_audit_timeline_t *nt = realloc(p->tl, cap * sizeof *nt);
        if (!nt)
            return NULL;
        p->tl = nt;
        p->captl = cap;
    }
    pv_audit_timeline_t *t = &p->tl[p->ntl];
    memset(t, 0, sizeof *t);
    const pv_officer_t *o = pv_directory_officer(p->dir, officer);
    const char *post = keep(&p->mem, o ? o->post : "");
    if (!post || append(t, INT64_MIN, post) != 0 ||
        pv__audit_index_put(&p->officers, officer, (uint32_t)p->ntl) != 0)
        return NULL;
    p->ntl++;
    return t;
}

/* The post an order puts its officer on ("" for relieve), read from its data. */
static const char *order_post(const pv_audit_postings_t *p, const pv_record_t *rec, pv_event_t *ev)
{
    const pv_def_t *def = pv_engine_definition(p->eng, rec->case_type, (int)rec->def_version);
    const pv_actiondef_t *a = def ? pv__audit_record_action(def, rec) : NULL;
    pv_reject_t rej;
    pv_arena_t scratch;
    const char *name = !a                                ? NULL
                       : a->directory == PV_DIR_APPOINT  ? "post"
                       : a->directory == PV_DIR_TRANSFER ? "to_post"
                                                         : NULL;
    if (!name)
        return "";
    pv_arena_init(&scratch, 0);
    int rc = pv__audit_record_event(rec, &scratch, ev, &rej);
    const pv_value_t *v = rc == 0 ? pv_event_field(ev, name) : NULL;
    const char *post = v && v->kind == PV_VAL_STR ? v->u.s.ptr : "";
    const pv_post_t *known = pv_directory_post(p->dir, post);
    pv_arena_close(&scratch);
    return known ? known->id : "";
}

/* Applies one order: the officer's new posting, and the unposting of whoever held that post. */
static int apply_order(pv_audit_postings_t *p, const pv_record_t *rec)
{
    pv_event_t ev;
    const char *post = order_post(p, rec, &ev);
    const pv_post_t *target = post[0] ? pv_directory_post(p->dir, post) : NULL;
    char displaced[PV_DIRECTORY_OFFICER_ID_MAX + 1] = "";
    if (target && target->holder[0] && strcmp(target->holder, rec->case_id) != 0)
        snprintf(displaced, sizeof displaced, "%s", target->holder);
    pv_audit_timeline_t *t = timeline(p, rec->case_id);
    pv_audit_timeline_t *d = displaced[0] ? timeline(p, displaced) : NULL;
    if (!t || (displaced[0] && !d))
        return PV_ENOMEM;
    if (pv_engine_update_directory(p->eng, p->dir, rec, &p->mem) <= 0)
        return 0;                  /* the order names an unknown post: its own check reports it */
    t = timeline(p, rec->case_id); /* the array may have moved */
    const pv_officer_t *o = pv_directory_officer(p->dir, rec->case_id);
    const char *now = keep(&p->mem, o ? o->post : "");
    if (!now || append(t, rec->accepted_at, now) != 0)
        return PV_ENOMEM;
    if (displaced[0]) {
        d = timeline(p, displaced);
        o = pv_directory_officer(p->dir, displaced);
        if (o && !o->post[0] && append(d, rec->accepted_at, "") != 0)
            return PV_ENOMEM;
    }
    return 0;
}

int pv__audit_postings_build(pv_audit_postings_t *p)
{
    if (p->built)
        return 0;
    if (p->norders) /* qsort must not be given NULL */
        qsort(p->orders, p->norders, sizeof *p->orders, order_cmp);
    for (size_t i = 0; i < p->norders; i++) {
        int rc = apply_order(p, &p->orders[i]);
        if (rc)
            return rc;
    }
    p->built = true;
    return 0;
}

/* ---- queries ---- */

static const pv_audit_timeline_t *find_timeline(const pv_audit_postings_t *p, const char *officer)
{
    int64_t slot = pv__audit_index_get(&p->officers, officer);
    return slot >= 0 ? &p->tl[slot] : NULL;
}

pv_time_t pv__audit_postings_distance(const pv_audit_postings_t *p, const char *officer,
                                      const char *post, pv_time_t t)
{
    const pv_audit_timeline_t *tl = find_timeline(p, officer);
    if (!tl) {
        const pv_officer_t *o = pv_directory_officer(p->dir, officer);
        return o && strcmp(o->post, post) == 0 ? 0 : -1;
    }
    pv_time_t best = -1;
    for (size_t i = 0; i < tl->n; i++) {
        if (strcmp(tl->p[i].post, post) != 0)
            continue;
        /* Held over [start, end], both ends included: at the millisecond of an order both the
         * old and the new posting count (their order within it is not known across partitions). */
        pv_time_t start = tl->p[i].at, end = i + 1 < tl->n ? tl->p[i + 1].at : INT64_MAX;
        pv_time_t d = t < start ? start - t : t > end ? t - end : 0;
        if (best < 0 || d < best)
            best = d;
    }
    return best;
}

const char *pv__audit_postings_at(const pv_audit_postings_t *p, const char *officer, pv_time_t t)
{
    const pv_audit_timeline_t *tl = find_timeline(p, officer);
    if (!tl) {
        const pv_officer_t *o = pv_directory_officer(p->dir, officer);
        return o ? o->post : NULL;
    }
    const char *post = tl->p[0].post;
    for (size_t i = 1; i < tl->n && tl->p[i].at <= t; i++)
        post = tl->p[i].post;
    return post;
}

int pv__audit_postings_place(pv_audit_postings_t *p, const char *officer, const char *post)
{
    const pv_officer_t *o = pv_directory_officer(p->dir, officer);
    if (!o || strcmp(o->post, post) == 0)
        return 0;
    char name[256];
    snprintf(name, sizeof name, "%s", o->name); /* o->name is replaced by the call */
    return pv_directory_put_officer(p->dir, officer, name, post);
}
