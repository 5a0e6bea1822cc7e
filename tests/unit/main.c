/* The unit test runner. Usage: pv_unit [--suite SUITE] [TEST_NAME...] [--list] */
#include <stdarg.h>
#include <stdlib.h>

#include "pvtest.h"

#define PV_MAX_TESTS 2048

typedef struct {
    const char *suite, *name;
    pv_test_fn fn;
} pv_test_entry_t;

static pv_test_entry_t tests[PV_MAX_TESTS];
static int ntests;
static int current_failed;

void pv_test_register(const char *suite, const char *name, pv_test_fn fn)
{
    if (ntests < PV_MAX_TESTS)
        tests[ntests++] = (pv_test_entry_t){suite, name, fn};
}

void pv_test_fail(const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "  %s:%d: ", file, line);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    current_failed = 1;
}

char *pv_test_read_file(const char *relpath, size_t *len)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", PV_SOURCE_DIR, relpath);
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    if (buf) {
        buf[n] = '\0';
        if (len)
            *len = (size_t)n;
    }
    return buf;
}

static int selected(const pv_test_entry_t *t, const char *suite, char **names, int nnames)
{
    if (suite && strcmp(t->suite, suite) != 0)
        return 0;
    if (nnames == 0)
        return 1;
    for (int i = 0; i < nnames; i++)
        if (strcmp(names[i], t->name) == 0)
            return 1;
    return 0;
}

int main(int argc, char **argv)
{
    const char *suite = NULL;
    char *names[256];
    int nnames = 0, list = 0, passed = 0, failed = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--suite") == 0 && i + 1 < argc)
            suite = argv[++i];
        else if (strcmp(argv[i], "--list") == 0)
            list = 1;
        else if (nnames < 256)
            names[nnames++] = argv[i];
    }
    for (int i = 0; i < ntests; i++) {
        if (!selected(&tests[i], suite, names, nnames))
            continue;
        if (list) {
            printf("%s %s\n", tests[i].suite, tests[i].name);
            continue;
        }
        current_failed = 0;
        tests[i].fn();
        printf("%s %s.%s\n", current_failed ? "FAIL" : "ok  ", tests[i].suite, tests[i].name);
        current_failed ? failed++ : passed++;
    }
    if (!list)
        printf("%d passed, %d failed\n", passed, failed);
    return failed || (!list && passed == 0) ? 1 : 0;
}
