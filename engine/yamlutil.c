/* libyaml document loading and walking with "FILE:LINE: message" errors. See yamlutil.h. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "yamlutil.h"

/* Line of a reader error: libyaml gives the byte offset only, the text has the newlines. */
static size_t line_at_offset(const char *text, size_t len, size_t offset)
{
    size_t line = 1;
    for (size_t i = 0; i < offset && i < len; i++)
        line += text[i] == '\n';
    return line;
}

static int parser_error(pv_yaml_t *y, const yaml_parser_t *p, const char *text, size_t len,
                        char *err, size_t errlen)
{
    const char *problem = p->problem ? p->problem : "unknown problem";
    if (p->error == YAML_MEMORY_ERROR) {
        pv_yaml_error(y, NULL, err, errlen, "out of memory");
        return PV_ENOMEM;
    }
    if (p->error == YAML_READER_ERROR) {
        snprintf(err, errlen, "%s:%zu: %s at byte %zu", y->filename,
                 line_at_offset(text, len, p->problem_offset), problem, p->problem_offset);
        return PV_EINVAL;
    }
    if (p->context)
        snprintf(err, errlen, "%s:%zu: %s (%s at line %zu)", y->filename, p->problem_mark.line + 1,
                 problem, p->context, p->context_mark.line + 1);
    else
        snprintf(err, errlen, "%s:%zu: %s", y->filename, p->problem_mark.line + 1, problem);
    return PV_EINVAL;
}

/* A second document in the stream is almost always a pasted-together file: refuse it rather
 * than silently ignore half of the input. */
static int reject_second_document(pv_yaml_t *y, yaml_parser_t *p, const char *text, size_t len,
                                  char *err, size_t errlen)
{
    yaml_document_t next;
    int rc = 0;
    if (!yaml_parser_load(p, &next))
        return parser_error(y, p, text, len, err, errlen);
    yaml_node_t *root = yaml_document_get_root_node(&next);
    if (root)
        rc = pv_yaml_error(y, root, err, errlen, "more than one YAML document in the file");
    yaml_document_delete(&next);
    return rc;
}

typedef struct {
    const char *key;
    size_t len;
    int line;
} key_ref_t;

static int key_ref_cmp(const void *a, const void *b)
{
    const key_ref_t *x = a, *y = b;
    size_t n = x->len < y->len ? x->len : y->len;
    int c = memcmp(x->key, y->key, n);
    if (c)
        return c;
    if (x->len != y->len)
        return x->len < y->len ? -1 : 1;
    return (x->line > y->line) - (x->line < y->line);
}

/* Sorting keeps big mappings (a directory seed may have thousands of keys) O(k log k). */
static int check_duplicate_keys(pv_yaml_t *y, yaml_node_t *map, key_ref_t *scratch, char *err,
                                size_t errlen)
{
    size_t k = pv_yaml_len(map);
    for (size_t i = 0; i < k; i++) {
        yaml_node_t *key = yaml_document_get_node(&y->doc, map->data.mapping.pairs.start[i].key);
        scratch[i] = (key_ref_t){(const char *)key->data.scalar.value, key->data.scalar.length,
                                 pv_yaml_line(key)};
    }
    qsort(scratch, k, sizeof *scratch, key_ref_cmp);
    for (size_t i = 1; i < k; i++) {
        if (scratch[i].len == scratch[i - 1].len &&
            memcmp(scratch[i].key, scratch[i - 1].key, scratch[i].len) == 0) {
            snprintf(err, errlen, "%s:%d: duplicate key '%.*s' (first at line %d)", y->filename,
                     scratch[i].line, (int)(scratch[i].len > 64 ? 64 : scratch[i].len),
                     scratch[i].key, scratch[i - 1].line);
            return PV_EINVAL;
        }
    }
    return 0;
}

/* Counts references to node `id` from `parent` (reported at `at`): a second reference, or any
 * reference to the root, can only come from an alias. */
