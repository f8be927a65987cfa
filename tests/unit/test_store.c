/*
 * The store and the objects in it: envelopes signed, parsed and verified; storage idempotent
 * by hash; optimistic concurrency on versions; directory queries and cursors; reindex giving
 * the same projections; users found by token hash only; the log's batched node reads giving
 * the same nodes and proofs as single reads, and refusing what no tree can hold.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "isx/directory.h"
#include "isx/hash.h"
#include "isx/merkle.h"
#include "isx/object.h"
#include "isx/store.h"

static char dbpath[64];
static struct isx_store *store;
static struct isx_signer *signer;
static uint8_t pk[32];
static const struct isx_change change = {"tester", "create"};

static int
keyfn(void *ctx, const char *origin, const char *key_id, uint8_t out[32])
{
    (void)ctx;
    if (strcmp(origin, "CN") != 0 || strcmp(key_id, isx_signer_key_id(signer)) != 0)
        return ISX_EKEY;
    memcpy(out, pk, 32);
    return 0;
}

static int
setup(void **state)
{
    static const uint8_t seed[32] = {1, 2, 3};
    struct isx_sign_key *k;
    int fd;

    (void)state;
    isx_crypto_init();
    snprintf(dbpath, sizeof(dbpath), "/tmp/isx-store-XXXXXX");
    if ((fd = mkstemp(dbpath)) < 0)
        return -1;
    close(fd);
    unlink(dbpath);
    if (isx_sign_key_from_seed(seed, &k) != 0)
        return -1;
    isx_sign_key_public(k, pk);
    if (isx_signer_local(k, "isx-cn", &signer) != 0)
        return -1;
    return isx_store_open(dbpath, 1, &store);
}

static int
teardown(void **state)
{
    char p[80];
    (void)state;
    isx_store_close(store);
    isx_signer_free(signer);
    unlink(dbpath);
    snprintf(p, sizeof(p), "%s-wal", dbpath);
    unlink(p);
    snprintf(p, sizeof(p), "%s-shm", dbpath);
    unlink(p);
    return 0;
}

static struct isx_object *
make_poc(const char *id, const char *prev, const char *person, const char *lang)
{
    char body[512];
    struct isx_object *o = NULL;

    snprintf(body, sizeof(body),
             "{\"party\":\"CN\",\"kind\":\"technical\",\"person\":{\"en\":\"%s\"},"
             "\"organisation\":{\"en\":\"CERT\"},\"channels\":[{\"type\":\"email\","
             "\"value\":\"a@b.example\"}],\"languages\":[\"%s\"]}",
             person, lang);
    assert_int_equal(isx_object_new("poc", id, "CN", json_pack("{s:s}", "tlp", "green"),
                                    json_loads(body, 0, NULL), prev, &o),
                     0);
    assert_int_equal(isx_object_sign(o, signer), 0);
    return o;
}

static void
test_sign_parse_verify(void **state)
{
    struct isx_object *o = make_poc(NULL, NULL, "Zhang", "zh"), *p = NULL;
    struct isx_diag d = {0};
    char *text;

    (void)state;
    assert_true(isx_object_id_valid(o->id, "poc"));
    assert_int_equal(isx_object_verify(o, keyfn, NULL, &d), 0);
    /* The parsed copy has the same canonical bytes and hash. */
    assert_int_equal(isx_object_parse(o->canonical.data, o->canonical.len, &p, &d), 0);
    assert_string_equal(p->hash_hex, o->hash_hex);
    assert_int_equal(isx_object_verify(p, keyfn, NULL, &d), 0);
    isx_object_free(p);
    /* Whitespace and key order do not matter: the canonical form does. */
    text = json_dumps(o->env, JSON_INDENT(2) | JSON_SORT_KEYS);
    assert_int_equal(isx_object_parse(text, strlen(text), &p, &d), 0);
    assert_string_equal(p->hash_hex, o->hash_hex);
    isx_object_free(p);
    free(text);
    /* A change inside a string breaks the signature. */
    json_object_set_new(json_object_get((json_t *)o->body, "person"), "en", json_string("Zhang "));
    text = json_dumps(o->env, 0);
    assert_int_equal(isx_object_parse(text, strlen(text), &p, &d), 0);
    memset(&d, 0, sizeof(d));
    assert_int_equal(isx_object_verify(p, keyfn, NULL, &d), ISX_ESIG);
    assert_string_equal(d.field, "sig[0]");
    isx_object_free(p);
    free(text);
    isx_object_free(o);
}

