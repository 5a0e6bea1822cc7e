/* PostgreSQL, wrapped once (libpq). Nothing else in Pravah includes libpq-fe.h.
 *
 * A pv_pg_t is one connection described by any libpq connection string or URI; an empty string
 * means the PG* environment variables (PGHOST, PGPORT, PGDATABASE, PGUSER, ...). Failures are
 * sorted in one place (pv_pg_class) into:
 *   PV_PG_LOST   the connection is gone or the server is going away (restart, shutdown, network):
 *                reconnect (pv_pg_reconnect) and run the whole transaction again;
 *   PV_PG_RETRY  the transaction lost a race (serialization failure, deadlock): roll back, retry;
 *   PV_PG_DATA   the statement itself failed (bad data, constraint, an exception raised by SQL):
 *                retrying the same thing gives the same error;
 *   PV_PG_FATAL  the program or the schema is wrong (syntax, undefined table or function,
 *                permission): stop.
 *
 * COPY text format helpers write fields with the escaping COPY ... FROM STDIN needs (backslash,
 * tab, newline, carriage return); a text value holding a NUL is refused, as PostgreSQL's text
 * types cannot store one.
 *
 * Ownership: pv_pg_new copies the connection string; the pv_pg_t owns its connection and frees
 * it in pv_pg_free. Row callbacks borrow the values until they return.
 * Threads: one thread per pv_pg_t. */
#ifndef PRAVAH_PG_H
#define PRAVAH_PG_H

#include <stddef.h>
#include <stdint.h>

#include "pravah/buf.h"

typedef enum {
    PV_PG_OK = 0,
    PV_PG_LOST,  /* connection lost or server shutting down: reconnect, redo the transaction */
    PV_PG_RETRY, /* serialization failure or deadlock: redo the transaction */
    PV_PG_DATA,  /* the data or a SQL-raised exception: the same input fails again */
    PV_PG_FATAL  /* schema or program error (SQLSTATE classes 0A, 26, 28, 3D, 42, ...): stop */
} pv_pg_class_t;

typedef struct pv_pg_s pv_pg_t;

/* A disconnected handle for conninfo ("" or NULL: PG* variables). NULL when out of memory. */
pv_pg_t *pv_pg_new(const char *conninfo);
void pv_pg_free(pv_pg_t *pg);

/* One connection attempt (closing any previous connection). Returns 0 or PV_PG_LOST with the
 * server's or libpq's message in err. */
int pv_pg_connect(pv_pg_t *pg, char *err, size_t errlen);
/* Counts successful connects (0: never connected): session state (temporary tables, prepared
 * statements) made when it had another value is gone. */
uint64_t pv_pg_session(const pv_pg_t *pg);
/* Non-zero when the connection is up as far as libpq knows. */
int pv_pg_is_connected(const pv_pg_t *pg);

/* Called before each wait of pv_pg_reconnect: attempt number (from 1), the wait, the error. */
typedef void (*pv_pg_retry_cb)(void *ctx, int attempt, int wait_ms, const char *err);
/* Connects, retrying with exponential back-off (min_ms doubling up to max_ms, with jitter)
 * until it succeeds or *stop becomes non-zero. Returns 0, or -1 when stopped. Blocks. */
int pv_pg_reconnect(pv_pg_t *pg, int min_ms, int max_ms, volatile int *stop, pv_pg_retry_cb cb,
                    void *ctx);

/* Runs sql (one or more statements, simple query protocol), discarding results. Returns 0 or a
 * pv_pg_class_t with the message in err ("SQLSTATE: message"). */
int pv_pg_exec(pv_pg_t *pg, const char *sql, char *err, size_t errlen);

/* Called once per result row: values as text, NULL for SQL NULL. Non-zero stops the rows. */
typedef int (*pv_pg_row_cb)(void *ctx, int ncols, const char *const *values);
/* Runs one statement with text parameters ($1...), calling cb for each row (cb may be NULL).
 * Returns as pv_pg_exec. */
int pv_pg_query(pv_pg_t *pg, const char *sql, int nparams, const char *const *params,
                pv_pg_row_cb cb, void *ctx, char *err, size_t errlen);

/* Runs `sql`, which must end in a COPY ... FROM STDIN (earlier statements, e.g. "BEGIN; ", are
 * allowed), sends len bytes of COPY data and ends the COPY. Returns as pv_pg_exec. */
int pv_pg_copy(pv_pg_t *pg, const char *sql, const void *data, size_t len, char *err,
               size_t errlen);

/* The SQLSTATE of the last failure ("" when none, or when libpq failed before the server). */
const char *pv_pg_sqlstate(const pv_pg_t *pg);
/* Sorts a SQLSTATE into a pv_pg_class_t (connected: whether the connection is still up). */
pv_pg_class_t pv_pg_class(const char *sqlstate, int connected);

/* ---- COPY text format, appended to out; each returns 0, PV_ENOMEM or PV_EINVAL ---- */

/* A text field: \ -> \\, tab -> \t, newline -> \n, CR -> \r. PV_EINVAL when s holds a NUL. */
int pv_pg_copy_text(pv_buf_t *out, const char *s, size_t len);
/* A bytea field in hex form (\\x0a1b...: COPY turns \\ into the \ of bytea's \x). */
int pv_pg_copy_bytea(pv_buf_t *out, const void *p, size_t len);
/* An integer field. */
int pv_pg_copy_int(pv_buf_t *out, int64_t v);
/* The separator after a field: a tab, or a newline after the row's last field. */
int pv_pg_copy_end_field(pv_buf_t *out, int last);
/* Whole fields: the value, then the separator after it (as pv_pg_copy_end_field). A NULL s or
 * p writes NULL (\N). */
int pv_pg_copy_text_field(pv_buf_t *out, const char *s, int last);
int pv_pg_copy_int_field(pv_buf_t *out, int64_t v, int last);
int pv_pg_copy_bytea_field(pv_buf_t *out, const void *p, size_t len, int last);

/* ---- COPY binary format (WITH (FORMAT binary)), appended to out; each returns 0 or
 * PV_ENOMEM. A COPY's data is the header, rows (pv_pg_bin_row then its fields) and the
 * trailer. */
int pv_pg_bin_header(pv_buf_t *out);
int pv_pg_bin_trailer(pv_buf_t *out);
int pv_pg_bin_row(pv_buf_t *out, int nfields);
int pv_pg_bin_null(pv_buf_t *out);
int pv_pg_bin_int4(pv_buf_t *out, int32_t v);
int pv_pg_bin_int8(pv_buf_t *out, int64_t v);
/* text, or bytea: the bytes as they are */
int pv_pg_bin_bytes(pv_buf_t *out, const void *p, size_t len);
/* timestamptz from ms since the Unix epoch */
int pv_pg_bin_ts_ms(pv_buf_t *out, int64_t ms);
/* jsonb from its JSON text (version 1) */
int pv_pg_bin_jsonb(pv_buf_t *out, const char *json, size_t len);

#endif
