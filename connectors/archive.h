/* Audit archives written by `pravah audit export` (docs/AUDIT.md): the journal's records as they
 * are on the topic, an index and a closing digest, in one portable file.
 *
 * Ownership: records passed to callbacks live until the callback returns. */
#ifndef PRAVAH_ARCHIVE_H
#define PRAVAH_ARCHIVE_H

#include <stddef.h>
#include <stdint.h>

#include "kafka.h"

/* Calls cb for every record of the archive (one partition, or all when partition is -1), in
 * partition then offset order, with msg->partition/offset/key/value/headers as on the topic.
 * Returns the number of partitions read, cb's non-zero value if it stopped, or -1 with err
 * filled (unreadable file, bad layout, digest mismatch are all errors that name the place). */
int pv_archive_read(const char *path, int32_t partition, pv_partition_cb cb, void *ctx, char *err,
                    size_t errlen);

#endif
