/* librdkafka behind connectors/kafka.h. */
#include <jansson.h>
#include <librdkafka/rdkafka.h>
#include <stdio.h>
#include <sys/types.h>
#include <stdlib.h>
#include <string.h>

#include "kafka.h"

struct pv_producer_s {
    rd_kafka_t *rk;
    pv_delivery_cb cb;
    void *ctx;
};

struct pv_consumer_s {
    rd_kafka_t *rk;
    char *topic;
    pv_rebalance_cb cb;
    void *ctx;
    pv_commit_cb commit_cb;
    void *commit_ctx;
};

pv_kafka_class_t pv_kafka_error_class(int err)
{
    switch ((rd_kafka_resp_err_t)err) {
    case RD_KAFKA_RESP_ERR_NO_ERROR: return PV_KAFKA_OK;
    case RD_KAFKA_RESP_ERR__QUEUE_FULL:
    case RD_KAFKA_RESP_ERR__TIMED_OUT:
    case RD_KAFKA_RESP_ERR__MSG_TIMED_OUT:
    case RD_KAFKA_RESP_ERR__TRANSPORT:
    case RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN:
    case RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION:
    case RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE:
    case RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT:
    case RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS:
    case RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS_AFTER_APPEND:
    case RD_KAFKA_RESP_ERR_NETWORK_EXCEPTION:
    case RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE:
    case RD_KAFKA_RESP_ERR_NOT_COORDINATOR:
    case RD_KAFKA_RESP_ERR_REBALANCE_IN_PROGRESS: return PV_KAFKA_RETRIABLE;
    case RD_KAFKA_RESP_ERR__FATAL:
    case RD_KAFKA_RESP_ERR__INVALID_ARG:
    case RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC:
    case RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED:
    case RD_KAFKA_RESP_ERR_GROUP_AUTHORIZATION_FAILED:
    case RD_KAFKA_RESP_ERR_CLUSTER_AUTHORIZATION_FAILED:
    case RD_KAFKA_RESP_ERR_SASL_AUTHENTICATION_FAILED:
    case RD_KAFKA_RESP_ERR_PRODUCER_FENCED:
    case RD_KAFKA_RESP_ERR_INVALID_PRODUCER_EPOCH:
    case RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE: return PV_KAFKA_FATAL;
    default: return PV_KAFKA_ABORT;
    }
}

const char *pv_kafka_err2str(int err)
{
    return rd_kafka_err2str((rd_kafka_resp_err_t)err);
}

/* librdkafka's own log lines as JSON lines on stderr, like the rest of Pravah's logs. */
static void json_log_cb(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
    /* Pravah sets enable.gapless.guarantee on purpose (pv_producer_new, docs/ADVANCER.md); the
     * "is experimental" warning librdkafka prints for it at every client start is noise. */
    if (strcmp(fac, "CONFWARN") == 0 && strstr(buf, "enable.gapless.guarantee is experimental"))
        return;
    static const char *const levels[] = {"error", "error", "error", "error",
                                         "warn",  "info",  "info",  "debug"};
    json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s}", "level",
                          levels[level >= 0 && level <= 7 ? level : 7], "component", "librdkafka",
                          "client", rd_kafka_name(rk), "facility", fac, "msg", buf);
    char *line = o ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    if (line)
        fprintf(stderr, "%s\n", line);
    free(line);
    json_decref(o);
}

/* Builds a configuration: Pravah's defaults first, then the user's properties over them. */
static rd_kafka_conf_t *make_conf(const pv_kv_t *defaults, size_t ndef, const pv_kv_t *props,
                                  size_t nprops, char *err, size_t errlen)
{
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set_log_cb(conf, json_log_cb);
    for (size_t i = 0; i < ndef + nprops; i++) {
        const pv_kv_t *kv = i < ndef ? &defaults[i] : &props[i - ndef];
        if (rd_kafka_conf_set(conf, kv->key, kv->value, err, errlen) != RD_KAFKA_CONF_OK) {
            rd_kafka_conf_destroy(conf);
            return NULL;
        }
    }
    return conf;
}

