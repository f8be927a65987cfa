/*
 * X25519 encryption keys for per-recipient sealing. Invariants as for signing keys: the
 * secret lives only in sodium_malloc memory, read-only once built and wiped when freed; key
 * files are "isx-x25519-secret <base64>\n", created 0600 and refused when others can read.
 */
#include <string.h>

#include <sodium.h>

#include "isx/error.h"
#include "isx/hash.h"
#include "isx/sign.h"
#include "keys.h"

_Static_assert(crypto_box_PUBLICKEYBYTES == ISX_BOX_PUBLIC_LEN, "box public key size");
_Static_assert(crypto_box_SECRETKEYBYTES == ISX_BOX_SECRET_LEN, "box secret key size");

#define BOX_PREFIX "isx-x25519-secret "

static int
key_alloc(struct isx_box_key **out)
{
    struct isx_box_key *k;
    int rc = isx_crypto_init();

    if (rc != 0)
        return rc;
    k = sodium_malloc(sizeof(*k));
    if (k == NULL)
        return ISX_ENOMEM;
    *out = k;
    return 0;
}

int
isx_box_key_generate(struct isx_box_key **out)
{
    struct isx_box_key *k;
    int rc = key_alloc(&k);

    if (rc != 0)
        return rc;
    if (crypto_box_keypair(k->pk, k->sk) != 0 || sodium_mprotect_readonly(k) != 0) {
        sodium_free(k);
        return ISX_ECRYPTO;
    }
    *out = k;
    return 0;
}

void
isx_box_key_free(struct isx_box_key *k)
{
    if (k != NULL)
        sodium_free(k);
}

void
isx_box_key_public(const struct isx_box_key *k, uint8_t pk[ISX_BOX_PUBLIC_LEN])
{
    memcpy(pk, k->pk, ISX_BOX_PUBLIC_LEN);
}

int
isx_box_key_save(const struct isx_box_key *k, const char *path)
{
    return isx_keyfile_save(path, BOX_PREFIX, k->sk, sizeof(k->sk));
}

int
isx_box_key_load(const char *path, struct isx_box_key **out)
{
    struct isx_box_key *k;
    int rc = key_alloc(&k);

    if (rc != 0)
        return rc;
    rc = isx_keyfile_load(path, BOX_PREFIX, k->sk, sizeof(k->sk));
    /* Only the secret is stored; the public key is derived, as crypto_box_keypair does. */
    if (rc == 0 && crypto_scalarmult_base(k->pk, k->sk) != 0)
        rc = ISX_EINVAL;
    if (rc == 0 && sodium_mprotect_readonly(k) != 0)
        rc = ISX_ECRYPTO;
    if (rc != 0) {
        sodium_free(k);
        return rc;
    }
    *out = k;
    return 0;
}
