/*
 * Sealing and opening of object bodies (include/isx/seal.h): XChaCha20-Poly1305 under a random
 * content key, the key wrapped per recipient in an X25519 sealed box. This file owns the
 * "sealed" JSON shape and its strict reading.
 *
 * Invariants: the content key exists only in sodium_malloc memory and is wiped (sodium_free)
 * on every path; nothing is decrypted from a "sealed" member that has not passed the full
 * shape check; plaintext is written once, straight into the caller's buffer, and only after
 * the tag has verified (libsodium decrypts after checking the tag); out-parameters are set on
 * success only.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "isx/hash.h"
#include "isx/seal.h"
#include "isx/taxonomy.h"
#include "keys.h"

_Static_assert(crypto_aead_xchacha20poly1305_ietf_KEYBYTES == ISX_SEAL_KEY_LEN, "content key");
_Static_assert(crypto_aead_xchacha20poly1305_ietf_NPUBBYTES == ISX_SEAL_NONCE_LEN, "nonce");
_Static_assert(crypto_aead_xchacha20poly1305_ietf_ABYTES == ISX_SEAL_TAG_LEN, "tag");
_Static_assert(crypto_box_SEALBYTES + ISX_SEAL_KEY_LEN == ISX_SEAL_WRAPPED_LEN, "wrapped key");

/* The longest base64 text of a fixed-length member that is worth decoding to say whether it is
 * bad base64 or merely the wrong length; anything longer is the wrong length either way. */
#define FIXED_B64_MAX 160

/* A "sealed" member that passed the shape check, with its binary fields decoded. */
struct sealed_view {
    uint8_t nonce[ISX_SEAL_NONCE_LEN];
    uint8_t *ct; /* malloc'd ciphertext with its tag */
    size_t ct_len;
    const json_t *keys;
};

static void
view_free(struct sealed_view *v)
{
    free(v->ct);
    v->ct = NULL;
}

static int
fail(struct isx_diag *d, const char *path, const char *sub, const char *key, const char *arg)
{
    char field[160];

    snprintf(field, sizeof(field), "%s%s%s", path, path[0] != '\0' ? "." : "", sub);
    return isx_diag_set(d, ISX_EFIELD, field, key, arg);
}

/*
 * Decodes the base64 string `v` that must hold exactly `want` bytes. Returns NULL, or the
 * message key that says what is wrong (and `arg` for it).
 */
static const char *
decode_fixed(const json_t *v, uint8_t *out, size_t want, char arg[16])
{
    uint8_t tmp[FIXED_B64_MAX];
    size_t n = 0;
    const char *why = NULL;

    snprintf(arg, 16, "%zu", want);
    if (!json_is_string(v)) {
        snprintf(arg, 16, "string");
        return "schema.type";
    }
    if (json_string_length(v) > FIXED_B64_MAX)
        return "seal.length";
    if (isx_base64_decode(json_string_value(v), json_string_length(v), tmp, sizeof(tmp), &n) != 0)
        why = "seal.base64";
    else if (n != want)
        why = "seal.length";
    else
        memcpy(out, tmp, want);
    isx_memzero(tmp, sizeof(tmp));
    return why;
}

/*
 * Checks one key entry {"party", "wrapped"}; `sub` is its path below `path` ("keys[1]", or ""
 * for an entry on its own). Decodes the wrapped key into `wrapped`.
 */
static int
check_entry(const json_t *e, const char *path, const char *sub,
            uint8_t wrapped[ISX_SEAL_WRAPPED_LEN], struct isx_diag *d)
{
    char where[96], arg[16];
    const char *key, *why;
    json_t *val;

    if (!json_is_object(e))
        return fail(d, path, sub, "schema.type", "object");
    json_object_foreach((json_t *)e, key, val)
    {
        if (strcmp(key, "party") != 0 && strcmp(key, "wrapped") != 0) {
            snprintf(where, sizeof(where), "%s%s%s", sub, sub[0] != '\0' ? "." : "", key);
            return fail(d, path, where, "schema.unknown", key);
        }
    }
    snprintf(where, sizeof(where), "%s%sparty", sub, sub[0] != '\0' ? "." : "");
    val = json_object_get(e, "party");
    if (val == NULL)
        return fail(d, path, where, "schema.missing", "party");
    if (!isx_party_code_valid(json_string_value(val)))
        return fail(d, path, where, "party.code", json_string_value(val));
    snprintf(where, sizeof(where), "%s%swrapped", sub, sub[0] != '\0' ? "." : "");
    val = json_object_get(e, "wrapped");
    if (val == NULL)
        return fail(d, path, where, "schema.missing", "wrapped");
    if ((why = decode_fixed(val, wrapped, ISX_SEAL_WRAPPED_LEN, arg)) != NULL)
        return fail(d, path, where, why, arg);
    return 0;
}

