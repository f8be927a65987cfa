/*
 * The body checks of every object type, in one table (src/core/bodies.c): what an object's
 * body must look like before a node stores it, whether it was made here or came from a peer.
 * Types without a row have free-form bodies.
 */
#ifndef ISX_BODIES_H
#define ISX_BODIES_H

#include <jansson.h>

#include "isx/error.h"

/* Checks `body` of an object of `type`; `path` prefixes field names ("body"). */
int isx_body_check(const char *type, const json_t *body, const char *path, struct isx_diag *d);

#endif
