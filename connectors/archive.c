/* Audit archives: placeholder until the archive format lands (issue 5). */
#include <stdio.h>

#include "archive.h"

int pv_archive_read(const char *path, int32_t partition, pv_partition_cb cb, void *ctx, char *err,
                    size_t errlen)
{
    (void)partition, (void)cb, (void)ctx;
    snprintf(err, errlen, "%s: reading archives is not implemented yet", path);
    return -1;
}
