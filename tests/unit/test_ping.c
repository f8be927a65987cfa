/*
 * Communication checks, the model (include/isx/ping.h): body checks, the judge of an
 * acknowledgement, results (rates, medians, per kind and per party), open and closed states,
 * history over time and the flag of silent contacts, the schedule's times and the [pings]
 * configuration.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "isx/config.h"
#include "isx/ping.h"
#include "isx/timeutil.h"

#define PING1 "ping--11111111-1111-4111-8111-111111111111"
#define PING2 "ping--22222222-2222-4222-8222-222222222222"
#define PING3 "ping--33333333-3333-4333-8333-333333333333"
#define RU_T1 "poc--aaaaaaaa-0000-4000-8000-000000000001"
#define RU_T2 "poc--aaaaaaaa-0000-4000-8000-000000000002"
#define RU_D1 "poc--aaaaaaaa-0000-4000-8000-000000000003"
#define KZ_T1 "poc--bbbbbbbb-0000-4000-8000-000000000001"

static int64_t
at(const char *t)
{
    int64_t ms = 0;
    assert_int_equal(isx_time_parse(t, &ms), 0);
    return ms;
}

/* A ping envelope from CN started at 09:00 with a deadline at 12:00 on 2026-11-20. */
static json_t *
ping_env(const char *id, const char *started, const char *deadline, const char *pocs)
{
    char text[2048];
    json_error_t e;
    json_t *env;

    snprintf(text, sizeof(text),
             "{\"id\":\"%s\",\"type\":\"ping\",\"origin\":\"CN\",\"body\":{\"parties\":[\"RU\","
             "\"KZ\"],\"pocs\":%s,\"started\":\"%s\",\"deadline\":\"%s\",\"message\":{\"en\":"
             "\"Please acknowledge\"}}}",
             id, pocs, started, deadline);
    env = json_loads(text, 0, &e);
    assert_non_null(env);
    return env;
}

static const char *const four_pocs =
    "[{\"id\":\"" RU_T1 "\",\"party\":\"RU\",\"kind\":\"technical\"},"
    "{\"id\":\"" RU_T2 "\",\"party\":\"RU\",\"kind\":\"technical\"},"
    "{\"id\":\"" RU_D1 "\",\"party\":\"RU\",\"kind\":\"diplomatic\"},"
    "{\"id\":\"" KZ_T1 "\",\"party\":\"KZ\",\"kind\":\"technical\"}]";

/* An ack envelope with the derived id (or `id`), from `origin`. */
static json_t *
ack_env(const char *ping, const char *poc, const char *origin, const char *how, const char *when,
        const char *id)
{
    char derived[ISX_OBJECT_ID_MAX + 1];

    isx_ping_ack_id(ping, poc, derived);
    return json_pack("{s:s, s:s, s:s, s:{s:s, s:s, s:s, s:s}}", "id", id != NULL ? id : derived,
                     "type", "ack", "origin", origin, "body", "ping", ping, "poc", poc, "how", how,
                     "at", when);
}

