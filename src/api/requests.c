/*
 * /api/v1/requests: requests between parties and their threads (Art. 3.2, 3.6, 3.9, 3.11),
 * and the door rules and /metrics figures that need what the node holds. The state of a
 * request is never stored: it is folded from the request and its messages on every read
 * (include/isx/request.h), and "overdue" is that state compared with the clock.
 *
 * Invariants: a local user and a peer are held to the same rules, by the same fold: a step
 * the fold would flag is refused here with 403 naming the field, and at the door; every
 * object of a thread (message, document) carries the request's marking addressed to the
 * other side, so federation delivers it there and nowhere else; requests, messages and
 * documents are never replaced by a new version.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "isx/api.h"
#include "isx/document.h"
#include "isx/marking.h"
#include "isx/request.h"
#include "isx/schema.h"
#include "isx/taxonomy.h"
#include "isx/timeutil.h"

#define TYPE_LIMIT 100000

/* Steps of one party's node are taken one at a time, so two users cannot both answer. */
static pthread_mutex_t step_lock = PTHREAD_MUTEX_INITIALIZER;

/* A request as this node holds it: the envelope with its clear body, and its messages. */
struct thread {
    json_t *env; /* owned */
    const json_t *body;
    const json_t *marking;
    const char *id, *origin, *version;
    json_t *messages; /* owned: this thread's message envelopes (bodies opened) */
    struct isx_request_step *steps;
    size_t nsteps;
    struct isx_request_status st;
};

static void
thread_free(struct thread *t)
{
    json_decref(t->env);
    json_decref(t->messages);
    free(t->steps);
    memset(t, 0, sizeof(*t));
}

static const char *
str(const json_t *obj, const char *field)
{
    return json_string_value(json_object_get(obj, field));
}

/* Takes a reference to `env`; fails (ISX_ENOTFOUND) for a request this node cannot read. */
static int
thread_init(struct thread *t, json_t *env)
{
    memset(t, 0, sizeof(*t));
    t->env = json_incref(env);
    t->body = json_object_get(env, "body");
    t->marking = json_object_get(env, "marking");
    t->id = str(env, "id");
    t->origin = str(env, "origin");
    t->version = str(env, "version");
    t->messages = json_array();
    if (t->messages == NULL)
        return ISX_ENOMEM;
    if (!json_is_object(t->body) || t->id == NULL || t->origin == NULL || t->version == NULL)
        return ISX_ENOTFOUND;
    return 0;
}

/* Adds the messages of `all` (envelopes of every message held) that belong to the thread. */
static int
thread_collect(struct thread *t, const json_t *all)
{
    size_t i;
    json_t *m;

    json_array_foreach(all, i, m)
    {
        const char *rid = str(json_object_get(m, "body"), "request");
        if (rid != NULL && strcmp(rid, t->id) == 0 && json_array_append(t->messages, m) != 0)
            return ISX_ENOMEM;
    }
    return 0;
}

/*
 * Folds the thread, with `extra` (a message not stored yet, may be NULL) among its
 * messages; *extra_step (when wanted) points at that message's step afterwards.
 */
static int
thread_fold(struct thread *t, const json_t *extra, const struct isx_request_step **extra_step)
{
    size_t n = json_array_size(t->messages) + (extra != NULL), k = 0, i;
    json_t *m;
    int rc;

    free(t->steps);
    t->steps = NULL;
    t->nsteps = 0;
    if (n > 0 && (t->steps = calloc(n, sizeof(*t->steps))) == NULL)
        return ISX_ENOMEM;
    json_array_foreach(t->messages, i, m)
    {
        /* Stored messages passed the body check; one that does not read is left out. */
        if (isx_request_step_from(m, &t->steps[k]) == 0)
            k++;
    }
    if (extra != NULL && (rc = isx_request_step_from(extra, &t->steps[k++])) != 0)
        return rc;
    t->nsteps = k;
    if ((rc = isx_request_fold(t->origin, t->version, t->body, t->steps, k, &t->st)) != 0)
        return rc;
    for (i = 0; extra != NULL && extra_step != NULL && i < k; i++) {
        if (strcmp(t->steps[i].id, str(extra, "id")) == 0)
            *extra_step = &t->steps[i];
    }
    return 0;
}

/* Every message envelope this node holds and can read. */
static int
all_messages(struct isx_node *n, json_t **out)
{
    return isx_store_type_list(n->store, "message", TYPE_LIMIT, out);
}

