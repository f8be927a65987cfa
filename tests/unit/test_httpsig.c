/*
 * Tests for src/net/httpsig.c: the RFC 9421 Appendix B.2.6 Ed25519 vector and RFC 9530
 * digests, round trips through sign and verify, every refusal with its code, reason and
 * diagnostic (unsigned, unknown key, forged, altered, stale, replayed, malformed), a table of
 * malformed headers plus mutations of a good one, and the replay cache under threads.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cmocka.h>

#include "isx/buf.h"
#include "isx/error.h"
#include "isx/hash.h"
#include "isx/httpsig.h"
#include "isx/i18n.h"
#include "isx/sign.h"

/* RFC 9421 Appendix B.1.4, test-key-ed25519: the JWK's "d" (the seed) and "x", in hex. */
static const char rfc_seed_hex[] =
    "9f8362f87a484a954e6e740c5b4c0e84229139a20aa8ab56ff66586f6a7d29c5";
static const char rfc_pk_hex[] = "26b40b8f93fff3d897112f7ebc582b232dbd72517d082fe83cfb30ddce43d1bb";

#define CREATED 1763726400 /* 2025-11-21T12:00:00Z */
#define NOW     (CREATED + 10)
#define WINDOW  300
#define NONCE   "bm9uY2Utb2YtdGhlLXRlc3Q"
#define BODY    "{\"hello\": \"world\"}"

static struct isx_sign_key *rfc_key, *other_key;
static uint8_t rfc_pk[32], other_pk[32];

static int
setup(void **state)
{
    uint8_t seed[32];

    if (isx_crypto_init() < 0 || isx_hex_decode(rfc_seed_hex, 64, seed, 32) < 0 ||
        isx_sign_key_from_seed(seed, &rfc_key) < 0 || isx_sign_key_generate(&other_key) < 0)
        return -1;
    isx_sign_key_public(rfc_key, rfc_pk);
    isx_sign_key_public(other_key, other_pk);
    return 0;
}

static int
teardown(void **state)
{
    isx_sign_key_free(rfc_key);
    isx_sign_key_free(other_key);
    return 0;
}

/* --- A request with its headers --------------------------------------------------------- */

#define MAX_HDR 8

struct msg {
    struct isx_httpsig_request req;
    const char *name[MAX_HDR];
    char value[MAX_HDR][2048];
    size_t n;
    int absent[MAX_HDR]; /* 1: the header is deleted */
};

static const char *
msg_header(void *ctx, const char *name)
{
    struct msg *m = ctx;

    for (size_t i = 0; i < m->n; i++)
        if (!m->absent[i] && strcasecmp(m->name[i], name) == 0)
            return m->value[i];
    return NULL;
}

static void
set_header(struct msg *m, const char *name, const char *value)
{
    size_t i = 0;

    while (i < m->n && strcasecmp(m->name[i], name) != 0)
        i++;
    if (i == m->n) {
        assert_true(m->n < MAX_HDR);
        m->n++;
    }
    m->name[i] = name;
    assert_true(strlen(value) < sizeof(m->value[i]));
    strcpy(m->value[i], value);
    m->absent[i] = 0;
}

/* set_header with a formatted value. */
static void __attribute__((format(printf, 3, 4)))
setf(struct msg *m, const char *name, const char *fmt, ...)
{
    char value[sizeof(m->value[0])];
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(value, sizeof(value), fmt, ap);
    va_end(ap);
    assert_true(n >= 0 && (size_t)n < sizeof(value));
    set_header(m, name, value);
}

static void
del_header(struct msg *m, const char *name)
{
    for (size_t i = 0; i < m->n; i++)
        if (strcasecmp(m->name[i], name) == 0)
            m->absent[i] = 1;
}

static char *
get(struct msg *m, const char *name)
{
    for (size_t i = 0; i < m->n; i++)
        if (strcasecmp(m->name[i], name) == 0)
            return m->value[i];
    fail_msg("no header %s", name);
    return NULL;
}

static void
msg_init(struct msg *m, const char *method, const char *path, const char *body)
{
    memset(m, 0, sizeof(*m));
    m->req.method = method;
    m->req.path = path;
    m->req.body = body;
    m->req.body_len = body != NULL ? strlen(body) : 0;
    m->req.header = msg_header;
    m->req.header_ctx = m;
}

/* The signing callback over an in-process key (a struct isx_sign_key *). */
static int
sign_with_key(void *ctx, const void *msg, size_t len, uint8_t sig[ISX_SIGN_SIG_LEN])
{
    return isx_sign(ctx, msg, len, sig);
}

static int
sign_fails(void *ctx, const void *msg, size_t len, uint8_t sig[ISX_SIGN_SIG_LEN])
{
    return ISX_ECRYPTO;
}

/* Known keys: CN:c74f20a3 is the RFC key, RU:0badc0de another; STORE:... fails the lookup. */
static int
keyfn(void *ctx, const char *party, const char *key_id, uint8_t pk[ISX_SIGN_PUBLIC_LEN])
{
    if (strcmp(party, "CN") == 0 && strcmp(key_id, "c74f20a3") == 0) {
        memcpy(pk, rfc_pk, 32);
        return 0;
    }
    if (strcmp(party, "RU") == 0 && strcmp(key_id, "0badc0de") == 0) {
        memcpy(pk, other_pk, 32);
        return 0;
    }
    if (strcmp(party, "KZ") == 0)
        return ISX_ESTORE;
    return strcmp(party, "KG") == 0 ? ISX_ENOTFOUND : ISX_EKEY;
}

static void
sign_as(struct msg *m, const char *party, const char *key_id, struct isx_sign_key *key,
        int64_t created, const char *nonce)
{
    struct isx_httpsig_signing s = {party, key_id, sign_with_key, key, NULL, 0};
    struct isx_httpsig_headers h;

    assert_int_equal(isx_httpsig_sign(&m->req, &s, created, nonce, &h), 0);
    set_header(m, "Content-Digest", h.content_digest);
    set_header(m, "Signature-Input", h.signature_input);
    set_header(m, "Signature", h.signature);
}

static void
sign_msg(struct msg *m, int64_t created, const char *nonce)
{
    sign_as(m, "CN", "c74f20a3", rfc_key, created, nonce);
}

static struct isx_httpsig_replay *
replay_new(void)
{
    struct isx_httpsig_replay *r = NULL;

    assert_int_equal(isx_httpsig_replay_new(1024, &r), 0);
    return r;
}

static int
verify_at(struct msg *m, struct isx_httpsig_replay *r, int64_t now, enum isx_httpsig_reason *reason,
          struct isx_diag *d, struct isx_httpsig_peer *peer)
{
    struct isx_httpsig_verifier v = {WINDOW, keyfn, NULL, r};

    memset(d, 0, sizeof(*d));
    *reason = (enum isx_httpsig_reason)99;
    return isx_httpsig_verify(&m->req, &v, now, peer, reason, d);
}

/* Verifies with a fresh replay cache and checks code, reason and diagnostic. */
static void
expect(struct msg *m, int64_t now, int code, enum isx_httpsig_reason want, const char *field,
       const char *key)
{
    struct isx_httpsig_replay *r = replay_new();
    struct isx_httpsig_peer peer;
    enum isx_httpsig_reason reason;
    struct isx_diag d;
    int rc;

    memset(&peer, 0x55, sizeof(peer));
    rc = verify_at(m, r, now, &reason, &d, &peer);
    if (rc != code || reason != want)
        fail_msg("want %s/%s, got %s/%s (%s %s %s)", isx_err_name(code),
                 isx_httpsig_reason_name(want), isx_err_name(rc), isx_httpsig_reason_name(reason),
                 d.field, d.key, d.arg);
    if (code == 0) {
        assert_string_equal(peer.party, "CN");
        assert_string_equal(peer.key_id, "c74f20a3");
    } else {
        /* Out-parameters are set on success only. */
        assert_int_equal(((unsigned char *)&peer)[0], 0x55);
        assert_int_equal(d.code, code);
        if (field != NULL)
            assert_string_equal(d.field, field);
        if (key != NULL)
            assert_string_equal(d.key, key);
    }
    isx_httpsig_replay_free(r);
}

/* --- Content-Digest (RFC 9530) ---------------------------------------------------------- */

static void
test_digest(void **state)
{
    char out[ISX_HTTPSIG_DIGEST_SIZE];

    isx_httpsig_digest(NULL, 0, out);
    assert_string_equal(out, "sha-256=:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=:");
    /* RFC 9530 §2, the example body. */
    isx_httpsig_digest(BODY, strlen(BODY), out);
    assert_string_equal(out, "sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:");
    assert_int_equal(strlen(out) + 1, ISX_HTTPSIG_DIGEST_SIZE);
}

