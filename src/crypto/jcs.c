/*
 * RFC 8785 canonical JSON over jansson values, and the I-JSON parser that feeds it. These are
 * the bytes isx signs and hashes, so the output must match every other JCS implementation bit
 * for bit. Invariants: keys sort by UTF-16 code units; strings are escaped the way ECMAScript
 * JSON.stringify escapes them; numbers use ECMAScript Number::toString, computed in the "C"
 * locale whatever the process locale is; nesting never exceeds MAX_DEPTH; and a failed
 * encode leaves the caller's buffer exactly as it was.
 */
#include <locale.h>
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "isx/error.h"
#include "isx/jcs.h"

/* Signed objects are shallow; a cap keeps recursion bounded and catches cyclic values. */
#define MAX_DEPTH 64
#define STR_(x)   #x
#define STR(x)    STR_(x)

/* ±(2^53 − 1): the integers that every IEEE-754 JSON implementation reads back exactly. */
#define MAX_SAFE_INTEGER 9007199254740991LL

/*
 * Decodes one strictly valid UTF-8 sequence (RFC 3629: no overlong forms, no surrogates,
 * nothing above U+10FFFF). Returns its length and sets *cp, or returns 0 when invalid.
 */
static size_t
utf8_next(const unsigned char *p, size_t n, uint32_t *cp)
{
    unsigned char c = p[0];
    unsigned char lo = 0x80, hi = 0xbf;
    size_t len, i;
    uint32_t v;

    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    if (c >= 0xc2 && c <= 0xdf) {
        len = 2;
        v = c & 0x1fU;
    } else if (c >= 0xe0 && c <= 0xef) {
        len = 3;
        v = c & 0x0fU;
        if (c == 0xe0)
            lo = 0xa0;
        else if (c == 0xed)
            hi = 0x9f;
    } else if (c >= 0xf0 && c <= 0xf4) {
        len = 4;
        v = c & 0x07U;
        if (c == 0xf0)
            lo = 0x90;
        else if (c == 0xf4)
            hi = 0x8f;
    } else {
        return 0;
    }
    if (n < len || p[1] < lo || p[1] > hi)
        return 0;
    for (i = 1; i < len; i++) {
        if (p[i] < 0x80 || p[i] > 0xbf)
            return 0;
        v = v << 6 | (p[i] & 0x3fU);
    }
    *cp = v;
    return len;
}

static int
utf8_valid(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0, step;
    uint32_t cp;

    while (i < n) {
        step = utf8_next(p + i, n - i, &cp);
        if (step == 0)
            return 0;
        i += step;
    }
    return 1;
}

/* --- Encoding --------------------------------------------------------------------------- */

struct member {
    const char *key;
    size_t len;
    json_t *value;
};

/* Walks a valid UTF-8 string as UTF-16 code units, splitting astral code points in two. */
struct u16iter {
    const unsigned char *p;
    size_t n;
    uint32_t low; /* the pending low surrogate, or 0 */
};

static long
u16_next(struct u16iter *it)
{
    uint32_t cp = 0;
    size_t step;

    if (it->low != 0) {
        cp = it->low;
        it->low = 0;
        return (long)cp;
    }
    if (it->n == 0)
        return -1;
    step = utf8_next(it->p, it->n, &cp);
    it->p += step;
    it->n -= step;
    if (cp >= 0x10000) {
        cp -= 0x10000;
        it->low = 0xdc00 + (cp & 0x3ff);
        return (long)(0xd800 + (cp >> 10));
    }
    return (long)cp;
}

static int
member_cmp(const void *a, const void *b)
{
    const struct member *ma = a, *mb = b;
    struct u16iter ia = {(const unsigned char *)ma->key, ma->len, 0};
    struct u16iter ib = {(const unsigned char *)mb->key, mb->len, 0};
    long ua, ub;

    /* A shorter name that is a prefix of a longer one sorts first, as -1 < any unit. */
    do {
        ua = u16_next(&ia);
        ub = u16_next(&ib);
    } while (ua == ub && ua != -1);
    return (ua > ub) - (ua < ub);
}

