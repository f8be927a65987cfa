/*
 * HTTP Message Signatures (RFC 9421, Ed25519) and Content-Digest (RFC 9530) for the requests
 * nodes send each other. This file owns the strict parser of the Structured Field
 * dictionaries (RFC 8941) that the three headers use, the signature base, signing, verifying
 * and the replay cache.
 *
 * Invariants:
 * - A parsed header is at most ISX_HTTPSIG_FIELD_MAX bytes and its parts live in fixed
 *   arrays, so a hostile header costs bounded memory and time.
 * - The "@signature-params" line is always serialized again from the parsed values, never
 *   copied from the header, so the base is the canonical one whatever spacing a sender used.
 * - No value with a control character reaches a base: a CR or LF there could forge a line.
 * - The replay cache only holds requests whose signature and body verified, and it never
 *   drops an entry before the entry's created time has left the window.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "isx/buf.h"
#include "isx/error.h"
#include "isx/hash.h"
#include "isx/httpsig.h"
#include "isx/sign.h"
#include "isx/taxonomy.h"

#define HDR_INPUT     "Signature-Input"
#define HDR_SIGNATURE "Signature"
#define HDR_DIGEST    "Content-Digest"

/* ---- Structured Field dictionaries (RFC 8941), the subset the three headers need ------- */

/*
 * Limits of one parsed header. Our own headers use one member, three to five items and four
 * parameters; the limits leave room for a peer that adds a second signature or digest, and
 * refuse anything larger rather than grow.
 */
#define SF_MAX_MEMBERS 8
#define SF_MAX_ITEMS   32
#define SF_MAX_PARAMS  32
#define SF_KEY_MAX     64

enum sf_type { SF_INTEGER, SF_DECIMAL, SF_STRING, SF_TOKEN, SF_BYTES, SF_BOOLEAN, SF_INNER };

/*
 * A bare item or an inner list, with its parameters. Strings are unescaped into the
 * dictionary's scratch buffer and NUL-terminated there; tokens, byte sequences and decimals
 * point into the input as written.
 */
struct sf_value {
    enum sf_type type;
    int64_t num; /* SF_INTEGER, SF_BOOLEAN */
    const char *str;
    size_t len;
    size_t item0, nitems;   /* SF_INNER: items[item0 .. item0 + nitems) */
    size_t param0, nparams; /* params[param0 .. param0 + nparams) */
};

struct sf_param {
    const char *key;
    size_t klen;
    struct sf_value v;
};

struct sf_member {
    const char *key;
    size_t klen;
    struct sf_value v;
};

/*
 * One parsed header, about 6 KB; callers keep it on the heap rather than on the stack of a
 * server thread, whose size is not ours to choose.
 */
struct sf_dict {
    struct sf_member members[SF_MAX_MEMBERS];
    size_t nmembers;
    struct sf_value items[SF_MAX_ITEMS];
    size_t nitems;
    struct sf_param params[SF_MAX_PARAMS];
    size_t nparams;
    char scratch[ISX_HTTPSIG_FIELD_MAX + 1];
    size_t used;
};

struct sf_parser {
    const char *p, *end;
    struct sf_dict *d;
};

static int
is_lcalpha(char c)
{
    return c >= 'a' && c <= 'z';
}

