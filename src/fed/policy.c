/*
 * Who may receive what (Art. 6). Decided from the object's marking before anything leaves the
 * node, on every path out: push, pull and relay all build their batches here. Invariants: an
 * object goes to a party only when its marking names that party or a release signed by its
 * originator does; to a relay peer only sealed, and only when a party it names is out of this
 * node's reach; never back to its origin.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "isx/hash.h"
#include "isx/directory.h"
#include "isx/marking.h"
#include "isx/release.h"
#include "isx/taxonomy.h"

int
isx__fed_is_peer(struct isx_node *n, const char *party)
{
    struct isx_peer p;

    return isx_store_peer_get(n->store, party, &p) == 0;
}

/* The entries `isx init` writes for other parties are this node's local copies, not news. */
static int
local_copy(const struct isx_node *n, const struct isx_object *o)
{
    const char *owner;

    if (!isx_directory_type(o->type) || o->body == NULL || strcmp(o->origin, n->cfg.party) != 0)
        return 0;
    owner = json_string_value(
        json_object_get(o->body, strcmp(o->type, "party") == 0 ? "code" : "party"));
    return owner != NULL && strcmp(owner, n->cfg.party) != 0 &&
           strcmp(n->cfg.party, ISX_DEPOSITARY) != 0;
}

/* A party's own entry is its word: copies of it (the depositary's) are not news to it. */
static int
about_itself(const struct isx_object *o, const char *party)
{
    const char *code;

    if (strcmp(o->type, "party") != 0 || o->body == NULL)
        return 0;
    code = json_string_value(json_object_get(o->body, "code"));
    return code != NULL && strcmp(code, party) == 0;
}

int
isx_fed_may_send(struct isx_node *n, const struct isx_object *o, const char *party,
                 struct isx_buf *release)
{
    struct isx_buf b = ISX_BUF_INIT;
    struct isx_object *r = NULL;
    int ok = 0;

    if (strcmp(o->origin, party) == 0 || local_copy(n, o) || about_itself(o, party))
        return 0;
    if (isx_marking_allows_party(o->marking, o->origin, party))
        return 1;
    /* Onward transfer (Art. 6.3): only with the originator's signed release naming the party. */
    if (isx_store_release_find(n->store, o->hash, party, &b) == 0 &&
        isx_object_parse(b.data, b.len, &r, NULL) == 0 && r->body != NULL &&
        strcmp(r->origin, o->origin) == 0 &&
        strcmp(json_string_value(json_object_get(r->body, "object")), o->id) == 0) {
        ok = 1;
        if (release != NULL && isx_buf_append(release, b.data, b.len) != 0)
            ok = 0;
    }
    isx_object_free(r);
    isx_buf_free(&b);
    return ok;
}

/*
 * A relay gets a sealed object when a party it names is neither this node's party nor one of
 * its peers: the relay reaches parties this node does not, and cannot read what it carries.
 */
static int
needs_relay(struct isx_node *n, const struct isx_object *o, const struct isx_peer *relay)
{
    size_t i;
    json_t *p;

    if (o->body != NULL || !relay->relay || strcmp(o->origin, relay->party) == 0)
        return 0;
    json_array_foreach(json_object_get(o->marking, "to"), i, p)
    {
        const char *party = json_string_value(p);
        if (strcmp(party, n->cfg.party) != 0 && strcmp(party, relay->party) != 0 &&
            strcmp(party, o->origin) != 0 && !isx__fed_is_peer(n, party) &&
            /* The agreement's calendar (issue 6): not for a party that is not bound today. */
            isx_fed_party_bound(n, party, isx_fed_today()) > 0)
            return 1;
    }
    return 0;
}

struct batch {
    struct isx_node *n;
    const struct isx_peer *peer;
    struct isx_buf *out;
    size_t max_bytes;
    size_t count;
    uint64_t next;
    int full;
};

static int
append(struct batch *b, const void *canonical, size_t len)
{
    int rc;

    if (b->count > 0 && (rc = isx_buf_append(b->out, ",", 1)) != 0)
        return rc;
    if ((rc = isx_buf_append(b->out, canonical, len)) != 0)
        return rc;
    b->count++;
    return 0;
}

