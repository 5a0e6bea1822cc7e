/* `pravah audit`: what an auditor runs (docs/AUDIT.md). One file per subcommand:
 * audit_verify.c, audit_export.c, audit_replay.c, audit_case.c; the journal is read through
 * audit_source.c from Kafka or from an archive (connectors/journal_archive.c) with the same callback.
 *
 * Ownership: a pv_audit_source_t only borrows its strings and properties. */
#ifndef PRAVAH_AUDIT_H
#define PRAVAH_AUDIT_H

#include <stddef.h>
#include <stdint.h>

#include "kafka.h"

/* Where the journal comes from: the archive file when `archive` is set, else Kafka. */
typedef struct pv_audit_source_s {
    const char *archive;  /* path of an archive written by `pravah audit export`, or NULL */
    const pv_kv_t *props; /* Kafka client properties (bootstrap...) when reading Kafka */
    size_t nprops;
    const char *topic;    /* the journal topic (default pravah.journal) */
    int32_t partition;    /* one partition, or -1 for all */
} pv_audit_source_t;

/* Calls cb for every record of the journal, partition by partition (ascending), each partition
 * in offset order; msg->partition and msg->offset are the record's position on the topic (also
 * when read from an archive). cb returns non-zero to stop (that value is returned). Returns the
 * number of partitions read (>= 1), or -1 with err filled. */
int pv_audit_read_journal(const pv_audit_source_t *src, pv_partition_cb cb, void *ctx, char *err,
                          size_t errlen);

int pv_audit_verify_main(int argc, char **argv);
int pv_audit_export_main(int argc, char **argv);
int pv_audit_replay_main(int argc, char **argv);
int pv_audit_case_main(int argc, char **argv);

#endif
