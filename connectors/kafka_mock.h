/* The embedded development broker: librdkafka's Kafka-protocol mock cluster, hosted in this
 * process.
 *
 * Ephemeral by design (docs/BROKER.md): it listens on new random loopback ports at each start,
 * keeps everything in memory, and silently drops the oldest data of a partition beyond about
 * 5 MiB or 100,000 batches. pv_kafka_mock_check_watermarks() is how a host notices that drop.
 * Its Admin API does not work, so topics are created here, from the host.
 *
 * Ownership: pv_kafka_mock_new returns a heap object freed with pv_kafka_mock_free, which stops
 * the brokers. Strings it returns live as long as the mock. Topic names are copied.
 * Threads: the brokers run on librdkafka's own threads. Create topics before anything else; after
 * that, pv_kafka_mock_check_watermarks may run on one thread (it blocks on network round trips)
 * while another calls the fault-injection functions, which only post to the mock's thread.
 * The log callback runs on librdkafka's threads. */
#ifndef PRAVAH_KAFKA_MOCK_H
#define PRAVAH_KAFKA_MOCK_H

#include <stddef.h>
#include <stdint.h>

typedef struct pv_kafka_mock_s pv_kafka_mock_t;

/* librdkafka's own log lines (syslog levels 0-7). May run on any librdkafka thread. */
typedef void (*pv_kafka_mock_log_cb)(void *ctx, int level, const char *facility,
                                     const char *message);

/* Starts nbrokers brokers (ids 1..nbrokers) on loopback. log_cb may be NULL (lines dropped).
 * Returns NULL with err filled on failure. */
pv_kafka_mock_t *pv_kafka_mock_new(int nbrokers, pv_kafka_mock_log_cb log_cb, void *log_ctx,
                                   char *err, size_t errlen);
/* Stops the brokers; every client connected to them sees its connections close. */
void pv_kafka_mock_free(pv_kafka_mock_t *m);

/* "127.0.0.1:PORT,127.0.0.1:PORT,...": the bootstrap.servers value for clients. */
const char *pv_kafka_mock_bootstraps(const pv_kafka_mock_t *m);
int pv_kafka_mock_broker_count(const pv_kafka_mock_t *m);

/* Creates a topic replicated on min(3, brokers) brokers and remembers it for the watermark check.
 * Returns 0, PV_EEXIST if the mock already has it, or PV_EINVAL with err filled. */
int pv_kafka_mock_topic_create(pv_kafka_mock_t *m, const char *topic, int partitions, char *err,
                               size_t errlen);

/* Called once per partition, the first time its low watermark is above 0 (data dropped). */
typedef void (*pv_kafka_mock_dropped_cb)(void *ctx, const char *topic, int32_t partition,
                                         int64_t low, int64_t high);
/* Queries the low watermark of every partition of every topic created above (a ListOffsets round
 * trip each, over loopback) and calls cb for partitions that dropped data since the last check.
 * Returns the number of partitions that have dropped data so far, or PV_EINVAL with err filled when
 * a query failed (the check continues with the other partitions). Blocks up to timeout_ms per
 * query. */
int pv_kafka_mock_check_watermarks(pv_kafka_mock_t *m, int timeout_ms, pv_kafka_mock_dropped_cb cb,
                                   void *ctx, char *err, size_t errlen);

/* Called once per topic the mock created by itself. */
typedef void (*pv_kafka_mock_topic_cb)(void *ctx, const char *topic, int partitions);
/* The mock creates any topic a client merely names (4 partitions), whatever the client's
 * allow.auto.create.topics says, so a typo in a topic name fails silently. This finds such topics
 * (a metadata round trip), calls cb once for each, and adds them to the watermark check.
 * Returns how many were new, or PV_EINVAL with err filled. Same thread rules as the check. */
int pv_kafka_mock_adopt_topics(pv_kafka_mock_t *m, int timeout_ms, pv_kafka_mock_topic_cb cb,
                               void *ctx, char *err, size_t errlen);

/* ---- fault injection (librdkafka's tests/0105-transactions_mock.c does the same) ---- */

/* Takes broker `id` down (its connections close, new ones are refused) or brings it back. */
int pv_kafka_mock_broker_down(pv_kafka_mock_t *m, int32_t id);
int pv_kafka_mock_broker_up(pv_kafka_mock_t *m, int32_t id);
/* Delays every response of broker `id` by rtt_ms (0 = none). */
int pv_kafka_mock_broker_rtt(pv_kafka_mock_t *m, int32_t id, int rtt_ms);
/* The next `count` requests of type api_key (any broker) fail with Kafka error code `error`. */
int pv_kafka_mock_push_errors(pv_kafka_mock_t *m, int16_t api_key, size_t count, int error);
/* Forgets errors pushed for api_key that have not fired yet. */
int pv_kafka_mock_clear_errors(pv_kafka_mock_t *m, int16_t api_key);

/* Kafka protocol names, for control channels and test scripts. Both accept a decimal number too.
 * pv_kafka_mock_api_key("Produce") = 0; pv_kafka_mock_error_code("NOT_LEADER_FOR_PARTITION") = 6
 * (librdkafka's names, without the "RD_KAFKA_RESP_ERR_" prefix). Return -1 for unknown names. */
int pv_kafka_mock_api_key(const char *name);
int pv_kafka_mock_error_code(const char *name);

#endif
