/* pv_audit_rules (engine/audit_rules.c): every honest journal the scenario files produce passes,
 * and forged records that keep valid hashes (re-sealed and re-chained, as an insider holding the
 * topic could) are caught, each with a finding naming the rule broken.
 *
 * The journals come from the scenario files themselves, played here through pv_store as the
 * scenario runner plays them (a compact player: events, clock moves and definition loads; the
 * expectations are the runner's business). */
#include <dirent.h>
#include <msgpack.h>
#include <stdlib.h>

#include "../scenarios/yaml_json.c" /* YAML -> JSON for scenario events (tests/scenarios) */
#include "files.h"
#include "pravah/audit_rules.h"
#include "pravah/store.h"
#include "pvtest.h"
#include "yamlutil.h"

#define IST_MIN 330
#define MAX_RECORDS 4096

typedef struct world_s {
    pv_engine_t *eng;
    pv_directory_t *dir;
} world_t;

/* A scenario's journal and the engine an auditor would check it with. */
typedef struct play_s {
    pv_yaml_t y;
    world_t run, audit;
    pv_store_t *st;
    pv_arena_t arena; /* events and decoded records */
    pv_time_t now;
    pv_buf_t wire[MAX_RECORDS];
    pv_record_t rec[MAX_RECORDS];
    size_t n;
    int failed;
} play_t;

static int on_record(void *ctx, const pv_record_t *rec)
{
    play_t *p = ctx;
    if (p->n == MAX_RECORDS)
        return PV_EFULL;
    pv_buf_init(&p->wire[p->n]);
    return pv_record_encode(rec, &p->wire[p->n++]);
}

static int add_directory(play_t *p, pv_directory_t *dir, yaml_node_t *n)
{
    static const char *const sections[] = {"offices", "posts", "officers"};
    for (int s = 0; s < 3; s++) {
        yaml_node_t *list = pv_yaml_get(&p->y, n, sections[s]);
        for (size_t i = 0; list && i < pv_yaml_len(list); i++) {
            yaml_node_t *e = pv_yaml_seq_at(&p->y, list, i);
#define F(k) (pv_yaml_str(pv_yaml_get(&p->y, e, k)) ? pv_yaml_str(pv_yaml_get(&p->y, e, k)) : "")
            int rc = s == 0   ? pv_directory_put_office(dir, F("id"), F("name"), F("kind"),
                                                        F("parent"), F("district"))
                     : s == 1 ? pv_directory_put_post(dir, F("id"), F("role"), F("office"),
                                                      F("reports_to"))
                              : pv_directory_put_officer(dir, F("id"), F("name"), F("post"));
#undef F
            if (rc)
                return rc;
        }
    }
    return 0;
}

static int load_def(pv_engine_t *eng, const char *rel)
{
    char path[4096], err[512];
    snprintf(path, sizeof path, "%s/%s", PV_SOURCE_DIR, rel);
    int rc = pv_load_definition_file(eng, path, err, sizeof err);
    if (rc)
        pv_test_fail(__FILE__, __LINE__, "%s", err);
    return rc;
}

/* The schemas, the scenario's extra definitions and directory; for the auditor also every
 * definition the scenario loads later (an auditor has every version the journal names). */
static int load_world(play_t *p, world_t *w, bool auditor)
{
    char err[1024];
    yaml_node_t *root = pv_yaml_root(&p->y), *defs = pv_yaml_get(&p->y, root, "definitions");
    yaml_node_t *steps = pv_yaml_get(&p->y, root, "steps"), *dir;
    pv_engine_config_t cfg = {"scenario-salt"};
    w->eng = pv_engine_new(&cfg);
    w->dir = pv_directory_new();
    if (pv_load_schemas(w->eng, w->dir, PV_SOURCE_DIR "/schemas", err, sizeof err) != 0) {
        pv_test_fail(__FILE__, __LINE__, "%s", err);
        return -1;
    }
    for (size_t i = 0; defs && i < pv_yaml_len(defs); i++)
        if (load_def(w->eng, pv_yaml_str(pv_yaml_seq_at(&p->y, defs, i))))
            return -1;
    for (size_t i = 0; auditor && steps && i < pv_yaml_len(steps); i++) {
        yaml_node_t *load = pv_yaml_get(&p->y, pv_yaml_seq_at(&p->y, steps, i), "load");
        if (load && load_def(w->eng, pv_yaml_str(load)))
            return -1;
    }
    if ((dir = pv_yaml_get(&p->y, root, "directory")) && add_directory(p, w->dir, dir) != 0)
        return -1;
    return 0;
}

