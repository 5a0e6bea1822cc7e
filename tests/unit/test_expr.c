/* Guard and effect expressions (engine/expr.c): parsing (precedence, names resolved at parse
 * time, errors with a column) and three-valued evaluation over an environment built by hand. */
#include <stdlib.h>

#include "expr.h"
#include "pravah/directory.h"
#include "pvtest.h"

/* The action declares amount, rate, note and opt; the workflow declares case fields total, due. */
static const char *const event_fields[] = {"amount", "rate", "note", "opt"};
static const char *const case_fields[] = {"total", "due"};
static const pv_expr_names_t names = {event_fields, 4, case_fields, 2};

#define DAY_MS 86400000LL

static pv_value_t v_int(int64_t i)
{
    return (pv_value_t){.kind = PV_VAL_INT, .u.i = i};
}

static pv_value_t v_str(const char *s)
{
    pv_value_t v = {.kind = PV_VAL_STR};
    v.u.s.ptr = s;
    v.u.s.len = (uint32_t)strlen(s);
    return v;
}

/* A fixed environment: opt is absent (nil); the event also carries the undeclared field extra
 * and a nested value. */
static void make_env(pv_expr_env_t *env, pv_value_t *args, pv_value_t *cf, pv_event_t *ev)
{
    args[0] = v_int(500);
    args[1] = (pv_value_t){.kind = PV_VAL_FLOAT, .u.f = 2.5};
    args[2] = v_str("hello");
    args[3] = (pv_value_t){.kind = PV_VAL_NIL};
    cf[0] = v_int(1000);
    cf[1] = v_int(3 * DAY_MS);
    memset(ev, 0, sizeof *ev);
    ev->fields[0] = (pv_field_t){"extra", v_int(42)};
    ev->fields[1] = (pv_field_t){"blob", {.kind = PV_VAL_NESTED}};
    ev->nfields = 2;
    *env = (pv_expr_env_t){.args = args,
                           .event = ev,
                           .case_fields = cf,
                           .case_seq = 7,
                           .created_at = 1000,
                           .entered_at = 2000,
                           .now = 5000,
                           .actor_role = "JE",
                           .actor_post = "JE-GGN-1",
                           .actor_office = "ULB-GGN",
                           .case_id = "WMS/ULB-GGN/2026/000001"};
}

/* Parses and evaluates src in the fixed environment. Only for results that do not borrow from
 * the expression itself (string literals die with it). */
static pv_value_t eval_src(const char *src)
{
    pv_value_t args[4], cf[2], out = {.kind = PV_VAL_NIL};
    pv_event_t ev;
    pv_expr_env_t env;
    pv_expr_t *e = NULL;
    char err[256] = "";
    make_env(&env, args, cf, &ev);
    if (pv_expr_parse(src, &names, &e, err, sizeof err) != 0) {
        pv_test_fail(__FILE__, __LINE__, "parse of \"%s\" failed: %s", src, err);
        return out;
    }
    pv_expr_eval(e, &env, &out);
    pv_expr_free(e);
    return out;
}

/* Checks that src evaluates to the integer i. */
#define CHECK_INT(src, want)                                                                       \
    do {                                                                                           \
        pv_value_t v_ = eval_src(src);                                                             \
        PV_CHECK_EQ_INT(v_.kind, PV_VAL_INT);                                                      \
        PV_CHECK_EQ_INT(v_.u.i, (want));                                                           \
    } while (0)

#define CHECK_BOOL(src, want)                                                                      \
    do {                                                                                           \
        pv_value_t v_ = eval_src(src);                                                             \
        PV_CHECK_EQ_INT(v_.kind, PV_VAL_BOOL);                                                     \
        PV_CHECK_EQ_INT(v_.u.b, (want));                                                           \
    } while (0)

#define CHECK_NIL(src) PV_CHECK_EQ_INT(eval_src(src).kind, PV_VAL_NIL)

/* Parses src, expecting failure; returns the message in a static buffer. */
static const char *parse_error(const char *src)
{
    static char err[256];
    pv_expr_t *e = NULL;
    err[0] = '\0';
    if (pv_expr_parse(src, &names, &e, err, sizeof err) != PV_EINVAL) {
        pv_test_fail(__FILE__, __LINE__, "parse of \"%s\" unexpectedly succeeded", src);
        pv_expr_free(e);
    }
    if (e)
        pv_test_fail(__FILE__, __LINE__, "a failed parse set *out");
    return err;
}

