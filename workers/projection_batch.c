/* The batch writer of the projector: decode, then one transaction per batch, either the
 * one-write projection (projection_apply.c, the default) or the reference staging design
 * (0002's apply_staging). See projection_batch.h and docs/PROJECTOR.md. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "msgpack_json.h"
#include "projection_apply.h"
#include "projection_batch.h"
#include "projection_domains.h"
#include "projection_state.h"
#include "projection_writer.h"
#include "pravah/arena.h"
#include "pravah/buf.h"
#include "pravah/record.h"

/* One message of the batch. */
typedef struct item_s {
    int32_t partition;
    int64_t offset;
    size_t row_off, row_len; /* sql mode: its line in `rows` (0 when it cannot be projected) */
    const uint8_t *raw;      /* the message value (arena of generation gen) */
    size_t raw_len;
    int gen;                 /* which arena holds what the item points to */
    const char *reason;      /* why it cannot be projected (arena), NULL when it can */
    const pv_record_t *rec;  /* c mode: the decoded record (arena) */
    const char *json;        /* c mode: its data as JSON (arena) */
    size_t json_len;
} item_t;

struct pv_projection_batch_s {
    char topic_lit[300], group_lit[300]; /* as SQL string literals */
    pv_projection_committed_cb cb;
    void *ctx;
    item_t *items;
    /* items[first..sub) are in flight (the writer's job), items[sub..nitems) are open; all of
     * items[first..nitems) are not yet known to be in PostgreSQL */
    size_t first, sub, nitems, capitems;
    pv_buf_t rows, json, sql;
    /* Two generations of memory: items added go to arena[gen]; an arena is reset once none of
     * its items is pending (see compact). */
    pv_arena_t arena[2];
    int gen;
    uint64_t splits;
    pv_projection_mode_t mode;
    int64_t expect[PV_PROJECTION_MAX_PARTITIONS]; /* what projector_offsets holds (fencing) */
    pv_proj_state_t *state;                       /* c mode */
    /* Two builders: one may be the writer's job while the other builds the next batch. */
    pv_proj_apply_t *apply[2];
    pv_domains_t *domains[2];
    pv_buf_t errors[2], close_sql[2];
    int builder;
    pv_proj_rec_t *recs;
    size_t caprecs;
    uint64_t session;         /* the pv_pg_session the batch tables were made in */
    pv_proj_writer_t *writer; /* pipelining: NULL when off */
};

/* ---- staging rows ---- */

static int add_data(pv_projection_batch_t *b, const pv_record_t *r)
{
    pv_buf_reset(&b->json);
    int rc = pv_msgpack_to_json(r->data, r->data_len, &b->json);
    if (rc == 0)
        rc = pv_pg_copy_text(&b->rows, (const char *)b->json.data, b->json.len);
    return rc ? rc : pv_pg_copy_end_field(&b->rows, 0);
}

