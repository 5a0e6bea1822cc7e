/* `pravah audit SUBCOMMAND`: dispatches to the auditor's tools (workers/audit.h). */
#include <stdio.h>
#include <string.h>

#include "audit.h"
#include "cli.h"

static const pv_command_t audit_commands[] = {
    {"verify", "check chains, sequences, forks and that every transition was allowed",
     pv_audit_verify_main},
    {"export", "write the journal (or part of it) to a portable archive file",
     pv_audit_export_main},
    {"replay", "rebuild the projections from the journal and compare them with the live ones",
     pv_audit_replay_main},
    {"case", "the whole story of one case, or the case as it stood on a date",
     pv_audit_case_main},
};

static void audit_usage(FILE *out)
{
    fprintf(out, "usage: pravah audit COMMAND [OPTIONS]   (pravah audit COMMAND --help)\n\n");
    for (size_t i = 0; i < sizeof audit_commands / sizeof *audit_commands; i++)
        fprintf(out, "  %-8s %s\n", audit_commands[i].name, audit_commands[i].summary);
    fprintf(out, "\nThe journal is read from Kafka (--bootstrap) or from an archive (--archive FILE).\n"
                 "See docs/AUDIT.md.\n");
}

int pv_cmd_audit(int argc, char **argv)
{
    if (argc >= 2)
        for (size_t i = 0; i < sizeof audit_commands / sizeof *audit_commands; i++)
            if (strcmp(argv[1], audit_commands[i].name) == 0)
                return audit_commands[i].run(argc - 1, argv + 1);
    int help = argc >= 2 && pv_cli_wants_help(2, argv);
    if (argc >= 2 && !help)
        fprintf(stderr, "pravah audit: unknown command '%s'\n", argv[1]);
    audit_usage(help ? stdout : stderr);
    return help ? 0 : 2;
}