static void set_headers(rd_kafka_message_t *m, pv_kafka_msg_t *out)
{
    rd_kafka_headers_t *hdrs = NULL;
    out->nheaders = 0;
    if (rd_kafka_message_headers(m, &hdrs) != RD_KAFKA_RESP_ERR_NO_ERROR)
        return;
    const char *name;
    const void *val;
    size_t size;
    for (size_t i = 0; out->nheaders < PV_KAFKA_MAX_HEADERS &&
                       rd_kafka_header_get_all(hdrs, i, &name, &val, &size) ==
                           RD_KAFKA_RESP_ERR_NO_ERROR;
         i++)
        out->headers[out->nheaders++] = (pv_header_t){name, val ? val : "", val ? size : 0};
}

static void fill_msg(rd_kafka_message_t *m, pv_kafka_msg_t *out)
{
    memset(out, 0, sizeof *out);
    out->opaque = m;
    out->err = m->err;
    out->topic = m->rkt ? rd_kafka_topic_name(m->rkt) : "";
    out->partition = m->partition;
    out->offset = m->offset;
    if (m->err) {
        out->errstr = rd_kafka_message_errstr(m);
        return;
    }
    rd_kafka_timestamp_type_t tst;
    out->timestamp_ms = rd_kafka_message_timestamp(m, &tst);
    out->key = m->key;
    out->key_len = m->key_len;
    out->value = m->payload ? m->payload : "";
    out->value_len = m->len;
    set_headers(m, out);
}

void pv_kafka_msg_release(pv_kafka_msg_t *msg)
{
    if (msg->opaque)
        rd_kafka_message_destroy(msg->opaque);
    msg->opaque = NULL;
}

/* ---- producer ---- */

static void dr_msg_cb(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
    (void)rk;
    pv_producer_t *p = opaque;
    if (p->cb)
        p->cb(p->ctx, m->_private, m->err, m->err ? rd_kafka_err2str(m->err) : "", m->partition,
              m->offset);
}

pv_producer_t *pv_producer_new(const pv_kv_t *props, size_t nprops, pv_delivery_cb cb, void *ctx,
                               char *err, size_t errlen)
{
    static const pv_kv_t defaults[] = {
        /* Gapless: a permanently failed message fails everything after it in its partition,
         * so a journal partition never continues past a record that did not land. */
        {"enable.idempotence", "true"}, {"enable.gapless.guarantee", "true"},
        {"acks", "all"},                {"linger.ms", "5"}, {"socket.nagle.disable", "true"},
        {"compression.type", "lz4"},    {"message.max.bytes", "4000000"},
    };
    pv_producer_t *p = calloc(1, sizeof *p);
    if (!p) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    rd_kafka_conf_t *conf = make_conf(defaults, sizeof defaults / sizeof defaults[0], props,
                                      nprops, err, errlen);
    if (!conf) {
        free(p);
        return NULL;
    }
    p->cb = cb;
    p->ctx = ctx;
    rd_kafka_conf_set_opaque(conf, p);
    rd_kafka_conf_set_dr_msg_cb(conf, dr_msg_cb);
    p->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, errlen);
    if (!p->rk) {
        rd_kafka_conf_destroy(conf);
        free(p);
        return NULL;
    }
    return p;
}

void pv_producer_free(pv_producer_t *p)
{
    if (!p)
        return;
    rd_kafka_flush(p->rk, 10000);
    rd_kafka_destroy(p->rk);
    free(p);
}

int pv_producer_send(pv_producer_t *p, const char *topic, int32_t partition, const void *key,
                     size_t key_len, const void *value, size_t value_len,
                     const pv_header_t *headers, size_t nheaders, void *opaque)
{
    rd_kafka_headers_t *hdrs = rd_kafka_headers_new(nheaders ? nheaders : 1);
    for (size_t i = 0; i < nheaders; i++)
        rd_kafka_header_add(hdrs, headers[i].key, -1, headers[i].value,
                            (ssize_t)headers[i].value_len);
    rd_kafka_resp_err_t e = rd_kafka_producev(
        p->rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(partition),
        RD_KAFKA_V_KEY((void *)key, key_len), RD_KAFKA_V_VALUE((void *)value, value_len),
        RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_HEADERS(hdrs),
        RD_KAFKA_V_OPAQUE(opaque), RD_KAFKA_V_END);
    if (e) {
        rd_kafka_headers_destroy(hdrs); /* ownership passes to librdkafka only on success */
        return pv_kafka_error_class(e) == PV_KAFKA_OK ? PV_KAFKA_ABORT : (int)pv_kafka_error_class(e);
    }
    return 0;
}