static void
test_bodies(void **state)
{
    struct isx_diag d = {0};
    json_t *env =
        ping_env(PING1, "2026-11-20T09:00:00.000Z", "2026-11-20T12:00:00.000Z", four_pocs);
    json_t *body = json_object_get(env, "body");

    (void)state;
    assert_int_equal(isx_ping_check(body, "body", &d), 0);

    /* A contact of a party the ping does not name. */
    json_object_set_new(body, "parties", json_pack("[s]", "RU"));
    memset(&d, 0, sizeof(d));
    assert_int_equal(isx_ping_check(body, "body", &d), ISX_EFIELD);
    assert_string_equal(d.field, "body.pocs[3]");
    assert_string_equal(d.key, "ping.poc_party");
    json_object_set_new(body, "parties", json_pack("[s, s]", "RU", "KZ"));

    /* The deadline must come after the start, and not more than 30 days after. */
    json_object_set_new(body, "deadline", json_string("2026-11-20T09:00:00.000Z"));
    memset(&d, 0, sizeof(d));
    assert_int_equal(isx_ping_check(body, "", &d), ISX_ERANGE);
    assert_string_equal(d.field, "deadline");
    json_object_set_new(body, "deadline", json_string("2026-12-21T09:00:00.000Z"));
    assert_int_equal(isx_ping_check(body, "", NULL), ISX_ERANGE);
    /* Times in their one canonical form only. */
    json_object_set_new(body, "deadline", json_string("2026-11-20T12:00:00Z"));
    memset(&d, 0, sizeof(d));
    assert_int_equal(isx_ping_check(body, "", &d), ISX_EFIELD);
    assert_string_equal(d.key, "ping.time");
    json_object_set_new(body, "deadline", json_string("2026-11-20T12:00:00.000Z"));

    /* One contact twice; an unknown kind; an unknown field. */
    json_array_append(json_object_get(body, "pocs"),
                      json_array_get(json_object_get(body, "pocs"), 0));
    memset(&d, 0, sizeof(d));
    assert_int_equal(isx_ping_check(body, "", &d), ISX_EFIELD);
    assert_string_equal(d.key, "ping.poc_twice");
    assert_string_equal(d.field, "pocs[4]");
    json_array_remove(json_object_get(body, "pocs"), 4);
    json_object_set_new(json_array_get(json_object_get(body, "pocs"), 0), "kind",
                        json_string("military"));
    assert_int_equal(isx_ping_check(body, "", NULL), ISX_EFIELD);
    json_object_set_new(json_array_get(json_object_get(body, "pocs"), 0), "kind",
                        json_string("technical"));
    json_object_set_new(body, "colour", json_string("blue"));
    assert_int_equal(isx_ping_check(body, "", NULL), ISX_EUNKNOWN_FIELD);
    json_decref(env);

    /* Acks: a known way of answering, ids of the right types. */
    json_t *a = ack_env(PING1, RU_T1, "RU", "api", "2026-11-20T09:01:00.000Z", NULL);
    assert_int_equal(isx_ack_check(json_object_get(a, "body"), "body", NULL), 0);
    json_object_set_new(json_object_get(a, "body"), "how", json_string("fax"));
    memset(&d, 0, sizeof(d));
    assert_int_equal(isx_ack_check(json_object_get(a, "body"), "body", &d), ISX_EFIELD);
    assert_string_equal(d.field, "body.how");
    json_object_set_new(json_object_get(a, "body"), "how", json_string("link"));
    json_object_set_new(json_object_get(a, "body"), "poc", json_string(PING2));
    assert_int_equal(isx_ack_check(json_object_get(a, "body"), "body", NULL), ISX_EFIELD);
    json_decref(a);
}

static void
test_ids(void **state)
{
    char a[ISX_OBJECT_ID_MAX + 1], b[ISX_OBJECT_ID_MAX + 1], c[ISX_OBJECT_ID_MAX + 1];

    (void)state;
    isx_ping_ack_id(PING1, RU_T1, a);
    isx_ping_ack_id(PING1, RU_T1, b);
    isx_ping_ack_id(PING1, RU_T2, c);
    assert_string_equal(a, b);
    assert_string_not_equal(a, c);
    assert_true(isx_object_id_valid(a, "ack"));
    isx_ping_schedule_id("CN", "2026-12-01T09:00:00.000Z", a);
    isx_ping_schedule_id("CN", "2027-01-01T09:00:00.000Z", b);
    isx_ping_schedule_id("RU", "2026-12-01T09:00:00.000Z", c);
    assert_true(isx_object_id_valid(a, "ping"));
    assert_string_not_equal(a, b);
    assert_string_not_equal(a, c);
}

static void
test_state(void **state)
{
    json_t *env =
        ping_env(PING1, "2026-11-20T09:00:00.000Z", "2026-11-20T12:00:00.000Z", four_pocs);
    const json_t *body = json_object_get(env, "body");

    (void)state;
    assert_string_equal(isx_ping_state(body, at("2026-11-20T09:00:00.000Z")), "open");
    assert_string_equal(isx_ping_state(body, at("2026-11-20T11:59:59.999Z")), "open");
    /* It closes at its deadline, not a millisecond later. */
    assert_string_equal(isx_ping_state(body, at("2026-11-20T12:00:00.000Z")), "closed");
    assert_string_equal(isx_ping_state(body, at("2027-01-01T00:00:00.000Z")), "closed");
    assert_null(isx_ping_state(json_object_get(env, "id"), 0));
    json_decref(env);
}

