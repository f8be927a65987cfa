/*
 * Indicator validation and normalisation (include/isx/indicator.h has the rules per type).
 * This file owns the canonical text of every indicator type: two spellings of one thing must
 * come out byte-identical, because `value` is what the store indexes and correlates on.
 *
 * Invariants: no global mutable state; no allocation except inside libidn2 for names that
 * are (or decode to) internationalised ones; every write goes through a bounded builder, so
 * an over-long result is detected rather than truncated; *out is written only on success.
 * Input is checked once up front (length, control and invisible characters, UTF-8), so the
 * per-type parsers may assume valid UTF-8 without control bytes.
 */
#include <arpa/inet.h>
#include <idn2.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "isx/indicator.h"

#define LABEL_MAX  63
#define DOMAIN_MAX 253
#define LOCAL_MAX  64
#define EMAIL_MAX  254

static const char *const type_names[ISX_IND_TYPE_COUNT] = {
    "ipv4", "ipv6", "cidr4",  "cidr6",  "domain", "url", "email",
    "md5",  "sha1", "sha256", "sha512", "cve",    "asn",
};

/* STIX 2.1 names (observable types and hash algorithm names) for the same types. */
static const struct {
    const char *name;
    enum isx_ind_type type;
} type_aliases[] = {
    {"ipv4-addr", ISX_IND_IPV4},        {"ipv6-addr", ISX_IND_IPV6},
    {"domain-name", ISX_IND_DOMAIN},    {"email-addr", ISX_IND_EMAIL},
    {"autonomous-system", ISX_IND_ASN}, {"sha-1", ISX_IND_SHA1},
    {"sha-256", ISX_IND_SHA256},        {"sha-512", ISX_IND_SHA512},
};

/* ---- small helpers ------------------------------------------------------------------- */

static bool
is_digit(unsigned char ch)
{
    return ch >= '0' && ch <= '9';
}

static bool
is_alpha(unsigned char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z');
}

static int
hex_value(unsigned char ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    if (ch >= 'a' && ch <= 'f')
        return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F')
        return ch - 'A' + 10;
    return -1;
}

static char
lower(char ch)
{
    return ch >= 'A' && ch <= 'Z' ? (char)(ch + 32) : ch;
}

/* ASCII case-insensitive comparison of n bytes; `lit` is lower case. */
static bool
ieq(const char *s, const char *lit, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (lower(s[i]) != lit[i])
            return false;
    }
    return true;
}

static bool
all_digits(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (!is_digit((unsigned char)s[i]))
            return false;
    }
    return n > 0;
}

static bool
any_high(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if ((unsigned char)s[i] >= 0x80)
            return true;
    }
    return false;
}

static const char *
last_byte(const char *s, size_t n, char ch)
{
    while (n > 0) {
        if (s[--n] == ch)
            return s + n;
    }
    return NULL;
}

/* Writes `v` in decimal; returns the number of bytes (at most 10). */
static size_t
put_dec(char *p, uint32_t v)
{
    char tmp[10];
    size_t n = 0;

    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v != 0);
    for (size_t i = 0; i < n; i++)
        p[i] = tmp[n - 1 - i];
    return n;
}

/*
 * A bounded string builder over a caller's buffer of cap + 1 bytes. Overflow sets `over`
 * and stops writing, so callers check once at the end instead of after every append.
 */
struct sb {
    char *p;
    size_t len;
    size_t cap;
    bool over;
};

