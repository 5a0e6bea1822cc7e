/* SLA clocks on Pravah's own time: deadlines, reminders, the breach and the escalation ladder
 * (docs/SLA.md). Every time here is computed from the case alone, so fold and replay agree. */
#include <string.h>

#include "transition.h"

#define DAY_MS 86400000LL

pv_time_t pv__deadline(const pv_case_t *c)
{
    const pv_statedef_t *st = &c->def->states[c->state];
    if (st->terminal)
        return 0;
    if (st->sla == PV_SLA_DAYS)
        return pv_calendar_due(c->def->calendar, c->entered_at, st->sla_days, st->sla_working);
    if (st->sla == PV_SLA_UNTIL && c->fields[st->until_field].i != 0)
        return pv_calendar_due(c->def->calendar, c->fields[st->until_field].i, 0, false);
    return 0;
}

/* The ladder as fired: the breach is always level 1. When the declared ladder does not start at
 * the breach (after_days > 0, or no ladder), level 1 alerts the assignee and the declared steps
 * follow as levels 2, 3, ... */
static size_t ladder_len(const pv_statedef_t *st)
{
    return st->nesc && st->esc[0].after_days == 0 ? st->nesc : st->nesc + 1;
}

static const pv_escstep_t *ladder_step(const pv_statedef_t *st, size_t level)
{
    static const pv_escstep_t breach = {0, false, false, {PV_TGT_ASSIGNEE, 0, NULL}};
    size_t shift = st->nesc && st->esc[0].after_days == 0 ? 0 : 1;
    if (level == 1 && shift)
        return &breach;
    return &st->esc[level - 1 - shift];
}

/* When escalation level `level` (1-based) fires, given when the previous level fired. */
static pv_time_t level_time(const pv_case_t *c, size_t level)
{
    /* A deadline already past when it was set (a case re-entering an overdue stage) breaches
     * at that moment, never before the event that set it. */
    if (level == 1)
        return c->deadline + 1 > c->armed_at ? c->deadline + 1 : c->armed_at;
    const pv_escstep_t *s = ladder_step(&c->def->states[c->state], level);
    if (s->after_days == 0)
        return c->last_alert_at;
    /* Counted like an SLA from the last local day before the previous alert. */
    return pv_calendar_due(c->def->calendar, c->last_alert_at - 1, s->after_days, s->working) + 1;
}

/* Reminder i fires `days` calendar days before the deadline; one whose time had already passed
 * when the deadline was set does not apply. Returns 0 when it does not apply. */
static pv_time_t reminder_time(const pv_case_t *c, size_t i)
{
    const pv_statedef_t *st = &c->def->states[c->state];
    pv_time_t t = c->deadline + 1 - st->reminders[i] * DAY_MS;
    return t > c->armed_at ? t : 0;
}

/* The earliest pending timer: a reminder (*reminder set to its index) or the next level. */
static pv_time_t earliest(const pv_case_t *c, int *reminder)
{
    const pv_statedef_t *st = &c->def->states[c->state];
    pv_time_t best = 0;
    *reminder = -1;
    if (st->terminal || c->deadline == 0)
        return 0;
    for (size_t i = 0; i < st->nreminders; i++) {
        pv_time_t t = reminder_time(c, i);
        if (t && !(c->reminders_sent & (1u << i)) && (!best || t < best)) {
            best = t;
            *reminder = (int)i;
        }
    }
    if (c->esc_level < ladder_len(st)) {
        pv_time_t t = level_time(c, c->esc_level + 1u);
        if (!best || t < best) {
            best = t;
            *reminder = -1;
        }
    }
    return best;
}

pv_time_t pv__next_timer(const pv_case_t *c)
{
    int reminder;
    return earliest(c, &reminder);
}

static const char *alert_target(const pv_directory_t *dir, const pv_case_t *c,
                                const pv_escstep_t *s)
{
    const pv_post_t *p = NULL;
    if (s->to.kind == PV_TGT_ASSIGNEE || !dir)
        return c->assignee;
    if (s->to.kind == PV_TGT_ROLE) {
        p = pv_directory_find_role(dir, s->to.role, c->office);
        return p ? p->id : "";
    }
    /* Up the chain from the desk; if the chain is shorter, the top of it. */
    for (int lv = s->to.levels; lv >= 1 && !p; lv--)
        p = c->assignee[0] ? pv_directory_superior(dir, c->assignee, lv) : NULL;
    return p ? p->id : c->assignee;
}

static void timer_record(pv_record_t *rec, const pv_case_t *next, const pv_case_t *c,
                         pv_record_kind_t kind, pv_time_t at, pv_arena_t *arena)
{
    pv__record_from_case(rec, next, c);
    rec->kind = kind;
    rec->event_type = pv_record_kind_name(kind);
    rec->source = "pravah";
    rec->accepted_at = at;
    size_t n = strlen(next->id) + 24;
    char *id = pv_arena_alloc(arena, n);
    if (id)
        snprintf(id, n, "%s#%llu", next->id, (unsigned long long)next->seq);
    rec->event_id = id ? id : "";
}

int pv_engine_fire(const pv_engine_t *eng, const pv_case_t *c, pv_time_t now, pv_case_t *next,
                   pv_record_t *rec, pv_arena_t *arena)
{
    int reminder;
    pv_time_t at = earliest(c, &reminder);
    if (!at || at > now)
        return 0;
    pv_case_t tmp = *c;
    const pv_statedef_t *st = &c->def->states[c->state];
    pv_record_kind_t kind;
    const char *target;
    uint32_t level;
    tmp.seq++;
    if (reminder >= 0) {
        kind = PV_KIND_REMINDER;
        tmp.reminders_sent |= 1u << reminder;
        level = (uint32_t)reminder + 1;
        target = c->assignee;
    } else {
        const pv_escstep_t *s = ladder_step(st, c->esc_level + 1u);
        kind = c->esc_level == 0 ? PV_KIND_BREACHED : PV_KIND_ESCALATED;
        tmp.esc_level++;
        tmp.last_alert_at = at;
        level = tmp.esc_level;
        target = alert_target(pv__engine_directory(eng), c, s);
        if (s->reassign && target[0] && strcmp(target, c->assignee) != 0) {
            pv__copy(tmp.previous, sizeof tmp.previous, c->assignee);
            pv__copy(tmp.assignee, sizeof tmp.assignee, target);
        }
    }
    tmp.next_timer = pv__next_timer(&tmp);
    /* Copy the target now: it may point into *c, which *next may alias. */
    const char *tgt = pv_arena_strndup(arena, target, strlen(target));
    timer_record(rec, &tmp, c, kind, at, arena);
    rec->alert_level = level;
    rec->alert_target = tgt ? tgt : "";
    if (!tgt || pv__record_finish(rec, &tmp, arena) != 0)
        return PV_ENOMEM;
    *next = tmp;
    rec->case_id = next->id;
    rec->assignee = next->assignee;
    rec->office = next->office;
    return 1;
}
