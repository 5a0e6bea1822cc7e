/* Loading, validating and compiling workflow definitions (docs/WORKFLOWS.md).
 *
 * The loader walks the YAML tree once per section. States and actions are named before their
 * details are read, so references in any order resolve; every problem is reported as
 * "FILE:LINE: message" at the node that caused it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "definition_types.h"
#include "yamlutil.h"

typedef struct loader_s {
    pv_yaml_t y;
    pv_def_t *def;
    char *err;
    size_t errlen;
} loader_t;

#define ERR(ld, node, ...) pv_yaml_error(&(ld)->y, (node), (ld)->err, (ld)->errlen, __VA_ARGS__)

/* State and action names become parts of event types and Graphviz ids. */
static bool is_identifier(const char *s)
{
    size_t n = strlen(s);
    return n > 0 && n < 64 &&
           strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") == n;
}

static char *xstrdup(const char *s)
{
    return s ? strdup(s) : NULL;
}

/* ---- small readers ---- */

static int read_str(loader_t *ld, yaml_node_t *n, const char *what, char **out)
{
    const char *s = pv_yaml_str(n);
    if (!s || !*s)
        return ERR(ld, n, "%s must be a non-empty string", what);
    if (!(*out = strdup(s)))
        return PV_ENOMEM;
    return 0;
}

static int read_int(loader_t *ld, yaml_node_t *n, int64_t min, int64_t max, int64_t *out)
{
    return pv_yaml_int(&ld->y, n, min, max, out, ld->err, ld->errlen);
}

static int read_bool(loader_t *ld, yaml_node_t *n, bool *out)
{
    return pv_yaml_bool(&ld->y, n, out, ld->err, ld->errlen);
}

static int check_keys(loader_t *ld, yaml_node_t *map, const char *const *allowed)
{
    return pv_yaml_check_keys(&ld->y, map, allowed, ld->err, ld->errlen);
}

static int expect(loader_t *ld, yaml_node_t *n, yaml_node_type_t t, const char *what)
{
    return pv_yaml_expect(&ld->y, n, t, what, ld->err, ld->errlen);
}

/* Reads a sequence of strings (or one string) into a fresh array. */
static int read_str_list(loader_t *ld, yaml_node_t *n, const char *what, char ***out, size_t *nout)
{
    size_t cnt = pv_yaml_is_seq(n) ? pv_yaml_len(n) : 1;
    char **list = calloc(cnt ? cnt : 1, sizeof *list);
    if (!list)
        return PV_ENOMEM;
    *out = list;
    *nout = 0;
    for (size_t i = 0; i < cnt; i++) {
        yaml_node_t *item = pv_yaml_is_seq(n) ? pv_yaml_seq_at(&ld->y, n, i) : n;
        int rc = read_str(ld, item, what, &list[i]);
        if (rc)
            return rc;
        *nout = i + 1;
    }
    return 0;
}

static void free_str_list(char **list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(list[i]);
    free(list);
}

/* ---- case fields ---- */

static int parse_cfield_type(const char *s, pv_cftype_t *t)
{
    static const char *const names[] = {"money", "int", "number", "date", "flag"};
    for (size_t i = 0; i < 5; i++)
        if (strcmp(s, names[i]) == 0) {
            *t = (pv_cftype_t)i;
            return 0;
        }
    return -1;
}

static int load_case_fields(loader_t *ld, yaml_node_t *n)
{
    pv_def_t *def = ld->def;
    if (!n)
        return 0;
    int rc = expect(ld, n, YAML_MAPPING_NODE, "fields");
    if (rc)
        return rc;
    size_t cnt = pv_yaml_len(n);
    if (cnt > 24)
        return ERR(ld, n, "%zu case fields declared; at most 24 are allowed", cnt);
    def->cfields = calloc(cnt ? cnt : 1, sizeof *def->cfields);
    def->cfield_names = calloc(cnt ? cnt : 1, sizeof *def->cfield_names);
    if (!def->cfields || !def->cfield_names)
        return PV_ENOMEM;
    for (size_t i = 0; i < cnt; i++) {
        yaml_node_t *v, *k;
        const char *name = pv_yaml_map_at(&ld->y, n, i, &k, &v);
        const char *type = pv_yaml_str(v);
        if (!type || parse_cfield_type(type, &def->cfields[i].type) != 0)
            return ERR(ld, v, "case field '%s': type must be one of money, int, number, date, flag",
                       name);
        if (!(def->cfields[i].name = strdup(name)))
            return PV_ENOMEM;
        def->cfield_names[i] = def->cfields[i].name;
        def->ncfields = i + 1;
    }
    return 0;
}

static int cfield_index(const pv_def_t *def, const char *name)
{
    for (size_t i = 0; i < def->ncfields; i++)
        if (strcmp(def->cfields[i].name, name) == 0)
            return (int)i;
    return -1;
}

/* ---- delegation tables ---- */

static int load_slab(loader_t *ld, pv_table_t *t, yaml_node_t *n, pv_slab_t *s)
{
    static const char *const keys[] = {"role", "office_kind", "min", "max", NULL};
    int rc = expect(ld, n, YAML_MAPPING_NODE, "delegation entry");
    if (!rc)
        rc = check_keys(ld, n, keys);
    if (!rc)
        rc = read_str(ld, pv_yaml_get(&ld->y, n, "role"), "role", &s->role);
    if (rc)
        return rc;
    yaml_node_t *ok = pv_yaml_get(&ld->y, n, "office_kind");
    if (ok && (rc = read_str(ld, ok, "office_kind", &s->office_kind)))
        return rc;
    yaml_node_t *mn = pv_yaml_get(&ld->y, n, "min"), *mx = pv_yaml_get(&ld->y, n, "max");
    if (mn && (rc = read_int(ld, mn, 0, INT64_MAX, &s->min)))
        return rc;
    if (mx && (rc = read_int(ld, mx, 0, INT64_MAX, &s->max)))
        return rc;
    s->has_max = mx != NULL;
    if (s->has_max && s->min > s->max)
        return ERR(ld, n, "table '%s': min %lld is above max %lld", t->name, (long long)s->min,
                   (long long)s->max);
    if (!t->is_slabs && mn)
        return ERR(ld, mn, "table '%s' is a ceiling table: entries take max only", t->name);
    return 0;
}

