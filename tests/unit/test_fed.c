/*
 * Tests for federation below the network: release bodies (src/core/release.c), the peers'
 * rows and cursors (src/store/peers.c), who may receive what (src/fed/policy.c), the door
 * (src/fed/accept.c) and releases made by the originator (src/fed/release.c). Two real nodes
 * are created in temporary directories; objects move between them by hand, as a peer's
 * delivery would move them.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "isx/directory.h"
#include "isx/fed.h"
#include "isx/hash.h"
#include "isx/node.h"
#include "isx/release.h"

static char base[64];
static struct isx_node *cn, *ru, *kz;

static struct isx_node *
make_node(const char *party)
{
    char dir[128], token[ISX_TOKEN_LEN + 1];
    struct isx_diag d = {0};
    struct isx_node *n = NULL;

    snprintf(dir, sizeof(dir), "%s/%s", base, party);
    if (isx_node_create(dir, party, NULL, token, &d) != 0 || isx_node_open(dir, 0, &n, &d) != 0)
        return NULL;
    return n;
}

/* Adds `b` as a peer of `a`, with its real keys. */
static void
add_peer(struct isx_node *a, struct isx_node *b)
{
    struct isx_peer p = {0};

    snprintf(p.party, sizeof(p.party), "%s", b->cfg.party);
    snprintf(p.url, sizeof(p.url), "http://127.0.0.1:9");
    snprintf(p.name, sizeof(p.name), "%s", b->cfg.name);
    isx_base64_encode(b->sign_pk, 32, p.sign_key);
    isx_base64_encode(b->box_pk, 32, p.box_key);
    snprintf(p.key_id, sizeof(p.key_id), "%s", isx_signer_key_id(b->signer));
    assert_int_equal(isx_store_peer_put(a->store, &p, "test"), 0);
}

static int
setup(void **state)
{
    (void)state;
    snprintf(base, sizeof(base), "/tmp/isx-fed-XXXXXX");
    if (mkdtemp(base) == NULL)
        return -1;
    cn = make_node("CN");
    ru = make_node("RU");
    kz = make_node("KZ");
    if (cn == NULL || ru == NULL || kz == NULL)
        return -1;
    add_peer(cn, ru);
    add_peer(ru, cn);
    add_peer(ru, kz);
    add_peer(kz, ru);
    /* KZ knows CN's key as the depositary's directory would give it, but no link. */
    add_peer(kz, cn);
    return 0;
}

static int
teardown(void **state)
{
    char cmd[128];

    (void)state;
    isx_node_free(cn);
    isx_node_free(ru);
    isx_node_free(kz);
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", base);
    return system(cmd) == 0 ? 0 : -1;
}

/* Moves an object to another node the way delivery does: through its canonical bytes. */
static int
deliver(struct isx_node *to, const struct isx_object *o, struct isx_diag *d)
{
    struct isx_object *copy = NULL;
    int rc = isx_object_parse(o->canonical.data, o->canonical.len, &copy, d);
    struct isx_change change = {"peer:test", "federate"};

    if (rc == 0)
        rc = isx_fed_accept(to, copy, &change, d);
    isx_object_free(copy);
    return rc;
}

static struct isx_object *
report(struct isx_node *n, const char *marking, const char *title)
{
    struct isx_change change = {"tester", "create"};
    struct isx_object *o = NULL;
    struct isx_diag d = {0};

    assert_int_equal(isx_node_publish(n, "report", NULL, json_loads(marking, 0, NULL),
                                      json_pack("{s:s, s:{s:s}, s:[]}", "threat", "T2", "title",
                                                "en", title, "indicators"),
                                      &change, NULL, &o, &d),
                     0);
    return o;
}

/* `tmpl` with its "HASH" replaced by `hex`. */
static void
with_hash(char *out, size_t cap, const char *tmpl, const char *hex)
{
    const char *at = strstr(tmpl, "HASH");

    if (at == NULL)
        snprintf(out, cap, "%s", tmpl);
    else
        snprintf(out, cap, "%.*s%s%s", (int)(at - tmpl), tmpl, hex, at + 4);
}

