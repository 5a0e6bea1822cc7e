/* A tiny HTTP endpoint for Prometheus: GET /metrics returns what the render callback writes;
 * GET /healthz returns "ok". libmicrohttpd serves it on its own thread, so the callback must only
 * read values that are safe to read concurrently (atomics).
 *
 * Ownership: the server is a heap object; pv_metrics_http_stop() frees it. */
#ifndef PRAVAH_METRICS_HTTP_H
#define PRAVAH_METRICS_HTTP_H

#include <stddef.h>
#include <stdio.h>

typedef struct pv_metrics_http_s pv_metrics_http_t;
/* Writes the exposition text into out (an open_memstream stream). Runs on the HTTP thread. */
typedef void (*pv_metrics_render_cb)(void *ctx, FILE *out);

/* Listens on 127.0.0.1:port, or all interfaces when `public` is non-zero. port 0 picks a free
 * port, reported by pv_metrics_http_port. Returns NULL on failure. */
pv_metrics_http_t *pv_metrics_http_start(int port, int public, pv_metrics_render_cb cb, void *ctx);
int pv_metrics_http_port(const pv_metrics_http_t *srv);
/* Parses a `*.metrics_listen` setting: "127.0.0.1" or "loopback" (0), "0.0.0.0" or "any" (1:
 * every interface, for Kubernetes probes and Prometheus). Returns 0 or 1, -1 when unknown. */
int pv_metrics_listen_public(const char *value);
void pv_metrics_http_stop(pv_metrics_http_t *srv);
/* Writes one metric in the Prometheus text format: HELP and TYPE lines, then `name value`. */
void pv_metrics_write(FILE *out, const char *name, const char *type, const char *help,
                      long long value);

#endif
