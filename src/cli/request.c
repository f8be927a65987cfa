/*
 * isx request open|list|show|ack|progress|reply|decline|close|withdraw|comment: requests
 * between parties and their threads (Art. 3.2, 3.6, 3.9, 3.11) over /api/v1/requests.
 *
 * Invariants: codes the user types (party, kind, urgency, state, TLP, times) are checked here
 * before anything is sent, so a typo is refused in the user's language without a round trip;
 * whether a step is allowed is decided by the node (the same fold as the other side's door),
 * and its refusal is printed as the node words it. A file given with --attach is sent as a
 * `document` first and the step refers to it, so a step is never sent with an attachment
 * missing. Text from a node is cleaned before it reaches the terminal; attachments are
 * written only where --out says, never over an existing file.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "cli.h"
#include "isx/document.h"
#include "isx/hash.h"
#include "isx/marking.h"
#include "isx/object.h"
#include "isx/request.h"
#include "isx/taxonomy.h"
#include "isx/timeutil.h"

#define REQUESTS_PATH "/api/v1/requests"
#define SUBJECT_COLS  40

static const char *
str(const json_t *obj, const char *field)
{
    return json_string_value(json_object_get(obj, field));
}

static int
one_of(const char *v, const char *const *values)
{
    for (; v != NULL && *values != NULL; values++) {
        if (strcmp(v, *values) == 0)
            return 1;
    }
    return 0;
}

/* The texts of a repeated LANG:TEXT option as a language map (empty when none was given). */
static int
langmap(struct isx__cli *c, const struct isx__cli_args *a, enum isx__cli_opt opt, json_t *map)
{
    const char *v, *lang, *text;
    size_t i = 0;
    json_t *s;
    int rc;

    while ((v = isx__cli_next(a, opt, &i)) != NULL) {
        if ((rc = isx__cli_langtext(c, opt, v, &lang, &text)) != 0)
            return rc;
        if (json_object_get(map, lang) != NULL)
            return isx__cli_bad(c, opt, "cli.err.langtext_twice", lang);
        if ((s = json_string(text)) == NULL)
            return isx__cli_bad(c, opt, "cli.err.encoding", NULL);
        if (json_object_set_new(map, lang, s) != 0)
            return ISX_ENOMEM;
    }
    return 0;
}

/* A time typed by the user, sent in the canonical form. */
static int
time_opt(struct isx__cli *c, const struct isx__cli_args *a, enum isx__cli_opt opt, json_t *body,
         const char *field)
{
    char canon[ISX_TIME_LEN + 1];
    const char *v = NULL;
    int64_t ms;
    int rc;

    if ((rc = isx__cli_one(c, a, opt, &v)) != 0 || v == NULL)
        return rc;
    if (isx_time_parse(v, &ms) != 0)
        return isx__cli_bad(c, opt, "cli.request.time", v);
    isx_time_format(ms, canon);
    return json_object_set_new(body, field, json_string(canon)) == 0 ? 0 : ISX_ENOMEM;
}

static int
request_id(struct isx__cli *c, const char *id)
{
    if (!isx_object_id_valid(id, "request"))
        return isx__cli_fail(c, ISX_EINVAL, NULL, "cli.request.id", id, 2);
    return 0;
}

/* ---- open ---- */

/* The marking: the TLP (AMBER unless told), the labels, and the addressed party alone. */
static int
marking_of(struct isx__cli *c, const struct isx__cli_args *a, const char *to, json_t **out)
{
    const char *tlp = NULL, *v;
    enum isx_tlp level;
    json_t *m, *labels;
    size_t i = 0;
    int rc;

    if ((rc = isx__cli_one(c, a, CLI_OPT_TLP, &tlp)) != 0)
        return rc;
    if (tlp != NULL && isx_tlp_parse(tlp, &level) != 0)
        return isx__cli_bad(c, CLI_OPT_TLP, "cli.err.tlp", tlp);
    if ((m = json_pack("{s:s, s:[s]}", "tlp", tlp != NULL ? tlp : "amber", "to", to)) == NULL)
        return ISX_ENOMEM;
    if (isx__cli_has(a, CLI_OPT_LABEL)) {
        labels = json_array();
        json_object_set_new(m, "labels", labels);
        while ((v = isx__cli_next(a, CLI_OPT_LABEL, &i)) != NULL)
            isx__cli_append_unique(labels, v);
    }
    *out = m;
    return 0;
}

