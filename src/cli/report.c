/*
 * Everything the isx command says about a failure, and the formatting of catalogue text.
 *
 * Invariants: a failure is one line on stderr, "isx: <title>: <field>: <detail>", with parts
 * that are empty left out, built from the problem document or the diagnostic in the chosen
 * language; a usage error names, on the same line, the help to read. Whoever reports also
 * decides the exit status (c->exit_code), so main never has to guess where an error came
 * from. Text from a node is cleaned before it reaches the terminal.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

#define MAX_FMT_ARGS 9

int
isx__cli_vfmt(enum isx_lang lang, const char *key, struct isx_buf *out, va_list ap)
{
    const char *args[MAX_FMT_ARGS], *t = isx_msg(lang, key), *a;
    size_t n = 0, next = 0;
    int rc = 0;

    while (n < MAX_FMT_ARGS && (a = va_arg(ap, const char *)) != NULL)
        args[n++] = a;
    while (rc == 0 && *t != '\0') {
        if (t[0] == '{' && t[1] == '}') {
            rc = isx_buf_puts(out, next < n ? args[next] : "");
            next++;
            t += 2;
        } else if (t[0] == '{' && t[1] >= '1' && t[1] <= '9' && t[2] == '}') {
            size_t k = (size_t)(t[1] - '1');
            rc = isx_buf_puts(out, k < n ? args[k] : "");
            t += 3;
        } else {
            rc = isx_buf_putc(out, *t++);
        }
    }
    if (rc == 0 && out->data == NULL)
        rc = isx_buf_puts(out, "");
    return rc;
}

int
isx__cli_fmt(enum isx_lang lang, const char *key, struct isx_buf *out, ...)
{
    va_list ap;
    int rc;

    va_start(ap, out);
    rc = isx__cli_vfmt(lang, key, out, ap);
    va_end(ap);
    return rc;
}

static void
vprint(FILE *f, enum isx_lang lang, const char *key, va_list ap)
{
    struct isx_buf text = ISX_BUF_INIT;

    if (isx__cli_vfmt(lang, key, &text, ap) == 0)
        fprintf(f, "%s\n", text.data);
    isx_buf_free(&text);
}

void
isx__cli_say(struct isx__cli *c, const char *key, ...)
{
    va_list ap;

    va_start(ap, key);
    vprint(stdout, c->lang, key, ap);
    va_end(ap);
}

void
isx__cli_note(struct isx__cli *c, const char *key, ...)
{
    va_list ap;

    va_start(ap, key);
    vprint(stderr, c->lang, key, ap);
    va_end(ap);
}

/* Prints "isx: a: b: c" with empty parts left out, every part cleaned, as one line. */
static void
line(const char *title, const char *field, const char *detail)
{
    const char *parts[] = {title, field, detail};
    struct isx_buf out = ISX_BUF_INIT, clean = ISX_BUF_INIT;

    isx_buf_puts(&out, "isx");
    for (size_t i = 0; i < 3; i++) {
        if (parts[i] == NULL || parts[i][0] == '\0')
            continue;
        /* A detail that only repeats the title says nothing more. */
        if (i == 2 && title != NULL && strcmp(parts[i], title) == 0)
            continue;
        isx_buf_puts(&out, ": ");
        isx_buf_puts(&out, parts[i]);
    }
    if (out.data != NULL && isx__cli_clean(out.data, &clean) == 0)
        fprintf(stderr, "%s\n", clean.data);
    isx_buf_free(&out);
    isx_buf_free(&clean);
}

int
isx__cli_usage(struct isx__cli *c, const char *key, const char *arg)
{
    struct isx_buf msg = ISX_BUF_INIT, what = ISX_BUF_INIT, text = ISX_BUF_INIT;

    /* The most precise help there is: the verb's, else the noun's, else the overview. */
    if (c->cmd != NULL && c->cmd->verb != NULL)
        isx_buf_printf(&what, "isx %s %s --help", c->cmd->noun, c->cmd->verb);
    else if (c->noun != NULL)
        isx_buf_printf(&what, "isx %s --help", c->noun);
    else
        isx_buf_puts(&what, "isx --help");
    /* One line, hint included, so that every failure is exactly one line on stderr. */
    if (what.data != NULL && isx__cli_fmt(c->lang, key, &msg, arg, (const char *)NULL) == 0 &&
        isx__cli_fmt(c->lang, "cli.usage_line", &text, msg.data, what.data, (const char *)NULL) ==
            0)
        line(text.data, NULL, NULL);
    isx_buf_free(&msg);
    isx_buf_free(&what);
    isx_buf_free(&text);
    c->exit_code = 2;
    return ISX_EINVAL;
}

int
isx__cli_fail(struct isx__cli *c, int rc, const char *field, const char *key, const char *arg,
              int exit_code)
{
    struct isx_buf detail = ISX_BUF_INIT;

    if (key != NULL)
        isx__cli_fmt(c->lang, key, &detail, arg, (const char *)NULL);
    line(isx_err_title(c->lang, rc), field, detail.data);
    isx_buf_free(&detail);
    c->exit_code = exit_code;
    return rc;
}

int
isx__cli_bad(struct isx__cli *c, enum isx__cli_opt opt, const char *key, const char *arg)
{
    return isx__cli_fail(c, ISX_EINVAL, isx__cli_opt_name(opt), key, arg, 2);
}

int
isx__cli_fail_diag(struct isx__cli *c, int rc, const struct isx_diag *d)
{
    struct isx_buf detail = ISX_BUF_INIT;
    int status = isx_err_status(rc);

    if (d != NULL && d->key[0] != '\0')
        isx_msg_format(c->lang, d->key, d->arg[0] != '\0' ? d->arg : NULL, &detail);
    line(isx_err_title(c->lang, rc), d != NULL ? d->field : NULL, detail.data);
    isx_buf_free(&detail);
    c->exit_code = status >= 400 && status < 500 ? 2 : 1;
    return rc;
}

/* The ISX_E* code whose symbolic name a problem document carries in "code". */
static int
code_of(const char *name, long status)
{
    for (int e = -1; name != NULL && e >= -ISX__EIDX_MAX; e--) {
        if (strcmp(isx_err_name(e), name) == 0)
            return e;
    }
    return status >= 400 && status < 500 ? ISX_EINVAL : ISX_EIO;
}

int
isx__cli_problem(struct isx__cli *c, long status, const char *body, size_t len)
{
    json_t *doc = json_loadb(body, len, 0, NULL);
    const char *title = json_string_value(json_object_get(doc, "title"));
    int rc = code_of(json_string_value(json_object_get(doc, "code")), status);
    char num[24];

    c->exit_code = status >= 400 && status < 500 ? 2 : 1;
    if (title != NULL) {
        line(title, json_string_value(json_object_get(doc, "field")),
             json_string_value(json_object_get(doc, "detail")));
    } else {
        /* Not a problem document: a proxy or another server answered. */
        struct isx_buf msg = ISX_BUF_INIT;
        snprintf(num, sizeof(num), "%ld", status);
        if (isx__cli_fmt(c->lang, "cli.err.http_status", &msg, num, (const char *)NULL) == 0)
            line(isx_err_title(c->lang, rc), NULL, msg.data);
        isx_buf_free(&msg);
    }
    json_decref(doc);
    return rc;
}
