/*
 * Tests for src/crypto/note.c: the PeterNeumann signed-note vector of standards.md §4.4
 * (verified, and reproduced byte for byte from its private key), verifier key strings,
 * checkpoint text and its refusals, signing and verification with known, unknown and wrong
 * keys, the signature and size caps, and cosignature/v1.
 */
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "isx/buf.h"
#include "isx/error.h"
#include "isx/hash.h"
#include "isx/note.h"
#include "isx/sign.h"

#define EM_DASH "\xe2\x80\x94"

static const char pn_vkey[] = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
static const char pn_skey[] =
    "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
static const char pn_text[] = "If you think cryptography is the answer to your problem,\n"
                              "then you don't know what your problem is.\n";
static const char pn_sig[] = EM_DASH " PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNI"
                                     "uGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";

static int
setup(void **state)
{
    return isx_crypto_init();
}

/* A local signer with a fresh key under `name`, and its verifier of the given type. */
static struct isx_signer *
new_signer(const char *name, uint8_t type, struct isx_note_verifier *v)
{
    struct isx_sign_key *k = NULL;
    struct isx_signer *s = NULL;
    uint8_t pk[ISX_SIGN_PUBLIC_LEN];

    assert_int_equal(isx_sign_key_generate(&k), 0);
    assert_int_equal(isx_signer_local(k, name, &s), 0);
    isx_signer_public(s, pk);
    if (v != NULL)
        assert_int_equal(isx_note_verifier_init(name, type, pk, v), 0);
    return s;
}

static int
verify(const struct isx_buf *note, const struct isx_note_verifier *keys, size_t nkeys,
       struct isx_note_result *res)
{
    struct isx_note_result scratch;

    return isx_note_verify(note->data, note->len, keys, nkeys, res != NULL ? res : &scratch);
}

/* A fresh buffer holding text. */
static void
set(struct isx_buf *b, const char *text, size_t len)
{
    isx_buf_reset(b);
    assert_int_equal(isx_buf_append(b, text, len), 0);
}

/* --- The signed-note vector -------------------------------------------------------------- */

static void
test_peter_neumann(void **state)
{
    struct isx_buf note = ISX_BUF_INIT, out = ISX_BUF_INIT;
    struct isx_note_verifier v;
    struct isx_note_result res;
    struct isx_sign_key *k = NULL;
    struct isx_signer *s = NULL;
    const char *b64 = pn_skey + strlen("PRIVATE+KEY+PeterNeumann+c74f20a3+");
    uint8_t raw[33];
    char hexid[9];
    size_t n;

    /* The verifier key: name, id and key, and the same string when formatted again. */
    assert_int_equal(isx_note_vkey_parse(pn_vkey, strlen(pn_vkey), &v), 0);
    assert_string_equal(v.name, "PeterNeumann");
    assert_int_equal(v.type, ISX_NOTE_ED25519);
    assert_int_equal(v.id, 0xc74f20a3u);
    assert_int_equal(isx_note_key_id("PeterNeumann", ISX_NOTE_ED25519, v.pk), 0xc74f20a3u);
    isx_sign_key_id("PeterNeumann", v.pk, hexid);
    assert_string_equal(hexid, "c74f20a3");
    assert_int_equal(isx_note_vkey_format(&v, &out), 0);
    assert_string_equal(out.data, pn_vkey);

    /* The signed note verifies, and its text is the text. */
    assert_int_equal(isx_buf_puts(&note, pn_text), 0);
    assert_int_equal(isx_buf_puts(&note, "\n"), 0);
    assert_int_equal(isx_buf_puts(&note, pn_sig), 0);
    memset(&res, 0, sizeof(res));
    assert_int_equal(verify(&note, &v, 1, &res), 0);
    assert_int_equal(res.text_len, strlen(pn_text));
    assert_int_equal(res.count, 1);
    assert_int_equal(res.sig[0].key, 0);
    assert_int_equal(res.sig[0].timestamp, 0);

    /* The private key's seed gives the same note, byte for byte (Ed25519 is deterministic). */
    assert_int_equal(isx_base64_decode(b64, strlen(b64), raw, sizeof(raw), &n), 0);
    assert_int_equal(n, 33);
    assert_int_equal(raw[0], ISX_NOTE_ED25519);
    assert_int_equal(isx_sign_key_from_seed(raw + 1, &k), 0);
    assert_int_equal(isx_signer_local(k, "PeterNeumann", &s), 0);
    isx_buf_reset(&out);
    assert_int_equal(isx_note_sign(pn_text, strlen(pn_text), s, "PeterNeumann", &out), 0);
    assert_int_equal(out.len, note.len);
    assert_memory_equal(out.data, note.data, note.len);

    /* The signer's key id is the note key id. */
    assert_string_equal(isx_signer_key_id(s), "c74f20a3");
    isx_signer_free(s);
    isx_memzero(raw, sizeof(raw));
    isx_buf_free(&note);
    isx_buf_free(&out);
}

