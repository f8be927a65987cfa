/*
 * isx ping start|status|history|ack: communication checks of the points of contact, over
 * /api/v1/pings. Figures come from the node as it computes them; this file only shows them:
 * rates as percentages with the counts beside them, times to answer as h:mm:ss, kinds and
 * states by their catalogue labels. One-time links are printed in full with the server's
 * address, for the operator to deliver to each contact (the node sends no mail). Text from
 * other nodes is cleaned before it reaches the terminal by the table printer.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "isx/object.h"
#include "isx/taxonomy.h"
#include "isx/timeutil.h"

#define PINGS_PATH "/api/v1/pings"

static const char *
str(const json_t *o, const char *name)
{
    return json_string_value(json_object_get(o, name));
}

/* ---- how figures look ---- */

/* "2/3" */
static const char *
counts(char *buf, size_t cap, const json_t *tally)
{
    snprintf(buf, cap, "%lld/%lld",
             (long long)json_integer_value(json_object_get(tally, "answered")),
             (long long)json_integer_value(json_object_get(tally, "total")));
    return buf;
}

/* "67%", or "-" when there was nobody to answer. */
static const char *
percent(char *buf, size_t cap, const json_t *tally)
{
    const json_t *r = json_object_get(tally, "rate");

    if (!json_is_number(r))
        return "-";
    snprintf(buf, cap, "%d%%", (int)(json_number_value(r) * 100.0 + 0.5));
    return buf;
}

/* "0:02:05" from milliseconds, or "-" when nobody answered. */
static const char *
duration(char *buf, size_t cap, const json_t *ms)
{
    long long s;

    if (!json_is_integer(ms))
        return "-";
    s = (long long)json_integer_value(ms) / 1000;
    snprintf(buf, cap, "%lld:%02lld:%02lld", s / 3600, (s / 60) % 60, s % 60);
    return buf;
}

/* "2026-11-21 09:30" */
static const char *
short_time(char *buf, size_t cap, const char *t)
{
    if (t == NULL || strlen(t) < 16 || t[10] != 'T')
        return t != NULL ? t : "";
    snprintf(buf, cap, "%.10s %.5s", t, t + 11);
    return buf;
}

static void
join_parties(const json_t *list, char *buf, size_t cap)
{
    size_t i, len = 0;
    json_t *p;

    buf[0] = '\0';
    json_array_foreach(list, i, p)
    {
        int n = snprintf(buf + len, cap - len, "%s%s", i ? "," : "", json_string_value(p));
        if (n < 0 || (size_t)n >= cap - len)
            break;
        len += (size_t)n;
    }
}

/* ---- ping start ---- */

static int
add_party(struct isx__cli *c, const char *item, void *arg)
{
    char code[8];
    int rc = isx__cli_party_code(c, "--party", item, code);
    return rc != 0 ? rc : isx__cli_append_unique(arg, code);
}

/* --deadline: hours ("48", "48h"), days ("2d"), or a UTC time or date. */
static int
deadline_value(struct isx__cli *c, const char *v, json_t *body)
{
    char *end;
    long n;
    int64_t ms;

    if (v[0] >= '0' && v[0] <= '9') {
        n = strtol(v, &end, 10);
        if ((*end == '\0' || strcmp(end, "h") == 0) && n >= 1 && n <= 720)
            return json_object_set_new(body, "deadline_hours", json_integer(n)) == 0 ? 0
                                                                                     : ISX_ENOMEM;
        if (strcmp(end, "d") == 0 && n >= 1 && n <= 30)
            return json_object_set_new(body, "deadline_hours", json_integer(n * 24)) == 0
                       ? 0
                       : ISX_ENOMEM;
    }
    char full[40];
    const char *t = v;
    if (strlen(v) == 10 && v[4] == '-' && v[7] == '-') {
        snprintf(full, sizeof(full), "%sT00:00:00.000Z", v);
        t = full;
    }
    if (isx_time_parse(t, &ms) != 0)
        return isx__cli_bad(c, CLI_OPT_DEADLINE, "cli.ping.deadline", v);
    char canon[ISX_TIME_LEN + 1];
    isx_time_format(ms, canon);
    return json_object_set_new(body, "deadline", json_string(canon)) == 0 ? 0 : ISX_ENOMEM;
}

