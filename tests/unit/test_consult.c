/*
 * Consultations (Art. 5.2): the bodies, the half-yearly rhythm, the fold of consultation and
 * consent objects into states, the schedule and the alternation of venues, and every
 * refusal of the admission rules that the door and the API share.
 *
 * Envelopes are built by hand (with a placeholder signature: the fold reads objects, it does
 * not verify them), so each test controls the versions, and so the order of events.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "isx/agreement.h"
#include "isx/config.h"
#include "isx/consult.h"

#define NO ISX_AGREEMENT_NO_DATE

static int64_t
D(const char *s)
{
    int64_t day = 0;

    assert_int_equal(isx_agreement_parse_date(s, &day), 0);
    return day;
}

static void
assert_day(int64_t got, const char *want)
{
    char s[ISX_AGREEMENT_DATE_LEN + 1];

    isx_agreement_format_date(got, s);
    assert_string_equal(s, want);
}

/* A uuid-shaped id suffix from a small number, so tests can order ids. */
static void
make_id(const char *type, int n, char *out, size_t cap)
{
    snprintf(out, cap, "%s--00000000-0000-4000-8000-%012d", type, n);
}

/* An envelope of `type` at second `sec` of 2027-01-01 (so versions order the events). */
static json_t *
env(const char *type, int idn, const char *origin, int sec, json_t *marking, json_t *body)
{
    char id[80], version[48];

    make_id(type, idn, id, sizeof(id));
    snprintf(version, sizeof(version), "2027-01-01T00:%02d:%02d.000Z", sec / 60, sec % 60);
    assert_non_null(marking);
    assert_non_null(body);
    json_t *e =
        json_pack("{s:i, s:s, s:s, s:s, s:s, s:o, s:o, s:[{s:s, s:s, s:s}]}", "isx", 1, "type",
                  type, "id", id, "version", version, "origin", origin, "marking", marking, "body",
                  body, "sig", "suite", "ed25519", "key", "00000000", "value", "AAAA");
    assert_non_null(e);
    return e;
}

static json_t *
green_to(const char *a, const char *b)
{
    json_t *m = json_pack("{s:s, s:[]}", "tlp", "green", "to");
    if (a != NULL)
        json_array_append_new(json_object_get(m, "to"), json_string(a));
    if (b != NULL)
        json_array_append_new(json_object_get(m, "to"), json_string(b));
    return m;
}

/* An extraordinary consultation proposed by `origin`, round `round`, first day `from`. */
static json_t *
extraordinary(int idn, const char *origin, int sec, int round, const char *from, json_t *marking)
{
    return env("consultation", idn, origin, sec, marking,
               json_pack("{s:s, s:i, s:{s:s, s:s}, s:{s:s}, s:[{s:{s:s}}]}", "kind",
                         "extraordinary", "round", round, "dates", "from", from, "until", from,
                         "venue", "party", origin, "agenda", "text", "en", "Incident review"));
}

static json_t *
regular(int idn, const char *origin, int sec, const char *slot, const char *venue)
{
    return env("consultation", idn, origin, sec, json_pack("{s:s}", "tlp", "green"),
               json_pack("{s:s, s:i, s:s, s:{s:s}}", "kind", "regular", "round", 1, "slot", slot,
                         "venue", "party", venue));
}

static json_t *
consent(int idn, const char *party, int sec, int cidn, int round, const char *decision)
{
    char cid[80];

    make_id("consultation", cidn, cid, sizeof(cid));
    json_t *b =
        json_pack("{s:s, s:i, s:s}", "consultation", cid, "round", round, "decision", decision);
    if (strcmp(decision, "object") == 0)
        json_object_set_new(b, "reason", json_pack("{s:s}", "ru", "Сроки неудобны"));
    return env("consent", idn, party, sec, json_pack("{s:s}", "tlp", "green"), b);
}

static struct isx_consult_ctx
ctx_of(const struct isx_agreement_calendar *c, const char *first, size_t upcoming)
{
    struct isx_consult_ctx x = {c, first != NULL ? D(first) : NO, D("2027-01-01"), upcoming};
    return x;
}

/* Folds and returns the state; the arrays are consumed. */
static json_t *
fold(json_t *consultations, json_t *consents, const struct isx_consult_ctx *x)
{
    json_t *state = NULL;
    struct isx_diag d = {0};

    assert_int_equal(isx_consult_fold(consultations, consents, x, &state, &d), 0);
    json_decref(consultations);
    json_decref(consents);
    return state;
}

static const json_t *
item(const json_t *state, int idn)
{
    char id[80];

    make_id("consultation", idn, id, sizeof(id));
    const json_t *it = isx_consult_find(state, id);
    assert_non_null(it);
    return it;
}

static const char *
state_of(const json_t *state, int idn)
{
    return json_string_value(json_object_get(item(state, idn), "state"));
}

/* The codes of an array joined with commas. */
static const char *
codes(const json_t *arr)
{
    static char buf[128];
    size_t i;
    json_t *v;

    buf[0] = '\0';
    json_array_foreach(arr, i, v)
    {
        if (i > 0)
            strcat(buf, ",");
        strcat(buf, json_string_value(v));
    }
    return buf;
}

