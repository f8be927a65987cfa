/*
 * The directory verbs: `isx party|authority|poc add|list|show|update|retire`.
 *
 * One set of verbs serves the three resources; what differs (the API path, how options
 * become a body, the table columns, the detail view) is a row of `resources`. Options become
 * bodies in dirbody.c.
 *
 * Invariants: an update starts from the current version fetched from the node, changes only
 * what the options name, keeps the object's marking, and is sent with If-Match of the
 * version it was built on, so a concurrent change is refused instead of silently
 * overwritten. Lists print one page unless --all-pages is given, and then stop when the
 * cursor stops moving. Ids are printed in full; names may be cut to fit a terminal.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "isx/object.h"
#include "isx/taxonomy.h"

#define O(x) CLI_BIT(CLI_OPT_##x)

struct resource {
    const char *noun;
    const char *type;
    const char *path;
    isx__cli_optset body_opts; /* the options that change a body */
    int (*apply)(struct isx__cli *c, const struct isx__cli_args *a, json_t *body);
    int (*require)(struct isx__cli *c, const struct isx__cli_args *a);
    int (*show)(struct isx__cli *c, struct isx__cli_table *t, const json_t *body);
    size_t ncols;
    const char *const *head;
    const size_t *max;
    int (*row)(struct isx__cli *c, struct isx__cli_table *t, const json_t *env);
};

static const char *const days[] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun", NULL};

static int
bad_value(struct isx__cli *c, const char *field, const char *key, const char *arg)
{
    return isx__cli_fail(c, ISX_EINVAL, field, key, arg, 2);
}

/* ---- detail views ---- */

static const char *
str(const json_t *obj, const char *field)
{
    return json_string_value(json_object_get(obj, field));
}

static int
show_party_field(struct isx__cli *c, struct isx__cli_table *t, const json_t *body,
                 const char *field)
{
    struct isx_buf label = ISX_BUF_INIT;
    const char *code = str(body, field);
    int rc = 0;

    if (code != NULL && (rc = isx__cli_party_label(c, code, &label)) == 0)
        rc = isx__cli_kv(c, t, "cli.field.party", label.data);
    isx_buf_free(&label);
    return rc;
}

static int
party_show(struct isx__cli *c, struct isx__cli_table *t, const json_t *body)
{
    struct isx_buf line = ISX_BUF_INIT;
    const char *label = "cli.field.keys";
    size_t i;
    json_t *k;

    show_party_field(c, t, body, "code");
    isx__cli_kv_langmap(c, t, "cli.field.name", json_object_get(body, "name"));
    json_array_foreach(json_object_get(body, "keys"), i, k)
    {
        isx_buf_reset(&line);
        isx_buf_printf(&line, "%s %s %s", str(k, "key"), str(k, "suite"), str(k, "public"));
        isx__cli_kv(c, t, label, line.data);
        label = NULL;
    }
    isx__cli_kv(c, t, "cli.field.box_key", str(body, "box_key"));
    isx__cli_kv_langmap(c, t, "cli.field.note", json_object_get(body, "note"));
    isx_buf_free(&line);
    return 0;
}

static int
authority_show(struct isx__cli *c, struct isx__cli_table *t, const json_t *body)
{
    struct isx_buf line = ISX_BUF_INIT;
    const json_t *contact = json_object_get(body, "contact"), *d;
    const char *label = "cli.field.directions";
    size_t i;
    json_t *v;

    show_party_field(c, t, body, "party");
    isx__cli_kv_langmap(c, t, "cli.field.name", json_object_get(body, "name"));
    isx__cli_kv(c, t, "cli.field.category", isx__cli_label(c, "category", str(body, "category")));
    json_array_foreach(json_object_get(body, "directions"), i, v)
    {
        const char *code = json_string_value(v);
        d = isx_vocab_find(ISX_VOCAB_DIRECTIONS, code);
        isx_buf_reset(&line);
        isx_buf_printf(&line, "%s  %s", code,
                       d != NULL ? isx__cli_pick(json_object_get(d, "short"), c->lang) : "");
        isx__cli_kv(c, t, label, line.data);
        label = NULL;
    }
    isx__cli_kv(c, t, "cli.field.email", str(contact, "email"));
    isx__cli_kv(c, t, "cli.field.phone", str(contact, "phone"));
    isx__cli_kv(c, t, "cli.field.url", str(contact, "url"));
    isx__cli_kv_langmap(c, t, "cli.field.address", json_object_get(contact, "address"));
    isx__cli_kv_langmap(c, t, "cli.field.note", json_object_get(body, "note"));
    isx_buf_free(&line);
    return 0;
}