static void
test_judge(void **state)
{
    json_t *env =
        ping_env(PING1, "2026-11-20T09:00:00.000Z", "2026-11-20T12:00:00.000Z", four_pocs);
    struct isx_diag d;
    json_t *a;

    (void)state;
#define JUDGE(ack, exists, path)                                                                   \
    (memset(&d, 0, sizeof(d)),                                                                     \
     isx_ping_ack_judge(env, json_string_value(json_object_get(ack, "id")),                        \
                        json_string_value(json_object_get(ack, "origin")),                         \
                        json_object_get(ack, "body"), exists, path, &d))

    a = ack_env(PING1, RU_T1, "RU", "api", "2026-11-20T09:01:00.000Z", NULL);
    assert_int_equal(JUDGE(a, 0, "body"), 0);
    /* Acknowledged twice. */
    assert_int_equal(JUDGE(a, 1, "body"), ISX_EEXISTS);
    assert_string_equal(d.field, "body.poc");
    assert_string_equal(d.key, "ping.already");
    json_decref(a);

    /* After the deadline, and exactly at it. */
    a = ack_env(PING1, RU_T1, "RU", "api", "2026-11-20T12:00:00.000Z", NULL);
    assert_int_equal(JUDGE(a, 0, ""), ISX_ECONFLICT);
    assert_string_equal(d.field, "at");
    assert_string_equal(d.key, "ping.closed");
    assert_string_equal(d.arg, "2026-11-20T12:00:00.000Z");
    json_decref(a);
    a = ack_env(PING1, RU_T1, "RU", "api", "2026-11-20T11:59:59.999Z", NULL);
    assert_int_equal(JUDGE(a, 0, ""), 0);
    json_decref(a);

    /* Another party's contact: forbidden, naming the party. */
    a = ack_env(PING1, RU_T1, "CN", "api", "2026-11-20T09:01:00.000Z", NULL);
    assert_int_equal(JUDGE(a, 0, ""), ISX_EFORBIDDEN);
    assert_string_equal(d.field, "poc");
    assert_string_equal(d.arg, "RU");
    json_decref(a);
    a = ack_env(PING1, KZ_T1, "RU", "link", "2026-11-20T09:01:00.000Z", NULL);
    assert_int_equal(JUDGE(a, 0, ""), ISX_EFORBIDDEN);
    json_decref(a);

    /* A contact the ping does not cover; another ping; an id not derived from the pair. */
    a = ack_env(PING1, "poc--cccccccc-0000-4000-8000-000000000009", "RU", "api",
                "2026-11-20T09:01:00.000Z", NULL);
    assert_int_equal(JUDGE(a, 0, ""), ISX_EFIELD);
    assert_string_equal(d.key, "ping.not_covered");
    json_decref(a);
    a = ack_env(PING2, RU_T1, "RU", "api", "2026-11-20T09:01:00.000Z", NULL);
    assert_int_equal(JUDGE(a, 0, ""), ISX_EFIELD);
    assert_string_equal(d.key, "ping.other_ping");
    json_decref(a);
    a = ack_env(PING1, RU_T1, "RU", "api", "2026-11-20T09:01:00.000Z",
                "ack--dddddddd-0000-4000-8000-000000000001");
    assert_int_equal(JUDGE(a, 0, ""), ISX_EFIELD);
    assert_string_equal(d.field, "id");
    json_decref(a);
#undef JUDGE
    json_decref(env);
}

