/* The synthetic load generator: placeholder until it lands (issue 6). */
#include <stdio.h>
#include <stdlib.h>

#include "loadgen.h"

struct pv_loadgen_s {
    pv_loadgen_config_t cfg;
};

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
}

pv_loadgen_t *pv_loadgen_new(const pv_loadgen_config_t *cfg, char *err, size_t errlen)
{
    pv_loadgen_t *g = calloc(1, sizeof *g);
    if (!g)
        snprintf(err, errlen, "out of memory");
    else
        g->cfg = *cfg;
    return g;
}

int pv_loadgen_next(pv_loadgen_t *g, pv_loadgen_event_t *ev)
{
    (void)g, (void)ev;
    return 1;
}

void pv_loadgen_free(pv_loadgen_t *g)
{
    free(g);
}
