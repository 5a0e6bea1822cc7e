/* pravah project: poll, decode, copy, apply, commit. See projector.h and docs/PROJECTOR.md. */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "kafka.h"
#include "log.h"
#include "metrics_http.h"
#include "projection_batch.h"
#include "projector.h"

#define MAX_PARTITIONS PV_PROJECTION_MAX_PARTITIONS
#define MAX_PROPS 64
#define MAX_WRITERS 8

typedef struct part_s {
    int assigned;
    int64_t stored; /* next offset recorded in PostgreSQL (0 when none) */
    int64_t next;   /* next offset expected: stored, plus what the open batch holds */
} part_t;

typedef struct metrics_s {
    atomic_llong records, errors, skipped, batches, batch_size_sum, batch_size_last, batch_us_sum,
        batch_us_last, age_ms_last, lag, pg_up, reconnects, splits, fenced;
    /* where the time goes (docs/PROJECTOR.md, "Metrics") */
    atomic_llong poll_idle_us, writer_busy_us, writer_waited_us;
} metrics_t;

/* A lane: the batch of the partitions p with p % nlanes == its index, with its own writer thread
 * and connection (project.writers; docs/PROJECTOR.md "Writers"). Lanes never share a partition,
 * hence never a case: their transactions touch disjoint rows and run side by side. */
typedef struct lane_s {
    pv_projection_batch_t *batch;
    uint64_t splits;  /* of the batch, already counted in m.splits */
    int64_t first_ms; /* wall time the open batch got its first message */
} lane_t;

struct pv_projector_s {
    const pv_config_t *cfg;
    pv_kv_t props[MAX_PROPS];
    size_t nprops;
    const char *topic, *group;
    int64_t batch_max, batch_ms;
    int retry_min_ms, retry_max_ms;
    volatile int *stop;
    pv_pg_t *pg;
    pv_consumer_t *cons;
    part_t parts[MAX_PARTITIONS];
    int owned; /* partitions assigned: polling with none is not waiting for the journal */
    lane_t lanes[MAX_WRITERS];
    int nlanes;
    int fatal;
    metrics_t m;
};

/* ---- PostgreSQL: connection and stored offsets ---- */

static void update_lag(pv_projector_t *pj);

static lane_t *lane_of(pv_projector_t *pj, int32_t partition)
{
    return &pj->lanes[partition % pj->nlanes];
}

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
        if (rc == 0) {
            for (int32_t id = 0; id < MAX_PARTITIONS; id++)
                pv_projection_batch_expect(lane_of(pj, id)->batch, id, pj->parts[id].stored);
            return 0;
        }
        if (rc != PV_PG_LOST && rc != PV_PG_RETRY) {
            pv_log("error", "cannot read pravah.projector_offsets (`pravah project --migrate`?)",
                   "error", err, NULL);
            pj->fatal = 1;
            return -1;
        }
    }
}

/* ---- the open batch ---- */

static void add_message(pv_projector_t *pj, const pv_kafka_msg_t *msg)
{
    part_t *p = msg->partition >= 0 && msg->partition < MAX_PARTITIONS ? &pj->parts[msg->partition]
                                                                       : NULL;
    if (!p || !p->assigned)
        return; /* not ours (any more) */
    if (msg->offset < p->next) {
        atomic_fetch_add(&pj->m.skipped, 1); /* already in PostgreSQL or in this batch */
        return;
    }
    lane_t *l = lane_of(pj, msg->partition);
    if (pv_projection_batch_add(l->batch, msg) != 0) {
        pv_log("error", "out of memory for the batch", NULL);
        pj->fatal = 1;
        return;
    }
    if (pv_projection_batch_open(l->batch) == 1)
        l->first_ms = pv_wall_ms();
    p->next = msg->offset + 1;
}

/* Bookkeeping of one message whose transaction committed (pv_projection_committed_cb). */
static void on_committed(void *ctx, int32_t partition, int64_t offset, const char *reason)
{
    pv_projector_t *pj = ctx;
    pj->parts[partition].stored = offset + 1;
    if (!reason) {
        atomic_fetch_add(&pj->m.records, 1);
        return;
    }
    char p[16], o[24];
    atomic_fetch_add(&pj->m.errors, 1);
    snprintf(p, sizeof p, "%d", partition);
    snprintf(o, sizeof o, "%lld", (long long)offset);
    pv_log("warn", "journal record not projected: in pravah.projection_errors", "partition", p,
           "offset", o, "reason", reason, NULL);
}

