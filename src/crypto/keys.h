/*
 * Internal to src/crypto/: the layout of secret keys and the key-file helpers that sign.c
 * and box.c share. The sealing code needs the box secret, so the structures live here rather
 * than in the public header, where no other module can reach a secret key.
 */
#ifndef ISX_CRYPTO_KEYS_H
#define ISX_CRYPTO_KEYS_H

#include <stddef.h>
#include <stdint.h>

#include "isx/sign.h"

/* Both live in sodium_malloc memory, read-only once built, wiped by sodium_free. */
struct isx_sign_key {
    uint8_t seed[ISX_SIGN_SEED_LEN];
    uint8_t sk[64]; /* libsodium's expanded form: seed || public key */
    uint8_t pk[ISX_SIGN_PUBLIC_LEN];
};

struct isx_box_key {
    uint8_t sk[ISX_BOX_SECRET_LEN];
    uint8_t pk[ISX_BOX_PUBLIC_LEN];
};

/*
 * Writes "<prefix><base64 secret>\n" to a new file of mode 0600; ISX_EEXISTS if the path
 * exists, ISX_EIO on any other failure (and then no file is left behind).
 */
int isx_keyfile_save(const char *path, const char *prefix, const uint8_t *secret, size_t len);

/*
 * Reads exactly `len` secret bytes from such a file into `secret`, which should be guarded
 * memory that the caller discards on failure. ISX_ENOTFOUND if the file does not exist,
 * ISX_EPERM if group or others have any permission on it, ISX_EINVAL if it is not exactly one
 * well-formed line, ISX_EIO otherwise.
 */
int isx_keyfile_load(const char *path, const char *prefix, uint8_t *secret, size_t len);

#endif