void pv_producer_poll(pv_producer_t *p, int timeout_ms)
{
    rd_kafka_poll(p->rk, timeout_ms);
}

int pv_producer_flush(pv_producer_t *p, int timeout_ms)
{
    return rd_kafka_flush(p->rk, timeout_ms) == RD_KAFKA_RESP_ERR_NO_ERROR ? 0 : -1;
}

int pv_producer_partitions(pv_producer_t *p, const char *topic, int timeout_ms)
{
    rd_kafka_topic_t *rkt = rd_kafka_topic_new(p->rk, topic, NULL);
    const struct rd_kafka_metadata *md = NULL;
    int n = -1;
    if (rkt && rd_kafka_metadata(p->rk, 0, rkt, &md, timeout_ms) == RD_KAFKA_RESP_ERR_NO_ERROR) {
        if (md->topic_cnt == 1 && md->topics[0].err == RD_KAFKA_RESP_ERR_NO_ERROR)
            n = md->topics[0].partition_cnt;
        rd_kafka_metadata_destroy(md);
    }
    if (rkt)
        rd_kafka_topic_destroy(rkt);
    return n;
}

/* ---- consumer ---- */

static void rebalance_cb(rd_kafka_t *rk, rd_kafka_resp_err_t err,
                         rd_kafka_topic_partition_list_t *parts, void *opaque)
{
    pv_consumer_t *c = opaque;
    int32_t ids[1024];
    size_t n = 0;
    for (int i = 0; i < parts->cnt && n < 1024; i++)
        if (strcmp(parts->elems[i].topic, c->topic) == 0)
            ids[n++] = parts->elems[i].partition;
    if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
        /* The application rebuilds state before any message of these partitions is served:
         * rd_kafka_assign only starts fetching, and we poll no messages inside this callback. */
        if (c->cb)
            c->cb(c->ctx, c, 1, c->topic, ids, n);
        rd_kafka_assign(rk, parts);
    } else {
        if (c->cb)
            c->cb(c->ctx, c, 0, c->topic, ids, n);
        rd_kafka_assign(rk, NULL);
    }
}

static void offset_commit_cb(rd_kafka_t *rk, rd_kafka_resp_err_t err,
                             rd_kafka_topic_partition_list_t *offsets, void *opaque)
{
    (void)rk, (void)offsets;
    pv_consumer_t *c = opaque;
    /* _NO_OFFSET: nothing to commit, not a failure. */
    if (c->commit_cb && err != RD_KAFKA_RESP_ERR__NO_OFFSET)
        c->commit_cb(c->commit_ctx, err);
}

pv_consumer_t *pv_consumer_new(const pv_kv_t *props, size_t nprops, const char *group,
                               const char *topic, pv_rebalance_cb cb, void *ctx, char *err,
                               size_t errlen)
{
    const pv_kv_t defaults[] = {
        {"group.id", group},
        {"enable.auto.commit", "false"},
        {"enable.auto.offset.store", "false"},
        {"auto.offset.reset", "earliest"},
        {"partition.assignment.strategy", "range,roundrobin"},
        {"session.timeout.ms", "6000"},
        {"heartbeat.interval.ms", "1000"},
        {"fetch.wait.max.ms", "10"},
        {"socket.nagle.disable", "true"},
    };
    pv_consumer_t *c = calloc(1, sizeof *c);
    rd_kafka_conf_t *conf = NULL;
    if (!c || !(c->topic = strdup(topic))) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    if (!(conf = make_conf(defaults, sizeof defaults / sizeof defaults[0], props, nprops, err,
                           errlen)))
        goto fail;
    c->cb = cb;
    c->ctx = ctx;
    rd_kafka_conf_set_opaque(conf, c);
    rd_kafka_conf_set_rebalance_cb(conf, rebalance_cb);
    rd_kafka_conf_set_offset_commit_cb(conf, offset_commit_cb);
    if (!(c->rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, errlen)))
        goto fail;
    conf = NULL;
    rd_kafka_poll_set_consumer(c->rk);
    rd_kafka_topic_partition_list_t *sub = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(sub, topic, RD_KAFKA_PARTITION_UA);
    rd_kafka_resp_err_t e = rd_kafka_subscribe(c->rk, sub);
    rd_kafka_topic_partition_list_destroy(sub);
    if (e) {
        snprintf(err, errlen, "subscribe %s: %s", topic, rd_kafka_err2str(e));
        goto fail;
    }
    return c;
