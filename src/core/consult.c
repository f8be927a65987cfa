/*
 * Consultations (Art. 5.2): the bodies of `consultation` and `consent` objects, the
 * half-yearly rhythm of regular consultations, and the fold that turns the objects a node
 * holds into the state of every consultation.
 *
 * This file owns those rules and does no I/O. Invariants of the fold:
 * - It depends only on the set of current objects, never on the order they arrived in:
 *   consents are taken oldest first by their signed version (then id), so two nodes holding
 *   the same objects compute the same state.
 * - A consent counts only for the round it names, once per party, only from a party whose
 *   consent the consultation needs, and only until the consultation is decided; every other
 *   consent is kept in the history with the reason it does not count.
 * - A consultation is decided exactly when every party whose consent it needs has consented
 *   in its current round; an objection in that round keeps it from being decided until the
 *   proposer revises the terms (the next round).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "isx/consult.h"
#include "isx/object.h"
#include "isx/schema.h"
#include "isx/taxonomy.h"
#include "isx/timeutil.h"

#define END                                                                                        \
    {                                                                                              \
        NULL, 0, 0, 0, 0, NULL, NULL, NULL                                                         \
    }

#define NO ISX_AGREEMENT_NO_DATE

const char *const isx_consult_kinds[] = {"regular", "extraordinary", NULL};
const char *const isx_consult_decisions[] = {"consent", "object", NULL};
const char *const isx_consult_states[] = {"proposed", "objected", "decided", "held", NULL};

static const char *
str(const json_t *o, const char *k)
{
    return json_string_value(json_object_get(o, k));
}

static int
is(const char *a, const char *b)
{
    return a != NULL && b != NULL && strcmp(a, b) == 0;
}

/* A "YYYY-MM-DD" member as a day, or NO when it is absent or not a date. */
static int64_t
day_of(const json_t *o, const char *k)
{
    int64_t day;

    if (isx_agreement_parse_date(str(o, k), &day) != 0)
        return NO;
    return day;
}

static json_t *
jdate(int64_t day)
{
    char s[ISX_AGREEMENT_DATE_LEN + 1];

    if (day == NO)
        return json_null();
    isx_agreement_format_date(day, s);
    return json_string(s);
}

static void
join(char *out, size_t cap, const char *prefix, const char *name)
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

    join(path, sizeof(path), prefix, field);
    return isx_diag_set(d, code, path, key, arg);
}

/* ---- bodies ------------------------------------------------------------------------------ */

static int
check_kind(const json_t *v, const char *path, struct isx_diag *d)
{
    return isx_schema_one_of(v, path, d, isx_consult_kinds, "consult.kind");
}

