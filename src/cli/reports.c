/*
 * Threat reports and their indicators (Art. 3.2, Annex 2): `isx report submit|list|show`,
 * `isx indicator lookup` and `isx import csv`, over the API of docs/reports-api-contract.md.
 *
 * Invariants: codes the user types (threat, feature, severity, status, sector, party, TLP,
 * times) are checked and normalised here before anything is sent, so a typo is refused in the
 * user's language without a round trip; indicators are judged by the same library the node
 * uses. An import reads the whole file, checks its quoting and every indicator, and only then
 * sends its first report, so a bad row creates nothing; a file of more than REPORT_MAX distinct
 * indicators becomes several reports whose titles end in "(1/3)", "(2/3)"... Enumerated values
 * are shown by their catalogue labels and threat types by their Annex 2 names; ids and
 * indicator values are printed in full, titles and names may be cut to fit a terminal. Text
 * from a node is cleaned before it reaches the terminal.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "isx/indicator.h"
#include "isx/marking.h"
#include "isx/object.h"
#include "isx/taxonomy.h"
#include "isx/timeutil.h"

#define REPORT_MAX   10000 /* indicators in one report (the contract's limit) */
#define CSV_MAX      ((size_t)256 << 20)
#define THREAT_COLS  32
#define TITLE_COLS   48
#define CODE_MAX     16
#define REPORTS_PATH "/api/v1/reports"
#define LOOKUP_PATH  "/api/v1/indicators/lookup"

static const char *const severities[] = {"low", "medium", "high", "critical", NULL};
static const char *const statuses[] = {"suspected", "confirmed", "resolved", NULL};

/* ---- small helpers ---- */

static const char *
str(const json_t *obj, const char *field)
{
    return json_string_value(json_object_get(obj, field));
}

static int
one_of(const char *v, const char *const *values)
{
    for (; *values != NULL; values++) {
        if (strcmp(v, *values) == 0)
            return 1;
    }
    return 0;
}

/* Text that is a language map (titles) or a plain string. */
static const char *
text_of(struct isx__cli *c, const json_t *v)
{
    return json_is_string(v) ? json_string_value(v) : isx__cli_pick(v, c->lang);
}

/* Copies `in` (at most cap - 1 bytes) with ASCII letters lowered (upper = 0) or raised. */
static int
ascii_case(const char *in, int upper, char *out, size_t cap)
{
    size_t n = strlen(in);

    if (n == 0 || n >= cap)
        return ISX_EINVAL;
    for (size_t i = 0; i <= n; i++) {
        char ch = in[i];
        if (upper && ch >= 'a' && ch <= 'z')
            ch = (char)(ch - 32);
        else if (!upper && ch >= 'A' && ch <= 'Z')
            ch = (char)(ch + 32);
        out[i] = ch;
    }
    return 0;
}

/* "<base>.one", ".few" or ".many": the plural form that `n` takes in the chosen language. */
static void
plural_key(struct isx__cli *c, const char *base, size_t n, char *out, size_t cap)
{
    const char *form = "many";

    if (c->lang == ISX_LANG_RU && n % 10 == 1 && n % 100 != 11)
        form = "one";
    else if (c->lang == ISX_LANG_RU && n % 10 >= 2 && n % 10 <= 4 && (n % 100 < 12 || n % 100 > 14))
        form = "few";
    else if (c->lang == ISX_LANG_EN && n == 1)
        form = "one";
    snprintf(out, cap, "%s.%s", base, form);
}

/* Prints catalogue text built from data of a node, cleaned, and a newline. */
static void say_clean(struct isx__cli *c, FILE *f, const char *key, ...) __attribute__((sentinel));

static void
say_clean(struct isx__cli *c, FILE *f, const char *key, ...)
{
    struct isx_buf text = ISX_BUF_INIT, clean = ISX_BUF_INIT;
    va_list ap;

    va_start(ap, key);
    if (isx__cli_vfmt(c->lang, key, &text, ap) == 0 && isx__cli_clean(text.data, &clean) == 0)
        fprintf(f, "%s\n", clean.data);
    va_end(ap);
    isx_buf_free(&text);
    isx_buf_free(&clean);
}

/* ---- codes the user types ---- */

/* A threat ("t3" -> "T3") or feature ("t3-f1" -> "T3-F1") code, checked against Annex 2. */
static int
taxonomy_code(struct isx__cli *c, enum isx__cli_opt opt, const char *in, int feature,
              char out[CODE_MAX])
{
    if (ascii_case(in, 1, out, CODE_MAX) == 0 &&
        (feature ? isx_taxonomy_feature(out, NULL) != NULL : isx_taxonomy_threat(out) != NULL))
        return 0;
    return isx__cli_bad(c, opt, feature ? "cli.err.feature" : "cli.err.threat", in);
}

/* A value of a closed list, any case in, lower case out. */
static int
enum_value(struct isx__cli *c, enum isx__cli_opt opt, const char *in, const char *const *values,
           const char *key, char out[CODE_MAX])
{
    if (ascii_case(in, 0, out, CODE_MAX) == 0 && one_of(out, values))
        return 0;
    return isx__cli_bad(c, opt, key, in);
}

static int
sector_code(struct isx__cli *c, enum isx__cli_opt opt, const char *in, char out[32])
{
    if (ascii_case(in, 0, out, 32) == 0 && isx_vocab_find(ISX_VOCAB_SECTORS, out) != NULL)
        return 0;
    return isx__cli_bad(c, opt, "cli.err.sector", in);
}

/*
 * A time: RFC 3339 UTC, or a date standing for its first millisecond (`end` 0) or its last
 * (`end` 1). Written out in the one canonical form, so the node compares like with like.
 */
static int
time_value(struct isx__cli *c, enum isx__cli_opt opt, const char *in, int end,
           char out[ISX_TIME_LEN + 1])
{
    char full[40];
    const char *t = in;
    int64_t ms;

    if (strlen(in) == 10 && in[4] == '-' && in[7] == '-') {
        snprintf(full, sizeof(full), "%sT%s", in, end ? "23:59:59.999Z" : "00:00:00.000Z");
        t = full;
    }
    if (isx_time_parse(t, &ms) != 0)
        return isx__cli_bad(c, opt, "cli.err.time", in);
    isx_time_format(ms, out);
    return 0;
}

/* ---- how reports look ---- */

/* "T3 Information crime" from the built-in Annex 2, for table cells. */
static int
threat_label(struct isx__cli *c, const char *code, struct isx_buf *out)
{
    const json_t *t = code != NULL ? isx_taxonomy_threat(code) : NULL;
    const char *name = t != NULL ? isx__cli_pick(json_object_get(t, "name"), c->lang) : NULL;

    if (code == NULL)
        return isx_buf_puts(out, "");
    return name != NULL ? isx_buf_printf(out, "%s %s", code, name) : isx_buf_puts(out, code);
}

