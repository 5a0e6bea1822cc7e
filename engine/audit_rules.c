/* Auditing records against definitions and the directory (pravah/audit_rules.h, docs/AUDIT.md).
 *
 * A record is checked by asking the engine again: the event is rebuilt from the record and
 * applied (pv_engine_apply) to the case folded so far, at the record's accepted_at, with the
 * actor placed on the post the record claims once the directory history says they held it then;
 * a timer record is compared with pv_engine_fire on that case. Whatever the engine refuses, or
 * produces differently, is a finding that names the rule. The case then moves on as the record
 * says (the journal is what the auditor holds), so one forged record gives one finding. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit_index.h"
#include "audit_postings.h"
#include "audit_record.h"
#include "pravah/audit_rules.h"
#include "transition.h"

typedef struct case_entry_s {
    pv_case_t c; /* as folded from the case's records so far (seq 0: none yet) */
    bool lost;   /* history broken: later records are not checked */
} case_entry_t;

struct pv_audit_rules_s {
    pv_engine_t *eng;
    pv_directory_t *seed; /* the engine's directory before new(), restored by free() */
    pv_audit_postings_t postings;
    pv_audit_index_t index; /* case id -> cases[] */
    case_entry_t *cases;
    size_t ncases, capcases;
    pv_arena_t arena; /* per check */
    int64_t grace;
    pv_audit_rules_stats_t stats;
};

/* The verdict being written for one record. */
typedef struct verdict_s {
    char *why;
    size_t len, cap;
    int level;
} verdict_t;

static int rank(int level)
{
    return level == PV_AUDIT_FINDING ? 3 : level == PV_AUDIT_WARNING ? 2 : level ? 1 : 0;
}

__attribute__((format(printf, 3, 4))) static void note(verdict_t *v, int level, const char *fmt,
                                                       ...)
{
    va_list ap;
    if (rank(level) > rank(v->level))
        v->level = level;
    if (!v->cap)
        return;
    if (v->len && v->len + 2 < v->cap)
        v->len += (size_t)snprintf(v->why + v->len, v->cap - v->len, "; ");
    if (v->len + 1 >= v->cap)
        return;
    va_start(ap, fmt);
    int n = vsnprintf(v->why + v->len, v->cap - v->len, fmt, ap);
    va_end(ap);
    v->len = n < 0 ? v->len : v->len + (size_t)n >= v->cap ? v->cap - 1 : v->len + (size_t)n;
}

static void fmt_time(const pv_def_t *def, pv_time_t t, char out[32])
{
    if (!t) {
        snprintf(out, 32, "none");
        return;
    }
    pv_time_format(t, def ? pv_calendar_utc_offset(def->calendar) : 0, out);
}

/* ---- lifecycle ---- */

pv_audit_rules_t *pv_audit_rules_new(pv_engine_t *eng)
{
    pv_audit_rules_t *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->eng = eng;
    /* The engine keeps its directory as a mutable borrow; give it back as it was. */
    r->seed = (pv_directory_t *)pv__engine_directory(eng);
    r->grace = PV_AUDIT_GRACE_MS;
    pv__audit_index_init(&r->index);
    pv_arena_init(&r->arena, 64 * 1024);
    if (pv__audit_postings_init(&r->postings, eng, r->seed) != 0) {
        pv__audit_postings_close(&r->postings);
        pv_arena_close(&r->arena);
        free(r);
        return NULL;
    }
    pv_engine_set_directory(eng, r->postings.dir);
    return r;
}

void pv_audit_rules_set_grace(pv_audit_rules_t *r, int64_t grace_ms)
{
    r->grace = grace_ms < 0 ? 0 : grace_ms;
}

int pv_audit_rules_learn(pv_audit_rules_t *r, const pv_record_t *rec)
{
    return pv__audit_postings_learn(&r->postings, rec);
}

void pv_audit_rules_end_partition(pv_audit_rules_t *r)
{
    pv__audit_index_clear(&r->index);
    r->ncases = 0;
}

