/*
 * /api/v1/consultations: consultations under Art. 5.2 — the schedule of regular ones, the
 * proposals, the consents and objections of the parties, and the minutes.
 *
 * Invariants: the state shown is always the fold of the stored objects
 * (src/core/consult.c), computed at read time; every action is checked by the same admission
 * rules the door applies to objects from peers (src/fed/calendar.c), here with
 * ISX_CONSULT_STRICT, before anything is signed; the node signs as its own party only, so a
 * user can consent only for this node's party.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "isx/api.h"
#include "isx/consult.h"
#include "isx/fed.h"
#include "isx/marking.h"
#include "isx/schema.h"
#include "isx/taxonomy.h"

#define END                                                                                        \
    {                                                                                              \
        NULL, 0, 0, 0, 0, NULL, NULL, NULL                                                         \
    }

#define UPCOMING     4  /* two years of the half-yearly rhythm */
#define UPCOMING_MAX 40 /* twenty years */
#define PLACEHOLDER  "consultation--00000000-0000-4000-8000-000000000000"

static const char *
str(const json_t *o, const char *k)
{
    return json_string_value(json_object_get(o, k));
}

/* The admission rules name the object's fields ("body.slot"); a request names its own. */
static void
own_field(struct isx_diag *d)
{
    if (strncmp(d->field, "body.", 5) == 0)
        memmove(d->field, d->field + 5, strlen(d->field + 5) + 1);
}

static int
load(struct isx_http_req *req, size_t upcoming, struct isx_fed_consult *c)
{
    return isx_fed_consult_load(req->ctx, isx_fed_today(), upcoming, c, &req->diag);
}

static int
readable(struct isx_http_req *req, const json_t *item)
{
    return isx_marking_allows_role(json_object_get(item, "marking"), req->user->role);
}

/* The consultation of the path, as the caller may see it; ISX_ENOTFOUND otherwise. */
static int
find(struct isx_http_req *req, const struct isx_fed_consult *c, const json_t **out)
{
    const char *id = req->nparams > 0 ? req->params[0] : "";
    const json_t *item = isx_consult_find(c->state, id);

    if (item == NULL || !readable(req, item))
        return isx_diag_set(&req->diag, ISX_ENOTFOUND, "id", "api.not_found", id);
    *out = item;
    return 0;
}

/* Answers with the folded state of `id` after an action. */
static int
reply_item(struct isx_http_req *req, int status, const char *id)
{
    struct isx_fed_consult c = {0};
    const json_t *item;
    int rc;

    if ((rc = load(req, 0, &c)) != 0)
        return rc;
    if ((item = isx_consult_find(c.state, id)) == NULL)
        rc = isx_diag_set(&req->diag, ISX_ENOTFOUND, "id", "api.not_found", id);
    else
        rc = isx_http_reply_json(req, status, item);
    isx_fed_consult_free(&c);
    return rc;
}

int
isx__api_consult_list(struct isx_http_req *req)
{
    const char *q = isx_http_query(req, "upcoming");
    struct isx_fed_consult c = {0};
    json_t *items = json_array(), *it, *doc;
    size_t upcoming = UPCOMING, i;
    int rc;

    if (items == NULL)
        return ISX_ENOMEM;
    if (q != NULL) {
        char *end;
        unsigned long v = strtoul(q, &end, 10);
        if (*q < '0' || *q > '9' || *end != '\0' || v > UPCOMING_MAX) {
            json_decref(items);
            return isx_diag_set(&req->diag, ISX_EFIELD, "upcoming", "consult.upcoming", "40");
        }
        upcoming = (size_t)v;
    }
    if ((rc = load(req, upcoming, &c)) != 0)
        goto done;
    json_array_foreach(json_object_get(c.state, "items"), i, it)
    {
        if (readable(req, it))
            json_array_append(items, it);
    }
    doc = json_pack("{s:O, s:O, s:O, s:O, s:s}", "items", items, "schedule",
                    json_object_get(c.state, "schedule"), "ignored",
                    json_object_get(c.state, "ignored"), "first", json_object_get(c.state, "first"),
                    "parties_from", c.calendar != NULL ? "calendar" : "marking");
    rc = doc != NULL ? isx_http_reply_json(req, 200, doc) : ISX_ENOMEM;
    json_decref(doc);
done:
    isx_fed_consult_free(&c);
    json_decref(items);
    return rc;
}

