/*
 * The agreement's vocabulary from a node: `isx taxonomy [CODE]` (the threat types of Annex 2
 * and their features), `isx glossary` (the terms of Annex 1) and `isx directions` (the
 * directions of cooperation of Art. 3).
 *
 * Invariants: these routes are public, so no token is read or sent; the text is shown in the
 * chosen language (another one present when it is missing) and wrapped to the terminal by
 * display columns, so Chinese and Russian paragraphs wrap as cleanly as English ones.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"

#define MAX_COLUMNS 100

static size_t
columns(void)
{
    size_t w = isx__cli_columns();
    return w > MAX_COLUMNS ? MAX_COLUMNS : w;
}

/* "2.1" -> "Art. 2(1)" in the chosen language. */
static int
article(struct isx__cli *c, const char *ref, struct isx_buf *out)
{
    char art[16], item[16] = "";
    const char *dot = ref != NULL ? strchr(ref, '.') : NULL;

    if (ref == NULL)
        return 0;
    if (dot != NULL && (size_t)(dot - ref) < sizeof(art)) {
        memcpy(art, ref, (size_t)(dot - ref));
        art[dot - ref] = '\0';
        snprintf(item, sizeof(item), "%s", dot + 1);
    } else {
        snprintf(art, sizeof(art), "%s", ref);
    }
    return isx__cli_fmt(c->lang, item[0] != '\0' ? "cli.vocab.article_item" : "cli.vocab.article",
                        out, art, item, (const char *)NULL);
}

/* Prints "<lead><text>" wrapped, later lines indented to `indent`. */
static void
para(const char *lead, const char *text, size_t indent)
{
    struct isx_buf clean = ISX_BUF_INIT;

    if (isx__cli_clean(lead, &clean) != 0)
        return;
    fputs(clean.data, stdout);
    isx__cli_wrap(stdout, text != NULL ? text : "", isx__cli_width(clean.data), indent, columns());
    isx_buf_free(&clean);
}

static void
print_feature(struct isx__cli *c, const json_t *f, size_t indent)
{
    struct isx_buf lead = ISX_BUF_INIT;
    const char *code = json_string_value(json_object_get(f, "code"));

    isx_buf_printf(&lead, "%*s%s  ", (int)indent, "", code != NULL ? code : "");
    para(lead.data, isx__cli_pick(json_object_get(f, "text"), c->lang), isx__cli_width(lead.data));
    isx_buf_free(&lead);
}

static void
print_threat(struct isx__cli *c, const json_t *t, int detail)
{
    struct isx_buf lead = ISX_BUF_INIT, art = ISX_BUF_INIT, head = ISX_BUF_INIT;
    const char *code = json_string_value(json_object_get(t, "code"));
    const json_t *lead_text = json_object_get(t, "features_lead");
    size_t i;
    json_t *f;

    isx_buf_printf(&lead, "%s  ", code != NULL ? code : "");
    article(c, json_string_value(json_object_get(t, "article")), &art);
    isx__cli_fmt(c->lang, "cli.vocab.heading", &head,
                 isx__cli_pick(json_object_get(t, "name"), c->lang),
                 art.data != NULL ? art.data : "", (const char *)NULL);
    para(lead.data, head.data, 4);
    if (detail) {
        fputc('\n', stdout);
        para("    ", isx__cli_pick(json_object_get(t, "source"), c->lang), 4);
        fputc('\n', stdout);
    }
    if (lead_text != NULL)
        para("    ", isx__cli_pick(lead_text, c->lang), 4);
    json_array_foreach(json_object_get(t, "features"), i, f)
    {
        print_feature(c, f, 4);
    }
    isx_buf_free(&lead);
    isx_buf_free(&art);
    isx_buf_free(&head);
}