/* Appends the staging row of r, columns in the order of docs/PROJECTIONS.md. */
static int encode_row(pv_projection_batch_t *pb, int32_t partition, int64_t offset,
                      const pv_record_t *r)
{
    pv_buf_t *b = &pb->rows;
    int rc = 0;
    if (r->seq > INT64_MAX || r->pseq > INT64_MAX || r->def_version > INT32_MAX ||
        r->alert_level > INT32_MAX)
        return PV_ERANGE;
    rc = rc ? rc : pv_pg_copy_int_field(b, partition, 0);
    rc = rc ? rc : pv_pg_copy_int_field(b, offset, 0);
    rc = rc ? rc : pv_pg_copy_int_field(b, (int64_t)r->pseq, 0);
    rc = rc ? rc : pv_pg_copy_text_field(b, r->case_id, 0);
    rc = rc ? rc : pv_pg_copy_int_field(b, (int64_t)r->seq, 0);
    rc = rc ? rc : pv_pg_copy_text_field(b, r->case_type, 0);
    rc = rc ? rc : pv_pg_copy_int_field(b, r->def_version, 0);
    rc = rc ? rc : pv_pg_copy_text_field(b, pv_record_kind_name(r->kind), 0);
    rc = rc ? rc : pv_pg_copy_text_field(b, r->event_id, 0);
    rc = rc ? rc : pv_pg_copy_text_field(b, r->event_type, 0);
    rc = rc ? rc : pv_pg_copy_text_field(b, r->source, 0);
    rc = rc ? rc : pv_pg_copy_text_field(b, r->actor, 0);
    rc = rc ? rc : pv_pg_copy_text_field(b, r->actor_post, 0);
    rc = rc ? rc : pv_pg_copy_text_field(b, r->actor_role, 0);
    rc = rc ? rc : pv_pg_copy_text_field(b, r->event_time, 0);
    rc = rc ? rc : pv_pg_copy_int_field(b, r->accepted_at, 0);
    rc = rc ? rc : pv_pg_copy_text_field(b, r->prev_state, 0);
    rc = rc ? rc : pv_pg_copy_text_field(b, r->new_state, 0);
    rc = rc ? rc : pv_pg_copy_text_field(b, r->assignee, 0);
    rc = rc ? rc : pv_pg_copy_int_field(b, r->deadline, 0);
    rc = rc ? rc : pv_pg_copy_int_field(b, r->alert_level, 0);
    rc = rc ? rc : pv_pg_copy_text_field(b, r->alert_target, 0);
    rc = rc ? rc : add_data(pb, r);
    rc = rc ? rc : pv_pg_copy_text_field(b, r->office, 0);
    rc = rc ? rc : pv_pg_copy_bytea_field(b, r->hash, PV_HASH_LEN, 0);
    rc = rc ? rc : pv_pg_copy_bytea_field(b, r->prev_hash, PV_HASH_LEN, 0);
    rc = rc ? rc : pv_pg_copy_bytea_field(b, r->phash, PV_HASH_LEN, 1);
    return rc;
}

static item_t *push_item(pv_projection_batch_t *b, const pv_kafka_msg_t *msg)
{
    if (b->nitems == b->capitems) {
        size_t cap = b->capitems ? b->capitems * 2 : 1024;
        item_t *it = realloc(b->items, cap * sizeof *it);
        if (!it)
            return NULL;
        b->items = it;
        b->capitems = cap;
    }
    item_t *it = &b->items[b->nitems];
    memset(it, 0, sizeof *it);
    it->partition = msg->partition;
    it->offset = msg->offset;
    it->gen = b->gen;
    it->raw_len = msg->value_len;
    it->raw = pv_arena_memdup(&b->arena[b->gen], msg->value, msg->value_len ? msg->value_len : 1);
    if (!it->raw)
        return NULL;
    b->nitems++;
    return it;
}

/* c mode: keeps the decoded record and its data as JSON in the arena; on failure fills reason. */
static int keep_record(pv_projection_batch_t *b, item_t *it, const pv_record_t *rec, char *reason,
                       size_t len)
{
    if (rec->seq > INT64_MAX || rec->pseq > INT64_MAX || rec->def_version > INT32_MAX ||
        rec->alert_level > INT32_MAX) {
        snprintf(reason, len, "transitions row: %s", pv_strerror(PV_ERANGE));
        return -1;
    }
    pv_buf_reset(&b->json);
    int rc = pv_msgpack_to_json(rec->data, rec->data_len, &b->json);
    if (rc != 0) {
        snprintf(reason, len, "transitions row: data: %s", pv_strerror(rc));
        return -1;
    }
    pv_record_t *copy = pv_arena_memdup(&b->arena[b->gen], rec, sizeof *rec);
    it->json = pv_arena_strndup(&b->arena[b->gen], (const char *)b->json.data, b->json.len);
    it->json_len = b->json.len;
    it->rec = copy;
    if (!copy || !it->json) {
        snprintf(reason, len, "out of memory");
        it->rec = NULL;
        return -1;
    }
    return 0;
}

/* Decodes and checks one journal message into a staging row (sql mode) or a kept record (c
 * mode); on failure fills reason. */