static void
test_digest_check(void **state)
{
    static const char good[] = "sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:";
    static const struct {
        const char *value;
        int code;
        const char *key;
    } cases[] = {
        {good, 0, NULL},
        /* Other algorithms beside sha-256 are ignored, in either order. */
        {"sha-512=:WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAgBWnrIiYllu7BNNyealdVLvRwE"
         "mTHWXvJwew==:, sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:",
         0, NULL},
        {"sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:,md5=:AAAA:", 0, NULL},
        {"  sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:", 0, NULL},
        /* Only other algorithms. */
        {"sha-512=:WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAgBWnrIiYllu7BNNyealdVLvRwE"
         "mTHWXvJwew==:",
         ISX_EINVAL, "httpsig.digest_alg"},
        /* Malformed. */
        {"", ISX_EINVAL, "httpsig.malformed"},
        {"sha-256", ISX_EINVAL, "httpsig.malformed"},
        {"sha-256=X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=", ISX_EINVAL, "httpsig.malformed"},
        {"sha-256=\"X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=\"", ISX_EINVAL,
         "httpsig.malformed"},
        {"sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=", ISX_EINVAL, "httpsig.malformed"},
        {"sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE:", ISX_EINVAL, "httpsig.malformed"},
        {"sha-256=:AAAA:", ISX_EINVAL, "httpsig.malformed"},
        {"SHA-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:", ISX_EINVAL, "httpsig.malformed"},
        {"sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:;x=1", ISX_EINVAL,
         "httpsig.malformed"},
        {"sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:,", ISX_EINVAL,
         "httpsig.malformed"},
        {"sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:, "
         "sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:",
         ISX_EINVAL, "httpsig.malformed"},
        /* Well formed but for another body. */
        {"sha-256=:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=:", ISX_ESIG, "httpsig.altered"},
    };
    struct isx_diag d;

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        memset(&d, 0, sizeof(d));
        if (isx_httpsig_digest_check(cases[i].value, BODY, strlen(BODY), &d) != cases[i].code)
            fail_msg("case %zu: %s", i, cases[i].value);
        if (cases[i].code != 0) {
            assert_string_equal(d.field, "Content-Digest");
            assert_string_equal(d.key, cases[i].key);
        }
    }
    memset(&d, 0, sizeof(d));
    assert_int_equal(isx_httpsig_digest_check(NULL, BODY, strlen(BODY), &d), ISX_EAUTH);
    assert_string_equal(d.key, "httpsig.unsigned");
    assert_int_equal(isx_httpsig_digest_check(
                         "sha-256=:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=:", NULL, 0, NULL),
                     0);
    assert_int_equal(isx_httpsig_digest_check(good, BODY, strlen(BODY) - 1, NULL), ISX_ESIG);
}

/* --- Signature base and the RFC 9421 vector --------------------------------------------- */

/* RFC 9421 Appendix B.2.6: the test-request signed with test-key-ed25519. */
static void
test_rfc9421_b26(void **state)
{
    static const char *const comp[] = {"date",       "@method",      "@path",
                                       "@authority", "content-type", "content-length"};
    static const char want_base[] =
        "\"date\": Tue, 20 Apr 2021 02:07:55 GMT\n"
        "\"@method\": POST\n"
        "\"@path\": /foo\n"
        "\"@authority\": example.com\n"
        "\"content-type\": application/json\n"
        "\"content-length\": 18\n"
        "\"@signature-params\": (\"date\" \"@method\" \"@path\" \"@authority\" \"content-type\" "
        "\"content-length\");created=1618884473;keyid=\"test-key-ed25519\"";
    static const char want_sig[] =
        "wqcAqbmYJ2ji2glfAMaRy4gruYYnx2nEFN2HN6jrnDnQCK1u02Gb04v9EDgwUPiu4A0w6vuQv5lIp5WPpBKRCw==";
    struct isx_buf base = ISX_BUF_INIT;
    uint8_t pk[32], sig[64];
    char b64[89];
    struct msg m;

    assert_int_equal(isx_hex_decode(rfc_pk_hex, 64, pk, 32), 0);
    assert_memory_equal(pk, rfc_pk, 32);

    /* The test-request of RFC 9421 Appendix B.2, with its header names in mixed case. */
    msg_init(&m, "POST", "/foo", BODY);
    m.req.query = "param=Value&Pet=dog";
    m.req.authority = "example.com";
    set_header(&m, "Host", "example.com");
    set_header(&m, "Date", "Tue, 20 Apr 2021 02:07:55 GMT");
    set_header(&m, "Content-Type", "application/json");
    set_header(&m, "Content-Digest",
               "sha-512=:WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAgBWnrIiYllu7BNNyealdV"
               "LvRwEmTHWXvJwew==:");
    set_header(&m, "Content-Length", "18");

    assert_int_equal(isx_httpsig_base(&m.req, comp, 6,
                                      ";created=1618884473;keyid=\"test-key-ed25519\"", &base,
                                      NULL),
                     0);
    assert_string_equal(base.data, want_base);
    assert_int_equal(base.len, strlen(want_base));

    /* Ed25519 is deterministic, so the key reproduces the RFC's signature byte for byte. */
    assert_int_equal(isx_sign(rfc_key, base.data, base.len, sig), 0);
    isx_base64_encode(sig, sizeof(sig), b64);
    assert_string_equal(b64, want_sig);
    assert_int_equal(isx_sign_verify(pk, base.data, base.len, sig), 0);
    isx_buf_free(&base);
}

/* Other RFC 9421 component rules: §2.2.7 @query, §2.2.3 @authority, §2.1 trimming, B.2.1. */
static void
test_base_components(void **state)
{
    static const char *const comp[] = {"@query", "@authority", "x-list"};
    struct isx_buf base = ISX_BUF_INIT;
    struct msg m;

    msg_init(&m, "GET", "/path", NULL);
    m.req.query = "param=value&foo=bar&baz=bat%2Dman";
    m.req.authority = "Node.Example:8443";
    set_header(&m, "X-List", " \t a, b ,c\t ");
    assert_int_equal(isx_httpsig_base(&m.req, comp, 3, "", &base, NULL), 0);
    assert_string_equal(base.data, "\"@query\": ?param=value&foo=bar&baz=bat%2Dman\n"
                                   "\"@authority\": node.example:8443\n"
                                   "\"x-list\": a, b ,c\n"
                                   "\"@signature-params\": (\"@query\" \"@authority\" \"x-list\")");
    isx_buf_reset(&base);

    /* Without a query, @query is "?" alone. */
    m.req.query = NULL;
    assert_int_equal(isx_httpsig_base(&m.req, comp, 1, ";created=1", &base, NULL), 0);
    assert_string_equal(base.data, "\"@query\": ?\n\"@signature-params\": (\"@query\");created=1");
    isx_buf_reset(&base);

    /* B.2.1: no components at all. */
    assert_int_equal(isx_httpsig_base(&m.req, NULL, 0,
                                      ";created=1618884473;keyid=\"test-key-rsa-pss\""
                                      ";nonce=\"b3k2pp5k7z-50gnwp.yemd\"",
                                      &base, NULL),
                     0);
    assert_string_equal(base.data, "\"@signature-params\": ();created=1618884473"
                                   ";keyid=\"test-key-rsa-pss\";nonce=\"b3k2pp5k7z-50gnwp.yemd\"");
    isx_buf_free(&base);
}

static void
test_base_refusals(void **state)
{
    static const struct {
        const char *comp, *method, *path, *query, *authority, *hdr;
    } cases[] = {
        {"@method", "PO\nST", "/p", NULL, NULL, NULL},
        {"@method", "", "/p", NULL, NULL, NULL},
        {"@method", NULL, "/p", NULL, NULL, NULL},
        {"@path", "GET", "/p?q=1", NULL, NULL, NULL},
        {"@path", "GET", "p", NULL, NULL, NULL},
        {"@path", "GET", "/p\r\n\"@method\": GET", NULL, NULL, NULL},
        {"@path", "GET", "/a b", NULL, NULL, NULL},
        {"@query", "GET", "/p", "a=1#frag", NULL, NULL},
        {"@query", "GET", "/p", "a=\n", NULL, NULL},
        {"@authority", "GET", "/p", NULL, NULL, NULL},
        {"@authority", "GET", "/p", NULL, "a.example/x", NULL},
        {"x-h", "GET", "/p", NULL, NULL, NULL},
        {"x-h", "GET", "/p", NULL, NULL, "a\nb"},
        {"x-h", "GET", "/p", NULL, NULL, "a\rb"},
        {"x-h", "GET", "/p", NULL, NULL, "a\x7f"},
        {"X-H", "GET", "/p", NULL, NULL, "v"},
        {"@target-uri", "GET", "/p", NULL, NULL, NULL},
        {"@query-param", "GET", "/p", NULL, NULL, NULL},
        {"@status", "GET", "/p", NULL, NULL, NULL},
        {"", "GET", "/p", NULL, NULL, NULL},
        {"x h", "GET", "/p", NULL, NULL, "v"},
        {"x\"h", "GET", "/p", NULL, NULL, "v"},
    };
    static const char *const dup[] = {"@method", "@path", "@method"};
    struct isx_buf base = ISX_BUF_INIT;
    struct isx_diag d;
    struct msg m;

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        msg_init(&m, cases[i].method, cases[i].path, NULL);
        m.req.query = cases[i].query;
        m.req.authority = cases[i].authority;
        if (cases[i].hdr != NULL)
            set_header(&m, "x-h", cases[i].hdr);
        memset(&d, 0, sizeof(d));
        if (isx_httpsig_base(&m.req, &cases[i].comp, 1, "", &base, &d) != ISX_EINVAL)
            fail_msg("case %zu: %s", i, cases[i].comp);
        assert_int_equal(base.len, 0);
        assert_int_equal(d.code, ISX_EINVAL);
    }
    msg_init(&m, "GET", "/p", NULL);
    assert_int_equal(isx_httpsig_base(&m.req, dup, 3, "", &base, NULL), ISX_EINVAL);
    assert_int_equal(isx_httpsig_base(&m.req, dup, 2, "\n", &base, NULL), ISX_EINVAL);
    assert_int_equal(base.len, 0);
    assert_int_equal(isx_httpsig_base(&m.req, dup, 2, "", &base, NULL), 0);
    isx_buf_free(&base);
}

