/* libpq behind connectors/pg.h. */
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "pg.h"
#include "pravah/common.h"

struct pv_pg_s {
    PGconn *conn;
    char *conninfo;
    char sqlstate[6];
    unsigned seed; /* back-off jitter: differs between processes */
    uint64_t session; /* successful connects so far */
};

/* Server notices ("relation already exists, skipping") are not errors: not printed. */
static void quiet_notices(void *arg, const PGresult *res)
{
    (void)arg, (void)res;
}

pv_pg_t *pv_pg_new(const char *conninfo)
{
    pv_pg_t *pg = calloc(1, sizeof *pg);
    if (!pg || !(pg->conninfo = strdup(conninfo ? conninfo : ""))) {
        free(pg);
        return NULL;
    }
    pg->seed = (unsigned)time(NULL) ^ ((unsigned)getpid() << 16);
    return pg;
}

static void disconnect(pv_pg_t *pg)
{
    if (pg->conn)
        PQfinish(pg->conn);
    pg->conn = NULL;
}

void pv_pg_free(pv_pg_t *pg)
{
    if (!pg)
        return;
    disconnect(pg);
    free(pg->conninfo);
    free(pg);
}

/* libpq messages end in a newline; err gets one line. */
static void set_err(char *err, size_t errlen, const char *prefix, const char *msg)
{
    snprintf(err, errlen, "%s%s", prefix, msg && *msg ? msg : "unknown error");
    err[strcspn(err, "\n")] = '\0';
}

int pv_pg_connect(pv_pg_t *pg, char *err, size_t errlen)
{
    /* Later entries win: the user's string (expanded as a conninfo or URI) overrides ours. */
    const char *const keys[] = {"fallback_application_name", "connect_timeout", "dbname", NULL};
    const char *const vals[] = {"pravah", "5", pg->conninfo, NULL};
    disconnect(pg);
    pg->sqlstate[0] = '\0';
    pg->conn = PQconnectdbParams(keys, vals, 1);
    if (!pg->conn || PQstatus(pg->conn) != CONNECTION_OK) {
        set_err(err, errlen, "connecting to PostgreSQL: ",
                pg->conn ? PQerrorMessage(pg->conn) : "out of memory");
        disconnect(pg);
        return PV_PG_LOST;
    }
    PQsetNoticeReceiver(pg->conn, quiet_notices, NULL);
    pg->session++;
    return 0;
}

uint64_t pv_pg_session(const pv_pg_t *pg)
{
    return pg->session;
}

int pv_pg_is_connected(const pv_pg_t *pg)
{
    return pg->conn && PQstatus(pg->conn) == CONNECTION_OK;
}

int pv_pg_reconnect(pv_pg_t *pg, int min_ms, int max_ms, volatile int *stop, pv_pg_retry_cb cb,
                    void *ctx)
{
    char err[512];
    int wait = min_ms > 0 ? min_ms : 100;
    for (int attempt = 1; !*stop; attempt++) {
        if (pv_pg_connect(pg, err, sizeof err) == 0)
            return 0;
        /* +-25% jitter, so a fleet of workers does not reconnect in step. */
        int w = wait - wait / 4 + (int)(rand_r(&pg->seed) % (unsigned)(wait / 2 + 1));
        if (cb)
            cb(ctx, attempt, w, err);
        for (int slept = 0; slept < w && !*stop; slept += 50) {
            struct timespec ts = {0, 50 * 1000000L};
            nanosleep(&ts, NULL);
        }
        wait = wait * 2 < max_ms ? wait * 2 : max_ms;
    }
    return -1;
}

pv_pg_class_t pv_pg_class(const char *st, int connected)
{
    if (!connected || !st || !*st)
        return PV_PG_LOST;
    if (strncmp(st, "08", 2) == 0 || strcmp(st, "57P01") == 0 || strcmp(st, "57P02") == 0 ||
        strcmp(st, "57P03") == 0)
        return PV_PG_LOST;
    if (strncmp(st, "40", 2) == 0 || strncmp(st, "53", 2) == 0 || strcmp(st, "55P03") == 0 ||
        strcmp(st, "57014") == 0)
        return PV_PG_RETRY;
    if (strncmp(st, "22", 2) == 0 || strncmp(st, "23", 2) == 0 || strncmp(st, "P0", 2) == 0 ||
        strncmp(st, "2F", 2) == 0 || strncmp(st, "39", 2) == 0 || strncmp(st, "44", 2) == 0)
        return PV_PG_DATA;
    return PV_PG_FATAL;
}