static int decode(pv_projection_batch_t *b, const pv_kafka_msg_t *msg, item_t *it, char *reason,
                  size_t len)
{
    pv_record_t rec;
    char err[256];
    if (pv_record_decode(msg->value, msg->value_len, &b->arena[b->gen], &rec, err, sizeof err) != 0) {
        snprintf(reason, len, "decode: %s", err);
        return -1;
    }
    if (pv_record_verify_seal(&rec, err, sizeof err) != 0) {
        snprintf(reason, len, "seal: %s", err);
        return -1;
    }
    if (msg->key_len != strlen(rec.case_id) || memcmp(msg->key, rec.case_id, msg->key_len) != 0) {
        snprintf(reason, len, "key: the Kafka key is not the record's case_id '%s'", rec.case_id);
        return -1;
    }
    if (b->mode == PV_PROJECTION_C)
        return keep_record(b, it, &rec, reason, len);
    size_t old = b->rows.len;
    int rc = encode_row(b, msg->partition, msg->offset, &rec);
    if (rc != 0) {
        b->rows.len = old;
        snprintf(reason, len, "staging row: %s", pv_strerror(rc));
        return -1;
    }
    it->row_off = old;
    it->row_len = b->rows.len - old;
    return 0;
}

int pv_projection_batch_add(pv_projection_batch_t *b, const pv_kafka_msg_t *msg)
{
    char reason[512];
    if (msg->partition < 0 || msg->partition >= PV_PROJECTION_MAX_PARTITIONS)
        return PV_ERANGE;
    item_t *it = push_item(b, msg);
    if (!it)
        return PV_ENOMEM;
    if (decode(b, msg, it, reason, sizeof reason) != 0)
        it->reason = pv_arena_strndup(&b->arena[b->gen], reason, strlen(reason));
    if (it->reason == NULL && it->row_len == 0 && it->rec == NULL)
        it->reason = "out of memory"; /* strndup failed: still recorded, never dropped */
    return 0;
}

/* ---- one transaction over items[lo..hi) ---- */

/* The COPY lines of the projectable items: contiguous in `rows`, since items keep their order. */
static void row_span(const pv_projection_batch_t *b, size_t lo, size_t hi, size_t *off, size_t *len)
{
    size_t start = 0, end = 0;
    int any = 0;
    for (size_t i = lo; i < hi; i++) {
        const item_t *it = &b->items[i];
        if (!it->row_len)
            continue;
        if (!any)
            start = it->row_off;
        end = it->row_off + it->row_len;
        any = 1;
    }
    *off = start;
    *len = any ? end - start : 0;
}

/* The COPY rows of pravah.projection_errors for the items of [lo, hi) that cannot be
 * projected, into out (reset first). Returns 0 or PV_ENOMEM. */
static int error_rows(const pv_projection_batch_t *pb, size_t lo, size_t hi, pv_buf_t *out)
{
    int rc = 0;
    pv_buf_reset(out);
    for (size_t i = lo; i < hi && rc == 0; i++) {
        const item_t *it = &pb->items[i];
        if (!it->reason)
            continue;
        rc = pv_pg_copy_int_field(out, it->partition, 0);
        rc = rc ? rc : pv_pg_copy_int_field(out, it->offset, 0);
        rc = rc ? rc : pv_pg_copy_text_field(out, it->reason, 0);
        rc = rc ? rc : pv_pg_copy_bytea(out, it->raw, it->raw_len);
        rc = rc ? rc : pv_pg_copy_end_field(out, 1);
    }
    return rc;
}

/* Appends the fenced store of the next offset of every partition in items[lo..hi)
 * (pravah.store_offsets, 0008), the NOTIFY and the COMMIT. */