static void
sb_put(struct sb *b, const char *s, size_t n)
{
    if (b->over || n > b->cap - b->len) {
        b->over = true;
        return;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
}

static void
sb_putc(struct sb *b, char ch)
{
    sb_put(b, &ch, 1);
}

static void
sb_end(struct sb *b)
{
    b->p[b->len] = '\0';
}

/* ---- diagnostics ------------------------------------------------------------------- */

struct ctx {
    const char *path;
    struct isx_diag *d;
};

/*
 * Records `key` with `n` bytes of `arg` and returns ISX_EFIELD. A long argument is cut at a
 * UTF-8 boundary and marked with an ellipsis, so a message never carries a broken character.
 */
static int
fail(const struct ctx *c, const char *key, const char *arg, size_t n)
{
    char a[sizeof(((struct isx_diag *)0)->arg)];

    if (n >= sizeof(a)) {
        n = sizeof(a) - 4;
        while (n > 0 && ((unsigned char)arg[n] & 0xC0) == 0x80)
            n--;
        memcpy(a, arg, n);
        memcpy(a + n, "\xE2\x80\xA6", 4); /* "…" and the NUL */
    } else {
        memcpy(a, arg, n);
        a[n] = '\0';
    }
    return isx_diag_set(c->d, ISX_EFIELD, c->path, key, a);
}

static int
fail_num(const struct ctx *c, const char *key, uint32_t v)
{
    char a[12];

    return fail(c, key, a, put_dec(a, v));
}

/* ---- the input check ----------------------------------------------------------------- */

/*
 * Characters that cannot be seen or that reorder what is seen: C1 controls, zero-width and
 * bidirectional formatting, word joiners, the BOM. In an indicator they only serve to make
 * two different values look alike, or one value look like another.
 */
static bool
invisible(uint32_t cp)
{
    return (cp >= 0x80 && cp <= 0x9F) || (cp >= 0x200B && cp <= 0x200F) ||
           (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2060 && cp <= 0x2064) ||
           (cp >= 0x2066 && cp <= 0x206F) || cp == 0xFEFF;
}

enum scan_result { SCAN_OK, SCAN_CONTROL, SCAN_ENCODING };

/* Checks `n` bytes: valid UTF-8 without control or invisible characters. */
static enum scan_result
scan(const unsigned char *s, size_t n, size_t *pos, bool *non_ascii)
{
    size_t i = 0;

    while (i < n) {
        unsigned ch = s[i];
        if (ch < 0x80) {
            if (ch < 0x20 || ch == 0x7F) {
                *pos = i;
                return SCAN_CONTROL;
            }
            i++;
            continue;
        }
        *non_ascii = true;
        *pos = i;
        size_t k;
        uint32_t cp;
        if (ch >= 0xC2 && ch <= 0xDF) {
            k = 1;
            cp = ch & 0x1F;
        } else if (ch >= 0xE0 && ch <= 0xEF) {
            k = 2;
            cp = ch & 0x0F;
        } else if (ch >= 0xF0 && ch <= 0xF4) {
            k = 3;
            cp = ch & 0x07;
        } else {
            return SCAN_ENCODING;
        }
        if (n - i <= k)
            return SCAN_ENCODING;
        for (size_t j = 1; j <= k; j++) {
            if ((s[i + j] & 0xC0) != 0x80)
                return SCAN_ENCODING;
            cp = cp << 6 | (s[i + j] & 0x3Fu);
        }
        /* Overlong forms, surrogates and code points past U+10FFFF. */
        if ((k == 2 && cp < 0x800) || (k == 3 && (cp < 0x10000 || cp > 0x10FFFF)) ||
            (cp >= 0xD800 && cp <= 0xDFFF))
            return SCAN_ENCODING;
        if (invisible(cp))
            return SCAN_CONTROL;
        i += k + 1;
    }
    return SCAN_OK;
}

/* ---- defanging ----------------------------------------------------------------------- */

static const struct {
    const char *pat; /* lower case */
    size_t len;
    char to;
} fangs[] = {
    {"[.]", 3, '.'}, {"(.)", 3, '.'}, {"{.}", 3, '.'},  {"[dot]", 5, '.'}, {"(dot)", 5, '.'},
    {"[@]", 3, '@'}, {"(@)", 3, '@'}, {"[at]", 4, '@'}, {"(at)", 4, '@'},
};

/*
 * Copies `n` bytes to `out` (at least n bytes), undoing the usual defanging of dots and, when
 * `at`, of "@". Only shrinks. Brackets are not otherwise valid in the types this is used on,
 * except an IPv6 URL host, whose "[" is never followed by "." or "@".
 */
static size_t
refang(const char *s, size_t n, char *out, bool at)
{
    size_t o = 0;

    for (size_t i = 0; i < n;) {
        if (s[i] == '[' || s[i] == '(' || s[i] == '{') {
            size_t f;
            for (f = 0; f < sizeof(fangs) / sizeof(fangs[0]); f++) {
                if ((at || fangs[f].to == '.') && n - i >= fangs[f].len &&
                    ieq(s + i, fangs[f].pat, fangs[f].len))
                    break;
            }
            if (f < sizeof(fangs) / sizeof(fangs[0])) {
                out[o++] = fangs[f].to;
                i += fangs[f].len;
                continue;
            }
        }
        out[o++] = s[i++];
    }
    return o;
}

/* ---- IP addresses and ranges --------------------------------------------------------- */

/* A strict dotted quad: four decimal parts 0-255, no leading zeros, nothing else. */
static bool
parse_ipv4(const char *s, size_t n, uint8_t out[4])
{
    size_t i = 0;

    for (int part = 0; part < 4; part++) {
        if (part > 0) {
            if (i >= n || s[i] != '.')
                return false;
            i++;
        }
        size_t start = i;
        unsigned v = 0;
        while (i < n && is_digit((unsigned char)s[i]) && i - start < 3)
            v = v * 10 + (unsigned)(s[i++] - '0');
        /* A leading zero is refused: inet_aton reads "010" as octal 8, people read ten. */
        if (i == start || v > 255 || (s[start] == '0' && i - start > 1))
            return false;
        out[part] = (uint8_t)v;
    }
    return i == n;
}

static bool
parse_ipv6(const char *s, size_t n, uint8_t out[16])
{
    char buf[64];

    /* inet_pton wants a C string; no valid spelling is longer than 45 bytes. */
    if (n == 0 || n >= sizeof(buf))
        return false;
    memcpy(buf, s, n);
    buf[n] = '\0';
    return inet_pton(AF_INET6, buf, out) == 1;
}

static size_t
fmt_ipv4(const uint8_t a[4], char *p)
{
    size_t n = 0;

    for (int i = 0; i < 4; i++) {
        if (i > 0)
            p[n++] = '.';
        n += put_dec(p + n, a[i]);
    }
    return n;
}

/*
 * RFC 5952 text, written here rather than taken from inet_ntop because the identity of an
 * indicator must not depend on one C library's choices (glibc, for one, prints the
 * deprecated IPv4-compatible ::/96 in dotted form).
 */
static size_t
fmt_ipv6(const uint8_t a[16], char *p)
{
    static const char hex[] = "0123456789abcdef";
    unsigned w[8];
    size_t n = 0;
    int best = -1, bestlen = 1; /* a run must cover two fields or more (§4.2.2) */

    for (int i = 0; i < 8; i++)
        w[i] = (unsigned)a[2 * i] << 8 | a[2 * i + 1];
    if (w[0] == 0 && w[1] == 0 && w[2] == 0 && w[3] == 0 && w[4] == 0 && w[5] == 0xFFFF) {
        memcpy(p, "::ffff:", 7); /* IPv4-mapped: mixed notation (§5) */
        return 7 + fmt_ipv4(a + 12, p + 7);
    }
    for (int i = 0; i < 8;) {
        if (w[i] != 0) {
            i++;
            continue;
        }
        int j = i;
        while (j < 8 && w[j] == 0)
            j++;
        if (j - i > bestlen) { /* strictly longer: the leftmost run wins a tie (§4.2.3) */
            best = i;
            bestlen = j - i;
        }
        i = j;
    }
    for (int i = 0; i < 8;) {
        if (i == best) {
            p[n++] = ':';
            p[n++] = ':';
            i += bestlen;
            continue;
        }
        if (i > 0 && i != best + bestlen)
            p[n++] = ':';
        bool started = false;
        for (int shift = 12; shift >= 0; shift -= 4) {
            unsigned nib = (w[i] >> shift) & 0xF;
            if (nib != 0 || started || shift == 0) {
                p[n++] = hex[nib];
                started = true;
            }
        }
        i++;
    }
    return n;
}

static size_t
fmt_ip(int fam, const uint8_t a[16], char *p)
{
    return fam == 4 ? fmt_ipv4(a, p) : fmt_ipv6(a, p);
}

/* Clears every bit after the first `prefix` of `a` (16 bytes). */
static void
mask(uint8_t a[16], unsigned prefix)
{
    for (unsigned i = 0; i < 16; i++) {
        unsigned bits = prefix > 8 * i ? prefix - 8 * i : 0;
        if (bits < 8)
            a[i] = (uint8_t)(a[i] & (0xFF00u >> bits));
    }
}

/* An address or a range of family `fam` (4 or 6), already refanged. */
static int
parse_ip(const struct ctx *c, int fam, const char *s, size_t n, struct isx_indicator *r)
{
    const char *slash = memchr(s, '/', n);
    size_t alen = slash != NULL ? (size_t)(slash - s) : n;
    unsigned max = fam == 4 ? 32 : 128;
    unsigned prefix = max;
    uint8_t a[16] = {0};
    uint8_t net[16];

    if (fam == 4 ? !parse_ipv4(s, alen, a) : !parse_ipv6(s, alen, a))
        return fail(c, fam == 4 ? "indicator.ipv4" : "indicator.ipv6", s, n);
    if (slash != NULL) {
        size_t plen = n - alen - 1;
        if (plen == 0 || plen > 3 || !all_digits(slash + 1, plen))
            return fail(c, "indicator.cidr_prefix", s, n);
        prefix = 0;
        for (size_t i = 0; i < plen; i++)
            prefix = prefix * 10 + (unsigned)(slash[1 + i] - '0');
        if (prefix > max)
            return fail(c, "indicator.cidr_prefix", s, n);
    }
    memcpy(net, a, sizeof(net));
    mask(net, prefix);
    if (memcmp(net, a, sizeof(net)) != 0) {
        /* Refused rather than masked: "10.0.0.1/8" may mean the host or the network, and
         * guessing wrong widens or narrows what a report claims. Suggest the network. */
        char fix[64];
        size_t fn = fmt_ip(fam, net, fix);
        fix[fn++] = '/';
        fn += put_dec(fix + fn, prefix);
        return fail(c, "indicator.cidr_host_bits", fix, fn);
    }
    size_t vn = fmt_ip(fam, a, r->value);
    if (prefix < max) {
        r->value[vn++] = '/';
        vn += put_dec(r->value + vn, prefix);
        r->type = fam == 4 ? ISX_IND_CIDR4 : ISX_IND_CIDR6;
    } else {
        r->type = fam == 4 ? ISX_IND_IPV4 : ISX_IND_IPV6;
    }
    r->value[vn] = '\0';
    r->len = vn;
    r->prefix = prefix;
    memcpy(r->addr, a, sizeof(a));
    return 0;
}

/* ---- domain names -------------------------------------------------------------------- */

/*
 * Checks and lower-cases an ASCII name of `n` bytes (no trailing dot) into `val`. Returns NULL
 * or the message key of the fault.
 */
static const char *
check_ldh(const char *s, size_t n, char *val)
{
    size_t start = 0, labels = 0;
    bool digits_only = true, underscore = false;

    if (n > DOMAIN_MAX)
        return "indicator.domain_length";
    for (size_t i = 0; i <= n; i++) {
        char ch = i < n ? lower(s[i]) : '.';
        if (ch == '.') {
            size_t len = i - start;
            if (len == 0)
                return "indicator.domain";
            if (len > LABEL_MAX)
                return "indicator.domain_label";
            if (val[start] == '-' || val[i - 1] == '-')
                return "indicator.domain";
            labels++;
            if (i < n) {
                val[i] = '.';
                start = i + 1;
                digits_only = true;
                underscore = false;
            }
            continue;
        }
        if (ch == '_')
            underscore = true;
        else if (!is_digit((unsigned char)ch))
            digits_only = false;
        if (!is_alpha((unsigned char)ch) && !is_digit((unsigned char)ch) && ch != '-' && ch != '_')
            return "indicator.domain";
        val[i] = ch;
    }
    if (labels < 2)
        return "indicator.domain_single";
    /* The top-level label is a registry's name: never numeric (that is an IPv4 address
     * written wrongly) and never with "_". */
    if (digits_only || underscore)
        return "indicator.domain_tld";
    return NULL;
}

/*
 * The display form of one A-label ("xn--…", NUL-terminated): its Unicode form when that is
 * valid and converts back to exactly this label, else the label itself, so a malformed or
 * non-canonical A-label is never shown as a different-looking name.
 */
static int
label_display(const char *label, size_t n, struct sb *out)
{
    char *u = NULL, *back = NULL;
    int rc = idn2_to_unicode_8z8z(label, &u, 0);

    if (rc == IDN2_MALLOC)
        return ISX_ENOMEM;
    if (rc == IDN2_OK) {
        size_t pos;
        bool na = false;
        size_t un = strlen(u);
        if (scan((const unsigned char *)u, un, &pos, &na) == SCAN_OK) {
            rc = idn2_to_ascii_8z(u, &back, IDN2_NONTRANSITIONAL);
            if (rc == IDN2_MALLOC) {
                free(u);
                return ISX_ENOMEM;
            }
            if (rc == IDN2_OK && strcmp(back, label) == 0) {
                sb_put(out, u, un);
                free(u);
                free(back);
                return 0;
            }
            free(back);
        }
        free(u);
    }
    sb_put(out, label, n);
    return 0;
}

/* Writes the display form of the normalised name `val` (n bytes, NUL-terminated). */
static int
domain_display(const char *val, size_t n, struct sb *out)
{
    char label[LABEL_MAX + 1];
    size_t start = 0;

    for (size_t i = 0; i <= n; i++) {
        if (i < n && val[i] != '.')
            continue;
        size_t len = i - start;
        if (start > 0)
            sb_putc(out, '.');
        if (len > 4 && memcmp(val + start, "xn--", 4) == 0) {
            memcpy(label, val + start, len);
            label[len] = '\0';
            int rc = label_display(label, len, out);
            if (rc != 0)
                return rc;
        } else {
            sb_put(out, val + start, len);
        }
        start = i + 1;
    }
    return 0;
}

static bool
has_alabel(const char *val, size_t n)
{
    for (size_t i = 0; i + 4 <= n; i++) {
        if ((i == 0 || val[i - 1] == '.') && memcmp(val + i, "xn--", 4) == 0)
            return true;
    }
    return false;
}

struct domain {
    char value[DOMAIN_MAX + 1];
    size_t len;
    bool idn; /* has an A-label: the display form may differ */
};

/* The length of the label separator at s[0..n): "." or one of the full stops UTS #46 maps
 * to it ("。", "．", "｡"); 0 if none. */
static size_t
separator(const char *s, size_t n)
{
    if (s[0] == '.')
        return 1;
    if (n >= 3 && (memcmp(s, "\xE3\x80\x82", 3) == 0 || memcmp(s, "\xEF\xBC\x8E", 3) == 0 ||
                   memcmp(s, "\xEF\xBD\xA1", 3) == 0))
        return 3;
    return 0;
}

/*
 * The ASCII form of a name with non-ASCII labels, into `out` (DOMAIN_MAX + 2 bytes). Each
 * label is converted on its own, and only the non-ASCII ones by libidn2 (IDNA2008 with the
 * UTS #46 non-transitional mapping: case folding, NFC, full-width forms), so that an ASCII
 * label is judged by the same rules whether or not its neighbours are internationalised.
 * Returns 0, ISX_ENOMEM, or 1 with *key naming the fault.
 */
static int
idn_to_ascii(const char *s, size_t n, char *out, size_t *outlen, const char **key)
{
    char label[ISX_INDICATOR_MAX + 1];
    size_t on = 0, start = 0;

    for (size_t i = 0;; i++) {
        size_t sep = i < n ? separator(s + i, n - i) : 0;
        if (i < n && sep == 0)
            continue;
        size_t len = i - start;
        const char *conv = s + start;
        char *a = NULL;
        if (any_high(conv, len)) {
            memcpy(label, conv, len);
            label[len] = '\0';
            int rc = idn2_to_ascii_8z(label, &a, IDN2_NONTRANSITIONAL);
            if (rc == IDN2_MALLOC)
                return ISX_ENOMEM;
            if (rc != IDN2_OK) {
                *key = rc == IDN2_TOO_BIG_LABEL ? "indicator.domain_label" : "indicator.idn";
                free(a);
                return 1;
            }
            conv = a;
            len = strlen(a);
        }
        if (len > DOMAIN_MAX + 1 - on) {
            free(a);
            *key = "indicator.domain_length";
            return 1;
        }
        memcpy(out + on, conv, len);
        on += len;
        free(a);
        if (i >= n)
            break;
        if (on == DOMAIN_MAX + 1) {
            *key = "indicator.domain_length";
            return 1;
        }
        out[on++] = '.';
        i += sep - 1;
        start = i + 1;
    }
    *outlen = on;
    return 0;
}

/*
 * Normalises the name at s[0..n) (refanged, valid UTF-8). Returns 0, ISX_ENOMEM, or 1 with
 * *key naming the fault.
 */
static int
norm_domain(const char *s, size_t n, bool non_ascii, struct domain *dom, const char **key)
{
    char ascii[DOMAIN_MAX + 2];

    if (non_ascii) {
        int rc = idn_to_ascii(s, n, ascii, &n, key);
        if (rc != 0)
            return rc;
        s = ascii;
    }
    if (n > 0 && s[n - 1] == '.')
        n--;
    *key = check_ldh(s, n, dom->value);
    if (*key != NULL)
        return 1;
    dom->value[n] = '\0';
    dom->len = n;
    dom->idn = has_alabel(dom->value, n);
    return 0;
}

static int
parse_domain(const struct ctx *c, const char *s, size_t n, bool non_ascii, struct isx_indicator *r)
{
    struct domain dom;
    const char *key = NULL;
    int rc = norm_domain(s, n, non_ascii, &dom, &key);

    if (rc == 1)
        return fail(c, key, s, n);
    if (rc != 0)
        return rc;
    memcpy(r->value, dom.value, dom.len + 1);
    r->len = dom.len;
    r->type = ISX_IND_DOMAIN;
    if (dom.idn) {
        struct sb disp = {r->display, 0, ISX_INDICATOR_MAX, false};
        rc = domain_display(dom.value, dom.len, &disp);
        if (rc != 0)
            return rc;
        if (!disp.over)
            sb_end(&disp);
        else
            r->display[0] = '\0';
    }
    return 0;
}

/* ---- e-mail addresses ---------------------------------------------------------------- */

/* RFC 5322 atext, plus UTF-8 (RFC 6531). */
static bool
is_atext(unsigned char ch)
{
    return is_alpha(ch) || is_digit(ch) || ch >= 0x80 || strchr("!#$%&'*+-/=?^_`{|}~", ch) != NULL;
}

static int
parse_email(const struct ctx *c, const char *text, size_t tn, struct isx_indicator *r)
{
    char s[ISX_INDICATOR_MAX];
    struct domain dom;
    const char *key = NULL;
    size_t skip = tn >= 7 && ieq(text, "mailto:", 7) ? 7 : 0;
    size_t n = refang(text + skip, tn - skip, s, true);
    const char *at = last_byte(s, n, '@');

    if (at == NULL)
        return fail(c, "indicator.email", text, tn);
    size_t ln = (size_t)(at - s);
    if (ln == 0 || ln > LOCAL_MAX || s[0] == '.' || s[ln - 1] == '.')
        return fail(c, "indicator.email_local", s, ln);
    for (size_t i = 0; i < ln; i++) {
        if (!is_atext((unsigned char)s[i]) && !(s[i] == '.' && s[i + 1] != '.'))
            return fail(c, "indicator.email_local", s, ln);
    }
    int rc = norm_domain(at + 1, n - ln - 1, any_high(at + 1, n - ln - 1), &dom, &key);
    if (rc == 1)
        return fail(c, "indicator.email_domain", at + 1, n - ln - 1);
    if (rc != 0)
        return rc;
    if (ln + 1 + dom.len > EMAIL_MAX)
        return fail_num(c, "indicator.too_long", EMAIL_MAX);
    memcpy(r->value, s, ln + 1);
    memcpy(r->value + ln + 1, dom.value, dom.len + 1);
    r->len = ln + 1 + dom.len;
    r->type = ISX_IND_EMAIL;
    if (dom.idn) {
        struct sb disp = {r->display, 0, ISX_INDICATOR_MAX, false};
        sb_put(&disp, s, ln + 1);
        rc = domain_display(dom.value, dom.len, &disp);
        if (rc != 0)
            return rc;
        if (!disp.over)
            sb_end(&disp);
        else
            r->display[0] = '\0';
    }
    return 0;
}

/* ---- URLs ---------------------------------------------------------------------------- */

static const struct {
    const char *name; /* as written, lower case */
    const char *canon;
    unsigned port; /* the default, dropped from the value */
} schemes[] = {
    {"http", "http", 80}, {"https", "https", 443}, {"ws", "ws", 80},
    {"wss", "wss", 443},  {"ftp", "ftp", 21},      {"ftps", "ftps", 990},
    {"hxxp", "http", 80}, {"hxxps", "https", 443}, {"fxp", "ftp", 21},
};

static bool
is_unreserved(unsigned char ch)
{
    return is_alpha(ch) || is_digit(ch) || ch == '-' || ch == '.' || ch == '_' || ch == '~';
}

/* Characters a path or query may hold as they are: sub-delims, ":", "@", "/", "?". */
static bool
is_pchar(unsigned char ch)
{
    return ch != '\0' && strchr("!$&'()*+,;=:@/?", ch) != NULL;
}

/*
 * RFC 3986 §6.2.2 normalisation of a path, query or userinfo: escapes of unreserved
 * characters decoded, other escapes in upper-case hex, and every byte a URI may not hold as
 * it is (space, non-ASCII, a "%" not starting an escape, …) escaped, so that the raw and the
 * escaped spelling of a URL are one value. In userinfo "@", "/" and "?" are escaped too.
 */
static void
pct_norm(const char *s, size_t n, bool userinfo, struct sb *o)
{
    static const char hex[] = "0123456789ABCDEF";

    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch == '%' && n - i > 2 && hex_value((unsigned char)s[i + 1]) >= 0 &&
            hex_value((unsigned char)s[i + 2]) >= 0) {
            ch = (unsigned char)(hex_value((unsigned char)s[i + 1]) << 4 |
                                 hex_value((unsigned char)s[i + 2]));
            i += 2;
            if (is_unreserved(ch)) {
                sb_putc(o, (char)ch);
                continue;
            }
        } else if (is_unreserved(ch) ||
                   (is_pchar(ch) && !(userinfo && (ch == '@' || ch == '/' || ch == '?')))) {
            sb_putc(o, (char)ch);
            continue;
        }
        char e[3] = {'%', hex[ch >> 4], hex[ch & 15]};
        sb_put(o, e, 3);
    }
}