static int advance(play_t *p, pv_time_t to)
{
    int n;
    do
        n = pv_store_fire_due(p->st, to, 1000, &p->arena, on_record, p);
    while (n == 1000);
    if (to > p->now)
        p->now = to;
    return n < 0 ? n : 0;
}

static int parse_when(play_t *p, const char *s, pv_time_t *out)
{
    char *end;
    long long v = strtoll(s, &end, 10);
    if (end != s && (strcmp(end, "d") == 0 || strcmp(end, "h") == 0 || strcmp(end, "m") == 0)) {
        *out = p->now + v * (*end == 'd' ? 86400000LL : *end == 'h' ? 3600000LL : 60000LL);
        return 0;
    }
    return pv_time_parse(s, IST_MIN, out);
}

static int play_event(play_t *p, yaml_node_t *evnode)
{
    json_t *j = pv_yaml_to_json(&p->y, evnode);
    char *text = j ? json_dumps(j, JSON_COMPACT) : NULL;
    pv_event_t ev;
    pv_limits_t lim;
    pv_reject_t rej;
    pv_limits_default(&lim);
    int rc = text ? pv_event_decode_json(text, strlen(text), &lim, &p->arena, &ev, &rej) : -1;
    if (rc == 0 && (rc = advance(p, p->now)) == 0)
        rc = pv_store_apply(p->st, &ev, p->now, &p->arena, on_record, p, &rej);
    free(text);
    json_decref(j);
    return rc == PV_EREJECTED ? 0 : rc; /* refused events journal nothing */
}

static int play_step(play_t *p, yaml_node_t *step)
{
    yaml_node_t *at = pv_yaml_get(&p->y, step, "at"), *adv = pv_yaml_get(&p->y, step, "advance");
    yaml_node_t *ev = pv_yaml_get(&p->y, step, "event"), *load = pv_yaml_get(&p->y, step, "load");
    pv_time_t t;
    if ((at || adv) && (parse_when(p, pv_yaml_str(at ? at : adv), &t) != 0 || advance(p, t)))
        return -1;
    if (load && load_def(p->run.eng, pv_yaml_str(load)))
        return -1;
    return ev ? play_event(p, ev) : 0;
}

/* Plays the scenario file (path relative to the source tree) and decodes its journal. */
static int play(play_t *p, const char *rel)
{
    char *text, err[1024];
    size_t len;
    memset(p, 0, sizeof *p);
    pv_arena_init(&p->arena, 0);
    if (!(text = pv_test_read_file(rel, &len)))
        return -1;
    int rc = pv_yaml_open(&p->y, text, len, rel, err, sizeof err);
    free(text);
    if (rc || load_world(p, &p->run, false) || load_world(p, &p->audit, true))
        return -1;
    yaml_node_t *root = pv_yaml_root(&p->y), *steps = pv_yaml_get(&p->y, root, "steps");
    if (pv_time_parse(pv_yaml_str(pv_yaml_get(&p->y, root, "start")), IST_MIN, &p->now) != 0)
        return -1;
    p->st = pv_store_new(p->run.eng, p->run.dir);
    for (size_t i = 0; steps && i < pv_yaml_len(steps); i++)
        if (play_step(p, pv_yaml_seq_at(&p->y, steps, i)) != 0)
            return -1;
    for (size_t i = 0; i < p->n; i++)
        if (pv_record_decode(p->wire[i].data, p->wire[i].len, &p->arena, &p->rec[i], err,
                             sizeof err) != 0)
            return -1;
    return 0;
}

static void unplay(play_t *p)
{
    for (size_t i = 0; i < p->n; i++)
        pv_buf_close(&p->wire[i]);
    pv_store_free(p->st);
    pv_engine_free(p->run.eng);
    pv_directory_free(p->run.dir);
    pv_engine_free(p->audit.eng);
    pv_directory_free(p->audit.dir);
    pv_arena_close(&p->arena);
    pv_yaml_close(&p->y);
}

/* Re-seals every record and re-links both chains, as a forger who holds the topic would after
 * editing a record: the hashes stay valid, only the rules can tell. */
