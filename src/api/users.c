/*
 * /api/v1/users and /api/v1/whoami. A new user's token is shown once, in the answer that
 * creates it; the store keeps only its hash.
 */
#include <string.h>

#include "isx/api.h"
#include "isx/hash.h"
#include "isx/schema.h"

int
isx__api_whoami(struct isx_http_req *req)
{
    struct isx_node *n = req->ctx;
    json_t *doc = json_pack("{s:s, s:s, s:s}", "name", req->user->name, "role",
                            isx_role_name(req->user->role), "party", n->cfg.party);
    int rc = doc != NULL ? isx_http_reply_json(req, 200, doc) : ISX_ENOMEM;

    json_decref(doc);
    return rc;
}

int
isx__api_user_list(struct isx_http_req *req)
{
    struct isx_node *n = req->ctx;
    json_t *list = NULL, *doc;
    int rc;

    if ((rc = isx_store_user_list(n->store, &list)) != 0)
        return rc;
    doc = json_pack("{s:o}", "items", list);
    rc = doc != NULL ? isx_http_reply_json(req, 200, doc) : ISX_ENOMEM;
    json_decref(doc);
    return rc;
}

static int
check_name(const json_t *v, const char *path, struct isx_diag *d)
{
    if (!isx_user_name_valid(json_string_value(v)))
        return isx_diag_set(d, ISX_EFIELD, path, "user.name", json_string_value(v));
    return 0;
}

static int
check_role(const json_t *v, const char *path, struct isx_diag *d)
{
    enum isx_role r;

    if (isx_role_parse(json_string_value(v), &r) != 0)
        return isx_diag_set(d, ISX_EFIELD, path, "user.role", json_string_value(v));
    return 0;
}

static const struct isx_schema_field user_fields[] = {
    {"name", ISX_SCHEMA_STRING, ISX_SCHEMA_REQUIRED, 1, ISX_USER_NAME_MAX, check_name, NULL, NULL},
    {"role", ISX_SCHEMA_STRING, ISX_SCHEMA_REQUIRED, 1, 16, check_role, NULL, NULL},
    {NULL, 0, 0, 0, 0, NULL, NULL, NULL},
};

int
isx__api_user_create(struct isx_http_req *req)
{
    struct isx_node *n = req->ctx;
    char token[ISX_TOKEN_LEN + 1];
    uint8_t hash[32];
    enum isx_role role;
    json_t *body = NULL, *doc = NULL;
    int rc;

    if ((rc = isx_http_body_json(req, &body)) != 0)
        return rc;
    if ((rc = isx_schema_check(body, user_fields, "", &req->diag)) != 0)
        goto done;
    const char *name = json_string_value(json_object_get(body, "name"));
    isx_role_parse(json_string_value(json_object_get(body, "role")), &role);
    isx_token_new(token);
    isx_token_hash(token, hash);
    if ((rc = isx_store_user_add(n->store, name, role, hash, req->user->name)) != 0) {
        rc = isx_diag_set(&req->diag, rc, "name", rc == ISX_EEXISTS ? "user.exists" : NULL, name);
        goto done;
    }
    doc = json_pack("{s:s, s:s, s:s}", "name", name, "role", isx_role_name(role), "token", token);
    rc = doc != NULL ? isx_http_reply_json(req, 201, doc) : ISX_ENOMEM;
done:
    isx_memzero(token, sizeof(token));
    json_decref(body);
    json_decref(doc);
    return rc;
}