int
isx__api_consult_get(struct isx_http_req *req)
{
    struct isx_fed_consult c = {0};
    const json_t *item = NULL;
    int rc;

    if ((rc = load(req, 0, &c)) == 0 && (rc = find(req, &c, &item)) == 0)
        rc = isx_http_reply_json(req, 200, item);
    isx_fed_consult_free(&c);
    return rc;
}

/* ---- proposing and revising ------------------------------------------------------------- */

/* The request of a proposal: the terms, and optionally the marking. Its members are checked
 * in depth by isx_consult_check once the body is built. */
static const struct isx_schema_field propose_fields[] = {
    {"kind", ISX_SCHEMA_STRING, ISX_SCHEMA_REQUIRED, 1, 32, NULL, NULL, NULL},
    {"slot", ISX_SCHEMA_STRING, 0, 1, 32, NULL, NULL, NULL},
    {"dates", ISX_SCHEMA_OBJECT, 0, 0, 0, NULL, NULL, NULL},
    {"venue", ISX_SCHEMA_OBJECT, 0, 0, 0, NULL, NULL, NULL},
    {"agenda", ISX_SCHEMA_ARRAY, 0, 0, 0, NULL, NULL, NULL},
    {"note", ISX_SCHEMA_LANGMAP, 0, 0, 4000, NULL, NULL, NULL},
    {"marking", ISX_SCHEMA_OBJECT, 0, 0, 0, NULL, NULL, NULL},
    END,
};
static const struct isx_schema_field revise_fields[] = {
    {"slot", ISX_SCHEMA_STRING, 0, 1, 32, NULL, NULL, NULL},
    {"dates", ISX_SCHEMA_OBJECT, 0, 0, 0, NULL, NULL, NULL},
    {"venue", ISX_SCHEMA_OBJECT, 0, 0, 0, NULL, NULL, NULL},
    {"agenda", ISX_SCHEMA_ARRAY, 0, 0, 0, NULL, NULL, NULL},
    {"note", ISX_SCHEMA_LANGMAP, 0, 0, 4000, NULL, NULL, NULL},
    END,
};

/*
 * The request's members are only named and type-checked here (the tables above give no
 * nested fields): isx_consult_check judges them in depth once the body is built, naming the
 * same fields.
 */
static int
shape(const json_t *req_body, const struct isx_schema_field *fields, struct isx_diag *d)
{
    const char *key;
    json_t *v;

    json_object_foreach((json_t *)req_body, key, v)
    {
        const struct isx_schema_field *f = fields;
        while (f->name != NULL && strcmp(f->name, key) != 0)
            f++;
        if (f->name == NULL)
            return isx_diag_set(d, ISX_EUNKNOWN_FIELD, key, "schema.unknown", key);
        if ((f->kind == ISX_SCHEMA_OBJECT && !json_is_object(v)) ||
            (f->kind == ISX_SCHEMA_ARRAY && !json_is_array(v)) ||
            (f->kind == ISX_SCHEMA_STRING && !json_is_string(v)))
            return isx_diag_set(d, ISX_ETYPE, key, "schema.type",
                                f->kind == ISX_SCHEMA_ARRAY    ? "array"
                                : f->kind == ISX_SCHEMA_STRING ? "string"
                                                               : "object");
    }
    for (const struct isx_schema_field *f = fields; f->name != NULL; f++) {
        if ((f->flags & ISX_SCHEMA_REQUIRED) && json_object_get(req_body, f->name) == NULL)
            return isx_diag_set(d, ISX_EMISSING, f->name, "schema.missing", f->name);
    }
    return 0;
}