/* Loads and folds the request `id`; ISX_ENOTFOUND when it is not held or not readable. */
static int
thread_load(struct isx_node *n, const char *id, struct thread *t)
{
    struct isx_object *o = NULL;
    json_t *view = NULL, *all = NULL;
    int rc;

    memset(t, 0, sizeof(*t));
    if (!isx_object_id_valid(id, "request"))
        return ISX_ENOTFOUND;
    if ((rc = isx_node_get(n, id, NULL, &o)) != 0)
        goto done;
    if ((view = isx__api_object_view(o)) == NULL) {
        rc = ISX_ENOMEM;
        goto done;
    }
    if ((rc = thread_init(t, view)) == 0 && (rc = all_messages(n, &all)) == 0 &&
        (rc = thread_collect(t, all)) == 0)
        rc = thread_fold(t, NULL, NULL);
done:
    if (rc != 0)
        thread_free(t);
    json_decref(all);
    json_decref(view);
    isx_object_free(o);
    return rc;
}

/* The other side of the thread from `party`'s point of view, or NULL when it is no side. */
static const char *
other_side(const struct thread *t, const char *party)
{
    if (strcmp(party, t->origin) == 0)
        return t->st.addressed;
    if (strcmp(party, t->st.addressed) == 0)
        return t->origin;
    return NULL;
}

/*
 * The attachments of a message by `origin` marked `marking`: documents this node holds, of
 * the same origin and marking, so that they travel exactly as the message does. `prefix`
 * names the list in the diagnostic ("attachments" or "body.attachments").
 */
static int
check_attachments(struct isx_node *n, const json_t *list, const char *origin, const json_t *marking,
                  const char *prefix, struct isx_diag *d)
{
    char field[96];
    size_t i;
    json_t *a;
    int rc = 0;

    json_array_foreach(list, i, a)
    {
        struct isx_object *doc = NULL;
        snprintf(field, sizeof(field), "%s[%zu]", prefix, i);
        if (isx_node_get(n, json_string_value(a), NULL, &doc) != 0 ||
            strcmp(doc->type, "document") != 0 || isx_object_clear_body(doc) == NULL ||
            strcmp(doc->origin, origin) != 0 || !json_equal(doc->marking, marking))
            rc = isx_diag_set(d, ISX_EFIELD, field, "request.attachment", json_string_value(a));
        isx_object_free(doc);
        if (rc != 0)
            break;
    }
    return rc;
}

static int
id_exists(struct isx_node *n, const char *id)
{
    struct isx_buf b = ISX_BUF_INIT;
    int found = isx_store_get(n->store, id, NULL, &b) == 0;

    isx_buf_free(&b);
    return found;
}

/* ---- what the API shows ---- */

static const char *
fmt_time(int64_t ms, char buf[ISX_TIME_LEN + 1])
{
    if (ms == 0)
        return NULL;
    isx_time_format(ms, buf);
    return buf;
}

static const char *
direction_of(struct isx_node *n, const struct thread *t)
{
    if (strcmp(t->origin, n->cfg.party) == 0)
        return "outgoing";
    if (strcmp(t->st.addressed, n->cfg.party) == 0)
        return "incoming";
    return "other";
}

/* The state of a request at `now`: what lists show and what `show` starts with. */
static json_t *
status_json(struct isx_node *n, const struct thread *t, int64_t now)
{
    char ack[ISX_TIME_LEN + 1], ans[ISX_TIME_LEN + 1], end[ISX_TIME_LEN + 1];
    const char *kind = str(t->body, "kind");

    return json_pack(
        "{s:s, s:s, s:s, s:s, s:s?, s:s?, s:s?, s:O?, s:O?, s:s?, s:s, s:s?, s:s?, s:s, s:s?, "
        "s:s?, s:s?, s:{s:b, s:b}, s:I, s:I}",
        "id", t->id, "from", t->origin, "to", t->st.addressed, "direction", direction_of(n, t),
        "kind", kind, "cooperation_direction", isx_request_kind_direction(kind), "urgency",
        str(t->body, "urgency"), "subject", json_object_get(t->body, "subject"), "reports",
        json_object_get(t->body, "reports"), "tlp", str(t->marking, "tlp"), "opened_at", t->version,
        "ack_by", str(t->body, "ack_by"), "answer_by", str(t->body, "answer_by"), "state",
        isx_request_states[t->st.state], "acknowledged_at", fmt_time(t->st.acknowledged_ms, ack),
        "answered_at", fmt_time(t->st.answered_ms, ans), "ended_at", fmt_time(t->st.ended_ms, end),
        "overdue", "ack", isx_request_ack_overdue(&t->st, now), "answer",
        isx_request_answer_overdue(&t->st, now), "messages", (json_int_t)t->nsteps, "flagged",
        (json_int_t)t->st.flagged);
}