static int visit_child(pv_yaml_t *y, int *refs, int *depth, size_t parent, int id,
                       const yaml_node_t *at, char *err, size_t errlen)
{
    size_t c = (size_t)id - 1;
    if (id == 1 || refs[c]++ > 0)
        return pv_yaml_error(y, at, err, errlen, "aliases are not supported (anchor at line %d)",
                             pv_yaml_line(yaml_document_get_node(&y->doc, id)));
    /* libyaml appends a collection before its children, so the parent's depth is final here. */
    depth[c] = depth[parent] + 1;
    if (depth[c] > PV_YAML_MAX_DEPTH)
        return pv_yaml_error(y, at, err, errlen, "nesting deeper than %d levels",
                             PV_YAML_MAX_DEPTH);
    return 0;
}

static int check_map(pv_yaml_t *y, size_t i, int *refs, int *depth, key_ref_t *scratch, char *err,
                     size_t errlen)
{
    yaml_node_t *map = &y->doc.nodes.start[i];
    int rc;
    for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
         p++) {
        yaml_node_t *key = yaml_document_get_node(&y->doc, p->key);
        if ((rc = visit_child(y, refs, depth, i, p->key, key, err, errlen)) ||
            (rc = visit_child(y, refs, depth, i, p->value, key, err, errlen)))
            return rc;
        if (key->type != YAML_SCALAR_NODE)
            return pv_yaml_error(y, key, err, errlen, "mapping keys must be strings");
        /* Every caller treats a key as a C string: one with a NUL byte could not be. */
        if (memchr(key->data.scalar.value, 0, key->data.scalar.length))
            return pv_yaml_error(y, key, err, errlen, "mapping keys must not contain NUL bytes");
    }
    return check_duplicate_keys(y, map, scratch, err, errlen);
}

static int check_seq(pv_yaml_t *y, size_t i, int *refs, int *depth, char *err, size_t errlen)
{
    yaml_node_t *seq = &y->doc.nodes.start[i];
    int rc;
    for (yaml_node_item_t *it = seq->data.sequence.items.start; it < seq->data.sequence.items.top;
         it++)
        if ((rc = visit_child(y, refs, depth, i, *it, seq, err, errlen)))
            return rc;
    return 0;
}

/* One linear pass over the node array (never a recursive walk, which an alias cycle or deep
 * nesting could turn into a hang or a stack overflow). */
static int check_tree(pv_yaml_t *y, char *err, size_t errlen)
{
    size_t n = (size_t)(y->doc.nodes.top - y->doc.nodes.start), max_pairs = 0;
    int rc = PV_ENOMEM;
    for (size_t i = 0; i < n; i++)
        if (y->doc.nodes.start[i].type == YAML_MAPPING_NODE &&
            pv_yaml_len(&y->doc.nodes.start[i]) > max_pairs)
            max_pairs = pv_yaml_len(&y->doc.nodes.start[i]);
    int *refs = calloc(n, sizeof *refs), *depth = calloc(n, sizeof *depth);
    key_ref_t *scratch = malloc((max_pairs ? max_pairs : 1) * sizeof *scratch);
    if (!refs || !depth || !scratch)
        goto out;
    rc = 0;
    depth[0] = 1; /* the root is level 1 */
    for (size_t i = 0; i < n && rc == 0; i++) {
        if (y->doc.nodes.start[i].type == YAML_MAPPING_NODE)
            rc = check_map(y, i, refs, depth, scratch, err, errlen);
        else if (y->doc.nodes.start[i].type == YAML_SEQUENCE_NODE)
            rc = check_seq(y, i, refs, depth, err, errlen);
    }
out:
    free(refs);
    free(depth);
    free(scratch);
    return rc;
}

