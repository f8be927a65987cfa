/*
 * C2SP signed notes, tlog checkpoints and cosignature/v1: formatting, strict parsing,
 * signing through an isx_signer and verification against a list of known keys. This file
 * holds no keys and does no I/O.
 *
 * Invariants: everything accepted is valid UTF-8 with no control character but the newline,
 * so a note has one reading for every verifier; numbers, base64 and key ids have one accepted
 * spelling each (no leading zeros, canonical padded base64), so equal checkpoints are equal
 * strings; a note is never read past ISX_NOTE_MAX_SIZE bytes or ISX_NOTE_MAX_SIGS signature
 * lines; appends to a caller's buffer are undone when a later step fails.
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "isx/error.h"
#include "isx/hash.h"
#include "isx/note.h"

/* U+2014 EM DASH and a space open every signature line. */
#define SIG_PREFIX     "\xE2\x80\x94 "
#define SIG_PREFIX_LEN 4
/* Key id, then the Ed25519 signature; a cosignature puts the 8-byte time in between. */
#define ED25519_BLOB (4 + ISX_SIGN_SIG_LEN)
#define COSIG_BLOB   (4 + 8 + ISX_SIGN_SIG_LEN)
/* "cosignature/v1\ntime " and up to 20 digits and a newline. */
#define COSIG_HEADER_MAX 48
/* Base64 of 32 bytes, padded: 44 characters. */
#define ROOT_B64_LEN 44

static void
put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static uint32_t
get_be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void
put_be64(uint8_t *p, uint64_t v)
{
    put_be32(p, (uint32_t)(v >> 32));
    put_be32(p + 4, (uint32_t)v);
}

static uint64_t
get_be64(const uint8_t *p)
{
    return (uint64_t)get_be32(p) << 32 | get_be32(p + 4);
}

/* Undoes appends to a caller's buffer, which keeps its memory. */
static void
buf_truncate(struct isx_buf *b, size_t len)
{
    if (b->data != NULL) {
        b->len = len;
        b->data[len] = '\0';
    }
}

/*
 * Decodes one UTF-8 sequence at s[*i]. Overlong forms, surrogates and code points past
 * U+10FFFF are refused, so that each text has exactly one byte spelling.
 */
static int
utf8_next(const unsigned char *s, size_t len, size_t *i, uint32_t *cp)
{
    unsigned char c = s[*i];
    uint32_t v;
    size_t n, k;

    if (c < 0x80) {
        *cp = c;
        (*i)++;
        return 0;
    }
    if (c >= 0xc2 && c <= 0xdf) {
        n = 1;
        v = c & 0x1fU;
    } else if (c >= 0xe0 && c <= 0xef) {
        n = 2;
        v = c & 0x0fU;
    } else if (c >= 0xf0 && c <= 0xf4) {
        n = 3;
        v = c & 0x07U;
    } else {
        return -1;
    }
    if (len - *i <= n)
        return -1;
    for (k = 1; k <= n; k++) {
        unsigned char d = s[*i + k];

        if ((d & 0xc0) != 0x80)
            return -1;
        v = v << 6 | (d & 0x3fU);
    }
    if ((n == 2 && v < 0x800) || (n == 3 && (v < 0x10000 || v > 0x10ffff)) ||
        (v >= 0xd800 && v <= 0xdfff))
        return -1;
    *cp = v;
    *i += n + 1;
    return 0;
}

/* Unicode White_Space, which is what Go's unicode.IsSpace tests in the note package. */
static bool
is_space(uint32_t cp)
{
    return cp == ' ' || (cp >= 0x09 && cp <= 0x0d) || cp == 0x85 || cp == 0xa0 || cp == 0x1680 ||
           (cp >= 0x2000 && cp <= 0x200a) || cp == 0x2028 || cp == 0x2029 || cp == 0x202f ||
           cp == 0x205f || cp == 0x3000;
}

/* A key name of any length: signature lines may carry names longer than any known key's. */
static bool
name_ok(const char *name, size_t len)
{
    const unsigned char *s = (const unsigned char *)name;
    size_t i = 0;
    uint32_t cp;

    if (len == 0)
        return false;
    while (i < len) {
        if (utf8_next(s, len, &i, &cp) != 0)
            return false;
        if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) || is_space(cp) || cp == '+')
            return false;
    }
    return true;
}

/* Note text and whole notes: UTF-8 with no control character other than the newline. */
static bool
text_ok(const char *text, size_t len)
{
    const unsigned char *s = (const unsigned char *)text;
    size_t i = 0;
    uint32_t cp;

    while (i < len) {
        if (s[i] >= 0x20 && s[i] < 0x80) {
            i++;
            continue;
        }
        if (utf8_next(s, len, &i, &cp) != 0)
            return false;
        if (cp < 0x20 && cp != '\n')
            return false;
    }
    return true;
}

