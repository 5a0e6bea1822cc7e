/* librdkafka's mock cluster behind connectors/kafka_mock.h. */
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "kafka_mock.h"
#include "pravah/common.h"

typedef struct mock_topic_s {
    char *name;
    int partitions;
    unsigned char *dropped; /* one flag per partition: already reported */
} mock_topic_t;

struct pv_kafka_mock_s {
    /* A producer handle configured with test.mock.num.brokers: it owns the mock cluster (its
     * threads serve the brokers) and, bootstrapped to it, is also the client that queries
     * watermarks, so the host needs no second connection. */
    rd_kafka_t *rk;
    rd_kafka_mock_cluster_t *mcluster;
    int nbrokers;
    pv_kafka_mock_log_cb log_cb;
    void *log_ctx;
    mock_topic_t *topics;
    size_t ntopics;
    int ndropped;
};

static void log_trampoline(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
    pv_kafka_mock_t *m = rd_kafka_opaque(rk);
    if (m && m->log_cb)
        m->log_cb(m->log_ctx, level, fac, buf);
}

pv_kafka_mock_t *pv_kafka_mock_new(int nbrokers, pv_kafka_mock_log_cb log_cb, void *log_ctx,
                                   char *err, size_t errlen)
{
    char num[16];
    if (nbrokers < 1 || nbrokers > 64) {
        snprintf(err, errlen, "broker count %d is outside 1..64", nbrokers);
        return NULL;
    }
    pv_kafka_mock_t *m = calloc(1, sizeof *m);
    if (!m) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    m->nbrokers = nbrokers;
    m->log_cb = log_cb;
    m->log_ctx = log_ctx;
    snprintf(num, sizeof num, "%d", nbrokers);
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set_opaque(conf, m);
    rd_kafka_conf_set_log_cb(conf, log_trampoline);
    if (rd_kafka_conf_set(conf, "test.mock.num.brokers", num, err, errlen) != RD_KAFKA_CONF_OK)
        goto fail_conf;
    /* The mock brokers' sockets inherit this; with Nagle on, small acknowledgements wait ~40 ms. */
    if (rd_kafka_conf_set(conf, "socket.nagle.disable", "true", err, errlen) != RD_KAFKA_CONF_OK)
        goto fail_conf;
    m->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, errlen);
    if (!m->rk)
        goto fail_conf;
    m->mcluster = rd_kafka_handle_mock_cluster(m->rk);
    if (!m->mcluster) {
        snprintf(err, errlen, "librdkafka did not start a mock cluster");
        rd_kafka_destroy(m->rk);
        free(m);
        return NULL;
    }
    return m;
fail_conf:
    /* rd_kafka_new takes the conf only on success. */
    rd_kafka_conf_destroy(conf);
    free(m);
    return NULL;
}

void pv_kafka_mock_free(pv_kafka_mock_t *m)
{
    if (!m)
        return;
    rd_kafka_destroy(m->rk);
    for (size_t i = 0; i < m->ntopics; i++) {
        free(m->topics[i].name);
        free(m->topics[i].dropped);
    }
    free(m->topics);
    free(m);
}

const char *pv_kafka_mock_bootstraps(const pv_kafka_mock_t *m)
{
    return rd_kafka_mock_cluster_bootstraps(m->mcluster);
}

int pv_kafka_mock_broker_count(const pv_kafka_mock_t *m)
{
    return m->nbrokers;
}

static int remember_topic(pv_kafka_mock_t *m, const char *topic, int partitions)
{
    mock_topic_t *grown = realloc(m->topics, (m->ntopics + 1) * sizeof *grown);
    if (!grown)
        return PV_ENOMEM;
    m->topics = grown;
    mock_topic_t *t = &m->topics[m->ntopics];
    t->name = strdup(topic);
    t->dropped = calloc((size_t)partitions, 1);
    t->partitions = partitions;
    if (!t->name || !t->dropped) {
        free(t->name);
        free(t->dropped);
        return PV_ENOMEM;
    }
    m->ntopics++;
    return 0;
}

int pv_kafka_mock_topic_create(pv_kafka_mock_t *m, const char *topic, int partitions, char *err,
                               size_t errlen)
{
    if (partitions < 1 || partitions > 10000) {
        snprintf(err, errlen, "topic %s: partition count %d is outside 1..10000", topic,
                 partitions);
        return PV_EINVAL;
    }
    int replicas = m->nbrokers < 3 ? m->nbrokers : 3;
    rd_kafka_resp_err_t e = rd_kafka_mock_topic_create(m->mcluster, topic, partitions, replicas);
    if (e == RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS)
        return PV_EEXIST;
    if (e) {
        snprintf(err, errlen, "topic %s: %s", topic, rd_kafka_err2str(e));
        return PV_EINVAL;
    }
    if (remember_topic(m, topic, partitions) != 0) {
        snprintf(err, errlen, "topic %s: out of memory", topic);
        return PV_ENOMEM;
    }
    return 0;
}

int pv_kafka_mock_check_watermarks(pv_kafka_mock_t *m, int timeout_ms, pv_kafka_mock_dropped_cb cb,
                                   void *ctx, char *err, size_t errlen)
{
    int rc = 0;
    for (size_t i = 0; i < m->ntopics; i++) {
        mock_topic_t *t = &m->topics[i];
        for (int32_t p = 0; p < t->partitions; p++) {
            int64_t low = 0, high = 0;
            if (t->dropped[p])
                continue;
            rd_kafka_resp_err_t e =
                rd_kafka_query_watermark_offsets(m->rk, t->name, p, &low, &high, timeout_ms);
            if (e) {
                snprintf(err, errlen, "topic %s partition %d: watermarks: %s", t->name, (int)p,
                         rd_kafka_err2str(e));
                rc = PV_EINVAL;
                continue;
            }
            if (low > 0) {
                t->dropped[p] = 1;
                m->ndropped++;
                if (cb)
                    cb(ctx, t->name, p, low, high);
            }
        }
    }
    return rc ? rc : m->ndropped;
}

