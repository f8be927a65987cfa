/*
 * The node on disk and in memory: creating it (`isx init`), opening it (isxd and the local
 * CLI verbs), and publishing objects through its signer into its store. Secret keys are read
 * only from files that no one but the owner can read, and never leave the signer.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "isx/directory.h"
#include "isx/fed.h"
#include "isx/hash.h"
#include "isx/jcs.h"
#include "isx/marking.h"
#include "isx/node.h"
#include "isx/seal.h"
#include "isx/taxonomy.h"

int
isx_file_read(const char *path, size_t max, struct isx_buf *out)
{
    char chunk[65536];
    size_t n, total = 0;
    FILE *f = fopen(path, "rb");
    int rc = 0;

    if (f == NULL)
        return errno == ENOENT ? ISX_ENOTFOUND : ISX_EIO;
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
        total += n;
        if (total > max) {
            rc = ISX_ETOOBIG;
            break;
        }
        if ((rc = isx_buf_append(out, chunk, n)) != 0)
            break;
    }
    if (rc == 0 && ferror(f))
        rc = ISX_EIO;
    fclose(f);
    return rc;
}

static int
path_in(const struct isx_node *n, const char *rel, char *out, size_t cap)
{
    int len =
        rel[0] == '/' ? snprintf(out, cap, "%s", rel) : snprintf(out, cap, "%s/%s", n->dir, rel);
    return len < 0 || (size_t)len >= cap ? ISX_EINVAL : 0;
}

static int
write_private(const char *path, const char *text)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
    size_t len = strlen(text);
    int rc = 0;

    if (fd < 0)
        return errno == EEXIST ? ISX_EEXISTS : ISX_EIO;
    if (write(fd, text, len) != (ssize_t)len || fsync(fd) != 0)
        rc = ISX_EIO;
    close(fd);
    return rc;
}

static json_t *
party_body(const char *code, const struct isx_node *self)
{
    const json_t *ref = isx_vocab_find(ISX_VOCAB_PARTIES, code);
    json_t *name = NULL, *body;

    if (ref != NULL) {
        name = json_deep_copy(json_object_get(ref, "name"));
    } else {
        const json_t *c = isx_vocab_find(ISX_VOCAB_COUNTRIES, code);
        const char *langs[] = {"zh", "ru", "en"};
        name = json_object();
        for (size_t i = 0; c != NULL && name != NULL && i < 3; i++) {
            const char *v = json_string_value(json_object_get(c, langs[i]));
            if (v != NULL)
                json_object_set_new(name, langs[i], json_string(v));
        }
        if (name != NULL && json_object_size(name) == 0)
            json_object_set_new(name, "en", json_string(code));
    }
    body = json_pack("{s:s, s:o?, s:s}", "code", code, "name", name, "status", "active");
    if (body != NULL && self != NULL && strcmp(code, self->cfg.party) == 0) {
        char pk64[64], box64[64];
        isx_base64_encode(self->sign_pk, sizeof(self->sign_pk), pk64);
        isx_base64_encode(self->box_pk, sizeof(self->box_pk), box64);
        json_object_set_new(body, "keys",
                            json_pack("[{s:s, s:s, s:s}]", "suite", "ed25519", "key",
                                      isx_signer_key_id(self->signer), "public", pk64));
        json_object_set_new(body, "box_key", json_string(box64));
    }
    return body;
}

static int
publish_party(struct isx_node *n, const char *code, struct isx_diag *d)
{
    static const struct isx_change init = {"init", "init"};
    char id[ISX_OBJECT_ID_MAX + 1];
    json_t *body = party_body(code, n);

    isx_directory_party_id(code, id);
    return isx_node_publish(n, "party", id, json_pack("{s:s}", "tlp", "green"), body, &init, NULL,
                            NULL, d);
}

static int
open_parts(struct isx_node *n, int create, int spawn, struct isx_diag *d)
{
    char path[ISX_CONFIG_PATH_MAX * 2];
    struct isx_sign_key *sk = NULL;
    struct isx_box_key *bk = NULL;
    int rc;

    if ((rc = path_in(n, n->cfg.signing_key, path, sizeof(path))) != 0 ||
        (rc = isx_sign_key_load(path, &sk)) != 0) {
        rc = isx_diag_set(d, rc, "node.signing_key", "node.key", path);
        goto done;
    }
    if ((rc = path_in(n, n->cfg.box_key, path, sizeof(path))) != 0 ||
        (rc = isx_box_key_load(path, &bk)) != 0) {
        rc = isx_diag_set(d, rc, "node.box_key", "node.key", path);
        goto done;
    }
    isx_box_key_public(bk, n->box_pk);
    n->box = bk;
    bk = NULL;
    isx_sign_key_public(sk, n->sign_pk);
    rc = spawn && n->cfg.signer_process ? isx_signer_spawn(sk, n->cfg.name, &n->signer)
                                        : isx_signer_local(sk, n->cfg.name, &n->signer);
    sk = NULL; /* the signer owns it now, whatever happened */
    if (rc != 0) {
        rc = isx_diag_set(d, rc, "security.signer_process", "node.signer", NULL);
        goto done;
    }
    if ((rc = path_in(n, n->cfg.database, path, sizeof(path))) != 0 ||
        (rc = isx_store_open(path, create, &n->store)) != 0) {
        rc = isx_diag_set(d, rc, "node.database", "node.database", path);
        goto done;
    }
    isx_marking_clear_secret_labels();
    for (size_t i = 0; i < n->cfg.nsecret_labels; i++) {
        if ((rc = isx_marking_add_secret_label(n->cfg.secret_labels[i])) != 0) {
            rc = isx_diag_set(d, ISX_ECONFIG, "marking.secret_labels", "config.value", NULL);
            goto done;
        }
    }
