/* Rebuilding cases from the journal (pv_engine_fold) and applying HRMS records to the directory.
 *
 * Fold trusts the guards that ran when the record was accepted and re-runs only the effects, so
 * a case rebuilt after a crash equals the live one; it cross-checks what it computes (state,
 * desk, chain) against the record and reports any difference as an integrity error. */
#include <stdio.h>
#include <string.h>

#include "audit_record.h"
#include "transition.h"

static int fail(char *err, size_t errlen, const pv_record_t *rec, const char *what)
{
    snprintf(err, errlen, "case %s seq %llu: %s", rec->case_id, (unsigned long long)rec->seq,
             what);
    return PV_EINTEGRITY;
}

/* Turns a record back into the event it journaled (data as journaled, i.e. redacted). */
static int record_event(const pv_record_t *rec, pv_arena_t *arena, pv_event_t *ev)
{
    pv_reject_t rej;
    return pv__audit_record_event(rec, arena, ev, &rej);
}

static int fold_event(const pv_def_t *def, pv_case_t *c, const pv_case_t *before, int state,
                      const pv_record_t *rec, pv_arena_t *arena, char *err, size_t errlen)
{
    const char *dot = strrchr(rec->event_type, '.');
    int idx = dot ? pv__def_action_index(def, dot + 1) : -1;
    if (idx < 0)
        return fail(err, errlen, rec, "event type names no action of its definition");
    const pv_actiondef_t *a = &def->actions[idx];
    int reachable = 0;
    for (size_t i = 0; i < a->nto; i++)
        reachable |= a->to[i].state == state ||
                     (a->to[i].state == PV_DEF_STAY && before && before->state == state);
    if (!reachable)
        return fail(err, errlen, rec, "state or desk differ from what the rules give: its action "
                                      "cannot lead to its new_state");
    pv_event_t ev;
    pv_value_t args[PV_DEF_MAX_FIELDS], cvals[PV_CASE_FIELDS_MAX];
    pv_reject_t rej;
    if (record_event(rec, arena, &ev) != 0 || pv__typed_args(def, a, &ev, NULL, args, &rej) != 0)
        return fail(err, errlen, rec, "its data does not decode against its action");
    if (!before) {
        memset(c, 0, sizeof *c);
        c->def = def;
        pv__copy(c->id, sizeof c->id, rec->case_id);
        pv__copy(c->creator, sizeof c->creator, rec->actor);
        pv__copy(c->creator_post, sizeof c->creator_post, rec->actor_post);
        pv__copy(c->office, sizeof c->office, rec->office);
        memset(cvals, 0, sizeof cvals);
        for (size_t i = 0; i < def->ncfields; i++)
            cvals[i] = (pv_value_t){.kind = PV_VAL_INT, .u.i = 0};
    } else {
        pv__case_values(before, cvals);
    }
    pv_expr_env_t env = {args, &ev, cvals, before ? (int64_t)before->seq : 0,
                         before ? before->created_at : rec->accepted_at,
                         before ? before->entered_at : rec->accepted_at, rec->accepted_at,
                         rec->actor_role, rec->actor_post, "", rec->case_id, rec->office, NULL};
    pv__apply_sets(a, &env, c);
    c->state = (uint16_t)state;
    c->seq = rec->seq;
    c->actions_done |= 1ull << idx;
    pv__seen_push(c, rec->event_id);
    pv__copy(c->assignee, sizeof c->assignee, rec->assignee);
    pv__finish_transition(c, before, rec->accepted_at);
    return 0;
}

static void fold_timer(pv_case_t *c, const pv_record_t *rec)
{
    c->seq = rec->seq;
    if (rec->kind == PV_KIND_REMINDER) {
        c->reminders_sent |= 1u << (rec->alert_level - 1);
    } else {
        c->esc_level = (uint16_t)rec->alert_level;
        c->last_alert_at = rec->accepted_at;
        if (strcmp(c->assignee, rec->assignee) != 0) {
            pv__copy(c->previous, sizeof c->previous, c->assignee);
            pv__copy(c->assignee, sizeof c->assignee, rec->assignee);
        }
    }
    c->next_timer = pv__next_timer(c);
}

