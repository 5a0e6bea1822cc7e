/* Journal records read back as the engine's inputs, for the audit (docs/AUDIT.md): the event a
 * record journaled, and the action and definition version it names. Internal to engine/audit_*.c.
 *
 * Ownership: the event's strings and data point into the record and into the arena given. */
#ifndef PV_AUDIT_RECORD_H
#define PV_AUDIT_RECORD_H

#include "definition_types.h"
#include "pravah/engine.h"

/* Rebuilds the event rec journaled (data as journaled: redacted); used by fold and the auditor.
 * Returns 0 or a negative PV_E* code when the headers or data do not decode (reason in rej). */
int pv__audit_record_event(const pv_record_t *rec, pv_arena_t *arena, pv_event_t *ev,
                           pv_reject_t *rej);

/* The action named by an event record's event_type in def, or NULL. */
const pv_actiondef_t *pv__audit_record_action(const pv_def_t *def, const pv_record_t *rec);

/* The journal keeps identity numbers (aadhaar, family_id) only masked, so the masked values
 * cannot pass their checks again: replaces each present one in ev by a valid stand-in. Returns
 * how many fields were replaced. */
int pv__audit_unmask_identities(const pv_actiondef_t *a, pv_event_t *ev);

#endif