static int offsets_sql(pv_projection_batch_t *b, size_t lo, size_t hi, size_t nrec, pv_buf_t *s)
{
    char line[768];
    int64_t next[PV_PROJECTION_MAX_PARTITIONS];
    pv_buf_t parts, expect, nexts;
    memset(next, 0xff, sizeof next); /* -1: not in the range */
    for (size_t i = lo; i < hi; i++)
        next[b->items[i].partition] = b->items[i].offset + 1;
    pv_buf_init(&parts);
    pv_buf_init(&expect);
    pv_buf_init(&nexts);
    int rc = 0, first = 1;
    for (int32_t p = 0; p < PV_PROJECTION_MAX_PARTITIONS && rc == 0; p++) {
        if (next[p] < 0)
            continue;
        const char *sep = first ? "" : ",";
        int n = snprintf(line, sizeof line, "%s%d", sep, p);
        rc = pv_buf_append(&parts, line, (size_t)n);
        n = snprintf(line, sizeof line, "%s%lld", sep, (long long)b->expect[p]);
        rc = rc ? rc : pv_buf_append(&expect, line, (size_t)n);
        n = snprintf(line, sizeof line, "%s%lld", sep, (long long)next[p]);
        rc = rc ? rc : pv_buf_append(&nexts, line, (size_t)n);
        first = 0;
    }
    int n = snprintf(line, sizeof line, "SELECT pravah.store_offsets(%s, %s, '{", b->group_lit,
                     b->topic_lit);
    rc = rc ? rc : pv_buf_append(s, line, (size_t)n);
    rc = rc ? rc : pv_buf_append(s, parts.data, parts.len);
    rc = rc ? rc : pv_buf_append(s, "}', '{", 6);
    rc = rc ? rc : pv_buf_append(s, expect.data, expect.len);
    rc = rc ? rc : pv_buf_append(s, "}', '{", 6);
    rc = rc ? rc : pv_buf_append(s, nexts.data, nexts.len);
    n = snprintf(line, sizeof line, "}');\nNOTIFY pravah_projection, '%zu';\nCOMMIT", nrec);
    rc = rc ? rc : pv_buf_append(s, line, (size_t)n);
    pv_buf_close(&parts);
    pv_buf_close(&expect);
    pv_buf_close(&nexts);
    return rc ? rc : pv_buf_append(s, "", 1); /* NUL: the buffer is used as a C string */
}

static size_t count_records(const pv_projection_batch_t *b, size_t lo, size_t hi)
{
    size_t n = 0;
    for (size_t i = lo; i < hi; i++)
        n += b->items[i].reason == NULL;
    return n;
}

/* sql mode: one transaction of the reference design (staging_records, apply_staging). */
static int write_staging(pv_projection_batch_t *b, pv_pg_t *pg, size_t lo, size_t hi, char *err,
                         size_t errlen)
{
    size_t off, len, nrec = count_records(b, lo, hi);
    pv_buf_t *errors = &b->errors[0];
    row_span(b, lo, hi, &off, &len);
    pv_buf_reset(&b->sql);
    static const char apply[] = "SELECT pravah.apply_staging();\n";
    if (pv_buf_append(&b->sql, apply, sizeof apply - 1) != 0 ||
        offsets_sql(b, lo, hi, nrec, &b->sql) != 0 || error_rows(b, lo, hi, errors) != 0) {
        snprintf(err, errlen, "out of memory");
        return PV_PG_FATAL;
    }
    int rc = len ? pv_pg_copy(pg, "BEGIN; COPY pravah.staging_records FROM STDIN",
                              b->rows.data + off, len, err, errlen)
                 : pv_pg_exec(pg, "BEGIN", err, errlen);
    if (rc == 0 && errors->len)
        rc = pv_pg_copy(pg,
                        "COPY pravah.projection_errors (topic_partition, kafka_offset, reason, "
                        "bytes) FROM STDIN",
                        errors->data, errors->len, err, errlen);
    rc = rc ? rc : pv_pg_exec(pg, (const char *)b->sql.data, err, errlen);
    return pv_proj_txn_end(pg, rc);
}

/* While the writer runs a transaction, the build of the next batch must not read what that
 * transaction is about to change: before such a read, wait until it has finished. */
static void writer_idle(void *ctx)
{
    pv_projection_batch_t *b = ctx;
    if (b->writer)
        pv_proj_writer_idle(b->writer);
}

/* c mode: builds items[lo..hi) with builder k: the classification and fold in C (reading
 * PostgreSQL through pg), then, optimistically, the state as it will be after the COMMIT.
 * Returns 0 or a pv_pg_class_t. */
static int build(pv_projection_batch_t *b, int k, pv_pg_t *pg, size_t lo, size_t hi, char *err,
                 size_t errlen)
{
    if (hi - lo > b->caprecs) {
        pv_proj_rec_t *r = realloc(b->recs, (hi - lo) * sizeof *r);
        if (!r) {
            snprintf(err, errlen, "out of memory");
            return PV_PG_FATAL;
        }
        b->recs = r;
        b->caprecs = hi - lo;
    }
    for (size_t i = lo; i < hi; i++) {
        const item_t *it = &b->items[i];
        b->recs[i - lo] = (pv_proj_rec_t){it->partition, it->offset, it->reason ? NULL : it->rec,
                                          it->json, it->json_len};
    }
    pv_proj_apply_set_sync(b->apply[k], writer_idle, b);
    int rc = pv_proj_apply_build(b->apply[k], b->state, b->domains[k], pg, b->recs, hi - lo, err,
                                 errlen);
    if (rc == 0 && pv_proj_apply_commit(b->apply[k], b->state) != 0)
        pv_proj_state_clear(b->state); /* always safe: the next build reads PostgreSQL */
    return rc;
}