fail:
    if (conf)
        rd_kafka_conf_destroy(conf);
    if (c && c->rk)
        rd_kafka_destroy(c->rk);
    if (c)
        free(c->topic);
    free(c);
    return NULL;
}

int pv_consumer_poll(pv_consumer_t *c, int timeout_ms, pv_kafka_msg_t *msg)
{
    rd_kafka_message_t *m = rd_kafka_consumer_poll(c->rk, timeout_ms);
    if (!m)
        return 0;
    fill_msg(m, msg);
    return 1;
}

int pv_consumer_commit(pv_consumer_t *c, const char *topic, int32_t partition,
                       int64_t next_offset)
{
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(l, topic, partition)->offset = next_offset;
    rd_kafka_resp_err_t e = rd_kafka_commit(c->rk, l, 0);
    rd_kafka_topic_partition_list_destroy(l);
    return e;
}

static int commit_list(pv_consumer_t *c, const char *topic, const int32_t *partitions,
                       const int64_t *next_offsets, size_t n, int async)
{
    if (n == 0)
        return 0;
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new((int)n);
    for (size_t i = 0; i < n; i++)
        rd_kafka_topic_partition_list_add(l, topic, partitions[i])->offset = next_offsets[i];
    rd_kafka_resp_err_t e = rd_kafka_commit(c->rk, l, async);
    rd_kafka_topic_partition_list_destroy(l);
    return e;
}

int pv_consumer_commit_many(pv_consumer_t *c, const char *topic, const int32_t *partitions,
                            const int64_t *next_offsets, size_t n)
{
    return commit_list(c, topic, partitions, next_offsets, n, 0);
}

int pv_consumer_commit_async(pv_consumer_t *c, const char *topic, const int32_t *partitions,
                             const int64_t *next_offsets, size_t n)
{
    return commit_list(c, topic, partitions, next_offsets, n, 1);
}

void pv_consumer_on_commit(pv_consumer_t *c, pv_commit_cb cb, void *ctx)
{
    c->commit_cb = cb;
    c->commit_ctx = ctx;
}

int64_t pv_consumer_committed(pv_consumer_t *c, const char *topic, int32_t partition)
{
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_t *tp = rd_kafka_topic_partition_list_add(l, topic, partition);
    int64_t off = -1;
    if (rd_kafka_committed(c->rk, l, 10000) == RD_KAFKA_RESP_ERR_NO_ERROR && !tp->err &&
        tp->offset >= 0)
        off = tp->offset;
    rd_kafka_topic_partition_list_destroy(l);
    return off;
}

int pv_consumer_committed_many(pv_consumer_t *c, const char *topic, const int32_t *partitions,
                               size_t n, int64_t *offs)
{
    if (n == 0)
        return 0;
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new((int)n);
    for (size_t i = 0; i < n; i++)
        rd_kafka_topic_partition_list_add(l, topic, partitions[i]);
    rd_kafka_resp_err_t e = rd_kafka_committed(c->rk, l, 10000);
    if (!e)
        for (size_t i = 0; i < n; i++) {
            rd_kafka_topic_partition_t *tp = &l->elems[i];
            offs[i] = !tp->err && tp->offset >= 0 ? tp->offset : -1;
        }
    rd_kafka_topic_partition_list_destroy(l);
    return e;
}

int pv_consumer_pause(pv_consumer_t *c, const char *topic, int32_t partition, int pause)
{
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(l, topic, partition);
    rd_kafka_resp_err_t e = pause ? rd_kafka_pause_partitions(c->rk, l)
                                  : rd_kafka_resume_partitions(c->rk, l);
    rd_kafka_topic_partition_list_destroy(l);
    return e;
}

