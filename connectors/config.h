/* Worker configuration: a YAML file flattened into dotted keys ("kafka.bootstrap.servers",
 * "topics.intake", "advance.batch_max"), then environment overrides: PRAVAH_<KEY> with dots and
 * dashes as underscores, upper-cased (PRAVAH_KAFKA_BOOTSTRAP_SERVERS), then command-line
 * overrides (pv_config_set). Later wins.
 *
 * Ownership: the config owns copies of every key and value; returned strings are valid until the
 * key is set again or pv_config_free(). */
#ifndef PRAVAH_CONFIG_H
#define PRAVAH_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "kafka.h"

typedef struct pv_config_s pv_config_t;

pv_config_t *pv_config_new(void);
void pv_config_free(pv_config_t *cfg);
/* Reads a YAML file of nested mappings with scalar leaves. Errors: "FILE:LINE: message". */
int pv_config_load_file(pv_config_t *cfg, const char *path, char *err, size_t errlen);
/* Applies PRAVAH_* environment variables for every key already known (file or defaults), and
 * PRAVAH_KAFKA_* as kafka.* keys (dots from underscores) for librdkafka pass-through. */
void pv_config_apply_env(pv_config_t *cfg);
int pv_config_set(pv_config_t *cfg, const char *key, const char *value);
const char *pv_config_get(const pv_config_t *cfg, const char *key, const char *dflt);
int64_t pv_config_int(const pv_config_t *cfg, const char *key, int64_t dflt);
/* When no kafka.bootstrap.servers is set: the address `pravah broker` wrote to
 * broker.addr_file (default var/broker.addr), if that file exists. */
void pv_config_default_bootstrap(pv_config_t *cfg);
/* The kafka.* entries with the prefix removed, for librdkafka. Borrowed; valid as above. */
size_t pv_config_kafka(const pv_config_t *cfg, pv_kv_t *out, size_t max);

#endif