/* "AMBER+STRICT" from "amber+strict". */
static int
tlp_text(const char *tlp, struct isx_buf *out)
{
    int rc = isx_buf_puts(out, "");

    for (const char *p = tlp != NULL ? tlp : ""; rc == 0 && *p != '\0'; p++)
        rc = isx_buf_putc(out, (char)(*p >= 'a' && *p <= 'z' ? *p - 32 : *p));
    return rc;
}

/* "2026-11-21 09:30" from an RFC 3339 time, for table cells. */
static int
short_time(const char *t, struct isx_buf *out)
{
    if (t == NULL || strlen(t) < 16 || t[10] != 'T')
        return isx_buf_puts(out, t != NULL ? t : "");
    return isx_buf_printf(out, "%.10s %.5s", t, t + 11);
}

/* The translated name of an indicator type ("IPv4 address"), else the type itself. */
static const char *
type_label(struct isx__cli *c, const char *type)
{
    char key[64];
    const char *text;

    if (type == NULL)
        return "";
    snprintf(key, sizeof(key), "indicator.label.%s", type);
    text = isx_msg(c->lang, key);
    return text == key ? type : text;
}

static int
show_marking(struct isx__cli *c, struct isx__cli_table *t, const json_t *m)
{
    struct isx_buf line = ISX_BUF_INIT;
    size_t i;
    json_t *v;
    int rc;

    if (str(m, "tlp") == NULL)
        return 0;
    isx_buf_puts(&line, "TLP:");
    tlp_text(str(m, "tlp"), &line);
    json_array_foreach(json_object_get(m, "to"), i, v)
    {
        isx_buf_printf(&line, "%s%s", i == 0 ? " \xe2\x86\x92 " : ", ", json_string_value(v));
    }
    json_array_foreach(json_object_get(m, "labels"), i, v)
    {
        isx_buf_printf(&line, "%s%s", i == 0 ? " | " : ", ", json_string_value(v));
    }
    rc = isx__cli_kv(c, t, "cli.field.marking", line.data);
    isx_buf_free(&line);
    return rc;
}

/* "Created <id> (version <v>), N indicators." for a report the node has just stored. */
static void
print_created(struct isx__cli *c, const json_t *env, const struct isx_buf *raw)
{
    size_t n = json_array_size(json_object_get(json_object_get(env, "body"), "indicators"));
    char key[64], count[24];

    if (c->json) {
        isx__cli_print_raw(raw);
        return;
    }
    snprintf(count, sizeof(count), "%zu", n);
    plural_key(c, "cli.report.created", n, key, sizeof(key));
    isx__cli_say(c, key, str(env, "id"), str(env, "version"), count, (const char *)NULL);
}

/* ---- report submit ---- */

int
isx__cli_report_submit(struct isx__cli *c, const struct isx__cli_args *a)
{
    struct isx_buf raw = ISX_BUF_INIT;
    json_t *body = NULL, *env = NULL;
    int rc;

    if ((rc = isx__cli_read_json(c, a->pos[0], &body)) != 0)
        return rc;
    if ((rc = isx__cli_api(c, "POST", REPORTS_PATH, NULL, body, &env, &raw, NULL)) != 0)
        goto cleanup;
    print_created(c, env, &raw);
cleanup:
    json_decref(body);
    json_decref(env);
    isx_buf_free(&raw);
    return rc;
}

/* ---- report list ---- */

/* The filters: which option becomes which query parameter, checked and normalised. */
static int
list_query(struct isx__cli *c, const struct isx__cli_args *a, struct isx_buf *path)
{
    char code[CODE_MAX], sector[32], party[8], since[ISX_TIME_LEN + 1] = "",
                                                                    until[ISX_TIME_LEN + 1] = "";
    const char *v = NULL;
    int rc;

    if ((rc = isx__cli_one(c, a, CLI_OPT_THREAT, &v)) != 0 ||
        (v != NULL && ((rc = taxonomy_code(c, CLI_OPT_THREAT, v, 0, code)) != 0 ||
                       (rc = isx__cli_query(path, "threat", code)) != 0)))
        return rc;
    if ((rc = isx__cli_one(c, a, CLI_OPT_FEATURE, &v)) != 0 ||
        (v != NULL && ((rc = taxonomy_code(c, CLI_OPT_FEATURE, v, 1, code)) != 0 ||
                       (rc = isx__cli_query(path, "feature", code)) != 0)))
        return rc;
    if ((rc = isx__cli_one(c, a, CLI_OPT_SEVERITY, &v)) != 0 ||
        (v != NULL &&
         ((rc = enum_value(c, CLI_OPT_SEVERITY, v, severities, "cli.err.severity", code)) != 0 ||
          (rc = isx__cli_query(path, "severity", code)) != 0)))
        return rc;
    if ((rc = isx__cli_one(c, a, CLI_OPT_STATUS, &v)) != 0 ||
        (v != NULL &&
         ((rc = enum_value(c, CLI_OPT_STATUS, v, statuses, "cli.err.report_status", code)) != 0 ||
          (rc = isx__cli_query(path, "status", code)) != 0)))
        return rc;
    if ((rc = isx__cli_one(c, a, CLI_OPT_SECTOR, &v)) != 0 ||
        (v != NULL && ((rc = sector_code(c, CLI_OPT_SECTOR, v, sector)) != 0 ||
                       (rc = isx__cli_query(path, "sector", sector)) != 0)))
        return rc;
    if ((rc = isx__cli_one(c, a, CLI_OPT_PARTY, &v)) != 0 ||
        (v != NULL && ((rc = isx__cli_party_code(c, "--party", v, party)) != 0 ||
                       (rc = isx__cli_query(path, "party", party)) != 0)))
        return rc;
    if ((rc = isx__cli_one(c, a, CLI_OPT_SINCE, &v)) != 0 ||
        (v != NULL && (rc = time_value(c, CLI_OPT_SINCE, v, 0, since)) != 0))
        return rc;
    if ((rc = isx__cli_one(c, a, CLI_OPT_UNTIL, &v)) != 0 ||
        (v != NULL && (rc = time_value(c, CLI_OPT_UNTIL, v, 1, until)) != 0))
        return rc;
    if (since[0] != '\0' && until[0] != '\0' && strcmp(since, until) > 0)
        return isx__cli_bad(c, CLI_OPT_UNTIL, "cli.err.time_order", since);
    if ((since[0] != '\0' && (rc = isx__cli_query(path, "since", since)) != 0) ||
        (until[0] != '\0' && (rc = isx__cli_query(path, "until", until)) != 0))
        return rc;
    /* The node normalises an indicator as it stores them; any spelling will do. */
    if ((rc = isx__cli_one(c, a, CLI_OPT_INDICATOR, &v)) != 0 ||
        (v != NULL && (rc = isx__cli_query(path, "indicator", v)) != 0))
        return rc;
    if ((rc = isx__cli_one(c, a, CLI_OPT_Q, &v)) != 0 ||
        (v != NULL && (rc = isx__cli_query(path, "q", v)) != 0))
        return rc;
    if ((rc = isx__cli_one(c, a, CLI_OPT_LIMIT, &v)) != 0)
        return rc;
    if (v != NULL) {
        char *end;
        long n = strtol(v, &end, 10);
        if (v[0] < '0' || v[0] > '9' || *end != '\0' || n < 1 || n > 500)
            return isx__cli_bad(c, CLI_OPT_LIMIT, "cli.err.limit", v);
        if ((rc = isx__cli_query(path, "limit", v)) != 0)
            return rc;
    }
    return 0;
}

