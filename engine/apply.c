/* pv_engine_apply: the checks of docs/WORKFLOWS.md in their documented order, then the new case
 * and its journal record. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "transition.h"

/* What the directory says about the actor, resolved once per event. */
typedef struct actor_s {
    const char *id, *post, *role, *office;
    bool is_citizen;
} actor_t;

/* Indian digit grouping: 12345678 -> "₹1,23,45,678". */
static void fmt_inr(int64_t v, char *out, size_t cap)
{
    char digits[24], grouped[40];
    int n = snprintf(digits, sizeof digits, "%lld", (long long)(v < 0 ? -v : v));
    int g = 0;
    for (int i = 0; i < n; i++) {
        int left = n - i;
        if (i > 0 && (left == 3 || (left > 3 && (left - 3) % 2 == 0)))
            grouped[g++] = ',';
        grouped[g++] = digits[i];
    }
    grouped[g] = '\0';
    snprintf(out, cap, "%s\u20b9%.39s", v < 0 ? "-" : "", grouped);
}

/* A new case is created on `create_on` when given (the auditor re-checking a case created on an
 * older version), else on the newest version loaded. */
static int resolve_action(const pv_engine_t *eng, const pv_case_t *cur, const pv_event_t *ev,
                          const pv_def_t *create_on, const pv_def_t **def,
                          const pv_actiondef_t **action, pv_reject_t *rej)
{
    const char *dot = strrchr(ev->type, '.');
    char wf[PV_CASE_ID_MAX];
    if (!dot || dot == ev->type || (size_t)(dot - ev->type) >= sizeof wf || !dot[1])
        return pv_reject(rej, PV_REJ_UNKNOWN_TYPE, "ce_type",
                         "event type '%s' is not of the form <workflow>.<action>", ev->type);
    memcpy(wf, ev->type, (size_t)(dot - ev->type));
    wf[dot - ev->type] = '\0';
    if (cur && strcmp(cur->def->name, wf) != 0)
        return pv_reject(rej, PV_REJ_INVALID_TRANSITION, "ce_type",
                         "case %s is a %s case; %s does not apply to it", cur->id, cur->def->name,
                         ev->type);
    if (!cur && create_on && strcmp(create_on->name, wf) != 0)
        return pv_reject(rej, PV_REJ_INVALID_TRANSITION, "ce_type",
                         "%s does not belong to workflow %s", ev->type, create_on->name);
    *def = cur ? cur->def : create_on ? create_on : pv_engine_definition(eng, wf, 0);
    if (!*def)
        return pv_reject(rej, PV_REJ_UNKNOWN_TYPE, "ce_type", "no workflow '%s' is loaded", wf);
    int idx = pv__def_action_index(*def, dot + 1);
    if (idx < 0)
        return pv_reject(rej, PV_REJ_UNKNOWN_TYPE, "ce_type", "workflow %s v%d has no action '%s'",
                         wf, (*def)->version, dot + 1);
    *action = &(*def)->actions[idx];
    return 0;
}

static int check_state(const pv_def_t *def, const pv_actiondef_t *a, const pv_case_t *cur,
                       const pv_event_t *ev, pv_reject_t *rej)
{
    /* An existing case's id matched when the case was created. */
    if (!cur && def->has_case_id_re && regexec(&def->case_id_re, ev->subject, 0, NULL, 0) != 0)
        return pv_reject(rej, PV_REJ_MALFORMED, "ce_subject",
                         "case id '%s' does not match the %s case id format %s", ev->subject,
                         def->name, def->case_id_src);
    if (cur && pv__seen_has(cur, ev->id))
        return pv_reject(rej, PV_REJ_DUPLICATE, "ce_id",
                         "event %s was already applied to case %s", ev->id, cur->id);
    if (!cur) {
        if (!a->from_start)
            return pv_reject(rej, PV_REJ_INVALID_TRANSITION, "ce_subject",
                             "case %s does not exist; %s cannot create it", ev->subject, ev->type);
        return 0;
    }
    const pv_statedef_t *st = &def->states[cur->state];
    if (st->terminal)
        return pv_reject(rej, PV_REJ_INVALID_TRANSITION, "ce_type",
                         "case %s is closed (state '%s' is terminal)", cur->id, st->name);
    if (!(a->from_any || (a->from_mask & (1ull << cur->state))))
        return pv_reject(rej, PV_REJ_INVALID_TRANSITION, "ce_type",
                         "%s is not allowed in state '%s'%s", ev->type, st->name,
                         a->from_start ? " (it creates a case, and this one exists)" : "");
    return 0;
}