/* The key of the `i`-th consent in a consultation's history ("counted" when it counts). */
static const char *
consent_key(const json_t *state, int idn, size_t i)
{
    const json_t *o = json_array_get(json_object_get(item(state, idn), "consents"), i);
    assert_non_null(o);
    if (json_is_true(json_object_get(o, "counted")))
        return "counted";
    return json_string_value(json_object_get(o, "key"));
}

/* A calendar on 2027-01-01 in which CN, RU, KG and TJ are bound and KZ and UZ are not. */
static struct isx_agreement_calendar *
calendar(void)
{
    struct isx_agreement_calendar *c = NULL;
    struct isx_diag d = {0};
    json_t *b = json_pack("[{s:s, s:s, s:s}, {s:s, s:s, s:s}, {s:s, s:s, s:s}, {s:s, s:s, s:s}]",
                          "kind", "ratification", "party", "CN", "date", "2010-03-01", "kind",
                          "ratification", "party", "RU", "date", "2010-06-10", "kind",
                          "ratification", "party", "KG", "date", "2010-09-15", "kind",
                          "ratification", "party", "TJ", "date", "2011-01-31");

    assert_int_equal(isx_agreement_compute_json(b, D("2027-01-01"), 0, &c, &d), 0);
    json_decref(b);
    return c;
}

/* ---- bodies ---- */

static void
check_fails(json_t *body, int consent_body, int code, const char *field, const char *key)
{
    struct isx_diag d = {0};
    int rc = consent_body ? isx_consult_consent_check(body, "body", &d)
                          : isx_consult_check(body, "body", &d);

    assert_int_equal(rc, code);
    assert_string_equal(d.field, field);
    if (key != NULL)
        assert_string_equal(d.key, key);
    json_decref(body);
}

static void
test_bodies(void **state)
{
    struct isx_diag d = {0};
    json_t *e = extraordinary(1, "CN", 0, 1, "2027-03-10", green_to("RU", NULL));

    (void)state;
    assert_int_equal(isx_consult_check(json_object_get(e, "body"), "body", &d), 0);
    json_decref(e);
    /* Art. 5.2: an extraordinary consultation comes with its dates, venue and agenda. */
    check_fails(json_pack("{s:s, s:i, s:{s:s}, s:[{s:{s:s}}]}", "kind", "extraordinary", "round", 1,
                          "venue", "party", "CN", "agenda", "text", "en", "x"),
                0, ISX_EMISSING, "body.dates", "consult.dates_required");
    check_fails(json_pack("{s:s, s:i, s:{s:s}, s:{s:s}}", "kind", "extraordinary", "round", 1,
                          "dates", "from", "2027-03-10", "venue", "party", "CN"),
                0, ISX_EMISSING, "body.agenda", "consult.agenda_required");
    check_fails(json_pack("{s:s, s:i, s:{s:s}}", "kind", "extraordinary", "round", 1, "venue",
                          "party", "CN"),
                0, ISX_EMISSING, "body.dates", NULL);
    check_fails(json_pack("{s:s, s:i, s:{s:s}, s:[{s:{s:s}}]}", "kind", "extraordinary", "round", 1,
                          "dates", "from", "2027-03-10", "agenda", "text", "en", "x"),
                0, ISX_EMISSING, "body.venue", NULL);
    check_fails(json_pack("{s:s, s:i, s:s, s:{s:s}, s:{s:s}, s:[{s:{s:s}}]}", "kind",
                          "extraordinary", "round", 1, "slot", "2027-03-15", "dates", "from",
                          "2027-03-10", "venue", "party", "CN", "agenda", "text", "en", "x"),
                0, ISX_EFIELD, "body.slot", "consult.slot_unexpected");
    check_fails(
        json_pack("{s:s, s:i, s:{s:s}}", "kind", "regular", "round", 1, "venue", "party", "CN"), 0,
        ISX_EMISSING, "body.slot", "consult.slot_required");
    check_fails(json_pack("{s:s, s:i, s:{s:s, s:s}, s:{s:s}, s:[{s:{s:s}}]}", "kind",
                          "extraordinary", "round", 1, "dates", "from", "2027-03-10", "until",
                          "2027-03-09", "venue", "party", "CN", "agenda", "text", "en", "x"),
                0, ISX_EFIELD, "body.dates.until", "consult.dates_order");
    check_fails(json_pack("{s:s, s:i, s:{s:s}, s:{s:s}, s:[{s:{s:s}, s:[s]}]}", "kind",
                          "extraordinary", "round", 1, "dates", "from", "2027-03-10", "venue",
                          "party", "CN", "agenda", "text", "en", "x", "refs",
                          "poc--00000000-0000-4000-8000-000000000001"),
                0, ISX_EFIELD, "body.agenda[0].refs[0]", "consult.ref");
    check_fails(json_pack("{s:s, s:i, s:{s:s}, s:{s:s}, s:[{s:{s:s}}]}", "kind", "informal",
                          "round", 1, "dates", "from", "2027-03-10", "venue", "party", "CN",
                          "agenda", "text", "en", "x"),
                0, ISX_EFIELD, "body.kind", "consult.kind");
    check_fails(json_pack("{s:s, s:i, s:{s:s}, s:{s:s}, s:[{s:{s:s}}]}", "kind", "extraordinary",
                          "round", 0, "dates", "from", "2027-03-10", "venue", "party", "CN",
                          "agenda", "text", "en", "x"),
                0, ISX_ERANGE, "body.round", NULL);
    check_fails(json_pack("{s:s, s:i, s:{s:s}, s:{s:s}, s:[{s:{s:s}}]}", "kind", "extraordinary",
                          "round", 1, "dates", "from", "2027-02-30", "venue", "party", "CN",
                          "agenda", "text", "en", "x"),
                0, ISX_EFIELD, "body.dates.from", "agreement.date");

    /* Consents: an objection says why. */
    check_fails(json_pack("{s:s, s:i, s:s}", "consultation",
                          "consultation--00000000-0000-4000-8000-000000000001", "round", 1,
                          "decision", "object"),
                1, ISX_EMISSING, "body.reason", "consult.reason_required");
    check_fails(json_pack("{s:s, s:i, s:s}", "consultation",
                          "consultation--00000000-0000-4000-8000-000000000001", "round", 1,
                          "decision", "maybe"),
                1, ISX_EFIELD, "body.decision", "consult.decision");
    check_fails(json_pack("{s:s, s:i, s:s}", "consultation",
                          "report--00000000-0000-4000-8000-000000000001", "round", 1, "decision",
                          "consent"),
                1, ISX_EFIELD, "body.consultation", "consult.id");
    json_t *ok = json_pack("{s:s, s:i, s:s, s:{s:s}}", "consultation",
                           "consultation--00000000-0000-4000-8000-000000000001", "round", 1,
                           "decision", "object", "reason", "zh", "会期冲突");
    assert_int_equal(isx_consult_consent_check(ok, "body", &d), 0);
    json_decref(ok);
}