static int
day_index(const char *day)
{
    for (int i = 0; day != NULL && days[i] != NULL; i++) {
        if (strcmp(days[i], day) == 0)
            return i;
    }
    return -1;
}

/* "mon, tue, wed, thu, fri" reads better as "Mon–Fri": runs of three or more are joined. */
static void
days_text(struct isx__cli *c, const json_t *list, struct isx_buf *out)
{
    size_t n = json_array_size(list), i = 0;

    while (i < n) {
        const char *first = json_string_value(json_array_get(list, i));
        size_t j = i;
        while (j + 1 < n && day_index(first) >= 0 &&
               day_index(json_string_value(json_array_get(list, j + 1))) ==
                   day_index(json_string_value(json_array_get(list, j))) + 1)
            j++;
        if (out->len > 0)
            isx_buf_puts(out, isx_msg(c->lang, "cli.list_sep"));
        isx_buf_puts(out, isx__cli_label(c, "day", first));
        if (j - i >= 2) {
            isx_buf_puts(out, "\xe2\x80\x93");
            isx_buf_puts(out, isx__cli_label(c, "day", json_string_value(json_array_get(list, j))));
        } else {
            j = i;
        }
        i = j + 1;
    }
}

static int
hours_text(struct isx__cli *c, const json_t *hours, struct isx_buf *out)
{
    struct isx_buf list = ISX_BUF_INIT;
    int rc;

    if (json_is_true(json_object_get(hours, "always")))
        return isx__cli_fmt(c->lang, "cli.hours.always", out, str(hours, "tz"), (const char *)NULL);
    days_text(c, json_object_get(hours, "days"), &list);
    rc = isx__cli_fmt(c->lang, list.len > 0 ? "cli.hours.days" : "cli.hours.daily", out,
                      str(hours, "from"), str(hours, "to"), str(hours, "tz"),
                      list.data != NULL ? list.data : "", (const char *)NULL);
    isx_buf_free(&list);
    return rc;
}

static int
poc_show(struct isx__cli *c, struct isx__cli_table *t, const json_t *body)
{
    struct isx_buf line = ISX_BUF_INIT;
    const char *label = "cli.field.channels";
    const json_t *hours = json_object_get(body, "hours");
    size_t i;
    json_t *v;

    show_party_field(c, t, body, "party");
    isx__cli_kv(c, t, "cli.field.kind", isx__cli_label(c, "kind", str(body, "kind")));
    isx__cli_kv_langmap(c, t, "cli.field.person", json_object_get(body, "person"));
    isx__cli_kv_langmap(c, t, "cli.field.position", json_object_get(body, "position"));
    isx__cli_kv_langmap(c, t, "cli.field.organisation", json_object_get(body, "organisation"));
    isx__cli_kv(c, t, "cli.field.authority", str(body, "authority"));
    json_array_foreach(json_object_get(body, "channels"), i, v)
    {
        isx_buf_reset(&line);
        isx__cli_fmt(c->lang, "cli.channel_line", &line,
                     isx__cli_label(c, "channel", str(v, "type")), str(v, "value"),
                     (const char *)NULL);
        isx__cli_kv(c, t, label, line.data);
        label = NULL;
    }
    isx_buf_reset(&line);
    json_array_foreach(json_object_get(body, "languages"), i, v)
    {
        if (i > 0)
            isx_buf_puts(&line, ", ");
        isx_buf_puts(&line, json_string_value(v));
    }
    isx__cli_kv(c, t, "cli.field.languages", line.data);
    if (hours != NULL) {
        isx_buf_reset(&line);
        if (hours_text(c, hours, &line) == 0)
            isx__cli_kv(c, t, "cli.field.hours", line.data);
    }
    isx__cli_kv_langmap(c, t, "cli.field.note", json_object_get(body, "note"));
    isx_buf_free(&line);
    return 0;
}

