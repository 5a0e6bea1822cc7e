/* libFuzzer target for the rejected-payload redaction (engine/redact.c).
 *
 * The input is a refused event's payload, any bytes. The engine holds the grievance definition
 * (its `aadhaar` and `family_id` fields) and its calendar, read once from the source tree.
 * Besides "no crash, no leak" it checks:
 *  - with nothing masked, the copy is the payload byte for byte;
 *  - a payload that is one msgpack map gives one msgpack map, with at least as many members;
 *  - the copy is never empty unless the payload is. */
#include <msgpack.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pravah/buf.h"
#include "pravah/engine.h"
#include "pravah/record.h"

static pv_engine_t *eng;
static pv_buf_t out;

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *buf = malloc(1 << 20);
    *len = buf ? fread(buf, 1, (1 << 20) - 1, f) : 0;
    fclose(f);
    return buf;
}

static void load_engine(void)
{
    char err[512];
    size_t len;
    pv_engine_config_t cfg = {"fuzz-salt"};
    pv_calendar_t *cal;
    pv_def_t *def;
    eng = pv_engine_new(&cfg);
    char *cal_yaml = slurp(PV_SOURCE_DIR "/schemas/calendars/haryana.yaml", &len);
    if (!eng || !cal_yaml ||
        pv_calendar_load(cal_yaml, len, "haryana.yaml", &cal, err, sizeof err) ||
        pv_engine_add_calendar(eng, cal))
        abort();
    free(cal_yaml);
    char *def_yaml = slurp(PV_SOURCE_DIR "/schemas/workflows/grievance.yaml", &len);
    if (!def_yaml || pv_def_load(def_yaml, len, "grievance.yaml", &def, err, sizeof err) ||
        pv_engine_add_definition(eng, def, err, sizeof err))
        abort();
    free(def_yaml);
    pv_buf_init(&out);
}

/* The number of members when p[0..n) is exactly one msgpack map, else -1. */
static long map_size(const uint8_t *p, size_t n)
{
    /* walked first, as redact.c does: msgpack-c allocates for a claimed count before reading */
    if (pv_msgpack_check_map(p, n))
        return -1;
    msgpack_unpacked up;
    msgpack_unpacked_init(&up);
    size_t off = 0;
    long size = -1;
    if (msgpack_unpack_next(&up, (const char *)p, n, &off) == MSGPACK_UNPACK_SUCCESS && off == n &&
        up.data.type == MSGPACK_OBJECT_MAP)
        size = up.data.via.map.size;
    msgpack_unpacked_destroy(&up);
    return size;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!eng)
        load_engine();
    size_t masked;
    if (pv_engine_redact_payload(eng, data, size, &out, &masked))
        abort();
    if (masked == 0 && (out.len != size || (size && memcmp(out.data, data, size) != 0)))
        abort();
    if (size > 0 && out.len == 0)
        abort();
    long in_members = map_size(data, size);
    if (in_members >= 0 && map_size(out.data, out.len) < in_members)
        abort();
    return 0;
}