/* --- Signing ---------------------------------------------------------------------------- */

/* Fixed key, time and nonce give fixed headers; the signature was computed independently. */
static void
test_sign_exact(void **state)
{
    struct isx_httpsig_signing s = {"CN", "c74f20a3", sign_with_key, NULL, NULL, 0};
    struct isx_httpsig_headers h;
    struct msg m;

    s.ctx = rfc_key;
    msg_init(&m, "POST", "/fed/v1/objects", BODY);
    assert_int_equal(isx_httpsig_sign(&m.req, &s, CREATED, NONCE, &h), 0);
    assert_string_equal(h.content_digest, "sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:");
    assert_string_equal(h.signature_input,
                        "sig1=(\"@method\" \"@path\" \"content-digest\");created=1763726400"
                        ";keyid=\"CN:c74f20a3\";alg=\"ed25519\";nonce=\"" NONCE "\"");
    assert_string_equal(h.signature, "sig1=:4QuA5Kt+xoaw3c1arMXN9lQX2jKKmTS0ILNk8ZynZZpU6bKOuU/"
                                     "kkgg563jq8jFU6g0zHgKMH5+MjnyWRJsHCw==:");
    assert_int_equal(strlen(h.signature) + 1, ISX_HTTPSIG_SIGNATURE_SIZE);
}

static void
test_sign_refusals(void **state)
{
    static const char *const no_digest[] = {"@method", "@path"};
    static const char *const bad_name[] = {"@method", "@path", "content-digest", "@target-uri"};
    static const struct {
        const char *party, *key_id, *nonce;
    } cases[] = {
        {"cn", "c74f20a3", NONCE},
        {"ZZ", "c74f20a3", NONCE},
        {"CNN", "c74f20a3", NONCE},
        {"C", "c74f20a3", NONCE},
        {"CN", "C74F20A3", NONCE},
        {"CN", "c74f20a", NONCE},
        {"CN", "c74f20a30", NONCE},
        {"CN", "c74f20ag", NONCE},
        {"CN:", "c74f20a3", NONCE},
        {"CN", "c74f20a3", "short"},
        {"CN", "c74f20a3", "has space in the nonce"},
        {"CN", "c74f20a3", "quote\"quote\"quote"},
    };
    struct isx_httpsig_signing s = {"CN", "c74f20a3", sign_with_key, NULL, NULL, 0};
    struct isx_httpsig_headers h;
    struct msg m;

    s.ctx = rfc_key;
    msg_init(&m, "POST", "/fed/v1/objects", BODY);
    memset(&h, 0x55, sizeof(h));
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        s.party = cases[i].party;
        s.key_id = cases[i].key_id;
        if (isx_httpsig_sign(&m.req, &s, CREATED, cases[i].nonce, &h) != ISX_EINVAL)
            fail_msg("case %zu", i);
    }
    s.party = "CN";
    s.key_id = "c74f20a3";
    assert_int_equal(isx_httpsig_sign(&m.req, &s, -1, NONCE, &h), ISX_EINVAL);
    s.components = no_digest;
    s.ncomponents = 2;
    assert_int_equal(isx_httpsig_sign(&m.req, &s, CREATED, NONCE, &h), ISX_EINVAL);
    s.components = bad_name;
    s.ncomponents = 4;
    assert_int_equal(isx_httpsig_sign(&m.req, &s, CREATED, NONCE, &h), ISX_EINVAL);
    s.components = NULL;
    s.ncomponents = 0;
    m.req.path = "/fed/v1/objects?x=1";
    assert_int_equal(isx_httpsig_sign(&m.req, &s, CREATED, NONCE, &h), ISX_EINVAL);
    m.req.path = "/fed/v1/objects";
    s.sign = sign_fails;
    assert_int_equal(isx_httpsig_sign(&m.req, &s, CREATED, NONCE, &h), ISX_ECRYPTO);
    /* Nothing was written by any refusal. */
    assert_int_equal((unsigned char)h.signature[0], 0x55);
    assert_int_equal((unsigned char)h.content_digest[0], 0x55);
}

/* --- Round trips ------------------------------------------------------------------------ */

static void
test_round_trip(void **state)
{
    struct isx_httpsig_signing s = {"CN", "c74f20a3", sign_with_key, NULL, NULL, 0};
    static const char *const more[] = {"@method", "@authority",   "@path",
                                       "@query",  "content-type", "content-digest"};
    struct isx_httpsig_headers h;
    struct msg m;

    /* The profile, with and without a body. */
    msg_init(&m, "POST", "/fed/v1/objects", BODY);
    sign_msg(&m, CREATED, NONCE);
    expect(&m, NOW, 0, ISX_HTTPSIG_OK, NULL, NULL);

    msg_init(&m, "GET", "/fed/v1/log", NULL);
    sign_msg(&m, CREATED, NULL);
    assert_string_equal(get(&m, "content-digest"),
                        "sha-256=:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=:");
    expect(&m, NOW, 0, ISX_HTTPSIG_OK, NULL, NULL);
    /* A GET without the Content-Digest of the empty body is unsigned under the profile. */
    del_header(&m, "content-digest");
    expect(&m, NOW, ISX_EAUTH, ISX_HTTPSIG_UNSIGNED, "Content-Digest", "httpsig.unsigned");

    /* More components, in another order. */
    msg_init(&m, "PUT", "/fed/v1/objects/x", BODY);
    m.req.query = "since=10";
    m.req.authority = "CN-node.example";
    set_header(&m, "content-type", "application/json");
    s.ctx = rfc_key;
    s.components = more;
    s.ncomponents = 6;
    assert_int_equal(isx_httpsig_sign(&m.req, &s, CREATED, NONCE, &h), 0);
    assert_non_null(strstr(h.signature_input, "sig1=(\"@method\" \"@authority\" \"@path\" "
                                              "\"@query\" \"content-type\" \"content-digest\")"));
    set_header(&m, "Content-Digest", h.content_digest);
    set_header(&m, "Signature-Input", h.signature_input);
    set_header(&m, "Signature", h.signature);
    expect(&m, NOW, 0, ISX_HTTPSIG_OK, NULL, NULL);
    m.req.authority = "cn-NODE.example"; /* authority compares in lower case */
    expect(&m, NOW, 0, ISX_HTTPSIG_OK, NULL, NULL);
    m.req.query = "since=11";
    expect(&m, NOW, ISX_ESIG, ISX_HTTPSIG_FORGED, "Signature", "httpsig.forged");
    m.req.query = "since=10";
    set_header(&m, "content-type", "text/plain");
    expect(&m, NOW, ISX_ESIG, ISX_HTTPSIG_FORGED, "Signature", "httpsig.forged");
    /* A covered header that is gone is malformed, naming the header. */
    del_header(&m, "content-type");
    expect(&m, NOW, ISX_EINVAL, ISX_HTTPSIG_MALFORMED, "content-type", "httpsig.field");
}

