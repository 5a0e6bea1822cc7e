/* Tests of the HRMS directory (engine/directory.c) and its seed schemas/directory/haryana.yaml. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pravah/directory.h"
#include "pvtest.h"

/* A small tree: STATE <- DIST <- ULB, with the engineering chain JE -> SDO -> XEN -> SE. */
static pv_directory_t *small_dir(void)
{
    pv_directory_t *d = pv_directory_new();
    PV_CHECK(d != NULL);
    PV_CHECK_EQ_INT(pv_directory_put_office(d, "STATE", "State", "secretariat", "", ""), 0);
    PV_CHECK_EQ_INT(pv_directory_put_office(d, "DIST", "District", "district", "STATE", "D"), 0);
    PV_CHECK_EQ_INT(pv_directory_put_office(d, "ULB", "Committee", "committee", "DIST", "D"), 0);
    PV_CHECK_EQ_INT(pv_directory_put_post(d, "SE", "SE", "STATE", ""), 0);
    PV_CHECK_EQ_INT(pv_directory_put_post(d, "XEN", "XEN", "DIST", "SE"), 0);
    PV_CHECK_EQ_INT(pv_directory_put_post(d, "SDO", "SDO", "ULB", "XEN"), 0);
    PV_CHECK_EQ_INT(pv_directory_put_post(d, "JE-1", "JE", "ULB", "SDO"), 0);
    PV_CHECK_EQ_INT(pv_directory_put_post(d, "JE-2", "JE", "ULB", "SDO"), 0);
    PV_CHECK_EQ_INT(pv_directory_put_post(d, "DC", "DC", "DIST", ""), 0);
    return d;
}

PV_TEST(directory, put_get_copies_strings)
{
    pv_directory_t *d = pv_directory_new();
    char id[16] = "ULB-X", name[32] = "Municipal Committee X";
    PV_CHECK_EQ_INT(pv_directory_put_office(d, id, name, "committee", NULL, NULL), 0);
    strcpy(id, "ZZZ");
    strcpy(name, "overwritten");
    const pv_office_t *o = pv_directory_office(d, "ULB-X");
    PV_CHECK(o != NULL);
    PV_CHECK_EQ_STR(o->name, "Municipal Committee X");
    PV_CHECK_EQ_STR(o->kind, "committee");
    PV_CHECK_EQ_STR(o->parent, "");
    PV_CHECK_EQ_STR(o->district, "");
    PV_CHECK(pv_directory_office(d, "ZZZ") == NULL);
    PV_CHECK(pv_directory_office(d, NULL) == NULL);
    PV_CHECK(pv_directory_post(d, "nope") == NULL);
    PV_CHECK(pv_directory_officer(d, "nope") == NULL);
    PV_CHECK_EQ_INT(pv_directory_office_count(d), 1);
    PV_CHECK_EQ_STR(pv_directory_office_at(d, 0)->id, "ULB-X");
    PV_CHECK(pv_directory_office_at(d, 1) == NULL);
    pv_directory_free(d);
    pv_directory_free(NULL);
}

PV_TEST(directory, put_rejects_bad_arguments_and_unknown_references)
{
    pv_directory_t *d = small_dir();
    PV_CHECK_EQ_INT(pv_directory_put_office(d, "", "x", "k", "", ""), PV_EINVAL);
    PV_CHECK_EQ_INT(pv_directory_put_office(d, "A", "x", "k", "NOPE", ""), PV_ENOENT);
    PV_CHECK_EQ_INT(pv_directory_put_post(d, "P", "", "ULB", ""), PV_EINVAL);
    PV_CHECK_EQ_INT(pv_directory_put_post(d, NULL, "JE", "ULB", ""), PV_EINVAL);
    PV_CHECK_EQ_INT(pv_directory_put_post(d, "P", "JE", "NOPE", ""), PV_ENOENT);
    PV_CHECK_EQ_INT(pv_directory_put_post(d, "P", "JE", "ULB", "NOPE"), PV_ENOENT);
    PV_CHECK_EQ_INT(pv_directory_put_officer(d, "", "x", ""), PV_EINVAL);
    PV_CHECK_EQ_INT(pv_directory_put_officer(d, "E1", "x", "NOPE"), PV_ENOENT);
    char longid[80];
    memset(longid, 'X', sizeof longid - 1);
    longid[sizeof longid - 1] = '\0';
    PV_CHECK_EQ_INT(pv_directory_put_officer(d, longid, "x", ""), PV_ERANGE);
    longid[PV_DIRECTORY_ID_MAX + 1] = '\0';
    PV_CHECK_EQ_INT(pv_directory_put_post(d, longid, "JE", "ULB", ""), PV_ERANGE);
    PV_CHECK_EQ_INT(pv_directory_put_office(d, longid, "x", "k", "", ""), PV_ERANGE);
    longid[PV_DIRECTORY_ID_MAX] = '\0';
    PV_CHECK_EQ_INT(pv_directory_put_post(d, longid, "JE", "ULB", ""), 0);
    PV_CHECK(pv_directory_officer(d, "E1") == NULL);
    PV_CHECK(pv_directory_office(d, "A") == NULL);
    PV_CHECK(pv_directory_post(d, "P") == NULL);
    PV_CHECK_EQ_INT(pv_directory_post_count(d), 7);
    pv_directory_free(d);
}

