/*
 * isx consult list|show|propose|revise|consent|object|minutes: consultations under Art. 5.2,
 * over /api/v1/consultations.
 *
 * Invariants: ids, dates, party codes and kinds are checked here before anything is sent;
 * text the user types carries its language (a "zh:", "ru:" or "en:" prefix, else the language
 * of the command); in an agenda item, every word that is the id of a report or a request
 * becomes one of the item's references, so an item reads as the user wrote it and still
 * points at what it is about. Text from a node is cleaned before it reaches the terminal
 * (the table code does that).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "isx/agreement.h"
#include "isx/object.h"

#define PATH "/api/v1/consultations"

static const char *
str(const json_t *o, const char *k)
{
    return json_string_value(json_object_get(o, k));
}

static const char *
label(struct isx__cli *c, const char *group, const char *value)
{
    char key[96];
    const char *text;

    if (value == NULL)
        return "";
    snprintf(key, sizeof(key), "%s.%s", group, value);
    text = isx_msg(c->lang, key);
    return text == key ? value : text;
}

static int
check_id(struct isx__cli *c, const char *id)
{
    if (!isx_object_id_valid(id, "consultation"))
        return isx__cli_fail(c, ISX_EINVAL, NULL, "cli.err.id.consultation", id, 2);
    return 0;
}

static int
check_date(struct isx__cli *c, enum isx__cli_opt opt, const char *v)
{
    int64_t day;

    if (v != NULL && isx_agreement_parse_date(v, &day) != 0)
        return isx__cli_bad(c, opt, "agreement.date", v);
    return 0;
}

/* Text given as an argument: an optional "zh:"/"ru:"/"en:" prefix names its language. */
static int
positional_text(struct isx__cli *c, const char *arg, json_t **out)
{
    static const char *const known[] = {"zh", "ru", "en"};
    const char *lang = isx_lang_code(c->lang), *t = arg;

    if (arg[0] >= 'a' && arg[0] <= 'z' && arg[1] >= 'a' && arg[1] <= 'z' && arg[2] == ':') {
        lang = NULL;
        for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
            if (strncmp(arg, known[i], 2) == 0)
                lang = known[i];
        }
        if (lang == NULL)
            return isx__cli_usage(c, "cli.err.langtext_lang", arg);
        t = arg + 3;
    }
    while (*t == ' ')
        t++;
    if (*t == '\0')
        return isx__cli_usage(c, "cli.err.langtext_empty", arg);
    if ((*out = json_pack("{s:s}", lang, t)) == NULL)
        return ISX_ENOMEM;
    return 0;
}

/* An option's text as a language map. */
static int
option_text(struct isx__cli *c, enum isx__cli_opt opt, const char *v, json_t **out)
{
    const char *lang, *text;
    int rc;

    if ((rc = isx__cli_langtext(c, opt, v, &lang, &text)) != 0)
        return rc;
    if ((*out = json_pack("{s:s}", lang, text)) == NULL)
        return ISX_ENOMEM;
    return 0;
}

/* One agenda item from --agenda: its text, and the reports and requests it names. */
static int
agenda_item(struct isx__cli *c, const char *v, json_t **out)
{
    json_t *text = NULL, *refs = json_array(), *item;
    const char *p;
    int rc;

    if (refs == NULL)
        return ISX_ENOMEM;
    if ((rc = option_text(c, CLI_OPT_AGENDA, v, &text)) != 0) {
        json_decref(refs);
        return rc;
    }
    /* Ids are lower-case letters, digits and hyphens: look at each such run of the text. */
    for (p = v; *p != '\0';) {
        size_t n = strspn(p, "abcdefghijklmnopqrstuvwxyz0123456789-");
        if (n > 0 && n <= ISX_OBJECT_ID_MAX) {
            char id[ISX_OBJECT_ID_MAX + 1];
            memcpy(id, p, n);
            id[n] = '\0';
            if (isx_object_id_valid(id, "report") || isx_object_id_valid(id, "request"))
                isx__cli_append_unique(refs, id);
        }
        p += n > 0 ? n : 1;
    }
    item = json_array_size(refs) > 0 ? json_pack("{s:o, s:o}", "text", text, "refs", refs)
                                     : json_pack("{s:o}", "text", text);
    if (json_array_size(refs) == 0)
        json_decref(refs);
    if (item == NULL)
        return ISX_ENOMEM;
    *out = item;
    return 0;
}

