/*
 * Markings: TLP 2.0 levels, recipient parties and national labels, and the Art. 6 rules
 * that decide who may receive what. The built-in state-secret labels are fixed; labels an
 * operator configures are added at start-up, before any request is served, and only read
 * afterwards.
 */
#include <stdlib.h>
#include <string.h>

#include "isx/i18n.h"
#include "isx/marking.h"
#include "isx/schema.h"
#include "isx/taxonomy.h"

static const char *const tlp_names[] = {"clear", "green", "amber", "amber+strict", "red"};

/*
 * State-secret classifications (Art. 6.2): the three Chinese and Russian degrees, the words
 * "state secret" themselves, and the English equivalents. Stored already normalised.
 */
static const char *const builtin_secrets[] = {
    "绝密",
    "机密",
    "秘密",
    "国家秘密",
    "особой важности",
    "совершенно секретно",
    "секретно",
    "государственная тайна",
    "top secret",
    "secret",
    "state secret",
};

#define MAX_CONFIGURED 32
static char *configured[MAX_CONFIGURED];
static size_t nconfigured;

int
isx_tlp_parse(const char *s, enum isx_tlp *out)
{
    for (size_t i = 0; s != NULL && i < sizeof(tlp_names) / sizeof(tlp_names[0]); i++) {
        if (strcmp(s, tlp_names[i]) == 0) {
            *out = (enum isx_tlp)i;
            return 0;
        }
    }
    return ISX_EINVAL;
}

const char *
isx_tlp_name(enum isx_tlp tlp)
{
    return (unsigned)tlp <= ISX_TLP_RED ? tlp_names[tlp] : "red";
}

int
isx_tlp_needs_seal(enum isx_tlp tlp)
{
    return tlp > ISX_TLP_GREEN;
}

/* Quotes and spaces that may surround a label: " ' « » “ ” 「 」 《 》 and the ideographic space.
 */
static size_t
quote_len(const char *s)
{
    static const char *const quotes[] = {"\"", "'",  " ",  "\t", "«",  "»",           "“",
                                         "”",  "「", "」", "《", "》", "\xE3\x80\x80"};

    for (size_t i = 0; i < sizeof(quotes) / sizeof(quotes[0]); i++) {
        size_t n = strlen(quotes[i]);
        if (strncmp(s, quotes[i], n) == 0)
            return n;
    }
    return 0;
}

static size_t
trailing_quote_len(const char *s, size_t len)
{
    for (size_t n = 1; n <= 3 && n <= len; n++) {
        if (quote_len(s + len - n) == n)
            return n;
    }
    return 0;
}

static char *
normalise(const char *label)
{
    size_t n, len;
    char *out;

    while ((n = quote_len(label)) != 0)
        label += n;
    len = strlen(label);
    while (len > 0 && (n = trailing_quote_len(label, len)) != 0)
        len -= n;
    out = malloc(len + 1);
    if (out == NULL)
        return NULL;
    memcpy(out, label, len);
    out[len] = '\0';
    isx_text_fold(out);
    return out;
}

static int
is_letter_at(const char *s)
{
    unsigned char c = (unsigned char)*s;

    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == 0xD0 || c == 0xD1;
}

/*
 * A label matches a term when it is the term, or begins with it. For alphabetic scripts the
 * term must end at a word boundary ("secretariat" is not "secret"); Chinese has no word
 * boundaries, so "机密★10年" and "机密文件" both match.
 */
static int
matches(const char *norm, const char *term)
{
    size_t n = strlen(term);

    if (strncmp(norm, term, n) != 0)
        return 0;
    if (norm[n] == '\0')
        return 1;
    if ((unsigned char)term[0] >= 0xE0) /* a CJK term */
        return 1;
    return !is_letter_at(norm + n);
}

int
isx_marking_is_secret(const char *label)
{
    char *norm = normalise(label);
    int secret = 0;

    /* When memory runs out, refuse the label: failing closed is the safe side of Art. 6.2. */
    if (norm == NULL)
        return 1;
    for (size_t i = 0; !secret && i < sizeof(builtin_secrets) / sizeof(builtin_secrets[0]); i++)
        secret = matches(norm, builtin_secrets[i]);
    for (size_t i = 0; !secret && i < nconfigured; i++)
        secret = matches(norm, configured[i]);
    free(norm);
    return secret;
}

