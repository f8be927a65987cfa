/*
 * From command-line options to directory bodies: how the flags of `isx party|authority|poc
 * add|update` become the JSON that the API accepts (the schemas of src/core/directory.c,
 * field for field), and the checks that are cheap to make before anything is sent.
 *
 * Invariants: applying options to a body changes only what the options name, so the same
 * code builds a new body for `add` and edits the current one for `update`: language maps
 * change per language, lists are replaced whole, and an empty value removes an optional
 * field. Codes are normalised here (party codes upper case, "d2" -> "D02", languages lower
 * case) so that the server sees one spelling.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "isx/schema.h"
#include "isx/object.h"
#include "isx/taxonomy.h"

static const char *const categories[] = {
    "cert", "foreign-affairs", "regulator", "law-enforcement", "defence", "other", NULL};
static const char *const kinds[] = {"diplomatic", "technical", NULL};
static const char *const days[] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun", NULL};

static int
bad_value(struct isx__cli *c, const char *field, const char *key, const char *arg)
{
    return isx__cli_fail(c, ISX_EINVAL, field, key, arg, 2);
}

/* A party code as the API wants it (upper case), checked against the built-in list. */
int
isx__cli_party_code(struct isx__cli *c, const char *field, const char *in, char out[8])
{
    char code[8];
    size_t n = strlen(in);

    if (n >= 2 && n <= 3) {
        for (size_t i = 0; i <= n; i++)
            code[i] = (char)(in[i] >= 'a' && in[i] <= 'z' ? in[i] - 32 : in[i]);
        if (isx_party_code_valid(code)) {
            memcpy(out, code, n + 1);
            return 0;
        }
    }
    return bad_value(c, field, "cli.err.party", in);
}

/* "D02", "d2" or "2" -> "D02", checked against the directions of Art. 3. */
int
isx__cli_direction_code(struct isx__cli *c, const char *in, char out[8])
{
    const char *digits = in[0] == 'D' || in[0] == 'd' ? in + 1 : in;
    char code[8], *end;
    long v = strtol(digits, &end, 10);

    if (digits[0] >= '0' && digits[0] <= '9' && *end == '\0' && v >= 1 && v <= 99) {
        snprintf(code, sizeof(code), "D%02ld", v);
        if (isx_vocab_find(ISX_VOCAB_DIRECTIONS, code) != NULL) {
            memcpy(out, code, strlen(code) + 1);
            return 0;
        }
    }
    return bad_value(c, "--direction", "cli.err.direction", in);
}

/* HH:MM with 00-23 hours (24:00 allowed as the end of a day). */
static int
hhmm_valid(const char *s, size_t len)
{
    if (len != 5 || s[2] != ':')
        return 0;
    for (size_t i = 0; i < 5; i++) {
        if (i != 2 && (s[i] < '0' || s[i] > '9'))
            return 0;
    }
    int h = (s[0] - '0') * 10 + (s[1] - '0'), m = (s[3] - '0') * 10 + (s[4] - '0');
    return m <= 59 && (h <= 23 || (h == 24 && m == 0));
}

static int
add_direction(struct isx__cli *c, const char *item, void *arg)
{
    char code[8];
    int rc = isx__cli_direction_code(c, item, code);
    return rc != 0 ? rc : isx__cli_append_unique(arg, code);
}

static int
add_language(struct isx__cli *c, const char *item, void *arg)
{
    char code[8];
    size_t n = strlen(item);

    for (size_t i = 0; i <= n && i < sizeof(code); i++)
        code[i] = (char)(item[i] >= 'A' && item[i] <= 'Z' ? item[i] + 32 : item[i]);
    if (n >= sizeof(code) || !isx_language_valid(code))
        return bad_value(c, "--language", "cli.err.language", item);
    return isx__cli_append_unique(arg, code);
}