static int is_known_topic(const pv_kafka_mock_t *m, const char *topic)
{
    for (size_t i = 0; i < m->ntopics; i++)
        if (strcmp(m->topics[i].name, topic) == 0)
            return 1;
    return 0;
}

int pv_kafka_mock_adopt_topics(pv_kafka_mock_t *m, int timeout_ms, pv_kafka_mock_topic_cb cb,
                               void *ctx, char *err, size_t errlen)
{
    const struct rd_kafka_metadata *md;
    rd_kafka_resp_err_t e = rd_kafka_metadata(m->rk, 1, NULL, &md, timeout_ms);
    if (e) {
        snprintf(err, errlen, "metadata: %s", rd_kafka_err2str(e));
        return PV_EINVAL;
    }
    int adopted = 0;
    for (int i = 0; i < md->topic_cnt; i++) {
        const struct rd_kafka_metadata_topic *t = &md->topics[i];
        /* "__" topics are Kafka's own (consumer offsets, transaction state). */
        if (t->err || t->partition_cnt < 1 || strncmp(t->topic, "__", 2) == 0 ||
            is_known_topic(m, t->topic))
            continue;
        if (remember_topic(m, t->topic, t->partition_cnt) != 0)
            break;
        adopted++;
        if (cb)
            cb(ctx, t->topic, t->partition_cnt);
    }
    rd_kafka_metadata_destroy(md);
    return adopted;
}

static int broker_result(rd_kafka_resp_err_t e)
{
    return e ? PV_ENOENT : 0;
}

int pv_kafka_mock_broker_down(pv_kafka_mock_t *m, int32_t id)
{
    if (id < 1 || id > m->nbrokers)
        return PV_ENOENT;
    return broker_result(rd_kafka_mock_broker_set_down(m->mcluster, id));
}

int pv_kafka_mock_broker_up(pv_kafka_mock_t *m, int32_t id)
{
    if (id < 1 || id > m->nbrokers)
        return PV_ENOENT;
    return broker_result(rd_kafka_mock_broker_set_up(m->mcluster, id));
}

int pv_kafka_mock_broker_rtt(pv_kafka_mock_t *m, int32_t id, int rtt_ms)
{
    if (id < 1 || id > m->nbrokers || rtt_ms < 0)
        return id < 1 || id > m->nbrokers ? PV_ENOENT : PV_EINVAL;
    return broker_result(rd_kafka_mock_broker_set_rtt(m->mcluster, id, rtt_ms));
}

int pv_kafka_mock_push_errors(pv_kafka_mock_t *m, int16_t api_key, size_t count, int error)
{
    if (api_key < 0 || count == 0 || count > 1000000)
        return PV_EINVAL;
    rd_kafka_resp_err_t *errs = malloc(count * sizeof *errs);
    if (!errs)
        return PV_ENOMEM;
    for (size_t i = 0; i < count; i++)
        errs[i] = (rd_kafka_resp_err_t)error;
    rd_kafka_mock_push_request_errors_array(m->mcluster, api_key, count, errs);
    free(errs);
    return 0;
}

int pv_kafka_mock_clear_errors(pv_kafka_mock_t *m, int16_t api_key)
{
    if (api_key < 0)
        return PV_EINVAL;
    rd_kafka_mock_clear_request_errors(m->mcluster, api_key);
    return 0;
}

/* A decimal number in [0, max], or -1. */
static int parse_number(const char *s, long max)
{
    char *end;
    if (!s || !*s)
        return -1;
    long v = strtol(s, &end, 10);
    return *end || v < 0 || v > max ? -1 : (int)v;
}

/* The request types a fault test plausibly targets; Kafka's own numbering. */
static const struct {
    const char *name;
    int key;
} api_keys[] = {
    {"Produce", 0},          {"Fetch", 1},
    {"ListOffsets", 2},      {"Metadata", 3},
    {"OffsetCommit", 8},     {"OffsetFetch", 9},
    {"FindCoordinator", 10}, {"JoinGroup", 11},
    {"Heartbeat", 12},       {"LeaveGroup", 13},
    {"SyncGroup", 14},       {"ApiVersions", 18},
    {"InitProducerId", 22},  {"AddPartitionsToTxn", 24},
    {"AddOffsetsToTxn", 25}, {"EndTxn", 26},
    {"TxnOffsetCommit", 28},
};

int pv_kafka_mock_api_key(const char *name)
{
    for (size_t i = 0; i < sizeof api_keys / sizeof api_keys[0]; i++)
        if (name && strcasecmp(name, api_keys[i].name) == 0)
            return api_keys[i].key;
    return parse_number(name, 32767);
}

int pv_kafka_mock_error_code(const char *name)
{
    const struct rd_kafka_err_desc *descs;
    size_t n;
    if (!name)
        return -1;
    if (strncasecmp(name, "RD_KAFKA_RESP_ERR_", 18) == 0)
        name += 18;
    rd_kafka_get_err_descs(&descs, &n);
    /* Only broker (protocol) errors, which are the positive codes; negative ones are local. */
    for (size_t i = 0; i < n; i++)
        if (descs[i].code > 0 && descs[i].name && strcasecmp(name, descs[i].name) == 0)
            return descs[i].code;
    return parse_number(name, 32767);
}
