/*
 * Hashes, randomness and text encodings of binary data. Implemented in src/crypto/ over
 * libsodium so the rest of the code never includes sodium.h.
 */
#ifndef ISX_HASH_H
#define ISX_HASH_H

#include <stddef.h>
#include <stdint.h>

#define ISX_SHA256_LEN 32

/* Initialises the crypto library; idempotent and thread-safe. Returns 0 or ISX_ECRYPTO. */
int isx_crypto_init(void);

void isx_sha256(const void *data, size_t len, uint8_t out[ISX_SHA256_LEN]);

/* Incremental SHA-256 for multi-part inputs (Merkle nodes, key ids). */
struct isx_sha256_ctx {
    _Alignas(16) unsigned char opaque[128]; /* holds crypto_hash_sha256_state */
};
void isx_sha256_init(struct isx_sha256_ctx *c);
void isx_sha256_update(struct isx_sha256_ctx *c, const void *data, size_t len);
void isx_sha256_final(struct isx_sha256_ctx *c, uint8_t out[ISX_SHA256_LEN]);

/* Cryptographically random bytes. */
void isx_random(void *buf, size_t len);

/* A random RFC 4122 version-4 UUID in lowercase 8-4-4-4-12 form; out has room for 37. */
void isx_uuid4(char out[37]);

/* Lowercase hex; out must hold 2*len+1 bytes. */
void isx_hex_encode(const uint8_t *in, size_t len, char *out);
/* Decodes exactly `outlen` bytes from 2*outlen hex digits (either case); ISX_EINVAL otherwise. */
int isx_hex_decode(const char *in, size_t inlen, uint8_t *out, size_t outlen);

/* Standard base64 with padding (RFC 4648 §4) and the URL-safe form without padding (§5). */
size_t isx_base64_len(size_t binlen); /* bytes needed for the standard form, including the NUL */
void isx_base64_encode(const uint8_t *in, size_t len, char *out);
void isx_base64url_encode(const uint8_t *in, size_t len, char *out);
/*
 * Decodes into out (capacity outcap), sets *outlen. Strict: rejects whitespace, wrong padding
 * and trailing garbage with ISX_EINVAL.
 */
int isx_base64_decode(const char *in, size_t inlen, uint8_t *out, size_t outcap, size_t *outlen);
int isx_base64url_decode(const char *in, size_t inlen, uint8_t *out, size_t outcap, size_t *outlen);

/* Constant-time comparison: 0 when equal. */
int isx_memcmp_ct(const void *a, const void *b, size_t len);

/* Wipes memory so the compiler cannot elide it. */
void isx_memzero(void *p, size_t len);

#endif
