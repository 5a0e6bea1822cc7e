/* /metrics over libmicrohttpd. */
#include <arpa/inet.h>
#include <microhttpd.h>
#include <stdlib.h>
#include <string.h>

#include "metrics_http.h"

struct pv_metrics_http_s {
    struct MHD_Daemon *d;
    pv_metrics_render_cb cb;
    void *ctx;
    int port;
};

static enum MHD_Result respond(struct MHD_Connection *conn, unsigned status, char *body,
                               size_t len, const char *type)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
    MHD_add_response_header(r, "Content-Type", type);
    enum MHD_Result ret = MHD_queue_response(conn, status, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result handler(void *cls, struct MHD_Connection *conn, const char *url,
                               const char *method, const char *version, const char *upload,
                               size_t *upload_size, void **con_cls)
{
    (void)version, (void)upload, (void)upload_size, (void)con_cls;
    pv_metrics_http_t *srv = cls;
    if (strcmp(method, "GET") != 0)
        return respond(conn, 405, strdup("method not allowed\n"), 19, "text/plain");
    if (strcmp(url, "/healthz") == 0)
        return respond(conn, 200, strdup("ok\n"), 3, "text/plain");
    if (strcmp(url, "/metrics") != 0)
        return respond(conn, 404, strdup("not found\n"), 10, "text/plain");
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        return MHD_NO;
    srv->cb(srv->ctx, f);
    fclose(f);
    return respond(conn, 200, buf, len, "text/plain; version=0.0.4");
}

pv_metrics_http_t *pv_metrics_http_start(int port, int public, pv_metrics_render_cb cb, void *ctx)
{
    pv_metrics_http_t *srv = calloc(1, sizeof *srv);
    if (!srv)
        return NULL;
    srv->cb = cb;
    srv->ctx = ctx;
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    addr.sin_addr.s_addr = htonl(public ? INADDR_ANY : INADDR_LOOPBACK);
    srv->d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, (uint16_t)port, NULL, NULL,
                              handler, srv, MHD_OPTION_SOCK_ADDR, &addr, MHD_OPTION_END);
    if (!srv->d) {
        free(srv);
        return NULL;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(srv->d, MHD_DAEMON_INFO_BIND_PORT);
    srv->port = info ? info->port : port;
    return srv;
}

int pv_metrics_http_port(const pv_metrics_http_t *srv)
{
    return srv->port;
}

void pv_metrics_http_stop(pv_metrics_http_t *srv)
{
    if (!srv)
        return;
    MHD_stop_daemon(srv->d);
    free(srv);
}

int pv_metrics_listen_public(const char *value)
{
    if (strcmp(value, "127.0.0.1") == 0 || strcmp(value, "loopback") == 0)
        return 0;
    if (strcmp(value, "0.0.0.0") == 0 || strcmp(value, "any") == 0)
        return 1;
    return -1;
}

void pv_metrics_write(FILE *out, const char *name, const char *type, const char *help,
                      long long value)
{
    fprintf(out, "# HELP %s %s\n# TYPE %s %s\n%s %lld\n", name, help, name, type, name, value);
}
