/*
 * Text for people: display widths, cleaning, wrapping, aligned tables, and the choice of a
 * language from a language map.
 *
 * Invariants: widths are display columns, not bytes or characters: Chinese, Japanese and
 * Korean characters and other East Asian wide forms take 2, combining marks and zero-width
 * characters 0, everything else (Latin, Cyrillic) 1, so tables line up in any of the three
 * languages. Every cell is cleaned before it is measured, so what is measured is what is
 * printed. Invalid UTF-8 is shown as U+FFFD and never passed through.
 */
#include <string.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "cli.h"
#include "isx/taxonomy.h"

#define ELLIPSIS "\xe2\x80\xa6" /* U+2026, one column */

#define INVALID UINT32_MAX

/* The code point of a UTF-8 sequence of `n` bytes at `s`, or INVALID. */
static uint32_t
decode_seq(const unsigned char *s, size_t n, uint32_t v)
{
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return INVALID;
        v = (v << 6) | (s[i] & 0x3f);
    }
    /* Overlong forms, surrogates and values above U+10FFFF are not text. */
    if ((n == 3 && v < 0x800) || (n == 4 && (v < 0x10000 || v > 0x10ffff)) ||
        (v >= 0xd800 && v <= 0xdfff))
        return INVALID;
    return v;
}

/* Decodes one UTF-8 sequence; an invalid byte is U+FFFD of length 1. */
static size_t
decode(const unsigned char *s, uint32_t *cp)
{
    unsigned c = s[0];
    size_t n = 0;
    uint32_t v = 0;

    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    if (c >= 0xc2 && c <= 0xdf)
        n = 2, v = c & 0x1f;
    else if (c >= 0xe0 && c <= 0xef)
        n = 3, v = c & 0x0f;
    else if (c >= 0xf0 && c <= 0xf4)
        n = 4, v = c & 0x07;
    v = n != 0 ? decode_seq(s, n, v) : INVALID;
    if (v == INVALID) {
        *cp = 0xfffd;
        return 1;
    }
    *cp = v;
    return n;
}

static int
zero_width(uint32_t cp)
{
    return (cp >= 0x0300 && cp <= 0x036f) || (cp >= 0x0483 && cp <= 0x0489) ||
           (cp >= 0x0591 && cp <= 0x05bd) || (cp >= 0x0610 && cp <= 0x061a) ||
           (cp >= 0x064b && cp <= 0x065f) || (cp >= 0x1ab0 && cp <= 0x1aff) ||
           (cp >= 0x1dc0 && cp <= 0x1dff) || (cp >= 0x200b && cp <= 0x200f) ||
           (cp >= 0x2060 && cp <= 0x2064) || (cp >= 0x20d0 && cp <= 0x20ff) ||
           (cp >= 0x302a && cp <= 0x302f) || (cp >= 0x3099 && cp <= 0x309a) ||
           (cp >= 0xfe00 && cp <= 0xfe0f) || (cp >= 0xfe20 && cp <= 0xfe2f) || cp == 0xfeff ||
           (cp >= 0xe0100 && cp <= 0xe01ef);
}

/* East Asian Wide and Fullwidth (Unicode TR 11), in the blocks that occur in practice. */
static int
wide(uint32_t cp)
{
    return (cp >= 0x1100 && cp <= 0x115f) || (cp >= 0x2e80 && cp <= 0x303e) ||
           (cp >= 0x3041 && cp <= 0x33ff) || (cp >= 0x3400 && cp <= 0x4dbf) ||
           (cp >= 0x4e00 && cp <= 0x9fff) || (cp >= 0xa000 && cp <= 0xa4cf) ||
           (cp >= 0xa960 && cp <= 0xa97f) || (cp >= 0xac00 && cp <= 0xd7a3) ||
           (cp >= 0xf900 && cp <= 0xfaff) || (cp >= 0xfe10 && cp <= 0xfe19) ||
           (cp >= 0xfe30 && cp <= 0xfe6f) || (cp >= 0xff00 && cp <= 0xff60) ||
           (cp >= 0xffe0 && cp <= 0xffe6) || (cp >= 0x1f300 && cp <= 0x1f64f) ||
           (cp >= 0x1f900 && cp <= 0x1f9ff) || (cp >= 0x20000 && cp <= 0x3fffd);
}