int pv_yaml_open(pv_yaml_t *y, const char *text, size_t len, const char *filename, char *err,
                 size_t errlen)
{
    yaml_parser_t parser;
    int rc;
    memset(y, 0, sizeof *y);
    snprintf(y->filename, sizeof y->filename, "%s", filename ? filename : "<input>");
    if (len > PV_YAML_MAX_INPUT) {
        pv_yaml_error(y, NULL, err, errlen, "%zu bytes is more than the %u allowed", len,
                      PV_YAML_MAX_INPUT);
        return PV_ERANGE;
    }
    if (!yaml_parser_initialize(&parser)) {
        pv_yaml_error(y, NULL, err, errlen, "out of memory");
        return PV_ENOMEM;
    }
    yaml_parser_set_input_string(&parser, (const unsigned char *)(text ? text : ""), len);
    if (!yaml_parser_load(&parser, &y->doc)) {
        rc = parser_error(y, &parser, text, len, err, errlen);
        goto out;
    }
    y->is_loaded = true;
    if (!pv_yaml_root(y)) {
        rc = pv_yaml_error(y, NULL, err, errlen, "empty document");
        goto out;
    }
    rc = reject_second_document(y, &parser, text, len, err, errlen);
    if (rc == 0)
        rc = check_tree(y, err, errlen);
out:
    yaml_parser_delete(&parser);
    if (rc)
        pv_yaml_close(y);
    return rc;
}

void pv_yaml_close(pv_yaml_t *y)
{
    if (y->is_loaded)
        yaml_document_delete(&y->doc);
    y->is_loaded = false;
}

yaml_node_t *pv_yaml_root(pv_yaml_t *y)
{
    return y->is_loaded ? yaml_document_get_root_node(&y->doc) : NULL;
}

int pv_yaml_line(const yaml_node_t *n)
{
    return n ? (int)n->start_mark.line + 1 : 0;
}

bool pv_yaml_is_map(const yaml_node_t *n)
{
    return n && n->type == YAML_MAPPING_NODE;
}

bool pv_yaml_is_seq(const yaml_node_t *n)
{
    return n && n->type == YAML_SEQUENCE_NODE;
}

