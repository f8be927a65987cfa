/*
 * The error table: names, HTTP statuses and English messages of every ISX_E* code, all
 * generated from ISX_ERRNO_MAP so that adding a code is one line in include/isx/error.h.
 */
#include <string.h>

#include "isx/error.h"

struct errinfo {
    const char *name;
    int status;
    const char *message;
};

static const struct errinfo errtab[] = {
#define ISX__X(name, status, msg) {#name, status, msg},
    ISX_ERRNO_MAP(ISX__X)
#undef ISX__X
};

static const struct errinfo *
lookup(int err)
{
    int idx = -err - 1;

    if (err >= 0 || idx >= ISX__EIDX_MAX)
        return NULL;
    return &errtab[idx];
}

const char *
isx_strerror(int err)
{
    const struct errinfo *e = lookup(err);

    return e != NULL ? e->message : "unknown error";
}

const char *
isx_err_name(int err)
{
    const struct errinfo *e = lookup(err);

    return e != NULL ? e->name : "UNKNOWN";
}

int
isx_err_status(int err)
{
    const struct errinfo *e = lookup(err);

    return e != NULL ? e->status : 500;
}

static void
copy_field(char *dst, size_t cap, const char *src)
{
    if (src == NULL) {
        dst[0] = '\0';
        return;
    }
    size_t n = strlen(src);
    if (n >= cap)
        n = cap - 1;
    memcpy(dst, src, n);
    dst[n] = '\0';
}

int
isx_diag_set(struct isx_diag *d, int code, const char *field, const char *key, const char *arg)
{
    if (d == NULL || d->code != 0)
        return code;
    d->code = code;
    copy_field(d->field, sizeof(d->field), field);
    copy_field(d->key, sizeof(d->key), key);
    copy_field(d->arg, sizeof(d->arg), arg);
    return code;
}
