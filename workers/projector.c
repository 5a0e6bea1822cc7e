/* pravah project: poll, decode, copy, apply, commit. See projector.h and docs/PROJECTOR.md. */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "kafka.h"
#include "log.h"
#include "metrics_http.h"
#include "msgpack_json.h"
#include "projector.h"
#include "pravah/record.h"

#define MAX_PARTITIONS 256
#define MAX_PROPS 64

typedef struct part_s {
    int assigned;
    int64_t stored; /* next offset recorded in PostgreSQL (0 when none) */
    int64_t next;   /* next offset expected: stored, plus what the open batch holds */
} part_t;

/* One consumed message of the open batch. */
typedef struct item_s {
    int32_t partition;
    int64_t offset;
    size_t row_off, row_len; /* its line in `rows` (row_len 0 when it cannot be projected) */
    size_t raw_off, raw_len; /* the message value in `raw` */
    const char *reason;      /* why it cannot be projected (arena), NULL when it can */
} item_t;

typedef struct metrics_s {
    atomic_llong records, errors, skipped, batches, batch_size_sum, batch_size_last, batch_us_sum,
        batch_us_last, age_ms_last, lag, pg_up, reconnects, splits;
} metrics_t;

struct pv_projector_s {
    const pv_config_t *cfg;
    pv_kv_t props[MAX_PROPS];
    size_t nprops;
    const char *topic, *group;
    char topic_lit[300], group_lit[300]; /* as SQL string literals */
    int64_t batch_max, batch_ms;
    int retry_min_ms, retry_max_ms;
    volatile int *stop;
    pv_pg_t *pg;
    pv_consumer_t *cons;
    part_t parts[MAX_PARTITIONS];
    item_t *items;
    size_t first, nitems, capitems; /* items[first..nitems) are not yet in PostgreSQL */
    pv_buf_t rows, raw, json, sql;
    pv_arena_t arena;
    int64_t first_ms; /* wall time the open batch got its first message */
    int fatal;
    metrics_t m;
};

/* ---- PostgreSQL: connection and stored offsets ---- */

static void update_lag(pv_projector_t *pj);

/* Runs on the projector's thread while it waits for PostgreSQL: the lag keeps growing. */
static void on_pg_retry(void *ctx, int attempt, int wait_ms, const char *err)
{
    char a[16], w[16];
    update_lag(ctx);
    snprintf(a, sizeof a, "%d", attempt);
    snprintf(w, sizeof w, "%d", wait_ms);
    pv_log(attempt == 1 ? "warn" : "info", "PostgreSQL unavailable; consumption paused", "error",
           err, "attempt", a, "retry_in_ms", w, NULL);
}

/* Blocks until connected (0) or stopped (-1). Kafka is not polled meanwhile. */
static int wait_for_pg(pv_projector_t *pj)
{
    if (pv_pg_is_connected(pj->pg))
        return 0;
    atomic_store(&pj->m.pg_up, 0);
    if (pv_pg_reconnect(pj->pg, pj->retry_min_ms, pj->retry_max_ms, pj->stop, on_pg_retry, pj) !=
        0)
        return -1;
    atomic_store(&pj->m.pg_up, 1);
    atomic_fetch_add(&pj->m.reconnects, 1);
    pv_log("info", "connected to PostgreSQL", NULL);
    return 0;
}

static int offset_row_cb(void *ctx, int ncols, const char *const *v)
{
    pv_projector_t *pj = ctx;
    if (ncols < 2 || !v[0] || !v[1])
        return 0;
    long p = strtol(v[0], NULL, 10);
    if (p >= 0 && p < MAX_PARTITIONS)
        pj->parts[p].stored = strtoll(v[1], NULL, 10);
    return 0;
}

/* Reads every partition's stored offset, reconnecting as needed. Returns 0 or -1 (stopped or
 * fatal: logged). */