/* RFC 3986 §5.2.4 on an absolute path `p` (starts with "/"), appended to `o`. */
static void
remove_dots(const char *p, size_t n, struct sb *o)
{
    size_t base = o->len;

    for (size_t i = 1; n > 0;) {
        size_t j = i;
        while (j < n && p[j] != '/')
            j++;
        size_t len = j - i;
        bool last = j >= n;
        if (len == 1 && p[i] == '.') {
            if (last)
                sb_putc(o, '/');
        } else if (len == 2 && p[i] == '.' && p[i + 1] == '.') {
            while (o->len > base && o->p[o->len - 1] != '/')
                o->len--;
            if (o->len > base)
                o->len--;
            if (last)
                sb_putc(o, '/');
        } else {
            sb_putc(o, '/');
            sb_put(o, p + i, len);
        }
        if (last)
            break;
        i = j + 1;
    }
    if (o->len == base)
        sb_putc(o, '/');
}

static int
parse_url(const struct ctx *c, const char *s, size_t n, struct isx_indicator *r)
{
    char auth[ISX_INDICATOR_MAX];
    char path[3 * ISX_INDICATOR_MAX];
    char hostval[64]; /* an IP host's canonical text */
    char hostdisp[4 * DOMAIN_MAX];
    struct domain dom;
    const char *host_value;
    size_t host_len, hd_len = 0; /* hd_len: a Unicode host form in hostdisp, or 0 */
    size_t i = 0;

    /* Scheme, then "://" (or its defanged "[:]//", "[://]"). */
    while (i < n && (is_alpha((unsigned char)s[i]) || is_digit((unsigned char)s[i]) ||
                     s[i] == '+' || s[i] == '-' || s[i] == '.'))
        i++;
    size_t sl = i;
    if (sl == 0 || !is_alpha((unsigned char)s[0]))
        return fail(c, "indicator.url_no_scheme", s, n);
    if (n - i >= 3 && memcmp(s + i, "://", 3) == 0)
        i += 3;
    else if (n - i >= 5 && (memcmp(s + i, "[:]//", 5) == 0 || memcmp(s + i, "[://]", 5) == 0))
        i += 5;
    else
        return fail(c, "indicator.url_no_scheme", s, n);
    size_t sc;
    for (sc = 0; sc < sizeof(schemes) / sizeof(schemes[0]); sc++) {
        if (strlen(schemes[sc].name) == sl && ieq(s, schemes[sc].name, sl))
            break;
    }
    if (sc == sizeof(schemes) / sizeof(schemes[0]))
        return fail(c, "indicator.url_scheme", s, sl);

    /* Authority: up to the path, query or fragment. */
    size_t a0 = i;
    while (i < n && s[i] != '/' && s[i] != '?' && s[i] != '#')
        i++;
    size_t an = refang(s + a0, i - a0, auth, false);
    const char *at = last_byte(auth, an, '@');
    const char *hp = at != NULL ? at + 1 : auth;
    size_t hn = an - (size_t)(hp - auth);
    const char *port = NULL;
    size_t pn = 0, hl;

    if (hn > 0 && hp[0] == '[') {
        const char *close = memchr(hp, ']', hn);
        uint8_t a6[16];
        if (close == NULL || !parse_ipv6(hp + 1, (size_t)(close - hp - 1), a6))
            return fail(c, "indicator.url_host", hp, hn);
        hl = (size_t)(close - hp) + 1;
        if (hl < hn && hp[hl] != ':')
            return fail(c, "indicator.url_host", hp, hn);
        hostval[0] = '[';
        host_len = 1 + fmt_ipv6(a6, hostval + 1);
        hostval[host_len++] = ']';
        host_value = hostval;
    } else {
        const char *colon = last_byte(hp, hn, ':');
        hl = colon != NULL ? (size_t)(colon - hp) : hn;
        if (hl == 0)
            return fail(c, "indicator.url_no_host", s, n);
        bool dotted = true;
        for (size_t k = 0; k < hl; k++) {
            if (!is_digit((unsigned char)hp[k]) && hp[k] != '.')
                dotted = false;
        }
        if (dotted) {
            uint8_t a4[4];
            if (!parse_ipv4(hp, hl, a4))
                return fail(c, "indicator.url_host", hp, hl);
            host_len = fmt_ipv4(a4, hostval);
            host_value = hostval;
        } else {
            const char *key = NULL;
            int rc = norm_domain(hp, hl, any_high(hp, hl), &dom, &key);
            if (rc == 1)
                return fail(c, "indicator.url_host", hp, hl);
            if (rc != 0)
                return rc;
            host_value = dom.value;
            host_len = dom.len;
            if (dom.idn) {
                struct sb hd = {hostdisp, 0, sizeof(hostdisp) - 1, false};
                rc = domain_display(dom.value, dom.len, &hd);
                if (rc != 0)
                    return rc;
                hd_len = hd.over ? 0 : hd.len;
            }
        }
    }
    if (hl < hn) {
        port = hp + hl + 1;
        pn = hn - hl - 1;
    }
    unsigned long pv = 0;
    if (pn > 0) {
        size_t z = 0;
        while (z < pn - 1 && port[z] == '0')
            z++;
        if (!all_digits(port, pn) || pn - z > 5)
            return fail(c, "indicator.url_port", port, pn);
        for (size_t k = z; k < pn; k++)
            pv = pv * 10 + (unsigned long)(port[k] - '0');
        if (pv == 0 || pv > 65535)
            return fail(c, "indicator.url_port", port, pn);
    }

    /* The value: scheme://[userinfo@]host[:port]path[?query]. */
    struct sb v = {r->value, 0, ISX_INDICATOR_MAX, false};
    sb_put(&v, schemes[sc].canon, strlen(schemes[sc].canon));
    sb_put(&v, "://", 3);
    if (at != NULL) {
        pct_norm(auth, (size_t)(at - auth), true, &v);
        sb_putc(&v, '@');
    }
    size_t host_at = v.len;
    sb_put(&v, host_value, host_len);
    if (pv != 0 && pv != schemes[sc].port) {
        char pbuf[8];
        sb_putc(&v, ':');
        sb_put(&v, pbuf, put_dec(pbuf, (uint32_t)pv));
    }

    size_t p0 = i;
    while (i < n && s[i] != '?' && s[i] != '#')
        i++;
    struct sb pb = {path, 0, sizeof(path) - 1, false};
    pct_norm(s + p0, i - p0, false, &pb);
    if (pb.over)
        return fail_num(c, "indicator.too_long", ISX_INDICATOR_MAX);
    remove_dots(path, pb.len, &v);
    if (i < n && s[i] == '?') {
        size_t q0 = ++i;
        while (i < n && s[i] != '#')
            i++;
        sb_putc(&v, '?');
        pct_norm(s + q0, i - q0, false, &v);
    }
    /* The fragment never leaves the client, so it is not part of what was contacted. */
    if (v.over)
        return fail_num(c, "indicator.too_long", ISX_INDICATOR_MAX);
    sb_end(&v);
    r->len = v.len;
    r->type = ISX_IND_URL;
    if (hd_len > 0) {
        /* The display form is the value with the host in Unicode; left empty (meaning "the
         * value") if that would not fit. */
        struct sb dsp = {r->display, 0, ISX_INDICATOR_MAX, false};
        sb_put(&dsp, r->value, host_at);
        sb_put(&dsp, hostdisp, hd_len);
        sb_put(&dsp, r->value + host_at + host_len, v.len - host_at - host_len);
        if (!dsp.over)
            sb_end(&dsp);
        else
            r->display[0] = '\0';
    }
    return 0;
}

