/*
 * The agreement's calendar: notification bodies and the dates they set (Art. 5.1, 11, 12).
 *
 * This file owns the notification body schema, the rules about which notification the
 * agreement allows at which point, and the computation of the calendar. It does no I/O and
 * keeps no state between calls.
 *
 * Invariants of the computation:
 * - Notifications are applied in the order the depositary received them (by date; within one
 *   day, signatures before completed procedures, accession requests before consents,
 *   withdrawals before the circular about them), and only those received on or before the
 *   calendar's day count. Every rule therefore looks only at the past, so who is bound on a
 *   day never changes when later notifications arrive. (A signature notification dated after
 *   16 June 2009 does move that founder's signature date, and its copy deadline, backwards in
 *   the record; that is the one exception, and it binds nobody.)
 * - A state's bound periods never overlap and are kept oldest first; only the last one can be
 *   open (until == ISX_AGREEMENT_NO_DATE) or end after the day being applied.
 * - Every effect is at least 30 days after its cause, so a period that starts after the
 *   calendar's day is a schedule, never a fact the calendar contradicts later.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "isx/agreement.h"
#include "isx/schema.h"
#include "isx/taxonomy.h"
#include "isx/timeutil.h"

#define END                                                                                        \
    {                                                                                              \
        NULL, 0, 0, 0, 0, NULL, NULL, NULL                                                         \
    }

#define NO    ISX_AGREEMENT_NO_DATE
#define NEVER INT64_MAX

const char *const isx_agreement_kinds[] = {
    "signature",         "ratification",      "accession_request",
    "accession_consent", "withdrawal",        "withdrawal_circular",
    "certified_copy",    "authority_details", NULL};
const char *const isx_agreement_statuses[] = {"not_party", "signatory", "acceding",
                                              "bound",     "withdrawn", NULL};
const char *const isx_agreement_duties[] = {"certified_copy", "withdrawal_circular",
                                            "authority_details", NULL};
const char *const isx_agreement_duty_states[] = {"done", "due", "overdue", NULL};

/* Days of 0001-01-01 and 9999-12-31: the range "YYYY-MM-DD" can write. */
static int64_t
first_day(void)
{
    return isx_days_from_civil(1, 1, 1);
}

static int64_t
last_day(void)
{
    return isx_days_from_civil(9999, 12, 31);
}

static unsigned
month_days(int64_t y, unsigned m)
{
    static const unsigned days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

    return m == 2 && leap ? 29 : days[m - 1];
}

int
isx_agreement_parse_date(const char *s, int64_t *day)
{
    unsigned v[8];

    if (s == NULL || strlen(s) != ISX_AGREEMENT_DATE_LEN || s[4] != '-' || s[7] != '-')
        return ISX_EINVAL;
    for (int i = 0, k = 0; i < ISX_AGREEMENT_DATE_LEN; i++) {
        if (i == 4 || i == 7)
            continue;
        if (s[i] < '0' || s[i] > '9')
            return ISX_EINVAL;
        v[k++] = (unsigned)(s[i] - '0');
    }
    int64_t y = v[0] * 1000 + v[1] * 100 + v[2] * 10 + v[3];
    unsigned m = v[4] * 10 + v[5], d = v[6] * 10 + v[7];
    if (y < 1 || m < 1 || m > 12 || d < 1 || d > month_days(y, m))
        return ISX_EINVAL;
    *day = isx_days_from_civil(y, m, d);
    return 0;
}

void
isx_agreement_format_date(int64_t day, char out[ISX_AGREEMENT_DATE_LEN + 1])
{
    int64_t y;
    unsigned m, d;
    char tmp[32];

    /* Outside the writable range the nearest writable day is shown rather than a longer
     * string that would overrun `out`. */
    if (day < first_day())
        day = first_day();
    if (day > last_day())
        day = last_day();
    isx_civil_from_days(day, &y, &m, &d);
    snprintf(tmp, sizeof(tmp), "%04d-%02u-%02u", (int)y, m, d);
    memcpy(out, tmp, ISX_AGREEMENT_DATE_LEN);
    out[ISX_AGREEMENT_DATE_LEN] = '\0';
}

/* ---- the body ---------------------------------------------------------------------------- */

static int
check_kind(const json_t *v, const char *path, struct isx_diag *d)
{
    return isx_schema_one_of(v, path, d, isx_agreement_kinds, "agreement.kind");
}

static int
check_date(const json_t *v, const char *path, struct isx_diag *d)
{
    int64_t day;

    if (isx_agreement_parse_date(json_string_value(v), &day) != 0)
        return isx_diag_set(d, ISX_EFIELD, path, "agreement.date", json_string_value(v));
    return 0;
}

static int
check_state(const json_t *v, const char *path, struct isx_diag *d)
{
    /* The depositary is an organisation, so it can neither accede nor withdraw. */
    if (!isx_country_valid(json_string_value(v)))
        return isx_diag_set(d, ISX_EFIELD, path, "agreement.state", json_string_value(v));
    return 0;
}

static const struct isx_schema_field notification_fields[] = {
    {"kind", ISX_SCHEMA_STRING, ISX_SCHEMA_REQUIRED, 1, 32, check_kind, NULL, NULL},
    {"party", ISX_SCHEMA_STRING, ISX_SCHEMA_REQUIRED, 2, 3, isx_party_code_check, NULL, NULL},
    {"date", ISX_SCHEMA_STRING, ISX_SCHEMA_REQUIRED, 1, 32, check_date, NULL, NULL},
    {"state", ISX_SCHEMA_STRING, 0, 1, 8, check_state, NULL, NULL},
    {"effective", ISX_SCHEMA_STRING, 0, 1, 32, check_date, NULL, NULL},
    {"text", ISX_SCHEMA_LANGMAP, 0, 0, 4000, NULL, NULL, NULL},
    END,
};

static void
field_path(char *out, size_t cap, const char *prefix, const char *name)
{
    if (prefix == NULL || *prefix == '\0')
        snprintf(out, cap, "%s", name);
    else
        snprintf(out, cap, "%s.%s", prefix, name);
}

