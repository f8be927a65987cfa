/*
 * Growable byte buffers. Invariant: when data is non-NULL, data[len] == '\0' and len < cap,
 * so a buffer can always be handed to code that wants a C string.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "isx/buf.h"
#include "isx/error.h"

static int
reserve(struct isx_buf *b, size_t extra)
{
    size_t need, cap;
    char *p;

    if (extra > (size_t)-1 / 2 - b->len)
        return ISX_ENOMEM;
    need = b->len + extra + 1;
    if (need <= b->cap)
        return 0;
    cap = b->cap != 0 ? b->cap : 64;
    while (cap < need)
        cap *= 2;
    p = realloc(b->data, cap);
    if (p == NULL)
        return ISX_ENOMEM;
    b->data = p;
    b->cap = cap;
    return 0;
}

int
isx_buf_append(struct isx_buf *b, const void *data, size_t len)
{
    int rc = reserve(b, len);

    if (rc != 0)
        return rc;
    if (len != 0)
        memcpy(b->data + b->len, data, len);
    b->len += len;
    b->data[b->len] = '\0';
    return 0;
}

int
isx_buf_puts(struct isx_buf *b, const char *s)
{
    return isx_buf_append(b, s, strlen(s));
}

int
isx_buf_putc(struct isx_buf *b, char c)
{
    return isx_buf_append(b, &c, 1);
}

int
isx_buf_vprintf(struct isx_buf *b, const char *fmt, va_list ap)
{
    va_list ap2;
    int n, rc;

    va_copy(ap2, ap);
    n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n < 0)
        return ISX_EINVAL;
    rc = reserve(b, (size_t)n);
    if (rc != 0)
        return rc;
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
    return 0;
}

int
isx_buf_printf(struct isx_buf *b, const char *fmt, ...)
{
    va_list ap;
    int rc;

    va_start(ap, fmt);
    rc = isx_buf_vprintf(b, fmt, ap);
    va_end(ap);
    return rc;
}

void
isx_buf_reset(struct isx_buf *b)
{
    b->len = 0;
    if (b->data != NULL)
        b->data[0] = '\0';
}

void
isx_buf_free(struct isx_buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
}

char *
isx_buf_steal(struct isx_buf *b, size_t *len)
{
    char *p = b->data;

    if (p == NULL) {
        p = calloc(1, 1);
        if (p == NULL)
            return NULL;
    }
    if (len != NULL)
        *len = b->len;
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    return p;
}
