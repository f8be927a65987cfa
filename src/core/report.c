/*
 * Report bodies. The field table says the shape; the checks here say what a table cannot:
 * features that belong to the chosen threat type, an ordered time window, sectors from the
 * vocabulary, and indicators in canonical form. Preparing a body rewrites only its
 * "indicators" array; checking never modifies anything.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "isx/indicator.h"
#include "isx/report.h"
#include "isx/schema.h"
#include "isx/taxonomy.h"
#include "isx/timeutil.h"

#define END                                                                                        \
    {                                                                                              \
        NULL, 0, 0, 0, 0, NULL, NULL, NULL                                                         \
    }

static int
check_threat(const json_t *v, const char *path, struct isx_diag *d)
{
    if (isx_taxonomy_threat(json_string_value(v)) == NULL)
        return isx_diag_set(d, ISX_EFIELD, path, "report.threat", json_string_value(v));
    return 0;
}

static int
check_feature(const json_t *v, const char *path, struct isx_diag *d)
{
    if (isx_taxonomy_feature(json_string_value(v), NULL) == NULL)
        return isx_diag_set(d, ISX_EFIELD, path, "report.feature", json_string_value(v));
    return 0;
}

static int
check_sector(const json_t *v, const char *path, struct isx_diag *d)
{
    if (isx_vocab_find(ISX_VOCAB_SECTORS, json_string_value(v)) == NULL)
        return isx_diag_set(d, ISX_EFIELD, path, "report.sector", json_string_value(v));
    return 0;
}

const char *const isx_report_severities[] = {"low", "medium", "high", "critical", NULL};
const char *const isx_report_statuses[] = {"suspected", "confirmed", "resolved", NULL};

static int
check_severity(const json_t *v, const char *path, struct isx_diag *d)
{
    return isx_schema_one_of(v, path, d, isx_report_severities, "report.severity");
}

static int
check_status(const json_t *v, const char *path, struct isx_diag *d)
{
    return isx_schema_one_of(v, path, d, isx_report_statuses, "report.status");
}

static int
check_time(const json_t *v, const char *path, struct isx_diag *d)
{
    int64_t ms;

    if (isx_time_parse(json_string_value(v), &ms) != 0)
        return isx_diag_set(d, ISX_EFIELD, path, "report.time", json_string_value(v));
    return 0;
}

static int
check_ind_type(const json_t *v, const char *path, struct isx_diag *d)
{
    enum isx_ind_type t;

    if (isx_indicator_type_parse(json_string_value(v), &t) != 0)
        return isx_diag_set(d, ISX_EFIELD, path, "indicator.type", json_string_value(v));
    return 0;
}

static const struct isx_schema_field feature_item = {"", ISX_SCHEMA_STRING, 0,    4,
                                                     8,  check_feature,     NULL, NULL};
static const struct isx_schema_field sector_item = {"", ISX_SCHEMA_STRING, 0,    1,
                                                    32, check_sector,      NULL, NULL};
static const struct isx_schema_field reference_item = {
    "", ISX_SCHEMA_STRING, 0, 1, 2048, NULL, NULL, NULL};
static const struct isx_schema_field indicator_fields[] = {
    {"type", ISX_SCHEMA_STRING, 0, 1, 16, check_ind_type, NULL, NULL},
    {"value", ISX_SCHEMA_STRING, ISX_SCHEMA_REQUIRED, 1, ISX_INDICATOR_MAX, NULL, NULL, NULL},
    {"display", ISX_SCHEMA_STRING, 0, 1, ISX_INDICATOR_MAX, NULL, NULL, NULL},
    {"note", ISX_SCHEMA_STRING, 0, 1, 500, NULL, NULL, NULL},
    END,
};
static const struct isx_schema_field indicator_item = {"",   ISX_SCHEMA_OBJECT, 0,   0, 0,
                                                       NULL, indicator_fields,  NULL};

static const struct isx_schema_field report_fields[] = {
    {"threat", ISX_SCHEMA_STRING, ISX_SCHEMA_REQUIRED, 2, 2, check_threat, NULL, NULL},
    {"features", ISX_SCHEMA_ARRAY, ISX_SCHEMA_UNIQUE, 0, 32, NULL, NULL, &feature_item},
    {"severity", ISX_SCHEMA_STRING, 0, 1, 16, check_severity, NULL, NULL},
    {"status", ISX_SCHEMA_STRING, 0, 1, 16, check_status, NULL, NULL},
    {"first_seen", ISX_SCHEMA_STRING, 0, 20, 40, check_time, NULL, NULL},
    {"last_seen", ISX_SCHEMA_STRING, 0, 20, 40, check_time, NULL, NULL},
    {"sectors", ISX_SCHEMA_ARRAY, ISX_SCHEMA_UNIQUE, 0, 9, NULL, NULL, &sector_item},
    {"title", ISX_SCHEMA_LANGMAP, ISX_SCHEMA_REQUIRED, 0, 300, NULL, NULL, NULL},
    {"summary", ISX_SCHEMA_LANGMAP, 0, 0, 20000, NULL, NULL, NULL},
    {"references", ISX_SCHEMA_ARRAY, ISX_SCHEMA_UNIQUE, 0, 64, NULL, NULL, &reference_item},
    /* Indicators are checked one by one below; the schema only bounds the list. */
    {"indicators", ISX_SCHEMA_ARRAY, 0, 0, ISX_REPORT_MAX_INDICATORS, NULL, NULL, &indicator_item},
    END,
};