int pv_engine_fold(const pv_engine_t *eng, pv_case_t *c, const pv_record_t *rec, pv_arena_t *arena,
                   char *err, size_t errlen)
{
    static const uint8_t zeros[PV_HASH_LEN];
    int first = rec->seq == 1;
    if (rec->seq != c->seq + 1 || (!first && strcmp(c->id, rec->case_id) != 0))
        return fail(err, errlen, rec, "does not follow the case's last record");
    if (memcmp(rec->prev_hash, first ? zeros : c->hash, PV_HASH_LEN) != 0)
        return fail(err, errlen, rec, "prev_hash is not the hash of the case's last record");
    const pv_def_t *def = first ? pv_engine_definition(eng, rec->case_type, (int)rec->def_version)
                                : c->def;
    if (!def || strcmp(def->name, rec->case_type) != 0 || def->version != (int)rec->def_version)
        return fail(err, errlen, rec, "its definition and version are not loaded");
    int state = pv__def_state_index(def, rec->new_state);
    if (state < 0)
        return fail(err, errlen, rec, "new_state is not a state of its definition");
    if (rec->kind != PV_KIND_EVENT && first)
        return fail(err, errlen, rec, "a timer record cannot open a case");
    pv_case_t before = *c;
    if (rec->kind == PV_KIND_EVENT) {
        int rc = fold_event(def, c, first ? NULL : &before, state, rec, arena, err, errlen);
        if (rc)
            return rc;
    } else {
        fold_timer(c, rec);
    }
    if (c->state != state || strcmp(c->assignee, rec->assignee) != 0) {
        *c = before;
        return fail(err, errlen, rec, "state or desk differ from what the rules give");
    }
    /* The journaled deadline wins over a recomputed one: a holiday added to the calendar after
     * the record was written must not make an honest journal unreadable (docs/SLA.md). */
    if (c->deadline != rec->deadline) {
        if (rec->kind == PV_KIND_EVENT)
            c->armed_at = rec->accepted_at;
        c->deadline = rec->deadline;
        c->next_timer = pv__next_timer(c);
    }
    memcpy(c->hash, rec->hash, PV_HASH_LEN);
    return 0;
}

/* The action of an event record, or NULL for timer records and unknown actions. */
static const pv_actiondef_t *record_action(const pv_engine_t *eng, const pv_record_t *rec)
{
    const pv_def_t *def = pv_engine_definition(eng, rec->case_type, (int)rec->def_version);
    const char *dot = strrchr(rec->event_type, '.');
    int idx = def && dot && rec->kind == PV_KIND_EVENT ? pv__def_action_index(def, dot + 1) : -1;
    return idx < 0 ? NULL : &def->actions[idx];
}

int pv_engine_directory_effect(const pv_engine_t *eng, const pv_record_t *rec)
{
    const pv_actiondef_t *a = record_action(eng, rec);
    return a && a->directory != PV_DIR_NONE;
}

int pv_engine_update_directory(const pv_engine_t *eng, pv_directory_t *dir,
                               const pv_record_t *rec, pv_arena_t *arena)
{
    const pv_actiondef_t *a = record_action(eng, rec);
    if (!a || a->directory == PV_DIR_NONE)
        return 0;
    pv_event_t ev;
    if (record_event(rec, arena, &ev) != 0)
        return PV_EFORMAT;
    const pv_officer_t *off = pv_directory_officer(dir, rec->case_id);
    const pv_value_t *name = pv_event_field(&ev, "name");
    const char *nm = name && name->kind == PV_VAL_STR ? name->u.s.ptr : off ? off->name : "";
    const pv_value_t *post = NULL;
    switch (a->directory) {
    case PV_DIR_APPOINT: post = pv_event_field(&ev, "post"); break;
    case PV_DIR_TRANSFER: post = pv_event_field(&ev, "to_post"); break;
    default: break;
    }
    char name_copy[256];
    pv__copy(name_copy, sizeof name_copy, nm); /* nm may point into the entry being replaced */
    int rc = pv_directory_put_officer(dir, rec->case_id, name_copy,
                                      post && post->kind == PV_VAL_STR ? post->u.s.ptr : "");
    return rc ? rc : 1;
}
