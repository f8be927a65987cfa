/*
 * Declarative validation of JSON bodies. A schema is a table of fields; checking a value
 * against it refuses unknown fields, missing required ones and wrong types, and names the
 * offending field by its path ("channels[1].value") in the diagnostic.
 */
#ifndef ISX_SCHEMA_H
#define ISX_SCHEMA_H

#include <stddef.h>

#include <jansson.h>

#include "isx/error.h"

enum isx_schema_kind {
    ISX_SCHEMA_STRING,
    ISX_SCHEMA_INTEGER,
    ISX_SCHEMA_BOOL,
    ISX_SCHEMA_OBJECT,  /* nested object checked against `fields` */
    ISX_SCHEMA_ARRAY,   /* items checked against `items` */
    ISX_SCHEMA_LANGMAP, /* {"zh"|"ru"|"en": non-empty string}, at least one entry */
};

#define ISX_SCHEMA_REQUIRED 0x1u
#define ISX_SCHEMA_UNIQUE   0x2u /* arrays: no two equal items */

struct isx_schema_field;

/* Extra check for one value; `path` names it. Returns 0 or an error with `d` set. */
typedef int (*isx_schema_check_fn)(const json_t *v, const char *path, struct isx_diag *d);

struct isx_schema_field {
    const char *name;
    enum isx_schema_kind kind;
    unsigned flags;
    size_t min, max; /* string length in characters, array length, integer range */
    isx_schema_check_fn check;
    const struct isx_schema_field *fields; /* OBJECT: its fields, ended by {NULL} */
    const struct isx_schema_field *items;  /* ARRAY: one entry describing each item */
};

/*
 * Checks `v` (which must be an object) against `fields` (ended by an entry with name NULL).
 * `prefix` is prepended to field paths ("" at the top).
 */
int isx_schema_check(const json_t *v, const struct isx_schema_field *fields, const char *prefix,
                     struct isx_diag *d);

/* 1 when `s` (may be NULL) is one of `values`, a NULL-terminated list. */
int isx_str_in(const char *s, const char *const *values);

/* Schema check for a string that must be one of `values`; `key` names the message. */
int isx_schema_one_of(const json_t *v, const char *path, struct isx_diag *d,
                      const char *const *values, const char *key);

/* Number of Unicode characters in a UTF-8 string (jansson strings are valid UTF-8). */
size_t isx_utf8_chars(const char *s);

#endif
