/*
 * /api/v1/peers, /api/v1/releases and /api/v1/alarms: what operators see and decide about
 * federation. A peer is added only by an administrator, with keys checked for shape here and
 * for ownership out of band (docs/federation.md); a release is made only by the originator.
 */
#include <string.h>

#include "isx/api.h"
#include "isx/directory.h"
#include "isx/fed.h"
#include "isx/hash.h"
#include "isx/note.h"
#include "isx/schema.h"
#include "isx/taxonomy.h"

#define END                                                                                        \
    {                                                                                              \
        NULL, 0, 0, 0, 0, NULL, NULL, NULL                                                         \
    }

static int
check_url(const json_t *v, const char *path, struct isx_diag *d)
{
    const char *s = json_string_value(v);

    if (s == NULL || (strncmp(s, "http://", 7) != 0 && strncmp(s, "https://", 8) != 0) ||
        strpbrk(s, " \t\r\n\"<>\\^`{|}") != NULL || s[strlen(s) - 1] == '/')
        return isx_diag_set(d, ISX_EFIELD, path, "peer.url", s);
    return 0;
}

static int
check_key(const json_t *v, const char *path, struct isx_diag *d)
{
    const char *s = json_string_value(v);
    uint8_t k[64];
    size_t len;

    if (s == NULL || isx_base64_decode(s, strlen(s), k, sizeof(k), &len) != 0 || len != 32)
        return isx_diag_set(d, ISX_EFIELD, path, "peer.key", NULL);
    return 0;
}

static int
check_name(const json_t *v, const char *path, struct isx_diag *d)
{
    const char *s = json_string_value(v);

    if (s == NULL || !isx_note_name_valid(s, strlen(s)))
        return isx_diag_set(d, ISX_EFIELD, path, "peer.name", s);
    return 0;
}

static const struct isx_schema_field peer_fields[] = {
    {"party", ISX_SCHEMA_STRING, ISX_SCHEMA_REQUIRED, 2, 3, isx_party_code_check, NULL, NULL},
    {"url", ISX_SCHEMA_STRING, ISX_SCHEMA_REQUIRED, 8, 255, check_url, NULL, NULL},
    {"name", ISX_SCHEMA_STRING, ISX_SCHEMA_REQUIRED, 1, 255, check_name, NULL, NULL},
    {"sign_key", ISX_SCHEMA_STRING, ISX_SCHEMA_REQUIRED, 44, 44, check_key, NULL, NULL},
    {"box_key", ISX_SCHEMA_STRING, ISX_SCHEMA_REQUIRED, 44, 44, check_key, NULL, NULL},
    {"relay", ISX_SCHEMA_BOOL, 0, 0, 0, NULL, NULL, NULL},
    END,
};

static uint64_t
log_size(struct isx_node *n)
{
    uint64_t size = 0;

    isx_store_log_size(n->store, &size);
    return size;
}

/* A peer as the API shows it; `size` is this node's log size, for the backlog. */
static json_t *
peer_json(const struct isx_peer *p, uint64_t size)
{
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:b, s:s, s:s?, s:s?, s:s?, s:I, s:I, s:I, "
                     "s:I, s:I, s:I, s:I}",
                     "party", p->party, "url", p->url, "name", p->name, "key_id", p->key_id,
                     "sign_key", p->sign_key, "box_key", p->box_key, "relay", p->relay, "added_at",
                     p->added_at, "last_contact", p->last_contact[0] ? p->last_contact : NULL,
                     "last_error", p->last_error[0] ? p->last_error : NULL, "last_error_at",
                     p->last_error_at[0] ? p->last_error_at : NULL, "sent", (json_int_t)p->sent,
                     "received", (json_int_t)p->received, "refused", (json_int_t)p->refused,
                     "backlog", (json_int_t)(size > p->push_cursor ? size - p->push_cursor : 0),
                     "push_cursor", (json_int_t)p->push_cursor, "pull_cursor",
                     (json_int_t)p->pull_cursor, "witnessed_size", (json_int_t)p->witnessed_size);
}