/* Every report and request an agenda item refers to must be one this node holds. */
static int
refs_known(struct isx_http_req *req, const json_t *body)
{
    struct isx_node *n = req->ctx;
    const json_t *item, *ref;
    size_t i, j;
    char field[64];

    json_array_foreach(json_object_get(body, "agenda"), i, item)
    {
        json_array_foreach(json_object_get(item, "refs"), j, ref)
        {
            struct isx_buf b = ISX_BUF_INIT;
            int rc = isx_store_get(n->store, json_string_value(ref), NULL, &b);
            isx_buf_free(&b);
            if (rc == ISX_ENOTFOUND) {
                snprintf(field, sizeof(field), "agenda[%zu].refs[%zu]", i, j);
                return isx_diag_set(&req->diag, ISX_EFIELD, field, "consult.ref_unknown",
                                    json_string_value(ref));
            }
            if (rc != 0)
                return rc;
        }
    }
    return 0;
}

/*
 * The marking of a new proposal when the request gives none: TLP:GREEN to the parties whose
 * consent it needs, so that they, and only they, receive it.
 */
static int
default_marking(const struct isx_fed_consult *c, json_t *env, json_t **out)
{
    json_t *required = NULL, *m;
    int rc;

    json_object_set_new(env, "marking", json_pack("{s:s}", "tlp", "green"));
    if ((rc = isx_consult_required(env, c->calendar, &required)) != 0)
        return rc;
    m = json_array_size(required) > 0 ? json_pack("{s:s, s:O}", "tlp", "green", "to", required)
                                      : json_pack("{s:s}", "tlp", "green");
    json_decref(required);
    if (m == NULL)
        return ISX_ENOMEM;
    *out = m;
    return 0;
}

/* Builds, checks and admits the body of a proposal or revision, then signs and stores it. */
static int
submit(struct isx_http_req *req, struct isx_fed_consult *c, const char *id, json_t *body,
       json_t *marking, const char *expect, const char *action, struct isx_object **out)
{
    struct isx_node *n = req->ctx;
    json_t *env = NULL;
    int rc;

    if ((rc = isx_consult_check(body, "", &req->diag)) != 0 || (rc = refs_known(req, body)) != 0)
        goto done;
    env = json_pack("{s:s, s:s, s:s, s:O}", "id", id != NULL ? id : PLACEHOLDER, "origin",
                    n->cfg.party, "version", "", "body", body);
    if (env == NULL) {
        rc = ISX_ENOMEM;
        goto done;
    }
    if (marking == NULL) {
        if ((rc = default_marking(c, env, &marking)) != 0)
            goto done;
    } else if ((rc = isx_marking_check(marking, "marking", &req->diag)) != 0) {
        goto done;
    }
    json_object_set(env, "marking", marking);
    if ((rc = isx_consult_admit_proposal(c->state, env, &c->ctx, ISX_CONSULT_STRICT, &req->diag)) !=
        0) {
        own_field(&req->diag);
        goto done;
    }
    struct isx_change change = {req->user->name, action};
    rc = isx_node_publish(n, "consultation", id, marking, body, &change, expect, out, &req->diag);
    marking = NULL;
    body = NULL;
done:
    json_decref(env);
    json_decref(marking);
    json_decref(body);
    return rc;
}

int
isx__api_consult_propose(struct isx_http_req *req)
{
    struct isx_node *n = req->ctx;
    struct isx_fed_consult c = {0};
    struct isx_object *o = NULL;
    json_t *in = NULL, *body = NULL, *marking;
    const char *key;
    json_t *v;
    int rc;

    if ((rc = isx_http_body_json(req, &in)) != 0)
        return rc;
    if ((rc = shape(in, propose_fields, &req->diag)) != 0 || (rc = load(req, 0, &c)) != 0)
        goto done;
    if ((body = json_pack("{s:O, s:i}", "kind", json_object_get(in, "kind"), "round", 1)) == NULL) {
        rc = ISX_ENOMEM;
        goto done;
    }
    json_object_foreach(in, key, v)
    {
        if (strcmp(key, "kind") != 0 && strcmp(key, "marking") != 0)
            json_object_set(body, key, v);
    }
    /* The party that proposes hosts, unless the proposal names another venue. */
    if (json_object_get(body, "venue") == NULL)
        json_object_set_new(body, "venue", json_object());
    if (json_object_get(json_object_get(body, "venue"), "party") == NULL) {
        json_t *venue = json_deep_copy(json_object_get(body, "venue"));
        json_object_set_new(venue, "party", json_string(n->cfg.party));
        json_object_set_new(body, "venue", venue);
    }
    marking = json_object_get(in, "marking");
    rc = submit(req, &c, NULL, json_incref(body), marking != NULL ? json_deep_copy(marking) : NULL,
                NULL, "create", &o);
    if (rc == 0)
        rc = reply_item(req, 201, o->id);
done:
    isx_object_free(o);
    isx_fed_consult_free(&c);
    json_decref(in);
    json_decref(body);
    return rc;
}