static int
emit_string(struct isx_buf *out, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0, run = 0, step;
    uint32_t cp;
    char esc[7];
    int rc;

    if ((rc = isx_buf_putc(out, '"')) != 0)
        return rc;
    while (i < n) {
        unsigned char c = p[i];
        const char *rep = NULL;
        size_t replen = 2;

        if (c >= 0x80) {
            step = utf8_next(p + i, n - i, &cp);
            if (step == 0)
                return ISX_EINVAL;
            i += step;
            continue;
        }
        switch (c) {
        case '"':
            rep = "\\\"";
            break;
        case '\\':
            rep = "\\\\";
            break;
        case '\b':
            rep = "\\b";
            break;
        case '\t':
            rep = "\\t";
            break;
        case '\n':
            rep = "\\n";
            break;
        case '\f':
            rep = "\\f";
            break;
        case '\r':
            rep = "\\r";
            break;
        default:
            if (c < 0x20) {
                memcpy(esc, "\\u00", 4);
                esc[4] = hex[c >> 4];
                esc[5] = hex[c & 0x0f];
                rep = esc;
                replen = 6;
            }
            break;
        }
        if (rep == NULL) {
            i++;
            continue;
        }
        /* Flush the literal run before this character, then its escape. */
        if ((rc = isx_buf_append(out, p + run, i - run)) != 0 ||
            (rc = isx_buf_append(out, rep, replen)) != 0)
            return rc;
        i++;
        run = i;
    }
    if ((rc = isx_buf_append(out, p + run, n - run)) != 0)
        return rc;
    return isx_buf_putc(out, '"');
}

static pthread_once_t c_locale_once = PTHREAD_ONCE_INIT;
static locale_t c_locale = (locale_t)0;

static void
make_c_locale(void)
{
    c_locale = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0);
}

/*
 * Parses "%.*e" output for a positive double into its digits and decimal exponent. Returns
 * the number of digits, or 0 if the text is not in that form.
 */
static int
split_e(const char *b, char dg[24], int *e)
{
    const char *s;
    char *end;
    int k = 0;

    for (s = b; *s != 'e' && *s != '\0'; s++)
        if (*s >= '0' && *s <= '9' && k < 24)
            dg[k++] = *s;
    if (*s != 'e' || k == 0)
        return 0;
    *e = (int)strtol(s + 1, &end, 10);
    return k;
}

/*
 * Steps the k-digit decimal dg × 10^e by one unit in its last place, up or down, staying at
 * k significant digits ("999" becomes "100" one decade up; "100" becomes "999" one down).
 */
static void
step_digits(char *dg, int k, int *e, int up)
{
    int i;

    if (up) {
        for (i = k - 1; i >= 0 && dg[i] == '9'; i--)
            dg[i] = '0';
        if (i >= 0) {
            dg[i]++;
        } else {
            dg[0] = '1';
            (*e)++;
        }
    } else {
        for (i = k - 1; i >= 0 && dg[i] == '0'; i--)
            dg[i] = '9';
        dg[i]--; /* dg[0] is never '0', so i >= 0 here */
        if (dg[0] == '0') {
            memset(dg, '9', (size_t)k);
            (*e)--;
        }
    }
}

static double
digits_value(const char *dg, int k, int e)
{
    char b[48];

    snprintf(b, sizeof(b), "%c.%.*se%d", dg[0], k - 1, dg + 1, e);
    return strtod(b, NULL);
}

/*
 * The shortest digits that read back as d > 0 and, among those, the closest to d (ES
 * 7.1.12.1 step 5). For each length the correctly rounded candidate from printf is the
 * closest; when it does not read back, the candidate one unit away on the other side of d
 * still can, because the rounding interval of a power of two is narrower below it than
 * above. Returns the digit count with trailing zeros removed and sets *n so that
 * d = 0.dg × 10^n.
 */