static int load_offsets(pv_projector_t *pj)
{
    char err[512];
    for (;;) {
        if (wait_for_pg(pj) != 0)
            return -1;
        for (int32_t id = 0; id < MAX_PARTITIONS; id++)
            pj->parts[id].stored = 0; /* PostgreSQL is the truth, even if a row was deleted */
        const char *params[] = {pj->group, pj->topic};
        int rc = pv_pg_query(pj->pg,
                             "SELECT topic_partition, next_offset FROM pravah.projector_offsets "
                             "WHERE consumer_group = $1 AND topic = $2",
                             2, params, offset_row_cb, pj, err, sizeof err);
        if (rc == 0)
            return 0;
        if (rc != PV_PG_LOST && rc != PV_PG_RETRY) {
            pv_log("error", "cannot read pravah.projector_offsets (`pravah project --migrate`?)",
                   "error", err, NULL);
            pj->fatal = 1;
            return -1;
        }
    }
}

/* ---- the open batch ---- */

static void reset_batch(pv_projector_t *pj)
{
    pj->first = pj->nitems = 0;
    pv_buf_reset(&pj->rows);
    pv_buf_reset(&pj->raw);
    pv_arena_reset(&pj->arena);
}

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

static int add_data(pv_projector_t *pj, const pv_record_t *r)
{
    pv_buf_reset(&pj->json);
    int rc = pv_msgpack_to_json(r->data, r->data_len, &pj->json);
    if (rc == 0)
        rc = pv_pg_copy_text(&pj->rows, (const char *)pj->json.data, pj->json.len);
    return rc ? rc : pv_pg_copy_end_field(&pj->rows, 0);
}

/* Appends the staging row of r, columns in the order of docs/PROJECTIONS.md. */
static int encode_row(pv_projector_t *pj, int32_t partition, int64_t offset, const pv_record_t *r)
{
    pv_buf_t *b = &pj->rows;
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
    rc = rc ? rc : add_data(pj, r);
    rc = rc ? rc : add_text(b, r->office, 0);
    rc = rc ? rc : add_hash(b, r->hash, 0);
    rc = rc ? rc : add_hash(b, r->prev_hash, 0);
    rc = rc ? rc : add_hash(b, r->phash, 1);
    return rc;
}

static item_t *push_item(pv_projector_t *pj, const pv_kafka_msg_t *msg)
{
    if (pj->nitems == pj->capitems) {
        size_t cap = pj->capitems ? pj->capitems * 2 : 1024;
        item_t *it = realloc(pj->items, cap * sizeof *it);
        if (!it)
            return NULL;
        pj->items = it;
        pj->capitems = cap;
    }
    item_t *it = &pj->items[pj->nitems];
    memset(it, 0, sizeof *it);
    it->partition = msg->partition;
    it->offset = msg->offset;
    it->raw_off = pj->raw.len;
    it->raw_len = msg->value_len;
    if (pv_buf_append(&pj->raw, msg->value, msg->value_len) != 0)
        return NULL;
    pj->nitems++;
    return it;
}