static void reseal(play_t *p)
{
    pv_chain_t chain = {0};
    for (size_t i = 0; i < p->n; i++) {
        memset(p->rec[i].prev_hash, 0, PV_HASH_LEN);
        for (size_t j = i; j-- > 0;)
            if (strcmp(p->rec[j].case_id, p->rec[i].case_id) == 0) {
                memcpy(p->rec[i].prev_hash, p->rec[j].hash, PV_HASH_LEN);
                break;
            }
        PV_CHECK_EQ_INT(pv_record_seal(&p->rec[i]), 0);
        pv_record_link(&p->rec[i], &chain);
    }
}

/* Index of the first record of case_id with that event type (or kind name), or -1. */
static int find(const play_t *p, const char *case_id, const char *type)
{
    for (size_t i = 0; i < p->n; i++)
        if (strcmp(p->rec[i].case_id, case_id) == 0 && strcmp(p->rec[i].event_type, type) == 0)
            return (int)i;
    pv_test_fail(__FILE__, __LINE__, "no %s record for %s", type, case_id);
    return -1;
}

typedef struct outcome_s {
    int verdict;            /* of the watched record */
    char why[1024];         /* of the watched record */
    size_t findings_before; /* findings on records before the watched one */
    pv_audit_rules_stats_t stats;
} outcome_t;

/* Both passes over the journal, as `pravah audit verify` makes them. Prints what is not OK. */
static void audit(play_t *p, int64_t grace, int watch, outcome_t *o)
{
    pv_audit_rules_t *r = pv_audit_rules_new(p->audit.eng);
    char why[1024];
    memset(o, 0, sizeof *o);
    PV_CHECK(r != NULL);
    if (!r)
        return;
    pv_audit_rules_set_grace(r, grace);
    for (size_t i = 0; i < p->n; i++)
        PV_CHECK_EQ_INT(pv_audit_rules_learn(r, &p->rec[i]), 0);
    for (size_t i = 0; i < p->n; i++) {
        int v = pv_audit_rules_check(r, &p->rec[i], why, sizeof why);
        PV_CHECK(v >= 0);
        if (v != PV_AUDIT_OK)
            fprintf(stderr, "    record %zu (%s #%llu %s): %s: %s\n", i, p->rec[i].case_id,
                    (unsigned long long)p->rec[i].seq, p->rec[i].event_type,
                    v == PV_AUDIT_FINDING   ? "FINDING"
                    : v == PV_AUDIT_WARNING ? "warning"
                                            : "notice",
                    why);
        if ((int)i == watch) {
            o->verdict = v;
            snprintf(o->why, sizeof o->why, "%s", why);
        }
        if ((int)i < watch && v == PV_AUDIT_FINDING)
            o->findings_before++;
    }
    pv_audit_rules_stats(r, &o->stats);
    PV_CHECK_EQ_INT(pv_audit_rules_learn(r, &p->rec[0]), PV_EINVAL); /* too late */
    pv_audit_rules_free(r);
}

/* Plays a scenario, lets `forge` edit it, re-seals, audits, and checks that the edited record
 * gets `verdict` with `text` in its reason and that nothing before it was a finding. */
static void expect_caught(const char *scenario, void (*forge)(play_t *, int *), int64_t grace,
                          int verdict, const char *text)
{
    play_t *p = calloc(1, sizeof *p);
    int watch = -1;
    outcome_t o;
    if (play(p, scenario) != 0) {
        pv_test_fail(__FILE__, __LINE__, "%s does not play", scenario);
    } else {
        forge(p, &watch);
        reseal(p);
        audit(p, grace, watch, &o);
        PV_CHECK(watch >= 0);
        PV_CHECK_EQ_INT(o.verdict, verdict);
        PV_CHECK_EQ_INT(o.findings_before, 0);
        if (!strstr(o.why, text))
            pv_test_fail(__FILE__, __LINE__, "%s: '%s' does not name '%s'", scenario, o.why, text);
    }
    unplay(p);
    free(p);
}

/* ---- honest journals ---- */

