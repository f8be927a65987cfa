/*
 * Hashes, randomness and binary-to-text encodings over libsodium. This file owns the one-time
 * library initialisation. Invariants: decoders are strict (one accepted spelling per byte
 * string, so text forms of keys and signatures can be compared as strings) and write to their
 * output only once the whole input has been validated.
 */
#include <pthread.h>
#include <string.h>

#include <sodium.h>

#include "isx/error.h"
#include "isx/hash.h"

_Static_assert(sizeof(crypto_hash_sha256_state) <= sizeof(((struct isx_sha256_ctx *)0)->opaque),
               "isx_sha256_ctx is too small for crypto_hash_sha256_state");
_Static_assert(_Alignof(crypto_hash_sha256_state) <= 16,
               "isx_sha256_ctx is not aligned enough for crypto_hash_sha256_state");

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static int init_result = ISX_ECRYPTO;

static void
init_sodium(void)
{
    /* sodium_init returns 1 when another library in the process already initialised it. */
    init_result = sodium_init() < 0 ? ISX_ECRYPTO : 0;
}

int
isx_crypto_init(void)
{
    if (pthread_once(&init_once, init_sodium) != 0)
        return ISX_ECRYPTO;
    return init_result;
}

void
isx_sha256(const void *data, size_t len, uint8_t out[ISX_SHA256_LEN])
{
    crypto_hash_sha256(out, data, len);
}

void
isx_sha256_init(struct isx_sha256_ctx *c)
{
    crypto_hash_sha256_init((crypto_hash_sha256_state *)(void *)c->opaque);
}

void
isx_sha256_update(struct isx_sha256_ctx *c, const void *data, size_t len)
{
    crypto_hash_sha256_update((crypto_hash_sha256_state *)(void *)c->opaque, data, len);
}

void
isx_sha256_final(struct isx_sha256_ctx *c, uint8_t out[ISX_SHA256_LEN])
{
    crypto_hash_sha256_final((crypto_hash_sha256_state *)(void *)c->opaque, out);
    /* The state holds the last message block, which may be secret (key ids are not, but
     * callers may hash anything), so it does not outlive the digest. */
    sodium_memzero(c->opaque, sizeof(c->opaque));
}

void
isx_random(void *buf, size_t len)
{
    /* libsodium's generator works before sodium_init too and aborts the process if the
     * kernel cannot supply randomness, which is the only safe answer for a void function. */
    (void)isx_crypto_init();
    randombytes_buf(buf, len);
}

void
isx_uuid4(char out[37])
{
    static const char digits[] = "0123456789abcdef";
    uint8_t b[16];
    size_t i, o = 0;

    isx_random(b, sizeof(b));
    b[6] = (uint8_t)((b[6] & 0x0f) | 0x40); /* version 4 */
    b[8] = (uint8_t)((b[8] & 0x3f) | 0x80); /* RFC 4122 variant */
    for (i = 0; i < sizeof(b); i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            out[o++] = '-';
        out[o++] = digits[b[i] >> 4];
        out[o++] = digits[b[i] & 0x0f];
    }
    out[o] = '\0';
}

void
isx_hex_encode(const uint8_t *in, size_t len, char *out)
{
    static const char digits[] = "0123456789abcdef";
    size_t i;

    for (i = 0; i < len; i++) {
        out[2 * i] = digits[in[i] >> 4];
        out[2 * i + 1] = digits[in[i] & 0x0f];
    }
    out[2 * len] = '\0';
}

