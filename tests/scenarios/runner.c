/* pv_scenario: plays scenario files (tests/scenarios/README.md) through the engine on a simulated
 * clock, checks the expectations after every step, then verifies the journal's chains and that
 * folding the journal rebuilds every case exactly.
 *
 * Usage: pv_scenario [-v] [--journal-out LIST] FILE...   exit status 0 when every file passes.
 * LIST gets one line per journal record: case_id, seq, kind, hash (tab-separated). */
#include <msgpack.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "definition_types.h"
#include "files.h"
#include "pravah/store.h"
#include "yaml_json.h"

#define IST_MIN 330

typedef struct journal_s {
    pv_buf_t *wire; /* encoded records, one buffer each */
    size_t n, cap;
} journal_t;

typedef struct run_s {
    const char *file;
    pv_yaml_t y;
    pv_engine_t *eng;
    pv_directory_t *dir;
    pv_store_t *store;
    pv_arena_t arena;
    journal_t journal;
    size_t step_first; /* journal index where the current step's records start */
    pv_time_t now;
    char current_case[PV_CASE_ID_MAX];
    int verbose, failures, step;
} run_t;

static void failf(run_t *r, yaml_node_t *at, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "%s:%d: step %d: ", r->file, pv_yaml_line(at), r->step);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    r->failures++;
}

static void print_record(const pv_record_t *rec)
{
    char when[32], due[32];
    pv_time_format(rec->accepted_at, IST_MIN, when);
    if (rec->deadline)
        pv_time_format(rec->deadline, IST_MIN, due);
    printf("  %s #%llu %-14s %-28s %s -> %s  desk=%s due=%s%s%s\n", rec->case_id,
           (unsigned long long)rec->seq, pv_record_kind_name(rec->kind), rec->event_type,
           rec->prev_state[0] ? rec->prev_state : "(new)", rec->new_state,
           rec->assignee[0] ? rec->assignee : "-", rec->deadline ? due : "-",
           rec->alert_target[0] ? " alert=" : "", rec->alert_target);
    printf("      at %s\n", when);
}

/* Journals a record: keeps its wire bytes for the end-of-run checks. */
static int on_record(void *ctx, const pv_record_t *rec)
{
    run_t *r = ctx;
    journal_t *j = &r->journal;
    if (j->n == j->cap) {
        j->cap = j->cap ? j->cap * 2 : 64;
        j->wire = realloc(j->wire, j->cap * sizeof *j->wire);
    }
    pv_buf_init(&j->wire[j->n]);
    int rc = pv_record_encode(rec, &j->wire[j->n]);
    j->n++;
    if (r->verbose)
        print_record(rec);
    return rc;
}

/* ---- setup ---- */

static int add_directory(run_t *r, yaml_node_t *n)
{
    static const char *const sections[] = {"offices", "posts", "officers"};
    for (int s = 0; s < 3; s++) {
        yaml_node_t *list = pv_yaml_get(&r->y, n, sections[s]);
        for (size_t i = 0; list && i < pv_yaml_len(list); i++) {
            yaml_node_t *e = pv_yaml_seq_at(&r->y, list, i);
#define F(k) (pv_yaml_str(pv_yaml_get(&r->y, e, k)) ? pv_yaml_str(pv_yaml_get(&r->y, e, k)) : "")
            int rc = s == 0   ? pv_directory_put_office(r->dir, F("id"), F("name"), F("kind"),
                                                        F("parent"), F("district"))
                     : s == 1 ? pv_directory_put_post(r->dir, F("id"), F("role"), F("office"),
                                                      F("reports_to"))
                              : pv_directory_put_officer(r->dir, F("id"), F("name"), F("post"));
#undef F
            if (rc) {
                failf(r, e, "directory entry rejected: %s", pv_strerror(rc));
                return rc;
            }
        }
    }
    return 0;
}

