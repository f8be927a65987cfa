/*
 * The federation API a node serves to its peers, under /fed/v1/. Every handler first checks
 * the request's signature (auth.c) and answers only a known peer; what a peer may take is
 * decided in policy.c. Invariants: a push stores each object through the checks of
 * isx_fed_accept (isx__fed_accept_many) and answers per object, so one bad object never
 * blocks the others; a pull never shows an object the asking party may not have.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "isx/hash.h"
#include "isx/i18n.h"
#include "isx/log.h"
#include "isx/note.h"

/* A non-negative decimal query parameter no larger than `max`; `def` when absent. */
static int
query_u64(struct isx_http_req *req, const char *name, uint64_t def, uint64_t max, uint64_t *out)
{
    const char *v = isx_http_query(req, name);
    char *end;
    unsigned long long n;

    if (v == NULL) {
        *out = def;
        return 0;
    }
    if (*v < '0' || *v > '9' || strlen(v) > 20)
        return isx_diag_set(&req->diag, ISX_EINVAL, name, "api.number", v);
    n = strtoull(v, &end, 10);
    if (*end != '\0' || n > max)
        return isx_diag_set(&req->diag, ISX_EINVAL, name, "api.number", v);
    *out = n;
    return 0;
}

/* POST /fed/v1/objects {"objects":[envelope...]}: a peer pushes what it has for us. */
int
isx__fed_push(struct isx_http_req *req)
{
    struct isx_node *n = req->ctx;
    struct isx_peer peer;
    json_t *body = NULL, *list, *results = NULL, *env, *doc;
    struct isx_peer_progress pr = {0};
    struct isx_object **objs = NULL;
    struct isx_diag *ds = NULL;
    int *rcs = NULL;
    char actor[16];
    size_t i, count = 0;
    int rc;

    if ((rc = isx__fed_authenticate(req, &peer)) != 0)
        return rc;
    if ((rc = isx_http_body_json(req, &body)) != 0)
        return rc;
    list = json_object_get(body, "objects");
    if (!json_is_array(list) || json_object_size(body) != 1) {
        rc = isx_diag_set(&req->diag, ISX_EFIELD, "objects", "fed.batch", NULL);
        goto done;
    }
    if ((count = json_array_size(list)) > ISX_FED_BATCH_OBJECTS) {
        rc = isx_diag_set(&req->diag, ISX_ETOOBIG, "objects", "fed.batch", NULL);
        goto done;
    }
    if ((results = json_array()) == NULL || (objs = calloc(count + 1, sizeof(*objs))) == NULL ||
        (rcs = calloc(count + 1, sizeof(*rcs))) == NULL ||
        (ds = calloc(count + 1, sizeof(*ds))) == NULL) {
        rc = ISX_ENOMEM;
        goto done;
    }
    snprintf(actor, sizeof(actor), "peer:%s", peer.party);
    struct isx_change change = {actor, "federate"};
    pr.inbound = 1;
    json_array_foreach(list, i, env)
    {
        rcs[i] = isx_object_from_json(json_incref(env), &objs[i], &ds[i]);
    }
    /* All at once, so consecutive reports share one transaction (accept.c). */
    isx__fed_accept_many(n, objs, count, &change, 0, rcs, ds);
    for (i = 0; i < count; i++) {
        struct isx_object *o = objs[i];
        int orc = rcs[i];
        json_t *r;
        if (orc == 0 || orc == ISX_EEXISTS) {
            r = json_pack("{s:s, s:s}", "hash", o->hash_hex, "status",
                          orc == 0 ? "stored" : "duplicate");
            pr.received += orc == 0;
        } else {
            /* The sender logs the reason; this node logs it too, as a refusal at the door. */
            struct isx_diag *d = &ds[i];
            struct isx_buf why = ISX_BUF_INIT;
            if (d->key[0] == '\0' || isx_msg_format(req->lang, d->key, d->arg, &why) != 0) {
                isx_buf_free(&why);
                isx_buf_puts(&why, isx_err_title(req->lang, orc));
            }
            r = json_pack("{s:s?, s:s, s:s, s:s?, s:s?}", "hash", o != NULL ? o->hash_hex : NULL,
                          "status", "refused", "code", isx_err_name(orc), "reason", why.data,
                          "field", d->field[0] ? d->field : NULL);
            isx_buf_free(&why);
            pr.refused++;
            fprintf(stderr, "isxd: fed: refused %s from %s: %s (%s)\n",
                    o != NULL ? o->id : "an unreadable object", peer.party, isx_err_name(orc),
                    d->field);
        }
        json_array_append_new(results, r);
    }
    isx_store_peer_progress(n->store, peer.party, &pr);
    doc = json_pack("{s:O}", "results", results);
    rc = doc != NULL ? isx_http_reply_json(req, 200, doc) : ISX_ENOMEM;
    json_decref(doc);
done:
    for (i = 0; objs != NULL && i < count; i++)
        isx_object_free(objs[i]);
    free(objs);
    free(rcs);
    free(ds);
    json_decref(results);
    json_decref(body);
    return rc;
}