int
isx__api_peer_list(struct isx_http_req *req)
{
    struct isx_node *n = req->ctx;
    struct isx_peer *peers = NULL;
    json_t *items = json_array(), *doc = NULL;
    int64_t alarms = 0;
    size_t np = 0;
    int rc;

    if (items == NULL)
        return ISX_ENOMEM;
    if ((rc = isx_store_peer_list(n->store, &peers, &np)) != 0 ||
        (rc = isx_store_alarm_count(n->store, &alarms)) != 0)
        goto done;
    uint64_t size = log_size(n);
    for (size_t i = 0; i < np; i++)
        json_array_append_new(items, peer_json(&peers[i], size));
    doc = json_pack("{s:O, s:I}", "items", items, "alarms", (json_int_t)alarms);
    rc = doc != NULL ? isx_http_reply_json(req, 200, doc) : ISX_ENOMEM;
done:
    json_decref(doc);
    json_decref(items);
    free(peers);
    return rc;
}

static int
party_param(struct isx_http_req *req, const char **party)
{
    const char *p = req->nparams > 0 ? req->params[0] : "";

    if (!isx_party_code_valid(p))
        return isx_diag_set(&req->diag, ISX_ENOTFOUND, "party", "party.code", p);
    *party = p;
    return 0;
}

int
isx__api_peer_get(struct isx_http_req *req)
{
    struct isx_node *n = req->ctx;
    struct isx_peer p;
    const char *party = NULL;
    json_t *doc;
    int rc;

    if ((rc = party_param(req, &party)) != 0)
        return rc;
    if ((rc = isx_store_peer_get(n->store, party, &p)) != 0)
        return isx_diag_set(&req->diag, rc, "party", "api.not_found", party);
    doc = peer_json(&p, log_size(n));
    rc = doc != NULL ? isx_http_reply_json(req, 200, doc) : ISX_ENOMEM;
    json_decref(doc);
    return rc;
}

/*
 * The depositary's signed directory of node keys (ARCHITECTURE.md §7): when the depositary's
 * node adds a party's node, it publishes that party's entry with the node's keys, signed by
 * the depositary, so nodes that reach the party only through others can still verify and
 * seal for it.
 */
static int
publish_keys(struct isx_http_req *req, const struct isx_peer *p)
{
    struct isx_node *n = req->ctx;
    struct isx_object *cur = NULL;
    char id[ISX_OBJECT_ID_MAX + 1];
    json_t *body;
    int rc;

    isx_directory_party_id(p->party, id);
    if ((rc = isx_node_get(n, id, NULL, &cur)) != 0 || isx_object_clear_body(cur) == NULL) {
        isx_object_free(cur);
        return 0; /* a party the depositary has no entry for: nothing to vouch for */
    }
    body = json_deep_copy(isx_object_clear_body(cur));
    if (body == NULL) {
        isx_object_free(cur);
        return ISX_ENOMEM;
    }
    json_object_set_new(body, "keys",
                        json_pack("[{s:s, s:s, s:s}]", "suite", "ed25519", "key", p->key_id,
                                  "public", p->sign_key));
    json_object_set_new(body, "box_key", json_string(p->box_key));
    struct isx_change change = {req->user->name, "update"};
    rc = isx_node_publish(n, "party", id, json_pack("{s:s}", "tlp", "green"), body, &change,
                          cur->version, NULL, &req->diag);
    isx_object_free(cur);
    return rc;
}

/* Another version of the entry may arrive from a peer between reading and writing: read again. */
static int
publish_keys_retrying(struct isx_http_req *req, const struct isx_peer *p)
{
    int rc = ISX_ECONFLICT;

    for (int attempt = 0; attempt < 5 && rc == ISX_ECONFLICT; attempt++) {
        memset(&req->diag, 0, sizeof(req->diag));
        rc = publish_keys(req, p);
    }
    return rc;
}

