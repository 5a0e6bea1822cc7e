/* Bump allocator: a list of chunks in allocation order; reset rewinds to the first chunk and
 * reuses every chunk already allocated, so a steady-state batch loop never calls malloc. */
#include <stdlib.h>
#include <string.h>

#include "pravah/arena.h"

struct pv_arena_chunk_s {
    pv_arena_chunk_t *next;
    size_t size, used;
    _Alignas(16) unsigned char mem[];
};

void pv_arena_init(pv_arena_t *a, size_t chunk_size)
{
    a->head = a->cur = NULL;
    a->chunk_size = chunk_size ? chunk_size : 64 * 1024;
}

void pv_arena_reset(pv_arena_t *a)
{
    for (pv_arena_chunk_t *c = a->head; c; c = c->next)
        c->used = 0;
    a->cur = a->head;
}

void pv_arena_close(pv_arena_t *a)
{
    for (pv_arena_chunk_t *c = a->head; c;) {
        pv_arena_chunk_t *next = c->next;
        free(c);
        c = next;
    }
    a->head = a->cur = NULL;
}

/* A chunk with room for size bytes: the current one, a later one kept from before a reset, or a
 * new one appended to the list. */
static pv_arena_chunk_t *chunk_for(pv_arena_t *a, size_t size)
{
    pv_arena_chunk_t *c = a->cur, *last = NULL;
    for (; c; last = c, c = c->next)
        if (c->size - c->used >= size)
            return a->cur = c;
    size_t cap = size > a->chunk_size ? size : a->chunk_size;
    c = malloc(sizeof *c + cap);
    if (!c)
        return NULL;
    c->size = cap;
    c->used = 0;
    c->next = NULL;
    if (!last)
        for (last = a->head; last && last->next; last = last->next)
            ;
    if (last)
        last->next = c;
    else
        a->head = c;
    return a->cur = c;
}

void *pv_arena_alloc(pv_arena_t *a, size_t size)
{
    size = (size + 15) & ~(size_t)15;
    pv_arena_chunk_t *c = chunk_for(a, size ? size : 16);
    if (!c)
        return NULL;
    void *p = c->mem + c->used;
    c->used += size;
    return p;
}

char *pv_arena_strndup(pv_arena_t *a, const char *s, size_t len)
{
    char *p = pv_arena_alloc(a, len + 1);
    if (!p)
        return NULL;
    memcpy(p, s, len);
    p[len] = '\0';
    return p;
}

void *pv_arena_memdup(pv_arena_t *a, const void *p, size_t len)
{
    void *q = pv_arena_alloc(a, len ? len : 1);
    if (q && len)
        memcpy(q, p, len);
    return q;
}
