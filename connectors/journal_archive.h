/* Audit archives written by `pravah audit export` (docs/AUDIT.md, "The archive"): the journal's
 * records as they are on the topic, an index and a closing digest, in one portable file.
 *
 * The file is a POSIX pax tar (libarchive) readable by `tar` and Python's tarfile, members in
 * this order:
 *   MANIFEST.json           format, creation time, topic, filter, per-partition offsets, counts
 *                           and heads (JSON)
 *   partitions/NNNNN.rec    one per partition: frames (below), in offset order
 *   INDEX.jsonl             one JSON line per case: partition, record count, offsets
 *   DIGEST                  last: the partition heads, the SHA-256 of every member, and the root
 *                           digest (SHA-256 of the DIGEST text before its `root` line)
 * A frame is u32be length, then 'R' (a record as on the topic: offset, timestamp, key, headers,
 * value) or 'S' (a chain stub of a record left out by a filter: offset, pseq, hash, pprev,
 * phash), big-endian integers throughout; docs/AUDIT.md gives the bytes.
 *
 * Ownership: records and stubs passed to callbacks live until the callback returns. A writer owns
 * its staging files and removes them; the archive appears at its path only when finished.
 * Threads: a writer or a read call belongs to one thread. */
#ifndef PRAVAH_JOURNAL_ARCHIVE_H
#define PRAVAH_JOURNAL_ARCHIVE_H

#include <stddef.h>
#include <stdint.h>

#include "kafka.h"
#include "pravah/record.h"

#define PV_ARCHIVE_VERSION 1

/* Calls cb for every record of the archive (one partition, or all when partition is -1), in
 * partition then offset order, with msg->partition/offset/key/value/headers as on the topic.
 * Chain stubs of filtered archives are skipped. Returns the number of partitions read, cb's
 * non-zero value if it stopped, or -1 with err filled (unreadable file, bad layout, digest
 * mismatch are all errors that name the place; a digest mismatch is only known at the end, after
 * the callbacks). */
int pv_archive_read(const char *path, int32_t partition, pv_partition_cb cb, void *ctx, char *err,
                    size_t errlen);

/* ---- reading with everything an auditor needs (pravah audit verify) ---- */

/* A record left out of a filtered export: its place in the partition chain, not its body. */
typedef struct pv_archive_stub_s {
    int32_t partition;
    int64_t offset;
    uint64_t pseq;
    uint8_t hash[PV_HASH_LEN], pprev[PV_HASH_LEN], phash[PV_HASH_LEN];
} pv_archive_stub_t;

/* A partition head as the DIGEST member states it. */
typedef struct pv_archive_head_s {
    int32_t partition;
    uint64_t pseq;
    uint8_t phash[PV_HASH_LEN];
} pv_archive_head_t;

/* What a scan found besides the records. Fill with pv_archive_scan, release with
 * pv_archive_info_close (owns heads, problems, index and partition_ids). */
typedef struct pv_archive_info_s {
    int skip_digests; /* input: set to 1 to skip hashing the members (a pass that only needs
                         the records; DIGEST is then not compared, root stays "") */
    int has_digest;   /* a DIGEST member was found, last */
    char root[2 * PV_HASH_LEN + 1]; /* root digest computed from DIGEST as read ("" if none) */
    pv_archive_head_t *heads;       /* from DIGEST, in its order */
    size_t nheads;
    char **problems; /* layout and member digest problems, each naming the member */
    size_t nproblems;
    char *index; /* INDEX.jsonl as read (NUL-terminated), or NULL */
    size_t index_len;
    uint64_t records, stubs; /* frames delivered */
    int partitions;          /* partition members read (of the partition asked for) */
    int32_t *partition_ids;  /* their numbers, in archive order */
} pv_archive_info_t;

typedef int (*pv_archive_stub_cb)(void *ctx, const pv_archive_stub_t *stub);

/* Reads the whole archive: record_cb for each record and stub_cb (may be NULL) for each stub of
 * the partition asked for (-1: all), in archive order; checks every member against DIGEST and
 * collects what does not fit in info->problems rather than failing. Returns 0 (also when there
 * are problems), a callback's non-zero value, or -1 with err filled when the file cannot be read
 * as a tar at all. info must be zeroed; close it in every case. */
int pv_archive_scan(const char *path, int32_t partition, pv_partition_cb record_cb,
                    pv_archive_stub_cb stub_cb, void *ctx, pv_archive_info_t *info, char *err,
                    size_t errlen);
void pv_archive_info_close(pv_archive_info_t *info);

/* ---- writing (pravah audit export, benchmarks) ---- */

typedef struct pv_archive_writer_s pv_archive_writer_t;

/* Starts an archive that will appear at `path` when finished; refuses (NULL, err) when path
 * exists. `topic` and `filter_json` (a JSON object describing the filter, "{}" for none) go into
 * MANIFEST.json; both are copied. Staging files live beside path until finish or free. */
pv_archive_writer_t *pv_archive_writer_new(const char *path, const char *topic,
                                           const char *filter_json, char *err, size_t errlen);
/* Opens the member of `partition`; partitions are added in ascending order, each once, also when
 * empty (its head is then pseq 0). Returns 0 or PV_EINVAL with err filled. */
int pv_archive_writer_partition(pv_archive_writer_t *w, int32_t partition, char *err,
                                size_t errlen);
/* Adds msg as it is on the topic to the open partition. rec is its decoded record (for the index
 * and the head), or NULL when it does not decode (kept all the same: the auditor must see it).
 * Returns 0 or a PV_E* code with err filled (write error). */
int pv_archive_writer_add(pv_archive_writer_t *w, const pv_kafka_msg_t *msg, const pv_record_t *rec,
                          char *err, size_t errlen);
/* Adds a chain stub for a record the filter leaves out (rec decoded from msg). */
int pv_archive_writer_add_stub(pv_archive_writer_t *w, const pv_kafka_msg_t *msg,
                               const pv_record_t *rec, char *err, size_t errlen);
/* Writes the tar (manifest, partitions, index, digest), syncs it and links it at path (still
 * refusing an existing file). root receives the root digest in hex. Returns 0 or a PV_E* code
 * with err filled. The writer must still be freed. */
int pv_archive_writer_finish(pv_archive_writer_t *w, char root[2 * PV_HASH_LEN + 1], char *err,
                             size_t errlen);
/* Frees the writer, removing its staging files (and nothing at path unless it finished). */
void pv_archive_writer_free(pv_archive_writer_t *w);

#endif