static int setup(run_t *r, yaml_node_t *root)
{
    char err[1024];
    pv_engine_config_t cfg = {"scenario-salt"};
    r->eng = pv_engine_new(&cfg);
    r->dir = pv_directory_new();
    if (pv_load_schemas(r->eng, r->dir, PV_SOURCE_DIR "/schemas", err, sizeof err) != 0) {
        fprintf(stderr, "%s\n", err);
        return -1;
    }
    yaml_node_t *defs = pv_yaml_get(&r->y, root, "definitions");
    for (size_t i = 0; defs && i < pv_yaml_len(defs); i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", PV_SOURCE_DIR,
                 pv_yaml_str(pv_yaml_seq_at(&r->y, defs, i)));
        if (pv_load_definition_file(r->eng, path, err, sizeof err) != 0) {
            fprintf(stderr, "%s\n", err);
            return -1;
        }
    }
    yaml_node_t *dir = pv_yaml_get(&r->y, root, "directory");
    if (dir && add_directory(r, dir) != 0)
        return -1;
    const char *start = pv_yaml_str(pv_yaml_get(&r->y, root, "start"));
    if (!start || pv_time_parse(start, IST_MIN, &r->now) != 0) {
        failf(r, root, "`start` must be an RFC 3339 time");
        return -1;
    }
    r->store = pv_store_new(r->eng, r->dir);
    pv_arena_init(&r->arena, 0);
    return 0;
}

static int advance_clock(run_t *r, pv_time_t to)
{
    if (to < r->now) {
        failf(r, NULL, "the clock cannot go back");
        return -1;
    }
    int n;
    do
        n = pv_store_fire_due(r->store, to, 1000, &r->arena, on_record, r);
    while (n == 1000);
    r->now = to;
    return n < 0 ? -1 : 0;
}

/* "2026-05-01T10:00:00+05:30", "2026-05-01", or a duration "10d", "36h", "90m". */
static int parse_when(run_t *r, const char *s, pv_time_t *out)
{
    char *end;
    long long v = strtoll(s, &end, 10);
    if (end != s && (strcmp(end, "d") == 0 || strcmp(end, "h") == 0 || strcmp(end, "m") == 0)) {
        *out = r->now + v * (*end == 'd' ? 86400000LL : *end == 'h' ? 3600000LL : 60000LL);
        return 0;
    }
    return pv_time_parse(s, IST_MIN, out);
}

/* ---- expectations ---- */

