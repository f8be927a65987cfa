/*
 * The agreement's calendar: worked examples of every rule in docs/agreement.md (entry into
 * force, later parties, accession, withdrawal, the deadlines of Art. 5.1, 11 and 12.4), the
 * edge cases the issue names, and the bodies and notifications that are refused.
 *
 * The dates are illustrative, not the real history of the agreement: they are chosen so that
 * each rule lands on a month end, a year end or 29 February.
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

#define MAXN 64

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

    if (want == NULL) {
        assert_true(got == ISX_AGREEMENT_NO_DATE);
        return;
    }
    assert_false(got == ISX_AGREEMENT_NO_DATE);
    isx_agreement_format_date(got, s);
    assert_string_equal(s, want);
}

/*
 * One notification per line: "kind party date [state|-] [effective]". Each goes through the
 * JSON body and isx_agreement_parse, so every example also exercises the schema.
 */
static void
notice(const char *line, struct isx_agreement_notice *out)
{
    char kind[32], party[8], date[16], state[8] = "-", effective[16] = "-";
    struct isx_diag d = {0};
    json_t *b;

    assert_true(sscanf(line, "%31s %7s %15s %7s %15s", kind, party, date, state, effective) >= 3);
    b = json_pack("{s:s, s:s, s:s}", "kind", kind, "party", party, "date", date);
    assert_non_null(b);
    if (strcmp(state, "-") != 0)
        json_object_set_new(b, "state", json_string(state));
    if (strcmp(effective, "-") != 0)
        json_object_set_new(b, "effective", json_string(effective));
    if (isx_agreement_parse(b, "", out, &d) != 0)
        fail_msg("%s: %s at %s (%s)", line, d.key, d.field, d.arg);
    json_decref(b);
}

static size_t
build(struct isx_agreement_notice *v, size_t n, const char *const *lines)
{
    for (; lines != NULL && *lines != NULL; lines++) {
        assert_true(n < MAXN);
        notice(*lines, &v[n++]);
    }
    return n;
}

static struct isx_agreement_calendar *
calc(const char *const *base, const char *const *more, const char *at)
{
    struct isx_agreement_notice v[MAXN];
    struct isx_agreement_calendar *c = NULL;
    struct isx_diag d = {0};
    size_t n = build(v, build(v, 0, base), more);

    if (isx_agreement_compute(v, n, D(at), 0, &c, &d) != 0)
        fail_msg("refused: %s at %s (%s)", d.key, d.field, d.arg);
    assert_non_null(c);
    return c;
}

static void
calc_fails(const char *const *base, const char *const *more, const char *at, int code,
           const char *field, const char *key, const char *arg)
{
    struct isx_agreement_notice v[MAXN];
    struct isx_agreement_calendar *c = NULL;
    struct isx_diag d = {0};
    size_t n = build(v, build(v, 0, base), more);

    assert_int_equal(isx_agreement_compute(v, n, D(at), 0, &c, &d), code);
    assert_null(c);
    assert_string_equal(d.field, field);
    assert_string_equal(d.key, key);
    if (arg != NULL)
        assert_string_equal(d.arg, arg);
}

static const char *
status(const struct isx_agreement_calendar *c, const char *code)
{
    const struct isx_agreement_party *p = isx_agreement_find(c, code);

    /* A state no accepted notification names is not listed at all. */
    return p != NULL ? isx_agreement_statuses[p->status] : "(not listed)";
}

static const char *
status_at(const char *const *base, const char *const *more, const char *code, const char *at)
{
    struct isx_agreement_calendar *c = calc(base, more, at);
    const char *s = status(c, code);

    isx_agreement_free(c);
    return s;
}

static const struct isx_agreement_duty *
duty(const struct isx_agreement_calendar *c, enum isx_agreement_duty_kind kind, const char *by,
     const char *about, const char *from)
{
    for (size_t i = 0; i < c->nduties; i++) {
        const struct isx_agreement_duty *u = &c->duties[i];
        if (u->kind == kind && strcmp(u->by, by) == 0 && strcmp(u->about, about) == 0 &&
            (from == NULL || u->from == D(from)))
            return u;
    }
    fail_msg("no %s duty of %s about '%s'", isx_agreement_duties[kind], by, about);
    return NULL;
}

/* The six founding parties complete their procedures; RU's is the 4th, on 31 January. */
static const char *const founders[] = {
    "ratification KZ 2010-03-01",
    "ratification CN 2010-06-10",
    "ratification KG 2010-09-15",
    "ratification RU 2011-01-31",
    "ratification TJ 2011-02-10",
    "ratification UZ 2011-05-31",
    NULL,
};

/* India accedes: every party bound in 2012 consents, the last on 31 May. */
static const char *const india[] = {
    "accession_request IN 2012-01-10",    "accession_consent KZ 2012-02-01 IN",
    "accession_consent CN 2012-02-15 IN", "accession_consent KG 2012-03-01 IN",
    "accession_consent RU 2012-03-31 IN", "accession_consent TJ 2012-04-30 IN",
    "accession_consent UZ 2012-05-31 IN", NULL,
};

/* ---- dates ------------------------------------------------------------------------------- */

static void
test_dates(void **state)
{
    static const char *const bad[] = {
        "2011-02-29", "2100-02-29",  "2011-04-31", "2011-13-01", "2011-00-10",     "0000-01-01",
        "2011-2-28",  "2011-02-28x", "2011/02/28", "",           "２０１１-02-28",
    };
    char s[ISX_AGREEMENT_DATE_LEN + 1];
    int64_t day;

    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(isx_agreement_parse_date(bad[i], &day), ISX_EINVAL);
    assert_int_equal(isx_agreement_parse_date(NULL, &day), ISX_EINVAL);
    assert_int_equal(D("1970-01-01"), 0);
    assert_int_equal(D("2000-02-29") + 1, D("2000-03-01"));
    assert_int_equal(D("2012-02-29") + 1, D("2012-03-01"));
    assert_int_equal(D("2011-02-28") + 1, D("2011-03-01"));
    assert_int_equal(D("2011-12-31") + 1, D("2012-01-01"));
    assert_int_equal(D("2099-12-31") + 60, D("2100-03-01")); /* 2100 is not a leap year */
    isx_agreement_format_date(D(ISX_AGREEMENT_SIGNED), s);
    assert_string_equal(s, "2009-06-16");
    /* Every day of four years, leap day included, survives the round trip. */
    for (day = D("2011-01-01"); day < D("2015-01-01"); day++) {
        int64_t back;
        isx_agreement_format_date(day, s);
        assert_int_equal(isx_agreement_parse_date(s, &back), 0);
        assert_int_equal(back, day);
    }
}

/* ---- Art. 12.1: entry into force --------------------------------------------------------- */