/* Text that may be signed: non-empty, ending in a newline, within the size limit. */
static int
check_text(const char *text, size_t len)
{
    if (text == NULL)
        return ISX_EINVAL;
    if (len > ISX_NOTE_MAX_SIZE)
        return ISX_ETOOBIG;
    if (len == 0 || text[len - 1] != '\n' || !text_ok(text, len))
        return ISX_EINVAL;
    return 0;
}

int
isx_note_name_valid(const char *name, size_t len)
{
    return name != NULL && len <= ISX_NOTE_NAME_MAX && name_ok(name, len);
}

static uint32_t
key_id(const char *name, size_t len, uint8_t type, const uint8_t pk[ISX_SIGN_PUBLIC_LEN])
{
    const uint8_t sep[2] = {'\n', type};
    struct isx_sha256_ctx c;
    uint8_t h[ISX_SHA256_LEN];

    isx_sha256_init(&c);
    isx_sha256_update(&c, name, len);
    isx_sha256_update(&c, sep, sizeof(sep));
    isx_sha256_update(&c, pk, ISX_SIGN_PUBLIC_LEN);
    isx_sha256_final(&c, h);
    return get_be32(h);
}

uint32_t
isx_note_key_id(const char *name, uint8_t type, const uint8_t pk[ISX_SIGN_PUBLIC_LEN])
{
    return key_id(name, strlen(name), type, pk);
}

static bool
type_known(uint8_t type)
{
    return type == ISX_NOTE_ED25519 || type == ISX_NOTE_COSIG_V1;
}

int
isx_note_verifier_init(const char *name, uint8_t type, const uint8_t pk[ISX_SIGN_PUBLIC_LEN],
                       struct isx_note_verifier *out)
{
    size_t len;

    if (name == NULL || pk == NULL || out == NULL || !type_known(type))
        return ISX_EINVAL;
    len = strlen(name);
    if (!isx_note_name_valid(name, len))
        return ISX_EINVAL;
    memset(out, 0, sizeof(*out));
    memcpy(out->name, name, len);
    out->type = type;
    memcpy(out->pk, pk, ISX_SIGN_PUBLIC_LEN);
    out->id = key_id(name, len, type, pk);
    return 0;
}

int
isx_note_vkey_format(const struct isx_note_verifier *k, struct isx_buf *out)
{
    uint8_t raw[1 + ISX_SIGN_PUBLIC_LEN];
    char b64[64];
    size_t len;

    if (k == NULL || out == NULL || !type_known(k->type))
        return ISX_EINVAL;
    len = strnlen(k->name, sizeof(k->name));
    if (!isx_note_name_valid(k->name, len))
        return ISX_EINVAL;
    raw[0] = k->type;
    memcpy(raw + 1, k->pk, ISX_SIGN_PUBLIC_LEN);
    isx_base64_encode(raw, sizeof(raw), b64);
    /* The id is recomputed rather than taken from k, so the string is always consistent. */
    return isx_buf_printf(out, "%s+%08" PRIx32 "+%s", k->name, key_id(k->name, len, k->type, k->pk),
                          b64);
}

int
isx_note_vkey_parse(const char *s, size_t len, struct isx_note_verifier *out)
{
    struct isx_note_verifier k;
    const char *plus1, *plus2, *b64;
    uint8_t idb[4], raw[1 + ISX_SIGN_PUBLIC_LEN];
    size_t namelen, n;

    if (s == NULL || out == NULL)
        return ISX_EINVAL;
    /* The base64 key may itself contain '+'; the name and the id cannot, so the first two
     * '+' are the separators. */
    plus1 = memchr(s, '+', len);
    if (plus1 == NULL)
        return ISX_EINVAL;
    namelen = (size_t)(plus1 - s);
    plus2 = memchr(plus1 + 1, '+', len - namelen - 1);
    if (plus2 == NULL || plus2 - plus1 - 1 != 8 || !isx_note_name_valid(s, namelen))
        return ISX_EINVAL;
    if (isx_hex_decode(plus1 + 1, 8, idb, sizeof(idb)) != 0)
        return ISX_EINVAL;
    b64 = plus2 + 1;
    if (isx_base64_decode(b64, len - (size_t)(b64 - s), raw, sizeof(raw), &n) != 0 ||
        n != sizeof(raw) || !type_known(raw[0]))
        return ISX_EINVAL;
    memset(&k, 0, sizeof(k));
    memcpy(k.name, s, namelen);
    k.type = raw[0];
    memcpy(k.pk, raw + 1, ISX_SIGN_PUBLIC_LEN);
    k.id = key_id(k.name, namelen, k.type, k.pk);
    /* A mismatched id means the string was altered or belongs to another name. */
    if (k.id != get_be32(idb))
        return ISX_EINVAL;
    *out = k;
    return 0;
}

