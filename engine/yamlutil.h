/* A thin layer over libyaml's document API for Pravah's data files (calendars, workflow
 * definitions, directory seeds, scenarios): load one document, walk it, and report errors as
 * "FILE:LINE: message" so a user can jump to the line.
 *
 * What pv_yaml_open() accepts is deliberately narrower than YAML: exactly one document, at most
 * PV_YAML_MAX_INPUT bytes, nesting at most PV_YAML_MAX_DEPTH, scalar mapping keys, no duplicate
 * keys, and no aliases (so every node has one parent, the document is a tree, and a recursive
 * walker can neither loop nor blow up on "billion laughs"). Values are never type-resolved by
 * libyaml: every scalar is text, and pv_yaml_int()/pv_yaml_bool() parse it strictly.
 *
 * Ownership: pv_yaml_t is embedded by the caller; pv_yaml_open() fills it, pv_yaml_close() frees
 * it. Nodes and strings returned by the other functions are borrowed from the document and valid
 * until pv_yaml_close(). The input text is not referenced after pv_yaml_open() returns.
 * Not thread-safe per pv_yaml_t; separate documents may be used on separate threads. */
#ifndef PRAVAH_YAMLUTIL_H
#define PRAVAH_YAMLUTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <yaml.h>

#include "pravah/common.h"

#define PV_YAML_MAX_INPUT (4u * 1024 * 1024)
#define PV_YAML_MAX_DEPTH 64
#define PV_YAML_FILENAME_MAX 256

typedef struct pv_yaml_s {
    yaml_document_t doc;
    bool is_loaded;
    char filename[PV_YAML_FILENAME_MAX]; /* copied (truncated) for error messages */
} pv_yaml_t;

/* Parses `len` bytes of `text` (need not be NUL-terminated). Returns 0, PV_ERANGE when the input
 * is too large, PV_ENOMEM, or PV_EINVAL with "FILE:LINE: problem" in err. On failure *y is left
 * closed (pv_yaml_close() is still safe to call). */
int pv_yaml_open(pv_yaml_t *y, const char *text, size_t len, const char *filename, char *err,
                 size_t errlen);
void pv_yaml_close(pv_yaml_t *y);

yaml_node_t *pv_yaml_root(pv_yaml_t *y);
/* 1-based line where the node starts; 0 for NULL. */
int pv_yaml_line(const yaml_node_t *n);

bool pv_yaml_is_map(const yaml_node_t *n);
bool pv_yaml_is_seq(const yaml_node_t *n);
/* True for a plain empty scalar ("key:"), "~" and null/Null/NULL. */
bool pv_yaml_is_null(const yaml_node_t *n);
/* The text of a scalar, or NULL when n is not a scalar (or holds a NUL byte). */
const char *pv_yaml_str(const yaml_node_t *n);

/* Value of `key` in a mapping, or NULL when absent or `map` is not a mapping. */
yaml_node_t *pv_yaml_get(pv_yaml_t *y, yaml_node_t *map, const char *key);
/* Number of items of a sequence or pairs of a mapping; 0 for anything else. */
size_t pv_yaml_len(const yaml_node_t *n);
/* The i-th item of a sequence (i < pv_yaml_len), or NULL. */
yaml_node_t *pv_yaml_seq_at(pv_yaml_t *y, yaml_node_t *seq, size_t i);
/* The i-th pair of a mapping: returns the key text and sets *value (and *key_node when not NULL);
 * returns NULL when i is out of range. Pairs come in document order.
 *   for (size_t i = 0; i < pv_yaml_len(map); i++) { yaml_node_t *v;
 *       const char *k = pv_yaml_map_at(y, map, i, NULL, &v); ... } */
const char *pv_yaml_map_at(pv_yaml_t *y, yaml_node_t *map, size_t i, yaml_node_t **key_node,
                           yaml_node_t **value);

/* Formats "FILE:LINE: message" (or "FILE: message" when at is NULL) into err.
 * Always returns PV_EINVAL, so loaders can `return pv_yaml_error(...)`. */
int pv_yaml_error(const pv_yaml_t *y, const yaml_node_t *at, char *err, size_t errlen,
                  const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* Fails with "FILE:LINE: <what> must be a mapping|sequence|string" unless n has that type.
 * `type` is YAML_MAPPING_NODE, YAML_SEQUENCE_NODE or YAML_SCALAR_NODE. */
int pv_yaml_expect(const pv_yaml_t *y, const yaml_node_t *n, yaml_node_type_t type,
                   const char *what, char *err, size_t errlen);
/* Fails with "FILE:LINE: unknown key 'foo' (expected one of: a, b, c)" when `map` has a key not
 * in the NULL-terminated list `allowed`. */
int pv_yaml_check_keys(pv_yaml_t *y, yaml_node_t *map, const char *const *allowed, char *err,
                       size_t errlen);
/* Strict decimal integer ("-12", "+7"; no spaces, hex or "1e3") within [min, max]. */
int pv_yaml_int(const pv_yaml_t *y, const yaml_node_t *n, int64_t min, int64_t max, int64_t *out,
                char *err, size_t errlen);
/* true/false (also True/TRUE/False/FALSE); YAML 1.1's yes/no/on/off are refused as ambiguous. */
int pv_yaml_bool(const pv_yaml_t *y, const yaml_node_t *n, bool *out, char *err, size_t errlen);

#endif