static void
test_entry_into_force_month_ends(void **state)
{
    /* The 4th notification on the last day of a month, of a year, and on 29 February: the
     * agreement enters into force on the 30th day after the receipt (receipt + 30 days). */
    static const char *const cases[][2] = {
        {"2011-01-31", "2011-03-02"}, /* across a 28-day February */
        {"2012-01-31", "2012-03-01"}, /* across a 29-day February */
        {"2012-02-29", "2012-03-30"}, /* from the leap day itself */
        {"2011-12-31", "2012-01-30"}, /* across the year end */
        {"2011-04-30", "2011-05-30"}, /* a 30-day month */
    };
    char line[64];

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *const first[] = {"ratification KZ 2010-03-01", "ratification CN 2010-06-10",
                                     "ratification KG 2010-09-15", line, NULL};
        snprintf(line, sizeof(line), "ratification RU %s", cases[i][0]);
        struct isx_agreement_calendar *c = calc(first, NULL, "2013-01-01");
        assert_day(c->fourth, cases[i][0]);
        assert_day(c->in_force, cases[i][1]);
        for (size_t k = 0; k < c->nparties; k++) {
            const struct isx_agreement_party *p = &c->parties[k];
            if (p->ratified == ISX_AGREEMENT_NO_DATE)
                continue;
            assert_int_equal(p->nperiods, 1);
            assert_day(p->periods[0].from, cases[i][1]);
        }
        isx_agreement_free(c);
        /* The day before, the four are signatories awaiting it; on the day they are bound. */
        int64_t eif = D(cases[i][1]);
        char before[ISX_AGREEMENT_DATE_LEN + 1];
        isx_agreement_format_date(eif - 1, before);
        assert_string_equal(status_at(first, NULL, "RU", before), "signatory");
        assert_string_equal(status_at(first, NULL, "RU", cases[i][1]), "bound");
    }
}

static void
test_three_notifications_are_not_enough(void **state)
{
    const char *const three[] = {"ratification KZ 2010-03-01", "ratification CN 2010-06-10",
                                 "ratification KG 2010-09-15", NULL};
    struct isx_agreement_calendar *c = calc(three, NULL, "2030-01-01");

    (void)state;
    assert_day(c->in_force, NULL);
    assert_day(c->fourth, NULL);
    assert_string_equal(status(c, "KZ"), "signatory");
    assert_day(isx_agreement_find(c, "KZ")->ratified, "2010-03-01");
    assert_int_equal(isx_agreement_find(c, "KZ")->nperiods, 0);
    assert_int_equal(isx_agreement_bound(c, "KZ", "CN", D("2029-01-01")), 0);
    isx_agreement_free(c);
}

static void
test_later_parties(void **state)
{
    struct isx_agreement_calendar *c = calc(founders, NULL, "2011-12-31");
    const struct isx_agreement_party *tj, *uz;

    (void)state;
    assert_day(c->in_force, "2011-03-02");
    /* TJ's notification arrived after the 4th but before entry into force: bound with the
     * others on entry into force, not 30 days after its own notification (2011-03-12). */
    tj = isx_agreement_find(c, "TJ");
    assert_day(tj->periods[0].from, "2011-03-02");
    /* UZ's arrived once the agreement was in force: the 30th day after it (Art. 12.1). */
    uz = isx_agreement_find(c, "UZ");
    assert_day(uz->ratified, "2011-05-31");
    assert_day(uz->periods[0].from, "2011-06-30");
    assert_day(uz->periods[0].until, NULL);
    assert_int_equal(isx_agreement_bound(c, "CN", "UZ", D("2011-06-29")), 0);
    assert_int_equal(isx_agreement_bound(c, "CN", "UZ", D("2011-06-30")), 1);
    assert_int_equal(isx_agreement_bound(c, "CN", "TJ", D("2011-03-01")), 0);
    assert_int_equal(isx_agreement_bound(c, "CN", "TJ", D("2011-03-02")), 1);
    isx_agreement_free(c);
    assert_string_equal(status_at(founders, NULL, "UZ", "2011-06-29"), "signatory");
    assert_string_equal(status_at(founders, NULL, "UZ", "2011-06-30"), "bound");
    /* Before the signature nobody is anything; from it the six are signatories. */
    assert_string_equal(status_at(NULL, NULL, "CN", "2009-06-15"), "not_party");
    assert_string_equal(status_at(NULL, NULL, "CN", "2009-06-16"), "signatory");
}

static void
test_ratification_before_signature(void **state)
{
    const char *const early[] = {"ratification KZ 2009-06-15", NULL};
    const char *const late_signature[] = {"signature KG 2009-06-20", "ratification KG 2009-06-19",
                                          NULL};
    const char *const own_signature[] = {"signature KG 2009-06-20", "ratification KG 2009-06-25",
                                         NULL};
    struct isx_agreement_calendar *c;

    (void)state;
    /* Procedures that approve a text cannot be complete before the text is signed: refused
     * with the signature date, not moved to it. */
    calc_fails(early, NULL, "2010-01-01", ISX_EFIELD, "notifications[0].date",
               "agreement.before_signature", "2009-06-16");
    /* A signature recorded after the party's completed procedures contradicts them; the
     * later-dated of the two is the one refused, since the earlier was valid when it came. */
    calc_fails(late_signature, NULL, "2010-01-01", ISX_EFIELD, "notifications[0].date",
               "agreement.signed_after_ratification", "KG");
    /* With both in order, the signature notification replaces the default date. */
    c = calc(own_signature, NULL, "2010-01-01");
    assert_day(isx_agreement_find(c, "KG")->signed_on, "2009-06-20");
    assert_day(isx_agreement_find(c, "CN")->signed_on, "2009-06-16");
    isx_agreement_free(c);
}

static void
test_signature_and_ratification_refusals(void **state)
{
    const char *const not_founding[] = {"signature IN 2009-06-16", NULL};
    const char *const too_early[] = {"signature CN 2009-06-15", NULL};
    const char *const twice[] = {"signature CN 2009-06-16", "signature CN 2009-06-17", NULL};
    const char *const not_signatory[] = {"ratification FR 2011-01-01", NULL};
    const char *const again[] = {"ratification CN 2010-06-10", "ratification CN 2010-07-10", NULL};

    (void)state;
    calc_fails(not_founding, NULL, "2010-01-01", ISX_EFIELD, "notifications[0].party",
               "agreement.not_founding", "IN");
    calc_fails(too_early, NULL, "2010-01-01", ISX_EFIELD, "notifications[0].date",
               "agreement.signature_date", "2009-06-16");
    calc_fails(twice, NULL, "2010-01-01", ISX_EEXISTS, "notifications[1].party",
               "agreement.duplicate", "CN");
    calc_fails(not_signatory, NULL, "2012-01-01", ISX_EFIELD, "notifications[0].party",
               "agreement.not_signatory", "FR");
    calc_fails(again, NULL, "2012-01-01", ISX_EEXISTS, "notifications[1].party",
               "agreement.duplicate", "CN");
}

