/*
 * arena.c - bump allocator over a list of chunks (see arena.h).
 *
 * Each chunk is one malloc() block: a header followed by the bytes handed out. New chunks grow
 * geometrically (up to 4 MiB) so that a large tree needs few of them; a reset keeps the newest
 * chunk, which is also the largest, so a steady loop stops calling malloc after warm-up.
 */
#include "core/arena.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define ARENA_ALIGN      16
#define ARENA_MAX_GROWTH ((size_t)4 << 20)

struct tl_arena_chunk {
    tl_arena_chunk *next;
    size_t size; /* usable bytes after the header */
    size_t off;  /* bytes used */
    _Alignas(ARENA_ALIGN) unsigned char data[];
};

void tl_arena_init(tl_arena *a, size_t chunk_size)
{
    memset(a, 0, sizeof(*a));
    a->chunk_size = chunk_size ? chunk_size : (size_t)64 << 10;
#ifdef TL_ARENA_PASSTHROUGH
    a->passthrough = 1;
#else
    const char *env = getenv("TAPLOOP_ARENA_PASSTHROUGH");
    a->passthrough = env && env[0] == '1';
#endif
}

static size_t align_up(size_t n)
{
    return (n + (ARENA_ALIGN - 1)) & ~(size_t)(ARENA_ALIGN - 1);
}

static tl_arena_chunk *new_chunk(tl_arena *a, size_t need)
{
    size_t size = a->chunk_size;
    if (!a->passthrough && a->head && a->head->size < ARENA_MAX_GROWTH)
        size = a->head->size * 2 > size ? a->head->size * 2 : size;
    if (a->passthrough || size < need)
        size = need;
    if (size > SIZE_MAX - sizeof(tl_arena_chunk))
        return NULL;
    tl_arena_chunk *c = malloc(sizeof(*c) + size);
    if (!c)
        return NULL;
    c->next = a->head;
    c->size = size;
    c->off = 0;
    a->head = c;
    a->reserved += sizeof(*c) + size;
    return c;
}

void *tl_arena_alloc(tl_arena *a, size_t n)
{
    if (n > SIZE_MAX - ARENA_ALIGN)
        return NULL;
    size_t need = align_up(n ? n : 1);
    tl_arena_chunk *c = a->head;
    if (a->passthrough || !c || c->size - c->off < need) {
        c = new_chunk(a, need);
        if (!c)
            return NULL;
    }
    void *p = c->data + c->off;
    c->off += need;
    a->used += need;
    return p;
}

char *tl_arena_strndup(tl_arena *a, const char *s, size_t n)
{
    if (n == SIZE_MAX)
        return NULL;
    char *p = tl_arena_alloc(a, n + 1);
    if (!p)
        return NULL;
    if (n)
        memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

static void free_chain(tl_arena *a, tl_arena_chunk *c)
{
    while (c) {
        tl_arena_chunk *next = c->next;
        a->reserved -= sizeof(*c) + c->size;
        free(c);
        c = next;
    }
}

void tl_arena_reset(tl_arena *a)
{
    if (!a->head)
        return;
    if (a->passthrough) {
        free_chain(a, a->head);
        a->head = NULL;
    } else {
        free_chain(a, a->head->next);
        a->head->next = NULL;
        a->head->off = 0;
    }
    a->used = 0;
}

void tl_arena_dispose(tl_arena *a)
{
    if (!a)
        return;
    free_chain(a, a->head);
    a->head = NULL;
    a->used = 0;
}
