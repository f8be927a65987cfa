/*
 * Making a release (Art. 6.3): the originator's signed consent that one version of its object
 * may go on to parties the marking does not name. Invariants: only the object's originator
 * releases it; the release names the exact version by hash, so a later version needs its own;
 * for a sealed object the release carries the content key wrapped for each new party, so
 * neither the forwarding party nor a relay ever holds a key it could hand on.
 */
#include <string.h>

#include "internal.h"
#include "isx/marking.h"
#include "isx/seal.h"

/* The parties the release goes to: those the object's marking names, and the new ones. */
static json_t *
release_marking(const struct isx_object *o, const json_t *to)
{
    json_t *parties = json_array(), *p;
    size_t i;

    if (parties == NULL)
        return NULL;
    json_array_foreach(json_object_get(o->marking, "to"), i, p) json_array_append(parties, p);
    json_array_foreach(to, i, p) json_array_append(parties, p);
    return json_pack("{s:s, s:o}", "tlp", "green", "to", parties);
}

int
isx_fed_release(struct isx_node *n, const char *id, const json_t *to, const char *reason,
                const struct isx_change *change, struct isx_object **out, struct isx_diag *d)
{
    struct isx_object *o = NULL;
    json_t *keys = NULL, *body = NULL, *p;
    size_t i;
    int rc;

    if (!isx_object_id_valid(id, NULL))
        return isx_diag_set(d, ISX_EFIELD, "object", "object.id", id);
    if ((rc = isx_node_get(n, id, NULL, &o)) != 0)
        return isx_diag_set(d, rc, "object", "api.not_found", id);
    if (strcmp(o->origin, n->cfg.party) != 0) {
        rc = isx_diag_set(d, ISX_EFORBIDDEN, "object", "release.not_originator", o->origin);
        goto done;
    }
    if ((keys = json_array()) == NULL) {
        rc = ISX_ENOMEM;
        goto done;
    }
    json_array_foreach(to, i, p)
    {
        const char *party = json_string_value(p);
        char path[32];
        snprintf(path, sizeof(path), "to[%zu]", i);
        if (strcmp(party, n->cfg.party) == 0 ||
            isx_marking_allows_party(o->marking, o->origin, party)) {
            rc = isx_diag_set(d, ISX_EINVAL, path, "release.already_named", party);
            goto done;
        }
        if (o->body != NULL)
            continue;
        /* The new party opens the object with the content key wrapped for it here. */
        uint8_t pk[ISX_BOX_PUBLIC_LEN];
        json_t *entry = NULL;
        if (isx_node_box_key_of(n, party, pk) != 0) {
            rc = isx_diag_set(d, ISX_EKEY, path, "seal.no_key", party);
            goto done;
        }
        if ((rc = isx_seal_rewrap(json_object_get(o->env, "sealed"), n->cfg.party, n->box, party,
                                  pk, &entry)) != 0) {
            rc = isx_diag_set(d, rc, "object", "seal.open", n->cfg.party);
            goto done;
        }
        json_array_append_new(keys, entry);
    }
    body = json_pack("{s:s, s:s, s:s, s:O}", "object", o->id, "version", o->version, "hash",
                     o->hash_hex, "to", to);
    if (body == NULL) {
        rc = ISX_ENOMEM;
        goto done;
    }
    if (json_array_size(keys) > 0)
        json_object_set(body, "keys", keys);
    if (reason != NULL)
        json_object_set_new(body, "reason", json_string(reason));
    rc = isx_node_publish(n, "release", NULL, release_marking(o, to), body, change, NULL, out, d);
    body = NULL; /* publish owns it */
done:
    json_decref(body);
    json_decref(keys);
    isx_object_free(o);
    return rc;
}