/* ---- Art. 12.3: accession ---------------------------------------------------------------- */

static void
test_accession(void **state)
{
    struct isx_agreement_calendar *c = calc(founders, india, "2012-06-29");
    const struct isx_agreement_party *in = isx_agreement_find(c, "IN");

    (void)state;
    /* The last consent came on 31 May; the 30th day after is 30 June. */
    assert_false(in->founding);
    assert_string_equal(status(c, "IN"), "acceding");
    assert_day(in->requested, "2012-01-10");
    assert_day(in->consented, "2012-05-31");
    assert_int_equal(in->nmissing, 0);
    assert_day(in->periods[0].from, "2012-06-30");
    assert_int_equal(isx_agreement_bound(c, "IN", "RU", D("2012-06-29")), 0);
    assert_int_equal(isx_agreement_bound(c, "IN", "RU", D("2012-06-30")), 1);
    isx_agreement_free(c);
    assert_string_equal(status_at(founders, india, "IN", "2012-01-09"), "(not listed)");
    assert_string_equal(status_at(founders, india, "IN", "2012-01-10"), "acceding");
    assert_string_equal(status_at(founders, india, "IN", "2012-06-30"), "bound");
}

static void
test_accession_lacking_one_consent(void **state)
{
    const char *const five[] = {
        "accession_request IN 2012-01-10",
        "accession_consent KZ 2012-02-01 IN",
        "accession_consent CN 2012-02-15 IN",
        "accession_consent KG 2012-03-01 IN",
        "accession_consent RU 2012-03-31 IN",
        "accession_consent TJ 2012-04-30 IN",
        NULL,
    };
    struct isx_agreement_calendar *c = calc(founders, five, "2030-01-01");
    const struct isx_agreement_party *in = isx_agreement_find(c, "IN");

    (void)state;
    /* Without UZ's consent the agreement never enters into force for India. */
    assert_string_equal(status(c, "IN"), "acceding");
    assert_day(in->consented, NULL);
    assert_int_equal(in->nperiods, 0);
    assert_int_equal(in->nmissing, 1);
    assert_string_equal(in->missing[0], "UZ");
    assert_int_equal(isx_agreement_bound(c, "IN", "CN", D("2029-12-31")), 0);
    isx_agreement_free(c);
}

static void
test_accession_completed_by_a_withdrawal(void **state)
{
    /* UZ never consents but withdraws: once its withdrawal takes effect (2012-06-30) the
     * depositary holds the consent of every contracting state, so India is bound 30 days on. */
    const char *const more[] = {
        "accession_request IN 2012-01-10",    "accession_consent KZ 2012-02-01 IN",
        "accession_consent CN 2012-02-15 IN", "accession_consent KG 2012-03-01 IN",
        "accession_consent RU 2012-03-31 IN", "accession_consent TJ 2012-04-30 IN",
        "withdrawal UZ 2012-04-01",           NULL,
    };
    struct isx_agreement_calendar *c = calc(founders, more, "2012-05-01");
    const struct isx_agreement_party *in = isx_agreement_find(c, "IN");

    (void)state;
    /* On 1 May UZ is still bound and its consent is lacking; what follows is the schedule. */
    assert_string_equal(status(c, "IN"), "acceding");
    assert_int_equal(in->nmissing, 1);
    assert_string_equal(in->missing[0], "UZ");
    assert_day(isx_agreement_find(c, "UZ")->withdrawn, "2012-06-30");
    assert_day(in->consented, "2012-06-30");
    assert_day(in->periods[0].from, "2012-07-30");
    isx_agreement_free(c);
    assert_string_equal(status_at(founders, more, "IN", "2012-07-29"), "acceding");
    assert_string_equal(status_at(founders, more, "IN", "2012-07-30"), "bound");
    assert_string_equal(status_at(founders, more, "UZ", "2012-07-30"), "withdrawn");
}

static void
test_accession_needs_a_party_bound_meanwhile(void **state)
{
    /* UZ completes its procedures late and is bound from 31 March 2012, while India's
     * accession is pending: from then on UZ's consent is needed too. */
    const char *const five[] = {
        "ratification KZ 2010-03-01", "ratification CN 2010-06-10", "ratification KG 2010-09-15",
        "ratification RU 2011-01-31", "ratification TJ 2011-02-10", NULL,
    };
    const char *const more[] = {
        "accession_request IN 2012-01-10",
        "accession_consent KZ 2012-02-01 IN",
        "accession_consent CN 2012-02-15 IN",
        "accession_consent KG 2012-03-01 IN",
        "ratification UZ 2012-03-01",
        "accession_consent RU 2012-03-10 IN",
        "accession_consent TJ 2012-04-10 IN",
        "accession_consent UZ 2012-04-20 IN",
        NULL,
    };
    struct isx_agreement_calendar *c = calc(five, more, "2012-12-31");
    const struct isx_agreement_party *in = isx_agreement_find(c, "IN");

    (void)state;
    assert_day(isx_agreement_find(c, "UZ")->periods[0].from, "2012-03-31");
    assert_day(in->consented, "2012-04-20");
    assert_day(in->periods[0].from, "2012-05-20");
    isx_agreement_free(c);
}