done:
    isx_box_key_free(bk);
    return rc;
}

int
isx_node_create(const char *dir, const char *party, const char *name, char token[ISX_TOKEN_LEN + 1],
                struct isx_diag *d)
{
    struct isx_node *n = calloc(1, sizeof(*n));
    struct isx_sign_key *sk = NULL;
    struct isx_box_key *bk = NULL;
    struct isx_buf conf = ISX_BUF_INIT;
    char path[ISX_CONFIG_PATH_MAX * 2], tok[ISX_TOKEN_LEN + 1], lower[4];
    uint8_t th[32];
    int rc;

    if (n == NULL)
        return ISX_ENOMEM;
    /* Everything a node writes (database, WAL, keys) is for its owner alone. */
    umask(077);
    if (isx_crypto_init() != 0) {
        rc = ISX_ECRYPTO;
        goto done;
    }
    if (!isx_party_code_valid(party)) {
        rc = isx_diag_set(d, ISX_EINVAL, "party", "party.code", party);
        goto done;
    }
    if (snprintf(n->dir, sizeof(n->dir), "%s", dir) >= (int)sizeof(n->dir)) {
        rc = isx_diag_set(d, ISX_EINVAL, "dir", "node.dir", dir);
        goto done;
    }
    isx_config_defaults(&n->cfg);
    snprintf(n->cfg.party, sizeof(n->cfg.party), "%s", party);
    for (size_t i = 0; i < sizeof(lower); i++) {
        lower[i] = (char)(party[i] >= 'A' && party[i] <= 'Z' ? party[i] + 32 : party[i]);
        if (party[i] == '\0')
            break;
    }
    if (name != NULL)
        snprintf(n->cfg.name, sizeof(n->cfg.name), "%s", name);
    else
        snprintf(n->cfg.name, sizeof(n->cfg.name), "isx-%s", lower);

