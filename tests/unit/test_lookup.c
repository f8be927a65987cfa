/*
 * The store's indicator lookup and its user cache: exact and range matches, TLP:RED left out
 * when the caller may not see it, results in key order and report order, the range probe
 * skipped only where no range of that family exists, a new version replacing the old one's
 * indicators; and a token that failed once works as soon as its user is added.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "isx/hash.h"
#include "isx/indicator.h"
#include "isx/object.h"
#include "isx/report.h"
#include "isx/store.h"

static char dbpath[64];
static struct isx_store *store;
static struct isx_signer *signer;
static const struct isx_change change = {"tester", "create"};

static int
setup(void **state)
{
    static const uint8_t seed[32] = {4, 5, 6};
    struct isx_sign_key *k;
    int fd;

    (void)state;
    isx_crypto_init();
    snprintf(dbpath, sizeof(dbpath), "/tmp/isx-lookup-XXXXXX");
    if ((fd = mkstemp(dbpath)) < 0)
        return -1;
    close(fd);
    unlink(dbpath);
    if (isx_sign_key_from_seed(seed, &k) != 0 || isx_signer_local(k, "isx-cn", &signer) != 0)
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

/* Stores a report (a new one when `id` is NULL, else a new version of it); returns its id. */
static char *
put_report(const char *id, const char *prev, const char *tlp, const char *title,
           const char *indicators)
{
    char text[1024];
    struct isx_object *o = NULL;
    struct isx_diag d = {0};
    json_t *body, *marking;
    char *out;

    snprintf(text, sizeof(text),
             "{\"threat\":\"T3\",\"title\":{\"en\":\"%s\"},\"indicators\":[%s]}", title,
             indicators);
    body = json_loads(text, 0, NULL);
    assert_non_null(body);
    assert_int_equal(isx_report_prepare(body, &d), 0);
    marking = strcmp(tlp, "green") != 0 ? json_pack("{s:s, s:[s]}", "tlp", tlp, "to", "CN")
                                        : json_pack("{s:s}", "tlp", tlp);
    assert_int_equal(isx_object_new("report", id, "CN", marking, body, prev, &o), 0);
    assert_int_equal(isx_object_sign(o, signer), 0);
    assert_int_equal(isx_store_put(store, o, &change, prev, prev == NULL), 0);
    out = strdup(o->id);
    isx_object_free(o);
    return out;
}

/* The key the API builds for `value`; the value's text lives in `copy`. */
static void
key_for(const char *value, struct isx_lookup_key *key, char *copy)
{
    struct isx_indicator *ind = malloc(sizeof(*ind));
    struct isx_diag d = {0};

    assert_non_null(ind);
    assert_int_equal(isx_indicator_parse(NULL, value, "value", ind, &d), 0);
    memset(key, 0, sizeof(*key));
    strcpy(copy, ind->value);
    key->type = isx_indicator_type_name(ind->type);
    key->value = copy;
    if (ind->type == ISX_IND_IPV4 || ind->type == ISX_IND_IPV6) {
        key->family = ind->type == ISX_IND_IPV4 ? 4 : 6;
        memcpy(key->addr, ind->addr, sizeof(key->addr));
    }
    free(ind);
}

/* "id:match:indicator,..." for one key's matches, to compare in one assertion. */
static void
summary(const json_t *matches, char **ids, size_t nids, char *out, size_t cap)
{
    const json_t *m;
    size_t i, len = 0;

    out[0] = '\0';
    json_array_foreach(matches, i, m)
    {
        const char *id = json_string_value(json_object_get(m, "id"));
        size_t which = 0;
        while (which < nids && strcmp(ids[which], id) != 0)
            which++;
        assert_true(which < nids);
        assert_int_equal(json_object_size(m), 10);
        len += (size_t)snprintf(out + len, cap - len, "%s%zu:%s:%s", i ? "," : "", which,
                                json_string_value(json_object_get(m, "match")),
                                json_string_value(json_object_get(m, "indicator")));
        assert_true(len < cap);
    }
}