/* The current version of the consultation, for a change by its proposer. */
static int
current(struct isx_http_req *req, const json_t *item, struct isx_object **out)
{
    struct isx_node *n = req->ctx;
    struct isx_object *o = NULL;
    int rc;

    if (strcmp(str(item, "proposer"), n->cfg.party) != 0)
        return isx_diag_set(&req->diag, ISX_EFORBIDDEN, "id", "consult.not_proposer",
                            str(item, "proposer"));
    if ((rc = isx_node_get(n, str(item, "id"), NULL, &o)) != 0)
        return isx_diag_set(&req->diag, rc, "id", "api.not_found", str(item, "id"));
    if (isx_object_clear_body(o) == NULL) {
        isx_object_free(o);
        return isx_diag_set(&req->diag, ISX_ENOTFOUND, "id", "api.not_found", str(item, "id"));
    }
    *out = o;
    return 0;
}

int
isx__api_consult_revise(struct isx_http_req *req)
{
    struct isx_fed_consult c = {0};
    struct isx_object *o = NULL, *cur = NULL;
    const json_t *item = NULL;
    json_t *in = NULL, *body = NULL, *v;
    const char *key;
    int rc;

    if ((rc = isx_http_body_json(req, &in)) != 0)
        return rc;
    if ((rc = shape(in, revise_fields, &req->diag)) != 0 || (rc = load(req, 0, &c)) != 0 ||
        (rc = find(req, &c, &item)) != 0 || (rc = current(req, item, &cur)) != 0 ||
        (rc = isx__api_if_match(req, cur->version)) != 0)
        goto done;
    if ((body = json_deep_copy(isx_object_clear_body(cur))) == NULL) {
        rc = ISX_ENOMEM;
        goto done;
    }
    /* A revision changes the terms, so the parties decide again: the next round. */
    json_object_set_new(body, "round",
                        json_integer(json_integer_value(json_object_get(body, "round")) + 1));
    json_object_foreach(in, key, v)
    {
        json_object_set(body, key, v);
    }
    rc = submit(req, &c, cur->id, json_incref(body), json_deep_copy(cur->marking), cur->version,
                "update", &o);
    if (rc == 0)
        rc = reply_item(req, 200, o->id);
done:
    isx_object_free(o);
    isx_object_free(cur);
    isx_fed_consult_free(&c);
    json_decref(in);
    json_decref(body);
    return rc;
}

/* ---- consents and minutes ---------------------------------------------------------------- */

static const struct isx_schema_field consent_request[] = {
    {"decision", ISX_SCHEMA_STRING, ISX_SCHEMA_REQUIRED, 1, 16, NULL, NULL, NULL},
    {"reason", ISX_SCHEMA_LANGMAP, 0, 0, 4000, NULL, NULL, NULL},
    END,
};

/* Appends a party code unless it is there already. */
static void
append_code(json_t *list, const char *code)
{
    size_t i;
    json_t *v;

    json_array_foreach(list, i, v)
    {
        if (strcmp(json_string_value(v), code) == 0)
            return;
    }
    json_array_append_new(list, json_string(code));
}

/*
 * A consent goes where the consultation went, and to its proposer: every party taking part
 * sees every decision.
 */
