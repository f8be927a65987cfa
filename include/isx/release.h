/*
 * Releases (Art. 6.3): the originator's signed consent that an object it sent may go on to
 * parties its marking does not name. A `release` object's body:
 *
 *   {"object": "<id>", "version": "<version>", "hash": "<64 hex: the released object's hash>",
 *    "to": ["KZ", ...], "keys": [{"party": "KZ", "wrapped": "<b64>"}...], "reason": "..."}
 *
 * For a sealed object, `keys` carries the object's content key wrapped for each party in
 * "to" (include/isx/seal.h), so the new recipient can open it without the relay or the
 * forwarding party ever seeing the key. Only a release whose origin is the released object's
 * origin counts.
 */
#ifndef ISX_RELEASE_H
#define ISX_RELEASE_H

#include <jansson.h>

#include "isx/error.h"

/* Checks a release body's shape; `path` prefixes field names in the diagnostic. */
int isx_release_check(const json_t *body, const char *path, struct isx_diag *d);

/* 1 when the release body names `party` in "to". */
int isx_release_names(const json_t *body, const char *party);

/* The key entry for `party` in the release's "keys", or NULL. */
const json_t *isx_release_key_for(const json_t *body, const char *party);

#endif
