/*
 * HTTP Message Signatures (RFC 9421) with Ed25519, and Content-Digest (RFC 9530), for the
 * requests that nodes send each other. docs/federation-signatures.md describes the profile;
 * in short, every federation request carries
 *
 *   Content-Digest: sha-256=:<base64 of SHA-256(body)>:
 *   Signature-Input: sig1=("@method" "@path" "content-digest");created=<unix seconds>
 *                    ;keyid="<PARTY>:<8 hex>";alg="ed25519";nonce="<random>"
 *   Signature: sig1=:<base64 of the 64-byte Ed25519 signature>:
 *
 * (Signature-Input is one line on the wire.) A request without a body still carries the
 * Content-Digest of the empty string, so every request is signed the same way and a body
 * cannot be added to a request that was signed without one.
 *
 * The module knows nothing of libmicrohttpd or libcurl: the request is given as plain values
 * and a header getter, and the signing key and the public keys are reached through callbacks.
 */
#ifndef ISX_HTTPSIG_H
#define ISX_HTTPSIG_H

#include <stddef.h>
#include <stdint.h>

#include "isx/buf.h"
#include "isx/error.h"
#include "isx/sign.h"

#define ISX_HTTPSIG_LABEL "sig1"
#define ISX_HTTPSIG_ALG   "ed25519"
/* The window suggested for isx_httpsig_verifier.window, in seconds. */
#define ISX_HTTPSIG_WINDOW 300
/* The longest Signature-Input, Signature or Content-Digest value accepted or produced. */
#define ISX_HTTPSIG_FIELD_MAX 1024
/* Buffer sizes, NUL included: "sha-256=:" + 44 base64 + ":", "sig1=:" + 88 base64 + ":". */
#define ISX_HTTPSIG_DIGEST_SIZE    55
#define ISX_HTTPSIG_SIGNATURE_SIZE 96
/* A nonce has 16 to 64 characters of the base64 or base64url alphabets. */
#define ISX_HTTPSIG_NONCE_MIN 16
#define ISX_HTTPSIG_NONCE_MAX 64
/* The most components one signature may cover. */
#define ISX_HTTPSIG_MAX_COMPONENTS 16

/*
 * Returns the value of the request header `name` (always given in lower case), or NULL when
 * the request has none. Repeated header lines must be combined with ", " (RFC 9110 §5.3);
 * leading and trailing spaces are ignored.
 */
typedef const char *(*isx_httpsig_header_fn)(void *ctx, const char *name);

/*
 * Signs `msg` with the node's key: 0, or a negative ISX_E* code that signing passes on.
 * isx_httpsig_use_signer below is one for a struct isx_signer.
 */
typedef int (*isx_httpsig_sign_fn)(void *ctx, const void *msg, size_t len,
                                   uint8_t sig[ISX_SIGN_SIG_LEN]);

/*
 * Finds the public key of (party, key id): 0; ISX_EKEY or ISX_ENOTFOUND when there is no such
 * key; any other negative code when the lookup itself failed. The same shape as
 * isx_object_keyfn, so the node can pass the function it uses for objects.
 */
typedef int (*isx_httpsig_key_fn)(void *ctx, const char *party, const char *key_id,
                                  uint8_t pk[ISX_SIGN_PUBLIC_LEN]);

/*
 * One request as the signature sees it. `path` is the path alone: RFC 9421 §2.2.6 takes
 * "@path" without the query, which is the separate component "@query" (covered only when a
 * signer chooses to). Values are used as they were sent: no percent-decoding, no case change
 * except for `authority`, which is compared in lower case (RFC 9421 §2.2.3).
 */
struct isx_httpsig_request {
    const char *method;    /* "POST" */
    const char *path;      /* "/fed/v1/objects": starts with '/', contains no '?' */
    const char *query;     /* "a=1&b=2" without the '?'; NULL when the target has none */
    const char *authority; /* "node.example:8443"; only needed when "@authority" is covered */
    const void *body;      /* may be NULL when body_len is 0 */
    size_t body_len;
    isx_httpsig_header_fn header; /* may be NULL when signing with the default components */
    void *header_ctx;
};

