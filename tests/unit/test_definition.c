/* Workflow definitions (engine/definition.c): the real definitions under schemas/workflows/ load,
 * and each validation rule of docs/WORKFLOWS.md rejects a small fixture under tests/unit/defs/
 * with the exact "FILE:LINE: message". Each bad fixture breaks one rule; its first line says
 * which. */
#include <stdio.h>
#include <stdlib.h>

#include "definition_types.h"
#include "pravah/definition.h"
#include "pvtest.h"

#define DEFS "tests/unit/defs/"

/* Loads a file under the source tree; NULL (and a failed test) when it does not load. */
static pv_def_t *load_file(const char *relpath)
{
    size_t len = 0;
    char *text = pv_test_read_file(relpath, &len);
    pv_def_t *def = NULL;
    char err[512] = "";
    if (!text) {
        pv_test_fail(__FILE__, __LINE__, "cannot read %s", relpath);
        return NULL;
    }
    int rc = pv_def_load(text, len, relpath, &def, err, sizeof err);
    free(text);
    if (rc != 0) {
        pv_test_fail(__FILE__, __LINE__, "%s does not load (%d): %s", relpath, rc, err);
        return NULL;
    }
    return def;
}

/* Loads tests/unit/defs/NAME.yaml as "NAME.yaml", expecting PV_EINVAL; returns the message. */
static const char *load_error(const char *name)
{
    static char err[512];
    char path[256];
    size_t len = 0;
    pv_def_t *def = NULL;
    snprintf(path, sizeof path, DEFS "%s.yaml", name);
    char *text = pv_test_read_file(path, &len);
    err[0] = '\0';
    if (!text) {
        pv_test_fail(__FILE__, __LINE__, "cannot read %s", path);
        return err;
    }
    int rc = pv_def_load(text, len, path + strlen(DEFS), &def, err, sizeof err);
    free(text);
    if (rc != PV_EINVAL)
        pv_test_fail(__FILE__, __LINE__, "%s: expected PV_EINVAL, got %d", name, rc);
    if (def) {
        pv_test_fail(__FILE__, __LINE__, "%s: a failed load set *out", name);
        pv_def_free(def);
    }
    return err;
}

/* The error of fixture NAME is exactly "NAME.yaml:MSG" (MSG starts with the line number). */
#define CHECK_ERR(name, msg) PV_CHECK_EQ_STR(load_error(name), name ".yaml:" msg)

#define CHECK_HAS(hay, needle)                                                                     \
    do {                                                                                           \
        const char *h_ = (hay);                                                                    \
        if (!strstr(h_, (needle)))                                                                 \
            pv_test_fail(__FILE__, __LINE__, "\"%s\" does not contain \"%s\"", h_, (needle));      \
    } while (0)

/* ---- the real definitions ---- */

static void check_real(const char *file, const char *name, int version, size_t nstates,
                       size_t nactions)
{
    char path[256];
    snprintf(path, sizeof path, "schemas/workflows/%s", file);
    pv_def_t *def = load_file(path);
    if (!def)
        return;
    PV_CHECK_EQ_STR(pv_def_name(def), name);
    PV_CHECK_EQ_INT(pv_def_version(def), version);
    PV_CHECK_EQ_STR(pv_def_calendar_name(def), "haryana");
    PV_CHECK_EQ_INT(pv_def_state_count(def), nstates);
    PV_CHECK_EQ_INT(pv_def_action_count(def), nactions);
    pv_def_free(def);
}

PV_TEST(definition, real_appointment)
{
    check_real("appointment.yaml", "appointment", 1, 6, 9);
}

PV_TEST(definition, real_efile)
{
    check_real("efile.yaml", "efile", 1, 3, 10);
}

PV_TEST(definition, real_grievance)
{
    check_real("grievance.yaml", "grievance", 1, 8, 12);
}

PV_TEST(definition, real_hrms)
{
    check_real("hrms.yaml", "hrms", 1, 3, 4);
}

PV_TEST(definition, real_litigation)
{
    check_real("litigation.yaml", "litigation", 1, 8, 9);
}

PV_TEST(definition, real_works)
{
    check_real("works.yaml", "works", 2, 14, 22);
}