static int
report_row(struct isx__cli *c, struct isx__cli_table *t, const json_t *env)
{
    const json_t *body = json_object_get(env, "body");
    struct isx_buf threat = ISX_BUF_INIT, tlp = ISX_BUF_INIT, seen = ISX_BUF_INIT,
                   count = ISX_BUF_INIT;
    const char *when = str(body, "last_seen");
    int rc;

    if (when == NULL)
        when = str(body, "first_seen");
    if ((rc = threat_label(c, str(body, "threat"), &threat)) != 0 ||
        (rc = tlp_text(str(json_object_get(env, "marking"), "tlp"), &tlp)) != 0 ||
        (rc = short_time(when, &seen)) != 0 ||
        (rc = body != NULL ? isx_buf_printf(&count, "%zu",
                                            json_array_size(json_object_get(body, "indicators")))
                           : isx_buf_puts(&count, "")) != 0)
        goto cleanup;
    const char *cells[] = {
        str(env, "id"),
        str(env, "origin"),
        threat.data,
        body != NULL ? isx__cli_label(c, "severity", str(body, "severity")) : NULL,
        body != NULL ? isx__cli_label(c, "status", str(body, "status")) : NULL,
        tlp.data,
        seen.data,
        count.data,
        body != NULL ? text_of(c, json_object_get(body, "title")) : isx_msg(c->lang, "cli.sealed"),
    };
    rc = isx__cli_table_row(t, cells);
cleanup:
    isx_buf_free(&threat);
    isx_buf_free(&tlp);
    isx_buf_free(&seen);
    isx_buf_free(&count);
    return rc;
}

int
isx__cli_report_list(struct isx__cli *c, const struct isx__cli_args *a)
{
    static const char *const head[] = {"cli.col.id",        "cli.col.origin",     "cli.col.threat",
                                       "cli.col.severity",  "cli.col.status",     "cli.col.tlp",
                                       "cli.col.last_seen", "cli.col.indicators", "cli.col.title"};
    static const size_t max[] = {0, 0, THREAT_COLS, 0, 0, 0, 0, 0, TITLE_COLS};
    struct isx_buf base = ISX_BUF_INIT;
    struct isx__cli_table t;
    const char *cursor = NULL;
    int pages = isx__cli_has(a, CLI_OPT_ALL_PAGES), rc;

    memset(&t, 0, sizeof(t));
    if ((rc = isx_buf_puts(&base, REPORTS_PATH)) != 0 || (rc = list_query(c, a, &base)) != 0 ||
        (rc = isx__cli_one(c, a, CLI_OPT_CURSOR, &cursor)) != 0)
        goto cleanup;
    if ((rc = isx__cli_table_init(c, &t, 9, head, max)) != 0) {
        goto cleanup;
    }
    rc = isx__cli_pages(c, base.data, cursor, pages, &t, report_row, "cli.report.none");
cleanup:
    isx__cli_table_free(&t);
    isx_buf_free(&base);
    return rc;
}

/* ---- report show ---- */

/* The threat type and its features, named from the node's own Annex 2 in the chosen language. */
static int
show_threat(struct isx__cli *c, struct isx__cli_table *t, const json_t *body)
{
    struct isx_buf path = ISX_BUF_INIT, line = ISX_BUF_INIT;
    const char *code = str(body, "threat"), *label = "cli.field.features";
    json_t *tax = NULL, *f, *g;
    size_t i, j;
    int rc = 0;

    if (code == NULL)
        return 0;
    /* Only a code Annex 2 knows goes into the path; anything else is shown as it is. */
    if (isx_taxonomy_threat(code) != NULL &&
        ((rc = isx_buf_printf(&path, "/api/v1/taxonomy/%s", code)) != 0 ||
         (rc = isx__cli_api(c, "GET", path.data, NULL, NULL, &tax, NULL, NULL)) != 0))
        goto cleanup;
    const char *name = text_of(c, json_object_get(tax, "name"));
    isx_buf_printf(&line, "%s  %s", code, name != NULL ? name : "");
    isx__cli_kv(c, t, "cli.field.threat", line.data);
    json_array_foreach(json_object_get(body, "features"), i, f)
    {
        const char *fc = json_string_value(f), *text = NULL;
        json_array_foreach(json_object_get(tax, "features"), j, g)
        {
            if (fc != NULL && strcmp(fc, str(g, "code") != NULL ? str(g, "code") : "") == 0)
                text = text_of(c, json_object_get(g, "text"));
        }
        isx_buf_reset(&line);
        isx_buf_printf(&line, "%s  %s", fc != NULL ? fc : "", text != NULL ? text : "");
        isx__cli_kv(c, t, label, line.data);
        label = NULL;
    }
cleanup:
    json_decref(tax);
    isx_buf_free(&path);
    isx_buf_free(&line);
    return rc;
}

static void
show_fields(struct isx__cli *c, struct isx__cli_table *t, const json_t *body)
{
    struct isx_buf line = ISX_BUF_INIT;
    const char *label = "cli.field.references";
    size_t i;
    json_t *v;

    isx__cli_kv(c, t, "cli.field.severity", isx__cli_label(c, "severity", str(body, "severity")));
    isx__cli_kv(c, t, "cli.field.status", isx__cli_label(c, "status", str(body, "status")));
    isx__cli_kv(c, t, "cli.field.first_seen", str(body, "first_seen"));
    isx__cli_kv(c, t, "cli.field.last_seen", str(body, "last_seen"));
    json_array_foreach(json_object_get(body, "sectors"), i, v)
    {
        const char *code = json_string_value(v);
        const json_t *s = code != NULL ? isx_vocab_find(ISX_VOCAB_SECTORS, code) : NULL;
        const char *name = s != NULL ? isx__cli_pick(json_object_get(s, "name"), c->lang) : NULL;
        if (name == NULL)
            name = code != NULL ? code : "";
        if (i > 0)
            isx_buf_puts(&line, isx_msg(c->lang, "cli.list_sep"));
        isx_buf_puts(&line, name);
    }
    isx__cli_kv(c, t, "cli.field.sectors", line.data);
    isx__cli_kv_langmap(c, t, "cli.field.summary", json_object_get(body, "summary"));
    json_array_foreach(json_object_get(body, "references"), i, v)
    {
        isx__cli_kv(c, t, label, json_string_value(v));
        label = NULL;
    }
    isx_buf_free(&line);
}