static void
parse_fails(const char *text, int code, const char *field)
{
    struct isx_object *o = NULL;
    struct isx_diag d = {0};
    assert_int_equal(isx_object_parse(text, strlen(text), &o, &d), code);
    assert_null(o);
    if (field != NULL)
        assert_string_equal(d.field, field);
}

static void
test_parse_rejects(void **state)
{
    (void)state;
    parse_fails("{", ISX_EPARSE, NULL);
    parse_fails("[]", ISX_ETYPE, NULL);
    parse_fails("{\"isx\":1,\"extra\":2}", ISX_EUNKNOWN_FIELD, "extra");
    parse_fails("{\"isx\":2}", ISX_EFIELD, "isx");
    parse_fails("{\"isx\":1,\"type\":\"pizza\"}", ISX_EFIELD, "type");
    parse_fails(
        "{\"isx\":1,\"type\":\"poc\",\"id\":\"report--8d0b6a8e-2a2f-4c5e-9a57-6f7cf0c8a1d2\"}",
        ISX_EFIELD, "id");
    parse_fails("{\"isx\":1,\"type\":\"poc\",\"id\":\"poc--8d0b6a8e-2a2f-4c5e-9a57-6f7cf0c8a1d2\","
                "\"version\":\"2026-02-30T00:00:00.000Z\"}",
                ISX_EFIELD, "version");
    parse_fails("{\"isx\":1,\"type\":\"poc\",\"id\":\"poc--8d0b6a8e-2a2f-4c5e-9a57-6f7cf0c8a1d2\","
                "\"version\":\"2026-11-21T10:00:00.000Z\",\"origin\":\"XX\"}",
                ISX_EFIELD, "origin");
    parse_fails("{\"isx\":1,\"type\":\"poc\",\"id\":\"poc--8d0b6a8e-2a2f-4c5e-9a57-6f7cf0c8a1d2\","
                "\"version\":\"2026-11-21T10:00:00.000Z\",\"origin\":\"CN\","
                "\"marking\":{\"tlp\":\"green\",\"labels\":[\"绝密\"]},\"body\":{},\"sig\":[]}",
                ISX_ESECRET, "marking.labels[0]");
    parse_fails("{\"isx\":1,\"type\":\"poc\",\"id\":\"poc--8d0b6a8e-2a2f-4c5e-9a57-6f7cf0c8a1d2\","
                "\"version\":\"2026-11-21T10:00:00.000Z\",\"origin\":\"CN\","
                "\"marking\":{\"tlp\":\"green\"},\"body\":{},\"sealed\":{},\"sig\":[]}",
                ISX_EFIELD, "body");
}

static void
test_put_idempotent_and_versions(void **state)
{
    struct isx_object *v1 = make_poc(NULL, NULL, "Li", "ru"), *v2, *stale;
    struct isx_buf b = ISX_BUF_INIT;
    json_t *versions;

    (void)state;
    assert_int_equal(isx_store_put(store, v1, &change, NULL, 1), 0);
    assert_int_equal(isx_store_put(store, v1, &change, NULL, 0), ISX_EEXISTS);
    v2 = make_poc(v1->id, v1->version, "Li Na", "ru");
    assert_true(strcmp(v2->version, v1->version) > 0);
    /* An update must name the version it replaces. */
    assert_int_equal(isx_store_put(store, v2, &change, "2000-01-01T00:00:00.000Z", 0),
                     ISX_ECONFLICT);
    assert_int_equal(isx_store_put(store, v2, &change, v1->version, 0), 0);
    stale = make_poc(v1->id, v1->version, "Someone else", "ru");
    assert_int_equal(isx_store_put(store, stale, &change, v1->version, 0), ISX_ECONFLICT);
    assert_int_equal(isx_store_get(store, v1->id, NULL, &b), 0);
    assert_non_null(strstr(b.data, "Li Na"));
    isx_buf_reset(&b);
    assert_int_equal(isx_store_get(store, v1->id, v1->version, &b), 0);
    assert_null(strstr(b.data, "Li Na"));
    isx_buf_reset(&b);
    assert_int_equal(isx_store_get_by_hash(store, v1->hash, &b), 0);
    assert_int_equal(isx_store_versions(store, v1->id, &versions), 0);
    assert_int_equal(json_array_size(versions), 2);
    json_decref(versions);
    assert_int_equal(isx_store_get(store, "poc--00000000-0000-4000-8000-000000000000", NULL, &b),
                     ISX_ENOTFOUND);
    isx_buf_free(&b);
    isx_object_free(v1);
    isx_object_free(v2);
    isx_object_free(stale);
}