static int same_kind(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

/* Slabs of one office kind must not overlap; a ceiling table names a role once per office kind. */
static int check_table(loader_t *ld, pv_table_t *t, yaml_node_t *entries)
{
    for (size_t i = 0; i < t->nentries; i++)
        for (size_t j = 0; j < i; j++) {
            pv_slab_t *a = &t->entries[i], *b = &t->entries[j];
            if (!same_kind(a->office_kind, b->office_kind))
                continue;
            yaml_node_t *at = pv_yaml_seq_at(&ld->y, entries, i);
            if (!t->is_slabs && strcmp(a->role, b->role) == 0)
                return ERR(ld, at, "table '%s': role %s has two limits%s%s", t->name, a->role,
                           a->office_kind ? " for office kind " : "",
                           a->office_kind ? a->office_kind : "");
            if (!t->is_slabs)
                continue;
            int64_t amax = a->has_max ? a->max : INT64_MAX, bmax = b->has_max ? b->max : INT64_MAX;
            if (a->min <= bmax && b->min <= amax)
                return ERR(ld, at, "table '%s': slab %s %lld-%lld overlaps slab %s %lld-%lld",
                           t->name, a->role, (long long)a->min, (long long)amax, b->role,
                           (long long)b->min, (long long)bmax);
        }
    return 0;
}

static int load_table(loader_t *ld, const char *name, yaml_node_t *n, pv_table_t *t)
{
    static const char *const keys[] = {"kind", "entries", NULL};
    int rc = expect(ld, n, YAML_MAPPING_NODE, "delegation table");
    if (!rc)
        rc = check_keys(ld, n, keys);
    if (rc)
        return rc;
    if (!(t->name = strdup(name)))
        return PV_ENOMEM;
    const char *kind = pv_yaml_str(pv_yaml_get(&ld->y, n, "kind"));
    if (!kind || (strcmp(kind, "ceiling") != 0 && strcmp(kind, "slabs") != 0))
        return ERR(ld, n, "table '%s': kind must be ceiling or slabs", name);
    t->is_slabs = strcmp(kind, "slabs") == 0;
    yaml_node_t *entries = pv_yaml_get(&ld->y, n, "entries");
    if (!entries || !pv_yaml_is_seq(entries) || pv_yaml_len(entries) == 0)
        return ERR(ld, entries ? entries : n, "table '%s': entries must be a non-empty list", name);
    size_t cnt = pv_yaml_len(entries);
    if (!(t->entries = calloc(cnt, sizeof *t->entries)))
        return PV_ENOMEM;
    for (size_t i = 0; i < cnt; i++) {
        t->nentries = i + 1;
        if ((rc = load_slab(ld, t, pv_yaml_seq_at(&ld->y, entries, i), &t->entries[i])))
            return rc;
    }
    return check_table(ld, t, entries);
}

static int load_tables(loader_t *ld, yaml_node_t *n)
{
    if (!n)
        return 0;
    int rc = expect(ld, n, YAML_MAPPING_NODE, "delegation");
    if (rc)
        return rc;
    size_t cnt = pv_yaml_len(n);
    if (!(ld->def->tables = calloc(cnt ? cnt : 1, sizeof *ld->def->tables)))
        return PV_ENOMEM;
    for (size_t i = 0; i < cnt; i++) {
        yaml_node_t *v;
        const char *name = pv_yaml_map_at(&ld->y, n, i, NULL, &v);
        ld->def->ntables = i + 1;
        if ((rc = load_table(ld, name, v, &ld->def->tables[i])))
            return rc;
    }
    return 0;
}

static int table_index(const pv_def_t *def, const char *name)
{
    for (size_t i = 0; i < def->ntables; i++)
        if (strcmp(def->tables[i].name, name) == 0)
            return (int)i;
    return -1;
}

/* ---- states ---- */

static int parse_target(loader_t *ld, yaml_node_t *n, pv_target_t *t)
{
    const char *s = pv_yaml_str(n);
    if (s && strcmp(s, "assignee") == 0) {
        t->kind = PV_TGT_ASSIGNEE;
        return 0;
    }
    if (s && strncmp(s, "reporting:", 10) == 0) {
        char *end;
        long lv = strtol(s + 10, &end, 10);
        if (*end || lv < 1 || lv > 10)
            return ERR(ld, n, "escalation target '%s': reporting level must be 1-10", s);
        t->kind = PV_TGT_REPORTING;
        t->levels = (int)lv;
        return 0;
    }
    if (s && strncmp(s, "role:", 5) == 0 && s[5]) {
        t->kind = PV_TGT_ROLE;
        return (t->role = strdup(s + 5)) ? 0 : PV_ENOMEM;
    }
    return ERR(ld, n, "escalation target '%s' must be reporting:N, role:ROLE or assignee",
               s ? s : "?");
}

static int load_escalation(loader_t *ld, pv_statedef_t *st, yaml_node_t *n)
{
    static const char *const keys[] = {"after_days", "working", "to", "reassign", NULL};
    if (!pv_yaml_is_seq(n))
        return ERR(ld, n, "state '%s': escalation must be a list of steps", st->name);
    size_t cnt = pv_yaml_len(n);
    if (cnt > 16)
        return ERR(ld, n, "state '%s': at most 16 escalation steps", st->name);
    if (!(st->esc = calloc(cnt ? cnt : 1, sizeof *st->esc)))
        return PV_ENOMEM;
    for (size_t i = 0; i < cnt; i++) {
        yaml_node_t *step = pv_yaml_seq_at(&ld->y, n, i);
        pv_escstep_t *e = &st->esc[i];
        st->nesc = i + 1;
        int64_t days = 0;
        int rc = expect(ld, step, YAML_MAPPING_NODE, "escalation step");
        if (!rc)
            rc = check_keys(ld, step, keys);
        yaml_node_t *ad = pv_yaml_get(&ld->y, step, "after_days");
        if (!rc && !ad)
            rc = ERR(ld, step, "escalation step needs after_days");
        if (!rc)
            rc = read_int(ld, ad, 0, 3650, &days);
        yaml_node_t *to = pv_yaml_get(&ld->y, step, "to");
        if (!rc && !to)
            rc = ERR(ld, step, "escalation step needs to");
        if (!rc)
            rc = parse_target(ld, to, &e->to);
        yaml_node_t *w = pv_yaml_get(&ld->y, step, "working"),
                    *r = pv_yaml_get(&ld->y, step, "reassign");
        if (!rc && w)
            rc = read_bool(ld, w, &e->working);
        if (!rc && r)
            rc = read_bool(ld, r, &e->reassign);
        if (rc)
            return rc;
        e->after_days = (int)days;
    }
    return 0;
}

static int load_sla(loader_t *ld, pv_statedef_t *st, yaml_node_t *n)
{
    static const char *const keys[] = {"days", "working", "until", NULL};
    int rc = expect(ld, n, YAML_MAPPING_NODE, "sla");
    if (!rc)
        rc = check_keys(ld, n, keys);
    if (rc)
        return rc;
    yaml_node_t *days = pv_yaml_get(&ld->y, n, "days"), *until = pv_yaml_get(&ld->y, n, "until"),
                *w = pv_yaml_get(&ld->y, n, "working");
    if (!!days == !!until)
        return ERR(ld, n, "state '%s': sla needs exactly one of days or until", st->name);
    if (w && (rc = read_bool(ld, w, &st->sla_working)))
        return rc;
    if (days) {
        int64_t d;
        if ((rc = read_int(ld, days, 0, 3650, &d)))
            return rc;
        st->sla = PV_SLA_DAYS;
        st->sla_days = (int)d;
        return 0;
    }
    const char *f = pv_yaml_str(until);
    int idx = f ? cfield_index(ld->def, f) : -1;
    if (idx < 0 || ld->def->cfields[idx].type != PV_CF_DATE)
        return ERR(ld, until, "state '%s': sla until '%s' must name a case field of type date",
                   st->name, f ? f : "?");
    st->sla = PV_SLA_UNTIL;
    st->until_field = idx;
    return 0;
}

static int load_reminders(loader_t *ld, pv_statedef_t *st, yaml_node_t *n)
{
    if (!pv_yaml_is_seq(n) || pv_yaml_len(n) > 8)
        return ERR(ld, n, "state '%s': reminders must be a list of at most 8 day counts", st->name);
    size_t cnt = pv_yaml_len(n);
    if (!(st->reminders = calloc(cnt ? cnt : 1, sizeof *st->reminders)))
        return PV_ENOMEM;
    for (size_t i = 0; i < cnt; i++) {
        int64_t d;
        int rc = read_int(ld, pv_yaml_seq_at(&ld->y, n, i), 1, 365, &d);
        if (rc)
            return rc;
        st->reminders[i] = (int)d;
        st->nreminders = i + 1;
    }
    return 0;
}

static int load_state(loader_t *ld, pv_statedef_t *st, yaml_node_t *n)
{
    static const char *const keys[] = {"terminal", "sla", "reminders", "escalation", "title",
                                       NULL};
    int rc;
    if (pv_yaml_is_null(n))
        return 0;
    if ((rc = expect(ld, n, YAML_MAPPING_NODE, "state")) || (rc = check_keys(ld, n, keys)))
        return rc;
    yaml_node_t *t = pv_yaml_get(&ld->y, n, "terminal"), *sla = pv_yaml_get(&ld->y, n, "sla"),
                *rem = pv_yaml_get(&ld->y, n, "reminders"),
                *esc = pv_yaml_get(&ld->y, n, "escalation");
    if (t && (rc = read_bool(ld, t, &st->terminal)))
        return rc;
    if (st->terminal && (sla || rem || esc))
        return ERR(ld, n, "state '%s' is terminal: it can have no sla, reminders or escalation",
                   st->name);
    if (sla && (rc = load_sla(ld, st, sla)))
        return rc;
    if ((rem || esc) && !sla)
        return ERR(ld, rem ? rem : esc, "state '%s': reminders and escalation need an sla",
                   st->name);
    if (rem && (rc = load_reminders(ld, st, rem)))
        return rc;
    if (esc && (rc = load_escalation(ld, st, esc)))
        return rc;
    return 0;
}

static int load_states(loader_t *ld, yaml_node_t *n)
{
    pv_def_t *def = ld->def;
    int rc;
    if (!n)
        return ERR(ld, pv_yaml_root(&ld->y), "missing states");
    if ((rc = expect(ld, n, YAML_MAPPING_NODE, "states")))
        return rc;
    size_t cnt = pv_yaml_len(n);
    if (cnt == 0 || cnt > PV_DEF_MAX_STATES)
        return ERR(ld, n, "a workflow needs 1 to %d states", PV_DEF_MAX_STATES);
    if (!(def->states = calloc(cnt, sizeof *def->states)))
        return PV_ENOMEM;
    for (size_t i = 0; i < cnt; i++) {
        yaml_node_t *k, *v;
        const char *name = pv_yaml_map_at(&ld->y, n, i, &k, &v);
        if (strcmp(name, "start") == 0 || strcmp(name, "stay") == 0 || strcmp(name, "any") == 0)
            return ERR(ld, k, "'%s' is reserved and cannot name a state", name);
        if (!is_identifier(name))
            return ERR(ld, k, "state name '%s' must be letters, digits and _", name);
        if (!(def->states[i].name = strdup(name)))
            return PV_ENOMEM;
        def->states[i].line = pv_yaml_line(k);
        def->nstates = i + 1;
    }
    for (size_t i = 0; i < cnt; i++) {
        yaml_node_t *v;
        pv_yaml_map_at(&ld->y, n, i, NULL, &v);
        if ((rc = load_state(ld, &def->states[i], v)))
            return rc;
    }
    return 0;
}

int pv__def_state_index(const pv_def_t *def, const char *name)
{
    for (size_t i = 0; i < def->nstates; i++)
        if (strcmp(def->states[i].name, name) == 0)
            return (int)i;
    return -1;
}

int pv__def_action_index(const pv_def_t *def, const char *name)
{
    for (size_t i = 0; i < def->nactions; i++)
        if (strcmp(def->actions[i].name, name) == 0)
            return (int)i;
    return -1;
}

/* ---- action fields ---- */

static const char *const ftype_names[] = {"string", "int",  "money", "number", "bool",    "date",
                                          "post",   "office", "enum", "aadhaar", "family_id"};

static int parse_ftype(const char *s, pv_ftype_t *t)
{
    for (size_t i = 0; i < sizeof ftype_names / sizeof ftype_names[0]; i++)
        if (strcmp(s, ftype_names[i]) == 0) {
            *t = (pv_ftype_t)i;
            return 0;
        }
    return -1;
}

static int read_number(loader_t *ld, yaml_node_t *n, double *out)
{
    const char *s = pv_yaml_str(n);
    char *end;
    if (!s || !*s)
        return ERR(ld, n, "expected a number");
    *out = strtod(s, &end);
    if (*end)
        return ERR(ld, n, "'%s' is not a number", s);
    return 0;
}

/* A constraint that does not apply to the field's type would be silently ignored: refuse it. */
static int check_constraint_types(loader_t *ld, const pv_fielddef_t *f, yaml_node_t *n,
                                  bool has_range, bool has_text, bool has_values)
{
    bool numeric = f->type == PV_FT_INT || f->type == PV_FT_MONEY || f->type == PV_FT_NUMBER;
    bool text = f->type == PV_FT_STRING || f->type == PV_FT_POST || f->type == PV_FT_OFFICE ||
                f->type == PV_FT_ENUM;
    if (has_range && !numeric)
        return ERR(ld, n, "field '%s': min and max apply to int, money and number fields only",
                   f->name);
    if (has_text && !text)
        return ERR(ld, n, "field '%s': max_len and pattern apply to text fields only", f->name);
    if (has_values && f->type != PV_FT_ENUM)
        return ERR(ld, n, "field '%s': values apply to enum fields only (type: enum)", f->name);
    return 0;
}

static int load_field_constraints(loader_t *ld, pv_fielddef_t *f, yaml_node_t *n)
{
    int rc;
    yaml_node_t *req = pv_yaml_get(&ld->y, n, "required"), *mn = pv_yaml_get(&ld->y, n, "min"),
                *mx = pv_yaml_get(&ld->y, n, "max"), *ml = pv_yaml_get(&ld->y, n, "max_len"),
                *pat = pv_yaml_get(&ld->y, n, "pattern"), *vals = pv_yaml_get(&ld->y, n, "values");
    f->required = true;
    if (req && (rc = read_bool(ld, req, &f->required)))
        return rc;
    if (mn && ((rc = read_number(ld, mn, &f->min)) != 0))
        return rc;
    if (mx && ((rc = read_number(ld, mx, &f->max)) != 0))
        return rc;
    f->has_min = mn != NULL;
    f->has_max = mx != NULL;
    if (ml && (rc = read_int(ld, ml, 1, 1 << 20, &f->max_len)))
        return rc;
    if (pat) {
        const char *src = pv_yaml_str(pat);
        if (!src || regcomp(&f->pattern, src, REG_EXTENDED | REG_NOSUB) != 0)
            return ERR(ld, pat, "field '%s': pattern is not a valid POSIX extended regex",
                       f->name);
        f->has_pattern = true;
    }
    if (vals && (rc = read_str_list(ld, vals, "enum value", &f->values, &f->nvalues)))
        return rc;
    if (f->type == PV_FT_ENUM && f->nvalues == 0)
        return ERR(ld, n, "field '%s': an enum needs values", f->name);
    return check_constraint_types(ld, f, n, mn || mx, ml || pat, vals != NULL);
}

static int load_field(loader_t *ld, pv_fielddef_t *f, const char *name, yaml_node_t *n)
{
    static const char *const keys[] = {"type", "required", "min", "max", "max_len", "pattern",
                                       "values", NULL};
    int rc;
    if (!(f->name = strdup(name)))
        return PV_ENOMEM;
    if ((rc = expect(ld, n, YAML_MAPPING_NODE, "field")) || (rc = check_keys(ld, n, keys)))
        return rc;
    const char *type = pv_yaml_str(pv_yaml_get(&ld->y, n, "type"));
    if (!type || parse_ftype(type, &f->type) != 0)
        return ERR(ld, n,
                   "field '%s': type must be one of string, int, money, number, bool, date, "
                   "post, office, enum, aadhaar, family_id",
                   name);
    return load_field_constraints(ld, f, n);
}

static int load_fields(loader_t *ld, pv_actiondef_t *a, yaml_node_t *n)
{
    int rc;
    if (!n)
        return 0;
    if ((rc = expect(ld, n, YAML_MAPPING_NODE, "fields")))
        return rc;
    size_t cnt = pv_yaml_len(n);
    if (cnt > PV_DEF_MAX_FIELDS)
        return ERR(ld, n, "action '%s': at most %d fields", a->name, PV_DEF_MAX_FIELDS);
    a->fields = calloc(cnt ? cnt : 1, sizeof *a->fields);
    a->field_names = calloc(cnt ? cnt : 1, sizeof *a->field_names);
    if (!a->fields || !a->field_names)
        return PV_ENOMEM;
    for (size_t i = 0; i < cnt; i++) {
        yaml_node_t *v;
        const char *name = pv_yaml_map_at(&ld->y, n, i, NULL, &v);
        a->nfields = i + 1;
        if ((rc = load_field(ld, &a->fields[i], name, v)))
            return rc;
        a->field_names[i] = a->fields[i].name;
    }
    return 0;
}

static int field_index(const pv_actiondef_t *a, const char *name)
{
    for (size_t i = 0; i < a->nfields; i++)
        if (strcmp(a->fields[i].name, name) == 0)
            return (int)i;
    return -1;
}

/* ---- expressions ---- */

static int compile_expr(loader_t *ld, pv_actiondef_t *a, yaml_node_t *n, pv_expr_t **out)
{
    char msg[256];
    const char *src = pv_yaml_str(n);
    if (!src)
        return ERR(ld, n, "expression must be a string");
    pv_expr_names_t names = {a->field_names, a->nfields, ld->def->cfield_names,
                             ld->def->ncfields};
    if (pv_expr_parse(src, &names, out, msg, sizeof msg) != 0)
        return ERR(ld, n, "expression '%s': %s", src, msg);
    return 0;
}

static int load_checks(loader_t *ld, pv_actiondef_t *a, yaml_node_t *n)
{
    static const char *const keys[] = {"expr", "message", NULL};
    if (!pv_yaml_is_seq(n))
        return ERR(ld, n, "action '%s': check must be a list of {expr, message}", a->name);
    size_t cnt = pv_yaml_len(n);
    if (!(a->checks = calloc(cnt ? cnt : 1, sizeof *a->checks)))
        return PV_ENOMEM;
    for (size_t i = 0; i < cnt; i++) {
        yaml_node_t *c = pv_yaml_seq_at(&ld->y, n, i);
        pv_check_t *ck = &a->checks[i];
        a->nchecks = i + 1;
        int rc = expect(ld, c, YAML_MAPPING_NODE, "check");
        if (!rc)
            rc = check_keys(ld, c, keys);
        yaml_node_t *e = pv_yaml_get(&ld->y, c, "expr"), *m = pv_yaml_get(&ld->y, c, "message");
        if (!rc && (!e || !m))
            rc = ERR(ld, c, "a check needs expr and message");
        if (!rc)
            rc = compile_expr(ld, a, e, &ck->expr);
        if (!rc)
            rc = read_str(ld, e, "expr", &ck->src);
        if (!rc)
            rc = read_str(ld, m, "message", &ck->message);
        if (rc)
            return rc;
    }
    return 0;
}

static int load_sets(loader_t *ld, pv_actiondef_t *a, yaml_node_t *n)
{
    int rc = expect(ld, n, YAML_MAPPING_NODE, "set");
    if (rc)
        return rc;
    size_t cnt = pv_yaml_len(n);
    if (!(a->sets = calloc(cnt ? cnt : 1, sizeof *a->sets)))
        return PV_ENOMEM;
    for (size_t i = 0; i < cnt; i++) {
        yaml_node_t *k, *v;
        const char *name = pv_yaml_map_at(&ld->y, n, i, &k, &v);
        int idx = cfield_index(ld->def, name);
        if (idx < 0)
            return ERR(ld, k, "action '%s': set names undeclared case field '%s'", a->name, name);
        a->sets[i].case_field = idx;
        a->nsets = i + 1;
        if ((rc = compile_expr(ld, a, v, &a->sets[i].expr)))
            return rc;
    }
    return 0;
}

/* ---- transitions ---- */

static int load_from(loader_t *ld, pv_actiondef_t *a, yaml_node_t *n)
{
    if (!n)
        return ERR(ld, NULL, "action '%s' (line %d) needs from", a->name, a->line);
    const char *s = pv_yaml_str(n);
    if (s && strcmp(s, "any") == 0) {
        a->from_any = true;
        return 0;
    }
    size_t cnt = pv_yaml_is_seq(n) ? pv_yaml_len(n) : 1;
    if (cnt == 0)
        return ERR(ld, n, "action '%s': from is empty", a->name);
    for (size_t i = 0; i < cnt; i++) {
        yaml_node_t *item = pv_yaml_is_seq(n) ? pv_yaml_seq_at(&ld->y, n, i) : n;
        const char *name = pv_yaml_str(item);
        if (name && strcmp(name, "start") == 0) {
            a->from_start = true;
            continue;
        }
        int st = name ? pv__def_state_index(ld->def, name) : -1;
        if (st < 0)
            return ERR(ld, item, "action '%s' names unknown state '%s'", a->name,
                       name ? name : "?");
        a->from_mask |= 1ull << st;
    }
    return 0;
}

static int resolve_to_state(loader_t *ld, pv_actiondef_t *a, yaml_node_t *n, int *state)
{
    const char *name = pv_yaml_str(n);
    if (name && strcmp(name, "stay") == 0) {
        if (a->from_start)
            return ERR(ld, n, "action '%s' creates the case: it cannot `stay`", a->name);
        *state = PV_DEF_STAY;
        return 0;
    }
    *state = name ? pv__def_state_index(ld->def, name) : -1;
    if (*state < 0)
        return ERR(ld, n, "action '%s' names unknown state '%s'", a->name, name ? name : "?");
    return 0;
}

static int load_to(loader_t *ld, pv_actiondef_t *a, yaml_node_t *n)
{
    static const char *const keys[] = {"when", "state", NULL};
    if (!n)
        return ERR(ld, NULL, "action '%s' (line %d) needs to", a->name, a->line);
    size_t cnt = pv_yaml_is_seq(n) ? pv_yaml_len(n) : 1;
    if (cnt == 0 || !(a->to = calloc(cnt, sizeof *a->to)))
        return cnt ? PV_ENOMEM : ERR(ld, n, "action '%s': to is empty", a->name);
    if (!pv_yaml_is_seq(n)) {
        a->nto = 1;
        return resolve_to_state(ld, a, n, &a->to[0].state);
    }
    for (size_t i = 0; i < cnt; i++) {
        yaml_node_t *item = pv_yaml_seq_at(&ld->y, n, i);
        a->nto = i + 1;
        int rc = expect(ld, item, YAML_MAPPING_NODE, "conditional to");
        if (!rc)
            rc = check_keys(ld, item, keys);
        yaml_node_t *w = pv_yaml_get(&ld->y, item, "when"), *s = pv_yaml_get(&ld->y, item, "state");
        if (!rc && !s)
            rc = ERR(ld, item, "action '%s': each `to` entry needs a state", a->name);
        if (!rc && !w && i + 1 != cnt)
            rc = ERR(ld, item, "action '%s': only the last `to` entry may omit when", a->name);
        if (!rc && w)
            rc = compile_expr(ld, a, w, &a->to[i].when);
        if (!rc)
            rc = resolve_to_state(ld, a, s, &a->to[i].state);
        if (rc)
            return rc;
    }
    if (a->to[cnt - 1].when)
        return ERR(ld, n, "action '%s': the last `to` entry must have no when (the default)",
                   a->name);
    return 0;
}

/* ---- the rest of an action ---- */

static int load_roles(loader_t *ld, pv_actiondef_t *a, yaml_node_t *n)
{
    if (!n || (pv_yaml_is_seq(n) && pv_yaml_len(n) == 0))
        return n ? ERR(ld, n, "action '%s' has no roles: nobody could take it", a->name)
                 : ERR(ld, NULL, "action '%s' (line %d) has no roles: nobody could take it",
                       a->name, a->line);
    int rc = read_str_list(ld, n, "role", &a->roles, &a->nroles);
    for (size_t i = 0; !rc && i < a->nroles; i++)
        if (strcmp(a->roles[i], "citizen") == 0)
            a->allow_citizen = true;
    return rc;
}

static int load_actor_rule(loader_t *ld, pv_actiondef_t *a, yaml_node_t *n)
{
    static const char *const names[] = {"any", "assignee", "creator", "previous_assignee"};
    const char *s = pv_yaml_str(n);
    for (size_t i = 0; s && i < 4; i++)
        if (strcmp(s, names[i]) == 0) {
            a->actor = (pv_actor_rule_t)i;
            return 0;
        }
    return ERR(ld, n, "action '%s': actor must be any, assignee, creator or previous_assignee",
               a->name);
}

static int parse_level(const char *s, int *out)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (*end || v < 1 || v > 10)
        return -1;
    *out = (int)v;
    return 0;
}