/* --- Verifier keys ---------------------------------------------------------------------- */

static void
expect_vkey_refused(const char *s)
{
    struct isx_note_verifier v;

    memset(&v, 0x5a, sizeof(v));
    assert_int_equal(isx_note_vkey_parse(s, strlen(s), &v), ISX_EINVAL);
    assert_int_equal(v.type, 0x5a);
}

static void
test_vkeys(void **state)
{
    struct isx_buf b = ISX_BUF_INIT;
    struct isx_note_verifier v, w, c;
    uint8_t pk[ISX_SIGN_PUBLIC_LEN];

    assert_int_equal(isx_note_vkey_parse(pn_vkey, strlen(pn_vkey), &v), 0);
    memcpy(pk, v.pk, sizeof(pk));

    /* A cosignature key: same name and key, type 0x04, so a different id. */
    assert_int_equal(isx_note_verifier_init("PeterNeumann", ISX_NOTE_COSIG_V1, pk, &c), 0);
    assert_int_not_equal(c.id, v.id);
    assert_int_equal(isx_note_vkey_format(&c, &b), 0);
    assert_int_equal(isx_note_vkey_parse(b.data, b.len, &w), 0);
    assert_int_equal(w.type, ISX_NOTE_COSIG_V1);
    assert_int_equal(w.id, c.id);
    assert_memory_equal(w.pk, pk, sizeof(pk));

    /* Upper-case hex names the same id. */
    assert_int_equal(isx_note_vkey_parse("PeterNeumann+C74F20A3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/"
                                         "LDE4izWy10TW",
                                         strlen(pn_vkey), &w),
                     0);
    assert_int_equal(w.id, v.id);

    expect_vkey_refused("PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW");
    expect_vkey_refused("PeterNeuman+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW");
    expect_vkey_refused("PeterNeumann+c74f20a+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW");
    expect_vkey_refused("PeterNeumann+c74f20g3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW");
    expect_vkey_refused("+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW");
    expect_vkey_refused("Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW");
    expect_vkey_refused("PeterNeumann+c74f20a3");
    expect_vkey_refused("PeterNeumann+c74f20a3+");
    expect_vkey_refused("PeterNeumann");
    /* Type 0x02 (ECDSA) is not supported; a 31-byte key; trailing garbage; no padding. */
    expect_vkey_refused("PeterNeumann+c74f20a3+Alpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW");
    expect_vkey_refused("PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy1w==");
    expect_vkey_refused("PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW\n");
    expect_vkey_refused("PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10T");

    /* Names: no white space (Unicode's either), no '+', no control characters, <= 255. */
    assert_true(isx_note_name_valid("log.example.int/tlog", 20));
    assert_true(isx_note_name_valid("\xc3\xa9t\xc3\xa9", 5));
    assert_false(isx_note_name_valid("", 0));
    assert_false(isx_note_name_valid("a b", 3));
    assert_false(isx_note_name_valid("a\xc2\xa0"
                                     "b",
                                     4)); /* U+00A0 */
    assert_false(isx_note_name_valid("a\xe3\x80\x80"
                                     "b",
                                     5)); /* U+3000 */
    assert_false(isx_note_name_valid("a+b", 3));
    assert_false(isx_note_name_valid("a\x01"
                                     "b",
                                     3));
    assert_false(isx_note_name_valid("a\xc0\xaf", 3));     /* overlong '/' */
    assert_false(isx_note_name_valid("a\xed\xa0\x80", 4)); /* surrogate */
    assert_int_equal(isx_note_verifier_init("a b", ISX_NOTE_ED25519, pk, &w), ISX_EINVAL);
    assert_int_equal(isx_note_verifier_init("ab", 0x02, pk, &w), ISX_EINVAL);
    isx_buf_free(&b);
}

