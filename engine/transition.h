/* Internal pieces shared by apply.c, sla.c and fold.c: typed event arguments, expression
 * environments, the bookkeeping after every change of a case, and record construction.
 * Nothing here allocates except into the arena it is given. */
#ifndef PV_TRANSITION_H
#define PV_TRANSITION_H

#include <msgpack.h>

#include "definition_types.h"
#include "pravah/engine.h"

const pv_directory_t *pv__engine_directory(const pv_engine_t *eng);
const char *pv__engine_salt(const pv_engine_t *eng);

/* Converts the event's data into typed values for the action's declared fields (NIL when an
 * optional field is absent). Type errors and missing required fields are `malformed`;
 * constraint failures are `precondition`. With dir == NULL (fold), post/office existence and
 * constraints are not re-checked. */
int pv__typed_args(const pv_def_t *def, const pv_actiondef_t *a, const pv_event_t *ev,
                   const pv_directory_t *dir, pv_value_t *args, pv_reject_t *rej);

/* Expands c's numeric fields into values (out has PV_CASE_FIELDS_MAX entries). */
void pv__case_values(const pv_case_t *c, pv_value_t *out);

/* Runs the action's `set` effects on next, reading env. */
void pv__apply_sets(const pv_actiondef_t *a, const pv_expr_env_t *env, pv_case_t *next);

/* Bookkeeping after a change from `before` (NULL for a new case) to `next` at time now: moves
 * the previous assignee, restarts the state clock when the state or the desk changed, recomputes
 * the deadline (resetting reminders and escalation when it moved), and the next timer. */
void pv__finish_transition(pv_case_t *next, const pv_case_t *before, pv_time_t now);

/* Deadline of c's current state given its entered_at and fields; 0 when none. (sla.c) */
pv_time_t pv__deadline(const pv_case_t *c);
/* When c next has timer work; 0 when never. (sla.c) */
pv_time_t pv__next_timer(const pv_case_t *c);

/* Event-id memory for duplicates. */
uint64_t pv__id_hash(const char *id);
int pv__seen_has(const pv_case_t *c, const char *id);
void pv__seen_push(pv_case_t *c, const char *id);

/* Fills the record fields that come from the case: ids, seq, version, states, assignee,
 * deadline, office, prev_hash (from `before`, zeros when NULL). */
void pv__record_from_case(pv_record_t *r, const pv_case_t *next, const pv_case_t *before);
/* Seals r (keeping its packed body in the arena) and stores its hash in next. */
int pv__record_finish(pv_record_t *r, pv_case_t *next, pv_arena_t *arena);

/* Copies s into a fixed-size field, truncating. */
void pv__copy(char *dst, size_t cap, const char *s);
/* pv_engine_apply for an event that creates a case, on the given definition version instead of
 * the newest loaded: how the auditor re-checks a case created before a newer version arrived. */
int pv__engine_apply_create_on(const pv_engine_t *eng, const pv_def_t *def, const pv_event_t *ev,
                               pv_time_t now, pv_case_t *next, pv_record_t *rec,
                               pv_arena_t *arena, pv_reject_t *rej);

/* Identity fields (identity.c). */
int pv__verhoeff_ok(const char *digits);
/* The journal's form of the identity number num[0..n): mask ("XXXXXXXX1234") and hex (the salted
 * SHA-256). */
void pv__identity_mask(const char *num, size_t n, const char *salt, char mask[64], char hex[65]);
/* Packs "<key>": mask and "<key>_hash": hex, the journal's two members for num[0..n). */
void pv__pack_identity(msgpack_packer *pk, const char *key, size_t key_len, const char *num,
                       size_t n, const char *salt);
/* Rewrites ev's data with aadhaar/family_id fields masked and their salted hashes added, when the
 * action declares any; otherwise leaves *data pointing at ev->data. */
int pv__redact(const pv_actiondef_t *a, const pv_event_t *ev, const char *salt, pv_arena_t *arena,
               const uint8_t **data, size_t *len);

#endif
