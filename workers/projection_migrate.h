/* Schema migrations of the projections: the files schemas/sql/[0-9]*.sql applied in name
 * order, each file in one transaction together with its row in pravah.schema_migrations
 * (version = the name up to the first '_'); recorded versions are skipped, so applying twice
 * is a no-op. A session
 * advisory lock keeps two migrating processes apart; each file starts with a clean session
 * (SET SESSION AUTHORIZATION DEFAULT; RESET ALL). Used by `pravah project --migrate` and by
 * `pravah audit replay` for its fresh database.
 *
 * Ownership: borrows pg for the call. Logs one line per file applied (log.h). */
#ifndef PRAVAH_PROJECTION_MIGRATE_H
#define PRAVAH_PROJECTION_MIGRATE_H

#include <stddef.h>

#include "pg.h"

/* Applies dir/\*.sql not yet applied on pg's connection (connected). Returns 0, or -1 with
 * err filled ("FILE: SQLSTATE: message"). Blocks. */
int pv_projection_migrate(pv_pg_t *pg, const char *dir, char *err, size_t errlen);

#endif