static int load_assign(loader_t *ld, pv_actiondef_t *a, yaml_node_t *n)
{
    static const struct {
        const char *name;
        pv_assign_kind_t kind;
    } simple[] = {{"keep", PV_ASSIGN_KEEP},       {"actor", PV_ASSIGN_ACTOR},
                  {"creator", PV_ASSIGN_CREATOR}, {"previous", PV_ASSIGN_PREVIOUS},
                  {"none", PV_ASSIGN_NONE}};
    const char *s = pv_yaml_str(n);
    a->assign_given = true;
    for (size_t i = 0; s && i < 5; i++)
        if (strcmp(s, simple[i].name) == 0) {
            a->assign.kind = simple[i].kind;
            return 0;
        }
    if (s && strncmp(s, "field:", 6) == 0) {
        int idx = field_index(a, s + 6);
        if (idx < 0 || a->fields[idx].type != PV_FT_POST)
            return ERR(ld, n, "action '%s': assign %s must name a field of type post", a->name, s);
        a->assign.kind = PV_ASSIGN_FIELD;
        a->assign.field = idx;
        return 0;
    }
    if (s && strncmp(s, "role:", 5) == 0 && s[5]) {
        a->assign.kind = PV_ASSIGN_ROLE;
        return (a->assign.role = strdup(s + 5)) ? 0 : PV_ENOMEM;
    }
    if (s && strncmp(s, "reporting:", 10) == 0 && parse_level(s + 10, &a->assign.levels) == 0) {
        a->assign.kind = PV_ASSIGN_REPORTING;
        return 0;
    }
    return ERR(ld, n,
               "action '%s': assign must be keep, actor, creator, previous, none, field:NAME, "
               "role:ROLE or reporting:N",
               a->name);
}

