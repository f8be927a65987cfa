/*
 * A reader of comma-separated values (RFC 4180) for `isx import csv`: one record at a time
 * from text held in memory, with the line each record starts on, so that every complaint
 * can name the line to fix.
 *
 * Invariants: a field is either bare (no '"' anywhere in it) or quoted ("..." with '""' for
 * a quote, commas and line breaks allowed inside); anything else is malformed quoting and
 * stops the reader with the line where it was found (for a quote left open, the line where
 * it opened). Lines end with LF, CRLF or a lone CR. Between records, blank lines (nothing
 * but spaces and tabs) and lines whose first character is '#' are skipped; a UTF-8 byte
 * order mark before the first record is ignored. Spaces and tabs around a quoted field are
 * tolerated (hand-written files have them); a bare field is kept as it is. A NUL byte is
 * never data. The reader copies fields, so the text only has to outlive the reader.
 */
#include <string.h>

#include "cli.h"

void
isx__cli_csv_init(struct isx__cli_csv *r, const char *text, size_t len)
{
    memset(r, 0, sizeof(*r));
    r->p = text;
    r->end = text + len;
    r->line = 1;
    if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0)
        r->p += 3;
}

void
isx__cli_csv_free(struct isx__cli_csv *r)
{
    isx_buf_free(&r->text);
}

const char *
isx__cli_csv_field(const struct isx__cli_csv *r, size_t i)
{
    return i < r->nfields ? r->text.data + r->off[i] : NULL;
}

/* Stops the reader: `key` (a catalogue text) says why, on `line`. */
static int
malformed(struct isx__cli_csv *r, const char *key, size_t line)
{
    r->why = key;
    r->bad_line = line;
    return ISX_EPARSE;
}

/* At p: the length of a line break (1 or 2), or 0. */
static size_t
line_break(const struct isx__cli_csv *r, const char *p)
{
    if (p >= r->end)
        return 0;
    if (*p == '\n')
        return 1;
    if (*p == '\r')
        return p + 1 < r->end && p[1] == '\n' ? 2 : 1;
    return 0;
}

static int
blank(char ch)
{
    return ch == ' ' || ch == '\t';
}

/* Skips blank and comment lines; returns 1 when a record starts at r->p. */
static int
skip_to_record(struct isx__cli_csv *r)
{
    while (r->p < r->end) {
        const char *q = r->p;
        size_t nl;
        while (q < r->end && blank(*q))
            q++;
        if (q < r->end && *q != '#' && line_break(r, q) == 0)
            return 1;
        /* A blank or comment line: on to the next one. */
        while (q < r->end && line_break(r, q) == 0)
            q++;
        nl = line_break(r, q);
        r->p = q + nl;
        if (nl > 0)
            r->line++;
    }
    return 0;
}

/* Ends the current field: a NUL after it and its offset recorded. */
static int
end_field(struct isx__cli_csv *r, size_t start)
{
    if (r->nfields >= ISX__CLI_CSV_FIELDS)
        return malformed(r, "cli.csv.too_many_fields", r->line);
    r->off[r->nfields++] = start;
    return isx_buf_putc(&r->text, '\0');
}

/* A quoted field from the opening quote at r->p; leaves r->p after the closing quote. */
static int
quoted(struct isx__cli_csv *r)
{
    size_t opened = r->line, nl;
    int rc = 0;

    r->p++;
    for (;;) {
        if (r->p >= r->end)
            return malformed(r, "cli.csv.unterminated", opened);
        if (*r->p == '"') {
            if (r->p + 1 < r->end && r->p[1] == '"') {
                rc = isx_buf_putc(&r->text, '"');
                r->p += 2;
            } else {
                r->p++;
                return 0;
            }
        } else if ((nl = line_break(r, r->p)) > 0) {
            rc = isx_buf_append(&r->text, r->p, nl);
            r->p += nl;
            r->line++;
        } else if (*r->p == '\0') {
            return malformed(r, "cli.csv.nul", r->line);
        } else {
            rc = isx_buf_putc(&r->text, *r->p++);
        }
        if (rc != 0)
            return rc;
    }
}

/* One field at r->p, up to (not including) the comma or line break that ends it. */
static int
field(struct isx__cli_csv *r)
{
    const char *q = r->p;
    size_t start = r->text.len;
    int rc;

    while (q < r->end && blank(*q))
        q++;
    if (q < r->end && *q == '"') {
        r->p = q;
        if ((rc = quoted(r)) != 0)
            return rc;
        while (r->p < r->end && blank(*r->p))
            r->p++;
        if (r->p < r->end && *r->p != ',' && line_break(r, r->p) == 0)
            return malformed(r, "cli.csv.after_quote", r->line);
        return end_field(r, start);
    }
    while (r->p < r->end && *r->p != ',' && line_break(r, r->p) == 0) {
        if (*r->p == '"')
            return malformed(r, "cli.csv.stray_quote", r->line);
        if (*r->p == '\0')
            return malformed(r, "cli.csv.nul", r->line);
        if ((rc = isx_buf_putc(&r->text, *r->p++)) != 0)
            return rc;
    }
    return end_field(r, start);
}

int
isx__cli_csv_next(struct isx__cli_csv *r)
{
    size_t nl;
    int rc;

    if (r->why != NULL)
        return ISX_EPARSE;
    isx_buf_reset(&r->text);
    r->nfields = 0;
    if (!skip_to_record(r))
        return 0;
    r->record_line = r->line;
    for (;;) {
        if ((rc = field(r)) != 0)
            return rc;
        if (r->p < r->end && *r->p == ',') {
            r->p++;
            continue;
        }
        nl = line_break(r, r->p);
        r->p += nl;
        if (nl > 0)
            r->line++;
        return 1;
    }
}