static char *
list_all(const char *language)
{
    struct isx_dir_query q = {.type = "poc", .language = language, .limit = 2};
    char *after = NULL, *next = NULL;
    json_t *items, *all = json_array();
    char *out;

    do {
        q.after = after;
        assert_int_equal(isx_store_dir_list(store, &q, &items, &next), 0);
        assert_true(json_array_size(items) <= 2);
        json_array_extend(all, items);
        json_decref(items);
        free(after);
        after = next;
    } while (after != NULL);
    out = json_dumps(all, JSON_COMPACT);
    json_decref(all);
    return out;
}

static void
test_query_and_reindex(void **state)
{
    char *before_all, *before_kk, *after_all, *after_kk;
    size_t n;

    (void)state;
    for (int i = 0; i < 5; i++) {
        struct isx_object *o = make_poc(NULL, NULL, "Person", i % 2 ? "kk" : "uz");
        assert_int_equal(isx_store_put(store, o, &change, NULL, 1), 0);
        isx_object_free(o);
    }
    before_all = list_all(NULL);
    before_kk = list_all("kk");
    json_t *kk = json_loads(before_kk, 0, NULL);
    assert_int_equal(json_array_size(kk), 2);
    json_decref(kk);
    assert_int_equal(isx_store_reindex(store, &n), 0);
    assert_true(n >= 7);
    after_all = list_all(NULL);
    after_kk = list_all("kk");
    assert_string_equal(before_all, after_all);
    assert_string_equal(before_kk, after_kk);
    free(before_all);
    free(before_kk);
    free(after_all);
    free(after_kk);
}

/* What test_put_many_and_log_range's walk saw. */
struct walk {
    const uint8_t *want;
    int leaves, found;
};

static int
walk_leaf(void *ctx, const struct isx_store_leaf *leaf)
{
    struct walk *w = ctx;

    w->leaves++;
    if (memcmp(leaf->hash, w->want, 32) != 0)
        return 0;
    w->found = strcmp(leaf->type, "poc") == 0 && strcmp(leaf->origin, "CN") == 0 && leaf->len > 0;
    return 7; /* stop here: a positive answer comes back as it is */
}

static void
test_put_many_and_log_range(void **state)
{
    struct isx_object *a = make_poc(NULL, NULL, "Wang", "zh"),
                      *b = make_poc(NULL, NULL, "Chen", "zh");
    struct isx_object *twin = NULL;
    struct isx_buf got = ISX_BUF_INIT;
    int64_t before, after;
    int rcs[3];

    (void)state;
    assert_int_equal(isx_store_put(store, a, &change, NULL, 0), 0);
    /* The same id and version as b with other content: the store refuses it as a conflict. */
    char *text = strndup(b->canonical.data, b->canonical.len), *at = strstr(text, "Chen");
    assert_non_null(at);
    memcpy(at, "Chan", 4);
    assert_int_equal(isx_object_parse(text, strlen(text), &twin, NULL), 0);
    free(text);
    assert_int_equal(isx_store_count(store, &before), 0);
    struct isx_object *objs[] = {a, b, twin};
    assert_int_equal(isx_store_put_many(store, objs, 3, &change, rcs), 0);
    assert_int_equal(rcs[0], ISX_EEXISTS);
    assert_int_equal(rcs[1], 0);
    assert_int_equal(rcs[2], ISX_ECONFLICT);
    /* Only b was kept; the conflict left nothing behind, not even a log entry. */
    assert_int_equal(isx_store_count(store, &after), 0);
    assert_int_equal(after, before + 1);
    assert_int_equal(isx_store_get_by_hash(store, b->hash, &got), 0);
    assert_int_equal(isx_store_get_by_hash(store, twin->hash, &got), ISX_ENOTFOUND);
    uint64_t size;
    assert_int_equal(isx_store_log_size(store, &size), 0);
    assert_int_equal((int64_t)size, after);
    /* The log walk gives each leaf's type and origin, and stops when asked to. */
    struct walk w = {b->hash, 0, 0};
    assert_int_equal(isx_store_log_range(store, 0, 1000, walk_leaf, &w), 7);
    assert_true(w.found);
    assert_int_equal(w.leaves, after);
    isx_buf_free(&got);
    isx_object_free(a);
    isx_object_free(b);
    isx_object_free(twin);
}

