/* The engine: given a case's state and an incoming event, is the event allowed, and what are the
 * new state, deadline and journal record? Pure and deterministic: the same inputs give the same
 * bytes. Time is always passed in (`now`, Pravah's clock), never read.
 *
 * Ownership: the engine owns the definitions and calendars added to it and borrows the directory
 * (the caller keeps it alive and may change it between calls, never during one). Records returned
 * by apply/fire borrow from the `next` case, the event, and the arena; they are valid until any of
 * those changes. All functions may run on any thread as long as calls on one engine do not
 * overlap with pv_engine_add_* or directory changes. */
#ifndef PRAVAH_ENGINE_H
#define PRAVAH_ENGINE_H

#include <stdbool.h>

#include "pravah/arena.h"
#include "pravah/buf.h"
#include "pravah/calendar.h"
#include "pravah/case.h"
#include "pravah/definition.h"
#include "pravah/directory.h"
#include "pravah/event.h"
#include "pravah/record.h"

typedef struct pv_engine_s pv_engine_t;

typedef struct pv_engine_config_s {
    /* Secret mixed into identity hashes (aadhaar, family_id); set per deployment. */
    const char *identity_salt;
} pv_engine_config_t;

pv_engine_t *pv_engine_new(const pv_engine_config_t *cfg);
void pv_engine_free(pv_engine_t *eng);

/* Takes ownership of cal. PV_EEXIST if a calendar of that name is loaded. */
int pv_engine_add_calendar(pv_engine_t *eng, pv_calendar_t *cal);
/* Takes ownership of def (also on failure). Resolves its calendar: PV_ENOENT with a message in
 * err if not loaded; PV_EEXIST if the same name and version is loaded. */
int pv_engine_add_definition(pv_engine_t *eng, pv_def_t *def, char *err, size_t errlen);
/* Borrows dir. */
void pv_engine_set_directory(pv_engine_t *eng, pv_directory_t *dir);

/* The definition `name` at `version`, or the highest version when version is 0; NULL if none. */
const pv_def_t *pv_engine_definition(const pv_engine_t *eng, const char *name, int version);
size_t pv_engine_definition_count(const pv_engine_t *eng);
const pv_def_t *pv_engine_definition_at(const pv_engine_t *eng, size_t i);

/* The copy of a refused event's payload (msgpack or JSON data, or any bytes) to keep on the
 * rejected topic, with identity numbers masked (engine/redact.c): the top-level fields a loaded
 * definition declares `aadhaar` or `family_id` as the journal masks them (`XXXXXXXX1234` and
 * `<field>_hash`), and in every other string any Aadhaar-shaped number (12 digits, or 4-4-4,
 * first digit 2-9, Verhoeff check digit) down to its last 4 digits. Writes the copy to out
 * (reset first; the caller owns it) and the number of values masked to *masked; with 0, out
 * holds the payload byte for byte. Returns 0 or PV_ENOMEM. Any thread. */
int pv_engine_redact_payload(const pv_engine_t *eng, const void *payload, size_t len,
                             pv_buf_t *out, size_t *masked);

/* Applies ev to the case `cur` (NULL when no case with ev->subject exists yet) at time now.
 * On success returns 0, writes the new state to *next (which may alias cur) and the journal record
 * to *rec, sealed (hash set, chained to cur) but not linked to a partition chain. On rejection
 * returns PV_EREJECTED, fills *rej and leaves *next and *rec untouched. Other negative codes:
 * PV_ENOMEM (then *next may be partly written). */
int pv_engine_apply(const pv_engine_t *eng, const pv_case_t *cur, const pv_event_t *ev,
                    pv_time_t now, pv_case_t *next, pv_record_t *rec, pv_arena_t *arena,
                    pv_reject_t *rej);

/* If c has timer work due at or before now (c->next_timer != 0 && <= now), produces the one
 * record it calls for (a reminder, the breach, or the next escalation step) into *rec, the new
 * state into *next, and returns 1; returns 0 when nothing is due (PV_ENOMEM on allocation
 * failure). Call again until it returns 0.
 * The record's accepted_at is the time the timer was due, not now, so replays are identical. */
int pv_engine_fire(const pv_engine_t *eng, const pv_case_t *c, pv_time_t now, pv_case_t *next,
                   pv_record_t *rec, pv_arena_t *arena);

/* Rebuilds: applies a journal record to *c without re-checking guards (it was checked when
 * accepted). *c is zeroed for a case's first record. Returns 0, or PV_EINTEGRITY with a message
 * in err when the record does not follow (sequence, previous hash, unknown definition/state). */
int pv_engine_fold(const pv_engine_t *eng, pv_case_t *c, const pv_record_t *rec, pv_arena_t *arena,
                   char *err, size_t errlen);

/* After an accepted record of an hrms action with a `directory:` effect, changes the directory
 * accordingly (appoint, transfer, relieve). Returns 1 when it did, 0 when the record has no such
 * effect, or a negative PV_E* code. */
int pv_engine_update_directory(const pv_engine_t *eng, pv_directory_t *dir,
                               const pv_record_t *rec, pv_arena_t *arena);

/* 1 when rec is an event record whose action changes the directory. */
int pv_engine_directory_effect(const pv_engine_t *eng, const pv_record_t *rec);

const char *pv_case_state_name(const pv_case_t *c);
bool pv_case_is_terminal(const pv_case_t *c);
/* Value of case field `name` as a double (ints converted); returns PV_ENOENT if undeclared. */
int pv_case_field(const pv_case_t *c, const char *name, double *out);

#endif