static int
shortest_digits(double d, char dg[24], int *n)
{
    char b[40], alt[24];
    int p, k = 0, e = 0, ae;
    double r;

    for (p = 1; p <= 17; p++) {
        snprintf(b, sizeof(b), "%.*e", p - 1, d);
        k = split_e(b, dg, &e);
        if (k == 0)
            return 0;
        r = strtod(b, NULL);
        if (r == d)
            break;
        memcpy(alt, dg, (size_t)k);
        ae = e;
        step_digits(alt, k, &ae, r < d);
        if (digits_value(alt, k, ae) == d) {
            memcpy(dg, alt, (size_t)k);
            e = ae;
            break;
        }
    }
    while (k > 1 && dg[k - 1] == '0')
        k--;
    *n = e + 1;
    return k;
}

/*
 * ECMAScript Number::toString for a finite double (ES 7.1.12.1, RFC 8785 §3.2.2.3): the
 * shortest digits laid out by their decimal exponent n, where d = 0.dg × 10^n. glibc rounds
 * correctly in both printf and strtod, and the caller has switched this thread to the "C"
 * locale so the radix character is '.'. `out` holds at least 32 bytes.
 */
static int
format_double(double d, char *out, size_t cap)
{
    char dg[24];
    char *o = out;
    int k, n, i;

    if (!isfinite(d))
        return ISX_EINVAL;
    if (d == 0) {
        /* Both zeros print as "0". */
        snprintf(out, cap, "0");
        return 0;
    }
    if (d < 0)
        *o++ = '-';
    k = shortest_digits(fabs(d), dg, &n);
    if (k == 0)
        return ISX_EINVAL;
    if (k <= n && n <= 21) {
        memcpy(o, dg, (size_t)k);
        o += k;
        for (i = k; i < n; i++)
            *o++ = '0';
        *o = '\0';
    } else if (0 < n && n <= 21) {
        memcpy(o, dg, (size_t)n);
        o += n;
        *o++ = '.';
        memcpy(o, dg + n, (size_t)(k - n));
        o += k - n;
        *o = '\0';
    } else if (-6 < n && n <= 0) {
        *o++ = '0';
        *o++ = '.';
        for (i = 0; i < -n; i++)
            *o++ = '0';
        memcpy(o, dg, (size_t)k);
        o += k;
        *o = '\0';
    } else {
        *o++ = dg[0];
        if (k > 1) {
            *o++ = '.';
            memcpy(o, dg + 1, (size_t)(k - 1));
            o += k - 1;
        }
        snprintf(o, cap - (size_t)(o - out), "e%c%d", n - 1 >= 0 ? '+' : '-', abs(n - 1));
    }
    return 0;
}

static int
emit_number(struct isx_buf *out, const json_t *v)
{
    char num[40];
    locale_t old;
    int rc;

    if (json_is_integer(v)) {
        json_int_t i = json_integer_value(v);
        if (i > MAX_SAFE_INTEGER || i < -MAX_SAFE_INTEGER)
            return ISX_EINVAL;
        return isx_buf_printf(out, "%lld", (long long)i);
    }
    old = uselocale(c_locale);
    if (old == (locale_t)0)
        return ISX_ENOMEM;
    rc = format_double(json_real_value(v), num, sizeof(num));
    uselocale(old);
    if (rc != 0)
        return rc;
    return isx_buf_puts(out, num);
}

static int encode(const json_t *v, struct isx_buf *out, int depth);

