/*
 * Tests for src/crypto/seal.c and the sealing half of src/core/object.c: round trips for one
 * to seven recipients, refusal of every tampering (ciphertext, nonce, header, swapped or
 * foreign key entries), the strict shape of the "sealed" member, key entries granted by a
 * release, and sealed objects through sign, parse, verify and open.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "isx/error.h"
#include "isx/hash.h"
#include "isx/jcs.h"
#include "isx/object.h"
#include "isx/seal.h"
#include "isx/sign.h"

/* Seven recipients, and PK, which is never one. */
static struct party {
    const char *code;
    struct isx_box_key *k;
    uint8_t pk[ISX_BOX_PUBLIC_LEN];
} parties[] = {{"TJ", NULL, {0}}, {"CN", NULL, {0}}, {"RU", NULL, {0}}, {"KZ", NULL, {0}},
               {"UZ", NULL, {0}}, {"KG", NULL, {0}}, {"IN", NULL, {0}}, {"PK", NULL, {0}}};

#define NPARTIES   (sizeof(parties) / sizeof(parties[0]))
#define OUTSIDER   "PK"
#define SIGNER_KEY "isx-cn"

static struct isx_signer *signer;
static uint8_t sign_pk[ISX_SIGN_PUBLIC_LEN];

static const char msg[] = "{\"title\":\"Фишинговая кампания / 钓鱼活动\",\"severity\":\"high\"}";
static const char aad[] = "{\"id\":\"report--1\",\"marking\":{\"tlp\":\"amber\"}}";

static int
setup(void **state)
{
    static const uint8_t seed[32] = {7, 7, 7};
    struct isx_sign_key *sk;
    size_t i;

    (void)state;
    if (isx_crypto_init() != 0)
        return -1;
    for (i = 0; i < NPARTIES; i++) {
        if (isx_box_key_generate(&parties[i].k) != 0)
            return -1;
        isx_box_key_public(parties[i].k, parties[i].pk);
    }
    if (isx_sign_key_from_seed(seed, &sk) != 0)
        return -1;
    isx_sign_key_public(sk, sign_pk);
    return isx_signer_local(sk, SIGNER_KEY, &signer);
}

static int
teardown(void **state)
{
    size_t i;

    (void)state;
    for (i = 0; i < NPARTIES; i++)
        isx_box_key_free(parties[i].k);
    isx_signer_free(signer);
    return 0;
}

static const struct party *
party(const char *code)
{
    size_t i;

    for (i = 0; i < NPARTIES; i++) {
        if (strcmp(parties[i].code, code) == 0)
            return &parties[i];
    }
    fail_msg("no test party %s", code);
    return NULL;
}

static const struct isx_box_key *
key(const char *code)
{
    return party(code)->k;
}

/* The first `n` test parties as recipients, in the (unsorted) order of the table. */
static void
recipients(size_t n, struct isx_seal_recipient *r)
{
    size_t i;

    assert_true(n < NPARTIES);
    for (i = 0; i < n; i++) {
        r[i].party = parties[i].code;
        memcpy(r[i].box_pk, parties[i].pk, ISX_BOX_PUBLIC_LEN);
    }
}

static json_t *
seal_msg(size_t n)
{
    struct isx_seal_recipient r[NPARTIES];
    json_t *sealed = NULL;

    recipients(n, r);
    assert_int_equal(isx_seal(aad, strlen(aad), msg, strlen(msg), r, n, &sealed), 0);
    assert_non_null(sealed);
    return sealed;
}

static int
open_as(const json_t *sealed, const char *a, const char *code, const struct isx_box_key *k,
        struct isx_buf *out)
{
    return isx_seal_open(sealed, a, strlen(a), code, k, out);
}

static void
assert_opens(const json_t *sealed, const char *code)
{
    struct isx_buf out = ISX_BUF_INIT;

    assert_int_equal(open_as(sealed, aad, code, key(code), &out), 0);
    assert_int_equal(out.len, strlen(msg));
    assert_memory_equal(out.data, msg, out.len);
    isx_buf_free(&out);
}

/* Opening as `code` fails with `want`, and the output buffer is left as it was. */
static void
assert_refused(const json_t *sealed, const char *a, const char *code, const struct isx_box_key *k,
               int want)
{
    struct isx_buf out = ISX_BUF_INIT;

    assert_int_equal(isx_buf_puts(&out, "kept"), 0);
    assert_int_equal(open_as(sealed, a, code, k, &out), want);
    assert_int_equal(out.len, 4);
    assert_string_equal(out.data, "kept");
    isx_buf_free(&out);
}

/* Flips one bit of the base64 member `name` of `obj` at byte `at`. */
static void
flip_b64(json_t *obj, const char *name, size_t at)
{
    const char *s = json_string_value(json_object_get(obj, name));
    size_t cap, n = 0;
    uint8_t *bin;
    char *text;

    assert_non_null(s);
    cap = strlen(s);
    bin = malloc(cap);
    text = malloc(cap + 4);
    assert_non_null(bin);
    assert_non_null(text);
    assert_int_equal(isx_base64_decode(s, strlen(s), bin, cap, &n), 0);
    assert_true(at < n);
    bin[at] ^= 0x01;
    isx_base64_encode(bin, n, text);
    json_object_set_new(obj, name, json_string(text));
    free(bin);
    free(text);
}

