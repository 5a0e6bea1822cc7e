/* `pravah advance`: the advancer worker (workers/advancer.c) with its config, clock, /metrics
 * endpoint and signals. */
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "advancer.h"
#include "cli.h"
#include "files.h"
#include "log.h"
#include "metrics_http.h"

static volatile int stop_flag;

static void on_signal(int sig)
{
    (void)sig;
    stop_flag = 1;
}

static void advance_usage(FILE *out)
{
    fprintf(out,
            "usage: pravah advance [--config FILE] [--bootstrap HOST:PORT] [--clock SPEC]\n"
            "                      [--metrics-port N] [--set KEY=VALUE]...\n\n"
            "Consumes intake in a consumer group, applies each event through the engine, writes\n"
            "the journal and rejections, raises delay alerts; commits only what is journaled.\n\n"
            "  --config FILE      YAML config (keys: kafka.*, topics.*, advance.*); environment\n"
            "                     PRAVAH_<KEY> overrides it, e.g. PRAVAH_KAFKA_BOOTSTRAP_SERVERS\n"
            "  --bootstrap ADDR   kafka.bootstrap.servers (default: var/broker.addr, written by\n"
            "                     `pravah broker`)\n"
            "  --clock SPEC       wall (default) | fixed:TIME | scaled:TIME:FACTOR | file:PATH\n"
            "  --metrics-port N   Prometheus /metrics on 127.0.0.1:N (default 9464, 0: off;\n"
            "                     --set advance.metrics_listen=0.0.0.0: every interface)\n"
            "  --set KEY=VALUE    any config key, e.g. --set advance.batch_max=5000\n");
}

/* Config file, then environment, then the command line: later wins (connectors/config.h). */
static int parse_args(int argc, char **argv, pv_config_t *cfg)
{
    char err[512];
    for (int i = 1; i + 1 < argc; i++)
        if (strcmp(argv[i], "--config") == 0 &&
            pv_config_load_file(cfg, argv[i + 1], err, sizeof err) != 0) {
            fprintf(stderr, "pravah advance: %s\n", err);
            return -1;
        }
    pv_config_apply_env(cfg);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!v) {
            fprintf(stderr, "pravah advance: %s needs a value\n", a);
            return -1;
        }
        i++;
        if (strcmp(a, "--config") == 0) {
            continue; /* read first */
        } else if (strcmp(a, "--bootstrap") == 0) {
            pv_config_set(cfg, "kafka.bootstrap.servers", v);
        } else if (strcmp(a, "--clock") == 0) {
            pv_config_set(cfg, "advance.clock", v);
        } else if (strcmp(a, "--metrics-port") == 0) {
            pv_config_set(cfg, "advance.metrics_port", v);
        } else if (strcmp(a, "--set") == 0 && strchr(v, '=')) {
            char key[256];
            snprintf(key, sizeof key, "%.*s", (int)(strchr(v, '=') - v), v);
            pv_config_set(cfg, key, strchr(v, '=') + 1);
        } else {
            fprintf(stderr, "pravah advance: unknown option %s\n", a);
            return -1;
        }
    }
    pv_config_default_bootstrap(cfg);
    return 0;
}

int pv_cmd_advance(int argc, char **argv)
{
    char err[1024];
    pv_clock_t clock;
    pv_advancer_t *adv = NULL;
    pv_metrics_http_t *http = NULL;
    int rc = 1;
    if (pv_cli_wants_help(argc, argv)) {
        advance_usage(stdout);
        return 0;
    }
    pv_log_init("advance");
    pv_config_t *cfg = pv_config_new();
    pv_engine_config_t ecfg = {NULL};
    pv_engine_t *eng = NULL;
    pv_directory_t *dir = pv_directory_new();
    if (!cfg || !dir || parse_args(argc, argv, cfg) != 0)
        goto out;
    if (pv_clock_parse(pv_config_get(cfg, "advance.clock", "wall"), &clock) != 0) {
        fprintf(stderr, "pravah advance: bad --clock (wall, fixed:TIME, scaled:TIME:FACTOR, "
                        "file:PATH)\n");
        goto out;
    }
    ecfg.identity_salt = pv_config_get(cfg, "advance.identity_salt", "change-me");
    eng = pv_engine_new(&ecfg);
    if (!eng || pv_load_schemas(eng, dir, pv_config_get(cfg, "schemas", pv_cli_schemas_dir()), err,
                                sizeof err) != 0) {
        pv_logf("error", "loading schemas: %s", eng ? err : "out of memory");
        goto out;
    }
    if (!(adv = pv_advancer_new(cfg, eng, dir, &clock, err, sizeof err))) {
        pv_logf("error", "starting: %s", err);
        goto out;
    }
    int port = (int)pv_config_int(cfg, "advance.metrics_port", 9464);
    const char *listen = pv_config_get(cfg, "advance.metrics_listen", "127.0.0.1");
    int public = pv_metrics_listen_public(listen);
    if (public < 0) {
        pv_logf("error", "advance.metrics_listen: '%s' is neither 127.0.0.1 nor 0.0.0.0", listen);
        goto out;
    }
    if (port && !(http = pv_metrics_http_start(port, public, pv_advancer_render_metrics, adv)))
        pv_logf("warn", "metrics endpoint on port %d could not start", port);
    pv_logf("info", "advancing %s with %zu workflows; metrics on port %d",
            pv_config_get(cfg, "kafka.bootstrap.servers", "?"), pv_engine_definition_count(eng),
            http ? pv_metrics_http_port(http) : 0);
    signal(SIGTERM, on_signal);
    signal(SIGINT, on_signal);
    rc = pv_advancer_run(adv, &stop_flag);
out:
    pv_metrics_http_stop(http);
    pv_advancer_free(adv);
    pv_engine_free(eng);
    pv_directory_free(dir);
    pv_config_free(cfg);
    return rc;
}