static int
encode_object(const json_t *v, struct isx_buf *out, int depth)
{
    struct member *m = NULL;
    size_t n = json_object_size(v), i = 0;
    void *it;
    int rc = 0;

    if (n != 0) {
        m = calloc(n, sizeof(*m));
        if (m == NULL)
            return ISX_ENOMEM;
    }
    for (it = json_object_iter((json_t *)v); it != NULL && i < n;
         it = json_object_iter_next((json_t *)v, it), i++) {
        m[i].key = json_object_iter_key(it);
        m[i].len = json_object_iter_key_len(it);
        m[i].value = json_object_iter_value(it);
        /* Names must be valid before member_cmp decodes them. */
        if (!utf8_valid(m[i].key, m[i].len)) {
            rc = ISX_EINVAL;
            goto done;
        }
    }
    n = i;
    if (n > 1)
        qsort(m, n, sizeof(*m), member_cmp);
    if ((rc = isx_buf_putc(out, '{')) != 0)
        goto done;
    for (i = 0; i < n; i++) {
        if ((i > 0 && (rc = isx_buf_putc(out, ',')) != 0) ||
            (rc = emit_string(out, m[i].key, m[i].len)) != 0 ||
            (rc = isx_buf_putc(out, ':')) != 0 || (rc = encode(m[i].value, out, depth)) != 0)
            goto done;
    }
    rc = isx_buf_putc(out, '}');
done:
    free(m);
    return rc;
}

static int
encode(const json_t *v, struct isx_buf *out, int depth)
{
    size_t i, n;
    int rc;

    if (v == NULL)
        return ISX_EINVAL;
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        if (depth >= MAX_DEPTH)
            return ISX_EINVAL;
        return encode_object(v, out, depth + 1);
    case JSON_ARRAY:
        if (depth >= MAX_DEPTH)
            return ISX_EINVAL;
        if ((rc = isx_buf_putc(out, '[')) != 0)
            return rc;
        n = json_array_size(v);
        for (i = 0; i < n; i++) {
            if ((i > 0 && (rc = isx_buf_putc(out, ',')) != 0) ||
                (rc = encode(json_array_get(v, i), out, depth + 1)) != 0)
                return rc;
        }
        return isx_buf_putc(out, ']');
    case JSON_STRING:
        return emit_string(out, json_string_value(v), json_string_length(v));
    case JSON_INTEGER:
    case JSON_REAL:
        return emit_number(out, v);
    case JSON_TRUE:
        return isx_buf_puts(out, "true");
    case JSON_FALSE:
        return isx_buf_puts(out, "false");
    case JSON_NULL:
        return isx_buf_puts(out, "null");
    }
    return ISX_EINVAL;
}

int
isx_jcs_encode(const json_t *v, struct isx_buf *out)
{
    size_t mark = out->len;
    int had_data = out->data != NULL;
    int rc;

    if (pthread_once(&c_locale_once, make_c_locale) != 0 || c_locale == (locale_t)0)
        return ISX_ENOMEM;
    rc = encode(v, out, 0);
    if (rc != 0) {
        /* Restore the buffer: a caller appending a signature input must never see half. */
        if (!had_data) {
            isx_buf_free(out);
        } else {
            out->len = mark;
            out->data[mark] = '\0';
        }
    }
    return rc;
}

/* --- Parsing ---------------------------------------------------------------------------- */

enum check_result { CHECK_OK, CHECK_DEPTH, CHECK_UTF8 };

/*
 * jansson already refuses bad UTF-8 and lone surrogates in its lexer; this walk enforces the
 * depth limit and re-checks every string so the guarantee does not rest on one library's
 * lexer alone.
 */
static enum check_result
check_value(const json_t *v, int depth)
{
    enum check_result r;
    size_t i, n;
    void *it;

    switch (json_typeof(v)) {
    case JSON_OBJECT:
        if (depth >= MAX_DEPTH)
            return CHECK_DEPTH;
        for (it = json_object_iter((json_t *)v); it != NULL;
             it = json_object_iter_next((json_t *)v, it)) {
            const char *key = json_object_iter_key(it);
            size_t len = json_object_iter_key_len(it);
            if (memchr(key, '\0', len) != NULL || !utf8_valid(key, len))
                return CHECK_UTF8;
            if ((r = check_value(json_object_iter_value(it), depth + 1)) != CHECK_OK)
                return r;
        }
        return CHECK_OK;
    case JSON_ARRAY:
        if (depth >= MAX_DEPTH)
            return CHECK_DEPTH;
        n = json_array_size(v);
        for (i = 0; i < n; i++)
            if ((r = check_value(json_array_get(v, i), depth + 1)) != CHECK_OK)
                return r;
        return CHECK_OK;
    case JSON_STRING: {
        const char *s = json_string_value(v);
        size_t len = json_string_length(v);
        if (memchr(s, '\0', len) != NULL || !utf8_valid(s, len))
            return CHECK_UTF8;
        return CHECK_OK;
    }
    default:
        return CHECK_OK;
    }
}