static int has_role(const pv_actiondef_t *a, const char *role)
{
    for (size_t i = 0; i < a->nroles; i++)
        if (strcmp(a->roles[i], role) == 0)
            return 1;
    return 0;
}

static int resolve_actor(const pv_directory_t *dir, const pv_actiondef_t *a, const pv_event_t *ev,
                         actor_t *actor, pv_reject_t *rej)
{
    const pv_officer_t *off = dir ? pv_directory_officer(dir, ev->actor) : NULL;
    *actor = (actor_t){ev->actor, "", "citizen", "", false};
    if (!off) {
        if (a->allow_citizen) {
            actor->is_citizen = true;
            return 0;
        }
        return pv_reject(rej, PV_REJ_UNAUTHORIZED, "ce_actor",
                         "actor %s is not an officer in the directory", ev->actor);
    }
    const pv_post_t *post = off->post[0] ? pv_directory_post(dir, off->post) : NULL;
    if (!post)
        return pv_reject(rej, PV_REJ_UNAUTHORIZED, "ce_actor",
                         "officer %s holds no post (relieved, retired or not yet posted)",
                         ev->actor);
    actor->post = post->id;
    actor->role = post->role;
    actor->office = post->office;
    if (!has_role(a, post->role))
        return pv_reject(rej, PV_REJ_UNAUTHORIZED, "ce_actor",
                         "role %s (post %s) may not take action %s", post->role, post->id,
                         a->name);
    return 0;
}

static int check_actor_rule(const pv_actiondef_t *a, const pv_case_t *cur, const actor_t *actor,
                            pv_reject_t *rej)
{
    switch (a->actor) {
    case PV_ACTOR_ASSIGNEE:
        if (strcmp(actor->post, cur->assignee) != 0 || actor->is_citizen)
            return pv_reject(rej, PV_REJ_UNAUTHORIZED, "ce_actor",
                             "%s may be taken only at the post the case is pending with (%s), "
                             "not by %s%s%s", a->name, cur->assignee[0] ? cur->assignee : "none",
                             actor->id, actor->post[0] ? " at " : "", actor->post);
        return 0;
    case PV_ACTOR_CREATOR:
        if (strcmp(actor->id, cur->creator) != 0)
            return pv_reject(rej, PV_REJ_UNAUTHORIZED, "ce_actor",
                             "only the creator of case %s (%s) may %s; %s is not", cur->id,
                             cur->creator, a->name, actor->id);
        return 0;
    case PV_ACTOR_PREVIOUS:
        if (!cur->previous[0] || strcmp(actor->post, cur->previous) != 0)
            return pv_reject(rej, PV_REJ_UNAUTHORIZED, "ce_actor",
                             "only the post that sent case %s on (%s) may %s", cur->id,
                             cur->previous[0] ? cur->previous : "none", a->name);
        return 0;
    default: return 0;
    }
}