/* ---- list rows ---- */

static const char *
status_of(const json_t *body)
{
    const char *s = str(body, "status");
    return s != NULL ? s : "active";
}

static int
party_row(struct isx__cli *c, struct isx__cli_table *t, const json_t *env)
{
    const json_t *body = json_object_get(env, "body");
    const char *cells[] = {
        str(body, "code"),
        isx__cli_pick(json_object_get(body, "name"), c->lang),
        isx__cli_label(c, "status", status_of(body)),
        str(json_array_get(json_object_get(body, "keys"), 0), "key"),
    };
    return isx__cli_table_row(t, cells);
}

/* Codes of a list, comma-separated, for one table cell. */
static void
join_codes(const json_t *list, struct isx_buf *out)
{
    size_t i;
    json_t *v;

    json_array_foreach(list, i, v)
    {
        isx_buf_printf(out, "%s%s", i > 0 ? "," : "", json_string_value(v));
    }
}

static int
authority_row(struct isx__cli *c, struct isx__cli_table *t, const json_t *env)
{
    const json_t *body = json_object_get(env, "body");
    struct isx_buf dirs = ISX_BUF_INIT;
    int rc;

    join_codes(json_object_get(body, "directions"), &dirs);
    const char *cells[] = {
        str(env, "id"),
        str(body, "party"),
        isx__cli_pick(json_object_get(body, "name"), c->lang),
        isx__cli_label(c, "category", str(body, "category")),
        dirs.data,
        isx__cli_label(c, "status", status_of(body)),
    };
    rc = isx__cli_table_row(t, cells);
    isx_buf_free(&dirs);
    return rc;
}

static int
poc_row(struct isx__cli *c, struct isx__cli_table *t, const json_t *env)
{
    const json_t *body = json_object_get(env, "body");
    struct isx_buf langs = ISX_BUF_INIT;
    int rc;

    join_codes(json_object_get(body, "languages"), &langs);
    /* A contact silent at its latest closed ping says so beside its status (issue 6). */
    const char *flag = isx__cli_ping_flag(c, env);
    char status[160];
    snprintf(status, sizeof(status), "%s%s%s", isx__cli_label(c, "status", status_of(body)),
             flag != NULL ? ", " : "", flag != NULL ? flag : "");
    const char *cells[] = {
        str(env, "id"),
        str(body, "party"),
        isx__cli_label(c, "kind", str(body, "kind")),
        isx__cli_pick(json_object_get(body, "person"), c->lang),
        isx__cli_pick(json_object_get(body, "organisation"), c->lang),
        langs.data,
        status,
    };
    rc = isx__cli_table_row(t, cells);
    isx_buf_free(&langs);
    return rc;
}

static const char *const party_head[] = {"cli.col.code", "cli.col.name", "cli.col.status",
                                         "cli.col.key"};
static const size_t party_max[] = {0, 48, 0, 0};
static const char *const authority_head[] = {"cli.col.id",         "cli.col.party",
                                             "cli.col.name",       "cli.col.category",
                                             "cli.col.directions", "cli.col.status"};
static const size_t authority_max[] = {0, 0, 40, 32, 0, 0};
static const char *const poc_head[] = {
    "cli.col.id",           "cli.col.party",     "cli.col.kind",  "cli.col.person",
    "cli.col.organisation", "cli.col.languages", "cli.col.status"};
static const size_t poc_max[] = {0, 0, 0, 24, 32, 12, 0};

