/* `pravah demo --walkthrough`: walks a script of portal events through the engine alone (no
 * broker, no database) on a simulated clock and prints each journal record, each rejection with
 * its reason, the alerts the clock raises, the final state of every case, and a check that
 * folding the journal rebuilds every case. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "demo.h"
#include "files.h"
#include "pravah/store.h"

#define IST_MIN 330

typedef struct demo_s {
    pv_engine_t *eng;
    pv_directory_t *dir;
    pv_store_t *store;
    pv_arena_t arena;
    pv_buf_t *journal; /* wire records */
    size_t njournal, cap;
    pv_time_t now;
    size_t accepted, rejected, alerts;
} demo_t;

static void demo_usage(FILE *out)
{
    fprintf(out,
            "usage: pravah demo --walkthrough [SCRIPT.jsonl]\n\n"
            "Plays a script of events (default $PRAVAH_SCHEMAS/demo/walkthrough.jsonl) through\n"
            "the engine on a simulated clock. Script lines: {\"note\": TEXT},\n"
            "{\"at\": TIME, \"event\": CLOUDEVENT} or {\"advance\": TIME}.\n");
}

static int on_record(void *ctx, const pv_record_t *rec)
{
    demo_t *d = ctx;
    char when[32], due[32] = "-";
    if (d->njournal == d->cap) {
        d->cap = d->cap ? d->cap * 2 : 64;
        pv_buf_t *j = realloc(d->journal, d->cap * sizeof *j);
        if (!j)
            return PV_ENOMEM;
        d->journal = j;
    }
    pv_buf_init(&d->journal[d->njournal]);
    int rc = pv_record_encode(rec, &d->journal[d->njournal++]);
    pv_time_format(rec->accepted_at, IST_MIN, when);
    if (rec->deadline)
        pv_time_format(rec->deadline, IST_MIN, due);
    char hex[65];
    pv_hash_hex(rec->hash, hex);
    if (rec->kind == PV_KIND_EVENT) {
        d->accepted++;
        printf("  %.16s  %-24s #%-2llu %-22s %s -> %s\n", when, rec->case_id,
               (unsigned long long)rec->seq, rec->event_type + strcspn(rec->event_type, ".") + 1,
               rec->prev_state[0] ? rec->prev_state : "(new)", rec->new_state);
        printf("  %16s  by %s (%s, %s); pending with %s, due %.16s; hash %.16s...\n", "",
               rec->actor, rec->actor_role, rec->actor_post[0] ? rec->actor_post : "-",
               rec->assignee[0] ? rec->assignee : "-", due, hex);
    } else {
        d->alerts++;
        printf("  %.16s  %-24s #%-2llu ALERT %s level %u -> %s (desk %s, deadline %.16s)\n", when,
               rec->case_id, (unsigned long long)rec->seq, pv_record_kind_name(rec->kind),
               rec->alert_level, rec->alert_target[0] ? rec->alert_target : "(no post)",
               rec->assignee, due);
    }
    return rc;
}

static int fire_until(demo_t *d, pv_time_t t)
{
    int n;
    do
        n = pv_store_fire_due(d->store, t, 1000, &d->arena, on_record, d);
    while (n == 1000);
    if (t > d->now)
        d->now = t;
    return n < 0 ? n : 0;
}

static int play_event(demo_t *d, json_t *ev)
{
    char *text = json_dumps(ev, JSON_COMPACT);
    pv_event_t event;
    pv_reject_t rej;
    pv_limits_t lim;
    pv_limits_default(&lim);
    int rc =
        text ? pv_event_decode_json(text, strlen(text), &lim, &d->arena, &event, &rej) : PV_ENOMEM;
    if (rc == 0)
        rc = pv_store_apply(d->store, &event, d->now, &d->arena, on_record, d, &rej);
    if (rc == PV_EREJECTED) {
        d->rejected++;
        printf("  REJECTED %s: %s%s%s%s\n", json_string_value(json_object_get(ev, "id")),
               pv_reject_code_name(rej.code), rej.field[0] ? " (" : "", rej.field,
               rej.field[0] ? ")" : "");
        printf("           %s\n", rej.message);
        rc = 0;
    }
    free(text);
    return rc;
}

static int play_line(demo_t *d, json_t *line)
{
    json_t *note = json_object_get(line, "note"), *at = json_object_get(line, "at"),
           *adv = json_object_get(line, "advance"), *ev = json_object_get(line, "event");
    pv_time_t t;
    if (json_is_string(note))
        printf("\n%s\n", json_string_value(note));
    json_t *when = at ? at : adv;
    if (when) {
        if (!json_is_string(when) || pv_time_parse(json_string_value(when), IST_MIN, &t) != 0)
            return PV_EINVAL;
        int rc = fire_until(d, t);
        if (rc)
            return rc;
    }
    return ev ? play_event(d, ev) : 0;
}

