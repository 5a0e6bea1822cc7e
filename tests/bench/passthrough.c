/* Raw Kafka pass-through: the physical limit that tests/bench/bench_advance.c holds
 * `pravah advance` against.
 *
 * It is the advancer's loop (workers/advancer.c: run_batch, flush_and_commit) with the engine
 * taken out: a member of a consumer group on the input topic polls up to batch_max messages or
 * batch_ms of wall time, copies each message's key, value and headers unchanged to the same
 * partition of the output topic, then waits until every copy is acknowledged and commits the
 * input offsets, one synchronous commit per partition, as the advancer does. Same client library
 * (connectors/kafka.h), same producer and consumer defaults, same batch settings.
 *
 * Run by pv_bench_advance as a child process (`pv_bench_advance --passthrough ...`), so that it
 * competes for the CPU as the advancer does. Prints "passthrough: assigned N partitions" on
 * stderr when the group hands it partitions; SIGTERM drains, commits and exits. */
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kafka.h"

#define PT_MAX_PARTITIONS 256

int pv_passthrough_main(int argc, char **argv);

typedef struct pt_s {
    pv_producer_t *prod;
    pv_consumer_t *cons;
    const char *from, *to;
    long long batch_max, batch_ms;
    int owned[PT_MAX_PARTITIONS];
    int64_t next_commit[PT_MAX_PARTITIONS];
    atomic_int failed;
    int fatal;
    long long copied, batches;
    int64_t collect_us, flush_us, commit_us; /* where the batches' wall time went */
} pt_t;

static volatile sig_atomic_t pt_stop;

static void pt_on_signal(int sig)
{
    (void)sig;
    pt_stop = 1;
}

static int64_t pt_wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void pt_on_delivery(void *ctx, void *opaque, int err, const char *errstr, int32_t partition,
                           int64_t offset)
{
    (void)opaque, (void)offset;
    pt_t *pt = ctx;
    if (err) {
        fprintf(stderr, "passthrough: delivery to partition %d failed: %s\n", partition, errstr);
        atomic_store(&pt->failed, 1);
    }
}

static int64_t pt_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int pt_flush_and_commit(pt_t *pt)
{
    int64_t t0 = pt_us();
    while (pv_producer_flush(pt->prod, 1000) != 0)
        fprintf(stderr, "passthrough: waiting for acknowledgements\n");
    int64_t t1 = pt_us();
    pt->flush_us += t1 - t0;
    if (atomic_load(&pt->failed))
        return -1;
    for (int32_t id = 0; id < PT_MAX_PARTITIONS; id++)
        if (pt->owned[id] && pt->next_commit[id] >= 0) {
            int rc = pv_consumer_commit(pt->cons, pt->from, id, pt->next_commit[id]);
            if (rc)
                fprintf(stderr, "passthrough: commit of partition %d failed: %s\n", id,
                        pv_kafka_err2str(rc));
            else
                pt->next_commit[id] = -1;
        }
    pt->commit_us += pt_us() - t1;
    return 0;
}

static void pt_on_rebalance(void *ctx, pv_consumer_t *c, int assigned, const char *topic,
                            const int32_t *ids, size_t n)
{
    (void)c, (void)topic;
    pt_t *pt = ctx;
    if (!assigned && pt_flush_and_commit(pt) != 0)
        pt->fatal = 1;
    for (size_t i = 0; i < n; i++)
        if (ids[i] >= 0 && ids[i] < PT_MAX_PARTITIONS) {
            pt->owned[ids[i]] = assigned;
            pt->next_commit[ids[i]] = -1;
        }
    fprintf(stderr, "passthrough: %s %zu partitions\n", assigned ? "assigned" : "revoked", n);
}

/* Sends, retrying while librdkafka's local queue is full (the advancer's produce()). */
static int pt_produce(pt_t *pt, const pv_kafka_msg_t *m)
{
    for (;;) {
        int rc = pv_producer_send(pt->prod, pt->to, m->partition, m->key, m->key_len, m->value,
                                  m->value_len, m->headers, m->nheaders, NULL);
        if (rc != PV_KAFKA_RETRIABLE)
            return rc;
        pv_producer_poll(pt->prod, 10);
    }
}