#define CHECK_HAS(hay, needle)                                                                     \
    do {                                                                                           \
        const char *h_ = (hay);                                                                    \
        if (!strstr(h_, (needle)))                                                                 \
            pv_test_fail(__FILE__, __LINE__, "\"%s\" does not contain \"%s\"", h_, (needle));      \
    } while (0)

PV_TEST(expr, mul_binds_tighter_than_add)
{
    CHECK_INT("1 + 2 * 3", 7);
    CHECK_INT("(1 + 2) * 3", 9);
    CHECK_INT("10 - 4 - 3", 3); /* left-associative */
    CHECK_INT("100 / 10 / 5", 2);
    CHECK_INT("2 * 3 % 4", 2); /* (2*3)%4 */
    CHECK_INT("-2 * -3", 6);
}

PV_TEST(expr, comparison_binds_tighter_than_logic)
{
    CHECK_BOOL("1 + 1 == 2 && 3 > 2", true);
    CHECK_BOOL("1 < 2 || 1 > 2 && false", true); /* && before || */
    CHECK_BOOL("(1 < 2 || 1 > 2) && false", false);
    CHECK_BOOL("!1 == 2", false); /* (!1) == 2: 0 == 2 */
    CHECK_BOOL("!(1 == 2)", true);
}

PV_TEST(expr, comparisons_do_not_chain)
{
    const char *err = parse_error("1 < 2 < 3");
    PV_CHECK_EQ_STR(err, "unexpected '<' at column 7");
}

PV_TEST(expr, integer_arithmetic_stays_integer)
{
    CHECK_INT("7 / 2", 3);
    CHECK_INT("-7 / 2", -3);
    CHECK_INT("7 % 3", 1);
    CHECK_INT("amount * 2 + 1", 1001);
}

PV_TEST(expr, float_arithmetic)
{
    pv_value_t v = eval_src("7.0 / 2");
    PV_CHECK_EQ_INT(v.kind, PV_VAL_FLOAT);
    PV_CHECK(v.u.f == 3.5);
    v = eval_src("rate * 2");
    PV_CHECK_EQ_INT(v.kind, PV_VAL_FLOAT);
    PV_CHECK(v.u.f == 5.0);
    v = eval_src("7.5 % 2");
    PV_CHECK_EQ_INT(v.kind, PV_VAL_FLOAT);
    PV_CHECK(v.u.f == 1.5);
    v = eval_src("1e3 + 1");
    PV_CHECK_EQ_INT(v.kind, PV_VAL_FLOAT);
    PV_CHECK(v.u.f == 1001.0);
    CHECK_BOOL("rate > 2", true);
    CHECK_BOOL("2 == 2.0", true);
}

PV_TEST(expr, integer_overflow_is_nil)
{
    CHECK_NIL("9223372036854775807 + 1");
    CHECK_NIL("-9223372036854775807 - 2");
    CHECK_NIL("4611686018427387904 * 2");
    CHECK_NIL("(-9223372036854775807 - 1) / -1");
    CHECK_NIL("(-9223372036854775807 - 1) % -1");
    CHECK_NIL("-(-9223372036854775807 - 1)");
    CHECK_INT("9223372036854775806 + 1", INT64_MAX);
    CHECK_NIL("1e308 * 10"); /* a float that is not finite */
}

PV_TEST(expr, division_by_zero_is_nil)
{
    CHECK_NIL("1 / 0");
    CHECK_NIL("1 % 0");
    CHECK_NIL("1.5 / 0");
    CHECK_NIL("1 / 0.0");
    CHECK_NIL("amount % (amount - 500)");
    CHECK_BOOL("1 / 0 > 0 || true", true); /* nil does not stop the true side */
}

PV_TEST(expr, string_equality)
{
    CHECK_BOOL("note == 'hello'", true);
    CHECK_BOOL("note != 'hello'", false);
    CHECK_BOOL("'abc' == 'abd'", false);
    CHECK_BOOL("'abc' != 'ab'", true);
    CHECK_BOOL("'' == ''", true);
    CHECK_BOOL("note == 5", false); /* different kinds are never equal */
    CHECK_BOOL("note != 5", true);
}

