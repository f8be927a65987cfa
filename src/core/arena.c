/*
 * The per-request arena: a chain of blocks, bump allocation, one free for everything.
 * Invariant: every pointer handed out stays valid until isx_arena_free.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "isx/arena.h"

#define BLOCK_SIZE 8192
#define ALIGN      16

struct block {
    struct block *next;
    size_t size;
    size_t used;
    _Alignas(ALIGN) unsigned char mem[];
};

struct isx_arena {
    struct block *head;
    size_t total;
};

struct isx_arena *
isx_arena_new(void)
{
    return calloc(1, sizeof(struct isx_arena));
}

void
isx_arena_free(struct isx_arena *a)
{
    struct block *b, *next;

    if (a == NULL)
        return;
    for (b = a->head; b != NULL; b = next) {
        next = b->next;
        free(b);
    }
    free(a);
}

void *
isx_arena_alloc(struct isx_arena *a, size_t size)
{
    struct block *b = a->head;
    size_t rounded = (size + ALIGN - 1) & ~(size_t)(ALIGN - 1);

    if (size == 0)
        rounded = ALIGN;
    if (rounded < size)
        return NULL;
    if (b == NULL || b->size - b->used < rounded) {
        size_t bsize = rounded > BLOCK_SIZE ? rounded : BLOCK_SIZE;
        b = malloc(sizeof(*b) + bsize);
        if (b == NULL)
            return NULL;
        b->size = bsize;
        b->used = 0;
        b->next = a->head;
        a->head = b;
    }
    void *p = b->mem + b->used;
    b->used += rounded;
    a->total += rounded;
    return p;
}

char *
isx_arena_strndup(struct isx_arena *a, const char *s, size_t len)
{
    char *p = isx_arena_alloc(a, len + 1);

    if (p == NULL)
        return NULL;
    memcpy(p, s, len);
    p[len] = '\0';
    return p;
}

char *
isx_arena_strdup(struct isx_arena *a, const char *s)
{
    return isx_arena_strndup(a, s, strlen(s));
}

char *
isx_arena_printf(struct isx_arena *a, const char *fmt, ...)
{
    va_list ap;
    int n;
    char *p;

    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return NULL;
    p = isx_arena_alloc(a, (size_t)n + 1);
    if (p == NULL)
        return NULL;
    va_start(ap, fmt);
    vsnprintf(p, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return p;
}

size_t
isx_arena_used(const struct isx_arena *a)
{
    return a->total;
}
