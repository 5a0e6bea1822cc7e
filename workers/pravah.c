/* `pravah`: one binary, one subcommand per process role or tool. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

static const pv_command_t commands[] = {
    {"defs", "check, list and draw workflow definitions", pv_cmd_defs},
    {"demo", "ninety days of Haryana through the whole pipeline (--walkthrough: the engine alone)", pv_cmd_demo},
    {"broker", "the embedded development broker (Kafka protocol, in memory)", pv_cmd_broker},
    {"publish", "publish events (JSON lines) to intake", pv_cmd_publish},
    {"loadgen", "the synthetic load of Haryana's offices, to a cluster or a file", pv_cmd_loadgen},
    {"project", "the projector worker: journal -> PostgreSQL tables and views", pv_cmd_project},
    {"audit", "auditors: verify, export, replay the journal; the story of one case", pv_cmd_audit},
    {"advance", "the advancer worker: intake -> engine -> journal, delay alerts", pv_cmd_advance},
};

#define NCOMMANDS (sizeof commands / sizeof commands[0])

/* An installed binary (cmake --install) finds its schemas in PREFIX/share/pravah/schemas, beside
 * PREFIX/bin/pravah; a build in the source tree uses the tree's schemas/ (compiled in). */
static const char *installed_schemas_dir(void)
{
    static char dir[4200];
    char exe[4096];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0)
        return NULL;
    exe[n] = '\0';
    char *slash = strrchr(exe, '/');
    if (!slash)
        return NULL;
    *slash = '\0';
    snprintf(dir, sizeof dir, "%s/../share/pravah/schemas", exe);
    return access(dir, R_OK) == 0 ? dir : NULL;
}

const char *pv_cli_schemas_dir(void)
{
    const char *env = getenv("PRAVAH_SCHEMAS");
    if (env && *env)
        return env;
    if (access(PV_DEFAULT_SCHEMAS, R_OK) == 0)
        return PV_DEFAULT_SCHEMAS;
    const char *installed = installed_schemas_dir();
    return installed ? installed : PV_DEFAULT_SCHEMAS;
}

int pv_cli_wants_help(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0)
            return 1;
    return 0;
}

static void usage(FILE *out)
{
    fprintf(out, "usage: pravah COMMAND [ARGS...]\n\n"
                 "Pravah: an event-driven workflow engine for e-governance.\n\ncommands:\n");
    for (size_t i = 0; i < NCOMMANDS; i++)
        fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fprintf(out, "\n`pravah COMMAND --help` describes one command.\n"
                 "Data files are read from $PRAVAH_SCHEMAS (default %s).\n",
            PV_DEFAULT_SCHEMAS);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0 ||
        strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return 0;
    }
    for (size_t i = 0; i < NCOMMANDS; i++)
        if (strcmp(argv[1], commands[i].name) == 0)
            return commands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "pravah: unknown command '%s'\n\n", argv[1]);
    usage(stderr);
    return 2;
}