static void
test_accession_refusals(void **state)
{
    const char *const three[] = {"ratification KZ 2010-03-01", "ratification CN 2010-06-10",
                                 "ratification KG 2010-09-15", NULL};
    const char *const r1[] = {"accession_request IN 2011-02-01", NULL};
    const char *const r2[] = {"accession_request IN 2011-03-01", NULL};
    const char *const r3[] = {"accession_request KZ 2011-04-01", NULL};
    const char *const r4[] = {"accession_request IN 2012-01-10", "accession_request IN 2012-02-10",
                              NULL};
    const char *const r5[] = {"accession_request IN 2012-01-10",
                              "accession_consent PK 2012-02-01 IN", NULL};
    const char *const r6[] = {"accession_consent KZ 2012-02-01 IN", NULL};
    const char *const r7[] = {"accession_request IN 2012-01-10",
                              "accession_consent KZ 2012-02-01 IN",
                              "accession_consent KZ 2012-02-02 IN", NULL};
    const char *const r8[] = {"accession_request IN 2012-01-10",
                              "accession_consent UZ 2011-08-01 IN", NULL};
    struct isx_agreement_notice v[MAXN];
    size_t n;

    (void)state;
    /* Art. 12.3 opens the agreement to accession once it is in force. */
    calc_fails(three, r1, "2012-01-01", ISX_EFIELD, "notifications[3].date",
               "agreement.not_in_force", NULL);
    calc_fails(founders, r2, "2012-01-01", ISX_EFIELD, "notifications[6].date",
               "agreement.not_open", "2011-03-02");
    /* A signatory becomes bound by its own procedures, not by accession. */
    const char *const signatory[] = {"accession_request UZ 2011-04-01", NULL};
    calc_fails(founders, signatory, "2011-05-01", ISX_EFIELD, "notifications[6].party",
               "agreement.signatory_ratifies", "UZ");
    calc_fails(founders, r3, "2012-01-01", ISX_EFIELD, "notifications[6].party",
               "agreement.already_party", "KZ");
    calc_fails(founders, r4, "2012-12-01", ISX_EEXISTS, "notifications[7].party",
               "agreement.duplicate", "IN");
    /* Only a contracting state consents: Pakistan is not bound. */
    calc_fails(founders, r5, "2012-12-01", ISX_EFIELD, "notifications[7].party",
               "agreement.consent_not_party", "PK");
    calc_fails(founders, r6, "2012-12-01", ISX_EFIELD, "notifications[6].state",
               "agreement.no_request", "IN");
    calc_fails(founders, r7, "2012-12-01", ISX_EEXISTS, "notifications[8].party",
               "agreement.duplicate", "KZ");
    /* A consent dated before the request is applied before it, so there is nothing to
     * consent to yet. */
    calc_fails(founders, r8, "2012-12-01", ISX_EFIELD, "notifications[7].state",
               "agreement.no_request", "IN");
    /* Once every consent is held, further consents have nothing left to consent to. */
    n = build(v, build(v, 0, founders), india);
    notice("accession_consent KZ 2012-06-01 IN", &v[n++]);
    struct isx_agreement_calendar *c = NULL;
    struct isx_diag d = {0};
    assert_int_equal(isx_agreement_compute(v, n, D("2012-12-01"), 0, &c, &d), ISX_EFIELD);
    assert_string_equal(d.field, "notifications[13].state");
    assert_string_equal(d.key, "agreement.no_request");
}

/* ---- Art. 12.4: withdrawal --------------------------------------------------------------- */

static void
test_withdrawal_short_notice(void **state)
{
    /* The notice names 1 January 2014, only 32 days ahead: it takes effect on the 90th day
     * after receipt instead, 28 February 2014. */
    const char *const more[] = {"withdrawal KG 2013-11-30 - 2014-01-01", NULL};
    struct isx_agreement_calendar *c = calc(founders, more, "2013-12-01");
    const struct isx_agreement_party *kg = isx_agreement_find(c, "KG");

    (void)state;
    assert_string_equal(status(c, "KG"), "bound");
    assert_day(kg->notice, "2013-11-30");
    assert_day(kg->asked, "2014-01-01");
    assert_day(kg->withdrawn, "2014-02-28");
    assert_day(kg->periods[0].until, "2014-02-28");
    assert_int_equal(isx_agreement_bound(c, "KG", "RU", D("2014-02-27")), 1);
    assert_int_equal(isx_agreement_bound(c, "KG", "RU", D("2014-02-28")), 0);
    isx_agreement_free(c);
    assert_string_equal(status_at(founders, more, "KG", "2014-01-01"), "bound");
    assert_string_equal(status_at(founders, more, "KG", "2014-02-27"), "bound");
    assert_string_equal(status_at(founders, more, "KG", "2014-02-28"), "withdrawn");
}

static void
test_withdrawal_dates(void **state)
{
    const char *const later[] = {"withdrawal KG 2013-11-30 - 2014-06-01", NULL};
    const char *const leap[] = {"withdrawal TJ 2015-12-01", NULL};
    const char *const before[] = {"withdrawal TJ 2015-12-01 - 2015-11-01", NULL};
    struct isx_agreement_calendar *c;

    (void)state;
    /* A date more than 90 days ahead is kept. */
    c = calc(founders, later, "2014-01-01");
    assert_day(isx_agreement_find(c, "KG")->withdrawn, "2014-06-01");
    isx_agreement_free(c);
    /* No date named: the 90th day, here across a leap February. */
    c = calc(founders, leap, "2016-01-01");
    assert_day(isx_agreement_find(c, "TJ")->asked, NULL);
    assert_day(isx_agreement_find(c, "TJ")->withdrawn, "2016-02-29");
    isx_agreement_free(c);
    /* A date before the notice itself is moved the same way. */
    c = calc(founders, before, "2016-01-01");
    assert_day(isx_agreement_find(c, "TJ")->withdrawn, "2016-02-29");
    isx_agreement_free(c);
}

static void
test_withdrawal_refusals(void **state)
{
    const char *const twice[] = {"withdrawal KG 2013-11-30", "withdrawal KG 2013-12-30", NULL};
    const char *const after[] = {"withdrawal KG 2013-11-30", "withdrawal KG 2014-03-30", NULL};
    const char *const signatory[] = {"withdrawal UZ 2011-04-01", NULL};
    const char *const stranger[] = {"withdrawal FR 2012-04-01", NULL};

    (void)state;
    calc_fails(founders, twice, "2014-01-01", ISX_EEXISTS, "notifications[7].party",
               "agreement.duplicate", "KG");
    calc_fails(founders, after, "2014-06-01", ISX_EFIELD, "notifications[7].party",
               "agreement.not_bound", "KG");
    /* UZ has completed its procedures but is bound only from 30 June 2011. */
    calc_fails(founders, signatory, "2011-05-01", ISX_EFIELD, "notifications[6].party",
               "agreement.not_bound", "UZ");
    calc_fails(founders, stranger, "2012-05-01", ISX_EFIELD, "notifications[6].party",
               "agreement.not_bound", "FR");
}

static void
test_withdraw_and_accede_again(void **state)
{
    /* KG withdraws (effective 28 February 2014), asks to accede again in January 2015, and the
     * five other parties consent; it is bound again from 31 March 2015. */
    const char *const more[] = {
        "withdrawal KG 2013-11-30",           "accession_request KG 2015-01-15",
        "accession_consent KZ 2015-01-20 KG", "accession_consent CN 2015-02-01 KG",
        "accession_consent RU 2015-02-10 KG", "accession_consent TJ 2015-02-20 KG",
        "accession_consent UZ 2015-03-01 KG", NULL,
    };
    const char *const early[] = {"withdrawal KG 2013-11-30", "accession_request KG 2014-01-10",
                                 NULL};
    static const char *const when[][2] = {
        {"2013-12-31", "bound"},     {"2014-02-27", "bound"},    {"2014-02-28", "withdrawn"},
        {"2015-01-14", "withdrawn"}, {"2015-01-15", "acceding"}, {"2015-03-30", "acceding"},
        {"2015-03-31", "bound"},     {"2020-01-01", "bound"},
    };
    struct isx_agreement_calendar *c;
    const struct isx_agreement_party *kg;

    (void)state;
    for (size_t i = 0; i < sizeof(when) / sizeof(when[0]); i++)
        assert_string_equal(status_at(founders, more, "KG", when[i][0]), when[i][1]);
    c = calc(founders, more, "2020-01-01");
    kg = isx_agreement_find(c, "KG");
    assert_true(kg->founding);
    assert_int_equal(kg->nperiods, 2);
    assert_day(kg->periods[0].from, "2011-03-02");
    assert_day(kg->periods[0].until, "2014-02-28");
    assert_day(kg->periods[1].from, "2015-03-31");
    assert_day(kg->periods[1].until, NULL);
    assert_int_equal(isx_agreement_bound(c, "KG", "RU", D("2013-01-01")), 1);
    assert_int_equal(isx_agreement_bound(c, "KG", "RU", D("2014-06-01")), 0);
    assert_int_equal(isx_agreement_bound(c, "KG", "RU", D("2015-03-31")), 1);
    isx_agreement_free(c);
    /* While its notice runs it is still a party, so it cannot accede. */
    calc_fails(founders, early, "2014-06-01", ISX_EFIELD, "notifications[7].party",
               "agreement.already_party", "KG");
}