void pv_audit_rules_stats(const pv_audit_rules_t *r, pv_audit_rules_stats_t *out)
{
    *out = r->stats;
}

void pv_audit_rules_free(pv_audit_rules_t *r)
{
    if (!r)
        return;
    pv_engine_set_directory(r->eng, r->seed);
    pv__audit_postings_close(&r->postings);
    pv__audit_index_close(&r->index);
    free(r->cases);
    pv_arena_close(&r->arena);
    free(r);
}

/* ---- cases ---- */

static case_entry_t *add_case(pv_audit_rules_t *r, const char *id, int *rc)
{
    if (r->ncases == r->capcases) {
        size_t cap = r->capcases ? r->capcases * 2 : 1024;
        case_entry_t *c = realloc(r->cases, cap * sizeof *c);
        if (!c) {
            *rc = PV_ENOMEM;
            return NULL;
        }
        r->cases = c;
        r->capcases = cap;
    }
    if (pv__audit_index_put(&r->index, id, (uint32_t)r->ncases) != 0) {
        *rc = PV_ENOMEM;
        return NULL;
    }
    case_entry_t *e = &r->cases[r->ncases++];
    memset(e, 0, sizeof *e);
    return e;
}

/* The case rec continues, or NULL when rec is not to be checked: a duplicate delivery, a case
 * whose history is already broken, or one that breaks here (reported once). */
static case_entry_t *case_for(pv_audit_rules_t *r, const pv_record_t *rec, verdict_t *v, int *rc)
{
    int64_t slot = pv__audit_index_get(&r->index, rec->case_id);
    case_entry_t *e = slot >= 0 ? &r->cases[slot] : add_case(r, rec->case_id, rc);
    if (!e)
        return NULL;
    if (e->lost) {
        r->stats.unchecked++;
        return NULL;
    }
    if (e->c.seq && rec->seq == e->c.seq && memcmp(rec->hash, e->c.hash, PV_HASH_LEN) == 0) {
        r->stats.duplicates++;
        return NULL;
    }
    if (rec->seq != e->c.seq + 1) {
        e->lost = true;
        note(v, PV_AUDIT_FINDING,
             "history: record seq %llu after seq %llu of the case (%s): the rules of this case "
             "cannot be checked from here on",
             (unsigned long long)rec->seq, (unsigned long long)e->c.seq,
             rec->seq <= e->c.seq ? "fork or reorder" : "records missing");
        return NULL;
    }
    return e;
}

/* The case moves on as the record says: the new state the engine computed, with the journaled
 * deadline and hash (fold keeps journaled deadlines too: docs/SLA.md). */
static void adopt(case_entry_t *e, pv_case_t *next, const pv_record_t *rec)
{
    if (next->deadline != rec->deadline) {
        if (rec->kind == PV_KIND_EVENT)
            next->armed_at = rec->accepted_at;
        next->deadline = rec->deadline;
        next->next_timer = pv__next_timer(next);
    }
    memcpy(next->hash, rec->hash, PV_HASH_LEN);
    e->c = *next;
}

/* After a finding: follow the journal's version of the case (fold), or give the case up. */
static void follow(pv_audit_rules_t *r, case_entry_t *e, const pv_record_t *rec)
{
    char err[256];
    if (pv_engine_fold(r->eng, &e->c, rec, &r->arena, err, sizeof err) != 0)
        e->lost = true;
}

/* ---- the actor's post ---- */

/* Puts the actor on the post the record claims when the directory's history says they held it
 * at accepted_at (a warning when only within the grace window). Returns false after a finding:
 * the record is then not re-applied. */