static const json_t *
message_env(const struct thread *t, const char *id)
{
    size_t i;
    json_t *m;

    json_array_foreach(t->messages, i, m)
    {
        if (strcmp(str(m, "id"), id) == 0)
            return m;
    }
    return NULL;
}

/* An attachment as a thread shows it: the document's title, type and size, not its bytes. */
static json_t *
attachment_json(struct isx_node *n, const char *id)
{
    struct isx_object *doc = NULL;
    const json_t *body;
    json_t *out;

    if (isx_node_get(n, id, NULL, &doc) != 0 || (body = isx_object_clear_body(doc)) == NULL) {
        isx_object_free(doc);
        return json_pack("{s:s, s:b}", "id", id, "missing", 1);
    }
    out = json_pack("{s:s, s:s?, s:s?, s:I}", "id", id, "title", str(body, "title"), "media_type",
                    str(body, "media_type"), "size", (json_int_t)isx_document_size(body));
    isx_object_free(doc);
    return out;
}

/* The thread in order, each step with its verdict (a flagged one says why, in `lang`). */
static json_t *
messages_json(struct isx_node *n, const struct thread *t, enum isx_lang lang)
{
    json_t *list = json_array();

    for (size_t i = 0; list != NULL && i < t->nsteps; i++) {
        const struct isx_request_step *s = &t->steps[i];
        const json_t *env = message_env(t, s->id), *body = json_object_get(env, "body"), *a;
        json_t *files = json_array(), *item;
        size_t j;

        json_array_foreach(json_object_get(body, "attachments"), j, a)
        {
            json_array_append_new(files, attachment_json(n, json_string_value(a)));
        }
        item = json_pack("{s:s, s:s, s:s, s:I, s:s, s:b, s:O?, s:o}", "id", s->id, "origin",
                         s->origin, "version", s->version, "seq", (json_int_t)s->seq, "action",
                         isx_request_actions[s->action], "valid", s->valid, "text",
                         json_object_get(body, "text"), "attachments", files);
        if (item != NULL && s->why != NULL) {
            struct isx_buf detail = ISX_BUF_INIT;
            isx_msg_format(lang, s->why, s->why_arg, &detail);
            json_object_set_new(item, "flag",
                                json_pack("{s:s, s:s}", "code", s->why, "detail",
                                          detail.data != NULL ? detail.data : ""));
            isx_buf_free(&detail);
        }
        json_array_append_new(list, item);
    }
    return list;
}

static json_t *
thread_json(struct isx_http_req *req, const struct thread *t)
{
    struct isx_node *n = req->ctx;

    return json_pack("{s:O, s:o, s:o}", "request", t->env, "status",
                     status_json(n, t, isx_time_now_ms()), "messages",
                     messages_json(n, t, req->lang));
}

/* ---- GET /api/v1/requests ---- */

struct filter {
    const char *state, *overdue, *direction, *party, *kind, *urgency;
};

static int
query(struct isx_http_req *req, const char *name, const char *const *allowed, const char *key,
      const char **out)
{
    const char *v = isx_http_query(req, name);

    if (v != NULL && (*v == '\0' || (allowed != NULL && !isx_str_in(v, allowed))))
        return isx_diag_set(&req->diag, ISX_EINVAL, name, key, v);
    *out = v;
    return 0;
}

static int
matches(struct isx_node *n, const struct thread *t, const struct filter *f, int64_t now)
{
    const char *other = other_side(t, n->cfg.party);

    if (f->state != NULL && strcmp(f->state, isx_request_states[t->st.state]) != 0)
        return 0;
    if (f->direction != NULL && strcmp(f->direction, direction_of(n, t)) != 0)
        return 0;
    if (f->party != NULL && (other == NULL || strcmp(f->party, other) != 0))
        return 0;
    if (f->kind != NULL && strcmp(f->kind, str(t->body, "kind")) != 0)
        return 0;
    if (f->urgency != NULL && strcmp(f->urgency, str(t->body, "urgency")) != 0)
        return 0;
    if (f->overdue != NULL) {
        int ack = isx_request_ack_overdue(&t->st, now);
        int answer = isx_request_answer_overdue(&t->st, now);
        if (strcmp(f->overdue, "ack") == 0)
            return ack;
        if (strcmp(f->overdue, "answer") == 0)
            return answer;
        if (strcmp(f->overdue, "0") == 0 || strcmp(f->overdue, "false") == 0)
            return !ack && !answer;
        return ack || answer;
    }
    return 1;
}