PV_TEST(directory, replace_office_and_post_keeps_holder)
{
    pv_directory_t *d = small_dir();
    PV_CHECK_EQ_INT(pv_directory_put_officer(d, "E1", "Ramesh", "SDO"), 0);
    PV_CHECK_EQ_INT(pv_directory_put_office(d, "ULB", "Council", "council", "DIST", "D"), 0);
    PV_CHECK_EQ_STR(pv_directory_office(d, "ULB")->kind, "council");
    PV_CHECK_EQ_INT(pv_directory_office_count(d), 3);
    /* The SDO now reports straight to the SE and sits in the district office. */
    PV_CHECK_EQ_INT(pv_directory_put_post(d, "SDO", "SDO", "DIST", "SE"), 0);
    const pv_post_t *p = pv_directory_post(d, "SDO");
    PV_CHECK_EQ_STR(p->office, "DIST");
    PV_CHECK_EQ_STR(p->reports_to, "SE");
    PV_CHECK_EQ_STR(p->holder, "E1");
    PV_CHECK_EQ_INT(pv_directory_post_count(d), 6);
    PV_CHECK_EQ_STR(pv_directory_find_role(d, "SDO", "DIST")->id, "SDO");
    PV_CHECK(pv_directory_find_role(d, "SDO", "STATE") == NULL);
    /* Replacing with the directory's own strings (aliasing) is safe. */
    const pv_officer_t *e = pv_directory_officer(d, "E1");
    PV_CHECK_EQ_INT(pv_directory_put_officer(d, e->id, e->name, e->post), 0);
    PV_CHECK_EQ_STR(pv_directory_officer(d, "E1")->name, "Ramesh");
    PV_CHECK_EQ_STR(pv_directory_officer(d, "E1")->post, "SDO");
    pv_directory_free(d);
}

PV_TEST(directory, officer_unposted_and_vacant_post)
{
    pv_directory_t *d = small_dir();
    PV_CHECK_EQ_STR(pv_directory_post(d, "JE-1")->holder, "");
    PV_CHECK_EQ_INT(pv_directory_put_officer(d, "E1", "Suresh", "JE-1"), 0);
    PV_CHECK_EQ_STR(pv_directory_post(d, "JE-1")->holder, "E1");
    PV_CHECK_EQ_STR(pv_directory_officer(d, "E1")->post, "JE-1");
    /* Relieved: unposted, the post falls vacant and keeps existing. */
    PV_CHECK_EQ_INT(pv_directory_put_officer(d, "E1", "Suresh", ""), 0);
    PV_CHECK_EQ_STR(pv_directory_officer(d, "E1")->post, "");
    PV_CHECK_EQ_STR(pv_directory_post(d, "JE-1")->holder, "");
    PV_CHECK_EQ_INT(pv_directory_put_officer(d, "E2", "Sunita", NULL), 0);
    PV_CHECK_EQ_STR(pv_directory_officer(d, "E2")->post, "");
    PV_CHECK_EQ_INT(pv_directory_officer_count(d), 2);
    pv_directory_free(d);
}

PV_TEST(directory, successor_takes_post_and_predecessor_is_unposted)
{
    pv_directory_t *d = small_dir();
    PV_CHECK_EQ_INT(pv_directory_put_officer(d, "OLD", "Anil", "XEN"), 0);
    PV_CHECK_EQ_INT(pv_directory_put_officer(d, "NEW", "Sunil", "XEN"), 0);
    PV_CHECK_EQ_STR(pv_directory_post(d, "XEN")->holder, "NEW");
    PV_CHECK_EQ_STR(pv_directory_officer(d, "NEW")->post, "XEN");
    PV_CHECK_EQ_STR(pv_directory_officer(d, "OLD")->post, "");
    /* Putting the holder again on the same post changes nothing. */
    PV_CHECK_EQ_INT(pv_directory_put_officer(d, "NEW", "Sunil Kumar", "XEN"), 0);
    PV_CHECK_EQ_STR(pv_directory_post(d, "XEN")->holder, "NEW");
    PV_CHECK_EQ_STR(pv_directory_officer(d, "NEW")->name, "Sunil Kumar");
    pv_directory_free(d);
}