static json_t *
entry_at(json_t *sealed, size_t i)
{
    return json_array_get(json_object_get(sealed, "keys"), i);
}

/* --- Round trips -------------------------------------------------------------------------- */

static void
test_round_trip(void **state)
{
    static const size_t counts[] = {1, 2, 7};
    struct isx_buf out = ISX_BUF_INIT;
    size_t c, i;

    (void)state;
    for (c = 0; c < sizeof(counts) / sizeof(counts[0]); c++) {
        json_t *sealed = seal_msg(counts[c]), *keys = json_object_get(sealed, "keys");

        assert_int_equal(isx_seal_check(sealed, "sealed", NULL), 0);
        assert_string_equal(json_string_value(json_object_get(sealed, "alg")), ISX_SEAL_ALG);
        assert_int_equal(json_object_size(sealed), 4);
        assert_int_equal(json_array_size(keys), counts[c]);
        /* Sorted by party, whatever the order the recipients came in. */
        for (i = 1; i < counts[c]; i++) {
            assert_true(strcmp(json_string_value(json_object_get(entry_at(sealed, i - 1), "party")),
                               json_string_value(json_object_get(entry_at(sealed, i), "party"))) <
                        0);
        }
        for (i = 0; i < counts[c]; i++)
            assert_opens(sealed, parties[i].code);
        assert_refused(sealed, aad, OUTSIDER, key(OUTSIDER), ISX_ENOTFOUND);
        /* A party not among the recipients stays out even with a recipient's key. */
        assert_refused(sealed, aad, OUTSIDER, parties[0].k, ISX_ENOTFOUND);
        json_decref(sealed);
    }

    /* The plaintext is appended to what the buffer holds. */
    json_t *sealed = seal_msg(1);
    assert_int_equal(isx_buf_puts(&out, ">"), 0);
    assert_int_equal(open_as(sealed, aad, parties[0].code, parties[0].k, &out), 0);
    assert_int_equal(out.len, 1 + strlen(msg));
    assert_memory_equal(out.data + 1, msg, strlen(msg));
    isx_buf_free(&out);
    json_decref(sealed);
}

static void
test_fresh_key_and_nonce(void **state)
{
    json_t *a = seal_msg(2), *b = seal_msg(2);

    (void)state;
    /* The same body sealed twice shares nothing: fresh content key, fresh nonce. */
    assert_string_not_equal(json_string_value(json_object_get(a, "nonce")),
                            json_string_value(json_object_get(b, "nonce")));
    assert_string_not_equal(json_string_value(json_object_get(a, "ciphertext")),
                            json_string_value(json_object_get(b, "ciphertext")));
    assert_string_not_equal(json_string_value(json_object_get(entry_at(a, 0), "wrapped")),
                            json_string_value(json_object_get(entry_at(b, 0), "wrapped")));
    json_decref(a);
    json_decref(b);
}

static void
test_empty_body(void **state)
{
    struct isx_seal_recipient r[1];
    struct isx_buf out = ISX_BUF_INIT;
    json_t *sealed = NULL;

    (void)state;
    recipients(1, r);
    assert_int_equal(isx_seal(NULL, 0, NULL, 0, r, 1, &sealed), 0);
    assert_int_equal(isx_seal_open(sealed, NULL, 0, r[0].party, parties[0].k, &out), 0);
    assert_int_equal(out.len, 0);
    assert_non_null(out.data);
    isx_buf_free(&out);
    json_decref(sealed);
}

static void
test_seal_arguments(void **state)
{
    struct isx_seal_recipient r[3];
    json_t *sealed = NULL;

    (void)state;
    recipients(3, r);
    assert_int_equal(isx_seal(aad, strlen(aad), msg, strlen(msg), r, 0, &sealed), ISX_EINVAL);
    assert_int_equal(isx_seal(aad, strlen(aad), msg, strlen(msg), NULL, 1, &sealed), ISX_EINVAL);
    r[2].party = r[0].party;
    assert_int_equal(isx_seal(aad, strlen(aad), msg, strlen(msg), r, 3, &sealed), ISX_EINVAL);
    r[2].party = "XX";
    assert_int_equal(isx_seal(aad, strlen(aad), msg, strlen(msg), r, 3, &sealed), ISX_EINVAL);
    r[2].party = "ru";
    assert_int_equal(isx_seal(aad, strlen(aad), msg, strlen(msg), r, 3, &sealed), ISX_EINVAL);
    r[2].party = NULL;
    assert_int_equal(isx_seal(aad, strlen(aad), msg, strlen(msg), r, 3, &sealed), ISX_EINVAL);
    /* The length is refused before the bytes are read. */
    assert_int_equal(isx_seal(aad, strlen(aad), msg, ISX_SEAL_MAX_PLAIN + 1, r, 2, &sealed),
                     ISX_ETOOBIG);
    /* A public key of small order would let anyone compute the wrapping key. */
    recipients(3, r);
    memset(r[1].box_pk, 0, sizeof(r[1].box_pk));
    assert_int_equal(isx_seal(aad, strlen(aad), msg, strlen(msg), r, 3, &sealed), ISX_ECRYPTO);
    assert_null(sealed);
}