static int
is_alpha(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int
is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* RFC 9110 tchar. */
static int
is_tchar(char c)
{
    return is_alpha(c) || is_digit(c) || (c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

static int
is_base64_char(char c)
{
    return is_alpha(c) || is_digit(c) || c == '+' || c == '/' || c == '=';
}

static void
skip_sp(struct sf_parser *ps)
{
    while (ps->p < ps->end && *ps->p == ' ')
        ps->p++;
}

static void
skip_ows(struct sf_parser *ps)
{
    while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\t'))
        ps->p++;
}

static int
sf_key(struct sf_parser *ps, const char **key, size_t *klen)
{
    const char *start = ps->p;

    if (ps->p >= ps->end || !(is_lcalpha(*ps->p) || *ps->p == '*'))
        return ISX_EINVAL;
    while (ps->p < ps->end && (is_lcalpha(*ps->p) || is_digit(*ps->p) || *ps->p == '_' ||
                               *ps->p == '-' || *ps->p == '.' || *ps->p == '*'))
        ps->p++;
    if ((size_t)(ps->p - start) > SF_KEY_MAX)
        return ISX_EINVAL;
    *key = start;
    *klen = (size_t)(ps->p - start);
    return 0;
}

/* RFC 8941 §4.2.4: at most 15 digits for an integer, 12 + 3 for a decimal. */
static int
sf_number(struct sf_parser *ps, struct sf_value *v)
{
    const char *start = ps->p;
    int neg = 0, decimal = 0;
    size_t digits = 0, frac = 0;
    int64_t n = 0;

    if (*ps->p == '-') {
        neg = 1;
        ps->p++;
    }
    if (ps->p >= ps->end || !is_digit(*ps->p))
        return ISX_EINVAL;
    while (ps->p < ps->end) {
        char c = *ps->p;
        if (is_digit(c)) {
            if (decimal)
                frac++;
            else
                n = n * 10 + (c - '0');
            digits++;
        } else if (!decimal && c == '.') {
            if (digits > 12)
                return ISX_EINVAL;
            decimal = 1;
        } else {
            break;
        }
        ps->p++;
        if ((!decimal && digits > 15) || (decimal && (digits > 15 || frac > 3)))
            return ISX_EINVAL;
    }
    if (decimal) {
        if (frac == 0)
            return ISX_EINVAL;
        v->type = SF_DECIMAL;
        v->str = start;
        v->len = (size_t)(ps->p - start);
        return 0;
    }
    v->type = SF_INTEGER;
    v->num = neg ? -n : n;
    return 0;
}

/* Unescapes into the scratch buffer: only \" and \\ are escapes, only printable ASCII. */
static int
sf_string(struct sf_parser *ps, struct sf_value *v)
{
    struct sf_dict *d = ps->d;
    char *out = d->scratch + d->used;
    size_t n = 0, room = sizeof(d->scratch) - d->used;

    ps->p++; /* the opening quote */
    for (;;) {
        char c;
        if (ps->p >= ps->end)
            return ISX_EINVAL;
        c = *ps->p++;
        if (c == '"')
            break;
        if (c == '\\') {
            if (ps->p >= ps->end || (*ps->p != '"' && *ps->p != '\\'))
                return ISX_EINVAL;
            c = *ps->p++;
        } else if (c < 0x20 || c > 0x7e) {
            return ISX_EINVAL;
        }
        if (n + 1 >= room)
            return ISX_EINVAL;
        out[n++] = c;
    }
    out[n] = '\0';
    d->used += n + 1;
    v->type = SF_STRING;
    v->str = out;
    v->len = n;
    return 0;
}

static int
sf_bare(struct sf_parser *ps, struct sf_value *v)
{
    const char *start;

    memset(v, 0, sizeof(*v));
    if (ps->p >= ps->end)
        return ISX_EINVAL;
    start = ps->p;
    if (*ps->p == '-' || is_digit(*ps->p))
        return sf_number(ps, v);
    if (*ps->p == '"')
        return sf_string(ps, v);
    if (*ps->p == ':') {
        ps->p++;
        start = ps->p;
        while (ps->p < ps->end && is_base64_char(*ps->p))
            ps->p++;
        if (ps->p >= ps->end || *ps->p != ':')
            return ISX_EINVAL;
        v->type = SF_BYTES;
        v->str = start;
        v->len = (size_t)(ps->p - start);
        ps->p++;
        return 0;
    }
    if (*ps->p == '?') {
        if (ps->end - ps->p < 2 || (ps->p[1] != '0' && ps->p[1] != '1'))
            return ISX_EINVAL;
        v->type = SF_BOOLEAN;
        v->num = ps->p[1] == '1';
        ps->p += 2;
        return 0;
    }
    if (is_alpha(*ps->p) || *ps->p == '*') {
        ps->p++;
        while (ps->p < ps->end && (is_tchar(*ps->p) || *ps->p == ':' || *ps->p == '/'))
            ps->p++;
        v->type = SF_TOKEN;
        v->str = start;
        v->len = (size_t)(ps->p - start);
        return 0;
    }
    return ISX_EINVAL;
}

/*
 * Parameters of `v`. RFC 8941 lets a repeated key overwrite the earlier one; we refuse it
 * instead, so that no two readers of a header can disagree about what it says.
 */
static int
sf_params(struct sf_parser *ps, struct sf_value *v)
{
    struct sf_dict *d = ps->d;
    int rc;

    v->param0 = d->nparams;
    v->nparams = 0;
    while (ps->p < ps->end && *ps->p == ';') {
        struct sf_param *pm;
        ps->p++;
        skip_sp(ps);
        if (d->nparams >= SF_MAX_PARAMS)
            return ISX_EINVAL;
        pm = &d->params[d->nparams];
        if ((rc = sf_key(ps, &pm->key, &pm->klen)) < 0)
            return rc;
        for (size_t i = v->param0; i < d->nparams; i++)
            if (d->params[i].klen == pm->klen && memcmp(d->params[i].key, pm->key, pm->klen) == 0)
                return ISX_EINVAL;
        if (ps->p < ps->end && *ps->p == '=') {
            ps->p++;
            if ((rc = sf_bare(ps, &pm->v)) < 0)
                return rc;
        } else {
            memset(&pm->v, 0, sizeof(pm->v));
            pm->v.type = SF_BOOLEAN;
            pm->v.num = 1;
        }
        d->nparams++;
        v->nparams++;
    }
    return 0;
}

static int
sf_inner(struct sf_parser *ps, struct sf_value *v)
{
    struct sf_dict *d = ps->d;
    int rc;

    memset(v, 0, sizeof(*v));
    v->type = SF_INNER;
    v->item0 = d->nitems;
    ps->p++; /* '(' */
    for (;;) {
        struct sf_value *it;
        skip_sp(ps);
        if (ps->p >= ps->end)
            return ISX_EINVAL;
        if (*ps->p == ')') {
            ps->p++;
            break;
        }
        /* Items are taken in order, so the ones of this list stay contiguous. */
        if (d->nitems >= SF_MAX_ITEMS)
            return ISX_EINVAL;
        it = &d->items[d->nitems];
        if ((rc = sf_bare(ps, it)) < 0 || (rc = sf_params(ps, it)) < 0)
            return rc;
        d->nitems++;
        v->nitems++;
        if (ps->p >= ps->end || (*ps->p != ' ' && *ps->p != ')'))
            return ISX_EINVAL;
    }
    return sf_params(ps, v);
}

/* RFC 8941 §4.2.2, with repeated keys refused (see sf_params). */
static int
sf_dictionary(const char *text, struct sf_dict *d)
{
    struct sf_parser ps;
    size_t len = strlen(text);
    int rc;

    if (len > ISX_HTTPSIG_FIELD_MAX)
        return ISX_EINVAL;
    memset(d, 0, sizeof(*d));
    ps.p = text;
    ps.end = text + len;
    ps.d = d;
    skip_sp(&ps);
    while (ps.p < ps.end) {
        struct sf_member *m;
        if (d->nmembers >= SF_MAX_MEMBERS)
            return ISX_EINVAL;
        m = &d->members[d->nmembers];
        if ((rc = sf_key(&ps, &m->key, &m->klen)) < 0)
            return rc;
        for (size_t i = 0; i < d->nmembers; i++)
            if (d->members[i].klen == m->klen && memcmp(d->members[i].key, m->key, m->klen) == 0)
                return ISX_EINVAL;
        if (ps.p < ps.end && *ps.p == '=') {
            ps.p++;
            if (ps.p < ps.end && *ps.p == '(')
                rc = sf_inner(&ps, &m->v);
            else if ((rc = sf_bare(&ps, &m->v)) == 0)
                rc = sf_params(&ps, &m->v);
        } else {
            memset(&m->v, 0, sizeof(m->v));
            m->v.type = SF_BOOLEAN;
            m->v.num = 1;
            rc = sf_params(&ps, &m->v);
        }
        if (rc < 0)
            return rc;
        d->nmembers++;
        skip_ows(&ps);
        if (ps.p >= ps.end)
            break;
        if (*ps.p != ',')
            return ISX_EINVAL;
        ps.p++;
        skip_ows(&ps);
        if (ps.p >= ps.end)
            return ISX_EINVAL; /* a trailing comma */
    }
    return 0;
}

static const struct sf_member *
sf_find(const struct sf_dict *d, const char *key)
{
    size_t klen = strlen(key);

    for (size_t i = 0; i < d->nmembers; i++)
        if (d->members[i].klen == klen && memcmp(d->members[i].key, key, klen) == 0)
            return &d->members[i];
    return NULL;
}

/* Appends a string as an sf-string; it holds printable ASCII only, checked by the caller. */
static int
put_sf_string(struct isx_buf *b, const char *s, size_t len)
{
    int rc = isx_buf_putc(b, '"');

    for (size_t i = 0; rc == 0 && i < len; i++) {
        if (s[i] == '"' || s[i] == '\\')
            rc = isx_buf_putc(b, '\\');
        if (rc == 0)
            rc = isx_buf_putc(b, s[i]);
    }
    return rc == 0 ? isx_buf_putc(b, '"') : rc;
}

/* RFC 8941 §4.1 serialization of a bare item. */
static int
put_sf_bare(struct isx_buf *b, const struct sf_value *v)
{
    switch (v->type) {
    case SF_INTEGER:
        return isx_buf_printf(b, "%" PRId64, v->num);
    case SF_STRING:
        return put_sf_string(b, v->str, v->len);
    case SF_BYTES:
        return isx_buf_printf(b, ":%.*s:", (int)v->len, v->str);
    case SF_BOOLEAN:
        return isx_buf_puts(b, v->num ? "?1" : "?0");
    case SF_DECIMAL:
    case SF_TOKEN:
        return isx_buf_append(b, v->str, v->len);
    case SF_INNER:
        break;
    }
    return ISX_EINVAL;
}

static int
put_sf_params(struct isx_buf *b, const struct sf_dict *d, const struct sf_value *v)
{
    int rc = 0;

    for (size_t i = 0; rc == 0 && i < v->nparams; i++) {
        const struct sf_param *pm = &d->params[v->param0 + i];
        rc = isx_buf_printf(b, ";%.*s", (int)pm->klen, pm->key);
        /* A true boolean is written as the bare key. */
        if (rc == 0 && !(pm->v.type == SF_BOOLEAN && pm->v.num == 1)) {
            rc = isx_buf_putc(b, '=');
            if (rc == 0)
                rc = put_sf_bare(b, &pm->v);
        }
    }
    return rc;
}

/* ---- Content-Digest -------------------------------------------------------------------- */

void
isx_httpsig_digest(const void *body, size_t len, char out[ISX_HTTPSIG_DIGEST_SIZE])
{
    uint8_t h[ISX_SHA256_LEN];
    char b64[45]; /* isx_base64_len(32) */

    isx_sha256(len > 0 ? body : "", len, h);
    isx_base64_encode(h, sizeof(h), b64);
    snprintf(out, ISX_HTTPSIG_DIGEST_SIZE, "sha-256=:%s:", b64);
}

/*
 * Parses a Content-Digest value and gives its sha-256 digest: ISX_EINVAL for bad syntax,
 * a sha-256 member that is not 32 bytes, or no sha-256 member at all.
 */
static int
digest_parse(const char *value, uint8_t want[ISX_SHA256_LEN], struct isx_diag *d)
{
    struct sf_dict *dict = malloc(sizeof(*dict));
    const struct sf_member *m;
    uint8_t h[ISX_SHA256_LEN + 3];
    size_t n;
    int rc;

    if (dict == NULL)
        return ISX_ENOMEM;
    if (sf_dictionary(value, dict) < 0 || dict->nmembers == 0) {
        rc = isx_diag_set(d, ISX_EINVAL, HDR_DIGEST, "httpsig.malformed", HDR_DIGEST);
        goto out;
    }
    m = sf_find(dict, "sha-256");
    if (m == NULL) {
        rc = isx_diag_set(d, ISX_EINVAL, HDR_DIGEST, "httpsig.digest_alg", "sha-256");
        goto out;
    }
    if (m->v.type != SF_BYTES || m->v.nparams != 0 ||
        isx_base64_decode(m->v.str, m->v.len, h, sizeof(h), &n) < 0 || n != ISX_SHA256_LEN) {
        rc = isx_diag_set(d, ISX_EINVAL, HDR_DIGEST, "httpsig.malformed", HDR_DIGEST);
        goto out;
    }
    memcpy(want, h, ISX_SHA256_LEN);
    rc = 0;
out:
    free(dict);
    return rc;
}

int
isx_httpsig_digest_check(const char *value, const void *body, size_t len, struct isx_diag *d)
{
    uint8_t want[ISX_SHA256_LEN], got[ISX_SHA256_LEN];
    int rc;

    if (value == NULL)
        return isx_diag_set(d, ISX_EAUTH, HDR_DIGEST, "httpsig.unsigned", HDR_DIGEST);
    if (body == NULL && len > 0)
        return isx_diag_set(d, ISX_EINVAL, NULL, NULL, NULL);
    if ((rc = digest_parse(value, want, d)) < 0)
        return rc;
    isx_sha256(len > 0 ? body : "", len, got);
    if (isx_memcmp_ct(want, got, sizeof(got)) != 0)
        return isx_diag_set(d, ISX_ESIG, HDR_DIGEST, "httpsig.altered", NULL);
    return 0;
}

/* ---- Signature base -------------------------------------------------------------------- */

/* Where header components come from: the request's getter, but content-digest may be ours. */
struct headers {
    const struct isx_httpsig_request *req;
    const char *content_digest; /* overrides the getter when not NULL (signing) */
};

static const char *
header_get(const struct headers *h, const char *name)
{
    if (h->content_digest != NULL && strcmp(name, "content-digest") == 0)
        return h->content_digest;
    if (h->req->header == NULL)
        return NULL;
    return h->req->header(h->req->header_ctx, name);
}

static int
is_derived(const char *name)
{
    return strcmp(name, "@method") == 0 || strcmp(name, "@path") == 0 ||
           strcmp(name, "@query") == 0 || strcmp(name, "@authority") == 0;
}

/*
 * A component name we can cover: one of the derived components above, or a header name in
 * lower case (RFC 9421 §2.1), at most SF_KEY_MAX characters.
 */
static int
component_name_valid(const char *name)
{
    size_t len = strlen(name);

    if (name[0] == '@')
        return is_derived(name);
    if (len == 0 || len > SF_KEY_MAX)
        return 0;
    for (size_t i = 0; i < len; i++)
        if (!is_tchar(name[i]) || (name[i] >= 'A' && name[i] <= 'Z'))
            return 0;
    return 1;
}

/*
 * 1 when `s` holds no control character (HTAB allowed when `tab`) and, when `stop` is not
 * NULL, none of the characters in `stop`.
 */
static int
text_ok(const char *s, size_t len, int tab, const char *stop)
{
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if ((c < 0x20 && !(tab && c == '\t')) || c == 0x7f)
            return 0;
        if (stop != NULL && c != '\0' && strchr(stop, c) != NULL)
            return 0;
    }
    return 1;
}

/* Appends the value of one component (RFC 9421 §2.1 and §2.2). */
static int
put_component_value(struct isx_buf *b, const struct headers *h, const char *name)
{
    const struct isx_httpsig_request *req = h->req;
    const char *v;
    size_t len;
    int rc;

    if (strcmp(name, "@method") == 0) {
        v = req->method;
        if (v == NULL || v[0] == '\0' || !text_ok(v, strlen(v), 0, " "))
            return ISX_EINVAL;
        return isx_buf_puts(b, v);
    }
    if (strcmp(name, "@path") == 0) {
        v = req->path;
        if (v == NULL || v[0] != '/' || !text_ok(v, strlen(v), 0, " ?#"))
            return ISX_EINVAL;
        return isx_buf_puts(b, v);
    }
    if (strcmp(name, "@query") == 0) {
        /* §2.2.7: a target without a query has "?" as its query component. */
        v = req->query != NULL ? req->query : "";
        if (!text_ok(v, strlen(v), 0, " #"))
            return ISX_EINVAL;
        rc = isx_buf_putc(b, '?');
        return rc == 0 ? isx_buf_puts(b, v) : rc;
    }
    if (strcmp(name, "@authority") == 0) {
        v = req->authority;
        if (v == NULL || v[0] == '\0' || !text_ok(v, strlen(v), 0, " /?#@"))
            return ISX_EINVAL;
        rc = 0;
        for (size_t i = 0; rc == 0 && v[i] != '\0'; i++)
            rc = isx_buf_putc(b, (v[i] >= 'A' && v[i] <= 'Z') ? (char)(v[i] - 'A' + 'a') : v[i]);
        return rc;
    }
    /* §2.1: a header's value without its leading and trailing whitespace. */
    v = header_get(h, name);
    if (v == NULL)
        return ISX_EINVAL;
    len = strlen(v);
    while (len > 0 && (*v == ' ' || *v == '\t'))
        v++, len--;
    while (len > 0 && (v[len - 1] == ' ' || v[len - 1] == '\t'))
        len--;
    if (!text_ok(v, len, 1, NULL))
        return ISX_EINVAL;
    return isx_buf_append(b, v, len);
}

/* The "@signature-params" value: ("c1" "c2" ...) followed by the serialized parameters. */
static int
put_signature_params(struct isx_buf *b, const char *const *comp, size_t n, const char *params)
{
    int rc = isx_buf_putc(b, '(');

    for (size_t i = 0; rc == 0 && i < n; i++)
        rc = isx_buf_printf(b, "%s\"%s\"", i > 0 ? " " : "", comp[i]);
    if (rc == 0)
        rc = isx_buf_putc(b, ')');
    return rc == 0 ? isx_buf_puts(b, params) : rc;
}

/* ISX_HTTPSIG_MAX_COMPONENTS as text, for the diagnostic. */
#define STR_(x)             #x
#define STR(x)              STR_(x)
#define MAX_COMPONENTS_TEXT STR(ISX_HTTPSIG_MAX_COMPONENTS)

/* Checks a component list: known names, no repeats, at most ISX_HTTPSIG_MAX_COMPONENTS. */
static int
components_check(const char *const *comp, size_t n, struct isx_diag *d)
{
    if (n > ISX_HTTPSIG_MAX_COMPONENTS)
        return isx_diag_set(d, ISX_EINVAL, HDR_INPUT, "httpsig.too_many", MAX_COMPONENTS_TEXT);
    for (size_t i = 0; i < n; i++) {
        if (comp[i] == NULL)
            return isx_diag_set(d, ISX_EINVAL, NULL, NULL, NULL);
        if (!component_name_valid(comp[i]))
            return isx_diag_set(d, ISX_EINVAL, HDR_INPUT, "httpsig.component", comp[i]);
        for (size_t j = 0; j < i; j++)
            if (strcmp(comp[i], comp[j]) == 0)
                return isx_diag_set(d, ISX_EINVAL, HDR_INPUT, "httpsig.component", comp[i]);
    }
    return 0;
}

/*
 * RFC 9421 §2.5: one line `"<name>": <value>` per component, then the "@signature-params"
 * line whose value is `sigparams`; "\n" between lines and none at the end.
 */
static int
build_base(const struct headers *h, const char *const *comp, size_t n, const char *sigparams,
           struct isx_buf *out, struct isx_diag *d)
{
    int rc = 0;

    for (size_t i = 0; i < n; i++) {
        if ((rc = isx_buf_printf(out, "\"%s\": ", comp[i])) < 0)
            return rc;
        if ((rc = put_component_value(out, h, comp[i])) < 0) {
            if (rc != ISX_EINVAL)
                return rc;
            return isx_diag_set(d, ISX_EINVAL, comp[i], "httpsig.field", comp[i]);
        }
        if ((rc = isx_buf_putc(out, '\n')) < 0)
            return rc;
    }
    if ((rc = isx_buf_puts(out, "\"@signature-params\": ")) < 0)
        return rc;
    return isx_buf_puts(out, sigparams);
}

int
isx_httpsig_base(const struct isx_httpsig_request *req, const char *const *components,
                 size_t ncomponents, const char *params, struct isx_buf *out, struct isx_diag *d)
{
    struct isx_buf sp = ISX_BUF_INIT, base = ISX_BUF_INIT;
    struct headers h = {req, NULL};
    int rc;

    if (req == NULL || (components == NULL && ncomponents > 0) || params == NULL || out == NULL ||
        !text_ok(params, strlen(params), 0, NULL)) {
        rc = isx_diag_set(d, ISX_EINVAL, NULL, NULL, NULL);
        goto out;
    }
    if ((rc = components_check(components, ncomponents, d)) < 0)
        goto out;
    if ((rc = put_signature_params(&sp, components, ncomponents, params)) < 0)
        goto out;
    if ((rc = build_base(&h, components, ncomponents, sp.data, &base, d)) < 0)
        goto out;
    rc = isx_buf_append(out, base.data, base.len);
out:
    isx_buf_free(&sp);
    isx_buf_free(&base);
    return rc;
}

/* ---- The federation profile ------------------------------------------------------------ */

static const char *const profile_components[] = {"@method", "@path", "content-digest"};
#define PROFILE_NCOMPONENTS (sizeof(profile_components) / sizeof(profile_components[0]))

/* The name of the first profile component missing from `comp`, or NULL when all are there. */
static const char *
profile_missing(const char *const *comp, size_t n)
{
    for (size_t i = 0; i < PROFILE_NCOMPONENTS; i++) {
        size_t j = 0;
        while (j < n && strcmp(comp[j], profile_components[i]) != 0)
            j++;
        if (j == n)
            return profile_components[i];
    }
    return NULL;
}

/* "<PARTY>:<8 lowercase hex>", the party a known party code; splits it into the two parts. */
static int
keyid_parse(const char *keyid, char party[4], char key_id[9])
{
    const char *colon = strchr(keyid, ':');
    size_t plen;

    if (colon == NULL)
        return ISX_EINVAL;
    plen = (size_t)(colon - keyid);
    if (plen < 2 || plen > 3 || strlen(colon + 1) != 8)
        return ISX_EINVAL;
    for (size_t i = 0; i < plen; i++)
        if (keyid[i] < 'A' || keyid[i] > 'Z')
            return ISX_EINVAL;
    for (size_t i = 1; i <= 8; i++)
        if (!is_digit(colon[i]) && !(colon[i] >= 'a' && colon[i] <= 'f'))
            return ISX_EINVAL;
    memcpy(party, keyid, plen);
    party[plen] = '\0';
    if (!isx_party_code_valid(party))
        return ISX_EINVAL;
    memcpy(key_id, colon + 1, 9);
    return 0;
}

static int
nonce_valid(const char *nonce)
{
    size_t len = strlen(nonce);

    if (len < ISX_HTTPSIG_NONCE_MIN || len > ISX_HTTPSIG_NONCE_MAX)
        return 0;
    for (size_t i = 0; i < len; i++)
        if (!is_base64_char(nonce[i]) && nonce[i] != '-' && nonce[i] != '_')
            return 0;
    return 1;
}

/* ---- Signing --------------------------------------------------------------------------- */

int
isx_httpsig_use_signer(void *ctx, const void *msg, size_t len, uint8_t sig[ISX_SIGN_SIG_LEN])
{
    return isx_signer_sign(ctx, msg, len, sig);
}

int
isx_httpsig_sign(const struct isx_httpsig_request *req, const struct isx_httpsig_signing *s,
                 int64_t created, const char *nonce, struct isx_httpsig_headers *out)
{
    struct isx_buf params = ISX_BUF_INIT, sp = ISX_BUF_INIT, base = ISX_BUF_INIT;
    const char *const *comp;
    char keyid[16], party[4], key_id[9], rnd_nonce[32], digest[ISX_HTTPSIG_DIGEST_SIZE];
    char b64[89]; /* isx_base64_len(64) */
    uint8_t sig[ISX_SIGN_SIG_LEN], rnd[16];
    struct headers h;
    size_t n;
    int rc;

    if (req == NULL || s == NULL || out == NULL || s->sign == NULL || s->party == NULL ||
        s->key_id == NULL || created < 0 || created > 999999999999999 ||
        (req->body == NULL && req->body_len > 0)) {
        rc = ISX_EINVAL;
        goto out;
    }
    comp = s->components != NULL ? s->components : profile_components;
    n = s->components != NULL ? s->ncomponents : PROFILE_NCOMPONENTS;
    if (components_check(comp, n, NULL) < 0 || profile_missing(comp, n) != NULL) {
        rc = ISX_EINVAL;
        goto out;
    }
    /* The keyid is checked by the verifier's own parser, so a node cannot send one that its
     * peers would refuse. */
    if (strlen(s->party) > 3 || strlen(s->key_id) != 8) {
        rc = ISX_EINVAL;
        goto out;
    }
    snprintf(keyid, sizeof(keyid), "%s:%s", s->party, s->key_id);
    if (keyid_parse(keyid, party, key_id) < 0) {
        rc = ISX_EINVAL;
        goto out;
    }
    if (nonce == NULL) {
        isx_random(rnd, sizeof(rnd));
        isx_base64url_encode(rnd, sizeof(rnd), rnd_nonce);
        nonce = rnd_nonce;
    }
    if (!nonce_valid(nonce)) {
        rc = ISX_EINVAL;
        goto out;
    }

    isx_httpsig_digest(req->body, req->body_len, digest);
    rc = isx_buf_printf(
        &params, ";created=%" PRId64 ";keyid=\"%s\";alg=\"" ISX_HTTPSIG_ALG "\";nonce=\"%s\"",
        created, keyid, nonce);
    if (rc < 0 || (rc = put_signature_params(&sp, comp, n, params.data)) < 0)
        goto out;
    if (sizeof(ISX_HTTPSIG_LABEL "=") - 1 + sp.len > ISX_HTTPSIG_FIELD_MAX) {
        rc = ISX_EINVAL;
        goto out;
    }
    h.req = req;
    h.content_digest = digest;
    if ((rc = build_base(&h, comp, n, sp.data, &base, NULL)) < 0)
        goto out;
    if ((rc = s->sign(s->ctx, base.data, base.len, sig)) < 0)
        goto out;

    isx_base64_encode(sig, sizeof(sig), b64);
    memcpy(out->content_digest, digest, sizeof(digest));
    snprintf(out->signature_input, sizeof(out->signature_input), ISX_HTTPSIG_LABEL "=%s", sp.data);
    snprintf(out->signature, sizeof(out->signature), ISX_HTTPSIG_LABEL "=:%s:", b64);
    rc = 0;
out:
    isx_buf_free(&params);
    isx_buf_free(&sp);
    isx_buf_free(&base);
    return rc;
}

/* ---- Replay cache ---------------------------------------------------------------------- */

/*
 * An open-addressing table (linear probing) of (tag, expiry). The tag is 16 bytes of SHA-256
 * over a random per-cache salt, the keyid, a NUL and the nonce: entries have one size whatever
 * the nonce, and the salt keeps a peer from choosing nonces that pile up in one place. A pair
 * can only sit in the REPLAY_PROBE slots from its home slot on, which bounds the work under
 * the lock; a request whose slots there are all live is refused as busy. The table has twice
 * as many slots as the capacity asked for, because at half load a run of REPLAY_PROBE live
 * slots is vanishingly rare, so busy means the cache really holds more than its capacity.
 */
#define REPLAY_PROBE     128
#define REPLAY_MIN_SLOTS 64
#define REPLAY_MAX       ((size_t)1 << 23)

struct replay_entry {
    int64_t expires; /* 0: never used; below `now`: expired, free for reuse */
    uint8_t tag[16];
};

struct isx_httpsig_replay {
    pthread_mutex_t lock;
    size_t mask;
    uint8_t salt[16];
    struct replay_entry *slots;
};

int
isx_httpsig_replay_new(size_t capacity, struct isx_httpsig_replay **out)
{
    struct isx_httpsig_replay *r = NULL;
    size_t slots = REPLAY_MIN_SLOTS;
    int rc;

    if (out == NULL || capacity > REPLAY_MAX) {
        rc = ISX_EINVAL;
        goto fail;
    }
    while (slots < capacity * 2)
        slots <<= 1;
    r = calloc(1, sizeof(*r));
    if (r == NULL || (r->slots = calloc(slots, sizeof(*r->slots))) == NULL) {
        rc = ISX_ENOMEM;
        goto fail;
    }
    if (pthread_mutex_init(&r->lock, NULL) != 0) {
        rc = ISX_ENOMEM;
        goto fail;
    }
    r->mask = slots - 1;
    isx_random(r->salt, sizeof(r->salt));
    *out = r;
    return 0;
fail:
    if (r != NULL)
        free(r->slots);
    free(r);
    return rc;
}

void
isx_httpsig_replay_free(struct isx_httpsig_replay *r)
{
    if (r == NULL)
        return;
    pthread_mutex_destroy(&r->lock);
    free(r->slots);
    free(r);
}

int
isx_httpsig_replay_check(struct isx_httpsig_replay *r, const char *keyid, const char *nonce,
                         int64_t expires, int64_t now)
{
    struct isx_sha256_ctx c;
    uint8_t h[ISX_SHA256_LEN];
    struct replay_entry *free_slot = NULL;
    size_t home, probe;
    uint64_t idx = 0;
    int rc = 0;

    if (r == NULL || keyid == NULL || nonce == NULL)
        return ISX_EINVAL;
    /* Something already expired could never be replayed inside its window. */
    if (expires < now || expires <= 0)
        return 0;
    isx_sha256_init(&c);
    isx_sha256_update(&c, r->salt, sizeof(r->salt));
    isx_sha256_update(&c, keyid, strlen(keyid) + 1);
    isx_sha256_update(&c, nonce, strlen(nonce));
    isx_sha256_final(&c, h);
    for (int i = 0; i < 8; i++)
        idx = idx << 8 | h[i];
    home = (size_t)idx & r->mask;
    probe = r->mask + 1 < REPLAY_PROBE ? r->mask + 1 : REPLAY_PROBE;

    pthread_mutex_lock(&r->lock);
    for (size_t i = 0; i < probe; i++) {
        struct replay_entry *e = &r->slots[(home + i) & r->mask];
        if (e->expires == 0) {
            /* The pair would have been stored here or earlier: it is not in the table. */
            if (free_slot == NULL)
                free_slot = e;
            break;
        }
        if (e->expires < now) {
            if (free_slot == NULL)
                free_slot = e;
            continue;
        }
        if (memcmp(e->tag, h + 8, sizeof(e->tag)) == 0) {
            rc = ISX_EEXISTS;
            goto out;
        }
    }
    if (free_slot == NULL) {
        rc = ISX_EBUSY;
        goto out;
    }
    free_slot->expires = expires;
    memcpy(free_slot->tag, h + 8, sizeof(free_slot->tag));
out:
    pthread_mutex_unlock(&r->lock);
    return rc;
}

/* ---- Verifying ------------------------------------------------------------------------- */

static const char *const reason_names[] = {
    [ISX_HTTPSIG_OK] = "ok",
    [ISX_HTTPSIG_UNSIGNED] = "unsigned",
    [ISX_HTTPSIG_MALFORMED] = "malformed",
    [ISX_HTTPSIG_UNKNOWN_KEY] = "unknown_key",
    [ISX_HTTPSIG_FORGED] = "forged",
    [ISX_HTTPSIG_ALTERED] = "altered",
    [ISX_HTTPSIG_STALE] = "stale",
    [ISX_HTTPSIG_REPLAYED] = "replayed",
    [ISX_HTTPSIG_BUSY] = "busy",
    [ISX_HTTPSIG_ERROR] = "error",
};

const char *
isx_httpsig_reason_name(enum isx_httpsig_reason r)
{
    if ((size_t)r >= sizeof(reason_names) / sizeof(reason_names[0]))
        return "error";
    return reason_names[r];
}

/*
 * The longest window accepted: a day. A longer one would keep replay entries for longer than
 * any clock needs, and it keeps now +- window far from overflowing.
 */
#define WINDOW_MAX 86400

/* What the chosen Signature-Input member says, after the profile's checks. */
struct sig_input {
    const char *comp[ISX_HTTPSIG_MAX_COMPONENTS];
    size_t ncomp;
    int64_t created, expires;
    int has_created, has_expires;
    const char *keyid, *alg, *nonce;
    struct isx_buf sigparams; /* the "@signature-params" value, serialized again */
};

/* Parameters defined by RFC 9421 §2.3; anything else is outside the profile. */
static int
input_param(struct sig_input *in, const struct sf_param *pm, struct isx_diag *d)
{
    static const char *const names[] = {"created", "expires", "nonce", "alg", "keyid", "tag"};
    char key[SF_KEY_MAX + 1];
    size_t i;

    memcpy(key, pm->key, pm->klen);
    key[pm->klen] = '\0';
    for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (strcmp(key, names[i]) == 0)
            break;
    if (i == sizeof(names) / sizeof(names[0]))
        return isx_diag_set(d, ISX_EINVAL, HDR_INPUT, "httpsig.param", key);
    if (i < 2) {
        if (pm->v.type != SF_INTEGER || pm->v.num < 0)
            return isx_diag_set(d, ISX_EINVAL, HDR_INPUT, "httpsig.param", key);
        if (i == 0)
            in->created = pm->v.num, in->has_created = 1;
        else
            in->expires = pm->v.num, in->has_expires = 1;
        return 0;
    }
    if (pm->v.type != SF_STRING)
        return isx_diag_set(d, ISX_EINVAL, HDR_INPUT, "httpsig.param", key);
    if (i == 2)
        in->nonce = pm->v.str;
    else if (i == 3)
        in->alg = pm->v.str;
    else if (i == 4)
        in->keyid = pm->v.str;
    return 0;
}

/* Checks the member against the profile and fills `in`; every refusal is ISX_EINVAL. */
static int
input_read(const struct sf_dict *dict, const struct sf_member *m, struct sig_input *in,
           struct isx_diag *d)
{
    const char *missing;
    int rc;

    if (m->v.type != SF_INNER)
        return isx_diag_set(d, ISX_EINVAL, HDR_INPUT, "httpsig.malformed", HDR_INPUT);
    if (m->v.nitems > ISX_HTTPSIG_MAX_COMPONENTS)
        return isx_diag_set(d, ISX_EINVAL, HDR_INPUT, "httpsig.too_many", MAX_COMPONENTS_TEXT);
    for (size_t i = 0; i < m->v.nitems; i++) {
        const struct sf_value *it = &dict->items[m->v.item0 + i];
        /* Component parameters (;sf, ;key, ;bs, ;req) are not part of the profile. */
        if (it->type != SF_STRING)
            return isx_diag_set(d, ISX_EINVAL, HDR_INPUT, "httpsig.malformed", HDR_INPUT);
        if (it->nparams != 0)
            return isx_diag_set(d, ISX_EINVAL, HDR_INPUT, "httpsig.component", it->str);
        in->comp[in->ncomp++] = it->str;
    }
    if ((rc = components_check(in->comp, in->ncomp, d)) < 0)
        return rc;
    if ((missing = profile_missing(in->comp, in->ncomp)) != NULL)
        return isx_diag_set(d, ISX_EINVAL, HDR_INPUT, "httpsig.components", missing);
    for (size_t i = 0; i < m->v.nparams; i++)
        if ((rc = input_param(in, &dict->params[m->v.param0 + i], d)) < 0)
            return rc;
    if (!in->has_created)
        return isx_diag_set(d, ISX_EINVAL, HDR_INPUT, "httpsig.param", "created");
    if (in->keyid == NULL)
        return isx_diag_set(d, ISX_EINVAL, HDR_INPUT, "httpsig.param", "keyid");
    if (in->alg == NULL)
        return isx_diag_set(d, ISX_EINVAL, HDR_INPUT, "httpsig.param", "alg");
    if (in->nonce == NULL || !nonce_valid(in->nonce))
        return isx_diag_set(d, ISX_EINVAL, HDR_INPUT, "httpsig.param", "nonce");
    if (strcmp(in->alg, ISX_HTTPSIG_ALG) != 0)
        return isx_diag_set(d, ISX_EINVAL, HDR_INPUT, "httpsig.alg", in->alg);
    if ((rc = put_signature_params(&in->sigparams, in->comp, in->ncomp, "")) < 0 ||
        (rc = put_sf_params(&in->sigparams, dict, &m->v)) < 0)
        return rc;
    return 0;
}

/* The member to check: the only one, or sig1 among several. */
static const struct sf_member *
choose_label(const struct sf_dict *dict)
{
    if (dict->nmembers == 1)
        return &dict->members[0];
    return sf_find(dict, ISX_HTTPSIG_LABEL);
}

/* Sets the reason that goes with return code `rc` (0 included), and passes rc on. */
static int
with_reason(enum isx_httpsig_reason *reason, enum isx_httpsig_reason r, int rc)
{
    if (reason != NULL)
        *reason = r;
    return rc;
}

int
isx_httpsig_verify(const struct isx_httpsig_request *req, const struct isx_httpsig_verifier *v,
                   int64_t now, struct isx_httpsig_peer *out, enum isx_httpsig_reason *reason,
                   struct isx_diag *d)
{
    struct sf_dict *in_dict = NULL, *sig_dict = NULL;
    struct sig_input in;
    struct headers h = {req, NULL};
    struct isx_buf base = ISX_BUF_INIT;
    const char *hin, *hsig, *hdig;
    const struct sf_member *m, *sm;
    char label[SF_KEY_MAX + 1], party[4], key_id[9], created[24];
    uint8_t want[ISX_SHA256_LEN], got[ISX_SHA256_LEN], pk[ISX_SIGN_PUBLIC_LEN];
    uint8_t sig[ISX_SIGN_SIG_LEN + 3];
    size_t n;
    int rc;

    memset(&in, 0, sizeof(in));
    if (req == NULL || v == NULL || out == NULL || v->key == NULL || v->replay == NULL ||
        v->window <= 0 || v->window > WINDOW_MAX || now < 0 || now > INT64_MAX / 2 ||
        req->header == NULL || (req->body == NULL && req->body_len > 0)) {
        rc = with_reason(reason, ISX_HTTPSIG_ERROR, isx_diag_set(d, ISX_EINVAL, NULL, NULL, NULL));
        goto out;
    }

    /* Unsigned: any of the three headers absent. */
    hin = req->header(req->header_ctx, "signature-input");
    hsig = req->header(req->header_ctx, "signature");
    hdig = req->header(req->header_ctx, "content-digest");
    if (hin == NULL || hsig == NULL || hdig == NULL) {
        const char *which = hin == NULL ? HDR_INPUT : hsig == NULL ? HDR_SIGNATURE : HDR_DIGEST;
        rc = with_reason(reason, ISX_HTTPSIG_UNSIGNED,
                         isx_diag_set(d, ISX_EAUTH, which, "httpsig.unsigned", which));
        goto out;
    }

    /* Malformed: syntax first, then the profile. */
    in_dict = malloc(sizeof(*in_dict));
    sig_dict = malloc(sizeof(*sig_dict));
    if (in_dict == NULL || sig_dict == NULL) {
        rc = with_reason(reason, ISX_HTTPSIG_ERROR, ISX_ENOMEM);
        goto out;
    }
    if (sf_dictionary(hin, in_dict) < 0 || in_dict->nmembers == 0) {
        rc = with_reason(reason, ISX_HTTPSIG_MALFORMED,
                         isx_diag_set(d, ISX_EINVAL, HDR_INPUT, "httpsig.malformed", HDR_INPUT));
        goto out;
    }
    if (sf_dictionary(hsig, sig_dict) < 0 || sig_dict->nmembers == 0) {
        rc = with_reason(
            reason, ISX_HTTPSIG_MALFORMED,
            isx_diag_set(d, ISX_EINVAL, HDR_SIGNATURE, "httpsig.malformed", HDR_SIGNATURE));
        goto out;
    }
    if ((m = choose_label(in_dict)) == NULL) {
        rc =
            with_reason(reason, ISX_HTTPSIG_MALFORMED,
                        isx_diag_set(d, ISX_EINVAL, HDR_INPUT, "httpsig.label", ISX_HTTPSIG_LABEL));
        goto out;
    }
    memcpy(label, m->key, m->klen);
    label[m->klen] = '\0';
    if ((sm = sf_find(sig_dict, label)) == NULL) {
        rc = with_reason(reason, ISX_HTTPSIG_MALFORMED,
                         isx_diag_set(d, ISX_EINVAL, HDR_SIGNATURE, "httpsig.label", label));
        goto out;
    }
    if (sm->v.type != SF_BYTES || sm->v.nparams != 0 ||
        isx_base64_decode(sm->v.str, sm->v.len, sig, sizeof(sig), &n) < 0 ||
        n != ISX_SIGN_SIG_LEN) {
        rc = with_reason(
            reason, ISX_HTTPSIG_MALFORMED,
            isx_diag_set(d, ISX_EINVAL, HDR_SIGNATURE, "httpsig.malformed", HDR_SIGNATURE));
        goto out;
    }
    if ((rc = input_read(in_dict, m, &in, d)) < 0) {
        rc = with_reason(reason, rc == ISX_EINVAL ? ISX_HTTPSIG_MALFORMED : ISX_HTTPSIG_ERROR, rc);
        goto out;
    }
    if (keyid_parse(in.keyid, party, key_id) < 0) {
        rc = with_reason(reason, ISX_HTTPSIG_MALFORMED,
                         isx_diag_set(d, ISX_EINVAL, HDR_INPUT, "httpsig.keyid", in.keyid));
        goto out;
    }
    if ((rc = digest_parse(hdig, want, d)) < 0) {
        rc = with_reason(reason, rc == ISX_EINVAL ? ISX_HTTPSIG_MALFORMED : ISX_HTTPSIG_ERROR, rc);
        goto out;
    }

    /* The base, which also refuses a covered header that is absent or holds a control
     * character; still before any key is used. */
    if ((rc = build_base(&h, in.comp, in.ncomp, in.sigparams.data, &base, d)) < 0) {
        rc = with_reason(reason, rc == ISX_EINVAL ? ISX_HTTPSIG_MALFORMED : ISX_HTTPSIG_ERROR, rc);
        goto out;
    }

    /* Stale: outside the window either way, or past its own expiry. Cheap, so before any
     * key lookup or signature check. */
    snprintf(created, sizeof(created), "%" PRId64, in.created);
    if (in.created < now - v->window || in.created > now + v->window ||
        (in.has_expires && in.expires < now)) {
        rc = with_reason(reason, ISX_HTTPSIG_STALE,
                         isx_diag_set(d, ISX_ERANGE, HDR_INPUT, "httpsig.stale", created));
        goto out;
    }

    rc = v->key(v->key_ctx, party, key_id, pk);
    if (rc == ISX_EKEY || rc == ISX_ENOTFOUND) {
        rc = with_reason(reason, ISX_HTTPSIG_UNKNOWN_KEY,
                         isx_diag_set(d, ISX_EKEY, HDR_INPUT, "httpsig.unknown_key", in.keyid));
        goto out;
    }
    if (rc < 0) {
        rc = with_reason(reason, ISX_HTTPSIG_ERROR, isx_diag_set(d, rc, HDR_INPUT, NULL, in.keyid));
        goto out;
    }

    /* Forged: the signature over the base. A changed method, path or Content-Digest header
     * lands here too, since each is a line of the base. */
    if (isx_sign_verify(pk, base.data, base.len, sig) != 0) {
        rc = with_reason(reason, ISX_HTTPSIG_FORGED,
                         isx_diag_set(d, ISX_ESIG, HDR_SIGNATURE, "httpsig.forged", in.keyid));
        goto out;
    }

    /* Altered: the signed Content-Digest is genuine but the body is not the one it names. */
    isx_sha256(req->body_len > 0 ? req->body : "", req->body_len, got);
    if (isx_memcmp_ct(want, got, sizeof(got)) != 0) {
        rc = with_reason(reason, ISX_HTTPSIG_ALTERED,
                         isx_diag_set(d, ISX_ESIG, HDR_DIGEST, "httpsig.altered", NULL));
        goto out;
    }

    /* Replayed: last, so that only authentic requests take room in the cache. The entry
     * lives as long as a request with this created time could still be accepted. */
    rc = isx_httpsig_replay_check(v->replay, in.keyid, in.nonce, in.created + v->window, now);
    if (rc == ISX_EEXISTS) {
        rc = with_reason(reason, ISX_HTTPSIG_REPLAYED,
                         isx_diag_set(d, ISX_EEXISTS, HDR_INPUT, "httpsig.replayed", in.nonce));
        goto out;
    }
    if (rc == ISX_EBUSY) {
        rc = with_reason(reason, ISX_HTTPSIG_BUSY,
                         isx_diag_set(d, ISX_EBUSY, HDR_INPUT, "httpsig.busy", NULL));
        goto out;
    }
    if (rc < 0) {
        rc = with_reason(reason, ISX_HTTPSIG_ERROR, rc);
        goto out;
    }

    memcpy(out->party, party, sizeof(party));
    memcpy(out->key_id, key_id, sizeof(key_id));
    rc = with_reason(reason, ISX_HTTPSIG_OK, 0);
out:
    isx_buf_free(&in.sigparams);
    isx_buf_free(&base);
    free(in_dict);
    free(sig_dict);
    return rc;
}
