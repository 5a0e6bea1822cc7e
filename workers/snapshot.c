/* Snapshots on Kafka (snapshot.h): chunking on write, reassembly on read. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "snapshot.h"

int pv_snapshot_topic_send(const char *id, int32_t partition, const uint8_t *p, size_t len,
                           pv_snapshot_send_fn send, void *ctx)
{
    char key[16], chunk[48];
    size_t n = (len + PV_SNAPSHOT_CHUNK - 1) / PV_SNAPSHOT_CHUNK;
    snprintf(key, sizeof key, "%d", partition);
    for (size_t i = 0; i < n; i++) {
        size_t off = i * PV_SNAPSHOT_CHUNK, part = len - off < PV_SNAPSHOT_CHUNK ? len - off
                                                                             : PV_SNAPSHOT_CHUNK;
        snprintf(chunk, sizeof chunk, "%zu/%zu", i, n);
        pv_header_t h[3] = {
            {"content-type", "application/vnd.pravah.snapshot", 31},
            {"pravah-snapshot-id", id, strlen(id)},
            {"pravah-snapshot-chunk", chunk, strlen(chunk)},
        };
        int rc = send(ctx, key, p + off, part, h, 3);
        if (rc)
            return rc;
    }
    return 0;
}

/* Copies header `key` into out as a string; 0 if absent or too long. */
static int header_str(const pv_kafka_msg_t *m, const char *key, char *out, size_t cap)
{
    for (size_t i = 0; i < m->nheaders; i++)
        if (strcmp(m->headers[i].key, key) == 0 && m->headers[i].value_len < cap) {
            memcpy(out, m->headers[i].value, m->headers[i].value_len);
            out[m->headers[i].value_len] = '\0';
            return 1;
        }
    return 0;
}

void pv_snapshot_assembly_init(pv_snapshot_assembly_t *a, pv_buf_t *out)
{
    memset(a, 0, sizeof *a);
    a->best = out;
    pv_buf_init(&a->cur);
    pv_buf_reset(out);
}

void pv_snapshot_assembly_close(pv_snapshot_assembly_t *a)
{
    pv_buf_close(&a->cur);
}

int pv_snapshot_assembly_cb(void *ctx, const pv_kafka_msg_t *m)
{
    pv_snapshot_assembly_t *a = ctx;
    char id[128], chunk[48];
    size_t i, n;
    if (!header_str(m, "pravah-snapshot-id", id, sizeof id) ||
        !header_str(m, "pravah-snapshot-chunk", chunk, sizeof chunk) ||
        sscanf(chunk, "%zu/%zu", &i, &n) != 2 || i >= n)
        return 0; /* not a chunk: ignored */
    if (i == 0) {
        pv_buf_reset(&a->cur);
        snprintf(a->id, sizeof a->id, "%s", id);
        a->next = 0;
        a->total = n;
    }
    if (strcmp(id, a->id) != 0 || i != a->next || n != a->total)
        return 0; /* a chunk of an interrupted snapshot */
    if (pv_buf_append(&a->cur, m->value, m->value_len) != 0)
        return 1;
    if (++a->next == a->total) {
        pv_buf_t older = *a->best; /* the complete one becomes the best, without a copy */
        *a->best = a->cur;
        a->cur = older;
        pv_buf_reset(&a->cur);
        a->id[0] = '\0'; /* complete: the next snapshot starts at its chunk 0 */
    }
    return 0;
}

int pv_snapshot_topic_latest(const pv_kv_t *props, size_t nprops, const char *topic,
                             int32_t partition, pv_buf_t *out, char *err, size_t errlen)
{
    pv_snapshot_assembly_t a;
    pv_snapshot_assembly_init(&a, out);
    int rc = pv_partition_read(props, nprops, topic, partition, pv_snapshot_assembly_cb, &a, err,
                               errlen);
    if (rc > 0)
        snprintf(err, errlen, "out of memory assembling a snapshot of %s [%d]", topic, partition);
    pv_snapshot_assembly_close(&a);
    return rc ? -1 : 0;
}