/* Newest first: what was opened last is what an operator looks for. */
static int
newest_first(const void *a, const void *b)
{
    const char *va = str(*(json_t *const *)a, "opened_at");
    const char *vb = str(*(json_t *const *)b, "opened_at");
    int c = strcmp(vb, va);

    return c != 0 ? c : strcmp(str(*(json_t *const *)a, "id"), str(*(json_t *const *)b, "id"));
}

/*
 * Folds every request this node can read and calls `fn` for each; a request that is
 * sealed for others (relayed) or unreadable is skipped.
 */
typedef int (*thread_fn)(void *ctx, struct thread *t);

static int
each_thread(struct isx_node *n, thread_fn fn, void *ctx)
{
    json_t *requests = NULL, *msgs = NULL, *by_request = json_object(), *env, *m;
    size_t i;
    int rc;

    if (by_request == NULL)
        return ISX_ENOMEM;
    if ((rc = isx_store_type_list(n->store, "request", TYPE_LIMIT, &requests)) != 0 ||
        (rc = all_messages(n, &msgs)) != 0)
        goto done;
    /* One pass over the messages, grouped by request, keeps the whole walk linear. */
    json_array_foreach(msgs, i, m)
    {
        const char *rid = str(json_object_get(m, "body"), "request");
        json_t *group;
        if (rid == NULL)
            continue;
        if ((group = json_object_get(by_request, rid)) == NULL) {
            if ((group = json_array()) == NULL ||
                json_object_set_new(by_request, rid, group) != 0) {
                rc = ISX_ENOMEM;
                goto done;
            }
        }
        json_array_append(group, m);
    }
    json_array_foreach(requests, i, env)
    {
        struct thread t;
        if (thread_init(&t, env) != 0) {
            thread_free(&t);
            continue;
        }
        json_t *group = json_object_get(by_request, t.id);
        if (group != NULL) {
            json_decref(t.messages);
            t.messages = json_incref(group);
        }
        rc = thread_fold(&t, NULL, NULL);
        if (rc == 0)
            rc = fn(ctx, &t);
        else if (rc == ISX_EINVAL)
            rc = 0; /* a request whose own dates do not read cannot be folded: left out */
        thread_free(&t);
        if (rc != 0)
            goto done;
    }
done:
    json_decref(requests);
    json_decref(msgs);
    json_decref(by_request);
    return rc;
}

struct listing {
    struct isx_http_req *req;
    struct filter f;
    int64_t now;
    json_t *items;
};

static int
list_one(void *ctx, struct thread *t)
{
    struct listing *l = ctx;
    struct isx_node *n = l->req->ctx;

    if (!isx_marking_allows_role(t->marking, l->req->user->role) || !matches(n, t, &l->f, l->now))
        return 0;
    return json_array_append_new(l->items, status_json(n, t, l->now)) == 0 ? 0 : ISX_ENOMEM;
}

int
isx__api_request_list(struct isx_http_req *req)
{
    static const char *const directions[] = {"incoming", "outgoing", "other", NULL};
    static const char *const overdue[] = {"1", "true", "0", "false", "ack", "answer", NULL};
    struct listing l = {req, {0}, isx_time_now_ms(), json_array()};
    json_t *doc = NULL;
    int rc;

    if (l.items == NULL)
        return ISX_ENOMEM;
    if ((rc = query(req, "state", isx_request_states, "request.state", &l.f.state)) != 0 ||
        (rc = query(req, "overdue", overdue, "request.overdue", &l.f.overdue)) != 0 ||
        (rc = query(req, "direction", directions, "request.direction", &l.f.direction)) != 0 ||
        (rc = query(req, "party", NULL, "party.code", &l.f.party)) != 0 ||
        (rc = query(req, "kind", isx_request_kinds, "request.kind", &l.f.kind)) != 0 ||
        (rc = query(req, "urgency", isx_request_urgencies, "request.urgency", &l.f.urgency)) != 0)
        goto done;
    if (l.f.party != NULL && !isx_party_code_valid(l.f.party)) {
        rc = isx_diag_set(&req->diag, ISX_EINVAL, "party", "party.code", l.f.party);
        goto done;
    }
    if ((rc = each_thread(req->ctx, list_one, &l)) != 0)
        goto done;
    size_t count = json_array_size(l.items);
    json_t **sorted = count > 0 ? malloc(count * sizeof(*sorted)) : NULL;
    if (count > 0 && sorted == NULL) {
        rc = ISX_ENOMEM;
        goto done;
    }
    for (size_t i = 0; i < count; i++)
        sorted[i] = json_incref(json_array_get(l.items, i));
    if (count > 1)
        qsort(sorted, count, sizeof(*sorted), newest_first);
    json_array_clear(l.items);
    for (size_t i = 0; i < count; i++)
        json_array_append_new(l.items, sorted[i]);
    free(sorted);
    doc = json_pack("{s:O, s:I}", "items", l.items, "count", (json_int_t)count);
    rc = doc != NULL ? isx_http_reply_json(req, 200, doc) : ISX_ENOMEM;
done:
    json_decref(doc);
    json_decref(l.items);
    return rc;
}