/* --- Checkpoints ------------------------------------------------------------------------ */

static const char root_b64[] = "XcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg="; /* size-8 root */

static void
expect_checkpoint_refused(const char *text, size_t len)
{
    struct isx_checkpoint cp;

    memset(&cp, 0x5a, sizeof(cp));
    assert_int_not_equal(isx_checkpoint_parse(text, len, &cp), 0);
    assert_int_equal(cp.size, 0x5a5a5a5a5a5a5a5aull);
}

#define REFUSED(lit) expect_checkpoint_refused(lit, sizeof(lit) - 1)

static void
test_checkpoint_text(void **state)
{
    struct isx_buf b = ISX_BUF_INIT;
    struct isx_checkpoint cp, back;
    char text[512];
    uint8_t root[32];

    assert_int_equal(
        isx_hex_decode("5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328", 64, root,
                       32),
        0);
    memset(&cp, 0, sizeof(cp));
    strcpy(cp.origin, "cert-exchange.example.int/log1");
    cp.size = 8;
    memcpy(cp.root, root, 32);
    assert_int_equal(isx_checkpoint_format(&cp, &b), 0);
    snprintf(text, sizeof(text), "cert-exchange.example.int/log1\n8\n%s\n", root_b64);
    assert_string_equal(b.data, text);
    assert_int_equal(isx_checkpoint_parse(b.data, b.len, &back), 0);
    assert_string_equal(back.origin, cp.origin);
    assert_int_equal(back.size, 8);
    assert_memory_equal(back.root, root, 32);
    assert_int_equal(back.extensions, 0);

    /* Size 0 and the largest size. */
    cp.size = 0;
    isx_buf_reset(&b);
    assert_int_equal(isx_checkpoint_format(&cp, &b), 0);
    assert_int_equal(isx_checkpoint_parse(b.data, b.len, &back), 0);
    assert_int_equal(back.size, 0);
    assert_memory_equal(b.data + strlen(cp.origin), "\n0\n", 3);
    cp.size = UINT64_MAX;
    isx_buf_reset(&b);
    assert_int_equal(isx_checkpoint_format(&cp, &b), 0);
    assert_int_equal(isx_checkpoint_parse(b.data, b.len, &back), 0);
    assert_true(back.size == UINT64_MAX);

    /* Extension lines are read and counted, never written. */
    snprintf(text, sizeof(text), "o\n1\n%s\next one\next two\n", root_b64);
    assert_int_equal(isx_checkpoint_parse(text, strlen(text), &back), 0);
    assert_int_equal(back.extensions, 2);

    /* Refusals. */
    REFUSED("o\n05\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n");  /* leading zero */
    REFUSED("o\n00\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n");  /* leading zero */
    REFUSED("o\n+5\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n");  /* sign */
    REFUSED("o\n-5\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n");  /* sign */
    REFUSED("o\n 5\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n");  /* space */
    REFUSED("o\n5 \nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n");  /* space */
    REFUSED("o\n\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n");    /* no size */
    REFUSED("o\n0x5\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n"); /* hex */
    REFUSED("o\n18446744073709551616\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n"); /* 2^64 */
    REFUSED("o\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQw==\n");       /* 31-byte root */
    REFUSED("o\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQygB\n");       /* 33-byte root */
    REFUSED("o\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyh=\n");       /* non-canonical */
    REFUSED("o\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz-Nw7_RgQyg=\n");       /* URL alphabet */
    REFUSED("o\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=");         /* missing newline */
    REFUSED("o\n8\n");                                                     /* two lines */
    REFUSED("o\n8\n\n");                                                   /* empty root */
    REFUSED("\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n");        /* empty origin */
    REFUSED("o o\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n");     /* space */
    REFUSED("o+o\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n");     /* plus */
    REFUSED("o\r\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n");     /* CR */
    REFUSED("o\n8\r\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n");     /* CR */
    REFUSED("o\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\r\n");     /* CR */
    REFUSED("o\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\nx\ty\n"); /* tab */
    REFUSED("o\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n\x01\n"); /* control */
    REFUSED("o\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n\xff\n"); /* not UTF-8 */
    REFUSED("o\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n\n");     /* empty ext. */
    REFUSED("o\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\nx\n\n");  /* empty ext. */
    /* An embedded NUL is a control character too. */
    expect_checkpoint_refused("o\0\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n", 50);
    /* An origin of 255 bytes is the longest. */
    memset(text, 'a', 255);
    snprintf(text + 255, sizeof(text) - 255, "\n8\n%s\n", root_b64);
    assert_int_equal(isx_checkpoint_parse(text, strlen(text), &back), 0);
    memset(text, 'a', 256);
    snprintf(text + 256, sizeof(text) - 256, "\n8\n%s\n", root_b64);
    expect_checkpoint_refused(text, strlen(text));

    /* Formatting refuses an origin that parsing would refuse, and leaves the buffer alone. */
    isx_buf_reset(&b);
    strcpy(cp.origin, "bad origin");
    assert_int_equal(isx_checkpoint_format(&cp, &b), ISX_EINVAL);
    assert_int_equal(b.len, 0);
    isx_buf_free(&b);
}