/* Through the signer of include/isx/sign.h, as the node will sign. */
static void
test_signer_adapter(void **state)
{
    struct isx_httpsig_signing s = {"RU", NULL, isx_httpsig_use_signer, NULL, NULL, 0};
    struct isx_httpsig_replay *r = replay_new();
    struct isx_httpsig_verifier v = {WINDOW, keyfn, NULL, r};
    struct isx_httpsig_headers h;
    struct isx_httpsig_peer peer;
    struct isx_signer *signer = NULL;
    struct isx_sign_key *k = NULL;
    uint8_t seed[32], pk[32];
    struct msg m;

    /* The signer's key is a fresh one, so the test puts its public key where keyfn finds
     * RU:0badc0de, and puts other_key's back at the end. */
    isx_random(seed, sizeof(seed));
    assert_int_equal(isx_sign_key_from_seed(seed, &k), 0);
    assert_int_equal(isx_signer_local(k, "isx-ru", &signer), 0);
    isx_signer_public(signer, pk);
    memcpy(other_pk, pk, 32);
    s.key_id = "0badc0de";
    s.ctx = signer;

    msg_init(&m, "POST", "/fed/v1/objects", BODY);
    assert_int_equal(isx_httpsig_sign(&m.req, &s, CREATED, NULL, &h), 0);
    set_header(&m, "content-digest", h.content_digest);
    set_header(&m, "signature-input", h.signature_input);
    set_header(&m, "signature", h.signature);
    assert_int_equal(isx_httpsig_verify(&m.req, &v, NOW, &peer, NULL, NULL), 0);
    assert_string_equal(peer.party, "RU");
    assert_string_equal(peer.key_id, "0badc0de");
    isx_signer_free(signer);
    isx_sign_key_public(other_key, other_pk);
    isx_httpsig_replay_free(r);
}

/* The label is not covered: any single label works, and sig1 is chosen among several. */
static void
test_labels(void **state)
{
    char input[2048], sig[256];
    struct msg m;

    msg_init(&m, "POST", "/fed/v1/objects", BODY);
    sign_msg(&m, CREATED, NONCE);
    strcpy(input, get(&m, "signature-input"));
    strcpy(sig, get(&m, "signature"));

    setf(&m, "signature-input", "other%s", input + 4);
    setf(&m, "signature", "other%s", sig + 4);
    expect(&m, NOW, 0, ISX_HTTPSIG_OK, NULL, NULL);

    /* Two signatures: sig1 is the one checked, whatever the order. */
    setf(&m, "signature-input", "sig0=(\"@method\");created=1, %s", input);
    setf(&m, "signature", "sig0=:AAAA:, %s", sig);
    expect(&m, NOW, 0, ISX_HTTPSIG_OK, NULL, NULL);
    setf(&m, "signature-input", "%s, sig0=(\"@method\");created=1", input);
    expect(&m, NOW, 0, ISX_HTTPSIG_OK, NULL, NULL);

    /* Several and none is sig1. */
    setf(&m, "signature-input", "sig0=(\"@method\");created=1, other%s", input + 4);
    expect(&m, NOW, ISX_EINVAL, ISX_HTTPSIG_MALFORMED, "Signature-Input", "httpsig.label");
    /* The label of Signature-Input is missing from Signature. */
    set_header(&m, "signature-input", input);
    setf(&m, "signature", "sig2%s", sig + 4);
    expect(&m, NOW, ISX_EINVAL, ISX_HTTPSIG_MALFORMED, "Signature", "httpsig.label");
}

/* Spacing that RFC 8941 allows does not change the base, which is serialized again. */
static void
test_canonical_params(void **state)
{
    struct msg m;

    msg_init(&m, "POST", "/fed/v1/objects", BODY);
    sign_msg(&m, CREATED, NONCE);
    set_header(&m, "signature-input",
               "sig1=(  \"@method\"   \"@path\" \"content-digest\"  );created=1763726400"
               ";  keyid=\"CN:c74f20a3\";alg=\"ed25519\"; nonce=\"" NONCE "\"");
    set_header(&m, "signature",
               "  sig1=:4QuA5Kt+xoaw3c1arMXN9lQX2jKKmTS0ILNk8ZynZZpU6bKOuU/"
               "kkgg563jq8jFU6g0zHgKMH5+MjnyWRJsHCw==:  ");
    expect(&m, NOW, 0, ISX_HTTPSIG_OK, NULL, NULL);
    /* The order of parameters is part of the base: reordered, it no longer verifies. */
    set_header(&m, "signature-input",
               "sig1=(\"@method\" \"@path\" \"content-digest\");keyid=\"CN:c74f20a3\""
               ";created=1763726400;alg=\"ed25519\";nonce=\"" NONCE "\"");
    expect(&m, NOW, ISX_ESIG, ISX_HTTPSIG_FORGED, "Signature", "httpsig.forged");
}

/* --- Refusals --------------------------------------------------------------------------- */

static void
test_unsigned(void **state)
{
    struct msg m;

    msg_init(&m, "POST", "/fed/v1/objects", BODY);
    expect(&m, NOW, ISX_EAUTH, ISX_HTTPSIG_UNSIGNED, "Signature-Input", "httpsig.unsigned");
    sign_msg(&m, CREATED, NONCE);
    del_header(&m, "signature");
    expect(&m, NOW, ISX_EAUTH, ISX_HTTPSIG_UNSIGNED, "Signature", "httpsig.unsigned");
    sign_msg(&m, CREATED, NONCE);
    del_header(&m, "signature-input");
    expect(&m, NOW, ISX_EAUTH, ISX_HTTPSIG_UNSIGNED, "Signature-Input", "httpsig.unsigned");
    sign_msg(&m, CREATED, NONCE);
    del_header(&m, "content-digest");
    expect(&m, NOW, ISX_EAUTH, ISX_HTTPSIG_UNSIGNED, "Content-Digest", "httpsig.unsigned");
}

static void
test_unknown_key(void **state)
{
    struct msg m;

    msg_init(&m, "POST", "/fed/v1/objects", BODY);
    sign_as(&m, "CN", "00000000", rfc_key, CREATED, NONCE);
    expect(&m, NOW, ISX_EKEY, ISX_HTTPSIG_UNKNOWN_KEY, "Signature-Input", "httpsig.unknown_key");
    sign_as(&m, "SCO", "c74f20a3", rfc_key, CREATED, NONCE);
    expect(&m, NOW, ISX_EKEY, ISX_HTTPSIG_UNKNOWN_KEY, "Signature-Input", "httpsig.unknown_key");
    sign_as(&m, "KG", "c74f20a3", rfc_key, CREATED, NONCE);
    expect(&m, NOW, ISX_EKEY, ISX_HTTPSIG_UNKNOWN_KEY, "Signature-Input", "httpsig.unknown_key");
    /* A lookup that fails for another reason is passed on, not called an unknown key. */
    sign_as(&m, "KZ", "c74f20a3", rfc_key, CREATED, NONCE);
    expect(&m, NOW, ISX_ESTORE, ISX_HTTPSIG_ERROR, NULL, NULL);
}

static void
test_forged(void **state)
{
    char *sig;
    struct msg m;

    /* Another key signing under CN's key id. */
    msg_init(&m, "POST", "/fed/v1/objects", BODY);
    sign_as(&m, "CN", "c74f20a3", other_key, CREATED, NONCE);
    expect(&m, NOW, ISX_ESIG, ISX_HTTPSIG_FORGED, "Signature", "httpsig.forged");

    /* Every position of the signature matters. */
    sign_msg(&m, CREATED, NONCE);
    sig = get(&m, "signature");
    for (size_t i = 6; i < 6 + 86; i++) {
        char c = sig[i];
        sig[i] = c == 'A' ? 'B' : 'A';
        expect(&m, NOW, ISX_ESIG, ISX_HTTPSIG_FORGED, "Signature", "httpsig.forged");
        sig[i] = c;
    }
    expect(&m, NOW, 0, ISX_HTTPSIG_OK, NULL, NULL);

    /* A signed parameter changed: another nonce, another created time. */
    set_header(&m, "signature-input",
               "sig1=(\"@method\" \"@path\" \"content-digest\");created=1763726400"
               ";keyid=\"CN:c74f20a3\";alg=\"ed25519\";nonce=\"bm9uY2Utb2YtdGhlLXRlc3R\"");
    expect(&m, NOW, ISX_ESIG, ISX_HTTPSIG_FORGED, "Signature", "httpsig.forged");
    set_header(&m, "signature-input",
               "sig1=(\"@method\" \"@path\" \"content-digest\");created=1763726401"
               ";keyid=\"CN:c74f20a3\";alg=\"ed25519\";nonce=\"" NONCE "\"");
    expect(&m, NOW, ISX_ESIG, ISX_HTTPSIG_FORGED, "Signature", "httpsig.forged");
    /* A component dropped or added. */
    set_header(&m, "signature-input",
               "sig1=(\"@method\" \"@path\" \"content-digest\" \"@query\");created=1763726400"
               ";keyid=\"CN:c74f20a3\";alg=\"ed25519\";nonce=\"" NONCE "\"");
    expect(&m, NOW, ISX_ESIG, ISX_HTTPSIG_FORGED, "Signature", "httpsig.forged");
}

