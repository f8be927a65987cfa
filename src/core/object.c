/*
 * Object envelopes: construction, sealing, signing, parsing, verification and opening.
 * Invariants: once an object is signed or parsed, `canonical` holds the RFC 8785 form of `env`
 * and `hash` its SHA-256, and nothing changes `env` afterwards; an object is sealed only while
 * unsigned, so its signature always covers the sealed form; the sealed body is bound to the
 * header (isx_object_header_encode) as associated data.
 */
#include <stdlib.h>
#include <string.h>

#include "isx/hash.h"
#include "isx/jcs.h"
#include "isx/marking.h"
#include "isx/object.h"
#include "isx/taxonomy.h"
#include "isx/timeutil.h"

static const char *const object_types[] = {
    "party", "authority",    "poc",     "report",       "request", "message",  "ping",
    "ack",   "consultation", "consent", "notification", "release", "document", "revocation",
};

#define MAX_SIGS 16

int
isx_object_type_known(const char *type)
{
    for (size_t i = 0; type != NULL && i < sizeof(object_types) / sizeof(object_types[0]); i++) {
        if (strcmp(type, object_types[i]) == 0)
            return 1;
    }
    return 0;
}

static int
uuid_valid(const char *u)
{
    static const char shape[] = "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx";

    if (strlen(u) != sizeof(shape) - 1)
        return 0;
    for (size_t i = 0; shape[i] != '\0'; i++) {
        if (shape[i] == '-') {
            if (u[i] != '-')
                return 0;
        } else if (!((u[i] >= '0' && u[i] <= '9') || (u[i] >= 'a' && u[i] <= 'f'))) {
            return 0;
        }
    }
    return 1;
}

int
isx_object_id_valid(const char *id, const char *type)
{
    const char *sep;
    char prefix[32];

    if (id == NULL || (sep = strstr(id, "--")) == NULL || (size_t)(sep - id) >= sizeof(prefix))
        return 0;
    memcpy(prefix, id, (size_t)(sep - id));
    prefix[sep - id] = '\0';
    if (type != NULL ? strcmp(prefix, type) != 0 : !isx_object_type_known(prefix))
        return 0;
    return uuid_valid(sep + 2);
}

static void
bind_fields(struct isx_object *o)
{
    o->type = json_string_value(json_object_get(o->env, "type"));
    o->id = json_string_value(json_object_get(o->env, "id"));
    o->version = json_string_value(json_object_get(o->env, "version"));
    o->origin = json_string_value(json_object_get(o->env, "origin"));
    o->marking = json_object_get(o->env, "marking");
    o->body = json_object_get(o->env, "body");
}

int
isx_object_new(const char *type, const char *id, const char *origin, json_t *marking, json_t *body,
               const char *prev_version, struct isx_object **out)
{
    struct isx_object *o = NULL;
    char uuid[37], idbuf[ISX_OBJECT_ID_MAX + 1], version[ISX_TIME_LEN + 1];
    int64_t now = isx_time_now_ms(), prev;
    int rc = ISX_ENOMEM;

    if (!isx_object_type_known(type) || !isx_party_code_valid(origin) || marking == NULL ||
        body == NULL) {
        rc = ISX_EINVAL;
        goto done;
    }
    if (id == NULL) {
        isx_uuid4(uuid);
        snprintf(idbuf, sizeof(idbuf), "%s--%s", type, uuid);
        id = idbuf;
    } else if (!isx_object_id_valid(id, type)) {
        rc = ISX_EINVAL;
        goto done;
    }
    /* Versions are timestamps that must strictly increase; within one millisecond of the
     * previous version, step past it. */
    if (prev_version != NULL && isx_time_parse(prev_version, &prev) == 0 && now <= prev)
        now = prev + 1;
    isx_time_format(now, version);

    if ((o = calloc(1, sizeof(*o))) == NULL)
        goto done;
    o->env = json_pack("{s:i, s:s, s:s, s:s, s:s, s:O, s:O}", "isx", 1, "type", type, "id", id,
                       "version", version, "origin", origin, "marking", marking, "body", body);
    if (o->env == NULL)
        goto done;
    bind_fields(o);
    *out = o;
    o = NULL;
    rc = 0;
done:
    json_decref(marking);
    json_decref(body);
    isx_object_free(o);
    return rc;
}

static void
set_hash(struct isx_object *o)
{
    isx_sha256(o->canonical.data, o->canonical.len, o->hash);
    isx_hex_encode(o->hash, sizeof(o->hash), o->hash_hex);
}