    if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
        rc = isx_diag_set(d, ISX_EIO, "dir", "node.dir", dir);
        goto done;
    }
    snprintf(path, sizeof(path), "%s/isx.conf", dir);
    if (access(path, F_OK) == 0) {
        rc = isx_diag_set(d, ISX_EEXISTS, "dir", "node.exists", dir);
        goto done;
    }
    snprintf(path, sizeof(path), "%s/keys", dir);
    if (mkdir(path, 0700) != 0 && errno != EEXIST) {
        rc = isx_diag_set(d, ISX_EIO, "dir", "node.dir", path);
        goto done;
    }
    if ((rc = isx_sign_key_generate(&sk)) != 0 || (rc = isx_box_key_generate(&bk)) != 0)
        goto done;
    path_in(n, n->cfg.signing_key, path, sizeof(path));
    if ((rc = isx_sign_key_save(sk, path)) != 0) {
        rc = isx_diag_set(d, rc, "node.signing_key", "node.key", path);
        goto done;
    }
    path_in(n, n->cfg.box_key, path, sizeof(path));
    if ((rc = isx_box_key_save(bk, path)) != 0) {
        rc = isx_diag_set(d, rc, "node.box_key", "node.key", path);
        goto done;
    }
    if ((rc = open_parts(n, 1, 0, d)) != 0)
        goto done;
    if ((rc = isx_store_meta_set(n->store, "party", party)) != 0 ||
        (rc = isx_store_meta_set(n->store, "name", n->cfg.name)) != 0)
        goto done;

    /* The founding parties, then this party if it is not one of them. */
    const json_t *founders = isx_vocab_list(ISX_VOCAB_PARTIES);
    size_t i;
    json_t *p;
    int self_listed = 0;
    json_array_foreach(founders, i, p)
    {
        const char *code = json_string_value(json_object_get(p, "code"));
        self_listed |= strcmp(code, party) == 0;
        if ((rc = publish_party(n, code, d)) != 0)
            goto done;
    }
    if (!self_listed && (rc = publish_party(n, party, d)) != 0)
        goto done;

    isx_token_new(tok);
    isx_token_hash(tok, th);
    if ((rc = isx_store_user_add(n->store, "admin", ISX_ROLE_ADMIN, th, "init")) != 0)
        goto done;
    snprintf(path, sizeof(path), "%s/admin.token", dir);
    char line[ISX_TOKEN_LEN + 2];
    snprintf(line, sizeof(line), "%s\n", tok);
    if ((rc = write_private(path, line)) != 0)
        goto done;
    /* The config goes last: its presence is what marks the directory as a finished node. */
    snprintf(path, sizeof(path), "%s/isx.conf", dir);
    if ((rc = isx_config_format(&n->cfg, &conf)) != 0 || (rc = write_private(path, conf.data)) != 0)
        goto done;
    memcpy(token, tok, sizeof(tok));
done:
    isx_memzero(tok, sizeof(tok));
    isx_sign_key_free(sk);
    isx_box_key_free(bk);
    isx_buf_free(&conf);
    isx_node_free(n);
    return rc;
}

int
isx_node_open(const char *dir, int spawn_signer, struct isx_node **out, struct isx_diag *d)
{
    struct isx_node *n = calloc(1, sizeof(*n));
    struct isx_buf text = ISX_BUF_INIT;
    char path[ISX_CONFIG_PATH_MAX * 2];
    int rc;

    if (n == NULL)
        return ISX_ENOMEM;
    umask(077);
    if ((rc = isx_crypto_init()) != 0)
        goto done;
    if (snprintf(n->dir, sizeof(n->dir), "%s", dir) >= (int)sizeof(n->dir)) {
        rc = isx_diag_set(d, ISX_EINVAL, "dir", "node.dir", dir);
        goto done;
    }
    snprintf(path, sizeof(path), "%s/isx.conf", dir);
    if ((rc = isx_file_read(path, 1 << 20, &text)) != 0) {
        rc = isx_diag_set(d, rc == ISX_ENOTFOUND ? ISX_ECONFIG : rc, "config", "node.no_config",
                          path);
        goto done;
    }
    isx_config_defaults(&n->cfg);
    if ((rc = isx_config_parse(text.data, text.len, &n->cfg, d)) != 0)
        goto done;
    if ((rc = open_parts(n, 0, spawn_signer, d)) != 0)
        goto done;
    /* The party is fixed when the node is created: its objects and keys say so. */
    char *party = NULL;
    if (isx_store_meta_get(n->store, "party", &party) == 0 && strcmp(party, n->cfg.party) != 0) {
        rc = isx_diag_set(d, ISX_ECONFIG, "node.party", "node.party_changed", party);
        free(party);
        goto done;
    }
    free(party);
    n->started_ms = 0;
    *out = n;
    n = NULL;
done:
    isx_buf_free(&text);
    isx_node_free(n);
    return rc;
}

void
isx_node_free(struct isx_node *n)
{
    if (n == NULL)
        return;
    isx_store_close(n->store);
    isx_signer_free(n->signer);
    isx_box_key_free(n->box);
    free(n);
}

int
isx_node_box_key_of(struct isx_node *n, const char *party, uint8_t pk[ISX_BOX_PUBLIC_LEN])
{
    struct isx_object *entry = NULL;
    char id[ISX_OBJECT_ID_MAX + 1];
    struct isx_peer peer;
    const char *b64 = NULL;
    size_t len;
    int rc = ISX_EKEY;

    if (strcmp(party, n->cfg.party) == 0) {
        memcpy(pk, n->box_pk, ISX_BOX_PUBLIC_LEN);
        return 0;
    }
    if (isx_store_peer_get(n->store, party, &peer) == 0) {
        b64 = peer.box_key;
    } else {
        isx_directory_party_id(party, id);
        if (isx_node_get(n, id, NULL, &entry) == 0 && entry->body != NULL)
            b64 = json_string_value(json_object_get(entry->body, "box_key"));
    }
    if (b64 != NULL && isx_base64_decode(b64, strlen(b64), pk, ISX_BOX_PUBLIC_LEN, &len) == 0 &&
        len == ISX_BOX_PUBLIC_LEN)
        rc = 0;
    isx_object_free(entry);
    return rc;
}

