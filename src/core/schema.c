/*
 * The schema checker. It walks a JSON value and a field table side by side; it never
 * modifies the value. The first problem found is reported, with its path.
 */
#include <stdio.h>
#include <string.h>

#include "isx/schema.h"

static int check_value(const json_t *v, const struct isx_schema_field *f, const char *path,
                       struct isx_diag *d);

int
isx_str_in(const char *s, const char *const *values)
{
    for (; s != NULL && *values != NULL; values++) {
        if (strcmp(s, *values) == 0)
            return 1;
    }
    return 0;
}

int
isx_schema_one_of(const json_t *v, const char *path, struct isx_diag *d, const char *const *values,
                  const char *key)
{
    if (!isx_str_in(json_string_value(v), values))
        return isx_diag_set(d, ISX_EFIELD, path, key, json_string_value(v));
    return 0;
}

size_t
isx_utf8_chars(const char *s)
{
    size_t n = 0;

    for (; *s != '\0'; s++) {
        if (((unsigned char)*s & 0xC0) != 0x80)
            n++;
    }
    return n;
}

static int
has_control(const char *s)
{
    for (; *s != '\0'; s++) {
        unsigned char c = (unsigned char)*s;
        if (c < 0x20 && c != '\n' && c != '\t')
            return 1;
        if (c == 0x7F)
            return 1;
    }
    return 0;
}

static int
check_string(const json_t *v, const struct isx_schema_field *f, const char *path,
             struct isx_diag *d)
{
    const char *s = json_string_value(v);
    size_t n = isx_utf8_chars(s);
    char arg[32];

    if (has_control(s))
        return isx_diag_set(d, ISX_EFIELD, path, "schema.control", NULL);
    if (n < (f->min > 0 ? f->min : 1)) {
        snprintf(arg, sizeof(arg), "%zu", f->min > 0 ? f->min : 1);
        return isx_diag_set(d, ISX_EFIELD, path, "schema.too_short", arg);
    }
    if (f->max > 0 && n > f->max) {
        snprintf(arg, sizeof(arg), "%zu", f->max);
        return isx_diag_set(d, ISX_EFIELD, path, "schema.too_long", arg);
    }
    return 0;
}

static int
check_langmap(const json_t *v, const struct isx_schema_field *f, const char *path,
              struct isx_diag *d)
{
    static const struct isx_schema_field text = {"", ISX_SCHEMA_STRING, 0, 1, 0, NULL, NULL, NULL};
    const char *key;
    json_t *val;
    char sub[160];
    int rc;

    if (json_object_size(v) == 0)
        return isx_diag_set(d, ISX_EFIELD, path, "schema.langmap_empty", NULL);
    json_object_foreach((json_t *)v, key, val)
    {
        snprintf(sub, sizeof(sub), "%s.%s", path, key);
        if (strcmp(key, "zh") != 0 && strcmp(key, "ru") != 0 && strcmp(key, "en") != 0)
            return isx_diag_set(d, ISX_EFIELD, sub, "schema.language", key);
        if (!json_is_string(val))
            return isx_diag_set(d, ISX_ETYPE, sub, "schema.type", "string");
        struct isx_schema_field t = text;
        t.max = f->max;
        if ((rc = check_string(val, &t, sub, d)) != 0)
            return rc;
    }
    return 0;
}

static int
check_array(const json_t *v, const struct isx_schema_field *f, const char *path, struct isx_diag *d)
{
    size_t n = json_array_size(v), i, j;
    char sub[160], arg[32];
    int rc;

    if (n < f->min) {
        snprintf(arg, sizeof(arg), "%zu", f->min);
        return isx_diag_set(d, ISX_EFIELD, path, "schema.too_few", arg);
    }
    if (f->max > 0 && n > f->max) {
        snprintf(arg, sizeof(arg), "%zu", f->max);
        return isx_diag_set(d, ISX_EFIELD, path, "schema.too_many", arg);
    }
    for (i = 0; i < n; i++) {
        snprintf(sub, sizeof(sub), "%s[%zu]", path, i);
        if ((rc = check_value(json_array_get(v, i), f->items, sub, d)) != 0)
            return rc;
        if (f->flags & ISX_SCHEMA_UNIQUE) {
            for (j = 0; j < i; j++) {
                if (json_equal(json_array_get(v, i), json_array_get(v, j)))
                    return isx_diag_set(d, ISX_EFIELD, sub, "schema.duplicate", NULL);
            }
        }
    }
    return 0;
}

