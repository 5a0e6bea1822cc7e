/* Auditing a journal against its workflow definitions and the directory (docs/AUDIT.md): for
 * every event record, was the transition one the definition (of the recorded version) allows,
 * by an actor whose post allowed it at that time? Pure: the caller reads the records.
 *
 * Feed records in journal order, partition by partition (pv_audit_rules_check); directory
 * changes recorded by HRMS cases are learnt from the records themselves.
 *
 * Ownership: the rules object owns copies of what it learns (the directory as it evolves); it
 * borrows the engine (which must outlive it). */
#ifndef PRAVAH_AUDIT_RULES_H
#define PRAVAH_AUDIT_RULES_H

#include <stddef.h>

#include "pravah/engine.h"
#include "pravah/record.h"

typedef struct pv_audit_rules_s pv_audit_rules_t;

/* eng: holds every definition version the journal may name, the calendars, and as its directory
 * the directory as it stood when the journal began (the seed). */
pv_audit_rules_t *pv_audit_rules_new(const pv_engine_t *eng);
/* 0 when the record is consistent with the rules; otherwise 1 with `why` filled (one finding,
 * naming the rule broken). Records that are not events (SLA alerts) are checked too. */
int pv_audit_rules_check(pv_audit_rules_t *r, const pv_record_t *rec, char *why, size_t whylen);
void pv_audit_rules_free(pv_audit_rules_t *r);

#endif