/* The bytes that signatures cover: the canonical envelope without "sig". */
static int
signing_bytes(const json_t *env, struct isx_buf *out)
{
    json_t *copy = json_copy((json_t *)env);
    int rc;

    if (copy == NULL)
        return ISX_ENOMEM;
    json_object_del(copy, "sig");
    rc = isx_jcs_encode(copy, out);
    json_decref(copy);
    return rc;
}

int
isx_object_sign(struct isx_object *o, struct isx_signer *signer)
{
    struct isx_buf msg = ISX_BUF_INIT;
    uint8_t sig[ISX_SIGN_SIG_LEN];
    char sigb64[128];
    json_t *sigs = NULL;
    int rc;

    json_object_del(o->env, "sig");
    if ((rc = isx_jcs_encode(o->env, &msg)) != 0)
        goto done;
    if ((rc = isx_signer_sign(signer, msg.data, msg.len, sig)) != 0)
        goto done;
    isx_base64_encode(sig, sizeof(sig), sigb64);
    sigs = json_pack("[{s:s, s:s, s:s}]", "suite", "ed25519", "key", isx_signer_key_id(signer),
                     "value", sigb64);
    if (sigs == NULL || json_object_set_new(o->env, "sig", sigs) != 0) {
        rc = ISX_ENOMEM;
        goto done;
    }
    bind_fields(o);
    isx_buf_reset(&o->canonical);
    if ((rc = isx_jcs_encode(o->env, &o->canonical)) != 0)
        goto done;
    set_hash(o);
done:
    isx_buf_free(&msg);
    return rc;
}

int
isx_object_header_encode(const json_t *env, struct isx_buf *out)
{
    json_t *copy = NULL;
    int rc;

    if (!json_is_object(env)) {
        rc = ISX_EINVAL;
        goto done;
    }
    /* A shallow copy is enough: only top-level members are removed. */
    if ((copy = json_copy((json_t *)env)) == NULL) {
        rc = ISX_ENOMEM;
        goto done;
    }
    json_object_del(copy, "body");
    json_object_del(copy, "sealed");
    json_object_del(copy, "sig");
    rc = isx_jcs_encode(copy, out);
done:
    json_decref(copy);
    return rc;
}

/* Wipes a buffer that held a body in clear before freeing it (see include/isx/seal.h). */
static void
buf_wipe_free(struct isx_buf *b)
{
    if (b->data != NULL)
        isx_memzero(b->data, b->cap);
    isx_buf_free(b);
}

int
isx_object_seal(struct isx_object *o, const struct isx_seal_recipient *r, size_t nr)
{
    struct isx_buf aad = ISX_BUF_INIT, plain = ISX_BUF_INIT;
    json_t *sealed = NULL;
    size_t i;
    int rc;

    /* Sealing a signed object would invalidate its signature, and a sealed object has no body
     * left to seal: both are caller bugs. */
    if (o == NULL || o->body == NULL || json_object_get(o->env, "sig") != NULL ||
        json_object_get(o->env, "sealed") != NULL || r == NULL) {
        rc = ISX_EINVAL;
        goto done;
    }
    /* A key for a party the marking leaves out would hand it the body (Art. 6). */
    for (i = 0; i < nr; i++) {
        if (r[i].party != NULL && !isx_marking_allows_party(o->marking, o->origin, r[i].party)) {
            rc = ISX_EMARKING;
            goto done;
        }
    }
    if ((rc = isx_object_header_encode(o->env, &aad)) != 0 ||
        (rc = isx_jcs_encode(o->body, &plain)) != 0 ||
        (rc = isx_seal(aad.data, aad.len, plain.data, plain.len, r, nr, &sealed)) != 0)
        goto done;
    rc = json_object_set_new(o->env, "sealed", sealed);
    sealed = NULL;
    if (rc != 0) {
        rc = ISX_ENOMEM;
        goto done;
    }
    json_object_del(o->env, "body");
    bind_fields(o);
    rc = 0;
done:
    buf_wipe_free(&plain);
    isx_buf_free(&aad);
    json_decref(sealed);
    return rc;
}