/* ---- GET /api/v1/requests/{id} ---- */

/* The thread of the {id} in the path, if the caller may read it. */
static int
path_thread(struct isx_http_req *req, struct thread *t)
{
    const char *id = req->nparams > 0 ? req->params[0] : "";
    int rc = thread_load(req->ctx, id, t);

    if (rc == 0 && !isx_marking_allows_role(t->marking, req->user->role)) {
        thread_free(t);
        rc = ISX_ENOTFOUND;
    }
    if (rc != 0)
        return isx_diag_set(&req->diag, rc, "id", rc == ISX_ENOTFOUND ? "api.not_found" : NULL, id);
    return 0;
}

int
isx__api_request_get(struct isx_http_req *req)
{
    struct thread t;
    json_t *doc;
    int rc;

    if ((rc = path_thread(req, &t)) != 0)
        return rc;
    doc = thread_json(req, &t);
    rc = doc != NULL ? isx_http_reply_json(req, 200, doc) : ISX_ENOMEM;
    json_decref(doc);
    thread_free(&t);
    return rc;
}

/* ---- POST /api/v1/requests ---- */

/* An explicit deadline: a time in the future, stored in the canonical form. */
static int
deadline(struct isx_http_req *req, json_t *body, const char *field, int64_t now, int64_t *ms)
{
    const json_t *v = json_object_get(body, field);
    char canon[ISX_TIME_LEN + 1];

    if (v == NULL)
        return 0;
    if (!json_is_string(v) || isx_time_parse(json_string_value(v), ms) != 0)
        return isx_diag_set(&req->diag, ISX_EFIELD, field, "request.time", json_string_value(v));
    if (*ms <= now)
        return isx_diag_set(&req->diag, ISX_EFIELD, field, "request.deadline_past",
                            json_string_value(v));
    isx_time_format(*ms, canon);
    return json_object_set_new(body, field, json_string(canon)) == 0 ? 0 : ISX_ENOMEM;
}

/* Fills in what the caller may leave out: the urgency and the deadlines. */
static int
complete(struct isx_http_req *req, json_t *body)
{
    struct isx_node *n = req->ctx;
    int64_t now = isx_time_now_ms(), ack = 0, answer = 0, dack, danswer;
    int rc;

    if (json_object_get(body, "urgency") == NULL)
        json_object_set_new(body, "urgency", json_string("routine"));
    if (!json_is_string(json_object_get(body, "urgency")) ||
        isx_request_default_deadlines(&n->cfg, str(body, "urgency"), now, &dack, &danswer) != 0)
        return isx_diag_set(&req->diag, ISX_EFIELD, "urgency", "request.urgency",
                            str(body, "urgency"));
    if ((rc = deadline(req, body, "ack_by", now, &ack)) != 0 ||
        (rc = deadline(req, body, "answer_by", now, &answer)) != 0)
        return rc;
    /* A deadline given overrides the default; the other default never comes before it. */
    if (ack == 0)
        ack = answer != 0 && answer < dack ? answer : dack;
    if (answer == 0)
        answer = danswer > ack ? danswer : ack;
    char t[ISX_TIME_LEN + 1];
    isx_time_format(ack, t);
    json_object_set_new(body, "ack_by", json_string(t));
    isx_time_format(answer, t);
    json_object_set_new(body, "answer_by", json_string(t));
    return 0;
}

/* Every report the request refers to is one this node holds: the other side may ask for it. */
static int
check_reports(struct isx_http_req *req, const json_t *list)
{
    char field[48];
    size_t i;
    json_t *r;

    json_array_foreach(list, i, r)
    {
        struct isx_object *o = NULL;
        int held = isx_node_get(req->ctx, json_string_value(r), NULL, &o) == 0 &&
                   isx__api_readable(req, o);
        isx_object_free(o);
        if (!held) {
            snprintf(field, sizeof(field), "reports[%zu]", i);
            return isx_diag_set(&req->diag, ISX_EFIELD, field, "request.report_unknown",
                                json_string_value(r));
        }
    }
    return 0;
}