/* workers/advancer.c run_batch, minus decode/apply/encode and the timers. */
static void pt_run_batch(pt_t *pt)
{
    int64_t start = pt_wall_ms();
    long long n = 0;
    int64_t t0 = pt_us();
    pv_kafka_msg_t msg;
    while (n < pt->batch_max && !pt->fatal) {
        int64_t left = pt->batch_ms - (pt_wall_ms() - start);
        if (left <= 0 ||
            pv_consumer_poll(pt->cons, (int)(n ? (left < 5 ? left : 5) : left), &msg) == 0)
            break;
        if (msg.err) {
            if (pv_kafka_error_class(msg.err) == PV_KAFKA_FATAL) {
                fprintf(stderr, "passthrough: consumer: %s\n", msg.errstr);
                pt->fatal = 1;
            }
        } else if (msg.partition >= 0 && msg.partition < PT_MAX_PARTITIONS &&
                   pt->owned[msg.partition]) {
            if (pt_produce(pt, &msg) != 0)
                pt->fatal = 1;
            pt->next_commit[msg.partition] = msg.offset + 1;
            pt->copied++;
            n++;
        }
        pv_kafka_msg_release(&msg);
    }
    if (n)
        pt->collect_us += pt_us() - t0;
    if (pt_flush_and_commit(pt) != 0)
        pt->fatal = 1;
    pt->batches += n > 0;
}

static void pt_usage(void)
{
    fprintf(stderr, "usage: pv_bench_advance --passthrough --bootstrap ADDR --from TOPIC --to TOPIC"
                    " [--group G] [--batch-max N] [--batch-ms MS] [--prop PROP=VALUE]...\n");
    exit(2);
}

/* argv[0] is "--passthrough". */
int pv_passthrough_main(int argc, char **argv)
{
    static pt_t pt; /* big arrays: not on the stack */
    const char *bootstrap = NULL, *group = "pravah-passthrough";
    char err[512];
    pv_kv_t props[17];
    size_t nprops = 1;
    pt.from = "pravah.intake";
    pt.to = "pravah.journal";
    pt.batch_max = 2000;
    pt.batch_ms = 20;
    for (int i = 1; i < argc; i += 2) {
        if (i + 1 >= argc)
            pt_usage();
        const char *k = argv[i], *v = argv[i + 1];
        if (strcmp(k, "--bootstrap") == 0)
            bootstrap = v;
        else if (strcmp(k, "--from") == 0)
            pt.from = v;
        else if (strcmp(k, "--to") == 0)
            pt.to = v;
        else if (strcmp(k, "--group") == 0)
            group = v;
        else if (strcmp(k, "--batch-max") == 0)
            pt.batch_max = atoll(v);
        else if (strcmp(k, "--batch-ms") == 0)
            pt.batch_ms = atoll(v);
        else if (strcmp(k, "--prop") == 0 && strchr(v, '=') && nprops < 17)
            props[nprops++] =
                (pv_kv_t){strndup(v, (size_t)(strchr(v, '=') - v)), strchr(v, '=') + 1};
        else
            pt_usage();
    }
    if (!bootstrap || pt.batch_max < 1 || pt.batch_ms < 1)
        pt_usage();
    props[0] = (pv_kv_t){"bootstrap.servers", bootstrap};
    signal(SIGTERM, pt_on_signal);
    signal(SIGINT, pt_on_signal);
    if (!(pt.prod = pv_producer_new(props, nprops, pt_on_delivery, &pt, err, sizeof err)) ||
        !(pt.cons = pv_consumer_new(props, nprops, group, pt.from, pt_on_rebalance, &pt, err,
                                    sizeof err))) {
        fprintf(stderr, "passthrough: %s\n", err);
        pv_producer_free(pt.prod);
        return 1;
    }
    while (!pt_stop && !pt.fatal)
        pt_run_batch(&pt);
    if (!pt.fatal && pt_flush_and_commit(&pt) != 0)
        pt.fatal = 1;
    pv_consumer_close(pt.cons);
    fprintf(stderr,
            "passthrough: copied %lld messages in %lld batches%s; per batch: collect %.1f "
            "ms, flush %.1f ms, commit %.1f ms (flush/commit include idle polls)\n",
            pt.copied, pt.batches, pt.fatal ? " (stopped on an error)" : "",
            pt.batches ? (double)pt.collect_us / 1000.0 / (double)pt.batches : 0,
            pt.batches ? (double)pt.flush_us / 1000.0 / (double)pt.batches : 0,
            pt.batches ? (double)pt.commit_us / 1000.0 / (double)pt.batches : 0);
    pv_consumer_free(pt.cons);
    pv_producer_free(pt.prod);
    return pt.fatal ? 1 : 0;
}
