/* `pravah audit replay`: rebuilds every projection from the journal (Kafka or an archive) into a
 * fresh PostgreSQL database with the same migrations and the projector's own batch writer
 * (workers/projection_batch.c), then compares it with the live projection table by table
 * (workers/replay_compare.c). Exit 0 identical, 1 different, 2 usage or error. docs/AUDIT.md. */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "audit.h"
#include "cli.h"
#include "clock.h"
#include "config.h"
#include "log.h"
#include "pg.h"
#include "projection_batch.h"
#include "projection_migrate.h"
#include "replay_compare.h"

#define REPLAY_GROUP "pravah-audit-replay" /* key of the offsets stored in the replay database */

typedef struct replay_s {
    pv_config_t *cfg;
    const char *archive, *into;
    int keep, max_diffs;
    int64_t batch_max;
    char dbname[96]; /* the database this run created, "" when --into */
    char *target_info;
    pv_pg_t *live, *target;
    pv_projection_batch_t *batch;
    uint64_t records, errors;
    int failed;
    char err[1024];
} replay_t;

static void replay_usage(FILE *out)
{
    fprintf(out,
            "usage: pravah audit replay [--bootstrap ADDR | --archive FILE] [--topic NAME]\n"
            "                           [--live CONNINFO] [--into CONNINFO] [--keep]\n"
            "                           [--max-diffs N] [--config FILE] [--set KEY=VALUE]...\n\n"
            "Rebuilds every projection from the journal into a fresh PostgreSQL database, then\n"
            "compares it with the live one table by table (row counts, per-row digests) and\n"
            "prints the differences. Exit 0 identical, 1 different, 2 error (docs/AUDIT.md).\n\n"
            "  --bootstrap ADDR   read the journal from Kafka (default: var/broker.addr)\n"
            "  --archive FILE     read it from an archive written by `pravah audit export`\n"
            "  --topic NAME       the journal topic (topics.journal, default pravah.journal)\n"
            "  --live CONNINFO    the live projection (project.pg; default: PG* variables)\n"
            "  --into CONNINFO    replay into this existing, empty database (never dropped);\n"
            "                     default: CREATE DATABASE pravah_replay_<time>_<pid> on the\n"
            "                     live server, dropped at the end\n"
            "  --keep             keep the database this run created (its name is printed)\n"
            "  --max-diffs N      differences listed in detail (default 20)\n"
            "  --set KEY=VALUE    any config key, e.g. --set project.batch_max=10000\n");
}

/* ---- arguments ---- */

static int set_option(replay_t *r, const char *a, const char *v)
{
    static const char *const keys[][2] = {{"--bootstrap", "kafka.bootstrap.servers"},
                                          {"--topic", "topics.journal"},
                                          {"--live", "project.pg"}};
    for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++)
        if (strcmp(a, keys[k][0]) == 0)
            return pv_config_set(r->cfg, keys[k][1], v);
    if (strcmp(a, "--archive") == 0)
        r->archive = v;
    else if (strcmp(a, "--into") == 0)
        r->into = v;
    else if (strcmp(a, "--max-diffs") == 0)
        r->max_diffs = atoi(v);
    else if (strcmp(a, "--set") == 0 && strchr(v, '=')) {
        char key[256];
        snprintf(key, sizeof key, "%.*s", (int)(strchr(v, '=') - v), v);
        return pv_config_set(r->cfg, key, strchr(v, '=') + 1);
    } else if (strcmp(a, "--config") != 0) {
        fprintf(stderr, "pravah audit replay: unknown option %s\n", a);
        return -1;
    }
    return 0;
}

/* Config file, then environment, then the command line: later wins. */
static int parse_args(replay_t *r, int argc, char **argv)
{
    char err[512];
    pv_config_set(r->cfg, "project.pg", ""); /* known, so PRAVAH_PROJECT_PG applies */
    for (int i = 1; i + 1 < argc; i++)
        if (strcmp(argv[i], "--config") == 0 &&
            pv_config_load_file(r->cfg, argv[i + 1], err, sizeof err) != 0) {
            fprintf(stderr, "pravah audit replay: %s\n", err);
            return -1;
        }
    pv_config_apply_env(r->cfg);
    r->max_diffs = 20;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--keep") == 0) {
            r->keep = 1;
            continue;
        }
        if (i + 1 >= argc) {
            fprintf(stderr, "pravah audit replay: %s: unknown option or missing value\n", argv[i]);
            return -1;
        }
        if (set_option(r, argv[i], argv[i + 1]) != 0)
            return -1;
        i++;
    }
    pv_config_default_bootstrap(r->cfg);
    r->batch_max = pv_config_int(r->cfg, "project.batch_max", 5000);
    if (r->batch_max < 1)
        r->batch_max = 1;
    return 0;
}

