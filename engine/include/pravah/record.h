/* Journal records and their two hash chains. The byte layout is published in docs/JOURNAL.md.
 *
 * A record on the journal topic is a msgpack array of 5 elements:
 *   [ body: bin, hash: bin(32), pseq: uint, pprev: bin(32), phash: bin(32) ]
 * where `body` holds the msgpack encoding of the record body (a 23-element array, see
 * PV_RECORD_BODY_FIELDS and docs/JOURNAL.md), whose last element is the previous record's `hash`
 * of the same case (32 zero bytes for the first), and
 *   hash  = SHA-256(body)                                   -- the case chain
 *   phash = SHA-256(pprev || hash || uint64_be(pseq))       -- the partition chain
 * The partition chain links every record of one journal partition in order, so removing a whole
 * case, or reordering, breaks it; removing the newest records shows against a published head.
 *
 * Ownership: a decoded record's strings and bytes live in the arena given to the decoder. A record
 * built by the engine borrows from the arena given to the engine call. */
#ifndef PRAVAH_RECORD_H
#define PRAVAH_RECORD_H

#include <stddef.h>
#include <stdint.h>

#include "pravah/arena.h"
#include "pravah/buf.h"
#include "pravah/common.h"

#define PV_RECORD_FORMAT 1
#define PV_RECORD_BODY_FIELDS 23
#define PV_HASH_LEN 32

/* What produced a record: an accepted event, or a timer of Pravah's own clock. */
typedef enum {
    PV_KIND_EVENT = 0,  /* "event" */
    PV_KIND_REMINDER,   /* "sla.reminder": a due date is near */
    PV_KIND_BREACHED,   /* "sla.breached": a deadline passed */
    PV_KIND_ESCALATED   /* "sla.escalated": a breach moved up the escalation ladder */
} pv_record_kind_t;

const char *pv_record_kind_name(pv_record_kind_t kind);
int pv_record_kind_parse(const char *name, pv_record_kind_t *out);

typedef struct pv_record_s {
    /* body, in encoding order */
    uint32_t format;           /* 0: PV_RECORD_FORMAT */
    const char *case_id;       /* 1 */
    uint64_t seq;              /* 2: per-case sequence number, from 1 */
    const char *case_type;     /* 3: definition name, e.g. "works" */
    uint32_t def_version;      /* 4 */
    pv_record_kind_t kind;     /* 5: encoded as its name */
    const char *event_id;      /* 6: ce_id; for timer records "<case_id>#<seq>" */
    const char *event_type;    /* 7: ce_type; for timer records the kind name */
    const char *source;        /* 8: ce_source; "pravah" for timer records */
    const char *actor;         /* 9: officer/citizen id; "" for timer records */
    const char *actor_post;    /* 10: post the actor held when accepted ("" for citizens/timers) */
    const char *actor_role;    /* 11: role of that post ("citizen" for citizens) */
    const char *event_time;    /* 12: ce_time as the portal claimed it (informational) */
    pv_time_t accepted_at;     /* 13: Pravah's clock when accepted, ms since epoch */
    const char *prev_state;    /* 14: "" for the record that creates the case */
    const char *new_state;     /* 15 */
    const char *assignee;      /* 16: post id the case is pending with, "" when none */
    pv_time_t deadline;        /* 17: due time of the current state, 0 when none */
    uint32_t alert_level;      /* 18: escalation level for timer records, 0 otherwise */
    const char *alert_target;  /* 19: post alerted by a timer record, "" otherwise */
    const uint8_t *data;       /* 20: the event's data (canonical msgpack map; redacted) */
    size_t data_len;
    const char *office;        /* 21: office the case belongs to */
    uint8_t prev_hash[PV_HASH_LEN]; /* 22: hash of the case's previous record, zeros if none */

    /* seal */
    uint8_t hash[PV_HASH_LEN];
    /* partition link */
    uint64_t pseq; /* position in the journal partition, from 1 */
    uint8_t pprev[PV_HASH_LEN];
    uint8_t phash[PV_HASH_LEN];

    /* Added for verification (not part of the encoding): the body bytes exactly as received.
     * pv_record_decode points them at its copy in the arena; pv_record_verify_seal hashes them,
     * never a re-encoding. NULL (zero-initialise records built in memory) means "encode the
     * fields"; pv_record_seal resets them to NULL because the fields become authoritative. */
    const uint8_t *body;
    size_t body_len;
} pv_record_t;