void pv_consumer_close(pv_consumer_t *c)
{
    rd_kafka_consumer_close(c->rk);
}

void pv_consumer_free(pv_consumer_t *c)
{
    if (!c)
        return;
    rd_kafka_destroy(c->rk);
    free(c->topic);
    free(c);
}

int64_t pv_consumer_high_watermark(pv_consumer_t *c, const char *topic, int32_t partition)
{
    int64_t low, high;
    if (rd_kafka_get_watermark_offsets(c->rk, topic, partition, &low, &high) != 0 || high < 0)
        return -1;
    return high;
}

/* ---- whole partitions ---- */

/* A consumer that never joins a group (partitions are assign()ed). With strict, a start offset
 * that is out of range is an error (auto.offset.reset=error) instead of a silent jump to the end:
 * a rebuild must not skip records that disappeared while it read. */
static rd_kafka_t *reader_consumer(const pv_kv_t *props, size_t nprops, int strict, char *err,
                                   size_t errlen)
{
    const pv_kv_t defaults[] = {
        {"group.id", "pravah-reader"}, /* required by librdkafka; never joins: we assign() */
        {"enable.auto.commit", "false"},
        {"enable.partition.eof", "true"},
        {"fetch.wait.max.ms", "10"},
        {"auto.offset.reset", strict ? "error" : "largest"},
    };
    rd_kafka_conf_t *conf = make_conf(defaults, sizeof defaults / sizeof defaults[0], props,
                                      nprops, err, errlen);
    if (!conf)
        return NULL;
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, errlen);
    if (!rk)
        rd_kafka_conf_destroy(conf);
    return rk;
}

static rd_kafka_t *plain_consumer(const pv_kv_t *props, size_t nprops, char *err, size_t errlen)
{
    return reader_consumer(props, nprops, 0, err, errlen);
}

int pv_kafka_watermarks(const pv_kv_t *props, size_t nprops, const char *topic, int32_t partition,
                        int64_t *low, int64_t *high, char *err, size_t errlen)
{
    rd_kafka_t *rk = plain_consumer(props, nprops, err, errlen);
    if (!rk)
        return -1;
    rd_kafka_resp_err_t e = rd_kafka_query_watermark_offsets(rk, topic, partition, low, high, 5000);
    if (e)
        snprintf(err, errlen, "watermarks of %s [%d]: %s", topic, partition, rd_kafka_err2str(e));
    rd_kafka_destroy(rk);
    return e ? -1 : 0;
}

static int read_until(rd_kafka_t *rk, int64_t high, pv_partition_cb cb, void *ctx, char *err,
                      size_t errlen)
{
    int rc = 0;
    for (int64_t next = 0; next < high && rc == 0;) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 1000);
        if (!m)
            continue;
        if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
            next = m->offset;
        } else if (m->err) {
            snprintf(err, errlen, "reading: %s", rd_kafka_message_errstr(m));
            rc = pv_kafka_error_class(m->err) == PV_KAFKA_RETRIABLE ? 0 : -1;
        } else {
            pv_kafka_msg_t msg;
            fill_msg(m, &msg);
            next = m->offset + 1;
            if (m->offset < high)
                rc = cb(ctx, &msg);
        }
        rd_kafka_message_destroy(m);
    }
    return rc;
}

int pv_partition_read_from(const pv_kv_t *props, size_t nprops, const char *topic,
                           int32_t partition, int64_t from, int64_t *end_out, pv_partition_cb cb,
                           void *ctx, char *err, size_t errlen)
{
    int64_t low, high;
    rd_kafka_t *rk = plain_consumer(props, nprops, err, errlen);
    if (!rk)
        return -1;
    rd_kafka_resp_err_t e = rd_kafka_query_watermark_offsets(rk, topic, partition, &low, &high,
                                                             10000);
    int rc = -1;
    if (e) {
        snprintf(err, errlen, "watermarks of %s [%d]: %s", topic, partition, rd_kafka_err2str(e));
        goto out;
    }
    rc = 0;
    if (end_out)
        *end_out = high;
    if (from < low)
        from = low;
    if (high <= from)
        goto out;
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(l, topic, partition)->offset = from;
    rd_kafka_assign(rk, l);
    rd_kafka_topic_partition_list_destroy(l);
    rc = read_until(rk, high, cb, ctx, err, errlen);
out:
    rd_kafka_destroy(rk);
    return rc;
}