static int
refuse(struct isx_diag *d, int code, const char *prefix, const char *field, const char *key,
       const char *arg)
{
    char path[160];

    field_path(path, sizeof(path), prefix, field);
    return isx_diag_set(d, code, path, key, arg);
}

static int
by_depositary(enum isx_agreement_kind k)
{
    return k == ISX_AGREEMENT_WITHDRAWAL_CIRCULAR || k == ISX_AGREEMENT_CERTIFIED_COPY;
}

static int
in_range(int64_t day)
{
    return day >= first_day() && day <= last_day();
}

/*
 * The rules between fields, on the parsed form, so notices built in C (not from JSON) obey
 * them too: who may send which kind, which kinds name a state, and only a withdrawal names a
 * date of its own.
 */
static int
check_notice(const struct isx_agreement_notice *n, const char *prefix, struct isx_diag *d)
{
    const char *kind;
    char arg[32];
    int state_wanted;

    /* The messages quote the value at fault; a notice built in C has no text for a kind or a
     * day out of range, so its number is quoted instead. */
    if ((unsigned)n->kind >= ISX_AGREEMENT_KIND_COUNT) {
        snprintf(arg, sizeof(arg), "%d", (int)n->kind);
        return refuse(d, ISX_EFIELD, prefix, "kind", "agreement.kind", arg);
    }
    kind = isx_agreement_kinds[n->kind];
    if (!isx_party_code_valid(n->party))
        return refuse(d, ISX_EFIELD, prefix, "party", "party.code", n->party);
    if (!in_range(n->date)) {
        snprintf(arg, sizeof(arg), "%lld", (long long)n->date);
        return refuse(d, ISX_EFIELD, prefix, "date", "agreement.date", arg);
    }
    if (by_depositary(n->kind) && strcmp(n->party, ISX_DEPOSITARY) != 0)
        return refuse(d, ISX_EFIELD, prefix, "party", "agreement.by_depositary", kind);
    if (!by_depositary(n->kind) && strcmp(n->party, ISX_DEPOSITARY) == 0)
        return refuse(d, ISX_EFIELD, prefix, "party", "agreement.by_state", kind);
    if (n->state[0] != '\0' && !isx_country_valid(n->state))
        return refuse(d, ISX_EFIELD, prefix, "state", "agreement.state", n->state);
    state_wanted =
        n->kind == ISX_AGREEMENT_ACCESSION_CONSENT || n->kind == ISX_AGREEMENT_WITHDRAWAL_CIRCULAR;
    if (state_wanted && n->state[0] == '\0')
        return refuse(d, ISX_EMISSING, prefix, "state", "agreement.state_required", kind);
    if (!state_wanted && n->kind != ISX_AGREEMENT_CERTIFIED_COPY && n->state[0] != '\0')
        return refuse(d, ISX_EFIELD, prefix, "state", "agreement.state_unexpected", kind);
    if (n->kind == ISX_AGREEMENT_ACCESSION_CONSENT && strcmp(n->state, n->party) == 0)
        return refuse(d, ISX_EFIELD, prefix, "state", "agreement.state_self", n->state);
    if (n->effective != NO && n->kind != ISX_AGREEMENT_WITHDRAWAL)
        return refuse(d, ISX_EFIELD, prefix, "effective", "agreement.effective_unexpected", kind);
    if (n->effective != NO && !in_range(n->effective)) {
        snprintf(arg, sizeof(arg), "%lld", (long long)n->effective);
        return refuse(d, ISX_EFIELD, prefix, "effective", "agreement.date", arg);
    }
    return 0;
}

int
isx_agreement_parse(const json_t *body, const char *path, struct isx_agreement_notice *out,
                    struct isx_diag *d)
{
    struct isx_agreement_notice n;
    const char *kind, *party, *state, *effective;
    int rc;

    if ((rc = isx_schema_check(body, notification_fields, path, d)) != 0)
        return rc;
    memset(&n, 0, sizeof(n));
    kind = json_string_value(json_object_get(body, "kind"));
    party = json_string_value(json_object_get(body, "party"));
    state = json_string_value(json_object_get(body, "state"));
    effective = json_string_value(json_object_get(body, "effective"));
    for (n.kind = 0; n.kind < ISX_AGREEMENT_KIND_COUNT; n.kind++) {
        if (strcmp(isx_agreement_kinds[n.kind], kind) == 0)
            break;
    }
    /* The schema has already bounded the lengths, so the copies below always fit. */
    snprintf(n.party, sizeof(n.party), "%s", party);
    snprintf(n.state, sizeof(n.state), "%s", state != NULL ? state : "");
    isx_agreement_parse_date(json_string_value(json_object_get(body, "date")), &n.date);
    n.effective = NO;
    if (effective != NULL)
        isx_agreement_parse_date(effective, &n.effective);
    if ((rc = check_notice(&n, path, d)) != 0)
        return rc;
    *out = n;
    return 0;
}

int
isx_agreement_check(const json_t *body, const char *path, struct isx_diag *d)
{
    struct isx_agreement_notice n;

    return isx_agreement_parse(body, path, &n, d);
}

/* ---- the walk ---------------------------------------------------------------------------- */

/* One state while the notifications are applied. */
struct st {
    struct isx_agreement_party p;
    size_t pcap;
    int signature_seen; /* a signature notification replaced the default date */
    int named;          /* an accepted notification names it */
};

struct walk {
    const struct isx_agreement_notice *v;
    int64_t at;
    unsigned flags;
    size_t *order; /* indices of the notices received on or before `at`, in applying order */
    size_t norder;
    unsigned char *accepted; /* by index into v */
    struct st *s;            /* by code */
    size_t ns;
    int64_t *consent; /* consent[y * ns + p]: when p consented to y's pending accession */
    int ratifications;
    int64_t fourth, in_force;
    struct isx_agreement_skip *skipped;
    size_t nskipped, skipcap;
    struct isx_diag *d;
};