/* --- Refusals ----------------------------------------------------------------------------- */

static void
test_foreign_key(void **state)
{
    json_t *sealed = seal_msg(3);

    (void)state;
    /* Each party's entry opens only with that party's key. */
    assert_refused(sealed, aad, parties[1].code, parties[2].k, ISX_ECRYPTO);
    assert_refused(sealed, aad, parties[2].code, parties[0].k, ISX_ECRYPTO);
    assert_refused(sealed, aad, parties[0].code, key(OUTSIDER), ISX_ECRYPTO);
    json_decref(sealed);
}

static void
test_tampering(void **state)
{
    static const char *const other_aad[] = {
        "{\"id\":\"report--2\",\"marking\":{\"tlp\":\"amber\"}}",
        "{\"id\":\"report--1\",\"marking\":{\"tlp\":\"amber\",\"to\":[\"KZ\"]}}",
        "{\"id\":\"report--1\",\"marking\":{\"tlp\":\"amber\"}} ",
        "",
    };
    json_t *sealed, *a, *b, *tmp;
    size_t i;

    (void)state;
    sealed = seal_msg(3);
    for (i = 0; i < sizeof(other_aad) / sizeof(other_aad[0]); i++)
        assert_refused(sealed, other_aad[i], parties[0].code, parties[0].k, ISX_ECRYPTO);
    json_decref(sealed);

    /* Any bit of the ciphertext, its tag included. */
    for (i = 0; i < strlen(msg) + ISX_SEAL_TAG_LEN; i += 9) {
        sealed = seal_msg(2);
        flip_b64(sealed, "ciphertext", i);
        assert_refused(sealed, aad, parties[1].code, parties[1].k, ISX_ECRYPTO);
        json_decref(sealed);
    }
    for (i = 0; i < ISX_SEAL_NONCE_LEN; i += 5) {
        sealed = seal_msg(2);
        flip_b64(sealed, "nonce", i);
        assert_refused(sealed, aad, parties[1].code, parties[1].k, ISX_ECRYPTO);
        json_decref(sealed);
    }
    /* A flipped wrapped key does not unwrap. */
    sealed = seal_msg(2);
    flip_b64(entry_at(sealed, 0), "wrapped", 40);
    assert_refused(sealed, aad, json_string_value(json_object_get(entry_at(sealed, 0), "party")),
                   key(json_string_value(json_object_get(entry_at(sealed, 0), "party"))),
                   ISX_ECRYPTO);
    json_decref(sealed);

    /* Swapped wrapped keys: each party now finds the other's entry under its name. */
    sealed = seal_msg(2);
    a = entry_at(sealed, 0);
    b = entry_at(sealed, 1);
    tmp = json_incref(json_object_get(a, "wrapped"));
    json_object_set(a, "wrapped", json_object_get(b, "wrapped"));
    json_object_set_new(b, "wrapped", tmp);
    assert_int_equal(isx_seal_check(sealed, "sealed", NULL), 0);
    for (i = 0; i < 2; i++) {
        const char *code = json_string_value(json_object_get(entry_at(sealed, i), "party"));
        assert_refused(sealed, aad, code, key(code), ISX_ECRYPTO);
    }
    json_decref(sealed);

    /* The ciphertext of another body sealed with another key. */
    a = seal_msg(2);
    b = seal_msg(2);
    json_object_set(a, "ciphertext", json_object_get(b, "ciphertext"));
    assert_refused(a, aad, parties[0].code, parties[0].k, ISX_ECRYPTO);
    json_decref(a);
    json_decref(b);
}

/* --- The strict shape --------------------------------------------------------------------- */

enum op { DEL, SET };

struct malformed {
    int entry; /* -1: the sealed member itself; else keys[entry] */
    const char *member;
    enum op op;
    const char *value; /* JSON text for SET */
    const char *field, *key;
};

