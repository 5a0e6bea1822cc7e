/* Workflow definitions: YAML data (docs/WORKFLOWS.md) loaded, validated and compiled.
 *
 * Ownership: pv_def_t is a heap object; pv_def_load() gives it to the caller, who frees it with
 * pv_def_free() or hands it to an engine (pv_engine_add_definition takes ownership). */
#ifndef PRAVAH_DEFINITION_H
#define PRAVAH_DEFINITION_H

#include <stddef.h>
#include <stdio.h>

#include "pravah/common.h"

typedef struct pv_def_s pv_def_t;

/* Parses and validates one definition. Returns 0, or PV_EINVAL with "FILE:LINE: message" in err
 * (the first problem found). Pure: the text is read from memory. */
int pv_def_load(const char *yaml, size_t len, const char *filename, pv_def_t **out, char *err,
                size_t errlen);
void pv_def_free(pv_def_t *def);

const char *pv_def_name(const pv_def_t *def);
int pv_def_version(const pv_def_t *def);
const char *pv_def_calendar_name(const pv_def_t *def);
size_t pv_def_state_count(const pv_def_t *def);
size_t pv_def_action_count(const pv_def_t *def);

/* Writes the workflow as a Graphviz digraph (states as nodes, actions as edges labelled with
 * their roles; terminal states double-circled; SLAs in state labels). */
void pv_def_write_dot(const pv_def_t *def, FILE *out);

#endif