static int
kind_rank(enum isx_agreement_kind k)
{
    /* Within one day a signature comes before the completed procedures it allows, a request
     * before the consents to it, and a withdrawal before the circular about it. */
    static const int rank[ISX_AGREEMENT_KIND_COUNT] = {
        [ISX_AGREEMENT_SIGNATURE] = 0,           [ISX_AGREEMENT_RATIFICATION] = 1,
        [ISX_AGREEMENT_WITHDRAWAL] = 2,          [ISX_AGREEMENT_ACCESSION_REQUEST] = 3,
        [ISX_AGREEMENT_ACCESSION_CONSENT] = 4,   [ISX_AGREEMENT_AUTHORITY_DETAILS] = 5,
        [ISX_AGREEMENT_WITHDRAWAL_CIRCULAR] = 6, [ISX_AGREEMENT_CERTIFIED_COPY] = 7,
    };
    return rank[k];
}

/* What the applying order sorts by; a key carries its own fields so that no shared state
 * is needed while sorting (qsort has no context argument in C11). */
struct order_key {
    int64_t date;
    int rank;
    size_t index;
};

static int
order_cmp(const void *a, const void *b)
{
    const struct order_key *x = a, *y = b;

    if (x->date != y->date)
        return x->date < y->date ? -1 : 1;
    if (x->rank != y->rank)
        return x->rank < y->rank ? -1 : 1;
    return x->index < y->index ? -1 : x->index > y->index;
}

static int
st_cmp(const void *a, const void *b)
{
    return strcmp(((const struct st *)a)->p.code, ((const struct st *)b)->p.code);
}

static struct st *
lookup(struct walk *w, const char *code)
{
    for (size_t i = 0; i < w->ns; i++) {
        if (strcmp(w->s[i].p.code, code) == 0)
            return &w->s[i];
    }
    return NULL;
}

/* Adds `code` to the states unless it is there already or is the depositary. */
static int
add_state(struct walk *w, const char *code, int founding, size_t *cap)
{
    struct st *s;

    if (code[0] == '\0' || strcmp(code, ISX_DEPOSITARY) == 0)
        return 0;
    if ((s = lookup(w, code)) != NULL) {
        s->p.founding |= founding;
        return 0;
    }
    if (w->ns == *cap) {
        size_t ncap = *cap ? *cap * 2 : 16;
        struct st *grown = realloc(w->s, ncap * sizeof(*grown));
        if (grown == NULL)
            return ISX_ENOMEM;
        w->s = grown;
        *cap = ncap;
    }
    s = &w->s[w->ns++];
    memset(s, 0, sizeof(*s));
    snprintf(s->p.code, sizeof(s->p.code), "%s", code);
    s->p.founding = founding;
    s->p.signed_on = s->p.ratified = s->p.requested = s->p.consented = NO;
    s->p.notice = s->p.asked = s->p.withdrawn = NO;
    return 0;
}

static int
bound_on(const struct isx_agreement_party *p, int64_t day)
{
    for (size_t i = 0; i < p->nperiods; i++) {
        const struct isx_agreement_period *q = &p->periods[i];
        if (q->from <= day && (q->until == NO || day < q->until))
            return 1;
    }
    return 0;
}

/* Awaiting consents: requested, and the depositary does not yet hold every consent. */
static int
awaiting(const struct isx_agreement_party *p)
{
    return p->requested != NO && p->consented == NO;
}

static enum isx_agreement_status
status_on(const struct isx_agreement_party *p, int64_t day)
{
    if (bound_on(p, day))
        return ISX_AGREEMENT_BOUND;
    if (p->requested != NO && p->requested <= day &&
        (p->consented == NO || p->consented + ISX_AGREEMENT_ENTRY_DAYS > day))
        return ISX_AGREEMENT_ACCEDING;
    for (size_t i = 0; i < p->nperiods; i++) {
        if (p->periods[i].until != NO && p->periods[i].until <= day)
            return ISX_AGREEMENT_WITHDRAWN;
    }
    if (p->founding && p->signed_on != NO && p->signed_on <= day)
        return ISX_AGREEMENT_SIGNATORY;
    return ISX_AGREEMENT_NOT_PARTY;
}

static int
add_period(struct st *s, int64_t from)
{
    if (s->p.nperiods == s->pcap) {
        size_t ncap = s->pcap ? s->pcap * 2 : 2;
        struct isx_agreement_period *grown = realloc(s->p.periods, ncap * sizeof(*grown));
        if (grown == NULL)
            return ISX_ENOMEM;
        s->p.periods = grown;
        s->pcap = ncap;
    }
    s->p.periods[s->p.nperiods].from = from;
    s->p.periods[s->p.nperiods].until = NO;
    s->p.nperiods++;
    return 0;
}

/* A period that starts after `day`: the agreement is already due to enter into force for it. */
static int
scheduled_after(const struct isx_agreement_party *p, int64_t day)
{
    return p->nperiods > 0 && p->periods[p->nperiods - 1].from > day;
}

static int
ever_withdrawn(const struct isx_agreement_party *p)
{
    return p->nperiods > 0 && p->periods[p->nperiods - 1].until != NO;
}

/* Refuses notice i: fails the walk, or records it and goes on under SKIP_INVALID. */
static int
refuse_at(struct walk *w, size_t i, int code, const char *field, const char *key, const char *arg)
{
    struct isx_diag local = {0};
    char prefix[48];

    snprintf(prefix, sizeof(prefix), "notifications[%zu]", i);
    refuse(&local, code, prefix, field, key, arg);
    if (!(w->flags & ISX_AGREEMENT_SKIP_INVALID)) {
        if (w->d != NULL && w->d->code == 0)
            *w->d = local;
        return code;
    }
    if (w->nskipped == w->skipcap) {
        size_t ncap = w->skipcap ? w->skipcap * 2 : 8;
        struct isx_agreement_skip *grown = realloc(w->skipped, ncap * sizeof(*grown));
        if (grown == NULL)
            return ISX_ENOMEM;
        w->skipped = grown;
        w->skipcap = ncap;
    }
    w->skipped[w->nskipped].index = i;
    w->skipped[w->nskipped].diag = local;
    w->nskipped++;
    return 0;
}

