/* msgpack -> JSON text, deterministic: the same bytes always give the same text. Used for the
 * `data` column of pravah.staging_records (docs/PROJECTIONS.md, docs/PROJECTOR.md).
 *
 * Mapping:  nil -> null; bool -> true/false; integers -> decimal; float32/64 -> the shortest
 * decimal that reads back to the same double (NaN and infinities -> null, JSON has neither);
 * str -> a JSON string (", \ and control characters escaped, everything else as it is);
 * bin, ext, and a str that is not valid UTF-8 or holds a NUL (PostgreSQL's jsonb refuses
 * \u0000) -> standard base64 text (RFC 4648, padded); array -> [..]; map -> {..} with keys in the
 * order received, a non-str key written as the string of its JSON text (1 -> "1").
 * Nesting deeper than PV_MSGPACK_JSON_MAX_DEPTH is refused.
 *
 * Ownership: out is the caller's; nothing else is allocated. Any thread. */
#ifndef PRAVAH_MSGPACK_JSON_H
#define PRAVAH_MSGPACK_JSON_H

#include <stddef.h>

#include "pravah/buf.h"

#define PV_MSGPACK_JSON_MAX_DEPTH 64

/* Appends the JSON text of exactly one msgpack object (len bytes, nothing after it) to out.
 * Returns 0, PV_ENOMEM, or PV_EFORMAT (truncated, trailing bytes, reserved byte 0xc1, too deep);
 * on failure out keeps its old length. */
int pv_msgpack_to_json(const void *msgpack, size_t len, pv_buf_t *out);

/* Appends the padded base64 text of len bytes to out. Returns 0 or PV_ENOMEM. */
int pv_base64_append(pv_buf_t *out, const void *p, size_t len);

#endif