int
isx__cli_request_open(struct isx__cli *c, const struct isx__cli_args *a)
{
    const char *to = NULL, *kind = NULL, *urgency = NULL;
    json_t *body = NULL, *subject = json_object(), *text = json_object(), *reports = json_array();
    json_t *marking = NULL, *doc = NULL;
    struct isx_buf raw = ISX_BUF_INIT;
    char party[8];
    int rc;

    if (subject == NULL || text == NULL || reports == NULL) {
        rc = ISX_ENOMEM;
        goto cleanup;
    }
    if ((rc = isx__cli_one(c, a, CLI_OPT_TO, &to)) != 0 ||
        (rc = isx__cli_one(c, a, CLI_OPT_KIND, &kind)) != 0 ||
        (rc = isx__cli_one(c, a, CLI_OPT_URGENCY, &urgency)) != 0)
        goto cleanup;
    if (to == NULL || kind == NULL || !isx__cli_has(a, CLI_OPT_SUBJECT)) {
        rc = isx__cli_usage(c, "cli.request.open_needs", NULL);
        goto cleanup;
    }
    if ((rc = isx__cli_party_code(c, "--to", to, party)) != 0)
        goto cleanup;
    if (!one_of(kind, isx_request_kinds)) {
        rc = isx__cli_bad(c, CLI_OPT_KIND, "cli.request.kind_code", kind);
        goto cleanup;
    }
    if (urgency != NULL && !one_of(urgency, isx_request_urgencies)) {
        rc = isx__cli_bad(c, CLI_OPT_URGENCY, "cli.request.urgency_code", urgency);
        goto cleanup;
    }
    for (size_t i = 0; i < a->npos; i++) {
        if (!isx_object_id_valid(a->pos[i], "report")) {
            rc = isx__cli_fail(c, ISX_EINVAL, NULL, "cli.err.id.report", a->pos[i], 2);
            goto cleanup;
        }
        isx__cli_append_unique(reports, a->pos[i]);
    }
    if ((rc = langmap(c, a, CLI_OPT_SUBJECT, subject)) != 0 ||
        (rc = langmap(c, a, CLI_OPT_NOTE, text)) != 0 ||
        (rc = marking_of(c, a, party, &marking)) != 0)
        goto cleanup;
    body = json_pack("{s:s, s:s, s:O, s:O}", "to", party, "kind", kind, "subject", subject,
                     "marking", marking);
    if (body == NULL) {
        rc = ISX_ENOMEM;
        goto cleanup;
    }
    if (json_object_size(text) > 0)
        json_object_set(body, "text", text);
    if (json_array_size(reports) > 0)
        json_object_set(body, "reports", reports);
    if (urgency != NULL)
        json_object_set_new(body, "urgency", json_string(urgency));
    if ((rc = time_opt(c, a, CLI_OPT_ACK_BY, body, "ack_by")) != 0 ||
        (rc = time_opt(c, a, CLI_OPT_ANSWER_BY, body, "answer_by")) != 0)
        goto cleanup;
    if ((rc = isx__cli_api(c, "POST", REQUESTS_PATH, NULL, body, &doc, &raw, NULL)) != 0)
        goto cleanup;
    if (c->json) {
        isx__cli_print_raw(&raw);
        goto cleanup;
    }
    const json_t *st = json_object_get(doc, "status");
    isx__cli_say(c, "cli.request.opened", str(st, "id"), str(st, "to"), str(st, "ack_by"),
                 str(st, "answer_by"), (const char *)NULL);
cleanup:
    json_decref(body);
    json_decref(subject);
    json_decref(text);
    json_decref(reports);
    json_decref(marking);
    json_decref(doc);
    isx_buf_free(&raw);
    return rc;
}

/* ---- list ---- */

/* "ack", "answer", both or nothing: what is late, in words. */
static void
overdue_text(struct isx__cli *c, const json_t *st, struct isx_buf *out)
{
    const json_t *o = json_object_get(st, "overdue");

    if (json_is_true(json_object_get(o, "ack")))
        isx_buf_puts(out, isx_msg(c->lang, "cli.request.overdue.ack"));
    if (json_is_true(json_object_get(o, "answer"))) {
        if (out->len > 0)
            isx_buf_puts(out, isx_msg(c->lang, "cli.list_sep"));
        isx_buf_puts(out, isx_msg(c->lang, "cli.request.overdue.answer"));
    }
}

