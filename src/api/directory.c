/*
 * /api/v1/parties, /api/v1/authorities, /api/v1/pocs: the directory over REST. One set of
 * handlers serves the three resources; the resource comes from the path. A node publishes
 * only its own party's authorities and contacts (only the national authority nominates or
 * removes its contacts); other parties' entries arrive as signed objects from their nodes.
 */
#include <stdlib.h>
#include <string.h>

#include "isx/api.h"
#include "isx/directory.h"
#include "isx/marking.h"
#include "isx/pings.h"
#include "isx/schema.h"
#include "isx/taxonomy.h"

#define PAGE_DEFAULT 50
#define PAGE_MAX     500

static const struct {
    const char *prefix;
    const char *type;
} resources[] = {
    {"/api/v1/parties", "party"},
    {"/api/v1/authorities", "authority"},
    {"/api/v1/pocs", "poc"},
};

static const char *
resource_type(const struct isx_http_req *req)
{
    for (size_t i = 0; i < sizeof(resources) / sizeof(resources[0]); i++) {
        size_t n = strlen(resources[i].prefix);
        if (strncmp(req->path, resources[i].prefix, n) == 0 &&
            (req->path[n] == '\0' || req->path[n] == '/'))
            return resources[i].type;
    }
    return "poc";
}

/* The logical id named in the path: a party code for parties, an object id otherwise. */
static int
path_id(struct isx_http_req *req, const char *type, char id[ISX_OBJECT_ID_MAX + 1])
{
    const char *p = req->nparams > 0 ? req->params[0] : "";

    if (strcmp(type, "party") == 0) {
        if (!isx_party_code_valid(p))
            return isx_diag_set(&req->diag, ISX_ENOTFOUND, "code", "party.code", p);
        isx_directory_party_id(p, id);
        return 0;
    }
    if (!isx_object_id_valid(p, type))
        return isx_diag_set(&req->diag, ISX_ENOTFOUND, "id", "object.id", p);
    snprintf(id, ISX_OBJECT_ID_MAX + 1, "%s", p);
    return 0;
}

static int
query_param(struct isx_http_req *req, const char *name, int (*valid)(const char *), const char *key,
            const char **out)
{
    const char *v = isx_http_query(req, name);

    if (v != NULL && (*v == '\0' || (valid != NULL && !valid(v))))
        return isx_diag_set(&req->diag, ISX_EINVAL, name, key, v);
    *out = v;
    return 0;
}

static int
direction_valid(const char *v)
{
    return isx_vocab_find(ISX_VOCAB_DIRECTIONS, v) != NULL;
}

static int
cursor_valid(const char *v)
{
    return strlen(v) <= ISX_OBJECT_ID_MAX && isx_object_id_valid(v, NULL);
}

static int
kind_valid(const char *v)
{
    return isx_str_in(v, isx_poc_kinds);
}

static int
category_valid(const char *v)
{
    return isx_str_in(v, isx_authority_categories);
}

