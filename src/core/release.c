/*
 * Release bodies (include/isx/release.h). The table says the shape; the checks here are what
 * a table cannot say: the released id must be an object id, the hash 64 hex digits, and every
 * key entry must be for a party the release names, once.
 */
#include <string.h>

#include "isx/hash.h"
#include "isx/object.h"
#include "isx/release.h"
#include "isx/schema.h"
#include "isx/taxonomy.h"
#include "isx/timeutil.h"

#define END                                                                                        \
    {                                                                                              \
        NULL, 0, 0, 0, 0, NULL, NULL, NULL                                                         \
    }

static int
check_object_id(const json_t *v, const char *path, struct isx_diag *d)
{
    if (!isx_object_id_valid(json_string_value(v), NULL))
        return isx_diag_set(d, ISX_EFIELD, path, "object.id", json_string_value(v));
    return 0;
}

static int
check_version(const json_t *v, const char *path, struct isx_diag *d)
{
    int64_t ms;

    if (isx_time_parse(json_string_value(v), &ms) != 0)
        return isx_diag_set(d, ISX_EFIELD, path, "report.time", json_string_value(v));
    return 0;
}

static int
check_hash(const json_t *v, const char *path, struct isx_diag *d)
{
    const char *s = json_string_value(v);
    uint8_t h[32];

    if (s == NULL || strlen(s) != 64 || isx_hex_decode(s, 64, h, 32) != 0)
        return isx_diag_set(d, ISX_EFIELD, path, "release.hash", s);
    for (size_t i = 0; i < 64; i++)
        if (s[i] >= 'A' && s[i] <= 'F')
            return isx_diag_set(d, ISX_EFIELD, path, "release.hash", s);
    return 0;
}

static int
check_wrapped(const json_t *v, const char *path, struct isx_diag *d)
{
    const char *s = json_string_value(v);
    uint8_t buf[256];
    size_t len;

    if (s == NULL || isx_base64_decode(s, strlen(s), buf, sizeof(buf), &len) != 0 || len < 32)
        return isx_diag_set(d, ISX_EFIELD, path, "release.wrapped", NULL);
    return 0;
}

static const struct isx_schema_field party_item = {"", ISX_SCHEMA_STRING,    0,    2,
                                                   3,  isx_party_code_check, NULL, NULL};
static const struct isx_schema_field key_fields[] = {
    {"party", ISX_SCHEMA_STRING, ISX_SCHEMA_REQUIRED, 2, 3, isx_party_code_check, NULL, NULL},
    {"wrapped", ISX_SCHEMA_STRING, ISX_SCHEMA_REQUIRED, 1, 256, check_wrapped, NULL, NULL},
    END,
};
static const struct isx_schema_field key_item = {"",   ISX_SCHEMA_OBJECT, 0,   0, 0,
                                                 NULL, key_fields,        NULL};
static const struct isx_schema_field release_fields[] = {
    {"object", ISX_SCHEMA_STRING, ISX_SCHEMA_REQUIRED, 1, ISX_OBJECT_ID_MAX, check_object_id, NULL,
     NULL},
    {"version", ISX_SCHEMA_STRING, ISX_SCHEMA_REQUIRED, 1, 40, check_version, NULL, NULL},
    {"hash", ISX_SCHEMA_STRING, ISX_SCHEMA_REQUIRED, 64, 64, check_hash, NULL, NULL},
    {"to", ISX_SCHEMA_ARRAY, ISX_SCHEMA_REQUIRED | ISX_SCHEMA_UNIQUE, 1, 64, NULL, NULL,
     &party_item},
    {"keys", ISX_SCHEMA_ARRAY, 0, 0, 64, NULL, NULL, &key_item},
    {"reason", ISX_SCHEMA_STRING, 0, 1, 2000, NULL, NULL, NULL},
    END,
};

int
isx_release_check(const json_t *body, const char *path, struct isx_diag *d)
{
    size_t i, j;
    json_t *k, *other;
    int rc;

    if ((rc = isx_schema_check(body, release_fields, path, d)) != 0)
        return rc;
    json_array_foreach(json_object_get(body, "keys"), i, k)
    {
        const char *party = json_string_value(json_object_get(k, "party"));
        if (!isx_release_names(body, party))
            return isx_diag_set(d, ISX_EFIELD, "keys.party", "release.key_party", party);
        json_array_foreach(json_object_get(body, "keys"), j, other)
        {
            if (j < i && strcmp(party, json_string_value(json_object_get(other, "party"))) == 0)
                return isx_diag_set(d, ISX_EFIELD, "keys.party", "release.key_party", party);
        }
    }
    return 0;
}

int
isx_release_names(const json_t *body, const char *party)
{
    size_t i;
    json_t *p;

    if (party == NULL)
        return 0;
    json_array_foreach(json_object_get(body, "to"), i, p)
    {
        if (json_is_string(p) && strcmp(json_string_value(p), party) == 0)
            return 1;
    }
    return 0;
}

const json_t *
isx_release_key_for(const json_t *body, const char *party)
{
    size_t i;
    json_t *k;

    json_array_foreach(json_object_get(body, "keys"), i, k)
    {
        const char *p = json_string_value(json_object_get(k, "party"));
        if (p != NULL && party != NULL && strcmp(p, party) == 0)
            return k;
    }
    return NULL;
}