/* ---- deadlines --------------------------------------------------------------------------- */

static void
test_duty_certified_copies(void **state)
{
    const char *const all[] = {"certified_copy SCO 2009-06-25", NULL};
    const char *const one[] = {"certified_copy SCO 2009-06-25 CN", NULL};
    const char *const late[] = {"certified_copy SCO 2009-07-10", NULL};
    struct isx_agreement_calendar *c;
    const struct isx_agreement_duty *u;
    json_t *j;

    (void)state;
    /* Art. 11: within 15 days of the signature on 16 June 2009, so by 1 July. */
    c = calc(NULL, NULL, "2009-07-01");
    assert_int_equal(c->nduties, 6);
    u = duty(c, ISX_AGREEMENT_DUTY_CERTIFIED_COPY, "SCO", "RU", NULL);
    assert_day(u->from, "2009-06-16");
    assert_day(u->due, "2009-07-01");
    assert_int_equal(u->state, ISX_AGREEMENT_DUE);
    isx_agreement_free(c);
    c = calc(NULL, NULL, "2009-07-02");
    assert_int_equal(duty(c, ISX_AGREEMENT_DUTY_CERTIFIED_COPY, "SCO", "RU", NULL)->state,
                     ISX_AGREEMENT_OVERDUE);
    isx_agreement_free(c);
    /* A copy that names no state went to every signatory. */
    c = calc(all, NULL, "2009-07-02");
    for (size_t i = 0; i < c->nduties; i++) {
        assert_int_equal(c->duties[i].state, ISX_AGREEMENT_DONE);
        assert_day(c->duties[i].done, "2009-06-25");
    }
    isx_agreement_free(c);
    /* A state named only as the recipient of a copy is listed, as no party, and is owed none. */
    const char *const outsider[] = {"certified_copy SCO 2012-01-01 IN", NULL};
    c = calc(founders, outsider, "2012-01-02");
    assert_string_equal(status(c, "IN"), "not_party");
    for (size_t i = 0; i < c->nduties; i++)
        assert_false(strcmp(c->duties[i].about, "IN") == 0);
    isx_agreement_free(c);
    c = calc(one, NULL, "2009-07-02");
    assert_int_equal(duty(c, ISX_AGREEMENT_DUTY_CERTIFIED_COPY, "SCO", "CN", NULL)->state,
                     ISX_AGREEMENT_DONE);
    assert_int_equal(duty(c, ISX_AGREEMENT_DUTY_CERTIFIED_COPY, "SCO", "KZ", NULL)->state,
                     ISX_AGREEMENT_OVERDUE);
    isx_agreement_free(c);
    /* Done late is done, and the rendering says it was late. */
    c = calc(late, NULL, "2009-07-31");
    u = duty(c, ISX_AGREEMENT_DUTY_CERTIFIED_COPY, "SCO", "UZ", NULL);
    assert_int_equal(u->state, ISX_AGREEMENT_DONE);
    assert_int_equal(isx_agreement_render(c, &j), 0);
    assert_true(
        json_is_true(json_object_get(json_array_get(json_object_get(j, "duties"), 0), "late")));
    json_decref(j);
    isx_agreement_free(c);
}

static void
test_duty_withdrawal_circular(void **state)
{
    const char *const notice_only[] = {"withdrawal KG 2013-11-30", NULL};
    const char *const circulated[] = {"withdrawal KG 2013-11-30",
                                      "withdrawal_circular SCO 2013-12-20 KG", NULL};
    const char *const stray[] = {"withdrawal_circular SCO 2013-12-20 KZ", NULL};
    struct isx_agreement_calendar *c;
    const struct isx_agreement_duty *u;

    (void)state;
    /* Art. 12.4: the depositary informs the others within 30 days of receiving the notice. */
    c = calc(founders, notice_only, "2013-12-30");
    u = duty(c, ISX_AGREEMENT_DUTY_WITHDRAWAL_CIRCULAR, "SCO", "KG", NULL);
    assert_day(u->from, "2013-11-30");
    assert_day(u->due, "2013-12-30");
    assert_int_equal(u->state, ISX_AGREEMENT_DUE);
    isx_agreement_free(c);
    c = calc(founders, notice_only, "2013-12-31");
    assert_int_equal(duty(c, ISX_AGREEMENT_DUTY_WITHDRAWAL_CIRCULAR, "SCO", "KG", NULL)->state,
                     ISX_AGREEMENT_OVERDUE);
    isx_agreement_free(c);
    c = calc(founders, circulated, "2013-12-31");
    u = duty(c, ISX_AGREEMENT_DUTY_WITHDRAWAL_CIRCULAR, "SCO", "KG", NULL);
    assert_int_equal(u->state, ISX_AGREEMENT_DONE);
    assert_day(u->done, "2013-12-20");
    isx_agreement_free(c);
    /* Nor may the depositary circulate a withdrawal it never received. */
    calc_fails(founders, stray, "2014-01-01", ISX_EFIELD, "notifications[6].state",
               "agreement.no_withdrawal", "KZ");
}