int
isx__cli_request_list(struct isx__cli *c, const struct isx__cli_args *a)
{
    static const char *const head[] = {"cli.col.id",
                                       "cli.request.col.from",
                                       "cli.request.col.to",
                                       "cli.col.kind",
                                       "cli.request.col.urgency",
                                       "cli.request.col.state",
                                       "cli.request.col.answer_by",
                                       "cli.request.col.overdue",
                                       "cli.request.col.subject"};
    static const size_t max[] = {0, 0, 0, 0, 0, 0, 0, 0, SUBJECT_COLS};
    struct isx_buf path = ISX_BUF_INIT, raw = ISX_BUF_INIT, late = ISX_BUF_INIT;
    const char *state = NULL, *kind = NULL, *party = NULL, *urgency = NULL;
    struct isx__cli_table t;
    json_t *doc = NULL, *st;
    char code[8];
    size_t i;
    int rc;

    memset(&t, 0, sizeof(t));
    if ((rc = isx__cli_one(c, a, CLI_OPT_STATUS, &state)) != 0 ||
        (rc = isx__cli_one(c, a, CLI_OPT_KIND, &kind)) != 0 ||
        (rc = isx__cli_one(c, a, CLI_OPT_PARTY, &party)) != 0 ||
        (rc = isx__cli_one(c, a, CLI_OPT_URGENCY, &urgency)) != 0)
        goto cleanup;
    if (state != NULL && !one_of(state, isx_request_states)) {
        rc = isx__cli_bad(c, CLI_OPT_STATUS, "cli.request.state_code", state);
        goto cleanup;
    }
    if (kind != NULL && !one_of(kind, isx_request_kinds)) {
        rc = isx__cli_bad(c, CLI_OPT_KIND, "cli.request.kind_code", kind);
        goto cleanup;
    }
    if (urgency != NULL && !one_of(urgency, isx_request_urgencies)) {
        rc = isx__cli_bad(c, CLI_OPT_URGENCY, "cli.request.urgency_code", urgency);
        goto cleanup;
    }
    if (party != NULL && (rc = isx__cli_party_code(c, "--party", party, code)) != 0)
        goto cleanup;
    if ((rc = isx_buf_puts(&path, REQUESTS_PATH)) != 0 ||
        (isx__cli_has(a, CLI_OPT_OVERDUE) && (rc = isx__cli_query(&path, "overdue", "1")) != 0) ||
        (state != NULL && (rc = isx__cli_query(&path, "state", state)) != 0) ||
        (kind != NULL && (rc = isx__cli_query(&path, "kind", kind)) != 0) ||
        (party != NULL && (rc = isx__cli_query(&path, "party", code)) != 0) ||
        (urgency != NULL && (rc = isx__cli_query(&path, "urgency", urgency)) != 0))
        goto cleanup;
    if ((rc = isx__cli_api(c, "GET", path.data, NULL, NULL, &doc, &raw, NULL)) != 0)
        goto cleanup;
    if (c->json) {
        isx__cli_print_raw(&raw);
        goto cleanup;
    }
    if (json_array_size(json_object_get(doc, "items")) == 0) {
        isx__cli_say(
            c, isx__cli_has(a, CLI_OPT_OVERDUE) ? "cli.request.none_overdue" : "cli.request.none",
            (const char *)NULL);
        goto cleanup;
    }
    if ((rc = isx__cli_table_init(c, &t, 9, head, max)) != 0)
        goto cleanup;
    json_array_foreach(json_object_get(doc, "items"), i, st)
    {
        isx_buf_reset(&late);
        overdue_text(c, st, &late);
        const char *cells[] = {str(st, "id"),
                               str(st, "from"),
                               str(st, "to"),
                               isx__cli_label(c, "request.kind", str(st, "kind")),
                               isx__cli_label(c, "request.urgency", str(st, "urgency")),
                               isx__cli_label(c, "request.state", str(st, "state")),
                               str(st, "answer_by"),
                               late.data,
                               isx__cli_pick(json_object_get(st, "subject"), c->lang)};
        isx__cli_table_row(&t, cells);
    }
    isx__cli_table_print(&t, stdout);
cleanup:
    isx__cli_table_free(&t);
    json_decref(doc);
    isx_buf_free(&path);
    isx_buf_free(&raw);
    isx_buf_free(&late);
    return rc;
}

