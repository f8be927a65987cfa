/*
 * isx agreement status|notify: the agreement's calendar (Art. 5.1, 11, 12) as the node
 * computes it from the notifications it holds, and the recording of a notification.
 *
 * Invariants: codes and dates the user types are checked here before anything is sent, so a
 * typo is refused in the user's language without a round trip; every label shown (statuses,
 * duties, their states, kinds) comes from the catalogue, and dates are shown as the API gives
 * them (YYYY-MM-DD, no time zone: the calendar counts whole days).
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "isx/agreement.h"

static const char *
str(const json_t *o, const char *k)
{
    return json_string_value(json_object_get(o, k));
}

/* A date field for a table cell: the date, or a dash when there is none. */
static const char *
date_or_dash(const json_t *o, const char *k)
{
    const char *s = str(o, k);

    return s != NULL ? s : "—";
}

/* The catalogue label "<group>.<value>", or the value itself when there is none. */
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
check_date(struct isx__cli *c, enum isx__cli_opt opt, const char *v)
{
    int64_t day;

    if (v != NULL && isx_agreement_parse_date(v, &day) != 0)
        return isx__cli_bad(c, opt, "agreement.date", v);
    return 0;
}

/* ---- status ------------------------------------------------------------------------------ */

static int
print_parties(struct isx__cli *c, const json_t *doc)
{
    static const char *const head[] = {"cli.col.party",
                                       "cli.col.status",
                                       "cli.agreement.col.signed",
                                       "cli.agreement.col.ratified",
                                       "cli.agreement.col.accession",
                                       "cli.agreement.col.bound_from",
                                       "cli.agreement.col.bound_until"};
    struct isx__cli_table t;
    const json_t *p;
    size_t i;
    int rc;

    if ((rc = isx__cli_table_init(c, &t, 7, head, NULL)) != 0)
        return rc;
    json_array_foreach(json_object_get(doc, "parties"), i, p)
    {
        struct isx_buf name = ISX_BUF_INIT;
        const json_t *periods = json_object_get(p, "periods");
        const json_t *last = json_array_get(periods, json_array_size(periods) - 1);
        isx__cli_party_label(c, str(p, "code"), &name);
        const char *cells[] = {name.data,
                               label(c, "agreement.status", str(p, "status")),
                               date_or_dash(p, "signed"),
                               date_or_dash(p, "ratified"),
                               date_or_dash(p, "accession_requested"),
                               last != NULL ? date_or_dash(last, "from") : "—",
                               last != NULL ? date_or_dash(last, "until") : "—"};
        rc = isx__cli_table_row(&t, cells);
        isx_buf_free(&name);
        if (rc != 0)
            break;
    }
    if (rc == 0)
        isx__cli_table_print(&t, stdout);
    isx__cli_table_free(&t);
    /* An accession without every consent never enters into force: say who is lacking. */
    json_array_foreach(json_object_get(doc, "parties"), i, p)
    {
        const json_t *missing = json_object_get(p, "missing_consents"), *m;
        struct isx_buf list = ISX_BUF_INIT;
        size_t j;
        if (json_array_size(missing) == 0)
            continue;
        json_array_foreach(missing, j, m)
        {
            isx_buf_printf(&list, "%s%s", j > 0 ? ", " : "", json_string_value(m));
        }
        isx__cli_say(c, "cli.agreement.missing_consents", str(p, "code"), list.data,
                     (const char *)NULL);
        isx_buf_free(&list);
    }
    return rc;
}

static int
print_duties(struct isx__cli *c, const json_t *doc)
{
    static const char *const head[] = {"cli.agreement.col.duty",  "cli.agreement.col.by",
                                       "cli.agreement.col.about", "cli.agreement.col.due",
                                       "cli.agreement.col.done",  "cli.col.status"};
    struct isx__cli_table t;
    const json_t *u;
    size_t i;
    int rc;

    if (json_array_size(json_object_get(doc, "duties")) == 0)
        return 0;
    printf("\n");
    if ((rc = isx__cli_table_init(c, &t, 6, head, NULL)) != 0)
        return rc;
    json_array_foreach(json_object_get(doc, "duties"), i, u)
    {
        const char *cells[] = {label(c, "agreement.duty", str(u, "duty")),
                               str(u, "by"),
                               str(u, "about"),
                               date_or_dash(u, "due"),
                               date_or_dash(u, "done"),
                               label(c, "agreement.duty_state", str(u, "state"))};
        if ((rc = isx__cli_table_row(&t, cells)) != 0)
            break;
    }
    if (rc == 0)
        isx__cli_table_print(&t, stdout);
    isx__cli_table_free(&t);
    return rc;
}

/* Notifications the calendar left out, with the reason in words, so they can be corrected. */
static int
print_skipped(struct isx__cli *c, const json_t *doc)
{
    static const char *const head[] = {"cli.col.id", "cli.col.origin", "cli.col.detail"};
    static const size_t max[] = {0, 0, 70};
    struct isx__cli_table t;
    const json_t *s;
    size_t i;
    int rc;

    if (json_array_size(json_object_get(doc, "skipped")) == 0)
        return 0;
    printf("\n");
    isx__cli_say(c, "cli.agreement.skipped", (const char *)NULL);
    if ((rc = isx__cli_table_init(c, &t, 3, head, max)) != 0)
        return rc;
    json_array_foreach(json_object_get(doc, "skipped"), i, s)
    {
        const char *cells[] = {str(s, "id"), str(s, "origin"),
                               str(s, "detail") != NULL ? str(s, "detail") : str(s, "key")};
        if ((rc = isx__cli_table_row(&t, cells)) != 0)
            break;
    }
    if (rc == 0)
        isx__cli_table_print(&t, stdout);
    isx__cli_table_free(&t);
    return rc;
}