/* Decodes and checks one journal message into a staging row; on failure fills reason. */
static int decode(pv_projector_t *pj, const pv_kafka_msg_t *msg, item_t *it, char *reason,
                  size_t len)
{
    pv_record_t rec;
    char err[256];
    if (pv_record_decode(msg->value, msg->value_len, &pj->arena, &rec, err, sizeof err) != 0) {
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
    size_t old = pj->rows.len;
    int rc = encode_row(pj, msg->partition, msg->offset, &rec);
    if (rc != 0) {
        pj->rows.len = old;
        snprintf(reason, len, "staging row: %s", pv_strerror(rc));
        return -1;
    }
    it->row_off = old;
    it->row_len = pj->rows.len - old;
    return 0;
}

static void add_message(pv_projector_t *pj, const pv_kafka_msg_t *msg)
{
    part_t *p = msg->partition >= 0 && msg->partition < MAX_PARTITIONS ? &pj->parts[msg->partition]
                                                                       : NULL;
    char reason[512];
    if (!p || !p->assigned)
        return; /* not ours (any more) */
    if (msg->offset < p->next) {
        atomic_fetch_add(&pj->m.skipped, 1); /* already in PostgreSQL or in this batch */
        return;
    }
    item_t *it = push_item(pj, msg);
    if (!it) {
        pv_log("error", "out of memory for the batch", NULL);
        pj->fatal = 1;
        return;
    }
    if (pj->nitems - pj->first == 1)
        pj->first_ms = pv_wall_ms();
    if (decode(pj, msg, it, reason, sizeof reason) != 0)
        it->reason = pv_arena_strndup(&pj->arena, reason, strlen(reason));
    if (it->reason == NULL && it->row_len == 0)
        it->reason = "out of memory"; /* strndup failed: still recorded, never dropped */
    p->next = msg->offset + 1;
}

/* ---- one transaction over items[lo..hi) ---- */

/* The COPY lines of the projectable items: contiguous in `rows`, since items keep their order. */
static void row_span(const pv_projector_t *pj, size_t lo, size_t hi, size_t *off, size_t *len)
{
    size_t start = 0, end = 0;
    int any = 0;
    for (size_t i = lo; i < hi; i++) {
        const item_t *it = &pj->items[i];
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

static int copy_errors(pv_projector_t *pj, size_t lo, size_t hi, char *err, size_t errlen)
{
    pv_buf_t b;
    int rc = 0, any = 0;
    pv_buf_init(&b);
    for (size_t i = lo; i < hi && rc == 0; i++) {
        const item_t *it = &pj->items[i];
        if (!it->reason)
            continue;
        any = 1;
        rc = add_int(&b, it->partition, 0);
        rc = rc ? rc : add_int(&b, it->offset, 0);
        rc = rc ? rc : add_text(&b, it->reason, 0);
        rc = rc ? rc : pv_pg_copy_bytea(&b, pj->raw.data + it->raw_off, it->raw_len);
        rc = rc ? rc : pv_pg_copy_end_field(&b, 1);
    }
    if (rc)
        snprintf(err, errlen, "building projection_errors rows: %s", pv_strerror(rc));
    else if (any)
        rc = pv_pg_copy(pj->pg, "COPY pravah.projection_errors (topic_partition, kafka_offset, "
                                "reason, bytes) FROM STDIN",
                        b.data, b.len, err, errlen);
    pv_buf_close(&b);
    return rc ? (rc < 0 ? PV_PG_FATAL : rc) : 0;
}

/* The statement that ends a batch: apply the staging rows, store the next offset of every
 * partition in the range, tell the dashboards, commit. */
static int finish_sql(pv_projector_t *pj, size_t lo, size_t hi, size_t nrec)
{
    pv_buf_t *s = &pj->sql;
    char line[768];
    int64_t next[MAX_PARTITIONS];
    memset(next, 0xff, sizeof next); /* -1: not in the range */
    for (size_t i = lo; i < hi; i++)
        next[pj->items[i].partition] = pj->items[i].offset + 1;
    pv_buf_reset(s);
    const char *head = "SELECT pravah.apply_staging();\n"
                       "INSERT INTO pravah.projector_offsets (consumer_group, topic, "
                       "topic_partition, next_offset) VALUES ";
    int rc = pv_buf_append(s, head, strlen(head)), first = 1;
    for (int32_t p = 0; p < MAX_PARTITIONS && rc == 0; p++) {
        if (next[p] < 0)
            continue;
        int n = snprintf(line, sizeof line, "%s(%s, %s, %d, %lld)", first ? "" : ", ",
                         pj->group_lit, pj->topic_lit, p, (long long)next[p]);
        rc = pv_buf_append(s, line, (size_t)n);
        first = 0;
    }
    int n = snprintf(line, sizeof line,
                     "\nON CONFLICT (consumer_group, topic, topic_partition) DO UPDATE SET "
                     "next_offset = EXCLUDED.next_offset, updated_at = now();\n"
                     "NOTIFY pravah_projection, '%zu';\nCOMMIT",
                     nrec);
    rc = rc ? rc : pv_buf_append(s, line, (size_t)n);
    return rc ? rc : pv_buf_append(s, "", 1); /* NUL: the buffer is used as a C string */
}

static void count_range(const pv_projector_t *pj, size_t lo, size_t hi, size_t *nrec,
                        size_t *nerr)
{
    *nrec = *nerr = 0;
    for (size_t i = lo; i < hi; i++)
        (*(pj->items[i].reason ? nerr : nrec))++;
}

/* One transaction. Returns 0 or a pv_pg_class_t (rolled back when still connected). */
static int apply_range(pv_projector_t *pj, size_t lo, size_t hi, char *err, size_t errlen)
{
    size_t off, len, nrec, nerr;
    row_span(pj, lo, hi, &off, &len);
    count_range(pj, lo, hi, &nrec, &nerr);
    if (finish_sql(pj, lo, hi, nrec) != 0) {
        snprintf(err, errlen, "out of memory");
        return PV_PG_FATAL;
    }
    int rc = len ? pv_pg_copy(pj->pg, "BEGIN; COPY pravah.staging_records FROM STDIN",
                              pj->rows.data + off, len, err, errlen)
                 : pv_pg_exec(pj->pg, "BEGIN", err, errlen);
    if (rc == 0 && nerr)
        rc = copy_errors(pj, lo, hi, err, errlen);
    if (rc == 0)
        rc = pv_pg_exec(pj->pg, (const char *)pj->sql.data, err, errlen);
    if (rc != 0 && pv_pg_is_connected(pj->pg)) {
        char e2[256];
        pv_pg_exec(pj->pg, "ROLLBACK", e2, sizeof e2);
    }
    return rc;
}

/* Bookkeeping after items[lo..hi) committed. */
static void committed(pv_projector_t *pj, size_t lo, size_t hi)
{
    size_t nrec, nerr;
    count_range(pj, lo, hi, &nrec, &nerr);
    for (size_t i = lo; i < hi; i++)
        pj->parts[pj->items[i].partition].stored = pj->items[i].offset + 1;
    atomic_fetch_add(&pj->m.records, (long long)nrec);
    atomic_fetch_add(&pj->m.errors, (long long)nerr);
    for (size_t i = lo; i < hi; i++)
        if (pj->items[i].reason) {
            char p[16], o[24];
            snprintf(p, sizeof p, "%d", pj->items[i].partition);
            snprintf(o, sizeof o, "%lld", (long long)pj->items[i].offset);
            pv_log("warn", "journal record not projected: in pravah.projection_errors",
                   "partition", p, "offset", o, "reason", pj->items[i].reason, NULL);
        }
    pj->first = hi;
}

/* A batch that SQL refuses (PV_PG_DATA) is split in halves until the one record at fault is
 * found; that record goes to projection_errors with the server's message, the rest is applied,
 * in order, in smaller transactions. Returns 0 or a pv_pg_class_t. */
static int apply_split(pv_projector_t *pj, size_t lo, size_t hi, char *err, size_t errlen)
{
    int rc = apply_range(pj, lo, hi, err, errlen);
    if (rc == 0)
        committed(pj, lo, hi);
    if (rc != PV_PG_DATA)
        return rc;
    atomic_fetch_add(&pj->m.splits, 1);
    if (hi - lo == 1) {
        item_t *it = &pj->items[lo];
        if (it->reason)
            return PV_PG_FATAL; /* projection_errors itself refused it */
        char reason[600];
        snprintf(reason, sizeof reason, "apply_staging: %s", err);
        it->reason = pv_arena_strndup(&pj->arena, reason, strlen(reason));
        it->row_len = 0;
        if (!it->reason)
            return PV_PG_FATAL;
        return apply_split(pj, lo, hi, err, errlen);
    }
    size_t mid = lo + (hi - lo) / 2;
    rc = apply_split(pj, lo, mid, err, errlen);
    return rc ? rc : apply_split(pj, mid, hi, err, errlen);
}

/* After a reconnect: the last COMMIT may have landed before the connection dropped. The stored
 * offsets say which items are in PostgreSQL already; those leave the batch. */
static int drop_committed(pv_projector_t *pj)
{
    if (load_offsets(pj) != 0)
        return -1;
    size_t i = pj->first;
    while (i < pj->nitems && pj->items[i].offset < pj->parts[pj->items[i].partition].stored)
        i++;
    if (i > pj->first)
        pv_logf("info", "%zu records of the interrupted batch were committed before the "
                "connection dropped", i - pj->first);
    pj->first = i;
    return 0;
}

static void batch_metrics(pv_projector_t *pj, size_t n, int64_t t0)
{
    int64_t now = pv_wall_ms();
    atomic_fetch_add(&pj->m.batches, 1);
    atomic_fetch_add(&pj->m.batch_size_sum, (long long)n);
    atomic_store(&pj->m.batch_size_last, (long long)n);
    atomic_fetch_add(&pj->m.batch_us_sum, (now - t0) * 1000);
    atomic_store(&pj->m.batch_us_last, (now - t0) * 1000);
    atomic_store(&pj->m.age_ms_last, now - pj->first_ms);
}

/* Writes the open batch, whatever it takes: reconnects while the server is away, splits what SQL
 * refuses. Returns 0, or -1 when stopped (the batch stays open) or fatal. */
static int flush(pv_projector_t *pj)
{
    char err[1024];
    size_t n = pj->nitems - pj->first;
    int64_t t0 = pv_wall_ms();
    while (pj->first < pj->nitems && !pj->fatal) {
        int rc = apply_split(pj, pj->first, pj->nitems, err, sizeof err);
        if (rc == PV_PG_LOST) {
            pv_log("warn", "PostgreSQL connection lost during a batch; it will be retried",
                   "error", err, NULL);
            if (wait_for_pg(pj) != 0 || drop_committed(pj) != 0)
                return -1;
        } else if (rc == PV_PG_FATAL || rc == PV_PG_DATA) {
            pv_log("error", "batch cannot be written", "error", err, NULL);
            pj->fatal = 1;
        }
    }
    if (pj->fatal)
        return -1;
    if (n)
        batch_metrics(pj, n, t0);
    reset_batch(pj);
    return 0;
}

/* ---- assignment: start where PostgreSQL says ---- */

/* Positions a partition at `offset` for this group: the offset is committed to the group right
 * before librdkafka's assign() reads it, then read back. kafka.h offers no seek; see
 * docs/PROJECTOR.md ("Where a partition starts"). */
static int position(pv_projector_t *pj, pv_consumer_t *c, int32_t id, int64_t offset)
{
    for (int attempt = 0; attempt < 5; attempt++) {
        int rc = pv_consumer_commit(c, pj->topic, id, offset);
        if (rc == 0 && pv_consumer_committed(c, pj->topic, id) == offset)
            return 0;
        pv_logf("warn", "partition %d: positioning at offset %lld failed (%s), retrying", id,
                (long long)offset, rc ? pv_kafka_err2str(rc) : "read back differs");
    }
    return -1;
}

static void assign(pv_projector_t *pj, pv_consumer_t *c, const int32_t *ids, size_t n)
{
    if (load_offsets(pj) != 0)
        return; /* stopping, or fatal: these partitions stay unassigned, nothing is consumed */
    for (size_t i = 0; i < n; i++) {
        int32_t id = ids[i];
        if (id < 0 || id >= MAX_PARTITIONS)
            continue;
        part_t *p = &pj->parts[id];
        if (position(pj, c, id, p->stored) != 0) {
            pv_logf("error", "partition %d: cannot start at PostgreSQL's offset %lld", id,
                    (long long)p->stored);
            pj->fatal = 1;
            continue;
        }
        p->next = p->stored;
        p->assigned = 1;
        pv_logf("info", "partition %d: assigned, starting at offset %lld", id,
                (long long)p->stored);
    }
}

static void on_rebalance(void *ctx, pv_consumer_t *c, int assigned, const char *topic,
                         const int32_t *ids, size_t n)
{
    (void)topic;
    pv_projector_t *pj = ctx;
    if (assigned) {
        assign(pj, c, ids, n);
        return;
    }
    if (flush(pj) != 0)
        reset_batch(pj); /* not in PostgreSQL: whoever gets the partitions reads them again */
    for (size_t i = 0; i < n; i++)
        if (ids[i] >= 0 && ids[i] < MAX_PARTITIONS) {
            pj->parts[ids[i]].assigned = 0;
            pv_logf("info", "partition %d: revoked", ids[i]);
        }
}

/* ---- the loop ---- */

static void update_lag(pv_projector_t *pj)
{
    int64_t lag = 0;
    for (int32_t id = 0; pj->cons && id < MAX_PARTITIONS; id++) {
        if (!pj->parts[id].assigned)
            continue;
        int64_t high = pv_consumer_high_watermark(pj->cons, pj->topic, id);
        /* Unknown before the first fetch answers: lagging, not caught up. */
        lag += high < 0 ? 1 : high > pj->parts[id].stored ? high - pj->parts[id].stored : 0;
    }
    atomic_store(&pj->m.lag, lag);
}

static int batch_due(const pv_projector_t *pj, int64_t now)
{
    size_t n = pj->nitems - pj->first;
    return n && ((int64_t)n >= pj->batch_max || now - pj->first_ms >= pj->batch_ms);
}

static void poll_once(pv_projector_t *pj)
{
    pv_kafka_msg_t msg;
    int64_t now = pv_wall_ms();
    int64_t left = pj->nitems > pj->first ? pj->batch_ms - (now - pj->first_ms) : 100;
    if (pv_consumer_poll(pj->cons, (int)(left < 0 ? 0 : left > 100 ? 100 : left), &msg) == 0)
        return;
    if (!msg.err) {
        add_message(pj, &msg);
    } else if (pv_kafka_error_class(msg.err) == PV_KAFKA_FATAL) {
        pv_log("error", "consumer", "error", msg.errstr, NULL);
        pj->fatal = 1;
    }
    pv_kafka_msg_release(&msg);
}

int pv_projector_run(pv_projector_t *pj)
{
    int64_t last_lag = 0;
    while (!*pj->stop && !pj->fatal) {
        poll_once(pj);
        if (batch_due(pj, pv_wall_ms()))
            flush(pj);
        if (pv_wall_ms() - last_lag >= 1000) {
            update_lag(pj);
            last_lag = pv_wall_ms();
        }
    }
    if (!pj->fatal && flush(pj) != 0 && !pj->fatal)
        pv_log("warn", "stopped with an uncommitted batch; it will be read again", NULL);
    pv_log("info", pj->fatal ? "stopping after a fatal error" : "draining and leaving the group",
           NULL);
    pv_consumer_close(pj->cons);
    return pj->fatal ? 1 : 0;
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

static int read_config(pv_projector_t *pj, const pv_config_t *cfg, char *err, size_t errlen)
{
    pj->cfg = cfg;
    pj->nprops = pv_config_kafka(cfg, pj->props, MAX_PROPS);
    pj->topic = pv_config_get(cfg, "topics.journal", "pravah.journal");
    pj->group = pv_config_get(cfg, "project.group", "pravah-project");
    pj->batch_max = pv_config_int(cfg, "project.batch_max", 5000);
    pj->batch_ms = pv_config_int(cfg, "project.batch_ms", 100);
    pj->retry_min_ms = (int)pv_config_int(cfg, "project.retry_min_ms", 100);
    pj->retry_max_ms = (int)pv_config_int(cfg, "project.retry_max_ms", 5000);
    if (pj->batch_max < 1)
        pj->batch_max = 1;
    if (sql_literal(pj->topic, pj->topic_lit, sizeof pj->topic_lit) != 0 ||
        sql_literal(pj->group, pj->group_lit, sizeof pj->group_lit) != 0) {
        snprintf(err, errlen, "topic and group names: at most 128 bytes, no backslash or "
                              "control character");
        return -1;
    }
    return 0;
}

pv_projector_t *pv_projector_new(const pv_config_t *cfg, volatile int *stop, char *err,
                                 size_t errlen)
{
    pv_projector_t *pj = calloc(1, sizeof *pj);
    if (!pj) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    pj->stop = stop;
    pv_arena_init(&pj->arena, 256 * 1024);
    pv_buf_init(&pj->rows);
    pv_buf_init(&pj->raw);
    pv_buf_init(&pj->json);
    pv_buf_init(&pj->sql);
    if (read_config(pj, cfg, err, errlen) != 0)
        goto fail;
    if (!(pj->pg = pv_pg_new(pv_config_get(cfg, "project.pg", "")))) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    if (wait_for_pg(pj) != 0) {
        snprintf(err, errlen, "stopped while waiting for PostgreSQL");
        goto fail;
    }
    if (!(pj->cons = pv_consumer_new(pj->props, pj->nprops, pj->group, pj->topic, on_rebalance,
                                     pj, err, errlen)))
        goto fail;
    return pj;
fail:
    pv_projector_free(pj);
    return NULL;
}

void pv_projector_free(pv_projector_t *pj)
{
    if (!pj)
        return;
    pv_consumer_free(pj->cons);
    pv_pg_free(pj->pg);
    free(pj->items);
    pv_buf_close(&pj->rows);
    pv_buf_close(&pj->raw);
    pv_buf_close(&pj->json);
    pv_buf_close(&pj->sql);
    pv_arena_close(&pj->arena);
    free(pj);
}

/* ---- metrics (HTTP thread: atomics only) ---- */

void pv_projector_render_metrics(void *ctx, FILE *out)
{
    metrics_t *m = &((pv_projector_t *)ctx)->m;
    pv_metrics_write(out, "pravah_projector_records_total", "counter",
           "Journal records committed to pravah.staging_records and applied.",
           atomic_load(&m->records));
    pv_metrics_write(out, "pravah_projector_errors_total", "counter",
           "Journal records written to pravah.projection_errors instead.", atomic_load(&m->errors));
    pv_metrics_write(out, "pravah_projector_skipped_total", "counter",
           "Messages below the stored offset (redelivered), skipped.", atomic_load(&m->skipped));
    pv_metrics_write(out, "pravah_projector_batches_total", "counter", "Batches committed.",
           atomic_load(&m->batches));
    pv_metrics_write(out, "pravah_projector_batch_size_sum", "counter", "Sum of batch sizes (messages).",
           atomic_load(&m->batch_size_sum));
    pv_metrics_write(out, "pravah_projector_batch_size_last", "gauge", "Messages in the last batch.",
           atomic_load(&m->batch_size_last));
    pv_metrics_write(out, "pravah_projector_batch_latency_us_sum", "counter",
           "Sum of the time to write batches to PostgreSQL (us).", atomic_load(&m->batch_us_sum));
    pv_metrics_write(out, "pravah_projector_batch_latency_us_last", "gauge",
           "Time to write the last batch (us).", atomic_load(&m->batch_us_last));
    pv_metrics_write(out, "pravah_projector_batch_age_ms_last", "gauge",
           "From the last batch's first message to its commit (ms).", atomic_load(&m->age_ms_last));
    pv_metrics_write(out, "pravah_projector_lag", "gauge",
           "Journal records of the assigned partitions not yet in PostgreSQL.",
           atomic_load(&m->lag));
    pv_metrics_write(out, "pravah_projector_pg_up", "gauge", "1 when connected to PostgreSQL.",
           atomic_load(&m->pg_up));
    pv_metrics_write(out, "pravah_projector_pg_connects_total", "counter",
           "Connections made to PostgreSQL (the first, then reconnections).",
           atomic_load(&m->reconnects));
    pv_metrics_write(out, "pravah_projector_split_transactions_total", "counter",
           "Transactions refused by SQL and retried in halves to isolate a record.",
           atomic_load(&m->splits));
}