static int load_limit(loader_t *ld, pv_actiondef_t *a, yaml_node_t *n)
{
    static const char *const keys[] = {"table", "field", NULL};
    int rc = expect(ld, n, YAML_MAPPING_NODE, "limit");
    if (!rc)
        rc = check_keys(ld, n, keys);
    if (rc)
        return rc;
    const char *t = pv_yaml_str(pv_yaml_get(&ld->y, n, "table"));
    const char *f = pv_yaml_str(pv_yaml_get(&ld->y, n, "field"));
    a->limit_table = t ? table_index(ld->def, t) : -1;
    if (a->limit_table < 0)
        return ERR(ld, n, "action '%s': limit names unknown delegation table '%s'", a->name,
                   t ? t : "?");
    a->limit_field = f ? field_index(a, f) : -1;
    if (a->limit_field < 0 || a->fields[a->limit_field].type != PV_FT_MONEY)
        return ERR(ld, n, "action '%s': limit field '%s' must be a declared money field", a->name,
                   f ? f : "?");
    return 0;
}

static int load_requires(loader_t *ld, pv_actiondef_t *a, yaml_node_t *n)
{
    char **names = NULL;
    size_t cnt = 0;
    int rc = read_str_list(ld, n, "required action", &names, &cnt);
    for (size_t i = 0; !rc && i < cnt; i++) {
        int idx = pv__def_action_index(ld->def, names[i]);
        if (idx < 0)
            rc = ERR(ld, n, "action '%s' requires unknown action '%s'", a->name, names[i]);
        else
            a->requires_mask |= 1ull << idx;
    }
    free_str_list(names, cnt);
    return rc;
}

