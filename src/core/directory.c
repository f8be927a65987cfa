/*
 * Directory bodies. The schemas are tables (include/isx/schema.h); the extra checks here are
 * the ones a table cannot say: codes that must exist in the built-in vocabulary, channel
 * values that must match their kind, and time zones and hours that must make sense.
 */
#include <stdlib.h>
#include <string.h>

#include "isx/directory.h"
#include "isx/hash.h"
#include "isx/i18n.h"
#include "isx/schema.h"
#include "isx/taxonomy.h"

#define END                                                                                        \
    {                                                                                              \
        NULL, 0, 0, 0, 0, NULL, NULL, NULL                                                         \
    }

static int
check_direction(const json_t *v, const char *path, struct isx_diag *d)
{
    if (isx_vocab_find(ISX_VOCAB_DIRECTIONS, json_string_value(v)) == NULL)
        return isx_diag_set(d, ISX_EFIELD, path, "directory.direction", json_string_value(v));
    return 0;
}

static int
check_language(const json_t *v, const char *path, struct isx_diag *d)
{
    if (!isx_language_valid(json_string_value(v)))
        return isx_diag_set(d, ISX_EFIELD, path, "directory.language", json_string_value(v));
    return 0;
}

static int
check_status(const json_t *v, const char *path, struct isx_diag *d)
{
    static const char *const values[] = {"active", "retired", NULL};
    return isx_schema_one_of(v, path, d, values, "directory.status");
}

const char *const isx_authority_categories[] = {
    "cert", "foreign-affairs", "regulator", "law-enforcement", "defence", "other", NULL};
const char *const isx_poc_kinds[] = {"diplomatic", "technical", NULL};

static int
check_category(const json_t *v, const char *path, struct isx_diag *d)
{
    return isx_schema_one_of(v, path, d, isx_authority_categories, "directory.category");
}

static int
check_poc_kind(const json_t *v, const char *path, struct isx_diag *d)
{
    return isx_schema_one_of(v, path, d, isx_poc_kinds, "directory.kind");
}

static int
check_authority_ref(const json_t *v, const char *path, struct isx_diag *d)
{
    if (!isx_object_id_valid(json_string_value(v), "authority"))
        return isx_diag_set(d, ISX_EFIELD, path, "directory.authority", json_string_value(v));
    return 0;
}

static int
valid_email(const char *s)
{
    const char *at = strchr(s, '@');

    if (at == NULL || at == s || strchr(at + 1, '@') != NULL || strchr(at + 1, '.') == NULL)
        return 0;
    for (const char *p = s; *p != '\0'; p++) {
        if (*p == ' ' || *p == '<' || *p == '>' || *p == ',' || *p == ';')
            return 0;
    }
    return at[1] != '.' && s[strlen(s) - 1] != '.';
}

static int
valid_phone(const char *s)
{
    size_t ndigits = 0;

    if (*s != '+')
        return 0;
    for (const char *p = s + 1; *p != '\0'; p++) {
        if (*p >= '0' && *p <= '9')
            ndigits++;
        else if (*p != ' ' && *p != '-' && *p != '(' && *p != ')')
            return 0;
    }
    return ndigits >= 6 && ndigits <= 15;
}

static int
valid_https(const char *s)
{
    if (strncmp(s, "https://", 8) != 0 || s[8] == '\0' || s[8] == '/')
        return 0;
    for (const char *p = s; *p != '\0'; p++) {
        if (*p == ' ' || *p == '"' || *p == '<' || *p == '>')
            return 0;
    }
    return 1;
}

static int
check_channel(const json_t *v, const char *path, struct isx_diag *d)
{
    const char *type = json_string_value(json_object_get(v, "type"));
    const char *value = json_string_value(json_object_get(v, "value"));
    char sub[160];
    int ok;

    snprintf(sub, sizeof(sub), "%s.value", path);
    if (strcmp(type, "email") == 0)
        ok = valid_email(value);
    else if (strcmp(type, "phone") == 0)
        ok = valid_phone(value);
    else if (strcmp(type, "https") == 0)
        ok = valid_https(value);
    else {
        snprintf(sub, sizeof(sub), "%s.type", path);
        return isx_diag_set(d, ISX_EFIELD, sub, "directory.channel_type", type);
    }
    if (!ok)
        return isx_diag_set(d, ISX_EFIELD, sub, "directory.channel_value", type);
    return 0;
}