/* ---- the rhythm ---- */

static void
test_rhythm(void **state)
{
    int64_t k = -1;

    (void)state;
    /* Month ends clamp, and slots are counted from the first date, so they do not drift. */
    assert_day(isx_consult_add_months(D("2011-08-31"), 6), "2012-02-29");
    assert_day(isx_consult_add_months(D("2012-08-31"), 6), "2013-02-28");
    assert_day(isx_consult_add_months(D("2011-12-15"), 6), "2012-06-15");
    assert_day(isx_consult_add_months(D("2011-03-31"), -6), "2010-09-30");
    assert_day(isx_consult_slot(D("2011-08-31"), 1), "2012-02-29");
    assert_day(isx_consult_slot(D("2011-08-31"), 2), "2012-08-31");
    assert_day(isx_consult_slot(D("2011-08-31"), 3), "2013-02-28");
    assert_int_equal(isx_consult_slot_index(D("2011-08-31"), D("2012-08-31"), &k), 0);
    assert_int_equal(k, 2);
    assert_int_equal(isx_consult_slot_index(D("2011-08-31"), D("2013-02-28"), &k), 0);
    assert_int_equal(k, 3);
    assert_int_equal(isx_consult_slot_index(D("2011-08-31"), D("2012-08-30"), &k), ISX_ENOTFOUND);
    assert_int_equal(isx_consult_slot_index(D("2011-08-31"), D("2011-02-28"), &k), ISX_ENOTFOUND);
    assert_int_equal(isx_consult_slot_index(NO, D("2011-08-31"), &k), ISX_ENOTFOUND);

    /* The first one: configured, else half a year after entry into force, else none. */
    struct isx_agreement_calendar *c = calendar();
    assert_day(c->in_force, "2011-03-02");
    assert_day(isx_consult_first(NO, c), "2011-09-02");
    assert_day(isx_consult_first(D("2027-03-15"), c), "2027-03-15");
    assert_true(isx_consult_first(NO, NULL) == NO);
    isx_agreement_free(c);
}

/* ---- the fold ---- */

static void
test_decided_when_all_consent(void **state)
{
    struct isx_consult_ctx x = ctx_of(NULL, NULL, 0);
    json_t *s;

    (void)state;
    /* Without a calendar the parties are those the proposal names; the depositary, named to
     * be consulted, does not consent. */
    json_t *m = green_to("RU", "KZ");
    json_array_append_new(json_object_get(m, "to"), json_string("SCO"));
    json_t *cs = json_pack("[o]", extraordinary(1, "CN", 0, 1, "2027-03-10", m));

    s = fold(json_copy(cs), json_pack("[o]", consent(10, "RU", 5, 1, 1, "consent")), &x);
    assert_string_equal(state_of(s, 1), "proposed");
    assert_string_equal(codes(json_object_get(item(s, 1), "required")), "KZ,RU");
    assert_string_equal(codes(json_object_get(item(s, 1), "missing")), "KZ");
    assert_string_equal(json_string_value(json_object_get(item(s, 1), "parties_from")), "marking");
    json_decref(s);

    s = fold(json_copy(cs),
             json_pack("[o, o, o, o, o]", consent(10, "RU", 5, 1, 1, "consent"),
                       consent(11, "KZ", 6, 1, 1, "consent"), consent(12, "RU", 7, 1, 1, "consent"),
                       consent(13, "TJ", 8, 1, 1, "consent"),
                       consent(14, "CN", 9, 1, 1, "consent")),
             &x);
    assert_string_equal(state_of(s, 1), "decided");
    assert_string_equal(json_string_value(json_object_get(item(s, 1), "decided_at")),
                        "2027-01-01T00:00:06.000Z");
    assert_string_equal(consent_key(s, 1, 0), "counted");
    assert_string_equal(consent_key(s, 1, 1), "counted");
    assert_string_equal(consent_key(s, 1, 2), "consult.decided");
    assert_string_equal(consent_key(s, 1, 3), "consult.not_party");
    assert_string_equal(consent_key(s, 1, 4), "consult.own_proposal");
    assert_string_equal(codes(json_object_get(item(s, 1), "missing")), "");
    json_decref(s);
    json_decref(cs);
}