/* What the envelope says: who published it, which version, and who may read it. */
static void
show_envelope(struct isx__cli *c, struct isx__cli_table *t, const json_t *env)
{
    struct isx_buf origin = ISX_BUF_INIT;

    if (str(env, "origin") != NULL && isx__cli_party_label(c, str(env, "origin"), &origin) == 0)
        isx__cli_kv(c, t, "cli.field.origin", origin.data);
    isx__cli_kv(c, t, "cli.field.version", str(env, "version"));
    show_marking(c, t, json_object_get(env, "marking"));
    isx_buf_free(&origin);
}

/* The indicators: type, value, and the Unicode form or the note when there is one. */
static int
show_indicators(struct isx__cli *c, const json_t *list)
{
    static const char *const head[] = {"cli.col.type", "cli.col.value", "cli.col.display",
                                       "cli.col.note"};
    struct isx__cli_table t;
    char n[24];
    size_t i, ncols = 2;
    json_t *v;
    int rc;

    snprintf(n, sizeof(n), "%zu", json_array_size(list));
    fputc('\n', stdout);
    isx__cli_say(c, "cli.report.indicators", n, (const char *)NULL);
    if (json_array_size(list) == 0)
        return 0;
    /* A column only when some row has something in it. */
    json_array_foreach(list, i, v)
    {
        const char *value = str(v, "value"), *display = str(v, "display");
        if (display != NULL && value != NULL && strcmp(display, value) != 0)
            ncols = ncols > 3 ? ncols : 3;
        if (str(v, "note") != NULL)
            ncols = 4;
    }
    if ((rc = isx__cli_table_init(c, &t, ncols, head, NULL)) != 0)
        return rc;
    json_array_foreach(list, i, v)
    {
        const char *value = str(v, "value"), *display = str(v, "display");
        const char *cells[] = {
            type_label(c, str(v, "type")), value,
            display != NULL && value != NULL && strcmp(display, value) != 0 ? display : NULL,
            str(v, "note")};
        if ((rc = isx__cli_table_row(&t, cells)) != 0)
            break;
    }
    if (rc == 0)
        isx__cli_table_print(&t, stdout);
    isx__cli_table_free(&t);
    return rc;
}

/* The other reports that share an indicator with this one, as the node found them. */
static int
show_correlated(struct isx__cli *c, const json_t *list)
{
    static const char *const head[] = {"cli.col.id", "cli.col.origin", "cli.col.threat",
                                       "cli.col.shared", "cli.col.title"};
    static const size_t max[] = {0, 0, THREAT_COLS, 0, TITLE_COLS};
    struct isx_buf threat = ISX_BUF_INIT, shared = ISX_BUF_INIT;
    struct isx__cli_table t;
    size_t i;
    json_t *v;
    int rc;

    fputc('\n', stdout);
    if (json_array_size(list) == 0) {
        isx__cli_say(c, "cli.report.no_correlated", (const char *)NULL);
        return 0;
    }
    isx__cli_say(c, "cli.report.correlated", (const char *)NULL);
    if ((rc = isx__cli_table_init(c, &t, 5, head, max)) != 0)
        return rc;
    json_array_foreach(list, i, v)
    {
        const json_t *s = json_object_get(v, "shared");
        isx_buf_reset(&threat);
        isx_buf_reset(&shared);
        if ((rc = threat_label(c, str(v, "threat"), &threat)) != 0)
            break;
        if (json_is_integer(s))
            rc = isx_buf_printf(&shared, "%lld", (long long)json_integer_value(s));
        else
            rc = isx_buf_printf(&shared, "%zu", json_array_size(s));
        const char *cells[] = {str(v, "id"), str(v, "origin"), threat.data, shared.data,
                               text_of(c, json_object_get(v, "title"))};
        if (rc != 0 || (rc = isx__cli_table_row(&t, cells)) != 0)
            break;
    }
    if (rc == 0)
        isx__cli_table_print(&t, stdout);
    isx__cli_table_free(&t);
    isx_buf_free(&threat);
    isx_buf_free(&shared);
    return rc;
}

int
isx__cli_report_show(struct isx__cli *c, const struct isx__cli_args *a)
{
    struct isx_buf path = ISX_BUF_INIT, raw = ISX_BUF_INIT;
    struct isx__cli_table t;
    json_t *doc = NULL;
    const json_t *env, *body;
    int rc;

    memset(&t, 0, sizeof(t));
    if (!isx_object_id_valid(a->pos[0], "report"))
        return isx__cli_fail(c, ISX_EINVAL, NULL, "cli.err.id.report", a->pos[0], 2);
    if ((rc = isx_buf_printf(&path, "%s/%s", REPORTS_PATH, a->pos[0])) != 0 ||
        (rc = isx__cli_api(c, "GET", path.data, NULL, NULL, &doc, &raw, NULL)) != 0)
        goto cleanup;
    if (c->json) {
        isx__cli_print_raw(&raw);
        goto cleanup;
    }
    env = json_object_get(doc, "object");
    body = json_object_get(env, "body");
    if ((rc = isx__cli_kv_init(c, &t)) != 0)
        goto cleanup;
    isx__cli_kv(c, &t, "cli.field.id", str(env, "id"));
    if (body == NULL) {
        isx__cli_kv(c, &t, "cli.field.body", isx_msg(c->lang, "cli.sealed"));
    } else {
        isx__cli_kv_langmap(c, &t, "cli.field.title", json_object_get(body, "title"));
        if ((rc = show_threat(c, &t, body)) != 0)
            goto cleanup;
        show_fields(c, &t, body);
    }
    show_envelope(c, &t, env);
    isx__cli_table_print(&t, stdout);
    if (body != NULL && (rc = show_indicators(c, json_object_get(body, "indicators"))) != 0)
        goto cleanup;
    rc = show_correlated(c, json_object_get(doc, "correlated"));
cleanup:
    isx__cli_table_free(&t);
    json_decref(doc);
    isx_buf_free(&path);
    isx_buf_free(&raw);
    return rc;
}

/* ---- indicator lookup ---- */

/* The ISX_E* code whose symbolic name is `name`; ISX_EFIELD when none is. */
static int
code_named(const char *name)
{
    for (int e = -1; name != NULL && e >= -ISX__EIDX_MAX; e--) {
        if (strcmp(isx_err_name(e), name) == 0)
            return e;
    }
    return ISX_EFIELD;
}