static size_t
cp_width(uint32_t cp)
{
    if (zero_width(cp))
        return 0;
    return wide(cp) ? 2 : 1;
}

/* Characters a terminal would act on instead of showing, or that reorder what follows. */
static int
control(uint32_t cp)
{
    return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f);
}

static int
bidi_override(uint32_t cp)
{
    return (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069);
}

size_t
isx__cli_width(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t w = 0;
    uint32_t cp;

    while (*p != '\0') {
        p += decode(p, &cp);
        w += control(cp) ? 1 : cp_width(cp);
    }
    return w;
}

int
isx__cli_clean(const char *s, struct isx_buf *out)
{
    const unsigned char *p = (const unsigned char *)s;
    uint32_t cp;
    int rc = isx_buf_puts(out, "");

    while (rc == 0 && *p != '\0') {
        size_t n = decode(p, &cp);
        if (control(cp))
            rc = isx_buf_putc(out, ' ');
        else if (bidi_override(cp))
            rc = 0;
        else if (cp == 0xfffd && n == 1)
            rc = isx_buf_puts(out, "\xef\xbf\xbd");
        else
            rc = isx_buf_append(out, p, n);
        p += n;
    }
    return rc;
}

size_t
isx__cli_columns(void)
{
    struct winsize ws;
    const char *env = getenv("COLUMNS");

    if (isatty(STDOUT_FILENO) && ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col >= 20)
        return ws.ws_col;
    if (env != NULL) {
        long v = strtol(env, NULL, 10);
        if (v >= 20 && v <= 1000)
            return (size_t)v;
    }
    return 80;
}

/* Closing punctuation must not begin a line (Chinese line-breaking rules). */
static int
no_break_before(uint32_t cp)
{
    static const uint32_t closers[] = {0x3001, 0x3002, 0xff0c, 0xff0e, 0xff1a, 0xff1b,
                                       0xff1f, 0xff01, 0xff09, 0x300b, 0x300d, 0x300f,
                                       0x3011, 0x201d, 0x2019, ',',    '.',    ';',
                                       ':',    '!',    '?',    ')',    0xbb};
    if (zero_width(cp))
        return 1;
    for (size_t i = 0; i < sizeof(closers) / sizeof(closers[0]); i++) {
        if (closers[i] == cp)
            return 1;
    }
    return 0;
}

/* Opening brackets and quotes must not end a line. */
static int
no_break_after(uint32_t cp)
{
    static const uint32_t openers[] = {0xff08, 0x300a, 0x300c, 0x300e, 0x3010,
                                       0x201c, 0x2018, '(',    0xab};
    for (size_t i = 0; i < sizeof(openers) / sizeof(openers[0]); i++) {
        if (openers[i] == cp)
            return 1;
    }
    return 0;
}

/*
 * The next unit that must stay on one line: a run of narrow characters up to a space, or
 * one wide character; both take the closing punctuation and marks that follow them, and an
 * opening bracket takes what follows it.
 */
static size_t
next_unit(const unsigned char *s, size_t *width)
{
    size_t len = 0, w = 0, n;
    uint32_t cp, prev = 0;
    int first_wide;

    decode(s, &cp);
    first_wide = wide(cp);
    for (;;) {
        n = decode(s + len, &cp);
        if (s[len] == '\0' || cp == ' ' || cp == '\n')
            break;
        if (len > 0 && !no_break_before(cp) && !no_break_after(prev) && (first_wide || wide(cp)))
            break;
        w += control(cp) ? 1 : cp_width(cp);
        len += n;
        prev = cp;
    }
    *width = w;
    return len;
}

void
isx__cli_wrap(FILE *f, const char *s, size_t first_col, size_t indent, size_t width)
{
    const unsigned char *p = (const unsigned char *)s;
    struct isx_buf unit = ISX_BUF_INIT;
    size_t col = first_col, w;
    int space = 0, start = 1;

    if (width <= indent + 10)
        width = indent + 10;
    while (*p != '\0') {
        if (*p == ' ') {
            space = 1;
            p++;
            continue;
        }
        if (*p == '\n') {
            fprintf(f, "\n%*s", (int)indent, "");
            col = indent;
            space = 0;
            start = 1;
            p++;
            continue;
        }
        size_t len = next_unit(p, &w);
        if (len == 0) {
            p++;
            continue;
        }
        if (!start && col + (space ? 1 : 0) + w > width) {
            fprintf(f, "\n%*s", (int)indent, "");
            col = indent;
        } else if (space && !start) {
            fputc(' ', f);
            col++;
        }
        isx_buf_reset(&unit);
        if (isx_buf_append(&unit, p, len) == 0) {
            struct isx_buf clean = ISX_BUF_INIT;
            if (isx__cli_clean(unit.data, &clean) == 0)
                fputs(clean.data, f);
            isx_buf_free(&clean);
        }
        col += w;
        p += len;
        space = 0;
        start = 0;
    }
    fputc('\n', f);
    isx_buf_free(&unit);
}