/* Collects --to's party codes into a list. */
static int
add_to(struct isx__cli *c, const char *item, void *arg)
{
    char code[8];
    int rc;

    if ((rc = isx__cli_party_code(c, "--to", item, code)) != 0)
        return rc;
    return isx__cli_append_unique(arg, code);
}

/*
 * The terms given on the command line, applied to `body` (a new proposal or the current
 * terms). --date is the slot of a regular consultation, the first day of an extraordinary
 * one; --until its last day; --venue and --name where; each --agenda an item (together they
 * replace the agenda); --note a remark.
 */
static int
apply_terms(struct isx__cli *c, const struct isx__cli_args *a, const char *kind, json_t *body)
{
    const char *date = NULL, *until = NULL, *venue = NULL, *name = NULL, *note = NULL, *v;
    char code[8];
    size_t i = 0;
    int rc;

    if ((rc = isx__cli_one(c, a, CLI_OPT_DATE, &date)) != 0 ||
        (rc = isx__cli_one(c, a, CLI_OPT_UNTIL, &until)) != 0 ||
        (rc = isx__cli_one(c, a, CLI_OPT_VENUE, &venue)) != 0 ||
        (rc = isx__cli_one(c, a, CLI_OPT_NAME, &name)) != 0 ||
        (rc = isx__cli_one(c, a, CLI_OPT_NOTE, &note)) != 0 ||
        (rc = check_date(c, CLI_OPT_DATE, date)) != 0 ||
        (rc = check_date(c, CLI_OPT_UNTIL, until)) != 0)
        return rc;
    if (strcmp(kind, "regular") == 0 && date != NULL)
        json_object_set_new(body, "slot", json_string(date));
    if (date != NULL || until != NULL) {
        json_t *dates = json_object_get(body, "dates");
        const char *from = date;
        if (from == NULL)
            from = dates != NULL ? str(dates, "from") : str(body, "slot");
        if (from == NULL)
            return isx__cli_usage(c, "cli.err.missing_opt", "--date");
        /* A regular consultation on its slot's day needs no dates of its own. */
        if (strcmp(kind, "regular") != 0 || until != NULL || dates != NULL) {
            json_t *d = json_pack("{s:s}", "from", from);
            if (until != NULL || (dates != NULL && str(dates, "until") != NULL && date == NULL))
                json_object_set_new(d, "until",
                                    json_string(until != NULL ? until : str(dates, "until")));
            json_object_set_new(body, "dates", d);
        }
    }
    if (venue != NULL || name != NULL) {
        json_t *ven = json_deep_copy(json_object_get(body, "venue"));
        if (ven == NULL)
            ven = json_object();
        if (venue != NULL) {
            if ((rc = isx__cli_party_code(c, "--venue", venue, code)) != 0) {
                json_decref(ven);
                return rc;
            }
            json_object_set_new(ven, "party", json_string(code));
        }
        if (name != NULL) {
            json_t *place = NULL;
            if ((rc = option_text(c, CLI_OPT_NAME, name, &place)) != 0) {
                json_decref(ven);
                return rc;
            }
            json_object_set_new(ven, "place", place);
        }
        json_object_set_new(body, "venue", ven);
    }
    if (isx__cli_has(a, CLI_OPT_AGENDA)) {
        json_t *agenda = json_array();
        while ((v = isx__cli_next(a, CLI_OPT_AGENDA, &i)) != NULL) {
            json_t *item = NULL;
            if ((rc = agenda_item(c, v, &item)) != 0) {
                json_decref(agenda);
                return rc;
            }
            json_array_append_new(agenda, item);
        }
        json_object_set_new(body, "agenda", agenda);
    }
    if (note != NULL) {
        json_t *map = NULL;
        if ((rc = option_text(c, CLI_OPT_NOTE, note, &map)) != 0)
            return rc;
        json_object_set_new(body, "note", map);
    }
    return 0;
}

