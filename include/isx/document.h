/*
 * Documents: a file carried as a signed object, so that it is attributable, covered by the
 * transparency log and sealed like anything else above TLP:GREEN. Attachments of requests
 * (include/isx/request.h) are documents; so can be minutes, legislation, strategies.
 *
 *   {"title": "incident-report.pdf", "media_type": "application/pdf", "content": "<base64>"}
 *
 * The content is standard base64 (RFC 4648 §4) of at most ISX_DOCUMENT_MAX bytes, which
 * keeps a sealed document inside one federation batch and one API request.
 */
#ifndef ISX_DOCUMENT_H
#define ISX_DOCUMENT_H

#include <stddef.h>

#include <jansson.h>

#include "isx/error.h"

#define ISX_DOCUMENT_MAX ((size_t)256 * 1024)

/* Checks a document body; `path` prefixes field names in the diagnostic. */
int isx_document_check(const json_t *body, const char *path, struct isx_diag *d);

/* The decoded size of a checked document's content (from its base64 length). */
size_t isx_document_size(const json_t *body);

/* 1 when `s` looks like a media type (RFC 6838): "type/subtype", restricted characters. */
int isx_media_type_valid(const char *s);

#endif