static void
test_order_does_not_matter(void **state)
{
    struct isx_consult_ctx x = ctx_of(NULL, NULL, 0);
    json_t *a, *b;

    (void)state;
    a = fold(json_pack("[o]", extraordinary(1, "CN", 0, 1, "2027-03-10", green_to("RU", "KZ"))),
             json_pack("[o, o, o]", consent(10, "RU", 5, 1, 1, "consent"),
                       consent(11, "RU", 6, 1, 1, "object"), consent(12, "KZ", 7, 1, 1, "consent")),
             &x);
    b = fold(json_pack("[o]", extraordinary(1, "CN", 0, 1, "2027-03-10", green_to("RU", "KZ"))),
             json_pack("[o, o, o]", consent(12, "KZ", 7, 1, 1, "consent"),
                       consent(11, "RU", 6, 1, 1, "object"), consent(10, "RU", 5, 1, 1, "consent")),
             &x);
    assert_true(json_equal(a, b));
    /* RU consented first, so its later objection is its second decision of the round. */
    assert_string_equal(state_of(a, 1), "decided");
    assert_string_equal(consent_key(a, 1, 1), "consult.twice");
    json_decref(a);
    json_decref(b);
}

static void
test_objection_and_revision(void **state)
{
    struct isx_consult_ctx x = ctx_of(NULL, NULL, 0);
    json_t *s;

    (void)state;
    s = fold(json_pack("[o]", extraordinary(1, "CN", 0, 1, "2027-03-10", green_to("RU", "KZ"))),
             json_pack("[o, o, o]", consent(10, "RU", 5, 1, 1, "object"),
                       consent(11, "KZ", 6, 1, 1, "consent"),
                       consent(12, "RU", 7, 1, 1, "consent")),
             &x);
    /* An objection holds the round: RU cannot take it back by consenting. */
    assert_string_equal(state_of(s, 1), "objected");
    assert_string_equal(consent_key(s, 1, 2), "consult.twice");
    const json_t *o = json_array_get(json_object_get(item(s, 1), "objected"), 0);
    assert_string_equal(json_string_value(json_object_get(o, "party")), "RU");
    assert_string_equal(json_string_value(json_object_get(json_object_get(o, "reason"), "ru")),
                        "Сроки неудобны");
    json_decref(s);

    /* The proposer revises: round 2. Round-1 decisions are history; round-2 ones count. */
    s = fold(json_pack("[o]", extraordinary(1, "CN", 20, 2, "2027-04-10", green_to("RU", "KZ"))),
             json_pack("[o, o, o, o]", consent(10, "RU", 5, 1, 1, "object"),
                       consent(11, "KZ", 6, 1, 1, "consent"),
                       consent(13, "RU", 25, 1, 2, "consent"),
                       consent(14, "KZ", 26, 1, 3, "consent")),
             &x);
    assert_string_equal(state_of(s, 1), "proposed");
    assert_string_equal(consent_key(s, 1, 0), "consult.superseded");
    assert_string_equal(consent_key(s, 1, 1), "consult.superseded");
    assert_string_equal(consent_key(s, 1, 2), "counted");
    assert_string_equal(consent_key(s, 1, 3), "consult.future_round");
    assert_string_equal(codes(json_object_get(item(s, 1), "missing")), "KZ");
    json_decref(s);
}

static void
test_calendar_decides_who_consents(void **state)
{
    struct isx_agreement_calendar *c = calendar();
    struct isx_consult_ctx x = ctx_of(c, NULL, 0);
    json_t *s;

    (void)state;
    /* With a calendar the states bound on the date consent, whatever the marking names:
     * KZ and UZ are signatories that are not bound. */
    s = fold(json_pack("[o]", extraordinary(1, "CN", 0, 1, "2027-03-10", green_to("RU", NULL))),
             json_pack("[o, o, o]", consent(10, "RU", 5, 1, 1, "consent"),
                       consent(11, "KZ", 6, 1, 1, "consent"),
                       consent(12, "KG", 7, 1, 1, "consent")),
             &x);
    assert_string_equal(codes(json_object_get(item(s, 1), "required")), "KG,RU,TJ");
    assert_string_equal(json_string_value(json_object_get(item(s, 1), "parties_from")), "calendar");
    assert_string_equal(consent_key(s, 1, 1), "consult.not_party");
    assert_string_equal(codes(json_object_get(item(s, 1), "missing")), "TJ");
    assert_string_equal(state_of(s, 1), "proposed");
    json_decref(s);

    /* Without a marking "to" and without a calendar: the six founding parties. */
    struct isx_consult_ctx y = ctx_of(NULL, NULL, 0);
    s = fold(json_pack("[o]", extraordinary(1, "RU", 0, 1, "2027-03-10",
                                            json_pack("{s:s}", "tlp", "green"))),
             json_array(), &y);
    assert_string_equal(codes(json_object_get(item(s, 1), "required")), "CN,KG,KZ,TJ,UZ");
    assert_string_equal(json_string_value(json_object_get(item(s, 1), "parties_from")), "founding");
    json_decref(s);
    isx_agreement_free(c);
}