int
isx__api_peer_add(struct isx_http_req *req)
{
    struct isx_node *n = req->ctx;
    struct isx_peer p = {0}, stored;
    json_t *body = NULL, *doc;
    uint8_t pk[32];
    size_t len;
    int rc, existed;

    if ((rc = isx_http_body_json(req, &body)) != 0)
        return rc;
    if ((rc = isx_schema_check(body, peer_fields, "", &req->diag)) != 0)
        goto done;
    const char *party = json_string_value(json_object_get(body, "party"));
    if (strcmp(party, n->cfg.party) == 0) {
        rc = isx_diag_set(&req->diag, ISX_EINVAL, "party", "peer.self", party);
        goto done;
    }
    snprintf(p.party, sizeof(p.party), "%s", party);
    snprintf(p.url, sizeof(p.url), "%s", json_string_value(json_object_get(body, "url")));
    snprintf(p.name, sizeof(p.name), "%s", json_string_value(json_object_get(body, "name")));
    snprintf(p.sign_key, sizeof(p.sign_key), "%s",
             json_string_value(json_object_get(body, "sign_key")));
    snprintf(p.box_key, sizeof(p.box_key), "%s",
             json_string_value(json_object_get(body, "box_key")));
    p.relay = json_is_true(json_object_get(body, "relay"));
    isx_base64_decode(p.sign_key, strlen(p.sign_key), pk, sizeof(pk), &len);
    isx_sign_key_id(p.name, pk, p.key_id);
    existed = isx_store_peer_get(n->store, p.party, &stored) == 0;
    /* The depositary vouches for the keys first: a refusal then leaves no peer half-added. */
    if (strcmp(n->cfg.party, ISX_DEPOSITARY) == 0 && (rc = publish_keys_retrying(req, &p)) != 0)
        goto done;
    if ((rc = isx_store_peer_put(n->store, &p, req->user->name)) != 0 ||
        (rc = isx_store_peer_get(n->store, p.party, &stored)) != 0)
        goto done;
    isx_fed_kick(n->fed);
    doc = peer_json(&stored, log_size(n));
    rc = doc != NULL ? isx_http_reply_json(req, existed ? 200 : 201, doc) : ISX_ENOMEM;
    json_decref(doc);
done:
    json_decref(body);
    return rc;
}

int
isx__api_peer_remove(struct isx_http_req *req)
{
    struct isx_node *n = req->ctx;
    const char *party = NULL;
    int rc;

    if ((rc = party_param(req, &party)) != 0)
        return rc;
    if ((rc = isx_store_peer_remove(n->store, party)) != 0)
        return isx_diag_set(&req->diag, rc, "party", "api.not_found", party);
    return isx_http_reply_raw(req, 204, "application/json", "", 0);
}

static const struct isx_schema_field party_item = {"", ISX_SCHEMA_STRING,    0,    2,
                                                   3,  isx_party_code_check, NULL, NULL};
static const struct isx_schema_field release_request[] = {
    {"object", ISX_SCHEMA_STRING, ISX_SCHEMA_REQUIRED, 1, ISX_OBJECT_ID_MAX, NULL, NULL, NULL},
    {"to", ISX_SCHEMA_ARRAY, ISX_SCHEMA_REQUIRED | ISX_SCHEMA_UNIQUE, 1, 64, NULL, NULL,
     &party_item},
    {"reason", ISX_SCHEMA_STRING, 0, 1, 2000, NULL, NULL, NULL},
    END,
};

int
isx__api_release_create(struct isx_http_req *req)
{
    struct isx_node *n = req->ctx;
    struct isx_object *r = NULL;
    json_t *body = NULL;
    int rc;

    if ((rc = isx_http_body_json(req, &body)) != 0)
        return rc;
    if ((rc = isx_schema_check(body, release_request, "", &req->diag)) != 0)
        goto done;
    struct isx_change change = {req->user->name, "create"};
    if ((rc = isx_fed_release(
             n, json_string_value(json_object_get(body, "object")), json_object_get(body, "to"),
             json_string_value(json_object_get(body, "reason")), &change, &r, &req->diag)) != 0)
        goto done;
    rc = isx__api_reply_object(req, 201, r);
done:
    isx_object_free(r);
    json_decref(body);
    return rc;
}

int
isx__api_alarm_list(struct isx_http_req *req)
{
    struct isx_node *n = req->ctx;
    json_t *items = NULL, *doc;
    int rc;

    if ((rc = isx_store_alarm_list(n->store, &items)) != 0)
        return rc;
    doc = json_pack("{s:o}", "items", items);
    rc = doc != NULL ? isx_http_reply_json(req, 200, doc) : ISX_ENOMEM;
    json_decref(doc);
    return rc;
}