static int
apply_ratification(struct walk *w, size_t i, struct st *s)
{
    const struct isx_agreement_notice *n = &w->v[i];
    char date[ISX_AGREEMENT_DATE_LEN + 1];
    int rc;

    /* Art. 12.1 speaks of the parties that signed; any other state joins under Art. 12.3. */
    if (!s->p.founding)
        return refuse_at(w, i, ISX_EFIELD, "party", "agreement.not_signatory", n->party);
    /* Domestic procedures approve a text that was signed; they cannot be complete before the
     * signature, so such a notification is a mistake in the date and is refused rather than
     * silently moved. */
    if (n->date < s->p.signed_on) {
        isx_agreement_format_date(s->p.signed_on, date);
        return refuse_at(w, i, ISX_EFIELD, "date", "agreement.before_signature", date);
    }
    if (s->p.ratified != NO)
        return refuse_at(w, i, ISX_EEXISTS, "party", "agreement.duplicate", n->party);
    s->p.ratified = n->date;
    w->ratifications++;
    if (w->in_force != NO) {
        /* Art. 12.1, second sentence: a party whose notification arrives once the agreement
         * is in force is bound from the 30th day after it; one that arrived during the 30
         * days before entry into force is bound from entry into force with the others. */
        return add_period(s,
                          n->date < w->in_force ? w->in_force : n->date + ISX_AGREEMENT_ENTRY_DAYS);
    }
    if (w->ratifications == ISX_AGREEMENT_QUORUM) {
        w->fourth = n->date;
        w->in_force = n->date + ISX_AGREEMENT_ENTRY_DAYS;
        for (size_t k = 0; k < w->ns; k++) {
            if (w->s[k].p.founding && w->s[k].p.ratified != NO &&
                (rc = add_period(&w->s[k], w->in_force)) != 0)
                return rc;
        }
    }
    return 0;
}

static int
apply_request(struct walk *w, size_t i, struct st *s)
{
    const struct isx_agreement_notice *n = &w->v[i];
    char date[ISX_AGREEMENT_DATE_LEN + 1];
    size_t y = (size_t)(s - w->s);

    /* Art. 12.3: the agreement is open to accession once it has entered into force. */
    if (w->in_force == NO)
        return refuse_at(w, i, ISX_EFIELD, "date", "agreement.not_in_force", NULL);
    if (n->date < w->in_force) {
        isx_agreement_format_date(w->in_force, date);
        return refuse_at(w, i, ISX_EFIELD, "date", "agreement.not_open", date);
    }
    if (bound_on(&s->p, n->date) || scheduled_after(&s->p, n->date))
        return refuse_at(w, i, ISX_EFIELD, "party", "agreement.already_party", n->party);
    if (awaiting(&s->p))
        return refuse_at(w, i, ISX_EEXISTS, "party", "agreement.duplicate", n->party);
    /* A signatory that has not withdrawn becomes bound by completing its own procedures
     * (Art. 12.1); accession is for the other states and for one that has withdrawn. */
    if (s->p.founding && !ever_withdrawn(&s->p))
        return refuse_at(w, i, ISX_EFIELD, "party", "agreement.signatory_ratifies", n->party);
    s->p.requested = n->date;
    s->p.consented = NO;
    for (size_t p = 0; p < w->ns; p++)
        w->consent[y * w->ns + p] = NO;
    return 0;
}

static int
apply_consent(struct walk *w, size_t i, struct st *s)
{
    const struct isx_agreement_notice *n = &w->v[i];
    struct st *y = lookup(w, n->state);

    /* Art. 12.3 asks for the consent of the contracting states: the ones bound that day. */
    if (!bound_on(&s->p, n->date))
        return refuse_at(w, i, ISX_EFIELD, "party", "agreement.consent_not_party", n->party);
    if (y == NULL || !awaiting(&y->p))
        return refuse_at(w, i, ISX_EFIELD, "state", "agreement.no_request", n->state);
    int64_t *slot = &w->consent[(size_t)(y - w->s) * w->ns + (size_t)(s - w->s)];
    if (*slot != NO)
        return refuse_at(w, i, ISX_EEXISTS, "party", "agreement.duplicate", n->party);
    *slot = n->date;
    return 0;
}

static int
apply_withdrawal(struct walk *w, size_t i, struct st *s)
{
    const struct isx_agreement_notice *n = &w->v[i];
    struct isx_agreement_period *last;
    int64_t effective;

    if (!bound_on(&s->p, n->date))
        return refuse_at(w, i, ISX_EFIELD, "party", "agreement.not_bound", n->party);
    last = &s->p.periods[s->p.nperiods - 1];
    if (last->until != NO)
        return refuse_at(w, i, ISX_EEXISTS, "party", "agreement.duplicate", n->party);
    /* Art. 12.4: the notice is given at least 90 days ahead. A notice that names an earlier
     * date, or none, takes effect on the 90th day after the depositary received it; a later
     * date named in the notice is kept. */
    effective = n->date + ISX_AGREEMENT_NOTICE_DAYS;
    if (n->effective != NO && n->effective > effective)
        effective = n->effective;
    s->p.notice = n->date;
    s->p.asked = n->effective;
    s->p.withdrawn = effective;
    last->until = effective;
    return 0;
}

static int
apply_signature(struct walk *w, size_t i, struct st *s)
{
    const struct isx_agreement_notice *n = &w->v[i];
    int64_t signed_day;

    isx_agreement_parse_date(ISX_AGREEMENT_SIGNED, &signed_day);
    /* The text was signed once, by the six governments named under it; every other state
     * joins by accession (Art. 12.3). */
    if (!s->p.founding)
        return refuse_at(w, i, ISX_EFIELD, "party", "agreement.not_founding", n->party);
    if (n->date < signed_day)
        return refuse_at(w, i, ISX_EFIELD, "date", "agreement.signature_date",
                         ISX_AGREEMENT_SIGNED);
    if (s->signature_seen)
        return refuse_at(w, i, ISX_EEXISTS, "party", "agreement.duplicate", n->party);
    if (s->p.ratified != NO)
        return refuse_at(w, i, ISX_EFIELD, "date", "agreement.signed_after_ratification", n->party);
    s->signature_seen = 1;
    s->p.signed_on = n->date;
    return 0;
}