/* --- Signing and verifying --------------------------------------------------------------- */

/* The last signature line of a note. */
static void
last_line(const struct isx_buf *note, struct isx_buf *line)
{
    const char *p = note->data + note->len - 1;

    while (p > note->data && p[-1] != '\n')
        p--;
    set(line, p, (size_t)(note->data + note->len - p));
}

static void
test_sign_verify(void **state)
{
    struct isx_note_verifier keys[3], other, wrong_name;
    struct isx_buf text = ISX_BUF_INIT, note = ISX_BUF_INIT, t = ISX_BUF_INIT, line = ISX_BUF_INIT,
                   extra = ISX_BUF_INIT;
    struct isx_signer *log = new_signer("log.example.int/a", ISX_NOTE_ED25519, &keys[0]);
    struct isx_signer *second = new_signer("log.example.int/b", ISX_NOTE_ED25519, &keys[1]);
    struct isx_signer *stranger = new_signer("stranger.example", ISX_NOTE_ED25519, NULL);
    struct isx_signer *impostor = new_signer("log.example.int/a", ISX_NOTE_ED25519, &other);
    struct isx_note_result res;
    struct isx_checkpoint cp, got;
    size_t i, textlen;

    memset(&cp, 0, sizeof(cp));
    strcpy(cp.origin, "log.example.int/a");
    cp.size = 12345;
    memset(cp.root, 0x42, sizeof(cp.root));
    assert_int_equal(isx_checkpoint_format(&cp, &text), 0);
    textlen = text.len;

    /* Sign, verify, open. */
    assert_int_equal(isx_checkpoint_sign(&cp, log, &note), 0);
    assert_memory_equal(note.data, text.data, textlen);
    assert_memory_equal(note.data + textlen, "\n" EM_DASH " log.example.int/a ", 23);
    assert_int_equal(note.len, textlen + 1 + 4 + strlen("log.example.int/a") + 1 + 92 + 1);
    assert_int_equal(verify(&note, keys, 1, &res), 0);
    assert_int_equal(res.text_len, textlen);
    assert_int_equal(res.count, 1);
    memset(&got, 0, sizeof(got));
    assert_int_equal(isx_checkpoint_open(note.data, note.len, keys, 1, &got, &res), 0);
    assert_string_equal(got.origin, cp.origin);
    assert_int_equal(got.size, 12345);
    assert_memory_equal(got.root, cp.root, 32);

    /* Wrong keys: another key under the same name, or the right key under another name. */
    assert_int_equal(verify(&note, &other, 1, NULL), ISX_EKEY);
    assert_int_equal(
        isx_note_verifier_init("log.example.int/b", ISX_NOTE_ED25519, keys[0].pk, &wrong_name), 0);
    assert_int_equal(verify(&note, &wrong_name, 1, NULL), ISX_EKEY);
    assert_int_equal(verify(&note, NULL, 0, NULL), ISX_EKEY);
    /* The same key as a cosignature key has another id, so it does not match either. */
    assert_int_equal(
        isx_note_verifier_init("log.example.int/a", ISX_NOTE_COSIG_V1, keys[0].pk, &keys[2]), 0);
    assert_int_equal(verify(&note, &keys[2], 1, NULL), ISX_EKEY);

    /* Tampered text: a digit of the size, then one bit of the root's base64. */
    set(&t, note.data, note.len);
    t.data[strlen(cp.origin) + 1] = '2';
    assert_int_equal(verify(&t, keys, 1, NULL), ISX_ESIG);
    set(&t, note.data, note.len);
    t.data[textlen - 3] ^= 0x01;
    assert_int_equal(verify(&t, keys, 1, NULL), ISX_ESIG);
    /* Tampered signature: a base64 character inside the signature (not the last one, whose
     * spare bits must stay zero, or the line would be malformed rather than wrong). */
    set(&t, note.data, note.len);
    t.data[t.len - 10] = t.data[t.len - 10] == 'A' ? 'B' : 'A';
    assert_int_equal(verify(&t, keys, 1, NULL), ISX_ESIG);

    /* No signature: the text alone, or the text and an empty line. */
    assert_int_equal(verify(&text, keys, 1, NULL), ISX_EINVAL);
    set(&t, text.data, text.len);
    assert_int_equal(isx_buf_putc(&t, '\n'), 0);
    assert_int_equal(verify(&t, keys, 1, NULL), ISX_EINVAL);

    /* Malformed signature lines. */
    set(&t, note.data, textlen + 1);
    assert_int_equal(isx_buf_puts(&t, "- log.example.int/a AAAAAAA=\n"), 0);
    assert_int_equal(verify(&t, keys, 1, NULL), ISX_EINVAL);
    set(&t, note.data, note.len - 1); /* no final newline */
    assert_int_equal(verify(&t, keys, 1, NULL), ISX_EINVAL);
    set(&t, note.data, textlen + 1);
    assert_int_equal(isx_buf_puts(&t, EM_DASH " log.example.int/a\n"), 0);
    assert_int_equal(verify(&t, keys, 1, NULL), ISX_EINVAL);
    set(&t, note.data, textlen + 1);
    assert_int_equal(isx_buf_puts(&t, EM_DASH " log.example.int/a AAAA\n"), 0); /* 3 bytes */
    assert_int_equal(verify(&t, keys, 1, NULL), ISX_EINVAL);
    set(&t, note.data, textlen + 1);
    assert_int_equal(isx_buf_puts(&t, EM_DASH " log.example.int/a AAAAAAA*\n"), 0);
    assert_int_equal(verify(&t, keys, 1, NULL), ISX_EINVAL);
    set(&t, note.data, note.len);
    assert_int_equal(isx_buf_puts(&t, EM_DASH "  x AAAAAAA=\n"), 0); /* empty name */
    assert_int_equal(verify(&t, keys, 1, NULL), ISX_EINVAL);

    /* A signature by a known key with the wrong length fails as that key's signature. */
    set(&t, note.data, textlen + 1);
    {
        uint8_t blob[8];
        char b64[16];
        uint32_t id = keys[0].id;

        blob[0] = (uint8_t)(id >> 24);
        blob[1] = (uint8_t)(id >> 16);
        blob[2] = (uint8_t)(id >> 8);
        blob[3] = (uint8_t)id;
        memset(blob + 4, 0, 4);
        isx_base64_encode(blob, sizeof(blob), b64);
        assert_int_equal(isx_buf_printf(&t, EM_DASH " log.example.int/a %s\n", b64), 0);
    }
    assert_int_equal(verify(&t, keys, 1, NULL), ISX_ESIG);

    /* Signatures by unknown keys are ignored; a second known key is reported too, in order. */
    assert_int_equal(
        isx_note_signature_line(text.data, text.len, stranger, "stranger.example", &extra), 0);
    assert_int_equal(
        isx_note_signature_line(text.data, text.len, second, "log.example.int/b", &extra), 0);
    set(&t, note.data, note.len);
    assert_int_equal(isx_buf_append(&t, extra.data, extra.len), 0);
    assert_int_equal(verify(&t, keys, 2, &res), 0);
    assert_int_equal(res.count, 2);
    assert_int_equal(res.sig[0].key, 0);
    assert_int_equal(res.sig[1].key, 1);
    assert_int_equal(verify(&t, &keys[1], 1, &res), 0);
    assert_int_equal(res.count, 1);
    assert_int_equal(res.sig[0].key, 0);
    /* The same key twice: checked twice, reported once. */
    last_line(&note, &line);
    assert_int_equal(isx_buf_append(&t, line.data, line.len), 0);
    assert_int_equal(verify(&t, keys, 1, &res), 0);
    assert_int_equal(res.count, 1);

    /* 16 signatures are accepted; a 17th is refused before any is checked. */
    set(&t, note.data, note.len);
    last_line(&extra, &line); /* by log.example.int/b, unknown to keys[0] alone */
    for (i = 1; i < ISX_NOTE_MAX_SIGS; i++)
        assert_int_equal(isx_buf_append(&t, line.data, line.len), 0);
    assert_int_equal(verify(&t, keys, 1, &res), 0);
    assert_int_equal(isx_buf_append(&t, line.data, line.len), 0);
    assert_int_equal(verify(&t, keys, 1, &res), ISX_ETOOBIG);

    /* More than 1 MiB is refused unread. */
    isx_buf_reset(&t);
    for (i = 0; i < 1100; i++) {
        char chunk[1001];

        memset(chunk, 'x', 999);
        chunk[999] = '\n';
        chunk[1000] = '\0';
        assert_int_equal(isx_buf_puts(&t, chunk), 0);
    }
    assert_int_equal(isx_note_sign(t.data, t.len, log, "log.example.int/a", &extra), ISX_ETOOBIG);
    assert_int_equal(isx_buf_puts(&t, "\n"), 0);
    assert_int_equal(isx_buf_append(&t, line.data, line.len), 0);
    assert_int_equal(verify(&t, keys, 2, NULL), ISX_ETOOBIG);

    /* Text that cannot be signed, and a name that is not the signer's; out stays as it was. */
    set(&t, "keep", 4);
    assert_int_equal(isx_note_sign("no newline", 10, log, "log.example.int/a", &t), ISX_EINVAL);
    assert_int_equal(isx_note_sign("", 0, log, "log.example.int/a", &t), ISX_EINVAL);
    assert_int_equal(isx_note_sign("tab\there\n", 10, log, "log.example.int/a", &t), ISX_EINVAL);
    assert_int_equal(isx_note_sign("bad \xc3\n", 7, log, "log.example.int/a", &t), ISX_EINVAL);
    assert_int_equal(isx_note_sign("fine\n", 5, log, "log.example.int/b", &t), ISX_EINVAL);
    assert_int_equal(isx_note_sign("fine\n", 5, log, "bad name", &t), ISX_EINVAL);
    assert_int_equal(t.len, 4);
    assert_string_equal(t.data, "keep");
    /* The text may hold empty lines; the last empty line still separates the signatures. */
    isx_buf_reset(&t);
    assert_int_equal(isx_note_sign("a\n\nb\n\n", 6, log, "log.example.int/a", &t), 0);
    assert_int_equal(verify(&t, keys, 1, &res), 0);
    assert_int_equal(res.text_len, 6);

    isx_signer_free(log);
    isx_signer_free(second);
    isx_signer_free(stranger);
    isx_signer_free(impostor);
    isx_buf_free(&text);
    isx_buf_free(&note);
    isx_buf_free(&t);
    isx_buf_free(&line);
    isx_buf_free(&extra);
}