static int
check_keys(const json_t *keys, const char *path, struct isx_diag *d)
{
    uint8_t wrapped[ISX_SEAL_WRAPPED_LEN];
    const char *prev = NULL;
    char sub[48], max[16];
    size_t i;
    json_t *e;
    int rc;

    snprintf(max, sizeof(max), "%d", ISX_SEAL_MAX_RECIPIENTS);
    if (keys == NULL)
        return fail(d, path, "keys", "schema.missing", "keys");
    if (!json_is_array(keys))
        return fail(d, path, "keys", "schema.type", "array");
    if (json_array_size(keys) == 0 || json_array_size(keys) > ISX_SEAL_MAX_RECIPIENTS)
        return fail(d, path, "keys", "seal.keys", max);
    json_array_foreach(keys, i, e)
    {
        snprintf(sub, sizeof(sub), "keys[%zu]", i);
        if ((rc = check_entry(e, path, sub, wrapped, d)) != 0)
            return rc;
        /* One order and one entry per party, so a sealed member has one spelling and a
         * lookup by party cannot be answered by either of two entries. */
        const char *party = json_string_value(json_object_get(e, "party"));
        snprintf(sub, sizeof(sub), "keys[%zu].party", i);
        if (prev != NULL && strcmp(prev, party) == 0)
            return fail(d, path, sub, "seal.party_dup", party);
        if (prev != NULL && strcmp(prev, party) > 0)
            return fail(d, path, sub, "seal.keys_order", party);
        prev = party;
    }
    return 0;
}

/*
 * The whole shape check. With `view` non-NULL, also hands back the decoded nonce, ciphertext
 * and keys list; the ciphertext is decoded in any case, since that is the only strict check of
 * its base64.
 */
static int
parse_sealed(const json_t *sealed, const char *path, struct isx_diag *d, struct sealed_view *view)
{
    static const size_t ct_b64_max = (ISX_SEAL_MAX_PLAIN + ISX_SEAL_TAG_LEN + 2) / 3 * 4;
    uint8_t nonce[ISX_SEAL_NONCE_LEN], *ct = NULL;
    const char *key, *why;
    char arg[16];
    size_t ct_len = 0;
    json_t *val;
    int rc;

    if (!json_is_object(sealed)) {
        rc = isx_diag_set(d, ISX_EFIELD, path, "schema.type", "object");
        goto done;
    }
    json_object_foreach((json_t *)sealed, key, val)
    {
        if (strcmp(key, "alg") != 0 && strcmp(key, "nonce") != 0 &&
            strcmp(key, "ciphertext") != 0 && strcmp(key, "keys") != 0) {
            rc = fail(d, path, key, "schema.unknown", key);
            goto done;
        }
    }
    val = json_object_get(sealed, "alg");
    if (val == NULL) {
        rc = fail(d, path, "alg", "schema.missing", "alg");
        goto done;
    }
    if (!json_is_string(val) || strcmp(json_string_value(val), ISX_SEAL_ALG) != 0) {
        rc = fail(d, path, "alg", "seal.alg", json_string_value(val));
        goto done;
    }
    val = json_object_get(sealed, "nonce");
    if (val == NULL) {
        rc = fail(d, path, "nonce", "schema.missing", "nonce");
        goto done;
    }
    if ((why = decode_fixed(val, nonce, sizeof(nonce), arg)) != NULL) {
        rc = fail(d, path, "nonce", why, arg);
        goto done;
    }
    val = json_object_get(sealed, "ciphertext");
    if (val == NULL) {
        rc = fail(d, path, "ciphertext", "schema.missing", "ciphertext");
        goto done;
    }
    if (!json_is_string(val)) {
        rc = fail(d, path, "ciphertext", "schema.type", "string");
        goto done;
    }
    snprintf(arg, sizeof(arg), "%zu", ISX_SEAL_MAX_PLAIN);
    if (json_string_length(val) > ct_b64_max) {
        rc = fail(d, path, "ciphertext", "seal.ciphertext", arg);
        goto done;
    }
    /* Base64 never decodes to more than three bytes per four characters. */
    ct = malloc(json_string_length(val) / 4 * 3 + 1);
    if (ct == NULL) {
        rc = ISX_ENOMEM;
        goto done;
    }
    if (isx_base64_decode(json_string_value(val), json_string_length(val), ct,
                          json_string_length(val) / 4 * 3 + 1, &ct_len) != 0) {
        rc = fail(d, path, "ciphertext", "seal.base64", NULL);
        goto done;
    }
    if (ct_len < ISX_SEAL_TAG_LEN || ct_len > ISX_SEAL_MAX_PLAIN + ISX_SEAL_TAG_LEN) {
        rc = fail(d, path, "ciphertext", "seal.ciphertext", arg);
        goto done;
    }
    if ((rc = check_keys(json_object_get(sealed, "keys"), path, d)) != 0)
        goto done;
    if (view != NULL) {
        memcpy(view->nonce, nonce, sizeof(nonce));
        view->ct = ct;
        view->ct_len = ct_len;
        view->keys = json_object_get(sealed, "keys");
        ct = NULL;
    }
    rc = 0;
done:
    free(ct);
    return rc;
}