static const struct malformed malformed[] = {
    {-1, "alg", DEL, NULL, "sealed.alg", "schema.missing"},
    {-1, "nonce", DEL, NULL, "sealed.nonce", "schema.missing"},
    {-1, "ciphertext", DEL, NULL, "sealed.ciphertext", "schema.missing"},
    {-1, "keys", DEL, NULL, "sealed.keys", "schema.missing"},
    {-1, "body", SET, "{}", "sealed.body", "schema.unknown"},
    {-1, "Alg", SET, "\"x\"", "sealed.Alg", "schema.unknown"},
    {-1, "alg", SET, "\"aes256gcm+x25519\"", "sealed.alg", "seal.alg"},
    {-1, "alg", SET, "\"XCHACHA20POLY1305+X25519\"", "sealed.alg", "seal.alg"},
    {-1, "alg", SET, "1", "sealed.alg", "seal.alg"},
    {-1, "nonce", SET, "\"AAAA\"", "sealed.nonce", "seal.length"},
    {-1, "nonce", SET, "\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\"", "sealed.nonce", "seal.length"},
    {-1, "nonce", SET, "\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\"", "sealed.nonce", "seal.base64"},
    {-1, "nonce", SET, "\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA-\"", "sealed.nonce", "seal.base64"},
    {-1, "nonce", SET, "\"AAAAAAAAAAAAAAAA AAAAAAAAAAAAAAA\"", "sealed.nonce", "seal.base64"},
    {-1, "nonce", SET, "\"\"", "sealed.nonce", "seal.length"},
    {-1, "nonce", SET, "24", "sealed.nonce", "schema.type"},
    {-1, "ciphertext", SET, "\"\"", "sealed.ciphertext", "seal.ciphertext"},
    {-1, "ciphertext", SET, "\"AAAAAAAAAAAAAAAAAAAA\"", "sealed.ciphertext", "seal.ciphertext"},
    {-1, "ciphertext", SET, "\"AAAAAAAAAAAAAAAAAAAAAAA=\\n\"", "sealed.ciphertext", "seal.base64"},
    {-1, "ciphertext", SET, "\"AAAAAAAAAAAAAAAAAAAAAA\"", "sealed.ciphertext", "seal.base64"},
    {-1, "ciphertext", SET, "\"_AAAAAAAAAAAAAAAAAAAAAAA\"", "sealed.ciphertext", "seal.base64"},
    {-1, "ciphertext", SET, "[]", "sealed.ciphertext", "schema.type"},
    {-1, "keys", SET, "[]", "sealed.keys", "seal.keys"},
    {-1, "keys", SET, "{}", "sealed.keys", "schema.type"},
    {-1, "keys", SET, "[1]", "sealed.keys[0]", "schema.type"},
    {-1, "keys", SET, "[{}]", "sealed.keys[0].party", "schema.missing"},
    {1, "wrapped", DEL, NULL, "sealed.keys[1].wrapped", "schema.missing"},
    {1, "party", DEL, NULL, "sealed.keys[1].party", "schema.missing"},
    {1, "key", SET, "\"x\"", "sealed.keys[1].key", "schema.unknown"},
    {1, "wrapped", SET, "\"AAAA\"", "sealed.keys[1].wrapped", "seal.length"},
    {1, "wrapped", SET, "\"AA==AA==\"", "sealed.keys[1].wrapped", "seal.base64"},
    {1, "wrapped", SET, "null", "sealed.keys[1].wrapped", "schema.type"},
    {1, "party", SET, "\"XX\"", "sealed.keys[1].party", "party.code"},
    {1, "party", SET, "\"kz\"", "sealed.keys[1].party", "party.code"},
    {1, "party", SET, "7", "sealed.keys[1].party", "party.code"},
    {1, "party", SET, "\"AD\"", "sealed.keys[1].party", "seal.keys_order"},
};

static json_t *
mutate(const struct malformed *m)
{
    json_t *sealed = seal_msg(3), *target = sealed;

    if (m->entry >= 0)
        target = entry_at(sealed, (size_t)m->entry);
    if (m->op == DEL) {
        assert_int_equal(json_object_del(target, m->member), 0);
    } else {
        json_t *v = json_loads(m->value, JSON_DECODE_ANY, NULL);
        assert_non_null(v);
        json_object_set_new(target, m->member, v);
    }
    return sealed;
}

static void
assert_malformed(const json_t *sealed, const char *field, const char *key_name)
{
    struct isx_diag d = {0};
    json_t *entry = NULL;

    assert_int_equal(isx_seal_check(sealed, "sealed", &d), ISX_EFIELD);
    assert_int_equal(d.code, ISX_EFIELD);
    assert_string_equal(d.field, field);
    assert_string_equal(d.key, key_name);
    /* Nothing is opened, unwrapped or rewrapped from a malformed member. */
    assert_refused(sealed, aad, parties[0].code, parties[0].k, ISX_EFIELD);
    assert_int_equal(isx_seal_rewrap(sealed, parties[0].code, parties[0].k, OUTSIDER,
                                     party(OUTSIDER)->pk, &entry),
                     ISX_EFIELD);
    assert_null(entry);
}