/* c mode: the closing statements and the projection_errors rows of items[lo..hi), for builder
 * k (after the transaction before it committed: the offsets are fenced on what it stored). */
static int finish(pv_projection_batch_t *b, int k, size_t lo, size_t hi)
{
    pv_buf_t *sql = &b->close_sql[k];
    pv_buf_reset(sql);
    int rc = pv_proj_apply_sql(b->apply[k], sql);
    rc = rc ? rc : offsets_sql(b, lo, hi, count_records(b, lo, hi), sql);
    return rc ? rc : error_rows(b, lo, hi, &b->errors[k]);
}

static pv_proj_job_t job_of(pv_projection_batch_t *b, int k)
{
    return (pv_proj_job_t){b->apply[k], b->domains[k], &b->errors[k],
                           (const char *)b->close_sql[k].data};
}

/* One transaction over items[lo..hi), on pg, now. Returns 0 or a pv_pg_class_t (rolled back
 * when still connected), or PV_PROJECTION_FENCED. */
static int apply_range(pv_projection_batch_t *b, pv_pg_t *pg, size_t lo, size_t hi, char *err,
                       size_t errlen)
{
    int rc;
    if (b->mode == PV_PROJECTION_SQL) {
        rc = write_staging(b, pg, lo, hi, err, errlen);
    } else {
        rc = build(b, b->builder, pg, lo, hi, err, errlen);
        if (rc == 0 && finish(b, b->builder, lo, hi) != 0) {
            snprintf(err, errlen, "out of memory");
            rc = PV_PG_FATAL;
        }
        if (rc == 0) {
            pv_proj_job_t job = job_of(b, b->builder);
            rc = pv_proj_txn(pg, &job, &b->session, err, errlen);
        }
    }
    if (rc != 0)
        pv_proj_state_clear(b->state); /* what was read or assumed may be stale after a failure */
    return rc;
}

static void committed(pv_projection_batch_t *b, size_t lo, size_t hi)
{
    for (size_t i = lo; i < hi; i++) {
        b->expect[b->items[i].partition] = b->items[i].offset + 1;
        if (b->cb)
            b->cb(b->ctx, b->items[i].partition, b->items[i].offset, b->items[i].reason);
    }
    b->first = hi;
    if (b->sub < hi)
        b->sub = hi;
}

/* A range that SQL refuses (PV_PG_DATA) is split in halves until the one record at fault is
 * found; that record goes to projection_errors with the server's message, the rest is applied,
 * in order, in smaller transactions. Returns 0 or a pv_pg_class_t. */
static int apply_split(pv_projection_batch_t *b, pv_pg_t *pg, size_t lo, size_t hi, char *err,
                       size_t errlen)
{
    int rc = apply_range(b, pg, lo, hi, err, errlen);
    if (rc == 0)
        committed(b, lo, hi);
    if (rc != PV_PG_DATA)
        return rc;
    b->splits++;
    if (hi - lo == 1) {
        item_t *it = &b->items[lo];
        if (it->reason)
            return PV_PG_FATAL; /* projection_errors itself refused it */
        char reason[600];
        snprintf(reason, sizeof reason, "%s: %s",
                 b->mode == PV_PROJECTION_C ? "apply_batch" : "apply_staging", err);
        it->reason = pv_arena_strndup(&b->arena[b->gen], reason, strlen(reason));
        it->row_len = 0;
        it->rec = NULL;
        if (!it->reason)
            return PV_PG_FATAL;
        return apply_split(b, pg, lo, hi, err, errlen);
    }
    size_t mid = lo + (hi - lo) / 2;
    rc = apply_split(b, pg, lo, mid, err, errlen);
    return rc ? rc : apply_split(b, pg, mid, hi, err, errlen);
}

/* Waits for the writer's transaction, if any. 0: committed (the callback has run for its
 * messages); else its failure, and its messages are open again. */