static int check_guards(const pv_def_t *def, const pv_actiondef_t *a, const pv_case_t *cur,
                        const pv_expr_env_t *env, pv_reject_t *rej)
{
    uint64_t missing = a->requires_mask & ~(cur ? cur->actions_done : 0);
    if (missing) {
        int idx = __builtin_ctzll(missing);
        return pv_reject(rej, PV_REJ_PRECONDITION, "", "%s requires %s first", a->name,
                         def->actions[idx].name);
    }
    for (size_t i = 0; i < a->nchecks; i++) {
        pv_value_t v;
        pv_expr_eval(a->checks[i].expr, env, &v);
        if (!pv_value_truthy(&v))
            return pv_reject(rej, PV_REJ_PRECONDITION, "", "%s", a->checks[i].message);
    }
    return 0;
}

static int same_kind(const char *slab_kind, const char *office_kind)
{
    return !slab_kind || (office_kind && strcmp(slab_kind, office_kind) == 0);
}

/* Money limits: ceiling tables cap each role; in slab tables the slab holding the amount names
 * the role that decides it. */
static int check_limit(const pv_def_t *def, const pv_actiondef_t *a, const pv_value_t *args,
                       const actor_t *actor, const char *office_kind, pv_reject_t *rej)
{
    if (a->limit_table < 0)
        return 0;
    const pv_table_t *t = &def->tables[a->limit_table];
    int64_t amount = args[a->limit_field].u.i;
    char field[PV_REJECT_FIELD_MAX], amt[48], lim[48];
    snprintf(field, sizeof field, "data.%s", a->fields[a->limit_field].name);
    fmt_inr(amount, amt, sizeof amt);
    const pv_slab_t *own = NULL, *holder = NULL;
    for (size_t i = 0; i < t->nentries; i++) {
        const pv_slab_t *s = &t->entries[i];
        if (!same_kind(s->office_kind, office_kind))
            continue;
        if (strcmp(s->role, actor->role) == 0 && (!own || (own->has_max && s->max > own->max)))
            own = s;
        if (t->is_slabs && amount >= s->min && (!s->has_max || amount <= s->max))
            holder = s;
    }
    if (!own)
        return pv_reject(rej, PV_REJ_OVER_LIMIT, field,
                         "role %s has no delegated power under %s%s%s", actor->role, t->name,
                         office_kind ? " for a " : "", office_kind ? office_kind : "");
    if (!t->is_slabs || !holder || holder == own) {
        if (own->has_max && amount > own->max) {
            fmt_inr(own->max, lim, sizeof lim);
            return pv_reject(rej, PV_REJ_OVER_LIMIT, field,
                             "%s exceeds the %s limit of %s for %s (%s)", amt, actor->role, lim,
                             t->name, actor->post);
        }
        if (!holder && t->is_slabs && amount < own->min)
            return pv_reject(rej, PV_REJ_UNAUTHORIZED, field, "%s is below the %s slab of %s",
                             amt, actor->role, t->name);
        return 0;
    }
    if (strcmp(holder->role, actor->role) == 0)
        return 0;
    if (own->has_max && amount > own->max) {
        fmt_inr(own->max, lim, sizeof lim);
        return pv_reject(rej, PV_REJ_OVER_LIMIT, field,
                         "%s exceeds the %s limit of %s for %s; it is for %s to decide", amt,
                         actor->role, lim, t->name, holder->role);
    }
    return pv_reject(rej, PV_REJ_UNAUTHORIZED, field,
                     "%s falls in the %s slab of %s, not the %s's", amt, holder->role, t->name,
                     actor->role);
}

static int target_state(const pv_actiondef_t *a, const pv_case_t *cur, const pv_expr_env_t *env)
{
    for (size_t i = 0; i < a->nto; i++) {
        pv_value_t v = {.kind = PV_VAL_BOOL, .u.b = true};
        if (a->to[i].when)
            pv_expr_eval(a->to[i].when, env, &v);
        if (pv_value_truthy(&v))
            return a->to[i].state == PV_DEF_STAY ? cur->state : a->to[i].state;
    }
    return cur ? cur->state : 0; /* unreachable: the loader makes the last entry unconditional */
}