static void
test_altered(void **state)
{
    char body[] = BODY;
    struct msg m;

    msg_init(&m, "POST", "/fed/v1/objects", body);
    sign_msg(&m, CREATED, NONCE);
    /* The body changed, its signed digest did not. */
    body[2] = 'j';
    expect(&m, NOW, ISX_ESIG, ISX_HTTPSIG_ALTERED, "Content-Digest", "httpsig.altered");
    body[2] = 'h';
    m.req.body_len--;
    expect(&m, NOW, ISX_ESIG, ISX_HTTPSIG_ALTERED, "Content-Digest", "httpsig.altered");
    m.req.body = NULL;
    m.req.body_len = 0;
    expect(&m, NOW, ISX_ESIG, ISX_HTTPSIG_ALTERED, "Content-Digest", "httpsig.altered");
    m.req.body = body;
    m.req.body_len = strlen(body);
    expect(&m, NOW, 0, ISX_HTTPSIG_OK, NULL, NULL);

    /* Body and digest both changed: the digest is signed, so this is a forgery. */
    body[2] = 'j';
    set_header(&m, "content-digest", "sha-256=:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=:");
    expect(&m, NOW, ISX_ESIG, ISX_HTTPSIG_FORGED, "Signature", "httpsig.forged");
    /* Another algorithm added beside the signed one also changes the signed header. */
    body[2] = 'h';
    set_header(&m, "content-digest",
               "sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:, md5=:AAAA:");
    expect(&m, NOW, ISX_ESIG, ISX_HTTPSIG_FORGED, "Signature", "httpsig.forged");
}

static void
test_altered_request(void **state)
{
    struct msg m;

    msg_init(&m, "POST", "/fed/v1/objects", BODY);
    sign_msg(&m, CREATED, NONCE);
    m.req.method = "PUT";
    expect(&m, NOW, ISX_ESIG, ISX_HTTPSIG_FORGED, "Signature", "httpsig.forged");
    m.req.method = "post";
    expect(&m, NOW, ISX_ESIG, ISX_HTTPSIG_FORGED, "Signature", "httpsig.forged");
    m.req.method = "POST";
    m.req.path = "/fed/v1/objectz";
    expect(&m, NOW, ISX_ESIG, ISX_HTTPSIG_FORGED, "Signature", "httpsig.forged");
    m.req.path = "/fed/v1/objects/";
    expect(&m, NOW, ISX_ESIG, ISX_HTTPSIG_FORGED, "Signature", "httpsig.forged");
    m.req.path = "/fed/v1/objects";
    expect(&m, NOW, 0, ISX_HTTPSIG_OK, NULL, NULL);
    /* @query is not covered by the profile: a query may change without breaking it. */
    m.req.query = "x=1";
    expect(&m, NOW, 0, ISX_HTTPSIG_OK, NULL, NULL);
    /* A path that smuggles a line into the base is refused before any key is used. */
    m.req.path = "/fed\n\"@method\": POST";
    expect(&m, NOW, ISX_EINVAL, ISX_HTTPSIG_MALFORMED, "@path", "httpsig.field");
}

static void
test_stale(void **state)
{
    struct msg m;

    msg_init(&m, "POST", "/fed/v1/objects", BODY);
    sign_msg(&m, CREATED, NONCE);
    /* The window is inclusive at both ends. */
    expect(&m, CREATED + WINDOW, 0, ISX_HTTPSIG_OK, NULL, NULL);
    expect(&m, CREATED - WINDOW, 0, ISX_HTTPSIG_OK, NULL, NULL);
    /* Too old. */
    expect(&m, CREATED + WINDOW + 1, ISX_ERANGE, ISX_HTTPSIG_STALE, "Signature-Input",
           "httpsig.stale");
    expect(&m, CREATED + 86400 * 365, ISX_ERANGE, ISX_HTTPSIG_STALE, "Signature-Input",
           "httpsig.stale");
    /* Too far in the future. */
    expect(&m, CREATED - WINDOW - 1, ISX_ERANGE, ISX_HTTPSIG_STALE, "Signature-Input",
           "httpsig.stale");
    expect(&m, 0, ISX_ERANGE, ISX_HTTPSIG_STALE, "Signature-Input", "httpsig.stale");
    /* An expires parameter in the past makes it stale even inside the window (the time check
     * comes before the signature check, so an unsigned edit shows it). */
    set_header(&m, "signature-input",
               "sig1=(\"@method\" \"@path\" \"content-digest\");created=1763726400"
               ";keyid=\"CN:c74f20a3\";alg=\"ed25519\";nonce=\"" NONCE "\";expires=1763726405");
    expect(&m, NOW, ISX_ERANGE, ISX_HTTPSIG_STALE, "Signature-Input", "httpsig.stale");
    expect(&m, CREATED + 5, ISX_ESIG, ISX_HTTPSIG_FORGED, "Signature", "httpsig.forged");
}

static void
test_replayed(void **state)
{
    struct isx_httpsig_replay *r = replay_new();
    struct isx_httpsig_peer peer;
    enum isx_httpsig_reason reason;
    struct isx_diag d;
    struct msg m, m2;

    msg_init(&m, "POST", "/fed/v1/objects", BODY);
    sign_msg(&m, CREATED, NONCE);
    assert_int_equal(verify_at(&m, r, NOW, &reason, &d, &peer), 0);
    assert_int_equal(reason, ISX_HTTPSIG_OK);
    /* The same request again, at any time inside the window. */
    assert_int_equal(verify_at(&m, r, NOW, &reason, &d, &peer), ISX_EEXISTS);
    assert_int_equal(reason, ISX_HTTPSIG_REPLAYED);
    assert_string_equal(d.key, "httpsig.replayed");
    assert_string_equal(d.field, "Signature-Input");
    assert_string_equal(d.arg, NONCE);
    assert_int_equal(verify_at(&m, r, CREATED + WINDOW, &reason, &d, &peer), ISX_EEXISTS);
    assert_int_equal(verify_at(&m, r, CREATED - WINDOW, &reason, &d, &peer), ISX_EEXISTS);
    /* After the window it is stale, which refuses it without the cache. */
    assert_int_equal(verify_at(&m, r, CREATED + WINDOW + 1, &reason, &d, &peer), ISX_ERANGE);

    /* The same nonce in a newly signed request (another time, another body) is refused. */
    msg_init(&m2, "POST", "/fed/v1/objects", "{}");
    sign_msg(&m2, CREATED + 1, NONCE);
    assert_int_equal(verify_at(&m2, r, NOW, &reason, &d, &peer), ISX_EEXISTS);
    /* Another nonce is fine; so is the same nonce from another key. */
    sign_msg(&m2, CREATED + 1, "bm9uY2Utb2YtdGhlLXRlc3R");
    assert_int_equal(verify_at(&m2, r, NOW, &reason, &d, &peer), 0);
    sign_as(&m2, "RU", "0badc0de", other_key, CREATED, NONCE);
    assert_int_equal(verify_at(&m2, r, NOW, &reason, &d, &peer), 0);
    assert_string_equal(peer.party, "RU");

    /* A refused request takes no room: a forgery with a fresh nonce leaves the nonce unused. */
    sign_as(&m2, "CN", "c74f20a3", other_key, CREATED, "Zm9yZ2VkLW5vbmNlLTEyMzQ");
    assert_int_equal(verify_at(&m2, r, NOW, &reason, &d, &peer), ISX_ESIG);
    sign_msg(&m2, CREATED, "Zm9yZ2VkLW5vbmNlLTEyMzQ");
    assert_int_equal(verify_at(&m2, r, NOW, &reason, &d, &peer), 0);
    isx_httpsig_replay_free(r);
}

