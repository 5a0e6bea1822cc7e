/* Converts a YAML node into a jansson value, typing plain scalars as YAML 1.2's core schema does
 * (integers, decimals, true/false, null); quoted scalars stay strings. Used by the scenario runner
 * to turn an `event:` mapping into a structured CloudEvent. Returns a new reference or NULL. */
#ifndef PV_YAML_JSON_H
#define PV_YAML_JSON_H

#include <jansson.h>

#include "yamlutil.h"

json_t *pv_yaml_to_json(pv_yaml_t *y, yaml_node_t *n);

#endif