/* A record field by its pv_record_t name, as text; NULL if there is no such field. */
static const char *record_field(const pv_record_t *rec, const char *name, char *buf, size_t cap)
{
#define S(f)                                                                                       \
    if (strcmp(name, #f) == 0)                                                                     \
        return rec->f;
#define N(f)                                                                                       \
    if (strcmp(name, #f) == 0) {                                                                   \
        snprintf(buf, cap, "%lld", (long long)rec->f);                                             \
        return buf;                                                                                \
    }
    S(case_id) S(case_type) S(event_id) S(event_type) S(source) S(actor) S(actor_post)
    S(actor_role) S(event_time) S(prev_state) S(new_state) S(assignee) S(alert_target) S(office)
    N(seq) N(def_version) N(accepted_at) N(alert_level) N(pseq)
#undef S
#undef N
    if (strcmp(name, "kind") == 0)
        return pv_record_kind_name(rec->kind);
    if (strcmp(name, "deadline") == 0) {
        if (!rec->deadline)
            return "";
        pv_time_format(rec->deadline, IST_MIN, buf);
        return buf;
    }
    return NULL;
}

/* Value of a data field of the record as text (strings as is, numbers in decimal). */
static const char *data_field(const pv_record_t *rec, const char *key, char *buf, size_t cap)
{
    msgpack_unpacked up;
    const char *res = NULL;
    msgpack_unpacked_init(&up);
    if (msgpack_unpack_next(&up, (const char *)rec->data, rec->data_len, NULL) ==
            MSGPACK_UNPACK_SUCCESS &&
        up.data.type == MSGPACK_OBJECT_MAP)
        for (uint32_t i = 0; i < up.data.via.map.size && !res; i++) {
            msgpack_object *k = &up.data.via.map.ptr[i].key, *v = &up.data.via.map.ptr[i].val;
            if (k->type != MSGPACK_OBJECT_STR || k->via.str.size != strlen(key) ||
                memcmp(k->via.str.ptr, key, k->via.str.size) != 0)
                continue;
            if (v->type == MSGPACK_OBJECT_STR)
                snprintf(buf, cap, "%.*s", (int)v->via.str.size, v->via.str.ptr);
            else if (v->type == MSGPACK_OBJECT_POSITIVE_INTEGER)
                snprintf(buf, cap, "%llu", (unsigned long long)v->via.u64);
            else if (v->type == MSGPACK_OBJECT_NEGATIVE_INTEGER)
                snprintf(buf, cap, "%lld", (long long)v->via.i64);
            else if (v->type == MSGPACK_OBJECT_BOOLEAN)
                snprintf(buf, cap, "%s", v->via.boolean ? "true" : "false");
            else
                snprintf(buf, cap, "(other)");
            res = buf;
        }
    msgpack_unpacked_destroy(&up);
    return res;
}

static int decode_journal(run_t *r, size_t i, pv_record_t *rec)
{
    char err[256];
    int rc = pv_record_decode(r->journal.wire[i].data, r->journal.wire[i].len, &r->arena, rec, err,
                              sizeof err);
    if (rc)
        failf(r, NULL, "journal record %zu does not decode: %s", i, err);
    return rc;
}

static int same_text(const char *want, const char *got)
{
    char *end;
    double a = strtod(want, &end);
    if (*want && !*end) {
        char *end2;
        double b = strtod(got, &end2);
        if (*got && !*end2)
            return a == b;
    }
    return strcmp(want, got) == 0;
}

/* Deadlines compare as times, so any offset may be written. */
static int same_time(run_t *r, const char *want, pv_time_t got)
{
    pv_time_t t;
    if (!*want)
        return got == 0;
    return parse_when(r, want, &t) == 0 && t == got;
}

static void expect_record(run_t *r, yaml_node_t *exp, const pv_record_t *rec)
{
    char buf[128];
    for (size_t i = 0; i < pv_yaml_len(exp); i++) {
        yaml_node_t *v, *k;
        const char *key = pv_yaml_map_at(&r->y, exp, i, &k, &v);
        if (strcmp(key, "data") == 0) {
            for (size_t j = 0; j < pv_yaml_len(v); j++) {
                yaml_node_t *dv;
                const char *dk = pv_yaml_map_at(&r->y, v, j, NULL, &dv);
                const char *got = data_field(rec, dk, buf, sizeof buf);
                if (!got || !same_text(pv_yaml_str(dv), got))
                    failf(r, dv, "record data.%s: expected '%s', got '%s'", dk, pv_yaml_str(dv),
                          got ? got : "(absent)");
            }
            continue;
        }
        const char *got = record_field(rec, key, buf, sizeof buf);
        const char *want = pv_yaml_str(v) ? pv_yaml_str(v) : "";
        if (!got)
            failf(r, k, "record has no field '%s'", key);
        else if (strcmp(key, "deadline") == 0 ? !same_time(r, want, rec->deadline)
                                              : !same_text(want, got))
            failf(r, v, "record %s: expected '%s', got '%s'", key, want, got);
    }
}

static void expect_alerts(run_t *r, yaml_node_t *list)
{
    size_t k = 0;
    for (size_t i = r->step_first; i < r->journal.n; i++) {
        pv_record_t rec;
        if (decode_journal(r, i, &rec) || rec.kind == PV_KIND_EVENT)
            continue;
        yaml_node_t *want = pv_yaml_seq_at(&r->y, list, k++);
        if (!want) {
            failf(r, list, "unexpected alert %s level %u for %s (target %s)",
                  pv_record_kind_name(rec.kind), rec.alert_level, rec.case_id, rec.alert_target);
            continue;
        }
        static const struct {
            const char *key, *field;
        } map[] = {{"kind", "kind"},     {"level", "alert_level"},  {"target", "alert_target"},
                   {"case", "case_id"},  {"at", "accepted_at"},    {"assignee", "assignee"}};
        for (size_t m = 0; m < sizeof map / sizeof map[0]; m++) {
            yaml_node_t *v = pv_yaml_get(&r->y, want, map[m].key);
            char buf[64];
            if (!v)
                continue;
            const char *got = record_field(&rec, map[m].field, buf, sizeof buf);
            int ok = strcmp(map[m].key, "at") == 0 ? same_time(r, pv_yaml_str(v), rec.accepted_at)
                                                   : same_text(pv_yaml_str(v), got);
            if (!ok && strcmp(map[m].key, "at") == 0)
                pv_time_format(rec.accepted_at, IST_MIN, buf);
            if (!ok)
                failf(r, v, "alert %zu %s: expected '%s', got '%s'", k, map[m].key,
                      pv_yaml_str(v), strcmp(map[m].key, "at") == 0 ? buf : got);
        }
    }
    if (k < pv_yaml_len(list))
        failf(r, list, "expected %zu alert(s), %zu fired", pv_yaml_len(list), k);
}

static void expect_case_fields(run_t *r, yaml_node_t *exp, const pv_case_t *c)
{
    for (size_t i = 0; i < pv_yaml_len(exp); i++) {
        yaml_node_t *v;
        const char *key = pv_yaml_map_at(&r->y, exp, i, NULL, &v);
        double got, want;
        pv_time_t t;
        if (pv_case_field(c, key, &got) != 0) {
            failf(r, v, "case has no field '%s'", key);
            continue;
        }
        const char *s = pv_yaml_str(v);
        /* Date fields may be written as dates. */
        if (s && strchr(s, '-') && s[0] != '-' && pv_time_parse(s, IST_MIN, &t) == 0)
            want = (double)t;
        else
            want = s ? strtod(s, NULL) : 0;
        if (got != want)
            failf(r, v, "case.%s: expected %s, got %.17g", key, s ? s : "?", got);
    }
}

static void expect_case(run_t *r, yaml_node_t *exp, const pv_case_t *c)
{
    char buf[64];
    yaml_node_t *v;
    if (!c) {
        static const char *const keys[] = {"state", "seq", "version", "assignee", "deadline",
                                           "case"};
        for (size_t i = 0; i < 6; i++)
            if ((v = pv_yaml_get(&r->y, exp, keys[i])))
                failf(r, v, "case %s does not exist", r->current_case);
        return;
    }
    if ((v = pv_yaml_get(&r->y, exp, "state")) && strcmp(pv_yaml_str(v), pv_case_state_name(c)))
        failf(r, v, "state: expected %s, got %s", pv_yaml_str(v), pv_case_state_name(c));
    snprintf(buf, sizeof buf, "%llu", (unsigned long long)c->seq);
    if ((v = pv_yaml_get(&r->y, exp, "seq")) && !same_text(pv_yaml_str(v), buf))
        failf(r, v, "seq: expected %s, got %s", pv_yaml_str(v), buf);
    snprintf(buf, sizeof buf, "%d", pv_def_version(c->def));
    if ((v = pv_yaml_get(&r->y, exp, "version")) && !same_text(pv_yaml_str(v), buf))
        failf(r, v, "version: expected %s, got %s", pv_yaml_str(v), buf);
    if ((v = pv_yaml_get(&r->y, exp, "assignee")) &&
        strcmp(pv_yaml_str(v) ? pv_yaml_str(v) : "", c->assignee))
        failf(r, v, "assignee: expected '%s', got '%s'", pv_yaml_str(v), c->assignee);
    if ((v = pv_yaml_get(&r->y, exp, "deadline")) &&
        !same_time(r, pv_yaml_str(v) ? pv_yaml_str(v) : "", c->deadline)) {
        if (c->deadline)
            pv_time_format(c->deadline, IST_MIN, buf);
        failf(r, v, "deadline: expected '%s', got '%s'", pv_yaml_str(v), c->deadline ? buf : "");
    }
    if ((v = pv_yaml_get(&r->y, exp, "case")))
        expect_case_fields(r, v, c);
}

static void check_expect(run_t *r, yaml_node_t *exp, const pv_reject_t *rej, int rejected)
{
    static const char *const keys[] = {"state", "seq", "version", "assignee", "deadline", "case",
                                       "record", "reject", "field", "message_contains", "alerts",
                                       "no_alerts", NULL};
    yaml_node_t *v;
    char err[512];
    if (pv_yaml_check_keys(&r->y, exp, keys, err, sizeof err) != 0) {
        fprintf(stderr, "%s\n", err);
        r->failures++;
        return;
    }
    if ((v = pv_yaml_get(&r->y, exp, "reject"))) {
        if (!rejected)
            failf(r, v, "expected rejection %s, but the event was accepted", pv_yaml_str(v));
        else if (strcmp(pv_yaml_str(v), pv_reject_code_name(rej->code)) != 0)
            failf(r, v, "expected rejection %s, got %s (%s: %s)", pv_yaml_str(v),
                  pv_reject_code_name(rej->code), rej->field, rej->message);
        if (rejected && (v = pv_yaml_get(&r->y, exp, "field")) &&
            strcmp(pv_yaml_str(v), rej->field) != 0)
            failf(r, v, "expected rejected field %s, got %s", pv_yaml_str(v), rej->field);
        if (rejected && (v = pv_yaml_get(&r->y, exp, "message_contains")) &&
            !strstr(rej->message, pv_yaml_str(v)))
            failf(r, v, "rejection message '%s' does not contain '%s'", rej->message,
                  pv_yaml_str(v));
    } else if (rejected) {
        failf(r, exp, "event rejected: %s (%s): %s", pv_reject_code_name(rej->code), rej->field,
              rej->message);
    }
    expect_case(r, exp, pv_store_get(r->store, r->current_case));
    if ((v = pv_yaml_get(&r->y, exp, "record"))) {
        pv_record_t rec;
        size_t i = r->step_first;
        while (i < r->journal.n && (decode_journal(r, i, &rec) || rec.kind != PV_KIND_EVENT))
            i++;
        if (i == r->journal.n)
            failf(r, v, "no event record was journaled in this step");
        else
            expect_record(r, v, &rec);
    }
    if ((v = pv_yaml_get(&r->y, exp, "alerts")))
        expect_alerts(r, v);
    if ((v = pv_yaml_get(&r->y, exp, "no_alerts")) && strcmp(pv_yaml_str(v), "true") == 0) {
        for (size_t i = r->step_first; i < r->journal.n; i++) {
            pv_record_t rec;
            if (!decode_journal(r, i, &rec) && rec.kind != PV_KIND_EVENT)
                failf(r, v, "unexpected alert %s for %s", pv_record_kind_name(rec.kind),
                      rec.case_id);
        }
    }
}

/* ---- steps ---- */

static int run_event(run_t *r, yaml_node_t *evnode, pv_reject_t *rej)
{
    json_t *j = pv_yaml_to_json(&r->y, evnode);
    char *text = j ? json_dumps(j, JSON_COMPACT) : NULL;
    pv_event_t ev;
    pv_limits_t lim;
    pv_limits_default(&lim);
    json_t *subject = json_object_get(j, "subject");
    if (json_is_string(subject))
        snprintf(r->current_case, sizeof r->current_case, "%s", json_string_value(subject));
    int rc = text ? pv_event_decode_json(text, strlen(text), &lim, &r->arena, &ev, rej) : -1;
    if (rc == 0 && advance_clock(r, r->now) != 0)
        rc = -1;
    if (rc == 0)
        rc = pv_store_apply(r->store, &ev, r->now, &r->arena, on_record, r, rej);
    free(text);
    json_decref(j);
    if (r->verbose && rc == PV_EREJECTED)
        printf("  rejected: %s (%s): %s\n", pv_reject_code_name(rej->code), rej->field,
               rej->message);
    return rc;
}

static int run_step(run_t *r, yaml_node_t *step)
{
    static const char *const keys[] = {"at", "advance", "event", "expect", "case", "load", "note",
                                       NULL};
    char err[1024];
    pv_time_t t;
    pv_reject_t rej = {0};
    int rc = 0;
    if (pv_yaml_check_keys(&r->y, step, keys, err, sizeof err) != 0) {
        fprintf(stderr, "%s\n", err);
        return -1;
    }
    r->step_first = r->journal.n;
    yaml_node_t *at = pv_yaml_get(&r->y, step, "at"), *adv = pv_yaml_get(&r->y, step, "advance"),
                *ev = pv_yaml_get(&r->y, step, "event"), *cs = pv_yaml_get(&r->y, step, "case"),
                *load = pv_yaml_get(&r->y, step, "load");
    yaml_node_t *when = at ? at : adv;
    if (when && (parse_when(r, pv_yaml_str(when), &t) != 0 || advance_clock(r, t) != 0)) {
        failf(r, when, "bad time '%s'", pv_yaml_str(when));
        return -1;
    }
    if (load) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", PV_SOURCE_DIR, pv_yaml_str(load));
        if (pv_load_definition_file(r->eng, path, err, sizeof err) != 0) {
            failf(r, load, "%s", err);
            return -1;
        }
    }
    if (cs)
        snprintf(r->current_case, sizeof r->current_case, "%s", pv_yaml_str(cs));
    if (ev) {
        if (r->verbose)
            printf("step %d (line %d): event\n", r->step, pv_yaml_line(ev));
        rc = run_event(r, ev, &rej);
        if (rc != 0 && rc != PV_EREJECTED) {
            failf(r, ev, "event could not be run: %s", pv_strerror(rc));
            return -1;
        }
    }
    yaml_node_t *exp = pv_yaml_get(&r->y, step, "expect");
    if (exp)
        check_expect(r, exp, &rej, rc == PV_EREJECTED);
    else if (rc == PV_EREJECTED)
        failf(r, ev, "event rejected: %s (%s): %s", pv_reject_code_name(rej.code), rej.field,
              rej.message);
    return 0;
}

/* ---- end-of-run checks ---- */

/* Both chains, as an auditor would check them, from the wire bytes alone. */
static void verify_journal(run_t *r)
{
    pv_chain_t chain = {0};
    char err[256];
    for (size_t i = 0; i < r->journal.n; i++) {
        pv_record_t rec;
        if (decode_journal(r, i, &rec))
            continue;
        if (pv_record_verify_seal(&rec, err, sizeof err) != 0)
            failf(r, NULL, "journal record %zu: %s", i, err);
        if (rec.pseq != chain.pseq + 1 || memcmp(rec.pprev, chain.head, PV_HASH_LEN) != 0)
            failf(r, NULL, "journal record %zu breaks the partition chain", i);
        chain.pseq = rec.pseq;
        memcpy(chain.head, rec.phash, PV_HASH_LEN);
    }
}

static int same_case(const pv_case_t *a, const pv_case_t *b)
{
    return strcmp(a->id, b->id) == 0 && a->def == b->def && a->state == b->state &&
           a->esc_level == b->esc_level && a->reminders_sent == b->reminders_sent &&
           a->seq == b->seq && a->actions_done == b->actions_done &&
           a->created_at == b->created_at && a->entered_at == b->entered_at &&
           a->deadline == b->deadline && a->last_alert_at == b->last_alert_at &&
           a->armed_at == b->armed_at &&
           a->next_timer == b->next_timer && strcmp(a->assignee, b->assignee) == 0 &&
           strcmp(a->previous, b->previous) == 0 && strcmp(a->creator_post, b->creator_post) == 0 &&
           strcmp(a->office, b->office) == 0 && strcmp(a->creator, b->creator) == 0 &&
           memcmp(a->fields, b->fields, a->def->ncfields * sizeof a->fields[0]) == 0 &&
           memcmp(a->hash, b->hash, PV_HASH_LEN) == 0 && memcmp(a->seen, b->seen, sizeof a->seen) == 0 &&
           a->seen_next == b->seen_next;
}

/* Folding the journal into an empty store must give back every live case exactly. */
static void verify_rebuild(run_t *r)
{
    pv_store_t *fresh = pv_store_new(r->eng, NULL);
    char err[256];
    for (size_t i = 0; i < r->journal.n; i++) {
        pv_record_t rec;
        if (decode_journal(r, i, &rec))
            continue;
        if (pv_store_fold(fresh, &rec, &r->arena, err, sizeof err) != 0)
            failf(r, NULL, "rebuild: record %zu: %s", i, err);
    }
    for (size_t i = 0; i < pv_store_case_count(r->store); i++) {
        const pv_case_t *live = pv_store_case_at(r->store, i);
        const pv_case_t *rebuilt = pv_store_get(fresh, live->id);
        if (!rebuilt || !same_case(live, rebuilt))
            failf(r, NULL, "rebuild: case %s differs from the live case", live->id);
    }
    pv_store_free(fresh);
}

/* --journal-out: one line per record, "case_id<TAB>seq<TAB>kind<TAB>hash", the format of
 * `pravah audit verify --list`, so a pipeline run can be compared with this one. */
static void write_journal_list(run_t *r, FILE *out)
{
    for (size_t i = 0; i < r->journal.n; i++) {
        pv_record_t rec;
        char hex[2 * PV_HASH_LEN + 1];
        if (decode_journal(r, i, &rec))
            continue;
        pv_hash_hex(rec.hash, hex);
        fprintf(out, "%s\t%llu\t%s\t%s\n", rec.case_id, (unsigned long long)rec.seq,
                pv_record_kind_name(rec.kind), hex);
    }
}

static void cleanup(run_t *r)
{
    for (size_t i = 0; i < r->journal.n; i++)
        pv_buf_close(&r->journal.wire[i]);
    free(r->journal.wire);
    pv_store_free(r->store);
    pv_engine_free(r->eng);
    pv_directory_free(r->dir);
    pv_arena_close(&r->arena);
    pv_yaml_close(&r->y);
}

static int run_file(const char *file, int verbose, FILE *journal_out)
{
    run_t r = {.file = file, .verbose = verbose};
    char *text, err[1024];
    size_t len;
    if (pv_file_read(file, &text, &len, err, sizeof err) != 0) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    int rc = pv_yaml_open(&r.y, text, len, file, err, sizeof err);
    free(text);
    if (rc != 0) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    yaml_node_t *root = pv_yaml_root(&r.y);
    static const char *const keys[] = {"title", "start", "definitions", "directory", "steps",
                                       NULL};
    yaml_node_t *steps = pv_yaml_get(&r.y, root, "steps");
    if (pv_yaml_check_keys(&r.y, root, keys, err, sizeof err) != 0 || !steps) {
        fprintf(stderr, "%s\n", steps ? err : "scenario has no steps");
        r.failures++;
    } else if (setup(&r, root) != 0) {
        r.failures++;
    } else {
        for (size_t i = 0; i < pv_yaml_len(steps); i++) {
            r.step = (int)i + 1;
            if (run_step(&r, pv_yaml_seq_at(&r.y, steps, i)) != 0) {
                r.failures++;
                break;
            }
            pv_arena_reset(&r.arena);
        }
        r.step = 0;
        verify_journal(&r);
        verify_rebuild(&r);
        if (journal_out)
            write_journal_list(&r, journal_out);
    }
    printf("%s %s (%zu records)\n", r.failures ? "FAIL" : "ok  ", file, r.journal.n);
    int failed = r.failures != 0;
    cleanup(&r);
    return failed;
}

int main(int argc, char **argv)
{
    int verbose = 0, failed = 0, passed = 0;
    FILE *journal_out = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-v") == 0) {
            verbose = 1;
            continue;
        }
        if (strcmp(argv[i], "--journal-out") == 0 && i + 1 < argc) {
            if (!(journal_out = fopen(argv[++i], "w"))) {
                perror(argv[i]);
                return 2;
            }
            continue;
        }
        run_file(argv[i], verbose, journal_out) ? failed++ : passed++;
    }
    if (journal_out)
        fclose(journal_out);
    if (passed + failed == 0) {
        fprintf(stderr, "usage: pv_scenario [-v] FILE...\n");
        return 2;
    }
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