/* The head of a partition chain. Starts zeroed (pseq 0, hash zeros). */
typedef struct pv_chain_s {
    uint64_t pseq;
    uint8_t head[PV_HASH_LEN];
} pv_chain_t;

/* Encodes the body of r into out (appends). NULL strings encode as "", NULL data as an empty map.
 * Returns 0, PV_ENOMEM, or PV_EINVAL when format != PV_RECORD_FORMAT, case_id is empty, kind is
 * out of range, a string is not UTF-8, or data is not exactly one msgpack map; on failure out
 * keeps its old length. */
int pv_record_encode_body(const pv_record_t *r, pv_buf_t *out);
/* Computes r->hash from the body (r->prev_hash must be set) and resets r->body. Returns as
 * pv_record_encode_body(). */
int pv_record_seal(pv_record_t *r);
/* Like pv_record_seal, but keeps the packed body in the arena (r->body), so that
 * pv_record_encode writes those bytes instead of packing the fields again. The fields must not
 * change afterwards. Returns as pv_record_encode_body(), or PV_ENOMEM. */
int pv_record_seal_into(pv_record_t *r, pv_arena_t *arena);
/* Sets r->pseq, r->pprev, r->phash from the chain head and advances the chain. r must be sealed. */
void pv_record_link(pv_record_t *r, pv_chain_t *chain);
/* Encodes the full 5-element wire record (appends). r must be sealed and linked (not checked).
 * When r->body is set (a decoded record, or pv_record_seal_into) those bytes are written as the
 * body as they are.
 * Returns as pv_record_encode_body(), or PV_ERANGE for a body over 4 GiB. */
int pv_record_encode(const pv_record_t *r, pv_buf_t *out);

/* 0 when p[0..len) is exactly one complete msgpack map whose maps and arrays claim no more
 * members than its bytes can hold; PV_EFORMAT otherwise. msgpack-c allocates for a container's
 * claimed count before reading it (a map claiming 2^31 members in 7 bytes asks for 128 GB), so
 * bytes from outside are checked with this before msgpack_unpack_next. Any thread. */
int pv_msgpack_check_map(const void *p, size_t len);

/* Decodes a wire record. Checks the structure, not the chains: exact element counts and types,
 * shortest msgpack forms, 32-byte hashes, format 1, known kind, UTF-8 strings without NUL,
 * non-empty case_id, no trailing bytes. Returns 0, PV_ENOMEM, or PV_EFORMAT with a message in err
 * (e.g. "body[13] accepted_at: expected integer, got str"); *out is untouched on failure.
 * out->body and out->data point into a copy of the body in the arena. */
int pv_record_decode(const void *bytes, size_t len, pv_arena_t *arena, pv_record_t *out,
                     char *err, size_t errlen);

/* Checks r->hash == SHA-256(body) and r->phash == SHA-256(pprev || hash || be64(pseq)), hashing
 * r->body as received (or the encoding of the fields when r->body is NULL). Returns 0,
 * PV_EINTEGRITY with a message in err, or an encoding error when r->body is NULL. */
int pv_record_verify_seal(const pv_record_t *r, char *err, size_t errlen);

/* phash = SHA-256(pprev || hash || uint64_be(pseq)), the partition chain's link formula. */
void pv_record_partition_hash(const uint8_t pprev[PV_HASH_LEN], const uint8_t hash[PV_HASH_LEN],
                              uint64_t pseq, uint8_t out[PV_HASH_LEN]);

/* SHA-256 of len bytes. */
void pv_sha256(const void *p, size_t len, uint8_t out[PV_HASH_LEN]);
/* Lower-case hex of a hash into out[65]. */
void pv_hash_hex(const uint8_t h[PV_HASH_LEN], char out[2 * PV_HASH_LEN + 1]);

#endif
