/* Growable byte buffer used by the encoders.
 *
 * Ownership: the buffer owns `data`; pv_buf_close() frees it. pv_buf_detach() hands it to the caller. */
#ifndef PRAVAH_BUF_H
#define PRAVAH_BUF_H

#include <stddef.h>
#include <stdint.h>

typedef struct pv_buf_s {
    uint8_t *data;
    size_t len;
    size_t cap;
} pv_buf_t;

void pv_buf_init(pv_buf_t *b);
void pv_buf_close(pv_buf_t *b);
void pv_buf_reset(pv_buf_t *b);
int pv_buf_append(pv_buf_t *b, const void *p, size_t len);
/* msgpack-c write callback (msgpack_packer_init(&pk, buf, pv_buf_msgpack_write)). */
int pv_buf_msgpack_write(void *data, const char *p, size_t len);

#endif