int
isx__api_request_open(struct isx_http_req *req)
{
    struct isx_node *n = req->ctx;
    struct isx_change change = {req->user->name, "create"};
    struct isx_object *o = NULL;
    json_t *body = NULL, *marking = NULL, *doc = NULL;
    struct thread t = {0};
    int rc;

    if ((rc = isx_http_body_json(req, &body)) != 0)
        return rc;
    if (!json_is_object(body)) {
        rc = isx_diag_set(&req->diag, ISX_ETYPE, "", "schema.type", "object");
        goto done;
    }
    /* Bilateral requests are TLP:AMBER unless the requesting party says otherwise. */
    marking = json_object_get(body, "marking");
    marking = marking != NULL ? json_deep_copy(marking) : json_pack("{s:s}", "tlp", "amber");
    json_object_del(body, "marking");
    if (marking == NULL) {
        rc = ISX_ENOMEM;
        goto done;
    }
    if (!json_is_object(marking)) {
        rc = isx_diag_set(&req->diag, ISX_ETYPE, "marking", "schema.type", "object");
        goto done;
    }
    /* The addressed party is the marking's only recipient; it may be left for us to say. */
    if (json_object_get(marking, "to") == NULL && json_is_string(json_object_get(body, "to")))
        json_object_set_new(marking, "to", json_pack("[O]", json_object_get(body, "to")));
    /* The marking first, so a state-secret label is refused citing Art. 6.2 whatever else. */
    if ((rc = isx_marking_check(marking, "marking", &req->diag)) != 0 ||
        (rc = complete(req, body)) != 0 || (rc = isx_request_check(body, "", &req->diag)) != 0)
        goto done;
    if ((rc = isx_request_check_marking(n->cfg.party, marking, body, &req->diag)) != 0) {
        /* The API's fields are the body's own, not the envelope's. */
        if (strcmp(req->diag.field, "body.to") == 0)
            snprintf(req->diag.field, sizeof(req->diag.field), "to");
        goto done;
    }
    if ((rc = check_reports(req, json_object_get(body, "reports"))) != 0)
        goto done;
    rc = isx_node_publish(n, "request", NULL, marking, body, &change, NULL, &o, &req->diag);
    marking = body = NULL;
    if (rc != 0)
        goto done;
    isx_http_set_header(req, "Location",
                        isx_arena_printf(req->arena, "/api/v1/requests/%s", o->id));
    if ((rc = thread_load(n, o->id, &t)) != 0)
        goto done;
    doc = thread_json(req, &t);
    rc = doc != NULL ? isx_http_reply_json(req, 201, doc) : ISX_ENOMEM;
done:
    thread_free(&t);
    isx_object_free(o);
    json_decref(doc);
    json_decref(marking);
    json_decref(body);
    return rc;
}

/* ---- POST /api/v1/requests/{id}/messages ---- */

/* What a user sends: the step, and optionally words and documents already uploaded. The
 * message's own check (isx_request_message_check) then judges each value. */
static const struct isx_schema_field attachment_item = {
    "", ISX_SCHEMA_STRING, 0, 1, ISX_OBJECT_ID_MAX, NULL, NULL, NULL};
static const struct isx_schema_field step_fields[] = {
    {"action", ISX_SCHEMA_STRING, ISX_SCHEMA_REQUIRED, 1, 16, NULL, NULL, NULL},
    {"text", ISX_SCHEMA_LANGMAP, 0, 0, 20000, NULL, NULL, NULL},
    {"attachments", ISX_SCHEMA_ARRAY, 0, 0, 20, NULL, NULL, &attachment_item},
    {NULL, 0, 0, 0, 0, NULL, NULL, NULL},
};

/* The caller's party must be a side of the thread to write in it. */
static int
my_side(struct isx_http_req *req, const struct thread *t, const char **other)
{
    struct isx_node *n = req->ctx;

    if ((*other = other_side(t, n->cfg.party)) == NULL)
        return isx_diag_set(&req->diag, ISX_EFORBIDDEN, "id", "request.not_party", n->cfg.party);
    return 0;
}