/* ---- the target database ---- */

/* conninfo with its database replaced by db (a plain identifier): a later keyword wins in a
 * key=value string, a query parameter overrides the path of a URI. */
static char *with_dbname(const char *conninfo, const char *db)
{
    int uri =
        strncmp(conninfo, "postgres://", 11) == 0 || strncmp(conninfo, "postgresql://", 13) == 0;
    size_t n = strlen(conninfo) + strlen(db) + 16;
    char *s = malloc(n);
    if (s)
        snprintf(s, n, "%s%sdbname=%s", conninfo, uri ? (strchr(conninfo, '?') ? "&" : "?") : " ",
                 db);
    return s;
}

static int create_database(replay_t *r)
{
    char sql[200], e[900];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    snprintf(r->dbname, sizeof r->dbname, "pravah_replay_%04d%02d%02d_%02d%02d%02d_%d",
             tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
             (int)getpid());
    snprintf(sql, sizeof sql, "CREATE DATABASE %s", r->dbname);
    if (pv_pg_exec(r->live, sql, e, sizeof e) != 0) {
        snprintf(r->err, sizeof r->err,
                 "CREATE DATABASE %s on the live server: %s (the live role needs CREATEDB; or "
                 "give an empty database with --into)",
                 r->dbname, e);
        r->dbname[0] = '\0';
        return -1;
    }
    r->target_info = with_dbname(pv_config_get(r->cfg, "project.pg", ""), r->dbname);
    return r->target_info ? 0 : -1;
}

static int found_cb(void *ctx, int ncols, const char *const *v)
{
    (void)ncols, (void)v;
    *(int *)ctx = 1;
    return 1;
}

/* --into must be empty of projections: a replay on top of old rows would prove nothing. */
static int check_empty(replay_t *r)
{
    char e[900];
    int exists = 0, used = 0;
    int rc = pv_pg_query(r->target, "SELECT 1 WHERE to_regclass('pravah.transitions') IS NOT NULL",
                         0, NULL, found_cb, &exists, e, sizeof e);
    if (rc == 0 && exists)
        rc = pv_pg_query(r->target,
                         "SELECT 1 WHERE EXISTS (SELECT 1 FROM pravah.transitions) "
                         "OR EXISTS (SELECT 1 FROM pravah.projection_errors)",
                         0, NULL, found_cb, &used, e, sizeof e);
    if (rc != 0)
        snprintf(r->err, sizeof r->err, "--into database: %s", e);
    else if (used)
        snprintf(r->err, sizeof r->err,
                 "--into database already holds projections "
                 "(pravah.transitions has rows): give an empty one");
    return rc || used ? -1 : 0;
}

static int name_cb(void *ctx, int ncols, const char *const *v)
{
    replay_t *r = ctx;
    r->failed = ncols < 1 || !v[0] || strcmp(v[0], r->dbname) != 0;
    return 1;
}

/* The connection must have reached the database just created, never the live one: a
 * connection string whose database could not be replaced would otherwise replay into it. */
static int check_created(replay_t *r)
{
    char e[512];
    r->failed = 1;
    int rc = pv_pg_query(r->target, "SELECT current_database()", 0, NULL, name_cb, r, e, sizeof e);
    if (rc == 0 && !r->failed)
        return 0;
    snprintf(r->err, sizeof r->err,
             "the replay connection did not reach database %s (%.400s): give the live database as "
             "key=value pairs or a postgresql:// URI, or use --into",
             r->dbname, rc ? e : "another database");
    r->failed = 0;
    return -1;
}

static int open_target(replay_t *r)
{
    char e[900], dir[4096];
    if (r->into ? !(r->target_info = strdup(r->into)) : create_database(r) != 0)
        return -1;
    if (!(r->target = pv_pg_new(r->target_info)) || pv_pg_connect(r->target, e, sizeof e) != 0) {
        snprintf(r->err, sizeof r->err, "replay database: %s", r->target ? e : "out of memory");
        return -1;
    }
    if (r->into ? check_empty(r) != 0 : check_created(r) != 0)
        return -1;
    snprintf(dir, sizeof dir, "%s/sql", pv_config_get(r->cfg, "schemas", pv_cli_schemas_dir()));
    const char *migrations = pv_config_get(r->cfg, "project.migrations", dir);
    if (pv_projection_migrate(r->target, migrations, e, sizeof e) != 0) {
        snprintf(r->err, sizeof r->err, "migrating the replay database: %s", e);
        return -1;
    }
    return 0;
}