static void
test_results(void **state)
{
    json_t *env =
        ping_env(PING1, "2026-11-20T09:00:00.000Z", "2026-11-20T12:00:00.000Z", four_pocs);
    json_t *acks = json_array(), *r = NULL;

    (void)state;
    /* Counted: RU_T1 after 60 s by API, RU_D1 after 180 s by link. */
    json_array_append_new(acks,
                          ack_env(PING1, RU_T1, "RU", "api", "2026-11-20T09:01:00.000Z", NULL));
    json_array_append_new(acks,
                          ack_env(PING1, RU_D1, "RU", "link", "2026-11-20T09:03:00.000Z", NULL));
    /* Not counted: RU_T1 again later (the earliest counts), RU_T2 answered by CN, KZ_T1 late,
     * an answer to another ping, and one under an id not derived from the pair. */
    json_array_append_new(acks,
                          ack_env(PING1, RU_T1, "RU", "cli", "2026-11-20T09:30:00.000Z", NULL));
    json_array_append_new(acks,
                          ack_env(PING1, RU_T2, "CN", "api", "2026-11-20T09:02:00.000Z", NULL));
    json_array_append_new(acks,
                          ack_env(PING1, KZ_T1, "KZ", "api", "2026-11-20T12:00:00.001Z", NULL));
    json_array_append_new(acks,
                          ack_env(PING2, KZ_T1, "KZ", "api", "2026-11-20T09:02:00.000Z", NULL));
    json_array_append_new(acks, ack_env(PING1, RU_T2, "RU", "api", "2026-11-20T09:02:00.000Z",
                                        "ack--dddddddd-0000-4000-8000-000000000001"));

    assert_int_equal(isx_ping_results(env, acks, at("2026-11-20T10:00:00.000Z"), &r), 0);
    assert_string_equal(json_string_value(json_object_get(r, "state")), "open");
    assert_string_equal(json_string_value(json_object_get(r, "origin")), "CN");
    assert_int_equal(json_integer_value(json_object_get(r, "total")), 4);
    assert_int_equal(json_integer_value(json_object_get(r, "answered")), 2);
    assert_true(json_real_value(json_object_get(r, "rate")) == 0.5);
    /* The median of 60 s and 180 s. */
    assert_int_equal(json_integer_value(json_object_get(r, "median_ms")), 120000);

    const json_t *tech = json_object_get(json_object_get(r, "by_kind"), "technical");
    const json_t *dipl = json_object_get(json_object_get(r, "by_kind"), "diplomatic");
    assert_int_equal(json_integer_value(json_object_get(tech, "total")), 3);
    assert_int_equal(json_integer_value(json_object_get(tech, "answered")), 1);
    assert_true(json_real_value(json_object_get(tech, "rate")) == 1.0 / 3.0);
    assert_int_equal(json_integer_value(json_object_get(tech, "median_ms")), 60000);
    assert_int_equal(json_integer_value(json_object_get(dipl, "total")), 1);
    assert_true(json_real_value(json_object_get(dipl, "rate")) == 1.0);
    assert_int_equal(json_integer_value(json_object_get(dipl, "median_ms")), 180000);

    const json_t *ru = json_object_get(json_object_get(r, "by_party"), "RU");
    const json_t *kz = json_object_get(json_object_get(r, "by_party"), "KZ");
    assert_int_equal(json_integer_value(json_object_get(ru, "answered")), 2);
    assert_int_equal(json_integer_value(json_object_get(ru, "total")), 3);
    assert_int_equal(json_integer_value(json_object_get(kz, "answered")), 0);
    assert_true(json_real_value(json_object_get(kz, "rate")) == 0.0);
    assert_true(json_is_null(json_object_get(kz, "median_ms")));

    /* Who answered, how and how fast, in the ping's own order. */
    const json_t *cs = json_object_get(r, "contacts");
    assert_int_equal(json_array_size(cs), 4);
    assert_string_equal(json_string_value(json_object_get(json_array_get(cs, 0), "how")), "api");
    assert_int_equal(json_integer_value(json_object_get(json_array_get(cs, 0), "after_ms")), 60000);
    assert_true(json_is_false(json_object_get(json_array_get(cs, 1), "answered")));
    assert_string_equal(json_string_value(json_object_get(json_array_get(cs, 2), "how")), "link");
    assert_true(json_is_false(json_object_get(json_array_get(cs, 3), "answered")));
    json_decref(r);

    /* Nothing about the figures moves when the ping closes, only its state. */
    assert_int_equal(isx_ping_results(env, acks, at("2026-11-20T12:00:00.000Z"), &r), 0);
    assert_string_equal(json_string_value(json_object_get(r, "state")), "closed");
    assert_int_equal(json_integer_value(json_object_get(r, "answered")), 2);
    json_decref(r);

    /* No answers at all: rate 0, no median. */
    assert_int_equal(isx_ping_results(env, NULL, at("2026-11-20T10:00:00.000Z"), &r), 0);
    assert_true(json_real_value(json_object_get(r, "rate")) == 0.0);
    assert_true(json_is_null(json_object_get(r, "median_ms")));
    json_decref(r);
    json_decref(acks);
    json_decref(env);
}