/* A value the node could not parse: its reason, as one line on stderr; exit status 2. */
static int
print_invalid(struct isx__cli *c, const json_t *error)
{
    int code = code_named(str(error, "code"));
    json_t *doc =
        json_pack("{s:s, s:s, s:s?, s:s?}", "title", isx_err_title(c->lang, code), "code",
                  isx_err_name(code), "field", str(error, "field"), "detail", str(error, "detail"));
    char *text = doc != NULL ? json_dumps(doc, JSON_COMPACT) : NULL;
    int rc = text != NULL ? isx__cli_problem(c, 422, text, strlen(text)) : ISX_ENOMEM;

    free(text);
    json_decref(doc);
    return rc;
}

/* The same for a value judged here (with --type): the reason in the user's language. */
static int
print_invalid_diag(struct isx__cli *c, const struct isx_diag *d)
{
    struct isx_buf detail = ISX_BUF_INIT;
    json_t *error;
    int rc;

    isx_msg_format(c->lang, d->key, d->arg[0] != '\0' ? d->arg : NULL, &detail);
    error = json_pack("{s:s, s:s, s:s}", "code", isx_err_name(d->code), "field", d->field, "detail",
                      detail.data != NULL ? detail.data : "");
    rc = error != NULL ? print_invalid(c, error) : ISX_ENOMEM;
    json_decref(error);
    isx_buf_free(&detail);
    return rc;
}

/* One answer: the value as the node normalised it, then the reports that carry it. */
static int
print_result(struct isx__cli *c, const char *input, const json_t *r, int first)
{
    struct isx_buf threat = ISX_BUF_INIT, match = ISX_BUF_INIT;
    struct isx__cli_table t;
    const char *value = str(r, "value"), *label = type_label(c, str(r, "type"));
    const json_t *reports = json_object_get(r, "reports");
    size_t i;
    json_t *m;
    int rc;

    if (!first)
        fputc('\n', stdout);
    if (input != NULL && value != NULL && strcmp(input, value) != 0)
        say_clean(c, stdout, "cli.lookup.normalised", input, value, label, (const char *)NULL);
    else
        say_clean(c, stdout, "cli.lookup.value", value != NULL ? value : input, label,
                  (const char *)NULL);
    if (json_array_size(reports) == 0) {
        fputs("  ", stdout);
        say_clean(c, stdout, "cli.lookup.not_seen", (const char *)NULL);
        return 0;
    }
    /* No header; an empty first column indents the rows under their value. */
    if ((rc = isx__cli_table_init(c, &t, 7, NULL, NULL)) != 0)
        return rc;
    t.max[3] = THREAT_COLS;
    t.max[6] = TITLE_COLS;
    json_array_foreach(reports, i, m)
    {
        isx_buf_reset(&threat);
        isx_buf_reset(&match);
        if ((rc = threat_label(c, str(m, "threat"), &threat)) != 0)
            break;
        if (strcmp(str(m, "match") != NULL ? str(m, "match") : "", "range") == 0)
            rc = isx__cli_fmt(c->lang, "cli.match.range", &match, str(m, "indicator"),
                              (const char *)NULL);
        else
            rc = isx__cli_fmt(c->lang, "cli.match.exact", &match, (const char *)NULL);
        const char *cells[] = {"",
                               str(m, "id"),
                               str(m, "origin"),
                               threat.data,
                               isx__cli_label(c, "severity", str(m, "severity")),
                               match.data,
                               text_of(c, json_object_get(m, "title"))};
        if (rc != 0 || (rc = isx__cli_table_row(&t, cells)) != 0)
            break;
    }
    if (rc == 0)
        isx__cli_table_print(&t, stdout);
    isx__cli_table_free(&t);
    isx_buf_free(&threat);
    isx_buf_free(&match);
    return rc;
}

/* One value: GET, with the type when one is given. The node reports a value it cannot parse. */
static int
lookup_one(struct isx__cli *c, const char *value, const char *type)
{
    struct isx_buf path = ISX_BUF_INIT, raw = ISX_BUF_INIT;
    json_t *r = NULL;
    int rc;

    if ((rc = isx_buf_puts(&path, LOOKUP_PATH)) != 0 ||
        (rc = isx__cli_query(&path, "value", value)) != 0 ||
        (type != NULL && (rc = isx__cli_query(&path, "type", type)) != 0) ||
        (rc = isx__cli_api(c, "GET", path.data, NULL, NULL, &r, &raw, NULL)) != 0)
        goto cleanup;
    if (c->json)
        isx__cli_print_raw(&raw);
    else
        rc = print_result(c, value, r, 1);
cleanup:
    json_decref(r);
    isx_buf_free(&path);
    isx_buf_free(&raw);
    return rc;
}

/*
 * Several values: one POST. The batch form has no type, so with --type each value is parsed
 * here for that type and sent in its canonical form, which the node detects as that type.
 */
static int
lookup_batch(struct isx__cli *c, const struct isx__cli_args *a, const char *type)
{
    struct isx_buf raw = ISX_BUF_INIT;
    struct isx_indicator *ind = NULL;
    json_t *body = NULL, *values, *doc = NULL, *r;
    size_t k = 0, shown = 0;
    int *sent = NULL, invalid = 0, rc = ISX_ENOMEM;

    if ((body = json_pack("{s:[]}", "values")) == NULL ||
        (sent = calloc(a->npos, sizeof(*sent))) == NULL ||
        (type != NULL && (ind = malloc(sizeof(*ind))) == NULL))
        goto cleanup;
    values = json_object_get(body, "values");
    for (size_t i = 0; i < a->npos; i++) {
        const char *v = a->pos[i];
        if (ind != NULL) {
            struct isx_diag d = {0};
            char field[32];
            snprintf(field, sizeof(field), "values[%zu]", i);
            if ((rc = isx_indicator_parse(type, v, field, ind, &d)) == ISX_ENOMEM)
                goto cleanup;
            if (rc != 0) {
                print_invalid_diag(c, &d);
                invalid = 1;
                continue;
            }
            v = ind->value;
        }
        rc = ISX_ENOMEM;
        if (json_array_append_new(values, json_string(v)) != 0)
            goto cleanup;
        sent[i] = 1;
    }
    rc = 0;
    if (json_array_size(values) > 0 &&
        (rc = isx__cli_api(c, "POST", LOOKUP_PATH, NULL, body, &doc, &raw, NULL)) != 0)
        goto cleanup;
    if (c->json && raw.len > 0)
        isx__cli_print_raw(&raw);
    for (size_t i = 0; i < a->npos; i++) {
        if (!sent[i])
            continue;
        r = json_array_get(json_object_get(doc, "results"), k++);
        if (json_object_get(r, "error") != NULL) {
            print_invalid(c, json_object_get(r, "error"));
            invalid = 1;
        } else if (!c->json && (rc = print_result(c, a->pos[i], r, shown++ == 0)) != 0) {
            goto cleanup;
        }
    }
cleanup:
    if (rc == 0 && invalid) {
        c->exit_code = 2;
        rc = ISX_EFIELD;
    }
    free(ind);
    free(sent);
    json_decref(body);
    json_decref(doc);
    isx_buf_free(&raw);
    return rc;
}