static int drain(pv_projection_batch_t *b, char *err, size_t errlen)
{
    if (!b->writer || b->sub == b->first)
        return 0;
    int rc = pv_proj_writer_wait(b->writer, err, errlen);
    if (rc == 0) {
        committed(b, b->first, b->sub);
        return 0;
    }
    b->sub = b->first;
    pv_proj_state_clear(b->state); /* it assumed the transaction would commit */
    return rc;
}

/* Drops the committed items from the front and, once an arena holds nothing pending, resets
 * it and takes new items there. */
static void compact(pv_projection_batch_t *b)
{
    if (b->first) {
        memmove(b->items, b->items + b->first, (b->nitems - b->first) * sizeof *b->items);
        b->nitems -= b->first;
        b->sub -= b->first;
        b->first = 0;
    }
    int other = !b->gen;
    for (size_t i = 0; i < b->nitems; i++)
        if (b->items[i].gen == other)
            return;
    pv_arena_reset(&b->arena[other]);
    b->gen = other;
}

int pv_projection_batch_write(pv_projection_batch_t *b, pv_pg_t *pg, char *err, size_t errlen)
{
    int rc = drain(b, err, errlen);
    if (rc != 0)
        return rc;
    if (b->first < b->nitems)
        rc = apply_split(b, pg, b->first, b->nitems, err, errlen);
    if (rc == 0)
        pv_projection_batch_reset(b);
    return rc;
}

int pv_projection_batch_submit(pv_projection_batch_t *b, pv_pg_t *pg, char *err, size_t errlen)
{
    if (!b->writer || b->mode != PV_PROJECTION_C)
        return pv_projection_batch_write(b, pg, err, errlen);
    size_t lo = b->sub, hi = b->nitems;
    if (lo == hi)
        return drain(b, err, errlen);
    if (pv_proj_state_over(b->state)) { /* the state is cleared: nothing may be in flight */
        int rc = drain(b, err, errlen);
        if (rc != 0)
            return rc;
        pv_proj_state_clear(b->state);
    }
    int k = !b->builder; /* the other builder may be the writer's job */
    int rc = build(b, k, pg, lo, hi, err, errlen);
    int rc2 = drain(b, err, errlen);
    if (rc != 0 || rc2 != 0) {
        pv_proj_state_clear(b->state);
        return rc2 ? rc2 : rc;
    }
    if (finish(b, k, lo, hi) != 0) {
        snprintf(err, errlen, "out of memory");
        pv_proj_state_clear(b->state);
        return PV_PG_FATAL;
    }
    pv_proj_job_t job = job_of(b, k);
    b->builder = k;
    b->sub = hi;
    pv_proj_writer_start(b->writer, &job);
    compact(b);
    return 0;
}

int pv_projection_batch_drain(pv_projection_batch_t *b, char *err, size_t errlen)
{
    int rc = drain(b, err, errlen);
    if (rc == 0 && b->first == b->nitems)
        pv_projection_batch_reset(b);
    return rc;
}

int pv_projection_batch_settle(pv_projection_batch_t *b, char *err, size_t errlen)
{
    if (!b->writer || b->sub == b->first || pv_proj_writer_busy(b->writer))
        return 0;
    return pv_projection_batch_drain(b, err, errlen);
}

int pv_projection_batch_pipeline(pv_projection_batch_t *b, const char *conninfo)
{
    if (b->writer)
        return 0;
    b->writer = pv_proj_writer_new(conninfo);
    return b->writer ? 0 : PV_ENOMEM;
}

size_t pv_projection_batch_drop_committed(pv_projection_batch_t *b, const int64_t *stored)
{
    size_t i = b->first;
    while (i < b->nitems && b->items[i].offset < stored[b->items[i].partition])
        i++;
    size_t n = i - b->first;
    b->first = i;
    if (b->sub < i)
        b->sub = i;
    return n;
}

size_t pv_projection_batch_pending(const pv_projection_batch_t *b)
{
    return b->nitems - b->first;
}

size_t pv_projection_batch_open(const pv_projection_batch_t *b)
{
    return b->nitems - b->sub;
}

uint64_t pv_projection_batch_splits(const pv_projection_batch_t *b)
{
    return b->splits;
}

