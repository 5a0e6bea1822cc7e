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
#include "pravah/arena.h"
#include "pravah/buf.h"
#include "pravah/record.h"
#include "clock.h"

/* One message of the batch. */
typedef struct item_s {
    int32_t partition;
    int64_t offset;
    size_t row_off, row_len; /* sql mode: its line in `rows` (0 when it cannot be projected) */
    size_t raw_off, raw_len; /* the message value in `raw` */
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
    size_t first, nitems, capitems; /* items[first..nitems) are not yet in PostgreSQL */
    pv_buf_t rows, raw, json, sql;
    pv_arena_t arena;
    uint64_t splits;
    pv_projection_mode_t mode;
    int64_t expect[PV_PROJECTION_MAX_PARTITIONS]; /* what projector_offsets holds (fencing) */
    pv_proj_state_t *state;                       /* c mode */
    pv_proj_apply_t *apply;
    pv_domains_t *domains;
    pv_proj_rec_t *recs;
    size_t caprecs;
    uint64_t session; /* the pv_pg_session the batch tables were made in */
};

/* ---- staging rows ---- */

static int add_text(pv_buf_t *b, const char *s, int last)
{
    int rc = pv_pg_copy_text(b, s ? s : "", s ? strlen(s) : 0);
    return rc ? rc : pv_pg_copy_end_field(b, last);
}

static int add_int(pv_buf_t *b, int64_t v, int last)
{
    int rc = pv_pg_copy_int(b, v);
    return rc ? rc : pv_pg_copy_end_field(b, last);
}