int pv_partition_read(const pv_kv_t *props, size_t nprops, const char *topic, int32_t partition,
                      pv_partition_cb cb, void *ctx, char *err, size_t errlen)
{
    return pv_partition_read_from(props, nprops, topic, partition, 0, NULL, cb, ctx, err, errlen);
}

struct pv_reader_s {
    rd_kafka_t *rk;
};

pv_reader_t *pv_reader_new(const pv_kv_t *props, size_t nprops, const char *topic,
                           int32_t partition, int64_t offset, char *err, size_t errlen)
{
    pv_reader_t *r = calloc(1, sizeof *r);
    if (!r || !(r->rk = plain_consumer(props, nprops, err, errlen))) {
        free(r);
        return NULL;
    }
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(l, topic, partition)->offset =
        offset == -2 ? RD_KAFKA_OFFSET_BEGINNING : offset == -1 ? RD_KAFKA_OFFSET_END : offset;
    rd_kafka_assign(r->rk, l);
    rd_kafka_topic_partition_list_destroy(l);
    return r;
}

int pv_reader_poll(pv_reader_t *r, int timeout_ms, pv_kafka_msg_t *msg)
{
    rd_kafka_message_t *m = rd_kafka_consumer_poll(r->rk, timeout_ms);
    if (!m)
        return 0;
    if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
        rd_kafka_message_destroy(m);
        return 0;
    }
    fill_msg(m, msg);
    return 1;
}

void pv_reader_free(pv_reader_t *r)
{
    if (!r)
        return;
    rd_kafka_destroy(r->rk);
    free(r);
}

int32_t pv_kafka_partition_for_key(const void *key, size_t key_len, int32_t partitions)
{
    return rd_kafka_msg_partitioner_consistent_random(NULL, key, key_len, partitions, NULL, NULL);
}

/* ---- many partitions, one client ---- */

typedef struct ranges_s {
    pv_range_t *r;
    size_t n, left, last; /* last: the range of the previous message (messages come in runs) */
    int64_t *next;        /* per range: the next offset expected */
    char *finished;
} ranges_t;

/* One bound (RD_KAFKA_OFFSET_BEGINNING: low, _END: high) of every range, in one ListOffsets
 * request per leader. */
static int query_bound(rd_kafka_t *rk, const pv_range_t *r, size_t n, int64_t which, int64_t *out,
                       char *err, size_t errlen)
{
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new((int)n);
    for (size_t i = 0; i < n; i++)
        rd_kafka_topic_partition_list_add(l, r[i].topic, r[i].partition)->offset = which;
    rd_kafka_resp_err_t e = rd_kafka_offsets_for_times(rk, l, 10000);
    if (e)
        snprintf(err, errlen, "watermarks of %s [%d] and %zu other partitions: %s", r[0].topic,
                 r[0].partition, n - 1, rd_kafka_err2str(e));
    for (size_t i = 0; i < n && !e; i++) {
        rd_kafka_topic_partition_t *tp = &l->elems[i];
        if (tp->err || tp->offset < 0) {
            e = tp->err ? tp->err : RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION;
            snprintf(err, errlen, "watermarks of %s [%d]: %s", tp->topic, tp->partition,
                     rd_kafka_err2str(e));
        } else {
            out[i] = tp->offset;
        }
    }
    rd_kafka_topic_partition_list_destroy(l);
    return e ? -1 : 0;
}

static void range_finish(ranges_t *rs, size_t i)
{
    if (rs->finished[i])
        return;
    rs->finished[i] = 1;
    rs->left--;
    if (rs->r[i].done)
        rs->r[i].done(rs->r[i].ctx, &rs->r[i]);
}

/* The range a message belongs to: the previous one's, usually. */
static ssize_t range_of(ranges_t *rs, const rd_kafka_message_t *m)
{
    const char *topic = rd_kafka_topic_name(m->rkt);
    for (size_t k = 0; k < rs->n; k++) {
        size_t i = (rs->last + k) % rs->n;
        if (rs->r[i].partition == m->partition && strcmp(rs->r[i].topic, topic) == 0)
            return (ssize_t)(rs->last = i);
    }
    return -1;
}