static void
test_malformed(void **state)
{
    uint8_t zero[ISX_SEAL_WRAPPED_LEN];
    char zero_b64[ISX_SEAL_WRAPPED_LEN * 2];
    struct isx_diag d = {0};
    json_t *sealed, *keys, *e;
    const char *code;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(malformed) / sizeof(malformed[0]); i++) {
        sealed = mutate(&malformed[i]);
        assert_malformed(sealed, malformed[i].field, malformed[i].key);
        json_decref(sealed);
    }

    /* The right shape around the wrong bytes passes the check and fails to unwrap. */
    sealed = seal_msg(2);
    memset(zero, 0, sizeof(zero));
    isx_base64_encode(zero, sizeof(zero), zero_b64);
    json_object_set_new(entry_at(sealed, 0), "wrapped", json_string(zero_b64));
    assert_int_equal(isx_seal_check(sealed, "sealed", NULL), 0);
    code = json_string_value(json_object_get(entry_at(sealed, 0), "party"));
    assert_refused(sealed, aad, code, key(code), ISX_ECRYPTO);
    json_decref(sealed);

    /* Not an object at all. */
    sealed = json_array();
    assert_malformed(sealed, "sealed", "schema.type");
    json_decref(sealed);

    /* The same party twice. */
    sealed = seal_msg(3);
    keys = json_object_get(sealed, "keys");
    json_array_set(keys, 2, json_array_get(keys, 1));
    assert_malformed(sealed, "sealed.keys[2].party", "seal.party_dup");
    json_decref(sealed);

    /* Out of order. */
    sealed = seal_msg(3);
    keys = json_object_get(sealed, "keys");
    e = json_incref(json_array_get(keys, 0));
    json_array_remove(keys, 0);
    json_array_append_new(keys, e);
    assert_malformed(sealed, "sealed.keys[2].party", "seal.keys_order");
    json_decref(sealed);

    /* Too many entries, even if each is well formed. */
    sealed = seal_msg(1);
    keys = json_object_get(sealed, "keys");
    for (i = 0; i < ISX_SEAL_MAX_RECIPIENTS; i++)
        json_array_append(keys, json_array_get(keys, 0));
    assert_malformed(sealed, "sealed.keys", "seal.keys");
    json_decref(sealed);

    /* A path prefix of "" names the members alone. */
    sealed = seal_msg(2);
    json_object_del(entry_at(sealed, 1), "wrapped");
    assert_int_equal(isx_seal_check(sealed, "", &d), ISX_EFIELD);
    assert_string_equal(d.field, "keys[1].wrapped");
    json_decref(sealed);
}

/* --- Releases ----------------------------------------------------------------------------- */

static int
open_with(const json_t *sealed, const json_t *entry, const char *code, const struct isx_box_key *k,
          struct isx_buf *out)
{
    return isx_seal_open_with(sealed, entry, aad, strlen(aad), code, k, out);
}

static void
test_rewrap(void **state)
{
    struct isx_buf out = ISX_BUF_INIT;
    json_t *sealed = seal_msg(2), *other = seal_msg(2), *entry = NULL, *bad;
    const char *origin = parties[0].code;

    (void)state;
    /* The originator grants PK a key entry; PK is still not in the keys list. */
    assert_int_equal(
        isx_seal_rewrap(sealed, origin, parties[0].k, OUTSIDER, party(OUTSIDER)->pk, &entry), 0);
    assert_int_equal(json_object_size(entry), 2);
    assert_string_equal(json_string_value(json_object_get(entry, "party")), OUTSIDER);
    assert_refused(sealed, aad, OUTSIDER, key(OUTSIDER), ISX_ENOTFOUND);
    assert_int_equal(open_with(sealed, entry, OUTSIDER, key(OUTSIDER), &out), 0);
    assert_int_equal(out.len, strlen(msg));
    assert_memory_equal(out.data, msg, out.len);
    isx_buf_reset(&out);
    /* The header still binds: the grant does not open the body under another header. */
    assert_int_equal(isx_seal_open_with(sealed, entry, "{}", 2, OUTSIDER, key(OUTSIDER), &out),
                     ISX_ECRYPTO);

    /* An entry for PK is no use to anyone else, under either name. */
    assert_int_equal(open_with(sealed, entry, "IN", key("IN"), &out), ISX_ENOTFOUND);
    assert_int_equal(open_with(sealed, entry, OUTSIDER, key("IN"), &out), ISX_ECRYPTO);
    assert_int_equal(open_with(sealed, entry, OUTSIDER, parties[1].k, &out), ISX_ECRYPTO);
    /* Nor does it open another object. */
    assert_int_equal(open_with(other, entry, OUTSIDER, key(OUTSIDER), &out), ISX_ECRYPTO);
    assert_int_equal(out.len, 0);

    /* Only a holder of a key entry can grant one. */
    json_t *none = NULL;
    assert_int_equal(isx_seal_rewrap(sealed, "IN", key("IN"), OUTSIDER, party(OUTSIDER)->pk, &none),
                     ISX_ENOTFOUND);
    assert_int_equal(
        isx_seal_rewrap(sealed, origin, parties[1].k, OUTSIDER, party(OUTSIDER)->pk, &none),
        ISX_ECRYPTO);
    assert_int_equal(
        isx_seal_rewrap(sealed, origin, parties[0].k, "XX", party(OUTSIDER)->pk, &none),
        ISX_EINVAL);
    assert_null(none);

    /* A malformed entry is refused before any key is touched. */
    bad = json_deep_copy(entry);
    json_object_set_new(bad, "note", json_string("x"));
    assert_int_equal(open_with(sealed, bad, OUTSIDER, key(OUTSIDER), &out), ISX_EFIELD);
    json_decref(bad);
    bad = json_deep_copy(entry);
    json_object_set_new(bad, "wrapped", json_string("AAAA"));
    assert_int_equal(open_with(sealed, bad, OUTSIDER, key(OUTSIDER), &out), ISX_EFIELD);
    json_decref(bad);
    assert_int_equal(open_with(sealed, json_null(), OUTSIDER, key(OUTSIDER), &out), ISX_EFIELD);
    /* An entry taken from the keys list works as well as a granted one. */
    assert_int_equal(
        open_with(sealed, entry_at(sealed, 0),
                  json_string_value(json_object_get(entry_at(sealed, 0), "party")),
                  key(json_string_value(json_object_get(entry_at(sealed, 0), "party"))), &out),
        0);
    isx_buf_free(&out);
    json_decref(entry);
    json_decref(sealed);
    json_decref(other);
}