int
isx__cli_indicator_lookup(struct isx__cli *c, const struct isx__cli_args *a)
{
    enum isx_ind_type known;
    const char *type = NULL;
    int rc;

    if ((rc = isx__cli_one(c, a, CLI_OPT_TYPE, &type)) != 0)
        return rc;
    /* A type name or one of the families the parser knows; refused once, not per value. */
    if (type != NULL && strcmp(type, "ip") != 0 && strcmp(type, "hash") != 0 &&
        strcmp(type, "auto") != 0 && isx_indicator_type_parse(type, &known) != 0)
        return isx__cli_bad(c, CLI_OPT_TYPE, "indicator.type", type);
    if (a->npos == 1)
        return lookup_one(c, a->pos[0], type);
    return lookup_batch(c, a, type);
}

/* ---- import csv ---- */

static int
add_party(struct isx__cli *c, const char *item, void *arg)
{
    char code[8];
    int rc = isx__cli_party_code(c, "--to", item, code);
    return rc != 0 ? rc : isx__cli_append_unique(arg, code);
}

static int
add_sector(struct isx__cli *c, const char *item, void *arg)
{
    char code[32];
    int rc = sector_code(c, CLI_OPT_SECTOR, item, code);
    return rc != 0 ? rc : isx__cli_append_unique(arg, code);
}

struct features {
    const char *threat;
    json_t *list;
};

static int
add_feature(struct isx__cli *c, const char *item, void *arg)
{
    struct features *f = arg;
    const json_t *threat = NULL;
    char code[CODE_MAX];
    int rc;

    if ((rc = taxonomy_code(c, CLI_OPT_FEATURE, item, 1, code)) != 0)
        return rc;
    isx_taxonomy_feature(code, &threat);
    if (strcmp(str(threat, "code") != NULL ? str(threat, "code") : "", f->threat) != 0)
        return isx__cli_bad(c, CLI_OPT_FEATURE, "cli.err.feature_threat", item);
    return isx__cli_append_unique(f->list, code);
}

/* The texts of a repeated LANG:TEXT option as a language map. */
static int
langmap(struct isx__cli *c, const struct isx__cli_args *a, enum isx__cli_opt opt, json_t *map)
{
    const char *v, *lang, *text;
    size_t i = 0;
    json_t *s;
    int rc;

    while ((v = isx__cli_next(a, opt, &i)) != NULL) {
        if ((rc = isx__cli_langtext(c, opt, v, &lang, &text)) != 0)
            return rc;
        if (json_object_get(map, lang) != NULL)
            return isx__cli_bad(c, opt, "cli.err.langtext_twice", lang);
        if ((s = json_string(text)) == NULL)
            return isx__cli_bad(c, opt, "cli.err.encoding", NULL);
        if (json_object_set_new(map, lang, s) != 0)
            return ISX_ENOMEM;
    }
    return 0;
}

/* Sets `name` to `v` unless `v` is an empty list or map; takes the reference either way. */
static int
set_nonempty(json_t *obj, const char *name, json_t *v)
{
    if (v == NULL)
        return ISX_ENOMEM;
    if ((json_is_array(v) && json_array_size(v) == 0) ||
        (json_is_object(v) && json_object_size(v) == 0)) {
        json_decref(v);
        return 0;
    }
    return json_object_set_new(obj, name, v) == 0 ? 0 : ISX_ENOMEM;
}

/* The marking from --tlp, --to and --label, checked by the rules the node applies. */
static int
import_marking(struct isx__cli *c, const struct isx__cli_args *a, json_t *body)
{
    struct isx_diag d = {0};
    enum isx_tlp level;
    const char *tlp = NULL, *v;
    json_t *marking = NULL, *labels = json_array();
    char lower[CODE_MAX];
    size_t i = 0;
    int rc;

    if (labels == NULL)
        return ISX_ENOMEM;
    if ((rc = isx__cli_one(c, a, CLI_OPT_TLP, &tlp)) != 0)
        goto cleanup;
    if (tlp == NULL) {
        rc = isx__cli_usage(c, "cli.err.missing_opt", "--tlp");
        goto cleanup;
    }
    if (ascii_case(tlp, 0, lower, sizeof(lower)) != 0 || isx_tlp_parse(lower, &level) != 0) {
        rc = isx__cli_bad(c, CLI_OPT_TLP, "cli.err.tlp", tlp);
        goto cleanup;
    }
    rc = ISX_ENOMEM;
    if ((marking = json_pack("{s:s, s:[]}", "tlp", isx_tlp_name(level), "to")) == NULL)
        goto cleanup;
    if ((rc = isx__cli_each_item(c, a, CLI_OPT_TO, add_party, json_object_get(marking, "to"))) != 0)
        goto cleanup;
    while ((v = isx__cli_next(a, CLI_OPT_LABEL, &i)) != NULL) {
        json_t *s = json_string(v);
        if (s == NULL) {
            rc = isx__cli_bad(c, CLI_OPT_LABEL, "cli.err.encoding", NULL);
            goto cleanup;
        }
        if ((rc = json_array_append_new(labels, s) == 0 ? 0 : ISX_ENOMEM) != 0)
            goto cleanup;
    }
    if (json_array_size(json_object_get(marking, "to")) == 0)
        json_object_del(marking, "to");
    rc = set_nonempty(marking, "labels", labels);
    labels = NULL;
    if (rc != 0)
        goto cleanup;
    /* A state-secret label is refused here, citing Art. 6.2, before anything leaves. */
    if ((rc = isx_marking_check(marking, "marking", &d)) != 0) {
        rc = isx__cli_fail_diag(c, rc, &d);
        c->exit_code = 2;
        goto cleanup;
    }
    rc = json_object_set_new(body, "marking", marking) == 0 ? 0 : ISX_ENOMEM;
    marking = NULL;
cleanup:
    json_decref(marking);
    json_decref(labels);
    return rc;
}

