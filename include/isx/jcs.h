/*
 * RFC 8785 JSON Canonicalization Scheme over jansson values: the exact bytes that isx signs
 * and hashes. Keys sort by UTF-16 code units; numbers follow ECMAScript Number::toString.
 */
#ifndef ISX_JCS_H
#define ISX_JCS_H

#include <jansson.h>

#include "isx/buf.h"

/*
 * Appends the canonical form of `v` to `out`. Returns 0, ISX_EINVAL for a value JCS cannot
 * represent (NaN, infinity, an integer outside ±(2^53−1), invalid UTF-8), or ISX_ENOMEM.
 * On failure `out` is left as it was.
 */
int isx_jcs_encode(const json_t *v, struct isx_buf *out);

/*
 * Parses untrusted JSON text as I-JSON: duplicate keys, NUL characters, lone surrogates and
 * invalid UTF-8 are refused. Returns 0 and a new reference in *out, or ISX_EPARSE with
 * `d` naming the line and column.
 */
struct isx_diag;
int isx_json_parse(const char *text, size_t len, json_t **out, struct isx_diag *d);

#endif