static void
test_median(void **state)
{
    json_t *env =
        ping_env(PING1, "2026-11-20T09:00:00.000Z", "2026-11-20T12:00:00.000Z", four_pocs);
    json_t *acks = json_array(), *r = NULL;

    (void)state;
    /* Three answers: 10 s, 2 min, 1 h; the median is the middle one. */
    json_array_append_new(acks,
                          ack_env(PING1, RU_T1, "RU", "api", "2026-11-20T09:00:10.000Z", NULL));
    json_array_append_new(acks,
                          ack_env(PING1, RU_T2, "RU", "cli", "2026-11-20T10:00:00.000Z", NULL));
    json_array_append_new(acks,
                          ack_env(PING1, RU_D1, "RU", "link", "2026-11-20T09:02:00.000Z", NULL));
    assert_int_equal(isx_ping_results(env, acks, at("2026-11-20T13:00:00.000Z"), &r), 0);
    assert_int_equal(json_integer_value(json_object_get(r, "median_ms")), 120000);
    /* Technical: 10 s and 1 h, the mean of the two rounded down. */
    assert_int_equal(json_integer_value(json_object_get(
                         json_object_get(json_object_get(r, "by_kind"), "technical"), "median_ms")),
                     (10000 + 3600000) / 2);
    json_decref(r);

    /* A fourth of 1 ms makes an even count: the mean of 10 s and 2 min. */
    json_array_append_new(acks,
                          ack_env(PING1, KZ_T1, "KZ", "api", "2026-11-20T09:00:00.001Z", NULL));
    assert_int_equal(isx_ping_results(env, acks, at("2026-11-20T13:00:00.000Z"), &r), 0);
    assert_int_equal(json_integer_value(json_object_get(r, "median_ms")), (10000 + 120000) / 2);
    assert_true(json_real_value(json_object_get(r, "rate")) == 1.0);
    json_decref(r);

    /* An answer stamped before the start (a fast clock) counts as immediate, never negative. */
    json_decref(acks);
    acks = json_array();
    json_array_append_new(acks,
                          ack_env(PING1, RU_T1, "RU", "api", "2026-11-20T08:59:59.000Z", NULL));
    assert_int_equal(isx_ping_results(env, acks, at("2026-11-20T13:00:00.000Z"), &r), 0);
    assert_int_equal(json_integer_value(json_object_get(r, "median_ms")), 0);
    json_decref(r);
    json_decref(acks);
    json_decref(env);
}