static int is_scenario(const char *name)
{
    return strlen(name) > 9 && name[0] >= '0' && name[0] <= '9' && name[3] == '-' &&
           strcmp(name + strlen(name) - 5, ".yaml") == 0;
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every scenario file's journal: no findings, and every record checked. */
PV_TEST(audit_rules, honest_scenario_journals_pass)
{
    static const char *const domains[] = {"works",       "efile",      "grievance",
                                          "appointment", "litigation", "hrms"};
    size_t files = 0, records = 0, warnings = 0, notices = 0;
    for (size_t d = 0; d < sizeof domains / sizeof domains[0]; d++) {
        char dirpath[4096], *names[512];
        size_t nn = 0;
        snprintf(dirpath, sizeof dirpath, "%s/tests/scenarios/%s", PV_SOURCE_DIR, domains[d]);
        DIR *dp = opendir(dirpath);
        PV_CHECK(dp != NULL);
        for (struct dirent *de; dp && (de = readdir(dp)) && nn < 512;)
            if (is_scenario(de->d_name))
                names[nn++] = strdup(de->d_name);
        if (dp)
            closedir(dp);
        qsort(names, nn, sizeof *names, cmp_names);
        for (size_t i = 0; i < nn; i++) {
            char rel[1024];
            play_t *p = calloc(1, sizeof *p);
            outcome_t o;
            snprintf(rel, sizeof rel, "tests/scenarios/%s/%s", domains[d], names[i]);
            if (play(p, rel) != 0) {
                pv_test_fail(__FILE__, __LINE__, "%s does not play", rel);
            } else {
                audit(p, PV_AUDIT_GRACE_MS, -1, &o);
                if (o.stats.findings)
                    pv_test_fail(__FILE__, __LINE__, "%s: %llu finding(s) in an honest journal",
                                 rel, (unsigned long long)o.stats.findings);
                PV_CHECK_EQ_INT(o.stats.checked + o.stats.structural, p->n);
                records += p->n;
                warnings += o.stats.warnings;
                notices += o.stats.notices;
                files++;
            }
            unplay(p);
            free(p);
            free(names[i]);
        }
    }
    fprintf(stderr,
            "    %zu scenario journals, %zu records: 0 findings, %zu warnings, %zu "
            "notices\n",
            files, records, warnings, notices);
    PV_CHECK(files >= 90);
    PV_CHECK(records > 500);
}

/* ---- forged records (hashes recomputed) ---- */

#define TRANSFER "tests/scenarios/hrms/002-transfer-moves-pending-authority.yaml"
#define WORK "WMS/ULB-GGN/2026/000203"

/* A transition the definition does not allow: AA granted straight into `ts_granted`. */
static void forge_skipped_stage(play_t *p, int *watch)
{
    if ((*watch = find(p, WORK, "works.grant_aa")) >= 0)
        p->rec[*watch].new_state = "ts_granted";
}

PV_TEST(audit_rules, forged_transition_is_caught)
{
    expect_caught(TRANSFER, forge_skipped_stage, PV_AUDIT_GRACE_MS, PV_AUDIT_FINDING,
                  "transition: works v2 takes grant_aa from 'estimate_submitted' to "
                  "'aa_granted', not to 'ts_granted'");
}

/* An action taken in a state it is not allowed from: TS recorded where FS was granted. */
static void forge_wrong_action(play_t *p, int *watch)
{
    if ((*watch = find(p, WORK, "works.grant_fs")) >= 0) {
        p->rec[*watch].event_type = "works.grant_ts";
        p->rec[*watch].new_state = "ts_granted";
    }
}

PV_TEST(audit_rules, forged_action_out_of_order_is_caught)
{
    expect_caught(TRANSFER, forge_wrong_action, PV_AUDIT_GRACE_MS, PV_AUDIT_FINDING,
                  "rule invalid_transition: works.grant_ts is not allowed in state 'aa_granted'");
}

/* A role the action does not list: the AA "granted" by a junior engineer, post and role made
 * consistent with the directory. */
static void forge_role(play_t *p, int *watch)
{
    if ((*watch = find(p, WORK, "works.grant_aa")) >= 0) {
        p->rec[*watch].actor = "EMP-100314";
        p->rec[*watch].actor_post = "GGN-MC-JE-1";
        p->rec[*watch].actor_role = "JE";
    }
}

PV_TEST(audit_rules, forged_role_is_caught)
{
    expect_caught(TRANSFER, forge_role, PV_AUDIT_GRACE_MS, PV_AUDIT_FINDING,
                  "rule unauthorized: role JE (post GGN-MC-JE-1) may not take action grant_aa");
}

/* A sanction above the actor's money limit: the ₹20 lakh TS credited to a JE (limit ₹2 lakh). */
static void forge_limit(play_t *p, int *watch)
{
    if ((*watch = find(p, WORK, "works.grant_ts")) >= 0) {
        p->rec[*watch].actor = "EMP-100314";
        p->rec[*watch].actor_post = "GGN-MC-JE-1";
        p->rec[*watch].actor_role = "JE";
    }
}

/* rec's data with its `amount` replaced (into buf, which must outlive the record). */
static void set_amount(pv_record_t *rec, pv_buf_t *buf, int64_t amount)
{
    msgpack_unpacked up;
    msgpack_packer pk;
    msgpack_unpacked_init(&up);
    msgpack_packer_init(&pk, buf, pv_buf_msgpack_write);
    PV_CHECK(msgpack_unpack_next(&up, (const char *)rec->data, rec->data_len, NULL) ==
             MSGPACK_UNPACK_SUCCESS);
    msgpack_object_map *m = &up.data.via.map;
    msgpack_pack_map(&pk, m->size);
    for (uint32_t i = 0; i < m->size; i++) {
        msgpack_pack_object(&pk, m->ptr[i].key);
        if (m->ptr[i].key.via.str.size == 6 && memcmp(m->ptr[i].key.via.str.ptr, "amount", 6) == 0)
            msgpack_pack_int64(&pk, amount);
        else
            msgpack_pack_object(&pk, m->ptr[i].val);
    }
    msgpack_unpacked_destroy(&up);
    rec->data = buf->data;
    rec->data_len = buf->len;
}

/* The amounts of an estimate and of its approval by the same commissioner raised to \u20b92 crore,
 * above the commissioner's slab: an approval for the MC House to give. */
static void forge_amount(play_t *p, int *watch)
{
    static pv_buf_t data[2]; /* outlive the play; freed at the next forge */
    int est = find(p, WORK, "works.submit_estimate");
    for (int i = 0; i < 2; i++) {
        pv_buf_close(&data[i]);
        pv_buf_init(&data[i]);
    }
    if ((*watch = find(p, WORK, "works.grant_aa")) >= 0 && est >= 0) {
        set_amount(&p->rec[est], &data[0], 20000000);
        set_amount(&p->rec[*watch], &data[1], 20000000);
    }
}

PV_TEST(audit_rules, forged_amount_above_limit_is_caught)
{
    expect_caught(TRANSFER, forge_limit, PV_AUDIT_GRACE_MS, PV_AUDIT_FINDING,
                  "rule over_limit: \u20b920,00,000 exceeds the JE limit of \u20b92,00,000");
    expect_caught(TRANSFER, forge_amount, PV_AUDIT_GRACE_MS, PV_AUDIT_FINDING,
                  "rule over_limit: \u20b92,00,00,000 exceeds the COMMISSIONER limit of "
                  "\u20b91,00,00,000 for administrative_approval; it is for MC_HOUSE to decide");
}

/* The transferred XEN "publishes the NIT" at his old desk the next day. */
static void forge_after_transfer(play_t *p, int *watch)
{
    if ((*watch = find(p, WORK, "works.publish_nit")) >= 0)
        p->rec[*watch].actor = "EMP-100311";
}

PV_TEST(audit_rules, forged_actor_after_transfer_is_caught)
{
    expect_caught(TRANSFER, forge_after_transfer, PV_AUDIT_GRACE_MS, PV_AUDIT_FINDING,
                  "post: EMP-100311 did not hold post GGN-MC-XEN at 2026-04-03T11:00:00+05:30 "
                  "(held ZONE-4-XEN-QC then; a posting order had moved them)");
}

/* The same, 30 s after the transfer order: what an advancer that had not yet read the order from
 * the directory topic would have accepted. */
static void forge_just_after_transfer(play_t *p, int *watch)
{
    int t = find(p, "EMP-100311", "hrms.transfer");
    forge_after_transfer(p, watch);
    if (t >= 0 && *watch >= 0)
        p->rec[*watch].accepted_at = p->rec[t].accepted_at + 30000;
}

PV_TEST(audit_rules, action_within_grace_window_is_a_warning)
{
    expect_caught(TRANSFER, forge_just_after_transfer, PV_AUDIT_GRACE_MS, PV_AUDIT_WARNING,
                  "directory lag: EMP-100311 acted at post GGN-MC-XEN at "
                  "2026-04-02T10:00:30+05:30, 30.000 s outside their tenure there");
    expect_caught(TRANSFER, forge_just_after_transfer, 0, PV_AUDIT_FINDING,
                  "post: EMP-100311 did not hold post GGN-MC-XEN");
}

/* A posting order issued by someone who may not issue it. */
static void forge_order(play_t *p, int *watch)
{
    if ((*watch = find(p, "EMP-100311", "hrms.transfer")) >= 0) {
        p->rec[*watch].actor = "EMP-100314";
        p->rec[*watch].actor_post = "GGN-MC-JE-1";
        p->rec[*watch].actor_role = "JE";
    }
}

PV_TEST(audit_rules, forged_posting_order_is_caught)
{
    expect_caught(TRANSFER, forge_order, PV_AUDIT_GRACE_MS, PV_AUDIT_FINDING,
                  "rule unauthorized: role JE (post GGN-MC-JE-1) may not take action transfer");
}

/* A record that claims a definition version that does not exist (first and later records). */
static void forge_version(play_t *p, int *watch)
{
    if ((*watch = find(p, WORK, "works.grant_fs")) >= 0)
        p->rec[*watch].def_version = 9;
}

static void forge_first_version(play_t *p, int *watch)
{
    if ((*watch = find(p, WORK, "works.submit_estimate")) >= 0)
        p->rec[*watch].def_version = 9;
}

PV_TEST(audit_rules, forged_definition_version_is_caught)
{
    expect_caught(TRANSFER, forge_version, PV_AUDIT_GRACE_MS, PV_AUDIT_FINDING,
                  "definition: works version 9 is not a known definition");
    expect_caught(TRANSFER, forge_first_version, PV_AUDIT_GRACE_MS, PV_AUDIT_FINDING,
                  "definition: works version 9 is not a known definition");
}

/* ---- SLA records ---- */

#define BREACH "tests/scenarios/efile/012-sla-breach-weekend-holiday.yaml"

static int first_of_kind(const play_t *p, const char *kind)
{
    for (size_t i = 0; i < p->n; i++)
        if (strcmp(p->rec[i].event_type, kind) == 0)
            return (int)i;
    pv_test_fail(__FILE__, __LINE__, "no %s record", kind);
    return -1;
}

/* A breach journaled an hour before the deadline. */
static void forge_early_breach(play_t *p, int *watch)
{
    if ((*watch = first_of_kind(p, "sla.breached")) >= 0)
        p->rec[*watch].accepted_at = p->rec[*watch].deadline - 3600000;
}

/* A breach raised against someone else than the desk the ladder names. */
static void forge_breach_target(play_t *p, int *watch)
{
    if ((*watch = first_of_kind(p, "sla.breached")) >= 0)
        p->rec[*watch].alert_target = "GGN-MC-JE-1";
}

PV_TEST(audit_rules, forged_sla_records_are_caught)
{
    expect_caught(BREACH, forge_early_breach, PV_AUDIT_GRACE_MS, PV_AUDIT_FINDING,
                  "SLA: sla.breached level 1 recorded at");
    expect_caught(BREACH, forge_early_breach, PV_AUDIT_GRACE_MS, PV_AUDIT_FINDING,
                  "before it was due at");
    expect_caught(BREACH, forge_breach_target, PV_AUDIT_GRACE_MS, PV_AUDIT_FINDING,
                  "SLA: level 1 alerts");
}

/* ---- history, duplicates, partitions, versions ---- */

/* Checks records in the given order (indexes into p->rec), returns the stats; verdicts out. */
static void check_order(play_t *p, const int *order, size_t n, int *verdicts, char whys[][512],
                        pv_audit_rules_stats_t *stats)
{
    pv_audit_rules_t *r = pv_audit_rules_new(p->audit.eng);
    PV_CHECK(r != NULL);
    for (size_t i = 0; r && i < p->n; i++)
        PV_CHECK_EQ_INT(pv_audit_rules_learn(r, &p->rec[i]), 0);
    for (size_t i = 0; r && i < n; i++)
        verdicts[i] = pv_audit_rules_check(r, &p->rec[order[i]], whys[i], 512);
    if (r) {
        /* The same partition again after forgetting it: the same verdicts. */
        pv_audit_rules_end_partition(r);
        for (size_t i = 0; i < n; i++) {
            char why[512];
            PV_CHECK_EQ_INT(pv_audit_rules_check(r, &p->rec[order[i]], why, sizeof why),
                            verdicts[i]);
        }
        pv_audit_rules_stats(r, stats);
    }
    pv_audit_rules_free(r);
}

PV_TEST(audit_rules, duplicates_skipped_and_gaps_reported_once)
{
    play_t *p = calloc(1, sizeof *p);
    int order[MAX_RECORDS], verdicts[64] = {0};
    static char whys[64][512];
    pv_audit_rules_stats_t st;
    PV_CHECK_EQ_INT(play(p, TRANSFER), 0);
    PV_CHECK(p->n > 8 && p->n < 60);
    int nit = find(p, WORK, "works.grant_fs");
    size_t n = 0;
    for (size_t i = 0; nit > 0 && i < p->n; i++) {
        if ((int)i == nit)
            continue; /* a record removed: the case's later records cannot be checked */
        order[n++] = (int)i;
        if (i == 0)
            order[n++] = 0; /* delivered twice */
    }
    check_order(p, order, n, verdicts, whys, &st);
    int findings = 0;
    for (size_t i = 0; i < n; i++) {
        findings += verdicts[i] == PV_AUDIT_FINDING;
        if (verdicts[i] == PV_AUDIT_FINDING && !strstr(whys[i], "history: record seq 4 after "
                                                                "seq 2 of the case (records "
                                                                "missing)"))
            pv_test_fail(__FILE__, __LINE__, "unexpected finding: %s", whys[i]);
    }
    PV_CHECK_EQ_INT(verdicts[1], PV_AUDIT_OK);
    PV_CHECK_EQ_INT(findings, 1);
    PV_CHECK_EQ_INT(st.duplicates, 2); /* once per pass */
    PV_CHECK_EQ_INT(st.unchecked, 2);  /* seq 5, after the gap, in both passes */
    PV_CHECK_EQ_INT(st.findings, 2);
    unplay(p);
    free(p);
}

/* A case created on version 2 while it was the newest, audited with version 3 loaded too: the
 * creation is re-applied on v2 (pv__engine_apply_create_on), like every other record. */
static void forge_old_version_creation(play_t *p, int *watch)
{
    if ((*watch = find(p, "WMS/ULB-GGN/2026/000126", "works.submit_estimate")) >= 0) {
        p->rec[*watch].actor = "EMP-100309";
        p->rec[*watch].actor_post = "GGN-MC-COMMISSIONER";
        p->rec[*watch].actor_role = "COMMISSIONER";
    }
}

PV_TEST(audit_rules, old_version_creations_are_reapplied_on_their_version)
{
    const char *sc = "tests/scenarios/works/021-definition-versions.yaml";
    play_t *p = calloc(1, sizeof *p);
    outcome_t o;
    PV_CHECK_EQ_INT(play(p, sc), 0);
    audit(p, PV_AUDIT_GRACE_MS, -1, &o);
    PV_CHECK_EQ_INT(o.stats.findings, 0);
    PV_CHECK_EQ_INT(o.stats.structural, 0);
    PV_CHECK_EQ_INT(o.stats.checked, p->n);
    unplay(p);
    free(p);
    expect_caught(sc, forge_old_version_creation, PV_AUDIT_GRACE_MS, PV_AUDIT_FINDING,
                  "rule unauthorized: role COMMISSIONER (post GGN-MC-COMMISSIONER) may not take "
                  "action submit_estimate (works v2");
}

/* Posting orders may be learnt in any order (partitions are read one after another). */
PV_TEST(audit_rules, orders_learnt_in_any_order)
{
    play_t *p = calloc(1, sizeof *p);
    char why[512];
    PV_CHECK_EQ_INT(play(p, TRANSFER), 0);
    pv_audit_rules_t *r = pv_audit_rules_new(p->audit.eng);
    PV_CHECK(r != NULL);
    for (size_t i = p->n; r && i-- > 0;)
        PV_CHECK_EQ_INT(pv_audit_rules_learn(r, &p->rec[i]), 0);
    for (size_t i = 0; r && i < p->n; i++)
        if (pv_audit_rules_check(r, &p->rec[i], why, sizeof why) != PV_AUDIT_OK)
            pv_test_fail(__FILE__, __LINE__, "record %zu: %s", i, why);
    pv_audit_rules_free(r);
    unplay(p);
    free(p);
}