const char *
isx__cli_pick(const json_t *map, enum isx_lang lang)
{
    static const enum isx_lang order[] = {ISX_LANG_EN, ISX_LANG_ZH, ISX_LANG_RU};
    const char *v = json_string_value(json_object_get(map, isx_lang_code(lang)));

    for (size_t i = 0; v == NULL && i < sizeof(order) / sizeof(order[0]); i++)
        v = json_string_value(json_object_get(map, isx_lang_code(order[i])));
    return v;
}

const char *
isx__cli_label(struct isx__cli *c, const char *group, const char *value)
{
    char key[96];
    const char *text;

    if (value == NULL)
        return "";
    snprintf(key, sizeof(key), "cli.%s.%s", group, value);
    text = isx_msg(c->lang, key);
    /* isx_msg hands back the key itself when the catalogue has no such entry. */
    return text == key ? value : text;
}

int
isx__cli_table_init(struct isx__cli *c, struct isx__cli_table *t, size_t ncols,
                    const char *const *head_keys, const size_t *max)
{
    memset(t, 0, sizeof(*t));
    if (ncols == 0 || ncols > ISX__CLI_TABLE_COLS)
        return ISX_EINVAL;
    t->ncols = ncols;
    for (size_t i = 0; i < ncols; i++) {
        t->head[i] =
            head_keys != NULL && head_keys[i] != NULL ? isx_msg(c->lang, head_keys[i]) : NULL;
        t->max[i] = max != NULL ? max[i] : 0;
    }
    t->rows = json_array();
    return t->rows != NULL ? 0 : ISX_ENOMEM;
}

int
isx__cli_table_row(struct isx__cli_table *t, const char *const *cells)
{
    json_t *row = json_array();
    struct isx_buf clean = ISX_BUF_INIT;
    int rc = row != NULL ? 0 : ISX_ENOMEM;

    for (size_t i = 0; rc == 0 && i < t->ncols; i++) {
        isx_buf_reset(&clean);
        if ((rc = isx__cli_clean(cells[i] != NULL ? cells[i] : "", &clean)) == 0 &&
            json_array_append_new(row, json_string(clean.data)) != 0)
            rc = ISX_ENOMEM;
    }
    if (rc == 0 && json_array_append(t->rows, row) != 0)
        rc = ISX_ENOMEM;
    json_decref(row);
    isx_buf_free(&clean);
    return rc;
}

/* Prints `s` in at most `max` columns (0: no limit), cut with an ellipsis; returns the width. */
static size_t
put_cell(FILE *f, const char *s, size_t max)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t w = isx__cli_width(s), used = 0;
    uint32_t cp;

    if (max == 0 || w <= max) {
        fputs(s, f);
        return w;
    }
    while (*p != '\0') {
        size_t n = decode(p, &cp), cw = cp_width(cp);
        if (used + cw > max - 1)
            break;
        fwrite(p, 1, n, f);
        used += cw;
        p += n;
    }
    fputs(ELLIPSIS, f);
    return used + 1;
}

/*
 * On a terminal too narrow for the table, the columns that may be cut (names, not ids or
 * codes) give up columns, widest first, down to MIN_CUT each. Output to a pipe is never
 * cut further, so what scripts read does not depend on a window size.
 */
#define MIN_CUT 8

static void
fit(const struct isx__cli_table *t, size_t *width, size_t *limit, size_t avail)
{
    size_t total = 0;

    if (avail == 0)
        return;
    for (size_t j = 0; j < t->ncols; j++)
        total += width[j] + (j + 1 < t->ncols ? 2 : 0);
    while (total > avail) {
        size_t widest = t->ncols;
        for (size_t j = 0; j < t->ncols; j++) {
            if (limit[j] != 0 && width[j] > MIN_CUT &&
                (widest == t->ncols || width[j] > width[widest]))
                widest = j;
        }
        if (widest == t->ncols)
            return;
        width[widest]--;
        limit[widest] = width[widest];
        total--;
    }
}