static int
say_state(struct isx__cli *c, const char *key, const json_t *doc)
{
    isx__cli_say(c, key, str(doc, "id"), label(c, "consult.state", str(doc, "state")),
                 (const char *)NULL);
    return 0;
}

int
isx__cli_consult_propose(struct isx__cli *c, const struct isx__cli_args *a)
{
    const char *kind = NULL, *tlp = NULL;
    struct isx_buf raw = ISX_BUF_INIT;
    json_t *body = NULL, *doc = NULL, *to = NULL;
    int rc;

    if ((rc = isx__cli_one(c, a, CLI_OPT_KIND, &kind)) != 0 ||
        (rc = isx__cli_one(c, a, CLI_OPT_TLP, &tlp)) != 0)
        return rc;
    if (kind == NULL)
        return isx__cli_usage(c, "cli.err.missing_opt", "--kind");
    if (strcmp(kind, "regular") != 0 && strcmp(kind, "extraordinary") != 0)
        return isx__cli_bad(c, CLI_OPT_KIND, "consult.kind", kind);
    if (!isx__cli_has(a, CLI_OPT_DATE))
        return isx__cli_usage(c, "cli.err.missing_opt", "--date");
    if (tlp != NULL && strcmp(tlp, "clear") != 0 && strcmp(tlp, "green") != 0 &&
        strcmp(tlp, "amber") != 0 && strcmp(tlp, "amber+strict") != 0 && strcmp(tlp, "red") != 0)
        return isx__cli_bad(c, CLI_OPT_TLP, "cli.err.tlp", tlp);
    if ((body = json_pack("{s:s}", "kind", kind)) == NULL || (to = json_array()) == NULL) {
        rc = ISX_ENOMEM;
        goto cleanup;
    }
    if ((rc = apply_terms(c, a, kind, body)) != 0 ||
        (rc = isx__cli_each_item(c, a, CLI_OPT_TO, add_to, to)) != 0)
        goto cleanup;
    /* Without --to and --tlp the node addresses it to the parties whose consent it needs. */
    if (tlp != NULL || json_array_size(to) > 0) {
        json_t *m = json_pack("{s:s}", "tlp", tlp != NULL ? tlp : "green");
        if (json_array_size(to) > 0)
            json_object_set(m, "to", to);
        json_object_set_new(body, "marking", m);
    }
    if ((rc = isx__cli_api(c, "POST", PATH, NULL, body, &doc, &raw, NULL)) != 0)
        goto cleanup;
    if (c->json)
        isx__cli_print_raw(&raw);
    else
        say_state(c, "cli.consult.proposed", doc);
cleanup:
    json_decref(body);
    json_decref(to);
    json_decref(doc);
    isx_buf_free(&raw);
    return rc;
}