static bool place_actor(pv_audit_rules_t *r, const pv_record_t *rec, const pv_def_t *def,
                        verdict_t *v)
{
    const char *claimed = rec->actor_post;
    const char *then = pv__audit_postings_at(&r->postings, rec->actor, rec->accepted_at);
    char when[32];
    if (!claimed[0]) /* a citizen: the engine decides, with the officer's posting if any */
        return !then || pv__audit_postings_place(&r->postings, rec->actor, then) == 0;
    fmt_time(def, rec->accepted_at, when);
    if (!then) {
        note(v, PV_AUDIT_FINDING,
             "post: %s, who acted at post %s at %s, is not an officer in "
             "the directory",
             rec->actor, claimed, when);
        return false;
    }
    pv_time_t d = pv__audit_postings_distance(&r->postings, rec->actor, claimed, rec->accepted_at);
    if (d < 0 || d > r->grace) {
        note(v, PV_AUDIT_FINDING, "post: %s did not hold post %s at %s (held %s then; %s)",
             rec->actor, claimed, when, then[0] ? then : "no post",
             d < 0 ? "never held it" : "a posting order had moved them");
        return false;
    }
    if (d > 0)
        note(v, PV_AUDIT_WARNING,
             "directory lag: %s acted at post %s at %s, %.3f s outside their tenure there (a "
             "posting order); allowed within the %.0f s grace window for directory propagation",
             rec->actor, claimed, when, (double)d / 1000, (double)r->grace / 1000);
    return pv__audit_postings_place(&r->postings, rec->actor, claimed) == 0;
}

/* ---- events ---- */

#define DIFF(f) (strcmp(rec->f, out->f) != 0)

/* The record against what the engine journals for the same event. */
static void compare_event(const pv_record_t *rec, const pv_record_t *out, const pv_def_t *def,
                          const pv_actiondef_t *a, bool masked, verdict_t *v)
{
    char want[32], got[32];
    if (DIFF(case_type) || rec->def_version != out->def_version)
        note(v, PV_AUDIT_FINDING, "definition: %s belongs to %s v%u, the record says %s v%u",
             rec->event_type, out->case_type, out->def_version, rec->case_type, rec->def_version);
    if (DIFF(prev_state))
        note(v, PV_AUDIT_FINDING, "transition: the case was in state '%s', the record says '%s'",
             out->prev_state, rec->prev_state);
    if (DIFF(new_state))
        note(v, PV_AUDIT_FINDING, "transition: %s v%d takes %s from '%s' to '%s', not to '%s'",
             def->name, def->version, a->name, out->prev_state, out->new_state, rec->new_state);
    if (DIFF(actor_post) || DIFF(actor_role))
        note(v, PV_AUDIT_FINDING, "role: %s acted as %s at post %s, the record says %s at %s",
             rec->actor, out->actor_role, out->actor_post[0] ? out->actor_post : "(none)",
             rec->actor_role, rec->actor_post[0] ? rec->actor_post : "(none)");
    if (DIFF(assignee))
        note(v, PV_AUDIT_FINDING, "assignment: %s v%d sends the case to '%s', the record says '%s'",
             def->name, def->version, out->assignee, rec->assignee);
    if (DIFF(office))
        note(v, PV_AUDIT_FINDING, "office: the case belongs to %s, the record says %s", out->office,
             rec->office);
    if (rec->alert_level || rec->alert_target[0])
        note(v, PV_AUDIT_FINDING, "SLA: an event record carries an alert level or target");
    if (!masked && (rec->data_len != out->data_len || memcmp(rec->data, out->data, rec->data_len)))
        note(v, PV_AUDIT_FINDING,
             "data: not as the engine journals it (redaction or encoding "
             "altered)");
    if (rec->deadline != out->deadline) {
        fmt_time(def, out->deadline, want);
        fmt_time(def, rec->deadline, got);
        note(v, PV_AUDIT_NOTICE,
             "deadline: today's calendar gives %s, the record says %s "
             "(a calendar change since? docs/SLA.md)",
             want, got);
    }
}

/* Re-applies an event record. Returns 1 when the case moved on from the engine's outcome, 0
 * when it must follow the record instead (after a finding), or a negative PV_E* code. */