/* Drops the database this run created, unless kept. */
static void close_target(replay_t *r)
{
    char sql[200], e[900];
    pv_pg_free(r->target);
    r->target = NULL;
    if (!r->dbname[0])
        return;
    if (r->keep) {
        fprintf(stderr, "replay database kept: %s\n", r->dbname);
        return;
    }
    snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %s", r->dbname);
    if (!pv_pg_is_connected(r->live) || pv_pg_exec(r->live, sql, e, sizeof e) != 0)
        fprintf(stderr, "pravah audit replay: could not drop %s: %s\n", r->dbname,
                pv_pg_is_connected(r->live) ? e : "no connection");
}

/* ---- projecting the journal ---- */

static void on_committed(void *ctx, int32_t partition, int64_t offset, const char *reason)
{
    replay_t *r = ctx;
    (void)partition, (void)offset;
    if (reason)
        r->errors++;
    else
        r->records++;
}

static int write_batch(replay_t *r)
{
    char e[900];
    int rc = pv_projection_batch_write(r->batch, r->target, e, sizeof e);
    if (rc != 0) {
        snprintf(r->err, sizeof r->err, "writing a batch into the replay database: %s", e);
        r->failed = 1;
    }
    return rc ? -1 : 0;
}

static int replay_cb(void *ctx, const pv_kafka_msg_t *msg)
{
    replay_t *r = ctx;
    int rc = pv_projection_batch_add(r->batch, msg);
    if (rc != 0) {
        snprintf(r->err, sizeof r->err, "partition %d offset %lld: %s", msg->partition,
                 (long long)msg->offset, pv_strerror(rc));
        r->failed = 1;
        return 1;
    }
    if ((int64_t)pv_projection_batch_pending(r->batch) >= r->batch_max && write_batch(r) != 0)
        return 1;
    return 0;
}

/* Returns the number of partitions read, or -1 with r->err filled. */
static int project_journal(replay_t *r)
{
    pv_kv_t props[64];
    pv_audit_source_t src = {.archive = r->archive, .props = props, .partition = -1};
    src.nprops = pv_config_kafka(r->cfg, props, 64);
    src.topic = pv_config_get(r->cfg, "topics.journal", "pravah.journal");
    if (!(r->batch = pv_projection_batch_new(REPLAY_GROUP, src.topic, on_committed, r, r->err,
                                             sizeof r->err)))
        return -1;
    int n = pv_audit_read_journal(&src, replay_cb, r, r->err, sizeof r->err);
    if (r->failed || n < 0)
        return -1;
    return write_batch(r) == 0 ? n : -1;
}

/* ---- the command ---- */

static int connect_live(replay_t *r)
{
    char e[900];
    if (!(r->live = pv_pg_new(pv_config_get(r->cfg, "project.pg", ""))) ||
        pv_pg_connect(r->live, e, sizeof e) != 0) {
        snprintf(r->err, sizeof r->err, "live database: %s", r->live ? e : "out of memory");
        return -1;
    }
    return 0;
}

static int run(replay_t *r)
{
    if (connect_live(r) != 0 || open_target(r) != 0)
        return 2;
    int64_t t0 = pv_wall_ms();
    int n = project_journal(r);
    if (n < 0)
        return 2;
    double secs = (double)(pv_wall_ms() - t0) / 1000.0;
    uint64_t total = r->records + r->errors;
    printf("replayed %llu journal records (%llu to projection_errors) from %d partitions of %s "
           "into %s in %.1f s (%.0f records/s)\n\n",
           (unsigned long long)total, (unsigned long long)r->errors, n,
           r->archive ? r->archive : pv_config_get(r->cfg, "topics.journal", "pravah.journal"),
           r->dbname[0] ? r->dbname : "the --into database", secs,
           secs > 0 ? (double)total / secs : 0.0);
    fflush(stdout);
    int rc = pv_replay_compare(r->live, r->target, r->max_diffs, stdout, r->err, sizeof r->err);
    return rc < 0 ? 2 : rc;
}

int pv_audit_replay_main(int argc, char **argv)
{
    replay_t r = {0};
    int rc = 2;
    if (pv_cli_wants_help(argc, argv)) {
        replay_usage(stdout);
        return 0;
    }
    pv_log_init("audit-replay");
    if (!(r.cfg = pv_config_new()) || parse_args(&r, argc, argv) != 0) {
        replay_usage(stderr);
        goto out;
    }
    rc = run(&r);
    fflush(stdout);
    if (rc == 2)
        fprintf(stderr, "pravah audit replay: %s\n", r.err[0] ? r.err : "failed");
    close_target(&r);
out:
    pv_projection_batch_free(r.batch);
    pv_pg_free(r.target);
    pv_pg_free(r.live);
    free(r.target_info);
    pv_config_free(r.cfg);
    return rc;
}