static void
test_duty_authority_details(void **state)
{
    const char *const more[] = {
        "authority_details CN 2011-04-01",
        "authority_details RU 2011-01-15",
        "authority_details KG 2012-01-01",
        "withdrawal KG 2013-11-30",
        "accession_request KG 2015-01-15",
        "accession_consent KZ 2015-01-20 KG",
        "accession_consent CN 2015-02-01 KG",
        "accession_consent RU 2015-02-10 KG",
        "accession_consent TJ 2015-02-20 KG",
        "accession_consent UZ 2015-03-01 KG",
        NULL,
    };
    const char *const stranger[] = {"authority_details PK 2012-01-01", NULL};
    const char *const gone[] = {"withdrawal KG 2013-11-30", "authority_details KG 2014-05-01",
                                NULL};
    struct isx_agreement_calendar *c;
    const struct isx_agreement_duty *u;

    (void)state;
    /* Art. 5.1: within 60 days of entry into force (2 March 2011), so by 1 May 2011. */
    c = calc(founders, more, "2011-05-02");
    u = duty(c, ISX_AGREEMENT_DUTY_AUTHORITY_DETAILS, "CN", "", NULL);
    assert_day(u->due, "2011-05-01");
    assert_int_equal(u->state, ISX_AGREEMENT_DONE);
    /* Details sent before entry into force count. */
    assert_int_equal(duty(c, ISX_AGREEMENT_DUTY_AUTHORITY_DETAILS, "RU", "", NULL)->state,
                     ISX_AGREEMENT_DONE);
    assert_int_equal(duty(c, ISX_AGREEMENT_DUTY_AUTHORITY_DETAILS, "KZ", "", NULL)->state,
                     ISX_AGREEMENT_OVERDUE);
    /* UZ is bound only from 30 June 2011: no duty yet on 2 May. */
    for (size_t i = 0; i < c->nduties; i++)
        assert_false(strcmp(c->duties[i].by, "UZ") == 0);
    isx_agreement_free(c);
    /* For a party bound later, 60 days from the day it is bound: UZ by 29 August 2011. */
    c = calc(founders, more, "2011-08-29");
    u = duty(c, ISX_AGREEMENT_DUTY_AUTHORITY_DETAILS, "UZ", "", NULL);
    assert_day(u->from, "2011-06-30");
    assert_day(u->due, "2011-08-29");
    assert_int_equal(u->state, ISX_AGREEMENT_DUE);
    isx_agreement_free(c);
    /* KG met it late the first time; bound again from 31 March 2015 it owes them again by 30
     * May 2015, and what it sent in its first membership does not count. */
    c = calc(founders, more, "2015-06-01");
    u = duty(c, ISX_AGREEMENT_DUTY_AUTHORITY_DETAILS, "KG", "", "2011-03-02");
    assert_int_equal(u->state, ISX_AGREEMENT_DONE);
    assert_day(u->done, "2012-01-01");
    u = duty(c, ISX_AGREEMENT_DUTY_AUTHORITY_DETAILS, "KG", "", "2015-03-31");
    assert_day(u->due, "2015-05-30");
    assert_int_equal(u->state, ISX_AGREEMENT_OVERDUE);
    isx_agreement_free(c);
    /* A state with no part in the agreement, or one that has left it, has none to send. */
    calc_fails(founders, stranger, "2012-06-01", ISX_EFIELD, "notifications[6].party",
               "agreement.not_party", "PK");
    calc_fails(founders, gone, "2014-06-01", ISX_EFIELD, "notifications[7].party",
               "agreement.not_party", "KG");
}

/* ---- bodies ------------------------------------------------------------------------------ */

static void
body_fails(const char *text, int code, const char *field, const char *key)
{
    struct isx_diag d = {0};
    json_t *b = json_loads(text, 0, NULL);

    assert_non_null(b);
    assert_int_equal(isx_agreement_check(b, "body", &d), code);
    assert_string_equal(d.field, field);
    assert_string_equal(d.key, key);
    json_decref(b);
}

static void
test_bodies(void **state)
{
    struct isx_diag d = {0};
    json_t *b;

    (void)state;
    b = json_loads("{\"kind\":\"withdrawal\",\"party\":\"KG\",\"date\":\"2013-11-30\","
                   "\"effective\":\"2014-01-01\",\"text\":{\"ru\":\"Нота МИД\",\"zh\":\"照会\"}}",
                   0, NULL);
    assert_int_equal(isx_agreement_check(b, "body", &d), 0);
    json_decref(b);
    body_fails("{\"kind\":\"ratify\",\"party\":\"KZ\",\"date\":\"2010-03-01\"}", ISX_EFIELD,
               "body.kind", "agreement.kind");
    body_fails("{\"kind\":\"ratification\",\"party\":\"KZ\",\"date\":\"2011-02-29\"}", ISX_EFIELD,
               "body.date", "agreement.date");
    body_fails("{\"kind\":\"ratification\",\"party\":\"KZ\",\"date\":\"2011-02-28T00:00:00Z\"}",
               ISX_EFIELD, "body.date", "agreement.date");
    body_fails("{\"kind\":\"ratification\",\"party\":\"XX\",\"date\":\"2010-03-01\"}", ISX_EFIELD,
               "body.party", "party.code");
    body_fails("{\"kind\":\"ratification\",\"party\":\"kz\",\"date\":\"2010-03-01\"}", ISX_EFIELD,
               "body.party", "party.code");
    body_fails("{\"kind\":\"accession_consent\",\"party\":\"KZ\",\"date\":\"2012-02-01\"}",
               ISX_EMISSING, "body.state", "agreement.state_required");
    body_fails("{\"kind\":\"withdrawal_circular\",\"party\":\"SCO\",\"date\":\"2012-02-01\"}",
               ISX_EMISSING, "body.state", "agreement.state_required");
    body_fails("{\"kind\":\"accession_consent\",\"party\":\"KZ\",\"date\":\"2012-02-01\","
               "\"state\":\"XX\"}",
               ISX_EFIELD, "body.state", "agreement.state");
    body_fails("{\"kind\":\"accession_consent\",\"party\":\"KZ\",\"date\":\"2012-02-01\","
               "\"state\":\"SCO\"}",
               ISX_EFIELD, "body.state", "agreement.state");
    body_fails("{\"kind\":\"accession_consent\",\"party\":\"KZ\",\"date\":\"2012-02-01\","
               "\"state\":\"KZ\"}",
               ISX_EFIELD, "body.state", "agreement.state_self");
    body_fails("{\"kind\":\"ratification\",\"party\":\"KZ\",\"date\":\"2012-02-01\","
               "\"state\":\"CN\"}",
               ISX_EFIELD, "body.state", "agreement.state_unexpected");
    body_fails("{\"kind\":\"ratification\",\"party\":\"KZ\",\"date\":\"2012-02-01\","
               "\"effective\":\"2012-06-01\"}",
               ISX_EFIELD, "body.effective", "agreement.effective_unexpected");
    body_fails("{\"kind\":\"withdrawal\",\"party\":\"KZ\",\"date\":\"2012-02-01\","
               "\"effective\":\"2012-06-31\"}",
               ISX_EFIELD, "body.effective", "agreement.date");
    body_fails("{\"kind\":\"ratification\",\"party\":\"SCO\",\"date\":\"2012-02-01\"}", ISX_EFIELD,
               "body.party", "agreement.by_state");
    body_fails("{\"kind\":\"certified_copy\",\"party\":\"CN\",\"date\":\"2009-06-20\"}", ISX_EFIELD,
               "body.party", "agreement.by_depositary");
    body_fails("{\"party\":\"KZ\",\"date\":\"2010-03-01\"}", ISX_EMISSING, "body.kind",
               "schema.missing");
    body_fails("{\"kind\":\"ratification\",\"party\":\"KZ\"}", ISX_EMISSING, "body.date",
               "schema.missing");
    body_fails("{\"kind\":\"ratification\",\"party\":\"KZ\",\"date\":\"2010-03-01\","
               "\"acceding\":\"IN\"}",
               ISX_EUNKNOWN_FIELD, "body.acceding", "schema.unknown");
    body_fails("{\"kind\":\"ratification\",\"party\":\"KZ\",\"date\":20100301}", ISX_ETYPE,
               "body.date", "schema.type");
    body_fails("{\"kind\":\"ratification\",\"party\":\"KZ\",\"date\":\"2010-03-01\","
               "\"text\":{\"fr\":\"note\"}}",
               ISX_EFIELD, "body.text.fr", "schema.language");
}

