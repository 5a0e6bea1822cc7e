/* Typed arguments, case bookkeeping and record construction shared by apply, fire and fold. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "transition.h"

void pv__copy(char *dst, size_t cap, const char *s)
{
    size_t n = s ? strnlen(s, cap - 1) : 0;
    memcpy(dst, s ? s : "", n);
    dst[n] = '\0';
}

/* ---- typed arguments ---- */

static const char *kind_name(pv_value_kind_t k)
{
    static const char *const names[] = {"nil", "bool", "integer", "number", "string", "map/array"};
    return names[k];
}

static int bad_type(pv_reject_t *rej, const pv_fielddef_t *f, const pv_value_t *v,
                    const char *want)
{
    char field[PV_REJECT_FIELD_MAX];
    snprintf(field, sizeof field, "data.%s", f->name);
    return pv_reject(rej, PV_REJ_MALFORMED, field, "data.%s: expected %s, got %s", f->name, want,
                     kind_name(v->kind));
}

static int convert_number(const pv_fielddef_t *f, const pv_value_t *v, pv_value_t *out,
                          pv_reject_t *rej)
{
    switch (f->type) {
    case PV_FT_MONEY:
        if (v->kind != PV_VAL_INT || v->u.i < 0)
            return bad_type(rej, f, v, "money (a whole number of rupees, not negative)");
        break;
    case PV_FT_INT:
        if (v->kind != PV_VAL_INT)
            return bad_type(rej, f, v, "an integer");
        break;
    default: /* number */
        if (v->kind != PV_VAL_INT && v->kind != PV_VAL_FLOAT)
            return bad_type(rej, f, v, "a number");
    }
    *out = *v;
    return 0;
}

static int convert(const pv_def_t *def, const pv_fielddef_t *f, const pv_value_t *v,
                   pv_value_t *out, pv_reject_t *rej)
{
    switch (f->type) {
    case PV_FT_MONEY:
    case PV_FT_INT:
    case PV_FT_NUMBER: return convert_number(f, v, out, rej);
    case PV_FT_BOOL:
        if (v->kind != PV_VAL_BOOL)
            return bad_type(rej, f, v, "true or false");
        *out = *v;
        return 0;
    case PV_FT_DATE: {
        pv_time_t t;
        int off = 0;
        if (v->kind != PV_VAL_STR)
            return bad_type(rej, f, v, "a date (YYYY-MM-DD)");
        /* Dates are local dates of the workflow's calendar: midnight at its offset. */
        off = pv_calendar_utc_offset(def->calendar);
        if (v->u.s.len != 10 || pv_time_parse(v->u.s.ptr, off, &t) != 0) {
            char field[PV_REJECT_FIELD_MAX];
            snprintf(field, sizeof field, "data.%s", f->name);
            return pv_reject(rej, PV_REJ_MALFORMED, field,
                             "data.%s: '%s' is not a valid date (YYYY-MM-DD)", f->name,
                             v->u.s.ptr);
        }
        *out = (pv_value_t){.kind = PV_VAL_INT, .u.i = t};
        return 0;
    }
    default:
        if (v->kind != PV_VAL_STR)
            return bad_type(rej, f, v, "a string");
        *out = *v;
        return 0;
    }
}

static int constraint_fail(pv_reject_t *rej, const pv_fielddef_t *f, const char *fmt,
                           const char *detail)
{
    char field[PV_REJECT_FIELD_MAX];
    snprintf(field, sizeof field, "data.%s", f->name);
    return pv_reject(rej, PV_REJ_PRECONDITION, field, fmt, f->name, detail);
}

static int check_string(const pv_fielddef_t *f, const pv_value_t *v, const pv_directory_t *dir,
                        pv_reject_t *rej)
{
    const char *s = v->u.s.ptr;
    if (f->max_len && v->u.s.len > f->max_len)
        return constraint_fail(rej, f, "data.%s: longer than allowed (%s)", "max_len");
    if (f->has_pattern && regexec(&f->pattern, s, 0, NULL, 0) != 0)
        return constraint_fail(rej, f, "data.%s: '%s' does not match the required pattern", s);
    if (f->type == PV_FT_ENUM) {
        for (size_t i = 0; i < f->nvalues; i++)
            if (strcmp(f->values[i], s) == 0)
                return 0;
        return constraint_fail(rej, f, "data.%s: '%s' is not one of the allowed values", s);
    }
    if (f->type == PV_FT_POST && !pv_directory_post(dir, s))
        return constraint_fail(rej, f, "data.%s: post '%s' is not in the directory", s);
    if (f->type == PV_FT_OFFICE && !pv_directory_office(dir, s))
        return constraint_fail(rej, f, "data.%s: office '%s' is not in the directory", s);
    return 0;
}