PV_TEST(expr, string_ordering_is_nil)
{
    CHECK_NIL("'a' < 'b'");
    CHECK_NIL("note >= 'a'");
    CHECK_NIL("note < 5");
    CHECK_NIL("note + 1");
    CHECK_NIL("-note");
}

PV_TEST(expr, kleene_and)
{
    CHECK_BOOL("opt && false", false);
    CHECK_BOOL("false && opt", false);
    CHECK_NIL("opt && true");
    CHECK_NIL("true && opt");
    CHECK_NIL("opt && opt");
    CHECK_BOOL("true && 1", true);
}

PV_TEST(expr, kleene_or)
{
    CHECK_BOOL("opt || true", true);
    CHECK_BOOL("true || opt", true);
    CHECK_NIL("opt || false");
    CHECK_NIL("false || opt");
    CHECK_BOOL("false || 0", false);
}

PV_TEST(expr, nil_spreads)
{
    CHECK_NIL("!opt");
    CHECK_NIL("opt == 1");
    CHECK_NIL("opt != 1");
    CHECK_NIL("opt + 1");
    CHECK_NIL("-opt");
    CHECK_NIL("days(opt)");
    pv_value_t nil = {.kind = PV_VAL_NIL};
    PV_CHECK(!pv_value_truthy(&nil));
}

PV_TEST(expr, truthiness)
{
    pv_value_t v = v_int(0);
    PV_CHECK(!pv_value_truthy(&v));
    v = v_int(-3);
    PV_CHECK(pv_value_truthy(&v));
    v = (pv_value_t){.kind = PV_VAL_FLOAT, .u.f = 0.5};
    PV_CHECK(pv_value_truthy(&v));
    v = v_str("true");
    PV_CHECK(!pv_value_truthy(&v)); /* strings are never true */
    CHECK_BOOL("!0", true);
    CHECK_BOOL("!note", true);
}

PV_TEST(expr, has_declared_and_undeclared)
{
    CHECK_BOOL("has(amount)", true);
    CHECK_BOOL("has(opt)", false);
    CHECK_BOOL("has( extra )", true); /* undeclared, carried by the event */
    CHECK_BOOL("has(missing)", false);
    CHECK_BOOL("!has(opt) || opt > 0", true);
    PV_CHECK_EQ_STR(parse_error("has()"), "has() needs a field name at column 5");
    PV_CHECK_EQ_STR(parse_error("has(amount"), "expected ')' at column 11");
}

PV_TEST(expr, undeclared_event_fields)
{
    CHECK_INT("extra + 1", 43);
    CHECK_NIL("missing");
    CHECK_NIL("blob"); /* nested values are not usable by guards */
    /* Without an event, undeclared fields and args are nil. */
    pv_expr_t *e = NULL;
    char err[128];
    PV_CHECK_EQ_INT(pv_expr_parse("extra", &names, &e, err, sizeof err), 0);
    pv_expr_env_t env = {0};
    pv_value_t out;
    pv_expr_eval(e, &env, &out);
    PV_CHECK_EQ_INT(out.kind, PV_VAL_NIL);
    pv_expr_free(e);
    PV_CHECK_EQ_INT(pv_expr_parse("has(extra) || has(amount)", &names, &e, err, sizeof err), 0);
    pv_expr_eval(e, &env, &out);
    PV_CHECK_EQ_INT(out.kind, PV_VAL_BOOL);
    PV_CHECK_EQ_INT(out.u.b, false);
    pv_expr_free(e);
}

PV_TEST(expr, days_are_milliseconds)
{
    CHECK_INT("days(1)", DAY_MS);
    CHECK_INT("days(2 + 1)", 3 * DAY_MS);
    CHECK_INT("now + days(2)", 5000 + 2 * DAY_MS);
    CHECK_NIL("days(9223372036854775807)");
    pv_value_t v = eval_src("days(0.5)");
    PV_CHECK_EQ_INT(v.kind, PV_VAL_FLOAT);
    PV_CHECK(v.u.f == 43200000.0);
}

PV_TEST(expr, case_fields_resolve_to_slots)
{
    CHECK_INT("case.total", 1000);
    CHECK_INT("case.due", 3 * DAY_MS);
    CHECK_BOOL("amount <= case.total", true);
    CHECK_BOOL("case.due > now + days(2)", true);
    CHECK_INT("case.seq", 7);
    CHECK_INT("case.created_at", 1000);
    CHECK_INT("case.entered_at", 2000);
    CHECK_INT("now - case.entered_at", 3000);
}