static int
check_hhmm(const char *s)
{
    if (strcmp(s, "24:00") == 0)
        return 1;
    return strlen(s) == 5 && s[2] == ':' && s[0] >= '0' && s[0] <= '2' && s[1] >= '0' &&
           s[1] <= '9' && (s[0] - '0') * 10 + (s[1] - '0') <= 23 && s[3] >= '0' && s[3] <= '5' &&
           s[4] >= '0' && s[4] <= '9';
}

static int
check_time(const json_t *v, const char *path, struct isx_diag *d)
{
    if (!check_hhmm(json_string_value(v)))
        return isx_diag_set(d, ISX_EFIELD, path, "directory.time", json_string_value(v));
    return 0;
}

static int
check_day(const json_t *v, const char *path, struct isx_diag *d)
{
    static const char *const values[] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun", NULL};
    return isx_schema_one_of(v, path, d, values, "directory.day");
}

/* IANA zone names: "UTC" or Area/Location of letters, digits, '_', '-', '+' and '/'. */
static int
check_tz(const json_t *v, const char *path, struct isx_diag *d)
{
    const char *s = json_string_value(v);
    int slash = 0;

    if (strcmp(s, "UTC") == 0)
        return 0;
    for (const char *p = s; *p != '\0'; p++) {
        if (*p == '/')
            slash++;
        else if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
                   (*p >= '0' && *p <= '9') || *p == '_' || *p == '-' || *p == '+'))
            slash = -100;
    }
    if (slash < 1 || s[0] == '/' || s[strlen(s) - 1] == '/' || strstr(s, "..") != NULL)
        return isx_diag_set(d, ISX_EFIELD, path, "directory.tz", s);
    return 0;
}

static const struct isx_schema_field direction_item = {"", ISX_SCHEMA_STRING, 0,    3,
                                                       3,  check_direction,   NULL, NULL};
static const struct isx_schema_field language_item = {"", ISX_SCHEMA_STRING, 0,    2,
                                                      2,  check_language,    NULL, NULL};
static const struct isx_schema_field day_item = {"", ISX_SCHEMA_STRING, 0,    3,
                                                 3,  check_day,         NULL, NULL};

static const struct isx_schema_field key_fields[] = {
    {"suite", ISX_SCHEMA_STRING, ISX_SCHEMA_REQUIRED, 1, 32, NULL, NULL, NULL},
    {"key", ISX_SCHEMA_STRING, ISX_SCHEMA_REQUIRED, 8, 8, NULL, NULL, NULL},
    {"public", ISX_SCHEMA_STRING, ISX_SCHEMA_REQUIRED, 1, 256, NULL, NULL, NULL},
    END,
};
static const struct isx_schema_field key_item = {"",   ISX_SCHEMA_OBJECT, 0,   0, 0,
                                                 NULL, key_fields,        NULL};

static const struct isx_schema_field contact_fields[] = {
    {"email", ISX_SCHEMA_STRING, 0, 3, 254, NULL, NULL, NULL},
    {"phone", ISX_SCHEMA_STRING, 0, 7, 32, NULL, NULL, NULL},
    {"url", ISX_SCHEMA_STRING, 0, 9, 512, NULL, NULL, NULL},
    {"address", ISX_SCHEMA_LANGMAP, 0, 0, 512, NULL, NULL, NULL},
    END,
};

static const struct isx_schema_field channel_fields[] = {
    {"type", ISX_SCHEMA_STRING, ISX_SCHEMA_REQUIRED, 1, 16, NULL, NULL, NULL},
    {"value", ISX_SCHEMA_STRING, ISX_SCHEMA_REQUIRED, 3, 512, NULL, NULL, NULL},
    END,
};
static const struct isx_schema_field channel_item = {
    "", ISX_SCHEMA_OBJECT, 0, 0, 0, check_channel, channel_fields, NULL};