/* Rules across fields: features of the chosen threat, and an ordered window. */
static int
check_relations(const json_t *body, const char *path, struct isx_diag *d)
{
    const char *threat = json_string_value(json_object_get(body, "threat"));
    const char *first = json_string_value(json_object_get(body, "first_seen"));
    const char *last = json_string_value(json_object_get(body, "last_seen"));
    const json_t *owner;
    int64_t a, b;
    size_t i;
    json_t *f;
    char sub[160];

    json_array_foreach(json_object_get(body, "features"), i, f)
    {
        owner = NULL;
        isx_taxonomy_feature(json_string_value(f), &owner);
        if (owner != isx_taxonomy_threat(threat)) {
            snprintf(sub, sizeof(sub), "%s%sfeatures[%zu]", path, *path ? "." : "", i);
            return isx_diag_set(d, ISX_EFIELD, sub, "report.feature_threat", json_string_value(f));
        }
    }
    if (first != NULL && last != NULL && isx_time_parse(first, &a) == 0 &&
        isx_time_parse(last, &b) == 0 && b < a) {
        snprintf(sub, sizeof(sub), "%s%slast_seen", path, *path ? "." : "");
        return isx_diag_set(d, ISX_EFIELD, sub, "report.window", first);
    }
    return 0;
}

/*
 * Parses indicator i; `exact` demands the stored form already be canonical. On success
 * `ind` holds the canonical indicator.
 */
static int
parse_indicator(const json_t *item, size_t i, const char *path, int exact,
                struct isx_indicator *ind, struct isx_diag *d)
{
    const char *type = json_string_value(json_object_get(item, "type"));
    const char *value = json_string_value(json_object_get(item, "value"));
    char sub[160];
    int rc;

    snprintf(sub, sizeof(sub), "%s%sindicators[%zu].value", path, *path ? "." : "", i);
    if ((rc = isx_indicator_parse(type, value, sub, ind, d)) != 0)
        return rc;
    if (exact && (type == NULL || strcmp(type, isx_indicator_type_name(ind->type)) != 0 ||
                  strcmp(value, ind->value) != 0))
        return isx_diag_set(d, ISX_EFIELD, sub, "report.not_canonical", value);
    /* A display form must be the one this value has: a report from elsewhere must not pair
     * "evil.example" with the friendlier text of another name. */
    const char *display = json_string_value(json_object_get(item, "display"));
    if (exact && display != NULL && strcmp(display, ind->display) != 0)
        return isx_diag_set(d, ISX_EFIELD, sub, "report.display", display);
    return 0;
}

static int
check_common(const json_t *body, const char *path, struct isx_diag *d)
{
    int rc = isx_schema_check(body, report_fields, path, d);

    return rc != 0 ? rc : check_relations(body, path, d);
}

int
isx_report_prepare(json_t *body, struct isx_diag *d)
{
    struct isx_indicator *ind = malloc(sizeof(*ind));
    json_t *out = json_array(), *seen = json_object();
    const json_t *list = json_object_get(body, "indicators");
    size_t i;
    json_t *item;
    char key[ISX_INDICATOR_MAX + 16];
    int rc;

    if (ind == NULL || out == NULL || seen == NULL) {
        rc = ISX_ENOMEM;
        goto done;
    }
    if ((rc = check_common(body, "", d)) != 0)
        goto done;
    json_array_foreach(list, i, item)
    {
        if ((rc = parse_indicator(item, i, "", 0, ind, d)) != 0)
            goto done;
        /* The same indicator twice in one report is one indicator. */
        snprintf(key, sizeof(key), "%s %s", isx_indicator_type_name(ind->type), ind->value);
        if (json_object_get(seen, key) != NULL)
            continue;
        json_object_set_new(seen, key, json_true());
        json_t *norm = json_pack("{s:s, s:s}", "type", isx_indicator_type_name(ind->type), "value",
                                 ind->value);
        if (norm == NULL) {
            rc = ISX_ENOMEM;
            goto done;
        }
        if (strcmp(ind->display, ind->value) != 0)
            json_object_set_new(norm, "display", json_string(ind->display));
        if (json_object_get(item, "note") != NULL)
            json_object_set(norm, "note", json_object_get(item, "note"));
        json_array_append_new(out, norm);
    }
    if (list != NULL)
        json_object_set(body, "indicators", out);
    rc = 0;
done:
    free(ind);
    json_decref(out);
    json_decref(seen);
    return rc;
}

int
isx_report_check(const json_t *body, const char *path, struct isx_diag *d)
{
    struct isx_indicator *ind;
    size_t i;
    json_t *item;
    int rc;

    if ((rc = check_common(body, path, d)) != 0)
        return rc;
    if ((ind = malloc(sizeof(*ind))) == NULL)
        return ISX_ENOMEM;
    json_array_foreach(json_object_get(body, "indicators"), i, item)
    {
        if ((rc = parse_indicator(item, i, path, 1, ind, d)) != 0)
            break;
    }
    free(ind);
    return rc;
}

const char *
isx_report_time(const json_t *body)
{
    const char *t = json_string_value(json_object_get(body, "last_seen"));

    return t != NULL ? t : json_string_value(json_object_get(body, "first_seen"));
}
