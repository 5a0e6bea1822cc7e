/* Error texts and rejection helpers. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "pravah/common.h"

const char *pv_strerror(int code)
{
    switch (code) {
    case PV_OK: return "success";
    case PV_ENOMEM: return "out of memory";
    case PV_EINVAL: return "invalid argument";
    case PV_ENOENT: return "no such item";
    case PV_ERANGE: return "out of range";
    case PV_EFORMAT: return "bad encoding";
    case PV_EEXIST: return "already exists";
    case PV_EFULL: return "full";
    case PV_EREJECTED: return "event rejected";
    case PV_EINTEGRITY: return "integrity violation";
    default: return "unknown error";
    }
}

static const char *const reject_names[] = {
    [PV_REJ_NONE] = "none",
    [PV_REJ_MALFORMED] = "malformed",
    [PV_REJ_UNKNOWN_TYPE] = "unknown_type",
    [PV_REJ_UNAUTHORIZED] = "unauthorized",
    [PV_REJ_OVER_LIMIT] = "over_limit",
    [PV_REJ_INVALID_TRANSITION] = "invalid_transition",
    [PV_REJ_DUPLICATE] = "duplicate",
    [PV_REJ_PRECONDITION] = "precondition",
};

const char *pv_reject_code_name(pv_reject_code_t code)
{
    if ((unsigned)code >= sizeof reject_names / sizeof reject_names[0])
        return "none";
    return reject_names[code];
}

pv_reject_code_t pv_reject_code_parse(const char *name)
{
    for (size_t i = 1; i < sizeof reject_names / sizeof reject_names[0]; i++)
        if (strcmp(name, reject_names[i]) == 0)
            return (pv_reject_code_t)i;
    return PV_REJ_NONE;
}

int pv_reject(pv_reject_t *rej, pv_reject_code_t code, const char *field, const char *fmt, ...)
{
    if (!rej)
        return PV_EREJECTED;
    rej->code = code;
    snprintf(rej->field, sizeof rej->field, "%s", field ? field : "");
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(rej->message, sizeof rej->message, fmt, ap);
    va_end(ap);
    return PV_EREJECTED;
}