static int load_directory_effect(loader_t *ld, pv_actiondef_t *a, yaml_node_t *n)
{
    const char *s = pv_yaml_str(n);
    const char *need = NULL;
    if (s && strcmp(s, "appoint") == 0) {
        a->directory = PV_DIR_APPOINT;
        need = "post";
    } else if (s && strcmp(s, "transfer") == 0) {
        a->directory = PV_DIR_TRANSFER;
        need = "to_post";
    } else if (s && strcmp(s, "relieve") == 0) {
        a->directory = PV_DIR_RELIEVE;
        return 0;
    } else {
        return ERR(ld, n, "action '%s': directory must be appoint, transfer or relieve", a->name);
    }
    int idx = field_index(a, need);
    if (idx < 0 || a->fields[idx].type != PV_FT_POST || !a->fields[idx].required)
        return ERR(ld, n, "action '%s': directory %s needs a required field '%s' of type post",
                   a->name, s, need);
    return 0;
}

static int load_action(loader_t *ld, pv_actiondef_t *a, yaml_node_t *n)
{
    static const char *const keys[] = {"from",  "to",  "roles",  "actor",     "fields", "limit",
                                       "requires", "check", "set", "assign", "directory", "title",
                                       NULL};
    int rc;
    if ((rc = expect(ld, n, YAML_MAPPING_NODE, "action")) || (rc = check_keys(ld, n, keys)))
        return rc;
#define GET(key) pv_yaml_get(&ld->y, n, key)
    a->limit_table = a->limit_field = -1;
    if ((rc = load_fields(ld, a, GET("fields"))) || (rc = load_from(ld, a, GET("from"))) ||
        (rc = load_to(ld, a, GET("to"))) || (rc = load_roles(ld, a, GET("roles"))))
        return rc;
    if (GET("actor") && (rc = load_actor_rule(ld, a, GET("actor"))))
        return rc;
    if (GET("limit") && (rc = load_limit(ld, a, GET("limit"))))
        return rc;
    if (GET("requires") && (rc = load_requires(ld, a, GET("requires"))))
        return rc;
    if (GET("check") && (rc = load_checks(ld, a, GET("check"))))
        return rc;
    if (GET("set") && (rc = load_sets(ld, a, GET("set"))))
        return rc;
    if (GET("assign") && (rc = load_assign(ld, a, GET("assign"))))
        return rc;
    if (GET("directory") && (rc = load_directory_effect(ld, a, GET("directory"))))
        return rc;
#undef GET
    if (a->from_start && a->actor != PV_ACTOR_ANY)
        return ERR(ld, n, "action '%s' creates the case: actor must be any", a->name);
    return 0;
}