/* GET /fed/v1/objects?after=N: what the asking peer may have, from our log position N. */
int
isx__fed_pull(struct isx_http_req *req)
{
    struct isx_node *n = req->ctx;
    struct isx_buf out = ISX_BUF_INIT;
    struct isx_peer peer;
    uint64_t after, next, size = 0;
    size_t count = 0;
    int rc;

    if ((rc = isx__fed_authenticate(req, &peer)) != 0)
        return rc;
    if ((rc = query_u64(req, "after", 0, INT64_MAX, &after)) != 0)
        return rc;
    if ((rc = isx_store_log_size(n->store, &size)) != 0)
        return rc;
    if ((rc = isx_buf_puts(&out, "{\"objects\":")) != 0 ||
        (rc = isx__fed_batch(n, &peer, after, ISX_FED_PULL_BYTES, &out, &count, &next)) != 0 ||
        (rc = isx_buf_printf(&out, ",\"next\":%" PRIu64 ",\"size\":%" PRIu64 "}", next, size)) != 0)
        goto done;
    rc = isx_http_reply_raw(req, 200, "application/json", out.data, out.len);
done:
    isx_buf_free(&out);
    return rc;
}

/* GET /fed/v1/checkpoint: our latest checkpoint, with the cosignatures witnesses gave it. */
int
isx__fed_checkpoint(struct isx_http_req *req)
{
    struct isx_node *n = req->ctx;
    struct isx_buf note = ISX_BUF_INIT;
    struct isx_peer peer;
    json_t *lines = NULL, *line, *doc;
    char *text = NULL;
    uint64_t size;
    size_t i;
    int rc;

    if ((rc = isx__fed_authenticate(req, &peer)) != 0)
        return rc;
    if ((rc = isx_log_checkpoint(n, 0, &size)) != 0 ||
        (rc = isx_store_checkpoint_get(n->store, size, &text, &size)) != 0 ||
        (rc = isx_buf_puts(&note, text)) != 0 ||
        (rc = isx_store_cosig_list(n->store, size, &lines)) != 0)
        goto done;
    json_array_foreach(lines, i, line)
    {
        if ((rc = isx_buf_puts(&note, json_string_value(line))) != 0)
            goto done;
    }
    doc = json_pack("{s:s, s:I}", "note", note.data, "size", (json_int_t)size);
    rc = doc != NULL ? isx_http_reply_json(req, 200, doc) : ISX_ENOMEM;
    json_decref(doc);
done:
    json_decref(lines);
    free(text);
    isx_buf_free(&note);
    return rc;
}

/* GET /fed/v1/consistency?from=&to=: the proof that our checkpoint `to` extends `from`. */
int
isx__fed_consistency(struct isx_http_req *req)
{
    struct isx_node *n = req->ctx;
    struct isx_peer peer;
    uint64_t from, to;
    json_t *doc = NULL;
    int rc;

    if ((rc = isx__fed_authenticate(req, &peer)) != 0)
        return rc;
    if ((rc = query_u64(req, "from", 0, INT64_MAX, &from)) != 0 ||
        (rc = query_u64(req, "to", 0, INT64_MAX, &to)) != 0)
        return rc;
    if ((rc = isx_log_consistency(n, from, to, &doc, &req->diag)) != 0)
        return rc;
    rc = isx_http_reply_json(req, 200, doc);
    json_decref(doc);
    return rc;
}

/* POST /fed/v1/cosignatures {"size","line"}: a peer cosigned our checkpoint of `size`. */
int
isx__fed_cosign(struct isx_http_req *req)
{
    struct isx_node *n = req->ctx;
    struct isx_note_verifier v;
    struct isx_note_result res;
    struct isx_buf note = ISX_BUF_INIT;
    struct isx_peer peer;
    json_t *body = NULL;
    char *text = NULL;
    uint8_t pk[32];
    size_t len;
    uint64_t got;
    int rc;

    if ((rc = isx__fed_authenticate(req, &peer)) != 0)
        return rc;
    if ((rc = isx_http_body_json(req, &body)) != 0)
        return rc;
    json_t *size = json_object_get(body, "size");
    const char *line = json_string_value(json_object_get(body, "line"));
    if (!json_is_integer(size) || json_integer_value(size) <= 0) {
        rc = isx_diag_set(&req->diag, ISX_EFIELD, "size", "api.number", NULL);
        goto done;
    }
    if (line == NULL || strlen(line) > 512 || json_object_size(body) != 2) {
        rc = isx_diag_set(&req->diag, ISX_EFIELD, "line", "fed.cosig", NULL);
        goto done;
    }
    if ((rc = isx_store_checkpoint_get(n->store, (uint64_t)json_integer_value(size), &text,
                                       &got)) != 0) {
        rc = isx_diag_set(&req->diag, rc, "size", "log.no_checkpoint", NULL);
        goto done;
    }
    /* The cosignature must verify, by the peer's own key, over our checkpoint's text. */
    const char *cut = strstr(text, "\n\n");
    if (cut == NULL ||
        isx_base64_decode(peer.sign_key, strlen(peer.sign_key), pk, sizeof(pk), &len) != 0 ||
        isx_note_verifier_init(peer.name, ISX_NOTE_COSIG_V1, pk, &v) != 0 ||
        isx_buf_append(&note, text, (size_t)(cut - text) + 2) != 0 ||
        isx_buf_puts(&note, line) != 0 || isx_note_verify(note.data, note.len, &v, 1, &res) != 0 ||
        res.count != 1) {
        rc = isx_diag_set(&req->diag, ISX_ESIG, "line", "fed.cosig", NULL);
        goto done;
    }
    if ((rc = isx_store_cosig_add(n->store, got, peer.party, line)) != 0)
        goto done;
    rc = isx_http_reply_json(req, 201, body);
done:
    isx_buf_free(&note);
    free(text);
    json_decref(body);
    return rc;
}
