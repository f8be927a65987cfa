/*
 * A per-request memory pool (h2o style): allocations are never freed one by one; the whole
 * arena goes at the end of the request. Allocation failure returns NULL.
 */
#ifndef ISX_ARENA_H
#define ISX_ARENA_H

#include <stddef.h>

struct isx_arena;

struct isx_arena *isx_arena_new(void);
void isx_arena_free(struct isx_arena *a);

/* Returns memory aligned for any object, or NULL. */
void *isx_arena_alloc(struct isx_arena *a, size_t size);
char *isx_arena_strdup(struct isx_arena *a, const char *s);
char *isx_arena_strndup(struct isx_arena *a, const char *s, size_t len);
char *isx_arena_printf(struct isx_arena *a, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Bytes handed out so far, for the request-size accounting in logs. */
size_t isx_arena_used(const struct isx_arena *a);

#endif