static int load_actions(loader_t *ld, yaml_node_t *n)
{
    pv_def_t *def = ld->def;
    int rc;
    if (!n)
        return ERR(ld, pv_yaml_root(&ld->y), "missing actions");
    if ((rc = expect(ld, n, YAML_MAPPING_NODE, "actions")))
        return rc;
    size_t cnt = pv_yaml_len(n);
    if (cnt == 0 || cnt > PV_DEF_MAX_ACTIONS)
        return ERR(ld, n, "a workflow needs 1 to %d actions", PV_DEF_MAX_ACTIONS);
    if (!(def->actions = calloc(cnt, sizeof *def->actions)))
        return PV_ENOMEM;
    for (size_t i = 0; i < cnt; i++) {
        yaml_node_t *k, *v;
        const char *name = pv_yaml_map_at(&ld->y, n, i, &k, &v);
        pv_actiondef_t *a = &def->actions[i];
        if (!is_identifier(name))
            return ERR(ld, k, "action name '%s' must be letters, digits and _", name);
        if (!(a->name = strdup(name)) ||
            asprintf(&a->event_type, "%s.%s", def->name, name) < 0) {
            a->event_type = NULL;
            return PV_ENOMEM;
        }
        a->line = pv_yaml_line(k);
        def->nactions = i + 1;
    }
    for (size_t i = 0; i < cnt; i++) {
        yaml_node_t *v;
        pv_yaml_map_at(&ld->y, n, i, NULL, &v);
        if ((rc = load_action(ld, &def->actions[i], v)))
            return rc;
    }
    return 0;
}