static void
test_release_bodies(void **state)
{
    static const char *const bad[] = {
        "{}",
        "{\"object\":\"report--1\",\"version\":\"2026-11-21T10:00:00.000Z\",\"hash\":\"HASH\","
        "\"to\":[\"KZ\"]}",
        "{\"object\":\"report--8d0b6a8e-2a2f-4c5e-9a57-6f7cf0c8a1d2\",\"version\":\"yesterday\","
        "\"hash\":\"HASH\",\"to\":[\"KZ\"]}",
        "{\"object\":\"report--8d0b6a8e-2a2f-4c5e-9a57-6f7cf0c8a1d2\",\"version\":"
        "\"2026-11-21T10:00:00.000Z\",\"hash\":\"ABCD\",\"to\":[\"KZ\"]}",
        "{\"object\":\"report--8d0b6a8e-2a2f-4c5e-9a57-6f7cf0c8a1d2\",\"version\":"
        "\"2026-11-21T10:00:00.000Z\",\"hash\":\"HASH\",\"to\":[]}",
        "{\"object\":\"report--8d0b6a8e-2a2f-4c5e-9a57-6f7cf0c8a1d2\",\"version\":"
        "\"2026-11-21T10:00:00.000Z\",\"hash\":\"HASH\",\"to\":[\"ZZ\"]}",
        "{\"object\":\"report--8d0b6a8e-2a2f-4c5e-9a57-6f7cf0c8a1d2\",\"version\":"
        "\"2026-11-21T10:00:00.000Z\",\"hash\":\"HASH\",\"to\":[\"KZ\"],\"keys\":[{\"party\":"
        "\"TJ\",\"wrapped\":"
        "\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
        "\"}]}",
        "{\"object\":\"report--8d0b6a8e-2a2f-4c5e-9a57-6f7cf0c8a1d2\",\"version\":"
        "\"2026-11-21T10:00:00.000Z\",\"hash\":\"HASH\",\"to\":[\"KZ\"],\"extra\":1}",
    };
    static const char good[] =
        "{\"object\":\"report--8d0b6a8e-2a2f-4c5e-9a57-6f7cf0c8a1d2\",\"version\":"
        "\"2026-11-21T10:00:00.000Z\",\"hash\":\"HASH\",\"to\":[\"KZ\",\"TJ\"],\"reason\":\"x\"}";
    char hex[65], text[1024];
    struct isx_diag d = {0};
    json_t *b;

    (void)state;
    memset(hex, 'a', 64);
    hex[64] = '\0';
    with_hash(text, sizeof(text), good, hex);
    b = json_loads(text, 0, NULL);
    assert_int_equal(isx_release_check(b, "body", &d), 0);
    assert_true(isx_release_names(b, "TJ"));
    assert_false(isx_release_names(b, "RU"));
    assert_null(isx_release_key_for(b, "KZ"));
    json_decref(b);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        with_hash(text, sizeof(text), bad[i], hex);
        b = json_loads(text, 0, NULL);
        assert_non_null(b);
        assert_true(isx_release_check(b, "body", &d) < 0);
        json_decref(b);
    }
}

/* Cursors only move forward, and counters add up (a regression: SQLite orders text above
 * integers, so an uncast max() once reset a cursor to 0). */