PV_TEST(expr, actor_names_are_strings)
{
    CHECK_BOOL("actor.role == 'JE'", true);
    CHECK_BOOL("actor.role != 'SDO'", true);
    CHECK_BOOL("actor.post == 'JE-GGN-1' && actor.office == 'ULB-GGN'", true);
    pv_value_t v = eval_src("actor.office");
    PV_CHECK_EQ_INT(v.kind, PV_VAL_STR);
    PV_CHECK_EQ_INT(v.u.s.len, 7);
    /* A missing actor string is "" rather than a crash. */
    pv_expr_t *e = NULL;
    char err[128];
    PV_CHECK_EQ_INT(pv_expr_parse("actor.post == ''", &names, &e, err, sizeof err), 0);
    pv_expr_env_t env = {0};
    pv_value_t out;
    pv_expr_eval(e, &env, &out);
    PV_CHECK_EQ_INT(out.kind, PV_VAL_BOOL);
    PV_CHECK_EQ_INT(out.u.b, true);
    pv_expr_free(e);
}

PV_TEST(expr, string_literal_result)
{
    pv_value_t args[4], cf[2], out;
    pv_event_t ev;
    pv_expr_env_t env;
    pv_expr_t *e = NULL;
    char err[128];
    make_env(&env, args, cf, &ev);
    PV_CHECK_EQ_INT(pv_expr_parse("'a b'", &names, &e, err, sizeof err), 0);
    pv_expr_eval(e, &env, &out);
    PV_CHECK_EQ_INT(out.kind, PV_VAL_STR);
    PV_CHECK_EQ_STR(out.u.s.ptr, "a b");
    PV_CHECK_EQ_INT(out.u.s.len, 3);
    pv_expr_free(e);
}

PV_TEST(expr, unknown_case_field_is_rejected)
{
    /* The column is where the parser stands when it sees the name: just after it. */
    PV_CHECK_EQ_STR(parse_error("amount <= case.totl"),
                    "unknown name 'case.totl' (not a declared case field) at column 20");
    PV_CHECK_EQ_STR(parse_error("case.amount"),
                    "unknown name 'case.amount' (not a declared case field) at column 12");
}

PV_TEST(expr, unknown_dotted_name_is_rejected)
{
    /* The column is after the blanks that follow the name (the parser looked for a '('). */
    PV_CHECK_EQ_STR(parse_error("actor.name == 'x'"), "unknown name 'actor.name' at column 12");
    PV_CHECK_EQ_STR(parse_error("1 + event.amount"), "unknown name 'event.amount' at column 17");
    CHECK_HAS(parse_error("case."), "unknown name 'case.'");
}

PV_TEST(expr, unknown_function_is_rejected)
{
    PV_CHECK_EQ_STR(parse_error("hours(2)"), "unknown function 'hours' at column 7");
    CHECK_HAS(parse_error("days(1"), "expected ')'");
}

PV_TEST(expr, unterminated_string)
{
    PV_CHECK_EQ_STR(parse_error("note == 'abc"), "unterminated string at column 13");
    PV_CHECK_EQ_STR(parse_error("'"), "unterminated string at column 2");
}

PV_TEST(expr, trailing_garbage)
{
    PV_CHECK_EQ_STR(parse_error("1 2"), "unexpected '2' at column 3");
    PV_CHECK_EQ_STR(parse_error("amount > 0)"), "unexpected ')' at column 11");
    PV_CHECK_EQ_STR(parse_error("amount = 1"), "unexpected '=' at column 8");
    PV_CHECK_EQ_STR(parse_error("amount > 0 and true"), "unexpected 'a' at column 12");
}

PV_TEST(expr, incomplete_expressions)
{
    PV_CHECK_EQ_STR(parse_error(""), "unexpected end of expression at column 1");
    PV_CHECK_EQ_STR(parse_error("   "), "unexpected end of expression at column 4");
    PV_CHECK_EQ_STR(parse_error("1 +"), "unexpected end of expression at column 4");
    PV_CHECK_EQ_STR(parse_error("(1 + 2"), "expected ')' at column 7");
    PV_CHECK_EQ_STR(parse_error("amount &&"), "unexpected end of expression at column 10");
    PV_CHECK_EQ_STR(parse_error("!"), "unexpected end of expression at column 2");
    PV_CHECK_EQ_STR(parse_error("#"), "unexpected '#' at column 1");
}