/* A release that names the peer brings the object it releases, when the marking would not. */
static int
with_released(struct batch *b, const struct isx_object *r)
{
    const char *hex = json_string_value(json_object_get(r->body, "hash"));
    struct isx_buf obj = ISX_BUF_INIT;
    struct isx_object *o = NULL;
    uint8_t hash[32];
    int rc = 0;

    if (r->body == NULL || !isx_release_names(r->body, b->peer->party) || hex == NULL ||
        isx_hex_decode(hex, strlen(hex), hash, 32) != 0)
        return 0;
    if (isx_store_get_by_hash(b->n->store, hash, &obj) != 0 ||
        isx_object_parse(obj.data, obj.len, &o, NULL) != 0)
        goto done; /* not held here: the peer gets it from whoever holds it */
    if (strcmp(o->origin, r->origin) == 0 &&
        !isx_marking_allows_party(o->marking, o->origin, b->peer->party) &&
        strcmp(o->origin, b->peer->party) != 0)
        rc = append(b, obj.data, obj.len);
done:
    isx_object_free(o);
    isx_buf_free(&obj);
    return rc;
}

static int
visit(void *ctx, const struct isx_store_leaf *leaf)
{
    struct batch *b = ctx;
    struct isx_buf release = ISX_BUF_INIT;
    struct isx_object *o = NULL;
    const void *canonical = leaf->canonical;
    size_t len = leaf->len;
    int rc = 0;

    if (b->count >= ISX_FED_BATCH_OBJECTS || b->out->len + len > b->max_bytes) {
        /* Always make progress: a batch takes at least its first object, however large. */
        if (b->count > 0) {
            b->full = 1;
            return 1;
        }
    }
    /* Nothing goes back to its origin, whatever its type (isx_fed_may_send, needs_relay), so
     * what the peer itself sent us is passed over without parsing it: a node that receives
     * much from a peer would otherwise parse all of it again on every push to that peer. */
    if (strcmp(leaf->origin, b->peer->party) == 0)
        goto next;
    if (isx_object_parse(canonical, len, &o, NULL) != 0)
        goto next; /* the audit reports damaged objects; delivery skips them */
    if (isx_fed_may_send(b->n, o, b->peer->party, &release)) {
        if (release.len > 0 && (rc = append(b, release.data, release.len)) != 0)
            goto done;
        rc = append(b, canonical, len);
    } else if (needs_relay(b->n, o, b->peer)) {
        rc = append(b, canonical, len);
    }
    if (rc == 0 && strcmp(o->type, "release") == 0 &&
        isx_fed_may_send(b->n, o, b->peer->party, NULL))
        rc = with_released(b, o);
    if (rc != 0)
        goto done;
next:
    b->next = (uint64_t)leaf->seq; /* leaf seq - 1 is done; continue from leaf seq */
done:
    isx_object_free(o);
    isx_buf_free(&release);
    return rc;
}

int
isx__fed_batch(struct isx_node *n, const struct isx_peer *peer, uint64_t after, size_t max_bytes,
               struct isx_buf *out, size_t *count, uint64_t *next)
{
    struct isx_buf body = ISX_BUF_INIT;
    struct batch b = {n, peer, &body, max_bytes, 0, after, 0};
    int rc;

    if ((rc = isx_buf_append(&body, "[", 1)) != 0)
        goto done;
    /* The agreement's calendar (issue 6, calendar.c): a party that is not bound today is
     * offered nothing, and its cursor stays where it is. */
    if ((rc = isx_fed_party_bound(n, peer->party, isx_fed_today())) < 0)
        goto done;
    rc = rc == 0 ? 0 : isx_store_log_range(n->store, after, ISX_FED_SCAN_LEAVES, visit, &b);
    if (rc == 1)
        rc = 0; /* the batch filled up */
    if (rc != 0 || (rc = isx_buf_append(&body, "]", 1)) != 0)
        goto done;
    if ((rc = isx_buf_append(out, body.data, body.len)) != 0)
        goto done;
    *count = b.count;
    *next = b.next;
done:
    isx_buf_free(&body);
    return rc;
}
