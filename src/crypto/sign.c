/*
 * Ed25519 signing keys, signatures, signed-note key ids and the key files shared with box.c.
 * Invariants: a secret key exists only in sodium_malloc memory that is read-only after it is
 * built and wiped when freed; every stack copy of secret text is wiped before returning; a
 * key file is created 0600 and never overwritten, and is refused when others can read it.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "isx/error.h"
#include "isx/hash.h"
#include "isx/sign.h"
#include "keys.h"

/* The longest key-file line: a prefix plus a 32-byte secret in base64 and the newline. */
#define KEYFILE_MAX 128

static int
key_alloc(struct isx_sign_key **out)
{
    struct isx_sign_key *k;
    int rc = isx_crypto_init();

    if (rc != 0)
        return rc;
    k = sodium_malloc(sizeof(*k));
    if (k == NULL)
        return ISX_ENOMEM;
    *out = k;
    return 0;
}

/* Expands k->seed into the key pair and seals the page against writes. */
static int
key_finish(struct isx_sign_key *k)
{
    if (crypto_sign_seed_keypair(k->pk, k->sk, k->seed) != 0)
        return ISX_ECRYPTO;
    if (sodium_mprotect_readonly(k) != 0)
        return ISX_ECRYPTO;
    return 0;
}

int
isx_sign_key_generate(struct isx_sign_key **out)
{
    struct isx_sign_key *k;
    int rc = key_alloc(&k);

    if (rc != 0)
        return rc;
    randombytes_buf(k->seed, sizeof(k->seed));
    rc = key_finish(k);
    if (rc != 0) {
        sodium_free(k);
        return rc;
    }
    *out = k;
    return 0;
}

int
isx_sign_key_from_seed(const uint8_t seed[ISX_SIGN_SEED_LEN], struct isx_sign_key **out)
{
    struct isx_sign_key *k;
    int rc = key_alloc(&k);

    if (rc != 0)
        return rc;
    memcpy(k->seed, seed, sizeof(k->seed));
    rc = key_finish(k);
    if (rc != 0) {
        sodium_free(k);
        return rc;
    }
    *out = k;
    return 0;
}

void
isx_sign_key_free(struct isx_sign_key *k)
{
    /* sodium_free makes the pages writable again, wipes them and checks the canary. */
    if (k != NULL)
        sodium_free(k);
}

void
isx_sign_key_public(const struct isx_sign_key *k, uint8_t pk[ISX_SIGN_PUBLIC_LEN])
{
    memcpy(pk, k->pk, ISX_SIGN_PUBLIC_LEN);
}

int
isx_sign_key_save(const struct isx_sign_key *k, const char *path)
{
    return isx_keyfile_save(path, "isx-ed25519-secret ", k->seed, sizeof(k->seed));
}

int
isx_sign_key_load(const char *path, struct isx_sign_key **out)
{
    struct isx_sign_key *k;
    int rc = key_alloc(&k);

    if (rc != 0)
        return rc;
    rc = isx_keyfile_load(path, "isx-ed25519-secret ", k->seed, sizeof(k->seed));
    if (rc == 0)
        rc = key_finish(k);
    if (rc != 0) {
        sodium_free(k);
        return rc;
    }
    *out = k;
    return 0;
}

int
isx_sign(const struct isx_sign_key *k, const void *msg, size_t len, uint8_t sig[ISX_SIGN_SIG_LEN])
{
    static const unsigned char empty[1];

    /* No sodium_init here: a key exists only after it ran, and the signer's child process
     * calls this after fork, where taking the init lock would not be safe. */
    if (crypto_sign_detached(sig, NULL, msg != NULL ? msg : empty, len, k->sk) != 0)
        return ISX_ECRYPTO;
    return 0;
}

int
isx_sign_verify(const uint8_t pk[ISX_SIGN_PUBLIC_LEN], const void *msg, size_t len,
                const uint8_t sig[ISX_SIGN_SIG_LEN])
{
    static const unsigned char empty[1];

    if (isx_crypto_init() != 0)
        return ISX_ECRYPTO;
    if (crypto_sign_verify_detached(sig, msg != NULL ? msg : empty, len, pk) != 0)
        return ISX_ESIG;
    return 0;
}

