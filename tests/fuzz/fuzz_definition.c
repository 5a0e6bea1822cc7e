/* libFuzzer target for the workflow definition loader (engine/definition.c, with the YAML layer
 * engine/yamlutil.c and the expression parser engine/expr.c under it).
 *
 * The input is the YAML text. Properties: pv_def_load never crashes or leaks; on failure it
 * leaves *out untouched and writes a NUL-terminated "fuzz.yaml..." message; on success the
 * definition answers its accessors and draws itself as Graphviz, and is freed. Seeds in
 * corpus/definition/: the six definitions of schemas/workflows/ and small test fixtures. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pravah/definition.h"

static void check_loaded(pv_def_t *def)
{
    if (!pv_def_name(def) || !pv_def_calendar_name(def) || pv_def_version(def) < 1 ||
        pv_def_state_count(def) == 0 || pv_def_action_count(def) == 0)
        abort();
    FILE *sink = fopen("/dev/null", "w");
    if (sink) {
        pv_def_write_dot(def, sink);
        fclose(sink);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    pv_def_t *sentinel = (pv_def_t *)&sentinel, *def = sentinel;
    char err[512];
    memset(err, 0x7f, sizeof err);
    int rc = pv_def_load((const char *)data, size, "fuzz.yaml", &def, err, sizeof err);
    if (rc == 0) {
        if (def == sentinel || !def)
            abort();
        check_loaded(def);
        pv_def_free(def);
        return 0;
    }
    if (rc >= 0 || def != sentinel || !memchr(err, '\0', sizeof err) ||
        strncmp(err, "fuzz.yaml", 9) != 0)
        abort();
    return 0;
}