PV_TEST(directory, transfer_vacates_old_post_and_displaces_new_holder)
{
    pv_directory_t *d = small_dir();
    PV_CHECK_EQ_INT(pv_directory_put_officer(d, "A", "Rajesh", "JE-1"), 0);
    PV_CHECK_EQ_INT(pv_directory_put_officer(d, "B", "Mukesh", "JE-2"), 0);
    PV_CHECK_EQ_INT(pv_directory_put_officer(d, "A", "Rajesh", "JE-2"), 0);
    PV_CHECK_EQ_STR(pv_directory_post(d, "JE-1")->holder, "");
    PV_CHECK_EQ_STR(pv_directory_post(d, "JE-2")->holder, "A");
    PV_CHECK_EQ_STR(pv_directory_officer(d, "A")->post, "JE-2");
    PV_CHECK_EQ_STR(pv_directory_officer(d, "B")->post, "");
    /* B joins the vacant JE-1. */
    PV_CHECK_EQ_INT(pv_directory_put_officer(d, "B", "Mukesh", "JE-1"), 0);
    PV_CHECK_EQ_STR(pv_directory_post(d, "JE-1")->holder, "B");
    PV_CHECK_EQ_STR(pv_directory_post(d, "JE-2")->holder, "A");
    pv_directory_free(d);
}

PV_TEST(directory, superior_levels)
{
    pv_directory_t *d = small_dir();
    PV_CHECK_EQ_STR(pv_directory_superior(d, "JE-1", 0)->id, "JE-1");
    PV_CHECK_EQ_STR(pv_directory_superior(d, "JE-1", 1)->id, "SDO");
    PV_CHECK_EQ_STR(pv_directory_superior(d, "JE-1", 2)->id, "XEN");
    PV_CHECK_EQ_STR(pv_directory_superior(d, "JE-1", 3)->id, "SE");
    PV_CHECK(pv_directory_superior(d, "JE-1", 4) == NULL);
    PV_CHECK(pv_directory_superior(d, "JE-1", -1) == NULL);
    PV_CHECK(pv_directory_superior(d, "NOPE", 1) == NULL);
    PV_CHECK(pv_directory_superior(d, "DC", 1) == NULL);
    pv_directory_free(d);
}

PV_TEST(directory, reporting_cycle_refused)
{
    pv_directory_t *d = small_dir();
    PV_CHECK_EQ_INT(pv_directory_put_post(d, "SE", "SE", "STATE", "SE"), PV_EINVAL);
    PV_CHECK_EQ_INT(pv_directory_put_post(d, "SE", "SE", "STATE", "JE-1"), PV_EINVAL);
    PV_CHECK_EQ_INT(pv_directory_put_post(d, "SDO", "SDO", "ULB", "JE-2"), PV_EINVAL);
    PV_CHECK_EQ_STR(pv_directory_post(d, "SE")->reports_to, "");
    PV_CHECK_EQ_STR(pv_directory_post(d, "SDO")->reports_to, "XEN");
    /* Re-pointing without a cycle is fine: SE now reports to DC. */
    PV_CHECK_EQ_INT(pv_directory_put_post(d, "SE", "SE", "STATE", "DC"), 0);
    PV_CHECK_EQ_STR(pv_directory_superior(d, "JE-1", 4)->id, "DC");
    PV_CHECK_EQ_INT(pv_directory_put_post(d, "DC", "DC", "DIST", "JE-1"), PV_EINVAL);
    PV_CHECK(pv_directory_superior(d, "JE-1", 5) == NULL);
    pv_directory_free(d);
}

PV_TEST(directory, office_parent_cycle_refused)
{
    pv_directory_t *d = small_dir();
    PV_CHECK_EQ_INT(pv_directory_put_office(d, "STATE", "State", "secretariat", "ULB", ""),
                    PV_EINVAL);
    PV_CHECK_EQ_INT(pv_directory_put_office(d, "DIST", "District", "district", "DIST", ""),
                    PV_EINVAL);
    PV_CHECK_EQ_STR(pv_directory_office(d, "STATE")->parent, "");
    PV_CHECK_EQ_STR(pv_directory_office(d, "DIST")->parent, "STATE");
    pv_directory_free(d);
}