/* ---- hashes, CVE ids, AS numbers ----------------------------------------------------- */

static const struct {
    enum isx_ind_type type;
    size_t len;
    const char *key;
} hashes[] = {
    {ISX_IND_MD5, 32, "indicator.md5"},
    {ISX_IND_SHA1, 40, "indicator.sha1"},
    {ISX_IND_SHA256, 64, "indicator.sha256"},
    {ISX_IND_SHA512, 128, "indicator.sha512"},
};

/* `want` is a hash type, or -1 to decide by length. */
static int
parse_hash(const struct ctx *c, int want, const char *s, size_t n, struct isx_indicator *r)
{
    const char *key = "indicator.hash";
    int found = -1;

    for (size_t h = 0; h < sizeof(hashes) / sizeof(hashes[0]); h++) {
        if ((int)hashes[h].type == want)
            key = hashes[h].key;
        if (hashes[h].len == n && (want < 0 || (int)hashes[h].type == want))
            found = (int)h;
    }
    if (found < 0)
        return fail(c, key, s, n);
    for (size_t i = 0; i < n; i++) {
        if (hex_value((unsigned char)s[i]) < 0)
            return fail(c, key, s, n);
        r->value[i] = lower(s[i]);
    }
    r->value[n] = '\0';
    r->len = n;
    r->type = hashes[found].type;
    return 0;
}