/* ---- show ---- */

/* A file name from a document's title: no directories, nothing a shell or terminal minds. */
static void
safe_name(const char *title, char *out, size_t cap)
{
    size_t k = 0;

    for (const char *p = title; *p != '\0' && k + 1 < cap; p++) {
        unsigned char ch = (unsigned char)*p;
        out[k++] = (ch < 0x20 || ch == 0x7f || ch == '/' || ch == '\\') ? '_' : (char)ch;
    }
    out[k] = '\0';
    if (k == 0 || strcmp(out, ".") == 0 || strcmp(out, "..") == 0)
        snprintf(out, cap, "attachment");
}

/* Writes `len` bytes to a new file; ISX_EEXISTS when one is there already. */
static int
write_new(const char *path, const uint8_t *data, size_t len)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
    int rc = 0;

    if (fd < 0)
        return errno == EEXIST ? ISX_EEXISTS : ISX_EIO;
    if (write(fd, data, len) != (ssize_t)len)
        rc = ISX_EIO;
    if (close(fd) != 0)
        rc = ISX_EIO;
    return rc;
}

/* Fetches one attachment and writes it under `dir` as its title (or id-title if taken). */
static int
save_attachment(struct isx__cli *c, const char *dir, const char *id)
{
    struct isx_buf path = ISX_BUF_INIT, file = ISX_BUF_INIT;
    json_t *doc = NULL;
    uint8_t *bytes = NULL;
    char name[256];
    size_t len = 0;
    int rc;

    if (!isx_object_id_valid(id, "document"))
        return isx__cli_fail(c, ISX_EINVAL, NULL, "cli.request.bad_attachment", id, 1);
    if ((rc = isx_buf_printf(&path, "/api/v1/objects/%s", id)) != 0 ||
        (rc = isx__cli_api(c, "GET", path.data, NULL, NULL, &doc, NULL, NULL)) != 0)
        goto cleanup;
    const json_t *body = json_object_get(doc, "body");
    const char *content = str(body, "content");
    if (content == NULL || (bytes = malloc(ISX_DOCUMENT_MAX + 3)) == NULL ||
        isx_base64_decode(content, strlen(content), bytes, ISX_DOCUMENT_MAX + 3, &len) != 0) {
        rc = isx__cli_fail(c, ISX_EPARSE, NULL, "cli.request.bad_attachment", id, 1);
        goto cleanup;
    }
    safe_name(str(body, "title") != NULL ? str(body, "title") : "", name, sizeof(name));
    if ((rc = isx_buf_printf(&file, "%s/%s", dir, name)) != 0)
        goto cleanup;
    rc = write_new(file.data, bytes, len);
    if (rc == ISX_EEXISTS) {
        isx_buf_reset(&file);
        if ((rc = isx_buf_printf(&file, "%s/%s-%s", dir, id, name)) == 0)
            rc = write_new(file.data, bytes, len);
    }
    if (rc != 0) {
        rc = isx__cli_fail(c, rc, "--out", "cli.err.file", file.data, 1);
        goto cleanup;
    }
    isx__cli_note(c, "cli.request.saved", name, file.data, (const char *)NULL);
cleanup:
    free(bytes);
    json_decref(doc);
    isx_buf_free(&path);
    isx_buf_free(&file);
    return rc;
}

static void
kv_time(struct isx__cli *c, struct isx__cli_table *t, const char *key, const char *value, int late)
{
    struct isx_buf line = ISX_BUF_INIT;

    if (value == NULL)
        return;
    if (late)
        isx__cli_fmt(c->lang, "cli.request.late", &line, value, (const char *)NULL);
    isx__cli_kv(c, t, key, late && line.data != NULL ? line.data : value);
    isx_buf_free(&line);
}