/* Spot checks of what the loader compiled from works.yaml. */
PV_TEST(definition, works_compiled)
{
    pv_def_t *def = load_file("schemas/workflows/works.yaml");
    if (!def)
        return;
    PV_CHECK_EQ_STR(def->title, "Works Management System (urban local bodies)");
    PV_CHECK(def->has_case_id_re);
    PV_CHECK(def->office_field == NULL);
    PV_CHECK_EQ_INT(def->ntables, 2);
    PV_CHECK(!def->tables[0].is_slabs && def->tables[1].is_slabs);
    PV_CHECK_EQ_INT(def->tables[1].nentries, 12);
    int st = pv__def_state_index(def, "in_execution");
    PV_CHECK(st >= 0);
    if (st >= 0) {
        PV_CHECK_EQ_INT(def->states[st].sla, PV_SLA_UNTIL);
        PV_CHECK_EQ_INT(def->states[st].nreminders, 2);
        PV_CHECK_EQ_INT(def->states[st].nesc, 2);
        PV_CHECK_EQ_INT(def->states[st].esc[1].to.kind, PV_TGT_ROLE);
        PV_CHECK_EQ_STR(def->states[st].esc[1].to.role, "CE");
    }
    int a = pv__def_action_index(def, "grant_ts");
    PV_CHECK(a >= 0);
    if (a >= 0) {
        PV_CHECK_EQ_STR(def->actions[a].event_type, "works.grant_ts");
        PV_CHECK_EQ_INT(def->actions[a].limit_table, 0);
        PV_CHECK_EQ_INT(def->actions[a].nchecks, 1);
        PV_CHECK(def->actions[a].requires_mask == 1ull << pv__def_action_index(def, "grant_fs"));
    }
    PV_CHECK_EQ_INT(pv__def_state_index(def, "nope"), -1);
    PV_CHECK_EQ_INT(pv__def_action_index(def, "nope"), -1);
    pv_def_free(def);
}

PV_TEST(definition, good_fixture)
{
    pv_def_t *def = load_file(DEFS "good_minimal.yaml");
    if (!def)
        return;
    PV_CHECK_EQ_STR(pv_def_name(def), "mini");
    PV_CHECK_EQ_INT(pv_def_version(def), 3);
    PV_CHECK_EQ_INT(pv_def_state_count(def), 3);
    PV_CHECK_EQ_INT(pv_def_action_count(def), 3);
    const pv_actiondef_t *hold = &def->actions[1];
    PV_CHECK_EQ_INT(hold->nto, 2);
    PV_CHECK(hold->to[0].when != NULL && hold->to[1].when == NULL);
    PV_CHECK_EQ_INT(hold->to[1].state, PV_DEF_STAY);
    PV_CHECK(def->actions[2].from_any);
    PV_CHECK_EQ_INT(def->actions[2].assign.kind, PV_ASSIGN_NONE);
    PV_CHECK_EQ_INT(def->states[0].sla_days, 3);
    PV_CHECK(def->states[0].sla_working);
    pv_def_free(def);
}

/* ---- Graphviz ---- */

PV_TEST(definition, dot_of_works)
{
    pv_def_t *def = load_file("schemas/workflows/works.yaml");
    char *text = NULL;
    size_t len = 0;
    if (!def)
        return;
    FILE *f = open_memstream(&text, &len);
    PV_CHECK(f != NULL);
    if (f) {
        pv_def_write_dot(def, f);
        fclose(f);
        PV_CHECK(strncmp(text, "digraph \"works_v2\" {", 20) == 0);
        CHECK_HAS(text,
                  "\"start\" -> \"estimate_submitted\" [label=\"submit_estimate\\nJE,SDO\"];");
        CHECK_HAS(text,
                  "\"fs_granted\" -> \"ts_granted\" [label=\"grant_ts\\nJE,SDO,XEN,SE,CE\"];");
        CHECK_HAS(text, "\"in_execution\" -> \"in_execution\" [label=\"record_mb\\n");
        CHECK_HAS(text, "\"completed\" [shape=doublecircle];");
        CHECK_HAS(text, "label=\"in_execution\\ndue: planned_completion\"");
        CHECK_HAS(text, "label=\"estimate_submitted\\nSLA 15 working days\"");
        PV_CHECK(len > 2 && strcmp(text + len - 2, "}\n") == 0);
    }
    free(text);
    pv_def_free(def);
}

