/*
 * Document bodies (include/isx/document.h). The table says the shape; the checks here say
 * what a table cannot: the media type's syntax, and content that is strict base64 of at most
 * ISX_DOCUMENT_MAX bytes. Checking never modifies anything.
 */
#include <stdlib.h>
#include <string.h>

#include "isx/document.h"
#include "isx/hash.h"
#include "isx/schema.h"

#define END                                                                                        \
    {                                                                                              \
        NULL, 0, 0, 0, 0, NULL, NULL, NULL                                                         \
    }

/* The base64 text of ISX_DOCUMENT_MAX bytes. */
#define CONTENT_CHARS ((ISX_DOCUMENT_MAX + 2) / 3 * 4)

/* RFC 6838 restricted-name characters. */
static int
restricted_name(const char *s, size_t len)
{
    static const char extra[] = "!#$&-^_.+";

    if (len == 0 || len > 127)
        return 0;
    for (size_t i = 0; i < len; i++) {
        char ch = s[i];
        int alnum =
            (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9');
        if (!alnum && (i == 0 || strchr(extra, ch) == NULL))
            return 0;
    }
    return 1;
}

int
isx_media_type_valid(const char *s)
{
    const char *slash = s != NULL ? strchr(s, '/') : NULL;

    return slash != NULL && restricted_name(s, (size_t)(slash - s)) &&
           restricted_name(slash + 1, strlen(slash + 1));
}

static int
check_media_type(const json_t *v, const char *path, struct isx_diag *d)
{
    if (!isx_media_type_valid(json_string_value(v)))
        return isx_diag_set(d, ISX_EFIELD, path, "document.media_type", json_string_value(v));
    return 0;
}

static int
check_content(const json_t *v, const char *path, struct isx_diag *d)
{
    const char *s = json_string_value(v);
    size_t len = s != NULL ? strlen(s) : 0, got = 0;
    uint8_t *buf;
    int rc;

    /* The schema bounds the length already (and refuses an empty file: nothing to attach). */
    if ((buf = malloc(ISX_DOCUMENT_MAX + 3)) == NULL)
        return ISX_ENOMEM;
    rc = isx_base64_decode(s, len, buf, ISX_DOCUMENT_MAX + 3, &got);
    free(buf);
    if (rc != 0)
        return isx_diag_set(d, ISX_EFIELD, path, "document.content", NULL);
    if (got > ISX_DOCUMENT_MAX)
        return isx_diag_set(d, ISX_ERANGE, path, "document.too_big", "262144");
    return 0;
}

static const struct isx_schema_field document_fields[] = {
    {"title", ISX_SCHEMA_STRING, ISX_SCHEMA_REQUIRED, 1, 300, NULL, NULL, NULL},
    {"media_type", ISX_SCHEMA_STRING, ISX_SCHEMA_REQUIRED, 3, 255, check_media_type, NULL, NULL},
    {"content", ISX_SCHEMA_STRING, ISX_SCHEMA_REQUIRED, 0, CONTENT_CHARS, check_content, NULL,
     NULL},
    END,
};

int
isx_document_check(const json_t *body, const char *path, struct isx_diag *d)
{
    if (!json_is_object(body))
        return isx_diag_set(d, ISX_ETYPE, path, "schema.type", "object");
    return isx_schema_check(body, document_fields, path, d);
}

size_t
isx_document_size(const json_t *body)
{
    const char *s = json_string_value(json_object_get(body, "content"));
    size_t len = s != NULL ? strlen(s) : 0, size = len / 4 * 3;

    if (len >= 1 && s[len - 1] == '=')
        size--;
    if (len >= 2 && s[len - 2] == '=')
        size--;
    return size;
}
