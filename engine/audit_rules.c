/* Auditing records against definitions and the directory: placeholder until it lands (issue 5). */
#include <stdlib.h>

#include "pravah/audit_rules.h"

struct pv_audit_rules_s {
    const pv_engine_t *eng;
};

pv_audit_rules_t *pv_audit_rules_new(const pv_engine_t *eng)
{
    pv_audit_rules_t *r = calloc(1, sizeof *r);
    if (r)
        r->eng = eng;
    return r;
}

int pv_audit_rules_check(pv_audit_rules_t *r, const pv_record_t *rec, char *why, size_t whylen)
{
    (void)r, (void)rec, (void)why, (void)whylen;
    return 0;
}

void pv_audit_rules_free(pv_audit_rules_t *r)
{
    free(r);
}