static int assign_post(const pv_directory_t *dir, const pv_actiondef_t *a, const pv_case_t *cur,
                       const pv_value_t *args, const actor_t *actor, const char *office,
                       char *out, pv_reject_t *rej)
{
    const pv_post_t *p = NULL;
    pv_assign_kind_t kind = a->assign_given ? a->assign.kind : cur ? PV_ASSIGN_KEEP
                                                                   : PV_ASSIGN_ACTOR;
    switch (kind) {
    case PV_ASSIGN_KEEP: pv__copy(out, PV_POST_ID_MAX, cur ? cur->assignee : ""); return 0;
    case PV_ASSIGN_ACTOR: pv__copy(out, PV_POST_ID_MAX, actor->post); return 0;
    case PV_ASSIGN_CREATOR: pv__copy(out, PV_POST_ID_MAX, cur ? cur->creator_post : actor->post);
        return 0;
    case PV_ASSIGN_PREVIOUS: pv__copy(out, PV_POST_ID_MAX, cur ? cur->previous : ""); return 0;
    case PV_ASSIGN_NONE: out[0] = '\0'; return 0;
    case PV_ASSIGN_FIELD: pv__copy(out, PV_POST_ID_MAX, args[a->assign.field].u.s.ptr); return 0;
    case PV_ASSIGN_ROLE:
        p = pv_directory_find_role(dir, a->assign.role, office);
        if (!p)
            return pv_reject(rej, PV_REJ_PRECONDITION, "",
                             "no post with role %s in office %s or above it", a->assign.role,
                             office);
        break;
    case PV_ASSIGN_REPORTING:
        p = actor->post[0] ? pv_directory_superior(dir, actor->post, a->assign.levels) : NULL;
        if (!p)
            return pv_reject(rej, PV_REJ_PRECONDITION, "",
                             "post %s has no officer %d level(s) above it to send the case to",
                             actor->post, a->assign.levels);
        break;
    }
    pv__copy(out, PV_POST_ID_MAX, p->id);
    return 0;
}

/* The office of a new case: the creator's, or the one named by the definition's office field. */
static const char *case_office(const pv_def_t *def, const pv_actiondef_t *a,
                               const pv_case_t *cur, const pv_value_t *args, const actor_t *actor)
{
    if (cur)
        return cur->office;
    if (def->office_field)
        for (size_t i = 0; i < a->nfields; i++)
            if (strcmp(a->fields[i].name, def->office_field) == 0)
                return args[i].u.s.ptr;
    return actor->office;
}

static void build_next(const pv_def_t *def, const pv_actiondef_t *a, const pv_case_t *cur,
                       const pv_event_t *ev, const actor_t *actor, const char *office,
                       pv_case_t *next)
{
    if (cur) {
        *next = *cur;
    } else {
        memset(next, 0, sizeof *next);
        next->def = def;
        pv__copy(next->id, sizeof next->id, ev->subject);
        pv__copy(next->creator, sizeof next->creator, actor->id);
        pv__copy(next->creator_post, sizeof next->creator_post, actor->post);
        pv__copy(next->office, sizeof next->office, office);
    }
    next->seq++;
    next->actions_done |= 1ull << (a - def->actions);
    pv__seen_push(next, ev->id);
}

static void fill_record(pv_record_t *rec, const pv_case_t *next, const pv_case_t *cur,
                        const pv_event_t *ev, const actor_t *actor, pv_time_t now)
{
    pv__record_from_case(rec, next, cur);
    rec->kind = PV_KIND_EVENT;
    rec->event_id = ev->id;
    rec->event_type = ev->type;
    rec->source = ev->source;
    rec->actor = ev->actor;
    rec->actor_post = actor->post;
    rec->actor_role = actor->role;
    rec->event_time = ev->time;
    rec->accepted_at = now;
}