static const struct isx_schema_field hours_fields[] = {
    {"tz", ISX_SCHEMA_STRING, ISX_SCHEMA_REQUIRED, 3, 64, check_tz, NULL, NULL},
    {"days", ISX_SCHEMA_ARRAY, ISX_SCHEMA_UNIQUE, 1, 7, NULL, NULL, &day_item},
    {"from", ISX_SCHEMA_STRING, 0, 5, 5, check_time, NULL, NULL},
    {"to", ISX_SCHEMA_STRING, 0, 5, 5, check_time, NULL, NULL},
    {"always", ISX_SCHEMA_BOOL, 0, 0, 0, NULL, NULL, NULL},
    END,
};

static const struct isx_schema_field party_fields[] = {
    {"code", ISX_SCHEMA_STRING, ISX_SCHEMA_REQUIRED, 2, 3, isx_party_code_check, NULL, NULL},
    {"name", ISX_SCHEMA_LANGMAP, ISX_SCHEMA_REQUIRED, 0, 200, NULL, NULL, NULL},
    {"status", ISX_SCHEMA_STRING, 0, 1, 16, check_status, NULL, NULL},
    {"keys", ISX_SCHEMA_ARRAY, ISX_SCHEMA_UNIQUE, 0, 8, NULL, NULL, &key_item},
    {"box_key", ISX_SCHEMA_STRING, 0, 1, 64, NULL, NULL, NULL},
    {"note", ISX_SCHEMA_LANGMAP, 0, 0, 2000, NULL, NULL, NULL},
    END,
};

static const struct isx_schema_field authority_fields[] = {
    {"party", ISX_SCHEMA_STRING, ISX_SCHEMA_REQUIRED, 2, 3, isx_party_code_check, NULL, NULL},
    {"name", ISX_SCHEMA_LANGMAP, ISX_SCHEMA_REQUIRED, 0, 300, NULL, NULL, NULL},
    {"category", ISX_SCHEMA_STRING, 0, 1, 32, check_category, NULL, NULL},
    {"directions", ISX_SCHEMA_ARRAY, ISX_SCHEMA_REQUIRED | ISX_SCHEMA_UNIQUE, 1, 16, NULL, NULL,
     &direction_item},
    {"contact", ISX_SCHEMA_OBJECT, 0, 0, 0, NULL, contact_fields, NULL},
    {"status", ISX_SCHEMA_STRING, 0, 1, 16, check_status, NULL, NULL},
    {"note", ISX_SCHEMA_LANGMAP, 0, 0, 2000, NULL, NULL, NULL},
    END,
};

static const struct isx_schema_field poc_fields[] = {
    {"party", ISX_SCHEMA_STRING, ISX_SCHEMA_REQUIRED, 2, 3, isx_party_code_check, NULL, NULL},
    {"kind", ISX_SCHEMA_STRING, ISX_SCHEMA_REQUIRED, 1, 16, check_poc_kind, NULL, NULL},
    {"person", ISX_SCHEMA_LANGMAP, ISX_SCHEMA_REQUIRED, 0, 200, NULL, NULL, NULL},
    {"position", ISX_SCHEMA_LANGMAP, 0, 0, 200, NULL, NULL, NULL},
    {"organisation", ISX_SCHEMA_LANGMAP, ISX_SCHEMA_REQUIRED, 0, 300, NULL, NULL, NULL},
    {"authority", ISX_SCHEMA_STRING, 0, 1, ISX_OBJECT_ID_MAX, check_authority_ref, NULL, NULL},
    {"channels", ISX_SCHEMA_ARRAY, ISX_SCHEMA_REQUIRED | ISX_SCHEMA_UNIQUE, 1, 16, NULL, NULL,
     &channel_item},
    {"languages", ISX_SCHEMA_ARRAY, ISX_SCHEMA_REQUIRED | ISX_SCHEMA_UNIQUE, 1, 16, NULL, NULL,
     &language_item},
    {"hours", ISX_SCHEMA_OBJECT, 0, 0, 0, NULL, hours_fields, NULL},
    {"status", ISX_SCHEMA_STRING, 0, 1, 16, check_status, NULL, NULL},
    {"note", ISX_SCHEMA_LANGMAP, 0, 0, 2000, NULL, NULL, NULL},
    END,
};

static const struct {
    const char *type;
    const struct isx_schema_field *fields;
} schemas[] = {
    {"party", party_fields},
    {"authority", authority_fields},
    {"poc", poc_fields},
};