static int
parse_cve(const struct ctx *c, const char *s, size_t n, struct isx_indicator *r)
{
    /* CVE-YYYY-NNNN…: the sequence has four digits, or more without a leading zero. */
    if (n < 13 || n > 28 || !ieq(s, "cve-", 4) || !all_digits(s + 4, 4) || s[8] != '-' ||
        !all_digits(s + 9, n - 9) || (n > 13 && s[9] == '0'))
        return fail(c, "indicator.cve", s, n);
    unsigned year = 0;
    for (size_t i = 4; i < 8; i++)
        year = year * 10 + (unsigned)(s[i] - '0');
    if (year < 1999 || year > 2100)
        return fail(c, "indicator.cve_year", s, n);
    memcpy(r->value, "CVE-", 4);
    memcpy(r->value + 4, s + 4, n - 4);
    r->value[n] = '\0';
    r->len = n;
    r->type = ISX_IND_CVE;
    return 0;
}

/* Leading decimal digits into *v, which saturates past 2^32; returns how many, 0 if none. */
static size_t
read_dec(const char *s, size_t n, uint64_t *v)
{
    size_t i = 0;

    *v = 0;
    for (; i < n && is_digit((unsigned char)s[i]); i++) {
        if (*v <= UINT32_MAX)
            *v = *v * 10 + (uint64_t)(s[i] - '0');
    }
    return i;
}