static const char *
kind_name(enum isx_schema_kind k)
{
    switch (k) {
    case ISX_SCHEMA_STRING:
        return "string";
    case ISX_SCHEMA_INTEGER:
        return "integer";
    case ISX_SCHEMA_BOOL:
        return "boolean";
    case ISX_SCHEMA_ARRAY:
        return "array";
    case ISX_SCHEMA_OBJECT:
    case ISX_SCHEMA_LANGMAP:
        return "object";
    }
    return "value";
}

static int
check_value(const json_t *v, const struct isx_schema_field *f, const char *path, struct isx_diag *d)
{
    int ok, rc = 0;

    switch (f->kind) {
    case ISX_SCHEMA_STRING:
        ok = json_is_string(v);
        break;
    case ISX_SCHEMA_INTEGER:
        ok = json_is_integer(v);
        break;
    case ISX_SCHEMA_BOOL:
        ok = json_is_boolean(v);
        break;
    case ISX_SCHEMA_ARRAY:
        ok = json_is_array(v);
        break;
    default:
        ok = json_is_object(v);
        break;
    }
    if (!ok)
        return isx_diag_set(d, ISX_ETYPE, path, "schema.type", kind_name(f->kind));

    switch (f->kind) {
    case ISX_SCHEMA_STRING:
        rc = check_string(v, f, path, d);
        break;
    case ISX_SCHEMA_INTEGER:
        if (f->max > f->min && (json_integer_value(v) < (json_int_t)f->min ||
                                json_integer_value(v) > (json_int_t)f->max))
            rc = isx_diag_set(d, ISX_ERANGE, path, "schema.range", NULL);
        break;
    case ISX_SCHEMA_ARRAY:
        rc = check_array(v, f, path, d);
        break;
    case ISX_SCHEMA_OBJECT:
        rc = isx_schema_check(v, f->fields, path, d);
        break;
    case ISX_SCHEMA_LANGMAP:
        rc = check_langmap(v, f, path, d);
        break;
    case ISX_SCHEMA_BOOL:
        break;
    }
    if (rc == 0 && f->check != NULL)
        rc = f->check(v, path, d);
    return rc;
}

static void
join(char *out, size_t cap, const char *prefix, const char *name)
{
    if (prefix == NULL || *prefix == '\0')
        snprintf(out, cap, "%s", name);
    else
        snprintf(out, cap, "%s.%s", prefix, name);
}

int
isx_schema_check(const json_t *v, const struct isx_schema_field *fields, const char *prefix,
                 struct isx_diag *d)
{
    const struct isx_schema_field *f;
    const char *key;
    json_t *val;
    char path[160];
    int rc;

    if (!json_is_object(v))
        return isx_diag_set(d, ISX_ETYPE, prefix, "schema.type", "object");
    /* Unknown fields first: a misspelt field must not be silently dropped. */
    json_object_foreach((json_t *)v, key, val)
    {
        for (f = fields; f->name != NULL; f++) {
            if (strcmp(f->name, key) == 0)
                break;
        }
        if (f->name == NULL) {
            join(path, sizeof(path), prefix, key);
            return isx_diag_set(d, ISX_EUNKNOWN_FIELD, path, "schema.unknown", key);
        }
    }
    for (f = fields; f->name != NULL; f++) {
        join(path, sizeof(path), prefix, f->name);
        val = json_object_get(v, f->name);
        if (val == NULL || json_is_null(val)) {
            if (f->flags & ISX_SCHEMA_REQUIRED)
                return isx_diag_set(d, ISX_EMISSING, path, "schema.missing", f->name);
            if (val == NULL)
                continue;
            return isx_diag_set(d, ISX_ETYPE, path, "schema.type", kind_name(f->kind));
        }
        if ((rc = check_value(val, f, path, d)) != 0)
            return rc;
    }
    return 0;
}