static const struct resource resources[] = {
    {"party", "party", "/api/v1/parties", O(NAME) | O(NOTE), isx__cli_party_apply,
     isx__cli_party_require, party_show, 4, party_head, party_max, party_row},
    {"authority", "authority", "/api/v1/authorities",
     O(PARTY) | O(NAME) | O(DIRECTION) | O(CATEGORY) | O(EMAIL) | O(PHONE) | O(URL) | O(NOTE),
     isx__cli_authority_apply, isx__cli_authority_require, authority_show, 6, authority_head,
     authority_max, authority_row},
    {"poc", "poc", "/api/v1/pocs",
     O(PARTY) | O(KIND) | O(PERSON) | O(ORGANISATION) | O(POSITION) | O(AUTHORITY) | O(EMAIL) |
         O(PHONE) | O(HTTPS) | O(LANGUAGE) | O(TZ) | O(HOURS) | O(DAYS) | O(ALWAYS) | O(NOTE),
     isx__cli_poc_apply, isx__cli_poc_require, poc_show, 7, poc_head, poc_max, poc_row},
};

static const struct resource *
resource_of(struct isx__cli *c)
{
    for (size_t i = 0; i < sizeof(resources) / sizeof(resources[0]); i++) {
        if (strcmp(resources[i].noun, c->cmd->noun) == 0)
            return &resources[i];
    }
    return &resources[0];
}

static int
body_flags_given(const struct resource *r, const struct isx__cli_args *a)
{
    for (size_t i = 0; i < a->nopt; i++) {
        if (r->body_opts & CLI_BIT(a->opt[i]))
            return 1;
    }
    return 0;
}

/* "/api/v1/authorities/<id>" for the argument, after checking its shape. */
static int
item_path(struct isx__cli *c, const struct resource *r, const char *arg, struct isx_buf *out)
{
    char code[8], key[64];
    int rc;

    if (strcmp(r->type, "party") == 0) {
        if ((rc = isx__cli_party_code(c, NULL, arg, code)) != 0)
            return rc;
        return isx_buf_printf(out, "%s/%s", r->path, code);
    }
    if (!isx_object_id_valid(arg, r->type)) {
        snprintf(key, sizeof(key), "cli.err.id.%s", r->type);
        return bad_value(c, NULL, key, arg);
    }
    return isx_buf_printf(out, "%s/%s", r->path, arg);
}

/* The name people use for an entry: a party's code, else the object id. */
static const char *
display_id(const struct resource *r, const json_t *env)
{
    if (strcmp(r->type, "party") == 0)
        return str(json_object_get(env, "body"), "code");
    return str(env, "id");
}

/* Prints the answer to add, update or retire. */
static void
print_done(struct isx__cli *c, const struct resource *r, const char *key, const json_t *env,
           const struct isx_buf *raw)
{
    if (c->json)
        isx__cli_print_raw(raw);
    else
        isx__cli_say(c, key, display_id(r, env), str(env, "version"), (const char *)NULL);
}

/* Our party, for `add` without --party: the node only publishes its own party's entries. */
static int
own_party(struct isx__cli *c, json_t *body)
{
    json_t *info = NULL;
    int rc;

    if (json_object_get(body, "party") != NULL)
        return 0;
    if ((rc = isx__cli_api(c, "GET", "/api/v1/node", NULL, NULL, &info, NULL, NULL)) != 0)
        return rc;
    rc = json_object_set(body, "party", json_object_get(info, "party")) == 0 ? 0 : ISX_ENOMEM;
    json_decref(info);
    return rc;
}

int
isx__cli_dir_add(struct isx__cli *c, const struct isx__cli_args *a)
{
    const struct resource *r = resource_of(c);
    struct isx_buf raw = ISX_BUF_INIT;
    const char *file = NULL;
    json_t *body = NULL, *env = NULL;
    char code[8];
    int rc;

    if ((rc = isx__cli_one(c, a, CLI_OPT_FILE, &file)) != 0)
        return rc;
    if (file != NULL && body_flags_given(r, a))
        return isx__cli_usage(c, "cli.err.file_and_flags", NULL);
    if (file != NULL) {
        if ((rc = isx__cli_read_json(c, file, &body)) != 0)
            return rc;
    } else {
        if ((rc = r->require(c, a)) != 0)
            return rc;
        if ((body = json_object()) == NULL)
            return ISX_ENOMEM;
        if ((rc = r->apply(c, a, body)) != 0)
            goto cleanup;
    }
    if (strcmp(r->type, "party") == 0 && a->npos > 0) {
        const char *have = str(body, "code");
        if ((rc = isx__cli_party_code(c, NULL, a->pos[0], code)) != 0)
            goto cleanup;
        if (have != NULL && strcmp(have, code) != 0) {
            rc = bad_value(c, "code", "cli.err.code_mismatch", have);
            goto cleanup;
        }
        json_object_set_new(body, "code", json_string(code));
    } else if (strcmp(r->type, "party") != 0 && file == NULL && (rc = own_party(c, body)) != 0) {
        goto cleanup;
    }
    if ((rc = isx__cli_api(c, "POST", r->path, NULL, body, &env, &raw, NULL)) != 0)
        goto cleanup;
    print_done(c, r, "cli.done.created", env, &raw);
cleanup:
    json_decref(body);
    json_decref(env);
    isx_buf_free(&raw);
    return rc;
}

