/*
 * /api/v1/objects: any object by id, its versions, the import of objects signed elsewhere and
 * signature verification. An imported object is stored only when a signature made by a key
 * the node knows for its origin verifies (the originator's signature travels intact).
 */
#include <stdlib.h>
#include <string.h>

#include "isx/api.h"
#include "isx/directory.h"
#include "isx/fed.h"
#include "isx/marking.h"
#include "isx/report.h"
#include "isx/taxonomy.h"

/*
 * Every object's page says where it sits in the transparency log and which checkpoint first
 * covers it (GET /api/v1/objects/{id}/log has the signed note itself).
 */
void
isx__api_log_headers(struct isx_http_req *req, const struct isx_object *o)
{
    struct isx_node *n = req->ctx;
    uint64_t index, size;
    char *note = NULL;

    if (isx_store_log_index_of_hash(n->store, o->hash, &index) != 0)
        return;
    isx_http_set_header(req, "ISX-Log-Index",
                        isx_arena_printf(req->arena, "%llu", (unsigned long long)index));
    if (isx_store_checkpoint_covering(n->store, index, &note, &size) == 0)
        isx_http_set_header(req, "ISX-Log-Checkpoint",
                            isx_arena_printf(req->arena, "%llu", (unsigned long long)size));
    free(note);
}

int
isx__api_readable(struct isx_http_req *req, const struct isx_object *o)
{
    /* A sealed object this node only relays is not for its users: it cannot even open it. */
    return isx_marking_allows_role(o->marking, req->user->role) &&
           (o->body != NULL || o->opened != NULL);
}

json_t *
isx__api_object_view(const struct isx_object *o)
{
    json_t *view;

    if (o->body != NULL || o->opened == NULL)
        return json_incref(o->env);
    /* A sealed object this node opened: the envelope as signed, and the body it opened. */
    if ((view = json_copy(o->env)) == NULL || json_object_set(view, "body", o->opened) != 0) {
        json_decref(view);
        return NULL;
    }
    return view;
}

int
isx__api_reply_object(struct isx_http_req *req, int status, const struct isx_object *o)
{
    json_t *view = isx__api_object_view(o);
    int rc;

    if (view == NULL)
        return ISX_ENOMEM;
    isx_http_set_header(req, "ISX-Object-Hash", isx_arena_strdup(req->arena, o->hash_hex));
    isx__api_log_headers(req, o);
    rc = isx_http_reply_json(req, status, view);
    json_decref(view);
    return rc;
}

int
isx__api_if_match(struct isx_http_req *req, const char *version)
{
    const char *if_match = isx_http_header(req, "If-Match");
    size_t len;

    if (if_match == NULL)
        return 0;
    /* The ETag form ("...") or the bare version. */
    len = strlen(if_match);
    if (len >= 2 && if_match[0] == '"' && if_match[len - 1] == '"')
        if_match = isx_arena_strndup(req->arena, if_match + 1, len - 2);
    if (if_match == NULL || strcmp(if_match, version) != 0)
        return isx_diag_set(&req->diag, ISX_ECONFLICT, "If-Match", "object.conflict", version);
    return 0;
}

static int
id_param(struct isx_http_req *req, const char **id)
{
    const char *p = req->nparams > 0 ? req->params[0] : "";

    if (!isx_object_id_valid(p, NULL))
        return isx_diag_set(&req->diag, ISX_ENOTFOUND, "id", "object.id", p);
    *id = p;
    return 0;
}

int
isx__api_object_get(struct isx_http_req *req)
{
    struct isx_node *n = req->ctx;
    struct isx_object *o = NULL;
    const char *id = NULL;
    int rc;

    if ((rc = id_param(req, &id)) != 0)
        return rc;
    if ((rc = isx_node_get(n, id, isx_http_query(req, "version"), &o)) != 0)
        return isx_diag_set(&req->diag, rc, "id", "api.not_found", id);
    if (!isx__api_readable(req, o)) {
        rc = isx_diag_set(&req->diag, ISX_ENOTFOUND, "id", "api.not_found", id);
    } else {
        rc = isx__api_reply_object(req, 200, o);
    }
    isx_object_free(o);
    return rc;
}