static json_t *
consent_marking(struct isx_node *n, const json_t *item)
{
    const json_t *m = json_object_get(item, "marking"), *p;
    const json_t *to = json_object_get(m, "to");
    json_t *out = json_pack("{s:s}", "tlp", str(m, "tlp") != NULL ? str(m, "tlp") : "green");
    json_t *list = json_array();
    size_t i;

    if (out == NULL || list == NULL) {
        json_decref(out);
        json_decref(list);
        return NULL;
    }
    if (json_array_size(to) > 0) {
        json_array_foreach(to, i, p)
        {
            if (strcmp(json_string_value(p), n->cfg.party) != 0)
                append_code(list, json_string_value(p));
        }
        json_array_foreach(json_object_get(item, "required"), i, p)
        {
            if (strcmp(json_string_value(p), n->cfg.party) != 0)
                append_code(list, json_string_value(p));
        }
        if (strcmp(str(item, "proposer"), n->cfg.party) != 0)
            append_code(list, str(item, "proposer"));
        json_object_set(out, "to", list);
    }
    json_decref(list);
    return out;
}

int
isx__api_consult_consent(struct isx_http_req *req)
{
    struct isx_node *n = req->ctx;
    struct isx_fed_consult c = {0};
    const json_t *item = NULL;
    json_t *in = NULL, *body = NULL, *env = NULL;
    int rc;

    if ((rc = isx_http_body_json(req, &in)) != 0)
        return rc;
    if ((rc = isx_schema_check(in, consent_request, "", &req->diag)) != 0 ||
        (rc = load(req, 0, &c)) != 0 || (rc = find(req, &c, &item)) != 0)
        goto done;
    body = json_pack("{s:s, s:O, s:O}", "consultation", str(item, "id"), "round",
                     json_object_get(item, "round"), "decision", json_object_get(in, "decision"));
    if (body == NULL) {
        rc = ISX_ENOMEM;
        goto done;
    }
    if (json_object_get(in, "reason") != NULL)
        json_object_set(body, "reason", json_object_get(in, "reason"));
    if ((rc = isx_consult_consent_check(body, "", &req->diag)) != 0)
        goto done;
    env = json_pack("{s:s, s:O}", "origin", n->cfg.party, "body", body);
    if (env == NULL) {
        rc = ISX_ENOMEM;
        goto done;
    }
    if ((rc = isx_consult_admit_consent(c.state, env, ISX_CONSULT_STRICT, &req->diag)) != 0) {
        own_field(&req->diag);
        goto done;
    }
    struct isx_change change = {req->user->name, "create"};
    rc = isx_node_publish(n, "consent", NULL, consent_marking(n, item), json_incref(body), &change,
                          NULL, NULL, &req->diag);
    if (rc == 0)
        rc = reply_item(req, 201, str(item, "id"));
done:
    isx_fed_consult_free(&c);
    json_decref(in);
    json_decref(body);
    json_decref(env);
    return rc;
}

static const struct isx_schema_field minutes_request[] = {
    {"text", ISX_SCHEMA_LANGMAP, ISX_SCHEMA_REQUIRED, 0, 20000, NULL, NULL, NULL},
    END,
};

