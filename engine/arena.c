/* Bump allocator: chunks in a list, the newest first. */
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
    a->head = NULL;
    a->chunk_size = chunk_size ? chunk_size : 64 * 1024;
}

static void free_chunks(pv_arena_chunk_t *c)
{
    while (c) {
        pv_arena_chunk_t *next = c->next;
        free(c);
        c = next;
    }
}

void pv_arena_reset(pv_arena_t *a)
{
    if (!a->head)
        return;
    /* Keep the oldest chunk (the last in the list): steady-state batches then never malloc. */
    pv_arena_chunk_t *c = a->head, *keep = NULL;
    while (c->next)
        c = c->next;
    keep = c;
    for (c = a->head; c != keep;) {
        pv_arena_chunk_t *next = c->next;
        free(c);
        c = next;
    }
    keep->used = 0;
    a->head = keep;
}

void pv_arena_close(pv_arena_t *a)
{
    free_chunks(a->head);
    a->head = NULL;
}

void *pv_arena_alloc(pv_arena_t *a, size_t size)
{
    size = (size + 7) & ~(size_t)7;
    pv_arena_chunk_t *c = a->head;
    if (!c || c->size - c->used < size) {
        size_t cap = size > a->chunk_size ? size : a->chunk_size;
        c = malloc(sizeof *c + cap);
        if (!c)
            return NULL;
        c->size = cap;
        c->used = 0;
        if (a->head && size > a->chunk_size) {
            /* An oversized block goes behind the current chunk so its free space stays usable. */
            c->next = a->head->next;
            a->head->next = c;
        } else {
            c->next = a->head;
            a->head = c;
        }
    }
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
