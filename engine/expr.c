/* Expressions: a recursive-descent parser into a node tree, and a three-valued evaluator
 * (SQL-like: an absent field makes comparisons nil, and nil is neither true nor false). */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "expr.h"

typedef enum {
    N_LIT, N_ARG, N_EVFIELD, N_CASEFIELD, N_SEQ, N_CREATED, N_ENTERED, N_NOW,
    N_ACTOR_ROLE, N_ACTOR_POST, N_ACTOR_OFFICE, N_CASE_ID, N_CASE_OFFICE, N_REPORTS_TO, N_DAYS, N_HAS_ARG, N_HAS_EV,
    N_NOT, N_NEG, N_OR, N_AND, N_EQ, N_NE, N_LT, N_LE, N_GT, N_GE, N_ADD, N_SUB, N_MUL, N_DIV,
    N_MOD
} node_op_t;

struct pv_expr_s {
    node_op_t op;
    pv_value_t lit;  /* N_LIT; strings point into `text` */
    size_t index;    /* N_ARG, N_CASEFIELD, N_HAS_ARG */
    char *text;      /* owned: string literal or undeclared event field name */
    pv_expr_t *a, *b;
};

/* Bounds that keep parsing, evaluation and freeing (all recursive) far from the stack's end. */
#define PV_EXPR_MAX_DEPTH 32
#define PV_EXPR_MAX_NODES 256

typedef struct parser_s {
    const char *src, *p;
    const pv_expr_names_t *names;
    char *err;
    size_t errlen;
    int failed;
    int depth, nodes;
} parser_t;

static pv_expr_t *parse_or(parser_t *ps);

