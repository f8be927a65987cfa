/*
 * The transparency log at the node level: checkpoints signed by the node's signer, proof
 * documents, their offline verification, and the audit. The tree's nodes are read from the
 * store; nothing here writes them (the store appends leaves with the objects themselves).
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "isx/hash.h"
#include "isx/jcs.h"
#include "isx/log.h"
#include "isx/merkle.h"
#include "isx/timeutil.h"

int
isx_log_vkey(struct isx_node *n, struct isx_buf *out)
{
    struct isx_note_verifier v;
    int rc = isx_note_verifier_init(n->cfg.name, ISX_NOTE_ED25519, n->sign_pk, &v);

    return rc != 0 ? rc : isx_note_vkey_format(&v, out);
}

int
isx_log_checkpoint(struct isx_node *n, int force, uint64_t *size)
{
    struct isx_checkpoint cp = {0};
    struct isx_buf note = ISX_BUF_INIT;
    char *existing = NULL;
    uint64_t got;
    int rc;

    if ((rc = isx_store_log_size(n->store, &cp.size)) != 0)
        return rc;
    if (!force && isx_store_checkpoint_get(n->store, 0, &existing, &got) == 0 && got == cp.size) {
        free(existing);
        if (size != NULL)
            *size = got;
        return 0;
    }
    free(existing);
    snprintf(cp.origin, sizeof(cp.origin), "%s", n->cfg.name);
    if ((rc = isx_merkle_root(cp.size, isx_store_log_get, n->store, cp.root)) != 0 ||
        (rc = isx_checkpoint_sign(&cp, n->signer, &note)) != 0)
        goto done;
    rc = isx_store_checkpoint_add(n->store, cp.size, note.data);
    if (rc == ISX_EEXISTS && !force)
        rc = 0;
    if (rc == 0 && size != NULL)
        *size = cp.size;
done:
    isx_buf_free(&note);
    return rc;
}

static json_t *
path_json(uint8_t (*path)[32], size_t len)
{
    json_t *a = json_array();
    char b64[64];

    for (size_t i = 0; a != NULL && i < len; i++) {
        isx_base64_encode(path[i], 32, b64);
        json_array_append_new(a, json_string(b64));
    }
    return a;
}

/* The checkpoint of `size` (0: latest) with its parsed form. */
static int
load_checkpoint(struct isx_node *n, uint64_t size, char **note, struct isx_checkpoint *cp,
                struct isx_diag *d)
{
    uint64_t got;
    int rc = isx_store_checkpoint_get(n->store, size, note, &got);

    if (rc != 0)
        return isx_diag_set(d, rc, "size", "log.no_checkpoint", NULL);
    if (isx_checkpoint_parse(*note, strlen(*note), cp) != 0) {
        /* The note's text ends at its blank line; parse only that part. */
        const char *sep = strstr(*note, "\n\n");
        if (sep == NULL || isx_checkpoint_parse(*note, (size_t)(sep - *note) + 1, cp) != 0) {
            free(*note);
            *note = NULL;
            return isx_diag_set(d, ISX_ESTORE, "size", "log.bad_checkpoint", NULL);
        }
    }
    return 0;
}

int
isx_log_inclusion(struct isx_node *n, const char *ref, uint64_t size, int with_object, json_t **out,
                  struct isx_diag *d)
{
    uint8_t hash[32], path[ISX_MERKLE_MAX_PATH][32];
    struct isx_checkpoint cp;
    struct isx_buf obj = ISX_BUF_INIT;
    char *note = NULL, hex[65];
    uint64_t index;
    size_t pathlen;
    json_t *doc = NULL;
    int rc;

