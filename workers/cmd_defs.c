/* `pravah defs`: check definition files, list what loads, draw a workflow. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "files.h"

static void defs_usage(FILE *out)
{
    fprintf(out,
            "usage: pravah defs check [FILE...]   validate definitions (default: all in "
            "$PRAVAH_SCHEMAS/workflows)\n"
            "       pravah defs list              list the loaded workflows and versions\n"
            "       pravah defs dot NAME [VERSION] write workflow NAME as a Graphviz digraph\n\n"
            "Errors are reported as FILE:LINE: message; the exit status is 1 if any file fails.\n");
}

/* An engine with the calendars loaded, ready for definitions. */
static pv_engine_t *engine_with_calendars(void)
{
    char err[512], path[4096];
    pv_engine_t *eng = pv_engine_new(NULL);
    snprintf(path, sizeof path, "%s/calendars", pv_cli_schemas_dir());
    if (!eng || pv_load_calendars(eng, path, err, sizeof err) != 0) {
        fprintf(stderr, "pravah defs: %s\n", eng ? err : "out of memory");
        pv_engine_free(eng);
        return NULL;
    }
    return eng;
}

static int check_files(pv_engine_t *eng, int n, char **files)
{
    int failed = 0;
    char err[1024];
    for (int i = 0; i < n; i++) {
        if (pv_load_definition_file(eng, files[i], err, sizeof err) != 0) {
            fprintf(stderr, "%s\n", err);
            failed = 1;
            continue;
        }
        const pv_def_t *d = pv_engine_definition_at(eng, pv_engine_definition_count(eng) - 1);
        printf("%s: ok (workflow %s v%d: %zu states, %zu actions)\n", files[i], pv_def_name(d),
               pv_def_version(d), pv_def_state_count(d), pv_def_action_count(d));
    }
    return failed;
}

static int defs_check(int argc, char **argv)
{
    pv_engine_t *eng = engine_with_calendars();
    if (!eng)
        return 1;
    int failed;
    if (argc > 0) {
        failed = check_files(eng, argc, argv);
    } else {
        char err[1024], path[4096];
        snprintf(path, sizeof path, "%s/workflows", pv_cli_schemas_dir());
        failed = pv_load_definitions(eng, path, err, sizeof err) != 0;
        if (failed)
            fprintf(stderr, "%s\n", err);
        else
            printf("%s: %zu definitions ok\n", path, pv_engine_definition_count(eng));
    }
    pv_engine_free(eng);
    return failed;
}

static pv_engine_t *engine_with_definitions(void)
{
    char err[1024], path[4096];
    pv_engine_t *eng = engine_with_calendars();
    snprintf(path, sizeof path, "%s/workflows", pv_cli_schemas_dir());
    if (eng && pv_load_definitions(eng, path, err, sizeof err) != 0) {
        fprintf(stderr, "%s\n", err);
        pv_engine_free(eng);
        return NULL;
    }
    return eng;
}

static int defs_list(void)
{
    pv_engine_t *eng = engine_with_definitions();
    if (!eng)
        return 1;
    for (size_t i = 0; i < pv_engine_definition_count(eng); i++) {
        const pv_def_t *d = pv_engine_definition_at(eng, i);
        printf("%-12s v%-3d %3zu states %3zu actions  calendar %s\n", pv_def_name(d),
               pv_def_version(d), pv_def_state_count(d), pv_def_action_count(d),
               pv_def_calendar_name(d));
    }
    pv_engine_free(eng);
    return 0;
}

static int defs_dot(int argc, char **argv)
{
    if (argc < 1) {
        defs_usage(stderr);
        return 2;
    }
    pv_engine_t *eng = engine_with_definitions();
    if (!eng)
        return 1;
    const pv_def_t *d = pv_engine_definition(eng, argv[0], argc > 1 ? atoi(argv[1]) : 0);
    if (!d)
        fprintf(stderr, "pravah defs dot: no workflow '%s'%s%s loaded\n", argv[0],
                argc > 1 ? " version " : "", argc > 1 ? argv[1] : "");
    else
        pv_def_write_dot(d, stdout);
    pv_engine_free(eng);
    return d ? 0 : 1;
}

int pv_cmd_defs(int argc, char **argv)
{
    if (argc < 2 || pv_cli_wants_help(argc, argv)) {
        defs_usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (strcmp(argv[1], "check") == 0)
        return defs_check(argc - 2, argv + 2);
    if (strcmp(argv[1], "list") == 0)
        return defs_list();
    if (strcmp(argv[1], "dot") == 0)
        return defs_dot(argc - 2, argv + 2);
    fprintf(stderr, "pravah defs: unknown subcommand '%s'\n", argv[1]);
    defs_usage(stderr);
    return 2;
}
