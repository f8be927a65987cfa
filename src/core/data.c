/*
 * Lookup of the data files embedded at build time. The table is generated and immutable.
 */
#include <string.h>

#include "isx/data.h"
#include "isx/error.h"

int
isx_data_get(const char *name, const char **bytes, size_t *len)
{
    for (const struct isx_data_file *f = isx__data_table; f->name != NULL; f++) {
        if (strcmp(f->name, name) == 0) {
            *bytes = f->bytes;
            *len = f->len;
            return 0;
        }
    }
    return ISX_ENOTFOUND;
}