int
isx__cli_consult_revise(struct isx__cli *c, const struct isx__cli_args *a)
{
    struct isx_buf path = ISX_BUF_INIT, raw = ISX_BUF_INIT;
    json_t *cur = NULL, *terms = NULL, *change = NULL, *doc = NULL;
    static const char *const fields[] = {"slot", "dates", "venue", "agenda", "note"};
    int rc;

    if ((rc = check_id(c, a->pos[0])) != 0)
        return rc;
    if (a->nopt == 0)
        return isx__cli_usage(c, "cli.consult.nothing_to_revise", NULL);
    if ((rc = isx_buf_printf(&path, "%s/%s", PATH, a->pos[0])) != 0 ||
        (rc = isx__cli_api(c, "GET", path.data, NULL, NULL, &cur, NULL, NULL)) != 0)
        goto cleanup;
    /* The current terms, changed by the options; only what changed is sent. */
    terms = json_object();
    change = json_object();
    for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
        json_t *v = json_object_get(cur, fields[i]);
        if (v != NULL && !json_is_null(v))
            json_object_set(terms, fields[i], v);
    }
    if ((rc = apply_terms(c, a, str(cur, "kind"), terms)) != 0)
        goto cleanup;
    for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
        json_t *now = json_object_get(terms, fields[i]), *was = json_object_get(cur, fields[i]);
        if (now != NULL && !json_equal(now, was))
            json_object_set(change, fields[i], now);
    }
    if (json_object_size(change) == 0) {
        rc = isx__cli_usage(c, "cli.consult.nothing_to_revise", NULL);
        goto cleanup;
    }
    if ((rc = isx__cli_api(c, "PUT", path.data, str(cur, "version"), change, &doc, &raw, NULL)) !=
        0)
        goto cleanup;
    if (c->json)
        isx__cli_print_raw(&raw);
    else
        say_state(c, "cli.consult.revised", doc);
cleanup:
    json_decref(cur);
    json_decref(terms);
    json_decref(change);
    json_decref(doc);
    isx_buf_free(&path);
    isx_buf_free(&raw);
    return rc;
}

/* Sends a decision on the consultation `id`: consent or object, with a reason or a note. */
static int
decide(struct isx__cli *c, const char *id, const char *decision, json_t *reason)
{
    struct isx_buf path = ISX_BUF_INIT, raw = ISX_BUF_INIT;
    json_t *body = json_pack("{s:s}", "decision", decision), *doc = NULL;
    int rc;

    if (body == NULL) {
        json_decref(reason);
        return ISX_ENOMEM;
    }
    if (reason != NULL)
        json_object_set_new(body, "reason", reason);
    if ((rc = isx_buf_printf(&path, "%s/%s/consents", PATH, id)) != 0 ||
        (rc = isx__cli_api(c, "POST", path.data, NULL, body, &doc, &raw, NULL)) != 0)
        goto cleanup;
    if (c->json)
        isx__cli_print_raw(&raw);
    else
        say_state(
            c, strcmp(decision, "consent") == 0 ? "cli.consult.consented" : "cli.consult.objected",
            doc);
cleanup:
    json_decref(body);
    json_decref(doc);
    isx_buf_free(&path);
    isx_buf_free(&raw);
    return rc;
}

int
isx__cli_consult_consent(struct isx__cli *c, const struct isx__cli_args *a)
{
    const char *note = NULL;
    json_t *reason = NULL;
    int rc;

    if ((rc = check_id(c, a->pos[0])) != 0 || (rc = isx__cli_one(c, a, CLI_OPT_NOTE, &note)) != 0 ||
        (note != NULL && (rc = option_text(c, CLI_OPT_NOTE, note, &reason)) != 0))
        return rc;
    return decide(c, a->pos[0], "consent", reason);
}

int
isx__cli_consult_object(struct isx__cli *c, const struct isx__cli_args *a)
{
    json_t *reason = NULL;
    int rc;

    /* Art. 5.2 has the parties agree the terms; an objection says why (the node insists too). */
    if ((rc = check_id(c, a->pos[0])) != 0 || (rc = positional_text(c, a->pos[1], &reason)) != 0)
        return rc;
    return decide(c, a->pos[0], "object", reason);
}

