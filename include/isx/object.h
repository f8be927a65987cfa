/*
 * Objects: the signed JSON envelopes that are everything a node knows (ARCHITECTURE.md §4).
 *
 *   {"isx":1,"type","id":"<type>--<uuid>","version":"<RFC 3339 ms>","origin":"CN",
 *    "marking":{...},"body":{...},"sig":[{"suite":"ed25519","key":"c74f20a3","value":"b64"}]}
 *
 * The signature covers the RFC 8785 canonical form of the envelope without "sig". The
 * object's hash, its identity in storage and in the log, is the SHA-256 of the canonical
 * form with "sig". Objects are never edited; a change is a new version.
 *
 * Above TLP:GREEN the body travels sealed (include/isx/seal.h): "sealed" replaces "body",
 * with the header (the envelope without "body", "sealed" and "sig") as associated data, so a
 * sealed body cannot be moved under another id, version, origin or marking. Sealing comes
 * before signing, and the signature covers the sealed form: relays can check it without
 * reading the body.
 */
#ifndef ISX_OBJECT_H
#define ISX_OBJECT_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "isx/buf.h"
#include "isx/error.h"
#include "isx/seal.h"
#include "isx/sign.h"

#define ISX_OBJECT_ID_MAX 64 /* "authority--" + 36 */

struct isx_object {
    json_t *env;         /* the envelope; owned */
    const char *type;    /* borrowed from env */
    const char *id;      /* borrowed from env */
    const char *version; /* borrowed from env */
    const char *origin;  /* borrowed from env */
    const json_t *marking;
    const json_t *body;       /* NULL when sealed */
    json_t *opened;           /* a sealed object's body, once this node opened it; owned */
    struct isx_buf canonical; /* canonical form with "sig" (set once signed or parsed) */
    uint8_t hash[32];
    char hash_hex[65];
};

/* 1 when `type` is one of the object types of ARCHITECTURE.md §4. */
int isx_object_type_known(const char *type);

/* 1 when `id` is "<type>--<uuid>" with a lowercase UUID; `type` may be NULL to accept any. */
int isx_object_id_valid(const char *id, const char *type);

/*
 * A new, unsigned object. Takes ownership of `marking` and `body` (even on failure). `id` NULL
 * makes a fresh "<type>--<uuid4>"; `prev_version` (may be NULL) is the version this one
 * supersedes, and the new version is made strictly later than it.
 */
int isx_object_new(const char *type, const char *id, const char *origin, json_t *marking,
                   json_t *body, const char *prev_version, struct isx_object **out);

/* Signs with the node's signer: adds "sig", computes the canonical form and the hash. */
int isx_object_sign(struct isx_object *o, struct isx_signer *signer);

/*
 * Appends to `out` the canonical header of an envelope: the RFC 8785 form of `env` without
 * "body", "sealed" and "sig". It is the associated data of the sealed body. Returns 0,
 * ISX_EINVAL (not an object, or not representable) or ISX_ENOMEM; `out` is left as it was
 * on failure.
 */
int isx_object_header_encode(const json_t *env, struct isx_buf *out);

/*
 * Replaces the body of an unsigned object with "sealed": the canonical form of the body
 * encrypted for the recipients `r` (see isx_seal). Call it before isx_object_sign. Every
 * recipient must be one the marking allows (isx_marking_allows_party), else ISX_EMARKING;
 * the originator should be among them, since it needs its own key entry to read the object
 * back and to grant a release. ISX_EINVAL when the object is signed or already sealed; other
 * errors as for isx_seal. The object is unchanged on failure.
 */
int isx_object_seal(struct isx_object *o, const struct isx_seal_recipient *r, size_t nr);

/*
 * Opens a sealed object as `party`, whose box key is `k`, and returns its body in *body (a
 * new reference). `key_entry`, when not NULL, is a key entry from a release (Art. 6.3) used
 * instead of the object's own keys list. ISX_EINVAL when the object is not sealed;
 * ISX_ENOTFOUND when no key is wrapped for `party`; ISX_ECRYPTO when the key or the header
 * does not match; ISX_EFIELD when the decrypted bytes are not a JSON object.
 */
int isx_object_open(const struct isx_object *o, const char *party, const struct isx_box_key *k,
                    const json_t *key_entry, json_t **body);

/*
 * Parses an envelope from outside and checks its shape: known fields only, the id matching
 * the type, a valid version, origin and marking (state secrets refused, Art. 6.2), exactly
 * one of body and sealed, a sealed member of the strict shape of isx_seal_check whose key
 * entries are all for parties the marking allows, a well-formed sig list. The signature is
 * not checked here, nor is a sealed body decrypted.
 */
int isx_object_parse(const char *text, size_t len, struct isx_object **out, struct isx_diag *d);
/* The same for an already parsed envelope; takes ownership of `env` (even on failure). */
int isx_object_from_json(json_t *env, struct isx_object **out, struct isx_diag *d);

/* Finds the public key of (origin, key id); 0 or ISX_EKEY. */
typedef int (*isx_object_keyfn)(void *ctx, const char *origin, const char *key_id,
                                uint8_t pk[ISX_SIGN_PUBLIC_LEN]);

/*
 * Verifies every signature on the object with keys found through `keyfn`; at least one must
 * be there and every one must verify. ISX_EKEY for an unknown key, ISX_ESIG for a bad one.
 */
int isx_object_verify(const struct isx_object *o, isx_object_keyfn keyfn, void *ctx,
                      struct isx_diag *d);

/* The body to read: the clear one, or a sealed object's body once this node opened it. */
const json_t *isx_object_clear_body(const struct isx_object *o);

void isx_object_free(struct isx_object *o);

#endif
