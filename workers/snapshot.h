/* Snapshots on Kafka: how the advancer writes a partition's snapshot (pravah/snapshot.h bytes)
 * to the snapshots topic and finds the latest complete one again (docs/ADVANCER.md "Snapshots").
 *
 * A snapshot is split into chunks of at most PV_SNAPSHOT_CHUNK bytes, one message each, keyed by
 * the partition number, with headers pravah-snapshot-id (unique per snapshot) and
 * pravah-snapshot-chunk ("i/n"). A reader keeps the last snapshot whose n chunks it saw in order.
 *
 * Ownership: the caller owns every buffer; nothing is kept between calls. Runs on the caller's
 * thread. */
#ifndef PRAVAH_WORKERS_SNAPSHOT_H
#define PRAVAH_WORKERS_SNAPSHOT_H

#include "kafka.h"
#include "pravah/buf.h"

#define PV_SNAPSHOT_CHUNK (1024 * 1024) /* under the producer's message.max.bytes (4 MB) */

/* Sends one chunk message: key, value and headers are borrowed for the call. Returns 0 or an
 * error, which stops pv_snapshot_topic_send. */
typedef int (*pv_snapshot_send_fn)(void *ctx, const char *key, const void *value, size_t len,
                                   const pv_header_t *headers, size_t nheaders);

/* Splits the snapshot p (len bytes) of `partition` into chunk messages named `id`. */
int pv_snapshot_topic_send(const char *id, int32_t partition, const uint8_t *p, size_t len,
                           pv_snapshot_send_fn send, void *ctx);

/* Reassembly of the latest complete snapshot of one partition from its chunk messages, fed in
 * offset order (pv_snapshot_assembly_cb is a pv_partition_cb, so many partitions can be read
 * with one pv_ranges_read, one assembly each). The assembly borrows *out until closed. */
typedef struct pv_snapshot_assembly_s {
    pv_buf_t cur, *best;
    char id[128];
    size_t next, total; /* next chunk expected in cur, of total */
} pv_snapshot_assembly_t;

/* Starts an assembly into *out (reset: out->len 0 until a complete snapshot is seen). */
void pv_snapshot_assembly_init(pv_snapshot_assembly_t *a, pv_buf_t *out);
/* Takes one message of the snapshots partition: messages that are not chunks and chunks of an
 * interrupted snapshot are ignored. Returns 0, or 1 when out of memory (stops the read). */
int pv_snapshot_assembly_cb(void *ctx, const pv_kafka_msg_t *msg);
/* Frees the assembly's own buffer (not *out). */
void pv_snapshot_assembly_close(pv_snapshot_assembly_t *a);

/* Reads partition `partition` of the snapshots topic in full and leaves in *out the bytes of the
 * latest complete snapshot (out->len 0: none). Returns 0, or -1 with err filled (read failed). */
int pv_snapshot_topic_latest(const pv_kv_t *props, size_t nprops, const char *topic,
                             int32_t partition, pv_buf_t *out, char *err, size_t errlen);

#endif