int
isx_object_open(const struct isx_object *o, const char *party, const struct isx_box_key *k,
                const json_t *key_entry, json_t **body)
{
    struct isx_buf aad = ISX_BUF_INIT, plain = ISX_BUF_INIT;
    const json_t *sealed = o != NULL ? json_object_get(o->env, "sealed") : NULL;
    json_t *b = NULL;
    int rc;

    if (sealed == NULL) {
        rc = ISX_EINVAL;
        goto done;
    }
    if ((rc = isx_object_header_encode(o->env, &aad)) != 0)
        goto done;
    if (key_entry != NULL)
        rc = isx_seal_open_with(sealed, key_entry, aad.data, aad.len, party, k, &plain);
    else
        rc = isx_seal_open(sealed, aad.data, aad.len, party, k, &plain);
    if (rc != 0)
        goto done;
    /* The bytes authenticated, so they are what the originator sealed; a body that is not an
     * object is still refused, as isx_object_parse refuses one in clear. */
    if (isx_json_parse(plain.data, plain.len, &b, NULL) != 0 || !json_is_object(b)) {
        rc = ISX_EFIELD;
        goto done;
    }
    *body = b;
    b = NULL;
    rc = 0;
done:
    buf_wipe_free(&plain);
    isx_buf_free(&aad);
    json_decref(b);
    return rc;
}

/* Every key entry of a sealed member must be for a party the marking allows. */
static int
check_sealed_parties(const json_t *sealed, const json_t *marking, const char *origin,
                     struct isx_diag *d)
{
    const json_t *keys = json_object_get(sealed, "keys");
    char path[48];
    size_t i;
    json_t *e;

    json_array_foreach(keys, i, e)
    {
        const char *party = json_string_value(json_object_get(e, "party"));
        if (!isx_marking_allows_party(marking, origin, party)) {
            snprintf(path, sizeof(path), "sealed.keys[%zu].party", i);
            return isx_diag_set(d, ISX_EFIELD, path, "seal.party_marking", party);
        }
    }
    return 0;
}

static int
check_sig_list(const json_t *sigs, struct isx_diag *d)
{
    size_t i;
    json_t *s;
    char path[32];

    if (!json_is_array(sigs) || json_array_size(sigs) == 0 || json_array_size(sigs) > MAX_SIGS)
        return isx_diag_set(d, ISX_EFIELD, "sig", "object.sig", NULL);
    json_array_foreach(sigs, i, s)
    {
        snprintf(path, sizeof(path), "sig[%zu]", i);
        const char *suite = json_string_value(json_object_get(s, "suite"));
        const char *key = json_string_value(json_object_get(s, "key"));
        const char *value = json_string_value(json_object_get(s, "value"));
        if (!json_is_object(s) || json_object_size(s) != 3 || suite == NULL || key == NULL ||
            value == NULL || strlen(key) != 8 || strlen(value) > 512)
            return isx_diag_set(d, ISX_EFIELD, path, "object.sig", NULL);
    }
    return 0;
}