const char *pv_pg_sqlstate(const pv_pg_t *pg)
{
    return pg->sqlstate;
}

/* Sorts a failed result (or a NULL one: libpq could not even send) and fills err. */
static int fail(pv_pg_t *pg, PGresult *res, char *err, size_t errlen)
{
    const char *st = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    const char *msg = res ? PQresultErrorMessage(res) : NULL;
    if (!msg || !*msg)
        msg = pg->conn ? PQerrorMessage(pg->conn) : "not connected";
    snprintf(pg->sqlstate, sizeof pg->sqlstate, "%s", st ? st : "");
    char prefix[16] = "";
    if (st)
        snprintf(prefix, sizeof prefix, "%s: ", st);
    set_err(err, errlen, prefix, msg);
    int rc = pv_pg_class(st, pv_pg_is_connected(pg));
    PQclear(res);
    if (rc == PV_PG_LOST)
        disconnect(pg); /* the next pv_pg_reconnect starts clean */
    return rc;
}

static int ok_status(ExecStatusType s)
{
    return s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK || s == PGRES_EMPTY_QUERY;
}

int pv_pg_exec(pv_pg_t *pg, const char *sql, char *err, size_t errlen)
{
    if (!pg->conn)
        return fail(pg, NULL, err, errlen);
    PGresult *res = PQexec(pg->conn, sql);
    if (!res || !ok_status(PQresultStatus(res)))
        return fail(pg, res, err, errlen);
    PQclear(res);
    return 0;
}

int pv_pg_query(pv_pg_t *pg, const char *sql, int nparams, const char *const *params,
                pv_pg_row_cb cb, void *ctx, char *err, size_t errlen)
{
    if (!pg->conn)
        return fail(pg, NULL, err, errlen);
    PGresult *res = PQexecParams(pg->conn, sql, nparams, NULL, params, NULL, NULL, 0);
    if (!res || !ok_status(PQresultStatus(res)))
        return fail(pg, res, err, errlen);
    int ncols = PQnfields(res), nrows = PQntuples(res);
    const char *vals[64];
    if (ncols > 64)
        ncols = 64;
    for (int i = 0; cb && i < nrows; i++) {
        for (int j = 0; j < ncols; j++)
            vals[j] = PQgetisnull(res, i, j) ? NULL : PQgetvalue(res, i, j);
        if (cb(ctx, ncols, vals) != 0)
            break;
    }
    PQclear(res);
    return 0;
}

/* Collects every result after the COPY data: the first failure wins. */
static int finish_results(pv_pg_t *pg, char *err, size_t errlen)
{
    int rc = 0;
    for (PGresult *res; (res = PQgetResult(pg->conn));) {
        if (rc == 0 && !ok_status(PQresultStatus(res)))
            rc = fail(pg, res, err, errlen);
        else
            PQclear(res);
        if (!pg->conn)
            break;
    }
    return rc;
}

int pv_pg_copy(pv_pg_t *pg, const char *sql, const void *data, size_t len, char *err,
               size_t errlen)
{
    if (!pg->conn)
        return fail(pg, NULL, err, errlen);
    PGresult *res = PQexec(pg->conn, sql);
    if (!res || PQresultStatus(res) != PGRES_COPY_IN)
        return fail(pg, res, err, errlen);
    PQclear(res);
    const char *p = data;
    for (size_t off = 0; off < len;) {
        int n = len - off > (1 << 20) ? 1 << 20 : (int)(len - off);
        if (PQputCopyData(pg->conn, p + off, n) != 1)
            return fail(pg, NULL, err, errlen);
        off += (size_t)n;
    }
    if (PQputCopyEnd(pg->conn, NULL) != 1)
        return fail(pg, NULL, err, errlen);
    return finish_results(pg, err, errlen);
}

/* ---- COPY text format ---- */

int pv_pg_copy_text(pv_buf_t *out, const char *s, size_t len)
{
    size_t old = out->len, run = 0;
    int rc = 0;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (c == '\0') {
            rc = PV_EINVAL;
            break;
        }
        const char *esc = c == '\\' ? "\\\\" : c == '\t' ? "\\t" : c == '\n' ? "\\n"
                        : c == '\r' ? "\\r" : NULL;
        if (!esc)
            continue;
        if ((rc = pv_buf_append(out, s + run, i - run)) != 0 ||
            (rc = pv_buf_append(out, esc, 2)) != 0)
            break;
        run = i + 1;
    }
    if (rc == 0)
        rc = pv_buf_append(out, s + run, len - run);
    if (rc)
        out->len = old;
    return rc;
}

