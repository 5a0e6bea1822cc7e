/* The projection pass-through: the most any projector can do on this machine, which
 * tests/bench/bench_project.sh holds `pravah project` and the raw COPY baselines against
 * (docs/PROJECTOR.md, "Performance").
 *
 * It is the projector's shape with the projection taken out: a member of a consumer group on
 * the journal (connectors/kafka.h, the projector's consumer defaults) collects batches of
 * --batch messages, and a writer thread with its own connection writes each batch in one
 * transaction, a binary COPY of (partition, offset, the message's bytes) into an unindexed
 * table, while the main thread collects the next (the projector's pipelining). No decoding,
 * no checks, no fold, no index, no offsets stored: any projector reads at least every message
 * from the broker and writes at least its bytes, so its rate cannot pass this one's.
 *
 *   pv_bench_project_floor --bootstrap ADDR --records N [--topic T] [--group G]
 *                          [--batch N] [--table T]
 *
 * PostgreSQL from the PG* variables; the table (partition int, kafka_offset bigint, bytes
 * bytea) must exist. Stops after N messages; prints "floor: N records in MS ms, CPU MS ms ..."
 * (from the partitions' assignment to the last commit; the process's CPU time) on stdout. Exit 1 on any error. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "kafka.h"
#include "pg.h"
#include "pravah/buf.h"

typedef struct floor_s {
    pv_consumer_t *cons;
    pv_pg_t *pg;
    const char *copy_sql;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    pv_buf_t bufs[2];
    pv_buf_t *job; /* the batch the writer is writing, NULL when idle */
    int stop, failed;
    int64_t assigned_ms;
} floor_t;

static int64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void on_rebalance(void *ctx, pv_consumer_t *c, int assigned, const char *topic,
                         const int32_t *ids, size_t n)
{
    (void)c, (void)topic, (void)ids, (void)n;
    floor_t *f = ctx;
    if (assigned && !f->assigned_ms)
        f->assigned_ms = wall_ms();
}

/* One batch, one transaction. */
static int write_batch(floor_t *f, const pv_buf_t *b)
{
    char err[512];
    int rc = pv_pg_copy(f->pg, f->copy_sql, b->data, b->len, err, sizeof err);
    rc = rc ? rc : pv_pg_exec(f->pg, "COMMIT", err, sizeof err);
    if (rc)
        fprintf(stderr, "floor: %s\n", err);
    return rc;
}

static void *writer_main(void *arg)
{
    floor_t *f = arg;
    pthread_mutex_lock(&f->mu);
    for (;;) {
        while (!f->job && !f->stop)
            pthread_cond_wait(&f->cv, &f->mu);
        if (!f->job)
            break;
        pv_buf_t *b = f->job;
        pthread_mutex_unlock(&f->mu);
        int rc = write_batch(f, b);
        pthread_mutex_lock(&f->mu);
        f->failed |= rc != 0;
        f->job = NULL;
        pthread_cond_broadcast(&f->cv);
    }
    pthread_mutex_unlock(&f->mu);
    return NULL;
}

/* Waits until the writer is idle; returns non-zero when a batch failed. */
static int writer_idle(floor_t *f)
{
    pthread_mutex_lock(&f->mu);
    while (f->job)
        pthread_cond_wait(&f->cv, &f->mu);
    int failed = f->failed;
    pthread_mutex_unlock(&f->mu);
    return failed;
}

/* Hands b (a complete binary COPY stream) to the writer, after the previous batch. */
static int hand_over(floor_t *f, pv_buf_t *b)
{
    if (writer_idle(f))
        return -1;
    pthread_mutex_lock(&f->mu);
    f->job = b;
    pthread_cond_broadcast(&f->cv);
    pthread_mutex_unlock(&f->mu);
    return 0;
}

static int add_row(pv_buf_t *b, const pv_kafka_msg_t *m)
{
    int rc = b->len ? 0 : pv_pg_bin_header(b);
    rc = rc ? rc : pv_pg_bin_row(b, 3);
    rc = rc ? rc : pv_pg_bin_int4(b, m->partition);
    rc = rc ? rc : pv_pg_bin_int8(b, m->offset);
    return rc ? rc : pv_pg_bin_bytes(b, m->value, m->value_len);
}

