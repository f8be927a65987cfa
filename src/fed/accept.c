/*
 * The door: every object from outside (a peer's push or pull, an operator's import) passes
 * these checks before it is stored. Invariants: nothing is stored whose originator signature
 * does not verify with a key this node trusts for that origin; nothing whose marking keeps it
 * from this party, unless a release by the originator names this party or this node is a
 * relay and cannot read it; nothing above TLP:GREEN in clear; no state secret (refused when
 * the envelope is parsed). A refusal changes nothing.
 */
#include <pthread.h>
#include <stdlib.h>
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

/*
 * Everything isx_fed_accept checks before it stores: 0 when `o` may be stored, ISX_EEXISTS
 * when it is already, or the refusal with `d` naming the reason. A sealed object for this
 * party is opened on the way (o->opened).
 */
static int
check(struct isx_node *n, struct isx_object *o, struct isx_diag *d)
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
    /* Rules that need what the node holds (issue 6): who may move a request, and so on. */
    if ((rc = check_rules(n, o, d)) != 0)
        goto done;
    rc = 0;
done:
    json_decref(release);
    json_decref(opened);
    return rc;
}

/* Names a storage failure of `o` in `d`, as a refusal the sender can log. */
static void
store_failed(struct isx_object *o, int rc, struct isx_diag *d)
{
    isx_diag_set(d, rc, "id", rc == ISX_ECONFLICT ? "object.conflict" : NULL, o->id);
}

int
isx_fed_accept(struct isx_node *n, struct isx_object *o, const struct isx_change *change,
               struct isx_diag *d)
{
    int rc;

    if ((rc = check(n, o, d)) != 0)
        return rc;
    rc = isx_store_put(n->store, o, change, NULL, 0);
    if (rc == 0)
        isx_fed_kick(n->fed);
    else if (rc != ISX_EEXISTS)
        store_failed(o, rc, d);
    return rc;
}

/*
 * Reports being accepted right now, by hash: a peer's push and our pull of the same peer
 * deliver the same objects at about the same time, and without this both would parse, verify
 * and check each of them in full before the store kept one copy. A claim lasts from the
 * start of a report's checks until its transaction has committed or it was refused; another
 * delivery waits for it and then finds the report stored (or, if it was refused, checks it
 * itself, so its own answer is still true). A claim belongs to a delivery stream (`owner`):
 * a pull keeps one page's claims while the page before it commits, and never waits for its
 * own claims. A delivery waits only once its own transaction is done and it holds no claim
 * that another could wait for, so deliveries cannot wait for each other in a circle. When the
 * table is full a report is simply not claimed: both deliveries check it.
 */
#define CLAIMS 1024

static struct {
    pthread_mutex_t lock;
    pthread_cond_t done;
    struct claim {
        const struct isx_node *n;
        const void *owner;
        uint8_t hash[32];
    } slot[CLAIMS];
} claims = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, {{NULL, NULL, {0}}}};

/* The claim on this hash, or NULL; with claims.lock held. */
static struct claim *
claim_of(const struct isx_node *n, const uint8_t hash[32])
{
    for (size_t i = 0; i < CLAIMS; i++) {
        struct claim *c = &claims.slot[i];
        if (c->n == n && memcmp(c->hash, hash, 32) == 0)
            return c;
    }
    return NULL;
}

/* 1 when `owner` now holds the claim, 0 when some delivery already does, -1 when full. */
static int
claim(const struct isx_node *n, const void *owner, const uint8_t hash[32])
{
    int rc = -1;

    pthread_mutex_lock(&claims.lock);
    if (claim_of(n, hash) != NULL) {
        rc = 0;
    } else {
        for (size_t i = 0; i < CLAIMS; i++) {
            struct claim *c = &claims.slot[i];
            if (c->n == NULL) {
                c->n = n;
                c->owner = owner;
                memcpy(c->hash, hash, 32);
                rc = 1;
                break;
            }
        }
    }
    pthread_mutex_unlock(&claims.lock);
    return rc;
}

static void
unclaim(const struct isx_node *n, const uint8_t hash[32])
{
    pthread_mutex_lock(&claims.lock);
    struct claim *c = claim_of(n, hash);
    if (c != NULL)
        c->n = NULL;
    pthread_cond_broadcast(&claims.done);
    pthread_mutex_unlock(&claims.lock);
}

/* Waits until no other delivery than `owner` holds a claim on this hash. */
static void
wait_unclaimed(const struct isx_node *n, const void *owner, const uint8_t hash[32])
{
    struct claim *c;

    pthread_mutex_lock(&claims.lock);
    while ((c = claim_of(n, hash)) != NULL && c->owner != owner)
        pthread_cond_wait(&claims.done, &claims.lock);
    pthread_mutex_unlock(&claims.lock);
}