void
isx_sign_key_id(const char *name, const uint8_t pk[ISX_SIGN_PUBLIC_LEN], char out[9])
{
    static const uint8_t sep[2] = {0x0a, 0x01}; /* newline, then signature type Ed25519 */
    struct isx_sha256_ctx c;
    uint8_t h[ISX_SHA256_LEN];

    isx_sha256_init(&c);
    isx_sha256_update(&c, name, strlen(name));
    isx_sha256_update(&c, sep, sizeof(sep));
    isx_sha256_update(&c, pk, ISX_SIGN_PUBLIC_LEN);
    isx_sha256_final(&c, h);
    isx_hex_encode(h, 4, out);
}

/* --- Key files -------------------------------------------------------------------------- */

static int
write_all(int fd, const char *p, size_t len)
{
    ssize_t w;

    while (len > 0) {
        w = write(fd, p, len);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return ISX_EIO;
        p += w;
        len -= (size_t)w;
    }
    return 0;
}

int
isx_keyfile_save(const char *path, const char *prefix, const uint8_t *secret, size_t len)
{
    char line[KEYFILE_MAX];
    size_t plen = strlen(prefix), n;
    int fd, rc;

    if (path == NULL || plen + isx_base64_len(len) + 1 > sizeof(line))
        return ISX_EINVAL;
    memcpy(line, prefix, plen);
    isx_base64_encode(secret, len, line + plen);
    n = strlen(line);
    line[n++] = '\n';
    /* O_EXCL refuses an existing file and any symbolic link in its place. */
    fd = open(path, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC | O_NOCTTY, 0600);
    if (fd < 0) {
        rc = errno == EEXIST ? ISX_EEXISTS : ISX_EIO;
        goto done;
    }
    /* The umask may only take bits away; fchmod makes the owner able to read it back. */
    rc = fchmod(fd, 0600) == 0 ? 0 : ISX_EIO;
    if (rc == 0)
        rc = write_all(fd, line, n);
    if (rc == 0 && fsync(fd) != 0)
        rc = ISX_EIO;
    if (close(fd) != 0 && rc == 0)
        rc = ISX_EIO;
    /* A half-written key file would only fail later, at load, with a worse message. */
    if (rc != 0)
        unlink(path);
done:
    isx_memzero(line, sizeof(line));
    return rc;
}

int
isx_keyfile_load(const char *path, const char *prefix, uint8_t *secret, size_t len)
{
    char text[KEYFILE_MAX + 1];
    size_t plen = strlen(prefix), n = 0, got, b64len = isx_base64_len(len) - 1;
    struct stat st;
    ssize_t r;
    int fd, rc = 0;

    if (path == NULL || plen + b64len + 1 > KEYFILE_MAX)
        return ISX_EINVAL;
    /* O_NONBLOCK keeps a FIFO planted at the path from hanging the daemon at startup. */
    fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0)
        return errno == ENOENT ? ISX_ENOTFOUND : ISX_EIO;
    if (fstat(fd, &st) != 0) {
        rc = ISX_EIO;
        goto done;
    }
    if (!S_ISREG(st.st_mode)) {
        rc = ISX_EINVAL;
        goto done;
    }
    if ((st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
        rc = ISX_EPERM;
        goto done;
    }
    /* Read one byte past the longest valid file so an overlong one is seen as such. */
    while (n < sizeof(text)) {
        r = read(fd, text + n, sizeof(text) - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            rc = ISX_EIO;
            goto done;
        }
        if (r == 0)
            break;
        n += (size_t)r;
    }
    if (n != plen + b64len + 1 || memcmp(text, prefix, plen) != 0 || text[n - 1] != '\n' ||
        isx_base64_decode(text + plen, b64len, secret, len, &got) != 0 || got != len) {
        rc = ISX_EINVAL;
        goto done;
    }
done:
    isx_memzero(text, sizeof(text));
    close(fd);
    return rc;
}