/* --- Objects ------------------------------------------------------------------------------ */

static int
keyfn(void *ctx, const char *origin, const char *key_id, uint8_t out[ISX_SIGN_PUBLIC_LEN])
{
    (void)ctx;
    if (strcmp(origin, "CN") != 0 || strcmp(key_id, isx_signer_key_id(signer)) != 0)
        return ISX_EKEY;
    memcpy(out, sign_pk, ISX_SIGN_PUBLIC_LEN);
    return 0;
}

static const char report_body[] = "{\"title\":{\"zh\":\"钓鱼活动\",\"ru\":\"Фишинг\"},\"threat\":"
                                  "\"T3\",\"indicators\":[\"198.51.100.7\"]}";

/* An amber report from CN to RU and KZ, sealed for all three. */
static struct isx_object *
sealed_report(void)
{
    struct isx_seal_recipient r[3] = {{"RU", {0}}, {"CN", {0}}, {"KZ", {0}}};
    struct isx_object *o = NULL;
    size_t i;

    for (i = 0; i < 3; i++)
        memcpy(r[i].box_pk, party(r[i].party)->pk, ISX_BOX_PUBLIC_LEN);
    assert_int_equal(isx_object_new("report", NULL, "CN",
                                    json_pack("{s:s, s:[s,s]}", "tlp", "amber", "to", "RU", "KZ"),
                                    json_loads(report_body, 0, NULL), NULL, &o),
                     0);
    assert_int_equal(isx_object_seal(o, r, 3), 0);
    return o;
}

static struct isx_object *
reparse(const json_t *env)
{
    struct isx_object *p = NULL;
    struct isx_diag d = {0};
    char *text = json_dumps(env, JSON_COMPACT);

    assert_non_null(text);
    assert_int_equal(isx_object_parse(text, strlen(text), &p, &d), 0);
    free(text);
    return p;
}

static void
assert_body(const struct isx_object *o, const char *code, const json_t *entry)
{
    json_t *body = NULL, *want = json_loads(report_body, 0, NULL);

    assert_int_equal(isx_object_open(o, code, key(code), entry, &body), 0);
    assert_true(json_equal(body, want));
    json_decref(body);
    json_decref(want);
}

static void
assert_no_body(const struct isx_object *o, const char *code, const struct isx_box_key *k,
               const json_t *entry, int want)
{
    json_t *body = NULL;

    assert_int_equal(isx_object_open(o, code, k, entry, &body), want);
    assert_null(body);
}

static void
test_object_round_trip(void **state)
{
    struct isx_buf h1 = ISX_BUF_INIT, h2 = ISX_BUF_INIT;
    struct isx_object *o = sealed_report(), *p;
    struct isx_seal_recipient r[1] = {{"RU", {0}}};
    struct isx_diag d = {0};
    json_t *entry = NULL;

    (void)state;
    assert_null(o->body);
    assert_null(json_object_get(o->env, "body"));
    assert_non_null(json_object_get(o->env, "sealed"));
    /* Sealing happens once and before signing. */
    assert_int_equal(isx_object_seal(o, r, 1), ISX_EINVAL);
    assert_int_equal(isx_object_sign(o, signer), 0);
    assert_int_equal(isx_object_verify(o, keyfn, NULL, &d), 0);
    /* The one who sealed can read its own object. */
    assert_body(o, "CN", NULL);

    p = reparse(o->env);
    assert_string_equal(p->hash_hex, o->hash_hex);
    assert_null(p->body);
    assert_int_equal(isx_object_verify(p, keyfn, NULL, &d), 0);
    assert_body(p, "RU", NULL);
    assert_body(p, "KZ", NULL);
    assert_body(p, "CN", NULL);
    assert_no_body(p, "KG", key("KG"), NULL, ISX_ENOTFOUND);
    assert_no_body(p, "RU", key("KZ"), NULL, ISX_ECRYPTO);

    /* The header, the associated data, is the same on both sides and leaves out the body. */
    assert_int_equal(isx_object_header_encode(o->env, &h1), 0);
    assert_int_equal(isx_object_header_encode(p->env, &h2), 0);
    assert_int_equal(h1.len, h2.len);
    assert_memory_equal(h1.data, h2.data, h1.len);
    assert_null(strstr(h1.data, "\"sealed\""));
    assert_null(strstr(h1.data, "\"sig\""));
    assert_non_null(strstr(h1.data, "\"marking\""));
    assert_non_null(strstr(h1.data, p->id));

    /* A release: CN grants UZ the body without resealing the object. */
    assert_int_equal(isx_seal_rewrap(json_object_get(p->env, "sealed"), "CN", key("CN"), "UZ",
                                     party("UZ")->pk, &entry),
                     0);
    assert_no_body(p, "UZ", key("UZ"), NULL, ISX_ENOTFOUND);
    assert_body(p, "UZ", entry);
    assert_no_body(p, "KG", key("KG"), entry, ISX_ENOTFOUND);
    json_decref(entry);

    isx_object_free(p);
    isx_object_free(o);
    isx_buf_free(&h1);
    isx_buf_free(&h2);
}