static void
test_notices_built_in_c_are_checked(void **state)
{
    struct isx_agreement_notice v[1];
    struct isx_agreement_calendar *c = NULL;
    struct isx_diag d = {0};

    (void)state;
    memset(v, 0, sizeof(v));
    v[0].kind = ISX_AGREEMENT_KIND_COUNT;
    snprintf(v[0].party, sizeof(v[0].party), "KZ");
    v[0].date = D("2010-03-01");
    v[0].effective = ISX_AGREEMENT_NO_DATE;
    assert_int_equal(isx_agreement_compute(v, 1, D("2011-01-01"), 0, &c, &d), ISX_EFIELD);
    assert_string_equal(d.field, "notifications[0].kind");
    assert_null(c);
    assert_int_equal(isx_agreement_compute(v, 1, ISX_AGREEMENT_NO_DATE, 0, &c, NULL), ISX_EINVAL);
}

static void
test_json_list_and_skipping(void **state)
{
    json_t *list =
        json_loads("[{\"kind\":\"ratification\",\"party\":\"KZ\",\"date\":\"2010-03-01\"},"
                   " {\"kind\":\"ratification\",\"party\":\"CN\",\"date\":\"2010-06-10\"},"
                   " {\"kind\":\"ratification\",\"party\":\"KG\",\"date\":\"2011-02-29\"},"
                   " {\"kind\":\"ratification\",\"party\":\"KG\",\"date\":\"2010-09-15\"},"
                   " {\"kind\":\"ratification\",\"party\":\"FR\",\"date\":\"2010-10-01\"},"
                   " {\"kind\":\"ratification\",\"party\":\"RU\",\"date\":\"2011-01-31\"}]",
                   0, NULL);
    struct isx_agreement_calendar *c = NULL;
    struct isx_diag d = {0};

    (void)state;
    assert_non_null(list);
    /* Strict: the first bad body fails the whole list, naming its place in it. */
    assert_int_equal(isx_agreement_compute_json(list, D("2012-01-01"), 0, &c, &d), ISX_EFIELD);
    assert_string_equal(d.field, "notifications[2].date");
    assert_string_equal(d.key, "agreement.date");
    assert_null(c);
    /* Lenient: the bad body and the refused notification are left out and listed. */
    assert_int_equal(
        isx_agreement_compute_json(list, D("2012-01-01"), ISX_AGREEMENT_SKIP_INVALID, &c, &d), 0);
    assert_day(c->in_force, "2011-03-02");
    assert_int_equal(c->nskipped, 2);
    assert_int_equal(c->skipped[0].index, 2);
    assert_string_equal(c->skipped[0].diag.key, "agreement.date");
    assert_int_equal(c->skipped[1].index, 4);
    assert_string_equal(c->skipped[1].diag.field, "notifications[4].party");
    assert_string_equal(c->skipped[1].diag.key, "agreement.not_signatory");
    /* A state named only by refused notifications is not listed. */
    assert_null(isx_agreement_find(c, "FR"));
    isx_agreement_free(c);
    json_decref(list);
    list = json_object();
    assert_int_equal(isx_agreement_compute_json(list, 0, 0, &c, NULL), ISX_ETYPE);
    json_decref(list);
}

static void
test_render(void **state)
{
    struct isx_agreement_calendar *c = calc(founders, india, "2012-03-01");
    json_t *j = NULL, *in = NULL, *item;
    size_t i;

    (void)state;
    assert_int_equal(isx_agreement_render(c, &j), 0);
    assert_string_equal(json_string_value(json_object_get(j, "at")), "2012-03-01");
    assert_string_equal(json_string_value(json_object_get(j, "in_force")), "2011-03-02");
    assert_string_equal(json_string_value(json_object_get(j, "fourth_ratification")), "2011-01-31");
    json_array_foreach(json_object_get(j, "parties"), i, item)
    {
        if (strcmp(json_string_value(json_object_get(item, "code")), "IN") == 0)
            in = item;
    }
    assert_non_null(in);
    assert_string_equal(json_string_value(json_object_get(in, "status")), "acceding");
    assert_true(json_is_null(json_object_get(in, "signed")));
    assert_true(json_is_false(json_object_get(in, "founding")));
    /* On 1 March RU, TJ and UZ have not yet consented. */
    assert_int_equal(json_array_size(json_object_get(in, "missing_consents")), 3);
    assert_string_equal(
        json_string_value(json_array_get(json_object_get(in, "missing_consents"), 0)), "RU");
    item = json_array_get(json_object_get(j, "duties"), 0);
    assert_string_equal(json_string_value(json_object_get(item, "duty")), "certified_copy");
    assert_string_equal(json_string_value(json_object_get(item, "state")), "overdue");
    assert_string_equal(json_string_value(json_object_get(item, "due")), "2009-07-01");
    assert_true(json_is_null(json_object_get(item, "done")));
    json_decref(j);
    isx_agreement_free(c);
}

static void
test_bound_edges(void **state)
{
    struct isx_agreement_calendar *c = calc(founders, NULL, "2012-01-01");

    (void)state;
    /* The depositary is not a state; an unknown code binds nobody. */
    assert_int_equal(isx_agreement_bound(c, "SCO", "CN", D("2012-01-01")), 0);
    assert_int_equal(isx_agreement_bound(c, "CN", "FR", D("2012-01-01")), 0);
    assert_int_equal(isx_agreement_bound(c, "CN", NULL, D("2012-01-01")), 0);
    assert_int_equal(isx_agreement_bound(c, "CN", "CN", D("2012-01-01")), 1);
    assert_null(isx_agreement_find(c, "SCO"));
    /* The six founding parties are always listed, in code order. */
    assert_int_equal(c->nparties, 6);
    assert_string_equal(c->parties[0].code, "CN");
    assert_string_equal(c->parties[5].code, "UZ");
    isx_agreement_free(c);
}

