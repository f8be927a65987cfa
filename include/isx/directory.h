/*
 * The directory (Art. 5.1 and the UN Points-of-Contact Directory): parties, their competent
 * authorities and points of contact. This module knows the shape of each body and how a
 * directory object projects into the rows the API queries; it does no I/O.
 */
#ifndef ISX_DIRECTORY_H
#define ISX_DIRECTORY_H

#include <jansson.h>

#include "isx/error.h"
#include "isx/object.h"

/* The allowed values of an authority's category and a contact's kind (NULL-terminated). */
extern const char *const isx_authority_categories[];
extern const char *const isx_poc_kinds[];

/* 1 for "party", "authority" and "poc". */
int isx_directory_type(const char *type);

/*
 * Checks a body of a directory type: unknown fields, types, party codes, direction codes,
 * languages, channels, hours. `path` prefixes field names in diagnostics ("" for the top).
 */
int isx_directory_check(const char *type, const json_t *body, const char *path, struct isx_diag *d);

/* The logical id of a party object: derived from its code so every node agrees on it. */
void isx_directory_party_id(const char *code, char out[ISX_OBJECT_ID_MAX + 1]);

/* What the store keeps about a directory object for queries. Strings borrow from the object. */
struct isx_dir_row {
    const char *id;
    const char *type;
    const char *version;
    const char *party;
    const char *kind;      /* poc: diplomatic|technical; authority: category; party: NULL */
    const char *status;    /* active|retired */
    const char *authority; /* poc: the authority it belongs to, or NULL */
    char *directions;      /* JSON array text (malloc'd) or NULL */
    char *languages;       /* JSON array text (malloc'd) or NULL */
    char *text;            /* lower-cased searchable text (malloc'd) */
};

int isx_directory_project(const struct isx_object *o, struct isx_dir_row *row);
void isx_directory_row_free(struct isx_dir_row *row);

#endif