/*
 * The body to send for an update made from a file: a bare body, or a whole envelope as
 * `show --json` prints it, whose version then guards the update.
 */
static int
body_from_file(struct isx__cli *c, const char *file, const json_t *cur, json_t **body,
               const char **version, json_t **hold)
{
    json_t *doc = NULL, *b;
    int rc;

    if ((rc = isx__cli_read_json(c, file, &doc)) != 0)
        return rc;
    b = json_object_get(doc, "body");
    if (json_is_object(b) && json_is_string(json_object_get(doc, "version"))) {
        json_t *m = json_object_get(doc, "marking");
        json_incref(b);
        *version = str(doc, "version");
        if (m != NULL && json_object_get(b, "marking") == NULL)
            json_object_set(b, "marking", m);
        *body = b;
        *hold = doc;
        return 0;
    }
    *version = str(cur, "version");
    *body = doc;
    *hold = NULL;
    return 0;
}

int
isx__cli_dir_update(struct isx__cli *c, const struct isx__cli_args *a)
{
    const struct resource *r = resource_of(c);
    struct isx_buf path = ISX_BUF_INIT, raw = ISX_BUF_INIT, etag = ISX_BUF_INIT;
    const char *file = NULL, *version = NULL;
    json_t *cur = NULL, *body = NULL, *env = NULL, *hold = NULL;
    int rc;

    if ((rc = isx__cli_one(c, a, CLI_OPT_FILE, &file)) != 0)
        return rc;
    if (file != NULL && body_flags_given(r, a))
        return isx__cli_usage(c, "cli.err.file_and_flags", NULL);
    if (file == NULL && !body_flags_given(r, a))
        return isx__cli_usage(c, "cli.err.nothing_to_update", NULL);
    if ((rc = item_path(c, r, a->pos[0], &path)) != 0)
        goto cleanup;
    if ((rc = isx__cli_api(c, "GET", path.data, NULL, NULL, &cur, NULL, NULL)) != 0)
        goto cleanup;
    if (file != NULL) {
        if ((rc = body_from_file(c, file, cur, &body, &version, &hold)) != 0)
            goto cleanup;
    } else {
        version = str(cur, "version");
        if ((body = json_deep_copy(json_object_get(cur, "body"))) == NULL) {
            rc = ISX_ENOMEM;
            goto cleanup;
        }
        if ((rc = r->apply(c, a, body)) != 0)
            goto cleanup;
    }
    /* The status changes only through retire; an "active" copied from `show` is no change. */
    if (strcmp(str(body, "status") != NULL ? str(body, "status") : "", "active") == 0)
        json_object_del(body, "status");
    /* Without a marking the API would fall back to GREEN: keep the one the entry has. */
    if (json_object_get(body, "marking") == NULL && json_object_get(cur, "marking") != NULL)
        json_object_set(body, "marking", json_object_get(cur, "marking"));
    if ((rc = isx_buf_printf(&etag, "\"%s\"", version != NULL ? version : "")) != 0)
        goto cleanup;
    if ((rc = isx__cli_api(c, "PUT", path.data, etag.data, body, &env, &raw, NULL)) != 0)
        goto cleanup;
    print_done(c, r, "cli.done.updated", env, &raw);
cleanup:
    json_decref(cur);
    json_decref(body);
    json_decref(env);
    json_decref(hold);
    isx_buf_free(&path);
    isx_buf_free(&raw);
    isx_buf_free(&etag);
    return rc;
}