int
isx_seal_check(const json_t *sealed, const char *path, struct isx_diag *d)
{
    return parse_sealed(sealed, path != NULL ? path : "", d, NULL);
}

/* The entry of `party` in a checked keys list, or NULL. */
static const json_t *
find_entry(const json_t *keys, const char *party)
{
    size_t i;
    json_t *e;

    json_array_foreach(keys, i, e)
    {
        if (strcmp(json_string_value(json_object_get(e, "party")), party) == 0)
            return e;
    }
    return NULL;
}

/* Opens a wrapped content key with the box key pair into guarded memory. */
static int
unwrap(const uint8_t wrapped[ISX_SEAL_WRAPPED_LEN], const struct isx_box_key *k,
       unsigned char **key)
{
    unsigned char *ck = sodium_malloc(ISX_SEAL_KEY_LEN);

    if (ck == NULL)
        return ISX_ENOMEM;
    if (crypto_box_seal_open(ck, wrapped, ISX_SEAL_WRAPPED_LEN, k->pk, k->sk) != 0) {
        sodium_free(ck);
        return ISX_ECRYPTO;
    }
    *key = ck;
    return 0;
}

/*
 * Decrypts the ciphertext of `v` with the content key and appends the plaintext to `plain`.
 * The plaintext is written once, into `plain` itself: the buffer first grows by the plaintext
 * length (filled with ciphertext bytes as a placeholder) so no copy of the body is left in
 * memory that this module frees.
 */
static int
decrypt_into(const struct sealed_view *v, const unsigned char *key, const void *aad, size_t aad_len,
             struct isx_buf *plain)
{
    size_t mlen = v->ct_len - ISX_SEAL_TAG_LEN, old = plain->len;
    unsigned long long got = 0;
    int rc;

    if ((rc = isx_buf_append(plain, v->ct, mlen)) != 0)
        return rc;
    if (crypto_aead_xchacha20poly1305_ietf_decrypt((unsigned char *)plain->data + old, &got, NULL,
                                                   v->ct, v->ct_len, aad, aad_len, v->nonce,
                                                   key) != 0 ||
        got != mlen) {
        isx_memzero(plain->data + old, mlen);
        plain->len = old;
        plain->data[old] = '\0';
        return ISX_ECRYPTO;
    }
    return 0;
}

/* Opens `v` with the wrapped key of an entry already checked. */
static int
open_entry(const struct sealed_view *v, const json_t *entry, const void *aad, size_t aad_len,
           const struct isx_box_key *k, struct isx_buf *plain)
{
    uint8_t wrapped[ISX_SEAL_WRAPPED_LEN];
    unsigned char *key = NULL;
    char arg[16];
    int rc;

    if (decode_fixed(json_object_get(entry, "wrapped"), wrapped, sizeof(wrapped), arg) != NULL) {
        rc = ISX_EFIELD;
        goto done;
    }
    if ((rc = unwrap(wrapped, k, &key)) != 0)
        goto done;
    rc = decrypt_into(v, key, aad, aad_len, plain);
done:
    if (key != NULL)
        sodium_free(key);
    return rc;
}

