/*
 * arena.h - a bump allocator for data that lives for one step (a parsed UI tree, a prompt).
 *
 * Allocations are carved from large chunks and released all at once by tl_arena_reset() or
 * tl_arena_dispose(). Chunk addresses never move, so pointers stay valid until the reset.
 * Built with TL_ARENA_PASSTHROUGH (the sanitizer build defines it), or run with the environment
 * variable TAPLOOP_ARENA_PASSTHROUGH=1, every allocation is its own malloc() block so that
 * AddressSanitizer and valgrind see each one.
 */
#ifndef TL_ARENA_H
#define TL_ARENA_H

#include <stddef.h>

typedef struct tl_arena_chunk tl_arena_chunk;

/** An arena; a plain struct owned by the caller (tl_arena_init / tl_arena_dispose). */
typedef struct tl_arena {
    tl_arena_chunk *head; /* current chunk (list of chunks, newest first) */
    size_t chunk_size;    /* minimum size of a new chunk */
    size_t used;          /* bytes handed out since the last reset */
    size_t reserved;      /* bytes obtained from malloc and not yet freed */
    int passthrough;      /* 1: one malloc per allocation */
} tl_arena;

/** Initialise an empty arena whose chunks are at least chunk_size bytes (0: 64 KiB). */
void tl_arena_init(tl_arena *a, size_t chunk_size);

/**
 * Allocate n bytes aligned to 16. Borrowed: valid until the next tl_arena_reset() or
 * tl_arena_dispose(). @return NULL when memory is exhausted (n == 0 gives a valid pointer).
 */
void *tl_arena_alloc(tl_arena *a, size_t n);

/** Copy n bytes of s into the arena and NUL-terminate them. @return NULL on exhaustion. */
char *tl_arena_strndup(tl_arena *a, const char *s, size_t n);

/** Release every allocation; keeps the newest chunk for reuse. */
void tl_arena_reset(tl_arena *a);

/** Release everything; the arena can be initialised again. NULL is accepted. */
void tl_arena_dispose(tl_arena *a);

#endif