static int apply_event(const pv_engine_t *eng, const pv_case_t *cur, const pv_def_t *create_on,
                       const pv_event_t *ev, pv_time_t now, pv_case_t *next, pv_record_t *rec,
                       pv_arena_t *arena, pv_reject_t *rej)
{
    const pv_def_t *def = NULL;
    const pv_actiondef_t *a = NULL;
    const pv_directory_t *dir = pv__engine_directory(eng);
    pv_value_t args[PV_DEF_MAX_FIELDS], cvals[PV_CASE_FIELDS_MAX];
    actor_t actor;
    pv_case_t tmp;
    char assignee[PV_POST_ID_MAX];
    int rc;
    if ((rc = resolve_action(eng, cur, ev, create_on, &def, &a, rej)) ||
        (rc = check_state(def, a, cur, ev, rej)) ||
        (rc = resolve_actor(dir, a, ev, &actor, rej)) ||
        (cur && (rc = check_actor_rule(a, cur, &actor, rej))) ||
        (rc = pv__typed_args(def, a, ev, dir, args, rej)))
        return rc;
    if (cur)
        pv__case_values(cur, cvals);
    else
        memset(cvals, 0, sizeof cvals); /* kind NIL */
    for (size_t i = 0; !cur && i < def->ncfields; i++)
        cvals[i] = (pv_value_t){.kind = PV_VAL_INT, .u.i = 0};
    pv_expr_env_t env = {args, ev, cvals, cur ? (int64_t)cur->seq : 0,
                         cur ? cur->created_at : now, cur ? cur->entered_at : now, now,
                         actor.role, actor.post, actor.office, ev->subject, NULL, dir};
    const char *office = case_office(def, a, cur, args, &actor);
    env.case_office = office;
    const pv_office_t *off = dir && office[0] ? pv_directory_office(dir, office) : NULL;
    if ((rc = check_guards(def, a, cur, &env, rej)) ||
        (rc = check_limit(def, a, args, &actor, off ? off->kind : NULL, rej)) ||
        (rc = assign_post(dir, a, cur, args, &actor, office, assignee, rej)))
        return rc;
    const uint8_t *data;
    size_t data_len;
    if ((rc = pv__redact(a, ev, pv__engine_salt(eng), arena, &data, &data_len)))
        return rc;

    /* Past every check: build the new case in place unless it aliases the current one (saves
     * copying a whole case on the hot path). */
    pv_case_t *out = next == cur ? &tmp : next;
    build_next(def, a, cur, ev, &actor, office, out);
    out->state = (uint16_t)target_state(a, cur, &env);
    /* A closed case is pending with nobody, whatever desk took the last action. */
    pv__copy(out->assignee, sizeof out->assignee,
             def->states[out->state].terminal ? "" : assignee);
    pv__apply_sets(a, &env, out);
    pv__finish_transition(out, cur, now);
    fill_record(rec, out, cur, ev, &actor, now);
    rec->data = data;
    rec->data_len = data_len;
    if ((rc = pv__record_finish(rec, out, arena)))
        return rc;
    if (out != next)
        *next = tmp;
    /* The record borrows strings from the case: point them at *next, which the caller keeps. */
    rec->case_id = next->id;
    rec->assignee = next->assignee;
    rec->office = next->office;
    return 0;
}

int pv_engine_apply(const pv_engine_t *eng, const pv_case_t *cur, const pv_event_t *ev,
                    pv_time_t now, pv_case_t *next, pv_record_t *rec, pv_arena_t *arena,
                    pv_reject_t *rej)
{
    return apply_event(eng, cur, NULL, ev, now, next, rec, arena, rej);
}

int pv__engine_apply_create_on(const pv_engine_t *eng, const pv_def_t *def, const pv_event_t *ev,
                               pv_time_t now, pv_case_t *next, pv_record_t *rec,
                               pv_arena_t *arena, pv_reject_t *rej)
{
    return apply_event(eng, NULL, def, ev, now, next, rec, arena, rej);
}