static int play_script(demo_t *d, const char *path)
{
    char *text, err[512];
    size_t len;
    if (pv_file_read(path, &text, &len, err, sizeof err) != 0) {
        fprintf(stderr, "pravah demo: %s\n", err);
        return 1;
    }
    int lineno = 0, rc = 0;
    for (char *save, *line = strtok_r(text, "\n", &save); line && !rc;
         line = strtok_r(NULL, "\n", &save)) {
        json_error_t jerr;
        lineno++;
        json_t *j = json_loads(line, 0, &jerr);
        rc = j ? play_line(d, j) : PV_EINVAL;
        if (rc)
            fprintf(stderr, "%s:%d: %s\n", path, lineno, j ? pv_strerror(rc) : jerr.text);
        json_decref(j);
        pv_arena_reset(&d->arena);
    }
    free(text);
    return rc ? 1 : 0;
}

/* Folds the journal, from its bytes, into an empty store: it must give back every case. */
static int check_rebuild(demo_t *d)
{
    pv_store_t *fresh = pv_store_new(d->eng, NULL);
    char err[256];
    int bad = 0;
    for (size_t i = 0; i < d->njournal && !bad; i++) {
        pv_record_t rec;
        bad = pv_record_decode(d->journal[i].data, d->journal[i].len, &d->arena, &rec, err,
                               sizeof err) ||
              pv_record_verify_seal(&rec, err, sizeof err) ||
              pv_store_fold(fresh, &rec, &d->arena, err, sizeof err);
    }
    for (size_t i = 0; i < pv_store_case_count(d->store) && !bad; i++) {
        const pv_case_t *live = pv_store_case_at(d->store, i);
        const pv_case_t *again = pv_store_get(fresh, live->id);
        bad = !again || again->seq != live->seq || again->state != live->state ||
              memcmp(again->hash, live->hash, PV_HASH_LEN) != 0 ||
              again->deadline != live->deadline;
        if (bad)
            snprintf(err, sizeof err, "case %s differs after rebuild", live->id);
    }
    char head[65];
    pv_hash_hex(pv_store_chain(fresh)->head, head);
    if (bad)
        printf("\nREBUILD FAILED: %s\n", err);
    else
        printf("\nJournal: %zu records, both hash chains verify; folding them rebuilds all %zu "
               "cases exactly.\nPartition head: pseq %llu, %s\n",
               d->njournal, pv_store_case_count(d->store),
               (unsigned long long)pv_store_chain(fresh)->pseq, head);
    pv_store_free(fresh);
    return bad;
}

static void print_cases(demo_t *d)
{
    char now[32];
    pv_time_format(d->now, IST_MIN, now);
    printf("\nFinal state (simulated clock at %.16s):\n", now);
    for (size_t i = 0; i < pv_store_case_count(d->store); i++) {
        const pv_case_t *c = pv_store_case_at(d->store, i);
        char due[32] = "-";
        if (c->deadline)
            pv_time_format(c->deadline, IST_MIN, due);
        printf("  %-24s %-10s v%d  state %-20s pending with %-28s due %.16s%s\n", c->id,
               pv_def_name(c->def), pv_def_version(c->def), pv_case_state_name(c),
               c->assignee[0] ? c->assignee : "-", due, c->esc_level ? "  (breached)" : "");
    }
    printf("\n%zu events accepted, %zu rejected (kept with their reasons), %zu alerts raised.\n",
           d->accepted, d->rejected, d->alerts);
}

int pv_demo_walkthrough(int argc, char **argv)
{
    if (pv_cli_wants_help(argc, argv)) {
        demo_usage(stdout);
        return 0;
    }
    char err[1024], script[4096];
    demo_t d = {0};
    pv_engine_config_t cfg = {"demo-salt"};
    int rc = 1;
    snprintf(script, sizeof script, "%s", argc > 1 ? argv[1] : "");
    if (argc <= 1)
        snprintf(script, sizeof script, "%s/demo/walkthrough.jsonl", pv_cli_schemas_dir());
    d.eng = pv_engine_new(&cfg);
    d.dir = pv_directory_new();
    pv_arena_init(&d.arena, 0);
    if (!d.eng || !d.dir ||
        pv_load_schemas(d.eng, d.dir, pv_cli_schemas_dir(), err, sizeof err) != 0) {
        fprintf(stderr, "pravah demo: %s\n", d.eng && d.dir ? err : "out of memory");
        goto out;
    }
    d.store = pv_store_new(d.eng, d.dir);
    printf("Pravah engine walkthrough: %zu workflow definitions, %zu officers in the directory.\n",
           pv_engine_definition_count(d.eng), pv_directory_officer_count(d.dir));
    if (play_script(&d, script) == 0) {
        print_cases(&d);
        rc = check_rebuild(&d);
    }
out:
    for (size_t i = 0; i < d.njournal; i++)
        pv_buf_close(&d.journal[i]);
    free(d.journal);
    pv_store_free(d.store);
    pv_engine_free(d.eng);
    pv_directory_free(d.dir);
    pv_arena_close(&d.arena);
    return rc;
}