static void
test_unknown_and_unreadable(void **state)
{
    struct isx_consult_ctx x = ctx_of(NULL, NULL, 0);
    json_t *relayed = extraordinary(2, "KZ", 0, 1, "2027-03-10", green_to("RU", NULL)), *s;

    (void)state;
    /* A relay's copy (no clear body) has no say; a consent to a consultation not held here
     * is set aside until it arrives. */
    json_object_del(relayed, "body");
    s = fold(json_pack("[o]", relayed), json_pack("[o]", consent(10, "RU", 5, 9, 1, "consent")),
             &x);
    assert_int_equal(json_array_size(json_object_get(s, "items")), 0);
    const json_t *ig = json_array_get(json_object_get(s, "ignored"), 0);
    assert_string_equal(json_string_value(json_object_get(ig, "key")), "consult.unknown");
    json_decref(s);
}

/* ---- the schedule and the alternation of venues ---- */

static void
test_schedule(void **state)
{
    struct isx_consult_ctx x = ctx_of(NULL, "2027-03-15", 4);
    json_t *s, *sch;

    (void)state;
    /* Slot 2027-09-15 invited by CN (pending), 2028-03-15 by KZ but objected (it does not hold
     * the slot), 2028-09-15 by RU and by TJ whose invitations crossed: RU's is decided. */
    s = fold(
        json_pack("[o, o, o, o]", regular(1, "CN", 0, "2027-09-15", "CN"),
                  regular(2, "KZ", 1, "2028-03-15", "KZ"), regular(3, "TJ", 2, "2028-09-15", "TJ"),
                  regular(4, "RU", 3, "2028-09-15", "RU")),
        json_pack("[o, o, o, o, o, o]", consent(10, "RU", 10, 2, 1, "object"),
                  consent(11, "CN", 11, 4, 1, "consent"), consent(12, "KG", 12, 4, 1, "consent"),
                  consent(13, "KZ", 13, 4, 1, "consent"), consent(14, "TJ", 14, 4, 1, "consent"),
                  consent(15, "UZ", 15, 4, 1, "consent")),
        &x);
    sch = json_object_get(s, "schedule");
    assert_int_equal(json_array_size(sch), 4);
    static const char *const slots[] = {"2027-03-15", "2027-09-15", "2028-03-15", "2028-09-15"};
    static const char *const venues[] = {"SCO", "CN", "SCO", "RU"};
    for (size_t i = 0; i < 4; i++) {
        const json_t *e = json_array_get(sch, i);
        assert_string_equal(json_string_value(json_object_get(e, "slot")), slots[i]);
        assert_string_equal(
            json_string_value(json_object_get(json_object_get(e, "venue"), "party")), venues[i]);
    }
    assert_string_equal(state_of(s, 4), "decided");
    assert_string_equal(codes(json_object_get(json_array_get(sch, 3), "conflicts")),
                        "consultation--00000000-0000-4000-8000-000000000003");
    assert_string_equal(json_string_value(json_object_get(s, "first")), "2027-03-15");
    json_decref(s);

    /* From a later day the schedule starts at the next slot. */
    struct isx_consult_ctx y = {NULL, D("2027-03-15"), D("2027-03-16"), 1};
    s = fold(json_array(), json_array(), &y);
    assert_string_equal(json_string_value(json_object_get(
                            json_array_get(json_object_get(s, "schedule"), 0), "slot")),
                        "2027-09-15");
    json_decref(s);
}

/* ---- admission: consents ---- */

static void
admit_consent_is(const json_t *s, json_t *c, unsigned flags, int code, const char *field,
                 const char *key)
{
    struct isx_diag d = {0};

    assert_int_equal(isx_consult_admit_consent(s, c, flags, &d), code);
    if (field != NULL)
        assert_string_equal(d.field, field);
    if (key != NULL)
        assert_string_equal(d.key, key);
    json_decref(c);
}