PV_TEST(directory, find_role_walks_up_and_picks_smallest_id)
{
    pv_directory_t *d = small_dir();
    PV_CHECK_EQ_STR(pv_directory_find_role(d, "JE", "ULB")->id, "JE-1");
    PV_CHECK_EQ_STR(pv_directory_find_role(d, "DC", "ULB")->id, "DC");
    PV_CHECK_EQ_STR(pv_directory_find_role(d, "SE", "ULB")->id, "SE");
    PV_CHECK(pv_directory_find_role(d, "JE", "DIST") == NULL);
    PV_CHECK(pv_directory_find_role(d, "CE", "ULB") == NULL);
    PV_CHECK(pv_directory_find_role(d, "JE", "NOPE") == NULL);
    /* A nearer office wins over a smaller id further up. */
    PV_CHECK_EQ_INT(pv_directory_put_post(d, "A-DC", "DC", "STATE", ""), 0);
    PV_CHECK_EQ_STR(pv_directory_find_role(d, "DC", "ULB")->id, "DC");
    PV_CHECK_EQ_INT(pv_directory_put_post(d, "A-JE", "JE", "ULB", "SDO"), 0);
    PV_CHECK_EQ_STR(pv_directory_find_role(d, "JE", "ULB")->id, "A-JE");
    pv_directory_free(d);
}

PV_TEST(directory, find_role_follows_role_and_office_changes)
{
    pv_directory_t *d = small_dir();
    /* JE-1 becomes an AE: JE-2 is now the smallest JE. */
    PV_CHECK_EQ_INT(pv_directory_put_post(d, "JE-1", "AE", "ULB", "SDO"), 0);
    PV_CHECK_EQ_STR(pv_directory_find_role(d, "JE", "ULB")->id, "JE-2");
    PV_CHECK_EQ_STR(pv_directory_find_role(d, "AE", "ULB")->id, "JE-1");
    /* JE-2 moves to the district: no JE left in the ULB, found one level up. */
    PV_CHECK_EQ_INT(pv_directory_put_post(d, "JE-2", "JE", "DIST", "XEN"), 0);
    PV_CHECK_EQ_STR(pv_directory_find_role(d, "JE", "ULB")->id, "JE-2");
    PV_CHECK_EQ_STR(pv_directory_find_role(d, "JE", "DIST")->id, "JE-2");
    PV_CHECK_EQ_INT(pv_directory_put_post(d, "JE-1", "JE", "ULB", "SDO"), 0);
    PV_CHECK_EQ_STR(pv_directory_find_role(d, "JE", "ULB")->id, "JE-1");
    PV_CHECK(pv_directory_find_role(d, "AE", "ULB") == NULL);
    pv_directory_free(d);
}

PV_TEST(directory, reports_to_is_transitive)
{
    pv_directory_t *d = small_dir();
    PV_CHECK(pv_directory_reports_to(d, "JE-1", "SDO"));
    PV_CHECK(pv_directory_reports_to(d, "JE-1", "XEN"));
    PV_CHECK(pv_directory_reports_to(d, "JE-1", "SE"));
    PV_CHECK(!pv_directory_reports_to(d, "JE-1", "JE-1"));
    PV_CHECK(!pv_directory_reports_to(d, "JE-1", "JE-2"));
    PV_CHECK(!pv_directory_reports_to(d, "SE", "JE-1"));
    PV_CHECK(!pv_directory_reports_to(d, "JE-1", "DC"));
    PV_CHECK(!pv_directory_reports_to(d, "JE-1", "NOPE"));
    PV_CHECK(!pv_directory_reports_to(d, "NOPE", "SE"));
    pv_directory_free(d);
}

static const char seed_ok[] = "posts:\n"
                              "  - {id: P-SUP, role: SUP, office: O1}\n"
                              "  - id: P-SUB\n"
                              "    role: SUB\n"
                              "    office: O2\n"
                              "    reports_to: P-SUP\n"
                              "offices:\n"
                              "  - {id: O1, name: \"One\", kind: secretariat}\n"
                              "  - {id: O2, name: Two, kind: district, parent: O1, district: X}\n"
                              "officers:\n"
                              "  - {id: E1, name: \"Anju Rana\", post: P-SUB}\n"
                              "  - {id: E2, name: \"Renu Gill\"}\n";

PV_TEST(directory, load_small_seed)
{
    pv_directory_t *d = pv_directory_new();
    char err[256] = "";
    int rc = pv_directory_load(d, seed_ok, strlen(seed_ok), "s.yaml", err, sizeof err);
    PV_CHECK_EQ_INT(rc, 0);
    if (rc)
        fprintf(stderr, "  %s\n", err);
    PV_CHECK_EQ_STR(pv_directory_office(d, "O2")->parent, "O1");
    PV_CHECK_EQ_STR(pv_directory_office(d, "O2")->district, "X");
    PV_CHECK_EQ_STR(pv_directory_post(d, "P-SUB")->holder, "E1");
    PV_CHECK_EQ_STR(pv_directory_superior(d, "P-SUB", 1)->id, "P-SUP");
    PV_CHECK_EQ_STR(pv_directory_officer(d, "E2")->post, "");
    PV_CHECK_EQ_STR(pv_directory_officer(d, "E2")->name, "Renu Gill");
    /* Loading the same seed again: every id is a duplicate. */
    rc = pv_directory_load(d, seed_ok, strlen(seed_ok), "s.yaml", err, sizeof err);
    PV_CHECK_EQ_INT(rc, PV_EINVAL);
    PV_CHECK_EQ_STR(err, "s.yaml:8: duplicate office id 'O1'");
    pv_directory_free(d);
}

