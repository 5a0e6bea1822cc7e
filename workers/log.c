/* JSON log lines (jansson does the escaping). */
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

static const char *proc_name = "pravah";

void pv_log_init(const char *proc)
{
    proc_name = proc;
}

static void emit(json_t *obj)
{
    char *line = json_dumps(obj, JSON_COMPACT | JSON_PRESERVE_ORDER);
    if (line) {
        size_t n = strlen(line);
        line[n] = '\n';
        /* One write per line, so lines from threads never interleave. */
        ssize_t w = write(STDERR_FILENO, line, n + 1);
        (void)w;
        free(line);
    }
    json_decref(obj);
}

static json_t *base(const char *level, const char *msg)
{
    struct timeval tv;
    struct tm tm;
    char ts[64];
    gettimeofday(&tv, NULL);
    gmtime_r(&tv.tv_sec, &tm);
    snprintf(ts, sizeof ts, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ", tm.tm_year + 1900,
             tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
             (long)(tv.tv_usec / 1000));
    return json_pack("{s:s, s:s, s:s, s:s}", "ts", ts, "level", level, "proc", proc_name, "msg",
                     msg);
}

void pv_log(const char *level, const char *msg, ...)
{
    json_t *obj = base(level, msg);
    va_list ap;
    va_start(ap, msg);
    for (const char *k; (k = va_arg(ap, const char *));) {
        const char *v = va_arg(ap, const char *);
        json_object_set_new(obj, k, json_string(v ? v : ""));
    }
    va_end(ap);
    emit(obj);
}

void pv_logf(const char *level, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    emit(base(level, msg));
}