static int
apply(struct walk *w, size_t i)
{
    const struct isx_agreement_notice *n = &w->v[i];
    struct st *s = lookup(w, n->party);
    struct st *about = n->state[0] != '\0' ? lookup(w, n->state) : NULL;
    int rc = 0;
    size_t before = w->nskipped;

    switch (n->kind) {
    case ISX_AGREEMENT_SIGNATURE:
        rc = apply_signature(w, i, s);
        break;
    case ISX_AGREEMENT_RATIFICATION:
        rc = apply_ratification(w, i, s);
        break;
    case ISX_AGREEMENT_ACCESSION_REQUEST:
        rc = apply_request(w, i, s);
        break;
    case ISX_AGREEMENT_ACCESSION_CONSENT:
        rc = apply_consent(w, i, s);
        break;
    case ISX_AGREEMENT_WITHDRAWAL:
        rc = apply_withdrawal(w, i, s);
        break;
    case ISX_AGREEMENT_WITHDRAWAL_CIRCULAR:
        /* A circular about a withdrawal the depositary never received is a mistake. */
        if (about == NULL || about->p.notice == NO)
            rc = refuse_at(w, i, ISX_EFIELD, "state", "agreement.no_withdrawal", n->state);
        break;
    case ISX_AGREEMENT_CERTIFIED_COPY:
        break;
    case ISX_AGREEMENT_AUTHORITY_DETAILS: {
        enum isx_agreement_status st = status_on(&s->p, n->date);
        if (st != ISX_AGREEMENT_SIGNATORY && st != ISX_AGREEMENT_ACCEDING &&
            st != ISX_AGREEMENT_BOUND)
            rc = refuse_at(w, i, ISX_EFIELD, "party", "agreement.not_party", n->party);
        break;
    }
    case ISX_AGREEMENT_KIND_COUNT:
        break;
    }
    if (rc == 0 && w->nskipped == before) {
        w->accepted[i] = 1;
        if (s != NULL)
            s->named = 1;
        if (about != NULL)
            about->named = 1;
    }
    return rc;
}

/*
 * Art. 12.3: an accession takes effect on the 30th day after the depositary holds the
 * consent of every contracting state and of the acceding state (its request). The states
 * whose consent is needed are the ones bound on the day looked at, so a party that becomes
 * bound meanwhile must consent too, and one whose withdrawal has taken effect no longer has to.
 */
static int
settle_accessions(struct walk *w, int64_t day)
{
    int rc;

    for (size_t y = 0; y < w->ns; y++) {
        struct st *s = &w->s[y];
        int complete = 1;

        if (!awaiting(&s->p) || s->p.requested > day)
            continue;
        for (size_t p = 0; p < w->ns && complete; p++) {
            if (p != y && bound_on(&w->s[p].p, day) && w->consent[y * w->ns + p] == NO)
                complete = 0;
        }
        if (!complete)
            continue;
        s->p.consented = day;
        if ((rc = add_period(s, day + ISX_AGREEMENT_ENTRY_DAYS)) != 0)
            return rc;
    }
    return 0;
}

/* The first day after `day` on which some state starts or stops being bound. */
static int64_t
next_change(const struct walk *w, int64_t day)
{
    int64_t next = NEVER;

    for (size_t k = 0; k < w->ns; k++) {
        const struct isx_agreement_party *p = &w->s[k].p;
        for (size_t i = 0; i < p->nperiods; i++) {
            if (p->periods[i].from > day && p->periods[i].from < next)
                next = p->periods[i].from;
            if (p->periods[i].until != NO && p->periods[i].until > day &&
                p->periods[i].until < next)
                next = p->periods[i].until;
        }
    }
    return next;
}

/*
 * Applies the notices day by day. Days on which a state starts or stops being bound are
 * visited too, even after `at`, because a withdrawal taking effect can complete an accession
 * that only lacked the withdrawing state's consent.
 */
static int
walk_days(struct walk *w)
{
    size_t k = 0;
    int64_t day = INT64_MIN;
    int rc;

    for (;;) {
        int64_t next = next_change(w, day);
        if (k < w->norder && w->v[w->order[k]].date < next)
            next = w->v[w->order[k]].date;
        if (next == NEVER)
            return 0;
        day = next;
        for (; k < w->norder && w->v[w->order[k]].date == day; k++) {
            if ((rc = apply(w, w->order[k])) != 0)
                return rc;
        }
        if ((rc = settle_accessions(w, day)) != 0)
            return rc;
    }
}

/* ---- the result -------------------------------------------------------------------------- */

static int
add_duty(struct isx_agreement_calendar *c, size_t *cap, enum isx_agreement_duty_kind kind,
         const char *by, const char *about, int64_t from, int64_t due, int64_t done)
{
    struct isx_agreement_duty *u;

    if (c->nduties == *cap) {
        size_t ncap = *cap ? *cap * 2 : 16;
        struct isx_agreement_duty *grown = realloc(c->duties, ncap * sizeof(*grown));
        if (grown == NULL)
            return ISX_ENOMEM;
        c->duties = grown;
        *cap = ncap;
    }
    u = &c->duties[c->nduties++];
    memset(u, 0, sizeof(*u));
    u->kind = kind;
    snprintf(u->by, sizeof(u->by), "%s", by);
    snprintf(u->about, sizeof(u->about), "%s", about);
    u->from = from;
    u->due = due;
    u->done = done;
    if (done != NO)
        u->state = ISX_AGREEMENT_DONE;
    else
        u->state = c->at <= due ? ISX_AGREEMENT_DUE : ISX_AGREEMENT_OVERDUE;
    return 0;
}