/* One seed that must fail with exactly `want` in err. */
static void check_load_error(const char *yaml, int want_rc, const char *want)
{
    pv_directory_t *d = pv_directory_new();
    char err[256] = "";
    int rc = pv_directory_load(d, yaml, strlen(yaml), "seed.yaml", err, sizeof err);
    PV_CHECK_EQ_INT(rc, want_rc);
    PV_CHECK_EQ_STR(err, want);
    pv_directory_free(d);
}

#define OFFICES "offices:\n  - {id: O1, name: One, kind: district}\n" /* lines 1-2 */

PV_TEST(directory, load_errors_carry_file_and_line)
{
    check_load_error("", PV_EINVAL, "seed.yaml:1: empty document");
    check_load_error("offices: [\n", PV_EFORMAT,
                     "seed.yaml:2: invalid YAML: did not find expected node content");
    check_load_error("- a\n", PV_EINVAL, "seed.yaml:1: the document must be a mapping");
    check_load_error(OFFICES "people: []\n", PV_EINVAL,
                     "seed.yaml:3: unknown top-level key 'people' (expected offices, posts, "
                     "officers)");
    check_load_error("offices: {id: O1}\n", PV_EINVAL, "seed.yaml:1: 'offices' must be a sequence");
    check_load_error("offices:\n  - O1\n", PV_EINVAL,
                     "seed.yaml:2: offices entry must be a mapping");
    check_load_error("offices:\n  - {id: O1, name: One, kind: district, colour: red}\n", PV_EINVAL,
                     "seed.yaml:2: unknown key 'colour' in office");
    check_load_error("offices:\n  - {id: O1, name: One, kind: district, id: O2}\n", PV_EINVAL,
                     "seed.yaml:2: duplicate key 'id' in office");
    check_load_error("offices:\n  - {id: O1, name: [One], kind: district}\n", PV_EINVAL,
                     "seed.yaml:2: office key 'name' must be a scalar");
    check_load_error("offices:\n  - {name: One, kind: district}\n", PV_EINVAL,
                     "seed.yaml:2: office without 'id'");
    check_load_error("offices:\n  - {id: O1, name: One}\n", PV_EINVAL,
                     "seed.yaml:2: office 'O1' without 'kind'");
    check_load_error("offices:\n  - {id: O1234567890123456789012345678901, name: L, kind: x}\n",
                     PV_EINVAL,
                     "seed.yaml:2: office id 'O1234567890123456789012345678901' is longer than 31 "
                     "bytes");
    check_load_error(OFFICES "  - {id: O1, name: Again, kind: district}\n", PV_EINVAL,
                     "seed.yaml:3: duplicate office id 'O1'");
    check_load_error(OFFICES "  - {id: O2, name: Two, kind: ulb, parent: O9}\n", PV_EINVAL,
                     "seed.yaml:3: office 'O2' has unknown parent 'O9' (define parents first)");
}

PV_TEST(directory, load_errors_in_posts_and_officers)
{
    check_load_error(OFFICES "posts:\n  - {id: P1, office: O1}\n", PV_EINVAL,
                     "seed.yaml:4: post 'P1' without 'role'");
    check_load_error(OFFICES "posts:\n  - {id: P1, role: JE}\n", PV_EINVAL,
                     "seed.yaml:4: post 'P1' without 'office'");
    check_load_error(OFFICES "posts:\n  - {id: P1, role: JE, office: O9}\n", PV_EINVAL,
                     "seed.yaml:4: post 'P1' names unknown office 'O9'");
    check_load_error(OFFICES "posts:\n  - {id: P1, role: JE, office: O1, reports_to: P2}\n"
                             "  - {id: P2, role: SDO, office: O1}\n",
                     PV_EINVAL,
                     "seed.yaml:4: post 'P1' reports to unknown post 'P2' (define superiors "
                     "first)");
    check_load_error(OFFICES "posts:\n  - {id: P1, role: JE, office: O1}\n"
                             "  - {id: P1, role: SDO, office: O1}\n",
                     PV_EINVAL, "seed.yaml:5: duplicate post id 'P1'");
    check_load_error(OFFICES "posts:\n  - {id: P1, role: JE, office: O1}\n"
                             "officers:\n  - {id: E1, post: P1}\n",
                     PV_EINVAL, "seed.yaml:6: officer 'E1' without 'name'");
    check_load_error(OFFICES "posts:\n  - {id: P1, role: JE, office: O1}\n"
                             "officers:\n  - {id: E1, name: A, post: P9}\n",
                     PV_EINVAL, "seed.yaml:6: officer 'E1' posted to unknown post 'P9'");
    check_load_error(OFFICES "posts:\n  - {id: P1, role: JE, office: O1}\n"
                             "officers:\n  - {id: E1, name: A, post: P1}\n"
                             "  - {id: E2, name: B, post: P1}\n",
                     PV_EINVAL, "seed.yaml:7: officer 'E2' posted to 'P1', already held by 'E1'");
    check_load_error(OFFICES "posts:\n  - {id: P1, role: JE, office: O1}\n"
                             "officers:\n  - {id: E1, name: A}\n  - {id: E1, name: B}\n",
                     PV_EINVAL, "seed.yaml:7: duplicate officer id 'E1'");
}