/* After a reconnect: the last COMMIT may have landed before the connection dropped. The stored
 * offsets say which messages are in PostgreSQL already; those leave the batch. */
static int drop_committed(pv_projector_t *pj)
{
    int64_t stored[MAX_PARTITIONS];
    /* Another lane may have a transaction in flight: let it finish first, so that what it
     * commits leaves its batch through the callbacks (counted, its fence advanced) rather than
     * being dropped here as already stored. A failure leaves its messages open, to be written
     * again by that lane. */
    for (int i = 0; i < pj->nlanes; i++) {
        char e[256];
        (void)pv_projection_batch_drain(pj->lanes[i].batch, e, sizeof e);
    }
    if (load_offsets(pj) != 0)
        return -1;
    for (int32_t id = 0; id < MAX_PARTITIONS; id++)
        stored[id] = pj->parts[id].stored;
    size_t n = 0;
    for (int i = 0; i < pj->nlanes; i++)
        n += pv_projection_batch_drop_committed(pj->lanes[i].batch, stored);
    if (n)
        pv_logf("info", "%zu records of the interrupted batch were committed before the "
                "connection dropped", n);
    return 0;
}

/* The writer threads' times, summed over the lanes. */
static void writer_metrics(pv_projector_t *pj)
{
    int64_t busy = 0, waited = 0;
    for (int i = 0; i < pj->nlanes; i++)
        pv_projection_batch_writer_times(pj->lanes[i].batch, &busy, &waited);
    atomic_store(&pj->m.writer_busy_us, busy);
    atomic_store(&pj->m.writer_waited_us, waited);
}

static void batch_metrics(pv_projector_t *pj, const lane_t *l, size_t n, int64_t t0)
{
    int64_t now = pv_wall_ms();
    atomic_fetch_add(&pj->m.batches, 1);
    atomic_fetch_add(&pj->m.batch_size_sum, (long long)n);
    atomic_store(&pj->m.batch_size_last, (long long)n);
    atomic_fetch_add(&pj->m.batch_us_sum, (now - t0) * 1000);
    atomic_store(&pj->m.batch_us_last, (now - t0) * 1000);
    atomic_store(&pj->m.age_ms_last, now - l->first_ms);
    writer_metrics(pj);
}

/* Forgets every lane's cached view of PostgreSQL. */
static void forget(pv_projector_t *pj)
{
    for (int i = 0; i < pj->nlanes; i++)
        pv_projection_batch_forget(pj->lanes[i].batch);
}

/* After a failed transaction of lane l (rc, err): what it takes before writing again. Returns
 * 0, or -1 when stopped or fatal. */
static int recover(pv_projector_t *pj, lane_t *l, int rc, const char *err)
{
    uint64_t splits = pv_projection_batch_splits(l->batch);
    atomic_fetch_add(&pj->m.splits, (long long)(splits - l->splits));
    l->splits = splits;
    if (rc == 0)
        return 0;
    {
        if (rc == PV_PG_LOST) {
            pv_log("warn", "PostgreSQL connection lost during a batch; it will be retried",
                   "error", err, NULL);
            if (wait_for_pg(pj) != 0 || drop_committed(pj) != 0)
                return -1;
        } else if (rc == PV_PROJECTION_FENCED) {
            /* Another projector of the group wrote one of these partitions (a rebalance not yet
             * seen here): take PostgreSQL's word for where they are and carry on from there. */
            pv_log("warn", "batch fenced: another projector wrote the partition; reloading",
                   "error", err, NULL);
            atomic_fetch_add(&pj->m.fenced, 1);
            forget(pj);
            if (drop_committed(pj) != 0)
                return -1;
        } else if (rc == PV_PG_FATAL || rc == PV_PG_DATA) {
            pv_log("error", "batch cannot be written", "error", err, NULL);
            pj->fatal = 1;
        }
    }
    return pj->fatal ? -1 : 0;
}