static void
test_history_and_flags(void **state)
{
    const char *two = "[{\"id\":\"" RU_T1 "\",\"party\":\"RU\",\"kind\":\"technical\"},"
                      "{\"id\":\"" RU_D1 "\",\"party\":\"RU\",\"kind\":\"diplomatic\"}]";
    const char *one = "[{\"id\":\"" RU_T1 "\",\"party\":\"RU\",\"kind\":\"technical\"}]";
    const char *d1 = "[{\"id\":\"" RU_D1 "\",\"party\":\"RU\",\"kind\":\"diplomatic\"}]";
    json_t *pings = json_array(), *acks = json_array(), *h = NULL, *last = NULL;

    (void)state;
    /* November: both contacts, the technical one answers. December: the technical one alone,
     * silent. January (still open): the diplomatic one, silent so far. Given out of order. */
    json_array_append_new(
        pings, ping_env(PING2, "2026-12-01T09:00:00.000Z", "2026-12-03T09:00:00.000Z", one));
    json_array_append_new(
        pings, ping_env(PING1, "2026-11-01T09:00:00.000Z", "2026-11-03T09:00:00.000Z", two));
    json_array_append_new(
        pings, ping_env(PING3, "2027-01-01T09:00:00.000Z", "2027-01-03T09:00:00.000Z", d1));
    json_array_append_new(acks,
                          ack_env(PING1, RU_T1, "RU", "api", "2026-11-01T10:00:00.000Z", NULL));
    int64_t now = at("2027-01-02T00:00:00.000Z");

    assert_int_equal(isx_ping_last(pings, acks, now, &last), 0);
    /* The technical contact's latest closed ping is December's, unanswered; the diplomatic
     * one's is November's (January's is open), also unanswered. */
    assert_string_equal(json_string_value(json_object_get(json_object_get(last, RU_T1), "id")),
                        PING2);
    assert_true(json_is_false(json_object_get(json_object_get(last, RU_T1), "answered")));
    assert_string_equal(json_string_value(json_object_get(json_object_get(last, RU_D1), "id")),
                        PING1);
    assert_true(json_is_false(json_object_get(json_object_get(last, RU_D1), "answered")));
    json_decref(last);

    assert_int_equal(isx_ping_history(pings, acks, now, &h), 0);
    const json_t *items = json_object_get(h, "items");
    assert_int_equal(json_array_size(items), 3);
    /* Oldest first, each with its own figures and no contact list. */
    assert_string_equal(json_string_value(json_object_get(json_array_get(items, 0), "id")), PING1);
    assert_string_equal(json_string_value(json_object_get(json_array_get(items, 2), "id")), PING3);
    assert_true(json_real_value(json_object_get(json_array_get(items, 0), "rate")) == 0.5);
    assert_null(json_object_get(json_array_get(items, 0), "contacts"));
    assert_string_equal(json_string_value(json_object_get(json_array_get(items, 2), "state")),
                        "open");
    /* Over time, closed pings only: 3 contacts asked, 1 answered in 1 h. */
    const json_t *closed = json_object_get(h, "closed");
    assert_int_equal(json_integer_value(json_object_get(closed, "pings")), 2);
    assert_int_equal(json_integer_value(json_object_get(closed, "total")), 3);
    assert_int_equal(json_integer_value(json_object_get(closed, "answered")), 1);
    assert_int_equal(json_integer_value(json_object_get(closed, "median_ms")), 3600000);
    const json_t *ru = json_object_get(json_object_get(h, "by_party"), "RU");
    assert_int_equal(json_integer_value(json_object_get(ru, "pings")), 2);
    assert_int_equal(json_integer_value(json_object_get(ru, "total")), 3);
    const json_t *tech = json_object_get(json_object_get(h, "by_kind"), "technical");
    const json_t *dipl = json_object_get(json_object_get(h, "by_kind"), "diplomatic");
    assert_int_equal(json_integer_value(json_object_get(tech, "total")), 2);
    assert_int_equal(json_integer_value(json_object_get(tech, "answered")), 1);
    assert_int_equal(json_integer_value(json_object_get(tech, "pings")), 2);
    assert_int_equal(json_integer_value(json_object_get(dipl, "total")), 1);
    assert_int_equal(json_integer_value(json_object_get(dipl, "pings")), 1);
    assert_int_equal(json_array_size(json_object_get(h, "unanswered")), 2);
    json_decref(h);

    /* The technical contact answers in December after all: only the diplomatic one is
     * flagged, by its November ping. */
    json_array_append_new(acks,
                          ack_env(PING2, RU_T1, "RU", "link", "2026-12-01T09:05:00.000Z", NULL));
    assert_int_equal(isx_ping_history(pings, acks, now, &h), 0);
    const json_t *u = json_object_get(h, "unanswered");
    assert_int_equal(json_array_size(u), 1);
    assert_string_equal(json_string_value(json_object_get(json_array_get(u, 0), "poc")), RU_D1);
    assert_string_equal(json_string_value(json_object_get(json_array_get(u, 0), "ping")), PING1);
    assert_string_equal(json_string_value(json_object_get(json_array_get(u, 0), "kind")),
                        "diplomatic");
    json_decref(h);
    json_decref(pings);
    json_decref(acks);
}

static void
slot_is(const struct isx_config *cfg, const char *now, const char *want)
{
    char got[ISX_TIME_LEN + 1];
    int64_t slot = 0;

    assert_int_equal(isx_ping_schedule_slot(cfg, at(now), &slot), 0);
    isx_time_format(slot, got);
    assert_string_equal(got, want);
}