/* A table of Signature-Input values that must be refused as malformed, with their keys. */
static void
test_malformed_input(void **state)
{
#define CD  "\"@method\" \"@path\" \"content-digest\""
#define PRM ";created=1763726400;keyid=\"CN:c74f20a3\";alg=\"ed25519\";nonce=\"" NONCE "\""
    static const struct {
        const char *input, *key;
    } cases[] = {
        /* Syntax. */
        {"", "httpsig.malformed"},
        {"   ", "httpsig.malformed"},
        {"sig1", "httpsig.malformed"}, /* a boolean, not an inner list */
        {"sig1=", "httpsig.malformed"},
        {"sig1=(" CD PRM, "httpsig.malformed"},
        {"sig1=" CD PRM, "httpsig.malformed"},
        {"sig1=(\"@method\"\"@path\" \"content-digest\")" PRM, "httpsig.malformed"},
        {"sig1=(\"@method\"\t\"@path\" \"content-digest\")" PRM, "httpsig.malformed"},
        {"sig1=(@method @path content-digest)" PRM, "httpsig.malformed"},
        {"sig1=((\"@method\") \"@path\" \"content-digest\")" PRM, "httpsig.malformed"},
        {"Sig1=(" CD ")" PRM, "httpsig.malformed"},
        {"1sig=(" CD ")" PRM, "httpsig.malformed"},
        {"sig1=(" CD ")" PRM ",", "httpsig.malformed"},
        {"sig1=(" CD ")" PRM ",,sig2=()", "httpsig.malformed"},
        {"sig1=(" CD ")" PRM ";", "httpsig.malformed"},
        {"sig1=(" CD ")" PRM " x", "httpsig.malformed"},
        {"sig1=(" CD ")" PRM ", sig1=(" CD ")" PRM, "httpsig.malformed"},
        {"sig1=(" CD ");created=1763726400;created=1763726400;keyid=\"CN:c74f20a3\""
         ";alg=\"ed25519\";nonce=\"" NONCE "\"",
         "httpsig.malformed"},
        {"sig1=(" CD ");created=1763726400;keyid=\"CN:c74f20a3\";alg=\"ed25519\";nonce=\"" NONCE,
         "httpsig.malformed"},
        {"sig1=(" CD ");created=1763726400;keyid=\"CN:c7\\4f20a3\";alg=\"ed25519\";nonce=\"" NONCE
         "\"",
         "httpsig.malformed"},
        {"sig1=(" CD
         ");created=1763726400;keyid=\"CN:c74f20a3\xc3\xa9\";alg=\"ed25519\";nonce=\"" NONCE "\"",
         "httpsig.malformed"},
        {"sig1=(" CD
         ");created=1234567890123456;keyid=\"CN:c74f20a3\";alg=\"ed25519\";nonce=\"" NONCE "\"",
         "httpsig.malformed"},
        {"sig1=(" CD ");created=-;keyid=\"CN:c74f20a3\";alg=\"ed25519\";nonce=\"" NONCE "\"",
         "httpsig.malformed"},
        {"sig1=(" CD ");created=1.;keyid=\"CN:c74f20a3\";alg=\"ed25519\";nonce=\"" NONCE "\"",
         "httpsig.malformed"},
        {"sig1=(" CD ");created=?2;keyid=\"CN:c74f20a3\";alg=\"ed25519\";nonce=\"" NONCE "\"",
         "httpsig.malformed"},
        {"sig1=(" CD ");created=:AAA;keyid=\"CN:c74f20a3\";alg=\"ed25519\";nonce=\"" NONCE "\"",
         "httpsig.malformed"},
        {"sig1=(" CD ")" PRM ";Tag=\"x\"", "httpsig.malformed"},
        /* Parameters. */
        {"sig1=(" CD ");keyid=\"CN:c74f20a3\";alg=\"ed25519\";nonce=\"" NONCE "\"",
         "httpsig.param"},
        {"sig1=(" CD ");created=1763726400;alg=\"ed25519\";nonce=\"" NONCE "\"", "httpsig.param"},
        {"sig1=(" CD ");created=1763726400;keyid=\"CN:c74f20a3\";nonce=\"" NONCE "\"",
         "httpsig.param"},
        {"sig1=(" CD ");created=1763726400;keyid=\"CN:c74f20a3\";alg=\"ed25519\"", "httpsig.param"},
        {"sig1=(" CD ");created=1763726400.5;keyid=\"CN:c74f20a3\";alg=\"ed25519\";nonce=\"" NONCE
         "\"",
         "httpsig.param"},
        {"sig1=(" CD ");created=-1763726400;keyid=\"CN:c74f20a3\";alg=\"ed25519\";nonce=\"" NONCE
         "\"",
         "httpsig.param"},
        {"sig1=(" CD ");created=\"1763726400\";keyid=\"CN:c74f20a3\";alg=\"ed25519\";nonce=\"" NONCE
         "\"",
         "httpsig.param"},
        {"sig1=(" CD ");created=1763726400;keyid=CN;alg=\"ed25519\";nonce=\"" NONCE "\"",
         "httpsig.param"},
        {"sig1=(" CD ");created=1763726400;keyid=\"CN:c74f20a3\";alg=ed25519;nonce=\"" NONCE "\"",
         "httpsig.param"},
        {"sig1=(" CD ");created=1763726400;keyid=\"CN:c74f20a3\";alg=\"ed25519\";nonce=:AAAA:",
         "httpsig.param"},
        {"sig1=(" CD ")" PRM ";expires", "httpsig.param"},
        {"sig1=(" CD ")" PRM ";foo=1", "httpsig.param"},
        {"sig1=(" CD ")" PRM ";req", "httpsig.param"},
        {"sig1=(" CD ");created=1763726400;keyid=\"CN:c74f20a3\";alg=\"ed25519\";nonce=\"short\"",
         "httpsig.param"},
        {"sig1=(" CD ");created=1763726400;keyid=\"CN:c74f20a3\";alg=\"ed25519\";nonce=\"a nonce "
         "with spaces\"",
         "httpsig.param"},
        {"sig1=(" CD
         ");created=1763726400;keyid=\"CN:c74f20a3\";alg=\"ed25519\";nonce=\"" NONCE NONCE NONCE
         "\"",
         "httpsig.param"},
        /* Algorithms other than ed25519. */
        {"sig1=(" CD
         ");created=1763726400;keyid=\"CN:c74f20a3\";alg=\"rsa-pss-sha512\";nonce=\"" NONCE "\"",
         "httpsig.alg"},
        {"sig1=(" CD ");created=1763726400;keyid=\"CN:c74f20a3\";alg=\"Ed25519\";nonce=\"" NONCE
         "\"",
         "httpsig.alg"},
        {"sig1=(" CD ");created=1763726400;keyid=\"CN:c74f20a3\";alg=\"\";nonce=\"" NONCE "\"",
         "httpsig.alg"},
        /* Key ids. */
        {"sig1=(" CD
         ");created=1763726400;keyid=\"test-key-ed25519\";alg=\"ed25519\";nonce=\"" NONCE "\"",
         "httpsig.keyid"},
        {"sig1=(" CD ");created=1763726400;keyid=\"cn:c74f20a3\";alg=\"ed25519\";nonce=\"" NONCE
         "\"",
         "httpsig.keyid"},
        {"sig1=(" CD ");created=1763726400;keyid=\"ZZ:c74f20a3\";alg=\"ed25519\";nonce=\"" NONCE
         "\"",
         "httpsig.keyid"},
        {"sig1=(" CD ");created=1763726400;keyid=\"CN:C74F20A3\";alg=\"ed25519\";nonce=\"" NONCE
         "\"",
         "httpsig.keyid"},
        {"sig1=(" CD ");created=1763726400;keyid=\"CN:c74f20a\";alg=\"ed25519\";nonce=\"" NONCE
         "\"",
         "httpsig.keyid"},
        {"sig1=(" CD ");created=1763726400;keyid=\"CN:c74f20a3:\";alg=\"ed25519\";nonce=\"" NONCE
         "\"",
         "httpsig.keyid"},
        {"sig1=(" CD ");created=1763726400;keyid=\"CNNN:c74f20a3\";alg=\"ed25519\";nonce=\"" NONCE
         "\"",
         "httpsig.keyid"},
        {"sig1=(" CD ");created=1763726400;keyid=\":c74f20a3\";alg=\"ed25519\";nonce=\"" NONCE "\"",
         "httpsig.keyid"},
        /* Components: the profile's three are required. */
        {"sig1=(\"@method\" \"@path\")" PRM, "httpsig.components"},
        {"sig1=(\"@method\" \"content-digest\")" PRM, "httpsig.components"},
        {"sig1=(\"@path\" \"content-digest\")" PRM, "httpsig.components"},
        {"sig1=()" PRM, "httpsig.components"},
        {"sig1=(\"@method\" \"@request-target\" \"content-digest\")" PRM, "httpsig.component"},
        {"sig1=(\"@method\" \"@path\" \"content-digest\" \"@path\")" PRM, "httpsig.component"},
        {"sig1=(\"@method\" \"@path\" \"content-digest\";sf)" PRM, "httpsig.component"},
        {"sig1=(\"@method\" \"@path\" \"Content-Digest\")" PRM, "httpsig.component"},
        {"sig1=(\"@method\" \"@path\" \"content-digest\" \"\")" PRM, "httpsig.component"},
        {"sig1=(\"@method\" \"@path\" \"content-digest\" \"@query-param\";name=\"a\")" PRM,
         "httpsig.component"},
        {"sig1=(\"@method\" \"@path\" \"content-digest\" \"a\" \"b\" \"c\" \"d\" \"e\" \"f\" \"g\" "
         "\"h\" \"i\" \"j\" \"k\" \"l\" \"m\" \"n\")" PRM,
         "httpsig.too_many"},
        {"sig1=(\"@method\" \"@path\" \"content-digest\" 1)" PRM, "httpsig.malformed"},
        /* A covered header that is not there. */
        {"sig1=(\"@method\" \"@path\" \"content-digest\" \"date\")" PRM, "httpsig.field"},
    };
    char buf[2048];
    struct msg m;
    size_t i;

    msg_init(&m, "POST", "/fed/v1/objects", BODY);
    sign_msg(&m, CREATED, NONCE);
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct isx_httpsig_replay *r = replay_new();
        enum isx_httpsig_reason reason;
        struct isx_httpsig_peer peer;
        struct isx_diag d;
        int rc;

        set_header(&m, "signature-input", cases[i].input);
        rc = verify_at(&m, r, NOW, &reason, &d, &peer);
        if (rc != ISX_EINVAL || reason != ISX_HTTPSIG_MALFORMED || strcmp(d.key, cases[i].key) != 0)
            fail_msg("case %zu: %s -> %s %s %s (%s)", i, cases[i].input, isx_err_name(rc),
                     isx_httpsig_reason_name(reason), d.key, d.arg);
        isx_httpsig_replay_free(r);
    }

    /* Longer than ISX_HTTPSIG_FIELD_MAX, though well formed. */
    snprintf(buf, sizeof(buf), "sig1=(" CD ")" PRM ";tag=\"%0*d\"", 1000, 0);
    set_header(&m, "signature-input", buf);
    expect(&m, NOW, ISX_EINVAL, ISX_HTTPSIG_MALFORMED, "Signature-Input", "httpsig.malformed");
    /* More than 8 members. */
    strcpy(buf, "sig1=(" CD ")" PRM);
    for (i = 0; i < 8; i++)
        snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), ", s%zu=()", i);
    set_header(&m, "signature-input", buf);
    expect(&m, NOW, ISX_EINVAL, ISX_HTTPSIG_MALFORMED, "Signature-Input", "httpsig.malformed");
    /* Eight members are fine, and other members may be of every kind. */
    strcpy(buf, "sig1=(" CD ")" PRM ", s0=(), a=1, b=-2.5, c=tok/en:x, d=?0, e, f=:AAAA:;p");
    set_header(&m, "signature-input", buf);
    expect(&m, NOW, 0, ISX_HTTPSIG_OK, NULL, NULL);
