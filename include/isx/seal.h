/*
 * Sealing: an object body encrypted once and readable only by the parties it is for
 * (ARCHITECTURE.md §4). Objects above TLP:GREEN travel with "sealed" in place of "body":
 *
 *   "sealed": {
 *     "alg": "xchacha20poly1305+x25519",
 *     "nonce": "<base64, 24 bytes>",
 *     "ciphertext": "<base64: the body encrypted and its 16-byte tag>",
 *     "keys": [{"party": "KZ", "wrapped": "<base64, 80 bytes>"},
 *              {"party": "RU", "wrapped": "<base64, 80 bytes>"}]
 *   }
 *
 * The body is encrypted with a random 32-byte content key (XChaCha20-Poly1305, IETF
 * construction) and the canonical envelope header as associated data, so the ciphertext
 * cannot be moved under another header (another id, version or marking). The content key is
 * wrapped for each recipient party with an anonymous sealed box (X25519, libsodium
 * crypto_box_seal) to that party's box key. Relays route by the clear header and never see
 * the body.
 *
 * The shape is strict, one spelling per value: exactly these four members, "alg" exactly as
 * above, standard base64 with padding, "keys" holding 1 to ISX_SEAL_MAX_RECIPIENTS entries of
 * exactly "party" (a party code) and "wrapped", sorted by party in byte order with no party
 * twice. Every violation is ISX_EFIELD.
 *
 * A key entry ({"party", "wrapped"}) can also travel outside the sealed member: the originator
 * grants an onward transfer (Art. 6.3) by putting a key entry for the third party in a signed
 * `release` (isx_seal_rewrap, isx_seal_open_with).
 *
 * Secrets and plaintext: the content key lives only in guarded memory (sodium_malloc) and is
 * wiped on every path. A decrypted body is written once, straight into the caller's buffer
 * and only after it has authenticated; that buffer is ordinary heap memory, which the caller
 * wipes (isx_memzero over its capacity) before freeing it if the body must not linger, as
 * isx_object_seal and isx_object_open do with the canonical bodies they hold. Guarded memory
 * is not used for bodies: they are large, they are parsed into jansson values anyway, and
 * jansson's memory cannot be wiped without replacing its allocator for the whole process. So
 * wiping is a best effort against stray copies of bodies, not a guarantee; for the content key
 * it is a guarantee.
 */
#ifndef ISX_SEAL_H
#define ISX_SEAL_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "isx/buf.h"
#include "isx/error.h"
#include "isx/sign.h"

#define ISX_SEAL_ALG            "xchacha20poly1305+x25519"
#define ISX_SEAL_NONCE_LEN      24
#define ISX_SEAL_KEY_LEN        32 /* the content key */
#define ISX_SEAL_TAG_LEN        16
#define ISX_SEAL_WRAPPED_LEN    80 /* a sealed box of the content key: 32 + 48 */
#define ISX_SEAL_MAX_RECIPIENTS 256
#define ISX_SEAL_MAX_PLAIN      ((size_t)16 << 20) /* a larger body cannot be signed anyway */

/* One recipient: its party code and its X25519 public key (from the directory). */
struct isx_seal_recipient {
    const char *party;
    uint8_t box_pk[ISX_BOX_PUBLIC_LEN];
};

/*
 * Encrypts `plain` for the `nr` recipients under the associated data `aad` and returns the
 * new "sealed" member in *sealed (a new reference). ISX_EINVAL when there is no recipient,
 * more than ISX_SEAL_MAX_RECIPIENTS, an invalid party code or a party twice; ISX_ETOOBIG when
 * `len` exceeds ISX_SEAL_MAX_PLAIN; ISX_ECRYPTO when a public key is unusable.
 */
int isx_seal(const void *aad, size_t aad_len, const void *plain, size_t len,
             const struct isx_seal_recipient *r, size_t nr, json_t **sealed);

/*
 * Checks that `sealed` has the shape above. `path` names the member in diagnostics
 * ("sealed"), so a fault reads "sealed.keys[1].wrapped". Returns 0 or ISX_EFIELD with `d`
 * (may be NULL) naming the field and a "seal.*" or "schema.*" message key.
 */
int isx_seal_check(const json_t *sealed, const char *path, struct isx_diag *d);

/*
 * Decrypts a sealed body as `party`, whose box key is `k`, and appends the plaintext to
 * `plain` (see above on wiping it). ISX_EFIELD for a malformed `sealed`; ISX_ENOTFOUND when
 * no key is wrapped for `party`; ISX_ECRYPTO when the wrapped key does not open with `k` or
 * the ciphertext does not authenticate under `aad` (a changed header, nonce or ciphertext, a
 * key entry of another party). On failure the contents of `plain` are as they were.
 */
struct isx_box_key;
int isx_seal_open(const json_t *sealed, const void *aad, size_t aad_len, const char *party,
                  const struct isx_box_key *k, struct isx_buf *plain);

/*
 * Unwraps the content key as `party` (box key `k`) and wraps it for `new_party`, whose box
 * public key is `new_pk`. Returns the key entry {"party": new_party, "wrapped": "..."} in
 * *key_entry for a `release`. Errors as for isx_seal_open; ISX_EINVAL for an invalid
 * `new_party`. The ciphertext is not checked here: a grant is only as good as the object the
 * originator grants it for.
 */
int isx_seal_rewrap(const json_t *sealed, const char *party, const struct isx_box_key *k,
                    const char *new_party, const uint8_t new_pk[ISX_BOX_PUBLIC_LEN],
                    json_t **key_entry);

/*
 * As isx_seal_open, with the content key taken from `key_entry` (from a release) instead of
 * the keys list of `sealed`. ISX_EFIELD when the entry is malformed; ISX_ENOTFOUND when it is
 * for a party other than `party`.
 */
int isx_seal_open_with(const json_t *sealed, const json_t *key_entry, const void *aad,
                       size_t aad_len, const char *party, const struct isx_box_key *k,
                       struct isx_buf *plain);

#endif