/* The earliest accepted notice of `kind` from `by` (about `about` when given) in [lo, hi). */
static int64_t
first_notice(const struct walk *w, enum isx_agreement_kind kind, const char *by, const char *about,
             int any_state, int64_t lo, int64_t hi)
{
    for (size_t k = 0; k < w->norder; k++) {
        const struct isx_agreement_notice *n = &w->v[w->order[k]];
        if (!w->accepted[w->order[k]] || n->kind != kind || strcmp(n->party, by) != 0)
            continue;
        if (about != NULL && strcmp(n->state, about) != 0 && !(any_state && n->state[0] == '\0'))
            continue;
        if (n->date >= lo && n->date < hi)
            return n->date;
    }
    return NO;
}

static int
duty_cmp(const void *a, const void *b)
{
    const struct isx_agreement_duty *x = a, *y = b;
    int r;

    if (x->due != y->due)
        return x->due < y->due ? -1 : 1;
    if (x->kind != y->kind)
        return x->kind < y->kind ? -1 : 1;
    if ((r = strcmp(x->by, y->by)) != 0)
        return r;
    return strcmp(x->about, y->about);
}

static int
collect_duties(const struct walk *w, struct isx_agreement_calendar *c)
{
    size_t cap = 0;
    int rc;

    for (size_t k = 0; k < w->ns; k++) {
        const struct isx_agreement_party *p = &w->s[k].p;

        /* Art. 11: certified copies to every signatory within 15 days of the signature. A
         * copy that names no state went to all of them. */
        if (p->founding && p->signed_on != NO && p->signed_on <= w->at) {
            int64_t done = first_notice(w, ISX_AGREEMENT_CERTIFIED_COPY, ISX_DEPOSITARY, p->code, 1,
                                        p->signed_on, NEVER);
            if ((rc = add_duty(c, &cap, ISX_AGREEMENT_DUTY_CERTIFIED_COPY, ISX_DEPOSITARY, p->code,
                               p->signed_on, p->signed_on + ISX_AGREEMENT_COPY_DAYS, done)) != 0)
                return rc;
        }
        /* Art. 5.1: within 60 days of entry into force, for each time the agreement enters
         * into force for the party. Details sent before that count; details sent while it was
         * not bound after an earlier withdrawal belong to the next time. */
        for (size_t i = 0; i < p->nperiods; i++) {
            const struct isx_agreement_period *q = &p->periods[i];
            if (q->from > w->at)
                continue;
            int64_t lo = i > 0 ? p->periods[i - 1].until : INT64_MIN;
            int64_t hi = q->until != NO ? q->until : NEVER;
            int64_t done =
                first_notice(w, ISX_AGREEMENT_AUTHORITY_DETAILS, p->code, NULL, 0, lo, hi);
            if ((rc = add_duty(c, &cap, ISX_AGREEMENT_DUTY_AUTHORITY_DETAILS, p->code, "", q->from,
                               q->from + ISX_AGREEMENT_DETAILS_DAYS, done)) != 0)
                return rc;
        }
    }
    /* Art. 12.4: the depositary informs the other parties within 30 days of receiving a
     * withdrawal notice; a circular counts for the latest notice received before it. */
    for (size_t k = 0; k < w->norder; k++) {
        const struct isx_agreement_notice *n = &w->v[w->order[k]];
        int64_t next = NEVER;
        if (!w->accepted[w->order[k]] || n->kind != ISX_AGREEMENT_WITHDRAWAL)
            continue;
        for (size_t j = k + 1; j < w->norder; j++) {
            const struct isx_agreement_notice *m = &w->v[w->order[j]];
            if (w->accepted[w->order[j]] && m->kind == ISX_AGREEMENT_WITHDRAWAL &&
                strcmp(m->party, n->party) == 0) {
                next = m->date;
                break;
            }
        }
        int64_t done = first_notice(w, ISX_AGREEMENT_WITHDRAWAL_CIRCULAR, ISX_DEPOSITARY, n->party,
                                    0, n->date, next);
        if ((rc = add_duty(c, &cap, ISX_AGREEMENT_DUTY_WITHDRAWAL_CIRCULAR, ISX_DEPOSITARY,
                           n->party, n->date, n->date + ISX_AGREEMENT_CIRCULAR_DAYS, done)) != 0)
            return rc;
    }
    if (c->nduties > 1)
        qsort(c->duties, c->nduties, sizeof(c->duties[0]), duty_cmp);
    return 0;
}

/*
 * Fills the statuses on `at` and, for a pending accession, the consents still lacking, then
 * moves the states into the calendar. The first pass reads every state's periods, so nothing
 * moves until it is over.
 */
static int
finish_parties(struct walk *w, struct isx_agreement_calendar *c)
{
    for (size_t y = 0; y < w->ns; y++) {
        struct st *s = &w->s[y];

        s->p.status = status_on(&s->p, w->at);
        if (s->p.status != ISX_AGREEMENT_ACCEDING ||
            (s->p.consented != NO && s->p.consented <= w->at))
            continue;
        for (size_t p = 0; p < w->ns; p++) {
            if (p == y || !bound_on(&w->s[p].p, w->at) || w->consent[y * w->ns + p] != NO)
                continue;
            char(*grown)[4] = realloc(s->p.missing, (s->p.nmissing + 1) * sizeof(*grown));
            if (grown == NULL)
                return ISX_ENOMEM;
            s->p.missing = grown;
            snprintf(s->p.missing[s->p.nmissing++], 4, "%s", w->s[p].p.code);
        }
    }
    for (size_t y = 0; y < w->ns; y++) {
        struct st *s = &w->s[y];

        /* A state that only refused notifications named is left out of the result. */
        if (!s->p.founding && !s->named)
            continue;
        /* The arrays move to the calendar, so exactly one of the two frees them. */
        c->parties[c->nparties++] = s->p;
        s->p.periods = NULL;
        s->p.missing = NULL;
    }
    return 0;
}