/* The request itself and its state: who asks whom for what, by when, and where it stands. */
static void
show_request(struct isx__cli *c, struct isx__cli_table *t, const json_t *doc)
{
    const json_t *st = json_object_get(doc, "status"), *env = json_object_get(doc, "request");
    const json_t *body = json_object_get(env, "body"), *o = json_object_get(st, "overdue"), *r;
    struct isx_buf from = ISX_BUF_INIT, to = ISX_BUF_INIT, dir = ISX_BUF_INIT;
    const char *label = "cli.request.field.reports", *code = str(st, "cooperation_direction");
    const json_t *direction = code != NULL ? isx_vocab_find(ISX_VOCAB_DIRECTIONS, code) : NULL;
    size_t i;

    isx__cli_party_label(c, str(st, "from"), &from);
    isx__cli_party_label(c, str(st, "to"), &to);
    /* The article of Art. 3 the request serves, named from the node's own vocabulary. */
    if (direction != NULL) {
        const char *name = isx__cli_pick(json_object_get(direction, "short"), c->lang);
        isx_buf_printf(&dir, "%s  %s",
                       str(direction, "article") != NULL ? str(direction, "article") : code,
                       name != NULL ? name : "");
    }
    isx__cli_kv(c, t, "cli.field.id", str(st, "id"));
    isx__cli_kv(c, t, "cli.request.field.from", from.data);
    isx__cli_kv(c, t, "cli.request.field.to", to.data);
    isx__cli_kv(c, t, "cli.field.kind", isx__cli_label(c, "request.kind", str(st, "kind")));
    isx__cli_kv(c, t, "cli.request.field.direction", dir.data);
    isx__cli_kv(c, t, "cli.request.field.urgency",
                isx__cli_label(c, "request.urgency", str(st, "urgency")));
    isx__cli_kv_langmap(c, t, "cli.request.field.subject", json_object_get(body, "subject"));
    isx__cli_kv_langmap(c, t, "cli.request.field.text", json_object_get(body, "text"));
    json_array_foreach(json_object_get(body, "reports"), i, r)
    {
        isx__cli_kv(c, t, label, json_string_value(r));
        label = NULL;
    }
    isx__cli_kv(c, t, "cli.request.field.tlp", str(st, "tlp"));
    isx__cli_kv(c, t, "cli.request.field.opened", str(st, "opened_at"));
    kv_time(c, t, "cli.request.field.ack_by", str(st, "ack_by"),
            json_is_true(json_object_get(o, "ack")));
    kv_time(c, t, "cli.request.field.answer_by", str(st, "answer_by"),
            json_is_true(json_object_get(o, "answer")));
    isx__cli_kv(c, t, "cli.request.field.state",
                isx__cli_label(c, "request.state", str(st, "state")));
    kv_time(c, t, "cli.request.field.acknowledged", str(st, "acknowledged_at"), 0);
    kv_time(c, t, "cli.request.field.answered", str(st, "answered_at"), 0);
    kv_time(c, t, "cli.request.field.ended", str(st, "ended_at"), 0);
    isx_buf_free(&from);
    isx_buf_free(&to);
    isx_buf_free(&dir);
}

/* The thread: each step in order, what it said, what it attached, and why it did not count. */
static int
show_thread(struct isx__cli *c, const json_t *msgs)
{
    static const char *const head[] = {"cli.request.col.seq",  "cli.request.col.at",
                                       "cli.col.party",        "cli.col.action",
                                       "cli.request.col.text", "cli.request.col.attachments",
                                       "cli.request.col.flag"};
    struct isx__cli_table t;
    struct isx_buf files = ISX_BUF_INIT;
    char seq[24], n[24];
    size_t i, j;
    json_t *m, *f;
    int rc;

    snprintf(n, sizeof(n), "%zu", json_array_size(msgs));
    fputc('\n', stdout);
    isx__cli_say(c, "cli.request.thread", n, (const char *)NULL);
    if (json_array_size(msgs) == 0)
        return 0;
    if ((rc = isx__cli_table_init(c, &t, 7, head, NULL)) != 0)
        return rc;
    json_array_foreach(msgs, i, m)
    {
        isx_buf_reset(&files);
        json_array_foreach(json_object_get(m, "attachments"), j, f)
        {
            if (j > 0)
                isx_buf_puts(&files, isx_msg(c->lang, "cli.list_sep"));
            isx_buf_printf(&files, "%s (%s)", str(f, "title") != NULL ? str(f, "title") : "?",
                           str(f, "id"));
        }
        snprintf(seq, sizeof(seq), "%lld",
                 (long long)json_integer_value(json_object_get(m, "seq")));
        const char *cells[] = {seq,
                               str(m, "version"),
                               str(m, "origin"),
                               isx__cli_label(c, "request.action", str(m, "action")),
                               isx__cli_pick(json_object_get(m, "text"), c->lang),
                               files.data,
                               str(json_object_get(m, "flag"), "detail")};
        isx__cli_table_row(&t, cells);
    }
    isx__cli_table_print(&t, stdout);
    isx__cli_table_free(&t);
    isx_buf_free(&files);
    return 0;
}