/* Seals `o` for every party its marking names and this one; keeps the clear body opened. */
static int
seal_for_recipients(struct isx_node *n, struct isx_object *o, struct isx_diag *d)
{
    struct isx_seal_recipient r[ISX_SEAL_MAX_RECIPIENTS];
    const json_t *to = json_object_get(o->marking, "to");
    json_t *clear = json_deep_copy(o->body);
    size_t nr = 0, i;
    json_t *p;
    int rc;

    if (clear == NULL)
        return ISX_ENOMEM;
    r[nr].party = n->cfg.party;
    memcpy(r[nr++].box_pk, n->box_pk, ISX_BOX_PUBLIC_LEN);
    json_array_foreach(to, i, p)
    {
        const char *party = json_string_value(p);
        if (strcmp(party, n->cfg.party) == 0)
            continue;
        if (nr == ISX_SEAL_MAX_RECIPIENTS) {
            rc = isx_diag_set(d, ISX_ERANGE, "marking.to", "seal.too_many", NULL);
            goto fail;
        }
        r[nr].party = party;
        if (isx_node_box_key_of(n, party, r[nr].box_pk) != 0) {
            rc = isx_diag_set(d, ISX_EKEY, "marking.to", "seal.no_key", party);
            goto fail;
        }
        nr++;
    }
    if ((rc = isx_object_seal(o, r, nr)) != 0)
        goto fail;
    o->opened = clear;
    return 0;
fail:
    json_decref(clear);
    return rc;
}

int
isx_node_publish(struct isx_node *n, const char *type, const char *id, json_t *marking,
                 json_t *body, const struct isx_change *change, const char *expect_version,
                 struct isx_object **out, struct isx_diag *d)
{
    struct isx_object *o = NULL;
    int rc;

    if (marking == NULL || body == NULL) {
        json_decref(marking);
        json_decref(body);
        return ISX_ENOMEM;
    }
    if ((rc = isx_marking_check(marking, "marking", d)) != 0 ||
        (isx_directory_type(type) && (rc = isx_directory_check(type, body, "", d)) != 0)) {
        json_decref(marking);
        json_decref(body);
        return rc;
    }
    enum isx_tlp tlp = ISX_TLP_CLEAR;
    isx_tlp_parse(json_string_value(json_object_get(marking, "tlp")), &tlp);
    if ((rc = isx_object_new(type, id, n->cfg.party, marking, body, expect_version, &o)) != 0)
        return rc;
    /* Art. 6 by construction: above TLP:GREEN the body exists outside this node only sealed
     * for the parties the marking names (and this one, which keeps the clear body). */
    if (isx_tlp_needs_seal(tlp) && (rc = seal_for_recipients(n, o, d)) != 0)
        goto done;
    if ((rc = isx_object_sign(o, n->signer)) != 0)
        goto done;
    rc = isx_store_put(n->store, o, change, expect_version, expect_version == NULL);
    if (rc != 0) {
        isx_diag_set(d, rc, "id", rc == ISX_ECONFLICT ? "object.conflict" : NULL, o->id);
        goto done;
    }
    isx_fed_kick(n->fed);
    if (out != NULL) {
        *out = o;
        o = NULL;
    }
done:
    isx_object_free(o);
    return rc;
}

int
isx_node_get(struct isx_node *n, const char *id, const char *version, struct isx_object **out)
{
    struct isx_buf b = ISX_BUF_INIT;
    int rc = isx_store_get(n->store, id, version, &b);

    struct isx_object *o = NULL;

    if (rc == 0 && isx_object_parse(b.data, b.len, &o, NULL) != 0)
        rc = ISX_ESTORE;
    /* What this node opened when it accepted a sealed object stays readable to it. */
    if (rc == 0 && o->body == NULL && isx_store_opened_get(n->store, o->hash, &o->opened) != 0)
        o->opened = NULL;
    if (rc == 0)
        *out = o;
    isx_buf_free(&b);
    return rc;
}