static int
merge_skips(struct walk *w, const struct isx_agreement_skip *pre, size_t npre)
{
    struct isx_agreement_skip *all;

    if (npre == 0)
        return 0;
    all = realloc(w->skipped, (w->nskipped + npre) * sizeof(*all));
    if (all == NULL)
        return ISX_ENOMEM;
    memcpy(all + w->nskipped, pre, npre * sizeof(*pre));
    w->skipped = all;
    w->nskipped += npre;
    w->skipcap = w->nskipped;
    return 0;
}

static int
skip_cmp(const void *a, const void *b)
{
    size_t i = ((const struct isx_agreement_skip *)a)->index;
    size_t j = ((const struct isx_agreement_skip *)b)->index;
    return i < j ? -1 : i > j;
}

/*
 * The computation. `unusable` (may be NULL) marks notices whose body failed its check; they
 * are skipped already and their diagnostics are in `pre`.
 */
static int
compute(const struct isx_agreement_notice *v, size_t n, const unsigned char *unusable,
        const struct isx_agreement_skip *pre, size_t npre, int64_t at, unsigned flags,
        struct isx_agreement_calendar **out, struct isx_diag *d)
{
    struct walk w;
    struct order_key *keys = NULL;
    struct isx_agreement_calendar *c = NULL;
    const json_t *parties = isx_vocab_list(ISX_VOCAB_PARTIES), *item;
    size_t cap = 0, k;
    int64_t signed_day;
    int rc;

    memset(&w, 0, sizeof(w));
    w.v = v;
    w.at = at;
    w.flags = flags;
    w.d = d;
    w.fourth = w.in_force = NO;
    if (!in_range(at) || (n > 0 && v == NULL))
        return isx_diag_set(d, ISX_EINVAL, NULL, NULL, NULL);
    isx_agreement_parse_date(ISX_AGREEMENT_SIGNED, &signed_day);
    if ((w.order = malloc((n ? n : 1) * sizeof(*w.order))) == NULL ||
        (w.accepted = calloc(n ? n : 1, 1)) == NULL) {
        rc = ISX_ENOMEM;
        goto done;
    }
    /* The founding parties are signatories from the day the text was signed, whether or not
     * a signature notification was recorded (the text names them under its last clause). */
    json_array_foreach(parties, k, item)
    {
        if (json_is_true(json_object_get(item, "founding")) &&
            (rc = add_state(&w, json_string_value(json_object_get(item, "code")), 1, &cap)) != 0)
            goto done;
    }
    for (k = 0; k < w.ns; k++)
        w.s[k].p.signed_on = signed_day;
    for (k = 0; k < n; k++) {
        if (unusable != NULL && unusable[k])
            continue;
        struct isx_diag local = {0};
        char prefix[48];
        snprintf(prefix, sizeof(prefix), "notifications[%zu]", k);
        if ((rc = check_notice(&v[k], prefix, &local)) != 0) {
            if (!(flags & ISX_AGREEMENT_SKIP_INVALID)) {
                if (d != NULL && d->code == 0)
                    *d = local;
                goto done;
            }
            struct isx_agreement_skip one = {k, local};
            if ((rc = merge_skips(&w, &one, 1)) != 0)
                goto done;
            continue;
        }
        if (v[k].date > at)
            continue;
        w.order[w.norder++] = k;
        if ((rc = add_state(&w, v[k].party, 0, &cap)) != 0 ||
            (rc = add_state(&w, v[k].state, 0, &cap)) != 0)
            goto done;
    }
    if (w.ns > 1)
        qsort(w.s, w.ns, sizeof(w.s[0]), st_cmp);
    if ((keys = malloc((w.norder ? w.norder : 1) * sizeof(*keys))) == NULL ||
        (w.consent = malloc((w.ns ? w.ns * w.ns : 1) * sizeof(*w.consent))) == NULL) {
        rc = ISX_ENOMEM;
        goto done;
    }
    for (k = 0; k < w.norder; k++) {
        keys[k].date = v[w.order[k]].date;
        keys[k].rank = kind_rank(v[w.order[k]].kind);
        keys[k].index = w.order[k];
    }
    if (w.norder > 1)
        qsort(keys, w.norder, sizeof(keys[0]), order_cmp);
    for (k = 0; k < w.norder; k++)
        w.order[k] = keys[k].index;
    for (k = 0; k < w.ns * w.ns; k++)
        w.consent[k] = NO;
    if ((rc = walk_days(&w)) != 0)
        goto done;
    if ((rc = merge_skips(&w, pre, npre)) != 0)
        goto done;
    if ((c = calloc(1, sizeof(*c))) == NULL ||
        (c->parties = calloc(w.ns ? w.ns : 1, sizeof(*c->parties))) == NULL) {
        rc = ISX_ENOMEM;
        goto done;
    }
    c->at = at;
    c->fourth = w.fourth;
    c->in_force = w.in_force;
    if ((rc = collect_duties(&w, c)) != 0 || (rc = finish_parties(&w, c)) != 0)
        goto done;
    if (w.nskipped > 1)
        qsort(w.skipped, w.nskipped, sizeof(w.skipped[0]), skip_cmp);
    c->skipped = w.skipped;
    c->nskipped = w.nskipped;
    w.skipped = NULL;
    *out = c;
    c = NULL;
    rc = 0;
done:
    for (k = 0; k < w.ns; k++) {
        free(w.s[k].p.periods);
        free(w.s[k].p.missing);
    }
    free(w.s);
    free(w.order);
    free(w.accepted);
    free(w.consent);
    free(w.skipped);
    free(keys);
    isx_agreement_free(c);
    return rc;
}

int
isx_agreement_compute(const struct isx_agreement_notice *v, size_t n, int64_t at, unsigned flags,
                      struct isx_agreement_calendar **out, struct isx_diag *d)
{
    return compute(v, n, NULL, NULL, 0, at, flags, out, d);
}

