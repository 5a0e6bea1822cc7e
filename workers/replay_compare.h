/* The comparison half of `pravah audit replay`: the projections rebuilt from the journal
 * (replay) against the live ones, table by table (workers/projection_digest.h): row counts,
 * rows only on one side, rows whose digest differs with the columns that differ, the SHA-256
 * of each side, printed as the report of docs/AUDIT.md ("Replay").
 *
 * Ownership: borrows both connections and `out` for the call. Single-threaded. */
#ifndef PRAVAH_REPLAY_COMPARE_H
#define PRAVAH_REPLAY_COMPARE_H

#include <stdio.h>

#include "pg.h"

/* Reads the plan from `replay` (the database the migrations built), the live tables in one
 * REPEATABLE READ snapshot, and prints the report to out, with at most max_diffs differences
 * in detail. Returns 0 (identical), 1 (different) or -1 with err filled. */
int pv_replay_compare(pv_pg_t *live, pv_pg_t *replay, int max_diffs, FILE *out, char *err,
                      size_t errlen);

#endif
