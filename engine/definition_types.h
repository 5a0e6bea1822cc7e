/* The compiled form of a workflow definition, shared by the loader (definition.c) and the engine
 * (engine.c). Internal: nothing outside engine/ sees these structs.
 *
 * Ownership: a pv_def_t owns every array, string, regex and expression below it. */
#ifndef PV_DEFINITION_TYPES_H
#define PV_DEFINITION_TYPES_H

#include <regex.h>
#include <stdbool.h>
#include <stdint.h>

#include "expr.h"
#include "pravah/calendar.h"
#include "pravah/definition.h"

#define PV_DEF_MAX_STATES 64
#define PV_DEF_MAX_ACTIONS 64
#define PV_DEF_MAX_FIELDS 32 /* declared fields per action */
#define PV_DEF_START (-1)    /* pseudo state index for `from: [start]` */
#define PV_DEF_STAY (-2)     /* `to: stay` */

typedef enum {
    PV_FT_STRING, PV_FT_INT, PV_FT_MONEY, PV_FT_NUMBER, PV_FT_BOOL, PV_FT_DATE, PV_FT_POST,
    PV_FT_OFFICE, PV_FT_ENUM, PV_FT_AADHAAR, PV_FT_FAMILY_ID
} pv_ftype_t;

typedef struct pv_fielddef_s {
    char *name;
    pv_ftype_t type;
    bool required;
    bool has_min, has_max;
    double min, max;
    int64_t max_len; /* 0: no limit */
    bool has_pattern;
    regex_t pattern;
    char **values; /* enum */
    size_t nvalues;
} pv_fielddef_t;

typedef enum { PV_CF_MONEY, PV_CF_INT, PV_CF_NUMBER, PV_CF_DATE, PV_CF_FLAG } pv_cftype_t;

typedef struct pv_casefield_s {
    char *name;
    pv_cftype_t type;
} pv_casefield_t;

typedef enum { PV_TGT_ASSIGNEE, PV_TGT_REPORTING, PV_TGT_ROLE } pv_target_kind_t;

typedef struct pv_target_s {
    pv_target_kind_t kind;
    int levels;  /* PV_TGT_REPORTING */
    char *role;  /* PV_TGT_ROLE */
} pv_target_t;

typedef struct pv_escstep_s {
    int after_days;
    bool working;
    bool reassign;
    pv_target_t to;
} pv_escstep_t;

typedef enum { PV_SLA_NONE, PV_SLA_DAYS, PV_SLA_UNTIL } pv_sla_kind_t;

typedef struct pv_statedef_s {
    char *name;
    bool terminal;
    pv_sla_kind_t sla;
    int sla_days;
    bool sla_working;
    int until_field; /* case field index for PV_SLA_UNTIL */
    int *reminders;  /* days before due */
    size_t nreminders;
    pv_escstep_t *esc;
    size_t nesc;
    int line;
} pv_statedef_t;

typedef enum {
    PV_ASSIGN_KEEP, PV_ASSIGN_ACTOR, PV_ASSIGN_CREATOR, PV_ASSIGN_PREVIOUS, PV_ASSIGN_NONE,
    PV_ASSIGN_FIELD, PV_ASSIGN_ROLE, PV_ASSIGN_REPORTING
} pv_assign_kind_t;

typedef struct pv_assign_s {
    pv_assign_kind_t kind;
    int field;  /* PV_ASSIGN_FIELD: index into the action's fields */
    char *role; /* PV_ASSIGN_ROLE */
    int levels; /* PV_ASSIGN_REPORTING */
} pv_assign_t;

typedef enum { PV_ACTOR_ANY, PV_ACTOR_ASSIGNEE, PV_ACTOR_CREATOR, PV_ACTOR_PREVIOUS } pv_actor_rule_t;
typedef enum { PV_DIR_NONE, PV_DIR_APPOINT, PV_DIR_TRANSFER, PV_DIR_RELIEVE } pv_dir_effect_t;

typedef struct pv_check_s {
    pv_expr_t *expr;
    char *src;
    char *message;
} pv_check_t;

typedef struct pv_set_s {
    int case_field;
    pv_expr_t *expr;
} pv_set_t;

typedef struct pv_to_s {
    pv_expr_t *when; /* NULL: unconditional */
    int state;       /* state index or PV_DEF_STAY */
} pv_to_t;

typedef struct pv_actiondef_s {
    char *name;
    char *event_type; /* "<workflow>.<name>" */
    bool from_start, from_any;
    uint64_t from_mask;
    pv_to_t *to;
    size_t nto;
    char **roles;
    size_t nroles;
    bool allow_citizen;
    pv_actor_rule_t actor;
    pv_fielddef_t *fields;
    size_t nfields;
    const char **field_names; /* borrowed from fields[i].name, for expressions */
    int limit_table, limit_field; /* -1: none */
    uint64_t requires_mask;
    pv_check_t *checks;
    size_t nchecks;
    pv_set_t *sets;
    size_t nsets;
    pv_assign_t assign;
    bool assign_given;
    pv_dir_effect_t directory;
    int line;
} pv_actiondef_t;

typedef struct pv_slab_s {
    char *office_kind; /* NULL: any */
    char *role;
    bool has_max;
    int64_t min, max;
} pv_slab_t;

typedef struct pv_table_s {
    char *name;
    bool is_slabs; /* else ceiling */
    pv_slab_t *entries;
    size_t nentries;
} pv_table_t;

struct pv_def_s {
    char *name, *title, *filename, *calendar_name;
    int version;
    char *case_id_src;
    regex_t case_id_re;
    bool has_case_id_re;
    char *office_field; /* NULL: the actor's office */
    const pv_calendar_t *calendar; /* resolved by the engine, borrowed */
    pv_casefield_t *cfields;
    size_t ncfields;
    const char **cfield_names;
    pv_table_t *tables;
    size_t ntables;
    pv_statedef_t *states;
    size_t nstates;
    pv_actiondef_t *actions;
    size_t nactions;
};

/* Index of the action named `name` (without workflow prefix), or -1. */
int pv__def_action_index(const pv_def_t *def, const char *name);
/* Index of the state, or -1. */
int pv__def_state_index(const pv_def_t *def, const char *name);

#endif