static void
test_peer_rows_and_cursors(void **state)
{
    struct isx_peer_progress pr = {0};
    struct isx_peer p, *list = NULL;
    size_t n = 0;

    (void)state;
    pr.push_cursor = 8;
    pr.sent = 2;
    assert_int_equal(isx_store_peer_progress(cn->store, "RU", &pr), 0);
    memset(&pr, 0, sizeof(pr));
    pr.pull_cursor = 3;
    pr.received = 1;
    assert_int_equal(isx_store_peer_progress(cn->store, "RU", &pr), 0);
    memset(&pr, 0, sizeof(pr));
    pr.push_cursor = 5; /* a late answer: must not rewind */
    pr.error = "cannot reach the peer";
    assert_int_equal(isx_store_peer_progress(cn->store, "RU", &pr), 0);
    assert_int_equal(isx_store_peer_get(cn->store, "RU", &p), 0);
    assert_int_equal(p.push_cursor, 8);
    assert_int_equal(p.pull_cursor, 3);
    assert_int_equal(p.sent, 2);
    assert_int_equal(p.received, 1);
    assert_string_equal(p.last_error, "cannot reach the peer");
    memset(&pr, 0, sizeof(pr));
    assert_int_equal(isx_store_peer_progress(cn->store, "RU", &pr), 0);
    assert_int_equal(isx_store_peer_get(cn->store, "RU", &p), 0);
    assert_string_equal(p.last_error, "");
    assert_string_not_equal(p.last_contact, "");
    assert_int_equal(isx_store_peer_progress(cn->store, "TJ", &pr), ISX_ENOTFOUND);
    assert_int_equal(isx_store_peer_get(cn->store, "TJ", &p), ISX_ENOTFOUND);
    assert_int_equal(isx_store_peer_list(ru->store, &list, &n), 0);
    assert_int_equal(n, 2);
    assert_string_equal(list[0].party, "CN");
    assert_string_equal(list[1].party, "KZ");
    free(list);
    assert_int_equal(isx_store_peer_remove(cn->store, "TJ"), ISX_ENOTFOUND);
}

/* AMBER to RU: sealed at CN, opened at RU, refused at KZ; never sent to KZ. */
static void
test_marking_decides_and_seals(void **state)
{
    struct isx_object *o = report(cn, "{\"tlp\":\"amber\",\"to\":[\"RU\"]}", "for RU");
    struct isx_diag d = {0};

    (void)state;
    assert_null(o->body);
    assert_non_null(json_object_get(o->env, "sealed"));
    assert_non_null(o->opened); /* the originator keeps reading it */
    assert_int_equal(isx_fed_may_send(cn, o, "RU", NULL), 1);
    assert_int_equal(isx_fed_may_send(cn, o, "KZ", NULL), 0);
    assert_int_equal(isx_fed_may_send(cn, o, "CN", NULL), 0); /* never back to its origin */
    assert_int_equal(deliver(ru, o, &d), 0);
    assert_int_equal(deliver(ru, o, &d), ISX_EEXISTS); /* exactly once by hash */
    struct isx_object *got = NULL;
    assert_int_equal(isx_node_get(ru, o->id, NULL, &got), 0);
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(got->opened, "title"), "en")), "for RU");
    isx_object_free(got);
    /* KZ is not named and is not a relay. */
    memset(&d, 0, sizeof(d));
    assert_int_equal(deliver(kz, o, &d), ISX_EMARKING);
    assert_string_equal(d.field, "marking.to");
    /* RU may not pass it on to KZ. */
    assert_int_equal(isx_fed_may_send(ru, o, "KZ", NULL), 0);
    isx_object_free(o);
}

/* The originator's release lets RU forward to KZ; KZ opens it with the key it carries. */
static void
test_release_allows_onward_transfer(void **state)
{
    struct isx_object *o = report(cn, "{\"tlp\":\"amber\",\"to\":[\"RU\"]}", "released");
    struct isx_change change = {"tester", "create"};
    struct isx_object *rel = NULL, *got = NULL;
    struct isx_buf rb = ISX_BUF_INIT;
    struct isx_diag d = {0};
    json_t *to = json_pack("[s]", "KZ");

    (void)state;
    assert_int_equal(deliver(ru, o, &d), 0);
    /* Only the originator releases, and only to parties not already named. */
    assert_int_equal(isx_fed_release(ru, o->id, to, NULL, &change, &rel, &d), ISX_EFORBIDDEN);
    json_t *already = json_pack("[s]", "RU");
    assert_int_equal(isx_fed_release(cn, o->id, already, NULL, &change, &rel, &d), ISX_EINVAL);
    json_decref(already);
    /* CN does not know KZ's encryption key: it says so rather than release in vain. */
    assert_int_equal(isx_fed_release(cn, o->id, to, NULL, &change, &rel, &d), ISX_EKEY);
    add_peer(cn, kz);
    assert_int_equal(isx_fed_release(cn, o->id, to, "joint work", &change, &rel, &d), 0);
    assert_non_null(isx_release_key_for(rel->body, "KZ"));
    /* Before the release reaches RU, RU still may not send; after, it may, release first. */
    assert_int_equal(deliver(ru, rel, &d), 0);
    assert_int_equal(isx_fed_may_send(ru, o, "KZ", &rb), 1);
    assert_true(rb.len > 0);
    isx_buf_free(&rb);
    /* KZ refuses the object without the release, accepts it after. */
    assert_int_equal(deliver(kz, o, &d), ISX_EMARKING);
    assert_int_equal(deliver(kz, rel, &d), 0);
    assert_int_equal(deliver(kz, o, &d), 0);
    assert_int_equal(isx_node_get(kz, o->id, NULL, &got), 0);
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(got->opened, "title"), "en")),
        "released");
    isx_object_free(got);
    isx_object_free(rel);
    isx_object_free(o);
    json_decref(to);
}