static int check_event(pv_audit_rules_t *r, case_entry_t *e, const pv_record_t *rec,
                       const pv_def_t *def, verdict_t *v)
{
    const pv_actiondef_t *a = pv__audit_record_action(def, rec);
    pv_event_t ev;
    pv_reject_t rej;
    if (!a) {
        note(v, PV_AUDIT_FINDING, "transition: %s v%d has no action for event type %s", def->name,
             def->version, rec->event_type);
        return 0;
    }
    if (pv__audit_record_event(rec, &r->arena, &ev, &rej) != 0) {
        note(v, PV_AUDIT_FINDING, "event: the record does not decode as an event (%s: %s)",
             rej.field, rej.message);
        return 0;
    }
    bool masked = pv__audit_unmask_identities(a, &ev) > 0;
    if (!place_actor(r, rec, def, v))
        return 0;
    pv_case_t next;
    pv_record_t out;
    /* A case created before a newer version was loaded is re-created on its own version. */
    int rc = e->c.seq ? pv_engine_apply(r->eng, &e->c, &ev, rec->accepted_at, &next, &out,
                                        &r->arena, &rej)
                      : pv__engine_apply_create_on(r->eng, def, &ev, rec->accepted_at, &next,
                                                   &out, &r->arena, &rej);
    if (rc == PV_EREJECTED) {
        note(v, PV_AUDIT_FINDING, "rule %s: %s (%s v%d%s%s)", pv_reject_code_name(rej.code),
             rej.message, def->name, def->version, rej.field[0] ? ", field " : "", rej.field);
        return 0;
    }
    if (rc)
        return rc;
    r->stats.checked++;
    compare_event(rec, &out, def, a, masked, v);
    if (v->level == PV_AUDIT_FINDING)
        return 0;
    adopt(e, &next, rec);
    return 1;
}

/* ---- timers ---- */

/* Fields a timer record takes from nowhere but the engine: any difference is named. */
static void compare_timer_fields(const pv_record_t *rec, const pv_record_t *out, verdict_t *v)
{
    static const char *const names[] = {"event_id",   "event_type", "source",     "actor",
                                        "actor_post", "actor_role", "event_time", "office",
                                        "prev_state", "new_state"};
    const char *a[] = {rec->event_id,   rec->event_type, rec->source,     rec->actor,
                       rec->actor_post, rec->actor_role, rec->event_time, rec->office,
                       rec->prev_state, rec->new_state};
    const char *b[] = {out->event_id,   out->event_type, out->source,     out->actor,
                       out->actor_post, out->actor_role, out->event_time, out->office,
                       out->prev_state, out->new_state};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp(a[i], b[i]) != 0)
            note(v, PV_AUDIT_FINDING, "SLA: a timer record's %s is '%s', the engine writes '%s'",
                 names[i], a[i], b[i]);
    if (rec->data_len != out->data_len || memcmp(rec->data, out->data, rec->data_len) != 0)
        note(v, PV_AUDIT_FINDING, "SLA: a timer record carries data");
}

/* The record against the alert the engine fires next for this case. */
static void compare_timer(const pv_record_t *rec, const pv_record_t *out, const pv_def_t *def,
                          verdict_t *v)
{
    char due[32], at[32], dl[32];
    fmt_time(def, out->accepted_at, due);
    fmt_time(def, rec->accepted_at, at);
    fmt_time(def, out->deadline, dl);
    if (rec->kind != out->kind || rec->alert_level != out->alert_level)
        note(v, PV_AUDIT_FINDING, "SLA: the next alert due was %s level %u at %s, not %s level %u",
             pv_record_kind_name(out->kind), out->alert_level, due, pv_record_kind_name(rec->kind),
             rec->alert_level);
    else if (rec->accepted_at < out->accepted_at)
        note(v, PV_AUDIT_FINDING,
             "SLA: %s level %u recorded at %s, before it was due at %s "
             "(deadline %s)",
             pv_record_kind_name(rec->kind), rec->alert_level, at, due, dl);
    else if (rec->accepted_at > out->accepted_at)
        note(v, PV_AUDIT_FINDING,
             "SLA: %s level %u recorded at %s, but it fell due at %s (a "
             "timer record carries its due time)",
             pv_record_kind_name(rec->kind), rec->alert_level, at, due);
    if (rec->deadline != out->deadline) {
        fmt_time(def, rec->deadline, at);
        note(v, PV_AUDIT_FINDING, "SLA: the record's deadline %s is not the case's %s", at, dl);
    }
    if (DIFF(alert_target))
        note(v, PV_AUDIT_FINDING, "SLA: level %u alerts '%s', the record says '%s'",
             out->alert_level, out->alert_target, rec->alert_target);
    if (DIFF(assignee))
        note(v, PV_AUDIT_FINDING,
             "assignment: after the alert the case is with '%s', the record "
             "says '%s'",
             out->assignee, rec->assignee);
    compare_timer_fields(rec, out, v);
}