static int
check_decision(const json_t *v, const char *path, struct isx_diag *d)
{
    return isx_schema_one_of(v, path, d, isx_consult_decisions, "consult.decision");
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
check_ref(const json_t *v, const char *path, struct isx_diag *d)
{
    const char *s = json_string_value(v);

    /* Art. 5.2 consultations weigh threats and the joint measures against them: what an
     * agenda item can point at is a threat report or a request between authorities. */
    if (!isx_object_id_valid(s, "report") && !isx_object_id_valid(s, "request"))
        return isx_diag_set(d, ISX_EFIELD, path, "consult.ref", s);
    return 0;
}

static int
check_consultation_id(const json_t *v, const char *path, struct isx_diag *d)
{
    if (!isx_object_id_valid(json_string_value(v), "consultation"))
        return isx_diag_set(d, ISX_EFIELD, path, "consult.id", json_string_value(v));
    return 0;
}

static int
check_hash(const json_t *v, const char *path, struct isx_diag *d)
{
    const char *s = json_string_value(v);

    if (s == NULL || strlen(s) != 64 || strspn(s, "0123456789abcdef") != 64)
        return isx_diag_set(d, ISX_EFIELD, path, "release.hash", s);
    return 0;
}

static const struct isx_schema_field dates_fields[] = {
    {"from", ISX_SCHEMA_STRING, ISX_SCHEMA_REQUIRED, 1, 32, check_date, NULL, NULL},
    {"until", ISX_SCHEMA_STRING, 0, 1, 32, check_date, NULL, NULL},
    END,
};
static const struct isx_schema_field venue_fields[] = {
    {"party", ISX_SCHEMA_STRING, ISX_SCHEMA_REQUIRED, 2, 3, isx_party_code_check, NULL, NULL},
    {"place", ISX_SCHEMA_LANGMAP, 0, 0, 200, NULL, NULL, NULL},
    END,
};
static const struct isx_schema_field ref_item = {
    "", ISX_SCHEMA_STRING, 0, 1, ISX_OBJECT_ID_MAX, check_ref, NULL, NULL};
static const struct isx_schema_field item_fields[] = {
    {"text", ISX_SCHEMA_LANGMAP, ISX_SCHEMA_REQUIRED, 0, 2000, NULL, NULL, NULL},
    {"refs", ISX_SCHEMA_ARRAY, ISX_SCHEMA_UNIQUE, 0, ISX_CONSULT_REFS_MAX, NULL, NULL, &ref_item},
    END,
};
static const struct isx_schema_field agenda_item = {"",   ISX_SCHEMA_OBJECT, 0,   0, 0,
                                                    NULL, item_fields,       NULL};
static const struct isx_schema_field hash_item = {"", ISX_SCHEMA_STRING, 0,    64,
                                                  64, check_hash,        NULL, NULL};
static const struct isx_schema_field minutes_fields[] = {
    {"text", ISX_SCHEMA_LANGMAP, ISX_SCHEMA_REQUIRED, 0, 20000, NULL, NULL, NULL},
    {"consents", ISX_SCHEMA_ARRAY, ISX_SCHEMA_REQUIRED | ISX_SCHEMA_UNIQUE, 0, 256, NULL, NULL,
     &hash_item},
    END,
};
static const struct isx_schema_field consultation_fields[] = {
    {"kind", ISX_SCHEMA_STRING, ISX_SCHEMA_REQUIRED, 1, 32, check_kind, NULL, NULL},
    {"round", ISX_SCHEMA_INTEGER, ISX_SCHEMA_REQUIRED, 1, 1000000, NULL, NULL, NULL},
    {"slot", ISX_SCHEMA_STRING, 0, 1, 32, check_date, NULL, NULL},
    {"dates", ISX_SCHEMA_OBJECT, 0, 0, 0, NULL, dates_fields, NULL},
    {"venue", ISX_SCHEMA_OBJECT, ISX_SCHEMA_REQUIRED, 0, 0, NULL, venue_fields, NULL},
    {"agenda", ISX_SCHEMA_ARRAY, 0, 0, ISX_CONSULT_AGENDA_MAX, NULL, NULL, &agenda_item},
    {"note", ISX_SCHEMA_LANGMAP, 0, 0, 4000, NULL, NULL, NULL},
    {"minutes", ISX_SCHEMA_OBJECT, 0, 0, 0, NULL, minutes_fields, NULL},
    END,
};
static const struct isx_schema_field consent_fields[] = {
    {"consultation", ISX_SCHEMA_STRING, ISX_SCHEMA_REQUIRED, 1, ISX_OBJECT_ID_MAX,
     check_consultation_id, NULL, NULL},
    {"round", ISX_SCHEMA_INTEGER, ISX_SCHEMA_REQUIRED, 1, 1000000, NULL, NULL, NULL},
    {"decision", ISX_SCHEMA_STRING, ISX_SCHEMA_REQUIRED, 1, 16, check_decision, NULL, NULL},
    {"reason", ISX_SCHEMA_LANGMAP, 0, 0, 4000, NULL, NULL, NULL},
    END,
};

int
isx_consult_check(const json_t *body, const char *path, struct isx_diag *d)
{
    const json_t *dates;
    const char *kind;
    int rc;

    if ((rc = isx_schema_check(body, consultation_fields, path, d)) != 0)
        return rc;
    kind = str(body, "kind");
    dates = json_object_get(body, "dates");
    if (is(kind, "regular")) {
        /* A regular consultation fills a slot of the half-yearly rhythm. */
        if (json_object_get(body, "slot") == NULL)
            return refuse(d, ISX_EMISSING, path, "slot", "consult.slot_required", NULL);
    } else {
        /* Art. 5.2: an extraordinary consultation is proposed "就会期、地点和议题" — with its
         * dates, venue and agenda — and fills no slot. */
        if (json_object_get(body, "slot") != NULL)
            return refuse(d, ISX_EFIELD, path, "slot", "consult.slot_unexpected", NULL);
        if (dates == NULL)
            return refuse(d, ISX_EMISSING, path, "dates", "consult.dates_required", NULL);
        if (json_array_size(json_object_get(body, "agenda")) == 0)
            return refuse(d, ISX_EMISSING, path, "agenda", "consult.agenda_required", NULL);
    }
    if (dates != NULL && json_object_get(dates, "until") != NULL &&
        day_of(dates, "until") < day_of(dates, "from"))
        return refuse(d, ISX_EFIELD, path, "dates.until", "consult.dates_order",
                      str(dates, "from"));
    return 0;
}

int
isx_consult_consent_check(const json_t *body, const char *path, struct isx_diag *d)
{
    int rc;

    if ((rc = isx_schema_check(body, consent_fields, path, d)) != 0)
        return rc;
    /* Art. 5.2 has the parties agree the terms with each other; a party that does not agree
     * says why, so the proposer knows what to change. */
    if (is(str(body, "decision"), "object") && json_object_get(body, "reason") == NULL)
        return refuse(d, ISX_EMISSING, path, "reason", "consult.reason_required", NULL);
    return 0;
}

/* ---- the rhythm -------------------------------------------------------------------------- */

static unsigned
month_days(int64_t y, unsigned m)
{
    static const unsigned days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

    return m == 2 && leap ? 29 : days[m - 1];
}

static int64_t
floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;

    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

static int64_t
add_months(int64_t day, int64_t months)
{
    int64_t y, total, ny;
    unsigned m, d, nm;

    isx_civil_from_days(day, &y, &m, &d);
    total = y * 12 + (int64_t)(m - 1) + months;
    ny = floor_div(total, 12);
    nm = (unsigned)(total - ny * 12) + 1;
    if (d > month_days(ny, nm))
        d = month_days(ny, nm);
    return isx_days_from_civil(ny, nm, d);
}

int64_t
isx_consult_add_months(int64_t day, int months)
{
    return add_months(day, months);
}

int64_t
isx_consult_slot(int64_t first, int64_t k)
{
    return add_months(first, k * ISX_CONSULT_MONTHS);
}

/* The months from `first` to `day`, counting calendar months only. */
static int64_t
months_between(int64_t first, int64_t day)
{
    int64_t y1, y2;
    unsigned m1, m2, d1, d2;

    isx_civil_from_days(first, &y1, &m1, &d1);
    isx_civil_from_days(day, &y2, &m2, &d2);
    return (y2 * 12 + (int64_t)m2) - (y1 * 12 + (int64_t)m1);
}

int
isx_consult_slot_index(int64_t first, int64_t day, int64_t *k)
{
    int64_t guess;

    if (first == NO || day < first)
        return ISX_ENOTFOUND;
    guess = floor_div(months_between(first, day), ISX_CONSULT_MONTHS);
    for (int64_t c = guess - 1; c <= guess + 1; c++) {
        if (c >= 0 && isx_consult_slot(first, c) == day) {
            *k = c;
            return 0;
        }
    }
    return ISX_ENOTFOUND;
}

/* The index of the first slot on or after `day`. */
static int64_t
next_index(int64_t first, int64_t day)
{
    int64_t k;

    if (day <= first)
        return 0;
    k = floor_div(months_between(first, day), ISX_CONSULT_MONTHS) - 1;
    if (k < 0)
        k = 0;
    while (isx_consult_slot(first, k) < day)
        k++;
    return k;
}

int64_t
isx_consult_first(int64_t configured, const struct isx_agreement_calendar *c)
{
    if (configured != NO)
        return configured;
    /* Art. 5.2 sets no first date; half a year after entry into force is the first time the
     * half-yearly rhythm can have come round. */
    if (c != NULL && c->in_force != NO)
        return add_months(c->in_force, ISX_CONSULT_MONTHS);
    return NO;
}

/* ---- who must consent -------------------------------------------------------------------- */

/* The first day of a consultation: its dates, else its slot. */
static int64_t
first_day(const json_t *body)
{
    int64_t day = day_of(json_object_get(body, "dates"), "from");

    return day != NO ? day : day_of(body, "slot");
}

static int
add_code(json_t *arr, const char *code)
{
    size_t i;
    json_t *v;

    json_array_foreach(arr, i, v)
    {
        if (is(json_string_value(v), code))
            return 0;
    }
    return json_array_append_new(arr, json_string(code)) == 0 ? 0 : ISX_ENOMEM;
}

static int
code_cmp(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Sorts an array of strings in place, so every node lists parties in the same order. */
static int
sort_codes(json_t *arr)
{
    size_t n = json_array_size(arr), i;
    const char **v = calloc(n ? n : 1, sizeof(*v));
    json_t *copy = json_copy(arr);

    if (v == NULL || copy == NULL) {
        free(v);
        json_decref(copy);
        return ISX_ENOMEM;
    }
    for (i = 0; i < n; i++)
        v[i] = json_string_value(json_array_get(copy, i));
    qsort(v, n, sizeof(*v), code_cmp);
    json_array_clear(arr);
    for (i = 0; i < n; i++)
        json_array_append_new(arr, json_string(v[i]));
    free(v);
    json_decref(copy);
    return 0;
}

/* Where the parties a consultation needs come from: "calendar", "marking" or "founding". */
static const char *
parties_from(const json_t *env, const struct isx_agreement_calendar *c)
{
    if (c != NULL)
        return "calendar";
    return json_array_size(json_object_get(json_object_get(env, "marking"), "to")) > 0 ? "marking"
                                                                                       : "founding";
}

int
isx_consult_required(const json_t *env, const struct isx_agreement_calendar *c, json_t **out)
{
    const json_t *body = json_object_get(env, "body");
    const char *proposer = str(env, "origin"), *from = parties_from(env, c);
    int64_t day = first_day(body);
    json_t *arr = json_array(), *v;
    size_t i;
    int rc = 0;

    if (arr == NULL)
        return ISX_ENOMEM;
    if (is(from, "calendar")) {
        /* Art. 5.2 speaks of "各方", the parties: the states the agreement binds that day. */
        for (i = 0; rc == 0 && i < c->nparties; i++) {
            const char *code = c->parties[i].code;
            if (!is(code, proposer) && isx_agreement_bound(c, code, code, day))
                rc = add_code(arr, code);
        }
    } else if (is(from, "marking")) {
        json_array_foreach(json_object_get(json_object_get(env, "marking"), "to"), i, v)
        {
            const char *code = json_string_value(v);
            if (rc == 0 && !is(code, proposer) && !is(code, ISX_DEPOSITARY))
                rc = add_code(arr, code);
        }
    } else {
        json_array_foreach(isx_vocab_list(ISX_VOCAB_PARTIES), i, v)
        {
            const char *code = str(v, "code");
            if (rc == 0 && json_is_true(json_object_get(v, "founding")) && !is(code, proposer))
                rc = add_code(arr, code);
        }
    }
    if (rc == 0)
        rc = sort_codes(arr);
    if (rc != 0) {
        json_decref(arr);
        return rc;
    }
    *out = arr;
    return 0;
}

/* ---- the fold ---------------------------------------------------------------------------- */

/* One consent as the fold reads it. */
struct vote {
    const json_t *env;
    const char *id, *version, *party, *consultation, *decision;
    json_int_t round;
};

static int
vote_cmp(const void *a, const void *b)
{
    const struct vote *x = a, *y = b;
    int c = strcmp(x->version, y->version);

    return c != 0 ? c : strcmp(x->id, y->id);
}

/* The object's hash (its identity in the log), or NULL when `env` is not a whole envelope. */
static json_t *
hash_of(const json_t *env)
{
    json_t *copy = json_deep_copy(env);
    struct isx_object *o = NULL;
    json_t *h = NULL;

    if (copy == NULL)
        return json_null();
    /* The API view carries the opened body beside "sealed"; the envelope has only one. */
    if (json_object_get(copy, "sealed") != NULL)
        json_object_del(copy, "body");
    if (isx_object_from_json(copy, &o, NULL) == 0 && o->hash_hex[0] != '\0')
        h = json_string(o->hash_hex);
    isx_object_free(o);
    return h != NULL ? h : json_null();
}

static int
in_array(const json_t *arr, const char *code)
{
    size_t i;
    json_t *v;

    json_array_foreach(arr, i, v)
    {
        if (is(json_string_value(v), code))
            return 1;
    }
    return 0;
}

/* A member copied when present (a new reference), JSON null when absent. */
static json_t *
opt(const json_t *o, const char *k)
{
    json_t *v = json_object_get(o, k);

    return v != NULL ? json_deep_copy(v) : json_null();
}

/*
 * Builds the state of one consultation from its current version and the consents, marking
 * in `used` the consents that name it.
 */
static int
fold_one(const json_t *env, const struct vote *votes, size_t nvotes, unsigned char *used,
         const struct isx_consult_ctx *ctx, json_t **out)
{
    const json_t *body = json_object_get(env, "body");
    const char *id = str(env, "id"), *proposer = str(env, "origin");
    json_int_t round = json_integer_value(json_object_get(body, "round"));
    json_t *required = NULL, *consented = json_array(), *objected = json_array();
    json_t *missing = json_array(), *history = json_array(), *item = NULL;
    const char *decided_at = NULL;
    size_t nconsent = 0, i;
    int decided, rc;

    if (consented == NULL || objected == NULL || missing == NULL || history == NULL) {
        rc = ISX_ENOMEM;
        goto done;
    }
    if ((rc = isx_consult_required(env, ctx->calendar, &required)) != 0)
        goto done;
    decided = json_array_size(required) == 0;
    for (i = 0; i < nvotes; i++) {
        const struct vote *v = &votes[i];
        const char *key = NULL;

        if (!is(v->consultation, id))
            continue;
        used[i] = 1;
        if (v->round < round)
            key = "consult.superseded";
        else if (v->round > round)
            key = "consult.future_round";
        else if (is(v->party, proposer))
            key = "consult.own_proposal";
        else if (!in_array(required, v->party))
            key = "consult.not_party";
        else if (decided)
            key = "consult.decided";
        else if (in_array(consented, v->party))
            key = "consult.twice";
        else {
            size_t j;
            json_t *o;
            int seen = 0;
            json_array_foreach(objected, j, o)
            {
                seen |= is(str(o, "party"), v->party);
            }
            if (seen)
                key = "consult.twice";
        }
        if (key == NULL) {
            if (is(v->decision, "consent")) {
                json_array_append_new(consented, json_string(v->party));
                if (++nconsent == json_array_size(required)) {
                    decided = 1;
                    decided_at = v->version;
                }
            } else {
                json_array_append_new(
                    objected,
                    json_pack("{s:s, s:O?}", "party", v->party, "reason",
                              json_object_get(json_object_get(v->env, "body"), "reason")));
            }
        }
        const json_t *vb = json_object_get(v->env, "body");
        json_t *entry =
            json_pack("{s:s, s:s, s:s, s:I, s:s, s:O?, s:o, s:b, s:s?}", "id", v->id, "version",
                      v->version, "party", v->party, "round", (json_int_t)v->round, "decision",
                      v->decision, "reason", json_object_get(vb, "reason"), "hash", hash_of(v->env),
                      "counted", key == NULL, "key", key);
        if (entry == NULL || json_array_append_new(history, entry) != 0) {
            rc = ISX_ENOMEM;
            goto done;
        }
    }
    json_t *p;
    json_array_foreach(required, i, p)
    {
        const char *code = json_string_value(p);
        size_t j;
        json_t *o;
        int seen = in_array(consented, code);
        json_array_foreach(objected, j, o)
        {
            seen |= is(str(o, "party"), code);
        }
        if (!seen)
            json_array_append_new(missing, json_string(code));
    }
    const char *state = decided ? (json_object_get(body, "minutes") != NULL ? "held" : "decided")
                                : (json_array_size(objected) > 0 ? "objected" : "proposed");
    item = json_pack("{s:s, s:s, s:s, s:s, s:I, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, "
                     "s:s, s:s, s:O, s:O, s:O, s:O, s:s?, s:O}",
                     "id", id, "version", str(env, "version"), "proposer", proposer, "kind",
                     str(body, "kind"), "round", round, "slot", opt(body, "slot"), "dates",
                     opt(body, "dates"), "venue", opt(body, "venue"), "agenda", opt(body, "agenda"),
                     "note", opt(body, "note"), "minutes", opt(body, "minutes"), "marking",
                     opt(env, "marking"), "day", jdate(first_day(body)), "tlp",
                     str(json_object_get(env, "marking"), "tlp") != NULL
                         ? json_string(str(json_object_get(env, "marking"), "tlp"))
                         : json_null(),
                     "state", state, "parties_from", parties_from(env, ctx->calendar), "required",
                     required, "consented", consented, "objected", objected, "missing", missing,
                     "decided_at", decided_at, "consents", history);
    if (item == NULL) {
        rc = ISX_ENOMEM;
        goto done;
    }
    *out = item;
    rc = 0;
done:
    json_decref(required);
    json_decref(consented);
    json_decref(objected);
    json_decref(missing);
    json_decref(history);
    return rc;
}

/* Consultations in the order people read them: by first day, then id. */
static int
item_cmp(const void *a, const void *b)
{
    const json_t *x = *(const json_t *const *)a, *y = *(const json_t *const *)b;
    const char *dx = str(x, "day"), *dy = str(y, "day");
    int c = strcmp(dx != NULL ? dx : "", dy != NULL ? dy : "");

    return c != 0 ? c : strcmp(str(x, "id"), str(y, "id"));
}

static int
live(const json_t *item)
{
    const char *s = str(item, "state");

    return is(s, "proposed") || is(s, "decided") || is(s, "held");
}

static int
settled(const json_t *item)
{
    return is(str(item, "state"), "decided") || is(str(item, "state"), "held");
}

/*
 * The live regular consultation holding slot `day`, or NULL; the ones that lost the slot to
 * it are appended to `conflicts` (may be NULL).
 */
static const json_t *
slot_holder(const json_t *items, int64_t day, const char *except, json_t *conflicts)
{
    const json_t *best = NULL, *it;
    char want[ISX_AGREEMENT_DATE_LEN + 1];
    size_t i;

    isx_agreement_format_date(day, want);
    json_array_foreach(items, i, it)
    {
        if (!is(str(it, "kind"), "regular") || !is(str(it, "slot"), want) || !live(it) ||
            is(str(it, "id"), except))
            continue;
        /* Only possible when two invitations crossed between nodes; every node must pick
         * the same one, so the choice depends on the objects alone. */
        if (best == NULL || (settled(it) && !settled(best)) ||
            (settled(it) == settled(best) && strcmp(str(it, "id"), str(best, "id")) < 0))
            best = it;
    }
    json_array_foreach(items, i, it)
    {
        if (conflicts != NULL && it != best && is(str(it, "kind"), "regular") &&
            is(str(it, "slot"), want) && live(it) && !is(str(it, "id"), except))
            json_array_append_new(conflicts, json_string(str(it, "id")));
    }
    return best;
}

static int
fold_schedule(const json_t *items, const struct isx_consult_ctx *ctx, json_t *schedule)
{
    int64_t k0;

    if (ctx->first == NO)
        return 0;
    k0 = next_index(ctx->first, ctx->today);
    for (size_t i = 0; i < ctx->upcoming; i++) {
        int64_t day = isx_consult_slot(ctx->first, k0 + (int64_t)i);
        json_t *conflicts = json_array(), *entry;
        const json_t *h = slot_holder(items, day, NULL, conflicts);
        const json_t *venue = json_object_get(h, "venue");

        entry = json_pack("{s:o, s:I, s:o, s:s?, s:s?, s:s?, s:o}", "slot", jdate(day), "index",
                          (json_int_t)(k0 + (int64_t)i), "venue",
                          venue != NULL ? json_deep_copy(venue)
                                        : json_pack("{s:s}", "party", ISX_DEPOSITARY),
                          "consultation", str(h, "id"), "state", str(h, "state"), "proposer",
                          str(h, "proposer"), "conflicts", conflicts);
        if (entry == NULL || json_array_append_new(schedule, entry) != 0)
            return ISX_ENOMEM;
    }
    return 0;
}

/* The clear envelopes of a type list whose bodies pass `check`; the others go to `ignored`. */
static int
usable(const json_t *list, int (*check)(const json_t *, const char *, struct isx_diag *),
       json_t *ignored, json_t *out)
{
    size_t i;
    json_t *env;

    json_array_foreach(list, i, env)
    {
        struct isx_diag d = {0};
        const json_t *body = json_object_get(env, "body");

        /* A relay holds what it cannot read; it has no say in the state. */
        if (!json_is_object(body) || str(env, "id") == NULL || str(env, "origin") == NULL ||
            str(env, "version") == NULL)
            continue;
        if (check(body, "body", &d) != 0) {
            json_array_append_new(ignored, json_pack("{s:s, s:s, s:s}", "id", str(env, "id"), "key",
                                                     d.key[0] != '\0' ? d.key : "consult.invalid",
                                                     "field", d.field));
            continue;
        }
        if (json_array_append(out, env) != 0)
            return ISX_ENOMEM;
    }
    return 0;
}

int
isx_consult_fold(const json_t *consultations, const json_t *consents,
                 const struct isx_consult_ctx *ctx, json_t **out, struct isx_diag *d)
{
    json_t *cs = json_array(), *vs = json_array(), *items = json_array();
    json_t *ignored = json_array(), *schedule = json_array(), *state = NULL;
    struct vote *votes = NULL;
    unsigned char *used = NULL;
    const json_t **sorted = NULL;
    size_t nv, nc, i;
    int rc;

    if (cs == NULL || vs == NULL || items == NULL || ignored == NULL || schedule == NULL) {
        rc = ISX_ENOMEM;
        goto done;
    }
    if ((consultations != NULL && !json_is_array(consultations)) ||
        (consents != NULL && !json_is_array(consents))) {
        rc = isx_diag_set(d, ISX_EINVAL, NULL, NULL, NULL);
        goto done;
    }
    if ((rc = usable(consultations, isx_consult_check, ignored, cs)) != 0 ||
        (rc = usable(consents, isx_consult_consent_check, ignored, vs)) != 0)
        goto done;
    nv = json_array_size(vs);
    nc = json_array_size(cs);
    if ((votes = calloc(nv ? nv : 1, sizeof(*votes))) == NULL ||
        (used = calloc(nv ? nv : 1, 1)) == NULL ||
        (sorted = calloc(nc ? nc : 1, sizeof(*sorted))) == NULL) {
        rc = ISX_ENOMEM;
        goto done;
    }
    for (i = 0; i < nv; i++) {
        const json_t *env = json_array_get(vs, i), *body = json_object_get(env, "body");
        votes[i] = (struct vote){env,
                                 str(env, "id"),
                                 str(env, "version"),
                                 str(env, "origin"),
                                 str(body, "consultation"),
                                 str(body, "decision"),
                                 json_integer_value(json_object_get(body, "round"))};
    }
    if (nv > 1)
        qsort(votes, nv, sizeof(*votes), vote_cmp);
    for (i = 0; i < nc; i++) {
        json_t *item = NULL;
        if ((rc = fold_one(json_array_get(cs, i), votes, nv, used, ctx, &item)) != 0)
            goto done;
        json_array_append_new(items, item);
        sorted[i] = item;
    }
    if (nc > 1) {
        qsort(sorted, nc, sizeof(*sorted), item_cmp);
        json_t *ordered = json_array();
        if (ordered == NULL) {
            rc = ISX_ENOMEM;
            goto done;
        }
        for (i = 0; i < nc; i++)
            json_array_append(ordered, (json_t *)sorted[i]);
        json_decref(items);
        items = ordered;
    }
    for (i = 0; i < nv; i++) {
        /* Consents can arrive before what they consent to; they count once it is here. */
        if (!used[i])
            json_array_append_new(ignored, json_pack("{s:s, s:s, s:s}", "id", votes[i].id, "key",
                                                     "consult.unknown", "consultation",
                                                     votes[i].consultation));
    }
    if ((rc = fold_schedule(items, ctx, schedule)) != 0)
        goto done;
    state = json_pack("{s:O, s:O, s:O, s:o}", "items", items, "schedule", schedule, "ignored",
                      ignored, "first", jdate(ctx->first));
    if (state == NULL) {
        rc = ISX_ENOMEM;
        goto done;
    }
    *out = state;
    rc = 0;
done:
    json_decref(cs);
    json_decref(vs);
    json_decref(items);
    json_decref(ignored);
    json_decref(schedule);
    free(votes);
    free(used);
    free(sorted);
    return rc;
}

const json_t *
isx_consult_find(const json_t *state, const char *id)
{
    size_t i;
    json_t *it;

    json_array_foreach(json_object_get(state, "items"), i, it)
    {
        if (is(str(it, "id"), id))
            return it;
    }
    return NULL;
}

/* ---- admission --------------------------------------------------------------------------- */

int
isx_consult_admit_consent(const json_t *state, const json_t *env, unsigned flags,
                          struct isx_diag *d)
{
    const json_t *body = json_object_get(env, "body"), *c, *o;
    const char *party = str(env, "origin"), *id = str(body, "consultation");
    json_int_t round = json_integer_value(json_object_get(body, "round"));
    char arg[32];
    size_t i;

    if ((c = isx_consult_find(state, id)) == NULL) {
        /* From a peer it may simply have come first; it counts once the proposal is here. */
        if (flags & ISX_CONSULT_STRICT)
            return isx_diag_set(d, ISX_ENOTFOUND, "body.consultation", "consult.unknown", id);
        return 0;
    }
    if (round != json_integer_value(json_object_get(c, "round"))) {
        if (flags & ISX_CONSULT_STRICT) {
            snprintf(arg, sizeof(arg), "%lld",
                     (long long)json_integer_value(json_object_get(c, "round")));
            return isx_diag_set(d, ISX_ECONFLICT, "body.round", "consult.round_mismatch", arg);
        }
        /* An earlier round is history; a later one is a revision not yet here. */
        return 0;
    }
    if (is(party, str(c, "proposer")))
        return isx_diag_set(d, ISX_ECONFLICT, "origin", "consult.own_proposal", party);
    if (!in_array(json_object_get(c, "required"), party))
        return isx_diag_set(d, ISX_EFORBIDDEN, "origin", "consult.not_party", party);
    if (settled(c))
        return isx_diag_set(d, ISX_ECONFLICT, "body.consultation", "consult.decided", id);
    json_array_foreach(json_object_get(c, "consents"), i, o)
    {
        if (json_is_true(json_object_get(o, "counted")) && is(str(o, "party"), party))
            return isx_diag_set(d, ISX_ECONFLICT, "origin", "consult.twice", party);
    }
    return 0;
}

/* The terms a round fixes: what the parties consent to. */
static int
same_terms(const json_t *body, const json_t *item)
{
    static const char *const terms[] = {"kind", "slot", "dates", "venue", "agenda"};

    for (size_t i = 0; i < sizeof(terms) / sizeof(terms[0]); i++) {
        const json_t *a = json_object_get(body, terms[i]), *b = json_object_get(item, terms[i]);
        if (json_is_null(b))
            b = NULL;
        if ((a == NULL) != (b == NULL) || (a != NULL && !json_equal((json_t *)a, (json_t *)b)))
            return 0;
    }
    return 1;
}

/* The minutes must carry exactly the consents that decided the consultation. */
static int
minutes_consents_match(const json_t *minutes, const json_t *item)
{
    const json_t *listed = json_object_get(minutes, "consents"), *o;
    size_t i, counted = 0;

    json_array_foreach(json_object_get(item, "consents"), i, o)
    {
        if (!json_is_true(json_object_get(o, "counted")))
            continue;
        counted++;
        if (!in_array(listed, str(o, "hash")))
            return 0;
    }
    return counted == json_array_size(listed);
}

static int
check_slot(const json_t *state, const json_t *env, const struct isx_consult_ctx *ctx,
           struct isx_diag *d)
{
    const json_t *body = json_object_get(env, "body");
    const char *venue = str(json_object_get(body, "venue"), "party");
    int64_t day = day_of(body, "slot"), k;
    char arg[ISX_AGREEMENT_DATE_LEN + 1];

    if (ctx->first == NO)
        return isx_diag_set(d, ISX_ECONFLICT, "body.slot", "consult.no_rhythm", NULL);
    if (isx_consult_slot_index(ctx->first, day, &k) != 0) {
        isx_agreement_format_date(isx_consult_slot(ctx->first, next_index(ctx->first, day)), arg);
        return isx_diag_set(d, ISX_EFIELD, "body.slot", "consult.not_a_slot", arg);
    }
    const json_t *holder = slot_holder(json_object_get(state, "items"), day, str(env, "id"), NULL);
    if (holder != NULL)
        return isx_diag_set(d, ISX_ECONFLICT, "body.slot", "consult.slot_taken",
                            str(holder, "proposer"));
    /* Art. 5.2: "在上海合作组织秘书处或提出邀请的某一方境内" — at the Secretariat or with a
     * party that invites. We read the "the venue alternates" as: a slot a party
     * hosts is followed and preceded by one at the Secretariat. */
    if (is(venue, ISX_DEPOSITARY))
        return 0;
    for (int64_t n = k - 1; n <= k + 1; n += 2) {
        if (n < 0)
            continue;
        const json_t *h = slot_holder(json_object_get(state, "items"),
                                      isx_consult_slot(ctx->first, n), str(env, "id"), NULL);
        if (h != NULL && !is(str(json_object_get(h, "venue"), "party"), ISX_DEPOSITARY)) {
            isx_agreement_format_date(isx_consult_slot(ctx->first, n), arg);
            return isx_diag_set(d, ISX_ECONFLICT, "body.slot", "consult.alternate", arg);
        }
    }
    return 0;
}

/* The rules of a new round's terms that only a local user's action must meet now. */
static int
check_terms_strict(const json_t *state, const json_t *env, const struct isx_consult_ctx *ctx,
                   struct isx_diag *d)
{
    const json_t *body = json_object_get(env, "body"), *to, *p;
    const char *origin = str(env, "origin");
    int64_t day = first_day(body);
    json_t *required = NULL;
    char arg[ISX_AGREEMENT_DATE_LEN + 1];
    size_t i;
    int rc;

    if (day < ctx->today) {
        isx_agreement_format_date(day, arg);
        return isx_diag_set(
            d, ISX_EFIELD, json_object_get(body, "dates") != NULL ? "body.dates.from" : "body.slot",
            "consult.past", arg);
    }
    if (ctx->calendar != NULL && !is(origin, ISX_DEPOSITARY) &&
        !isx_agreement_bound(ctx->calendar, origin, origin, day))
        return isx_diag_set(d, ISX_EFORBIDDEN, "origin", "consult.proposer_not_party", origin);
    if (is(str(body, "kind"), "regular") && (rc = check_slot(state, env, ctx, d)) != 0)
        return rc;
    if ((rc = isx_consult_required(env, ctx->calendar, &required)) != 0)
        return rc;
    if (json_array_size(required) == 0) {
        json_decref(required);
        return isx_diag_set(d, ISX_EFIELD, "marking.to", "consult.nobody", NULL);
    }
    /* The parties whose consent it needs must receive it: a marking that names parties
     * sends it to those alone. */
    to = json_object_get(json_object_get(env, "marking"), "to");
    if (ctx->calendar != NULL && json_array_size(to) > 0) {
        json_array_foreach(required, i, p)
        {
            if (!in_array(to, json_string_value(p))) {
                rc = isx_diag_set(d, ISX_EFIELD, "marking.to", "consult.to_missing",
                                  json_string_value(p));
                break;
            }
        }
    }
    json_decref(required);
    return rc;
}

int
isx_consult_admit_proposal(const json_t *state, const json_t *env,
                           const struct isx_consult_ctx *ctx, unsigned flags, struct isx_diag *d)
{
    const json_t *body = json_object_get(env, "body"), *c;
    const json_t *minutes = json_object_get(body, "minutes");
    const char *origin = str(env, "origin"), *kind = str(body, "kind");
    const char *venue = str(json_object_get(body, "venue"), "party");
    json_int_t round = json_integer_value(json_object_get(body, "round"));
    char arg[32];

    if ((c = isx_consult_find(state, str(env, "id"))) != NULL) {
        json_int_t was = json_integer_value(json_object_get(c, "round"));
        if (!is(origin, str(c, "proposer")))
            return isx_diag_set(d, ISX_EFORBIDDEN, "origin", "consult.not_proposer",
                                str(c, "proposer"));
        if (!is(kind, str(c, "kind")))
            return isx_diag_set(d, ISX_EFIELD, "body.kind", "consult.kind_fixed", str(c, "kind"));
        if (round == was) {
            const json_t *had = json_object_get(c, "minutes");
            if (json_is_null(had))
                had = NULL;
            if (!same_terms(body, c))
                return isx_diag_set(d, ISX_ECONFLICT, "body.round", "consult.terms_changed", NULL);
            if (had != NULL && (minutes == NULL || !json_equal((json_t *)had, (json_t *)minutes)))
                return isx_diag_set(d, ISX_ECONFLICT, "body.minutes", "consult.minutes_exist",
                                    NULL);
            if (had == NULL && minutes != NULL && (flags & ISX_CONSULT_STRICT)) {
                if (!settled(c))
                    return isx_diag_set(d, ISX_ECONFLICT, "body.minutes", "consult.not_decided",
                                        str(c, "state"));
                if (!minutes_consents_match(minutes, c))
                    return isx_diag_set(d, ISX_EFIELD, "body.minutes.consents",
                                        "consult.minutes_consents", NULL);
            }
            return 0;
        }
        if (round != was + 1) {
            snprintf(arg, sizeof(arg), "%lld", (long long)(was + 1));
            return isx_diag_set(d, ISX_ECONFLICT, "body.round", "consult.round", arg);
        }
        /* Once every party has consented the terms are agreed; changing them would need a
         * new consultation. */
        if (settled(c))
            return isx_diag_set(d, ISX_ECONFLICT, "body.round", "consult.decided", str(c, "id"));
    } else if (round != 1) {
        return isx_diag_set(d, ISX_EFIELD, "body.round", "consult.round", "1");
    }
    if (minutes != NULL)
        return isx_diag_set(d, ISX_EFIELD, "body.minutes", "consult.minutes_early", NULL);
    /* The depositary is not a party (Art. 11): it hosts regular consultations at the
     * Secretariat but proposes none of its own. */
    if (is(origin, ISX_DEPOSITARY) && !(is(kind, "regular") && is(venue, ISX_DEPOSITARY)))
        return isx_diag_set(d, ISX_EFORBIDDEN, "origin", "consult.proposer_not_party", origin);
    /* Art. 5.2: a regular consultation is at the Secretariat or on the territory of the party
     * that invites; a party cannot invite the others to a third party's territory. */
    if (is(kind, "regular") && !is(venue, origin) && !is(venue, ISX_DEPOSITARY))
        return isx_diag_set(d, ISX_EFIELD, "body.venue.party", "consult.venue_host", origin);
    if (flags & ISX_CONSULT_STRICT)
        return check_terms_strict(state, env, ctx, d);
    return 0;
}