int
isx__cli_ping_start(struct isx__cli *c, const struct isx__cli_args *a)
{
    struct isx_buf raw = ISX_BUF_INIT;
    json_t *body = json_object(), *parties = json_array(), *message = json_object(), *doc = NULL;
    const char *deadline = NULL, *v, *lang, *text;
    char n[24], who[512];
    size_t i = 0;
    int rc;

    if (body == NULL || parties == NULL || message == NULL) {
        rc = ISX_ENOMEM;
        goto cleanup;
    }
    if ((rc = isx__cli_each_item(c, a, CLI_OPT_PARTY, add_party, parties)) != 0 ||
        (rc = isx__cli_one(c, a, CLI_OPT_DEADLINE, &deadline)) != 0)
        goto cleanup;
    if (deadline != NULL && (rc = deadline_value(c, deadline, body)) != 0)
        goto cleanup;
    /* --message zh:文本 --message ru:текст: one text per language. */
    while ((v = isx__cli_next(a, CLI_OPT_MESSAGE, &i)) != NULL) {
        if ((rc = isx__cli_langtext(c, CLI_OPT_MESSAGE, v, &lang, &text)) != 0)
            goto cleanup;
        if (json_object_get(message, lang) != NULL) {
            rc = isx__cli_bad(c, CLI_OPT_MESSAGE, "cli.err.langtext_twice", lang);
            goto cleanup;
        }
        json_object_set_new(message, lang, json_string(text));
    }
    if (json_array_size(parties) > 0)
        json_object_set(body, "parties", parties);
    if (json_object_size(message) > 0)
        json_object_set(body, "message", message);
    if ((rc = isx__cli_api(c, "POST", PINGS_PATH, NULL, body, &doc, &raw, NULL)) != 0)
        goto cleanup;
    if (c->json) {
        isx__cli_print_raw(&raw);
        goto cleanup;
    }
    const json_t *b = json_object_get(doc, "body");
    snprintf(n, sizeof(n), "%zu", json_array_size(json_object_get(b, "pocs")));
    join_parties(json_object_get(b, "parties"), who, sizeof(who));
    isx__cli_say(c, "cli.ping.started", str(doc, "id"), n, who, str(b, "deadline"),
                 (const char *)NULL);
cleanup:
    json_decref(body);
    json_decref(parties);
    json_decref(message);
    json_decref(doc);
    isx_buf_free(&raw);
    return rc;
}

/* ---- ping status ---- */

static int
list_row(struct isx__cli *c, struct isx__cli_table *t, const json_t *r)
{
    char started[24], deadline[24], cnt[32], pct[16], med[32], who[512];

    join_parties(json_object_get(r, "parties"), who, sizeof(who));
    const char *cells[] = {str(r, "id"),
                           str(r, "origin"),
                           who,
                           short_time(started, sizeof(started), str(r, "started")),
                           short_time(deadline, sizeof(deadline), str(r, "deadline")),
                           isx__cli_label(c, "pingstate", str(r, "state")),
                           counts(cnt, sizeof(cnt), r),
                           percent(pct, sizeof(pct), r),
                           duration(med, sizeof(med), json_object_get(r, "median_ms"))};
    return isx__cli_table_row(t, cells);
}

static const char *const list_head[] = {"cli.col.id",       "cli.col.origin",   "cli.col.parties",
                                        "cli.col.started",  "cli.col.deadline", "cli.col.state",
                                        "cli.col.answered", "cli.col.rate",     "cli.col.median"};

static int
status_list(struct isx__cli *c)
{
    struct isx_buf raw = ISX_BUF_INIT;
    struct isx__cli_table t;
    json_t *doc = NULL, *r;
    size_t i;
    int rc;

    if ((rc = isx__cli_api(c, "GET", PINGS_PATH, NULL, NULL, &doc, &raw, NULL)) != 0)
        goto cleanup;
    if (c->json) {
        isx__cli_print_raw(&raw);
        goto cleanup;
    }
    if (json_array_size(json_object_get(doc, "items")) == 0) {
        isx__cli_say(c, "cli.ping.none", (const char *)NULL);
        goto cleanup;
    }
    if ((rc = isx__cli_table_init(c, &t, 9, list_head, NULL)) != 0)
        goto cleanup;
    json_array_foreach(json_object_get(doc, "items"), i, r)
    {
        list_row(c, &t, r);
    }
    isx__cli_table_print(&t, stdout);
    isx__cli_table_free(&t);
cleanup:
    json_decref(doc);
    isx_buf_free(&raw);
    return rc;
}