void
isx__cli_table_print(const struct isx__cli_table *t, FILE *f)
{
    size_t width[ISX__CLI_TABLE_COLS] = {0}, limit[ISX__CLI_TABLE_COLS] = {0}, i, j;
    int header = t->head[0] != NULL;
    json_t *row;

    for (j = 0; j < t->ncols; j++) {
        if (header)
            width[j] = isx__cli_width(t->head[j]);
    }
    json_array_foreach(t->rows, i, row)
    {
        for (j = 0; j < t->ncols; j++) {
            size_t w = isx__cli_width(json_string_value(json_array_get(row, j)));
            width[j] = w > width[j] ? w : width[j];
        }
    }
    for (j = 0; j < t->ncols; j++) {
        if (t->max[j] != 0 && width[j] > t->max[j])
            width[j] = t->max[j];
        limit[j] = t->max[j] != 0 ? width[j] : 0;
    }
    fit(t, width, limit, isatty(fileno(f)) ? isx__cli_columns() : 0);
    for (i = header ? 0 : 1; i <= json_array_size(t->rows); i++) {
        /* Row 0 is the header; data rows follow. */
        row = i > 0 ? json_array_get(t->rows, i - 1) : NULL;
        size_t last = t->ncols;
        /* Trailing empty cells would only print trailing spaces. */
        while (last > 1 && row != NULL && json_string_length(json_array_get(row, last - 1)) == 0)
            last--;
        for (j = 0; j < last; j++) {
            const char *cell = row != NULL ? json_string_value(json_array_get(row, j)) : t->head[j];
            size_t w = put_cell(f, cell, limit[j]);
            if (j + 1 < last)
                fprintf(f, "%*s", (int)(width[j] - w + 2), "");
        }
        fputc('\n', f);
    }
}

void
isx__cli_table_free(struct isx__cli_table *t)
{
    json_decref(t->rows);
    t->rows = NULL;
}

int
isx__cli_kv_init(struct isx__cli *c, struct isx__cli_table *t)
{
    return isx__cli_table_init(c, t, 2, NULL, NULL);
}

int
isx__cli_kv(struct isx__cli *c, struct isx__cli_table *t, const char *label_key, const char *value)
{
    const char *cells[2] = {label_key != NULL ? isx_msg(c->lang, label_key) : "", value};

    if (value == NULL || value[0] == '\0')
        return 0;
    return isx__cli_table_row(t, cells);
}

int
isx__cli_kv_langmap(struct isx__cli *c, struct isx__cli_table *t, const char *label_key,
                    const json_t *map)
{
    const char *first = isx__cli_pick(map, c->lang), *lang;
    struct isx_buf line = ISX_BUF_INIT;
    json_t *v;
    int rc;

    if (first == NULL)
        return 0;
    if ((rc = isx__cli_kv(c, t, label_key, first)) != 0)
        return rc;
    json_object_foreach((json_t *)map, lang, v)
    {
        const char *text = json_string_value(v);
        if (text == NULL || text == first)
            continue;
        isx_buf_reset(&line);
        if ((rc = isx_buf_printf(&line, "%s: %s", lang, text)) != 0 ||
            (rc = isx__cli_kv(c, t, NULL, line.data)) != 0)
            break;
    }
    isx_buf_free(&line);
    return rc;
}

int
isx__cli_party_label(struct isx__cli *c, const char *code, struct isx_buf *out)
{
    const json_t *p = isx_vocab_find(ISX_VOCAB_PARTIES, code);
    const char *name = NULL;

    if (p != NULL)
        name = isx__cli_pick(json_object_get(p, "short"), c->lang);
    if (name == NULL && (p = isx_vocab_find(ISX_VOCAB_COUNTRIES, code)) != NULL)
        name = json_string_value(json_object_get(p, isx_lang_code(c->lang)));
    if (name == NULL && strcmp(code, ISX_DEPOSITARY) == 0)
        name = isx_msg(c->lang, "cli.depositary");
    if (name == NULL)
        return isx_buf_puts(out, code);
    return isx__cli_fmt(c->lang, "cli.party_label", out, code, name, (const char *)NULL);
}