/* One message or event of the read: 0 to go on, -1 on a non-retriable error (err filled). */
static int range_message(ranges_t *rs, rd_kafka_message_t *m, char *err, size_t errlen)
{
    ssize_t i = m->rkt ? range_of(rs, m) : -1;
    if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
        if (i >= 0 && m->offset > rs->next[i])
            rs->next[i] = m->offset;
    } else if (m->err) {
        snprintf(err, errlen, "reading %s [%d]: %s", m->rkt ? rd_kafka_topic_name(m->rkt) : "",
                 m->partition, rd_kafka_message_errstr(m));
        return pv_kafka_error_class(m->err) == PV_KAFKA_RETRIABLE ? 0 : -1;
    } else if (i >= 0 && !rs->finished[i]) {
        pv_kafka_msg_t msg;
        fill_msg(m, &msg);
        rs->next[i] = m->offset + 1;
        if (m->offset < rs->r[i].end)
            rs->r[i].rc = rs->r[i].cb(rs->r[i].ctx, &msg);
    }
    if (i >= 0 && (rs->next[i] >= rs->r[i].end || rs->r[i].rc))
        range_finish(rs, (size_t)i);
    return 0;
}

/* Assigns every unfinished range at its start offset and reads until all are finished. */
static int read_ranges(rd_kafka_t *rk, ranges_t *rs, char *err, size_t errlen)
{
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new((int)rs->n);
    for (size_t i = 0; i < rs->n; i++)
        if (!rs->finished[i])
            rd_kafka_topic_partition_list_add(l, rs->r[i].topic, rs->r[i].partition)->offset =
                rs->next[i];
    rd_kafka_resp_err_t e = l->cnt ? rd_kafka_assign(rk, l) : RD_KAFKA_RESP_ERR_NO_ERROR;
    rd_kafka_topic_partition_list_destroy(l);
    if (e) {
        snprintf(err, errlen, "assigning %zu partitions: %s", rs->left, rd_kafka_err2str(e));
        return -1;
    }
    int rc = 0;
    while (rs->left > 0 && rc == 0) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 1000);
        if (m) {
            rc = range_message(rs, m, err, errlen);
            rd_kafka_message_destroy(m);
        }
    }
    return rc;
}

int pv_ranges_read(const pv_kv_t *props, size_t nprops, pv_range_t *r, size_t n, char *err,
                   size_t errlen)
{
    ranges_t rs = {.r = r, .n = n, .left = n};
    int64_t *low = calloc(n ? n : 1, sizeof *low);
    rs.next = calloc(n ? n : 1, sizeof *rs.next);
    rs.finished = calloc(n ? n : 1, 1);
    rd_kafka_t *rk = NULL;
    int rc = -1;
    if (!low || !rs.next || !rs.finished) {
        snprintf(err, errlen, "out of memory reading %zu partitions", n);
        goto out;
    }
    if (n == 0) {
        rc = 0;
        goto out;
    }
    if (!(rk = reader_consumer(props, nprops, 1, err, errlen)))
        goto out;
    for (size_t i = 0; i < n; i++)
        r[i].rc = 0;
    if (query_bound(rk, r, n, RD_KAFKA_OFFSET_BEGINNING, low, err, errlen) != 0)
        goto out;
    for (size_t i = 0; i < n; i++) /* the high watermark lands in r[i].end */
        low[i] = low[i] > r[i].from ? low[i] : r[i].from;
    if (query_bound(rk, r, n, RD_KAFKA_OFFSET_END, rs.next, err, errlen) != 0)
        goto out;
    for (size_t i = 0; i < n; i++) {
        r[i].end = rs.next[i];
        rs.next[i] = low[i];
    }
    for (size_t i = 0; i < n; i++)
        if (rs.next[i] >= r[i].end)
            range_finish(&rs, i);
    rc = read_ranges(rk, &rs, err, errlen);
out:
    if (rk)
        rd_kafka_destroy(rk);
    free(low);
    free(rs.next);
    free(rs.finished);
    return rc;
}