/*
 * Checks that `name` is the name the signer was made with, by comparing key ids, and fetches
 * its public key. Signing under another name would produce lines no verifier can match.
 */
static int
check_signer(struct isx_signer *signer, const char *name, uint8_t pk[ISX_SIGN_PUBLIC_LEN])
{
    char id[9];

    if (signer == NULL || name == NULL || !isx_note_name_valid(name, strlen(name)))
        return ISX_EINVAL;
    isx_signer_public(signer, pk);
    isx_sign_key_id(name, pk, id);
    if (strcmp(id, isx_signer_key_id(signer)) != 0)
        return ISX_EINVAL;
    return 0;
}

/* Appends "— <name> <base64(blob)>\n". */
static int
append_line(struct isx_buf *out, const char *name, const uint8_t *blob, size_t len)
{
    char b64[128];
    size_t start = out->len;
    int rc;

    isx_base64_encode(blob, len, b64);
    rc = isx_buf_printf(out, SIG_PREFIX "%s %s\n", name, b64);
    if (rc != 0)
        buf_truncate(out, start);
    return rc;
}

_Static_assert(COSIG_BLOB * 4 / 3 + 4 < 128, "signature line buffer too small");

int
isx_note_signature_line(const char *text, size_t len, struct isx_signer *signer, const char *name,
                        struct isx_buf *out)
{
    uint8_t blob[ED25519_BLOB], pk[ISX_SIGN_PUBLIC_LEN];
    int rc;

    if (out == NULL)
        return ISX_EINVAL;
    rc = check_text(text, len);
    if (rc == 0)
        rc = check_signer(signer, name, pk);
    if (rc == 0)
        rc = isx_signer_sign(signer, text, len, blob + 4);
    if (rc != 0)
        return rc;
    put_be32(blob, key_id(name, strlen(name), ISX_NOTE_ED25519, pk));
    return append_line(out, name, blob, sizeof(blob));
}

int
isx_note_sign(const char *text, size_t len, struct isx_signer *signer, const char *name,
              struct isx_buf *out)
{
    size_t start;
    int rc;

    if (out == NULL)
        return ISX_EINVAL;
    start = out->len;
    rc = check_text(text, len);
    if (rc != 0)
        goto done;
    rc = isx_buf_append(out, text, len);
    if (rc == 0)
        rc = isx_buf_putc(out, '\n');
    if (rc == 0)
        rc = isx_note_signature_line(text, len, signer, name, out);
    /* A note that its own verifier would refuse for its size is not worth handing out. */
    if (rc == 0 && out->len - start > ISX_NOTE_MAX_SIZE)
        rc = ISX_ETOOBIG;
done:
    if (rc != 0)
        buf_truncate(out, start);
    return rc;
}

/* "cosignature/v1\ntime <ts>\n" || text, in a fresh allocation the caller frees. */
static int
cosig_message(const char *text, size_t len, uint64_t ts, char **msg, size_t *msglen)
{
    char header[COSIG_HEADER_MAX];
    int hlen = snprintf(header, sizeof(header), "cosignature/v1\ntime %" PRIu64 "\n", ts);
    char *m;

    if (hlen < 0 || (size_t)hlen >= sizeof(header))
        return ISX_EINVAL;
    m = malloc((size_t)hlen + len);
    if (m == NULL)
        return ISX_ENOMEM;
    memcpy(m, header, (size_t)hlen);
    memcpy(m + hlen, text, len);
    *msg = m;
    *msglen = (size_t)hlen + len;
    return 0;
}

int
isx_cosig_sign(const char *text, size_t len, struct isx_signer *signer, const char *name,
               uint64_t timestamp, struct isx_buf *out)
{
    uint8_t blob[COSIG_BLOB], pk[ISX_SIGN_PUBLIC_LEN];
    struct isx_checkpoint cp;
    char *msg = NULL;
    size_t msglen;
    int rc;

    if (out == NULL)
        return ISX_EINVAL;
    /* A cosignature vouches for a checkpoint; anything else is refused before signing. */
    rc = isx_checkpoint_parse(text, len, &cp);
    if (rc == 0)
        rc = check_signer(signer, name, pk);
    if (rc == 0)
        rc = cosig_message(text, len, timestamp, &msg, &msglen);
    if (rc == 0)
        rc = isx_signer_sign(signer, msg, msglen, blob + 12);
    if (rc != 0)
        goto done;
    put_be32(blob, key_id(name, strlen(name), ISX_NOTE_COSIG_V1, pk));
    put_be64(blob + 4, timestamp);
    rc = append_line(out, name, blob, sizeof(blob));
done:
    free(msg);
    return rc;
}