int
isx_seal_open(const json_t *sealed, const void *aad, size_t aad_len, const char *party,
              const struct isx_box_key *k, struct isx_buf *plain)
{
    struct sealed_view v = {{0}, NULL, 0, NULL};
    const json_t *entry;
    int rc;

    if (party == NULL || k == NULL || plain == NULL || (aad == NULL && aad_len != 0)) {
        rc = ISX_EINVAL;
        goto done;
    }
    if ((rc = isx_crypto_init()) != 0 || (rc = parse_sealed(sealed, "", NULL, &v)) != 0)
        goto done;
    if ((entry = find_entry(v.keys, party)) == NULL) {
        rc = ISX_ENOTFOUND;
        goto done;
    }
    rc = open_entry(&v, entry, aad, aad_len, k, plain);
done:
    view_free(&v);
    return rc;
}

int
isx_seal_open_with(const json_t *sealed, const json_t *key_entry, const void *aad, size_t aad_len,
                   const char *party, const struct isx_box_key *k, struct isx_buf *plain)
{
    struct sealed_view v = {{0}, NULL, 0, NULL};
    uint8_t wrapped[ISX_SEAL_WRAPPED_LEN];
    int rc;

    if (party == NULL || k == NULL || plain == NULL || (aad == NULL && aad_len != 0)) {
        rc = ISX_EINVAL;
        goto done;
    }
    if ((rc = isx_crypto_init()) != 0 || (rc = parse_sealed(sealed, "", NULL, &v)) != 0 ||
        (rc = check_entry(key_entry, "", "", wrapped, NULL)) != 0)
        goto done;
    if (strcmp(json_string_value(json_object_get(key_entry, "party")), party) != 0) {
        rc = ISX_ENOTFOUND;
        goto done;
    }
    rc = open_entry(&v, key_entry, aad, aad_len, k, plain);
done:
    view_free(&v);
    return rc;
}

/* A key entry {"party", "wrapped"} holding the content key sealed to `pk`. */
static int
wrap_entry(const unsigned char *key, const char *party, const uint8_t pk[ISX_BOX_PUBLIC_LEN],
           json_t **out)
{
    uint8_t wrapped[ISX_SEAL_WRAPPED_LEN];
    char b64[ISX_SEAL_WRAPPED_LEN / 3 * 4 + 8];
    json_t *e;

    /* crypto_box_seal refuses a public key of small order, which no honest party has. */
    if (crypto_box_seal(wrapped, key, ISX_SEAL_KEY_LEN, pk) != 0)
        return ISX_ECRYPTO;
    isx_base64_encode(wrapped, sizeof(wrapped), b64);
    e = json_pack("{s:s, s:s}", "party", party, "wrapped", b64);
    if (e == NULL)
        return ISX_ENOMEM;
    *out = e;
    return 0;
}

int
isx_seal_rewrap(const json_t *sealed, const char *party, const struct isx_box_key *k,
                const char *new_party, const uint8_t new_pk[ISX_BOX_PUBLIC_LEN], json_t **key_entry)
{
    struct sealed_view v = {{0}, NULL, 0, NULL};
    uint8_t wrapped[ISX_SEAL_WRAPPED_LEN];
    unsigned char *key = NULL;
    const json_t *entry;
    char arg[16];
    int rc;

    if (party == NULL || k == NULL || new_pk == NULL || !isx_party_code_valid(new_party)) {
        rc = ISX_EINVAL;
        goto done;
    }
    if ((rc = isx_crypto_init()) != 0 || (rc = parse_sealed(sealed, "", NULL, &v)) != 0)
        goto done;
    if ((entry = find_entry(v.keys, party)) == NULL) {
        rc = ISX_ENOTFOUND;
        goto done;
    }
    if (decode_fixed(json_object_get(entry, "wrapped"), wrapped, sizeof(wrapped), arg) != NULL) {
        rc = ISX_EFIELD;
        goto done;
    }
    if ((rc = unwrap(wrapped, k, &key)) != 0)
        goto done;
    rc = wrap_entry(key, new_party, new_pk, key_entry);
done:
    if (key != NULL)
        sodium_free(key);
    view_free(&v);
    return rc;
}