int
isx__api_request_act(struct isx_http_req *req)
{
    struct isx_node *n = req->ctx;
    struct isx_change change = {req->user->name, "create"};
    const struct isx_request_step *step = NULL;
    struct isx_object *o = NULL;
    json_t *in = NULL, *body = NULL, *probe = NULL, *marking = NULL, *doc = NULL;
    const char *other;
    struct thread t = {0};
    int rc, locked = 0;

    if ((rc = isx_http_body_json(req, &in)) != 0)
        return rc;
    if (!json_is_object(in)) {
        rc = isx_diag_set(&req->diag, ISX_ETYPE, "", "schema.type", "object");
        goto done;
    }
    if ((rc = isx_schema_check(in, step_fields, "", &req->diag)) != 0)
        goto done;
    pthread_mutex_lock(&step_lock);
    locked = 1;
    if ((rc = path_thread(req, &t)) != 0 || (rc = my_side(req, &t, &other)) != 0)
        goto done;
    /* The step's place: after every message this node holds for the thread. */
    body = json_pack("{s:s, s:I, s:O, s:O*, s:O*}", "request", t.id, "seq",
                     (json_int_t)json_array_size(t.messages) + 1, "action",
                     json_object_get(in, "action"), "text", json_object_get(in, "text"),
                     "attachments", json_object_get(in, "attachments"));
    marking = isx_request_thread_marking(t.marking, other);
    if (body == NULL || marking == NULL) {
        rc = ISX_ENOMEM;
        goto done;
    }
    if ((rc = isx_request_message_check(body, "", &req->diag)) != 0 ||
        (rc = check_attachments(n, json_object_get(body, "attachments"), n->cfg.party, marking,
                                "attachments", &req->diag)) != 0)
        goto done;
    /* The same fold the other side's door will run: a step it would refuse is refused here. */
    char now[ISX_TIME_LEN + 1];
    isx_time_format(isx_time_now_ms(), now);
    probe = json_pack("{s:s, s:s, s:s, s:O}", "id", "message--ffffffff-ffff-4fff-bfff-ffffffffffff",
                      "origin", n->cfg.party, "version", now, "body", body);
    if (probe == NULL) {
        rc = ISX_ENOMEM;
        goto done;
    }
    if ((rc = thread_fold(&t, probe, &step)) != 0)
        goto done;
    if (step == NULL || !step->valid) {
        rc = isx_diag_set(&req->diag, ISX_EFORBIDDEN, "action",
                          step != NULL ? step->why : "request.unknown",
                          step != NULL ? step->why_arg : NULL);
        goto done;
    }
    rc = isx_node_publish(n, "message", NULL, marking, body, &change, NULL, &o, &req->diag);
    marking = body = NULL;
    if (rc != 0)
        goto done;
    char *id = strdup(t.id);
    thread_free(&t);
    rc = id != NULL ? thread_load(n, id, &t) : ISX_ENOMEM;
    free(id);
    if (rc != 0)
        goto done;
    json_t *view = isx__api_object_view(o);
    doc =
        json_pack("{s:o?, s:o}", "message", view, "status", status_json(n, &t, isx_time_now_ms()));
    rc = doc != NULL ? isx_http_reply_json(req, 201, doc) : ISX_ENOMEM;
done:
    if (locked)
        pthread_mutex_unlock(&step_lock);
    thread_free(&t);
    isx_object_free(o);
    json_decref(doc);
    json_decref(probe);
    json_decref(marking);
    json_decref(body);
    json_decref(in);
    return rc;
}

/* ---- POST /api/v1/requests/{id}/documents ---- */

int
isx__api_request_document(struct isx_http_req *req)
{
    struct isx_node *n = req->ctx;
    struct isx_change change = {req->user->name, "create"};
    struct isx_object *o = NULL;
    json_t *body = NULL, *marking = NULL;
    const char *other;
    struct thread t = {0};
    int rc;

    if ((rc = isx_http_body_json(req, &body)) != 0)
        return rc;
    if ((rc = path_thread(req, &t)) != 0 || (rc = my_side(req, &t, &other)) != 0 ||
        (rc = isx_document_check(body, "", &req->diag)) != 0)
        goto done;
    if ((marking = isx_request_thread_marking(t.marking, other)) == NULL) {
        rc = ISX_ENOMEM;
        goto done;
    }
    rc = isx_node_publish(n, "document", NULL, marking, body, &change, NULL, &o, &req->diag);
    marking = body = NULL;
    if (rc == 0)
        rc = isx__api_reply_object(req, 201, o);
done:
    thread_free(&t);
    isx_object_free(o);
    json_decref(marking);
    json_decref(body);
    return rc;
}

/* ---- the door (src/fed/accept.c) ---- */

int
isx_request_door(struct isx_node *n, const struct isx_object *o, const json_t *body,
                 struct isx_diag *d)
{
    int rc;

    if ((rc = isx_request_check_marking(o->origin, o->marking, body, d)) != 0)
        return rc;
    /* A request is what was asked when it was sent; changing it would rewrite the thread. */
    if (id_exists(n, o->id))
        return isx_diag_set(d, ISX_EFORBIDDEN, "id", "request.immutable", o->id);
    return 0;
}