PV_TEST(definition, dot_conditional_and_any)
{
    pv_def_t *def = load_file(DEFS "good_minimal.yaml");
    char *text = NULL;
    size_t len = 0;
    if (!def)
        return;
    FILE *f = open_memstream(&text, &len);
    if (f) {
        pv_def_write_dot(def, f);
        fclose(f);
        CHECK_HAS(text, "\"open\" -> \"waiting\" [label=\"hold (if)\\nHEAD\"];");
        CHECK_HAS(text, "\"open\" -> \"open\" [label=\"hold\\nHEAD\"];");
        /* from: any covers the non-terminal states only. */
        CHECK_HAS(text, "\"waiting\" -> \"done\" [label=\"close\\nCLERK,HEAD\"];");
        PV_CHECK(strstr(text, "\"done\" -> ") == NULL);
    }
    free(text);
    pv_def_free(def);
}

/* ---- one fixture per validation rule ---- */

PV_TEST(definition, unknown_key_top)
{
    CHECK_ERR("bad_key_top",
              "5: unknown key 'calender' (expected one of: workflow, version, title, case_id, "
              "calendar, office, fields, delegation, states, actions)");
}

PV_TEST(definition, unknown_key_action)
{
    CHECK_ERR("bad_key_action",
              "13: unknown key 'rolls' (expected one of: from, to, roles, actor, fields, limit, "
              "requires, check, set, assign, directory, title)");
}

PV_TEST(definition, unknown_key_state)
{
    CHECK_ERR("bad_key_state", "8: unknown key 'terminl' (expected one of: terminal, sla, "
                               "reminders, escalation, title)");
}

PV_TEST(definition, unknown_key_field)
{
    CHECK_ERR("bad_key_field", "14: unknown key 'minimum' (expected one of: type, required, min, "
                               "max, max_len, pattern, values)");
}

PV_TEST(definition, missing_header)
{
    CHECK_ERR("bad_missing_workflow", "2: a definition needs workflow, version and calendar");
    CHECK_ERR("bad_missing_version", "2: a definition needs workflow, version and calendar");
    CHECK_ERR("bad_missing_calendar", "2: a definition needs workflow, version and calendar");
}

PV_TEST(definition, unknown_state_in_from)
{
    CHECK_ERR("bad_from_unknown", "11: action 'close' names unknown state 'opne'");
}

PV_TEST(definition, unknown_state_in_to)
{
    CHECK_ERR("bad_to_unknown", "12: action 'close' names unknown state 'dnoe'");
}

PV_TEST(definition, unreachable_state)
{
    CHECK_ERR("bad_unreachable", "7: state 'orphan' is unreachable from start");
}

PV_TEST(definition, state_without_exit)
{
    CHECK_ERR("bad_no_exit", "7: state 'stuck' is not terminal but no action leaves it");
}

PV_TEST(definition, roles_empty)
{
    CHECK_ERR("bad_roles_empty", "13: action 'close' has no roles: nobody could take it");
}

PV_TEST(definition, roles_missing)
{
    /* No node to point at: the message has no line (unlike a missing from or to, which name
     * the action's line). */
    PV_CHECK_EQ_STR(load_error("bad_roles_missing"),
                    "bad_roles_missing.yaml: action 'close' (line 10) has no roles: nobody could take it");
}

PV_TEST(definition, slabs_overlap)
{
    const char *err = load_error("bad_slabs_overlap");
    CHECK_HAS(err, "bad_slabs_overlap.yaml:11: table 'approval': slab DC 1000-");
    CHECK_HAS(err, "overlaps slab EO 0-");
}

PV_TEST(definition, ceiling_role_twice)
{
    CHECK_ERR("bad_ceiling_dup_role", "11: table 'sanction': role JE has two limits");
}

PV_TEST(definition, min_above_max)
{
    CHECK_ERR("bad_min_above_max", "10: table 'approval': min 5000 is above max 2000");
}

PV_TEST(definition, limit_unknown_table)
{
    CHECK_ERR("bad_limit_table",
              "18: action 'create': limit names unknown delegation table 'sanctoin'");
}

PV_TEST(definition, limit_field_not_money)
{
    CHECK_ERR("bad_limit_field",
              "18: action 'create': limit field 'amount' must be a declared money field");
}