static void
test_users(void **state)
{
    char token[ISX_TOKEN_LEN + 1];
    uint8_t h[32], other[32];
    struct isx_user u;
    json_t *list;

    (void)state;
    isx_token_new(token);
    assert_int_equal(isx_token_hash(token, h), 0);
    assert_int_equal(isx_store_user_add(store, "analyst1", ISX_ROLE_ANALYST, h, "admin"), 0);
    assert_int_equal(isx_store_user_add(store, "analyst1", ISX_ROLE_ANALYST, h, "admin"),
                     ISX_EEXISTS);
    assert_int_equal(isx_store_user_by_token(store, h, &u), 0);
    assert_string_equal(u.name, "analyst1");
    assert_int_equal(u.role, ISX_ROLE_ANALYST);
    memset(other, 7, sizeof(other));
    assert_int_equal(isx_store_user_by_token(store, other, &u), ISX_EAUTH);
    assert_int_equal(isx_store_user_list(store, &list), 0);
    /* The token itself is nowhere in what the store gives back. */
    char *dump = json_dumps(list, 0);
    assert_null(strstr(dump, token));
    free(dump);
    json_decref(list);
    assert_int_equal(isx_token_hash("isx_short", h), ISX_EAUTH);
}

/* Grows the log to at least n leaves by storing new contacts; returns its size. */
static uint64_t
log_grow(uint64_t n)
{
    uint64_t size = 0;

    assert_int_equal(isx_store_log_size(store, &size), 0);
    while (size < n) {
        struct isx_object *o = make_poc(NULL, NULL, "Log", "en");

        assert_int_equal(isx_store_put(store, o, &change, NULL, 1), 0);
        isx_object_free(o);
        assert_int_equal(isx_store_log_size(store, &size), 0);
    }
    return size;
}

/*
 * Every inclusion proof of every size up to 150 leaves, batched through isx_store_log_nodes on a
 * second handle (its own, empty cache) against the per-node proof through isx_store_log_get: the
 * same bytes, and they verify against the root. 150 leaves have nodes up to level 7, so the
 * batch reads cached levels, derives levels 1 to 3 and reads leaves, and the tail's ranges run
 * past the last stored node.
 */
static void
test_log_batch_proofs(void **state)
{
    enum { N = 150 };
    uint8_t path[ISX_MERKLE_MAX_PATH][32], batch[ISX_MERKLE_MAX_PATH][32], root[32], leaf[32];
    struct isx_store *other = NULL;
    size_t len, blen;
    uint64_t n, i, checked = 0;

    (void)state;
    assert_true(log_grow(N) >= N);
    assert_int_equal(isx_store_open(dbpath, 0, &other), 0);
    for (n = 1; n <= N; n++) {
        assert_int_equal(isx_merkle_root(n, isx_store_log_get, store, root), 0);
        for (i = 0; i < n; i++) {
            assert_int_equal(isx_merkle_inclusion_proof(i, n, isx_store_log_get, store, path, &len),
                             0);
            blen = 99;
            assert_int_equal(
                isx_merkle_inclusion_proof_batch(i, n, isx_store_log_nodes, other, batch, &blen),
                0);
            assert_int_equal(blen, len);
            assert_memory_equal(batch, path, len * 32);
            assert_int_equal(isx_store_log_get(store, 0, i, leaf), 0);
            assert_int_equal(isx_merkle_verify_inclusion(i, n, leaf, batch[0], blen, root), 0);
            checked++;
        }
    }
    print_message("log: %llu batched proofs identical to per-node proofs and verified\n",
                  (unsigned long long)checked);
    isx_store_close(other);
}

/*
 * isx_store_log_nodes on its own: nodes in the order asked, more ranges than one statement
 * holds, the cache giving the same answers as the database, repeated addresses, and bad input
 * refused with the output left alone.
 */