static int
parse_asn(const struct ctx *c, const char *s, size_t n, struct isx_indicator *r)
{
    size_t skip = n >= 3 && ieq(s, "asn", 3) ? 3 : n >= 2 && ieq(s, "as", 2) ? 2 : 0;
    const char *p = s + skip;
    size_t pn = n - skip;
    uint64_t v, lo;
    size_t k = read_dec(p, pn, &v);

    if (k == 0)
        return fail(c, "indicator.asn", s, n);
    if (k < pn) {
        /* asdot (RFC 5396): "1.10" is 1 * 65536 + 10. */
        size_t k2 = p[k] == '.' ? read_dec(p + k + 1, pn - k - 1, &lo) : 0;
        if (k2 == 0 || k + 1 + k2 != pn)
            return fail(c, "indicator.asn", s, n);
        if (v > 65535 || lo > 65535)
            return fail(c, "indicator.asn_range", s, n);
        v = v << 16 | lo;
    }
    if (v == 0 || v > UINT32_MAX)
        return fail(c, "indicator.asn_range", s, n);
    memcpy(r->value, "AS", 2);
    r->len = 2 + put_dec(r->value + 2, (uint32_t)v);
    r->value[r->len] = '\0';
    r->type = ISX_IND_ASN;
    return 0;
}