static int
cmp_recipient(const void *a, const void *b)
{
    const struct isx_seal_recipient *const *ra = a, *const *rb = b;

    return strcmp((*ra)->party, (*rb)->party);
}

int
isx_seal(const void *aad, size_t aad_len, const void *plain, size_t len,
         const struct isx_seal_recipient *r, size_t nr, json_t **sealed)
{
    const struct isx_seal_recipient **sorted = NULL;
    uint8_t nonce[ISX_SEAL_NONCE_LEN], *ct = NULL;
    char nonce_b64[ISX_SEAL_NONCE_LEN / 3 * 4 + 4], *ct_b64 = NULL;
    unsigned long long ct_len = 0;
    unsigned char *key = NULL;
    json_t *out = NULL, *keys = NULL, *e = NULL;
    size_t i;
    int rc;

    if (r == NULL || nr == 0 || nr > ISX_SEAL_MAX_RECIPIENTS || (plain == NULL && len != 0) ||
        (aad == NULL && aad_len != 0)) {
        rc = ISX_EINVAL;
        goto done;
    }
    if (len > ISX_SEAL_MAX_PLAIN) {
        rc = ISX_ETOOBIG;
        goto done;
    }
    if ((rc = isx_crypto_init()) != 0)
        goto done;
    /* The keys list goes out sorted by party, as the reader requires. */
    if ((sorted = malloc(nr * sizeof(*sorted))) == NULL) {
        rc = ISX_ENOMEM;
        goto done;
    }
    for (i = 0; i < nr; i++) {
        if (!isx_party_code_valid(r[i].party)) {
            rc = ISX_EINVAL;
            goto done;
        }
        sorted[i] = &r[i];
    }
    qsort(sorted, nr, sizeof(*sorted), cmp_recipient);
    for (i = 1; i < nr; i++) {
        if (strcmp(sorted[i - 1]->party, sorted[i]->party) == 0) {
            rc = ISX_EINVAL;
            goto done;
        }
    }

    rc = ISX_ENOMEM;
    if ((key = sodium_malloc(ISX_SEAL_KEY_LEN)) == NULL ||
        (ct = malloc(len + ISX_SEAL_TAG_LEN)) == NULL ||
        (ct_b64 = malloc(isx_base64_len(len + ISX_SEAL_TAG_LEN))) == NULL)
        goto done;
    crypto_aead_xchacha20poly1305_ietf_keygen(key);
    /* A random 192-bit nonce is safe under a key that is itself fresh for every body. */
    randombytes_buf(nonce, sizeof(nonce));
    if (crypto_aead_xchacha20poly1305_ietf_encrypt(ct, &ct_len, plain, len, aad, aad_len, NULL,
                                                   nonce, key) != 0) {
        rc = ISX_ECRYPTO;
        goto done;
    }
    isx_base64_encode(ct, (size_t)ct_len, ct_b64);
    isx_base64_encode(nonce, sizeof(nonce), nonce_b64);

    if ((keys = json_array()) == NULL)
        goto done;
    for (i = 0; i < nr; i++) {
        if ((rc = wrap_entry(key, sorted[i]->party, sorted[i]->box_pk, &e)) != 0)
            goto done;
        if (json_array_append_new(keys, e) != 0) {
            e = NULL;
            rc = ISX_ENOMEM;
            goto done;
        }
        e = NULL;
    }
    rc = ISX_ENOMEM;
    if ((out = json_object()) == NULL ||
        json_object_set_new(out, "alg", json_string(ISX_SEAL_ALG)) != 0 ||
        json_object_set_new(out, "nonce", json_string(nonce_b64)) != 0 ||
        json_object_set_new(out, "ciphertext", json_string(ct_b64)) != 0)
        goto done;
    rc = json_object_set_new(out, "keys", keys);
    keys = NULL;
    if (rc != 0) {
        rc = ISX_ENOMEM;
        goto done;
    }
    *sealed = out;
    out = NULL;
    rc = 0;
done:
    if (key != NULL)
        sodium_free(key);
    free(sorted);
    free(ct);
    free(ct_b64);
    json_decref(keys);
    json_decref(out);
    return rc;
}