int
isx__cli_request_show(struct isx__cli *c, const struct isx__cli_args *a)
{
    struct isx_buf path = ISX_BUF_INIT, raw = ISX_BUF_INIT;
    struct isx__cli_table t;
    const char *out = NULL;
    json_t *doc = NULL, *m, *f;
    size_t i, j;
    int rc;

    memset(&t, 0, sizeof(t));
    if ((rc = request_id(c, a->pos[0])) != 0 || (rc = isx__cli_one(c, a, CLI_OPT_OUT, &out)) != 0)
        return rc;
    if ((rc = isx_buf_printf(&path, "%s/%s", REQUESTS_PATH, a->pos[0])) != 0 ||
        (rc = isx__cli_api(c, "GET", path.data, NULL, NULL, &doc, &raw, NULL)) != 0)
        goto cleanup;
    if (c->json) {
        isx__cli_print_raw(&raw);
    } else {
        if ((rc = isx__cli_kv_init(c, &t)) != 0)
            goto cleanup;
        show_request(c, &t, doc);
        isx__cli_table_print(&t, stdout);
        if ((rc = show_thread(c, json_object_get(doc, "messages"))) != 0)
            goto cleanup;
    }
    /* Only what the thread counts is saved: a flagged step's files are not the answer. */
    json_array_foreach(json_object_get(doc, "messages"), i, m)
    {
        if (out == NULL || !json_is_true(json_object_get(m, "valid")))
            continue;
        json_array_foreach(json_object_get(m, "attachments"), j, f)
        {
            if ((rc = save_attachment(c, out, str(f, "id"))) != 0)
                goto cleanup;
        }
    }
cleanup:
    isx__cli_table_free(&t);
    json_decref(doc);
    isx_buf_free(&path);
    isx_buf_free(&raw);
    return rc;
}

/* ---- the steps ---- */

/* The verb typed, and the action of the thread it takes. */
static const struct {
    const char *verb;
    const char *action;
} verb_actions[] = {
    {"ack", "acknowledge"}, {"progress", "progress"}, {"reply", "answer"},
    {"decline", "decline"}, {"close", "close"},       {"withdraw", "withdraw"},
    {"comment", "comment"},
};

/* A media type from the file name's extension; anything unknown is plain bytes. */
static const char *
media_type_of(const char *name)
{
    static const struct {
        const char *ext, *type;
    } types[] = {
        {".pdf", "application/pdf"},
        {".txt", "text/plain"},
        {".json", "application/json"},
        {".csv", "text/csv"},
        {".xml", "application/xml"},
        {".html", "text/html"},
        {".png", "image/png"},
        {".jpg", "image/jpeg"},
        {".jpeg", "image/jpeg"},
        {".zip", "application/zip"},
        {".gz", "application/gzip"},
        {".md", "text/markdown"},
        {".doc", "application/msword"},
        {".docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"},
        {".xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"},
        {".odt", "application/vnd.oasis.opendocument.text"},
    };
    const char *dot = strrchr(name, '.');

    for (size_t i = 0; dot != NULL && i < sizeof(types) / sizeof(types[0]); i++) {
        if (strcasecmp(dot, types[i].ext) == 0)
            return types[i].type;
    }
    return "application/octet-stream";
}