/* The report header from the command line: everything but the indicators. */
static int
import_header(struct isx__cli *c, const struct isx__cli_args *a, json_t **out)
{
    struct features f = {NULL, NULL};
    char threat[CODE_MAX], code[CODE_MAX];
    const char *v = NULL;
    json_t *body = json_object(), *list = NULL;
    int rc = ISX_ENOMEM;

    if (body == NULL)
        goto cleanup;
    if ((rc = isx__cli_one(c, a, CLI_OPT_THREAT, &v)) != 0)
        goto cleanup;
    if (v == NULL) {
        rc = isx__cli_usage(c, "cli.err.missing_opt", "--threat");
        goto cleanup;
    }
    if (!isx__cli_has(a, CLI_OPT_TITLE)) {
        rc = isx__cli_usage(c, "cli.err.missing_opt", "--title");
        goto cleanup;
    }
    if ((rc = taxonomy_code(c, CLI_OPT_THREAT, v, 0, threat)) != 0 ||
        (rc = import_marking(c, a, body)) != 0)
        goto cleanup;
    rc = ISX_ENOMEM;
    if (json_object_set_new(body, "threat", json_string(threat)) != 0 ||
        (f.list = json_array()) == NULL)
        goto cleanup;
    f.threat = threat;
    rc = isx__cli_each_item(c, a, CLI_OPT_FEATURE, add_feature, &f);
    list = f.list;
    f.list = NULL;
    if (rc != 0 || (rc = set_nonempty(body, "features", list)) != 0)
        goto cleanup;
    list = NULL;
    if ((rc = isx__cli_one(c, a, CLI_OPT_SEVERITY, &v)) != 0 ||
        (v != NULL &&
         ((rc = enum_value(c, CLI_OPT_SEVERITY, v, severities, "cli.err.severity", code)) != 0 ||
          (rc = set_nonempty(body, "severity", json_string(code))) != 0)))
        goto cleanup;
    if ((rc = isx__cli_one(c, a, CLI_OPT_STATUS, &v)) != 0 ||
        (v != NULL &&
         ((rc = enum_value(c, CLI_OPT_STATUS, v, statuses, "cli.err.report_status", code)) != 0 ||
          (rc = set_nonempty(body, "status", json_string(code))) != 0)))
        goto cleanup;
    if ((list = json_array()) == NULL) {
        rc = ISX_ENOMEM;
        goto cleanup;
    }
    if ((rc = isx__cli_each_item(c, a, CLI_OPT_SECTOR, add_sector, list)) != 0)
        goto cleanup;
    rc = set_nonempty(body, "sectors", list);
    list = NULL;
    if (rc != 0 || (list = json_object()) == NULL) {
        rc = rc != 0 ? rc : ISX_ENOMEM;
        goto cleanup;
    }
    if ((rc = langmap(c, a, CLI_OPT_TITLE, list)) != 0)
        goto cleanup;
    rc = set_nonempty(body, "title", list);
    list = NULL;
    if (rc != 0 || (list = json_object()) == NULL) {
        rc = rc != 0 ? rc : ISX_ENOMEM;
        goto cleanup;
    }
    if ((rc = langmap(c, a, CLI_OPT_SUMMARY, list)) != 0)
        goto cleanup;
    rc = set_nonempty(body, "summary", list);
    list = NULL;
    if (rc != 0)
        goto cleanup;
    *out = body;
    body = NULL;
cleanup:
    json_decref(f.list);
    json_decref(list);
    json_decref(body);
    return rc;
}

/* Where a CSV column is: the index of each field, or -1 when the file has no such column. */
struct columns {
    int type, value, note;
    size_t count;
};

/* Copies a field without the spaces and tabs around it. */
static int
trimmed(const char *s, struct isx_buf *out)
{
    size_t n;

    isx_buf_reset(out);
    while (*s == ' ' || *s == '\t')
        s++;
    n = strlen(s);
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        n--;
    return isx_buf_append(out, s, n) == 0 ? isx_buf_puts(out, "") : ISX_ENOMEM;
}

/* 1 when the record names the columns ("type,value", "value", "indicator", "note"...). */
static int
header_row(const struct isx__cli_csv *r, struct columns *cols)
{
    struct columns h = {-1, -1, -1, r->nfields};
    struct isx_buf name = ISX_BUF_INIT;
    int ok = 1;

    for (size_t i = 0; ok && i < r->nfields; i++) {
        int *slot = NULL;
        char lower[16];
        if (trimmed(isx__cli_csv_field(r, i), &name) != 0 ||
            ascii_case(name.data, 0, lower, sizeof(lower)) != 0) {
            ok = 0;
            break;
        }
        if (strcmp(lower, "type") == 0)
            slot = &h.type;
        else if (strcmp(lower, "value") == 0 || strcmp(lower, "indicator") == 0)
            slot = &h.value;
        else if (strcmp(lower, "note") == 0)
            slot = &h.note;
        if (slot == NULL || *slot >= 0)
            ok = 0;
        else
            *slot = (int)i;
    }
    isx_buf_free(&name);
    if (!ok || h.value < 0)
        return 0;
    *cols = h;
    return 1;
}

/* One line of the file is wrong: "isx: <title>: FILE, line N: <why>"; exit status 2. */
static int
row_fail(struct isx__cli *c, int rc, const char *name, size_t line, const char *key,
         const char *arg)
{
    struct isx_buf where = ISX_BUF_INIT;
    char num[24];

    snprintf(num, sizeof(num), "%zu", line);
    isx__cli_fmt(c->lang, "cli.csv.where", &where, name, num, (const char *)NULL);
    rc = isx__cli_fail(c, rc, where.data, key, arg, 2);
    isx_buf_free(&where);
    return rc;
}

/* The same for an indicator the library refused, with its reason. */
static int
row_fail_diag(struct isx__cli *c, int rc, const char *name, size_t line, struct isx_diag *d)
{
    struct isx_buf where = ISX_BUF_INIT;
    char num[24];

    snprintf(num, sizeof(num), "%zu", line);
    isx__cli_fmt(c->lang, "cli.csv.where", &where, name, num, (const char *)NULL);
    snprintf(d->field, sizeof(d->field), "%s", where.data != NULL ? where.data : "");
    rc = isx__cli_fail_diag(c, rc, d);
    c->exit_code = 2;
    isx_buf_free(&where);
    return rc;
}

/* The state of reading one file: its rows become distinct indicators. */
struct rows {
    const char *name; /* the file as the user knows it */
    struct columns cols;
    int have_cols;
    struct isx_indicator *ind;
    struct isx_buf type, value, note, key;
    json_t *seen; /* "type value" of every canonical indicator so far */
    json_t *list; /* [{type?, value, note?}] as written, one per distinct indicator */
};