static void
test_log_nodes(void **state)
{
    struct isx_merkle_addr a[ISX_MERKLE_MAX_NODES + 1];
    uint8_t got[ISX_MERKLE_MAX_NODES + 1][32], again[ISX_MERKLE_MAX_NODES][32], one[32];
    uint8_t sentinel[32];
    struct isx_store *other = NULL;
    uint64_t size = log_grow(150);
    size_t i, n;

    (void)state;
    assert_int_equal(isx_store_open(dbpath, 0, &other), 0);
    /* Forty leaves (a range each, more than one statement takes: LOG_BATCH), then stored
     * nodes from level 7 down (cached levels, and levels 2 and 3 computed from level 1) until
     * the batch is full. */
    n = 0;
    for (uint64_t idx = 0; idx < 40; idx++) {
        a[n].level = 0;
        a[n++].index = idx;
    }
    for (unsigned level = 8; level-- > 1 && n < ISX_MERKLE_MAX_NODES;)
        for (uint64_t idx = 0; idx < size >> level && n < ISX_MERKLE_MAX_NODES; idx++) {
            a[n].level = level;
            a[n++].index = idx;
        }
    assert_int_equal(n, ISX_MERKLE_MAX_NODES);
    assert_int_equal(isx_store_log_nodes(other, a, n, got), 0);
    for (i = 0; i < n; i++) {
        assert_int_equal(isx_store_log_get(store, a[i].level, a[i].index, one), 0);
        assert_memory_equal(got[i], one, 32);
    }
    /* Again, now partly from the cache: the same nodes. */
    assert_int_equal(isx_store_log_nodes(other, a, n, again), 0);
    assert_memory_equal(again, got, n * 32);
    /* Repeated addresses, of every kind, each answered in its place. */
    {
        static const struct isx_merkle_addr rep[] = {{0, 5}, {4, 1}, {0, 5}, {2, 3},
                                                     {4, 1}, {2, 3}, {1, 9}, {1, 9}};

        assert_int_equal(isx_store_log_nodes(other, rep, 8, got), 0);
        for (i = 0; i < 8; i++) {
            assert_int_equal(isx_store_log_get(store, rep[i].level, rep[i].index, one), 0);
            assert_memory_equal(got[i], one, 32);
        }
    }
    /* Nothing to read is no error. */
    assert_int_equal(isx_store_log_nodes(other, a, 0, got), 0);

    /* Bad input, and nodes that are not stored: an error, and the output untouched. */
    memset(sentinel, 0xa5, sizeof(sentinel));
    for (i = 0; i < 4; i++)
        memcpy(got[i], sentinel, 32);
    a[0].level = 0;
    a[0].index = 1;
    assert_int_equal(isx_store_log_nodes(other, a, ISX_MERKLE_MAX_NODES + 1, got), ISX_EINVAL);
    assert_int_equal(isx_store_log_nodes(NULL, a, 1, got), ISX_EINVAL);
    assert_int_equal(isx_store_log_nodes(other, NULL, 1, got), ISX_EINVAL);
    assert_int_equal(isx_store_log_nodes(other, a, 1, NULL), ISX_EINVAL);
    a[1].level = 64;
    a[1].index = 0;
    assert_int_equal(isx_store_log_nodes(other, a, 2, got), ISX_EINVAL);
    a[1].level = 3;
    a[1].index = ISX_MERKLE_MAX_SIZE >> 3;
    assert_int_equal(isx_store_log_nodes(other, a, 2, got), ISX_EINVAL);
    a[1].level = 0;
    a[1].index = size + 3; /* a leaf not yet appended */
    assert_int_equal(isx_store_log_nodes(other, a, 2, got), ISX_ENOTFOUND);
    a[1].level = 2;
    a[1].index = size >> 2; /* computed from level 1, whose last nodes are missing */
    assert_int_equal(isx_store_log_nodes(other, a, 2, got), ISX_ENOTFOUND);
    a[1].level = 5;
    a[1].index = (size >> 5) + 1; /* a cached level, read from the database */
    assert_int_equal(isx_store_log_nodes(other, a, 2, got), ISX_ENOTFOUND);
    for (i = 0; i < 4; i++)
        assert_memory_equal(got[i], sentinel, 32);
    isx_store_close(other);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sign_parse_verify),
        cmocka_unit_test(test_parse_rejects),
        cmocka_unit_test(test_put_idempotent_and_versions),
        cmocka_unit_test(test_query_and_reindex),
        cmocka_unit_test(test_put_many_and_log_range),
        cmocka_unit_test(test_users),
        cmocka_unit_test(test_log_batch_proofs),
        cmocka_unit_test(test_log_nodes),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