/* Consumes n messages in batches of batch; returns 0 when all are committed. */
static int run(floor_t *f, long long n, long long batch)
{
    long long got = 0, in_batch = 0;
    int cur = 0;
    while (got < n) {
        pv_kafka_msg_t m;
        if (pv_consumer_poll(f->cons, 100, &m) == 0)
            continue;
        int rc = 0;
        if (m.err) {
            if (pv_kafka_error_class(m.err) == PV_KAFKA_FATAL) {
                fprintf(stderr, "floor: consumer: %s\n", m.errstr);
                rc = -1;
            }
        } else {
            rc = add_row(&f->bufs[cur], &m);
            got++, in_batch++;
        }
        pv_kafka_msg_release(&m);
        if (rc)
            return -1;
        if (in_batch == batch || (got == n && in_batch)) {
            if (pv_pg_bin_trailer(&f->bufs[cur]) != 0 || hand_over(f, &f->bufs[cur]) != 0)
                return -1;
            cur ^= 1;
            pv_buf_reset(&f->bufs[cur]); /* hand_over waited for the batch written in it */
            in_batch = 0;
        }
    }
    return writer_idle(f) ? -1 : 0;
}

static void usage(void)
{
    fprintf(stderr, "usage: pv_bench_project_floor --bootstrap ADDR --records N [--topic T] "
                    "[--group G] [--batch N] [--table T]\n");
    exit(2);
}

int main(int argc, char **argv)
{
    static floor_t f;
    const char *bootstrap = NULL, *topic = "pravah.journal", *group = "pravah-floor";
    const char *table = "floor_rows";
    long long records = 0, batch = 5000;
    for (int i = 1; i < argc; i += 2) {
        if (i + 1 >= argc)
            usage();
        const char *k = argv[i], *v = argv[i + 1];
        if (strcmp(k, "--bootstrap") == 0)
            bootstrap = v;
        else if (strcmp(k, "--topic") == 0)
            topic = v;
        else if (strcmp(k, "--group") == 0)
            group = v;
        else if (strcmp(k, "--table") == 0)
            table = v;
        else if (strcmp(k, "--records") == 0)
            records = atoll(v);
        else if (strcmp(k, "--batch") == 0)
            batch = atoll(v);
        else
            usage();
    }
    if (!bootstrap || records < 1 || batch < 1)
        usage();
    char sql[256], err[512];
    snprintf(sql, sizeof sql, "BEGIN; COPY %s FROM STDIN WITH (FORMAT binary)", table);
    f.copy_sql = sql;
    pthread_mutex_init(&f.mu, NULL);
    pthread_cond_init(&f.cv, NULL);
    pv_buf_init(&f.bufs[0]);
    pv_buf_init(&f.bufs[1]);
    pv_kv_t props[] = {{"bootstrap.servers", bootstrap}};
    if (!(f.pg = pv_pg_new(NULL)) || pv_pg_connect(f.pg, err, sizeof err) != 0 ||
        !(f.cons = pv_consumer_new(props, 1, group, topic, on_rebalance, &f, err, sizeof err))) {
        fprintf(stderr, "floor: %s\n", f.pg ? err : "out of memory");
        return 1;
    }
    if (pthread_create(&f.thread, NULL, writer_main, &f) != 0) {
        fprintf(stderr, "floor: cannot start the writer thread\n");
        return 1;
    }
    int rc = run(&f, records, batch);
    int64_t end = wall_ms();
    pthread_mutex_lock(&f.mu);
    f.stop = 1;
    pthread_cond_broadcast(&f.cv);
    pthread_mutex_unlock(&f.mu);
    pthread_join(f.thread, NULL);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    long long cpu_ms = (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000LL +
                       (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1000;
    if (rc == 0)
        printf("floor: %lld records in %lld ms, CPU %lld ms (the whole process)\n", records,
               (long long)(end - f.assigned_ms), cpu_ms);
    pv_consumer_close(f.cons);
    pv_consumer_free(f.cons);
    pv_pg_free(f.pg);
    pv_buf_close(&f.bufs[0]);
    pv_buf_close(&f.bufs[1]);
    return rc ? 1 : 0;
}