bool pv_yaml_is_null(const yaml_node_t *n)
{
    static const char *const nulls[] = {"", "~", "null", "Null", "NULL"};
    if (!n || n->type != YAML_SCALAR_NODE || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
        return false;
    for (size_t i = 0; i < sizeof nulls / sizeof nulls[0]; i++)
        if (strcmp((const char *)n->data.scalar.value, nulls[i]) == 0)
            return true;
    return false;
}

const char *pv_yaml_str(const yaml_node_t *n)
{
    if (!n || n->type != YAML_SCALAR_NODE)
        return NULL;
    /* "\0" in a double-quoted scalar would silently cut a C string short. */
    if (memchr(n->data.scalar.value, 0, n->data.scalar.length))
        return NULL;
    return (const char *)n->data.scalar.value;
}

yaml_node_t *pv_yaml_get(pv_yaml_t *y, yaml_node_t *map, const char *key)
{
    size_t n = pv_yaml_len(map);
    for (size_t i = 0; i < n; i++) {
        yaml_node_t *v;
        const char *k = pv_yaml_map_at(y, map, i, NULL, &v);
        if (k && strcmp(k, key) == 0)
            return v;
    }
    return NULL;
}

size_t pv_yaml_len(const yaml_node_t *n)
{
    if (pv_yaml_is_map(n))
        return (size_t)(n->data.mapping.pairs.top - n->data.mapping.pairs.start);
    if (pv_yaml_is_seq(n))
        return (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
    return 0;
}

yaml_node_t *pv_yaml_seq_at(pv_yaml_t *y, yaml_node_t *seq, size_t i)
{
    if (!pv_yaml_is_seq(seq) || i >= pv_yaml_len(seq))
        return NULL;
    return yaml_document_get_node(&y->doc, seq->data.sequence.items.start[i]);
}

const char *pv_yaml_map_at(pv_yaml_t *y, yaml_node_t *map, size_t i, yaml_node_t **key_node,
                           yaml_node_t **value)
{
    if (!pv_yaml_is_map(map) || i >= pv_yaml_len(map))
        return NULL;
    yaml_node_pair_t *p = &map->data.mapping.pairs.start[i];
    yaml_node_t *k = yaml_document_get_node(&y->doc, p->key);
    if (key_node)
        *key_node = k;
    if (value)
        *value = yaml_document_get_node(&y->doc, p->value);
    return pv_yaml_str(k);
}

int pv_yaml_error(const pv_yaml_t *y, const yaml_node_t *at, char *err, size_t errlen,
                  const char *fmt, ...)
{
    if (!err || errlen == 0)
        return PV_EINVAL;
    int n = at ? snprintf(err, errlen, "%s:%d: ", y->filename, pv_yaml_line(at))
               : snprintf(err, errlen, "%s: ", y->filename);
    if (n >= 0 && (size_t)n < errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
        va_end(ap);
    }
    return PV_EINVAL;
}

int pv_yaml_expect(const pv_yaml_t *y, const yaml_node_t *n, yaml_node_type_t type,
                   const char *what, char *err, size_t errlen)
{
    if (n && n->type == type && (type != YAML_SCALAR_NODE || pv_yaml_str(n)))
        return 0;
    const char *name = type == YAML_MAPPING_NODE    ? "a mapping"
                       : type == YAML_SEQUENCE_NODE ? "a sequence"
                                                    : "a string";
    return pv_yaml_error(y, n, err, errlen, "%s must be %s", what, name);
}

int pv_yaml_check_keys(pv_yaml_t *y, yaml_node_t *map, const char *const *allowed, char *err,
                       size_t errlen)
{
    size_t n = pv_yaml_len(map);
    for (size_t i = 0; i < n; i++) {
        yaml_node_t *key_node = NULL;
        const char *key = pv_yaml_map_at(y, map, i, &key_node, NULL);
        size_t j = 0;
        while (allowed[j] && (!key || strcmp(key, allowed[j]) != 0))
            j++;
        if (allowed[j])
            continue;
        char list[512] = "";
        size_t used = 0;
        for (j = 0; allowed[j] && used < sizeof list; j++) {
            int w = snprintf(list + used, sizeof list - used, "%s%s", j ? ", " : "", allowed[j]);
            used += w > 0 ? (size_t)w : 0;
        }
        return pv_yaml_error(y, key_node, err, errlen, "unknown key '%.64s' (expected one of: %s)",
                             key ? key : "?", list);
    }
    return 0;
}

int pv_yaml_int(const pv_yaml_t *y, const yaml_node_t *n, int64_t min, int64_t max, int64_t *out,
                char *err, size_t errlen)
{
    const char *s = pv_yaml_str(n), *p = s;
    bool is_neg = false;
    uint64_t v = 0, limit;
    if (!s)
        return pv_yaml_error(y, n, err, errlen, "expected an integer");
    if (*p == '+' || *p == '-')
        is_neg = *p++ == '-';
    limit = is_neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    if (*p < '0' || *p > '9')
        goto bad;
    for (; *p >= '0' && *p <= '9'; p++) {
        if (v > (limit - (uint64_t)(*p - '0')) / 10)
            goto range;
        v = v * 10 + (uint64_t)(*p - '0');
    }
    if (*p)
        goto bad;
    int64_t r = is_neg ? (int64_t)(0 - v) : (int64_t)v;
    if (r < min || r > max)
        goto range;
    *out = r;
    return 0;
bad:
    return pv_yaml_error(y, n, err, errlen, "'%.40s' is not an integer", s);
range:
    return pv_yaml_error(y, n, err, errlen, "'%.40s' is out of range [%lld, %lld]", s,
                         (long long)min, (long long)max);
}

int pv_yaml_bool(const pv_yaml_t *y, const yaml_node_t *n, bool *out, char *err, size_t errlen)
{
    const char *s = pv_yaml_str(n);
    if (s && (!strcmp(s, "true") || !strcmp(s, "True") || !strcmp(s, "TRUE"))) {
        *out = true;
        return 0;
    }
    if (s && (!strcmp(s, "false") || !strcmp(s, "False") || !strcmp(s, "FALSE"))) {
        *out = false;
        return 0;
    }
    return pv_yaml_error(y, n, err, errlen, "expected true or false, got '%.40s'", s ? s : "?");
}
