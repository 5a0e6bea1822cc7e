/* Journal records read back as events (audit_record.h). */
#include <string.h>

#include "audit_record.h"
#include "transition.h"

int pv__audit_record_event(const pv_record_t *rec, pv_arena_t *arena, pv_event_t *ev,
                           pv_reject_t *rej)
{
    pv_header_t h[8];
    size_t n = 0;
#define HDR(k, v) h[n++] = (pv_header_t){k, v, strlen(v)}
    HDR("ce_specversion", "1.0");
    HDR("ce_id", rec->event_id);
    HDR("ce_source", rec->source);
    HDR("ce_type", rec->event_type);
    HDR("ce_subject", rec->case_id);
    HDR("ce_actor", rec->actor);
    HDR("content-type", "application/msgpack");
    if (rec->event_time[0])
        HDR("ce_time", rec->event_time);
#undef HDR
    pv_limits_t lim;
    pv_limits_default(&lim);
    return pv_event_decode(h, n, rec->data, rec->data_len, &lim, arena, ev, rej);
}

const pv_actiondef_t *pv__audit_record_action(const pv_def_t *def, const pv_record_t *rec)
{
    const char *dot = strrchr(rec->event_type, '.');
    size_t wf = dot ? (size_t)(dot - rec->event_type) : 0;
    if (!dot || strlen(def->name) != wf || strncmp(def->name, rec->event_type, wf) != 0)
        return NULL;
    int idx = pv__def_action_index(def, dot + 1);
    return idx < 0 ? NULL : &def->actions[idx];
}

/* A 12-digit number that passes the Aadhaar checks (found once, then kept). */
static const char *aadhaar_stand_in(void)
{
    static char num[13] = "";
    for (int d = 0; !num[0] && d <= 9; d++) {
        char c[13] = "23456789012";
        c[11] = (char)('0' + d);
        c[12] = '\0';
        if (pv__verhoeff_ok(c))
            memcpy(num, c, sizeof num);
    }
    return num;
}

int pv__audit_unmask_identities(const pv_actiondef_t *a, pv_event_t *ev)
{
    int n = 0;
    for (size_t i = 0; i < a->nfields; i++) {
        const pv_fielddef_t *f = &a->fields[i];
        if (f->type != PV_FT_AADHAAR && f->type != PV_FT_FAMILY_ID)
            continue;
        for (uint32_t j = 0; j < ev->nfields; j++) {
            pv_value_t *v = &ev->fields[j].value;
            if (strcmp(ev->fields[j].name, f->name) != 0 || v->kind != PV_VAL_STR)
                continue;
            v->u.s.ptr = f->type == PV_FT_AADHAAR ? aadhaar_stand_in() : "PPPSTANDIN";
            v->u.s.len = (uint32_t)strlen(v->u.s.ptr);
            n++;
        }
    }
    return n;
}