static int
add_day(struct isx__cli *c, const char *item, void *arg)
{
    const char *dash = strchr(item, '-');
    char from[8] = "", to[8] = "";
    int first = -1, last = -1;

    /* "mon-fri" is a range; anything else names one day. */
    if (dash != NULL && dash - item < 8 && strlen(dash + 1) < 8) {
        memcpy(from, item, (size_t)(dash - item));
        from[dash - item] = '\0';
        snprintf(to, sizeof(to), "%s", dash + 1);
    } else if (strlen(item) < 8) {
        snprintf(from, sizeof(from), "%s", item);
        snprintf(to, sizeof(to), "%s", item);
    }
    for (int i = 0; days[i] != NULL; i++) {
        if (strcmp(days[i], from) == 0)
            first = i;
        if (strcmp(days[i], to) == 0)
            last = i;
    }
    if (first < 0 || last < first)
        return bad_value(c, "--days", "cli.err.day", item);
    for (int i = first; i <= last; i++) {
        int rc = isx__cli_append_unique(arg, days[i]);
        if (rc != 0)
            return rc;
    }
    return 0;
}

/*
 * Applies every LANG:TEXT value of `opt` to the language map `field`, on top of what the map
 * already holds (an update changes one language without losing the others).
 */
static int
apply_langmap(struct isx__cli *c, const struct isx__cli_args *a, enum isx__cli_opt opt,
              json_t *body, const char *field)
{
    json_t *map = json_object_get(body, field), *seen = NULL;
    const char *v, *lang, *text;
    size_t i = 0;
    int rc = 0;

    if (!isx__cli_has(a, opt))
        return 0;
    map = json_is_object(map) ? json_deep_copy(map) : json_object();
    seen = json_object();
    if (map == NULL || seen == NULL) {
        rc = ISX_ENOMEM;
        goto cleanup;
    }
    while ((v = isx__cli_next(a, opt, &i)) != NULL) {
        if ((rc = isx__cli_langtext(c, opt, v, &lang, &text)) != 0)
            goto cleanup;
        if (json_object_get(seen, lang) != NULL) {
            rc = isx__cli_bad(c, opt, "cli.err.langtext_twice", lang);
            goto cleanup;
        }
        json_object_set_new(seen, lang, json_true());
        json_object_set_new(map, lang, json_string(text));
    }
    rc = json_object_set(body, field, map) == 0 ? 0 : ISX_ENOMEM;
cleanup:
    json_decref(map);
    json_decref(seen);
    return rc;
}

/* Sets a string field from a single-valued option; an empty value removes the field. */
static int
apply_string(struct isx__cli *c, const struct isx__cli_args *a, enum isx__cli_opt opt, json_t *obj,
             const char *field)
{
    const char *v = NULL;
    int rc;

    if ((rc = isx__cli_one(c, a, opt, &v)) != 0 || v == NULL)
        return rc;
    if (v[0] == '\0') {
        json_object_del(obj, field);
        return 0;
    }
    return json_object_set_new(obj, field, json_string(v)) == 0 ? 0 : ISX_ENOMEM;
}

static int
apply_party(struct isx__cli *c, const struct isx__cli_args *a, json_t *body)
{
    const char *v = NULL;
    char code[8];
    int rc;

    if ((rc = isx__cli_one(c, a, CLI_OPT_PARTY, &v)) != 0 || v == NULL)
        return rc;
    if ((rc = isx__cli_party_code(c, "--party", v, code)) != 0)
        return rc;
    return json_object_set_new(body, "party", json_string(code)) == 0 ? 0 : ISX_ENOMEM;
}

/* Replaces an array field with the items of `opt` when it was given. */
static int
apply_list(struct isx__cli *c, const struct isx__cli_args *a, enum isx__cli_opt opt, json_t *body,
           const char *field, int (*fn)(struct isx__cli *c, const char *item, void *arg))
{
    json_t *list;
    int rc;

    if (!isx__cli_has(a, opt))
        return 0;
    if ((list = json_array()) == NULL)
        return ISX_ENOMEM;
    if ((rc = isx__cli_each_item(c, a, opt, fn, list)) == 0)
        rc = json_object_set(body, field, list) == 0 ? 0 : ISX_ENOMEM;
    json_decref(list);
    return rc;
}

int
isx__cli_party_apply(struct isx__cli *c, const struct isx__cli_args *a, json_t *body)
{
    int rc;

    if ((rc = apply_langmap(c, a, CLI_OPT_NAME, body, "name")) != 0)
        return rc;
    return apply_langmap(c, a, CLI_OPT_NOTE, body, "note");
}