/* One delivery between its checks and its transaction (isx__fed_accept_check). */
struct isx__fed_pending {
    struct isx_node *n;
    const struct isx_change *change;
    const void *owner;
    struct isx_object **objs;
    int *rcs;
    struct isx_diag *d;
    size_t end;
    size_t waiting;
    /* Reports checked and waiting to be stored together; `claimed` marks those held here. */
    struct isx_object *group[ISX_FED_BATCH_OBJECTS];
    size_t index[ISX_FED_BATCH_OBJECTS];
    int claimed[ISX_FED_BATCH_OBJECTS];
    int group_rcs[ISX_FED_BATCH_OBJECTS];
    size_t count;
    unsigned char later[ISX_FED_BATCH_OBJECTS]; /* by delivery index: another delivery has it */
};

/* Stores the group in one transaction, answers for each report and drops the claims. */
static void
flush(struct isx__fed_pending *p)
{
    int stored = 0, rc;

    if (p->count == 0)
        return;
    rc = isx_store_put_many(p->n->store, p->group, p->count, p->change, p->group_rcs);
    for (size_t k = 0; k < p->count; k++) {
        size_t i = p->index[k];
        p->rcs[i] = rc != 0 ? rc : p->group_rcs[k];
        if (p->rcs[i] == 0)
            stored = 1;
        else if (p->rcs[i] != ISX_EEXISTS)
            store_failed(p->group[k], p->rcs[i], &p->d[i]);
        if (p->claimed[k])
            unclaim(p->n, p->group[k]->hash);
    }
    p->count = 0;
    if (stored)
        isx_fed_kick(p->n->fed);
}

size_t
isx__fed_accept_check(struct isx_node *n, struct isx_object **objs, size_t count,
                      const struct isx_change *change, const void *owner, int stop_at_key, int *rcs,
                      struct isx_diag *d, struct isx__fed_pending **out)
{
    struct isx__fed_pending *p = calloc(1, sizeof(*p));
    size_t i;
    uint64_t index;
    int mine;

    *out = p;
    if (count > ISX_FED_BATCH_OBJECTS || p == NULL) {
        /* Not expected (deliveries are bounded); one by one is always correct. */
        for (i = 0; i < count; i++) {
            if (objs[i] != NULL)
                rcs[i] = isx_fed_accept(n, objs[i], change, &d[i]);
            if (stop_at_key && objs[i] != NULL && rcs[i] == ISX_EKEY)
                break;
        }
        free(p);
        *out = NULL;
        return i < count ? i + 1 : count;
    }
    *p = (struct isx__fed_pending){.n = n,
                                   .change = change,
                                   .owner = owner != NULL ? owner : p,
                                   .objs = objs,
                                   .rcs = rcs,
                                   .d = d,
                                   .end = count};
    for (i = 0; i < p->end; i++) {
        struct isx_object *o = objs[i];
        if (o == NULL)
            continue;
        /* Only reports are grouped: nothing a report does changes the checks of the objects
         * after it, while a directory entry (keys) or a release (who may receive) does, so
         * those are stored alone, after everything before them. */
        if (strcmp(o->type, "report") != 0) {
            flush(p);
            rcs[i] = isx_fed_accept(n, o, change, &d[i]);
            if (stop_at_key && rcs[i] == ISX_EKEY)
                p->end = i + 1;
            continue;
        }
        if (isx_store_log_index_of_hash(n->store, o->hash, &index) == 0) {
            rcs[i] = ISX_EEXISTS;
            continue;
        }
        if ((mine = claim(n, p->owner, o->hash)) == 0) {
            p->later[i] = 1; /* answered in isx__fed_accept_commit */
            p->waiting++;
            continue;
        }
        if ((rcs[i] = check(n, o, &d[i])) != 0) {
            if (mine == 1)
                unclaim(n, o->hash);
            if (stop_at_key && rcs[i] == ISX_EKEY)
                p->end = i + 1;
            continue;
        }
        p->group[p->count] = o;
        p->index[p->count] = i;
        p->claimed[p->count] = mine == 1;
        p->count++;
    }
    return p->end;
}

void
isx__fed_accept_commit(struct isx__fed_pending *p)
{
    if (p == NULL)
        return;
    flush(p);
    /* What another delivery had: by now usually stored, so a duplicate; if it was refused
     * there, it gets its own full check here. */
    for (size_t i = 0; p->waiting > 0 && i < p->end; i++) {
        if (!p->later[i])
            continue;
        wait_unclaimed(p->n, p->owner, p->objs[i]->hash);
        p->rcs[i] = isx_fed_accept(p->n, p->objs[i], p->change, &p->d[i]);
        p->waiting--;
    }
    free(p);
}

size_t
isx__fed_accept_many(struct isx_node *n, struct isx_object **objs, size_t count,
                     const struct isx_change *change, int stop_at_key, int *rcs, struct isx_diag *d)
{
    struct isx__fed_pending *p;
    size_t end = isx__fed_accept_check(n, objs, count, change, NULL, stop_at_key, rcs, d, &p);

    isx__fed_accept_commit(p);
    return end;
}