PV_TEST(definition, requires_unknown_action)
{
    CHECK_ERR("bad_requires", "14: action 'close' requires unknown action 'approve'");
}

PV_TEST(definition, set_undeclared_case_field)
{
    CHECK_ERR("bad_set_field", "18: action 'create': set names undeclared case field 'totl'");
}

PV_TEST(definition, check_expression_error)
{
    CHECK_ERR("bad_check_expr", "17: expression 'amount <= case.totl': unknown name 'case.totl' "
                                "(not a declared case field) at column 20");
}

PV_TEST(definition, conditional_to_without_default)
{
    CHECK_ERR("bad_to_last_when",
              "13: action 'close': the last `to` entry must have no when (the default)");
}

PV_TEST(definition, sla_days_and_until)
{
    CHECK_ERR("bad_sla_both", "9: state 'open': sla needs exactly one of days or until");
}

PV_TEST(definition, sla_until_not_date)
{
    CHECK_ERR("bad_until_not_date",
              "11: state 'open': sla until 'amount' must name a case field of type date");
}

PV_TEST(definition, terminal_with_sla)
{
    CHECK_ERR("bad_terminal_sla",
              "8: state 'done' is terminal: it can have no sla, reminders or escalation");
}

PV_TEST(definition, reminders_without_sla)
{
    CHECK_ERR("bad_reminders_no_sla", "8: state 'open': reminders and escalation need an sla");
}

PV_TEST(definition, escalation_target_malformed)
{
    CHECK_ERR("bad_escalation_target",
              "10: escalation target 'boss' must be reporting:N, role:ROLE or assignee");
}

PV_TEST(definition, assign_field_not_post)
{
    CHECK_ERR("bad_assign_field",
              "15: action 'close': assign field:next must name a field of type post");
}

PV_TEST(definition, directory_without_field)
{
    CHECK_ERR("bad_directory_field", "15: action 'close': directory transfer needs a required "
                                     "field 'to_post' of type post");
}

PV_TEST(definition, office_field_not_declared)
{
    PV_CHECK_EQ_STR(load_error("bad_office_field"),
                    "bad_office_field.yaml: action 'create' (line 10) creates cases: it needs a "
                    "required field 'office' of type office (office: field:office)");
}

PV_TEST(definition, reserved_state_name)
{
    CHECK_ERR("bad_state_start", "7: 'start' is reserved and cannot name a state");
}

PV_TEST(definition, bad_case_id_regex)
{
    CHECK_ERR("bad_case_id", "5: case_id is not a valid POSIX extended regex");
}

PV_TEST(definition, no_creating_action)
{
    PV_CHECK_EQ_STR(load_error("bad_no_create"),
                    "bad_no_create.yaml: no action has `from: [start]`: no case could ever be "
                    "created");
}

/* ---- inputs that are not definitions at all ---- */

static const char *load_text_error(const char *yaml)
{
    static char err[512];
    pv_def_t *def = NULL;
    err[0] = '\0';
    if (pv_def_load(yaml, strlen(yaml), "t.yaml", &def, err, sizeof err) == 0) {
        pv_test_fail(__FILE__, __LINE__, "load unexpectedly succeeded");
        pv_def_free(def);
    }
    return err;
}

PV_TEST(definition, not_a_mapping)
{
    PV_CHECK_EQ_STR(load_text_error("- a\n- b\n"), "t.yaml:1: a definition must be a mapping");
    PV_CHECK_EQ_STR(load_text_error(""), "t.yaml: empty document");
    CHECK_HAS(load_text_error("workflow: [\n"), "t.yaml:");
}

PV_TEST(definition, header_values)
{
    CHECK_HAS(load_text_error("workflow: Works\nversion: 1\ncalendar: h\n"),
              "t.yaml:1: workflow name 'Works' must be lower-case letters, digits or _");
    CHECK_HAS(load_text_error("workflow: w\nversion: 0\ncalendar: h\n"),
              "t.yaml:2: '0' is out of range");
    CHECK_HAS(load_text_error("workflow: w\nversion: 1\ncalendar: h\noffice: desk\n"),
              "t.yaml:4: office must be actor or field:NAME");
    CHECK_HAS(load_text_error("workflow: w\nversion: 1\ncalendar: h\n"),
              "t.yaml:1: missing states");
}