/* Writes every uncommitted message of lane l, whatever it takes: reconnects while the server
 * is away; the batch writer splits what SQL refuses. Returns 0, or -1 when stopped (the batch
 * stays open) or fatal. */
static int flush_lane(pv_projector_t *pj, lane_t *l)
{
    char err[1024];
    size_t n = pv_projection_batch_pending(l->batch);
    int64_t t0 = pv_wall_ms();
    while (pv_projection_batch_pending(l->batch) && !pj->fatal) {
        int rc = pv_projection_batch_write(l->batch, pj->pg, err, sizeof err);
        if (recover(pj, l, rc, err) != 0)
            return -1;
    }
    if (pj->fatal)
        return -1;
    if (n)
        batch_metrics(pj, l, n, t0);
    pv_projection_batch_reset(l->batch);
    return 0;
}

/* flush_lane for every lane. */
static int flush(pv_projector_t *pj)
{
    for (int i = 0; i < pj->nlanes; i++)
        if (flush_lane(pj, &pj->lanes[i]) != 0)
            return -1;
    return 0;
}

/* Forgets every lane's pending messages (none of them is in PostgreSQL). */
static void reset(pv_projector_t *pj)
{
    for (int i = 0; i < pj->nlanes; i++)
        pv_projection_batch_reset(pj->lanes[i].batch);
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
        pj->owned += !p->assigned;
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
        forget(pj); /* another projector may have written meanwhile */
        assign(pj, c, ids, n);
        return;
    }
    if (flush(pj) != 0)
        reset(pj); /* not in PostgreSQL: whoever gets the partitions reads them again */
    for (size_t i = 0; i < n; i++)
        if (ids[i] >= 0 && ids[i] < MAX_PARTITIONS) {
            pj->owned -= pj->parts[ids[i]].assigned;
            pj->parts[ids[i]].assigned = 0;
            pv_logf("info", "partition %d: revoked", ids[i]);
        }
}

/* ---- the loop ---- */

