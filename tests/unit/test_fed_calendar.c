/*
 * Who is a party for a node (src/fed/calendar.c): the bootstrap rule, the calendar once the
 * depositary's record brings the agreement into force, the cache that follows the log, and
 * the door for notifications and for the objects of a state that is not bound. Real nodes in
 * temporary directories; objects move between them by hand, as delivery would move them.
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

#include "isx/agreement.h"
#include "isx/fed.h"
#include "isx/hash.h"
#include "isx/node.h"

static char base[64];
static struct isx_node *cn, *kz, *sco;

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
    snprintf(base, sizeof(base), "/tmp/isx-cal-XXXXXX");
    if (mkdtemp(base) == NULL)
        return -1;
    cn = make_node("CN");
    kz = make_node("KZ");
    sco = make_node("SCO");
    if (cn == NULL || kz == NULL || sco == NULL)
        return -1;
    add_peer(cn, kz);
    add_peer(cn, sco);
    return 0;
}

static int
teardown(void **state)
{
    char cmd[128];

    (void)state;
    isx_node_free(cn);
    isx_node_free(kz);
    isx_node_free(sco);
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", base);
    return system(cmd) == 0 ? 0 : -1;
}

/* Publishes at `from` and delivers to CN through the canonical bytes; CN's answer. */
static int
publish_to_cn(struct isx_node *from, const char *type, json_t *body, struct isx_diag *d)
{
    struct isx_change change = {"tester", "create"}, fed = {"peer:test", "federate"};
    struct isx_object *o = NULL, *copy = NULL;
    struct isx_diag local = {0};
    int rc;

    assert_int_equal(isx_node_publish(from, type, NULL, json_pack("{s:s}", "tlp", "green"), body,
                                      &change, NULL, &o, &local),
                     0);
    rc = isx_object_parse(o->canonical.data, o->canonical.len, &copy, d);
    if (rc == 0)
        rc = isx_fed_accept(cn, copy, &fed, d);
    isx_object_free(copy);
    isx_object_free(o);
    return rc;
}

static void
ratification(const char *party, const char *date)
{
    struct isx_diag d = {0};

    assert_int_equal(publish_to_cn(sco, "notification",
                                   json_pack("{s:s, s:s, s:s}", "kind", "ratification", "party",
                                             party, "date", date),
                                   &d),
                     0);
}

static json_t *
report_body(const char *title)
{
    return json_pack("{s:s, s:{s:s}, s:[]}", "threat", "T2", "title", "en", title, "indicators");
}

static void
test_party_bound(void **state)
{
    int64_t today = isx_fed_today();
    struct isx_diag d = {0};

    (void)state;
    /* No notification: every party counts (the bootstrap rule). */
    assert_int_equal(isx_fed_party_bound(cn, "KZ", today), 1);
    assert_int_equal(publish_to_cn(kz, "report", report_body("kz-1"), &d), 0);

    /* Three completed procedures: not in force, so the rule still holds. */
    ratification("CN", "2010-03-01");
    ratification("RU", "2010-06-10");
    ratification("KG", "2010-09-15");
    assert_int_equal(isx_fed_party_bound(cn, "KZ", today), 1);
    assert_int_equal(isx_fed_party_bound(cn, "UZ", today), 1);

    /* The fourth brings it into force on 2011-03-02: KZ and UZ, signatories, are no parties;
     * the cache saw the new notification in the log. */
    ratification("TJ", "2011-01-31");
    assert_int_equal(isx_fed_party_bound(cn, "KZ", today), 0);
    assert_int_equal(isx_fed_party_bound(cn, "UZ", today), 0);
    assert_int_equal(isx_fed_party_bound(cn, "RU", today), 1);
    assert_int_equal(isx_fed_party_bound(cn, "TJ", today), 1);
    /* This node's own party and the depositary always count. */
    assert_int_equal(isx_fed_party_bound(cn, "CN", today), 1);
    assert_int_equal(isx_fed_party_bound(cn, "SCO", today), 1);
    /* Before entry into force the record does not decide yet. */
    int64_t before;
    assert_int_equal(isx_agreement_parse_date("2011-03-01", &before), 0);
    assert_int_equal(isx_fed_party_bound(cn, "KZ", before), 1);
    assert_int_equal(isx_fed_party_bound(cn, "KZ", before + 1), 0);

    /* KZ's objects are refused at the door, naming the origin... */
    memset(&d, 0, sizeof(d));
    assert_int_equal(publish_to_cn(kz, "report", report_body("kz-2"), &d), ISX_EFORBIDDEN);
    assert_string_equal(d.field, "origin");
    assert_string_equal(d.key, "agreement.not_bound_party");
    assert_string_equal(d.arg, "KZ");
    /* ...but not its notifications, a state's own only. */
    memset(&d, 0, sizeof(d));
    assert_int_equal(publish_to_cn(kz, "notification",
                                   json_pack("{s:s, s:s, s:s}", "kind", "ratification", "party",
                                             "RU", "date", "2012-01-01"),
                                   &d),
                     ISX_EFORBIDDEN);
    assert_string_equal(d.field, "body.party");
    assert_string_equal(d.key, "agreement.not_own");
    memset(&d, 0, sizeof(d));
    assert_int_equal(publish_to_cn(kz, "notification",
                                   json_pack("{s:s, s:s, s:s}", "kind", "ratification", "party",
                                             "KZ", "date", "2012-01-01"),
                                   &d),
                     0);
    /* KZ's own record binds it from 2012-01-31: its objects come in again. */
    assert_int_equal(isx_fed_party_bound(cn, "KZ", today), 1);
    assert_int_equal(publish_to_cn(kz, "report", report_body("kz-3"), &d), 0);

    /* The calendar the API shows: five notifications, all applied. */
    struct isx_agreement_calendar *c = NULL;
    json_t *items = NULL;
    size_t counted = 0;
    assert_int_equal(isx_fed_calendar(cn, today, &items, &c, &counted, &d), 0);
    assert_int_equal(json_array_size(items), 5);
    assert_int_equal(counted, 5);
    assert_int_equal(c->nskipped, 0);
    assert_true(isx_fed_calendar_counts(c, counted, today));
    json_decref(items);
    isx_agreement_free(c);
}

static void
test_refused_notification_does_not_hide_the_calendar(void **state)
{
    int64_t today = isx_fed_today();
    struct isx_agreement_calendar *c = NULL;
    struct isx_diag d = {0};
    json_t *items = NULL;
    size_t counted = 0;

    (void)state;
    /* A second completed-procedures notice of RU: stored (the door checks bodies, not the
     * history), left out of the calendar and listed, and the rest still counts. */
    ratification("RU", "2013-05-05");
    assert_int_equal(isx_fed_calendar(cn, today, &items, &c, &counted, &d), 0);
    assert_int_equal(json_array_size(items), 6);
    assert_int_equal(c->nskipped, 1);
    assert_string_equal(c->skipped[0].diag.key, "agreement.duplicate");
    assert_int_equal(counted, 5);
    assert_int_equal(isx_fed_party_bound(cn, "UZ", today), 0);
    assert_int_equal(isx_fed_party_bound(cn, "RU", today), 1);
    json_decref(items);
    isx_agreement_free(c);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_party_bound),
        cmocka_unit_test(test_refused_notification_does_not_hide_the_calendar),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