static int check_identity(const pv_fielddef_t *f, const pv_value_t *v, pv_reject_t *rej)
{
    char field[PV_REJECT_FIELD_MAX];
    const char *s = v->u.s.ptr;
    snprintf(field, sizeof field, "data.%s", f->name);
    if (f->type == PV_FT_AADHAAR) {
        if (v->u.s.len != 12 || strspn(s, "0123456789") != 12 || s[0] == '0' || s[0] == '1')
            return pv_reject(rej, PV_REJ_MALFORMED, field,
                             "data.%s: an Aadhaar number is 12 digits, not starting with 0 or 1",
                             f->name);
        if (!pv__verhoeff_ok(s))
            return pv_reject(rej, PV_REJ_MALFORMED, field,
                             "data.%s: Aadhaar number fails its Verhoeff check digit", f->name);
        return 0;
    }
    if (v->u.s.len < 6 || v->u.s.len > 12 ||
        strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") != v->u.s.len)
        return pv_reject(rej, PV_REJ_MALFORMED, field,
                         "data.%s: a Family ID is 6-12 capital letters and digits", f->name);
    return 0;
}

static int check_constraints(const pv_fielddef_t *f, const pv_value_t *v,
                             const pv_directory_t *dir, pv_reject_t *rej)
{
    char num[64];
    if (v->kind == PV_VAL_STR) {
        if (f->type == PV_FT_AADHAAR || f->type == PV_FT_FAMILY_ID)
            return check_identity(f, v, rej);
        return check_string(f, v, dir, rej);
    }
    if (v->kind != PV_VAL_INT && v->kind != PV_VAL_FLOAT)
        return 0;
    double x = v->kind == PV_VAL_INT ? (double)v->u.i : v->u.f;
    if (f->has_min && x < f->min) {
        snprintf(num, sizeof num, "%g", f->min);
        return constraint_fail(rej, f, "data.%s: below the minimum of %s", num);
    }
    if (f->has_max && x > f->max) {
        snprintf(num, sizeof num, "%g", f->max);
        return constraint_fail(rej, f, "data.%s: above the maximum of %s", num);
    }
    return 0;
}

int pv__typed_args(const pv_def_t *def, const pv_actiondef_t *a, const pv_event_t *ev,
                   const pv_directory_t *dir, pv_value_t *args, pv_reject_t *rej)
{
    for (size_t i = 0; i < a->nfields; i++) {
        const pv_fielddef_t *f = &a->fields[i];
        const pv_value_t *v = pv_event_field(ev, f->name);
        args[i] = (pv_value_t){.kind = PV_VAL_NIL};
        if (!v || v->kind == PV_VAL_NIL) {
            if (f->required) {
                char field[PV_REJECT_FIELD_MAX];
                snprintf(field, sizeof field, "data.%s", f->name);
                return pv_reject(rej, PV_REJ_MALFORMED, field,
                                 "data.%s: required field is missing", f->name);
            }
            continue;
        }
        int rc = convert(def, f, v, &args[i], rej);
        if (rc)
            return rc;
    }
    /* Constraints after all types are known good, so a malformed event is always `malformed`. */
    for (size_t i = 0; dir && i < a->nfields; i++) {
        const pv_value_t *v = pv_event_field(ev, a->fields[i].name);
        if (v && v->kind != PV_VAL_NIL) {
            int rc = check_constraints(&a->fields[i], v, dir, rej);
            if (rc)
                return rc;
        }
    }
    return 0;
}

/* ---- case bookkeeping ---- */

void pv__case_values(const pv_case_t *c, pv_value_t *out)
{
    for (size_t i = 0; i < c->def->ncfields; i++) {
        if (c->def->cfields[i].type == PV_CF_NUMBER)
            out[i] = (pv_value_t){.kind = PV_VAL_FLOAT, .u.f = c->fields[i].f};
        else
            out[i] = (pv_value_t){.kind = PV_VAL_INT, .u.i = c->fields[i].i};
    }
}

void pv__apply_sets(const pv_actiondef_t *a, const pv_expr_env_t *env, pv_case_t *next)
{
    pv_case_value_t staged[PV_CASE_FIELDS_MAX];
    memcpy(staged, next->fields, sizeof staged);
    /* Every expression reads the fields as they were before the action (env), not half-updated. */
    for (size_t i = 0; i < a->nsets; i++) {
        pv_value_t v;
        int cf = a->sets[i].case_field;
        pv_expr_eval(a->sets[i].expr, env, &v);
        if (v.kind == PV_VAL_NIL || v.kind == PV_VAL_STR || v.kind == PV_VAL_NESTED)
            continue;
        double d = v.kind == PV_VAL_FLOAT ? v.u.f : v.kind == PV_VAL_BOOL ? v.u.b : (double)v.u.i;
        if (next->def->cfields[cf].type == PV_CF_NUMBER)
            staged[cf].f = d;
        else if (next->def->cfields[cf].type == PV_CF_FLAG)
            staged[cf].i = pv_value_truthy(&v);
        else
            staged[cf].i = v.kind == PV_VAL_FLOAT ? (int64_t)v.u.f
                                                  : v.kind == PV_VAL_BOOL ? v.u.b : v.u.i;
    }
    memcpy(next->fields, staged, sizeof staged);
}

void pv__finish_transition(pv_case_t *next, const pv_case_t *before, pv_time_t now)
{
    if (!before) {
        next->created_at = now;
        next->entered_at = now;
    } else if (before->state != next->state || strcmp(before->assignee, next->assignee) != 0) {
        next->entered_at = now;
    }
    if (before && strcmp(before->assignee, next->assignee) != 0)
        pv__copy(next->previous, sizeof next->previous, before->assignee);
    pv_time_t deadline = pv__deadline(next);
    if (!before || deadline != before->deadline || next->entered_at != before->entered_at) {
        next->deadline = deadline;
        next->armed_at = now;
        next->esc_level = 0;
        next->reminders_sent = 0;
        next->last_alert_at = 0;
    }
    next->next_timer = pv__next_timer(next);
}

/* ---- duplicate memory ---- */

uint64_t pv__id_hash(const char *id)
{
    /* FNV-1a 64: ids are a bounded window per case, so 64 bits make collisions negligible. */
    uint64_t h = 1469598103934665603ull;
    for (const unsigned char *p = (const unsigned char *)id; *p; p++)
        h = (h ^ *p) * 1099511628211ull;
    return h ? h : 1; /* 0 marks an empty slot */
}

int pv__seen_has(const pv_case_t *c, const char *id)
{
    uint64_t h = pv__id_hash(id);
    for (size_t i = 0; i < PV_CASE_SEEN_IDS; i++)
        if (c->seen[i] == h)
            return 1;
    return 0;
}

void pv__seen_push(pv_case_t *c, const char *id)
{
    c->seen[c->seen_next % PV_CASE_SEEN_IDS] = pv__id_hash(id);
    c->seen_next = (c->seen_next + 1) % PV_CASE_SEEN_IDS;
}

/* ---- records ---- */

static const uint8_t empty_map[] = {0x80};

void pv__record_from_case(pv_record_t *r, const pv_case_t *next, const pv_case_t *before)
{
    memset(r, 0, sizeof *r);
    r->format = PV_RECORD_FORMAT;
    r->case_id = next->id;
    r->seq = next->seq;
    r->case_type = next->def->name;
    r->def_version = (uint32_t)next->def->version;
    r->prev_state = before ? before->def->states[before->state].name : "";
    r->new_state = next->def->states[next->state].name;
    r->assignee = next->assignee;
    r->deadline = next->deadline;
    r->office = next->office;
    r->alert_target = "";
    r->actor = r->actor_post = r->actor_role = r->event_time = "";
    r->data = empty_map;
    r->data_len = sizeof empty_map;
    if (before)
        memcpy(r->prev_hash, before->hash, PV_HASH_LEN);
}

int pv__record_finish(pv_record_t *r, pv_case_t *next, pv_arena_t *arena)
{
    int rc = pv_record_seal_into(r, arena);
    if (rc == 0)
        memcpy(next->hash, r->hash, PV_HASH_LEN);
    return rc;
}