static void fail(parser_t *ps, const char *fmt, ...)
{
    if (ps->failed)
        return;
    ps->failed = 1;
    char msg[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    snprintf(ps->err, ps->errlen, "%s at column %d", msg, (int)(ps->p - ps->src) + 1);
}

static pv_expr_t *node(parser_t *ps, node_op_t op, pv_expr_t *a, pv_expr_t *b)
{
    if (++ps->nodes > PV_EXPR_MAX_NODES) {
        fail(ps, "expression has more than %d terms", PV_EXPR_MAX_NODES);
        pv_expr_free(a);
        pv_expr_free(b);
        return NULL;
    }
    pv_expr_t *n = calloc(1, sizeof *n);
    if (!n) {
        fail(ps, "out of memory");
        pv_expr_free(a);
        pv_expr_free(b);
        return NULL;
    }
    n->op = op;
    n->a = a;
    n->b = b;
    return n;
}

void pv_expr_free(pv_expr_t *e)
{
    if (!e)
        return;
    pv_expr_free(e->a);
    pv_expr_free(e->b);
    free(e->text);
    free(e);
}

static void skip_space(parser_t *ps)
{
    while (isspace((unsigned char)*ps->p))
        ps->p++;
}

/* Consumes `tok` if it comes next (operators are tried longest first by the callers). */
static int accept(parser_t *ps, const char *tok)
{
    skip_space(ps);
    size_t n = strlen(tok);
    if (strncmp(ps->p, tok, n) != 0)
        return 0;
    /* "<" must not swallow the "<" of "<=", and "!" not the "!" of "!=". */
    if (n == 1 && (tok[0] == '<' || tok[0] == '>' || tok[0] == '!' || tok[0] == '=') &&
        ps->p[1] == '=')
        return 0;
    ps->p += n;
    return 1;
}

static ssize_t find_name(const char *const *list, size_t n, const char *name, size_t len)
{
    for (size_t i = 0; i < n; i++)
        if (strlen(list[i]) == len && memcmp(list[i], name, len) == 0)
            return (ssize_t)i;
    return -1;
}

static pv_expr_t *parse_number(parser_t *ps)
{
    char *end;
    pv_expr_t *n = node(ps, N_LIT, NULL, NULL);
    if (!n)
        return NULL;
    const char *start = ps->p;
    errno = 0;
    long long i = strtoll(start, &end, 10);
    if (*end == '.' || *end == 'e' || *end == 'E') {
        n->lit.kind = PV_VAL_FLOAT;
        n->lit.u.f = strtod(start, &end);
        if (!isfinite(n->lit.u.f))
            fail(ps, "number out of range");
    } else {
        if (errno == ERANGE)
            fail(ps, "integer out of range");
        n->lit.kind = PV_VAL_INT;
        n->lit.u.i = i;
    }
    ps->p = end;
    return n;
}

static pv_expr_t *parse_string(parser_t *ps)
{
    const char *start = ++ps->p;
    while (*ps->p && *ps->p != '\'')
        ps->p++;
    if (*ps->p != '\'') {
        fail(ps, "unterminated string");
        return NULL;
    }
    pv_expr_t *n = node(ps, N_LIT, NULL, NULL);
    if (!n)
        return NULL;
    n->text = strndup(start, (size_t)(ps->p - start));
    ps->p++;
    if (!n->text) {
        free(n);
        fail(ps, "out of memory");
        return NULL;
    }
    n->lit.kind = PV_VAL_STR;
    n->lit.u.s.ptr = n->text;
    n->lit.u.s.len = (uint32_t)strlen(n->text);
    return n;
}

static pv_expr_t *parse_call(parser_t *ps, const char *name, size_t len)
{
    pv_expr_t *n = NULL;
    if (len == 4 && memcmp(name, "days", 4) == 0) {
        pv_expr_t *arg = parse_or(ps);
        n = arg ? node(ps, N_DAYS, arg, NULL) : NULL;
    } else if (len == 3 && memcmp(name, "has", 3) == 0) {
        skip_space(ps);
        const char *f = ps->p;
        while (isalnum((unsigned char)*ps->p) || *ps->p == '_')
            ps->p++;
        size_t flen = (size_t)(ps->p - f);
        if (flen == 0) {
            fail(ps, "has() needs a field name");
            return NULL;
        }
        ssize_t i = find_name(ps->names->event_fields, ps->names->nevent_fields, f, flen);
        n = node(ps, i >= 0 ? N_HAS_ARG : N_HAS_EV, NULL, NULL);
        if (n && i >= 0)
            n->index = (size_t)i;
        else if (n && !(n->text = strndup(f, flen)))
            fail(ps, "out of memory");
    } else if (len == 10 && memcmp(name, "reports_to", 10) == 0) {
        pv_expr_t *sub = parse_or(ps);
        pv_expr_t *sup = sub && accept(ps, ",") ? parse_or(ps) : NULL;
        if (sub && !sup)
            fail(ps, "reports_to() takes two posts: reports_to(SUBORDINATE, SUPERIOR)");
        n = sub && sup ? node(ps, N_REPORTS_TO, sub, sup) : NULL;
        if (!n) {
            pv_expr_free(sub);
            pv_expr_free(sup);
            return NULL;
        }
    } else {
        fail(ps, "unknown function '%.*s'", (int)len, name);
        return NULL;
    }
    if (!accept(ps, ")")) {
        fail(ps, "expected ')'");
        pv_expr_free(n);
        return NULL;
    }
    return n;
}

static const struct {
    const char *name;
    node_op_t op;
} builtins[] = {
    {"case.seq", N_SEQ},           {"case.created_at", N_CREATED}, {"case.entered_at", N_ENTERED},
    {"now", N_NOW},                {"actor.role", N_ACTOR_ROLE},   {"actor.post", N_ACTOR_POST},
    {"actor.office", N_ACTOR_OFFICE}, {"case.id", N_CASE_ID},
    {"case.office", N_CASE_OFFICE},
};

static pv_expr_t *resolve_name(parser_t *ps, const char *name, size_t len)
{
    for (size_t i = 0; i < sizeof builtins / sizeof builtins[0]; i++)
        if (strlen(builtins[i].name) == len && memcmp(builtins[i].name, name, len) == 0)
            return node(ps, builtins[i].op, NULL, NULL);
    if (len == 4 && memcmp(name, "true", 4) == 0) {
        pv_expr_t *n = node(ps, N_LIT, NULL, NULL);
        if (n)
            n->lit = (pv_value_t){.kind = PV_VAL_BOOL, .u.b = true};
        return n;
    }
    if (len == 5 && memcmp(name, "false", 5) == 0) {
        pv_expr_t *n = node(ps, N_LIT, NULL, NULL);
        if (n)
            n->lit = (pv_value_t){.kind = PV_VAL_BOOL, .u.b = false};
        return n;
    }
    if (len > 5 && memcmp(name, "case.", 5) == 0) {
        ssize_t i = find_name(ps->names->case_fields, ps->names->ncase_fields, name + 5, len - 5);
        if (i < 0) {
            fail(ps, "unknown name '%.*s' (not a declared case field)", (int)len, name);
            return NULL;
        }
        pv_expr_t *n = node(ps, N_CASEFIELD, NULL, NULL);
        if (n)
            n->index = (size_t)i;
        return n;
    }
    if (memchr(name, '.', len)) {
        fail(ps, "unknown name '%.*s'", (int)len, name);
        return NULL;
    }
    ssize_t i = find_name(ps->names->event_fields, ps->names->nevent_fields, name, len);
    pv_expr_t *n = node(ps, i >= 0 ? N_ARG : N_EVFIELD, NULL, NULL);
    if (n && i >= 0)
        n->index = (size_t)i;
    else if (n && !(n->text = strndup(name, len)))
        fail(ps, "out of memory");
    return n;
}

static pv_expr_t *parse_primary(parser_t *ps)
{
    skip_space(ps);
    char c = *ps->p;
    if (isdigit((unsigned char)c))
        return parse_number(ps);
    if (c == '\'')
        return parse_string(ps);
    if (accept(ps, "(")) {
        pv_expr_t *e = parse_or(ps);
        if (e && !accept(ps, ")")) {
            fail(ps, "expected ')'");
            pv_expr_free(e);
            return NULL;
        }
        return e;
    }
    if (isalpha((unsigned char)c) || c == '_') {
        const char *name = ps->p;
        while (isalnum((unsigned char)*ps->p) || *ps->p == '_' || *ps->p == '.')
            ps->p++;
        size_t len = (size_t)(ps->p - name);
        if (accept(ps, "("))
            return parse_call(ps, name, len);
        return resolve_name(ps, name, len);
    }
    fail(ps, c ? "unexpected '%c'" : "unexpected end of expression", c);
    return NULL;
}

static pv_expr_t *parse_unary_inner(parser_t *ps);

/* Every recursion of the grammar passes here, so this bounds the nesting. */
static pv_expr_t *parse_unary(parser_t *ps)
{
    if (++ps->depth > PV_EXPR_MAX_DEPTH) {
        fail(ps, "expression nests deeper than %d levels", PV_EXPR_MAX_DEPTH);
        return NULL;
    }
    pv_expr_t *e = parse_unary_inner(ps);
    ps->depth--;
    return e;
}

static pv_expr_t *parse_unary_inner(parser_t *ps)
{
    if (accept(ps, "!")) {
        pv_expr_t *a = parse_unary(ps);
        return a ? node(ps, N_NOT, a, NULL) : NULL;
    }
    if (accept(ps, "-")) {
        pv_expr_t *a = parse_unary(ps);
        return a ? node(ps, N_NEG, a, NULL) : NULL;
    }
    return parse_primary(ps);
}

typedef struct {
    const char *tok;
    node_op_t op;
} binop_t;

/* One precedence level: operand (op operand)*, left-associative unless `once`. */
static pv_expr_t *parse_level(parser_t *ps, pv_expr_t *(*next)(parser_t *), const binop_t *ops,
                              size_t nops, int once)
{
    pv_expr_t *left = next(ps);
    while (left) {
        size_t i;
        for (i = 0; i < nops; i++)
            if (accept(ps, ops[i].tok))
                break;
        if (i == nops)
            break;
        pv_expr_t *right = next(ps);
        if (!right) {
            pv_expr_free(left);
            return NULL;
        }
        left = node(ps, ops[i].op, left, right);
        if (once)
            break;
    }
    return left;
}

static pv_expr_t *parse_mul(parser_t *ps)
{
    static const binop_t ops[] = {{"*", N_MUL}, {"/", N_DIV}, {"%", N_MOD}};
    return parse_level(ps, parse_unary, ops, 3, 0);
}

static pv_expr_t *parse_add(parser_t *ps)
{
    static const binop_t ops[] = {{"+", N_ADD}, {"-", N_SUB}};
    return parse_level(ps, parse_mul, ops, 2, 0);
}

static pv_expr_t *parse_cmp(parser_t *ps)
{
    static const binop_t ops[] = {{"==", N_EQ}, {"!=", N_NE}, {"<=", N_LE},
                                  {">=", N_GE}, {"<", N_LT},  {">", N_GT}};
    return parse_level(ps, parse_add, ops, 6, 1);
}

static pv_expr_t *parse_and(parser_t *ps)
{
    static const binop_t ops[] = {{"&&", N_AND}};
    return parse_level(ps, parse_cmp, ops, 1, 0);
}

static pv_expr_t *parse_or(parser_t *ps)
{
    static const binop_t ops[] = {{"||", N_OR}};
    return parse_level(ps, parse_and, ops, 1, 0);
}

int pv_expr_parse(const char *src, const pv_expr_names_t *names, pv_expr_t **out, char *err,
                  size_t errlen)
{
    parser_t ps = {src, src, names, err, errlen, 0, 0, 0};
    pv_expr_t *e = parse_or(&ps);
    skip_space(&ps);
    if (e && *ps.p)
        fail(&ps, "unexpected '%c'", *ps.p);
    if (ps.failed || !e) {
        if (!ps.failed)
            fail(&ps, "empty expression");
        pv_expr_free(e);
        return PV_EINVAL;
    }
    *out = e;
    return 0;
}

/* ---- evaluation ---- */

static const pv_value_t NIL = {.kind = PV_VAL_NIL};

static pv_value_t v_int(int64_t i)
{
    return (pv_value_t){.kind = PV_VAL_INT, .u.i = i};
}

static pv_value_t v_bool(int b)
{
    return (pv_value_t){.kind = PV_VAL_BOOL, .u.b = b != 0};
}

static pv_value_t v_str(const char *s)
{
    pv_value_t v = {.kind = PV_VAL_STR};
    v.u.s.ptr = s ? s : "";
    v.u.s.len = (uint32_t)strlen(v.u.s.ptr);
    return v;
}

static int is_num(const pv_value_t *v)
{
    return v->kind == PV_VAL_INT || v->kind == PV_VAL_FLOAT || v->kind == PV_VAL_BOOL;
}

static double as_double(const pv_value_t *v)
{
    return v->kind == PV_VAL_FLOAT ? v->u.f : v->kind == PV_VAL_BOOL ? v->u.b : (double)v->u.i;
}

static int64_t as_int(const pv_value_t *v)
{
    return v->kind == PV_VAL_BOOL ? v->u.b : v->u.i;
}

int pv_value_truthy(const pv_value_t *v)
{
    switch (v->kind) {
    case PV_VAL_BOOL: return v->u.b;
    case PV_VAL_INT: return v->u.i != 0;
    case PV_VAL_FLOAT: return v->u.f != 0;
    default: return 0;
    }
}

static pv_value_t arith(node_op_t op, const pv_value_t *a, const pv_value_t *b)
{
    if (!is_num(a) || !is_num(b))
        return NIL;
    if (a->kind != PV_VAL_FLOAT && b->kind != PV_VAL_FLOAT) {
        int64_t x = as_int(a), y = as_int(b), r;
        switch (op) {
        case N_ADD: return __builtin_add_overflow(x, y, &r) ? NIL : v_int(r);
        case N_SUB: return __builtin_sub_overflow(x, y, &r) ? NIL : v_int(r);
        case N_MUL: return __builtin_mul_overflow(x, y, &r) ? NIL : v_int(r);
        case N_DIV: return y == 0 || (x == INT64_MIN && y == -1) ? NIL : v_int(x / y);
        default: return y == 0 || (x == INT64_MIN && y == -1) ? NIL : v_int(x % y);
        }
    }
    double x = as_double(a), y = as_double(b);
    pv_value_t r = {.kind = PV_VAL_FLOAT};
    switch (op) {
    case N_ADD: r.u.f = x + y; break;
    case N_SUB: r.u.f = x - y; break;
    case N_MUL: r.u.f = x * y; break;
    case N_DIV: if (y == 0) return NIL; r.u.f = x / y; break;
    default: if (y == 0) return NIL; r.u.f = fmod(x, y); break;
    }
    return isfinite(r.u.f) ? r : NIL;
}

static pv_value_t compare(node_op_t op, const pv_value_t *a, const pv_value_t *b)
{
    if (a->kind == PV_VAL_NIL || b->kind == PV_VAL_NIL)
        return NIL;
    int c;
    if (a->kind == PV_VAL_STR || b->kind == PV_VAL_STR) {
        if (a->kind != b->kind)
            return op == N_EQ ? v_bool(0) : op == N_NE ? v_bool(1) : NIL;
        if (op != N_EQ && op != N_NE)
            return NIL;
        int eq = a->u.s.len == b->u.s.len && memcmp(a->u.s.ptr, b->u.s.ptr, a->u.s.len) == 0;
        return v_bool(op == N_EQ ? eq : !eq);
    }
    if (!is_num(a) || !is_num(b))
        return NIL;
    if (a->kind != PV_VAL_FLOAT && b->kind != PV_VAL_FLOAT) {
        int64_t x = as_int(a), y = as_int(b);
        c = x < y ? -1 : x > y;
    } else {
        double x = as_double(a), y = as_double(b);
        c = x < y ? -1 : x > y;
    }
    switch (op) {
    case N_EQ: return v_bool(c == 0);
    case N_NE: return v_bool(c != 0);
    case N_LT: return v_bool(c < 0);
    case N_LE: return v_bool(c <= 0);
    case N_GT: return v_bool(c > 0);
    default: return v_bool(c >= 0);
    }
}

/* Kleene logic: false dominates AND, true dominates OR, otherwise nil spreads. */
static pv_value_t logic(node_op_t op, const pv_value_t *a, const pv_value_t *b)
{
    int an = a->kind == PV_VAL_NIL, bn = b->kind == PV_VAL_NIL;
    int at = pv_value_truthy(a), bt = pv_value_truthy(b);
    if (op == N_AND) {
        if ((!an && !at) || (!bn && !bt))
            return v_bool(0);
        return an || bn ? NIL : v_bool(1);
    }
    if ((!an && at) || (!bn && bt))
        return v_bool(1);
    return an || bn ? NIL : v_bool(0);
}

static pv_value_t eval(const pv_expr_t *e, const pv_expr_env_t *env)
{
    pv_value_t a, b;
    const pv_value_t *f;
    switch (e->op) {
    case N_LIT: return e->lit;
    case N_ARG: return env->args ? env->args[e->index] : NIL;
    case N_EVFIELD:
        f = env->event ? pv_event_field(env->event, e->text) : NULL;
        return f && f->kind != PV_VAL_NESTED ? *f : NIL;
    case N_CASEFIELD: return env->case_fields ? env->case_fields[e->index] : NIL;
    case N_SEQ: return v_int(env->case_seq);
    case N_CREATED: return v_int(env->created_at);
    case N_ENTERED: return v_int(env->entered_at);
    case N_NOW: return v_int(env->now);
    case N_ACTOR_ROLE: return v_str(env->actor_role);
    case N_ACTOR_POST: return v_str(env->actor_post);
    case N_ACTOR_OFFICE: return v_str(env->actor_office);
    case N_CASE_ID: return v_str(env->case_id);
    case N_CASE_OFFICE: return v_str(env->case_office);
    case N_REPORTS_TO: {
        a = eval(e->a, env);
        b = eval(e->b, env);
        if (!env->dir || a.kind != PV_VAL_STR || b.kind != PV_VAL_STR)
            return NIL;
        return v_bool(pv_directory_reports_to(env->dir, a.u.s.ptr, b.u.s.ptr));
    }
    case N_HAS_ARG: return v_bool(env->args && env->args[e->index].kind != PV_VAL_NIL);
    case N_HAS_EV: return v_bool(env->event && pv_event_field(env->event, e->text) != NULL);
    case N_DAYS: {
        a = eval(e->a, env);
        pv_value_t ms = v_int(86400000);
        return arith(N_MUL, &a, &ms);
    }
    case N_NOT:
        a = eval(e->a, env);
        return a.kind == PV_VAL_NIL ? NIL : v_bool(!pv_value_truthy(&a));
    case N_NEG: {
        a = eval(e->a, env);
        pv_value_t zero = v_int(0);
        return arith(N_SUB, &zero, &a);
    }
    default: break;
    }
    a = eval(e->a, env);
    b = eval(e->b, env);
    switch (e->op) {
    case N_OR:
    case N_AND: return logic(e->op, &a, &b);
    case N_EQ: case N_NE: case N_LT: case N_LE: case N_GT: case N_GE:
        return compare(e->op, &a, &b);
    default: return arith(e->op, &a, &b);
    }
}

void pv_expr_eval(const pv_expr_t *e, const pv_expr_env_t *env, pv_value_t *out)
{
    *out = eval(e, env);
}
