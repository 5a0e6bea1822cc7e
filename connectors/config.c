/* Configuration: YAML file, environment, command line. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "files.h"
#include "yamlutil.h"

#define PV_CONFIG_MAX 256

struct pv_config_s {
    char *keys[PV_CONFIG_MAX], *values[PV_CONFIG_MAX];
    size_t n;
};

pv_config_t *pv_config_new(void)
{
    return calloc(1, sizeof(pv_config_t));
}

void pv_config_free(pv_config_t *cfg)
{
    if (!cfg)
        return;
    for (size_t i = 0; i < cfg->n; i++) {
        free(cfg->keys[i]);
        free(cfg->values[i]);
    }
    free(cfg);
}

int pv_config_set(pv_config_t *cfg, const char *key, const char *value)
{
    char *v = strdup(value);
    if (!v)
        return PV_ENOMEM;
    for (size_t i = 0; i < cfg->n; i++)
        if (strcmp(cfg->keys[i], key) == 0) {
            free(cfg->values[i]);
            cfg->values[i] = v;
            return 0;
        }
    if (cfg->n == PV_CONFIG_MAX || !(cfg->keys[cfg->n] = strdup(key))) {
        free(v);
        return PV_EFULL;
    }
    cfg->values[cfg->n++] = v;
    return 0;
}

const char *pv_config_get(const pv_config_t *cfg, const char *key, const char *dflt)
{
    for (size_t i = 0; i < cfg->n; i++)
        if (strcmp(cfg->keys[i], key) == 0)
            return cfg->values[i];
    return dflt;
}

int64_t pv_config_int(const pv_config_t *cfg, const char *key, int64_t dflt)
{
    const char *v = pv_config_get(cfg, key, NULL);
    char *end;
    long long n = v ? strtoll(v, &end, 10) : 0;
    return v && *v && !*end ? n : dflt;
}

static int flatten(pv_config_t *cfg, pv_yaml_t *y, yaml_node_t *n, const char *prefix, char *err,
                   size_t errlen)
{
    for (size_t i = 0; i < pv_yaml_len(n); i++) {
        yaml_node_t *v;
        const char *k = pv_yaml_map_at(y, n, i, NULL, &v);
        char key[256];
        snprintf(key, sizeof key, "%s%s%s", prefix, *prefix ? "." : "", k);
        int rc = pv_yaml_is_map(v) ? flatten(cfg, y, v, key, err, errlen)
                 : pv_yaml_str(v)  ? pv_config_set(cfg, key, pv_yaml_str(v))
                                   : pv_yaml_error(y, v, err, errlen, "%s must be a scalar", key);
        if (rc)
            return rc;
    }
    return 0;
}

int pv_config_load_file(pv_config_t *cfg, const char *path, char *err, size_t errlen)
{
    char *text;
    size_t len;
    pv_yaml_t y;
    int rc = pv_file_read(path, &text, &len, err, errlen);
    if (rc)
        return rc;
    rc = pv_yaml_open(&y, text, len, path, err, errlen);
    free(text);
    if (rc)
        return rc;
    yaml_node_t *root = pv_yaml_root(&y);
    rc = pv_yaml_is_map(root) ? flatten(cfg, &y, root, "", err, errlen)
                              : pv_yaml_error(&y, root, err, errlen, "config must be a mapping");
    pv_yaml_close(&y);
    return rc;
}

static void env_name(const char *key, char *out, size_t cap)
{
    size_t n = (size_t)snprintf(out, cap, "PRAVAH_");
    for (const char *p = key; *p && n + 1 < cap; p++)
        out[n++] = (*p == '.' || *p == '-') ? '_' : (char)toupper((unsigned char)*p);
    out[n] = '\0';
}

void pv_config_apply_env(pv_config_t *cfg)
{
    extern char **environ;
    char name[300];
    for (size_t i = 0; i < cfg->n; i++) {
        env_name(cfg->keys[i], name, sizeof name);
        const char *v = getenv(name);
        if (v)
            pv_config_set(cfg, cfg->keys[i], v);
    }
    /* PRAVAH_KAFKA_SASL_USERNAME=... -> kafka.sasl.username: any librdkafka property. */
    for (char **e = environ; *e; e++) {
        if (strncmp(*e, "PRAVAH_KAFKA_", 13) != 0 || !strchr(*e, '='))
            continue;
        char key[256] = "kafka.";
        size_t n = 6;
        for (const char *p = *e + 13; *p != '=' && n + 1 < sizeof key; p++)
            key[n++] = *p == '_' ? '.' : (char)tolower((unsigned char)*p);
        key[n] = '\0';
        pv_config_set(cfg, key, strchr(*e, '=') + 1);
    }
}

size_t pv_config_kafka(const pv_config_t *cfg, pv_kv_t *out, size_t max)
{
    size_t n = 0;
    for (size_t i = 0; i < cfg->n && n < max; i++)
        if (strncmp(cfg->keys[i], "kafka.", 6) == 0)
            out[n++] = (pv_kv_t){cfg->keys[i] + 6, cfg->values[i]};
    return n;
}

void pv_config_default_bootstrap(pv_config_t *cfg)
{
    char *text, err[256];
    if (pv_config_get(cfg, "kafka.bootstrap.servers", NULL))
        return;
    if (pv_file_read(pv_config_get(cfg, "broker.addr_file", "var/broker.addr"), &text, NULL, err,
                     sizeof err) == 0) {
        text[strcspn(text, "\r\n")] = '\0';
        pv_config_set(cfg, "kafka.bootstrap.servers", text);
        free(text);
    }
}