int
isx__cli_consult_minutes(struct isx__cli *c, const struct isx__cli_args *a)
{
    struct isx_buf path = ISX_BUF_INIT, raw = ISX_BUF_INIT;
    json_t *text = NULL, *body = NULL, *doc = NULL;
    int rc;

    if ((rc = check_id(c, a->pos[0])) != 0 || (rc = positional_text(c, a->pos[1], &text)) != 0)
        return rc;
    if ((body = json_pack("{s:o}", "text", text)) == NULL)
        return ISX_ENOMEM;
    if ((rc = isx_buf_printf(&path, "%s/%s/minutes", PATH, a->pos[0])) != 0 ||
        (rc = isx__cli_api(c, "POST", path.data, NULL, body, &doc, &raw, NULL)) != 0)
        goto cleanup;
    if (c->json)
        isx__cli_print_raw(&raw);
    else
        say_state(c, "cli.consult.minuted", doc);
cleanup:
    json_decref(body);
    json_decref(doc);
    isx_buf_free(&path);
    isx_buf_free(&raw);
    return rc;
}

/* ---- reading ----------------------------------------------------------------------------- */

/* "2027-03-10" or "2027-03-10 – 2027-03-11": the days it is held on. */
static void
days_of(const json_t *item, char *out, size_t cap)
{
    const json_t *dates = json_object_get(item, "dates");
    const char *from = str(dates, "from"), *until = str(dates, "until");

    if (from == NULL)
        from = str(item, "slot");
    if (until != NULL && strcmp(until, from != NULL ? from : "") != 0)
        snprintf(out, cap, "%s – %s", from != NULL ? from : "", until);
    else
        snprintf(out, cap, "%s", from != NULL ? from : "");
}

/* "CN (China)" and, when named, the place. */
static void
venue_of(struct isx__cli *c, const json_t *venue, struct isx_buf *out)
{
    const char *place = isx__cli_pick(json_object_get(venue, "place"), c->lang);

    isx__cli_party_label(c, str(venue, "party"), out);
    if (place != NULL)
        isx_buf_printf(out, ", %s", place);
}

static void
join_codes(const json_t *arr, struct isx_buf *out)
{
    size_t i;
    json_t *v;

    json_array_foreach(arr, i, v)
    {
        isx_buf_printf(out, "%s%s", i > 0 ? ", " : "", json_string_value(v));
    }
}

static int
print_schedule(struct isx__cli *c, const json_t *doc)
{
    static const char *const head[] = {"cli.consult.col.slot", "cli.consult.col.venue",
                                       "cli.col.id", "cli.col.status"};
    struct isx__cli_table t;
    const json_t *s;
    size_t i;
    int rc;

    printf("\n");
    if (str(doc, "first") == NULL) {
        isx__cli_say(c, "cli.consult.no_rhythm", (const char *)NULL);
        return 0;
    }
    isx__cli_say(c, "cli.consult.rhythm", str(doc, "first"), (const char *)NULL);
    if ((rc = isx__cli_table_init(c, &t, 4, head, NULL)) != 0)
        return rc;
    json_array_foreach(json_object_get(doc, "schedule"), i, s)
    {
        struct isx_buf venue = ISX_BUF_INIT;
        venue_of(c, json_object_get(s, "venue"), &venue);
        const char *cells[] = {str(s, "slot"), venue.data, str(s, "consultation"),
                               str(s, "state") != NULL ? label(c, "consult.state", str(s, "state"))
                                                       : isx_msg(c->lang, "cli.consult.open")};
        rc = isx__cli_table_row(&t, cells);
        isx_buf_free(&venue);
        if (rc != 0)
            break;
    }
    if (rc == 0)
        isx__cli_table_print(&t, stdout);
    isx__cli_table_free(&t);
    return rc;
}