int
isx_request_door_message(struct isx_node *n, const struct isx_object *o, const json_t *body,
                         struct isx_diag *d)
{
    const char *rid = str(body, "request"), *other;
    const struct isx_request_step *step = NULL;
    json_t *marking = NULL, *probe = NULL;
    struct thread t;
    int rc;

    if (id_exists(n, o->id))
        return isx_diag_set(d, ISX_EFORBIDDEN, "id", "request.immutable", o->id);
    if ((rc = thread_load(n, rid, &t)) != 0)
        return isx_diag_set(d, rc == ISX_ENOTFOUND ? ISX_EFIELD : rc, "body.request",
                            "request.unknown", rid);
    if ((other = other_side(&t, o->origin)) == NULL) {
        rc = isx_diag_set(d, ISX_EFORBIDDEN, "origin", "request.not_party", o->origin);
        goto done;
    }
    marking = isx_request_thread_marking(t.marking, other);
    if (marking == NULL || !json_equal(marking, o->marking)) {
        rc = isx_diag_set(d, marking == NULL ? ISX_ENOMEM : ISX_EMARKING, "marking",
                          "request.thread_marking", other);
        goto done;
    }
    if ((rc = check_attachments(n, json_object_get(body, "attachments"), o->origin, o->marking,
                                "body.attachments", d)) != 0)
        goto done;
    probe = json_pack("{s:s, s:s, s:s, s:O}", "id", o->id, "origin", o->origin, "version",
                      o->version, "body", body);
    if (probe == NULL) {
        rc = ISX_ENOMEM;
        goto done;
    }
    if ((rc = thread_fold(&t, probe, &step)) != 0)
        goto done;
    if (step == NULL || !step->valid)
        rc = isx_diag_set(d, ISX_EFORBIDDEN, "body.action",
                          step != NULL ? step->why : "request.unknown",
                          step != NULL ? step->why_arg : NULL);
done:
    json_decref(probe);
    json_decref(marking);
    thread_free(&t);
    return rc;
}

int
isx_request_door_document(struct isx_node *n, const struct isx_object *o, const json_t *body,
                          struct isx_diag *d)
{
    (void)body;
    /* A message refers to a document by id; a new version would change what it attached. */
    if (id_exists(n, o->id))
        return isx_diag_set(d, ISX_EFORBIDDEN, "id", "request.immutable", o->id);
    return 0;
}

/* ---- /metrics ---- */

struct tally {
    struct isx_node *n;
    int64_t now;
    int64_t ack[2], answer[2]; /* [0] incoming, [1] outgoing */
    int64_t states[ISX_REQUEST_WITHDRAWN + 1];
};

static int
tally_one(void *ctx, struct thread *t)
{
    struct tally *y = ctx;
    const char *dir = direction_of(y->n, t);
    int i = strcmp(dir, "incoming") == 0 ? 0 : strcmp(dir, "outgoing") == 0 ? 1 : -1;

    y->states[t->st.state]++;
    if (i >= 0) {
        y->ack[i] += isx_request_ack_overdue(&t->st, y->now);
        y->answer[i] += isx_request_answer_overdue(&t->st, y->now);
    }
    return 0;
}

void
isx_request_metrics(struct isx_node *n, struct isx_buf *out)
{
    struct tally y;

    memset(&y, 0, sizeof(y));
    y.n = n;
    y.now = isx_time_now_ms();
    if (each_thread(n, tally_one, &y) != 0)
        return;
    isx_buf_printf(out,
                   "# HELP isx_requests_ack_overdue Requests not acknowledged by their ack_by "
                   "deadline, by direction.\n# TYPE isx_requests_ack_overdue gauge\n"
                   "isx_requests_ack_overdue{direction=\"incoming\"} %lld\n"
                   "isx_requests_ack_overdue{direction=\"outgoing\"} %lld\n"
                   "# HELP isx_requests_answer_overdue Requests not answered by their answer_by "
                   "deadline, by direction.\n# TYPE isx_requests_answer_overdue gauge\n"
                   "isx_requests_answer_overdue{direction=\"incoming\"} %lld\n"
                   "isx_requests_answer_overdue{direction=\"outgoing\"} %lld\n"
                   "# HELP isx_requests Requests this node holds, by state.\n"
                   "# TYPE isx_requests gauge\n",
                   (long long)y.ack[0], (long long)y.ack[1], (long long)y.answer[0],
                   (long long)y.answer[1]);
    for (int s = 0; isx_request_states[s] != NULL; s++)
        isx_buf_printf(out, "isx_requests{state=\"%s\"} %lld\n", isx_request_states[s],
                       (long long)y.states[s]);
}