PV_TEST(directory, load_tolerates_empty_sections_and_tiny_err)
{
    pv_directory_t *d = pv_directory_new();
    const char *y = OFFICES "posts:\nofficers: []\n";
    PV_CHECK_EQ_INT(pv_directory_load(d, y, strlen(y), "s.yaml", NULL, 0), 0);
    PV_CHECK_EQ_INT(pv_directory_office_count(d), 1);
    char err[8];
    y = "offices: 3\n";
    PV_CHECK_EQ_INT(pv_directory_load(d, y, strlen(y), "s.yaml", err, sizeof err), PV_EINVAL);
    PV_CHECK_EQ_STR(err, "s.yaml:");
    pv_directory_free(d);
}

/* ---- the real seed ---- */

static pv_directory_t *haryana(void)
{
    size_t len = 0;
    char *yaml = pv_test_read_file("schemas/directory/haryana.yaml", &len);
    PV_CHECK(yaml != NULL);
    if (!yaml)
        return NULL;
    pv_directory_t *d = pv_directory_new();
    char err[512] = "";
    int rc = pv_directory_load(d, yaml, len, "schemas/directory/haryana.yaml", err, sizeof err);
    PV_CHECK_EQ_INT(rc, 0);
    if (rc)
        fprintf(stderr, "  %s\n", err);
    free(yaml);
    return d;
}

static size_t count_offices(const pv_directory_t *d, const char *kind)
{
    size_t n = 0;
    for (size_t i = 0; i < pv_directory_office_count(d); i++)
        n += strcmp(pv_directory_office_at(d, i)->kind, kind) == 0;
    return n;
}

PV_TEST(directory, haryana_seed_counts)
{
    pv_directory_t *d = haryana();
    if (!d)
        return;
    PV_CHECK_EQ_INT(count_offices(d, "corporation"), 11);
    PV_CHECK_EQ_INT(count_offices(d, "council"), 23);
    PV_CHECK_EQ_INT(count_offices(d, "committee"), 54);
    PV_CHECK_EQ_INT(count_offices(d, "district"), 22);
    PV_CHECK_EQ_INT(count_offices(d, "directorate"), 1);
    PV_CHECK_EQ_INT(count_offices(d, "department"), 1);
    PV_CHECK_EQ_INT(count_offices(d, "secretariat"), 2);
    PV_CHECK_EQ_INT(count_offices(d, "zone"), 4);
    PV_CHECK_EQ_INT(pv_directory_office_count(d), 118);
    /* Every ULB hangs under its district office and names its district. */
    size_t ulbs = 0, vacant = 0, unposted = 0;
    for (size_t i = 0; i < pv_directory_office_count(d); i++) {
        const pv_office_t *o = pv_directory_office_at(d, i);
        if (strncmp(o->id, "ULB-", 4) != 0 || strcmp(o->id, "ULB-DEPT") == 0)
            continue;
        ulbs++;
        char want[40];
        snprintf(want, sizeof want, "DIST-%s", o->district);
        PV_CHECK_EQ_STR(o->parent, want);
    }
    PV_CHECK_EQ_INT(ulbs, 88);
    for (size_t i = 0; i < pv_directory_post_count(d); i++) {
        const pv_post_t *p = pv_directory_post_at(d, i);
        vacant += p->holder[0] == '\0';
        PV_CHECK(strlen(p->id) <= 31);
    }
    for (size_t i = 0; i < pv_directory_officer_count(d); i++)
        unposted += pv_directory_officer_at(d, i)->post[0] == '\0';
    PV_CHECK_EQ_INT(unposted, 20);
    PV_CHECK(vacant > 0 && vacant * 100 <= pv_directory_post_count(d) * 4);
    PV_CHECK_EQ_INT(pv_directory_officer_count(d), pv_directory_post_count(d) - vacant + 20);
    pv_directory_free(d);
}