int
isx_agreement_compute_json(const json_t *bodies, int64_t at, unsigned flags,
                           struct isx_agreement_calendar **out, struct isx_diag *d)
{
    size_t n = json_array_size(bodies), npre = 0, i;
    struct isx_agreement_notice *v = calloc(n ? n : 1, sizeof(*v));
    unsigned char *unusable = calloc(n ? n : 1, 1);
    struct isx_agreement_skip *pre = calloc(n ? n : 1, sizeof(*pre));
    char prefix[48];
    int rc;

    if (v == NULL || unusable == NULL || pre == NULL) {
        rc = ISX_ENOMEM;
        goto done;
    }
    if (!json_is_array(bodies)) {
        rc = isx_diag_set(d, ISX_ETYPE, "notifications", "schema.type", "array");
        goto done;
    }
    for (i = 0; i < n; i++) {
        struct isx_diag local = {0};
        snprintf(prefix, sizeof(prefix), "notifications[%zu]", i);
        if ((rc = isx_agreement_parse(json_array_get(bodies, i), prefix, &v[i], &local)) == 0)
            continue;
        if (!(flags & ISX_AGREEMENT_SKIP_INVALID)) {
            if (d != NULL && d->code == 0)
                *d = local;
            goto done;
        }
        unusable[i] = 1;
        pre[npre].index = i;
        pre[npre].diag = local;
        npre++;
    }
    rc = compute(v, n, unusable, pre, npre, at, flags, out, d);
done:
    free(v);
    free(unusable);
    free(pre);
    return rc;
}

void
isx_agreement_free(struct isx_agreement_calendar *c)
{
    if (c == NULL)
        return;
    for (size_t i = 0; i < c->nparties; i++) {
        free(c->parties[i].periods);
        free(c->parties[i].missing);
    }
    free(c->parties);
    free(c->duties);
    free(c->skipped);
    free(c);
}

const struct isx_agreement_party *
isx_agreement_find(const struct isx_agreement_calendar *c, const char *code)
{
    for (size_t i = 0; c != NULL && code != NULL && i < c->nparties; i++) {
        if (strcmp(c->parties[i].code, code) == 0)
            return &c->parties[i];
    }
    return NULL;
}

int
isx_agreement_bound(const struct isx_agreement_calendar *c, const char *a, const char *b,
                    int64_t day)
{
    const struct isx_agreement_party *x = isx_agreement_find(c, a);
    const struct isx_agreement_party *y = isx_agreement_find(c, b);

    return x != NULL && y != NULL && bound_on(x, day) && bound_on(y, day);
}

/* ---- JSON -------------------------------------------------------------------------------- */

static json_t *
jdate(int64_t day)
{
    char s[ISX_AGREEMENT_DATE_LEN + 1];

    if (day == NO)
        return json_null();
    isx_agreement_format_date(day, s);
    return json_string(s);
}

static json_t *
render_party(const struct isx_agreement_party *p)
{
    json_t *o, *periods = json_array(), *missing = json_array();

    if (periods == NULL || missing == NULL) {
        json_decref(periods);
        json_decref(missing);
        return NULL;
    }
    for (size_t i = 0; i < p->nperiods; i++)
        json_array_append_new(periods, json_pack("{s:o, s:o}", "from", jdate(p->periods[i].from),
                                                 "until", jdate(p->periods[i].until)));
    for (size_t i = 0; i < p->nmissing; i++)
        json_array_append_new(missing, json_string(p->missing[i]));
    /* json_pack steals the "o" references, also when it fails. */
    o = json_pack("{s:s, s:b, s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o}", "code", p->code,
                  "founding", p->founding, "status", isx_agreement_statuses[p->status], "signed",
                  jdate(p->signed_on), "ratified", jdate(p->ratified), "accession_requested",
                  jdate(p->requested), "consents_complete", jdate(p->consented), "missing_consents",
                  missing, "withdrawal_notice", jdate(p->notice), "withdrawal_requested",
                  jdate(p->asked), "withdrawal_effective", jdate(p->withdrawn), "periods", periods);
    return o;
}

static json_t *
render_duty(const struct isx_agreement_duty *u)
{
    return json_pack(
        "{s:s, s:s, s:s?, s:o, s:o, s:o, s:s, s:b}", "duty", isx_agreement_duties[u->kind], "by",
        u->by, "about", u->about[0] != '\0' ? u->about : NULL, "from", jdate(u->from), "due",
        jdate(u->due), "done", jdate(u->done), "state", isx_agreement_duty_states[u->state], "late",
        u->done != NO && u->done > u->due);
}

static json_t *
render_skip(const struct isx_agreement_skip *s)
{
    return json_pack("{s:I, s:s, s:s, s:s, s:s}", "index", (json_int_t)s->index, "code",
                     isx_err_name(s->diag.code), "field", s->diag.field, "key", s->diag.key, "arg",
                     s->diag.arg);
}

int
isx_agreement_render(const struct isx_agreement_calendar *c, json_t **out)
{
    json_t *o = NULL, *parties = json_array(), *duties = json_array(), *skipped = json_array();
    json_t *one;
    int rc = ISX_ENOMEM;

    if (parties == NULL || duties == NULL || skipped == NULL)
        goto done;
    for (size_t i = 0; i < c->nparties; i++) {
        if ((one = render_party(&c->parties[i])) == NULL || json_array_append_new(parties, one))
            goto done;
    }
    for (size_t i = 0; i < c->nduties; i++) {
        if ((one = render_duty(&c->duties[i])) == NULL || json_array_append_new(duties, one))
            goto done;
    }
    for (size_t i = 0; i < c->nskipped; i++) {
        if ((one = render_skip(&c->skipped[i])) == NULL || json_array_append_new(skipped, one))
            goto done;
    }
    o = json_pack("{s:o, s:o, s:o, s:O, s:O, s:O}", "at", jdate(c->at), "fourth_ratification",
                  jdate(c->fourth), "in_force", jdate(c->in_force), "parties", parties, "duties",
                  duties, "skipped", skipped);
    if (o == NULL)
        goto done;
    *out = o;
    rc = 0;
done:
    json_decref(parties);
    json_decref(duties);
    json_decref(skipped);
    return rc;
}