int
isx_marking_add_secret_label(const char *label)
{
    char *norm;

    if (label == NULL || nconfigured == MAX_CONFIGURED)
        return ISX_EINVAL;
    norm = normalise(label);
    if (norm == NULL)
        return ISX_ENOMEM;
    if (*norm == '\0') {
        free(norm);
        return ISX_EINVAL;
    }
    configured[nconfigured++] = norm;
    return 0;
}

void
isx_marking_clear_secret_labels(void)
{
    for (size_t i = 0; i < nconfigured; i++)
        free(configured[i]);
    nconfigured = 0;
}

static int
check_tlp(const json_t *v, const char *path, struct isx_diag *d)
{
    enum isx_tlp tlp;

    if (isx_tlp_parse(json_string_value(v), &tlp) != 0)
        return isx_diag_set(d, ISX_EFIELD, path, "marking.tlp", json_string_value(v));
    return 0;
}

static int
check_label(const json_t *v, const char *path, struct isx_diag *d)
{
    if (isx_marking_is_secret(json_string_value(v)))
        return isx_diag_set(d, ISX_ESECRET, path, "marking.secret", json_string_value(v));
    return 0;
}

static const struct isx_schema_field party_item = {"", ISX_SCHEMA_STRING,    0,    2,
                                                   3,  isx_party_code_check, NULL, NULL};
static const struct isx_schema_field label_item = {"",  ISX_SCHEMA_STRING, 0,    1,
                                                   128, check_label,       NULL, NULL};
static const struct isx_schema_field marking_fields[] = {
    {"tlp", ISX_SCHEMA_STRING, ISX_SCHEMA_REQUIRED, 1, 16, check_tlp, NULL, NULL},
    {"to", ISX_SCHEMA_ARRAY, ISX_SCHEMA_UNIQUE, 0, 256, NULL, NULL, &party_item},
    {"labels", ISX_SCHEMA_ARRAY, ISX_SCHEMA_UNIQUE, 0, 32, NULL, NULL, &label_item},
    {NULL, 0, 0, 0, 0, NULL, NULL, NULL},
};

int
isx_marking_check(const json_t *marking, const char *path, struct isx_diag *d)
{
    enum isx_tlp tlp = ISX_TLP_RED;
    char sub[160];
    int rc;

    /* Secret labels are looked for before anything else so the refusal cites Art. 6.2 even
     * when the rest of the marking is also wrong. */
    const json_t *labels = json_object_get(marking, "labels");
    if (json_is_array(labels)) {
        size_t i;
        json_t *l;
        json_array_foreach(labels, i, l)
        {
            if (json_is_string(l) && isx_marking_is_secret(json_string_value(l))) {
                snprintf(sub, sizeof(sub), "%s.labels[%zu]", path, i);
                return isx_diag_set(d, ISX_ESECRET, sub, "marking.secret", json_string_value(l));
            }
        }
    }
    if ((rc = isx_schema_check(marking, marking_fields, path, d)) != 0)
        return rc;
    isx_tlp_parse(json_string_value(json_object_get(marking, "tlp")), &tlp);
    if (tlp > ISX_TLP_GREEN && json_array_size(json_object_get(marking, "to")) == 0) {
        snprintf(sub, sizeof(sub), "%s.to", path);
        return isx_diag_set(d, ISX_EMISSING, sub, "marking.to_required", isx_tlp_name(tlp));
    }
    return 0;
}

static int
named(const json_t *to, const char *party)
{
    size_t i;
    json_t *p;

    json_array_foreach(to, i, p)
    {
        if (strcmp(json_string_value(p), party) == 0)
            return 1;
    }
    return 0;
}

int
isx_marking_allows_party(const json_t *marking, const char *origin, const char *recipient)
{
    enum isx_tlp tlp;
    const json_t *to = json_object_get(marking, "to");

    if (isx_tlp_parse(json_string_value(json_object_get(marking, "tlp")), &tlp) != 0)
        return 0;
    if (origin != NULL && recipient != NULL && strcmp(origin, recipient) == 0)
        return 1;
    if (tlp == ISX_TLP_CLEAR)
        return 1;
    if (recipient == NULL)
        return 0;
    if (tlp == ISX_TLP_GREEN && json_array_size(to) == 0)
        return 1;
    return named(to, recipient);
}

int
isx_marking_allows_role(const json_t *marking, enum isx_role role)
{
    enum isx_tlp tlp;

    if (isx_tlp_parse(json_string_value(json_object_get(marking, "tlp")), &tlp) != 0)
        return 0;
    return tlp != ISX_TLP_RED || role != ISX_ROLE_OBSERVER;
}