/* --- Cosignatures ----------------------------------------------------------------------- */

static void
test_cosignature(void **state)
{
    struct isx_note_verifier keys[2], as_ed25519;
    struct isx_buf text = ISX_BUF_INIT, note = ISX_BUF_INIT, line = ISX_BUF_INIT, t = ISX_BUF_INIT;
    struct isx_signer *log = new_signer("log.example.int/a", ISX_NOTE_ED25519, &keys[0]);
    struct isx_signer *witness = new_signer("witness.example.org", ISX_NOTE_COSIG_V1, &keys[1]);
    const uint64_t ts = 1700000000;
    struct isx_note_result res;
    struct isx_checkpoint cp;
    uint8_t blob[80];
    char msg[512], *b64, *p;
    size_t n, textlen;
    int mlen;

    memset(&cp, 0, sizeof(cp));
    strcpy(cp.origin, "log.example.int/a");
    cp.size = 99;
    memset(cp.root, 0x17, sizeof(cp.root));
    assert_int_equal(isx_checkpoint_format(&cp, &text), 0);
    textlen = text.len;
    assert_int_equal(isx_checkpoint_sign(&cp, log, &note), 0);
    assert_int_equal(isx_cosig_sign(text.data, text.len, witness, "witness.example.org", ts, &line),
                     0);

    /* The line: key id (type 0x04), the time big-endian, and an Ed25519 signature over the
     * cosignature/v1 header followed by the checkpoint text. */
    assert_memory_equal(line.data, EM_DASH " witness.example.org ", 24);
    b64 = line.data + 24;
    assert_int_equal(strlen(b64), 104 + 1);
    assert_int_equal(isx_base64_decode(b64, 104, blob, sizeof(blob), &n), 0);
    assert_int_equal(n, 76);
    assert_int_equal((uint32_t)blob[0] << 24 | (uint32_t)blob[1] << 16 | (uint32_t)blob[2] << 8 |
                         blob[3],
                     isx_note_key_id("witness.example.org", ISX_NOTE_COSIG_V1, keys[1].pk));
    assert_memory_equal(blob + 4, "\x00\x00\x00\x00\x65\x53\xf1\x00", 8); /* 1700000000 */
    mlen = snprintf(msg, sizeof(msg), "cosignature/v1\ntime %" PRIu64 "\n%s", ts, text.data);
    assert_int_equal(isx_sign_verify(keys[1].pk, msg, (size_t)mlen, blob + 12), 0);

    /* The cosigned note verifies with both keys, with either alone, and reports the time. */
    assert_int_equal(isx_buf_append(&note, line.data, line.len), 0);
    assert_int_equal(verify(&note, keys, 2, &res), 0);
    assert_int_equal(res.text_len, textlen);
    assert_int_equal(res.count, 2);
    assert_int_equal(res.sig[0].key, 0);
    assert_int_equal(res.sig[0].timestamp, 0);
    assert_int_equal(res.sig[1].key, 1);
    assert_int_equal(res.sig[1].timestamp, ts);
    assert_int_equal(verify(&note, &keys[1], 1, &res), 0);
    assert_int_equal(res.count, 1);
    assert_int_equal(res.sig[0].timestamp, ts);
    /* The witness key taken as a plain Ed25519 key has another id: unknown, ignored. */
    assert_int_equal(
        isx_note_verifier_init("witness.example.org", ISX_NOTE_ED25519, keys[1].pk, &as_ed25519),
        0);
    assert_int_equal(verify(&note, &as_ed25519, 1, NULL), ISX_EKEY);

    /* Another time in the signature bytes: the witness's signature no longer verifies. */
    set(&t, note.data, note.len);
    blob[11] ^= 0x01;
    isx_base64_encode(blob, 76, msg);
    p = t.data + t.len - 105;
    assert_memory_equal(p, b64, 104);
    memcpy(p, msg, 104);
    assert_int_equal(verify(&t, keys, 2, NULL), ISX_ESIG);
    assert_int_equal(verify(&t, keys, 1, NULL), 0); /* the log's own signature still holds */
    /* Tampered text: both signatures fail. */
    set(&t, note.data, note.len);
    t.data[0] = 'L';
    assert_int_equal(verify(&t, &keys[1], 1, NULL), ISX_ESIG);
    assert_int_equal(verify(&t, keys, 1, NULL), ISX_ESIG);

    /* Only checkpoints are cosigned, and only under the witness's own name. */
    isx_buf_reset(&t);
    assert_int_equal(
        isx_cosig_sign("not a checkpoint\n", 17, witness, "witness.example.org", ts, &t),
        ISX_EINVAL);
    assert_int_equal(isx_cosig_sign(text.data, text.len, witness, "log.example.int/a", ts, &t),
                     ISX_EINVAL);
    assert_int_equal(t.len, 0);
    /* The time is any 64-bit value, written in decimal in the signed message. */
    assert_int_equal(
        isx_cosig_sign(text.data, text.len, witness, "witness.example.org", UINT64_MAX, &t), 0);
    set(&line, note.data, note.len - line.len);
    assert_int_equal(isx_buf_append(&line, t.data, t.len), 0);
    assert_int_equal(verify(&line, &keys[1], 1, &res), 0);
    assert_true(res.sig[0].timestamp == UINT64_MAX);

    isx_signer_free(log);
    isx_signer_free(witness);
    isx_buf_free(&text);
    isx_buf_free(&note);
    isx_buf_free(&line);
    isx_buf_free(&t);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_peter_neumann),   cmocka_unit_test(test_vkeys),
        cmocka_unit_test(test_checkpoint_text), cmocka_unit_test(test_sign_verify),
        cmocka_unit_test(test_cosignature),
    };

    return cmocka_run_group_tests(tests, setup, NULL);
}