PV_TEST(directory, haryana_seed_chains)
{
    pv_directory_t *d = haryana();
    if (!d)
        return;
    PV_CHECK_EQ_STR(pv_directory_office(d, "ULB-GGN")->name, "Municipal Corporation Gurugram");
    PV_CHECK_EQ_STR(pv_directory_office(d, "ULB-MNSR")->kind, "corporation");
    /* Works: JE -> SDO -> XEN -> SE -> CE -> DIRECTOR_ULB -> ADMIN_SECRETARY. */
    PV_CHECK_EQ_STR(pv_directory_superior(d, "GGN-MC-JE-1", 1)->role, "SDO");
    PV_CHECK_EQ_STR(pv_directory_superior(d, "GGN-MC-JE-1", 2)->id, "GGN-MC-XEN");
    PV_CHECK_EQ_STR(pv_directory_superior(d, "GGN-MC-JE-1", 3)->role, "SE");
    PV_CHECK_EQ_STR(pv_directory_superior(d, "GGN-MC-JE-1", 4)->role, "CE");
    PV_CHECK_EQ_STR(pv_directory_superior(d, "GGN-MC-JE-1", 5)->role, "DIRECTOR_ULB");
    PV_CHECK_EQ_STR(pv_directory_superior(d, "GGN-MC-JE-1", 6)->role, "ADMIN_SECRETARY");
    /* A committee's SDO reports to the district XEN; the committee head to the DMC. */
    PV_CHECK_EQ_STR(pv_directory_superior(d, "BRR-CM-SDO", 1)->id, "DIST-AMB-XEN");
    PV_CHECK_EQ_STR(pv_directory_superior(d, "BRR-CM-JE-2", 4)->role, "CE");
    PV_CHECK_EQ_STR(pv_directory_superior(d, "BRR-CM-SECRETARY", 1)->id, "DIST-AMB-DMC");
    PV_CHECK_EQ_STR(pv_directory_superior(d, "THNR-CL-EO", 1)->id, "DIST-KKR-DMC");
    /* District roles found from a committee office by walking up to the district. */
    PV_CHECK_EQ_STR(pv_directory_find_role(d, "DC", "ULB-BRR")->id, "DIST-AMB-DC");
    PV_CHECK_EQ_STR(pv_directory_find_role(d, "XEN", "ULB-KLK")->id, "DIST-PKL-XEN");
    PV_CHECK_EQ_STR(pv_directory_find_role(d, "XEN", "ULB-PKL")->id, "PKL-MC-XEN");
    PV_CHECK_EQ_STR(pv_directory_find_role(d, "JE", "ULB-GGN")->id, "GGN-MC-JE-1");
    PV_CHECK_EQ_STR(pv_directory_find_role(d, "NODAL_GRIEVANCE", "ULB-HTN")->id,
                    "DIST-PWL-NODAL_GRIEVANCE");
    PV_CHECK_EQ_STR(pv_directory_find_role(d, "HR_ADMIN", "ULB-GGN")->id, "HR-SECT-HR_ADMIN");
    PV_CHECK_EQ_STR(pv_directory_find_role(d, "CE", "DULB")->id, "DULB-CE");
    /* ULB -> district -> zone -> directorate -> department: state roles reachable by role. */
    PV_CHECK_EQ_STR(pv_directory_office(d, "DIST-GGN")->parent, "ZONE-4");
    PV_CHECK_EQ_STR(pv_directory_find_role(d, "SE", "ULB-GGN")->id, "ZONE-4-SE");
    PV_CHECK_EQ_STR(pv_directory_find_role(d, "SE", "ULB-BRR")->id, "ZONE-1-SE");
    PV_CHECK_EQ_STR(pv_directory_find_role(d, "SE", "ULB-BRR")->id,
                    pv_directory_superior(d, "BRR-CM-SDO", 2)->id);
    PV_CHECK_EQ_STR(pv_directory_find_role(d, "CE", "ULB-BRR")->id, "DULB-CE");
    PV_CHECK_EQ_STR(pv_directory_find_role(d, "DIRECTOR_ULB", "ULB-SRS")->id, "DULB-DIRECTOR_ULB");
    PV_CHECK_EQ_STR(pv_directory_find_role(d, "ADMIN_SECRETARY", "ULB-NUH")->id,
                    "ULB-DEPT-ADMIN_SECRETARY");
    PV_CHECK_EQ_STR(pv_directory_find_role(d, "LIT_NODAL", "ULB-FBD")->id, "ULB-DEPT-LIT_NODAL");
    PV_CHECK_EQ_STR(pv_directory_find_role(d, "CM_WINDOW", "CMO")->id, "CMO-CM_WINDOW");
    PV_CHECK(pv_directory_find_role(d, "CM_WINDOW", "ULB-GGN") == NULL);
    PV_CHECK_EQ_STR(pv_directory_find_role(d, "LIT_NODAL", "DULB")->id, "ULB-DEPT-LIT_NODAL");
    /* e-Office and grievance chains. */
    PV_CHECK(pv_directory_reports_to(d, "DIST-GGN-DEALING_ASSISTANT-2", "DIST-GGN-DC"));
    PV_CHECK_EQ_STR(pv_directory_superior(d, "DIST-GGN-DEALING_ASSISTANT-1", 3)->role, "ADC");
    PV_CHECK_EQ_STR(pv_directory_superior(d, "DIST-HSR-NODAL_GRIEVANCE", 1)->role, "FAA");
    PV_CHECK_EQ_STR(pv_directory_superior(d, "DIST-HSR-NODAL_GRIEVANCE", 2)->role, "SAA");
    PV_CHECK(!pv_directory_reports_to(d, "GGN-MC-JE-1", "DIST-GGN-DC"));
    PV_CHECK_EQ_STR(pv_directory_post(d, "GGN-MC-MC_HOUSE")->reports_to, "");
    PV_CHECK_EQ_STR(pv_directory_find_role(d, "MC_COMMITTEE", "ULB-BRR")->id,
                    "BRR-CM-MC_COMMITTEE");
    pv_directory_free(d);
}

