/* Schema migrations of the projections (docs/PROJECTOR.md "Migrations"). See
 * projection_migrate.h. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "files.h"
#include "log.h"
#include "projection_migrate.h"

static int by_name(const struct dirent **a, const struct dirent **b)
{
    return strcmp((*a)->d_name, (*b)->d_name);
}

static int is_sql(const struct dirent *d)
{
    size_t n = strlen(d->d_name);
    return d->d_name[0] != '.' && n > 4 && strcmp(d->d_name + n - 4, ".sql") == 0;
}

static int found_cb(void *ctx, int ncols, const char *const *v)
{
    (void)ncols, (void)v;
    *(int *)ctx = 1;
    return 1;
}

/* Whether `version` is recorded (the table may not exist yet: then nothing is). */
static int is_applied(pv_pg_t *pg, const char *version, int *applied, char *err, size_t errlen)
{
    const char *params[] = {version};
    int missing = 0;
    *applied = 0;
    int rc = pv_pg_query(pg, "SELECT 1 WHERE to_regclass('pravah.schema_migrations') IS NULL", 0,
                         NULL, found_cb, &missing, err, errlen);
    if (rc || missing)
        return rc;
    return pv_pg_query(pg, "SELECT 1 FROM pravah.schema_migrations WHERE version = $1", 1, params,
                       found_cb, applied, err, errlen);
}

/* One file in one transaction, recorded in the same transaction. The table is created after
 * the file runs, so a first migration may create the schema itself (and the table: a file may
 * record its own version too). */
static int apply_file(pv_pg_t *pg, const char *path, const char *version, char *err, size_t errlen)
{
    char *sql = NULL, e2[256];
    const char *params[] = {version};
    if (pv_file_read(path, &sql, NULL, err, errlen) != 0)
        return -1;
    int rc = pv_pg_exec(pg, "BEGIN", err, errlen);
    rc = rc ? rc : pv_pg_exec(pg, sql, err, errlen);
    rc = rc ? rc
            : pv_pg_exec(pg,
                         "DO $$ BEGIN IF to_regclass('pravah.schema_migrations') IS NULL THEN\n"
                         "  CREATE SCHEMA IF NOT EXISTS pravah;\n"
                         "  CREATE TABLE pravah.schema_migrations (\n"
                         "    version    text PRIMARY KEY,\n"
                         "    applied_at timestamptz NOT NULL DEFAULT now());\n"
                         "END IF; END $$",
                         err, errlen);
    rc = rc ? rc
            : pv_pg_query(pg,
                          "INSERT INTO pravah.schema_migrations (version) VALUES ($1) "
                          "ON CONFLICT DO NOTHING",
                          1, params, NULL, NULL, err, errlen);
    rc = rc ? rc : pv_pg_exec(pg, "COMMIT", err, errlen);
    if (rc && pv_pg_is_connected(pg))
        pv_pg_exec(pg, "ROLLBACK", e2, sizeof e2);
    /* A file's SET ROLE or SET must not leak into the next file, as with one psql per file. */
    if (pv_pg_is_connected(pg))
        pv_pg_exec(pg, "SET SESSION AUTHORIZATION DEFAULT; RESET ALL", e2, sizeof e2);
    free(sql);
    return rc ? -1 : 0;
}

static int migrate_files(pv_pg_t *pg, const char *dir, struct dirent **names, int n, char *err,
                         size_t errlen)
{
    char path[4096], version[256], e[1024];
    int applied_now = 0;
    for (int i = 0; i < n; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, names[i]->d_name);
        /* The version is the name up to the first '_' (0001_schema.sql: 0001), as scripts/pg. */
        snprintf(version, sizeof version, "%.*s", (int)strcspn(names[i]->d_name, "_."),
                 names[i]->d_name);
        int applied;
        if (is_applied(pg, version, &applied, e, sizeof e) != 0 ||
            (!applied && apply_file(pg, path, version, e, sizeof e) != 0)) {
            snprintf(err, errlen, "%.200s: %.700s", names[i]->d_name, e);
            return -1;
        }
        if (!applied) {
            pv_log("info", "migration applied", "version", version, NULL);
            applied_now++;
        }
    }
    pv_logf("info", "schema up to date: %d migrations in %s, %d applied now", n, dir, applied_now);
    return 0;
}

int pv_projection_migrate(pv_pg_t *pg, const char *dir, char *err, size_t errlen)
{
    struct dirent **names = NULL;
    char e[256];
    int n = scandir(dir, &names, is_sql, by_name);
    if (n < 0) {
        snprintf(err, errlen, "%s: cannot list the directory", dir);
        return -1;
    }
    int rc = pv_pg_exec(pg, "SELECT pg_advisory_lock(hashtext('pravah.schema_migrations'))", err,
                        errlen);
    if (rc == 0) {
        rc = migrate_files(pg, dir, names, n, err, errlen);
        pv_pg_exec(pg, "SELECT pg_advisory_unlock(hashtext('pravah.schema_migrations'))", e,
                   sizeof e);
    }
    for (int i = 0; i < n; i++)
        free(names[i]);
    free(names);
    return rc ? -1 : 0;
}