/* The index of the known key with this name and key id, or nkeys. */
static size_t
find_key(const struct isx_note_verifier *keys, size_t nkeys, const char *name, size_t len,
         uint32_t id)
{
    size_t i;

    for (i = 0; i < nkeys; i++) {
        const struct isx_note_verifier *k = &keys[i];

        /* The id is recomputed from the key, not trusted from the struct. */
        if (type_known(k->type) && strnlen(k->name, sizeof(k->name)) == len &&
            memcmp(k->name, name, len) == 0 && key_id(name, len, k->type, k->pk) == id)
            return i;
    }
    return nkeys;
}

/* Verifies one signature by a known key over text; sets *ts for a cosignature. */
static int
check_signature(const struct isx_note_verifier *k, const char *text, size_t len,
                const uint8_t *blob, size_t n, uint64_t *ts)
{
    char *msg = NULL;
    size_t msglen;
    int rc;

    *ts = 0;
    if (k->type == ISX_NOTE_ED25519)
        return n == ED25519_BLOB ? isx_sign_verify(k->pk, text, len, blob + 4) : ISX_ESIG;
    if (n != COSIG_BLOB)
        return ISX_ESIG;
    rc = cosig_message(text, len, get_be64(blob + 4), &msg, &msglen);
    if (rc == 0)
        rc = isx_sign_verify(k->pk, msg, msglen, blob + 12);
    if (rc == 0)
        *ts = get_be64(blob + 4);
    free(msg);
    return rc;
}

/* Whether key k already has a signature in the result: a key that signs twice counts once. */
static bool
reported(const struct isx_note_result *res, size_t k)
{
    size_t i;

    for (i = 0; i < res->count; i++)
        if (res->sig[i].key == k)
            return true;
    return false;
}

int
isx_note_verify(const char *note, size_t len, const struct isx_note_verifier *keys, size_t nkeys,
                struct isx_note_result *out)
{
    struct isx_note_result res;
    const char *sigs, *line, *end;
    uint8_t *blob = NULL;
    size_t split, nlines = 0;
    int rc = 0;

    if (note == NULL || out == NULL || (keys == NULL && nkeys > 0))
        return ISX_EINVAL;
    if (len > ISX_NOTE_MAX_SIZE)
        return ISX_ETOOBIG;
    if (len < 3 || !text_ok(note, len))
        return ISX_EINVAL;
    /* Signature lines never hold an empty line, so the last one separates text from them. */
    for (split = len - 2;; split--) {
        if (note[split] == '\n' && note[split + 1] == '\n')
            break;
        if (split == 0)
            return ISX_EINVAL;
    }
    memset(&res, 0, sizeof(res));
    res.text_len = split + 1;
    sigs = note + split + 2;
    end = note + len;
    if (sigs == end || end[-1] != '\n')
        return ISX_EINVAL;
    for (line = sigs; line < end; line++)
        nlines += *line == '\n';
    if (nlines > ISX_NOTE_MAX_SIGS)
        return ISX_ETOOBIG;
    /* Decoded base64 is shorter than its text, so the block's length bounds every blob. */
    blob = malloc((size_t)(end - sigs));
    if (blob == NULL)
        return ISX_ENOMEM;
    for (line = sigs; line < end;) {
        const char *eol = memchr(line, '\n', (size_t)(end - line)), *name, *sp;
        size_t n, k;
        uint64_t ts;

        if ((size_t)(eol - line) < SIG_PREFIX_LEN ||
            memcmp(line, SIG_PREFIX, SIG_PREFIX_LEN) != 0) {
            rc = ISX_EINVAL;
            goto done;
        }
        name = line + SIG_PREFIX_LEN;
        sp = memchr(name, ' ', (size_t)(eol - name));
        if (sp == NULL || !name_ok(name, (size_t)(sp - name)) || sp + 1 == eol ||
            isx_base64_decode(sp + 1, (size_t)(eol - sp - 1), blob, (size_t)(end - sigs), &n) !=
                0 ||
            n < 5) {
            rc = ISX_EINVAL;
            goto done;
        }
        line = eol + 1;
        k = find_key(keys, nkeys, name, (size_t)(sp - name), get_be32(blob));
        if (k == nkeys)
            continue;
        rc = check_signature(&keys[k], note, res.text_len, blob, n, &ts);
        if (rc != 0)
            goto done;
        /* At most ISX_NOTE_MAX_SIGS lines, so the list cannot overflow. */
        if (!reported(&res, k)) {
            res.sig[res.count].key = k;
            res.sig[res.count].timestamp = ts;
            res.count++;
        }
    }
    if (res.count == 0) {
        rc = ISX_EKEY;
        goto done;
    }
    *out = res;
done:
    free(blob);
    return rc;
}

