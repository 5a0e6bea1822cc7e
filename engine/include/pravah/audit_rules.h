/* Auditing a journal against its workflow definitions and the directory (docs/AUDIT.md): for
 * every record, is it what the engine would have journaled, so that the transition is one the
 * definition (of the recorded version) allows, by an actor whose post allowed it at that time?
 * Pure: the caller reads the records.
 *
 * How: each event record is turned back into its event and applied again with pv_engine_apply
 * to the case as folded from the case's earlier records, at the record's accepted_at, with the
 * directory as it stood then; the outcome (refusal, new state, desk, post and role, deadline) is
 * compared with the record. Each timer record is compared with what pv_engine_fire gives for
 * that case. Directory changes (HRMS records) come from the whole journal, so there are two
 * passes: pv_audit_rules_learn for every record of every partition, then pv_audit_rules_check
 * for every record, each partition in journal order (cases never span partitions).
 *
 * Ownership: the rules object owns a working copy of the engine's directory (the seed: the
 * directory as it stood when the journal began), copies of the HRMS records it learns, and the
 * state of the cases it checks. It borrows the engine, which must outlive it, and points the
 * engine at its working directory while it lives (restored by pv_audit_rules_free): do not use
 * that engine for anything else meanwhile. Not thread-safe. */
#ifndef PRAVAH_AUDIT_RULES_H
#define PRAVAH_AUDIT_RULES_H

#include <stddef.h>
#include <stdint.h>

#include "pravah/engine.h"
#include "pravah/record.h"

typedef struct pv_audit_rules_s pv_audit_rules_t;

/* What pv_audit_rules_check says about one record. Only a finding fails a verification. */
typedef enum {
    PV_AUDIT_OK = 0,      /* consistent with the rules */
    PV_AUDIT_FINDING = 1, /* a rule is broken: fails the audit */
    PV_AUDIT_WARNING = 2, /* allowed only within the grace window (directory propagation) */
    PV_AUDIT_NOTICE = 3   /* consistent, but the deadline differs from today's calendar */
} pv_audit_verdict_t;

/* Default grace window: how long after (or before) a posting order an action by the officer at
 * the post they held on the other side of the order is a warning rather than a finding. */
#define PV_AUDIT_GRACE_MS 60000

typedef struct pv_audit_rules_stats_s {
    uint64_t checked;    /* records re-applied (events) or re-fired (timers) and compared */
    uint64_t structural; /* records that could only be checked structurally (see docs) */
    uint64_t unchecked;  /* records of cases whose history was broken: not checked */
    uint64_t duplicates; /* exact copies of a case's last record, skipped */
    uint64_t findings, warnings, notices;
} pv_audit_rules_stats_t;

/* eng: holds every definition version the journal may name, the calendars, and as its directory
 * the seed. Returns NULL when out of memory or when the seed cannot be copied. */
pv_audit_rules_t *pv_audit_rules_new(pv_engine_t *eng);
/* Sets the grace window in ms (default PV_AUDIT_GRACE_MS; 0: every late action is a finding). */
void pv_audit_rules_set_grace(pv_audit_rules_t *r, int64_t grace_ms);
/* First pass: call for every record of the journal, in any order, before the first check.
 * Returns 0, PV_ENOMEM, or PV_EINVAL once checking has begun. */
int pv_audit_rules_learn(pv_audit_rules_t *r, const pv_record_t *rec);
/* Second pass: checks one record (decoded by pv_record_decode; seals and chains are the
 * caller's business). Returns a pv_audit_verdict_t; unless PV_AUDIT_OK, `why` holds one line
 * naming the rule broken, e.g. "rule unauthorized: role JE (post GGN-MC-JE-1) may not take
 * action grant_aa (works v2)"; several problems are joined with "; ". Returns a negative PV_E*
 * code (PV_ENOMEM) when it could not check. A case whose earlier records are missing or forked
 * gets one finding; its later records are counted as unchecked. */
int pv_audit_rules_check(pv_audit_rules_t *r, const pv_record_t *rec, char *why, size_t whylen);
/* Forgets the state of every case checked so far (call after each partition to bound memory:
 * a case's records are all in one partition). */
void pv_audit_rules_end_partition(pv_audit_rules_t *r);
void pv_audit_rules_stats(const pv_audit_rules_t *r, pv_audit_rules_stats_t *out);
void pv_audit_rules_free(pv_audit_rules_t *r);

#endif