    if (strlen(ref) == 64 && isx_hex_decode(ref, 64, hash, 32) == 0)
        rc = isx_store_log_index_of_hash(n->store, hash, &index);
    else
        rc = isx_store_log_index_of_id(n->store, ref, &index, hash);
    if (rc != 0)
        return isx_diag_set(d, rc, "object", "api.not_found", ref);
    if ((rc = load_checkpoint(n, size, &note, &cp, d)) != 0)
        return rc;
    if (index >= cp.size) {
        rc = isx_diag_set(d, ISX_ENOTFOUND, "size", "log.not_yet_covered", NULL);
        goto done;
    }
    /* One batched read per proof: the store answers all of its nodes with at most one query. */
    if ((rc = isx_merkle_inclusion_proof_batch(index, cp.size, isx_store_log_nodes, n->store, path,
                                               &pathlen)) != 0)
        goto done;
    isx_hex_encode(hash, 32, hex);
    doc = json_pack("{s:s, s:s, s:I, s:I, s:s, s:o, s:s}", "kind", "inclusion", "origin", cp.origin,
                    "index", (json_int_t)index, "size", (json_int_t)cp.size, "object_hash", hex,
                    "path", path_json(path, pathlen), "checkpoint", note);
    if (doc == NULL) {
        rc = ISX_ENOMEM;
        goto done;
    }
    if (with_object && isx_store_get_by_hash(n->store, hash, &obj) == 0)
        json_object_set_new(doc, "object", json_loadb(obj.data, obj.len, 0, NULL));
    *out = doc;
    doc = NULL;
done:
    free(note);
    isx_buf_free(&obj);
    json_decref(doc);
    return rc;
}

int
isx_log_consistency(struct isx_node *n, uint64_t from, uint64_t to, json_t **out,
                    struct isx_diag *d)
{
    uint8_t path[ISX_MERKLE_MAX_PATH][32];
    struct isx_checkpoint a, b;
    char *na = NULL, *nb = NULL;
    size_t pathlen = 0;
    json_t *doc;
    int rc;

    if (from == 0)
        return isx_diag_set(d, ISX_EINVAL, "from", "log.from_zero", NULL);
    if ((rc = load_checkpoint(n, from, &na, &a, d)) != 0 ||
        (rc = load_checkpoint(n, to, &nb, &b, d)) != 0)
        goto done;
    if (a.size > b.size) {
        rc = isx_diag_set(d, ISX_EINVAL, "to", "log.order", NULL);
        goto done;
    }
    if (a.size < b.size && (rc = isx_merkle_consistency_proof(a.size, b.size, isx_store_log_get,
                                                              n->store, path, &pathlen)) != 0)
        goto done;
    doc = json_pack("{s:s, s:s, s:s, s:s, s:o}", "kind", "consistency", "origin", a.origin, "old",
                    na, "new", nb, "path", path_json(path, pathlen));
    rc = doc != NULL ? 0 : ISX_ENOMEM;
    if (rc == 0)
        *out = doc;
done:
    free(na);
    free(nb);
    return rc;
}

static int
decode_path(const json_t *arr, uint8_t *flat, size_t *len, struct isx_diag *d)
{
    size_t i, got;
    json_t *v;

    if (!json_is_array(arr) || json_array_size(arr) > ISX_MERKLE_MAX_PATH)
        return isx_diag_set(d, ISX_EFIELD, "path", "log.path", NULL);
    json_array_foreach(arr, i, v)
    {
        const char *s = json_string_value(v);
        if (s == NULL || isx_base64_decode(s, strlen(s), flat + 32 * i, 32, &got) != 0 || got != 32)
            return isx_diag_set(d, ISX_EFIELD, "path", "log.path", NULL);
    }
    *len = json_array_size(arr);
    return 0;
}

static int
open_note(const json_t *v, const struct isx_note_verifier *key, const char *field,
          struct isx_checkpoint *cp, struct isx_diag *d)
{
    const char *note = json_string_value(v);
    struct isx_note_result res;
    int rc;

    if (note == NULL)
        return isx_diag_set(d, ISX_EMISSING, field, "schema.missing", field);
    rc = isx_checkpoint_open(note, strlen(note), key, 1, cp, &res);
    if (rc != 0)
        return isx_diag_set(d, rc == ISX_EINVAL ? ISX_EFIELD : ISX_ESIG, field, "log.signature",
                            key->name);
    return 0;
}

static void
hash_b64(const uint8_t h[32], char out[45])
{
    isx_base64_encode(h, 32, out);
}

int
isx_log_verify_doc(const json_t *doc, const struct isx_note_verifier *key, json_t **result,
                   struct isx_diag *d)
{
    const char *kind = json_string_value(json_object_get(doc, "kind"));
    uint8_t path[ISX_MERKLE_MAX_PATH * 32], leaf[32], hash[32];
    struct isx_checkpoint a, b;
    size_t pathlen = 0;
    char root[45], root2[45];
    int rc;