int
isx__cli_dir_retire(struct isx__cli *c, const struct isx__cli_args *a)
{
    const struct resource *r = resource_of(c);
    struct isx_buf path = ISX_BUF_INIT, raw = ISX_BUF_INIT;
    json_t *env = NULL;
    int rc;

    if ((rc = item_path(c, r, a->pos[0], &path)) != 0 || (rc = isx_buf_puts(&path, "/retire")) != 0)
        goto cleanup;
    if ((rc = isx__cli_api(c, "POST", path.data, NULL, NULL, &env, &raw, NULL)) != 0)
        goto cleanup;
    print_done(c, r, "cli.done.retired", env, &raw);
cleanup:
    json_decref(env);
    isx_buf_free(&path);
    isx_buf_free(&raw);
    return rc;
}

static int
show_marking(struct isx__cli *c, struct isx__cli_table *t, const json_t *m)
{
    struct isx_buf line = ISX_BUF_INIT;
    const char *tlp = str(m, "tlp");
    size_t i;
    json_t *v;
    int rc;

    if (tlp == NULL)
        return 0;
    isx_buf_printf(&line, "TLP:");
    for (const char *p = tlp; *p != '\0'; p++)
        isx_buf_putc(&line, (char)(*p >= 'a' && *p <= 'z' ? *p - 32 : *p));
    json_array_foreach(json_object_get(m, "to"), i, v)
    {
        isx_buf_printf(&line, "%s%s", i == 0 ? " → " : ", ", json_string_value(v));
    }
    json_array_foreach(json_object_get(m, "labels"), i, v)
    {
        isx_buf_printf(&line, "%s%s", i == 0 ? " | " : ", ", json_string_value(v));
    }
    rc = isx__cli_kv(c, t, "cli.field.marking", line.data);
    isx_buf_free(&line);
    return rc;
}

int
isx__cli_dir_show(struct isx__cli *c, const struct isx__cli_args *a)
{
    const struct resource *r = resource_of(c);
    struct isx_buf path = ISX_BUF_INIT, raw = ISX_BUF_INIT;
    struct isx__cli_table t;
    const char *version = NULL;
    json_t *env = NULL;
    int rc;

    if ((rc = isx__cli_one(c, a, CLI_OPT_VERSION, &version)) != 0 ||
        (rc = item_path(c, r, a->pos[0], &path)) != 0)
        goto cleanup;
    if (version != NULL && (rc = isx__cli_query(&path, "version", version)) != 0)
        goto cleanup;
    if ((rc = isx__cli_api(c, "GET", path.data, NULL, NULL, &env, &raw, NULL)) != 0)
        goto cleanup;
    if (c->json) {
        isx__cli_print_raw(&raw);
        goto cleanup;
    }
    if ((rc = isx__cli_kv_init(c, &t)) != 0)
        goto cleanup;
    const json_t *body = json_object_get(env, "body");
    isx__cli_kv(c, &t, "cli.field.id", str(env, "id"));
    if (body != NULL)
        r->show(c, &t, body);
    else
        isx__cli_kv(c, &t, "cli.field.body", isx_msg(c->lang, "cli.sealed"));
    isx__cli_kv(c, &t, "cli.field.status", isx__cli_label(c, "status", status_of(body)));
    if (isx__cli_ping_flag(c, env) != NULL) /* issue 6 */
        isx__cli_kv(c, &t, "cli.field.last_ping", str(json_object_get(env, "last_ping"), "id"));
    isx__cli_kv(c, &t, "cli.field.version", str(env, "version"));
    isx__cli_kv(c, &t, "cli.field.origin", str(env, "origin"));
    show_marking(c, &t, json_object_get(env, "marking"));
    isx__cli_table_print(&t, stdout);
    isx__cli_table_free(&t);
cleanup:
    json_decref(env);
    isx_buf_free(&path);
    isx_buf_free(&raw);
    return rc;
}