static void
test_object_seal_rules(void **state)
{
    struct isx_seal_recipient r[2] = {{"RU", {0}}, {"UZ", {0}}};
    struct isx_object *o = NULL;
    json_t *body = NULL;
    char *before;

    (void)state;
    memcpy(r[0].box_pk, party("RU")->pk, ISX_BOX_PUBLIC_LEN);
    memcpy(r[1].box_pk, party("UZ")->pk, ISX_BOX_PUBLIC_LEN);
    assert_int_equal(isx_object_new("report", NULL, "CN",
                                    json_pack("{s:s, s:[s]}", "tlp", "amber", "to", "RU"),
                                    json_loads(report_body, 0, NULL), NULL, &o),
                     0);
    before = json_dumps(o->env, JSON_SORT_KEYS);
    /* UZ is not in the marking: no key for it, and the object is as it was. */
    assert_int_equal(isx_object_seal(o, r, 2), ISX_EMARKING);
    assert_int_equal(isx_object_seal(o, r, 0), ISX_EINVAL);
    char *after = json_dumps(o->env, JSON_SORT_KEYS);
    assert_string_equal(before, after);
    free(after);
    assert_non_null(o->body);
    /* A clear object has nothing to open. */
    assert_no_body(o, "RU", key("RU"), NULL, ISX_EINVAL);
    assert_int_equal(isx_object_seal(o, r, 1), 0);
    assert_int_equal(isx_object_open(o, "RU", key("RU"), NULL, &body), 0);
    json_decref(body);
    free(before);
    isx_object_free(o);

    /* A signed object cannot be sealed: its signature would no longer cover it. */
    assert_int_equal(isx_object_new("report", NULL, "CN",
                                    json_pack("{s:s, s:[s]}", "tlp", "amber", "to", "RU"),
                                    json_loads(report_body, 0, NULL), NULL, &o),
                     0);
    assert_int_equal(isx_object_sign(o, signer), 0);
    assert_int_equal(isx_object_seal(o, r, 1), ISX_EINVAL);
    isx_object_free(o);
}

/* Changing the header of a sealed object breaks both the signature and the sealing. */
static void
test_object_header_bound(void **state)
{
    static const char *const changes[] = {"to", "id", "version", "tlp", "labels"};
    struct isx_object *o = sealed_report(), *p;
    struct isx_diag d;
    char id[80];
    size_t i;

    (void)state;
    assert_int_equal(isx_object_sign(o, signer), 0);
    for (i = 0; i < sizeof(changes) / sizeof(changes[0]); i++) {
        json_t *env = json_deep_copy(o->env);
        if (strcmp(changes[i], "to") == 0) {
            json_array_append_new(json_object_get(json_object_get(env, "marking"), "to"),
                                  json_string("UZ"));
        } else if (strcmp(changes[i], "id") == 0) {
            snprintf(id, sizeof(id), "%.*s0", (int)strlen(o->id) - 1, o->id);
            if (strcmp(id, o->id) == 0)
                id[strlen(id) - 1] = '1';
            json_object_set_new(env, "id", json_string(id));
        } else if (strcmp(changes[i], "version") == 0) {
            json_object_set_new(env, "version", json_string("2030-01-01T00:00:00.000Z"));
        } else if (strcmp(changes[i], "tlp") == 0) {
            json_object_set_new(json_object_get(env, "marking"), "tlp", json_string("red"));
        } else {
            json_object_set_new(json_object_get(env, "marking"), "labels",
                                json_pack("[s]", "для служебного пользования"));
        }
        p = reparse(env);
        memset(&d, 0, sizeof(d));
        assert_int_equal(isx_object_verify(p, keyfn, NULL, &d), ISX_ESIG);
        assert_no_body(p, "RU", key("RU"), NULL, ISX_ECRYPTO);
        isx_object_free(p);
        json_decref(env);
    }
    isx_object_free(o);
}