/*
 * The result for a day never depends on what arrives later: for every day of the story, the
 * calendar of that day and the calendar of the last day agree on who was bound to whom.
 */
static void
test_later_notifications_do_not_rewrite_the_past(void **state)
{
    const char *const story[] = {
        "withdrawal UZ 2012-04-01",
        "accession_request IN 2012-01-10",
        "accession_consent KZ 2012-02-01 IN",
        "accession_consent CN 2012-02-15 IN",
        "accession_consent KG 2012-03-01 IN",
        "accession_consent RU 2012-03-31 IN",
        "accession_consent TJ 2012-04-30 IN",
        "withdrawal KG 2013-11-30 - 2014-01-01",
        "accession_request KG 2015-01-15",
        "accession_consent KZ 2015-01-20 KG",
        "accession_consent CN 2015-02-01 KG",
        "accession_consent RU 2015-02-10 KG",
        "accession_consent TJ 2015-02-20 KG",
        "accession_consent IN 2015-03-01 KG",
        NULL,
    };
    static const char *const codes[] = {"CN", "IN", "KG", "KZ", "RU", "TJ", "UZ"};
    struct isx_agreement_calendar *all = calc(founders, story, "2016-01-01");

    (void)state;
    for (int64_t day = D("2009-06-01"); day <= D("2016-01-01"); day += 5) {
        char s[ISX_AGREEMENT_DATE_LEN + 1];
        isx_agreement_format_date(day, s);
        struct isx_agreement_calendar *then = calc(founders, story, s);
        for (size_t a = 0; a < 7; a++) {
            for (size_t b = a; b < 7; b++)
                assert_int_equal(isx_agreement_bound(then, codes[a], codes[b], day),
                                 isx_agreement_bound(all, codes[a], codes[b], day));
        }
        isx_agreement_free(then);
    }
    assert_int_equal(isx_agreement_bound(all, "IN", "KG", D("2015-04-01")), 1);
    assert_int_equal(isx_agreement_bound(all, "IN", "UZ", D("2012-08-01")), 0);
    isx_agreement_free(all);
}

/* The worked example of docs/agreement.md, section 7, date by date. */
static const char *const story_of_the_docs[] = {
    "certified_copy SCO 2009-06-25",
    "ratification KZ 2010-03-01",
    "ratification CN 2010-06-10",
    "ratification KG 2010-09-15",
    "ratification RU 2011-01-31",
    "ratification TJ 2011-02-10",
    "authority_details CN 2011-04-01",
    "authority_details RU 2011-04-20",
    "ratification UZ 2011-05-31",
    "accession_request IN 2012-01-10",
    "accession_consent KZ 2012-02-01 IN",
    "accession_consent CN 2012-02-15 IN",
    "accession_consent KG 2012-03-01 IN",
    "accession_consent RU 2012-03-31 IN",
    "accession_consent TJ 2012-04-30 IN",
    "accession_consent UZ 2012-05-31 IN",
    "withdrawal KG 2013-11-30 - 2014-01-01",
    "withdrawal_circular SCO 2013-12-20 KG",
    "accession_request KG 2015-01-15",
    "accession_consent KZ 2015-01-20 KG",
    "accession_consent CN 2015-02-01 KG",
    "accession_consent RU 2015-02-10 KG",
    "accession_consent TJ 2015-02-20 KG",
    "accession_consent UZ 2015-02-25 KG",
    "accession_consent IN 2015-03-02 KG",
    NULL,
};

static void
test_worked_example_of_the_docs(void **state)
{
    static const char *const when[][3] = {
        {"2009-06-16", "KG", "signatory"}, {"2011-03-01", "RU", "signatory"},
        {"2011-03-02", "RU", "bound"},     {"2011-03-02", "UZ", "signatory"},
        {"2011-06-30", "UZ", "bound"},     {"2012-01-10", "IN", "acceding"},
        {"2012-06-30", "IN", "bound"},     {"2014-02-27", "KG", "bound"},
        {"2014-02-28", "KG", "withdrawn"}, {"2015-01-15", "KG", "acceding"},
        {"2015-03-31", "KG", "acceding"},  {"2015-04-01", "KG", "bound"},
    };
    struct isx_agreement_calendar *c;
    const struct isx_agreement_party *kg;

    (void)state;
    for (size_t i = 0; i < sizeof(when) / sizeof(when[0]); i++)
        assert_string_equal(status_at(story_of_the_docs, NULL, when[i][1], when[i][0]), when[i][2]);
    /* India is bound by 2015, so KG's second accession also waits for India's consent. */
    c = calc(story_of_the_docs, NULL, "2015-03-01");
    assert_day(c->in_force, "2011-03-02");
    kg = isx_agreement_find(c, "KG");
    assert_int_equal(kg->nmissing, 1);
    assert_string_equal(kg->missing[0], "IN");
    isx_agreement_free(c);
    c = calc(story_of_the_docs, NULL, "2015-06-01");
    kg = isx_agreement_find(c, "KG");
    assert_int_equal(kg->nperiods, 2);
    assert_day(kg->consented, "2015-03-02");
    assert_day(kg->periods[1].from, "2015-04-01");
    assert_int_equal(duty(c, ISX_AGREEMENT_DUTY_AUTHORITY_DETAILS, "KG", "", "2015-04-01")->due,
                     D("2015-05-31"));
    isx_agreement_free(c);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dates),
        cmocka_unit_test(test_entry_into_force_month_ends),
        cmocka_unit_test(test_three_notifications_are_not_enough),
        cmocka_unit_test(test_later_parties),
        cmocka_unit_test(test_ratification_before_signature),
        cmocka_unit_test(test_signature_and_ratification_refusals),
        cmocka_unit_test(test_accession),
        cmocka_unit_test(test_accession_lacking_one_consent),
        cmocka_unit_test(test_accession_completed_by_a_withdrawal),
        cmocka_unit_test(test_accession_needs_a_party_bound_meanwhile),
        cmocka_unit_test(test_accession_refusals),
        cmocka_unit_test(test_withdrawal_short_notice),
        cmocka_unit_test(test_withdrawal_dates),
        cmocka_unit_test(test_withdrawal_refusals),
        cmocka_unit_test(test_withdraw_and_accede_again),
        cmocka_unit_test(test_duty_certified_copies),
        cmocka_unit_test(test_duty_withdrawal_circular),
        cmocka_unit_test(test_duty_authority_details),
        cmocka_unit_test(test_bodies),
        cmocka_unit_test(test_notices_built_in_c_are_checked),
        cmocka_unit_test(test_json_list_and_skipping),
        cmocka_unit_test(test_render),
        cmocka_unit_test(test_bound_edges),
        cmocka_unit_test(test_later_notifications_do_not_rewrite_the_past),
        cmocka_unit_test(test_worked_example_of_the_docs),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
