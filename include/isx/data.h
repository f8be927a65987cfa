/*
 * Data files compiled into the binaries from the data directory's JSON files (see
 * cmake/embed.cmake).
 */
#ifndef ISX_DATA_H
#define ISX_DATA_H

#include <stddef.h>

struct isx_data_file {
    const char *name; /* "taxonomy.json" */
    const char *bytes;
    size_t len;
};

extern const struct isx_data_file isx__data_table[];

/* Finds an embedded file by name; sets *bytes and *len and returns 0, or ISX_ENOTFOUND. */
int isx_data_get(const char *name, const char **bytes, size_t *len);

#endif