/* The signature covers the keys list: no entry can be dropped, added or replaced. */
static void
test_object_keys_signed(void **state)
{
    struct isx_object *o = sealed_report(), *p;
    json_t *env, *keys, *entry = NULL;
    struct isx_diag d;
    size_t i;

    (void)state;
    assert_int_equal(isx_object_sign(o, signer), 0);
    for (i = 0; i < 3; i++) {
        env = json_deep_copy(o->env);
        keys = json_object_get(json_object_get(env, "sealed"), "keys");
        if (i == 0) {
            json_array_remove(keys, 0);
        } else if (i == 1) {
            /* A fresh wrapping of the right content key for RU still opens, yet is refused. */
            assert_int_equal(isx_seal_rewrap(json_object_get(o->env, "sealed"), "CN", key("CN"),
                                             "RU", party("RU")->pk, &entry),
                             0);
            json_array_set_new(keys, 2, entry);
        } else {
            json_t *w = json_incref(json_object_get(json_array_get(keys, 0), "wrapped"));
            json_object_set(json_array_get(keys, 0), "wrapped",
                            json_object_get(json_array_get(keys, 1), "wrapped"));
            json_object_set_new(json_array_get(keys, 1), "wrapped", w);
        }
        p = reparse(env);
        memset(&d, 0, sizeof(d));
        assert_int_equal(isx_object_verify(p, keyfn, NULL, &d), ISX_ESIG);
        assert_string_equal(d.field, "sig[0]");
        if (i == 1)
            assert_body(p, "RU", NULL);
        isx_object_free(p);
        json_decref(env);
    }
    isx_object_free(o);
}

static void
parse_fails(json_t *env, const char *field, const char *key_name)
{
    struct isx_object *p = NULL;
    struct isx_diag d = {0};
    char *text = json_dumps(env, JSON_COMPACT);

    assert_int_equal(isx_object_parse(text, strlen(text), &p, &d), ISX_EFIELD);
    assert_null(p);
    assert_string_equal(d.field, field);
    assert_string_equal(d.key, key_name);
    free(text);
    json_decref(env);
}

static void
test_object_parse_strict(void **state)
{
    struct isx_object *o = sealed_report();
    json_t *env, *sealed;

    (void)state;
    assert_int_equal(isx_object_sign(o, signer), 0);

    env = json_deep_copy(o->env);
    json_object_set_new(json_array_get(json_object_get(json_object_get(env, "sealed"), "keys"), 1),
                        "wrapped", json_string("AAAA"));
    parse_fails(env, "sealed.keys[1].wrapped", "seal.length");

    env = json_deep_copy(o->env);
    json_object_set_new(json_object_get(env, "sealed"), "tag", json_string(""));
    parse_fails(env, "sealed.tag", "schema.unknown");

    env = json_deep_copy(o->env);
    json_object_set_new(json_object_get(env, "sealed"), "keys", json_array());
    parse_fails(env, "sealed.keys", "seal.keys");

    /* Both body and sealed, or sealed not an object, as before. */
    env = json_deep_copy(o->env);
    json_object_set_new(env, "body", json_object());
    parse_fails(env, "body", "object.body");
    env = json_deep_copy(o->env);
    json_object_set_new(env, "sealed", json_string("x"));
    parse_fails(env, "sealed", "object.body");

    /* A key for a party the marking leaves out (keys: CN, KZ, RU; to: RU only). */
    env = json_deep_copy(o->env);
    json_object_set_new(json_object_get(env, "marking"), "to", json_pack("[s]", "RU"));
    parse_fails(env, "sealed.keys[1].party", "seal.party_marking");
    isx_object_free(o);

    /* A sealed body that is not a JSON object is refused on opening. */
    assert_int_equal(isx_object_new("report", NULL, "CN",
                                    json_pack("{s:s, s:[s]}", "tlp", "amber", "to", "RU"),
                                    json_object(), NULL, &o),
                     0);
    {
        struct isx_seal_recipient r[1] = {{"RU", {0}}};
        struct isx_buf h = ISX_BUF_INIT;
        json_t *body = NULL;

        memcpy(r[0].box_pk, party("RU")->pk, ISX_BOX_PUBLIC_LEN);
        assert_int_equal(isx_object_header_encode(o->env, &h), 0);
        assert_int_equal(isx_seal(h.data, h.len, "[1]", 3, r, 1, &sealed), 0);
        json_object_del(o->env, "body");
        json_object_set_new(o->env, "sealed", sealed);
        assert_int_equal(isx_object_open(o, "RU", key("RU"), NULL, &body), ISX_EFIELD);
        assert_null(body);
        isx_buf_free(&h);
    }
    isx_object_free(o);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),          cmocka_unit_test(test_fresh_key_and_nonce),
        cmocka_unit_test(test_empty_body),          cmocka_unit_test(test_seal_arguments),
        cmocka_unit_test(test_foreign_key),         cmocka_unit_test(test_tampering),
        cmocka_unit_test(test_malformed),           cmocka_unit_test(test_rewrap),
        cmocka_unit_test(test_object_round_trip),   cmocka_unit_test(test_object_seal_rules),
        cmocka_unit_test(test_object_header_bound), cmocka_unit_test(test_object_keys_signed),
        cmocka_unit_test(test_object_parse_strict),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
