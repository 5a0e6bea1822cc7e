/* `pravah project`: the projector worker (workers/projector.c) with its config, schema
 * migrations, /metrics endpoint and signals. */
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "log.h"
#include "metrics_http.h"
#include "pg.h"
#include "projection_migrate.h"
#include "projector.h"

static volatile int stop_flag;

static void on_signal(int sig)
{
    (void)sig;
    stop_flag = 1;
}

static void project_usage(FILE *out)
{
    fprintf(out,
            "usage: pravah project [--config FILE] [--bootstrap HOST:PORT] [--pg CONNINFO]\n"
            "                      [--migrate] [--migrate-only] [--metrics-port N]\n"
            "                      [--set KEY=VALUE]...\n\n"
            "Consumes the journal in a consumer group and writes it into PostgreSQL tables and\n"
            "views, one transaction per batch with the consumed offsets (docs/PROJECTOR.md).\n\n"
            "  --config FILE      YAML config (keys: kafka.*, topics.journal, project.*);\n"
            "                     environment PRAVAH_<KEY> overrides it\n"
            "  --bootstrap ADDR   kafka.bootstrap.servers (default: var/broker.addr)\n"
            "  --pg CONNINFO      libpq connection string or URI (project.pg; default: the PG*\n"
            "                     environment variables)\n"
            "  --migrate          apply schemas/sql/*.sql not yet applied, then project\n"
            "  --migrate-only     apply them and exit\n"
            "  --metrics-port N   Prometheus /metrics on 127.0.0.1:N (default 9465, 0: off;\n"
            "                     --set project.metrics_listen=0.0.0.0: every interface)\n"
            "  --set KEY=VALUE    any config key, e.g. --set project.batch_max=2000\n");
}

static void on_pg_retry(void *ctx, int attempt, int wait_ms, const char *err)
{
    (void)ctx;
    if (attempt == 1 || attempt % 10 == 0)
        pv_logf("warn", "waiting for PostgreSQL (attempt %d, next in %d ms): %s", attempt,
                wait_ms, err);
}

static int run_migrations(const pv_config_t *cfg)
{
    char dir[4096], err[1024];
    snprintf(dir, sizeof dir, "%s/sql", pv_config_get(cfg, "schemas", pv_cli_schemas_dir()));
    const char *d = pv_config_get(cfg, "project.migrations", dir);
    pv_pg_t *pg = pv_pg_new(pv_config_get(cfg, "project.pg", ""));
    int rc = -1;
    if (!pg || pv_pg_reconnect(pg, 100, 5000, &stop_flag, on_pg_retry, NULL) != 0)
        goto out;
    rc = pv_projection_migrate(pg, d, err, sizeof err);
    if (rc)
        pv_log("error", "migration failed", "error", err, NULL);
out:
    pv_pg_free(pg);
    return rc;
}

/* ---- arguments ---- */

static int set_option(pv_config_t *cfg, const char *a, const char *v)
{
    static const char *const keys[][2] = {{"--bootstrap", "kafka.bootstrap.servers"},
                                          {"--pg", "project.pg"},
                                          {"--metrics-port", "project.metrics_port"}};
    for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++)
        if (strcmp(a, keys[k][0]) == 0)
            return pv_config_set(cfg, keys[k][1], v);
    if (strcmp(a, "--set") == 0 && strchr(v, '=')) {
        char key[256];
        snprintf(key, sizeof key, "%.*s", (int)(strchr(v, '=') - v), v);
        return pv_config_set(cfg, key, strchr(v, '=') + 1);
    }
    fprintf(stderr, "pravah project: unknown option %s\n", a);
    return -1;
}

/* Config file, then environment, then the command line: later wins. *mode: 0 project,
 * 1 migrate then project, 2 migrate only. */
static int parse_args(int argc, char **argv, pv_config_t *cfg, int *mode)
{
    char err[512];
    pv_config_set(cfg, "project.pg", ""); /* known, so PRAVAH_PROJECT_PG applies */
    for (int i = 1; i + 1 < argc; i++)
        if (strcmp(argv[i], "--config") == 0 &&
            pv_config_load_file(cfg, argv[i + 1], err, sizeof err) != 0) {
            fprintf(stderr, "pravah project: %s\n", err);
            return -1;
        }
    pv_config_apply_env(cfg);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--migrate") == 0 || strcmp(a, "--migrate-only") == 0) {
            *mode = strcmp(a, "--migrate") == 0 ? 1 : 2;
            continue;
        }
        if (i + 1 >= argc) {
            fprintf(stderr, "pravah project: %s needs a value\n", a);
            return -1;
        }
        i++;
        if (strcmp(a, "--config") != 0 && set_option(cfg, a, argv[i]) != 0)
            return -1;
    }
    pv_config_default_bootstrap(cfg);
    return 0;
}

int pv_cmd_project(int argc, char **argv)
{
    char err[1024];
    int mode = 0, rc = 1;
    pv_projector_t *pj = NULL;
    pv_metrics_http_t *http = NULL;
    if (pv_cli_wants_help(argc, argv)) {
        project_usage(stdout);
        return 0;
    }
    pv_log_init("project");
    pv_config_t *cfg = pv_config_new();
    if (!cfg || parse_args(argc, argv, cfg, &mode) != 0)
        goto out;
    signal(SIGTERM, on_signal);
    signal(SIGINT, on_signal);
    if (mode && run_migrations(cfg) != 0)
        goto out;
    if (mode == 2) {
        rc = 0;
        goto out;
    }
    if (!(pj = pv_projector_new(cfg, &stop_flag, err, sizeof err))) {
        pv_logf("error", "starting: %s", err);
        goto out;
    }
    int port = (int)pv_config_int(cfg, "project.metrics_port", 9465);
    const char *listen = pv_config_get(cfg, "project.metrics_listen", "127.0.0.1");
    int public = pv_metrics_listen_public(listen);
    if (public < 0) {
        pv_logf("error", "project.metrics_listen: '%s' is neither 127.0.0.1 nor 0.0.0.0", listen);
        goto out;
    }
    if (port && !(http = pv_metrics_http_start(port, public, pv_projector_render_metrics, pj)))
        pv_logf("warn", "metrics endpoint on port %d could not start", port);
    pv_logf("info", "projecting %s from %s; metrics on port %d",
            pv_config_get(cfg, "topics.journal", "pravah.journal"),
            pv_config_get(cfg, "kafka.bootstrap.servers", "?"),
            http ? pv_metrics_http_port(http) : 0);
    rc = pv_projector_run(pj);
out:
    pv_metrics_http_stop(http);
    pv_projector_free(pj);
    pv_config_free(cfg);
    return rc;
}