void pv_projection_batch_writer_times(const pv_projection_batch_t *b, int64_t *busy_us,
                                      int64_t *waited_us)
{
    if (b->writer)
        pv_proj_writer_times(b->writer, busy_us, waited_us);
}

void pv_projection_batch_reset(pv_projection_batch_t *b)
{
    char err[256];
    if (b->sub > b->first && drain(b, err, sizeof err) != 0)
        pv_proj_state_clear(b->state); /* its failure: nothing of it is in PostgreSQL */
    b->first = b->sub = b->nitems = 0;
    pv_buf_reset(&b->rows);
    pv_arena_reset(&b->arena[0]);
    pv_arena_reset(&b->arena[1]);
    b->gen = 0;
}

/* ---- setup ---- */

/* 'name' with quotes doubled. Names with a backslash, a control character or over 128 bytes
 * are refused, so the literal means the same whatever standard_conforming_strings says. */
static int sql_literal(const char *name, char *out, size_t outlen)
{
    size_t n = 0;
    if (strlen(name) > 128 || outlen < 2 * 128 + 3)
        return -1;
    out[n++] = '\'';
    for (const char *p = name; *p; p++) {
        if (*p == '\\' || (unsigned char)*p < 0x20)
            return -1;
        if (*p == '\'')
            out[n++] = '\'';
        out[n++] = *p;
    }
    out[n++] = '\'';
    out[n] = '\0';
    return 0;
}

pv_projection_batch_t *pv_projection_batch_new(const char *group, const char *topic,
                                               pv_projection_committed_cb cb, void *ctx, char *err,
                                               size_t errlen)
{
    pv_projection_batch_t *b = calloc(1, sizeof *b);
    if (!b) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    if (sql_literal(topic, b->topic_lit, sizeof b->topic_lit) != 0 ||
        sql_literal(group, b->group_lit, sizeof b->group_lit) != 0) {
        snprintf(err, errlen,
                 "topic and group names: at most 128 bytes, no backslash or "
                 "control character");
        free(b);
        return NULL;
    }
    b->cb = cb;
    b->ctx = ctx;
    b->mode = PV_PROJECTION_C;
    b->state = pv_proj_state_new(0);
    for (int k = 0; k < 2; k++) {
        b->apply[k] = pv_proj_apply_new();
        b->domains[k] = pv_domains_new();
        pv_buf_init(&b->errors[k]);
        pv_buf_init(&b->close_sql[k]);
    }
    pv_arena_init(&b->arena[0], 256 * 1024);
    pv_arena_init(&b->arena[1], 256 * 1024);
    if (!b->state || !b->apply[0] || !b->apply[1] || !b->domains[0] || !b->domains[1]) {
        snprintf(err, errlen, "out of memory");
        pv_projection_batch_free(b);
        return NULL;
    }
    pv_buf_init(&b->rows);
    pv_buf_init(&b->json);
    pv_buf_init(&b->sql);
    return b;
}

void pv_projection_batch_free(pv_projection_batch_t *b)
{
    if (!b)
        return;
    pv_proj_writer_free(b->writer); /* waits for its transaction first */
    free(b->items);
    free(b->recs);
    pv_proj_state_free(b->state);
    for (int k = 0; k < 2; k++) {
        pv_proj_apply_free(b->apply[k]);
        pv_domains_free(b->domains[k]);
        pv_buf_close(&b->errors[k]);
        pv_buf_close(&b->close_sql[k]);
    }
    pv_buf_close(&b->rows);
    pv_buf_close(&b->json);
    pv_buf_close(&b->sql);
    pv_arena_close(&b->arena[0]);
    pv_arena_close(&b->arena[1]);
    free(b);
}

void pv_projection_batch_set_mode(pv_projection_batch_t *b, pv_projection_mode_t mode)
{
    b->mode = mode;
}

void pv_projection_batch_expect(pv_projection_batch_t *b, int32_t partition, int64_t next_offset)
{
    if (partition >= 0 && partition < PV_PROJECTION_MAX_PARTITIONS)
        b->expect[partition] = next_offset;
}

void pv_projection_batch_forget(pv_projection_batch_t *b)
{
    char err[256];
    drain(b, err, sizeof err); /* a failure leaves its messages open, as it should */
    pv_proj_state_clear(b->state);
}
