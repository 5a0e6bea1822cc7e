/* The event envelope: CloudEvents 1.0 in Kafka binary mode (ce_* headers) with msgpack or JSON data.
 *
 * Both content types decode to the same pv_event_t: the data is re-encoded into canonical msgpack
 * (map keys in the order received, integers in their shortest form, floats as float64, strings as
 * str, bytes as bin), so a JSON event and a msgpack event with equal content have equal bytes.
 *
 * Ownership: every string and byte array an event points to lives in the pv_arena_t passed to the
 * decoder; the event is valid until that arena is reset. Decoders never keep the input buffers. */
#ifndef PRAVAH_EVENT_H
#define PRAVAH_EVENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pravah/arena.h"
#include "pravah/common.h"

typedef enum {
    PV_VAL_NIL = 0,
    PV_VAL_BOOL,
    PV_VAL_INT,
    PV_VAL_FLOAT,
    PV_VAL_STR,
    PV_VAL_NESTED /* a map or array: kept in the data bytes, not usable by guards */
} pv_value_kind_t;

typedef struct pv_value_s {
    pv_value_kind_t kind;
    union {
        bool b;
        int64_t i;
        double f;
        struct {
            const char *ptr; /* NUL-terminated */
            uint32_t len;
        } s;
    } u;
} pv_value_t;

typedef struct pv_field_s {
    const char *name; /* NUL-terminated */
    pv_value_t value;
} pv_field_t;

/* Limits on what a decoder accepts. Exceeding one is a `malformed` rejection naming the field.
 * Depth counts containers: the data map itself is depth 1, so the default allows 7 levels of maps
 * or arrays inside it; values above 128 act as 128. A decoder given lim == NULL uses the defaults.
 *
 * Data rules beyond the limits: map keys are strings, unique within their map; strings are UTF-8
 * without NUL bytes; integers fit int64; floats are finite (JSON cannot carry NaN or infinity);
 * msgpack extension types are rejected. A top-level bin value is a PV_VAL_NESTED field. */
typedef struct pv_limits_s {
    size_t max_payload;   /* bytes of data, default 65536 */
    size_t max_header;    /* bytes of one header value, default 1024 */
    uint32_t max_depth;   /* nesting of maps/arrays inside data, default 8 */
    size_t max_string;    /* bytes of one string in data, default 8192 */
    uint32_t max_fields;  /* entries of one map or array in data, default 256 */
} pv_limits_t;

void pv_limits_default(pv_limits_t *lim);

#define PV_EVENT_MAX_TOP_FIELDS 64

/* The internal event. All strings are NUL-terminated and non-NULL ("" when absent and optional). */
typedef struct pv_event_s {
    const char *id;      /* ce_id, required, <= 128 bytes */
    const char *source;  /* ce_source, required */
    const char *type;    /* ce_type, required, e.g. "works.grant_ts" (case type "." action) */
    const char *subject; /* ce_subject = case id, required, <= 63 bytes */
    const char *time;    /* ce_time as sent (RFC 3339), optional: informational only */
    const char *actor;   /* ce_actor extension: officer or citizen id, required */
    const uint8_t *data; /* canonical msgpack map (an empty map when the event has no data) */
    size_t data_len;
    pv_field_t fields[PV_EVENT_MAX_TOP_FIELDS]; /* top-level entries of data, in order */
    uint32_t nfields;
} pv_event_t;

/* A Kafka header as librdkafka returns it: value is not NUL-terminated. */
typedef struct pv_header_s {
    const char *key;
    const void *value;
    size_t value_len;
} pv_header_t;

/* Decodes a binary-mode CloudEvent: headers ce_specversion ("1.0"), ce_id, ce_source, ce_type,
 * ce_subject, ce_time, ce_actor and content-type ("application/msgpack" or "application/json";
 * parameters such as "; charset=utf-8" are allowed), with `payload` the data.
 * Returns 0, or PV_EREJECTED with *rej naming the field ("ce_id", "data.amount", ...) and the reason.
 * Unknown headers are ignored. May run on any thread (pure). */
int pv_event_decode(const pv_header_t *headers, size_t nheaders, const void *payload,
                    size_t payload_len, const pv_limits_t *lim, pv_arena_t *arena,
                    pv_event_t *out, pv_reject_t *rej);

/* Decodes a structured-mode JSON CloudEvent, one object: {"specversion":"1.0","id":..,"source":..,
 * "type":..,"subject":..,"time":..,"actor":..,"data":{...}}. specversion may be omitted. This is
 * the line format of `pravah publish` and of the scenario files. Same result and errors as above. */
int pv_event_decode_json(const char *json, size_t len, const pv_limits_t *lim, pv_arena_t *arena,
                         pv_event_t *out, pv_reject_t *rej);

/* Returns the top-level data field `name`, or NULL. */
const pv_value_t *pv_event_field(const pv_event_t *ev, const char *name);

#define PV_EVENT_NHEADERS 8
/* Fills `out` with the binary-mode headers for ev (content-type application/msgpack); the values
 * borrow ev's strings. Returns the number of headers written. */
size_t pv_event_headers(const pv_event_t *ev, pv_header_t out[PV_EVENT_NHEADERS]);

#endif