/* Re-fires a timer record. Returns as check_event. */
static int check_timer(pv_audit_rules_t *r, case_entry_t *e, const pv_record_t *rec,
                       const pv_def_t *def, verdict_t *v)
{
    pv_case_t next;
    pv_record_t out;
    char at[32], dl[32];
    if (!e->c.seq) {
        note(v, PV_AUDIT_FINDING, "SLA: a %s record cannot open a case",
             pv_record_kind_name(rec->kind));
        return 0;
    }
    int rc = pv_engine_fire(r->eng, &e->c, INT64_MAX, &next, &out, &r->arena);
    if (rc < 0)
        return rc;
    if (rc == 0) {
        fmt_time(def, rec->accepted_at, at);
        fmt_time(def, e->c.deadline, dl);
        note(v, PV_AUDIT_FINDING,
             "SLA: %s level %u at %s, but no alert was pending for the case "
             "(state '%s', deadline %s)",
             pv_record_kind_name(rec->kind), rec->alert_level, at, pv_case_state_name(&e->c), dl);
        return 0;
    }
    r->stats.checked++;
    compare_timer(rec, &out, def, v);
    if (v->level == PV_AUDIT_FINDING)
        return 0;
    adopt(e, &next, rec);
    return 1;
}

#undef DIFF

/* ---- one record ---- */

static int check_record(pv_audit_rules_t *r, case_entry_t *e, const pv_record_t *rec, verdict_t *v)
{
    const pv_def_t *def = pv_engine_definition(r->eng, rec->case_type, (int)rec->def_version);
    int moved = 0;
    if (!def)
        note(v, PV_AUDIT_FINDING,
             "definition: %s version %u is not a known definition "
             "(a record must name a loaded version)",
             rec->case_type, rec->def_version);
    else if (e->c.seq && e->c.def != def)
        note(v, PV_AUDIT_FINDING,
             "definition: the case runs on %s v%d since its first record, "
             "this record says %s v%u",
             e->c.def->name, e->c.def->version, rec->case_type, rec->def_version);
    else if (rec->kind == PV_KIND_EVENT)
        moved = check_event(r, e, rec, def, v);
    else
        moved = check_timer(r, e, rec, def, v);
    if (moved < 0)
        return moved;
    if (!moved)
        follow(r, e, rec);
    return 0;
}

int pv_audit_rules_check(pv_audit_rules_t *r, const pv_record_t *rec, char *why, size_t whylen)
{
    verdict_t v = {why, 0, whylen, PV_AUDIT_OK};
    int rc = 0;
    if (whylen)
        why[0] = '\0';
    if ((rc = pv__audit_postings_build(&r->postings)))
        return rc;
    pv_arena_reset(&r->arena);
    case_entry_t *e = case_for(r, rec, &v, &rc);
    if (e)
        rc = check_record(r, e, rec, &v);
    if (rc < 0)
        return rc;
    r->stats.findings += v.level == PV_AUDIT_FINDING;
    r->stats.warnings += v.level == PV_AUDIT_WARNING;
    r->stats.notices += v.level == PV_AUDIT_NOTICE;
    return v.level;
}
