/*
 * /api/v1/log: the node's transparency log over REST — its state and verifier key, signed
 * checkpoints (the latest, any past one by size, a new one on demand), inclusion and
 * consistency proofs as self-contained documents, and where one object sits in the log.
 */
#include <stdlib.h>
#include <string.h>

#include "isx/api.h"
#include "isx/hash.h"
#include "isx/log.h"
#include "isx/marking.h"
#include "isx/merkle.h"

static int
size_param(struct isx_http_req *req, const char *name, uint64_t *out)
{
    const char *v = isx_http_query(req, name);
    char *end;
    unsigned long long n;

    *out = 0;
    if (v == NULL)
        return 0;
    if (*v < '0' || *v > '9' || (n = strtoull(v, &end, 10), *end != '\0') ||
        n >= ISX_MERKLE_MAX_SIZE)
        return isx_diag_set(&req->diag, ISX_EINVAL, name, "log.size_param", v);
    *out = n;
    return 0;
}

int
isx__api_log_state(struct isx_http_req *req)
{
    struct isx_node *n = req->ctx;
    struct isx_buf vkey = ISX_BUF_INIT;
    uint64_t size = 0, cp_size = 0;
    char *note = NULL;
    json_t *doc;
    int rc;

    if ((rc = isx_store_log_size(n->store, &size)) != 0 || (rc = isx_log_vkey(n, &vkey)) != 0)
        goto done;
    isx_store_checkpoint_get(n->store, 0, &note, &cp_size);
    doc = json_pack("{s:s, s:I, s:s, s:s?, s:I}", "origin", n->cfg.name, "size", (json_int_t)size,
                    "key", vkey.data, "checkpoint", note, "checkpoint_size", (json_int_t)cp_size);
    rc = doc != NULL ? isx_http_reply_json(req, 200, doc) : ISX_ENOMEM;
    json_decref(doc);
done:
    free(note);
    isx_buf_free(&vkey);
    return rc;
}

/* The C2SP form travels as text/plain, exactly the bytes that were signed. */
int
isx__api_log_checkpoint(struct isx_http_req *req)
{
    struct isx_node *n = req->ctx;
    uint64_t size, got;
    char *note = NULL;
    int rc;

    if ((rc = size_param(req, "size", &size)) != 0)
        return rc;
    if ((rc = isx_store_checkpoint_get(n->store, size, &note, &got)) != 0)
        return isx_diag_set(&req->diag, rc, "size", "log.no_checkpoint", NULL);
    rc = isx_http_reply_raw(req, 200, "text/plain; charset=utf-8", note, strlen(note));
    free(note);
    return rc;
}

int
isx__api_log_checkpoint_issue(struct isx_http_req *req)
{
    struct isx_node *n = req->ctx;
    uint64_t size;
    char *note = NULL;
    int rc;

    if ((rc = isx_log_checkpoint(n, 0, &size)) != 0 ||
        (rc = isx_store_checkpoint_get(n->store, size, &note, &size)) != 0)
        return isx_diag_set(&req->diag, rc, NULL, NULL, NULL);
    rc = isx_http_reply_raw(req, 201, "text/plain; charset=utf-8", note, strlen(note));
    free(note);
    return rc;
}

/*
 * Proofs never reveal objects the caller's role may not read, whether the object is named by
 * id or by hash. An object that cannot be found is left to the proof code to report.
 */
static int
readable(struct isx_http_req *req, const char *ref)
{
    struct isx_node *n = req->ctx;
    struct isx_object *o = NULL;
    struct isx_buf canon = ISX_BUF_INIT;
    uint8_t hash[32];
    int ok = 1;

    if (isx_object_id_valid(ref, NULL)) {
        if (isx_node_get(n, ref, NULL, &o) != 0)
            o = NULL;
    } else if (strlen(ref) == 64 && isx_hex_decode(ref, 64, hash, 32) == 0 &&
               isx_store_get_by_hash(n->store, hash, &canon) == 0) {
        if (isx_object_parse(canon.data, canon.len, &o, NULL) != 0)
            o = NULL;
        /* A sealed object this node opened is as readable by hash as by id. */
        else if (o->body == NULL && isx_store_opened_get(n->store, hash, &o->opened) != 0)
            o->opened = NULL;
    }
    if (o != NULL)
        ok = isx__api_readable(req, o);
    isx_object_free(o);
    isx_buf_free(&canon);
    return ok;
}

int
isx__api_log_inclusion(struct isx_http_req *req)
{
    struct isx_node *n = req->ctx;
    const char *ref = isx_http_query(req, "object");
    const char *with = isx_http_query(req, "with_object");
    uint64_t size;
    json_t *doc = NULL;
    int rc;

    if (ref == NULL || *ref == '\0')
        return isx_diag_set(&req->diag, ISX_EINVAL, "object", "schema.missing", "object");
    if ((rc = size_param(req, "size", &size)) != 0)
        return rc;
    if (!readable(req, ref))
        return isx_diag_set(&req->diag, ISX_ENOTFOUND, "object", "api.not_found", ref);
    if ((rc = isx_log_inclusion(n, ref, size, with != NULL && strcmp(with, "true") == 0, &doc,
                                &req->diag)) != 0)
        return rc;
    rc = isx_http_reply_json(req, 200, doc);
    json_decref(doc);
    return rc;
}

int
isx__api_log_consistency(struct isx_http_req *req)
{
    struct isx_node *n = req->ctx;
    uint64_t from, to;
    json_t *doc = NULL;
    int rc;

    if ((rc = size_param(req, "from", &from)) != 0 || (rc = size_param(req, "to", &to)) != 0)
        return rc;
    if ((rc = isx_log_consistency(n, from, to, &doc, &req->diag)) != 0)
        return rc;
    rc = isx_http_reply_json(req, 200, doc);
    json_decref(doc);
    return rc;
}

/* Where an object sits in the log, and the first checkpoint that covers it. */
int
isx__api_object_log(struct isx_http_req *req)
{
    struct isx_node *n = req->ctx;
    const char *id = req->nparams > 0 ? req->params[0] : "";
    uint8_t hash[32];
    char hex[65], *note = NULL;
    uint64_t index, size = 0;
    json_t *doc;
    int rc;

    if (!isx_object_id_valid(id, NULL) || !readable(req, id))
        return isx_diag_set(&req->diag, ISX_ENOTFOUND, "id", "api.not_found", id);
    if ((rc = isx_store_log_index_of_id(n->store, id, &index, hash)) != 0)
        return isx_diag_set(&req->diag, rc, "id", "api.not_found", id);
    isx_hex_encode(hash, 32, hex);
    isx_store_checkpoint_covering(n->store, index, &note, &size);
    doc = json_pack("{s:s, s:s, s:I, s:s?, s:I}", "id", id, "object_hash", hex, "index",
                    (json_int_t)index, "checkpoint", note, "checkpoint_size", (json_int_t)size);
    rc = doc != NULL ? isx_http_reply_json(req, 200, doc) : ISX_ENOMEM;
    json_decref(doc);
    free(note);
    return rc;
}