int
isx_directory_type(const char *type)
{
    for (size_t i = 0; type != NULL && i < sizeof(schemas) / sizeof(schemas[0]); i++) {
        if (strcmp(schemas[i].type, type) == 0)
            return 1;
    }
    return 0;
}

int
isx_directory_check(const char *type, const json_t *body, const char *path, struct isx_diag *d)
{
    for (size_t i = 0; i < sizeof(schemas) / sizeof(schemas[0]); i++) {
        if (strcmp(schemas[i].type, type) != 0)
            continue;
        int rc = isx_schema_check(body, schemas[i].fields, path, d);
        if (rc != 0)
            return rc;
        /* Working hours need both ends unless the contact is always reachable. */
        const json_t *hours = json_object_get(body, "hours");
        if (hours != NULL && !json_is_true(json_object_get(hours, "always")) &&
            (json_object_get(hours, "from") == NULL || json_object_get(hours, "to") == NULL)) {
            char sub[160];
            snprintf(sub, sizeof(sub), "%s%shours", path, *path ? "." : "");
            return isx_diag_set(d, ISX_EMISSING, sub, "directory.hours", NULL);
        }
        return 0;
    }
    return isx_diag_set(d, ISX_EFIELD, "type", "object.type", type);
}

void
isx_directory_party_id(const char *code, char out[ISX_OBJECT_ID_MAX + 1])
{
    uint8_t h[32];
    char hex[65];
    char name[32];

    /* A name-based id (the shape of a UUIDv5) so that a party has one id on every node. */
    snprintf(name, sizeof(name), "isx-party:%s", code);
    isx_sha256(name, strlen(name), h);
    h[6] = (uint8_t)((h[6] & 0x0f) | 0x50);
    h[8] = (uint8_t)((h[8] & 0x3f) | 0x80);
    isx_hex_encode(h, 16, hex);
    snprintf(out, ISX_OBJECT_ID_MAX + 1, "party--%.8s-%.4s-%.4s-%.4s-%.12s", hex, hex + 8, hex + 12,
             hex + 16, hex + 20);
}

/* Names, positions, organisations and channel values, folded for case-free search. */
static char *
search_text(const json_t *body)
{
    static const char *const fields[] = {"name", "person", "position", "organisation", "channels"};
    struct isx_buf text = ISX_BUF_INIT;
    char *out;

    for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
        if (isx_text_append(&text, json_object_get(body, fields[i])) != 0) {
            isx_buf_free(&text);
            return NULL;
        }
    }
    out = isx_buf_steal(&text, NULL);
    if (out != NULL)
        isx_text_fold(out);
    return out;
}

int
isx_directory_project(const struct isx_object *o, struct isx_dir_row *row)
{
    const json_t *b = o->body;
    struct isx_dir_row r = {0};

    if (b == NULL || !isx_directory_type(o->type))
        return ISX_EINVAL;
    r.id = o->id;
    r.type = o->type;
    r.version = o->version;
    r.party =
        json_string_value(json_object_get(b, strcmp(o->type, "party") == 0 ? "code" : "party"));
    r.status = json_string_value(json_object_get(b, "status"));
    if (r.status == NULL)
        r.status = "active";
    if (strcmp(o->type, "poc") == 0) {
        r.kind = json_string_value(json_object_get(b, "kind"));
        r.authority = json_string_value(json_object_get(b, "authority"));
    } else if (strcmp(o->type, "authority") == 0) {
        r.kind = json_string_value(json_object_get(b, "category"));
    }
    if (json_object_get(b, "directions") != NULL &&
        (r.directions = json_dumps(json_object_get(b, "directions"), JSON_COMPACT)) == NULL)
        goto nomem;
    if (json_object_get(b, "languages") != NULL &&
        (r.languages = json_dumps(json_object_get(b, "languages"), JSON_COMPACT)) == NULL)
        goto nomem;
    if ((r.text = search_text(b)) == NULL)
        goto nomem;
    *row = r;
    return 0;
nomem:
    isx_directory_row_free(&r);
    return ISX_ENOMEM;
}

void
isx_directory_row_free(struct isx_dir_row *row)
{
    free(row->directions);
    free(row->languages);
    free(row->text);
    row->directions = row->languages = row->text = NULL;
}