    if ((rc = decode_path(json_object_get(doc, "path"), path, &pathlen, d)) != 0)
        return rc;
    if (kind != NULL && strcmp(kind, "inclusion") == 0) {
        json_int_t index = json_integer_value(json_object_get(doc, "index"));
        const char *hex = json_string_value(json_object_get(doc, "object_hash"));
        const json_t *object = json_object_get(doc, "object");
        if ((rc = open_note(json_object_get(doc, "checkpoint"), key, "checkpoint", &a, d)) != 0)
            return rc;
        if (hex == NULL || strlen(hex) != 64 || isx_hex_decode(hex, 64, hash, 32) != 0)
            return isx_diag_set(d, ISX_EFIELD, "object_hash", "log.hash", NULL);
        /* When the object travels with the proof, its hash is recomputed from its content:
         * the proof then covers these very bytes, not just a hash someone typed. */
        if (object != NULL) {
            struct isx_buf canon = ISX_BUF_INIT;
            uint8_t computed[32];
            rc = isx_jcs_encode(object, &canon);
            if (rc == 0)
                isx_sha256(canon.data, canon.len, computed);
            isx_buf_free(&canon);
            if (rc != 0 || isx_memcmp_ct(computed, hash, 32) != 0)
                return isx_diag_set(d, ISX_ESIG, "object", "log.object_mismatch", NULL);
        }
        if (index < 0 || json_integer_value(json_object_get(doc, "size")) != (json_int_t)a.size)
            return isx_diag_set(d, ISX_EFIELD, "size", "log.size", NULL);
        isx_merkle_leaf_hash(hash, 32, leaf);
        if (isx_merkle_verify_inclusion((uint64_t)index, a.size, leaf, path, pathlen, a.root) != 0)
            return isx_diag_set(d, ISX_ESIG, "path", "log.inclusion_fails", NULL);
        hash_b64(a.root, root);
        *result = json_pack("{s:b, s:s, s:s, s:I, s:I, s:s, s:s, s:b, s:s}", "proved", 1, "kind",
                            "inclusion", "origin", a.origin, "index", index, "size",
                            (json_int_t)a.size, "root", root, "object_hash", hex, "object_checked",
                            object != NULL, "key", key->name);
        return *result != NULL ? 0 : ISX_ENOMEM;
    }
    if (kind != NULL && strcmp(kind, "consistency") == 0) {
        if ((rc = open_note(json_object_get(doc, "old"), key, "old", &a, d)) != 0 ||
            (rc = open_note(json_object_get(doc, "new"), key, "new", &b, d)) != 0)
            return rc;
        if (strcmp(a.origin, b.origin) != 0)
            return isx_diag_set(d, ISX_EFIELD, "new", "log.origin", a.origin);
        if (a.size == 0 || a.size > b.size ||
            isx_merkle_verify_consistency(a.size, b.size, a.root, b.root, path, pathlen) != 0)
            return isx_diag_set(d, ISX_ESIG, "path", "log.consistency_fails", NULL);
        hash_b64(a.root, root);
        hash_b64(b.root, root2);
        *result =
            json_pack("{s:b, s:s, s:s, s:I, s:I, s:s, s:s, s:s}", "proved", 1, "kind",
                      "consistency", "origin", a.origin, "old_size", (json_int_t)a.size, "new_size",
                      (json_int_t)b.size, "old_root", root, "new_root", root2, "key", key->name);
        return *result != NULL ? 0 : ISX_ENOMEM;
    }
    return isx_diag_set(d, ISX_EFIELD, "kind", "log.kind", kind);
}

/* ---- audit ---------------------------------------------------------------------------- */

/* An in-memory tree: one growing array of hashes per level. */
struct memtree {
    uint8_t *level[64];
    uint64_t cap[64];
};

static int
mem_get(void *ctx, unsigned level, uint64_t index, uint8_t out[32])
{
    struct memtree *t = ctx;

    if (level >= 64 || index >= t->cap[level])
        return ISX_ENOTFOUND;
    memcpy(out, t->level[level] + index * 32, 32);
    return 0;
}