/* ---- detection and the entry points -------------------------------------------------- */

/* What a type argument asks for: one type, a family, or detection. */
enum want { W_AUTO = -1, W_IP = -2, W_HASH = -3 };

static bool
has_scheme_sep(const char *s, size_t n)
{
    for (size_t i = 0; i + 3 <= n; i++) {
        if (s[i] == ':' && s[i + 1] == '/' && s[i + 2] == '/')
            return true;
        if (n - i >= 5 && (memcmp(s + i, "[:]//", 5) == 0 || memcmp(s + i, "[://]", 5) == 0))
            return true;
    }
    return false;
}

/* Classifies refanged text by its shape, so a malformed value is refused with the reason of
 * the type it was meant to be ("256.1.1.1" is a bad IPv4 address, not a bad domain name). */
static int
detect(const char *s, size_t n)
{
    bool v4 = is_digit((unsigned char)s[0]), v6 = true, hex = true, dot = false;
    size_t colons = 0;

    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        bool h = hex_value(ch) >= 0;
        if (ch == '.')
            dot = true;
        if (ch == ':')
            colons++;
        if (!is_digit(ch) && ch != '.' && ch != '/')
            v4 = false;
        if (!h && ch != ':' && ch != '.' && ch != '/')
            v6 = false;
        if (!h)
            hex = false;
    }
    if (v4 && dot)
        return ISX_IND_IPV4;
    if (v6 && colons >= 2)
        return ISX_IND_IPV6;
    if (hex && n >= 32)
        return W_HASH;
    /* Host names may start like a CVE id or an AS number ("cve-2021-1.example",
     * "as15169.example"): only the whole shape counts. */
    if (n >= 4 && ieq(s, "cve-", 4) && !dot && memchr(s, '/', n) == NULL &&
        memchr(s, '@', n) == NULL)
        return ISX_IND_CVE;
    size_t as = n >= 3 && ieq(s, "asn", 3) ? 3 : n >= 2 && ieq(s, "as", 2) ? 2 : 0;
    if (as > 0 && as < n && is_digit((unsigned char)s[as])) {
        size_t k = as;
        while (k < n && (is_digit((unsigned char)s[k]) || s[k] == '.'))
            k++;
        if (k == n)
            return ISX_IND_ASN;
    }
    if (memchr(s, '@', n) != NULL || (n >= 7 && ieq(s, "mailto:", 7)))
        return ISX_IND_EMAIL;
    if (memchr(s, '/', n) != NULL)
        return ISX_IND_URL;
    if (dot)
        return ISX_IND_DOMAIN;
    return W_AUTO;
}

static int
resolve_type(const char *type, int *want)
{
    enum isx_ind_type t;

    if (type == NULL || type[0] == '\0' || strcmp(type, "auto") == 0)
        *want = W_AUTO;
    else if (strcmp(type, "ip") == 0)
        *want = W_IP;
    else if (strcmp(type, "hash") == 0)
        *want = W_HASH;
    else if (isx_indicator_type_parse(type, &t) == 0)
        *want = (int)t;
    else
        return -1;
    return 0;
}

