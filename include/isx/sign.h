/*
 * Signing keys and signatures. Ed25519 (RFC 8032, pure) is the suite every node has; the
 * suite name travels with each signature so SM2 and GOST can join later. Secret keys live in
 * guarded memory (sodium_malloc) and are wiped when freed.
 *
 * The key id is the C2SP signed-note key id: the first 4 bytes of
 * SHA-256(name || 0x0A || 0x01 || public key), printed as 8 lowercase hex digits, where
 * `name` is the node's name. Checkpoints and objects therefore share one key id.
 */
#ifndef ISX_SIGN_H
#define ISX_SIGN_H

#include <stddef.h>
#include <stdint.h>

#define ISX_SIGN_PUBLIC_LEN 32
#define ISX_SIGN_SEED_LEN   32
#define ISX_SIGN_SIG_LEN    64
#define ISX_BOX_PUBLIC_LEN  32
#define ISX_BOX_SECRET_LEN  32

struct isx_sign_key; /* opaque: seed + expanded secret key in guarded memory */

/* Generates a fresh Ed25519 key pair. */
int isx_sign_key_generate(struct isx_sign_key **out);
/* Builds the key from a 32-byte seed (RFC 8032 test vectors, stored keys). */
int isx_sign_key_from_seed(const uint8_t seed[ISX_SIGN_SEED_LEN], struct isx_sign_key **out);
void isx_sign_key_free(struct isx_sign_key *k);
void isx_sign_key_public(const struct isx_sign_key *k, uint8_t pk[ISX_SIGN_PUBLIC_LEN]);

/*
 * Key files hold one line: "isx-ed25519-secret <base64 seed>\n" (or "isx-x25519-secret ..."
 * for box keys). Saving creates the file with mode 0600 and refuses to overwrite. Loading
 * refuses a file that group or others can read (ISX_EPERM) and a malformed one (ISX_EINVAL).
 */
int isx_sign_key_save(const struct isx_sign_key *k, const char *path);
int isx_sign_key_load(const char *path, struct isx_sign_key **out);

/* Detached pure-Ed25519 signature over msg. */
int isx_sign(const struct isx_sign_key *k, const void *msg, size_t len,
             uint8_t sig[ISX_SIGN_SIG_LEN]);
/* 0 when the signature verifies, ISX_ESIG otherwise. */
int isx_sign_verify(const uint8_t pk[ISX_SIGN_PUBLIC_LEN], const void *msg, size_t len,
                    const uint8_t sig[ISX_SIGN_SIG_LEN]);

/* The signed-note key id of (name, pk) as 8 hex digits; out has room for 9. */
void isx_sign_key_id(const char *name, const uint8_t pk[ISX_SIGN_PUBLIC_LEN], char out[9]);

/* X25519 encryption key (for per-recipient sealing), kept like the signing key. */
struct isx_box_key;
int isx_box_key_generate(struct isx_box_key **out);
void isx_box_key_free(struct isx_box_key *k);
void isx_box_key_public(const struct isx_box_key *k, uint8_t pk[ISX_BOX_PUBLIC_LEN]);
int isx_box_key_save(const struct isx_box_key *k, const char *path);
int isx_box_key_load(const char *path, struct isx_box_key **out);

/*
 * The signer: the only holder of the node's secret signing key inside isxd. `isx_signer_spawn`
 * forks a small process that keeps the key and answers a fixed table of requests (public
 * key, sign) over a socketpair, so a bug in request parsing in the daemon cannot read the
 * key. `isx_signer_local` keeps the key in-process (the CLI and tests). Both are safe to call
 * from several threads.
 */
struct isx_signer;

/* Takes ownership of `key` in both cases. */
int isx_signer_local(struct isx_sign_key *key, const char *name, struct isx_signer **out);
int isx_signer_spawn(struct isx_sign_key *key, const char *name, struct isx_signer **out);
void isx_signer_free(struct isx_signer *s);

int isx_signer_sign(struct isx_signer *s, const void *msg, size_t len,
                    uint8_t sig[ISX_SIGN_SIG_LEN]);
void isx_signer_public(const struct isx_signer *s, uint8_t pk[ISX_SIGN_PUBLIC_LEN]);
/* The key id (8 hex digits, NUL-terminated) of the signer's key under its name. */
const char *isx_signer_key_id(const struct isx_signer *s);

#endif
