/* Reading the journal for the auditor's commands, from Kafka or from an archive. */
#include <stdio.h>
#include <string.h>

#include "journal_archive.h"
#include "audit.h"

static int read_kafka(const pv_audit_source_t *src, pv_partition_cb cb, void *ctx, char *err,
                      size_t errlen)
{
    pv_producer_t *meta = pv_producer_new(src->props, src->nprops, NULL, NULL, err, errlen);
    int n = meta ? pv_producer_partitions(meta, src->topic, 10000) : -1;
    pv_producer_free(meta);
    if (n <= 0) {
        if (meta)
            snprintf(err, errlen, "cannot read the partitions of %s: no metadata", src->topic);
        return -1;
    }
    if (src->partition >= n) {
        snprintf(err, errlen, "%s has %d partitions: there is no partition %d", src->topic, n,
                 src->partition);
        return -1;
    }
    int32_t lo = src->partition >= 0 ? src->partition : 0;
    int32_t hi = src->partition >= 0 ? src->partition : n - 1;
    for (int32_t p = lo; p <= hi; p++) {
        int rc = pv_partition_read(src->props, src->nprops, src->topic, p, cb, ctx, err, errlen);
        if (rc < 0)
            return -1;
        if (rc > 0)
            return rc;
    }
    return hi - lo + 1;
}

int pv_audit_read_journal(const pv_audit_source_t *src, pv_partition_cb cb, void *ctx, char *err,
                          size_t errlen)
{
    if (src->archive)
        return pv_archive_read(src->archive, src->partition, cb, ctx, err, errlen);
    return read_kafka(src, cb, ctx, err, errlen);
}
