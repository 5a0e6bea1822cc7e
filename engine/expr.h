/* Guard and effect expressions of workflow definitions (docs/WORKFLOWS.md, "Expressions").
 *
 * An expression is parsed once, when its definition loads, into a small tree whose names are
 * already resolved to slots, so evaluation does no string lookups except for undeclared event
 * fields. Evaluation is pure and allocation-free.
 *
 * Ownership: pv_expr_t is a heap object owned by the caller of pv_expr_parse (pv_expr_free). */
#ifndef PV_EXPR_H
#define PV_EXPR_H

#include <stddef.h>

#include "pravah/directory.h"
#include "pravah/event.h"

typedef struct pv_expr_s pv_expr_t;

/* What names may refer to, given at parse time. Arrays of NUL-terminated names. */
typedef struct pv_expr_names_s {
    const char *const *event_fields; /* fields declared by the action: resolved to env->args[i] */
    size_t nevent_fields;
    const char *const *case_fields; /* case.NAME: resolved to env->case_fields[i] */
    size_t ncase_fields;
} pv_expr_names_t;

/* Values an expression reads while it runs. */
typedef struct pv_expr_env_s {
    const pv_value_t *args;       /* typed values of the action's declared fields (NIL if absent) */
    const pv_event_t *event;      /* for undeclared fields, looked up by name */
    const pv_value_t *case_fields;
    int64_t case_seq, created_at, entered_at, now;
    const char *actor_role, *actor_post, *actor_office;
    const char *case_id, *case_office;
    const pv_directory_t *dir; /* for reports_to(); NULL makes it nil */
} pv_expr_env_t;

/* Parses src. On error returns PV_EINVAL with a message like "unknown name 'case.amt' at column 3". */
int pv_expr_parse(const char *src, const pv_expr_names_t *names, pv_expr_t **out, char *err,
                  size_t errlen);
void pv_expr_free(pv_expr_t *e);
/* Evaluates e; the result may be NIL (an absent field was used). Strings in *out borrow from env. */
void pv_expr_eval(const pv_expr_t *e, const pv_expr_env_t *env, pv_value_t *out);
/* True only for BOOL true and non-zero numbers; NIL and strings are false. */
int pv_value_truthy(const pv_value_t *v);

#endif