/* A tree size: decimal digits only, "0" or no leading zero, within 64 bits. */
static int
parse_size(const char *s, size_t len, uint64_t *out)
{
    uint64_t v = 0;
    size_t i;

    if (len == 0 || len > 20 || (len > 1 && s[0] == '0'))
        return ISX_EINVAL;
    for (i = 0; i < len; i++) {
        unsigned d = (unsigned)(unsigned char)s[i] - '0';

        if (d > 9 || v > (UINT64_MAX - d) / 10)
            return ISX_EINVAL;
        v = v * 10 + d;
    }
    *out = v;
    return 0;
}

int
isx_checkpoint_parse(const char *text, size_t len, struct isx_checkpoint *out)
{
    struct isx_checkpoint cp;
    const char *p, *nl, *end;
    size_t n;
    int rc;

    if (out == NULL)
        return ISX_EINVAL;
    rc = check_text(text, len);
    if (rc != 0)
        return rc;
    memset(&cp, 0, sizeof(cp));
    end = text + len;
    /* The text ends in a newline, so memchr finds one from any p < end. */
    nl = memchr(text, '\n', len);
    if (!isx_note_name_valid(text, (size_t)(nl - text)))
        return ISX_EINVAL;
    memcpy(cp.origin, text, (size_t)(nl - text));
    p = nl + 1;
    if (p == end)
        return ISX_EINVAL;
    nl = memchr(p, '\n', (size_t)(end - p));
    if (parse_size(p, (size_t)(nl - p), &cp.size) != 0)
        return ISX_EINVAL;
    p = nl + 1;
    if (p == end)
        return ISX_EINVAL;
    nl = memchr(p, '\n', (size_t)(end - p));
    if (nl - p != ROOT_B64_LEN ||
        isx_base64_decode(p, ROOT_B64_LEN, cp.root, sizeof(cp.root), &n) != 0 ||
        n != sizeof(cp.root))
        return ISX_EINVAL;
    for (p = nl + 1; p < end; p = nl + 1) {
        nl = memchr(p, '\n', (size_t)(end - p));
        /* An empty line here would read as the end of the text in a signed note. */
        if (nl == p)
            return ISX_EINVAL;
        cp.extensions++;
    }
    *out = cp;
    return 0;
}

int
isx_checkpoint_format(const struct isx_checkpoint *cp, struct isx_buf *out)
{
    char root[ROOT_B64_LEN + 1];

    if (cp == NULL || out == NULL ||
        !isx_note_name_valid(cp->origin, strnlen(cp->origin, sizeof(cp->origin))))
        return ISX_EINVAL;
    isx_base64_encode(cp->root, sizeof(cp->root), root);
    return isx_buf_printf(out, "%s\n%" PRIu64 "\n%s\n", cp->origin, cp->size, root);
}

int
isx_checkpoint_sign(const struct isx_checkpoint *cp, struct isx_signer *signer, struct isx_buf *out)
{
    struct isx_buf text = ISX_BUF_INIT;
    int rc;

    if (out == NULL)
        return ISX_EINVAL;
    rc = isx_checkpoint_format(cp, &text);
    if (rc == 0)
        rc = isx_note_sign(text.data, text.len, signer, cp->origin, out);
    isx_buf_free(&text);
    return rc;
}

int
isx_checkpoint_open(const char *note, size_t len, const struct isx_note_verifier *keys,
                    size_t nkeys, struct isx_checkpoint *cp, struct isx_note_result *res)
{
    struct isx_note_result r;
    struct isx_checkpoint c;
    int rc;

    if (cp == NULL || res == NULL)
        return ISX_EINVAL;
    rc = isx_note_verify(note, len, keys, nkeys, &r);
    if (rc == 0)
        rc = isx_checkpoint_parse(note, r.text_len, &c);
    if (rc != 0)
        return rc;
    *cp = c;
    *res = r;
    return 0;
}