int
isx__cli_authority_apply(struct isx__cli *c, const struct isx__cli_args *a, json_t *body)
{
    const char *category = NULL;
    json_t *contact = NULL;
    int rc;

    if ((rc = apply_party(c, a, body)) != 0 ||
        (rc = apply_langmap(c, a, CLI_OPT_NAME, body, "name")) != 0 ||
        (rc = apply_list(c, a, CLI_OPT_DIRECTION, body, "directions", add_direction)) != 0 ||
        (rc = apply_langmap(c, a, CLI_OPT_NOTE, body, "note")) != 0 ||
        (rc = isx__cli_one(c, a, CLI_OPT_CATEGORY, &category)) != 0)
        return rc;
    if (category != NULL) {
        if (!isx_str_in(category, categories))
            return bad_value(c, "--category", "cli.err.category", category);
        json_object_set_new(body, "category", json_string(category));
    }
    if (!isx__cli_has(a, CLI_OPT_EMAIL) && !isx__cli_has(a, CLI_OPT_PHONE) &&
        !isx__cli_has(a, CLI_OPT_URL))
        return 0;
    contact = json_object_get(body, "contact");
    contact = json_is_object(contact) ? json_deep_copy(contact) : json_object();
    if (contact == NULL)
        return ISX_ENOMEM;
    if ((rc = apply_string(c, a, CLI_OPT_EMAIL, contact, "email")) == 0 &&
        (rc = apply_string(c, a, CLI_OPT_PHONE, contact, "phone")) == 0 &&
        (rc = apply_string(c, a, CLI_OPT_URL, contact, "url")) == 0) {
        if (json_object_size(contact) == 0)
            json_object_del(body, "contact");
        else
            rc = json_object_set(body, "contact", contact) == 0 ? 0 : ISX_ENOMEM;
    }
    json_decref(contact);
    return rc;
}

/* The channels, in the order the flags were given; any channel flag replaces the list. */
static int
apply_channels(struct isx__cli *c, const struct isx__cli_args *a, json_t *body)
{
    json_t *list;
    int any = 0;

    if ((list = json_array()) == NULL)
        return ISX_ENOMEM;
    for (size_t i = 0; i < a->nopt; i++) {
        const char *type = a->opt[i] == CLI_OPT_EMAIL   ? "email"
                           : a->opt[i] == CLI_OPT_PHONE ? "phone"
                           : a->opt[i] == CLI_OPT_HTTPS ? "https"
                                                        : NULL;
        if (type == NULL)
            continue;
        any = 1;
        if (a->val[i][0] == '\0')
            continue;
        json_t *ch = json_pack("{s:s, s:s}", "type", type, "value", a->val[i]);
        if (ch == NULL || json_array_append_new(list, ch) != 0) {
            json_decref(list);
            return ISX_ENOMEM;
        }
    }
    if (any)
        json_object_set(body, "channels", list);
    json_decref(list);
    return 0;
}

static int
apply_hours(struct isx__cli *c, const struct isx__cli_args *a, json_t *body)
{
    const char *tz = NULL, *span = NULL;
    json_t *hours = NULL;
    int always = isx__cli_has(a, CLI_OPT_ALWAYS), rc;

    if ((rc = isx__cli_one(c, a, CLI_OPT_TZ, &tz)) != 0 ||
        (rc = isx__cli_one(c, a, CLI_OPT_HOURS, &span)) != 0)
        return rc;
    if (tz == NULL && span == NULL && !always && !isx__cli_has(a, CLI_OPT_DAYS))
        return 0;
    if (always && (span != NULL || isx__cli_has(a, CLI_OPT_DAYS)))
        return isx__cli_usage(c, "cli.err.always_and_hours", NULL);
    hours = json_object_get(body, "hours");
    hours = json_is_object(hours) ? json_deep_copy(hours) : json_object();
    if (hours == NULL)
        return ISX_ENOMEM;
    if (tz != NULL) {
        if (tz[0] == '\0' || strpbrk(tz, " \t") != NULL) {
            rc = bad_value(c, "--tz", "cli.err.tz", tz);
            goto cleanup;
        }
        json_object_set_new(hours, "tz", json_string(tz));
    }
    if (span != NULL) {
        const char *dash = strchr(span, '-');
        if (dash == NULL || !hhmm_valid(span, (size_t)(dash - span)) ||
            !hhmm_valid(dash + 1, strlen(dash + 1))) {
            rc = bad_value(c, "--hours", "cli.err.hours", span);
            goto cleanup;
        }
        json_object_set_new(hours, "from", json_stringn(span, (size_t)(dash - span)));
        json_object_set_new(hours, "to", json_string(dash + 1));
        json_object_del(hours, "always");
    }
    if (always) {
        json_object_set_new(hours, "always", json_true());
        json_object_del(hours, "from");
        json_object_del(hours, "to");
        json_object_del(hours, "days");
    }
    if ((rc = apply_list(c, a, CLI_OPT_DAYS, hours, "days", add_day)) != 0)
        goto cleanup;
    if (json_object_get(hours, "tz") == NULL) {
        rc = isx__cli_usage(c, "cli.err.missing_opt", "--tz");
        goto cleanup;
    }
    rc = json_object_set(body, "hours", hours) == 0 ? 0 : ISX_ENOMEM;
cleanup:
    json_decref(hours);
    return rc;
}