static void
test_admit_consent(void **state)
{
    struct isx_consult_ctx x = ctx_of(NULL, NULL, 0);
    json_t *s;

    (void)state;
    s = fold(json_pack("[o]", extraordinary(1, "CN", 0, 1, "2027-03-10", green_to("RU", "KZ"))),
             json_pack("[o]", consent(10, "RU", 5, 1, 1, "consent")), &x);
    admit_consent_is(s, consent(20, "KZ", 30, 1, 1, "consent"), ISX_CONSULT_STRICT, 0, NULL, NULL);
    admit_consent_is(s, consent(20, "KZ", 30, 1, 1, "object"), ISX_CONSULT_STRICT, 0, NULL, NULL);
    /* A consent from a non-party. */
    admit_consent_is(s, consent(20, "TJ", 30, 1, 1, "consent"), 0, ISX_EFORBIDDEN, "origin",
                     "consult.not_party");
    /* Consenting twice. */
    admit_consent_is(s, consent(20, "RU", 30, 1, 1, "consent"), 0, ISX_ECONFLICT, "origin",
                     "consult.twice");
    /* The proposer: its proposal is its consent. */
    admit_consent_is(s, consent(20, "CN", 30, 1, 1, "consent"), 0, ISX_ECONFLICT, "origin",
                     "consult.own_proposal");
    /* Unknown here: from a peer it may come first; from a user it is not found. */
    admit_consent_is(s, consent(20, "KZ", 30, 7, 1, "consent"), 0, 0, NULL, NULL);
    admit_consent_is(s, consent(20, "KZ", 30, 7, 1, "consent"), ISX_CONSULT_STRICT, ISX_ENOTFOUND,
                     "body.consultation", "consult.unknown");
    /* Another round: history or a revision not here yet from a peer; refused from a user. */
    admit_consent_is(s, consent(20, "KZ", 30, 1, 2, "consent"), 0, 0, NULL, NULL);
    admit_consent_is(s, consent(20, "KZ", 30, 1, 2, "consent"), ISX_CONSULT_STRICT, ISX_ECONFLICT,
                     "body.round", "consult.round_mismatch");
    json_decref(s);

    /* Consenting after it was decided. */
    s = fold(json_pack("[o]", extraordinary(1, "CN", 0, 1, "2027-03-10", green_to("RU", NULL))),
             json_pack("[o]", consent(10, "RU", 5, 1, 1, "consent")), &x);
    assert_string_equal(state_of(s, 1), "decided");
    admit_consent_is(s, consent(20, "RU", 30, 1, 1, "object"), 0, ISX_ECONFLICT,
                     "body.consultation", "consult.decided");
    json_decref(s);
}

/* ---- admission: proposals, revisions, minutes ---- */

static void
admit_is(const json_t *s, json_t *e, const struct isx_consult_ctx *x, unsigned flags, int code,
         const char *field, const char *key)
{
    struct isx_diag d = {0};

    assert_int_equal(isx_consult_admit_proposal(s, e, x, flags, &d), code);
    if (field != NULL)
        assert_string_equal(d.field, field);
    if (key != NULL)
        assert_string_equal(d.key, key);
    json_decref(e);
}

/* The hash the fold computed for the `i`-th consent of consultation 1. */
static const char *
hash_of(const json_t *s, size_t i)
{
    return json_string_value(
        json_object_get(json_array_get(json_object_get(item(s, 1), "consents"), i), "hash"));
}