/* --- Content-Digest (RFC 9530) ---------------------------------------------------------- */

/* The Content-Digest value of a body: "sha-256=:<base64>:". */
void isx_httpsig_digest(const void *body, size_t len, char out[ISX_HTTPSIG_DIGEST_SIZE]);

/*
 * Checks a received Content-Digest value against the received body. It may list other
 * algorithms beside sha-256; only sha-256 is checked. 0 when it matches; ISX_EAUTH when
 * `value` is NULL; ISX_EINVAL when it is malformed or has no sha-256 member; ISX_ESIG when
 * the digest differs. `d` names the Content-Digest header and the reason.
 */
int isx_httpsig_digest_check(const char *value, const void *body, size_t len, struct isx_diag *d);

/* --- Signature base (RFC 9421 §2.5) ----------------------------------------------------- */

/*
 * Appends to `out` the signature base of `req` for the covered `components` (derived
 * components "@method", "@path", "@query", "@authority", and lower-case header names read
 * through req->header) followed by the "@signature-params" line, whose value is the inner
 * list of the components and then `params`, the serialized parameters exactly as they follow
 * the list in Signature-Input (e.g. ";created=1618884473;keyid=\"test-key-ed25519\""). Lines
 * are joined by "\n" with none after the last. ISX_EINVAL for an unsupported, repeated or
 * invalid component name, a missing header, or a value holding control characters (which
 * could forge a line of the base); `out` is unchanged then.
 */
int isx_httpsig_base(const struct isx_httpsig_request *req, const char *const *components,
                     size_t ncomponents, const char *params, struct isx_buf *out,
                     struct isx_diag *d);

/* --- Signing ---------------------------------------------------------------------------- */

struct isx_httpsig_signing {
    const char *party;  /* "CN": the node's party code */
    const char *key_id; /* "c74f20a3": 8 lowercase hex digits, as isx_signer_key_id gives */
    isx_httpsig_sign_fn sign;
    void *ctx;
    /* NULL for the profile's ("@method" "@path" "content-digest"); a list given here must
     * hold those three, and may add "@query", "@authority" or header names. */
    const char *const *components;
    size_t ncomponents;
};

/* The three header values to add to a signed request. */
struct isx_httpsig_headers {
    char content_digest[ISX_HTTPSIG_DIGEST_SIZE];
    char signature_input[ISX_HTTPSIG_FIELD_MAX + 1];
    char signature[ISX_HTTPSIG_SIGNATURE_SIZE];
};

/*
 * Signs a request under label sig1 with created = `created` (unix seconds), keyid
 * "<party>:<key id>", alg "ed25519" and `nonce`, or 128 random bits in base64url when `nonce`
 * is NULL (tests pass one to get fixed output). The Content-Digest is computed from the body
 * here; header components other than content-digest are read through req->header.
 * ISX_EINVAL for bad arguments; a failure of `sign` is passed on.
 */
int isx_httpsig_sign(const struct isx_httpsig_request *req, const struct isx_httpsig_signing *s,
                     int64_t created, const char *nonce, struct isx_httpsig_headers *out);

/* An isx_httpsig_sign_fn whose `ctx` is a struct isx_signer * (isx_signer_sign). */
int isx_httpsig_use_signer(void *ctx, const void *msg, size_t len, uint8_t sig[ISX_SIGN_SIG_LEN]);

/* --- Replay cache ----------------------------------------------------------------------- */

/*
 * Remembers the (keyid, nonce) pairs of verified requests until their created time leaves the
 * window. It has a fixed capacity and never forgets an entry early: forgetting one would let
 * that very request be replayed while its signature is still fresh, so when there is no room
 * the cache refuses the new request with ISX_EBUSY (the peer retries later with a new
 * signature) instead. Size it for the signed requests expected in two windows, with margin.
 * Safe to use from several threads.
 */