int
isx_object_from_json(json_t *env, struct isx_object **out, struct isx_diag *d)
{
    static const char *const allowed[] = {"isx",     "type", "id",     "version", "origin",
                                          "marking", "body", "sealed", "sig"};
    struct isx_object *o = NULL;
    const char *key;
    json_t *val;
    int64_t ms;
    int rc;

    if (!json_is_object(env)) {
        rc = isx_diag_set(d, ISX_ETYPE, "", "schema.type", "object");
        goto done;
    }
    json_object_foreach(env, key, val)
    {
        size_t i;
        for (i = 0; i < sizeof(allowed) / sizeof(allowed[0]); i++) {
            if (strcmp(key, allowed[i]) == 0)
                break;
        }
        if (i == sizeof(allowed) / sizeof(allowed[0])) {
            rc = isx_diag_set(d, ISX_EUNKNOWN_FIELD, key, "schema.unknown", key);
            goto done;
        }
    }
    if (!json_is_integer(json_object_get(env, "isx")) ||
        json_integer_value(json_object_get(env, "isx")) != 1) {
        rc = isx_diag_set(d, ISX_EFIELD, "isx", "object.format", NULL);
        goto done;
    }
    const char *type = json_string_value(json_object_get(env, "type"));
    if (!isx_object_type_known(type)) {
        rc = isx_diag_set(d, ISX_EFIELD, "type", "object.type", type);
        goto done;
    }
    if (!isx_object_id_valid(json_string_value(json_object_get(env, "id")), type)) {
        rc = isx_diag_set(d, ISX_EFIELD, "id", "object.id", NULL);
        goto done;
    }
    const char *version = json_string_value(json_object_get(env, "version"));
    if (version == NULL || strlen(version) != ISX_TIME_LEN || isx_time_parse(version, &ms) != 0) {
        rc = isx_diag_set(d, ISX_EFIELD, "version", "object.version", NULL);
        goto done;
    }
    const char *origin = json_string_value(json_object_get(env, "origin"));
    if (!isx_party_code_valid(origin)) {
        rc = isx_diag_set(d, ISX_EFIELD, "origin", "party.code", origin);
        goto done;
    }
    json_t *marking = json_object_get(env, "marking");
    if (marking == NULL) {
        rc = isx_diag_set(d, ISX_EMISSING, "marking", "schema.missing", "marking");
        goto done;
    }
    if ((rc = isx_marking_check(marking, "marking", d)) != 0)
        goto done;
    json_t *body = json_object_get(env, "body"), *sealed = json_object_get(env, "sealed");
    if ((body == NULL) == (sealed == NULL) || (body != NULL && !json_is_object(body)) ||
        (sealed != NULL && !json_is_object(sealed))) {
        rc = isx_diag_set(d, ISX_EFIELD, body != NULL ? "body" : "sealed", "object.body", NULL);
        goto done;
    }
    if (sealed != NULL && ((rc = isx_seal_check(sealed, "sealed", d)) != 0 ||
                           (rc = check_sealed_parties(sealed, marking, origin, d)) != 0))
        goto done;
    if ((rc = check_sig_list(json_object_get(env, "sig"), d)) != 0)
        goto done;

    if ((o = calloc(1, sizeof(*o))) == NULL) {
        rc = ISX_ENOMEM;
        goto done;
    }
    o->env = env;
    env = NULL;
    bind_fields(o);
    if ((rc = isx_jcs_encode(o->env, &o->canonical)) != 0) {
        rc = isx_diag_set(d, rc, "", "error.json", NULL);
        goto done;
    }
    set_hash(o);
    *out = o;
    o = NULL;
    rc = 0;
done:
    json_decref(env);
    isx_object_free(o);
    return rc;
}

int
isx_object_parse(const char *text, size_t len, struct isx_object **out, struct isx_diag *d)
{
    json_t *env;
    int rc = isx_json_parse(text, len, &env, d);

    if (rc != 0)
        return rc;
    return isx_object_from_json(env, out, d);
}

int
isx_object_verify(const struct isx_object *o, isx_object_keyfn keyfn, void *ctx, struct isx_diag *d)
{
    struct isx_buf msg = ISX_BUF_INIT;
    const json_t *sigs = json_object_get(o->env, "sig");
    uint8_t pk[ISX_SIGN_PUBLIC_LEN], sig[ISX_SIGN_SIG_LEN + 4];
    size_t i, siglen;
    json_t *s;
    char path[32];
    int rc;

    if (json_array_size(sigs) == 0) {
        rc = isx_diag_set(d, ISX_ESIG, "sig", "object.unsigned", NULL);
        goto done;
    }
    if ((rc = signing_bytes(o->env, &msg)) != 0)
        goto done;
    json_array_foreach(sigs, i, s)
    {
        const char *suite = json_string_value(json_object_get(s, "suite"));
        const char *key = json_string_value(json_object_get(s, "key"));
        const char *value = json_string_value(json_object_get(s, "value"));
        snprintf(path, sizeof(path), "sig[%zu]", i);
        if (suite == NULL || strcmp(suite, "ed25519") != 0) {
            rc = isx_diag_set(d, ISX_ESIG, path, "object.suite", suite);
            goto done;
        }
        if (keyfn(ctx, o->origin, key, pk) != 0) {
            rc = isx_diag_set(d, ISX_EKEY, path, "object.key", key);
            goto done;
        }
        if (isx_base64_decode(value, strlen(value), sig, sizeof(sig), &siglen) != 0 ||
            siglen != ISX_SIGN_SIG_LEN || isx_sign_verify(pk, msg.data, msg.len, sig) != 0) {
            rc = isx_diag_set(d, ISX_ESIG, path, "object.sig_bad", key);
            goto done;
        }
    }
    rc = 0;
done:
    isx_buf_free(&msg);
    return rc;
}

const json_t *
isx_object_clear_body(const struct isx_object *o)
{
    return o->body != NULL ? o->body : o->opened;
}

void
isx_object_free(struct isx_object *o)
{
    if (o == NULL)
        return;
    json_decref(o->env);
    json_decref(o->opened);
    isx_buf_free(&o->canonical);
    free(o);
}