static void
test_admit_proposal(void **state)
{
    struct isx_consult_ctx x = ctx_of(NULL, NULL, 0);
    json_t *s, *e;

    (void)state;
    s = fold(json_pack("[o]", extraordinary(1, "CN", 0, 1, "2027-03-10", green_to("RU", "KZ"))),
             json_pack("[o]", consent(10, "RU", 5, 1, 1, "consent")), &x);
    /* A new one starts at round 1, without minutes. */
    admit_is(s, extraordinary(2, "RU", 40, 1, "2027-05-10", green_to("CN", NULL)), &x,
             ISX_CONSULT_STRICT, 0, NULL, NULL);
    admit_is(s, extraordinary(2, "RU", 40, 2, "2027-05-10", green_to("CN", NULL)), &x, 0,
             ISX_EFIELD, "body.round", "consult.round");
    /* Only the proposer changes it. */
    admit_is(s, extraordinary(1, "RU", 40, 2, "2027-05-10", green_to("CN", NULL)), &x, 0,
             ISX_EFORBIDDEN, "origin", "consult.not_proposer");
    /* Same round, other terms: a revision is the next round. */
    admit_is(s, extraordinary(1, "CN", 40, 1, "2027-05-10", green_to("RU", "KZ")), &x, 0,
             ISX_ECONFLICT, "body.round", "consult.terms_changed");
    admit_is(s, extraordinary(1, "CN", 40, 3, "2027-05-10", green_to("RU", "KZ")), &x, 0,
             ISX_ECONFLICT, "body.round", "consult.round");
    admit_is(s, extraordinary(1, "CN", 40, 2, "2027-05-10", green_to("RU", "KZ")), &x,
             ISX_CONSULT_STRICT, 0, NULL, NULL);
    /* Minutes before the decision. */
    e = extraordinary(1, "CN", 40, 1, "2027-03-10", green_to("RU", "KZ"));
    json_object_set_new(json_object_get(e, "body"), "minutes",
                        json_pack("{s:{s:s}, s:[]}", "text", "en", "Held.", "consents"));
    admit_is(s, e, &x, ISX_CONSULT_STRICT, ISX_ECONFLICT, "body.minutes", "consult.not_decided");
    /* Past dates, the depositary proposing an extraordinary one, a regular one hosted by a
     * third party, nobody to consent. */
    admit_is(s, extraordinary(3, "RU", 40, 1, "2026-12-31", green_to("CN", NULL)), &x,
             ISX_CONSULT_STRICT, ISX_EFIELD, "body.dates.from", "consult.past");
    admit_is(s, extraordinary(3, "SCO", 40, 1, "2027-05-10", green_to("CN", NULL)), &x, 0,
             ISX_EFORBIDDEN, "origin", "consult.proposer_not_party");
    admit_is(s, regular(3, "RU", 40, "2027-03-15", "CN"), &x, 0, ISX_EFIELD, "body.venue.party",
             "consult.venue_host");
    admit_is(s, extraordinary(3, "RU", 40, 1, "2027-05-10", green_to("SCO", NULL)), &x,
             ISX_CONSULT_STRICT, ISX_EFIELD, "marking.to", "consult.nobody");
    /* No rhythm yet for a regular one. */
    admit_is(s, regular(3, "RU", 40, "2027-03-15", "RU"), &x, ISX_CONSULT_STRICT, ISX_ECONFLICT,
             "body.slot", "consult.no_rhythm");
    json_decref(s);

    /* Minutes once decided, naming exactly the consents that decided it. */
    s = fold(json_pack("[o]", extraordinary(1, "CN", 0, 1, "2027-03-10", green_to("RU", "KZ"))),
             json_pack("[o, o]", consent(10, "RU", 5, 1, 1, "consent"),
                       consent(11, "KZ", 6, 1, 1, "consent")),
             &x);
    assert_string_equal(state_of(s, 1), "decided");
    assert_non_null(hash_of(s, 0));
    assert_int_equal(strlen(hash_of(s, 0)), 64);
    e = extraordinary(1, "CN", 40, 1, "2027-03-10", green_to("RU", "KZ"));
    json_object_set_new(
        json_object_get(e, "body"), "minutes",
        json_pack("{s:{s:s}, s:[s]}", "text", "en", "Held.", "consents", hash_of(s, 0)));
    admit_is(s, e, &x, ISX_CONSULT_STRICT, ISX_EFIELD, "body.minutes.consents",
             "consult.minutes_consents");
    e = extraordinary(1, "CN", 40, 1, "2027-03-10", green_to("RU", "KZ"));
    json_object_set_new(json_object_get(e, "body"), "minutes",
                        json_pack("{s:{s:s}, s:[s, s]}", "text", "en", "Held.", "consents",
                                  hash_of(s, 1), hash_of(s, 0)));
    json_t *minuted = json_deep_copy(e);
    admit_is(s, e, &x, ISX_CONSULT_STRICT, 0, NULL, NULL);
    /* No revision after the decision. */
    admit_is(s, extraordinary(1, "CN", 40, 2, "2027-05-10", green_to("RU", "KZ")), &x, 0,
             ISX_ECONFLICT, "body.round", "consult.decided");
    json_decref(s);

    /* Once recorded, the minutes stay; the state is "held". */
    s = fold(json_pack("[o]", minuted),
             json_pack("[o, o]", consent(10, "RU", 5, 1, 1, "consent"),
                       consent(11, "KZ", 6, 1, 1, "consent")),
             &x);
    assert_string_equal(state_of(s, 1), "held");
    e = extraordinary(1, "CN", 50, 1, "2027-03-10", green_to("RU", "KZ"));
    json_object_set_new(json_object_get(e, "body"), "minutes",
                        json_pack("{s:{s:s}, s:[]}", "text", "en", "Other.", "consents"));
    admit_is(s, e, &x, 0, ISX_ECONFLICT, "body.minutes", "consult.minutes_exist");
    json_decref(s);
}

static void
test_admit_slots_and_alternation(void **state)
{
    struct isx_consult_ctx x = ctx_of(NULL, "2027-03-15", 4);
    json_t *s;

    (void)state;
    s = fold(json_pack("[o, o]", regular(1, "CN", 0, "2027-09-15", "CN"),
                       regular(2, "KZ", 1, "2028-09-15", "SCO")),
             json_array(), &x);
    /* Not a date of the rhythm: the next one is named. */
    admit_is(s, regular(3, "RU", 40, "2027-09-16", "RU"), &x, ISX_CONSULT_STRICT, ISX_EFIELD,
             "body.slot", "consult.not_a_slot");
    /* Taken. */
    admit_is(s, regular(3, "RU", 40, "2027-09-15", "RU"), &x, ISX_CONSULT_STRICT, ISX_ECONFLICT,
             "body.slot", "consult.slot_taken");
    /* Next to a slot a party hosts: the venue alternates with the Secretariat. */
    admit_is(s, regular(3, "RU", 40, "2028-03-15", "RU"), &x, ISX_CONSULT_STRICT, ISX_ECONFLICT,
             "body.slot", "consult.alternate");
    admit_is(s, regular(3, "RU", 40, "2027-03-15", "RU"), &x, ISX_CONSULT_STRICT, ISX_ECONFLICT,
             "body.slot", "consult.alternate");
    /* At the Secretariat it may sit next to anything; a party may host after a slot the
     * Secretariat hosts (KZ set the agenda of 2028-09-15 at the Secretariat). */
    admit_is(s, regular(3, "RU", 40, "2028-03-15", "SCO"), &x, ISX_CONSULT_STRICT, 0, NULL, NULL);
    admit_is(s, regular(3, "RU", 40, "2029-03-15", "RU"), &x, ISX_CONSULT_STRICT, 0, NULL, NULL);
    /* The depositary may set a regular consultation at the Secretariat. */
    admit_is(s, regular(3, "SCO", 40, "2029-03-15", "SCO"), &x, ISX_CONSULT_STRICT, 0, NULL, NULL);
    json_decref(s);

    /* An objected invitation frees its slot for another party. */
    s = fold(json_pack("[o]", regular(1, "CN", 0, "2027-09-15", "CN")),
             json_pack("[o]", consent(10, "RU", 5, 1, 1, "object")), &x);
    admit_is(s, regular(3, "RU", 40, "2027-09-15", "RU"), &x, ISX_CONSULT_STRICT, 0, NULL, NULL);
    json_decref(s);
}