static int
mem_put(void *ctx, unsigned level, uint64_t index, const uint8_t hash[32])
{
    struct memtree *t = ctx;

    if (level >= 64)
        return ISX_EINVAL;
    if (index >= t->cap[level]) {
        uint64_t cap = t->cap[level] ? t->cap[level] * 2 : 1024;
        while (cap <= index)
            cap *= 2;
        uint8_t *p = realloc(t->level[level], cap * 32);
        if (p == NULL)
            return ISX_ENOMEM;
        t->level[level] = p;
        t->cap[level] = cap;
    }
    memcpy(t->level[level] + index * 32, hash, 32);
    return 0;
}

struct audit {
    struct isx_node *n;
    struct memtree tree;
    uint64_t objects; /* leaves recomputed so far */
    int64_t expect_seq;
    uint64_t checkpoints; /* checkpoints examined */
    json_t *findings;
    json_t *stored_leaves; /* hex of stored leaf -> index, for telling reorders apart */
};

static void
finding(struct audit *a, const char *kind, const char *where, uint64_t at, const char *detail)
{
    json_array_append_new(a->findings, json_pack("{s:s, s:I, s:s}", "kind", kind, where,
                                                 (json_int_t)at, "detail", detail));
}

static int
audit_object(void *ctx, int64_t seq, const uint8_t stored_hash[32], const void *canonical,
             size_t len)
{
    struct audit *a = ctx;
    uint8_t computed[32], leaf[32], stored_leaf[32];
    char hex[65], detail[160];
    int rc;

    /* Acceptance order is dense: a missing sequence number is a removed object. */
    for (; a->expect_seq < seq; a->expect_seq++) {
        snprintf(detail, sizeof(detail), "no object at entry %lld", (long long)(a->expect_seq - 1));
        finding(a, "removed", "index", (uint64_t)(a->expect_seq - 1), detail);
    }
    a->expect_seq = seq + 1;
    isx_sha256(canonical, len, computed);
    if (isx_memcmp_ct(computed, stored_hash, 32) != 0) {
        isx_hex_encode(stored_hash, 32, hex);
        snprintf(detail, sizeof(detail), "content no longer hashes to %.16s…", hex);
        finding(a, "changed", "index", (uint64_t)(seq - 1), detail);
    }
    isx_merkle_leaf_hash(computed, 32, leaf);
    rc = isx_store_log_get(a->n->store, 0, (uint64_t)(seq - 1), stored_leaf);
    if (rc == ISX_ENOTFOUND) {
        finding(a, "extra", "index", (uint64_t)(seq - 1), "an object the log has no entry for");
    } else if (rc != 0) {
        return rc;
    } else if (isx_memcmp_ct(leaf, stored_leaf, 32) != 0 &&
               isx_memcmp_ct(computed, stored_hash, 32) == 0) {
        isx_hex_encode(leaf, 32, hex);
        json_t *where = json_object_get(a->stored_leaves, hex);
        if (where != NULL)
            snprintf(detail, sizeof(detail), "logged at position %lld, now stored at %lld",
                     (long long)json_integer_value(where), (long long)(seq - 1));
        else
            snprintf(detail, sizeof(detail), "the log holds another entry at this position");
        finding(a, where != NULL ? "reordered" : "changed", "index", (uint64_t)(seq - 1), detail);
    }
    /* The recomputed tree follows the objects as they are now, in their stored order. */
    rc = isx_merkle_append(a->objects, leaf, mem_get, &a->tree, mem_put, &a->tree);
    if (rc == 0)
        a->objects++;
    return rc;
}