static int add_hash(pv_buf_t *b, const uint8_t *h, int last)
{
    int rc = pv_pg_copy_bytea(b, h, PV_HASH_LEN);
    return rc ? rc : pv_pg_copy_end_field(b, last);
}

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
    rc = rc ? rc : add_int(b, partition, 0);
    rc = rc ? rc : add_int(b, offset, 0);
    rc = rc ? rc : add_int(b, (int64_t)r->pseq, 0);
    rc = rc ? rc : add_text(b, r->case_id, 0);
    rc = rc ? rc : add_int(b, (int64_t)r->seq, 0);
    rc = rc ? rc : add_text(b, r->case_type, 0);
    rc = rc ? rc : add_int(b, r->def_version, 0);
    rc = rc ? rc : add_text(b, pv_record_kind_name(r->kind), 0);
    rc = rc ? rc : add_text(b, r->event_id, 0);
    rc = rc ? rc : add_text(b, r->event_type, 0);
    rc = rc ? rc : add_text(b, r->source, 0);
    rc = rc ? rc : add_text(b, r->actor, 0);
    rc = rc ? rc : add_text(b, r->actor_post, 0);
    rc = rc ? rc : add_text(b, r->actor_role, 0);
    rc = rc ? rc : add_text(b, r->event_time, 0);
    rc = rc ? rc : add_int(b, r->accepted_at, 0);
    rc = rc ? rc : add_text(b, r->prev_state, 0);
    rc = rc ? rc : add_text(b, r->new_state, 0);
    rc = rc ? rc : add_text(b, r->assignee, 0);
    rc = rc ? rc : add_int(b, r->deadline, 0);
    rc = rc ? rc : add_int(b, r->alert_level, 0);
    rc = rc ? rc : add_text(b, r->alert_target, 0);
    rc = rc ? rc : add_data(pb, r);
    rc = rc ? rc : add_text(b, r->office, 0);
    rc = rc ? rc : add_hash(b, r->hash, 0);
    rc = rc ? rc : add_hash(b, r->prev_hash, 0);
    rc = rc ? rc : add_hash(b, r->phash, 1);
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
    it->raw_off = b->raw.len;
    it->raw_len = msg->value_len;
    if (pv_buf_append(&b->raw, msg->value, msg->value_len) != 0)
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
    pv_record_t *copy = pv_arena_memdup(&b->arena, rec, sizeof *rec);
    it->json = pv_arena_strndup(&b->arena, (const char *)b->json.data, b->json.len);
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
    if (pv_record_decode(msg->value, msg->value_len, &b->arena, &rec, err, sizeof err) != 0) {
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
        it->reason = pv_arena_strndup(&b->arena, reason, strlen(reason));
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

static int copy_errors(pv_projection_batch_t *pb, pv_pg_t *pg, size_t lo, size_t hi, char *err,
                       size_t errlen)
{
    pv_buf_t b;
    int rc = 0, any = 0;
    pv_buf_init(&b);
    for (size_t i = lo; i < hi && rc == 0; i++) {
        const item_t *it = &pb->items[i];
        if (!it->reason)
            continue;
        any = 1;
        rc = add_int(&b, it->partition, 0);
        rc = rc ? rc : add_int(&b, it->offset, 0);
        rc = rc ? rc : add_text(&b, it->reason, 0);
        rc = rc ? rc : pv_pg_copy_bytea(&b, pb->raw.data + it->raw_off, it->raw_len);
        rc = rc ? rc : pv_pg_copy_end_field(&b, 1);
    }
    if (rc)
        snprintf(err, errlen, "building projection_errors rows: %s", pv_strerror(rc));
    else if (any)
        rc = pv_pg_copy(pg,
                        "COPY pravah.projection_errors (topic_partition, kafka_offset, "
                        "reason, bytes) FROM STDIN",
                        b.data, b.len, err, errlen);
    pv_buf_close(&b);
    return rc ? (rc < 0 ? PV_PG_FATAL : rc) : 0;
}

/* Appends the fenced store of the next offset of every partition in items[lo..hi)
 * (pravah.store_offsets, 0008), the NOTIFY and the COMMIT. */
static int offsets_sql(pv_projection_batch_t *b, size_t lo, size_t hi, size_t nrec)
{
    pv_buf_t *s = &b->sql;
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

/* sql mode: COPY into staging_records, then apply_staging() (the reference design). */
static int write_staging(pv_projection_batch_t *b, pv_pg_t *pg, size_t lo, size_t hi, char *err,
                         size_t errlen)
{
    size_t off, len;
    row_span(b, lo, hi, &off, &len);
    pv_buf_reset(&b->sql);
    if (pv_buf_append(&b->sql, "SELECT pravah.apply_staging();\n", 31) != 0) {
        snprintf(err, errlen, "out of memory");
        return PV_PG_FATAL;
    }
    return len ? pv_pg_copy(pg, "BEGIN; COPY pravah.staging_records FROM STDIN",
                            b->rows.data + off, len, err, errlen)
               : pv_pg_exec(pg, "BEGIN", err, errlen);
}

/* c mode: the session's batch tables, once per connection. */
static int batch_tables(pv_projection_batch_t *b, pv_pg_t *pg, char *err, size_t errlen)
{
    if (b->session == pv_pg_session(pg))
        return 0;
    int rc = pv_pg_exec(pg, "SELECT pravah.create_batch_tables()", err, errlen);
    if (rc == 0)
        b->session = pv_pg_session(pg);
    return rc;
}

/* c mode: classify and fold in C, COPY straight into transitions and the batch tables. */
static int write_direct(pv_projection_batch_t *b, pv_pg_t *pg, size_t lo, size_t hi, char *err,
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
    int64_t t0 = pv_wall_ms();
    int rc = batch_tables(b, pg, err, errlen);
    rc = rc ? rc
            : pv_proj_apply_build(b->apply, b->state, b->domains, pg, b->recs, hi - lo, err,
                                  errlen);
    int64_t t1 = pv_wall_ms();
    rc = rc ? rc : pv_pg_exec(pg, "BEGIN", err, errlen);
    rc = rc ? rc : pv_proj_apply_copy(b->apply, b->domains, pg, err, errlen);
    if (getenv("PV_TRACE")) fprintf(stderr, "TRACE n=%zu build=%lld copy=%lld\n", hi-lo, (long long)(t1-t0), (long long)(pv_wall_ms()-t1));
    pv_buf_reset(&b->sql);
    if (rc == 0 && pv_proj_apply_sql(b->apply, &b->sql) != 0) {
        snprintf(err, errlen, "out of memory");
        rc = PV_PG_FATAL;
    }
    return rc;
}

/* One transaction. Returns 0 or a pv_pg_class_t (rolled back when still connected), or
 * PV_PROJECTION_FENCED. */
static int apply_range(pv_projection_batch_t *b, pv_pg_t *pg, size_t lo, size_t hi, char *err,
                       size_t errlen)
{
    size_t nrec = count_records(b, lo, hi);
    int rc = b->mode == PV_PROJECTION_C ? write_direct(b, pg, lo, hi, err, errlen)
                                        : write_staging(b, pg, lo, hi, err, errlen);
    if (rc == 0 && nrec < hi - lo)
        rc = copy_errors(b, pg, lo, hi, err, errlen);
    if (rc == 0 && offsets_sql(b, lo, hi, nrec) != 0) {
        snprintf(err, errlen, "out of memory");
        rc = PV_PG_FATAL;
    }
    int64_t t2 = pv_wall_ms();
    if (rc == 0)
        rc = pv_pg_exec(pg, (const char *)b->sql.data, err, errlen);
    if (getenv("PV_TRACE")) fprintf(stderr, "TRACE exec=%lld\n", (long long)(pv_wall_ms()-t2));
    if (rc != 0 && strcmp(pv_pg_sqlstate(pg), "PVF01") == 0)
        rc = PV_PROJECTION_FENCED;
    if (rc != 0 && pv_pg_is_connected(pg)) {
        char e2[256];
        pv_pg_exec(pg, "ROLLBACK", e2, sizeof e2);
    }
    if (rc != 0 && b->state)
        pv_proj_state_clear(b->state); /* whatever was read may be stale after a failure */
    if (rc == 0 && b->mode == PV_PROJECTION_C && pv_proj_apply_commit(b->apply, b->state) != 0)
        pv_proj_state_clear(b->state);
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
        it->reason = pv_arena_strndup(&b->arena, reason, strlen(reason));
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

int pv_projection_batch_write(pv_projection_batch_t *b, pv_pg_t *pg, char *err, size_t errlen)
{
    if (b->first == b->nitems) {
        pv_projection_batch_reset(b);
        return 0;
    }
    int rc = apply_split(b, pg, b->first, b->nitems, err, errlen);
    if (rc == 0)
        pv_projection_batch_reset(b);
    return rc;
}

size_t pv_projection_batch_drop_committed(pv_projection_batch_t *b, const int64_t *stored)
{
    size_t i = b->first;
    while (i < b->nitems && b->items[i].offset < stored[b->items[i].partition])
        i++;
    size_t n = i - b->first;
    b->first = i;
    return n;
}

size_t pv_projection_batch_pending(const pv_projection_batch_t *b)
{
    return b->nitems - b->first;
}

uint64_t pv_projection_batch_splits(const pv_projection_batch_t *b)
{
    return b->splits;
}

void pv_projection_batch_reset(pv_projection_batch_t *b)
{
    b->first = b->nitems = 0;
    pv_buf_reset(&b->rows);
    pv_buf_reset(&b->raw);
    pv_arena_reset(&b->arena);
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
    b->apply = pv_proj_apply_new();
    b->domains = pv_domains_new();
    if (!b->state || !b->apply || !b->domains) {
        snprintf(err, errlen, "out of memory");
        pv_projection_batch_free(b);
        return NULL;
    }
    pv_arena_init(&b->arena, 256 * 1024);
    pv_buf_init(&b->rows);
    pv_buf_init(&b->raw);
    pv_buf_init(&b->json);
    pv_buf_init(&b->sql);
    return b;
}

void pv_projection_batch_free(pv_projection_batch_t *b)
{
    if (!b)
        return;
    free(b->items);
    free(b->recs);
    pv_proj_state_free(b->state);
    pv_proj_apply_free(b->apply);
    pv_domains_free(b->domains);
    pv_buf_close(&b->rows);
    pv_buf_close(&b->raw);
    pv_buf_close(&b->json);
    pv_buf_close(&b->sql);
    pv_arena_close(&b->arena);
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
    pv_proj_state_clear(b->state);
}
