/* The `pravah` command's subcommands. Each cmd_*.c implements one; main() in pravah.c dispatches.
 * Every subcommand takes argc/argv with argv[0] = its own name and returns the exit status. */
#ifndef PRAVAH_CLI_H
#define PRAVAH_CLI_H

#include <stdio.h>

typedef struct pv_command_s {
    const char *name;
    const char *summary;
    int (*run)(int argc, char **argv);
} pv_command_t;

int pv_cmd_defs(int argc, char **argv);
int pv_cmd_demo(int argc, char **argv);
int pv_cmd_advance(int argc, char **argv);
int pv_cmd_broker(int argc, char **argv);
int pv_cmd_publish(int argc, char **argv);
int pv_cmd_audit(int argc, char **argv);
int pv_cmd_project(int argc, char **argv);
int pv_cmd_loadgen(int argc, char **argv);

/* The schemas directory: $PRAVAH_SCHEMAS, else the source tree's schemas/ (compiled in). */
const char *pv_cli_schemas_dir(void);
/* True when argv holds -h or --help. */
int pv_cli_wants_help(int argc, char **argv);

#endif