static int
audit_checkpoint(void *ctx, uint64_t size, const char *note)
{
    struct audit *a = ctx;
    struct isx_note_verifier key;
    struct isx_checkpoint cp;
    struct isx_note_result res;
    uint8_t root[32];
    char detail[160];

    a->checkpoints++;
    isx_note_verifier_init(a->n->cfg.name, ISX_NOTE_ED25519, a->n->sign_pk, &key);
    if (isx_checkpoint_open(note, strlen(note), &key, 1, &cp, &res) != 0) {
        finding(a, "checkpoint", "size", size, "the signature does not verify");
        return 0;
    }
    if (cp.size != size || size > a->objects) {
        snprintf(detail, sizeof(detail), "covers %llu entries, only %llu objects remain",
                 (unsigned long long)cp.size, (unsigned long long)a->objects);
        finding(a, "checkpoint", "size", size, detail);
        return 0;
    }
    if (isx_merkle_root(size, mem_get, &a->tree, root) != 0 ||
        isx_memcmp_ct(root, cp.root, 32) != 0)
        finding(a, "checkpoint", "size", size,
                "its signed root differs from the root of the stored objects");
    return 0;
}

int
isx_log_audit(struct isx_node *n, json_t **report)
{
    struct audit a = {.n = n, .expect_seq = 1};
    uint64_t leaves = 0;
    uint8_t h[32];
    char hex[65];
    int rc;

    a.findings = json_array();
    a.stored_leaves = json_object();
    if (a.findings == NULL || a.stored_leaves == NULL) {
        rc = ISX_ENOMEM;
        goto done;
    }
    if ((rc = isx_store_log_size(n->store, &leaves)) != 0)
        goto done;
    for (uint64_t i = 0; i < leaves; i++) {
        if (isx_store_log_get(n->store, 0, i, h) == 0) {
            isx_hex_encode(h, 32, hex);
            json_object_set_new(a.stored_leaves, hex, json_integer((json_int_t)i));
        }
    }
    if ((rc = isx_store_objects_scan(n->store, audit_object, &a)) != 0)
        goto done;
    /* Leaves beyond the last stored object: objects removed from the end. (Gaps in the
     * middle were reported while scanning.) */
    for (uint64_t i = (uint64_t)(a.expect_seq - 1); i < leaves; i++)
        finding(&a, "removed", "index", i, "the log has an entry with no object");
    if ((rc = isx_store_checkpoints_scan(n->store, audit_checkpoint, &a)) != 0)
        goto done;
    *report = json_pack("{s:I, s:I, s:I, s:b, s:O}", "objects", (json_int_t)a.objects, "leaves",
                        (json_int_t)leaves, "checkpoints", (json_int_t)a.checkpoints, "ok",
                        json_array_size(a.findings) == 0, "findings", a.findings);
    rc = *report != NULL ? 0 : ISX_ENOMEM;
done:
    for (int i = 0; i < 64; i++)
        free(a.tree.level[i]);
    json_decref(a.findings);
    json_decref(a.stored_leaves);
    return rc;
}

/* ---- timer ----------------------------------------------------------------------------- */

struct isx_log_timer {
    struct isx_node *n;
    unsigned interval;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    int stop;
};

static void *
timer_main(void *arg)
{
    struct isx_log_timer *t = arg;
    struct timespec until;

    pthread_mutex_lock(&t->lock);
    while (!t->stop) {
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += t->interval;
        pthread_cond_timedwait(&t->cond, &t->lock, &until);
        if (t->stop)
            break;
        pthread_mutex_unlock(&t->lock);
        isx_log_checkpoint(t->n, 0, NULL);
        pthread_mutex_lock(&t->lock);
    }
    pthread_mutex_unlock(&t->lock);
    return NULL;
}

int
isx_log_timer_start(struct isx_node *n, unsigned interval, struct isx_log_timer **out)
{
    struct isx_log_timer *t = calloc(1, sizeof(*t));

    if (t == NULL)
        return ISX_ENOMEM;
    t->n = n;
    t->interval = interval;
    pthread_mutex_init(&t->lock, NULL);
    pthread_cond_init(&t->cond, NULL);
    if (pthread_create(&t->thread, NULL, timer_main, t) != 0) {
        free(t);
        return ISX_ENOMEM;
    }
    *out = t;
    return 0;
}

void
isx_log_timer_stop(struct isx_log_timer *t)
{
    if (t == NULL)
        return;
    pthread_mutex_lock(&t->lock);
    t->stop = 1;
    pthread_cond_signal(&t->cond);
    pthread_mutex_unlock(&t->lock);
    pthread_join(t->thread, NULL);
    pthread_mutex_destroy(&t->lock);
    pthread_cond_destroy(&t->cond);
    free(t);
}
