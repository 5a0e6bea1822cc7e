/* Kafka, wrapped once (librdkafka). Nothing else in Pravah includes rdkafka.h.
 *
 * Configuration is a list of librdkafka properties (`kafka.*` keys of Pravah's config with the
 * prefix removed), so TLS/SASL clusters need no code. Errors are sorted in one place into
 * retriable, abort and fatal (pv_kafka_error_class).
 *
 * Ownership: producers and consumers are heap objects freed with their _free(). Messages returned
 * by pv_consumer_poll borrow librdkafka's buffers until pv_kafka_msg_release(). Header arrays
 * passed to pv_producer_send are copied by librdkafka before it returns.
 * Threads: every function of one producer or consumer must be called from one thread; callbacks
 * run on that thread inside _poll/_flush (librdkafka's rule for the application's poll thread). */
#ifndef PRAVAH_KAFKA_H
#define PRAVAH_KAFKA_H

#include <stddef.h>
#include <stdint.h>

#include "pravah/event.h"

#define PV_KAFKA_MAX_HEADERS 32

typedef struct pv_kv_s {
    const char *key, *value;
} pv_kv_t;

typedef enum {
    PV_KAFKA_OK = 0,
    PV_KAFKA_RETRIABLE, /* try again (back-pressure, leader change, timeout) */
    PV_KAFKA_ABORT,     /* give up this batch and rebuild from the journal */
    PV_KAFKA_FATAL      /* stop the process: configuration or fencing problem */
} pv_kafka_class_t;

typedef struct pv_kafka_msg_s {
    const char *topic;
    int32_t partition;
    int64_t offset;
    int64_t timestamp_ms;
    const void *key;
    size_t key_len;
    const void *value;
    size_t value_len;
    pv_header_t headers[PV_KAFKA_MAX_HEADERS];
    size_t nheaders;
    int err;             /* librdkafka error code, 0 = a message */
    const char *errstr;  /* when err != 0 */
    void *opaque;        /* the rd_kafka_message_t */
} pv_kafka_msg_t;

/* ---- producer ---- */

typedef struct pv_producer_s pv_producer_t;
/* Called once per message sent: err 0 when the broker acknowledged it. `opaque` as given to send. */
typedef void (*pv_delivery_cb)(void *ctx, void *opaque, int err, const char *errstr,
                               int32_t partition, int64_t offset);

/* Idempotent producer (enable.idempotence=true, acks=all) unless props override. */
pv_producer_t *pv_producer_new(const pv_kv_t *props, size_t nprops, pv_delivery_cb cb, void *ctx,
                               char *err, size_t errlen);
void pv_producer_free(pv_producer_t *p);
/* Queues one message. partition -1: by key (librdkafka's default consistent_random partitioner: CRC-32 of the key,
 * the same as Java clients). Returns 0, or a pv_kafka_class_t for the enqueue failure
 * (PV_KAFKA_RETRIABLE when the local queue is full: poll and retry). */
int pv_producer_send(pv_producer_t *p, const char *topic, int32_t partition, const void *key,
                     size_t key_len, const void *value, size_t value_len,
                     const pv_header_t *headers, size_t nheaders, void *opaque);
/* Serves delivery callbacks. */
void pv_producer_poll(pv_producer_t *p, int timeout_ms);
/* Waits until everything queued is delivered or timeout; returns 0 or -1 on timeout. */
int pv_producer_flush(pv_producer_t *p, int timeout_ms);
/* Partition count of a topic (metadata request), or a negative value on failure. */
int pv_producer_partitions(pv_producer_t *p, const char *topic, int timeout_ms);
/* The partition librdkafka's default partitioner (consistent_random: CRC-32 of the key modulo
 * the count) gives a non-empty key: where a case's intake events and journal records live. */
int32_t pv_kafka_partition_for_key(const void *key, size_t key_len, int32_t partitions);

/* ---- consumer (group member) ---- */

typedef struct pv_consumer_s pv_consumer_t;
/* Rebalance callbacks: the partitions of `topic` being assigned or revoked. On assignment, start
 * positions may be set with pv_consumer_seek_on_assign (else the committed offsets are used). */
typedef void (*pv_rebalance_cb)(void *ctx, pv_consumer_t *c, int assigned, const char *topic,
                                const int32_t *partitions, size_t n);

/* A group member subscribed to `topic`, offsets committed only by pv_consumer_commit
 * (enable.auto.commit=false), starting from the earliest offset when none is committed. */
pv_consumer_t *pv_consumer_new(const pv_kv_t *props, size_t nprops, const char *group,
                               const char *topic, pv_rebalance_cb cb, void *ctx, char *err,
                               size_t errlen);
void pv_consumer_free(pv_consumer_t *c);
/* Returns 1 with *msg filled, 0 on timeout; msg->err != 0 for consumer errors (still release). */
int pv_consumer_poll(pv_consumer_t *c, int timeout_ms, pv_kafka_msg_t *msg);
void pv_kafka_msg_release(pv_kafka_msg_t *msg);
/* Synchronously commits `next_offset` (the offset of the next message to read) for a partition. */
int pv_consumer_commit(pv_consumer_t *c, const char *topic, int32_t partition,
                       int64_t next_offset);
/* Commits several partitions of one topic in one synchronous request. */
int pv_consumer_commit_many(pv_consumer_t *c, const char *topic, const int32_t *partitions,
                            const int64_t *next_offsets, size_t n);