/* The list filters: which option becomes which query parameter, and how it is checked. */
static int
list_query(struct isx__cli *c, const struct resource *r, const struct isx__cli_args *a,
           struct isx_buf *path)
{
    const char *v = NULL;
    char code[8];
    int rc;

    if ((rc = isx__cli_one(c, a, CLI_OPT_PARTY, &v)) != 0)
        return rc;
    if (v != NULL && ((rc = isx__cli_party_code(c, "--party", v, code)) != 0 ||
                      (rc = isx__cli_query(path, "party", code)) != 0))
        return rc;
    if ((rc = isx__cli_one(c, a, CLI_OPT_DIRECTION, &v)) != 0)
        return rc;
    if (v != NULL && ((rc = isx__cli_direction_code(c, v, code)) != 0 ||
                      (rc = isx__cli_query(path, "direction", code)) != 0))
        return rc;
    if ((rc = isx__cli_one(c, a, CLI_OPT_CATEGORY, &v)) != 0)
        return rc;
    if (v != NULL && !isx__cli_category_valid(v))
        return bad_value(c, "--category", "cli.err.category", v);
    if (v != NULL && (rc = isx__cli_query(path, "category", v)) != 0)
        return rc;
    if ((rc = isx__cli_one(c, a, CLI_OPT_KIND, &v)) != 0)
        return rc;
    if (v != NULL && !isx__cli_kind_valid(v))
        return bad_value(c, "--kind", "cli.err.kind", v);
    if (v != NULL && (rc = isx__cli_query(path, "kind", v)) != 0)
        return rc;
    if ((rc = isx__cli_one(c, a, CLI_OPT_LANGUAGE, &v)) != 0)
        return rc;
    if (v != NULL && !isx_language_valid(v))
        return bad_value(c, "--language", "cli.err.language", v);
    if (v != NULL && (rc = isx__cli_query(path, "language", v)) != 0)
        return rc;
    if ((rc = isx__cli_one(c, a, CLI_OPT_AUTHORITY, &v)) != 0)
        return rc;
    if (v != NULL && !isx_object_id_valid(v, "authority"))
        return bad_value(c, "--authority", "cli.err.id.authority", v);
    if (v != NULL && (rc = isx__cli_query(path, "authority", v)) != 0)
        return rc;
    if ((rc = isx__cli_one(c, a, CLI_OPT_Q, &v)) != 0)
        return rc;
    if (v != NULL && (rc = isx__cli_query(path, "q", v)) != 0)
        return rc;
    if ((rc = isx__cli_one(c, a, CLI_OPT_LIMIT, &v)) != 0)
        return rc;
    if (v != NULL) {
        char *end;
        long n = strtol(v, &end, 10);
        if (v[0] < '0' || v[0] > '9' || *end != '\0' || n < 1 || n > 500)
            return bad_value(c, "--limit", "cli.err.limit", v);
        if ((rc = isx__cli_query(path, "limit", v)) != 0)
            return rc;
    }
    if (isx__cli_has(a, CLI_OPT_ALL) && (rc = isx__cli_query(path, "include_retired", "true")) != 0)
        return rc;
    (void)r;
    return 0;
}

int
isx__cli_dir_list(struct isx__cli *c, const struct isx__cli_args *a)
{
    const struct resource *r = resource_of(c);
    struct isx_buf base = ISX_BUF_INIT;
    struct isx__cli_table t;
    const char *cursor = NULL;
    int pages = isx__cli_has(a, CLI_OPT_ALL_PAGES), rc;

    memset(&t, 0, sizeof(t));
    if ((rc = isx_buf_puts(&base, r->path)) != 0 || (rc = list_query(c, r, a, &base)) != 0 ||
        (rc = isx__cli_one(c, a, CLI_OPT_CURSOR, &cursor)) != 0)
        goto cleanup;
    if ((rc = isx__cli_table_init(c, &t, r->ncols, r->head, r->max)) != 0) {
        goto cleanup;
    }
    rc = isx__cli_pages(c, base.data, cursor, pages, &t, r->row, "cli.list.empty");
cleanup:
    isx__cli_table_free(&t);
    isx_buf_free(&base);
    return rc;
}
