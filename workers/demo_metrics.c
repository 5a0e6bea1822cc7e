/* Reading the advancer's /metrics (demo_metrics.h). A plain HTTP/1.0 GET: libmicrohttpd closes
 * the connection after the answer, so the body is everything up to EOF. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "demo_metrics.h"

#define METRICS_MAX (256 * 1024)

static int connect_loopback(int port)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    struct timeval tv = {2, 0};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/* The whole answer, NUL-ended, in buf; returns its length or -1. */
static long http_get(int port, const char *path, char *buf, size_t cap)
{
    char req[256];
    int fd = connect_loopback(port);
    if (fd < 0)
        return -1;
    int n = snprintf(req, sizeof req, "GET %s HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n", path);
    long len = 0;
    if (write(fd, req, (size_t)n) != n) {
        close(fd);
        return -1;
    }
    for (;;) {
        ssize_t r = read(fd, buf + len, cap - 1 - (size_t)len);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        len += r;
        if ((size_t)len + 1 >= cap)
            break;
    }
    close(fd);
    buf[len] = '\0';
    return strncmp(buf, "HTTP/1.", 7) == 0 && strstr(buf, " 200 ") ? len : -1;
}

/* Sums every sample of `name` (with or without labels) in the exposition text. */
static long long sample_sum(const char *text, const char *name)
{
    size_t nl = strlen(name);
    long long sum = 0;
    for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
        if (strncmp(p, name, nl) != 0 || (p[nl] != ' ' && p[nl] != '{'))
            continue;
        const char *v = p[nl] == '{' ? strchr(p + nl, '}') : p + nl;
        if (v)
            sum += (long long)strtod(v + (*v == '}'), NULL);
    }
    return sum;
}

int pv_demo_metrics_get(int port, pv_demo_metrics_t *m)
{
    char *buf = malloc(METRICS_MAX);
    if (!buf || http_get(port, "/metrics", buf, METRICS_MAX) < 0) {
        free(buf);
        return -1;
    }
    const char *body = strstr(buf, "\r\n\r\n");
    body = body ? body + 4 : buf;
    m->clock_ms = sample_sum(body, "pravah_clock_ms");
    m->consumed = sample_sum(body, "pravah_events_consumed_total");
    m->applied = sample_sum(body, "pravah_events_applied_total");
    m->rejected = sample_sum(body, "pravah_events_rejected_total");
    m->alerts = sample_sum(body, "pravah_alerts_raised_total");
    m->lag = sample_sum(body, "pravah_consumer_lag");
    free(buf);
    return 0;
}

int pv_demo_free_port(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    srand((unsigned)(ts.tv_nsec ^ getpid()));
    for (int i = 0; i < 200; i++) {
        int port = 10000 + rand() % 22000;
        struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        int ok = fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof a) == 0;
        if (fd >= 0)
            close(fd);
        if (ok)
            return port;
    }
    return -1;
}