int
isx__api_object_versions(struct isx_http_req *req)
{
    struct isx_node *n = req->ctx;
    json_t *list = NULL, *doc;
    const char *id = NULL;
    int rc;

    struct isx_object *o = NULL;

    if ((rc = id_param(req, &id)) != 0)
        return rc;
    /* The history of an object the caller may not see would reveal that it exists. */
    if ((rc = isx_node_get(n, id, NULL, &o)) != 0)
        return isx_diag_set(&req->diag, rc, "id", "api.not_found", id);
    rc = isx__api_readable(req, o) ? 0 : ISX_ENOTFOUND;
    isx_object_free(o);
    if (rc != 0)
        return isx_diag_set(&req->diag, rc, "id", "api.not_found", id);
    if ((rc = isx_store_versions(n->store, id, &list)) != 0)
        return isx_diag_set(&req->diag, rc, "id", "api.not_found", id);
    doc = json_pack("{s:s, s:o}", "id", id, "versions", list);
    rc = doc != NULL ? isx_http_reply_json(req, 200, doc) : ISX_ENOMEM;
    json_decref(doc);
    return rc;
}

/*
 * What the API shows of a sealed object this node opened is the envelope with the opened body
 * beside "sealed". The signature covers the envelope without "body", so a view brought back
 * for checking or import is the envelope once that body is set aside.
 */
static json_t *
view_to_envelope(json_t *env)
{
    if (json_is_object(env) && json_object_get(env, "sealed") != NULL)
        json_object_del(env, "body");
    return env;
}

/* Parses, checks and verifies an envelope from the request body. */
static int
verified(struct isx_http_req *req, struct isx_object **out)
{
    struct isx_node *n = req->ctx;
    struct isx_object *o = NULL;
    json_t *env;
    int rc;

    if ((rc = isx_http_body_json(req, &env)) != 0)
        return rc;
    if ((rc = isx_object_from_json(view_to_envelope(env), &o, &req->diag)) != 0)
        return rc;
    if (o->body != NULL && isx_directory_type(o->type) &&
        (rc = isx_directory_check(o->type, o->body, "body", &req->diag)) != 0)
        goto fail;
    /* A report from elsewhere must already be canonical: its signature covers that form. */
    if (o->body != NULL && strcmp(o->type, "report") == 0 &&
        (rc = isx_report_check(o->body, "body", &req->diag)) != 0)
        goto fail;
    if ((rc = isx_object_verify(o, isx_node_keyfn, n, &req->diag)) != 0)
        goto fail;
    *out = o;
    return 0;
fail:
    isx_object_free(o);
    return rc;
}

int
isx__api_object_verify(struct isx_http_req *req)
{
    struct isx_object *o = NULL;
    json_t *doc;
    int rc;

    if ((rc = verified(req, &o)) != 0)
        return rc;
    doc =
        json_pack("{s:b, s:s, s:s, s:s, s:s, s:O}", "valid", 1, "id", o->id, "version", o->version,
                  "origin", o->origin, "hash", o->hash_hex, "sig", json_object_get(o->env, "sig"));
    rc = doc != NULL ? isx_http_reply_json(req, 200, doc) : ISX_ENOMEM;
    json_decref(doc);
    isx_object_free(o);
    return rc;
}

int
isx__api_object_import(struct isx_http_req *req)
{
    struct isx_node *n = req->ctx;
    struct isx_object *o = NULL;
    json_t *env;
    int rc;

    if ((rc = isx_http_body_json(req, &env)) != 0)
        return rc;
    if ((rc = isx_object_from_json(view_to_envelope(env), &o, &req->diag)) != 0)
        return rc;
    struct isx_change change = {req->user->name, "import"};
    rc = isx_fed_accept(n, o, &change, &req->diag);
    if (rc == 0 || rc == ISX_EEXISTS)
        /* Storage is idempotent by hash: the same object twice is not an error. */
        rc = isx__api_reply_object(req, rc == 0 ? 201 : 200, o);
    isx_object_free(o);
    return rc;
}