int
isx__api_dir_list(struct isx_http_req *req)
{
    struct isx_node *n = req->ctx;
    struct isx_dir_query q = {0};
    const char *limit = isx_http_query(req, "limit"), *retired = NULL;
    json_t *items = NULL, *page;
    char *next = NULL, *end;
    int rc;

    q.type = resource_type(req);
    q.limit = PAGE_DEFAULT;
    int authority = strcmp(q.type, "authority") == 0;
    if ((rc = query_param(req, "party", isx_party_code_valid, "party.code", &q.party)) != 0 ||
        (rc = query_param(req, authority ? "category" : "kind",
                          authority ? category_valid : kind_valid,
                          authority ? "directory.category" : "directory.kind", &q.kind)) != 0 ||
        (rc = query_param(req, "direction", direction_valid, "directory.direction",
                          &q.direction)) != 0 ||
        (rc = query_param(req, "language", isx_language_valid, "directory.language",
                          &q.language)) != 0 ||
        (rc = query_param(req, "cursor", cursor_valid, "api.cursor", &q.after)) != 0 ||
        (rc = query_param(req, "q", NULL, NULL, &q.text)) != 0 ||
        (rc = query_param(req, "include_retired", NULL, NULL, &retired)) != 0)
        return rc;
    if ((rc = query_param(req, "authority", NULL, NULL, &q.authority)) != 0)
        return rc;
    if (q.authority != NULL && !isx_object_id_valid(q.authority, "authority"))
        return isx_diag_set(&req->diag, ISX_EINVAL, "authority", "directory.authority",
                            q.authority);
    if (retired != NULL) {
        if (strcmp(retired, "true") != 0 && strcmp(retired, "false") != 0)
            return isx_diag_set(&req->diag, ISX_EINVAL, "include_retired", "api.bool", retired);
        q.include_retired = strcmp(retired, "true") == 0;
    }
    if (limit != NULL) {
        long v = strtol(limit, &end, 10);
        if (*limit < '0' || *limit > '9' || *end != '\0' || v < 1 || v > PAGE_MAX)
            return isx_diag_set(&req->diag, ISX_EINVAL, "limit", "api.limit", "500");
        q.limit = (size_t)v;
    }
    if ((rc = isx_store_dir_list(n->store, &q, &items, &next)) != 0)
        return isx_diag_set(&req->diag, rc, NULL, NULL, NULL);
    /* Every read path applies the marking: what a single GET hides, a list hides too. */
    for (size_t i = json_array_size(items); i-- > 0;) {
        if (!isx_marking_allows_role(json_object_get(json_array_get(items, i), "marking"),
                                     req->user->role))
            json_array_remove(items, i);
    }
    /* Contacts carry whether they answered their latest closed ping (issue 6). */
    if (strcmp(q.type, "poc") == 0 && (rc = isx_pings_flag_pocs(n, items)) != 0) {
        json_decref(items);
        free(next);
        return isx_diag_set(&req->diag, rc, NULL, NULL, NULL);
    }
    page = json_pack("{s:o, s:s?}", "items", items, "next", next);
    rc = page != NULL ? isx_http_reply_json(req, 200, page) : ISX_ENOMEM;
    json_decref(page);
    free(next);
    return rc;
}

/*
 * Splits a request body into the object body and its marking (optional: directory entries
 * are TLP:GREEN by default, shared with every party through the depositary).
 */
static int
split_marking(struct isx_http_req *req, json_t *in, const json_t *current, json_t **marking)
{
    json_t *m = json_object_get(in, "marking");

    (void)req;
    if (m == NULL) {
        *marking = current != NULL ? json_deep_copy(current) : json_pack("{s:s}", "tlp", "green");
        return *marking != NULL ? 0 : ISX_ENOMEM;
    }
    json_incref(m);
    json_object_del(in, "marking");
    *marking = m;
    return 0;
}

/* Checks what only the node can check: own party, known authority, matching party code. */
static int
check_ownership(struct isx_http_req *req, const char *type, const json_t *body,
                const char *path_code)
{
    struct isx_node *n = req->ctx;
    const char *party = json_string_value(json_object_get(body, "party"));
    const char *aref = json_string_value(json_object_get(body, "authority"));
    struct isx_object *a = NULL;
    int rc;

    /* The body's own shape first, so an invalid code is reported as such. */
    if ((rc = isx_directory_check(type, body, "", &req->diag)) != 0)
        return rc;
    if (strcmp(type, "party") == 0) {
        const char *code = json_string_value(json_object_get(body, "code"));
        if (path_code != NULL && code != NULL && strcmp(code, path_code) != 0)
            return isx_diag_set(&req->diag, ISX_EFIELD, "code", "directory.code_mismatch", code);
        return 0;
    }
    if (party != NULL && strcmp(party, n->cfg.party) != 0)
        return isx_diag_set(&req->diag, ISX_EFIELD, "party", "directory.own_party", n->cfg.party);
    if (aref != NULL) {
        rc = isx_node_get(n, aref, NULL, &a);
        int ok = rc == 0 && isx_object_clear_body(a) != NULL &&
                 strcmp(json_string_value(json_object_get(isx_object_clear_body(a), "party")),
                        party) == 0;
        isx_object_free(a);
        if (!ok)
            return isx_diag_set(&req->diag, ISX_EFIELD, "authority", "directory.authority_unknown",
                                aref);
    }
    return 0;
}