/*
 * Finds where valid JSON text first nests deeper than MAX_DEPTH, counting lines from 1 and
 * columns in characters as jansson does, so every parse error reports its place alike.
 */
static void
find_depth_error(const char *text, size_t len, int *line, int *column)
{
    int depth = 0, in_string = 0, escaped = 0;
    size_t i;

    *line = 1;
    *column = 0;
    for (i = 0; i < len; i++) {
        unsigned char c = (unsigned char)text[i];
        if (c == '\n') {
            (*line)++;
            *column = 0;
            continue;
        }
        if (c < 0x80 || c >= 0xc0)
            (*column)++;
        if (in_string) {
            if (escaped)
                escaped = 0;
            else if (c == '\\')
                escaped = 1;
            else if (c == '"')
                in_string = 0;
        } else if (c == '"') {
            in_string = 1;
        } else if (c == '[' || c == '{') {
            if (++depth > MAX_DEPTH)
                return;
        } else if (c == ']' || c == '}') {
            depth--;
        }
    }
}

/*
 * Formats "line L column C: <message>" into arg. The message may quote the untrusted input,
 * so anything that is not printable valid UTF-8 becomes '?' and the text is cut on a
 * character boundary: the diagnostic ends up in JSON answers and terminals.
 */
static void
format_position(char *arg, size_t cap, int line, int column, const char *msg)
{
    const unsigned char *p = (const unsigned char *)msg;
    size_t o, n = strlen(msg), i = 0, step;
    uint32_t cp;
    int w;

    w = snprintf(arg, cap, "line %d column %d: ", line, column);
    if (w < 0 || (size_t)w >= cap)
        return;
    o = (size_t)w;
    while (i < n) {
        step = utf8_next(p + i, n - i, &cp);
        if (step == 0 || cp < 0x20 || cp == 0x7f) {
            if (o + 1 >= cap)
                break;
            arg[o++] = '?';
            i += step == 0 ? 1 : step;
            continue;
        }
        if (o + step >= cap)
            break;
        memcpy(arg + o, p + i, step);
        o += step;
        i += step;
    }
    arg[o] = '\0';
}

int
isx_json_parse(const char *text, size_t len, json_t **out, struct isx_diag *d)
{
    char arg[sizeof(((struct isx_diag *)0)->arg)];
    json_error_t err;
    json_t *v;
    enum check_result r;
    int line, column;

    if ((text == NULL && len != 0) || out == NULL)
        return ISX_EINVAL;
    /*
     * Any JSON value is accepted at the top level (RFC 8259); a caller that needs an object
     * says so with a field-level diagnostic, which reads better than "malformed JSON".
     */
    v = json_loadb(text != NULL ? text : "", len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &err);
    if (v == NULL) {
        format_position(arg, sizeof(arg), err.line, err.column, err.text);
        return isx_diag_set(d, ISX_EPARSE, "", "error.json", arg);
    }
    r = check_value(v, 0);
    if (r != CHECK_OK) {
        json_decref(v);
        if (r == CHECK_DEPTH) {
            find_depth_error(text, len, &line, &column);
            format_position(arg, sizeof(arg), line, column,
                            "nesting deeper than " STR(MAX_DEPTH) " arrays and objects");
        } else {
            /* Unreachable with jansson's own checks; the place is not known here. */
            format_position(arg, sizeof(arg), 0, 0, "invalid Unicode text in a string");
        }
        return isx_diag_set(d, ISX_EPARSE, "", "error.json", arg);
    }
    *out = v;
    return 0;
}