static int
dispatch(const struct ctx *c, int want, const char *s, size_t n, bool non_ascii,
         struct isx_indicator *r)
{
    char buf[ISX_INDICATOR_MAX];
    size_t bn;

    if (want == W_AUTO && has_scheme_sep(s, n))
        return parse_url(c, s, n, r);
    if (want == W_AUTO || want == W_IP || want == ISX_IND_IPV4 || want == ISX_IND_IPV6 ||
        want == ISX_IND_CIDR4 || want == ISX_IND_CIDR6 || want == ISX_IND_DOMAIN) {
        bn = refang(s, n, buf, want == W_AUTO);
        s = buf;
        n = bn;
    }
    if (want == W_AUTO) {
        want = detect(s, n);
        if (want == ISX_IND_URL)
            return fail(c, "indicator.url_no_scheme", s, n);
        if (want == W_AUTO)
            return fail(c, "indicator.unknown", s, n);
    }
    if (want == W_IP)
        want = memchr(s, ':', n) != NULL ? ISX_IND_IPV6 : ISX_IND_IPV4;
    switch (want) {
    case W_HASH:
        return parse_hash(c, -1, s, n, r);
    case ISX_IND_IPV4:
    case ISX_IND_CIDR4:
        return parse_ip(c, 4, s, n, r);
    case ISX_IND_IPV6:
    case ISX_IND_CIDR6:
        return parse_ip(c, 6, s, n, r);
    case ISX_IND_DOMAIN:
        return parse_domain(c, s, n, non_ascii, r);
    case ISX_IND_URL:
        return parse_url(c, s, n, r);
    case ISX_IND_EMAIL:
        return parse_email(c, s, n, r);
    case ISX_IND_MD5:
    case ISX_IND_SHA1:
    case ISX_IND_SHA256:
    case ISX_IND_SHA512:
        return parse_hash(c, want, s, n, r);
    case ISX_IND_CVE:
        return parse_cve(c, s, n, r);
    default:
        return parse_asn(c, s, n, r);
    }
}

const char *
isx_indicator_type_name(enum isx_ind_type type)
{
    return (unsigned)type < ISX_IND_TYPE_COUNT ? type_names[type] : "unknown";
}

int
isx_indicator_type_parse(const char *s, enum isx_ind_type *out)
{
    size_t n = s != NULL ? strlen(s) : 0;

    for (size_t i = 0; i < ISX_IND_TYPE_COUNT; i++) {
        if (n == strlen(type_names[i]) && ieq(s, type_names[i], n)) {
            *out = (enum isx_ind_type)i;
            return 0;
        }
    }
    for (size_t i = 0; i < sizeof(type_aliases) / sizeof(type_aliases[0]); i++) {
        if (n == strlen(type_aliases[i].name) && ieq(s, type_aliases[i].name, n)) {
            *out = type_aliases[i].type;
            return 0;
        }
    }
    return ISX_EINVAL;
}

int
isx_indicator_parsen(const char *type, const char *text, size_t len, const char *path,
                     struct isx_indicator *out, struct isx_diag *d)
{
    const struct ctx c = {path, d};
    struct isx_indicator r;
    size_t pos = 0;
    bool non_ascii = false;
    int want;

    if (resolve_type(type, &want) != 0)
        return fail(&c, "indicator.type", type, strlen(type));
    if (text == NULL)
        return fail(&c, "indicator.empty", "", 0);
    if (len > ISX_INDICATOR_MAX)
        return fail_num(&c, "indicator.too_long", ISX_INDICATOR_MAX);
    /* Spaces around a value are an artefact of copying it, never part of it. */
    size_t skip = 0;
    while (skip < len && text[skip] == ' ')
        skip++;
    while (len > skip && text[len - 1] == ' ')
        len--;
    text += skip;
    len -= skip;
    if (len == 0)
        return fail(&c, "indicator.empty", "", 0);
    switch (scan((const unsigned char *)text, len, &pos, &non_ascii)) {
    case SCAN_CONTROL:
        return fail_num(&c, "indicator.control", (uint32_t)(skip + pos + 1));
    case SCAN_ENCODING:
        return fail_num(&c, "indicator.encoding", (uint32_t)(skip + pos + 1));
    case SCAN_OK:
        break;
    }

    r.prefix = 0;
    memset(r.addr, 0, sizeof(r.addr));
    r.display[0] = '\0';
    int rc = dispatch(&c, want, text, len, non_ascii, &r);
    if (rc != 0)
        return rc;
    out->type = r.type;
    out->prefix = r.prefix;
    memcpy(out->addr, r.addr, sizeof(out->addr));
    out->len = r.len;
    memcpy(out->value, r.value, r.len + 1);
    /* An empty display means "the same as the value" (or a Unicode form too long to keep). */
    if (r.display[0] != '\0')
        memcpy(out->display, r.display, strlen(r.display) + 1);
    else
        memcpy(out->display, r.value, r.len + 1);
    return 0;
}

int
isx_indicator_parse(const char *type, const char *text, const char *path, struct isx_indicator *out,
                    struct isx_diag *d)
{
    return isx_indicator_parsen(type, text, text != NULL ? strlen(text) : 0, path, out, d);
}

int
isx_indicator_family(const struct isx_indicator *ind)
{
    switch (ind->type) {
    case ISX_IND_IPV4:
    case ISX_IND_CIDR4:
        return 4;
    case ISX_IND_IPV6:
    case ISX_IND_CIDR6:
        return 6;
    default:
        return 0;
    }
}

int
isx_indicator_in_range(const struct isx_indicator *inner, const struct isx_indicator *outer)
{
    int fam = isx_indicator_family(inner);
    uint8_t a[16];

    if (fam == 0 || fam != isx_indicator_family(outer) || inner->prefix < outer->prefix)
        return 0;
    memcpy(a, inner->addr, sizeof(a));
    mask(a, outer->prefix);
    return memcmp(a, outer->addr, sizeof(a)) == 0;
}
