/* Bump allocator for per-message and per-batch allocations (h2o's req->pool).
 *
 * Ownership: the arena owns every block it hands out; pv_arena_reset() releases them all at once
 * (keeping every chunk for reuse: memory stays at the high-water mark of one batch),
 * pv_arena_close() frees everything. Not thread-safe. */
#ifndef PRAVAH_ARENA_H
#define PRAVAH_ARENA_H

#include <stddef.h>

typedef struct pv_arena_chunk_s pv_arena_chunk_t;
typedef struct pv_arena_s {
    pv_arena_chunk_t *head; /* chunks in allocation order */
    pv_arena_chunk_t *cur;  /* the chunk allocations come from now */
    size_t chunk_size;
} pv_arena_t;

void pv_arena_init(pv_arena_t *a, size_t chunk_size);
void pv_arena_reset(pv_arena_t *a);
void pv_arena_close(pv_arena_t *a);
/* Returns 8-byte aligned memory, or NULL when out of memory. */
void *pv_arena_alloc(pv_arena_t *a, size_t size);
/* Copies len bytes and a terminating NUL. */
char *pv_arena_strndup(pv_arena_t *a, const char *s, size_t len);
void *pv_arena_memdup(pv_arena_t *a, const void *p, size_t len);

#endif