static void
test_lookup(void **state)
{
    static const char *const values[] = {"198.51.100.7", "203.0.113.9", "2001:db8::5",
                                         "evil.example", "nothing.example"};
    enum { NV = sizeof(values) / sizeof(values[0]) };
    struct isx_lookup_key keys[NV];
    char copies[NV][ISX_INDICATOR_MAX + 1], text[512];
    char *ids[3];
    json_t *results = NULL;

    (void)state;
    ids[0] = put_report(NULL, NULL, "green", "One",
                        "{\"value\":\"198.51.100.7\"},{\"value\":\"203.0.113.0/24\"},"
                        "{\"value\":\"evil.example\"}");
    ids[1] = put_report(NULL, NULL, "red", "Two",
                        "{\"value\":\"evil.example\"},{\"value\":\"203.0.0.0/16\"},"
                        "{\"value\":\"198.51.100.7\"}");
    ids[2] = put_report(NULL, NULL, "amber", "Three", "{\"value\":\"EVIL.example.\"}");
    for (size_t i = 0; i < NV; i++)
        key_for(values[i], &keys[i], copies[i]);

    for (int include_red = 0; include_red < 2; include_red++) {
        assert_int_equal(isx_store_lookup(store, keys, NV, include_red, &results), 0);
        assert_int_equal(json_array_size(results), NV);
        /* Each key's matches: exact first, then ranges; each group in report id order. */
        for (size_t k = 0; k < NV; k++) {
            json_t *found = json_array_get(results, k);
            size_t expect = 0;
            for (size_t r = 0; r < 3; r++) {
                const char *names[] = {"One", "Two", "Three"};
                json_t *m;
                size_t i;
                json_array_foreach(found, i, m)
                {
                    if (strcmp(json_string_value(json_object_get(m, "id")), ids[r]) == 0) {
                        assert_string_equal(
                            json_string_value(json_object_get(json_object_get(m, "title"), "en")),
                            names[r]);
                        assert_true(include_red || r != 1);
                        expect++;
                    }
                }
            }
            assert_int_equal(json_array_size(found), expect);
        }
        /* Ids are random, so compare as sets per key by building each summary both ways. */
        summary(json_array_get(results, 0), ids, 3, text, sizeof(text));
        assert_int_equal(json_array_size(json_array_get(results, 0)), include_red ? 2 : 1);
        assert_int_equal(json_array_size(json_array_get(results, 1)), include_red ? 2 : 1);
        summary(json_array_get(results, 1), ids, 3, text, sizeof(text));
        assert_non_null(strstr(text, "0:range:203.0.113.0/24"));
        assert_true(include_red == (strstr(text, "1:range:203.0.0.0/16") != NULL));
        /* No IPv6 range exists: an IPv6 address still finds nothing, and no error. */
        assert_int_equal(json_array_size(json_array_get(results, 2)), 0);
        assert_int_equal(json_array_size(json_array_get(results, 3)), include_red ? 3 : 2);
        assert_int_equal(json_array_size(json_array_get(results, 4)), 0);
        /* Report id order within the exact matches. */
        json_t *evil = json_array_get(results, 3);
        for (size_t i = 1; i < json_array_size(evil); i++)
            assert_true(
                strcmp(json_string_value(json_object_get(json_array_get(evil, i - 1), "id")),
                       json_string_value(json_object_get(json_array_get(evil, i), "id"))) < 0);
        json_decref(results);
    }

    /* A new version replaces the old one's indicators. */
    char *prev_version = NULL;
    {
        struct isx_buf b = ISX_BUF_INIT;
        struct isx_object *o = NULL;
        assert_int_equal(isx_store_get(store, ids[0], NULL, &b), 0);
        assert_int_equal(isx_object_parse(b.data, b.len, &o, NULL), 0);
        prev_version = strdup(o->version);
        isx_object_free(o);
        isx_buf_free(&b);
    }
    free(put_report(ids[0], prev_version, "green", "One again", "{\"value\":\"2001:db8::/32\"}"));
    free(prev_version);
    assert_int_equal(isx_store_lookup(store, keys, NV, 1, &results), 0);
    summary(json_array_get(results, 0), ids, 3, text, sizeof(text));
    assert_string_equal(text, "1:exact:198.51.100.7");
    summary(json_array_get(results, 2), ids, 3, text, sizeof(text));
    assert_string_equal(text, "0:range:2001:db8::/32");
    assert_string_equal(
        json_string_value(json_object_get(
            json_object_get(json_array_get(json_array_get(results, 2), 0), "title"), "en")),
        "One again");
    json_decref(results);

    /* A report marked red in its new version is hidden from the next lookup at once. */
    {
        struct isx_buf b = ISX_BUF_INIT;
        struct isx_object *o = NULL;
        assert_int_equal(isx_store_get(store, ids[2], NULL, &b), 0);
        assert_int_equal(isx_object_parse(b.data, b.len, &o, NULL), 0);
        free(put_report(ids[2], o->version, "red", "Three", "{\"value\":\"evil.example\"}"));
        isx_object_free(o);
        isx_buf_free(&b);
    }
    assert_int_equal(isx_store_lookup(store, &keys[3], 1, 0, &results), 0);
    assert_int_equal(json_array_size(json_array_get(results, 0)), 0);
    json_decref(results);
    assert_int_equal(isx_store_lookup(store, &keys[3], 1, 1, &results), 0);
    assert_int_equal(json_array_size(json_array_get(results, 0)), 2);
    json_decref(results);

    /* No keys: an empty answer. */
    assert_int_equal(isx_store_lookup(store, NULL, 0, 1, &results), 0);
    assert_int_equal(json_array_size(results), 0);
    json_decref(results);
    for (size_t r = 0; r < 3; r++)
        free(ids[r]);
}

static void
test_user_cache(void **state)
{
    char token[ISX_TOKEN_LEN + 1];
    uint8_t h[32];
    struct isx_user u;

    (void)state;
    isx_token_new(token);
    assert_int_equal(isx_token_hash(token, h), 0);
    /* A failure is not remembered: the user added next is found at once. */
    assert_int_equal(isx_store_user_by_token(store, h, &u), ISX_EAUTH);
    assert_int_equal(isx_store_user_add(store, "watcher", ISX_ROLE_OBSERVER, h, "admin"), 0);
    for (int i = 0; i < 3; i++) {
        memset(&u, 0, sizeof(u));
        assert_int_equal(isx_store_user_by_token(store, h, &u), 0);
        assert_string_equal(u.name, "watcher");
        assert_int_equal(u.role, ISX_ROLE_OBSERVER);
    }
    /* A hash that differs in one bit, in the same cache slot, is somebody else. */
    h[31] ^= 1;
    assert_int_equal(isx_store_user_by_token(store, h, &u), ISX_EAUTH);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lookup),
        cmocka_unit_test(test_user_cache),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
