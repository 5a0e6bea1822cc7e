/* The engine: registry of definitions and calendars, and the transition function.
 *
 * pv_engine_apply reads like the order of checks in docs/WORKFLOWS.md: resolve the action, check
 * the case's history and state, the actor, the fields, the guards, the money limit; then compute
 * the new case and its record. pv_engine_fold replays a record onto a case with the same
 * bookkeeping (finish_transition), so rebuilt cases equal live ones. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "definition_types.h"
#include "pravah/engine.h"
#include "transition.h"

struct pv_engine_s {
    pv_def_t **defs;
    size_t ndefs;
    pv_calendar_t **cals;
    size_t ncals;
    pv_directory_t *dir;
    char *salt;
};

pv_engine_t *pv_engine_new(const pv_engine_config_t *cfg)
{
    pv_engine_t *eng = calloc(1, sizeof *eng);
    if (!eng)
        return NULL;
    eng->salt = strdup(cfg && cfg->identity_salt ? cfg->identity_salt : "");
    if (!eng->salt) {
        free(eng);
        return NULL;
    }
    return eng;
}

void pv_engine_free(pv_engine_t *eng)
{
    if (!eng)
        return;
    for (size_t i = 0; i < eng->ndefs; i++)
        pv_def_free(eng->defs[i]);
    for (size_t i = 0; i < eng->ncals; i++)
        pv_calendar_free(eng->cals[i]);
    free(eng->defs);
    free(eng->cals);
    free(eng->salt);
    free(eng);
}

int pv_engine_add_calendar(pv_engine_t *eng, pv_calendar_t *cal)
{
    for (size_t i = 0; i < eng->ncals; i++)
        if (strcmp(pv_calendar_name(eng->cals[i]), pv_calendar_name(cal)) == 0) {
            pv_calendar_free(cal);
            return PV_EEXIST;
        }
    pv_calendar_t **cals = realloc(eng->cals, (eng->ncals + 1) * sizeof *cals);
    if (!cals) {
        pv_calendar_free(cal);
        return PV_ENOMEM;
    }
    eng->cals = cals;
    eng->cals[eng->ncals++] = cal;
    return 0;
}

int pv_engine_add_definition(pv_engine_t *eng, pv_def_t *def, char *err, size_t errlen)
{
    int rc = 0;
    for (size_t i = 0; i < eng->ncals && !def->calendar; i++)
        if (strcmp(pv_calendar_name(eng->cals[i]), def->calendar_name) == 0)
            def->calendar = eng->cals[i];
    if (!def->calendar) {
        snprintf(err, errlen, "%s: calendar '%s' is not loaded", def->filename, def->calendar_name);
        rc = PV_ENOENT;
        goto fail;
    }
    if (pv_engine_definition(eng, def->name, def->version)) {
        snprintf(err, errlen, "%s: workflow '%s' version %d is already loaded", def->filename,
                 def->name, def->version);
        rc = PV_EEXIST;
        goto fail;
    }
    pv_def_t **defs = realloc(eng->defs, (eng->ndefs + 1) * sizeof *defs);
    if (!defs) {
        rc = PV_ENOMEM;
        goto fail;
    }
    eng->defs = defs;
    eng->defs[eng->ndefs++] = def;
    return 0;
fail:
    pv_def_free(def);
    return rc;
}

void pv_engine_set_directory(pv_engine_t *eng, pv_directory_t *dir)
{
    eng->dir = dir;
}

const pv_def_t *pv_engine_definition(const pv_engine_t *eng, const char *name, int version)
{
    const pv_def_t *best = NULL;
    for (size_t i = 0; i < eng->ndefs; i++) {
        const pv_def_t *d = eng->defs[i];
        if (strcmp(d->name, name) != 0)
            continue;
        if (version ? d->version == version : (!best || d->version > best->version))
            best = d;
    }
    return best;
}

size_t pv_engine_definition_count(const pv_engine_t *eng)
{
    return eng->ndefs;
}

const pv_def_t *pv_engine_definition_at(const pv_engine_t *eng, size_t i)
{
    return i < eng->ndefs ? eng->defs[i] : NULL;
}

const pv_directory_t *pv__engine_directory(const pv_engine_t *eng)
{
    return eng->dir;
}

const char *pv__engine_salt(const pv_engine_t *eng)
{
    return eng->salt;
}

const char *pv_case_state_name(const pv_case_t *c)
{
    return c->def ? c->def->states[c->state].name : "";
}

bool pv_case_is_terminal(const pv_case_t *c)
{
    return c->def && c->def->states[c->state].terminal;
}

int pv_case_field(const pv_case_t *c, const char *name, double *out)
{
    for (size_t i = 0; c->def && i < c->def->ncfields; i++)
        if (strcmp(c->def->cfields[i].name, name) == 0) {
            *out = c->def->cfields[i].type == PV_CF_NUMBER ? c->fields[i].f
                                                           : (double)c->fields[i].i;
            return 0;
        }
    return PV_ENOENT;
}
