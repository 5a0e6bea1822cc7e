/* The events of `pravah demo` (demo_source.h): the generator, or a script. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "demo_source.h"
#include "pravah/calendar.h"
#include "pravah/event.h"

#define IST_MIN 330

struct pv_demo_source_s {
    pv_loadgen_t *gen; /* the generator, or NULL for a script */
    FILE *script;
    const char *path;
    unsigned long lineno;
    char *line;
    size_t cap;
    pv_arena_t arena; /* the current script event */
    pv_header_t headers[PV_EVENT_NHEADERS];
    char *raw; /* an event that does not decode is sent as its JSON text */
    char *expect;
};

pv_demo_source_t *pv_demo_source_new(const pv_demo_opts_t *opt, char *err, size_t errlen)
{
    pv_demo_source_t *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    pv_arena_init(&s->arena, 0);
    if (opt->script) {
        s->path = opt->script;
        if (!(s->script = fopen(opt->script, "r"))) {
            snprintf(err, errlen, "%s: cannot read the script", opt->script);
            pv_demo_source_free(s);
            return NULL;
        }
        return s;
    }
    pv_loadgen_config_t cfg = {.seed = opt->seed,
                               .days = opt->days,
                               .ulbs = opt->ulbs,
                               .districts = opt->districts,
                               .events_per_day = opt->events_per_day,
                               .start = opt->start,
                               .schemas = pv_cli_schemas_dir()};
    pv_loadgen_config_defaults(&cfg);
    if (!(s->gen = pv_loadgen_new(&cfg, err, errlen))) {
        pv_demo_source_free(s);
        return NULL;
    }
    return s;
}

/* A script line that names an event but does not decode: sent as it is (JSON text, no ce_*
 * headers), so the advancer rejects it as malformed, as it would a broken portal's message. */
static void raw_event(pv_demo_source_t *s, json_t *event, pv_loadgen_event_t *ev)
{
    free(s->raw);
    s->raw = json_dumps(event, JSON_COMPACT);
    const char *subject = json_string_value(json_object_get(event, "subject"));
    ev->key = subject ? subject : "";
    ev->key_len = strlen(ev->key);
    ev->headers = NULL;
    ev->nheaders = 0;
    ev->value = s->raw;
    ev->value_len = s->raw ? strlen(s->raw) : 0;
}

/* One {"at": TIME, "event": {...}} line into ev; 0, or 2 for a line without an event. */
static int script_event(pv_demo_source_t *s, json_t *line, pv_loadgen_event_t *ev, char *err,
                        size_t errlen)
{
    json_t *at = json_object_get(line, "at"), *event = json_object_get(line, "event");
    if (!event)
        return 2;
    if (!json_is_string(at) || pv_time_parse(json_string_value(at), IST_MIN, &ev->at) != 0) {
        snprintf(err, errlen, "%s:%lu: \"at\" must be an RFC 3339 time", s->path, s->lineno);
        return -1;
    }
    free(s->expect);
    const char *why = json_string_value(json_object_get(line, "expect"));
    s->expect = why ? strdup(why) : NULL;
    ev->expect = s->expect;
    char *text = json_dumps(event, JSON_COMPACT);
    pv_event_t e;
    pv_reject_t rej;
    if (text && pv_event_decode_json(text, strlen(text), NULL, &s->arena, &e, &rej) == 0) {
        ev->key = e.subject;
        ev->key_len = strlen(e.subject);
        ev->nheaders = pv_event_headers(&e, s->headers);
        ev->headers = s->headers;
        ev->value = e.data;
        ev->value_len = e.data_len;
        const char *type = json_string_value(json_object_get(event, "type"));
        ev->domain = type && strchr(type, '.') ? type : "script";
    } else {
        raw_event(s, event, ev);
        ev->domain = "script";
    }
    free(text);
    return 0;
}

static int script_next(pv_demo_source_t *s, pv_loadgen_event_t *ev, char *err, size_t errlen)
{
    for (;;) {
        pv_arena_reset(&s->arena);
        if (getline(&s->line, &s->cap, s->script) < 0)
            return 1;
        s->lineno++;
        if (strspn(s->line, " \t\r\n") == strlen(s->line))
            continue;
        json_error_t jerr;
        json_t *line = json_loads(s->line, 0, &jerr);
        if (!line) {
            snprintf(err, errlen, "%s:%lu: %s", s->path, s->lineno, jerr.text);
            return -1;
        }
        memset(ev, 0, sizeof *ev);
        int rc = script_event(s, line, ev, err, errlen);
        json_decref(line);
        if (rc != 2)
            return rc;
    }
}

int pv_demo_source_next(pv_demo_source_t *s, pv_loadgen_event_t *ev, char *err, size_t errlen)
{
    if (s->gen)
        return pv_loadgen_next(s->gen, ev);
    return script_next(s, ev, err, errlen);
}

void pv_demo_source_free(pv_demo_source_t *s)
{
    if (!s)
        return;
    if (s->gen)
        pv_loadgen_free(s->gen);
    if (s->script)
        fclose(s->script);
    free(s->line);
    free(s->raw);
    free(s->expect);
    pv_arena_close(&s->arena);
    free(s);
}