int
isx__api_consult_minutes(struct isx_http_req *req)
{
    struct isx_node *n = req->ctx;
    struct isx_fed_consult c = {0};
    struct isx_object *cur = NULL;
    const json_t *item = NULL, *o;
    json_t *in = NULL, *body = NULL, *hashes = json_array(), *env = NULL;
    size_t i;
    int rc;

    if (hashes == NULL)
        return ISX_ENOMEM;
    if ((rc = isx_http_body_json(req, &in)) != 0)
        goto done;
    if ((rc = isx_schema_check(in, minutes_request, "", &req->diag)) != 0 ||
        (rc = load(req, 0, &c)) != 0 || (rc = find(req, &c, &item)) != 0 ||
        (rc = current(req, item, &cur)) != 0)
        goto done;
    /* The minutes name the consents that decided it, so anyone can check the decision. */
    json_array_foreach(json_object_get(item, "consents"), i, o)
    {
        if (json_is_true(json_object_get(o, "counted")) && str(o, "hash") != NULL)
            json_array_append(hashes, json_object_get(o, "hash"));
    }
    if ((body = json_deep_copy(isx_object_clear_body(cur))) == NULL) {
        rc = ISX_ENOMEM;
        goto done;
    }
    json_object_set_new(
        body, "minutes",
        json_pack("{s:O, s:O}", "text", json_object_get(in, "text"), "consents", hashes));
    if ((rc = isx_consult_check(body, "", &req->diag)) != 0)
        goto done;
    env = json_pack("{s:s, s:s, s:O, s:O}", "id", cur->id, "origin", n->cfg.party, "marking",
                    cur->marking, "body", body);
    if (env == NULL) {
        rc = ISX_ENOMEM;
        goto done;
    }
    if ((rc = isx_consult_admit_proposal(c.state, env, &c.ctx, ISX_CONSULT_STRICT, &req->diag)) !=
        0) {
        own_field(&req->diag);
        goto done;
    }
    struct isx_change change = {req->user->name, "update"};
    if ((rc = isx_node_publish(n, "consultation", cur->id, json_deep_copy(cur->marking),
                               json_incref(body), &change, cur->version, NULL, &req->diag)) == 0)
        rc = reply_item(req, 200, cur->id);
done:
    isx_object_free(cur);
    isx_fed_consult_free(&c);
    json_decref(in);
    json_decref(body);
    json_decref(hashes);
    json_decref(env);
    return rc;
}

/* ---- /metrics ---------------------------------------------------------------------------- */

void
isx__api_consult_metrics(struct isx_node *n, struct isx_buf *out)
{
    struct isx_fed_consult c = {0};
    struct isx_agreement_calendar *cal = NULL;
    size_t counted = 0, bound = 0, overdue = 0, i;
    int64_t today = isx_fed_today();
    json_t *it;

    if (isx_fed_consult_load(n, today, 0, &c, NULL) == 0) {
        isx_buf_puts(out, "# HELP isx_consultations Consultations (Art. 5.2) by kind and state.\n"
                          "# TYPE isx_consultations gauge\n");
        for (size_t k = 0; isx_consult_kinds[k] != NULL; k++) {
            for (size_t s = 0; isx_consult_states[s] != NULL; s++) {
                size_t count = 0;
                json_array_foreach(json_object_get(c.state, "items"), i, it)
                {
                    count += strcmp(str(it, "kind"), isx_consult_kinds[k]) == 0 &&
                             strcmp(str(it, "state"), isx_consult_states[s]) == 0;
                }
                isx_buf_printf(out, "isx_consultations{kind=\"%s\",state=\"%s\"} %zu\n",
                               isx_consult_kinds[k], isx_consult_states[s], count);
            }
        }
    }
    isx_fed_consult_free(&c);
    if (isx_fed_calendar(n, today, NULL, &cal, &counted, NULL) != 0)
        return;
    for (i = 0; i < cal->nparties; i++)
        bound += cal->parties[i].status == ISX_AGREEMENT_BOUND;
    for (i = 0; i < cal->nduties; i++)
        overdue += cal->duties[i].state == ISX_AGREEMENT_OVERDUE;
    isx_buf_printf(out,
                   "# HELP isx_agreement_notifications Notifications the calendar applied.\n"
                   "# TYPE isx_agreement_notifications gauge\nisx_agreement_notifications %zu\n"
                   "# HELP isx_agreement_parties_bound States the agreement binds today.\n"
                   "# TYPE isx_agreement_parties_bound gauge\nisx_agreement_parties_bound %zu\n"
                   "# HELP isx_agreement_duties_overdue Deadlines of Art. 5.1, 11 and 12.4 "
                   "passed and not met.\n# TYPE isx_agreement_duties_overdue gauge\n"
                   "isx_agreement_duties_overdue %zu\n"
                   "# HELP isx_agreement_notifications_refused Notifications the calendar "
                   "leaves out.\n# TYPE isx_agreement_notifications_refused gauge\n"
                   "isx_agreement_notifications_refused %zu\n",
                   counted, bound, overdue, cal->nskipped);
    isx_agreement_free(cal);
}