/* ---- whole-definition checks ---- */

/* Every state must be reachable from `start`, and every non-terminal state must have a way out. */
static int check_graph(loader_t *ld, yaml_node_t *states_node)
{
    pv_def_t *def = ld->def;
    uint64_t reached = 0, frontier = 0;
    for (size_t i = 0; i < def->nactions; i++)
        if (def->actions[i].from_start)
            for (size_t t = 0; t < def->actions[i].nto; t++)
                frontier |= 1ull << def->actions[i].to[t].state;
    if (!frontier)
        return ERR(ld, NULL, "no action has `from: [start]`: no case could ever be created");
    while (frontier & ~reached) {
        reached |= frontier;
        for (size_t i = 0; i < def->nactions; i++) {
            pv_actiondef_t *a = &def->actions[i];
            uint64_t from = a->from_mask;
            if (a->from_any)
                for (size_t s = 0; s < def->nstates; s++)
                    from |= def->states[s].terminal ? 0 : 1ull << s;
            if (!(from & reached))
                continue;
            for (size_t t = 0; t < a->nto; t++)
                if (a->to[t].state >= 0)
                    frontier |= 1ull << a->to[t].state;
        }
    }
    for (size_t s = 0; s < def->nstates; s++) {
        yaml_node_t *at = NULL;
        pv_yaml_map_at(&ld->y, states_node, s, &at, &(yaml_node_t *){NULL});
        if (!(reached & (1ull << s)))
            return ERR(ld, at, "state '%s' is unreachable from start", def->states[s].name);
        if (def->states[s].terminal)
            continue;
        int has_exit = 0;
        for (size_t i = 0; i < def->nactions && !has_exit; i++) {
            const pv_actiondef_t *a = &def->actions[i];
            if (!a->from_any && !(a->from_mask & (1ull << s)))
                continue;
            for (size_t t = 0; t < a->nto; t++) /* `stay` is not a way out */
                has_exit |= a->to[t].state >= 0 && a->to[t].state != (int)s;
        }
        if (!has_exit)
            return ERR(ld, at, "state '%s' is not terminal but no action leaves it",
                       def->states[s].name);
    }
    return 0;
}

static int load_header(loader_t *ld, yaml_node_t *root)
{
    pv_def_t *def = ld->def;
    int64_t version;
    int rc;
    yaml_node_t *wf = pv_yaml_get(&ld->y, root, "workflow"),
                *ver = pv_yaml_get(&ld->y, root, "version"),
                *cal = pv_yaml_get(&ld->y, root, "calendar"),
                *cid = pv_yaml_get(&ld->y, root, "case_id"),
                *off = pv_yaml_get(&ld->y, root, "office"),
                *title = pv_yaml_get(&ld->y, root, "title");
    if (!wf || !ver || !cal)
        return ERR(ld, root, "a definition needs workflow, version and calendar");
    if ((rc = read_str(ld, wf, "workflow", &def->name)) ||
        (rc = read_int(ld, ver, 1, 1000000, &version)) ||
        (rc = read_str(ld, cal, "calendar", &def->calendar_name)))
        return rc;
    if (strspn(def->name, "abcdefghijklmnopqrstuvwxyz0123456789_") != strlen(def->name))
        return ERR(ld, wf, "workflow name '%s' must be lower-case letters, digits or _",
                   def->name);
    def->version = (int)version;
    if (title && (rc = read_str(ld, title, "title", &def->title)))
        return rc;
    if (cid) {
        if ((rc = read_str(ld, cid, "case_id", &def->case_id_src)))
            return rc;
        if (regcomp(&def->case_id_re, def->case_id_src, REG_EXTENDED | REG_NOSUB) != 0)
            return ERR(ld, cid, "case_id is not a valid POSIX extended regex");
        def->has_case_id_re = true;
    }
    const char *o = off ? pv_yaml_str(off) : "actor";
    if (!o || (strcmp(o, "actor") != 0 && strncmp(o, "field:", 6) != 0))
        return ERR(ld, off, "office must be actor or field:NAME");
    if (strncmp(o, "field:", 6) == 0 && !(def->office_field = strdup(o + 6)))
        return PV_ENOMEM;
    return 0;
}

/* office: field:NAME requires every creating action to declare NAME as a required office field. */
static int check_office_field(loader_t *ld)
{
    pv_def_t *def = ld->def;
    for (size_t i = 0; def->office_field && i < def->nactions; i++) {
        pv_actiondef_t *a = &def->actions[i];
        if (!a->from_start)
            continue;
        int idx = field_index(a, def->office_field);
        if (idx < 0 || a->fields[idx].type != PV_FT_OFFICE || !a->fields[idx].required)
            return ERR(ld, NULL, "action '%s' (line %d) creates cases: it needs a required field "
                       "'%s' of type office (office: field:%s)", a->name, a->line,
                       def->office_field, def->office_field);
    }
    return 0;
}