/* Sends one --attach file as a document of the thread; appends its id to `ids`. */
static int
upload(struct isx__cli *c, const char *id, const char *file, json_t *ids)
{
    struct isx_buf bytes = ISX_BUF_INIT, path = ISX_BUF_INIT;
    const char *base = strrchr(file, '/');
    json_t *body = NULL, *doc = NULL;
    char *b64 = NULL;
    int rc;

    base = base != NULL ? base + 1 : file;
    if ((rc = isx__cli_read_input(c, file, ISX_DOCUMENT_MAX, &bytes)) != 0)
        return rc;
    if (bytes.len == 0) {
        rc = isx__cli_bad(c, CLI_OPT_ATTACH, "cli.request.attach_empty", file);
        goto cleanup;
    }
    if ((b64 = malloc(isx_base64_len(bytes.len))) == NULL) {
        rc = ISX_ENOMEM;
        goto cleanup;
    }
    isx_base64_encode((const uint8_t *)bytes.data, bytes.len, b64);
    body = json_pack("{s:s, s:s, s:s}", "title", *base != '\0' ? base : "attachment", "media_type",
                     media_type_of(base), "content", b64);
    if (body == NULL) {
        rc = isx__cli_bad(c, CLI_OPT_ATTACH, "cli.err.encoding", file);
        goto cleanup;
    }
    if ((rc = isx_buf_printf(&path, "%s/%s/documents", REQUESTS_PATH, id)) != 0 ||
        (rc = isx__cli_api(c, "POST", path.data, NULL, body, &doc, NULL, NULL)) != 0)
        goto cleanup;
    rc = json_array_append_new(ids, json_string(str(doc, "id"))) == 0 ? 0 : ISX_ENOMEM;
cleanup:
    free(b64);
    json_decref(body);
    json_decref(doc);
    isx_buf_free(&bytes);
    isx_buf_free(&path);
    return rc;
}

int
isx__cli_request_act(struct isx__cli *c, const struct isx__cli_args *a)
{
    const char *id = a->pos[0], *action = NULL, *file;
    json_t *text = json_object(), *ids = json_array(), *body = NULL, *doc = NULL;
    struct isx_buf path = ISX_BUF_INIT, raw = ISX_BUF_INIT;
    size_t i = 0;
    int rc;

    if (text == NULL || ids == NULL) {
        rc = ISX_ENOMEM;
        goto cleanup;
    }
    for (size_t k = 0; k < sizeof(verb_actions) / sizeof(verb_actions[0]); k++) {
        if (strcmp(verb_actions[k].verb, c->cmd->verb) == 0)
            action = verb_actions[k].action;
    }
    if ((rc = request_id(c, id)) != 0 || (rc = langmap(c, a, CLI_OPT_NOTE, text)) != 0)
        goto cleanup;
    /* What the node would refuse for want of words is refused before any file is sent. */
    if (strcmp(action, "decline") == 0 && json_object_size(text) == 0) {
        rc = isx__cli_usage(c, "cli.request.reason", NULL);
        goto cleanup;
    }
    if ((strcmp(action, "answer") == 0 || strcmp(action, "comment") == 0) &&
        json_object_size(text) == 0 && !isx__cli_has(a, CLI_OPT_ATTACH)) {
        rc = isx__cli_usage(c, "cli.request.content", NULL);
        goto cleanup;
    }
    while ((file = isx__cli_next(a, CLI_OPT_ATTACH, &i)) != NULL) {
        if ((rc = upload(c, id, file, ids)) != 0)
            goto cleanup;
    }
    if ((body = json_pack("{s:s}", "action", action)) == NULL) {
        rc = ISX_ENOMEM;
        goto cleanup;
    }
    if (json_object_size(text) > 0)
        json_object_set(body, "text", text);
    if (json_array_size(ids) > 0)
        json_object_set(body, "attachments", ids);
    if ((rc = isx_buf_printf(&path, "%s/%s/messages", REQUESTS_PATH, id)) != 0 ||
        (rc = isx__cli_api(c, "POST", path.data, NULL, body, &doc, &raw, NULL)) != 0)
        goto cleanup;
    if (c->json) {
        isx__cli_print_raw(&raw);
        goto cleanup;
    }
    const json_t *st = json_object_get(doc, "status");
    isx__cli_say(c, "cli.request.moved", id, isx__cli_label(c, "request.state", str(st, "state")),
                 (const char *)NULL);
cleanup:
    json_decref(text);
    json_decref(ids);
    json_decref(body);
    json_decref(doc);
    isx_buf_free(&path);
    isx_buf_free(&raw);
    return rc;
}