int
isx__cli_consult_list(struct isx__cli *c, const struct isx__cli_args *a)
{
    static const char *const head[] = {
        "cli.col.id",     "cli.col.kind",   "cli.consult.col.dates",  "cli.consult.col.venue",
        "cli.col.origin", "cli.col.status", "cli.consult.col.missing"};
    static const size_t max[] = {0, 0, 0, 40, 0, 0, 0};
    struct isx_buf path = ISX_BUF_INIT, raw = ISX_BUF_INIT;
    struct isx__cli_table t;
    const char *limit = NULL;
    json_t *doc = NULL, *it;
    size_t i;
    int rc;

    memset(&t, 0, sizeof(t));
    if ((rc = isx__cli_one(c, a, CLI_OPT_LIMIT, &limit)) != 0)
        return rc;
    if (limit != NULL && (strspn(limit, "0123456789") != strlen(limit) || strlen(limit) == 0 ||
                          strlen(limit) > 2 || atoi(limit) > 40))
        return isx__cli_bad(c, CLI_OPT_LIMIT, "cli.consult.limit", limit);
    if ((rc = isx_buf_puts(&path, PATH)) != 0 ||
        (limit != NULL && (rc = isx__cli_query(&path, "upcoming", limit)) != 0) ||
        (rc = isx__cli_api(c, "GET", path.data, NULL, NULL, &doc, &raw, NULL)) != 0)
        goto cleanup;
    if (c->json) {
        isx__cli_print_raw(&raw);
        goto cleanup;
    }
    if (json_array_size(json_object_get(doc, "items")) == 0) {
        isx__cli_say(c, "cli.consult.none", (const char *)NULL);
    } else {
        if ((rc = isx__cli_table_init(c, &t, 7, head, max)) != 0)
            goto cleanup;
        json_array_foreach(json_object_get(doc, "items"), i, it)
        {
            struct isx_buf venue = ISX_BUF_INIT, missing = ISX_BUF_INIT;
            char days[64];
            days_of(it, days, sizeof(days));
            venue_of(c, json_object_get(it, "venue"), &venue);
            join_codes(json_object_get(it, "missing"), &missing);
            const char *cells[] = {str(it, "id"),
                                   label(c, "consult.kind", str(it, "kind")),
                                   days,
                                   venue.data,
                                   str(it, "proposer"),
                                   label(c, "consult.state", str(it, "state")),
                                   missing.data};
            rc = isx__cli_table_row(&t, cells);
            isx_buf_free(&venue);
            isx_buf_free(&missing);
            if (rc != 0)
                goto cleanup;
        }
        isx__cli_table_print(&t, stdout);
    }
    rc = print_schedule(c, doc);
cleanup:
    isx__cli_table_free(&t);
    json_decref(doc);
    isx_buf_free(&path);
    isx_buf_free(&raw);
    return rc;
}

static int
print_consents(struct isx__cli *c, const json_t *item)
{
    static const char *const head[] = {"cli.col.party",           "cli.consult.col.decision",
                                       "cli.consult.col.round",   "cli.col.at",
                                       "cli.consult.col.counted", "cli.col.detail"};
    static const size_t max[] = {0, 0, 0, 0, 0, 60};
    struct isx__cli_table t;
    const json_t *o;
    size_t i;
    int rc;

    if (json_array_size(json_object_get(item, "consents")) == 0)
        return 0;
    printf("\n");
    if ((rc = isx__cli_table_init(c, &t, 6, head, max)) != 0)
        return rc;
    json_array_foreach(json_object_get(item, "consents"), i, o)
    {
        char round[24];
        struct isx_buf why = ISX_BUF_INIT;
        const char *key = str(o, "key");
        snprintf(round, sizeof(round), "%lld",
                 (long long)json_integer_value(json_object_get(o, "round")));
        /* An objection's reason; for a consent that does not count, why it does not. */
        if (key != NULL)
            isx__cli_fmt(c->lang, key, &why, str(o, "party"), (const char *)NULL);
        const char *cells[] = {str(o, "party"),
                               label(c, "consult.decision", str(o, "decision")),
                               round,
                               str(o, "version"),
                               isx_msg(c->lang, json_is_true(json_object_get(o, "counted"))
                                                    ? "cli.consult.counted_yes"
                                                    : "cli.consult.counted_no"),
                               key != NULL ? why.data
                                           : isx__cli_pick(json_object_get(o, "reason"), c->lang)};
        rc = isx__cli_table_row(&t, cells);
        isx_buf_free(&why);
        if (rc != 0)
            break;
    }
    if (rc == 0)
        isx__cli_table_print(&t, stdout);
    isx__cli_table_free(&t);
    return rc;
}