PV_TEST(directory, haryana_seed_transfer)
{
    pv_directory_t *d = haryana();
    if (!d)
        return;
    const pv_post_t *je = pv_directory_post(d, "GGN-MC-JE-1");
    char old[32];
    snprintf(old, sizeof old, "%s", je->holder);
    PV_CHECK(old[0] != '\0');
    /* A spare officer (the last one in the seed) takes the post. */
    const pv_officer_t *spare = pv_directory_officer_at(d, pv_directory_officer_count(d) - 1);
    PV_CHECK_EQ_STR(spare->post, "");
    char sid[32];
    snprintf(sid, sizeof sid, "%s", spare->id);
    PV_CHECK_EQ_INT(pv_directory_put_officer(d, sid, spare->name, "GGN-MC-JE-1"), 0);
    PV_CHECK_EQ_STR(pv_directory_post(d, "GGN-MC-JE-1")->holder, sid);
    PV_CHECK_EQ_STR(pv_directory_officer(d, old)->post, "");
    pv_directory_free(d);
}

PV_TEST(directory, hundred_thousand_officers)
{
    enum { N = 100000 };
    pv_directory_t *d = pv_directory_new();
    char id[32], post[32], sup[32];
    PV_CHECK_EQ_INT(pv_directory_put_office(d, "O", "Office", "district", "", ""), 0);
    PV_CHECK_EQ_INT(pv_directory_put_post(d, "P-TOP", "TOP", "O", ""), 0);
    int failures = 0;
    for (int i = 0; i < N; i++) {
        snprintf(post, sizeof post, "P-%06d", i);
        snprintf(id, sizeof id, "EMP-%06d", i);
        snprintf(sup, sizeof sup, "P-%06d", i / 10);
        failures +=
            pv_directory_put_post(d, post, i % 2 ? "JE" : "SDO", "O", i ? sup : "P-TOP") != 0;
        failures += pv_directory_put_officer(d, id, "Officer", post) != 0;
    }
    PV_CHECK_EQ_INT(failures, 0);
    PV_CHECK_EQ_INT(pv_directory_officer_count(d), N);
    PV_CHECK_EQ_INT(pv_directory_post_count(d), N + 1);
    int misses = 0;
    for (int i = 0; i < N; i++) {
        snprintf(id, sizeof id, "EMP-%06d", i);
        snprintf(post, sizeof post, "P-%06d", i);
        const pv_officer_t *o = pv_directory_officer(d, id);
        const pv_post_t *p = pv_directory_post(d, post);
        misses += !o || !p || strcmp(o->post, post) != 0 || strcmp(p->holder, id) != 0;
    }
    PV_CHECK_EQ_INT(misses, 0);
    PV_CHECK_EQ_STR(pv_directory_find_role(d, "JE", "O")->id, "P-000001");
    PV_CHECK(pv_directory_reports_to(d, "P-099999", "P-TOP"));
    PV_CHECK_EQ_STR(pv_directory_superior(d, "P-099999", 1)->id, "P-009999");
    pv_directory_free(d);
}
