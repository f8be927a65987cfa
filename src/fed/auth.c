/*
 * Signed requests between nodes (RFC 9421 profile of include/isx/httpsig.h): signing what this
 * node sends and checking what it receives. Invariants: only a peer an operator added is
 * answered, and only with the key recorded for it; every refusal is counted by reason and
 * logged with the peer's address; a nonce is remembered for the whole window, so a request
 * cannot be played twice.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"
#include "isx/hash.h"
#include "isx/httpsig.h"
#include "isx/timeutil.h"

#define REPLAY_CAPACITY (1u << 16)
#define SEND_TIMEOUT_MS 15000

static const char *const refusal_names[ISX_FED_REFUSAL_COUNT] = {
    [ISX_FED_UNSIGNED] = "unsigned",   [ISX_FED_UNKNOWN_KEY] = "unknown_key",
    [ISX_FED_FORGED] = "forged",       [ISX_FED_ALTERED] = "altered",
    [ISX_FED_STALE] = "stale",         [ISX_FED_REPLAYED] = "replayed",
    [ISX_FED_MALFORMED] = "malformed",
};

static _Atomic uint64_t refusals[ISX_FED_REFUSAL_COUNT];

static pthread_once_t replay_once = PTHREAD_ONCE_INIT;
static struct isx_httpsig_replay *replay;

static void
replay_init(void)
{
    if (isx_httpsig_replay_new(REPLAY_CAPACITY, &replay) != 0)
        replay = NULL;
}

void
isx__fed_count_refusal(enum isx_fed_refusal why)
{
    if (why < ISX_FED_REFUSAL_COUNT)
        atomic_fetch_add(&refusals[why], 1);
}

const char *
isx__fed_refusal_name(enum isx_fed_refusal why)
{
    return why < ISX_FED_REFUSAL_COUNT ? refusal_names[why] : "?";
}

void
isx__fed_refusals(uint64_t out[ISX_FED_REFUSAL_COUNT])
{
    for (int i = 0; i < ISX_FED_REFUSAL_COUNT; i++)
        out[i] = atomic_load(&refusals[i]);
}

static const char *
request_header(void *ctx, const char *name)
{
    return isx_http_header(ctx, name);
}

/* Request keys come from the peers table alone: only a node an operator added is answered. */
static int
peer_key(void *ctx, const char *party, const char *key_id, uint8_t pk[ISX_SIGN_PUBLIC_LEN])
{
    struct isx_node *n = ctx;
    struct isx_peer p;
    size_t len;

    if (isx_store_peer_get(n->store, party, &p) != 0 || strcmp(p.key_id, key_id) != 0)
        return ISX_EKEY;
    if (isx_base64_decode(p.sign_key, strlen(p.sign_key), pk, ISX_SIGN_PUBLIC_LEN, &len) != 0 ||
        len != ISX_SIGN_PUBLIC_LEN)
        return ISX_EKEY;
    return 0;
}

static enum isx_fed_refusal
refusal_of(enum isx_httpsig_reason r)
{
    switch (r) {
    case ISX_HTTPSIG_UNSIGNED:
        return ISX_FED_UNSIGNED;
    case ISX_HTTPSIG_UNKNOWN_KEY:
        return ISX_FED_UNKNOWN_KEY;
    case ISX_HTTPSIG_FORGED:
        return ISX_FED_FORGED;
    case ISX_HTTPSIG_ALTERED:
        return ISX_FED_ALTERED;
    case ISX_HTTPSIG_STALE:
        return ISX_FED_STALE;
    case ISX_HTTPSIG_REPLAYED:
        return ISX_FED_REPLAYED;
    default:
        return ISX_FED_MALFORMED;
    }
}

int
isx__fed_authenticate(struct isx_http_req *req, struct isx_peer *peer)
{
    struct isx_node *n = req->ctx;
    enum isx_httpsig_reason reason = ISX_HTTPSIG_ERROR;
    struct isx_httpsig_peer who;
    int rc;

    pthread_once(&replay_once, replay_init);
    if (replay == NULL)
        return ISX_ENOMEM;
    /* The profile covers @method, @path and content-digest; the query is not covered, and
     * nothing served depends on it for safety: what a peer may have is decided by who signed. */
    struct isx_httpsig_request hr = {req->method, req->path,     NULL,           NULL,
                                     req->body,   req->body_len, request_header, req};
    struct isx_httpsig_verifier v = {n->cfg.sig_window > 0 ? n->cfg.sig_window : 1, peer_key, n,
                                     replay};
    rc = isx_httpsig_verify(&hr, &v, isx_time_now_ms() / 1000, &who, &reason, &req->diag);
    if (rc == 0 && (rc = isx_store_peer_get(n->store, who.party, peer)) != 0)
        rc =
            isx_diag_set(&req->diag, ISX_EKEY, "Signature-Input", "httpsig.unknown_key", who.party);
    if (rc != 0) {
        if (reason != ISX_HTTPSIG_BUSY && reason != ISX_HTTPSIG_ERROR)
            isx__fed_count_refusal(refusal_of(reason));
        fprintf(stderr, "isxd: fed: refused %s %s: %s (%s)\n", req->method, req->path,
                isx_httpsig_reason_name(reason), req->diag.field);
        /* Whatever the cause, a node that cannot prove who it is is not answered. */
        if (rc != ISX_EBUSY && rc != ISX_ENOMEM)
            req->diag.code = rc = ISX_EAUTH;
    }
    return rc;
}

int
isx__fed_send(struct isx_node *n, const struct isx_peer *peer, const char *method,
              const char *path_and_query, const char *body, size_t body_len,
              struct isx_http_response *resp)
{
    struct isx_httpsig_headers h;
    char path[512], url[1024];
    const char *query = NULL;
    int rc;

    if (snprintf(path, sizeof(path), "%s", path_and_query) >= (int)sizeof(path) ||
        snprintf(url, sizeof(url), "%s%s", peer->url, path_and_query) >= (int)sizeof(url))
        return ISX_EINVAL;
    char *q = strchr(path, '?');
    if (q != NULL) {
        *q = '\0';
        query = q + 1;
    }
    struct isx_httpsig_request hr = {method, path, query, NULL, body, body_len, NULL, NULL};
    struct isx_httpsig_signing s = {
        n->cfg.party, isx_signer_key_id(n->signer), isx_httpsig_use_signer, n->signer, NULL, 0};
    if ((rc = isx_httpsig_sign(&hr, &s, isx_time_now_ms() / 1000, NULL, &h)) != 0)
        return rc;
    const char *headers[] = {"Content-Digest",  h.content_digest, "Signature-Input",
                             h.signature_input, "Signature",      h.signature};
    struct isx_http_call call = {method,          url,     NULL, ISX_LANG_EN, body, body_len,
                                 SEND_TIMEOUT_MS, headers, 3};
    return isx_http_call(&call, resp);
}