#undef CD
#undef PRM
}

static void
test_malformed_signature(void **state)
{
    static const char *const cases[] = {
        "",
        "sig1",
        "sig1=",
        "sig1=:AAAA:",
        "sig1=\"4QuA5Kt+xoaw3c1arMXN9lQX2jKKmTS0ILNk8ZynZZpU6bKOuU/"
        "kkgg563jq8jFU6g0zHgKMH5+MjnyWRJsHCw==\"",
        "sig1=:4QuA5Kt+xoaw3c1arMXN9lQX2jKKmTS0ILNk8ZynZZpU6bKOuU/"
        "kkgg563jq8jFU6g0zHgKMH5+MjnyWRJsHCw:",
        "sig1=:4QuA5Kt+xoaw3c1arMXN9lQX2jKKmTS0ILNk8ZynZZpU6bKOuU/"
        "kkgg563jq8jFU6g0zHgKMH5+MjnyWRJsHCw==",
        "sig1=:4QuA5Kt-xoaw3c1arMXN9lQX2jKKmTS0ILNk8ZynZZpU6bKOuU_"
        "kkgg563jq8jFU6g0zHgKMH5+MjnyWRJsHCw==:",
        "sig1=:4QuA5Kt+xoaw3c1arMXN9lQX2jKKmTS0ILNk8ZynZZpU6bKOuU/"
        "kkgg563jq8jFU6g0zHgKMH5+MjnyWRJsHCw==:;x",
        "sig1=:4QuA5Kt+xoaw3c1arMXN9lQX2jKKmTS0ILNk8ZynZZpU6bKOuU/"
        "kkgg563jq8jFU6g0zHgKMH5+MjnyWRJsHCwAAA==:",
        "sig1=(:4QuA5Kt+xoaw3c1arMXN9lQX2jKKmTS0ILNk8ZynZZpU6bKOuU/"
        "kkgg563jq8jFU6g0zHgKMH5+MjnyWRJsHCw==:)",
        "sig1=:4QuA5Kt+xoaw3c1arMXN9lQX2jKKmTS0ILNk8ZynZZpU6bKOuU/"
        "kkgg563jq8jFU6g0zHgKMH5+MjnyWRJsHCw==:,",
    };
    struct msg m;

    msg_init(&m, "POST", "/fed/v1/objects", BODY);
    sign_msg(&m, CREATED, NONCE);
    expect(&m, NOW, 0, ISX_HTTPSIG_OK, NULL, NULL);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        set_header(&m, "signature", cases[i]);
        expect(&m, NOW, ISX_EINVAL, ISX_HTTPSIG_MALFORMED, "Signature", NULL);
    }
    /* A malformed Content-Digest on a signed request. */
    sign_msg(&m, CREATED, NONCE);
    set_header(&m, "content-digest", "sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=");
    expect(&m, NOW, ISX_EINVAL, ISX_HTTPSIG_MALFORMED, "Content-Digest", "httpsig.malformed");
    set_header(&m, "content-digest",
               "sha-512=:WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAgBWnrIiYllu7BNNyealdV"
               "LvRwEmTHWXvJwew==:");
    expect(&m, NOW, ISX_EINVAL, ISX_HTTPSIG_MALFORMED, "Content-Digest", "httpsig.digest_alg");
}

/*
 * Every truncation and many single-byte changes of a good Signature-Input and Signature:
 * none may crash or verify, and each refusal must carry a reason.
 */
static void
test_mutations(void **state)
{
    static const char subst[] = "\"\\();=:, \t\n\x01\x7f\xff-*?aZ09";
    char input[2048], sig[256];
    struct msg m;
    size_t tried = 0;

    msg_init(&m, "POST", "/fed/v1/objects", BODY);
    sign_msg(&m, CREATED, NONCE);
    strcpy(input, get(&m, "signature-input"));
    strcpy(sig, get(&m, "signature"));
    for (int which = 0; which < 2; which++) {
        const char *orig = which == 0 ? input : sig;
        char *field = get(&m, which == 0 ? "signature-input" : "signature");
        size_t len = strlen(orig);

        for (size_t cut = 0; cut < len; cut++) {
            memcpy(field, orig, cut);
            field[cut] = '\0';
            struct isx_httpsig_replay *r = replay_new();
            enum isx_httpsig_reason reason;
            struct isx_httpsig_peer peer;
            struct isx_diag d;
            int rc = verify_at(&m, r, NOW, &reason, &d, &peer);
            if (rc == 0 || reason == ISX_HTTPSIG_OK || reason == ISX_HTTPSIG_ERROR)
                fail_msg("truncated to %zu: %s", cut, field);
            isx_httpsig_replay_free(r);
            tried++;
        }
        for (size_t pos = 0; pos < len; pos++) {
            for (size_t k = 0; k < sizeof(subst) - 1; k++) {
                if (orig[pos] == subst[k])
                    continue;
                strcpy(field, orig);
                field[pos] = subst[k];
                struct isx_httpsig_replay *r = replay_new();
                enum isx_httpsig_reason reason;
                struct isx_httpsig_peer peer;
                struct isx_diag d;
                int rc = verify_at(&m, r, NOW, &reason, &d, &peer);
                if (rc == 0 || reason == ISX_HTTPSIG_OK || reason == ISX_HTTPSIG_ERROR)
                    fail_msg("byte %zu of %s set to 0x%02x: %s", pos, which ? "sig" : "input",
                             (unsigned char)subst[k], field);
                assert_int_not_equal(d.key[0], '\0');
                isx_httpsig_replay_free(r);
                tried++;
            }
        }
        strcpy(field, orig);
    }
    assert_true(tried > 1000);
    expect(&m, NOW, 0, ISX_HTTPSIG_OK, NULL, NULL);
}

static void
test_verify_arguments(void **state)
{
    struct isx_httpsig_replay *r = replay_new();
    struct isx_httpsig_verifier v = {WINDOW, keyfn, NULL, r};
    enum isx_httpsig_reason reason = ISX_HTTPSIG_OK;
    struct isx_httpsig_peer peer;
    struct msg m;

    msg_init(&m, "POST", "/fed/v1/objects", BODY);
    sign_msg(&m, CREATED, NONCE);
    v.window = 0;
    assert_int_equal(isx_httpsig_verify(&m.req, &v, NOW, &peer, &reason, NULL), ISX_EINVAL);
    assert_int_equal(reason, ISX_HTTPSIG_ERROR);
    v.window = 86401;
    assert_int_equal(isx_httpsig_verify(&m.req, &v, NOW, &peer, &reason, NULL), ISX_EINVAL);
    v.window = WINDOW;
    v.replay = NULL;
    assert_int_equal(isx_httpsig_verify(&m.req, &v, NOW, &peer, &reason, NULL), ISX_EINVAL);
    v.replay = r;
    v.key = NULL;
    assert_int_equal(isx_httpsig_verify(&m.req, &v, NOW, &peer, &reason, NULL), ISX_EINVAL);
    v.key = keyfn;
    assert_int_equal(isx_httpsig_verify(NULL, &v, NOW, &peer, &reason, NULL), ISX_EINVAL);
    assert_int_equal(isx_httpsig_verify(&m.req, &v, NOW, NULL, &reason, NULL), ISX_EINVAL);
    assert_int_equal(isx_httpsig_verify(&m.req, &v, NOW, &peer, NULL, NULL), 0);
    isx_httpsig_replay_free(r);
}