int pv_pg_copy_bytea(pv_buf_t *out, const void *p, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    const uint8_t *b = p;
    char chunk[3 + 2 * 64];
    size_t old = out->len;
    if (pv_buf_append(out, "\\\\x", 3) != 0)
        return PV_ENOMEM;
    for (size_t i = 0; i < len;) {
        size_t n = 0;
        for (; i < len && n < sizeof chunk - 1; i++) {
            chunk[n++] = hex[b[i] >> 4];
            chunk[n++] = hex[b[i] & 15];
        }
        if (pv_buf_append(out, chunk, n) != 0) {
            out->len = old;
            return PV_ENOMEM;
        }
    }
    return 0;
}

int pv_pg_copy_int(pv_buf_t *out, int64_t v)
{
    char s[24], *p = s + sizeof s; /* digits from the end: no snprintf on the hot path */
    uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    do
        *--p = (char)('0' + u % 10);
    while ((u /= 10) != 0);
    if (v < 0)
        *--p = '-';
    return pv_buf_append(out, p, (size_t)(s + sizeof s - p));
}

int pv_pg_copy_end_field(pv_buf_t *out, int last)
{
    return pv_buf_append(out, last ? "\n" : "\t", 1);
}

int pv_pg_copy_text_field(pv_buf_t *out, const char *s, int last)
{
    int rc = s ? pv_pg_copy_text(out, s, strlen(s)) : pv_buf_append(out, "\\N", 2);
    return rc ? rc : pv_pg_copy_end_field(out, last);
}

int pv_pg_copy_int_field(pv_buf_t *out, int64_t v, int last)
{
    int rc = pv_pg_copy_int(out, v);
    return rc ? rc : pv_pg_copy_end_field(out, last);
}

int pv_pg_copy_bytea_field(pv_buf_t *out, const void *p, size_t len, int last)
{
    int rc = p ? pv_pg_copy_bytea(out, p, len) : pv_buf_append(out, "\\N", 2);
    return rc ? rc : pv_pg_copy_end_field(out, last);
}

/* ---- COPY binary ---- */

static int be(pv_buf_t *out, uint64_t v, int n)
{
    uint8_t b[8];
    for (int i = 0; i < n; i++)
        b[i] = (uint8_t)(v >> (8 * (n - 1 - i)));
    return pv_buf_append(out, b, (size_t)n);
}

int pv_pg_bin_header(pv_buf_t *out)
{
    static const uint8_t sig[] = {'P', 'G', 'C', 'O', 'P', 'Y', '\n', 0xff, '\r', '\n', 0,
                                  0, 0, 0, 0, /* flags */ 0, 0, 0, 0 /* extension length */};
    return pv_buf_append(out, sig, sizeof sig);
}

int pv_pg_bin_trailer(pv_buf_t *out)
{
    return be(out, 0xffff, 2);
}

int pv_pg_bin_row(pv_buf_t *out, int nfields)
{
    return be(out, (uint64_t)nfields, 2);
}

int pv_pg_bin_null(pv_buf_t *out)
{
    return be(out, 0xffffffffu, 4);
}

int pv_pg_bin_int4(pv_buf_t *out, int32_t v)
{
    int rc = be(out, 4, 4);
    return rc ? rc : be(out, (uint32_t)v, 4);
}

int pv_pg_bin_int8(pv_buf_t *out, int64_t v)
{
    int rc = be(out, 8, 4);
    return rc ? rc : be(out, (uint64_t)v, 8);
}

int pv_pg_bin_bytes(pv_buf_t *out, const void *p, size_t len)
{
    if (len > INT32_MAX)
        return PV_ERANGE;
    int rc = be(out, len, 4);
    return rc ? rc : pv_buf_append(out, p, len);
}

int pv_pg_bin_ts_ms(pv_buf_t *out, int64_t ms)
{
    /* microseconds since 2000-01-01 00:00:00 UTC (946684800 s after the Unix epoch) */
    return pv_pg_bin_int8(out, (ms - 946684800000LL) * 1000);
}

int pv_pg_bin_jsonb(pv_buf_t *out, const char *json, size_t len)
{
    if (len >= INT32_MAX)
        return PV_ERANGE;
    uint8_t version = 1;
    int rc = be(out, len + 1, 4);
    rc = rc ? rc : pv_buf_append(out, &version, 1);
    return rc ? rc : pv_buf_append(out, json, len);
}