/* One record: checked, parsed as an indicator, and added unless it is already there. */
static int
add_row(struct isx__cli *c, struct rows *w, const struct isx__cli_csv *r)
{
    struct isx_diag d = {0};
    size_t line = r->record_line;
    const char *type = NULL;
    json_t *item = NULL;
    char num[24];
    int rc;

    if (!w->have_cols) {
        w->have_cols = 1;
        if (header_row(r, &w->cols))
            return 0;
        if (r->nfields > 2)
            return row_fail(c, ISX_EINVAL, w->name, line, "cli.csv.columns", NULL);
        w->cols =
            (struct columns){r->nfields == 2 ? 0 : -1, r->nfields == 2 ? 1 : 0, -1, r->nfields};
    }
    if (r->nfields != w->cols.count) {
        snprintf(num, sizeof(num), "%zu", w->cols.count);
        return row_fail(c, ISX_EINVAL, w->name, line, "cli.csv.field_count", num);
    }
    if ((rc = trimmed(isx__cli_csv_field(r, (size_t)w->cols.value), &w->value)) != 0 ||
        (w->cols.type >= 0 &&
         (rc = trimmed(isx__cli_csv_field(r, (size_t)w->cols.type), &w->type)) != 0) ||
        (w->cols.note >= 0 &&
         (rc = trimmed(isx__cli_csv_field(r, (size_t)w->cols.note), &w->note)) != 0))
        return rc;
    if (w->value.len == 0)
        return row_fail(c, ISX_EINVAL, w->name, line, "cli.csv.empty_value", NULL);
    if (w->cols.type >= 0 && w->type.len > 0)
        type = w->type.data;
    if ((rc = isx_indicator_parse(type, w->value.data, NULL, w->ind, &d)) != 0)
        return rc == ISX_ENOMEM ? rc : row_fail_diag(c, rc, w->name, line, &d);
    isx_buf_reset(&w->key);
    if ((rc = isx_buf_printf(&w->key, "%s %s", isx_indicator_type_name(w->ind->type),
                             w->ind->value)) != 0)
        return rc;
    if (json_object_get(w->seen, w->key.data) != NULL)
        return 0;
    if ((item = json_pack("{s:s}", "value", w->value.data)) == NULL)
        return ISX_ENOMEM;
    rc = ISX_ENOMEM;
    if ((type != NULL && json_object_set_new(item, "type", json_string(type)) != 0) ||
        json_object_set_new(w->seen, w->key.data, json_true()) != 0)
        goto fail;
    if (w->cols.note >= 0 && w->note.len > 0) {
        json_t *s = json_string(w->note.data);
        if (s == NULL) {
            rc = row_fail(c, ISX_EINVAL, w->name, line, "cli.err.encoding", NULL);
            goto fail;
        }
        if (json_object_set_new(item, "note", s) != 0)
            goto fail;
    }
    if (json_array_append_new(w->list, item) != 0)
        return ISX_ENOMEM;
    return 0;
fail:
    json_decref(item);
    return rc;
}

/* Reads and checks the whole file: every row's quoting and every indicator. */
static int
read_rows(struct isx__cli *c, const char *path, json_t **out)
{
    struct isx_buf text = ISX_BUF_INIT;
    struct isx__cli_csv r;
    struct rows w;
    int rc;

    memset(&w, 0, sizeof(w));
    isx__cli_csv_init(&r, "", 0);
    w.name = strcmp(path, "-") == 0 ? isx_msg(c->lang, "cli.stdin") : path;
    if ((rc = isx__cli_read_input(c, path, CSV_MAX, &text)) != 0)
        goto cleanup;
    rc = ISX_ENOMEM;
    if ((w.ind = malloc(sizeof(*w.ind))) == NULL || (w.seen = json_object()) == NULL ||
        (w.list = json_array()) == NULL)
        goto cleanup;
    isx__cli_csv_init(&r, text.data, text.len);
    while ((rc = isx__cli_csv_next(&r)) == 1) {
        if ((rc = add_row(c, &w, &r)) != 0)
            goto cleanup;
    }
    if (rc == ISX_EPARSE) {
        rc = row_fail(c, ISX_EINVAL, w.name, r.bad_line, r.why, NULL);
        goto cleanup;
    }
    if (rc != 0)
        goto cleanup;
    if (json_array_size(w.list) == 0) {
        rc = isx__cli_fail(c, ISX_EINVAL, w.name, "cli.csv.no_rows", NULL, 2);
        goto cleanup;
    }
    *out = w.list;
    w.list = NULL;
cleanup:
    isx__cli_csv_free(&r);
    free(w.ind);
    json_decref(w.seen);
    json_decref(w.list);
    isx_buf_free(&w.type);
    isx_buf_free(&w.value);
    isx_buf_free(&w.note);
    isx_buf_free(&w.key);
    isx_buf_free(&text);
    return rc;
}

/* Part `part` of `parts`: " (2/3)" after the title in each of its languages. */
static int
part_title(json_t *body, size_t part, size_t parts)
{
    json_t *title = json_object_get(body, "title"), *v;
    struct isx_buf text = ISX_BUF_INIT;
    char p[24], n[24];
    const char *lang;
    int rc = 0;

    snprintf(p, sizeof(p), "%zu", part);
    snprintf(n, sizeof(n), "%zu", parts);
    json_object_foreach(title, lang, v)
    {
        enum isx_lang l = ISX_LANG_EN;
        isx_lang_parse(lang, &l);
        isx_buf_reset(&text);
        if ((rc = isx_buf_puts(&text, json_string_value(v))) != 0 ||
            (rc = isx__cli_fmt(l, "cli.import.part", &text, p, n, (const char *)NULL)) != 0)
            break;
        if (json_object_set_new(title, lang, json_string(text.data)) != 0) {
            rc = ISX_ENOMEM;
            break;
        }
    }
    isx_buf_free(&text);
    return rc;
}

int
isx__cli_import_csv(struct isx__cli *c, const struct isx__cli_args *a)
{
    struct isx_buf raw = ISX_BUF_INIT;
    json_t *header = NULL, *list = NULL, *body = NULL, *env = NULL, *part;
    size_t n, parts;
    int rc;

    if ((rc = import_header(c, a, &header)) != 0 || (rc = read_rows(c, a->pos[0], &list)) != 0)
        goto cleanup;
    n = json_array_size(list);
    parts = (n + REPORT_MAX - 1) / REPORT_MAX;
    for (size_t i = 0; i < parts; i++) {
        rc = ISX_ENOMEM;
        json_decref(body);
        json_decref(env);
        env = NULL;
        isx_buf_free(&raw);
        if ((body = json_deep_copy(header)) == NULL || (part = json_array()) == NULL)
            goto cleanup;
        for (size_t j = i * REPORT_MAX; j < n && j < (i + 1) * REPORT_MAX; j++)
            json_array_append(part, json_array_get(list, j));
        if (json_object_set_new(body, "indicators", part) != 0 ||
            (parts > 1 && (rc = part_title(body, i + 1, parts)) != 0))
            goto cleanup;
        if ((rc = isx__cli_api(c, "POST", REPORTS_PATH, NULL, body, &env, &raw, NULL)) != 0)
            goto cleanup;
        /* Each report as soon as it exists: if a later part fails, these are still known. */
        print_created(c, env, &raw);
    }
cleanup:
    json_decref(header);
    json_decref(list);
    json_decref(body);
    json_decref(env);
    isx_buf_free(&raw);
    return rc;
}