static int
hex_value(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int
isx_hex_decode(const char *in, size_t inlen, uint8_t *out, size_t outlen)
{
    size_t i;

    if (outlen > (size_t)-1 / 2 || inlen != 2 * outlen)
        return ISX_EINVAL;
    for (i = 0; i < inlen; i++)
        if (hex_value((unsigned char)in[i]) < 0)
            return ISX_EINVAL;
    for (i = 0; i < outlen; i++)
        out[i] = (uint8_t)(hex_value((unsigned char)in[2 * i]) << 4 |
                           hex_value((unsigned char)in[2 * i + 1]));
    return 0;
}

size_t
isx_base64_len(size_t binlen)
{
    return sodium_base64_ENCODED_LEN(binlen, sodium_base64_VARIANT_ORIGINAL);
}

void
isx_base64_encode(const uint8_t *in, size_t len, char *out)
{
    sodium_bin2base64(out, isx_base64_len(len), in, len, sodium_base64_VARIANT_ORIGINAL);
}

void
isx_base64url_encode(const uint8_t *in, size_t len, char *out)
{
    /* The unpadded form is never longer than the padded one, so isx_base64_len bytes suffice;
     * libsodium is told the exact size it needs for this variant. */
    sodium_bin2base64(out, sodium_base64_ENCODED_LEN(len, sodium_base64_VARIANT_URLSAFE_NO_PADDING),
                      in, len, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

/*
 * Mask arithmetic in the style of libsodium: the value of a base64 character, or 0xff for a
 * character outside the alphabet. Decoding secret seeds from key files must not branch on
 * their bytes.
 */
#define EQ(x, y) ((((0U - ((unsigned)(x) ^ (unsigned)(y))) >> 8) & 0xffU) ^ 0xffU)
#define GT(x, y) ((((unsigned)(y) - (unsigned)(x)) >> 8) & 0xffU)
#define GE(x, y) (GT(y, x) ^ 0xffU)
#define LE(x, y) GE(y, x)

static unsigned
b64_value(unsigned c, int url)
{
    unsigned c62 = url ? '-' : '+', c63 = url ? '_' : '/';
    unsigned x =
        (GE(c, 'A') & LE(c, 'Z') & (c - 'A')) | (GE(c, 'a') & LE(c, 'z') & (c - ('a' - 26))) |
        (GE(c, '0') & LE(c, '9') & (c - ('0' - 52))) | (EQ(c, c62) & 62U) | (EQ(c, c63) & 63U);

    return x | (EQ(x, 0) & (EQ(c, 'A') ^ 0xffU));
}

static int
decode64(const char *in, size_t inlen, uint8_t *out, size_t outcap, size_t *outlen, int url)
{
    size_t data = inlen, nout, i, o = 0;
    unsigned acc = 0, bad = 0, bits = 0;

    if (in == NULL && inlen != 0)
        return ISX_EINVAL;
    if (!url) {
        /* The padded form always comes in whole quanta, padded with one or two '='. */
        if (inlen % 4 != 0)
            return ISX_EINVAL;
        if (data > 0 && in[data - 1] == '=')
            data--;
        if (data > 0 && in[data - 1] == '=')
            data--;
    }
    if (data % 4 == 1)
        return ISX_EINVAL;
    nout = data / 4 * 3 + (data % 4 == 0 ? 0 : data % 4 - 1);
    if (nout > outcap)
        return ISX_EINVAL;
    for (i = 0; i < data; i++)
        bad |= b64_value((unsigned char)in[i], url) >> 6;
    if (bad != 0)
        return ISX_EINVAL;
    /* The bits past the last whole byte must be zero, or two spellings would decode alike. */
    if (data % 4 != 0) {
        unsigned last = b64_value((unsigned char)in[data - 1], url);
        if ((last & (data % 4 == 2 ? 0x0fU : 0x03U)) != 0)
            return ISX_EINVAL;
    }
    for (i = 0; i < data; i++) {
        acc = (acc << 6 | b64_value((unsigned char)in[i], url)) & 0xffffU;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[o++] = (uint8_t)(acc >> bits);
        }
    }
    *outlen = o;
    return 0;
}

int
isx_base64_decode(const char *in, size_t inlen, uint8_t *out, size_t outcap, size_t *outlen)
{
    return decode64(in, inlen, out, outcap, outlen, 0);
}

int
isx_base64url_decode(const char *in, size_t inlen, uint8_t *out, size_t outcap, size_t *outlen)
{
    return decode64(in, inlen, out, outcap, outlen, 1);
}

int
isx_memcmp_ct(const void *a, const void *b, size_t len)
{
    if (len == 0)
        return 0;
    return sodium_memcmp(a, b, len) == 0 ? 0 : 1;
}

void
isx_memzero(void *p, size_t len)
{
    if (p != NULL)
        sodium_memzero(p, len);
}