int
isx__cli_agreement_status(struct isx__cli *c, const struct isx__cli_args *a)
{
    struct isx_buf path = ISX_BUF_INIT, raw = ISX_BUF_INIT, list = ISX_BUF_INIT;
    const char *at = NULL;
    json_t *doc = NULL, *p;
    size_t i;
    int rc;

    if ((rc = isx__cli_one(c, a, CLI_OPT_AT, &at)) != 0 ||
        (rc = check_date(c, CLI_OPT_AT, at)) != 0)
        return rc;
    if ((rc = isx_buf_puts(&path, "/api/v1/agreement")) != 0 ||
        (at != NULL && (rc = isx__cli_query(&path, "at", at)) != 0) ||
        (rc = isx__cli_api(c, "GET", path.data, NULL, NULL, &doc, &raw, NULL)) != 0)
        goto cleanup;
    if (c->json) {
        isx__cli_print_raw(&raw);
        goto cleanup;
    }
    isx__cli_say(c, "cli.agreement.at", str(doc, "at"), str(doc, "today"), (const char *)NULL);
    if (str(doc, "in_force") != NULL)
        isx__cli_say(c, "cli.agreement.in_force", str(doc, "in_force"),
                     str(doc, "fourth_ratification"), (const char *)NULL);
    else
        isx__cli_say(c, "cli.agreement.not_in_force", (const char *)NULL);
    json_array_foreach(json_object_get(doc, "bound"), i, p)
    {
        isx_buf_printf(&list, "%s%s", i > 0 ? ", " : "", json_string_value(p));
    }
    isx__cli_say(c, "cli.agreement.bound",
                 list.data != NULL ? list.data : isx_msg(c->lang, "cli.agreement.nobody"),
                 (const char *)NULL);
    if (json_is_true(json_object_get(doc, "bootstrap")))
        isx__cli_say(c, "cli.agreement.bootstrap", (const char *)NULL);
    printf("\n");
    if ((rc = print_parties(c, doc)) != 0 || (rc = print_duties(c, doc)) != 0)
        goto cleanup;
    rc = print_skipped(c, doc);
cleanup:
    json_decref(doc);
    isx_buf_free(&path);
    isx_buf_free(&raw);
    isx_buf_free(&list);
    return rc;
}

/* ---- notify ------------------------------------------------------------------------------ */

int
isx__cli_agreement_notify(struct isx__cli *c, const struct isx__cli_args *a)
{
    const char *kind = NULL, *party = NULL, *date = NULL, *state = NULL, *effective = NULL;
    const char *note = NULL, *lang = NULL, *text = NULL;
    char pcode[8], scode[8];
    struct isx_buf raw = ISX_BUF_INIT;
    json_t *body = NULL, *doc = NULL;
    int rc;

    if ((rc = isx__cli_one(c, a, CLI_OPT_KIND, &kind)) != 0 ||
        (rc = isx__cli_one(c, a, CLI_OPT_PARTY, &party)) != 0 ||
        (rc = isx__cli_one(c, a, CLI_OPT_DATE, &date)) != 0 ||
        (rc = isx__cli_one(c, a, CLI_OPT_STATE, &state)) != 0 ||
        (rc = isx__cli_one(c, a, CLI_OPT_AT, &effective)) != 0 ||
        (rc = isx__cli_one(c, a, CLI_OPT_NOTE, &note)) != 0)
        return rc;
    if (kind == NULL)
        return isx__cli_usage(c, "cli.err.missing_opt", "--kind");
    if (party == NULL)
        return isx__cli_usage(c, "cli.err.missing_opt", "--party");
    if (date == NULL)
        return isx__cli_usage(c, "cli.err.missing_opt", "--date");
    int known = 0;
    for (size_t i = 0; isx_agreement_kinds[i] != NULL; i++)
        known |= strcmp(isx_agreement_kinds[i], kind) == 0;
    if (!known)
        return isx__cli_bad(c, CLI_OPT_KIND, "agreement.kind", kind);
    if ((rc = isx__cli_party_code(c, "--party", party, pcode)) != 0 ||
        (state != NULL && (rc = isx__cli_party_code(c, "--state", state, scode)) != 0) ||
        (rc = check_date(c, CLI_OPT_DATE, date)) != 0 ||
        (rc = check_date(c, CLI_OPT_AT, effective)) != 0 ||
        (note != NULL && (rc = isx__cli_langtext(c, CLI_OPT_NOTE, note, &lang, &text)) != 0))
        return rc;
    body = json_pack("{s:s, s:s, s:s}", "kind", kind, "party", pcode, "date", date);
    if (body == NULL)
        return ISX_ENOMEM;
    if (state != NULL)
        json_object_set_new(body, "state", json_string(scode));
    if (effective != NULL)
        json_object_set_new(body, "effective", json_string(effective));
    if (text != NULL)
        json_object_set_new(body, "text", json_pack("{s:s}", lang, text));
    if ((rc = isx__cli_api(c, "POST", "/api/v1/notifications", NULL, body, &doc, &raw, NULL)) != 0)
        goto cleanup;
    if (c->json) {
        isx__cli_print_raw(&raw);
        goto cleanup;
    }
    isx__cli_say(c, "cli.agreement.recorded", label(c, "agreement.kind", kind), pcode, date,
                 str(doc, "id"), (const char *)NULL);
cleanup:
    json_decref(body);
    json_decref(doc);
    isx_buf_free(&raw);
    return rc;
}