/* Takes ownership of `marking` and `body`. */
static int
publish(struct isx_http_req *req, const char *type, const char *id, json_t *marking, json_t *body,
        const char *expect, const char *action, int status)
{
    struct isx_node *n = req->ctx;
    struct isx_change change = {req->user->name, action};
    struct isx_object *o = NULL;
    int rc;

    rc = isx_node_publish(n, type, id, marking, body, &change, expect, &o, &req->diag);
    if (rc == 0) {
        if (status == 201)
            isx_http_set_header(req, "Location",
                                isx_arena_printf(req->arena, "%s/%s", req->path,
                                                 strcmp(type, "party") == 0
                                                     ? json_string_value(json_object_get(
                                                           isx_object_clear_body(o), "code"))
                                                     : o->id));
        rc = isx__api_reply_object(req, status, o);
    }
    isx_object_free(o);
    return rc;
}

int
isx__api_dir_create(struct isx_http_req *req)
{
    const char *type = resource_type(req);
    char idbuf[ISX_OBJECT_ID_MAX + 1];
    const char *id = NULL;
    json_t *body, *marking = NULL;
    int rc;

    if ((rc = isx_http_body_json(req, &body)) != 0)
        return rc;
    if (!json_is_object(body)) {
        json_decref(body);
        return isx_diag_set(&req->diag, ISX_ETYPE, "", "schema.type", "object");
    }
    if (strcmp(type, "party") == 0) {
        const char *code = json_string_value(json_object_get(body, "code"));
        /* Names default to the reference data so `{"code":"BY"}` is enough. */
        if (code != NULL && isx_party_code_valid(code) && json_object_get(body, "name") == NULL) {
            const json_t *c = isx_vocab_find(ISX_VOCAB_COUNTRIES, code);
            json_t *name = json_object();
            const char *langs[] = {"zh", "ru", "en"};
            for (size_t i = 0; c != NULL && i < 3; i++) {
                if (json_object_get(c, langs[i]) != NULL)
                    json_object_set(name, langs[i], json_object_get(c, langs[i]));
            }
            json_object_set_new(body, "name", name);
        }
        if (code != NULL && isx_party_code_valid(code)) {
            isx_directory_party_id(code, idbuf);
            id = idbuf;
        }
    }
    if (json_object_get(body, "status") != NULL) {
        json_decref(body);
        return isx_diag_set(&req->diag, ISX_EFIELD, "status", "directory.status_on_create", NULL);
    }
    if ((rc = split_marking(req, body, NULL, &marking)) != 0 ||
        (rc = isx_marking_check(marking, "marking", &req->diag)) != 0 ||
        (rc = check_ownership(req, type, body, NULL)) != 0) {
        json_decref(marking);
        json_decref(body);
        return rc;
    }
    return publish(req, type, id, marking, body, NULL, "create", 201);
}

int
isx__api_dir_get(struct isx_http_req *req)
{
    struct isx_node *n = req->ctx;
    const char *type = resource_type(req);
    char id[ISX_OBJECT_ID_MAX + 1];
    struct isx_object *o = NULL;
    int rc;

    if ((rc = path_id(req, type, id)) != 0)
        return rc;
    if ((rc = isx_node_get(n, id, isx_http_query(req, "version"), &o)) != 0)
        return isx_diag_set(&req->diag, rc, "id", rc == ISX_ENOTFOUND ? "api.not_found" : NULL, id);
    if (!isx__api_readable(req, o))
        rc = isx_diag_set(&req->diag, ISX_ENOTFOUND, "id", "api.not_found", id);
    else if (strcmp(type, "poc") == 0) /* with its last ping's answer (issue 6) */
        rc = isx__api_ping_reply_poc(req, o);
    else
        rc = isx__api_reply_object(req, 200, o);
    isx_object_free(o);
    return rc;
}