static void update_lag(pv_projector_t *pj)
{
    writer_metrics(pj); /* also here: after the last batch, no submit updates them */
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

/* The writer thread's transaction failed (its messages are open again): the synchronous path
 * takes over, which splits what SQL refuses (PV_PG_DATA) and reconnects when PostgreSQL is
 * away. */
static int after_failure(pv_projector_t *pj, lane_t *l, int rc, const char *err)
{
    pv_log("warn", "pipelined batch failed; writing it again without the writer thread", "error",
           err, NULL);
    if (rc != PV_PG_DATA && recover(pj, l, rc, err) != 0)
        return -1;
    return flush_lane(pj, l);
}

/* A due batch: with pipelining, handed to the writer thread while consumption goes on (after
 * the previous transaction committed); without, written now. */
static int submit(pv_projector_t *pj, lane_t *l)
{
    char err[1024];
    size_t n = pv_projection_batch_open(l->batch);
    int64_t t0 = pv_wall_ms();
    int rc = pv_projection_batch_submit(l->batch, pj->pg, err, sizeof err);
    if (rc == 0) {
        batch_metrics(pj, l, n, t0);
        return 0;
    }
    return after_failure(pj, l, rc, err);
}

/* The transaction in flight, once finished: its callbacks (records counted, offsets stored)
 * run now rather than at the next batch, so an idle projector reports what it wrote. */
static void settle(pv_projector_t *pj, lane_t *l)
{
    char err[1024];
    int rc = pv_projection_batch_settle(l->batch, err, sizeof err);
    if (rc != 0)
        after_failure(pj, l, rc, err);
}

static int batch_due(const pv_projector_t *pj, const lane_t *l, int64_t now)
{
    size_t n = pv_projection_batch_open(l->batch);
    return n && ((int64_t)n >= pj->batch_max || now - l->first_ms >= pj->batch_ms);
}

/* Milliseconds until the first open batch of any lane is due by time (100 when none is open). */
static int64_t time_left(const pv_projector_t *pj, int64_t now)
{
    int64_t left = 100;
    for (int i = 0; i < pj->nlanes; i++) {
        const lane_t *l = &pj->lanes[i];
        if (pv_projection_batch_open(l->batch) && pj->batch_ms - (now - l->first_ms) < left)
            left = pj->batch_ms - (now - l->first_ms);
    }
    return left;
}

static void poll_once(pv_projector_t *pj)
{
    pv_kafka_msg_t msg;
    int64_t left = time_left(pj, pv_wall_ms()), t0 = pv_mono_us();
    if (pv_consumer_poll(pj->cons, (int)(left < 0 ? 0 : left > 100 ? 100 : left), &msg) == 0) {
        if (pj->owned)
            atomic_fetch_add(&pj->m.poll_idle_us, pv_mono_us() - t0);
        return;
    }
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
        for (int i = 0; i < pj->nlanes && !pj->fatal; i++) {
            lane_t *l = &pj->lanes[i];
            if (batch_due(pj, l, pv_wall_ms()))
                submit(pj, l);
            else
                settle(pj, l);
        }
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

static int new_lane(pv_projector_t *pj, lane_t *l, int sql, int pipeline, char *err,
                    size_t errlen)
{
    l->batch = pv_projection_batch_new(pj->group, pj->topic, on_committed, pj, err, errlen);
    if (!l->batch)
        return -1;
    if (sql)
        pv_projection_batch_set_mode(l->batch, PV_PROJECTION_SQL);
    else if (pipeline &&
             pv_projection_batch_pipeline(l->batch, pv_config_get(pj->cfg, "project.pg", "")) != 0) {
        snprintf(err, errlen, "out of memory (or no thread) for the projector's writer");
        return -1;
    }
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
    const char *apply = pv_config_get(cfg, "project.apply", "c");
    if (strcmp(apply, "c") != 0 && strcmp(apply, "sql") != 0) {
        snprintf(err, errlen, "project.apply: '%s' is neither 'c' (the default: classify and fold "
                 "in C, one write per record) nor 'sql' (the reference: staging and "
                 "apply_staging)", apply);
        return -1;
    }
    int pipeline = pv_config_int(cfg, "project.pipeline", 1) && strcmp(apply, "c") == 0;
    int64_t writers = pv_config_int(cfg, "project.writers", 1);
    if (writers < 1 || writers > MAX_WRITERS) {
        snprintf(err, errlen, "project.writers: %lld is not in 1..%d", (long long)writers,
                 MAX_WRITERS);
        return -1;
    }
    /* Lanes need their writer threads: without pipelining (or with the reference design) one
     * lane writes on the projector's own connection. */
    pj->nlanes = pipeline ? (int)writers : 1;
    for (int i = 0; i < pj->nlanes; i++)
        if (new_lane(pj, &pj->lanes[i], strcmp(apply, "sql") == 0, pipeline, err, errlen) != 0)
            return -1;
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
    for (int i = 0; i < pj->nlanes; i++)
        pv_projection_batch_free(pj->lanes[i].batch);
    free(pj);
}

/* ---- metrics (HTTP thread: atomics only) ---- */

void pv_projector_render_metrics(void *ctx, FILE *out)
{
    metrics_t *m = &((pv_projector_t *)ctx)->m;
    pv_metrics_write(out, "pravah_projector_records_total", "counter",
           "Journal records committed to the projection (applied, or kept as duplicates, forks "
           "or late records).",
           atomic_load(&m->records));
    pv_metrics_write(out, "pravah_projector_errors_total", "counter",
           "Journal records written to pravah.projection_errors instead.", atomic_load(&m->errors));
    pv_metrics_write(out, "pravah_projector_skipped_total", "counter",
           "Messages below the stored offset (redelivered), skipped.", atomic_load(&m->skipped));
    pv_metrics_write(out, "pravah_projector_fenced_total", "counter",
           "Batches refused because another projector had written the partition.",
           atomic_load(&m->fenced));
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
    pv_metrics_write(out, "pravah_projector_poll_idle_us_total", "counter",
           "Time spent, owning partitions, waiting for journal messages that had not arrived (us).",
           atomic_load(&m->poll_idle_us));
    pv_metrics_write(out, "pravah_projector_writer_busy_us_total", "counter",
           "Time the writer threads' transactions were in flight (us; with pipelining).",
           atomic_load(&m->writer_busy_us));
    pv_metrics_write(out, "pravah_projector_writer_waited_us_total", "counter",
           "Time consumption stood still waiting for a writer thread's transaction (us).",
           atomic_load(&m->writer_waited_us));
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
