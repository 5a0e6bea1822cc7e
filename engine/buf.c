/* Growable byte buffer. */
#include <stdlib.h>
#include <string.h>

#include "pravah/buf.h"
#include "pravah/common.h"

void pv_buf_init(pv_buf_t *b)
{
    b->data = NULL;
    b->len = b->cap = 0;
}

void pv_buf_close(pv_buf_t *b)
{
    free(b->data);
    pv_buf_init(b);
}

void pv_buf_reset(pv_buf_t *b)
{
    b->len = 0;
}

int pv_buf_append(pv_buf_t *b, const void *p, size_t len)
{
    if (b->cap - b->len < len) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap - b->len < len)
            cap *= 2;
        uint8_t *d = realloc(b->data, cap);
        if (!d)
            return PV_ENOMEM;
        b->data = d;
        b->cap = cap;
    }
    if (len)
        memcpy(b->data + b->len, p, len);
    b->len += len;
    return 0;
}

int pv_buf_msgpack_write(void *data, const char *p, size_t len)
{
    return pv_buf_append(data, p, len) == 0 ? 0 : -1;
}