PV_TEST(expr, error_is_truncated_to_errlen)
{
    pv_expr_t *e = NULL;
    char err[8];
    memset(err, 'x', sizeof err);
    PV_CHECK_EQ_INT(pv_expr_parse("case.nope", &names, &e, err, sizeof err), PV_EINVAL);
    PV_CHECK_EQ_STR(err, "unknown");
    PV_CHECK(e == NULL);
}

PV_TEST(expr, whitespace_and_operators_without_spaces)
{
    CHECK_BOOL("amount>=500&&amount<=500", true);
    CHECK_BOOL("amount!=500||!(amount<500)", true);
    CHECK_BOOL("\tamount\n>\r0 ", true);
    CHECK_INT("((((amount))))", 500);
}

PV_TEST(expr, literals)
{
    CHECK_BOOL("true", true);
    CHECK_BOOL("false", false);
    CHECK_INT("0", 0);
    CHECK_INT("007", 7);
    /* true/false are whole words: `trueish` is an (absent) event field. */
    CHECK_NIL("trueish");
}

PV_TEST(expr, case_id_is_a_string)
{
    CHECK_BOOL("case.id == 'WMS/ULB-GGN/2026/000001'", true);
    CHECK_NIL("case.id < 'X'");
}

/* Evaluates src with a directory: SDO-1 reports to XEN-1, which reports to SE-1. */
static pv_value_t eval_with_dir(const char *src, int with_dir)
{
    pv_value_t args[4], cf[2], out = {.kind = PV_VAL_NIL};
    pv_event_t ev;
    pv_expr_env_t env;
    pv_expr_t *e = NULL;
    char err[256] = "";
    pv_directory_t *dir = pv_directory_new();
    PV_CHECK(dir != NULL);
    if (!dir)
        return out;
    PV_CHECK_EQ_INT(pv_directory_put_office(dir, "ULB-GGN", "Gurugram", "corporation", NULL, NULL),
                    0);
    PV_CHECK_EQ_INT(pv_directory_put_post(dir, "SE-1", "SE", "ULB-GGN", NULL), 0);
    PV_CHECK_EQ_INT(pv_directory_put_post(dir, "XEN-1", "XEN", "ULB-GGN", "SE-1"), 0);
    PV_CHECK_EQ_INT(pv_directory_put_post(dir, "SDO-1", "SDO", "ULB-GGN", "XEN-1"), 0);
    make_env(&env, args, cf, &ev);
    env.dir = with_dir ? dir : NULL;
    if (pv_expr_parse(src, &names, &e, err, sizeof err) == 0) {
        pv_expr_eval(e, &env, &out);
        pv_expr_free(e);
    } else {
        pv_test_fail(__FILE__, __LINE__, "parse of \"%s\" failed: %s", src, err);
    }
    pv_directory_free(dir);
    return out;
}

PV_TEST(expr, reports_to)
{
    pv_value_t v = eval_with_dir("reports_to('SDO-1', 'SE-1')", 1);
    PV_CHECK(v.kind == PV_VAL_BOOL && v.u.b);
    v = eval_with_dir("reports_to('SDO-1', 'XEN-1') && !reports_to('SE-1', 'SDO-1')", 1);
    PV_CHECK(v.kind == PV_VAL_BOOL && v.u.b);
    v = eval_with_dir("reports_to('NOPE', 'SE-1')", 1);
    PV_CHECK(v.kind == PV_VAL_BOOL && !v.u.b);
    PV_CHECK_EQ_INT(eval_with_dir("reports_to(opt, 'SE-1')", 1).kind, PV_VAL_NIL);
    PV_CHECK_EQ_INT(eval_with_dir("reports_to(1, 'SE-1')", 1).kind, PV_VAL_NIL);
    PV_CHECK_EQ_INT(eval_with_dir("reports_to('SDO-1', 'SE-1')", 0).kind, PV_VAL_NIL);
    CHECK_HAS(parse_error("reports_to('SDO-1')"), "reports_to() takes two posts");
    CHECK_HAS(parse_error("reports_to('SDO-1', )"), "unexpected ')'");
    CHECK_HAS(parse_error("reports_to('a', 'b', 'c')"), "expected ')'");
}
