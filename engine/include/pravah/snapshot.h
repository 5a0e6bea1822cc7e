/* Snapshots of a partition's store: the cases, their timers (re-armed from each case's
 * next_timer) and the partition chain, at one position of the journal partition. A snapshot only
 * speeds up a rebuild; it is never trusted over the journal (docs/ADVANCER.md "Snapshots"): the
 * reader uses it only if the journal record at journal_next - 1 is the record its chain names.
 *
 * Format, version 1 (all integers little-endian; docs/ADVANCER.md has the table):
 *   header  "PVSS", u16 version, u16 0, i32 partition, u32 ncases, i64 journal_next,
 *           i64 intake_next, u64 pseq, head[32]                                  (72 bytes)
 *   cases   ncases x case (see snapshot.c: encode_case)
 *   trailer SHA-256 of everything before it                                     (32 bytes)
 * Pure: bytes in, bytes out; no clock, no I/O.
 *
 * Ownership: encode appends to the caller's buffer; decode fills a store the caller owns and
 * borrows the engine for definitions (a snapshot naming a definition version that is not loaded
 * does not decode). */
#ifndef PRAVAH_SNAPSHOT_H
#define PRAVAH_SNAPSHOT_H

#include "pravah/store.h"

#define PV_SNAPSHOT_VERSION 1
#define PV_SNAPSHOT_HEADER_LEN 72

typedef struct pv_snapshot_info_s {
    int32_t partition;
    uint32_t ncases;
    int64_t journal_next; /* journal offset of the first record the snapshot does not cover */
    int64_t intake_next;  /* the intake position when it was taken: every intake offset a
                           * covered record answers is below it. Used only if the group's
                           * committed offset is at or past it (docs/ADVANCER.md) */
    pv_chain_t chain;     /* pseq and phash of the last covered record (pseq 0: empty) */
} pv_snapshot_info_t;

/* Appends the snapshot of st (every case, and st's chain, which must be info->chain) to out.
 * info->ncases is ignored (the store's count is written). Returns 0 or PV_ENOMEM. */
int pv_snapshot_encode(const pv_store_t *st, const pv_snapshot_info_t *info, pv_buf_t *out);

/* Sets journal_next in an encoded snapshot (known only once its last record is acknowledged) and
 * recomputes the trailer. Returns 0, or PV_EFORMAT if p is not a snapshot. */
int pv_snapshot_set_journal_next(uint8_t *p, size_t len, int64_t journal_next);

/* Reads the header only (cheap: the caller can check the position first). Returns 0, or
 * PV_EFORMAT with the reason in err (bad magic, unknown version, too short). */
int pv_snapshot_info(const void *p, size_t len, pv_snapshot_info_t *info, char *err,
                     size_t errlen);

/* Decodes a whole snapshot into st, which must be empty: checks the trailer hash first, then
 * every case (known definition and state, bounded strings), restores them with their timers and
 * sets the chain. Returns 0, or PV_EFORMAT / PV_EINTEGRITY / PV_ENOMEM with the reason in err; on
 * failure st holds part of the cases and must be freed. */
int pv_snapshot_decode(const void *p, size_t len, const pv_engine_t *eng, pv_store_t *st,
                       pv_snapshot_info_t *info, char *err, size_t errlen);

#endif