int
isx_node_keyfn(void *ctx, const char *origin, const char *key_id, uint8_t pk[ISX_SIGN_PUBLIC_LEN])
{
    struct isx_node *n = ctx;
    struct isx_object *party = NULL;
    char id[ISX_OBJECT_ID_MAX + 1];
    size_t i, len;
    json_t *k;
    int rc = ISX_EKEY;

    if (key_id == NULL || origin == NULL)
        return ISX_EKEY;
    if (strcmp(origin, n->cfg.party) == 0 && strcmp(key_id, isx_signer_key_id(n->signer)) == 0) {
        memcpy(pk, n->sign_pk, ISX_SIGN_PUBLIC_LEN);
        return 0;
    }
    /* A peer's key, as its operator added it, speaks for the peer's party. */
    struct isx_peer peer;
    if (isx_store_peer_get(n->store, origin, &peer) == 0 && strcmp(peer.key_id, key_id) == 0 &&
        isx_base64_decode(peer.sign_key, strlen(peer.sign_key), pk, ISX_SIGN_PUBLIC_LEN, &len) ==
            0 &&
        len == ISX_SIGN_PUBLIC_LEN)
        return 0;
    isx_directory_party_id(origin, id);
    if (isx_node_get(n, id, NULL, &party) != 0 || party->body == NULL)
        goto done;
    json_array_foreach(json_object_get(party->body, "keys"), i, k)
    {
        const char *kid = json_string_value(json_object_get(k, "key"));
        const char *pub = json_string_value(json_object_get(k, "public"));
        const char *suite = json_string_value(json_object_get(k, "suite"));
        if (kid == NULL || pub == NULL || suite == NULL || strcmp(kid, key_id) != 0 ||
            strcmp(suite, "ed25519") != 0)
            continue;
        if (isx_base64_decode(pub, strlen(pub), pk, ISX_SIGN_PUBLIC_LEN, &len) == 0 &&
            len == ISX_SIGN_PUBLIC_LEN)
            rc = 0;
        break;
    }
done:
    isx_object_free(party);
    return rc;
}

/* Publishes one example entry; `refs` maps example refs to the ids they received. */
static int
load_entry(struct isx_node *n, const char *type, json_t *entry, json_t *refs, size_t *count,
           struct isx_diag *d)
{
    static const struct isx_change change = {"init", "create"};
    json_t *body = json_deep_copy(entry);
    const char *ref = json_string_value(json_object_get(entry, "ref"));
    const char *aref = json_string_value(json_object_get(entry, "authority_ref"));
    struct isx_object *o = NULL;
    int rc;

    if (body == NULL)
        return ISX_ENOMEM;
    const char *party = json_string_value(json_object_get(body, "party"));
    if (party != NULL && strcmp(party, n->cfg.party) != 0) {
        json_decref(body);
        return 0; /* another party's entry: that party's node publishes it */
    }
    json_object_del(body, "ref");
    json_object_del(body, "authority_ref");
    if (aref != NULL && json_object_get(refs, aref) != NULL)
        json_object_set(body, "authority", json_object_get(refs, aref));
    rc = isx_node_publish(n, type, NULL, json_pack("{s:s}", "tlp", "green"), body, &change, NULL,
                          &o, d);
    if (rc == 0) {
        if (ref != NULL)
            json_object_set_new(refs, ref, json_string(o->id));
        (*count)++;
    }
    isx_object_free(o);
    return rc;
}

int
isx_node_load_examples(struct isx_node *n, const char *path, size_t *count, struct isx_diag *d)
{
    struct isx_buf text = ISX_BUF_INIT;
    json_t *doc = NULL, *refs = json_object(), *e;
    size_t i, loaded = 0;
    int rc;

    if (refs == NULL)
        return ISX_ENOMEM;
    if ((rc = isx_file_read(path, 16 << 20, &text)) != 0) {
        rc = isx_diag_set(d, rc, "file", "cli.file", path);
        goto done;
    }
    if ((rc = isx_json_parse(text.data, text.len, &doc, d)) != 0)
        goto done;
    json_array_foreach(json_object_get(doc, "authorities"), i, e)
    {
        if ((rc = load_entry(n, "authority", e, refs, &loaded, d)) != 0)
            goto done;
    }
    json_array_foreach(json_object_get(doc, "pocs"), i, e)
    {
        if ((rc = load_entry(n, "poc", e, refs, &loaded, d)) != 0)
            goto done;
    }
    *count = loaded;
done:
    json_decref(doc);
    json_decref(refs);
    isx_buf_free(&text);
    return rc;
}