int
isx__cli_consult_show(struct isx__cli *c, const struct isx__cli_args *a)
{
    struct isx_buf path = ISX_BUF_INIT, raw = ISX_BUF_INIT, line = ISX_BUF_INIT;
    struct isx__cli_table t;
    json_t *doc = NULL;
    const json_t *v;
    char days[64], round[24];
    size_t i;
    int rc;

    memset(&t, 0, sizeof(t));
    if ((rc = check_id(c, a->pos[0])) != 0)
        return rc;
    if ((rc = isx_buf_printf(&path, "%s/%s", PATH, a->pos[0])) != 0 ||
        (rc = isx__cli_api(c, "GET", path.data, NULL, NULL, &doc, &raw, NULL)) != 0)
        goto cleanup;
    if (c->json) {
        isx__cli_print_raw(&raw);
        goto cleanup;
    }
    if ((rc = isx__cli_kv_init(c, &t)) != 0)
        goto cleanup;
    days_of(doc, days, sizeof(days));
    snprintf(round, sizeof(round), "%lld",
             (long long)json_integer_value(json_object_get(doc, "round")));
    isx__cli_kv(c, &t, "cli.field.id", str(doc, "id"));
    isx__cli_kv(c, &t, "cli.field.kind", label(c, "consult.kind", str(doc, "kind")));
    isx__cli_kv(c, &t, "cli.consult.field.slot", str(doc, "slot"));
    isx__cli_kv(c, &t, "cli.consult.field.dates", days);
    venue_of(c, json_object_get(doc, "venue"), &line);
    isx__cli_kv(c, &t, "cli.consult.field.venue", line.data);
    isx_buf_reset(&line);
    isx__cli_party_label(c, str(doc, "proposer"), &line);
    isx__cli_kv(c, &t, "cli.consult.field.proposer", line.data);
    isx__cli_kv(c, &t, "cli.field.status", label(c, "consult.state", str(doc, "state")));
    isx__cli_kv(c, &t, "cli.consult.field.round", round);
    isx_buf_reset(&line);
    join_codes(json_object_get(doc, "required"), &line);
    isx__cli_kv(c, &t, "cli.consult.field.required", line.data);
    isx_buf_reset(&line);
    join_codes(json_object_get(doc, "consented"), &line);
    isx__cli_kv(c, &t, "cli.consult.field.consented", line.data);
    isx_buf_reset(&line);
    join_codes(json_object_get(doc, "missing"), &line);
    isx__cli_kv(c, &t, "cli.consult.field.missing", line.data);
    json_array_foreach(json_object_get(doc, "agenda"), i, v)
    {
        const json_t *refs = json_object_get(v, "refs");
        isx_buf_reset(&line);
        isx_buf_printf(&line, "%zu. %s", i + 1, isx__cli_pick(json_object_get(v, "text"), c->lang));
        isx__cli_kv(c, &t, i == 0 ? "cli.consult.field.agenda" : NULL, line.data);
        if (json_array_size(refs) > 0) {
            isx_buf_reset(&line);
            isx_buf_puts(&line, "   → ");
            join_codes(refs, &line);
            isx__cli_kv(c, &t, NULL, line.data);
        }
    }
    isx__cli_kv_langmap(c, &t, "cli.field.note", json_object_get(doc, "note"));
    isx__cli_kv_langmap(c, &t, "cli.consult.field.minutes",
                        json_object_get(json_object_get(doc, "minutes"), "text"));
    isx__cli_kv(c, &t, "cli.field.version", str(doc, "version"));
    isx__cli_table_print(&t, stdout);
    rc = print_consents(c, doc);
cleanup:
    isx__cli_table_free(&t);
    json_decref(doc);
    isx_buf_free(&path);
    isx_buf_free(&raw);
    isx_buf_free(&line);
    return rc;
}