/* A threat or feature code: letters, digits and '-', upper-cased for the API. */
static int
vocab_code(struct isx__cli *c, const char *in, char out[24])
{
    char code[24];
    size_t n = strlen(in);

    if (n == 0 || n >= sizeof(code))
        return isx__cli_fail(c, ISX_EINVAL, NULL, "cli.err.threat_code", in, 2);
    for (size_t i = 0; i <= n; i++) {
        char ch = in[i];
        if (ch != '\0' && !((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
                            (ch >= '0' && ch <= '9') || ch == '-'))
            return isx__cli_fail(c, ISX_EINVAL, NULL, "cli.err.threat_code", in, 2);
        code[i] = (char)(ch >= 'a' && ch <= 'z' ? ch - 32 : ch);
    }
    memcpy(out, code, n + 1);
    return 0;
}

int
isx__cli_taxonomy(struct isx__cli *c, const struct isx__cli_args *a)
{
    struct isx_buf raw = ISX_BUF_INIT, path = ISX_BUF_INIT;
    json_t *doc = NULL, *t;
    char code[24];
    size_t i;
    int rc;

    if ((rc = isx_buf_puts(&path, "/api/v1/taxonomy")) != 0)
        goto cleanup;
    if (a->npos > 0 && ((rc = vocab_code(c, a->pos[0], code)) != 0 ||
                        (rc = isx_buf_printf(&path, "/%s", code)) != 0))
        goto cleanup;
    if ((rc = isx__cli_api(c, "GET", path.data, NULL, NULL, &doc, &raw, NULL)) != 0)
        goto cleanup;
    if (c->json) {
        isx__cli_print_raw(&raw);
    } else if (a->npos == 0) {
        json_array_foreach(json_object_get(doc, "threats"), i, t)
        {
            if (i > 0)
                fputc('\n', stdout);
            print_threat(c, t, 0);
        }
    } else if (json_object_get(doc, "features") != NULL) {
        print_threat(c, doc, 1);
    } else {
        print_feature(c, doc, 0);
    }
cleanup:
    json_decref(doc);
    isx_buf_free(&raw);
    isx_buf_free(&path);
    return rc;
}

int
isx__cli_glossary(struct isx__cli *c, const struct isx__cli_args *a)
{
    struct isx_buf raw = ISX_BUF_INIT, lead = ISX_BUF_INIT;
    json_t *doc = NULL, *t;
    size_t i;
    int rc;

    if ((rc = isx__cli_api(c, "GET", "/api/v1/glossary", NULL, NULL, &doc, &raw, NULL)) != 0)
        goto cleanup;
    if (c->json) {
        isx__cli_print_raw(&raw);
        goto cleanup;
    }
    json_array_foreach(json_object_get(doc, "terms"), i, t)
    {
        isx_buf_reset(&lead);
        isx_buf_printf(&lead, "%s  ", json_string_value(json_object_get(t, "code")));
        if (i > 0)
            fputc('\n', stdout);
        para(lead.data, isx__cli_pick(json_object_get(t, "term"), c->lang), 5);
        para("     ", isx__cli_pick(json_object_get(t, "definition"), c->lang), 5);
    }
cleanup:
    json_decref(doc);
    isx_buf_free(&raw);
    isx_buf_free(&lead);
    return rc;
}

int
isx__cli_directions(struct isx__cli *c, const struct isx__cli_args *a)
{
    static const char *const head[] = {"cli.col.code", "cli.col.article", "cli.col.direction"};
    struct isx_buf raw = ISX_BUF_INIT, art = ISX_BUF_INIT, lead = ISX_BUF_INIT;
    struct isx__cli_table t;
    json_t *doc = NULL, *d;
    int full = isx__cli_has(a, CLI_OPT_FULL);
    size_t i;
    int rc;

    memset(&t, 0, sizeof(t));
    if ((rc = isx__cli_api(c, "GET", "/api/v1/directions", NULL, NULL, &doc, &raw, NULL)) != 0)
        goto cleanup;
    if (c->json) {
        isx__cli_print_raw(&raw);
        goto cleanup;
    }
    if ((rc = isx__cli_table_init(c, &t, 3, head, NULL)) != 0)
        goto cleanup;
    json_array_foreach(json_object_get(doc, "directions"), i, d)
    {
        const char *code = json_string_value(json_object_get(d, "code"));
        const char *shortname = isx__cli_pick(json_object_get(d, "short"), c->lang);
        isx_buf_reset(&art);
        article(c, json_string_value(json_object_get(d, "article")), &art);
        if (full) {
            isx_buf_reset(&lead);
            isx_buf_printf(&lead, "%s  ", code != NULL ? code : "");
            if (i > 0)
                fputc('\n', stdout);
            para(lead.data, shortname, 5);
            para("     ", isx__cli_pick(json_object_get(d, "text"), c->lang), 5);
            para("     ", art.data, 5);
            continue;
        }
        const char *cells[] = {code, art.data, shortname};
        isx__cli_table_row(&t, cells);
    }
    if (!full)
        isx__cli_table_print(&t, stdout);
cleanup:
    isx__cli_table_free(&t);
    json_decref(doc);
    isx_buf_free(&raw);
    isx_buf_free(&art);
    isx_buf_free(&lead);
    return rc;
}
