/* Per-row digests of the projections, to compare two databases built by the same migrations
 * (`pravah audit replay`, docs/AUDIT.md). A plan lists the tables of schema pravah that are a
 * function of the journal (every base table except staging_records, projector_offsets and
 * schema_migrations), each with its primary key and its compared columns: every column except
 * those whose default is the wall clock or a sequence (projection_errors.at,
 * integrity_findings.found_at: when, not what). A table digest is one (key, md5 of the row)
 * pair per row, sorted by key (bytewise), and the SHA-256 of its "key\tmd5\n" lines.
 *
 * Row text is made deterministic by the session settings applied before reading: TimeZone UTC,
 * DateStyle ISO, IntervalStyle postgres, bytea_output hex, extra_float_digits 1.
 *
 * Ownership: a plan and a table digest own every string they hold; free them with their _free
 * function. Functions borrow the pv_pg_t for the call. Single-threaded. */
#ifndef PRAVAH_PROJECTION_DIGEST_H
#define PRAVAH_PROJECTION_DIGEST_H

#include <stddef.h>
#include <stdint.h>

#include "pg.h"
#include "pravah/record.h"

typedef struct pv_digest_table_plan_s {
    char *name;  /* table name in schema pravah */
    char **cols; /* compared columns, in column order */
    size_t ncols;
    char *key_sql;  /* SQL expression of the key: ROW(pk columns)::text */
    char *excluded; /* columns left out: "table.col, table.col" ("" when none) */
} pv_digest_table_plan_t;

typedef struct pv_digest_plan_s {
    pv_digest_table_plan_t *tables; /* by name */
    size_t ntables;
} pv_digest_plan_t;

typedef struct pv_digest_row_s {
    char *key;
    char md5[33];
} pv_digest_row_t;

typedef struct pv_table_digest_s {
    pv_digest_row_t *rows; /* sorted by key */
    size_t nrows;
    uint8_t sha[PV_HASH_LEN];
} pv_table_digest_t;

/* Reads the plan from pg's catalog (the database the migrations built). Returns 0, or -1 with
 * err filled. */
int pv_digest_plan_read(pv_pg_t *pg, pv_digest_plan_t *plan, char *err, size_t errlen);
void pv_digest_plan_free(pv_digest_plan_t *plan);

/* Sets the session settings that make row text deterministic. Returns 0 or a pv_pg_class_t. */
int pv_digest_session(pv_pg_t *pg, char *err, size_t errlen);

/* Reads one table's digest from pg, inside a transaction the caller opened (rows are read
 * through a cursor, 20,000 at a time; the digest keeps one key and md5 per row, about 100 bytes
 * a row). Returns 0, or a pv_pg_class_t / PV_PG_FATAL (out of memory)
 * with err filled; *out is then untouched. */
int pv_table_digest_read(pv_pg_t *pg, const pv_digest_table_plan_t *t, pv_table_digest_t *out,
                         char *err, size_t errlen);
void pv_table_digest_free(pv_table_digest_t *d);

/* Which side a difference is on. */
typedef enum { PV_DIFF_LIVE_ONLY, PV_DIFF_REPLAY_ONLY, PV_DIFF_CHANGED } pv_diff_kind_t;
/* Called for each differing key, in key order. */
typedef void (*pv_digest_diff_cb)(void *ctx, pv_diff_kind_t kind, const char *key);
/* Merges two table digests; returns the number of differing keys. */
size_t pv_table_digest_compare(const pv_table_digest_t *live, const pv_table_digest_t *replay,
                               pv_digest_diff_cb cb, void *ctx);

/* The columns of one row (by key) whose text differs between the two databases, as
 * "col: live 'x', replay 'y'; ..." into out. Returns 0 or a pv_pg_class_t with err filled. */
int pv_digest_row_changes(pv_pg_t *live, pv_pg_t *replay, const pv_digest_table_plan_t *t,
                          const char *key, char *out, size_t outlen, char *err, size_t errlen);

#endif
