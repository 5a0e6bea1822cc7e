/* YAML node -> jansson value (see yaml_json.h). */
#include <regex.h>
#include <stdlib.h>
#include <string.h>

#include "yaml_json.h"

static int matches(const char *s, const char *re)
{
    regex_t r;
    if (regcomp(&r, re, REG_EXTENDED | REG_NOSUB) != 0)
        return 0;
    int ok = regexec(&r, s, 0, NULL, 0) == 0;
    regfree(&r);
    return ok;
}

static json_t *scalar(yaml_node_t *n)
{
    const char *s = pv_yaml_str(n);
    if (!s)
        return NULL;
    if (n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
        return json_string(s);
    if (strcmp(s, "true") == 0 || strcmp(s, "false") == 0)
        return json_boolean(s[0] == 't');
    if (!*s || strcmp(s, "null") == 0 || strcmp(s, "~") == 0)
        return json_null();
    if (matches(s, "^-?[0-9]{1,18}$"))
        return json_integer(strtoll(s, NULL, 10));
    if (matches(s, "^-?[0-9]+\\.[0-9]+([eE][-+]?[0-9]+)?$"))
        return json_real(strtod(s, NULL));
    return json_string(s);
}

json_t *pv_yaml_to_json(pv_yaml_t *y, yaml_node_t *n)
{
    if (!n)
        return NULL;
    if (n->type == YAML_SCALAR_NODE)
        return scalar(n);
    if (n->type == YAML_SEQUENCE_NODE) {
        json_t *arr = json_array();
        for (size_t i = 0; arr && i < pv_yaml_len(n); i++)
            json_array_append_new(arr, pv_yaml_to_json(y, pv_yaml_seq_at(y, n, i)));
        return arr;
    }
    json_t *obj = json_object();
    for (size_t i = 0; obj && i < pv_yaml_len(n); i++) {
        yaml_node_t *v;
        const char *k = pv_yaml_map_at(y, n, i, NULL, &v);
        json_object_set_new(obj, k, pv_yaml_to_json(y, v));
    }
    return obj;
}
