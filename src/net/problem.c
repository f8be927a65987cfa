/*
 * RFC 9457 problem documents: the one shape in which the API, the server's own refusals and
 * the CLI report an error. Invariants: "type" is always "urn:isx:problem:" followed by the
 * lowercase error name, "status" always equals isx_err_status(err), "code" is the symbolic
 * name, and "field" appears only when a diagnostic names one. The words come from the
 * message catalogue in the caller's language, falling back to English.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "isx/error.h"
#include "isx/http.h"
#include "isx/i18n.h"

/*
 * Length of the valid UTF-8 sequence at `s` (1-4), or 0 when the bytes there are not one.
 * Overlong forms, surrogates and code points above U+10FFFF count as invalid.
 */
static size_t
utf8_seq(const unsigned char *s)
{
    unsigned c = s[0];
    size_t n;
    unsigned cp;

    if (c < 0x80)
        return 1;
    if (c >= 0xc2 && c <= 0xdf)
        n = 2, cp = c & 0x1f;
    else if (c >= 0xe0 && c <= 0xef)
        n = 3, cp = c & 0x0f;
    else if (c >= 0xf0 && c <= 0xf4)
        n = 4, cp = c & 0x07;
    else
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3f);
    }
    if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
        (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return n;
}

/*
 * A JSON string for text that may not be valid UTF-8: a diagnostic's field and argument are
 * cut to fixed sizes and may end inside a character, and the problem must still render.
 * Invalid bytes become U+FFFD.
 */
static json_t *
text_value(const char *s)
{
    struct isx_buf clean = ISX_BUF_INIT;
    const unsigned char *p = (const unsigned char *)s;
    json_t *v = json_string(s);

    if (v != NULL)
        return v;
    while (*p != '\0') {
        size_t n = utf8_seq(p);
        int rc = n != 0 ? isx_buf_append(&clean, p, n) : isx_buf_puts(&clean, "\xef\xbf\xbd");
        if (rc != 0)
            goto cleanup;
        p += n != 0 ? n : 1;
    }
    v = json_string(clean.data != NULL ? clean.data : "");

cleanup:
    isx_buf_free(&clean);
    return v;
}

static int
append_cb(const char *data, size_t size, void *arg)
{
    return isx_buf_append(arg, data, size) == 0 ? 0 : -1;
}

int
isx_http_problem_render(enum isx_lang lang, int err, const struct isx_diag *d, struct isx_buf *out)
{
    struct isx_buf detail = ISX_BUF_INIT;
    char type[96];
    const char *name = isx_err_name(err);
    const char *title = isx_err_title(lang, err);
    const char *detail_text;
    json_t *doc = NULL;
    size_t orig_len = out->len;
    size_t n;
    int rc = ISX_ENOMEM;

    n = (size_t)snprintf(type, sizeof(type), "urn:isx:problem:%s", name);
    /* The URN uses the lowercase name so that it reads like the other URNs in the API. */
    for (size_t i = sizeof("urn:isx:problem:") - 1; i < n && i < sizeof(type); i++)
        type[i] = (char)tolower((unsigned char)type[i]);

    if (d != NULL && d->key[0] != '\0') {
        rc = isx_msg_format(lang, d->key, d->arg[0] != '\0' ? d->arg : NULL, &detail);
        if (rc != 0)
            goto cleanup;
        rc = ISX_ENOMEM;
    }

    detail_text = detail.data != NULL ? detail.data : title;
    doc = json_object();
    if (doc == NULL)
        goto cleanup;
    if (json_object_set_new(doc, "type", json_string(type)) != 0 ||
        json_object_set_new(doc, "title", text_value(title)) != 0 ||
        json_object_set_new(doc, "status", json_integer(isx_err_status(err))) != 0 ||
        json_object_set_new(doc, "detail", text_value(detail_text)) != 0)
        goto cleanup;
    if (d != NULL && d->field[0] != '\0' &&
        json_object_set_new(doc, "field", text_value(d->field)) != 0)
        goto cleanup;
    if (json_object_set_new(doc, "code", json_string(name)) != 0)
        goto cleanup;

    if (json_dump_callback(doc, append_cb, out, JSON_COMPACT) != 0) {
        /* A partial document must not escape: put the buffer back as the caller gave it. */
        out->len = orig_len;
        if (out->data != NULL)
            out->data[orig_len] = '\0';
        goto cleanup;
    }
    rc = 0;

cleanup:
    json_decref(doc);
    isx_buf_free(&detail);
    return rc;
}