static void
test_admit_with_calendar(void **state)
{
    struct isx_agreement_calendar *c = calendar();
    struct isx_consult_ctx x = ctx_of(c, NULL, 0);
    json_t *s;

    (void)state;
    s = fold(json_array(), json_array(), &x);
    /* KZ is a signatory not bound: it cannot propose. */
    admit_is(s, extraordinary(3, "KZ", 40, 1, "2027-05-10", green_to("CN", NULL)), &x,
             ISX_CONSULT_STRICT, ISX_EFORBIDDEN, "origin", "consult.proposer_not_party");
    /* A marking that leaves out a party whose consent is needed. */
    admit_is(s, extraordinary(3, "CN", 40, 1, "2027-05-10", green_to("RU", "KG")), &x,
             ISX_CONSULT_STRICT, ISX_EFIELD, "marking.to", "consult.to_missing");
    json_t *m = green_to("RU", "KG");
    json_array_append_new(json_object_get(m, "to"), json_string("TJ"));
    admit_is(s, extraordinary(3, "CN", 40, 1, "2027-05-10", m), &x, ISX_CONSULT_STRICT, 0, NULL,
             NULL);
    /* No "to" at TLP:GREEN reaches every party. */
    admit_is(s, extraordinary(3, "CN", 40, 1, "2027-05-10", json_pack("{s:s}", "tlp", "green")), &x,
             ISX_CONSULT_STRICT, 0, NULL, NULL);
    /* The rhythm from entry into force: 2011-09-02, every six months; 2027-03-02 is one. */
    x.first = isx_consult_first(NO, c);
    admit_is(s, regular(3, "RU", 40, "2027-03-02", "RU"), &x, ISX_CONSULT_STRICT, 0, NULL, NULL);
    json_decref(s);
    isx_agreement_free(c);
}

/* ---- the configuration ---- */

static void
test_config_first(void **state)
{
    static const char good[] = "[consultations]\nfirst = 2027-03-15\n";
    static const char bad[] = "[consultations]\nfirst = 2027-02-30\n";
    static const char empty[] = "[consultations]\nfirst =\n";
    struct isx_config cfg, back;
    struct isx_buf text = ISX_BUF_INIT;
    struct isx_diag d = {0};

    (void)state;
    isx_config_defaults(&cfg);
    assert_string_equal(cfg.consult_first, "");
    assert_int_equal(isx_config_parse(good, sizeof(good) - 1, &cfg, &d), 0);
    assert_string_equal(cfg.consult_first, "2027-03-15");
    /* isx init writes the setting back, and it reads the same. */
    assert_int_equal(isx_config_format(&cfg, &text), 0);
    isx_config_defaults(&back);
    assert_int_equal(isx_config_parse(text.data, text.len, &back, &d), 0);
    assert_string_equal(back.consult_first, "2027-03-15");
    assert_int_equal(isx_config_parse(empty, sizeof(empty) - 1, &back, &d), 0);
    assert_string_equal(back.consult_first, "");
    /* A day that does not exist is refused, naming the key. */
    assert_int_equal(isx_config_parse(bad, sizeof(bad) - 1, &cfg, &d), ISX_ECONFIG);
    assert_string_equal(d.field, "consultations.first");
    isx_buf_free(&text);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bodies),
        cmocka_unit_test(test_rhythm),
        cmocka_unit_test(test_decided_when_all_consent),
        cmocka_unit_test(test_order_does_not_matter),
        cmocka_unit_test(test_objection_and_revision),
        cmocka_unit_test(test_calendar_decides_who_consents),
        cmocka_unit_test(test_unknown_and_unreadable),
        cmocka_unit_test(test_schedule),
        cmocka_unit_test(test_admit_consent),
        cmocka_unit_test(test_admit_proposal),
        cmocka_unit_test(test_admit_slots_and_alternation),
        cmocka_unit_test(test_admit_with_calendar),
        cmocka_unit_test(test_config_first),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
