/* Error codes, rejection reasons and small shared types of libpravah.
 *
 * Ownership: nothing here allocates. Strings returned by pv_strerror() and pv_reject_code_name()
 * are static. */
#ifndef PRAVAH_COMMON_H
#define PRAVAH_COMMON_H

#include <stddef.h>
#include <stdint.h>

/* Fallible functions return 0 or one of these negative codes. */
enum {
    PV_OK = 0,
    PV_ENOMEM = -1,    /* allocation failed */
    PV_EINVAL = -2,    /* invalid argument or input */
    PV_ENOENT = -3,    /* no such item */
    PV_ERANGE = -4,    /* value or size out of range */
    PV_EFORMAT = -5,   /* bytes do not follow the expected encoding */
    PV_EEXIST = -6,    /* item exists already */
    PV_EFULL = -7,     /* fixed-capacity structure is full */
    PV_EREJECTED = -8, /* event rejected: details in the pv_reject_t out-param */
    PV_EINTEGRITY = -9 /* journal record does not fit the chain or the case */
};

/* Returns a static English text for a PV_E* code. */
const char *pv_strerror(int code);

/* Why an event was not applied. The names (pv_reject_code_name) are part of the rejected-topic
 * format and of the scenario files: never rename one. */
typedef enum {
    PV_REJ_NONE = 0,
    PV_REJ_MALFORMED,          /* "malformed": bytes or fields do not decode, or break a limit */
    PV_REJ_UNKNOWN_TYPE,       /* "unknown_type": no definition declares this event type */
    PV_REJ_UNAUTHORIZED,       /* "unauthorized": actor unknown, or role/post may not do this */
    PV_REJ_OVER_LIMIT,         /* "over_limit": amount above the actor's delegated money limit */
    PV_REJ_INVALID_TRANSITION, /* "invalid_transition": action not allowed from the case's state */
    PV_REJ_DUPLICATE,          /* "duplicate": this event id was already applied to the case */
    PV_REJ_PRECONDITION        /* "precondition": a guard (prerequisite, constraint) failed */
} pv_reject_code_t;

#define PV_REJECT_FIELD_MAX 64
#define PV_REJECT_MESSAGE_MAX 256

/* A rejection: code, the field it concerns ("" when none) and a human-readable message. */
typedef struct pv_reject_s {
    pv_reject_code_t code;
    char field[PV_REJECT_FIELD_MAX];
    char message[PV_REJECT_MESSAGE_MAX];
} pv_reject_t;

const char *pv_reject_code_name(pv_reject_code_t code);
/* Parses a name such as "over_limit"; returns PV_REJ_NONE for unknown names. */
pv_reject_code_t pv_reject_code_parse(const char *name);
/* Fills *rej; printf-style message. Always returns PV_EREJECTED, so callers can `return pv_reject(...)`. */
int pv_reject(pv_reject_t *rej, pv_reject_code_t code, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Milliseconds since the Unix epoch, UTC. All of Pravah's clocks use this unit. */
typedef int64_t pv_time_t;

#endif