/* A table of tallies by kind or by party: NAME | ANSWERED | RATE | MEDIAN [| PINGS]. */
static int
tally_table(struct isx__cli *c, const json_t *groups, const char *title_key, const char *head0,
            const char *label_group, int with_pings)
{
    const char *head[] = {head0, "cli.col.answered", "cli.col.rate", "cli.col.median",
                          "cli.col.pings"};
    struct isx__cli_table t;
    const char *name;
    json_t *g;
    int rc;

    if (json_object_size(groups) == 0)
        return 0;
    printf("\n%s\n", isx_msg(c->lang, title_key));
    if ((rc = isx__cli_table_init(c, &t, with_pings ? 5 : 4, head, NULL)) != 0)
        return rc;
    json_object_foreach((json_t *)groups, name, g)
    {
        char cnt[32], pct[16], med[32], pings[24];
        snprintf(pings, sizeof(pings), "%lld",
                 (long long)json_integer_value(json_object_get(g, "pings")));
        const char *cells[] = {label_group != NULL ? isx__cli_label(c, label_group, name) : name,
                               counts(cnt, sizeof(cnt), g), percent(pct, sizeof(pct), g),
                               duration(med, sizeof(med), json_object_get(g, "median_ms")), pings};
        isx__cli_table_row(&t, cells);
    }
    isx__cli_table_print(&t, stdout);
    isx__cli_table_free(&t);
    return 0;
}

/* "api 2026-11-21 09:31 (0:01:05)" or the label of no answer. */
static const char *
answer_text(struct isx__cli *c, const json_t *r, char *buf, size_t cap)
{
    char at[24], after[32];

    if (!json_is_true(json_object_get(r, "answered")))
        return isx_msg(c->lang, "cli.ping.no_answer");
    snprintf(buf, cap, "%s %s (%s)", isx__cli_label(c, "how", str(r, "how")),
             short_time(at, sizeof(at), str(r, "at")),
             duration(after, sizeof(after), json_object_get(r, "after_ms")));
    return buf;
}

static int
show_contacts(struct isx__cli *c, const json_t *contacts)
{
    static const char *const head[] = {"cli.col.party", "cli.col.kind", "cli.col.id",
                                       "cli.col.person", "cli.col.answer"};
    static const size_t max[] = {0, 0, 0, 24, 0};
    struct isx__cli_table t;
    size_t i;
    json_t *r;
    int rc;

    if (json_array_size(contacts) == 0)
        return 0;
    printf("\n%s\n", isx_msg(c->lang, "cli.ping.contacts"));
    if ((rc = isx__cli_table_init(c, &t, 5, head, max)) != 0)
        return rc;
    json_array_foreach(contacts, i, r)
    {
        char ans[96];
        const char *cells[] = {str(r, "party"), isx__cli_label(c, "kind", str(r, "kind")),
                               str(r, "poc"), isx__cli_pick(json_object_get(r, "person"), c->lang),
                               answer_text(c, r, ans, sizeof(ans))};
        isx__cli_table_row(&t, cells);
    }
    isx__cli_table_print(&t, stdout);
    isx__cli_table_free(&t);
    return 0;
}

/* The links, each with the server's address, for the operator to pass on. */
static int
show_links(struct isx__cli *c, const json_t *links)
{
    static const char *const head[] = {"cli.col.id", "cli.col.person", "cli.col.link"};
    struct isx__cli_table t;
    size_t i;
    json_t *l;
    int rc;

    if (json_array_size(links) == 0)
        return 0;
    printf("\n%s\n", isx_msg(c->lang, "cli.ping.links"));
    if ((rc = isx__cli_table_init(c, &t, 3, head, NULL)) != 0)
        return rc;
    json_array_foreach(links, i, l)
    {
        struct isx_buf url = ISX_BUF_INIT;
        isx_buf_printf(&url, "%s%s", c->url, str(l, "path"));
        const char *cells[] = {str(l, "poc"), isx__cli_pick(json_object_get(l, "person"), c->lang),
                               url.data};
        isx__cli_table_row(&t, cells);
        isx_buf_free(&url);
    }
    isx__cli_table_print(&t, stdout);
    isx__cli_table_free(&t);
    return 0;
}