static void
test_schedule(void **state)
{
    struct isx_config cfg;
    int64_t slot;

    (void)state;
    isx_config_defaults(&cfg);
    assert_int_equal(isx_ping_schedule_slot(&cfg, at("2026-11-21T10:00:00.000Z"), &slot),
                     ISX_ENOTFOUND);
    cfg.ping_hour = 9;

    cfg.ping_schedule = ISX_PING_DAILY;
    slot_is(&cfg, "2026-11-21T10:00:00.000Z", "2026-11-21T09:00:00.000Z");
    slot_is(&cfg, "2026-11-21T09:00:00.000Z", "2026-11-21T09:00:00.000Z");
    slot_is(&cfg, "2026-11-21T08:59:59.999Z", "2026-11-20T09:00:00.000Z");
    slot_is(&cfg, "2027-01-01T00:00:00.000Z", "2026-12-31T09:00:00.000Z");

    /* 2026-11-21 is a Saturday; the Monday before it is the 16th. */
    cfg.ping_schedule = ISX_PING_WEEKLY;
    cfg.ping_weekday = 1;
    slot_is(&cfg, "2026-11-21T10:00:00.000Z", "2026-11-16T09:00:00.000Z");
    slot_is(&cfg, "2026-11-23T09:30:00.000Z", "2026-11-23T09:00:00.000Z");
    slot_is(&cfg, "2026-11-23T08:30:00.000Z", "2026-11-16T09:00:00.000Z");
    cfg.ping_weekday = 6;
    slot_is(&cfg, "2026-11-21T10:00:00.000Z", "2026-11-21T09:00:00.000Z");
    cfg.ping_weekday = 7;
    slot_is(&cfg, "2026-11-21T10:00:00.000Z", "2026-11-15T09:00:00.000Z");

    cfg.ping_schedule = ISX_PING_MONTHLY;
    cfg.ping_monthday = 1;
    slot_is(&cfg, "2026-11-21T10:00:00.000Z", "2026-11-01T09:00:00.000Z");
    slot_is(&cfg, "2026-11-01T09:00:00.000Z", "2026-11-01T09:00:00.000Z");
    /* Before the slot of January: December of the year before. */
    slot_is(&cfg, "2027-01-01T08:00:00.000Z", "2026-12-01T09:00:00.000Z");
    cfg.ping_monthday = 28;
    cfg.ping_hour = 23;
    slot_is(&cfg, "2027-03-01T00:00:00.000Z", "2027-02-28T23:00:00.000Z");
    slot_is(&cfg, "2027-02-27T00:00:00.000Z", "2027-01-28T23:00:00.000Z");
}

static void
test_config(void **state)
{
    struct isx_config a, b;
    struct isx_buf out = ISX_BUF_INIT;
    struct isx_diag d = {0};
    const char *text = "[pings]\nschedule = weekly\nweekday = fri\nmonthday = 15\nhour = 0\n"
                       "deadline_hours = 720\nparties = RU, KZ ,TJ\n";

    (void)state;
    isx_config_defaults(&a);
    assert_int_equal(a.ping_schedule, ISX_PING_OFF);
    assert_int_equal(a.ping_deadline_hours, 48);
    assert_string_equal(a.ping_parties, "all");
    assert_int_equal(isx_config_parse(text, strlen(text), &a, &d), 0);
    assert_int_equal(a.ping_schedule, ISX_PING_WEEKLY);
    assert_int_equal(a.ping_weekday, 5);
    assert_int_equal(a.ping_monthday, 15);
    assert_int_equal(a.ping_hour, 0);
    assert_int_equal(a.ping_deadline_hours, 720);
    assert_string_equal(a.ping_parties, "RU,KZ,TJ");
    /* The written file reads back to the same settings. */
    assert_int_equal(isx_config_format(&a, &out), 0);
    assert_non_null(strstr(out.data, "[pings]\n"));
    assert_non_null(strstr(out.data, "\nschedule = weekly\n"));
    isx_config_defaults(&b);
    assert_int_equal(isx_config_parse(out.data, out.len, &b, &d), 0);
    assert_memory_equal(&a, &b, sizeof(a));
    isx_buf_free(&out);

    static const char *const bad[] = {
        "schedule = hourly",  "schedule = Monthly",   "weekday = monday", "weekday = 1",
        "monthday = 29",      "monthday = 0",         "hour = 24",        "hour = -1",
        "deadline_hours = 0", "deadline_hours = 721", "parties = XX",     "parties = RU,,KZ",
        "parties = RU KZ",    "parties = ",           "colour = blue",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char line[128], field[64];
        snprintf(line, sizeof(line), "[pings]\n%s\n", bad[i]);
        isx_config_defaults(&b);
        memset(&d, 0, sizeof(d));
        assert_int_equal(isx_config_parse(line, strlen(line), &b, &d), ISX_ECONFIG);
        snprintf(field, sizeof(field), "pings.%.*s", (int)strcspn(bad[i], " "), bad[i]);
        assert_string_equal(d.field, field);
        assert_string_equal(d.arg, "2");
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bodies),
        cmocka_unit_test(test_ids),
        cmocka_unit_test(test_state),
        cmocka_unit_test(test_judge),
        cmocka_unit_test(test_results),
        cmocka_unit_test(test_median),
        cmocka_unit_test(test_history_and_flags),
        cmocka_unit_test(test_schedule),
        cmocka_unit_test(test_config),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