int
isx__cli_poc_apply(struct isx__cli *c, const struct isx__cli_args *a, json_t *body)
{
    const char *kind = NULL, *authority = NULL;
    int rc;

    if ((rc = apply_party(c, a, body)) != 0 ||
        (rc = isx__cli_one(c, a, CLI_OPT_KIND, &kind)) != 0 ||
        (rc = isx__cli_one(c, a, CLI_OPT_AUTHORITY, &authority)) != 0)
        return rc;
    if (kind != NULL) {
        if (!isx_str_in(kind, kinds))
            return bad_value(c, "--kind", "cli.err.kind", kind);
        json_object_set_new(body, "kind", json_string(kind));
    }
    if (authority != NULL && authority[0] == '\0') {
        json_object_del(body, "authority");
    } else if (authority != NULL) {
        if (!isx_object_id_valid(authority, "authority"))
            return bad_value(c, "--authority", "cli.err.id.authority", authority);
        json_object_set_new(body, "authority", json_string(authority));
    }
    if ((rc = apply_langmap(c, a, CLI_OPT_PERSON, body, "person")) != 0 ||
        (rc = apply_langmap(c, a, CLI_OPT_POSITION, body, "position")) != 0 ||
        (rc = apply_langmap(c, a, CLI_OPT_ORGANISATION, body, "organisation")) != 0 ||
        (rc = apply_langmap(c, a, CLI_OPT_NOTE, body, "note")) != 0 ||
        (rc = apply_channels(c, a, body)) != 0 ||
        (rc = apply_list(c, a, CLI_OPT_LANGUAGE, body, "languages", add_language)) != 0)
        return rc;
    return apply_hours(c, a, body);
}

/* What `add` cannot do without: checked before anything is sent. */
static int
need(struct isx__cli *c, const struct isx__cli_args *a, const enum isx__cli_opt *opts, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (!isx__cli_has(a, opts[i]))
            return isx__cli_usage(c, "cli.err.missing_opt", isx__cli_opt_name(opts[i]));
    }
    return 0;
}

int
isx__cli_party_require(struct isx__cli *c, const struct isx__cli_args *a)
{
    if (a->npos == 0)
        return isx__cli_usage(c, "cli.err.missing_arg", NULL);
    return 0;
}

int
isx__cli_authority_require(struct isx__cli *c, const struct isx__cli_args *a)
{
    static const enum isx__cli_opt opts[] = {CLI_OPT_NAME, CLI_OPT_DIRECTION};
    return need(c, a, opts, 2);
}

int
isx__cli_poc_require(struct isx__cli *c, const struct isx__cli_args *a)
{
    static const enum isx__cli_opt opts[] = {CLI_OPT_KIND, CLI_OPT_PERSON, CLI_OPT_ORGANISATION,
                                             CLI_OPT_LANGUAGE};
    int rc = need(c, a, opts, 4);

    if (rc == 0 && !isx__cli_has(a, CLI_OPT_EMAIL) && !isx__cli_has(a, CLI_OPT_PHONE) &&
        !isx__cli_has(a, CLI_OPT_HTTPS))
        rc = isx__cli_usage(c, "cli.err.missing_channel", NULL);
    return rc;
}

int
isx__cli_category_valid(const char *v)
{
    return isx_str_in(v, categories);
}

int
isx__cli_kind_valid(const char *v)
{
    return isx_str_in(v, kinds);
}