static int
status_one(struct isx__cli *c, const char *id)
{
    struct isx_buf path = ISX_BUF_INIT, raw = ISX_BUF_INIT;
    struct isx__cli_table t;
    json_t *doc = NULL;
    char who[512], cnt[32], pct[16], med[32], line[96];
    int rc;

    memset(&t, 0, sizeof(t));
    if (!isx_object_id_valid(id, "ping"))
        return isx__cli_fail(c, ISX_EINVAL, NULL, "cli.ping.id", id, 2);
    if ((rc = isx_buf_printf(&path, "%s/%s", PINGS_PATH, id)) != 0 ||
        (rc = isx__cli_api(c, "GET", path.data, NULL, NULL, &doc, &raw, NULL)) != 0)
        goto cleanup;
    if (c->json) {
        isx__cli_print_raw(&raw);
        goto cleanup;
    }
    const json_t *r = json_object_get(doc, "results");
    const json_t *body = json_object_get(json_object_get(doc, "object"), "body");
    if ((rc = isx__cli_kv_init(c, &t)) != 0)
        goto cleanup;
    join_parties(json_object_get(r, "parties"), who, sizeof(who));
    isx__cli_kv(c, &t, "cli.field.id", str(r, "id"));
    isx__cli_kv(c, &t, "cli.field.origin", str(r, "origin"));
    isx__cli_kv(c, &t, "cli.field.parties", who);
    isx__cli_kv(c, &t, "cli.field.state", isx__cli_label(c, "pingstate", str(r, "state")));
    isx__cli_kv(c, &t, "cli.field.started", str(r, "started"));
    isx__cli_kv(c, &t, "cli.field.deadline", str(r, "deadline"));
    if (str(r, "schedule") != NULL)
        isx__cli_kv(c, &t, "cli.field.schedule", str(r, "schedule"));
    isx__cli_kv_langmap(c, &t, "cli.field.message", json_object_get(body, "message"));
    snprintf(line, sizeof(line), "%s (%s)", counts(cnt, sizeof(cnt), r),
             percent(pct, sizeof(pct), r));
    isx__cli_kv(c, &t, "cli.field.answered", line);
    isx__cli_kv(c, &t, "cli.field.median",
                duration(med, sizeof(med), json_object_get(r, "median_ms")));
    isx__cli_table_print(&t, stdout);
    if ((rc = tally_table(c, json_object_get(r, "by_kind"), "cli.ping.by_kind", "cli.col.kind",
                          "kind", 0)) != 0 ||
        (rc = tally_table(c, json_object_get(r, "by_party"), "cli.ping.by_party", "cli.col.party",
                          NULL, 0)) != 0 ||
        (rc = show_contacts(c, json_object_get(r, "contacts"))) != 0)
        goto cleanup;
    rc = show_links(c, json_object_get(doc, "links"));
cleanup:
    isx__cli_table_free(&t);
    json_decref(doc);
    isx_buf_free(&path);
    isx_buf_free(&raw);
    return rc;
}

int
isx__cli_ping_status(struct isx__cli *c, const struct isx__cli_args *a)
{
    return a->npos == 0 ? status_list(c) : status_one(c, a->pos[0]);
}

/* ---- ping history ---- */

static int
show_unanswered(struct isx__cli *c, const json_t *items)
{
    static const char *const head[] = {"cli.col.id", "cli.col.person", "cli.col.party",
                                       "cli.col.kind", "cli.col.ping"};
    struct isx__cli_table t;
    size_t i;
    json_t *u;
    int rc;

    if (json_array_size(items) == 0) {
        printf("\n");
        isx__cli_say(c, "cli.ping.all_answered", (const char *)NULL);
        return 0;
    }
    printf("\n%s\n", isx_msg(c->lang, "cli.ping.unanswered"));
    if ((rc = isx__cli_table_init(c, &t, 5, head, NULL)) != 0)
        return rc;
    json_array_foreach(items, i, u)
    {
        const char *cells[] = {str(u, "poc"), isx__cli_pick(json_object_get(u, "person"), c->lang),
                               str(u, "party"), isx__cli_label(c, "kind", str(u, "kind")),
                               str(u, "ping")};
        isx__cli_table_row(&t, cells);
    }
    isx__cli_table_print(&t, stdout);
    isx__cli_table_free(&t);
    return 0;
}

