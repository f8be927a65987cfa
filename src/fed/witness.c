/*
 * Witnessing a peer's log (c2sp.org/tlog-witness, in spirit): fetch its latest checkpoint,
 * check its signature with the peer's key, check that it extends the last checkpoint this node
 * saw (a consistency proof from the peer), remember it, and cosign it (cosignature/v1) so the
 * peer can show others that a witness saw the same log.
 *
 * Invariants: the remembered checkpoint only moves to one proved to extend it. Two signed
 * checkpoints that cannot both be true — the same size with two roots, a smaller size than
 * one seen before, or a proof that does not hold — raise an alarm that keeps both notes and
 * the proof as evidence, and the remembered checkpoint stays as it was.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "isx/hash.h"
#include "isx/log.h"
#include "isx/note.h"
#include "isx/timeutil.h"

static int
peer_verifier(const struct isx_peer *peer, struct isx_note_verifier *v)
{
    uint8_t pk[32];
    size_t len;

    if (isx_base64_decode(peer->sign_key, strlen(peer->sign_key), pk, sizeof(pk), &len) != 0 ||
        len != sizeof(pk))
        return ISX_EKEY;
    return isx_note_verifier_init(peer->name, ISX_NOTE_ED25519, pk, v);
}

/* GETs a JSON document from the peer. */
static int
fetch(struct isx_node *n, const struct isx_peer *peer, const char *path, json_t **out, char *err,
      size_t errlen)
{
    struct isx_http_response resp = {0};
    json_t *doc;
    int rc = isx__fed_send(n, peer, "GET", path, NULL, 0, &resp);

    if (rc != 0) {
        snprintf(err, errlen, "%s", "cannot reach the peer");
        return rc;
    }
    doc = resp.status == 200 ? json_loadb(resp.body.data, resp.body.len, 0, NULL) : NULL;
    if (doc == NULL) {
        snprintf(err, errlen, "witness: HTTP %ld from %s", resp.status, path);
        rc = ISX_ENET;
    } else {
        *out = doc;
    }
    isx_buf_free(&resp.body);
    return rc;
}

static void
alarm(struct isx_node *n, const struct isx_peer *peer, const char *kind, const char *detail,
      const char *old_note, const char *new_note, const json_t *proof)
{
    json_t *evidence =
        json_pack("{s:s?, s:s?, s:O?}", "seen", old_note, "shown", new_note, "proof", proof);

    fprintf(stderr, "isxd: ALARM: peer %s shows an inconsistent log (%s): %s\n", peer->party, kind,
            detail);
    isx_store_alarm_add(n->store, peer->party, kind, detail, evidence);
    json_decref(evidence);
}

/* Cosigns the peer's checkpoint and hands the cosignature to it; a failure here is no alarm. */
static void
cosign(struct isx_node *n, const struct isx_peer *peer, const char *note, uint64_t size)
{
    struct isx_http_response resp = {0};
    struct isx_buf line = ISX_BUF_INIT;
    const char *cut = strstr(note, "\n\n");
    json_t *doc = NULL;
    char *body = NULL;

    if (cut == NULL || isx_cosig_sign(note, (size_t)(cut - note) + 1, n->signer, n->cfg.name,
                                      (uint64_t)(isx_time_now_ms() / 1000), &line) != 0)
        goto done;
    doc = json_pack("{s:I, s:s}", "size", (json_int_t)size, "line", line.data);
    if (doc == NULL || (body = json_dumps(doc, JSON_COMPACT)) == NULL)
        goto done;
    if (isx__fed_send(n, peer, "POST", "/fed/v1/cosignatures", body, strlen(body), &resp) == 0 &&
        resp.status != 201)
        fprintf(stderr, "isxd: fed: %s did not take our cosignature (HTTP %ld)\n", peer->party,
                resp.status);
    isx_buf_free(&resp.body);
done:
    free(body);
    json_decref(doc);
    isx_buf_free(&line);
}

int
isx__fed_witness(struct isx_node *n, const struct isx_peer *peer, char *err, size_t errlen)
{
    struct isx_note_verifier v;
    struct isx_checkpoint seen_cp, shown_cp;
    struct isx_note_result res;
    json_t *doc = NULL, *proof = NULL, *result = NULL;
    char *seen = NULL, path[96];
    uint64_t seen_size = 0;
    int rc;

    if ((rc = peer_verifier(peer, &v)) != 0)
        return rc;
    if ((rc = fetch(n, peer, "/fed/v1/checkpoint", &doc, err, errlen)) != 0)
        return rc;
    const char *shown = json_string_value(json_object_get(doc, "note"));
    if (shown == NULL || isx_checkpoint_open(shown, strlen(shown), &v, 1, &shown_cp, &res) != 0) {
        snprintf(err, errlen, "%s", "witness: the peer's checkpoint does not verify");
        rc = ISX_ESIG;
        goto done;
    }
    if (isx_store_peer_witness_note(n->store, peer->party, &seen, &seen_size) != 0) {
        /* The first checkpoint seen is taken as it is: there is nothing yet to extend. */
        rc = isx_store_peer_witnessed(n->store, peer->party, shown_cp.size, shown);
        goto cosign;
    }
    if (isx_checkpoint_open(seen, strlen(seen), &v, 1, &seen_cp, &res) != 0) {
        /* The peer's key changed since: the operator re-added it. Start again from here. */
        rc = isx_store_peer_witnessed(n->store, peer->party, shown_cp.size, shown);
        goto cosign;
    }
    if (shown_cp.size < seen_cp.size) {
        alarm(n, peer, "rollback", "the log is smaller than a checkpoint seen before", seen, shown,
              NULL);
        goto done;
    }
    if (shown_cp.size == seen_cp.size) {
        if (memcmp(shown_cp.root, seen_cp.root, sizeof(shown_cp.root)) != 0)
            alarm(n, peer, "fork", "two checkpoints of the same size with different roots", seen,
                  shown, NULL);
        goto done; /* nothing new to witness */
    }
    snprintf(path, sizeof(path), "/fed/v1/consistency?from=%" PRIu64 "&to=%" PRIu64, seen_cp.size,
             shown_cp.size);
    if ((rc = fetch(n, peer, path, &proof, err, errlen)) != 0)
        goto done;
    struct isx_diag d = {0};
    const char *old_note = json_string_value(json_object_get(proof, "old"));
    const char *new_note = json_string_value(json_object_get(proof, "new"));
    struct isx_checkpoint a, b;
    /* The proof must join exactly the checkpoint we saw and the one we were shown. */
    if (isx_log_verify_doc(proof, &v, &result, &d) != 0 || old_note == NULL || new_note == NULL ||
        isx_checkpoint_open(old_note, strlen(old_note), &v, 1, &a, &res) != 0 ||
        isx_checkpoint_open(new_note, strlen(new_note), &v, 1, &b, &res) != 0 ||
        memcmp(a.root, seen_cp.root, 32) != 0 || memcmp(b.root, shown_cp.root, 32) != 0 ||
        a.size != seen_cp.size || b.size != shown_cp.size) {
        alarm(n, peer, "inconsistent", "the new checkpoint does not extend the one seen before",
              seen, shown, proof);
        goto done;
    }
    rc = isx_store_peer_witnessed(n->store, peer->party, shown_cp.size, shown);
cosign:
    if (rc == 0)
        cosign(n, peer, shown, shown_cp.size);
done:
    json_decref(result);
    json_decref(proof);
    json_decref(doc);
    free(seen);
    return rc;
}