/* Commits several partitions of one topic without waiting for the answer (one request). The
 * result goes to the callback set with pv_consumer_on_commit, served inside pv_consumer_poll.
 * Returns 0 when the request was queued, else a librdkafka error code. */
int pv_consumer_commit_async(pv_consumer_t *c, const char *topic, const int32_t *partitions,
                             const int64_t *next_offsets, size_t n);
/* Result of a commit, err 0 on success (librdkafka error code otherwise). Runs on the polling
 * thread, inside pv_consumer_poll (or pv_consumer_close), for asynchronous and synchronous
 * commits alike. */
typedef void (*pv_commit_cb)(void *ctx, int err);
void pv_consumer_on_commit(pv_consumer_t *c, pv_commit_cb cb, void *ctx);
/* The group's committed offset of a partition (the next offset to read), or -1 when none. */
int64_t pv_consumer_committed(pv_consumer_t *c, const char *topic, int32_t partition);
/* The group's committed offsets of n partitions of topic in one request: offs[i] is the next
 * offset to read of partitions[i], or -1 when none. Returns 0, or a librdkafka error code (offs
 * untouched). */
int pv_consumer_committed_many(pv_consumer_t *c, const char *topic, const int32_t *partitions,
                               size_t n, int64_t *offs);
/* Pauses or resumes fetching one partition (back-pressure). */
int pv_consumer_pause(pv_consumer_t *c, const char *topic, int32_t partition, int pause);
/* Leaves the group cleanly (revoke callbacks run). */
void pv_consumer_close(pv_consumer_t *c);

/* The high watermark of a partition as last seen in fetch responses (no request); -1 if
 * unknown yet. Lag = this minus the application's own position. */
int64_t pv_consumer_high_watermark(pv_consumer_t *c, const char *topic, int32_t partition);

/* ---- reading one partition without a group (directory tail) ---- */

typedef struct pv_reader_s pv_reader_t;
/* Starts reading topic/partition at `offset` (or -2: the beginning, -1: the end). */
pv_reader_t *pv_reader_new(const pv_kv_t *props, size_t nprops, const char *topic,
                           int32_t partition, int64_t offset, char *err, size_t errlen);
/* Returns 1 with *msg (release it), 0 on timeout or end of partition. */
int pv_reader_poll(pv_reader_t *r, int timeout_ms, pv_kafka_msg_t *msg);
void pv_reader_free(pv_reader_t *r);

/* ---- reading a whole partition (rebuild, audit) ---- */

typedef int (*pv_partition_cb)(void *ctx, const pv_kafka_msg_t *msg);
/* Reads topic/partition from its low watermark up to the high watermark measured at the start,
 * calling cb for every message; stops early if cb returns non-zero (returned). Returns 0, or a
 * negative value with err filled. */
int pv_partition_read(const pv_kv_t *props, size_t nprops, const char *topic, int32_t partition,
                      pv_partition_cb cb, void *ctx, char *err, size_t errlen);
/* The same from offset `from` (clamped to the low watermark) up to the high watermark measured at
 * the start. *end_out (if not NULL) receives that high watermark. */
int pv_partition_read_from(const pv_kv_t *props, size_t nprops, const char *topic,
                           int32_t partition, int64_t from, int64_t *end_out, pv_partition_cb cb,
                           void *ctx, char *err, size_t errlen);
/* ---- reading many partitions with one client (rebuild on assignment) ---- */

/* One partition to read: [from, end) of topic/partition. The caller fills topic (borrowed for
 * the call), partition, from (clamped to the low watermark), cb, ctx and optionally done; the
 * read fills end and rc. */
typedef struct pv_range_s pv_range_t;
/* Called once per range when it is finished (reached end, or cb stopped it), on the caller's
 * thread, while the other ranges go on being fetched in librdkafka's threads. */
typedef void (*pv_range_done_cb)(void *ctx, pv_range_t *range);
struct pv_range_s {
    const char *topic;
    int32_t partition;
    int64_t from;
    pv_partition_cb cb;    /* every message of [from, end), in offset order */
    pv_range_done_cb done; /* NULL: none */
    void *ctx;             /* passed to cb and done */
    int64_t end;           /* out: the high watermark measured at the start */
    int rc;                /* out: the non-zero value cb returned, which ended this range; else 0 */
};
/* Reads every range (each topic/partition at most once) with ONE consumer: one connection set,
 * one watermark query per bound for all partitions, every partition assigned at once and fetched
 * in parallel by librdkafka, until each reaches the high watermark measured at the start.
 * Messages of different ranges interleave; within a range they come in order. A callback that
 * returns non-zero ends only its own range. A start offset that stopped existing during the read
 * (records dropped) fails the read rather than being skipped. Returns 0, or -1 with err filled
 * when the read itself failed (watermarks, a non-retriable fetch error). Runs on the caller's
 * thread; callbacks too. */
int pv_ranges_read(const pv_kv_t *props, size_t nprops, pv_range_t *ranges, size_t n, char *err,
                   size_t errlen);

/* Low and high watermarks of a partition. */
int pv_kafka_watermarks(const pv_kv_t *props, size_t nprops, const char *topic, int32_t partition,
                        int64_t *low, int64_t *high, char *err, size_t errlen);

/* The three classes of librdkafka errors (STYLE.md "Errors"). */
pv_kafka_class_t pv_kafka_error_class(int err);
const char *pv_kafka_err2str(int err);

#endif
