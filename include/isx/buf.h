/*
 * Length-carrying strings. `struct isx_str` borrows bytes; `struct isx_buf` owns a growable,
 * always NUL-terminated byte buffer used for canonical JSON, HTTP bodies and output.
 */
#ifndef ISX_BUF_H
#define ISX_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct isx_str {
    const char *ptr;
    size_t len;
};

#define ISX_STR(lit) ((struct isx_str){(lit), sizeof(lit) - 1})

struct isx_buf {
    char *data; /* NUL-terminated when non-NULL; owned */
    size_t len;
    size_t cap;
};

#define ISX_BUF_INIT                                                                               \
    {                                                                                              \
        NULL, 0, 0                                                                                 \
    }

/* Appends; each returns 0 or ISX_ENOMEM and leaves the buffer valid on failure. */
int isx_buf_append(struct isx_buf *b, const void *data, size_t len);
int isx_buf_puts(struct isx_buf *b, const char *s);
int isx_buf_putc(struct isx_buf *b, char c);
int isx_buf_printf(struct isx_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int isx_buf_vprintf(struct isx_buf *b, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

/* Empties the buffer and keeps its memory. */
void isx_buf_reset(struct isx_buf *b);

/* Releases the memory; the buffer is empty and reusable afterwards. */
void isx_buf_free(struct isx_buf *b);

/* Hands the bytes to the caller (who frees them with free()) and empties the buffer. */
char *isx_buf_steal(struct isx_buf *b, size_t *len);

#endif