static void
test_reason_names(void **state)
{
    static const char *const names[] = {"ok",      "unsigned", "malformed", "unknown_key", "forged",
                                        "altered", "stale",    "replayed",  "busy",        "error"};

    for (int i = ISX_HTTPSIG_OK; i <= ISX_HTTPSIG_ERROR; i++)
        assert_string_equal(isx_httpsig_reason_name((enum isx_httpsig_reason)i), names[i]);
    assert_string_equal(isx_httpsig_reason_name((enum isx_httpsig_reason)42), "error");
}

/* Every diagnostic key this module sets is in the catalogue, in the three languages. */
static void
test_message_keys(void **state)
{
    static const char *const keys[] = {
        "httpsig.unsigned", "httpsig.malformed",   "httpsig.digest_alg", "httpsig.altered",
        "httpsig.field",    "httpsig.component",   "httpsig.too_many",   "httpsig.components",
        "httpsig.param",    "httpsig.alg",         "httpsig.keyid",      "httpsig.label",
        "httpsig.stale",    "httpsig.unknown_key", "httpsig.forged",     "httpsig.replayed",
        "httpsig.busy",
    };

    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        const char *en = isx_msg(ISX_LANG_EN, keys[i]);
        /* A missing text falls back to English, then to the key itself. */
        assert_string_not_equal(en, keys[i]);
        assert_string_not_equal(isx_msg(ISX_LANG_ZH, keys[i]), en);
        assert_string_not_equal(isx_msg(ISX_LANG_RU, keys[i]), en);
    }
}

/* --- Replay cache ----------------------------------------------------------------------- */

static void
test_replay_cache(void **state)
{
    struct isx_httpsig_replay *r = NULL;
    char nonce[32];
    int i;

    assert_int_equal(isx_httpsig_replay_new(((size_t)1 << 23) + 1, &r), ISX_EINVAL);
    assert_int_equal(isx_httpsig_replay_new(0, &r), 0);

    /* 64 slots (the least there are) hold 64 live entries; the 65th is refused, not swapped
     * in. Past its capacity a cache may refuse before all its slots are live, never after. */
    for (i = 0; i < 64; i++) {
        snprintf(nonce, sizeof(nonce), "nonce-%d", i);
        assert_int_equal(isx_httpsig_replay_check(r, "CN:c74f20a3", nonce, 1000 + i, 900), 0);
    }
    assert_int_equal(isx_httpsig_replay_check(r, "CN:c74f20a3", "one-more", 2000, 900), ISX_EBUSY);
    for (i = 0; i < 64; i++) {
        snprintf(nonce, sizeof(nonce), "nonce-%d", i);
        assert_int_equal(isx_httpsig_replay_check(r, "CN:c74f20a3", nonce, 2000, 900), ISX_EEXISTS);
    }
    /* The expiry is inclusive; one second later the oldest entry's room is free again. */
    assert_int_equal(isx_httpsig_replay_check(r, "CN:c74f20a3", "one-more", 2000, 1000), ISX_EBUSY);
    assert_int_equal(isx_httpsig_replay_check(r, "CN:c74f20a3", "one-more", 2000, 1001), 0);
    assert_int_equal(isx_httpsig_replay_check(r, "CN:c74f20a3", "one-more", 2000, 1001),
                     ISX_EEXISTS);
    /* An expired pair may be used again. */
    assert_int_equal(isx_httpsig_replay_check(r, "CN:c74f20a3", "nonce-0", 3000, 1001), ISX_EBUSY);
    assert_int_equal(isx_httpsig_replay_check(r, "CN:c74f20a3", "nonce-1", 3000, 1002), 0);
    assert_int_equal(isx_httpsig_replay_check(r, "CN:c74f20a3", "nonce-1", 3000, 1064),
                     ISX_EEXISTS);
    /* Something already expired is not recorded at all. */
    assert_int_equal(isx_httpsig_replay_check(r, "CN:c74f20a3", "late", 10, 1064), 0);
    assert_int_equal(isx_httpsig_replay_check(NULL, "CN:c74f20a3", "late", 10, 1064), ISX_EINVAL);
    isx_httpsig_replay_free(r);
    isx_httpsig_replay_free(NULL);

    /* The keyid and the nonce are kept apart: "CN:a" + "b" is not "CN:" + "ab". */
    assert_int_equal(isx_httpsig_replay_new(64, &r), 0);
    assert_int_equal(isx_httpsig_replay_check(r, "CN:a", "b", 100, 1), 0);
    assert_int_equal(isx_httpsig_replay_check(r, "CN:", "ab", 100, 1), 0);
    assert_int_equal(isx_httpsig_replay_check(r, "CN:ab", "", 100, 1), 0);
    assert_int_equal(isx_httpsig_replay_check(r, "CN:a", "b", 100, 1), ISX_EEXISTS);
    isx_httpsig_replay_free(r);
}

/* A cache filled to its capacity does not answer busy. */
static void
test_replay_load(void **state)
{
    struct isx_httpsig_replay *r = NULL;
    char nonce[32];

    assert_int_equal(isx_httpsig_replay_new(1 << 14, &r), 0);
    for (int i = 0; i < (1 << 14); i++) {
        snprintf(nonce, sizeof(nonce), "n%d", i);
        assert_int_equal(isx_httpsig_replay_check(r, "RU:0badc0de", nonce, 100, 1), 0);
    }
    for (int i = 0; i < (1 << 14); i += 97) {
        snprintf(nonce, sizeof(nonce), "n%d", i);
        assert_int_equal(isx_httpsig_replay_check(r, "RU:0badc0de", nonce, 100, 1), ISX_EEXISTS);
    }
    isx_httpsig_replay_free(r);
}

#define THREADS 8
#define NONCES  3000

struct race {
    struct isx_httpsig_replay *r;
    atomic_int won[NONCES]; /* acceptances per nonce; 1000 for any answer but EEXISTS */
};

struct racer {
    struct race *race;
    int offset; /* each thread starts at another nonce, so they meet all along */
};

static void *
race_main(void *arg)
{
    struct racer *me = arg;
    char nonce[32];

    for (int k = 0; k < NONCES; k++) {
        int i = (k + me->offset) % NONCES, rc;
        snprintf(nonce, sizeof(nonce), "race-%d", i);
        rc = isx_httpsig_replay_check(me->race->r, "CN:c74f20a3", nonce, 100, 1);
        if (rc == 0)
            atomic_fetch_add(&me->race->won[i], 1);
        else if (rc != ISX_EEXISTS)
            atomic_fetch_add(&me->race->won[i], 1000);
    }
    return NULL;
}

/* Threads racing for the same nonces: each nonce is accepted exactly once. */
static void
test_replay_threads(void **state)
{
    static struct race race;
    struct racer racers[THREADS];
    pthread_t t[THREADS];

    for (int i = 0; i < NONCES; i++)
        atomic_init(&race.won[i], 0);
    assert_int_equal(isx_httpsig_replay_new(NONCES * 2, &race.r), 0);
    for (int i = 0; i < THREADS; i++) {
        racers[i].race = &race;
        racers[i].offset = i * NONCES / THREADS;
        assert_int_equal(pthread_create(&t[i], NULL, race_main, &racers[i]), 0);
    }
    for (int i = 0; i < THREADS; i++)
        assert_int_equal(pthread_join(t[i], NULL), 0);
    for (int i = 0; i < NONCES; i++)
        if (atomic_load(&race.won[i]) != 1)
            fail_msg("nonce %d accepted %d times", i, atomic_load(&race.won[i]));
    isx_httpsig_replay_free(race.r);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_digest),
        cmocka_unit_test(test_digest_check),
        cmocka_unit_test(test_rfc9421_b26),
        cmocka_unit_test(test_base_components),
        cmocka_unit_test(test_base_refusals),
        cmocka_unit_test(test_sign_exact),
        cmocka_unit_test(test_sign_refusals),
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_signer_adapter),
        cmocka_unit_test(test_labels),
        cmocka_unit_test(test_canonical_params),
        cmocka_unit_test(test_unsigned),
        cmocka_unit_test(test_unknown_key),
        cmocka_unit_test(test_forged),
        cmocka_unit_test(test_altered),
        cmocka_unit_test(test_altered_request),
        cmocka_unit_test(test_stale),
        cmocka_unit_test(test_replayed),
        cmocka_unit_test(test_malformed_input),
        cmocka_unit_test(test_malformed_signature),
        cmocka_unit_test(test_mutations),
        cmocka_unit_test(test_verify_arguments),
        cmocka_unit_test(test_reason_names),
        cmocka_unit_test(test_message_keys),
        cmocka_unit_test(test_replay_cache),
        cmocka_unit_test(test_replay_load),
        cmocka_unit_test(test_replay_threads),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
