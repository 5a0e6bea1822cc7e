/* Data files from disk into the engine. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "files.h"

int pv_file_read(const char *path, char **out, size_t *len, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    size_t cap = 0, n = 0;
    if (!f) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return PV_ENOENT;
    }
    for (;;) {
        if (cap - n < 65536) {
            char *b = realloc(buf, cap = cap ? cap * 2 : 131072);
            if (!b) {
                free(buf);
                fclose(f);
                snprintf(err, errlen, "%s: out of memory", path);
                return PV_ENOMEM;
            }
            buf = b;
        }
        size_t got = fread(buf + n, 1, cap - n - 1, f);
        n += got;
        if (got == 0)
            break;
    }
    int failed = ferror(f);
    fclose(f);
    if (failed) {
        free(buf);
        snprintf(err, errlen, "%s: read error", path);
        return PV_EINVAL;
    }
    buf[n] = '\0';
    *out = buf;
    if (len)
        *len = n;
    return 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Calls fn for every .yaml file in dir, in name order. */
static int each_yaml(const char *dir, int (*fn)(void *, const char *, char *, size_t), void *ctx,
                     char *err, size_t errlen)
{
    DIR *d = opendir(dir);
    char *names[1024];
    size_t n = 0;
    int rc = 0;
    if (!d) {
        snprintf(err, errlen, "%s: %s", dir, strerror(errno));
        return PV_ENOENT;
    }
    struct dirent *e;
    while ((e = readdir(d)) && n < 1024) {
        size_t len = strlen(e->d_name);
        if (len > 5 && strcmp(e->d_name + len - 5, ".yaml") == 0)
            names[n++] = strdup(e->d_name);
    }
    closedir(d);
    qsort(names, n, sizeof *names, cmp_str);
    for (size_t i = 0; i < n; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        if (!rc)
            rc = fn(ctx, path, err, errlen);
        free(names[i]);
    }
    return rc;
}

static int load_calendar_cb(void *eng, const char *path, char *err, size_t errlen)
{
    char *text;
    size_t len;
    pv_calendar_t *cal;
    int rc = pv_file_read(path, &text, &len, err, errlen);
    if (rc)
        return rc;
    rc = pv_calendar_load(text, len, path, &cal, err, errlen);
    free(text);
    if (rc)
        return rc;
    rc = pv_engine_add_calendar(eng, cal);
    if (rc == PV_EEXIST)
        snprintf(err, errlen, "%s: a calendar of that name is already loaded", path);
    return rc;
}

int pv_load_calendars(pv_engine_t *eng, const char *dir, char *err, size_t errlen)
{
    return each_yaml(dir, load_calendar_cb, eng, err, errlen);
}

int pv_load_definition_file(pv_engine_t *eng, const char *path, char *err, size_t errlen)
{
    char *text;
    size_t len;
    pv_def_t *def;
    int rc = pv_file_read(path, &text, &len, err, errlen);
    if (rc)
        return rc;
    rc = pv_def_load(text, len, path, &def, err, errlen);
    free(text);
    return rc ? rc : pv_engine_add_definition(eng, def, err, errlen);
}

static int load_definition_cb(void *eng, const char *path, char *err, size_t errlen)
{
    return pv_load_definition_file(eng, path, err, errlen);
}

int pv_load_definitions(pv_engine_t *eng, const char *dir, char *err, size_t errlen)
{
    return each_yaml(dir, load_definition_cb, eng, err, errlen);
}

int pv_load_directory_file(pv_directory_t *directory, const char *path, char *err, size_t errlen)
{
    char *text;
    size_t len;
    int rc = pv_file_read(path, &text, &len, err, errlen);
    if (rc)
        return rc;
    rc = pv_directory_load(directory, text, len, path, err, errlen);
    free(text);
    return rc;
}

int pv_load_schemas(pv_engine_t *eng, pv_directory_t *dir, const char *schemas, char *err,
                    size_t errlen)
{
    char path[4096];
    int rc;
    snprintf(path, sizeof path, "%s/calendars", schemas);
    if ((rc = pv_load_calendars(eng, path, err, errlen)))
        return rc;
    snprintf(path, sizeof path, "%s/workflows", schemas);
    if ((rc = pv_load_definitions(eng, path, err, errlen)))
        return rc;
    if (!dir)
        return 0;
    snprintf(path, sizeof path, "%s/directory/haryana.yaml", schemas);
    if ((rc = pv_load_directory_file(dir, path, err, errlen)))
        return rc;
    pv_engine_set_directory(eng, dir);
    return 0;
}