struct isx_httpsig_replay;

/*
 * A cache for `capacity` live entries (at most 1 << 23). It keeps twice as many slots, a power
 * of two and at least 64, so that lookups stay short; it starts answering ISX_EBUSY only as it
 * fills beyond `capacity`. Each slot takes 24 bytes.
 */
int isx_httpsig_replay_new(size_t capacity, struct isx_httpsig_replay **out);
void isx_httpsig_replay_free(struct isx_httpsig_replay *r);

/*
 * Records (keyid, nonce) until `expires` (unix seconds, inclusive): 0 when the pair was not
 * already recorded at `now`; ISX_EEXISTS when it was (a replay); ISX_EBUSY when there is no
 * room. Entries whose expiry is before `now` count as gone.
 */
int isx_httpsig_replay_check(struct isx_httpsig_replay *r, const char *keyid, const char *nonce,
                             int64_t expires, int64_t now);

/* --- Verifying -------------------------------------------------------------------------- */

/* Why a request was refused, for logs and metrics; names by isx_httpsig_reason_name. */
enum isx_httpsig_reason {
    ISX_HTTPSIG_OK,          /* "ok"           0 */
    ISX_HTTPSIG_UNSIGNED,    /* "unsigned"     ISX_EAUTH: a signature header is missing */
    ISX_HTTPSIG_MALFORMED,   /* "malformed"    ISX_EINVAL: bad syntax, or outside the profile */
    ISX_HTTPSIG_UNKNOWN_KEY, /* "unknown_key"  ISX_EKEY */
    ISX_HTTPSIG_FORGED,      /* "forged"       ISX_ESIG: the signature does not verify */
    ISX_HTTPSIG_ALTERED,     /* "altered"      ISX_ESIG: signed, but the body was changed */
    ISX_HTTPSIG_STALE,       /* "stale"        ISX_ERANGE: created too old or too far ahead */
    ISX_HTTPSIG_REPLAYED,    /* "replayed"     ISX_EEXISTS: the nonce was already used */
    ISX_HTTPSIG_BUSY,        /* "busy"         ISX_EBUSY: the replay cache is full */
    ISX_HTTPSIG_ERROR,       /* "error"        bad arguments, or the key lookup failed */
};

const char *isx_httpsig_reason_name(enum isx_httpsig_reason r);

struct isx_httpsig_verifier {
    int64_t window; /* seconds, 1 to 86400: created must lie in [now - window, now + window] */
    isx_httpsig_key_fn key;
    void *key_ctx;
    struct isx_httpsig_replay *replay;
};

/* Who signed a verified request. */
struct isx_httpsig_peer {
    char party[4];  /* "CN", "SCO" */
    char key_id[9]; /* "c74f20a3" */
};

/*
 * Verifies a signed request at time `now` (unix seconds): reads Signature-Input, Signature
 * and Content-Digest through req->header, parses them strictly, requires the profile (label
 * sig1, or the only label present; components covering "@method", "@path" and
 * "content-digest"; created, keyid, alg="ed25519" and nonce), checks the time window, looks
 * the key up, verifies the signature, checks the body against the Content-Digest and finally
 * records the nonce, so only authentic requests take room in the replay cache.
 *
 * Returns 0 and fills `out`, or the code of the first refusal as listed in enum
 * isx_httpsig_reason, with `d` naming the header at fault and a message-catalogue key
 * ("httpsig.*"). A changed method, path or Content-Digest header is "forged", since each is a
 * line of the signed base; a body that no longer matches its genuine, signed Content-Digest is
 * "altered"; a covered header that is absent, or a value with control characters, is
 * "malformed". `reason`, when not NULL, is set on every return, refusals included: like `d`,
 * it describes the outcome rather than being a result.
 */
int isx_httpsig_verify(const struct isx_httpsig_request *req, const struct isx_httpsig_verifier *v,
                       int64_t now, struct isx_httpsig_peer *out, enum isx_httpsig_reason *reason,
                       struct isx_diag *d);

#endif