/* Tampering, clear bodies above GREEN and unknown keys are refused and change nothing. */
static void
test_door_refusals(void **state)
{
    struct isx_object *o = report(cn, "{\"tlp\":\"green\"}", "green one"), *copy = NULL;
    struct isx_change change = {"peer:test", "federate"};
    struct isx_diag d = {0};
    int64_t before, after;

    (void)state;
    assert_int_equal(isx_store_count(ru->store, &before), 0);
    /* A changed body: the originator's signature no longer verifies. */
    json_t *env = json_deep_copy(o->env);
    json_object_set_new(json_object_get(json_object_get(env, "body"), "title"), "en",
                        json_string("changed"));
    assert_int_equal(isx_object_from_json(env, &copy, &d), 0);
    assert_int_equal(isx_fed_accept(ru, copy, &change, &d), ISX_ESIG);
    isx_object_free(copy);
    /* An object from a party whose key RU does not know. */
    assert_int_equal(isx_object_new("report", NULL, "TJ", json_pack("{s:s}", "tlp", "green"),
                                    json_pack("{s:s, s:{s:s}, s:[]}", "threat", "T2", "title", "en",
                                              "x", "indicators"),
                                    NULL, &copy),
                     0);
    assert_int_equal(isx_object_sign(copy, kz->signer), 0);
    assert_int_equal(deliver(ru, copy, &d), ISX_EKEY);
    isx_object_free(copy);
    /* AMBER in clear, signed by CN: refused at the door (Art. 6 by construction). */
    assert_int_equal(isx_object_new("report", NULL, "CN",
                                    json_pack("{s:s, s:[s]}", "tlp", "amber", "to", "RU"),
                                    json_pack("{s:s, s:{s:s}, s:[]}", "threat", "T2", "title", "en",
                                              "clear", "indicators"),
                                    NULL, &copy),
                     0);
    assert_int_equal(isx_object_sign(copy, cn->signer), 0);
    memset(&d, 0, sizeof(d));
    assert_int_equal(deliver(ru, copy, &d), ISX_EMARKING);
    assert_string_equal(d.field, "body");
    isx_object_free(copy);
    assert_int_equal(isx_store_count(ru->store, &after), 0);
    assert_int_equal(after, before);
    isx_object_free(o);
}

/* The entries `isx init` copies for other parties are never sent; the party's own are. */
static void
test_local_copies_stay_home(void **state)
{
    struct isx_object *mine = NULL, *copy = NULL;

    (void)state;
    char id[ISX_OBJECT_ID_MAX + 1];
    isx_directory_party_id("RU", id);
    assert_int_equal(isx_node_get(cn, id, NULL, &copy), 0);
    isx_directory_party_id("CN", id);
    assert_int_equal(isx_node_get(cn, id, NULL, &mine), 0);
    assert_string_equal(copy->origin, "CN");
    assert_int_equal(isx_fed_may_send(cn, copy, "RU", NULL), 0);
    assert_int_equal(isx_fed_may_send(cn, copy, "KZ", NULL), 0);
    assert_int_equal(isx_fed_may_send(cn, mine, "RU", NULL), 1);
    isx_object_free(mine);
    isx_object_free(copy);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_release_bodies),
        cmocka_unit_test(test_peer_rows_and_cursors),
        cmocka_unit_test(test_marking_decides_and_seals),
        cmocka_unit_test(test_release_allows_onward_transfer),
        cmocka_unit_test(test_door_refusals),
        cmocka_unit_test(test_local_copies_stay_home),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