/* The current version, which must exist, be of this type and still be active. */
static int
current(struct isx_http_req *req, const char *type, char id[ISX_OBJECT_ID_MAX + 1],
        struct isx_object **out)
{
    struct isx_node *n = req->ctx;
    struct isx_object *o = NULL;
    int rc;

    if ((rc = path_id(req, type, id)) != 0)
        return rc;
    if ((rc = isx_node_get(n, id, NULL, &o)) != 0)
        return isx_diag_set(&req->diag, rc, "id", "api.not_found", id);
    if (strcmp(o->origin, n->cfg.party) != 0) {
        rc = isx_diag_set(&req->diag, ISX_EFORBIDDEN, "id", "directory.not_origin", o->origin);
        goto fail;
    }
    const char *status = json_string_value(json_object_get(isx_object_clear_body(o), "status"));
    if (status != NULL && strcmp(status, "retired") == 0) {
        rc = isx_diag_set(&req->diag, ISX_ERETIRED, "id", "directory.retired", id);
        goto fail;
    }
    if ((rc = isx__api_if_match(req, o->version)) != 0)
        goto fail;
    *out = o;
    return 0;
fail:
    isx_object_free(o);
    return rc;
}

int
isx__api_dir_update(struct isx_http_req *req)
{
    const char *type = resource_type(req);
    char id[ISX_OBJECT_ID_MAX + 1];
    struct isx_object *o = NULL;
    json_t *body = NULL, *marking = NULL;
    int rc;

    if ((rc = current(req, type, id, &o)) != 0)
        return rc;
    if ((rc = isx_http_body_json(req, &body)) != 0)
        goto done;
    if (!json_is_object(body)) {
        rc = isx_diag_set(&req->diag, ISX_ETYPE, "", "schema.type", "object");
        goto done;
    }
    if (json_object_get(body, "status") != NULL) {
        rc = isx_diag_set(&req->diag, ISX_EFIELD, "status", "directory.status_on_update", NULL);
        goto done;
    }
    const char *code = req->nparams > 0 ? req->params[0] : NULL;
    if ((rc = split_marking(req, body, o->marking, &marking)) != 0 ||
        (rc = isx_marking_check(marking, "marking", &req->diag)) != 0 ||
        (rc = check_ownership(req, type, body, strcmp(type, "party") == 0 ? code : NULL)) != 0)
        goto done;
    /* A contact's party cannot move: a new party means a new nomination. */
    const char *pkey = strcmp(type, "party") == 0 ? "code" : "party";
    if (!json_equal(json_object_get(body, pkey), json_object_get(isx_object_clear_body(o), pkey))) {
        rc = isx_diag_set(&req->diag, ISX_EFIELD, pkey, "directory.immutable", pkey);
        goto done;
    }
    rc = publish(req, type, id, marking, body, o->version, "update", 200);
    body = marking = NULL;
done:
    json_decref(marking);
    json_decref(body);
    isx_object_free(o);
    return rc;
}

int
isx__api_dir_retire(struct isx_http_req *req)
{
    const char *type = resource_type(req);
    char id[ISX_OBJECT_ID_MAX + 1];
    struct isx_object *o = NULL;
    json_t *body = NULL;
    int rc;

    if ((rc = current(req, type, id, &o)) != 0)
        return rc;
    if (req->body_len != 0) {
        rc = isx_diag_set(&req->diag, ISX_EINVAL, "", "api.no_body", NULL);
        goto done;
    }
    body = json_deep_copy(isx_object_clear_body(o));
    if (body == NULL) {
        rc = ISX_ENOMEM;
        goto done;
    }
    json_object_set_new(body, "status", json_string("retired"));
    rc = publish(req, type, id, json_deep_copy(o->marking), body, o->version, "retire", 200);
done:
    isx_object_free(o);
    return rc;
}