int
isx__cli_ping_history(struct isx__cli *c, const struct isx__cli_args *a)
{
    struct isx_buf raw = ISX_BUF_INIT;
    struct isx__cli_table t;
    json_t *doc = NULL, *r;
    char cnt[32], pct[16], med[32], n[24];
    size_t i;
    int rc;

    (void)a;
    if ((rc = isx__cli_api(c, "GET", PINGS_PATH "/history", NULL, NULL, &doc, &raw, NULL)) != 0)
        goto cleanup;
    if (c->json) {
        isx__cli_print_raw(&raw);
        goto cleanup;
    }
    if (json_array_size(json_object_get(doc, "items")) == 0) {
        isx__cli_say(c, "cli.ping.none", (const char *)NULL);
        goto cleanup;
    }
    if ((rc = isx__cli_table_init(c, &t, 9, list_head, NULL)) != 0)
        goto cleanup;
    json_array_foreach(json_object_get(doc, "items"), i, r)
    {
        list_row(c, &t, r);
    }
    isx__cli_table_print(&t, stdout);
    isx__cli_table_free(&t);
    const json_t *closed = json_object_get(doc, "closed");
    snprintf(n, sizeof(n), "%lld", (long long)json_integer_value(json_object_get(closed, "pings")));
    printf("\n");
    isx__cli_say(c, "cli.ping.closed_summary", n, counts(cnt, sizeof(cnt), closed),
                 percent(pct, sizeof(pct), closed),
                 duration(med, sizeof(med), json_object_get(closed, "median_ms")),
                 (const char *)NULL);
    if ((rc = tally_table(c, json_object_get(doc, "by_party"), "cli.ping.by_party", "cli.col.party",
                          NULL, 1)) != 0 ||
        (rc = tally_table(c, json_object_get(doc, "by_kind"), "cli.ping.by_kind", "cli.col.kind",
                          "kind", 1)) != 0)
        goto cleanup;
    rc = show_unanswered(c, json_object_get(doc, "unanswered"));
cleanup:
    json_decref(doc);
    isx_buf_free(&raw);
    return rc;
}

/* ---- ping ack ---- */

int
isx__cli_ping_ack(struct isx__cli *c, const struct isx__cli_args *a)
{
    struct isx_buf path = ISX_BUF_INIT, raw = ISX_BUF_INIT;
    json_t *body = NULL, *doc = NULL;
    const char *poc = NULL;
    int rc;

    if (!isx_object_id_valid(a->pos[0], "ping"))
        return isx__cli_fail(c, ISX_EINVAL, NULL, "cli.ping.id", a->pos[0], 2);
    if ((rc = isx__cli_one(c, a, CLI_OPT_POC, &poc)) != 0)
        return rc;
    if (poc == NULL)
        return isx__cli_usage(c, "cli.ping.poc_needed", NULL);
    if (!isx_object_id_valid(poc, "poc"))
        return isx__cli_bad(c, CLI_OPT_POC, "cli.ping.poc", poc);
    body = json_pack("{s:s, s:s}", "poc", poc, "how", "cli");
    if (body == NULL)
        return ISX_ENOMEM;
    if ((rc = isx_buf_printf(&path, "%s/%s/ack", PINGS_PATH, a->pos[0])) != 0 ||
        (rc = isx__cli_api(c, "POST", path.data, NULL, body, &doc, &raw, NULL)) != 0)
        goto cleanup;
    if (c->json) {
        isx__cli_print_raw(&raw);
        goto cleanup;
    }
    isx__cli_say(c, "cli.ping.acked", a->pos[0], poc, str(json_object_get(doc, "body"), "at"),
                 (const char *)NULL);
cleanup:
    json_decref(body);
    json_decref(doc);
    isx_buf_free(&path);
    isx_buf_free(&raw);
    return rc;
}

/* ---- the directory's flag ---- */

const char *
isx__cli_ping_flag(struct isx__cli *c, const json_t *env)
{
    const json_t *last = json_object_get(env, "last_ping");

    if (last == NULL || json_is_true(json_object_get(last, "answered")))
        return NULL;
    return isx_msg(c->lang, "cli.ping.flag");
}