static int load_root(loader_t *ld)
{
    static const char *const keys[] = {"workflow", "version", "title", "case_id", "calendar",
                                       "office", "fields", "delegation", "states", "actions",
                                       NULL};
    yaml_node_t *root = pv_yaml_root(&ld->y);
    int rc;
    if (!root || !pv_yaml_is_map(root))
        return ERR(ld, root, "a definition must be a mapping");
    if ((rc = check_keys(ld, root, keys)) || (rc = load_header(ld, root)) ||
        (rc = load_case_fields(ld, pv_yaml_get(&ld->y, root, "fields"))) ||
        (rc = load_tables(ld, pv_yaml_get(&ld->y, root, "delegation"))) ||
        (rc = load_states(ld, pv_yaml_get(&ld->y, root, "states"))) ||
        (rc = load_actions(ld, pv_yaml_get(&ld->y, root, "actions"))) ||
        (rc = check_office_field(ld)))
        return rc;
    return check_graph(ld, pv_yaml_get(&ld->y, root, "states"));
}

int pv_def_load(const char *yaml, size_t len, const char *filename, pv_def_t **out, char *err,
                size_t errlen)
{
    loader_t ld = {.err = err, .errlen = errlen};
    int rc = pv_yaml_open(&ld.y, yaml, len, filename, err, errlen);
    if (rc)
        return rc;
    ld.def = calloc(1, sizeof *ld.def);
    if (!ld.def) {
        rc = PV_ENOMEM;
        goto out;
    }
    ld.def->filename = xstrdup(filename);
    rc = load_root(&ld);
    if (rc == PV_ENOMEM)
        snprintf(err, errlen, "%s: out of memory", filename);
out:
    pv_yaml_close(&ld.y);
    if (rc) {
        pv_def_free(ld.def);
        return rc;
    }
    *out = ld.def;
    return 0;
}

/* ---- freeing and accessors ---- */

static void free_action(pv_actiondef_t *a)
{
    for (size_t i = 0; i < a->nfields; i++) {
        free(a->fields[i].name);
        if (a->fields[i].has_pattern)
            regfree(&a->fields[i].pattern);
        free_str_list(a->fields[i].values, a->fields[i].nvalues);
    }
    for (size_t i = 0; i < a->nto; i++)
        pv_expr_free(a->to[i].when);
    for (size_t i = 0; i < a->nchecks; i++) {
        pv_expr_free(a->checks[i].expr);
        free(a->checks[i].src);
        free(a->checks[i].message);
    }
    for (size_t i = 0; i < a->nsets; i++)
        pv_expr_free(a->sets[i].expr);
    free_str_list(a->roles, a->nroles);
    free(a->fields);
    free(a->field_names);
    free(a->to);
    free(a->checks);
    free(a->sets);
    free(a->assign.role);
    free(a->name);
    free(a->event_type);
}

static void free_state(pv_statedef_t *s)
{
    for (size_t i = 0; i < s->nesc; i++)
        free(s->esc[i].to.role);
    free(s->esc);
    free(s->reminders);
    free(s->name);
}

void pv_def_free(pv_def_t *def)
{
    if (!def)
        return;
    for (size_t i = 0; i < def->nactions; i++)
        free_action(&def->actions[i]);
    for (size_t i = 0; i < def->nstates; i++)
        free_state(&def->states[i]);
    for (size_t i = 0; i < def->ntables; i++) {
        for (size_t j = 0; j < def->tables[i].nentries; j++) {
            free(def->tables[i].entries[j].role);
            free(def->tables[i].entries[j].office_kind);
        }
        free(def->tables[i].entries);
        free(def->tables[i].name);
    }
    for (size_t i = 0; i < def->ncfields; i++)
        free(def->cfields[i].name);
    if (def->has_case_id_re)
        regfree(&def->case_id_re);
    free(def->actions);
    free(def->states);
    free(def->tables);
    free(def->cfields);
    free(def->cfield_names);
    free(def->case_id_src);
    free(def->office_field);
    free(def->name);
    free(def->title);
    free(def->filename);
    free(def->calendar_name);
    free(def);
}

const char *pv_def_name(const pv_def_t *def)
{
    return def->name;
}

int pv_def_version(const pv_def_t *def)
{
    return def->version;
}

const char *pv_def_calendar_name(const pv_def_t *def)
{
    return def->calendar_name;
}

size_t pv_def_state_count(const pv_def_t *def)
{
    return def->nstates;
}

size_t pv_def_action_count(const pv_def_t *def)
{
    return def->nactions;
}

/* ---- Graphviz ---- */

static void dot_edge(const pv_def_t *def, const pv_actiondef_t *a, const char *from, FILE *out)
{
    for (size_t t = 0; t < a->nto; t++) {
        const char *to = a->to[t].state == PV_DEF_STAY ? from : def->states[a->to[t].state].name;
        fprintf(out, "  \"%s\" -> \"%s\" [label=\"%s%s\\n", from, to, a->name,
                a->to[t].when ? " (if)" : "");
        for (size_t r = 0; r < a->nroles; r++)
            fprintf(out, "%s%s", r ? "," : "", a->roles[r]);
        fprintf(out, "\"];\n");
    }
}

void pv_def_write_dot(const pv_def_t *def, FILE *out)
{
    fprintf(out, "digraph \"%s_v%d\" {\n  rankdir=LR;\n  label=\"", def->name, def->version);
    for (const char *p = def->title ? def->title : def->name; *p; p++)
        fprintf(out, *p == '"' || *p == '\\' ? "\\%c" : "%c", *p); /* a title is free text */
    fprintf(out, " v%d\";\n", def->version);
    fprintf(out, "  \"start\" [shape=point];\n");
    for (size_t s = 0; s < def->nstates; s++) {
        const pv_statedef_t *st = &def->states[s];
        fprintf(out, "  \"%s\" [shape=%s", st->name, st->terminal ? "doublecircle" : "box");
        if (st->sla == PV_SLA_DAYS)
            fprintf(out, ", label=\"%s\\nSLA %d %sdays\"", st->name, st->sla_days,
                    st->sla_working ? "working " : "");
        else if (st->sla == PV_SLA_UNTIL)
            fprintf(out, ", label=\"%s\\ndue: %s\"", st->name,
                    def->cfields[st->until_field].name);
        fprintf(out, "];\n");
    }
    for (size_t i = 0; i < def->nactions; i++) {
        const pv_actiondef_t *a = &def->actions[i];
        if (a->from_start)
            dot_edge(def, a, "start", out);
        for (size_t s = 0; s < def->nstates; s++)
            if ((a->from_any && !def->states[s].terminal) || (a->from_mask & (1ull << s)))
                dot_edge(def, a, def->states[s].name, out);
    }
    fprintf(out, "}\n");
}
