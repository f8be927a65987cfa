/*
 * The door: every object from outside (a peer's push or pull, an operator's import) passes
 * these checks before it is stored. Invariants: nothing is stored whose originator signature
 * does not verify with a key this node trusts for that origin; nothing whose marking keeps it
 * from this party, unless a release by the originator names this party or this node is a
 * relay and cannot read it; nothing above TLP:GREEN in clear; no state secret (refused when
 * the envelope is parsed). A refusal changes nothing.
 */
#include <string.h>

#include "internal.h"
#include "isx/bodies.h"
#include "isx/directory.h"
#include "isx/marking.h"
#include "isx/pings.h"
#include "isx/release.h"
#include "isx/request.h"
#include "isx/seal.h"
#include "isx/taxonomy.h"

/* The body's own checks (include/isx/bodies.h), for every type. */
static int
check_body(const struct isx_object *o, const json_t *body, struct isx_diag *d)
{
    return isx_body_check(o->type, body, "body", d);
}

/* A party's entry is published by that party (or the depositary's signed directory), and a
 * party's authorities and contacts by that party: no node speaks for another. */
static int
check_speaker(struct isx_node *n, const struct isx_object *o, struct isx_diag *d)
{
    const char *owner;

    if (!isx_directory_type(o->type) || o->body == NULL)
        return 0;
    if (strcmp(o->type, "party") == 0) {
        owner = json_string_value(json_object_get(o->body, "code"));
        /* This node's party entry carries its keys; only this node may change it. */
        if (owner != NULL && strcmp(owner, n->cfg.party) == 0 &&
            strcmp(o->origin, n->cfg.party) != 0)
            return isx_diag_set(d, ISX_EFORBIDDEN, "body.code", "directory.own_entry",
                                n->cfg.party);
    } else {
        owner = json_string_value(json_object_get(o->body, "party"));
    }
    if (owner != NULL && strcmp(owner, o->origin) != 0 &&
        !(strcmp(o->type, "party") == 0 && strcmp(o->origin, ISX_DEPOSITARY) == 0))
        return isx_diag_set(d, ISX_EFORBIDDEN, "origin", "directory.not_origin", owner);
    return 0;
}

/*
 * Rules that need what the node already holds, by type: who may move a request, answer a
 * ping or consent to a consultation. Each returns 0 or an error with `d` set; `body` is the
 * clear body (opened when the object was sealed). The table ends with a NULL type.
 */
static const struct {
    const char *type;
    int (*rule)(struct isx_node *n, const struct isx_object *o, const json_t *body,
                struct isx_diag *d);
} door_rules[] = {
    /* Requests and joint response (issue 6). */
    {"request", isx_request_door},
    {"message", isx_request_door_message},
    {"document", isx_request_door_document},

    /* Communication checks (issue 6). */
    {"ping", isx_pings_door_ping},
    {"ack", isx_pings_door_ack},

    /* Consultations and the agreement's calendar (issue 6). */
    {"notification", isx__fed_rule_notification},
    {"consultation", isx__fed_rule_consultation},
    {"consent", isx__fed_rule_consent},

    {NULL, NULL},
};

static int
check_rules(struct isx_node *n, const struct isx_object *o, struct isx_diag *d)
{
    const json_t *body = isx_object_clear_body(o);

    for (size_t i = 0; body != NULL && door_rules[i].type != NULL; i++) {
        if (strcmp(door_rules[i].type, o->type) == 0)
            return door_rules[i].rule(n, o, body, d);
    }
    return 0;
}

/*
 * The release by the object's originator that names this party, if one is stored here; its
 * body (a new reference) in *release_body.
 */
static int
release_for_us(struct isx_node *n, const struct isx_object *o, json_t **release_body)
{
    struct isx_buf b = ISX_BUF_INIT;
    struct isx_object *r = NULL;
    int rc = ISX_ENOTFOUND;

    if (isx_store_release_find(n->store, o->hash, n->cfg.party, &b) == 0 &&
        isx_object_parse(b.data, b.len, &r, NULL) == 0 && r->body != NULL &&
        strcmp(r->origin, o->origin) == 0 &&
        strcmp(json_string_value(json_object_get(r->body, "object")), o->id) == 0) {
        *release_body = json_incref((json_t *)r->body);
        rc = 0;
    }
    isx_object_free(r);
    isx_buf_free(&b);
    return rc;
}

int
isx_fed_accept(struct isx_node *n, struct isx_object *o, const struct isx_change *change,
               struct isx_diag *d)
{
    json_t *release = NULL, *opened = NULL;
    enum isx_tlp tlp = ISX_TLP_CLEAR;
    int for_us, relayed = 0, rc;

    isx_tlp_parse(json_string_value(json_object_get(o->marking, "tlp")), &tlp);
    /* Push and pull both deliver, so most second copies arrive here: an object already
     * stored (same hash, so the same bytes and signature) needs no check again. */
    uint64_t index;
    if (isx_store_log_index_of_hash(n->store, o->hash, &index) == 0) {
        rc = ISX_EEXISTS;
        goto done;
    }
    if (o->body != NULL && (rc = check_body(o, o->body, d)) != 0)
        goto done;
    if ((rc = isx_object_verify(o, isx_node_keyfn, n, d)) != 0)
        goto done;
    if ((rc = check_speaker(n, o, d)) != 0)
        goto done;
    /* The agreement's calendar (issue 6): a state the agreement does not bind today is no
     * party for this node (src/fed/calendar.c). */
    if ((rc = isx__fed_door_party(n, o, d)) != 0)
        goto done;
    for_us = isx_marking_allows_party(o->marking, o->origin, n->cfg.party);
    if (!for_us && release_for_us(n, o, &release) == 0)
        for_us = 1;
    if (!for_us) {
        /* A relay carries what it cannot read; anything it could read is not for it. */
        if (!(n->cfg.relay && o->body == NULL)) {
            rc = isx_diag_set(d, ISX_EMARKING, "marking.to", "marking.not_for_us", n->cfg.party);
            goto done;
        }
        relayed = 1;
    }
    /* Art. 6 by construction: above GREEN the body never travels in clear. */
    if (isx_tlp_needs_seal(tlp) && o->body != NULL) {
        rc = isx_diag_set(d, ISX_EMARKING, "body", "seal.required", isx_tlp_name(tlp));
        goto done;
    }
    if (o->body == NULL && !relayed) {
        const json_t *key = release != NULL ? isx_release_key_for(release, n->cfg.party) : NULL;
        if ((rc = isx_object_open(o, n->cfg.party, n->box, key, &opened)) != 0) {
            rc = isx_diag_set(d, rc, "sealed", "seal.open", n->cfg.party);
            goto done;
        }
        if ((rc = check_body(o, opened, d)) != 0)
            goto done;
        json_decref(o->opened);
        o->opened = opened;
        opened = NULL;
    }
    if ((rc = check_rules(n, o, d)) != 0)
        goto done;
    rc = isx_store_put(n->store, o, change, NULL, 0);
    if (rc == 0)
        isx_fed_kick(n->fed);
    else if (rc != ISX_EEXISTS)
        isx_diag_set(d, rc, "id", rc == ISX_ECONFLICT ? "object.conflict" : NULL, o->id);
done:
    json_decref(release);
    json_decref(opened);
    return rc;
}
